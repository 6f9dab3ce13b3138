//! The frame-class table, kept as data (`data/frames.toml`): what kind of
//! code each stack frame is (lockdep, a sleep check, stack dumping, a lock
//! primitive, a wait, the allocator, a sanitizer, a stack root, or the code
//! under suspicion), plus a few properties that cut across classes (roots
//! with nothing or always something below them, vmalloc entry points,
//! inode reclaim) and the XFS inode lock class names. The parser, the
//! classifier, the renderers, the lock graph and triage signatures all ask
//! here instead of carrying their own lists.
//!
//! ```
//! use splatdec::kernel::frames::{class_of, FrameClass};
//! assert_eq!(class_of("_raw_spin_lock_irqsave"), FrameClass::LockPrimitive);
//! assert_eq!(class_of("xfs_ilock"), FrameClass::Other);
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use serde::Deserialize;

use crate::model::Frame;

/// Compiler-generated suffixes that do not change the source function.
/// `clone` is older GCC's spelling of a specialised copy (`foo.clone.3`).
const SUFFIXES: [&str; 8] = [
    "part",
    "clone",
    "isra",
    "constprop",
    "cold",
    "llvm",
    "lto_priv",
    "localalias",
];

/// The source-level function of a printed symbol: strip trailing
/// `.part.N`, `.isra.N`, `.constprop.N`, `.cold`, `.llvm.N` ... and chains
/// of them (`foo.isra.56.cold.74` -> `foo`).
pub fn base_name(sym: &str) -> &str {
    // Most symbols carry no suffix at all: one byte scan settles them.
    if !sym.as_bytes().contains(&b'.') {
        return sym;
    }
    // ppc64 ELFv1 names a function's code `.name` (its descriptor is
    // `name`): the source function is `name`.
    let mut s = match sym.strip_prefix('.') {
        Some(r)
            if r.bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') =>
        {
            r
        }
        _ => sym,
    };
    loop {
        // Strip one trailing `.N` numeric component if preceded by a suffix.
        let mut t = s;
        if let Some(dot) = t.rfind('.') {
            if dot + 1 < t.len() && t[dot + 1..].bytes().all(|c| c.is_ascii_digit()) {
                t = &t[..dot];
            }
        }
        let mut stripped = false;
        if let Some(dot) = t.rfind('.') {
            if SUFFIXES.contains(&&t[dot + 1..]) && dot > 0 {
                s = &t[..dot];
                stripped = true;
            }
        }
        if !stripped {
            return s;
        }
    }
}

/// What kind of code a frame is. Every class but [`FrameClass::Other`]
/// and [`FrameClass::Root`] is machinery a bug passes through, not code
/// with the bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameClass {
    /// Lockdep's checking, reporting and annotations, and the irq-state
    /// tracing that feeds it.
    Lockdep,
    /// might_sleep()/might_fault() and the preemption debugging checks.
    SleepCheck,
    /// dump_stack(), WARN()/BUG() plumbing and the other stack printers.
    StackDump,
    /// Lock, unlock and trylock of any lock primitive, and their slow paths.
    LockPrimitive,
    /// The scheduler, completions, workqueue flushes, RCU grace periods,
    /// page waits.
    Wait,
    /// Allocation and free entry points, allocator internals, reclaim hooks.
    Allocator,
    /// KASAN, KMSAN, KCSAN, kmemleak, the stack depot, debugobjects.
    Sanitizer,
    /// Where stacks bottom out: syscall entry, kthread, CPU bring-up.
    Root,
    /// Everything else: the code under suspicion.
    Other,
}

impl FrameClass {
    /// True for frames that are locking, allocation, lockdep, stack-dump,
    /// wait or sanitizer machinery: the bug is in whoever called them.
    pub fn is_machinery(self) -> bool {
        match self {
            FrameClass::Lockdep
            | FrameClass::SleepCheck
            | FrameClass::StackDump
            | FrameClass::LockPrimitive
            | FrameClass::Wait
            | FrameClass::Allocator
            | FrameClass::Sanitizer => true,
            FrameClass::Root | FrameClass::Other => false,
        }
    }

