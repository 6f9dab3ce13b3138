//! Kernel taint flags (`data/taint.toml`): what each letter of a
//! `Tainted: G        W  OE` field means, and which ones make a lockdep
//! verdict less certain.
//!
//! The kernel prints one column per flag, a space where a flag is unset,
//! but mail clients and log collectors collapse runs of spaces, so the
//! letters (unique per flag) are what is decoded, never the columns.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{Taint, TaintFlag};

/// One taint flag as the kernel defines it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintInfo {
    /// The letter printed when the flag is set.
    pub letter: char,
    /// Bit number in `/proc/sys/kernel/tainted`.
    pub bit: u8,
    /// The kernel's name without the `TAINT_` prefix.
    pub name: String,
    /// What the flag says about the kernel.
    pub meaning: String,
    /// Why it makes a lockdep verdict less certain, when it does.
    #[serde(default)]
    pub lowers: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    flag: Vec<TaintInfo>,
}

/// Every flag, in the kernel's printing order.
pub fn all() -> &'static [TaintInfo] {
    static T: OnceLock<Vec<TaintInfo>> = OnceLock::new();
    T.get_or_init(|| {
        toml::from_str::<Table>(include_str!("data/taint.toml"))
            .expect("taint.toml parses")
            .flag
    })
}

/// The flag printed as `letter`, if the kernel has one.
pub fn info(letter: char) -> Option<&'static TaintInfo> {
    all().iter().find(|t| t.letter == letter)
}

/// Is `tok` a group of taint letters (`G`, `W`, `OE`, `PO`)? `G` (no
/// proprietary module) may only stand first in the field.
fn is_flag_group(tok: &str) -> bool {
    !tok.is_empty()
        && tok
            .chars()
            .all(|c| c.is_ascii_uppercase() && (c == 'G' || info(c).is_some()))
}

/// Decode what follows `Tainted: ` up to the kernel release: the compact
/// form (`G        W  OE`) or the verbose one 6.13+ prints on its own line
/// (`[W]=WARN, [O]=OOT_MODULE`). Returns the taint and the byte length of
/// `s` it used.
pub fn parse_field(s: &str) -> Option<(Taint, usize)> {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    if trimmed.starts_with('[') {
        return parse_verbose(trimmed).map(|(t, n)| (t, lead + n));
    }
    let mut end = None;
    let mut pos = 0;
    let mut seen = String::new();
    for tok in s.split(' ') {
        let start = pos;
        pos += tok.len() + 1;
        if tok.is_empty() {
            continue;
        }
        // Each flag has one column, so a letter appears once; `G` (no
        // proprietary module) only in the first.
        let fresh = tok.char_indices().all(|(i, c)| {
            !seen.contains(c) && !tok[..i].contains(c) && (c != 'G' || start + i == lead)
        });
        if is_flag_group(tok) && fresh && (end.is_some() || start == lead) {
            end = Some(start + tok.len());
            seen.push_str(tok);
        } else {
            break;
        }
    }
    let end = end?;
    let raw = &s[lead..end];
    let mut t = Taint {
        raw: raw.to_string(),
        flags: Vec::new(),
    };
    for c in raw.chars().filter(|c| *c != ' ' && *c != 'G') {
        push_flag(&mut t, c);
    }
    Some((t, end))
}

fn parse_verbose(s: &str) -> Option<(Taint, usize)> {
    let mut t = Taint {
        raw: String::new(),
        flags: Vec::new(),
    };
    let mut end = 0;
    let mut rest = s;
    while let Some(r) = rest.strip_prefix('[') {
        let mut ch = r.chars();
        let (Some(c), Some(']'), Some('=')) = (ch.next(), ch.next(), ch.next()) else {
            break;
        };
        let name_len = ch
            .as_str()
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(ch.as_str().len());
        push_flag(&mut t, c);
        let used = 4 + name_len;
        end += used;
        rest = &rest[used..];
        match rest.strip_prefix(", ") {
            Some(r) if r.starts_with('[') => {
                end += 2;
                rest = r;
            }
            _ => break,
        }
    }
    if t.flags.is_empty() {
        return None;
    }
    t.raw = s[..end].to_string();
    Some((t, end))
}

fn push_flag(t: &mut Taint, letter: char) {
    if t.flags.iter().any(|f| f.letter == letter) {
        return;
    }
    let i = info(letter);
    t.flags.push(TaintFlag {
        letter,
        name: i.map(|i| i.name.as_str()),
        meaning: i.map(|i| i.meaning.as_str()),
    });
}

/// Why the taint lowers a verdict's confidence, one reason per flag that
/// does, in the kernel's order.
pub fn caveats(t: &Taint) -> Vec<&'static str> {
    all()
        .iter()
        .filter(|i| t.flags.iter().any(|f| f.letter == i.letter))
        .filter_map(|i| i.lowers.as_deref())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(t: &Taint) -> String {
        t.flags.iter().map(|f| f.letter).collect()
    }

    #[test]
    fn every_letter_is_kept_with_the_spacing() {
        let (t, n) = parse_field("G           OE     5.15.0-91-generic #101").unwrap();
        assert_eq!(t.raw, "G           OE");
        assert_eq!(n, "G           OE".len());
        assert_eq!(letters(&t), "OE");
        assert_eq!(t.flags[0].name, Some("OOT_MODULE"));
        let (t, _) = parse_field("P        W  O      6.1.0 #1").unwrap();
        assert_eq!(letters(&t), "PWO");
        let (t, _) = parse_field("G        W").unwrap();
        assert_eq!(letters(&t), "W");
        let (t, _) = parse_field("G      D W 2.6.36").unwrap();
        assert_eq!(letters(&t), "DW");
    }

    #[test]
    fn verbose_form_of_recent_kernels() {
        let (t, n) = parse_field("[W]=WARN, [O]=OOT_MODULE").unwrap();
        assert_eq!(letters(&t), "WO");
        assert_eq!(n, "[W]=WARN, [O]=OOT_MODULE".len());
    }

    #[test]
    fn a_release_or_word_is_not_a_flag() {
        assert!(parse_field("6.1.0 #1").is_none());
        assert!(parse_field("Gx 6.1").is_none());
        // 'G' only as the first column; a word of capitals that holds a
        // letter the kernel never prints is not taint.
        assert!(parse_field("PREEMPT 6.1").is_none());
    }

    #[test]
    fn table_matches_the_kernel_order_and_letters_are_unique() {
        let all = all();
        for (i, f) in all.iter().enumerate() {
            assert_eq!(f.bit as usize, i, "{}", f.name);
            assert!(
                all.iter().filter(|g| g.letter == f.letter).count() == 1,
                "{}",
                f.letter
            );
        }
        let t = parse_field("G           OE").unwrap().0;
        assert_eq!(caveats(&t).len(), 2);
    }
}
