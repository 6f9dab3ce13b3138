//! Task flags (`PF_*`) that change an allocation, and the version rules
//! that combine them with a GFP mask.
//!
//! Three questions decide whether a lockdep reclaim report describes a
//! deadlock that can happen:
//!
//! * which mask reclaim really sees: [`current_gfp_context`] applies the
//!   task's `memalloc_noio/nofs/pin` scopes;
//! * whether lockdep *records* the allocation as entering FS reclaim:
//!   [`need_fs_reclaim`] / [`reclaim_annotation`];
//! * whether the allocation *can* enter direct reclaim at all:
//!   [`direct_reclaim_possible`] (a `PF_MEMALLOC` task never does, whatever
//!   the mask: `__alloc_pages_slowpath()` "Avoid recursion of direct
//!   reclaim", present in every version checked, 4.4 to 6.18).
//!
//! When lockdep records what cannot happen, the report is a false positive:
//! the seed case (4.15, Dave Jones' `fs_reclaim` recursion) is a reclaimer
//! running with `PF_MEMALLOC` whose nested allocation carried
//! `__GFP_NOMEMALLOC`, which 4.14's `__need_fs_reclaim()` took as "will
//! reclaim" although `PF_MEMALLOC` forbids it.
//!
//! How lockdep has tracked reclaim, per era (the table is
//! [`LOCKDEP_RECLAIM_RULES`]):
//!
//! * up to 4.13, a third usage state `RECLAIM_FS` next to HARDIRQ/SOFTIRQ:
//!   `lockdep_trace_alloc(gfp)` runs on every allocation and, when the mask
//!   could reclaim into filesystems, marks every held lock `RECLAIM_FS-ON`;
//!   reclaimers (`__perform_reclaim`, kswapd, ...) set
//!   `current->lockdep_reclaim_gfp`, and every lock taken meanwhile under a
//!   `__GFP_FS` mask is marked `IN-RECLAIM_FS`. Reports read
//!   `inconsistent {RECLAIM_FS-ON-W} -> {IN-RECLAIM_FS-W} usage`. Until
//!   4.11 the task's `memalloc_noio` scope was ignored (false positives);
//!   4.12 applied `current_gfp_context()` and added `__GFP_NOLOCKDEP`;
//! * from 4.14 (d92a8cfcb37e), a fake lock `fs_reclaim`: an allocation that
//!   may reclaim into filesystems acquires and releases it; reclaimers hold
//!   it. `PF_MEMALLOC` exempted the allocation only without
//!   `__GFP_NOMEMALLOC` until the 2018 fix made `PF_MEMALLOC` exempt it
//!   always;
//! * later (5.15 verified, believed 5.11), `__need_reclaim()` no longer
//!   tests `__GFP_FS` itself: a blocking allocation also primes the
//!   `mmu_notifier_invalidate_range_start` map, and only `__GFP_FS` ones
//!   take `fs_reclaim`. `might_alloc()` (5.15 verified) wraps both.
//!
//! Versions: "verified" below names the source trees of kernel-facts.md
//! section 0.1 (K4.4 ...); "believed" marks a first release that was not
//! checked in a tree of that exact release.

use std::fmt;

use super::gfp::{GfpFlag, GfpMask};
use super::version::KernelVersion;

const fn kv(major: u32, minor: u32) -> KernelVersion {
    KernelVersion::release(major, minor)
}

/// A task flag that matters to the allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskFlag {
    /// `PF_MEMALLOC`: the task is reclaiming (or serving reclaim): it may
    /// use all reserves and never enters direct reclaim again.
    Memalloc,
    /// `PF_MEMALLOC_NOFS` (4.12+): a `memalloc_nofs_save()` scope.
    MemallocNofs,
    /// `PF_MEMALLOC_NOIO`: a `memalloc_noio_save()` scope.
    MemallocNoio,
    /// `PF_MEMALLOC_PIN` (5.12+, believed), called `PF_MEMALLOC_NOCMA` in
    /// 5.1-5.11: no movable/CMA pages.
    MemallocPin,
    /// `PF_KSWAPD`: the task is kswapd.
    Kswapd,
    /// `PF_FSTRANS` (up to 4.11): XFS transaction; only XFS's own
    /// allocation wrappers looked at it.
    Fstrans,
}

impl TaskFlag {
    /// Every flag, in declaration order.
    pub const ALL: [TaskFlag; 6] = [
        TaskFlag::Memalloc,
        TaskFlag::MemallocNofs,
        TaskFlag::MemallocNoio,
        TaskFlag::MemallocPin,
        TaskFlag::Kswapd,
        TaskFlag::Fstrans,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The name in current kernels (`PF_MEMALLOC_PIN`).
    pub fn name(self) -> &'static str {
        match self {
            TaskFlag::Memalloc => "PF_MEMALLOC",
            TaskFlag::MemallocNofs => "PF_MEMALLOC_NOFS",
            TaskFlag::MemallocNoio => "PF_MEMALLOC_NOIO",
            TaskFlag::MemallocPin => "PF_MEMALLOC_PIN",
            TaskFlag::Kswapd => "PF_KSWAPD",
            TaskFlag::Fstrans => "PF_FSTRANS",
        }
    }