    /// True for the frames a report's own printing adds (lockdep, the
    /// sleep checks, stack dumping): what renderers fold away.
    pub fn is_reporting(self) -> bool {
        match self {
            FrameClass::Lockdep | FrameClass::SleepCheck | FrameClass::StackDump => true,
            FrameClass::LockPrimitive
            | FrameClass::Wait
            | FrameClass::Allocator
            | FrameClass::Sanitizer
            | FrameClass::Root
            | FrameClass::Other => false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    class: FrameClass,
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sets {
    terminal: Vec<String>,
    has_callers: Vec<String>,
    vmalloc_entry: Vec<String>,
    inode_reclaim: Vec<String>,
    rt_lock_prefixes: Vec<String>,
    irq_enable_trace: Vec<String>,
    task_exit: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LockClasses {
    xfs_inode_lock: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    class: Vec<Row>,
    sets: Sets,
    lock_classes: LockClasses,
}

struct Table {
    exact: HashMap<String, FrameClass>,
    /// Every prefix, longest match first, anchored at the name's start.
    prefixes: AhoCorasick,
    prefix_class: Vec<FrameClass>,
    terminal: HashSet<String>,
    has_callers: HashSet<String>,
    vmalloc_entry: HashSet<String>,
    inode_reclaim: HashSet<String>,
    rt_lock_prefixes: Vec<String>,
    irq_enable_trace: HashSet<String>,
    task_exit: HashSet<String>,
    xfs_inode_lock: Vec<String>,
}

fn parse_table(text: &str) -> Result<Table, String> {
    let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut exact = HashMap::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut prefix_class = Vec::new();
    for row in &f.class {
        for name in &row.exact {
            if let Some(old) = exact.insert(name.clone(), row.class) {
                return Err(format!("{name} is both {old:?} and {:?}", row.class));
            }
        }
        for p in &row.prefixes {
            if let Some(i) = prefixes.iter().position(|q| q == p) {
                return Err(format!(
                    "prefix {p} is both {:?} and {:?}",
                    prefix_class[i], row.class
                ));
            }
            prefixes.push(p.clone());
            prefix_class.push(row.class);
        }
    }
    let set = |v: &[String]| v.iter().cloned().collect::<HashSet<_>>();
    let s = &f.sets;
    let t = Table {
        exact,
        prefixes: AhoCorasick::builder()
            .start_kind(StartKind::Anchored)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&prefixes)
            .map_err(|e| e.to_string())?,
        prefix_class,
        terminal: set(&s.terminal),
        has_callers: set(&s.has_callers),
        vmalloc_entry: set(&s.vmalloc_entry),
        inode_reclaim: set(&s.inode_reclaim),
        rt_lock_prefixes: s.rt_lock_prefixes.clone(),
        irq_enable_trace: set(&s.irq_enable_trace),
        task_exit: set(&s.task_exit),
        xfs_inode_lock: f.lock_classes.xfs_inode_lock,
    };
    for name in t.terminal.iter().chain(&t.has_callers) {
        if t.class(name) != FrameClass::Root {
            return Err(format!("{name} is in a root set but not of class root"));
        }
    }
    Ok(t)
}

impl Table {
    fn class(&self, name: &str) -> FrameClass {
        // Memory allocation profiling (6.10) renamed the allocators' real
        // bodies `*_noprof` behind alloc_hooks() macros
        // (include/linux/alloc_tag.h): kzalloc_noprof is kzalloc.
        let name = name.strip_suffix("_noprof").unwrap_or(name);
        if let Some(c) = self.exact.get(name) {
            return *c;
        }
        self.prefixes
            .find(Input::new(name).anchored(Anchored::Yes))
            .map_or(FrameClass::Other, |m| {
                self.prefix_class[m.pattern().as_usize()]
            })
    }
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| parse_table(include_str!("data/frames.toml")).expect("frames.toml parses"))
}

/// The class of the frame whose base name is `name`.
pub fn class_of(name: &str) -> FrameClass {
    table().class(name)
}

/// The first frame of a stack (innermost first) that is the code under
/// suspicion rather than machinery: the first reliable frame outside
/// locking primitives and waits, lockdep and the sleep checks, the
/// allocator and sanitizers, and stack dumping. For a saved lockdep stack
/// this is the function that took the lock; for an allocation, the caller
/// that allocated.
pub fn first_interesting(frames: &[Frame]) -> Option<&Frame> {
    frames
        .iter()
        .find(|f| f.reliable && !class_of(&f.base).is_machinery())
}

/// Where a stack printed from lockdep shows an interrupt (or bottom halves)
/// being enabled with locks held, rather than a lock being taken: the
/// stack runs through `mark_held_locks()` under the irq-on tracing. Gives
/// the frame that enabled them (the first one past the tracing: an
/// `_raw_spin_unlock_irq`, a `local_irq_enable`) and the first frame
/// outside machinery (the code that did it); `None` for an acquisition.
pub fn irq_enabled_at(frames: &[Frame]) -> Option<IrqEnable<'_>> {
    let t = table();
    let reliable: Vec<&Frame> = frames.iter().filter(|f| f.reliable).collect();
    let marks = reliable.iter().position(|f| f.base == "mark_held_locks")?;
    // mark_held_locks must come before the code under suspicion.
    if reliable[..marks]
        .iter()
        .any(|f| !class_of(&f.base).is_machinery())
    {
        return None;
    }
    let past = reliable[marks..]
        .iter()
        .position(|f| !t.irq_enable_trace.contains(f.base.as_str()))
        .map(|i| i + marks)?;
    let by = reliable[past];
    let code = reliable[past..]
        .iter()
        .find(|f| !class_of(&f.base).is_machinery())
        .copied();
    Some(IrqEnable { by, code })
}

/// See [`irq_enabled_at`].
#[derive(Debug, Clone, Copy)]
pub struct IrqEnable<'a> {
    /// The frame that enabled interrupts (`_raw_spin_unlock_irq`).
    pub by: &'a Frame,
    /// The first frame outside machinery at or below it.
    pub code: Option<&'a Frame>,
}

