//! Deduplication signatures: which reports are the same bug.
//!
//! A signature must survive what changes between two kernel builds and two
//! boots of the same code — addresses, `+0x12/0x340` offsets, timestamps,
//! pids, compiler suffixes (`.isra.0`), lockdep's `#N` class numbering,
//! device instance numbers, the printk prefix style, the locks that happen
//! to be held around the bug — and must keep apart two bugs that syzbot
//! would title alike. So it is built from the typed report, never from raw
//! text:
//!
//! * the report kind;
//! * the normalized title (syzkaller's normalization: numbers and addresses
//!   are already out), except for circular dependencies (below);
//! * the lock classes that name the bug for its kind (the kind table's
//!   `signature` slots, [`crate::kind`]: for most kinds the lock being acquired, the one held
//!   against it and the other lock of an irq inversion; for leaked locks the
//!   held list), each normalized by the table's class rules (`#N` dropped,
//!   workqueue instance numbers folded, addresses out), sorted where the
//!   order is not meaningful;
//! * the inconsistent-state usage transition when there is one;
//! * the first [`GUILTY_FRAMES`] guilty frames of the report's stack: the
//!   first reliable, non-inlined frames outside locking primitives,
//!   allocators, lockdep, stack dumping and sanitizers (the frame-class
//!   table, `kernel/data/frames.toml`), by their source-level name.
//!
//! Two reports with the same title are different bugs when the locks differ
//! (a recursive `&a->lock` and a recursive `&b->lock` in one function), when
//! the usage transition differs, or when the caller one level up differs
//! (the same helper reached from two subsystems); deeper frames are left
//! out because inlining differs between builds and syzkaller reaches the
//! same bug through many syscalls.
//!
//! A circular dependency is one bug whichever of its edges closed the cycle
//! in a given run: lockdep reports the edge it was adding, so the same
//! cycle comes with another "trying to acquire" lock, another backtrace and
//! another syzbot title. Its signature is the kind plus the cycle of lock
//! classes, read from the dependency chain in dependency order and rotated
//! to start at its smallest class, so every edge gives the same key. (A
//! report cut before any of its locks was printed has no cycle and is
//! keyed like the other kinds.)
//!
//! The guilty frame named for a group is the first guilty frame of the
//! final backtrace (then the current acquisition's chain stack, then the
//! other saved stacks, then the acquire site of the lock being taken) —
//! never a frame from a held-locks list, which records where *other* locks
//! were taken.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

use crate::cycle::lock_cycle;
use crate::kernel::frames::class_of;
use crate::kind::{Cycle, LockSlot};
use crate::model::{Frame, Lock, Report, ReportKind};

/// How many guilty frames enter a signature: the guilty function and its
/// caller. See the module documentation for why not more.
pub const GUILTY_FRAMES: usize = 2;

/// A report's signature: a short stable hash and the readable key it
/// hashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    /// 16 hex digits (64-bit FNV-1a of `key`): stable across runs,
    /// machines and versions of splatdec that keep the same key.
    pub hash: String,
    /// What was hashed, one `name: value` part per line joined by ` | `.
    pub key: String,
}

/// What triage keeps of a report: its signature and the fields a group
/// shows. Small, so the report itself can be dropped at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The report's signature.
    pub signature: Signature,
    /// The report's kind.
    pub kind: ReportKind,
    /// The report's syzkaller-compatible title.
    pub title: String,
    /// The guilty frame's source-level name.
    pub guilty_frame: Option<String>,
    /// Its source file, when the trace was symbolized.
    pub guilty_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    class_rule: Vec<ClassRuleRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassRuleRow {
    pattern: String,
    replace: String,
}

struct Compiled {
    class_rules: Vec<(Regex, String)>,
}

fn table() -> &'static Compiled {
    static T: OnceLock<Compiled> = OnceLock::new();
    T.get_or_init(|| {
        let t: Table = toml::from_str(include_str!("signature.toml"))
            .expect("embedded signature table parses");
        Compiled {
            class_rules: t
                .class_rule
                .into_iter()
                .map(|r| {
                    let re = Regex::new(&r.pattern).expect("class rule pattern is valid");
                    (re, r.replace)
                })
                .collect(),
        }
    })
}