    /// The row of [`PF_VALUES`] for this flag on `version`, if the kernel
    /// has it.
    pub fn definition(self, version: KernelVersion) -> Option<&'static PfValue> {
        let v = version.without_patch();
        PF_VALUES
            .iter()
            .find(|r| r.flag == self && r.since <= v && r.until.is_none_or(|u| v < u))
    }

    /// The flag's `#define` value on `version`.
    pub fn value(self, version: KernelVersion) -> Option<u32> {
        self.definition(version).map(|r| r.value)
    }
}

/// One `#define PF_X value` and the releases it holds for.
#[derive(Debug)]
pub struct PfValue {
    /// The flag this row defines.
    pub flag: TaskFlag,
    /// First release with this value.
    pub since: KernelVersion,
    /// First release without it.
    pub until: Option<KernelVersion>,
    /// The name the kernel of these releases uses (`PF_FSTRANS`,
    /// `PF_MEMALLOC_NOCMA`, ...).
    pub name: &'static str,
    /// The `#define` value.
    pub value: u32,
    /// Where the value was read (file and releases).
    pub source: &'static str,
}

/// `PF_*` values from include/linux/sched.h. Versions before 4.4 are not
/// modelled (4.4 is the oldest tree read).
pub const PF_VALUES: &[PfValue] = &[
    PfValue {
        flag: TaskFlag::Memalloc,
        since: kv(4, 4),
        until: None,
        name: "PF_MEMALLOC",
        value: 0x800,
        source: "include/linux/sched.h, same value in K4.4 ... K6.18",
    },
    PfValue {
        flag: TaskFlag::Fstrans,
        since: kv(4, 4),
        until: Some(kv(4, 12)),
        name: "PF_FSTRANS",
        value: 0x20000,
        source: "include/linux/sched.h K4.4, K4.11; gone in K4.12 (became PF_MEMALLOC_NOFS)",
    },
    PfValue {
        flag: TaskFlag::Kswapd,
        since: kv(4, 4),
        until: Some(kv(4, 12)),
        name: "PF_KSWAPD",
        value: 0x40000,
        source: "include/linux/sched.h K4.4, K4.10",
    },
    PfValue {
        flag: TaskFlag::Kswapd,
        since: kv(4, 12),
        until: None,
        name: "PF_KSWAPD",
        value: 0x20000,
        source: "include/linux/sched.h K4.12 ... K6.18",
    },
    PfValue {
        flag: TaskFlag::MemallocNofs,
        since: kv(4, 12),
        until: None,
        name: "PF_MEMALLOC_NOFS",
        value: 0x40000,
        source: "include/linux/sched.h K4.12 ... K6.18 (absent in K4.11)",
    },
    PfValue {
        flag: TaskFlag::MemallocNoio,
        since: kv(4, 4),
        until: None,
        name: "PF_MEMALLOC_NOIO",
        value: 0x80000,
        source: "include/linux/sched.h K4.4 ... K6.18",
    },
    PfValue {
        flag: TaskFlag::MemallocPin,
        since: kv(5, 1),
        until: Some(kv(5, 12)),
        name: "PF_MEMALLOC_NOCMA",
        value: 0x10000000,
        source: "include/linux/sched.h K5.2, K5.4, K5.10; absent in K5.0 (5.1 believed)",
    },
    PfValue {
        flag: TaskFlag::MemallocPin,
        since: kv(5, 12),
        until: None,
        name: "PF_MEMALLOC_PIN",
        value: 0x10000000,
        source: "include/linux/sched.h K5.15 ... K6.18 (rename from NOCMA believed 5.12)",
    },
];

/// A set of [`TaskFlag`]s.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TaskFlags(u8);

impl TaskFlags {
    /// The empty set.
    pub const fn empty() -> Self {
        TaskFlags(0)
    }

    /// The set of `flags`.
    pub fn of(flags: &[TaskFlag]) -> Self {
        flags.iter().fold(Self::empty(), |s, &f| s.with(f))
    }

    /// Whether `flag` is in the set.
    pub fn contains(self, flag: TaskFlag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set with `flag` added.
    pub fn with(self, flag: TaskFlag) -> Self {
        TaskFlags(self.0 | flag.bit())
    }

    /// The set with `flag` removed.
    pub fn without(self, flag: TaskFlag) -> Self {
        TaskFlags(self.0 & !flag.bit())
    }

    /// Add `flag`.
    pub fn insert(&mut self, flag: TaskFlag) {
        *self = self.with(flag);
    }

    /// Remove `flag`.
    pub fn remove(&mut self, flag: TaskFlag) {
        *self = self.without(flag);
    }

    /// The flags in the set, in [`TaskFlag::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = TaskFlag> {
        TaskFlag::ALL.into_iter().filter(move |&f| self.contains(f))
    }