/// A function stacks bottom out in (syscall entry, kthread start, CPU
/// bring-up): a trace that reached it is whole.
pub fn is_root(name: &str) -> bool {
    class_of(name) == FrameClass::Root
}

/// The very last frame of a stack: nothing is printed below it (unlike
/// `do_syscall_64` or `kthread`, which have callers).
pub fn is_terminal(name: &str) -> bool {
    table().terminal.contains(name)
}

/// A root below which a stack always prints one more frame: a trace that
/// ends on one was cut.
pub fn root_has_callers(name: &str) -> bool {
    table().has_callers.contains(name)
}

/// Lockdep's checking/reporting frames, the sleep checks, the stack
/// dumper, WARN plumbing: the frames a report's printing adds
/// ([`FrameClass::is_reporting`]).
pub fn is_lockdep_internal(base: &str) -> bool {
    class_of(base).is_reporting()
}

/// Lock, wait and flush primitives.
pub fn is_lock_primitive(base: &str) -> bool {
    matches!(class_of(base), FrameClass::LockPrimitive | FrameClass::Wait)
}

/// Allocator internals (and the sanitizers inside them) between an
/// allocation site and fs_reclaim.
pub fn is_allocator_internal(base: &str) -> bool {
    matches!(
        class_of(base),
        FrameClass::Allocator | FrameClass::Sanitizer
    )
}

/// PREEMPT_RT's sleeping spinlocks and the rt-mutex slow paths.
pub fn is_rt_lock(base: &str) -> bool {
    table()
        .rt_lock_prefixes
        .iter()
        .any(|p| base.starts_with(p.as_str()))
}