/// True when a frame named `base` is locking, allocation, lockdep,
/// stack-dump, wait or sanitizer machinery rather than the code with the
/// bug (the frame-class table, [`crate::kernel::frames`]).
pub fn is_noise(base: &str) -> bool {
    class_of(base).is_machinery()
}

/// A lock class name with its build- and boot-specific parts taken out.
pub fn normalize_class(class: &str) -> String {
    let mut s = class.trim().to_string();
    for (re, rep) in &table().class_rules {
        if re.is_match(&s) {
            s = re.replace_all(&s, rep.as_str()).into_owned();
        }
    }
    s
}

/// The frames of a stack that may be guilty, in stack order.
fn guilty_frames(stack: &[Frame]) -> impl Iterator<Item = &Frame> {
    stack
        .iter()
        .filter(|f| f.reliable && !f.inline && !f.base.is_empty() && !is_noise(&f.base))
}

/// The stacks a report's guilty frame is looked for in, best first; never
/// a held-locks list.
fn guilty_stacks(r: &Report) -> Vec<&[Frame]> {
    let mut stacks: Vec<&[Frame]> = vec![&r.backtrace];
    if let Some(e) = r.chain.iter().min_by_key(|e| e.index) {
        stacks.push(&e.stack);
    }
    stacks.extend(r.traces.iter().map(|t| t.frames.as_slice()));
    stacks
}

/// The first stack with a guilty frame, and its guilty frames.
fn first_guilty(r: &Report) -> Vec<&Frame> {
    for stack in guilty_stacks(r) {
        let frames: Vec<&Frame> = guilty_frames(stack).take(GUILTY_FRAMES).collect();
        if !frames.is_empty() {
            return frames;
        }
    }
    // Last resort: where the lock being taken was acquired.
    r.acquiring
        .iter()
        .filter_map(|l| l.at.as_ref())
        .filter(|f| !is_noise(&f.base))
        .collect()
}

/// The lock-order cycle of a circular dependency, in dependency order
/// (the report's [`lock_cycle`]: the lock being acquired first, and the
/// last -> first edge is the one being added), normalized and rotated to
/// start at its smallest class.
pub fn canonical_cycle(r: &Report) -> Vec<String> {
    let cycle = lock_cycle(r)
        .locks
        .iter()
        .map(|l| normalize_class(l))
        .collect();
    min_rotation(cycle)
}

/// The lexicographically smallest rotation of `v`.
fn min_rotation(v: Vec<String>) -> Vec<String> {
    let n = v.len();
    (0..n)
        .map(|k| {
            let mut r = v[k..].to_vec();
            r.extend_from_slice(&v[..k]);
            r
        })
        .min()
        .unwrap_or(v)
}

/// The classes in `slots` of `r`, normalized, `acquiring`/`holding` in
/// place and lists as sorted sets.
fn lock_parts(r: &Report, slots: &[LockSlot]) -> Vec<String> {
    let set = |locks: &[Lock]| -> String {
        let s: BTreeSet<String> = locks.iter().map(|l| normalize_class(&l.class)).collect();
        s.into_iter().collect::<Vec<_>>().join(", ")
    };
    let mut parts = Vec::new();
    for slot in slots {
        let (name, value) = match slot {
            LockSlot::Acquiring => (
                "acquiring",
                r.acquiring.as_ref().map(|l| normalize_class(&l.class)),
            ),
            LockSlot::Holding => (
                "holding",
                r.holding.as_ref().map(|l| normalize_class(&l.class)),
            ),
            LockSlot::Other => (
                "other",
                (!r.other_locks.is_empty()).then(|| set(&r.other_locks)),
            ),
            LockSlot::Releasing => (
                "releasing",
                r.releasing.as_ref().map(|l| normalize_class(&l.class)),
            ),
            LockSlot::NestLock => (
                "nest_lock",
                r.nest_lock.as_ref().map(|l| normalize_class(&l.class)),
            ),
            LockSlot::Held => (
                "held",
                (!r.held_locks.is_empty()).then(|| set(&r.held_locks)),
            ),
        };
        if let Some(v) = value {
            parts.push(format!("{name}: {v}"));
        }
    }
    parts
}