    /// The modelled flags set in a raw `task->flags` value (as 6.14+
    /// hung-task dumps print it: `task_flags:0x...`). Other bits are
    /// ignored.
    pub fn from_raw(raw: u32, version: KernelVersion) -> Self {
        TaskFlag::ALL
            .into_iter()
            .filter(|f| f.value(version).is_some_and(|v| raw & v != 0))
            .fold(Self::empty(), |s, f| s.with(f))
    }

    /// The raw bits of these flags on `version` (flags the kernel lacks
    /// contribute nothing).
    pub fn to_raw(self, version: KernelVersion) -> u32 {
        self.iter()
            .filter_map(|f| f.value(version))
            .fold(0, |a, v| a | v)
    }

    /// `PF_MEMALLOC|PF_MEMALLOC_NOFS` with the names `version` used.
    pub fn names(self, version: KernelVersion) -> String {
        let names: Vec<&str> = self
            .iter()
            .map(|f| f.definition(version).map_or(f.name(), |d| d.name))
            .collect();
        names.join("|")
    }
}

impl fmt::Debug for TaskFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskFlags({self})")
    }
}

impl fmt::Display for TaskFlags {
    /// Current names joined by `|`, or `0` for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("0");
        }
        let names: Vec<&str> = self.iter().map(TaskFlag::name).collect();
        f.write_str(&names.join("|"))
    }
}

/// How `current_gfp_context()` (up to 4.11: `memalloc_noio_flags()`)
/// rewrites a mask, from a release on.
#[derive(Debug)]
pub struct ContextRule {
    /// First release the rule is believed to hold for.
    pub since: KernelVersion,
    /// First release it was checked in (later than `since` when the
    /// change was only bracketed between two trees).
    pub first_verified: KernelVersion,
    /// `PF_MEMALLOC_NOFS` clears `__GFP_FS` (NOIO, which clears
    /// `__GFP_IO|__GFP_FS`, wins when both are set; NOIO is honoured in
    /// every modelled release).
    pub nofs: bool,
    /// `PF_MEMALLOC_PIN` (`NOCMA` in 5.1-5.4, with CONFIG_CMA) clears
    /// `__GFP_MOVABLE`.
    pub pin_clears_movable: bool,
    /// Where the rule was read (function, file and releases).
    pub source: &'static str,
}

/// The `current_gfp_context()` rules, oldest first.
pub const CONTEXT_RULES: &[ContextRule] = &[
    ContextRule {
        since: kv(4, 4),
        first_verified: kv(4, 4),
        nofs: false,
        pin_clears_movable: false,
        source: "memalloc_noio_flags(), include/linux/sched.h K4.4, K4.10: \
                 PF_MEMALLOC_NOIO clears __GFP_IO|__GFP_FS",
    },
    ContextRule {
        since: kv(4, 12),
        first_verified: kv(4, 12),
        nofs: true,
        pin_clears_movable: false,
        source: "current_gfp_context(), include/linux/sched/mm.h K4.12, K4.19, K5.0",
    },
    ContextRule {
        since: kv(5, 1),
        first_verified: kv(5, 2),
        nofs: true,
        pin_clears_movable: true,
        source: "include/linux/sched/mm.h K5.2, K5.4 (PF_MEMALLOC_NOCMA, CONFIG_CMA); \
                 absent in K5.0, 5.1 believed",
    },
    ContextRule {
        since: kv(5, 10),
        first_verified: kv(5, 10),
        nofs: true,
        pin_clears_movable: false,
        source: "include/linux/sched/mm.h K5.10: NOIO/NOFS only; NOCMA moved to \
                 current_alloc_flags() in mm/page_alloc.c (changed in 5.5-5.10, \
                 exact release unverified)",
    },
    ContextRule {
        since: kv(5, 12),
        first_verified: kv(5, 15),
        nofs: true,
        pin_clears_movable: true,
        source: "include/linux/sched/mm.h K5.15, K6.1, K6.6, K6.12, K6.18 \
                 (PF_MEMALLOC_PIN; 5.12 believed)",
    },
];

/// How lockdep learns about reclaim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimTracking {
    /// Up to 4.13: the `RECLAIM_FS` usage state; an allocation marks every
    /// held lock `RECLAIM_FS-ON`.
    ReclaimFsState,
    /// 4.14+: the fake lock `fs_reclaim`; an allocation acquires and
    /// releases it.
    FsReclaimLock,
}

/// When `PF_MEMALLOC` exempts an allocation from the annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemallocExemption {
    /// `(current->flags & PF_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC)`.
    UnlessNomemalloc,
    /// `current->flags & PF_MEMALLOC`, whatever the mask.
    Always,
}

