//! Lock classes that are not locks (`data/pseudo_locks.toml`): lockdep maps
//! for waits, references and contexts. The graph labels them so a reader
//! does not look for a mutex that does not exist.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pseudo {
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    suffixes: Vec<String>,
    what: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    pseudo: Vec<Pseudo>,
}

fn table() -> &'static [Pseudo] {
    static T: OnceLock<Vec<Pseudo>> = OnceLock::new();
    T.get_or_init(|| {
        toml::from_str::<Table>(include_str!("data/pseudo_locks.toml"))
            .expect("pseudo_locks.toml parses")
            .pseudo
    })
}

/// The class name without lockdep's `#N` instance-key suffix.
fn without_key_number(class: &str) -> &str {
    match class.rfind('#') {
        Some(i) if class[i + 1..].bytes().all(|c| c.is_ascii_digit()) && i + 1 < class.len() => {
            &class[..i]
        }
        _ => class,
    }
}

/// What a pseudo-lock class stands for, or `None` for a real lock.
pub fn pseudo_lock(class: &str) -> Option<&'static str> {
    let c = without_key_number(class);
    table()
        .iter()
        .find(|p| {
            p.exact.iter().any(|e| e == c)
                || p.prefixes.iter().any(|x| c.starts_with(x.as_str()))
                || p.suffixes.iter().any(|x| c.ends_with(x.as_str()))
        })
        .map(|p| p.what.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_locks_are_named_and_real_locks_are_not() {
        assert!(pseudo_lock("rcu_read_lock").is_some());
        assert!(pseudo_lock("fs_reclaim").is_some());
        assert!(pseudo_lock("(wq_completion)events").is_some());
        assert!(pseudo_lock("(work_completion)(&pw->work)").is_some());
        assert!(pseudo_lock("kn->active#4").is_some());
        assert!(pseudo_lock("reservation_ww_class_acquire").is_some());
        assert!(pseudo_lock("reservation_ww_class_mutex").is_none());
        assert!(pseudo_lock("&mm->mmap_lock").is_none());
        assert!(pseudo_lock("&sb->s_type->i_mutex_key#3").is_none());
    }
}