/// 64-bit FNV-1a: tiny, stable and good enough to name a few thousand
/// groups (a collision needs ~2^32 of them).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The signature of one report and the fields a group shows.
pub fn sighting(r: &Report) -> Sighting {
    let guilty = first_guilty(r);
    let mut parts = vec![format!("kind: {}", r.kind)];
    let cycle = if matches!(r.kind.row().cycle, Cycle::DependencyChain | Cycle::Dept) {
        canonical_cycle(r)
    } else {
        Vec::new()
    };
    if !cycle.is_empty() {
        parts.push(format!("cycle: {}", cycle.join(" -> ")));
    } else {
        // Every other kind, and a circular report cut before any lock
        // was printed (grouped like the rest rather than all together).
        parts.push(format!("title: {}", r.title));
        parts.extend(lock_parts(r, r.kind.row().signature));
        if let Some(u) = &r.usage_transition {
            parts.push(format!("usage: {} -> {}", u.from, u.to));
        }
        let frames: Vec<&str> = guilty.iter().map(|f| f.base.as_str()).collect();
        parts.push(format!("frames: {}", frames.join(", ")));
    }
    let key = parts.join(" | ");
    Sighting {
        signature: Signature {
            hash: format!("{:016x}", fnv1a(&key)),
            key,
        },
        kind: r.kind,
        title: r.title.clone(),
        guilty_frame: guilty.first().map(|f| f.base.to_string()),
        guilty_file: guilty.first().and_then(|f| f.file.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_lose_build_specific_parts() {
        assert_eq!(normalize_class("sb_writers#3"), "sb_writers");
        assert_eq!(
            normalize_class("&type->i_mutex_dir_key#5/1"),
            "&type->i_mutex_dir_key/1"
        );
        assert_eq!(
            normalize_class("(wq_completion)loop3"),
            "(wq_completion)loopN"
        );
        assert_eq!(
            normalize_class("(wq_completion)wg-crypt-wg0#3"),
            "(wq_completion)wg-crypt-wgN"
        );
        assert_eq!(normalize_class("&ei->i_data_sem/2"), "&ei->i_data_sem/2");
        assert_eq!(normalize_class("sk_lock-AF_INET6"), "sk_lock-AF_INET6");
        assert_eq!(normalize_class("0xffffffff8a0c6a60"), "ADDR");
    }

    #[test]
    fn noise_covers_every_category_and_spares_callers() {
        for f in [
            "_raw_spin_lock_irqsave",
            "mutex_lock_nested",
            "__mutex_lock",
            "down_write",
            "kmem_cache_alloc_node",
            "__kmalloc",
            "fs_reclaim_acquire",
            "lock_acquire",
            "__lock_acquire",
            "print_circular_bug",
            "dump_stack_lvl",
            "__might_sleep",
            "kasan_save_stack",
        ] {
            assert!(is_noise(f), "{f}");
        }
        for f in [
            "ext4_writepages",
            "rtnl_lock",
            "xfs_ilock",
            "process_one_work",
            "downgrade_foo",
        ] {
            assert!(!is_noise(f), "{f}");
        }
    }

    #[test]
    fn a_circular_report_without_locks_is_keyed_by_title() {
        let reps = crate::decode_str(
            "WARNING: possible circular locking dependency detected\n",
            "-",
        );
        let key = sighting(&reps[0]).signature.key;
        assert!(
            key.starts_with("kind: circular_dependency | title: "),
            "{key}"
        );
    }

    #[test]
    fn rotation_is_canonical() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(min_rotation(v(&["b", "c", "a"])), v(&["a", "b", "c"]));
        assert_eq!(min_rotation(v(&["c", "a", "b"])), v(&["a", "b", "c"]));
        // Direction is kept: a reversed cycle is another cycle.
        assert_eq!(min_rotation(v(&["c", "b", "a"])), v(&["a", "c", "b"]));
        assert_eq!(
            min_rotation(v(&["a", "b", "a", "c"])),
            v(&["a", "b", "a", "c"])
        );
        assert!(min_rotation(Vec::new()).is_empty());
    }
}