/// The lockdep reclaim annotation of one era.
#[derive(Debug)]
pub struct LockdepReclaimRule {
    /// First release the rule is believed to hold for.
    pub since: KernelVersion,
    /// First release it was checked in (later than `since` when the
    /// change was only bracketed between two trees).
    pub first_verified: KernelVersion,
    /// How lockdep records reclaim in this era (the `RECLAIM_FS` state or the
    /// `fs_reclaim` map).
    pub tracking: ReclaimTracking,
    /// The mask is passed through `current_gfp_context()` first.
    pub applies_context: bool,
    /// When `PF_MEMALLOC` exempts an allocation.
    pub memalloc: MemallocExemption,
    /// `__GFP_NOLOCKDEP` disables the annotation.
    pub honours_nolockdep: bool,
    /// A blocking allocation also primes
    /// `mmu_notifier_invalidate_range_start` (with CONFIG_MMU_NOTIFIER),
    /// whether or not it has `__GFP_FS`.
    pub primes_mmu_notifier: bool,
    /// The kernel function that decides.
    pub function: &'static str,
    /// What changed in this release, for users: public references only
    /// (commit id and subject, or the patch's subject and list).
    pub change: &'static str,
    /// Where the rule was read (function, file and releases).
    pub source: &'static str,
}

/// The lockdep reclaim rules, oldest first.
pub const LOCKDEP_RECLAIM_RULES: &[LockdepReclaimRule] = &[
    LockdepReclaimRule {
        since: KernelVersion::new(2, 6, 29),
        first_verified: kv(4, 4),
        tracking: ReclaimTracking::ReclaimFsState,
        applies_context: false,
        memalloc: MemallocExemption::UnlessNomemalloc,
        honours_nolockdep: false,
        primes_mmu_notifier: false,
        function: "lockdep_trace_alloc",
        change: "lockdep tracks reclaim with the RECLAIM_FS usage state (cf40bd16fdad lockdep: annotate reclaim context (__GFP_NOFS), believed 2.6.29)",
        source: "kernel/locking/lockdep.c __lockdep_trace_alloc() K4.4, K4.10; \
                 before 4.4 the same tests with __GFP_WAIT for \
                 __GFP_DIRECT_RECLAIM (the 4.4 rename patch changes only that \
                 line); RECLAIM_FS state from cf40bd16fdad (lockdep: annotate \
                 reclaim context (__GFP_NOFS)), first release believed 2.6.29",
    },
    LockdepReclaimRule {
        since: kv(4, 12),
        first_verified: kv(4, 12),
        tracking: ReclaimTracking::ReclaimFsState,
        applies_context: true,
        memalloc: MemallocExemption::UnlessNomemalloc,
        honours_nolockdep: true,
        primes_mmu_notifier: false,
        function: "lockdep_trace_alloc",
        change: "lockdep applies the task's NOIO/NOFS scope and honours __GFP_NOLOCKDEP (6d7225f0cc1a lockdep: teach lockdep about memalloc_noio_save; 7e7844226f10 lockdep: allow to disable reclaim lockup detection)",
        source: "kernel/locking/lockdep.c K4.12, K4.13; 6d7225f0cc1a (lockdep: teach \
                 lockdep about memalloc_noio_save), 7e7844226f10 (__GFP_NOLOCKDEP)",
    },
    LockdepReclaimRule {
        since: kv(4, 14),
        first_verified: kv(4, 14),
        tracking: ReclaimTracking::FsReclaimLock,
        applies_context: true,
        memalloc: MemallocExemption::UnlessNomemalloc,
        honours_nolockdep: true,
        primes_mmu_notifier: false,
        function: "__need_fs_reclaim",
        change: "lockdep tracks reclaim with the fs_reclaim lock, and a PF_MEMALLOC task is exempt only without __GFP_NOMEMALLOC (d92a8cfcb37e locking/lockdep: Rework FS_RECLAIM annotation)",
        source: "mm/page_alloc.c __need_fs_reclaim() K4.14, K4.15 (d92a8cfcb37e \
                 locking/lockdep: Rework FS_RECLAIM annotation)",
    },
    LockdepReclaimRule {
        since: kv(4, 16),
        first_verified: kv(4, 17),
        tracking: ReclaimTracking::FsReclaimLock,
        applies_context: true,
        memalloc: MemallocExemption::Always,
        honours_nolockdep: true,
        primes_mmu_notifier: false,
        function: "__need_fs_reclaim",
        change: "a PF_MEMALLOC task is exempt from the fs_reclaim annotation whatever its mask (Tetsuo Handa, lockdep: fix fs_reclaim warning, 2018; believed in 4.16, present in 4.17)",
        source: "Tetsuo Handa, lockdep: Fix fs_reclaim warning (v2, linux-mm \
                 2018-02-08); present in K4.17, K4.19, K5.4, K5.10, absent in K4.15 \
                 (4.15.1); commit believed 2e517d681632. Release 4.16 by \
                 akpm's queue: listed among the fixes against 4.16-rc4 in the \
                 mmotm 2018-03-09-16-34 announcement and gone, with that batch, \
                 from mmotm 2018-03-28-16-05 (against 4.16-rc7) while the 4.17 \
                 queue stayed; not yet checked in a v4.16 tree",
    },
    LockdepReclaimRule {
        since: kv(5, 11),
        first_verified: kv(5, 15),
        tracking: ReclaimTracking::FsReclaimLock,
        applies_context: true,
        memalloc: MemallocExemption::Always,
        honours_nolockdep: true,
        primes_mmu_notifier: true,
        function: "__need_reclaim",
        change: "blocking allocations also prime mmu_notifier_invalidate_range_start and only __GFP_FS ones take fs_reclaim (__need_reclaim(); believed 5.11, present in 5.15)",
        source: "mm/page_alloc.c __need_reclaim(), fs_reclaim_acquire() K5.15, K6.1, \
                 K6.6, K6.12, K6.18; absent in K5.10 (5.11 believed)",
    },
];