/// A vmalloc entry point whose caller passes the gfp mask.
pub fn is_vmalloc_entry(base: &str) -> bool {
    table().vmalloc_entry.contains(base)
}

/// Inode reclaim or eviction (generic and XFS), or kswapd.
pub fn is_inode_reclaim(base: &str) -> bool {
    table().inode_reclaim.contains(base)
}

/// A frame of task exit (`do_exit` and the functions that print in its
/// place), from frames.toml `sets.task_exit`.
pub fn is_task_exit(base: &str) -> bool {
    table().task_exit.contains(base)
}

/// An XFS inode lock class name.
pub fn is_xfs_inode_lock(class: &str) -> bool {
    table()
        .xfs_inode_lock
        .iter()
        .any(|c| class.contains(c.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        use FrameClass::*;
        for (name, class) in [
            ("__lock_acquire", Lockdep),
            ("lockdep_hardirqs_on", Lockdep),
            ("lock_acquired", Lockdep),
            ("__might_fault", SleepCheck),
            ("might_sleep", SleepCheck),
            ("dump_stack_lvl", StackDump),
            ("_raw_spin_lock_irqsave", LockPrimitive),
            ("down_write_nested", LockPrimitive),
            ("down", LockPrimitive),
            ("ww_mutex_lock_interruptible", LockPrimitive),
            ("rwsem_down_write_slowpath", LockPrimitive),
            ("percpu_down_write", LockPrimitive),
            ("write_seqcount_begin", LockPrimitive),
            ("rt_mutex_slowlock", LockPrimitive),
            ("__irq_get_desc_lock", LockPrimitive),
            ("rcu_read_lock_held", Lockdep),
            ("rcu_read_lock", LockPrimitive),
            ("flush_work", Wait),
            ("wait_for_completion_killable", Wait),
            ("kmem_cache_alloc_node", Allocator),
            ("fs_reclaim_acquire", Allocator),
            ("__kasan_slab_alloc", Sanitizer),
            ("kmemleak_alloc", Sanitizer),
            ("do_syscall_64", Root),
            ("xfs_ilock", Other),
            ("gfs2_alloc_sort_buffer", Other),
            ("download_firmware", Other),
            ("", Other),
        ] {
            assert_eq!(class_of(name), class, "{name}");
        }
        assert!(is_vmalloc_entry("__vmalloc") && !is_vmalloc_entry("vmalloc_to_page"));
        assert!(is_inode_reclaim("xfs_reclaim_inode") && is_inode_reclaim("evict"));
        assert!(
            is_xfs_inode_lock("&xfs_nondir_ilock_class") && !is_xfs_inode_lock("&ip->i_rw_mutex")
        );
        assert!(is_terminal("ret_from_fork") && !is_terminal("kthread"));
        assert!(root_has_callers("kthread") && is_root("kthread"));
        assert!(is_rt_lock("rt_spin_lock") && !is_rt_lock("_raw_spin_lock"));
    }

    #[test]
    fn a_name_in_two_classes_is_refused() {
        let doubled = include_str!("data/frames.toml").replace(
            "exact = [\"check_memory_region\"",
            "exact = [\"lock_acquire\", \"check_memory_region\"",
        );
        let err = parse_table(&doubled)
            .err()
            .expect("a doubled name is an error");
        assert!(err.contains("lock_acquire"), "{err}");
    }

    #[test]
    fn first_interesting_skips_machinery() {
        let frames: Vec<Frame> = [
            "lock_acquire",
            "_raw_spin_lock",
            "__kmalloc",
            "dump_stack",
            "foo_bar",
        ]
        .iter()
        .map(|n| Frame::named(n))
        .collect();
        assert_eq!(
            first_interesting(&frames).map(|f| f.base.as_str()),
            Some("foo_bar")
        );
        assert_eq!(first_interesting(&frames[..4]), None);
    }
}