fn newest_rule<T>(
    rules: &'static [T],
    since: impl Fn(&T) -> KernelVersion,
    v: KernelVersion,
) -> &'static T {
    let v = v.without_patch();
    rules
        .iter()
        .rev()
        .find(|r| since(r) <= v)
        .unwrap_or(&rules[0])
}

/// The `current_gfp_context()` rule for `version` (the oldest for older
/// versions).
pub fn context_rule(version: KernelVersion) -> &'static ContextRule {
    newest_rule(CONTEXT_RULES, |r| r.since, version)
}

/// The lockdep reclaim rules that changed between two versions (either
/// order): each rule whose first release is after the older version and
/// not after the newer one, oldest first.
pub fn lockdep_changes_between(
    a: KernelVersion,
    b: KernelVersion,
) -> Vec<&'static LockdepReclaimRule> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let (lo, hi) = (lo.without_patch(), hi.without_patch());
    LOCKDEP_RECLAIM_RULES
        .iter()
        .filter(|r| r.since > lo && r.since <= hi)
        .collect()
}

/// Whether lockdep on `version` tracks reclaim at all: before the
/// `RECLAIM_FS` state (believed 2.6.29) it did not.
pub fn lockdep_tracks_reclaim(version: KernelVersion) -> bool {
    version.without_patch() >= LOCKDEP_RECLAIM_RULES[0].since
}

/// The lockdep reclaim rule for `version` (the oldest for older versions,
/// see [`lockdep_tracks_reclaim`]).
pub fn lockdep_rule(version: KernelVersion) -> &'static LockdepReclaimRule {
    newest_rule(LOCKDEP_RECLAIM_RULES, |r| r.since, version)
}

/// The mask reclaim decisions see: `gfp` rewritten by the task's
/// NOIO / NOFS / PIN scopes, as `version` does it. `PF_MEMALLOC` does not
/// change the mask; it is tested separately.
pub fn current_gfp_context(gfp: GfpMask, flags: TaskFlags, version: KernelVersion) -> GfpMask {
    let rule = context_rule(version);
    let mut out = gfp;
    if flags.contains(TaskFlag::MemallocNoio) {
        out = out.without(GfpFlag::Io).without(GfpFlag::Fs);
    } else if rule.nofs && flags.contains(TaskFlag::MemallocNofs) {
        out = out.without(GfpFlag::Fs);
    }
    if rule.pin_clears_movable && flags.contains(TaskFlag::MemallocPin) {
        out = out.without(GfpFlag::Movable);
    }
    out
}

/// Why lockdep did not record an allocation as entering FS reclaim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimSkip {
    /// No `__GFP_DIRECT_RECLAIM` (after the task's scopes).
    NoDirectReclaim,
    /// The task has `PF_MEMALLOC` (and, before the 2018 fix, the mask
    /// lacks `__GFP_NOMEMALLOC`).
    Memalloc,
    /// No `__GFP_FS` (after the task's scopes).
    NoFs,
    /// `__GFP_NOLOCKDEP`.
    Nolockdep,
}

impl ReclaimSkip {
    /// Why the annotation was skipped, in words (`no __GFP_FS`).
    pub fn describe(self) -> &'static str {
        match self {
            ReclaimSkip::NoDirectReclaim => "no __GFP_DIRECT_RECLAIM",
            ReclaimSkip::Memalloc => "the task has PF_MEMALLOC",
            ReclaimSkip::NoFs => "no __GFP_FS",
            ReclaimSkip::Nolockdep => "__GFP_NOLOCKDEP",
        }
    }
    /// [`ReclaimSkip::describe`] with the flag names of `mask`'s kernel:
    /// up to 4.3 the direct-reclaim bit was `__GFP_WAIT`.
    pub fn describe_for(self, mask: GfpMask) -> &'static str {
        match self {
            ReclaimSkip::NoDirectReclaim
                if mask.layout().value(GfpFlag::DirectReclaim).is_none()
                    && mask.layout().value(GfpFlag::Wait).is_some() =>
            {
                "no __GFP_WAIT"
            }
            other => other.describe(),
        }
    }
}

/// What lockdep records for one allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReclaimAnnotation {
    /// How lockdep records reclaim on the kernel in question.
    pub tracking: ReclaimTracking,
    /// The allocation is recorded as able to enter FS reclaim
    /// (`fs_reclaim` acquired and released, or held locks marked
    /// `RECLAIM_FS-ON`).
    pub fs_reclaim: bool,
    /// `mmu_notifier_invalidate_range_start` is primed (5.11+).
    pub mmu_notifier: bool,
    /// Why `fs_reclaim` is false.
    pub skipped: Option<ReclaimSkip>,
    /// The mask lockdep tested (after `current_gfp_context()` where the
    /// rule applies it).
    pub effective: GfpMask,
}

/// What lockdep's reclaim annotation does for an allocation of `gfp` by a
/// task with `flags` on `version`.
pub fn reclaim_annotation(
    gfp: GfpMask,
    flags: TaskFlags,
    version: KernelVersion,
) -> ReclaimAnnotation {
    let rule = lockdep_rule(version);
    let eff = if rule.applies_context {
        current_gfp_context(gfp, flags, version)
    } else {
        gfp
    };
    let memalloc_exempt = flags.contains(TaskFlag::Memalloc)
        && match rule.memalloc {
            MemallocExemption::Always => true,
            MemallocExemption::UnlessNomemalloc => !eff.no_memalloc(),
        };
    let nolockdep = rule.honours_nolockdep && eff.nolockdep();
    // The kernel tests in this order; the first failing test is the reason.
    // Since __need_reclaim() the __GFP_FS test comes after the others and
    // only gates fs_reclaim, not the mmu-notifier priming.
    let reclaim_skip = if !eff.may_direct_reclaim() {
        Some(ReclaimSkip::NoDirectReclaim)
    } else if memalloc_exempt {
        Some(ReclaimSkip::Memalloc)
    } else if !rule.primes_mmu_notifier && !eff.may_enter_fs() {
        Some(ReclaimSkip::NoFs)
    } else if nolockdep {
        Some(ReclaimSkip::Nolockdep)
    } else {
        None
    };
    let skipped = match reclaim_skip {
        None if !eff.may_enter_fs() => Some(ReclaimSkip::NoFs),
        other => other,
    };
    ReclaimAnnotation {
        tracking: rule.tracking,
        fs_reclaim: skipped.is_none(),
        mmu_notifier: rule.primes_mmu_notifier && reclaim_skip.is_none(),
        skipped,
        effective: eff,
    }
}

/// Whether lockdep on `version` records an allocation of `gfp` by a task
/// with `flags` as entering FS reclaim: `__need_fs_reclaim()` (4.14+),
/// `__need_reclaim() && __GFP_FS` (5.11+), or the test in
/// `lockdep_trace_alloc()` (up to 4.13).
pub fn need_fs_reclaim(gfp: GfpMask, flags: TaskFlags, version: KernelVersion) -> bool {
    reclaim_annotation(gfp, flags, version).fs_reclaim
}

/// Whether the allocation can enter direct reclaim: the mask (after the
/// task's scopes) allows it and the task is not `PF_MEMALLOC`.
pub fn direct_reclaim_possible(gfp: GfpMask, flags: TaskFlags, version: KernelVersion) -> bool {
    current_gfp_context(gfp, flags, version).may_direct_reclaim()
        && !flags.contains(TaskFlag::Memalloc)
}

/// Whether the allocation can recurse into filesystem reclaim: direct
/// reclaim is possible and the effective mask has `__GFP_FS`. When lockdep
/// records FS reclaim ([`need_fs_reclaim`]) but this is false, the recorded
/// dependency cannot happen.
pub fn fs_reclaim_possible(gfp: GfpMask, flags: TaskFlags, version: KernelVersion) -> bool {
    direct_reclaim_possible(gfp, flags, version)
        && current_gfp_context(gfp, flags, version).may_enter_fs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::gfp;

    fn v(major: u32, minor: u32) -> KernelVersion {
        KernelVersion::release(major, minor)
    }

    fn mask(expr: &str, version: KernelVersion) -> GfpMask {
        gfp::parse(expr, version).unwrap()
    }

    const SEED: &str = "GFP_KERNEL|__GFP_NOMEMALLOC|__GFP_NOWARN";

    #[test]
    fn seed_case_is_annotated_on_4_15_only() {
        let memalloc = TaskFlags::of(&[TaskFlag::Memalloc]);
        let on = |version| need_fs_reclaim(mask(SEED, version), memalloc, version);
        assert!(on(v(4, 14)));
        assert!(on(v(4, 15)));
        // The fix: verified in 4.17.0, believed in 4.16.
        assert!(!on(v(4, 16)));
        assert!(!on(v(4, 17)));
        assert!(!on(v(6, 18)));
        // Before 4.14 the same test lived in lockdep_trace_alloc().
        assert!(on(v(4, 13)));
        let a = reclaim_annotation(mask(SEED, v(4, 13)), memalloc, v(4, 13));
        assert_eq!(a.tracking, ReclaimTracking::ReclaimFsState);
        // And it can never recurse: PF_MEMALLOC forbids direct reclaim.
        for version in [v(4, 15), v(4, 17)] {
            assert!(!direct_reclaim_possible(
                mask(SEED, version),
                memalloc,
                version
            ));
            assert!(!fs_reclaim_possible(mask(SEED, version), memalloc, version));
        }
        let a = reclaim_annotation(mask(SEED, v(4, 17)), memalloc, v(4, 17));
        assert_eq!(a.skipped, Some(ReclaimSkip::Memalloc));
    }

    #[test]
    fn memalloc_without_nomemalloc_was_always_exempt() {
        let memalloc = TaskFlags::of(&[TaskFlag::Memalloc]);
        for version in [v(4, 4), v(4, 15), v(5, 4)] {
            assert!(!need_fs_reclaim(
                mask("GFP_KERNEL", version),
                memalloc,
                version
            ));
            assert!(need_fs_reclaim(
                mask("GFP_KERNEL", version),
                TaskFlags::empty(),
                version
            ));
        }
    }

    #[test]
    fn noio_scope_ignored_by_lockdep_until_4_12() {
        let noio = TaskFlags::of(&[TaskFlag::MemallocNoio]);
        assert!(need_fs_reclaim(
            mask("GFP_KERNEL", v(4, 11)),
            noio,
            v(4, 11)
        ));
        assert!(!need_fs_reclaim(
            mask("GFP_KERNEL", v(4, 12)),
            noio,
            v(4, 12)
        ));
        // ... although reclaim itself honoured it.
        let eff = current_gfp_context(mask("GFP_KERNEL", v(4, 11)), noio, v(4, 11));
        assert_eq!(eff, mask("GFP_NOIO", v(4, 11)));
    }

    #[test]
    fn nofs_scope_and_nolockdep() {
        let nofs = TaskFlags::of(&[TaskFlag::MemallocNofs]);
        assert!(!need_fs_reclaim(
            mask("GFP_KERNEL", v(4, 14)),
            nofs,
            v(4, 14)
        ));
        // No PF_MEMALLOC_NOFS before 4.12: the flag is not honoured.
        assert!(need_fs_reclaim(
            mask("GFP_KERNEL", v(4, 11)),
            nofs,
            v(4, 11)
        ));
        let nld = "GFP_KERNEL|__GFP_NOLOCKDEP";
        for version in [v(4, 12), v(4, 15), v(5, 10), v(6, 18)] {
            let a = reclaim_annotation(mask(nld, version), TaskFlags::empty(), version);
            assert!(!a.fs_reclaim, "{version}");
            assert_eq!(a.skipped, Some(ReclaimSkip::Nolockdep));
        }
    }

    #[test]
    fn mmu_notifier_priming_since_need_reclaim() {
        let none = TaskFlags::empty();
        let a = reclaim_annotation(mask("GFP_NOFS", v(5, 15)), none, v(5, 15));
        assert!(!a.fs_reclaim && a.mmu_notifier);
        assert_eq!(a.skipped, Some(ReclaimSkip::NoFs));
        let a = reclaim_annotation(mask("GFP_NOFS", v(5, 10)), none, v(5, 10));
        assert!(!a.fs_reclaim && !a.mmu_notifier);
        let a = reclaim_annotation(mask("GFP_KERNEL", v(6, 6)), none, v(6, 6));
        assert!(a.fs_reclaim && a.mmu_notifier && a.skipped.is_none());
        let a = reclaim_annotation(mask("GFP_ATOMIC", v(6, 6)), none, v(6, 6));
        assert!(!a.fs_reclaim && !a.mmu_notifier);
        assert_eq!(a.skipped, Some(ReclaimSkip::NoDirectReclaim));
    }

    #[test]
    fn context_per_version() {
        let pin = TaskFlags::of(&[TaskFlag::MemallocPin]);
        let hm = "GFP_HIGHUSER_MOVABLE";
        let cleared =
            |version| !current_gfp_context(mask(hm, version), pin, version).has(GfpFlag::Movable);
        assert!(!cleared(v(5, 0)));
        assert!(cleared(v(5, 4)));
        assert!(!cleared(v(5, 10)));
        assert!(cleared(v(5, 15)));
        assert!(cleared(v(6, 18)));
        let both = TaskFlags::of(&[TaskFlag::MemallocNoio, TaskFlag::MemallocNofs]);
        let eff = current_gfp_context(mask("GFP_KERNEL", v(6, 6)), both, v(6, 6));
        assert_eq!(eff.bits(), mask("GFP_NOIO", v(6, 6)).bits());
        // PF_MEMALLOC does not touch the mask.
        let m = TaskFlags::of(&[TaskFlag::Memalloc]);
        let k = mask("GFP_KERNEL", v(6, 6));
        assert_eq!(current_gfp_context(k, m, v(6, 6)), k);
    }

    #[test]
    fn direct_reclaim() {
        let k = mask("GFP_KERNEL", v(6, 6));
        assert!(direct_reclaim_possible(k, TaskFlags::empty(), v(6, 6)));
        assert!(!direct_reclaim_possible(
            k,
            TaskFlags::of(&[TaskFlag::Memalloc]),
            v(6, 6)
        ));
        let nofs = TaskFlags::of(&[TaskFlag::MemallocNofs]);
        assert!(direct_reclaim_possible(k, nofs, v(6, 6)));
        assert!(!fs_reclaim_possible(k, nofs, v(6, 6)));
        assert!(!direct_reclaim_possible(
            mask("GFP_NOWAIT", v(6, 6)),
            TaskFlags::empty(),
            v(6, 6)
        ));
    }

    #[test]
    fn pf_values_per_version() {
        assert_eq!(TaskFlag::Kswapd.value(v(4, 11)), Some(0x40000));
        assert_eq!(TaskFlag::Kswapd.value(v(4, 12)), Some(0x20000));
        assert_eq!(TaskFlag::MemallocNofs.value(v(4, 11)), None);
        assert_eq!(TaskFlag::Fstrans.value(v(4, 4)), Some(0x20000));
        assert_eq!(TaskFlag::MemallocPin.value(v(5, 0)), None);
        assert_eq!(
            TaskFlag::MemallocPin.definition(v(5, 4)).unwrap().name,
            "PF_MEMALLOC_NOCMA"
        );
        assert_eq!(
            TaskFlag::MemallocPin.definition(v(6, 6)).unwrap().name,
            "PF_MEMALLOC_PIN"
        );
        // 0x40000 is PF_KSWAPD on 4.11 and PF_MEMALLOC_NOFS on 4.12.
        assert_eq!(
            TaskFlags::from_raw(0x40800, v(4, 11)),
            TaskFlags::of(&[TaskFlag::Memalloc, TaskFlag::Kswapd])
        );
        assert_eq!(
            TaskFlags::from_raw(0x40800, v(4, 12)),
            TaskFlags::of(&[TaskFlag::Memalloc, TaskFlag::MemallocNofs])
        );
        let kswapd = TaskFlags::of(&[TaskFlag::Memalloc, TaskFlag::Kswapd]);
        assert_eq!(kswapd.to_raw(v(6, 18)), 0x20800);
        assert_eq!(kswapd.to_string(), "PF_MEMALLOC|PF_KSWAPD");
        assert_eq!(TaskFlags::empty().to_string(), "0");
        let pin = TaskFlags::of(&[TaskFlag::MemallocPin]);
        assert_eq!(pin.names(v(5, 4)), "PF_MEMALLOC_NOCMA");
    }

    #[test]
    fn rule_tables_are_ordered() {
        for w in CONTEXT_RULES.windows(2) {
            assert!(w[0].since < w[1].since);
        }
        for w in LOCKDEP_RECLAIM_RULES.windows(2) {
            assert!(w[0].since < w[1].since);
        }
        for r in LOCKDEP_RECLAIM_RULES {
            assert!(r.first_verified >= r.since);
        }
        for r in CONTEXT_RULES {
            assert!(r.first_verified >= r.since);
        }
        assert_eq!(lockdep_rule(v(4, 15)).function, "__need_fs_reclaim");
        assert_eq!(
            lockdep_rule(v(4, 15)).memalloc,
            MemallocExemption::UnlessNomemalloc
        );
        assert_eq!(lockdep_rule(v(4, 17)).memalloc, MemallocExemption::Always);
        assert_eq!(lockdep_rule(v(3, 10)).since, KernelVersion::new(2, 6, 29));
        assert_eq!(
            lockdep_rule(v(3, 10)).tracking,
            ReclaimTracking::ReclaimFsState
        );
        assert!(lockdep_tracks_reclaim(KernelVersion::new(2, 6, 32)));
        assert!(!lockdep_tracks_reclaim(KernelVersion::new(2, 6, 24)));
        let fix = lockdep_changes_between(v(4, 17), v(4, 15));
        assert_eq!(fix.len(), 1);
        assert_eq!(fix[0].memalloc, MemallocExemption::Always);
        assert!(fix[0].change.contains("lockdep: fix fs_reclaim warning"));
        assert!(lockdep_changes_between(v(4, 16), v(4, 17)).is_empty());
        assert_eq!(lockdep_changes_between(v(4, 4), v(5, 15)).len(), 4);
    }
}
