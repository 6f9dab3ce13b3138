//! One small predicate per rule id, over the typed report and the walk.

use super::{Ctx, Finding};
use crate::kernel::gfp::{self, GfpFlag, GfpLayout};
use crate::kernel::locks::LockType;
use crate::kernel::reclaim::{reach_of, Reach, ReclaimSide};
use crate::kernel::task::TaskFlag;
use crate::kernel::version::KernelVersion;
use crate::model::{Frame, Lock, Report};
use crate::walk::{FsReclaimStep, RulesFrom, TraceWalk, WalkFrame};

type Predicate = fn(&Ctx<'_>) -> Option<Finding>;

const TABLE: &[(&str, Predicate)] = &[
    ("fs-reclaim-nested-memalloc", fs_reclaim_nested_memalloc),
    ("vmalloc-nofs-ignored", vmalloc_nofs_ignored),
    (
        "fs-reclaim-cycle-cannot-recurse",
        fs_reclaim_cycle_cannot_recurse,
    ),
    ("xfs-inode-reclaim-alias", xfs_inode_reclaim_alias),
    ("sb-freeze-level-held", sb_freeze_level_held),
    ("fs-reclaim-cycle", fs_reclaim_cycle),
    ("cross-release-completion", cross_release_completion),
    ("workqueue-flush-cycle", workqueue_flush_cycle),
    ("recursive-same-instance", recursive_same_instance),
    (
        "recursive-different-instances",
        recursive_different_instances,
    ),
    ("recursive-stacked-instances", recursive_stacked_instances),
    (
        "recursive-stacking-filesystem",
        recursive_stacking_filesystem,
    ),
    ("inconsistent-irq-state", inconsistent_irq_state),
    ("inconsistent-reclaim-fs", inconsistent_reclaim_fs),
    (
        "socket-owner-excludes-softirq",
        socket_owner_excludes_softirq,
    ),
    ("irq-lock-inversion", irq_lock_inversion),
    ("irq-safe-unsafe-order", irq_safe_unsafe_order),
    ("invalid-wait-context-rt", invalid_wait_context_rt),
    ("invalid-wait-context", invalid_wait_context),
    ("sleep-in-non-block", sleep_in_non_block),
    ("sleep-in-rcu-read-section", sleep_in_rcu_read_section),
    ("rt-sleeping-lock-in-atomic", rt_sleeping_lock_in_atomic),
    ("sleep-in-atomic", always),
    ("scheduling-while-atomic", always),
    ("unlock-imbalance", always),
    ("held-lock-freed", always),
    ("locks-leaked", locks_leaked),
    ("nested-lock-not-taken", always),
    ("invalid-subclass", invalid_subclass),
    ("missing-lockdep-key", always),
    ("lockdep-capacity", always),
    ("lockdep-self-check", lockdep_self_check),
    ("lock-debug-check", lock_debug_check),
    ("rcu-debug-locks-off-race", rcu_debug_locks_off_race),
    ("rcu-lockdep-already-off", rcu_lockdep_already_off),
    (
        "rcu-reader-helper-without-reader",
        rcu_reader_helper_without_reader,
    ),
    ("rcu-list-lock-not-protecting", rcu_list_lock_not_protecting),
    ("rcu-list-under-lock", rcu_list_under_lock),
    ("rcu-outside-watching", rcu_outside_watching),
    (
        "rcu-protected-accessor-in-reader",
        rcu_protected_accessor_in_reader,
    ),
    ("rcu-suspicious", rcu_suspicious),
    ("cycle-one-call-path", cycle_one_call_path),
    ("array-element-class-cycle", array_element_class_cycle),
    ("inode-locks-cycle", inode_locks_cycle),
    ("internal-inode-alias", internal_inode_alias),
    ("inode-dir-vs-file-alias", inode_dir_vs_file_alias),
    (
        "driver-registered-class-cycle",
        driver_registered_class_cycle,
    ),
    ("hung-task-uninterruptible", hung_task_uninterruptible),
    ("dept-wait-under-spinlock", dept_wait_under_spinlock),
    ("dept-shared-wait-class", dept_shared_wait_class),
    ("circular-dependency", circular_dependency),
];

#[cfg(test)]
pub fn known(id: &str) -> bool {
    TABLE.iter().any(|(i, _)| *i == id)
}

pub fn run(id: &str, ctx: &Ctx<'_>) -> Option<Finding> {
    TABLE
        .iter()
        .find(|(i, _)| *i == id)
        .and_then(|(_, p)| p(ctx))
}

// ---- helpers ----------------------------------------------------------

/// The kernel the rules are for when the report (or `--kernel`) names
/// one; `None` when the walk fell back to the newest rules.
fn report_version(ctx: &Ctx<'_>) -> Option<KernelVersion> {
    (ctx.walk_rules.from != RulesFrom::Newest).then(|| walk_version(ctx))
}

fn walk_version(ctx: &Ctx<'_>) -> KernelVersion {
    ctx.walk_rules.version
}

fn layout(ctx: &Ctx<'_>) -> &'static GfpLayout {
    gfp::layout_for(Some(walk_version(ctx)))
}

fn has_flag(ctx: &Ctx<'_>, f: &WalkFrame, flag: GfpFlag) -> Option<bool> {
    let bits = f.gfp_bits?;
    let v = layout(ctx).value(flag)?;
    Some(bits & v != 0)
}

/// Every lock class of the cycle: acquiring, holding, chain entries.
fn cycle_locks(r: &Report) -> Vec<&Lock> {
    let mut v: Vec<&Lock> = r.acquiring.iter().chain(r.holding.iter()).collect();
    v.extend(r.chain.iter().map(|e| &e.lock));
    v
}

fn fs_reclaim_in_cycle(r: &Report) -> bool {
    cycle_locks(r).iter().any(|l| l.class == "fs_reclaim")
        || r.chain_exists_of.iter().any(|c| c == "fs_reclaim")
}

/// The walk of the chain entry `-> #N (fs_reclaim)`: the allocation lockdep
/// recorded while the previous lock was held.
fn fs_reclaim_chain_walk<'a>(ctx: &'a Ctx<'_>) -> Option<&'a TraceWalk> {
    let fs = ctx
        .report
        .chain
        .iter()
        .find(|e| e.lock.class == "fs_reclaim")?;
    ctx.walks
        .iter()
        .find(|w| w.stack == crate::walk::StackId::Chain(fs.index))
}

/// The innermost frame of a walk that is an allocation site outside the
/// allocator and lockdep: where the code under suspicion allocated.
fn allocation_site(w: &TraceWalk) -> Option<&WalkFrame> {
    w.frames
        .iter()
        .rev()
        .filter(|f| !f.inlined && !f.returned)
        .find(|f| !crate::kernel::frames::class_of(&f.function).is_machinery())
}

/// The class of the lock being acquired ("" when none was printed).
fn acquiring_class(r: &Report) -> String {
    r.acquiring
        .as_ref()
        .map(|l| l.class.clone())
        .unwrap_or_default()
}

fn always(_: &Ctx<'_>) -> Option<Finding> {
    Some(Finding::default())
}

/// The lock other than fs_reclaim that the allocation held. Chain entry
/// `#i` was taken while `#(i-1)` was held, and `#0` (the lock being
/// acquired) while `#max` (the lock held) was: so the lock held around the
/// allocation is the entry numbered one below fs_reclaim's, cyclically.
fn lock_held_around_allocation(r: &Report) -> Option<String> {
    let fs = r.chain.iter().find(|e| e.lock.class == "fs_reclaim")?;
    let max = r.chain.iter().map(|e| e.index).max()?;
    let want = if fs.index == 0 { max } else { fs.index - 1 };
    r.chain
        .iter()
        .find(|e| e.index == want && e.lock.class != "fs_reclaim")
        .map(|e| e.lock.class.clone())
        .or_else(|| {
            // No numbered entries: the report's own pair.
            [r.holding.as_ref(), r.acquiring.as_ref()]
                .into_iter()
                .flatten()
                .find(|l| l.class != "fs_reclaim")
                .map(|l| l.class.clone())
        })
}

/// The function that took `held` on the path that allocated under it:
/// known only when that path is the current one (fs_reclaim is the lock
/// being acquired, entry `#0`) and `held` is the lock the task holds; a
/// chain entry's stack shows where its lock was taken, not who took the
/// lock before it.
fn holder_on_allocating_path(r: &Report, held: &str) -> Option<String> {
    let fs = r.chain.iter().find(|e| e.lock.class == "fs_reclaim")?;
    if fs.index != 0 {
        return None;
    }
    let h = r.holding.as_ref().filter(|h| h.class == held)?;
    crate::cycle::taking_site(h, &[])
}

/// The first lock taken with fs_reclaim held (the entry numbered one above
/// fs_reclaim's, cyclically) and its stack: how reclaim gets back to the
/// held lock.
fn first_lock_under_reclaim(r: &Report) -> Option<&crate::model::ChainEntry> {
    let fs = r.chain.iter().find(|e| e.lock.class == "fs_reclaim")?;
    let max = r.chain.iter().map(|e| e.index).max()?;
    let want = if fs.index == max { 0 } else { fs.index + 1 };
    r.chain.iter().find(|e| e.index == want)
}

/// The fix for an allocation that may reclaim while `held` is held, by
/// what reclaim runs into on its way back to `held`. `holder` is the
/// function that took `held` on the allocating path, when the log shows it
/// (the allocating function itself is often a callee of the holder).
fn fs_reclaim_fix(holder: Option<&str>, held: &str, side: Option<&ReclaimSide>) -> String {
    let before = match holder {
        Some(f) => format!("allocate before {f} takes {held}"),
        None => format!("allocate before taking {held}"),
    };
    let section = match holder {
        Some(f) => format!("the section of {f} that holds it"),
        None => "the section that holds it".to_string(),
    };
    let through = |s: &ReclaimSide| {
        if s.via_lock && crate::kernel::locks::pseudo_lock(&s.via).is_some() {
            format!("lockdep's {} map", s.via)
        } else if s.via_lock {
            format!("the {} lock", s.via)
        } else {
            s.via.clone()
        }
    };
    match side {
        Some(s) if s.reach == Reach::Filesystem => format!(
            "Keep reclaim out of the filesystem while {held} is held: a memalloc_nofs_save()/memalloc_nofs_restore() scope around {section} (preferred), or GFP_NOFS at the allocation; or {before}. Reclaim reaches {held} through filesystem code ({}).",
            through(s)
        ),
        Some(s) if s.reach == Reach::BlockIo => format!(
            "{} (outside the locked section), or keep reclaim from starting block I/O while it is held: a memalloc_noio_save()/memalloc_noio_restore() scope (GFP_NOIO at the allocation). Reclaim reaches {held} through block I/O ({}), so GFP_NOFS would not be enough.",
            capitalised(&before),
            through(s)
        ),
        Some(s) => format!(
            "Do not allocate with direct reclaim while {held} is held: {before}, or use GFP_NOWAIT with a fallback. NOFS/NOIO scopes would not remove the dependency: reclaim reaches {held} through {}, not through a filesystem or block I/O.",
            through(s)
        ),
        None => format!(
            "{}, or restrict the allocation so reclaim cannot reach {held}: memalloc_nofs_save() if reclaim reaches it through a filesystem, memalloc_noio_save() through block I/O (the report does not show which).",
            capitalised(&before)
        ),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn reach_words(r: Reach) -> &'static str {
    match r {
        Reach::Filesystem => "filesystem code",
        Reach::BlockIo => "block I/O",
        Reach::Other => "neither filesystem code nor block I/O",
    }
}

// ---- predicates ---------------------------------------------------------

fn fs_reclaim_nested_memalloc(ctx: &Ctx<'_>) -> Option<Finding> {
    for w in ctx.walks {
        let Some(pos) = w
            .frames
            .iter()
            .position(|f| f.nested_fs_reclaim && f.task.contains(TaskFlag::Memalloc))
        else {
            continue;
        };
        let nested = &w.frames[pos];
        let set_memalloc = w
            .frames
            .iter()
            .find(|f| f.task.contains(TaskFlag::Memalloc));
        // The first frame whose known mask carries __GFP_NOMEMALLOC: where
        // it was added (read from the mask, not from the note's words).
        let nomemalloc = w
            .frames
            .iter()
            .find(|f| has_flag(ctx, f, GfpFlag::Nomemalloc) == Some(true));
        let mut evidence = vec![format!(
            "{}: fs_reclaim taken again at depth {} with {} under PF_MEMALLOC",
            w.trace, nested.fs_reclaim_depth, nested.gfp
        )];
        if let Some(f) = set_memalloc {
            evidence.push(format!("{} sets PF_MEMALLOC (direct reclaim)", f.function));
        }
        // The walk's note already names the frame.
        if let Some(note) = nomemalloc.and_then(|f| f.note.clone()) {
            evidence.push(note);
        }
        evidence.push(format!(
            "kernel rules {} ({})",
            ctx.walk_rules.version, ctx.walk_rules.from
        ));
        let explanation = format!(
            "The walk of the {} shows {} entering direct reclaim with PF_MEMALLOC set and taking fs_reclaim; deeper, {} reaches fs_reclaim_acquire again with {}. Because the mask carries __GFP_NOMEMALLOC, __need_fs_reclaim() ignored PF_MEMALLOC and lockdep recorded a nested reclaim that a PF_MEMALLOC task can never perform.",
            w.trace,
            set_memalloc.map(|f| f.function.as_str()).unwrap_or("the allocator"),
            nomemalloc.map(|f| f.function.as_str()).unwrap_or("the allocation"),
            nested.gfp
        );
        return Some(Finding {
            evidence,
            explanation,
            ..Finding::default()
        });
    }
    None
}

fn vmalloc_nofs_ignored(ctx: &Ctx<'_>) -> Option<Finding> {
    for w in ctx.walks {
        let Some(vi) = w.frames.iter().position(|f| {
            crate::kernel::frames::is_vmalloc_entry(&f.function)
                && (has_flag(ctx, f, GfpFlag::Fs) == Some(false)
                    || has_flag(ctx, f, GfpFlag::Io) == Some(false))
        }) else {
            continue;
        };
        let asked = &w.frames[vi];
        // Below it, an allocation that may still reach FS reclaim.
        let leak = w.frames[vi + 1..].iter().find(|f| {
            has_flag(ctx, f, GfpFlag::Fs) == Some(true)
                && !f.task.contains(TaskFlag::MemallocNofs)
                && !f.task.contains(TaskFlag::MemallocNoio)
                && f.direct_reclaim_possible != Some(false)
        })?;
        let caller = w.frames[..vi].iter().rev().find(|f| {
            !crate::kernel::frames::is_vmalloc_entry(&f.function) && !f.inlined && !f.returned
        });
        let site = caller
            .map(|f| f.function.clone())
            .unwrap_or_else(|| asked.function.clone());
        let evidence = vec![
            format!("{}: {} called with {}", w.trace, asked.function, asked.gfp),
            format!(
                "{} allocates with {} (no NOFS/NOIO scope)",
                leak.function, leak.gfp
            ),
            format!(
                "kernel rules {}: vmalloc honours GFP_NOFS/GFP_NOIO only from 5.17",
                ctx.walk_rules.version
            ),
        ];
        return Some(Finding {
            explanation: format!(
                "{site} calls {} with {}, but below it {} allocates with {}, which may enter filesystem (or I/O) reclaim: the restriction the caller asked for is lost.",
                asked.function, asked.gfp, leak.function, leak.gfp
            ),
            fix: Some(format!(
                "Call vmalloc from {site} inside memalloc_nofs_save()/memalloc_nofs_restore() (memalloc_noio_* for GFP_NOIO) with GFP_KERNEL, ideally around the whole section that must not recurse into the filesystem; kernels with 451769ebb7e7 (5.17+) do this inside vmalloc."
            )),
            evidence,
            weaker: None,
            summary: None,
        });
    }
    None
}

fn fs_reclaim_cycle_cannot_recurse(ctx: &Ctx<'_>) -> Option<Finding> {
    if !fs_reclaim_in_cycle(ctx.report) {
        return None;
    }
    let w = fs_reclaim_chain_walk(ctx)?;
    let last = w.frames.last()?;
    let cannot = last.fs_reclaim_depth == 0 && last.fs_reclaim == FsReclaimStep::Skipped;
    if !cannot {
        return None;
    }
    Some(Finding {
        evidence: vec![
            format!("{}: {}", w.trace, last.note.clone().unwrap_or_default()),
            format!("gfp at the allocation: {}; task flags: {}", last.gfp, last.task_flags.join("|")),
        ],
        explanation: format!(
            "By the rules of {}, the allocation recorded under fs_reclaim ({}) does not take fs_reclaim: {}.",
            ctx.walk_rules.version,
            w.trace,
            last.note.clone().unwrap_or_default()
        ),
        ..Finding::default()
    })
}

use crate::kernel::frames::{is_inode_reclaim, is_xfs_inode_lock};

fn xfs_inode_reclaim_alias(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let reclaimish = fs_reclaim_in_cycle(r)
        || r.usage_transition
            .as_ref()
            .is_some_and(|u| u.from.contains("RECLAIM_FS") || u.to.contains("RECLAIM_FS"))
        || (r.kind == crate::model::ReportKind::HeldLockFreed
            && r.task
                .as_ref()
                .is_some_and(|t| t.comm.starts_with("kswapd")));
    if !reclaimish {
        return None;
    }
    let locks: Vec<&Lock> = cycle_locks(r)
        .into_iter()
        .chain(r.held_locks.iter())
        .collect();
    let inode_lock = locks.iter().find(|l| is_xfs_inode_lock(&l.class))?;
    let all_frames = r
        .backtrace
        .iter()
        .chain(r.chain.iter().flat_map(|e| e.stack.iter()))
        .chain(r.traces.iter().flat_map(|t| t.frames.iter()));
    let reclaim_frame = all_frames
        .filter(|f| f.reliable)
        .find(|f| is_inode_reclaim(&f.base))
        .map(|f| f.base.to_string())
        .or_else(|| {
            r.task
                .as_ref()
                .filter(|t| t.comm.starts_with("kswapd"))
                .map(|t| format!("task {}", t.comm))
        });
    let reclaim_frame = reclaim_frame?;
    Some(Finding {
        evidence: vec![
            format!("XFS inode lock class {}", inode_lock.class),
            format!("reclaim side: {reclaim_frame}"),
        ],
        explanation: format!(
            "The lock class {} is taken on the reclaim side ({reclaim_frame}) for an inode being reclaimed, and is also held around an allocation for an inode in use. Both are the same lockdep class, but an inode under reclaim has no references and cannot be the one whose lock is held.",
            inode_lock.class
        ),
        ..Finding::default()
    })
}

/// Functions of the freezer itself: the one writer of the freeze levels.
const FREEZER: &[&str] = &[
    "freeze_super",
    "sb_wait_write",
    "thaw_super",
    "thaw_super_locked",
    "percpu_down_write",
];

/// A lock address as a number (raw `%px` addresses; `None` when not
/// printed or not hex).
fn lock_address(l: &Lock) -> Option<u64> {
    let a = l.address.as_deref()?;
    u64::from_str_radix(a.trim_start_matches("0x"), 16).ok()
}

/// The current acquisition is of a superblock freeze level above
/// SB_FREEZE_WRITE, for read, while the task holds a lower level of the
/// same superblock: freeze_super() takes the levels' write sides in order
/// and keeps each until thaw, so while a lower level is read-held no
/// writer holds or waits for the higher one, and this acquisition cannot
/// block. The cycle needs it to.
fn sb_freeze_level_held(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::freeze_level;
    let r = ctx.report;
    let acq = r.acquiring.as_ref()?;
    let want = freeze_level(&acq.class).filter(|f| f.level >= 2)?;
    // The freezer takes the write sides: its own acquisitions can block.
    let freezer = |f: &crate::model::Frame| FREEZER.contains(&f.base.as_str());
    if r.backtrace.iter().any(freezer) || acq.at.as_ref().is_some_and(freezer) {
        return None;
    }
    let (held, lower) = r.held_locks.iter().find_map(|l| {
        let f = freeze_level(&l.class).filter(|f| f.level < want.level)?;
        (!l.at.as_ref().is_some_and(freezer)).then_some((l, f))
    })?;
    // The levels of one superblock are one array (struct sb_writers
    // rw_sem[]), in level order: the higher level lies a few hundred bytes
    // above the lower one.
    let gap = (want.level - lower.level) as u64 * 1024;
    let same_sb = match (lock_address(acq), lock_address(held)) {
        (Some(a), Some(h)) if a > h && a - h <= gap => Some(true),
        (Some(_), Some(_)) => return None,
        _ => None,
    };
    let holder = r
        .task
        .as_ref()
        .map(|t| format!("{}/{}", t.comm, t.pid))
        .unwrap_or_else(|| "the task".to_string());
    let at = |l: &Lock| {
        l.at.as_ref()
            .map(|f| format!(" (taken at {})", f.base))
            .unwrap_or_default()
    };
    let mut evidence = vec![
        format!(
            "acquiring {}: freeze level {} of the superblock, {}",
            acq.class, want.level, want.what
        ),
        format!(
            "held by {holder}: {}{}: freeze level {}, {}",
            held.class,
            at(held),
            lower.level,
            lower.what
        ),
    ];
    if same_sb == Some(true) {
        evidence.push(format!(
            "{} lies {:#x} bytes above {}: the same superblock's sb_writers array",
            acq.address.as_deref().unwrap_or_default(),
            lock_address(acq)? - lock_address(held)?,
            held.class
        ));
    }
    Some(Finding {
        explanation: format!(
            "{holder} takes {} (freeze level {}) while it holds {} (level {}){}. The only writer of these levels is freeze_super(), which takes their write sides in level order, waiting at each one until its readers are gone, and keeps them until the filesystem is thawed; so while {holder} holds level {} for read no freezer can hold or wait for level {}, and this read acquisition cannot block. The cycle closes only if it waits.",
            acq.class,
            want.level,
            held.class,
            lower.level,
            if same_sb == Some(true) { " of the same superblock" } else { "" },
            lower.level,
            want.level
        ),
        summary: Some(format!(
            "Probably a false positive: {} cannot block here, because {holder} holds the lower freeze level {}{} and the freezer takes the levels in order; decisive is whether {} -> {} is also taken somewhere without a lower freeze level held.",
            acq.class,
            held.class,
            if same_sb == Some(true) { " of the same superblock" } else { "" },
            r.holding.as_ref().map(|h| h.class.as_str()).unwrap_or("the held lock"),
            acq.class
        )),
        weaker: (same_sb.is_none()).then(|| {
            "the report prints no lock addresses, so it does not show that both freeze levels belong to one superblock".to_string()
        }),
        evidence,
        ..Finding::default()
    })
}

fn fs_reclaim_cycle(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if !fs_reclaim_in_cycle(r) {
        return None;
    }
    let held = lock_held_around_allocation(r).unwrap_or_else(|| "the held lock".to_string());
    let mut evidence = vec![format!("fs_reclaim is in the cycle with {held}")];
    let mut site = None;
    if let Some(w) = fs_reclaim_chain_walk(ctx) {
        if let Some(last) = w.frames.last() {
            evidence.push(format!(
                "{}: allocation with {} (fs_reclaim depth {})",
                w.trace, last.gfp, last.fs_reclaim_depth
            ));
        }
        site = allocation_site(w).map(|f| f.function.clone());
    }
    // The lock reclaim takes first (the entry after fs_reclaim's) and the
    // function that took it: the reclaim side of the cycle.
    let under = first_lock_under_reclaim(r);
    let reclaim_side = under.and_then(|e| {
        crate::kernel::frames::first_interesting(&e.stack)
            .map(|f| (e.lock.class.clone(), f.base.to_string()))
    });
    if let Some((class, rs)) = &reclaim_side {
        evidence.push(format!("under fs_reclaim, {class} is taken in {rs}"));
    }
    let at = site.clone().unwrap_or_else(|| "the allocation site".into());
    let side = under.and_then(|e| reach_of(&e.lock.class, &e.stack));
    if let Some(s) = &side {
        evidence.push(format!(
            "reclaim reaches {held} through {} ({}{})",
            reach_words(s.reach),
            if s.via_lock { "lock " } else { "" },
            s.via
        ));
    }
    Some(Finding {
        explanation: format!(
            "{at} allocates with a mask that may enter reclaim while {held} is held{}; reclaim can then need {held} again.",
            reclaim_side
                .as_ref()
                .map(|(class, rs)| if class == &held {
                    format!(", and reclaim takes {held} (in {rs})")
                } else {
                    format!(", and reclaim takes {class} (in {rs}), which leads back to {held}")
                })
                .unwrap_or_default()
        ),
        fix: Some(fs_reclaim_fix(
            holder_on_allocating_path(r, &held).as_deref(),
            &held,
            side.as_ref(),
        )),
        evidence,
        weaker: None,
        summary: None,
    })
}

fn cross_release_completion(ctx: &Ctx<'_>) -> Option<Finding> {
    let c = cycle_locks(ctx.report)
        .into_iter()
        .find(|l| l.class.starts_with("(complete)"))?;
    Some(Finding {
        evidence: vec![format!("cross-release class {}", c.class)],
        explanation: format!(
            "The cycle goes through {}, a completion tracked by 4.14's cross-release checks, which reported many dependencies that cannot deadlock.",
            c.class
        ),
        ..Finding::default()
    })
}

fn workqueue_flush_cycle(ctx: &Ctx<'_>) -> Option<Finding> {
    let is_wq = |l: &Lock| {
        l.class.starts_with("(work_completion)") || l.class.starts_with("(wq_completion)")
    };
    let is_flush =
        |f: &Frame| f.reliable && (f.base.contains("flush") || f.base.contains("cancel"));
    // The pseudo-lock waited on is the one the flush or cancel acquires:
    // the chain entry whose stack runs through it (a work item's map when
    // a work is flushed, the workqueue's when a whole workqueue is), not
    // any workqueue map of the cycle (process_one_work() holds both).
    let flush_entry = ctx
        .report
        .chain
        .iter()
        .find(|e| is_wq(&e.lock) && e.stack.iter().any(is_flush));
    let c = match flush_entry {
        Some(e) => &e.lock,
        None => cycle_locks(ctx.report).into_iter().find(|l| is_wq(l))?,
    };
    let flusher = flush_entry
        .into_iter()
        .chain(ctx.report.chain.iter())
        .flat_map(|e| e.stack.iter())
        .find(|f| is_flush(f))
        .map(|f| f.base.clone());
    Some(Finding {
        evidence: vec![
            format!("workqueue pseudo-lock {}", c.class),
            format!("flush/cancel site: {}", flusher.clone().unwrap_or_else(|| "not in the chain".into())),
        ],
        explanation: format!(
            "{} stands for waiting on a work item or workqueue{}; the work needs a lock the waiter holds. {}",
            c.class,
            flusher.map(|f| format!(" ({f})")).unwrap_or_default(),
            workqueue_instance_caveat(&c.class, report_version(ctx))
        ),
        fix: Some(format!(
            "Do not flush or cancel_*_sync() the work while holding the lock it takes (drop the lock first, or use cancel without _sync and handle the race). {}",
            workqueue_instance_caveat(&c.class, report_version(ctx))
        )),
        ..Finding::default()
    })
}

/// Whether two instances can share the workqueue pseudo-lock's class: a
/// work item's map is keyed by its INIT_WORK() site in every release; a
/// workqueue's by its alloc_workqueue() call site before 5.1 and by the
/// workqueue itself since (669de8bda87b, dynamic lockdep keys).
fn workqueue_instance_caveat(class: &str, v: Option<KernelVersion>) -> String {
    if class.starts_with("(wq_completion)") {
        match v {
            Some(v) if v >= KernelVersion::new(5, 1, 0) => "Since 5.1 every workqueue has its own lockdep key, so the flushed workqueue is the one the report names.".to_string(),
            Some(_) => "Before 5.1 workqueues allocated at one alloc_workqueue() call site share this class: if the flushed workqueue is another instance than the one running the work, it cannot deadlock; check that first.".to_string(),
            None => "Before 5.1 workqueues allocated at one alloc_workqueue() call site share this class (since 5.1 each has its own key): on an older kernel, check that the flushed workqueue is the one running the work.".to_string(),
        }
    } else {
        "Work items initialised at one INIT_WORK() site share this class: if the flushed item is another instance than the one that needs the lock, it cannot deadlock; check that first.".to_string()
    }
}

fn addresses(r: &Report) -> Option<(&str, &str)> {
    let a = r.acquiring.as_ref()?.address.as_deref()?;
    let h = r.holding.as_ref()?.address.as_deref()?;
    Some((a, h))
}

fn recursive_same_instance(ctx: &Ctx<'_>) -> Option<Finding> {
    let (a, h) = addresses(ctx.report)?;
    if a != h {
        return None;
    }
    let mut evidence = vec![format!("acquiring and held instance both at {a}")];
    let mut explanation =
        format!("The lock being acquired and the lock already held are the same instance ({a}).");
    // A read acquisition deadlocks only through a writer: say how, per
    // lock type, when the backtrace shows the primitive.
    let read = crate::kernel::locks::acquiring_primitive(&ctx.report.backtrace)
        .and_then(|f| Some((f, crate::kernel::locks::read_acquire(&f.base)?)));
    if let Some((f, r)) = read {
        evidence.push(format!("taken for read by {} ({})", f.base, r.lock));
        explanation.push_str(&format!(
            " It is taken again for read by {}: {}.",
            f.base, r.recursion
        ));
    }
    Some(Finding {
        evidence,
        explanation,
        ..Finding::default()
    })
}

fn recursive_different_instances(ctx: &Ctx<'_>) -> Option<Finding> {
    let (a, h) = addresses(ctx.report)?;
    if a == h || a.starts_with('<') || a.starts_with('(') {
        return None;
    }
    let class = acquiring_class(ctx.report);
    Some(Finding {
        evidence: vec![format!("class {class}: acquiring {a}, holding {h}")],
        explanation: format!("Two different instances of {class} ({h} held, {a} being taken) are nested; lockdep sees one class and cannot tell nesting from recursion."),
        fix: Some(format!("Annotate the nesting of {class}: a subclass (spin_lock_nested/mutex_lock_nested/down_*_nested) at the inner acquisition, or lockdep_set_class() for inner instances; keep a fixed parent-before-child order.")),
        weaker: None,
        summary: None,
    })
}

fn recursive_stacked_instances(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if addresses(r).is_some() {
        return None;
    }
    let at = r.acquiring.as_ref()?.at.as_ref()?.base.clone();
    let n = r
        .backtrace
        .iter()
        .filter(|f| f.reliable && f.base == at)
        .count();
    (n >= 2).then(|| Finding {
        evidence: vec![format!("{at} appears {n} times in the backtrace")],
        explanation: format!("{at} took the lock and appears {n} times in the stack: the code recursed into another object of the same type (stacking), so the two acquisitions are likely different instances."),
        ..Finding::default()
    })
}

fn is_reclaim_fs_transition(r: &Report) -> bool {
    r.usage_transition
        .as_ref()
        .is_some_and(|u| u.from.contains("RECLAIM_FS") || u.to.contains("RECLAIM_FS"))
}

/// The function that took the lock in a saved stack: the first confirmed
/// frame that is neither lockdep's nor a lock primitive.
fn taking_function(frames: &[crate::model::Frame]) -> Option<String> {
    crate::kernel::frames::first_interesting(frames).map(|f| f.base.to_string())
}

/// The interrupt a usage state names (`IN-HARDIRQ-W`, `SOFTIRQ-ON-R`;
/// 2.6-era inversion reports print `hard-irq-safe`, `soft-irq-unsafe`).
fn irq_of_state(state: &str) -> Option<&'static str> {
    if state.contains("HARDIRQ") || state.starts_with("hard-irq") {
        Some("HARDIRQ")
    } else if state.contains("SOFTIRQ") || state.starts_with("soft-irq") {
        Some("SOFTIRQ")
    } else {
        None
    }
}

/// How to take a lock with `irq` disabled where it is taken with it
/// enabled, by the lock's type: a hard interrupt needs the _irq/_irqsave
/// forms, a softirq the _bh forms (or _irqsave, which also excludes
/// softirqs); a seqcount's writer disables them around its write section.
fn irq_disabling_forms(irq: &str, ty: Option<LockType>) -> &'static str {
    match (irq == "HARDIRQ", ty) {
        (true, Some(LockType::Spinlock)) => "spin_lock_irqsave()/spin_lock_irq()",
        (true, Some(LockType::Rwlock)) => "read_lock_irqsave()/write_lock_irqsave()",
        (true, Some(LockType::Seqcount)) => {
            "disable hardirqs around the write section (local_irq_save(); u64_stats_update_begin_irqsave() for a struct u64_stats_sync)"
        }
        (true, None) => {
            "spin_lock_irqsave()/spin_lock_irq() (read_lock_irqsave()/write_lock_irqsave() for an rwlock)"
        }
        (false, Some(LockType::Spinlock)) => "spin_lock_bh(), or an _irqsave form",
        (false, Some(LockType::Rwlock)) => "read_lock_bh()/write_lock_bh(), or an _irqsave form",
        (false, Some(LockType::Seqcount)) => {
            "disable bottom halves around the write section (local_bh_disable(), or an irqsave variant)"
        }
        (false, None) => {
            "spin_lock_bh() (read_lock_bh()/write_lock_bh() for an rwlock), or an _irqsave form"
        }
    }
}

/// The stacks a report shows for the acquisitions of its lock: the saved
/// usage traces and the final backtrace, innermost first.
fn acquisition_stacks(r: &Report) -> Vec<&[crate::model::Frame]> {
    let mut v: Vec<&[crate::model::Frame]> = r.traces.iter().map(|t| t.frames.as_slice()).collect();
    v.push(r.backtrace.as_slice());
    v
}

fn inconsistent_irq_state(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let u = r.usage_transition.as_ref()?;
    if is_reclaim_fs_transition(r) {
        return None;
    }
    let class = acquiring_class(r);
    let irq = irq_of_state(&u.from).or_else(|| irq_of_state(&u.to))?;
    let irq_l = irq.to_lowercase();
    // `{A} state was registered at:` is where the lock was first used as A
    // (the `from` state); the backtrace is the new use (`to`). Which of the
    // two is the in-interrupt one depends on the direction.
    let registered = r
        .traces
        .iter()
        .find(|t| t.name.ends_with("state was registered at"))
        .and_then(|t| taking_function(&t.frames));
    // The new use may be no acquisition at all: interrupts enabled while
    // the lock is held (the backtrace runs through mark_held_locks()).
    let reenabled = if u.to.starts_with("IN-") {
        None
    } else {
        crate::kernel::frames::irq_enabled_at(&r.backtrace)
    };
    let current = match &reenabled {
        Some(e) => e.code.map(|f| f.base.to_string()),
        None => taking_function(&r.backtrace).or_else(|| {
            r.acquiring
                .as_ref()?
                .at
                .as_ref()
                .map(|f| f.base.to_string())
        }),
    };
    let (in_irq, enabled) = if u.from.starts_with("IN-") {
        (registered, current)
    } else {
        (current, registered)
    };
    let site = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".to_string());
    let in_irq_line = format!("in-{irq_l} acquisition via {}", site(&in_irq));
    if let Some(what) = crate::kernel::locks::pseudo_lock(&class) {
        // Not a lock: nothing to take with interrupts disabled.
        let (summary, fix) = if class == "fs_reclaim" {
            (
                format!("A real bug: an allocation that may enter reclaim (and sleep) runs in {irq_l} context."),
                format!(
                    "{FS_RECLAIM_NOT_A_LOCK}: the allocation in {irq_l} context ({}) must not be able to reclaim. Allocate with GFP_ATOMIC or GFP_NOWAIT there, or move the allocation out of {irq_l} context.",
                    site(&in_irq)
                ),
            )
        } else {
            (
                format!("{class} is used in {irq_l} context and with {irq_l}s enabled."),
                format!(
                    "{class} is not a lock ({what}): look at how the {irq_l} path ({}) uses it, not at disabling interrupts around it.",
                    site(&in_irq)
                ),
            )
        };
        return Some(Finding {
            evidence: vec![
                format!("{class}: {{{}}} -> {{{}}}", u.from, u.to),
                format!("{class} is a pseudo-lock: {what}"),
                in_irq_line,
            ],
            explanation: format!(
                "{class} was used {{{}}} and is now used {{{}}}.",
                u.from, u.to
            ),
            summary: Some(summary),
            fix: Some(fix),
            ..Finding::default()
        });
    }
    if let Some(e) = &reenabled {
        let code = e.code.map(|f| f.base.to_string());
        let by = e.by.base.to_string();
        let taken = r
            .acquiring
            .as_ref()
            .and_then(|l| l.at.as_ref())
            .map(|f| format!(" (taken at {})", f.base))
            .unwrap_or_default();
        let fix = format!(
            "{class} is held with {irq_l}s disabled{taken}, and {} enables {irq_l}s while it is still held ({by}): an inner unlock or enable that does not restore the caller's state. Use the restoring forms there (spin_lock_irqsave()/spin_unlock_irqrestore() for an inner lock, local_irq_save()/local_irq_restore()), or release {class} first.",
            code.clone().unwrap_or_else(|| "the code".into())
        );
        return Some(Finding {
            evidence: vec![
                format!("{class}: {{{}}} -> {{{}}}", u.from, u.to),
                in_irq_line,
                format!(
                    "{irq_l}s enabled by {by} in {} while {class} is held (the backtrace runs through mark_held_locks(): no acquisition)",
                    site(&code)
                ),
            ],
            explanation: format!("{class} was used {{{}}} and is now held while {irq_l}s are enabled: an interrupt taking it can then arrive on this CPU.", u.from),
            fix: Some(fix),
            ..Finding::default()
        });
    }
    let ty = crate::kernel::locks::lock_type(&class, acquisition_stacks(r));
    let fix = enabled.as_ref().map(|f| {
        format!(
            "Take {class} with {irq_l} disabled in {f} (the irq-enabled path): {}; or stop taking it in {irq_l} context.",
            irq_disabling_forms(irq, ty)
        )
    });
    Some(Finding {
        evidence: vec![
            format!("{class}: {{{}}} -> {{{}}}", u.from, u.to),
            in_irq_line,
            format!("{irq_l}-enabled acquisition via {}", site(&enabled)),
        ],
        explanation: format!("{class} was used {{{}}} and is now used {{{}}}: one path takes it in {irq_l} context, the other with that interrupt enabled.", u.from, u.to),
        fix,
        ..Finding::default()
    })
}

/// What the advice says of fs_reclaim wherever it shows up as a lock.
const FS_RECLAIM_NOT_A_LOCK: &str =
    "fs_reclaim is lockdep's annotation of memory reclaim, not a lock";

/// The fix for an irq-safe lock `safe` taken before an irq-unsafe lock
/// `unsafe_` (the unsafe one is taken elsewhere with `irq` enabled). A
/// pseudo-lock cannot be taken with interrupts disabled: the advice then
/// breaks the dependency instead.
fn irq_order_fix(irq: &str, safe: &str, unsafe_: &str, ty: Option<LockType>) -> String {
    let irq_l = irq.to_lowercase();
    if unsafe_ == "fs_reclaim" {
        return format!(
            "{FS_RECLAIM_NOT_A_LOCK}: {safe} is {irq}-safe, so nothing that may enter reclaim can run while it is held. Allocate with GFP_ATOMIC or GFP_NOWAIT under {safe}, or allocate before taking it."
        );
    }
    if let Some(what) = crate::kernel::locks::pseudo_lock(unsafe_) {
        return format!(
            "{unsafe_} is not a lock ({what}) and cannot be taken with {irq_l} disabled: do not reach it while {safe} is held, or stop taking {safe} in {irq_l} context."
        );
    }
    if let Some(what) = crate::kernel::locks::pseudo_lock(safe) {
        return format!(
            "{safe} is not a lock ({what}): stop taking {unsafe_} inside it, or take {unsafe_} with {irq_l} disabled everywhere it is taken outside interrupt context: {}.",
            irq_disabling_forms(irq, ty)
        );
    }
    format!(
        "Take {unsafe_} with {irq_l} disabled everywhere it is taken outside interrupt context: {}; or stop taking {unsafe_} while {safe} is held.",
        irq_disabling_forms(irq, ty)
    )
}

/// The kind alone decides these two rules (confidence is lowered by the
/// damage note when the locks are missing); the locks and the interrupt,
/// when printed, make the fix name them.
fn irq_lock_inversion(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let named = || {
        let inv = r.irq_inversion.as_ref()?;
        let this = r.acquiring.as_ref()?.class.clone();
        let other = r.other_locks.first()?.class.clone();
        let irq = irq_of_state(&inv.other_state)?;
        // `this lock took another, HARDIRQ-unsafe lock in the past`: this
        // one is now irq-safe and the other irq-unsafe; `this lock was
        // taken by another, HARDIRQ-safe lock`: the other way round.
        let (safe, unsafe_) = if inv.other_state.ends_with("-unsafe") {
            (this, other)
        } else {
            (other, this)
        };
        let ty = crate::kernel::locks::lock_type(&unsafe_, acquisition_stacks(r));
        Some(irq_order_finding(irq, &safe, &unsafe_, ty))
    };
    Some(named().unwrap_or_default())
}

/// The two locks of an irq inversion or irq-safe -> irq-unsafe report:
/// (interrupt, irq-safe lock, irq-unsafe lock, whether the lock being
/// acquired now is the irq-unsafe one).
fn irq_pair(r: &Report) -> Option<(&'static str, String, String, bool)> {
    if let Some(inv) = &r.irq_inversion {
        let this = r.acquiring.as_ref()?.class.clone();
        let other = r.other_locks.first()?.class.clone();
        let irq = irq_of_state(&inv.other_state)?;
        // See irq_lock_inversion(): `... took another, X-unsafe lock`
        // makes this one the irq-safe lock.
        return Some(if inv.other_state.ends_with("-unsafe") {
            (irq, this, other, false)
        } else {
            (irq, other, this, true)
        });
    }
    let irq = irq_of_state(&r.irq_order.as_ref()?.irq)?;
    let safe = r.other_locks.first()?.class.clone();
    let unsafe_ = r.other_locks.get(1)?.class.clone();
    Some((irq, safe, unsafe_, false))
}

/// A softirq inversion between a socket's slock and a lock of the same
/// socket: the softirq side holds slock only while no task owns the
/// socket (bh_lock_sock() then sock_owned_by_user(), else the backlog),
/// and a task under lock_sock() owns it without holding slock, so the
/// softirq path that takes the per-socket lock under slock cannot
/// interrupt a task that owns that socket; another socket's softirq takes
/// another socket's lock. Lockdep sees the spinlock, not the owner field.
fn socket_owner_excludes_softirq(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::{per_socket, socket_slock};
    let r = ctx.report;
    let (irq, safe, unsafe_, now_unsafe) = irq_pair(r)?;
    if irq != "SOFTIRQ" {
        return None;
    }
    let slock_is = socket_slock(&safe)?;
    let unsafe_is = per_socket(&unsafe_)?;
    // The socket lock proper (sk_lock-AF_*), which lock_sock() takes.
    let owner = r
        .held_lock_lists
        .iter()
        .flat_map(|h| &h.locks)
        .find(|l| l.class.starts_with("sk_lock-") || l.class.starts_with("k-sk_lock-"))
        .map(|l| l.class.clone());
    let held_printed = r.held_lock_lists.iter().any(|h| h.count.is_some());
    if now_unsafe && held_printed && owner.is_none() {
        // The task takes the per-socket lock with softirqs enabled without
        // owning the socket: the owner scheme does not cover it.
        return None;
    }
    let mut evidence = vec![
        format!("{safe}: {slock_is}"),
        format!("{unsafe_}: {unsafe_is}"),
    ];
    let weaker = match &owner {
        Some(o) if now_unsafe => {
            evidence.push(format!(
                "the task owns the socket while it takes {unsafe_} with softirqs enabled ({o} held)"
            ));
            None
        }
        _ => Some(format!(
            "the report does not show that the task taking {unsafe_} with softirqs enabled owns the socket (no {} among held locks)",
            "sk_lock-AF_*"
        )),
    };
    Some(Finding {
        evidence,
        explanation: format!(
            "{safe} is the spinlock of the socket lock: softirq receive code holds it (bh_lock_sock()) and runs the protocol code that takes {unsafe_} only when no task owns the socket, queueing the packet to the backlog otherwise; a task owns the socket through lock_sock(), which sets sk_lock.owned and drops the spinlock again. So a softirq cannot take {unsafe_} under {safe} on a socket whose owner holds {unsafe_}, and a softirq on another socket takes that socket's own {unsafe_}. Lockdep tracks the spinlock, not the owner field, and keys both locks per address family, so it joins the two sockets and misses the exclusion. Decisive is whether every acquisition of {unsafe_} with softirqs enabled is made by a task that owns the socket (under lock_sock())."
        ),
        summary: None,
        fix: None,
        weaker,
    })
}

fn irq_safe_unsafe_order(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let named = || {
        let irq = irq_of_state(&r.irq_order.as_ref()?.irq)?;
        // `connects a X-irq-safe lock:` then `to a X-irq-unsafe lock:`.
        let safe = r.other_locks.first()?.class.clone();
        let unsafe_ = r.other_locks.get(1)?.class.clone();
        let ty = crate::kernel::locks::lock_type(&unsafe_, acquisition_stacks(r));
        Some(irq_order_finding(irq, &safe, &unsafe_, ty))
    };
    Some(named().unwrap_or_default())
}

fn irq_order_finding(irq: &str, safe: &str, unsafe_: &str, ty: Option<LockType>) -> Finding {
    let ctx_word = irq.to_lowercase();
    Finding {
        evidence: vec![
            format!("{safe} is {irq}-safe (used in {ctx_word} context)"),
            format!("{unsafe_} is {irq}-unsafe (taken with {ctx_word}s enabled)"),
        ],
        fix: Some(irq_order_fix(irq, safe, unsafe_, ty)),
        ..Finding::default()
    }
}

fn inconsistent_reclaim_fs(ctx: &Ctx<'_>) -> Option<Finding> {
    let u = ctx.report.usage_transition.as_ref()?;
    if !is_reclaim_fs_transition(ctx.report) {
        return None;
    }
    let class = acquiring_class(ctx.report);
    Some(Finding {
        evidence: vec![format!("{class}: {{{}}} -> {{{}}}", u.from, u.to)],
        explanation: format!("{class} is taken inside filesystem reclaim and also held across an allocation that may enter it ({{{}}} -> {{{}}}).", u.from, u.to),
        fix: Some(format!("While {class} is held, allocate with GFP_NOFS (or, on 4.12+, inside memalloc_nofs_save()), or allocate before taking it.")),
        weaker: None,
        summary: None,
    })
}

/// The strictest wait type in force: the context's, and each held lock's
/// (a held raw spinlock makes the section spin-only whatever the context).
fn strictest_wait(r: &Report) -> Option<(u8, String)> {
    let ctx = r
        .wait_context
        .map(|c| (c.inner, format!("context-{{{}:{}}}", c.outer, c.inner)));
    let held = r.held_locks.iter().filter_map(|l| {
        l.wait.map(|w| {
            (
                w.inner,
                format!("held {} {{{}:{}}}", l.class, w.outer, w.inner),
            )
        })
    });
    ctx.into_iter()
        .chain(held)
        .filter(|(n, _)| *n > 0)
        .min_by_key(|(n, _)| *n)
}

fn invalid_wait_context_rt(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let w = r.acquiring.as_ref()?.wait?;
    if w.inner != 3 {
        return None;
    }
    // check_wait_context() reports a lock only when its inner wait type
    // exceeds the context's, so a {x:3} lock (spinlock_t under
    // PROVE_RAW_LOCK_NESTING) is reported only where the context allows
    // at most LD_WAIT_SPIN (2): the report proves it even when the
    // context line and the held locks were not transcribed.
    let (limit, why) = strictest_wait(r).unwrap_or_else(|| {
        let hardirq = r
            .backtrace
            .iter()
            .filter(|f| f.reliable)
            .find(|f| f.base == "__handle_irq_event_percpu" || f.base == "handle_irq_event_percpu");
        let threaded = r.backtrace.iter().any(|f| f.reliable && f.base == "irq_thread_fn");
        let why = match hardirq {
            Some(f) if !threaded => format!(
                "not printed; the backtrace runs in a hard interrupt handler called from {}, and lockdep reports a {{x:3}} lock only where at most {{2}} (LD_WAIT_SPIN) is allowed",
                f.base
            ),
            _ => "not printed; lockdep reports a {x:3} lock only where at most {2} (LD_WAIT_SPIN) is allowed: a raw spinlock held or hard interrupt context".to_string(),
        };
        (2, why)
    });
    (limit <= 2).then(|| Finding {
        evidence: vec![
            format!(
                "{} has wait type {{{}:{}}} (spinlock_t)",
                r.acquiring.as_ref().map(|l| l.class.as_str()).unwrap_or("?"),
                w.outer, w.inner
            ),
            format!("strictest wait type in force: {why}"),
        ],
        explanation: format!(
            "A spinlock_t is taken where only raw spinlocks may be ({why}): fine on non-RT kernels where spinlock_t spins, a sleep in atomic context on PREEMPT_RT.{}",
            if r.preempt.as_deref().is_some_and(|p| p.starts_with("PREEMPT_RT")) {
                " The reporting kernel is itself PREEMPT_RT (its CPU line says so): the problem is live there."
            } else {
                ""
            }
        ),
        ..Finding::default()
    })
}

fn invalid_wait_context(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let lock = r.acquiring.as_ref()?;
    let w = lock.wait?;
    if w.inner < 4 {
        return None;
    }
    let class = lock.class.as_str();
    let mut evidence = vec![format!(
        "sleeping lock {class} (wait {{{}:{}}})",
        w.outer, w.inner
    )];
    // check_wait_context() (kernel/locking/lockdep.c) compares the lock's
    // outer wait type with the smallest inner one in force: the context's
    // (task_wait_context(): 2 in a hard interrupt, 3 in a softirq or a
    // threaded one, 5 in a task) and each held lock's. Say which one
    // forbids the sleep, so the advice fits it.
    let next_outer = if w.outer > 0 { w.outer } else { w.inner };
    let held = r
        .held_locks
        .iter()
        .rev()
        .filter_map(|l| Some((l, l.wait?.inner)))
        .filter(|(_, i)| *i > 0 && *i < next_outer)
        .min_by_key(|(_, i)| *i);
    let context = r
        .wait_context
        .map(|c| c.inner)
        .filter(|i| *i > 0 && *i < next_outer);
    let generic = Finding {
        evidence: evidence.clone(),
        explanation: "A lock that may sleep is taken in a context that must not sleep.".to_string(),
        ..Finding::default()
    };
    let by_held = match (held, context) {
        (Some((_, h)), Some(c)) => h <= c,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if by_held {
        let (l, inner) = held?;
        let outer = l.wait.map(|x| x.outer).unwrap_or(0);
        let at =
            l.at.as_ref()
                .map(|f| format!(", taken at {}", f.base))
                .unwrap_or_default();
        let entered =
            l.at.as_ref()
                .map(|f| format!(", entered in {}", f.base))
                .unwrap_or_default();
        evidence.push(format!(
            "held {} {{{outer}:{inner}}}{at}: inner wait type {inner} < {next_outer}",
            l.class
        ));
        let explanation = format!(
            "{class} may sleep (wait type {next_outer}) and is taken while {} is held{at}; {} allows at most wait type {inner} inside it (check_wait_context()).",
            l.class, l.class
        );
        if l.class.starts_with("rcu_read_lock") {
            return Some(Finding {
                evidence,
                explanation,
                fix: Some(format!(
                    "End the RCU read-side section ({}{entered}) before taking {class}: take a reference to the object under RCU first (e.g. with kref_get_unless_zero()) and sleep outside it, or use SRCU if the readers must sleep.",
                    l.class
                )),
                summary: Some(
                    "A real bug on every kernel: a sleeping lock taken inside an RCU read-side critical section."
                        .to_string(),
                ),
                ..Finding::default()
            });
        }
        if let Some(what) = crate::kernel::locks::pseudo_lock(&l.class) {
            return Some(Finding {
                evidence,
                explanation,
                fix: Some(format!(
                    "Do not take {class} inside {} ({what}{entered}): end that section before taking {class}, or move the sleeping call out of it.",
                    l.class
                )),
                ..Finding::default()
            });
        }
        return Some(Finding {
            evidence,
            explanation,
            fix: Some(format!(
                "Do not take {class} while holding {}{at}: release {} first or take {class} before it; or, if no section under {} sleeps, make it a lock that may sleep.",
                l.class, l.class, l.class
            )),
            ..Finding::default()
        });
    }
    if let Some(c) = context {
        evidence.push(format!(
            "context-{{{c}:{c}}}: {} context allows at most wait type {c}",
            if c <= 2 {
                "hard interrupt"
            } else {
                "softirq or threaded interrupt"
            }
        ));
        return Some(Finding {
            evidence,
            explanation: format!(
                "{class} may sleep (wait type {next_outer}) and is taken in interrupt context (context-{{{c}:{c}}}), where nothing may sleep."
            ),
            fix: Some(format!(
                "Do not take {class} in interrupt context: defer the work to process context (a workqueue, a threaded interrupt handler)."
            )),
            ..Finding::default()
        });
    }
    Some(generic)
}

fn sleep_in_non_block(ctx: &Ctx<'_>) -> Option<Finding> {
    let a = ctx.report.atomic_sleep.as_ref()?;
    (a.non_block.unwrap_or(0) > 0).then(|| Finding {
        evidence: vec![format!("non_block: {}", a.non_block.unwrap_or(0))],
        explanation: "The task is in a non_block_start() section (for instance an mmu notifier called from the OOM reaper) and something sleeps.".to_string(),
        ..Finding::default()
    })
}

/// `RCU nest depth: N, expected: M` with N > M while every other count
/// is as expected: the only thing forbidding the sleep is an open
/// rcu_read_lock() section (__might_resched(), kernel/sched/core.c, prints
/// the line on CONFIG_PREEMPT_RCU kernels).
fn sleep_in_rcu_read_section(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let a = r.atomic_sleep.as_ref()?;
    let (depth, expected) = (a.rcu_nest_depth?, a.rcu_nest_expected?);
    let hex = |s: &Option<String>| {
        s.as_deref()
            .and_then(|v| u32::from_str_radix(v.trim(), 16).ok())
    };
    let preempt_as_expected = hex(&a.preempt_count)? == hex(&a.expected_preempt_count)?;
    if depth <= expected
        || !preempt_as_expected
        || a.irqs_disabled? != 0
        || a.non_block.unwrap_or(0) != 0
    {
        return None;
    }
    let mut evidence = vec![
        format!("RCU nest depth: {depth}, expected: {expected}"),
        format!(
            "preempt_count {} as expected, irqs_disabled(): 0, non_block: {}",
            a.preempt_count.as_deref().unwrap_or("?"),
            a.non_block.unwrap_or(0)
        ),
    ];
    let reader = r
        .held_locks
        .iter()
        .filter(|l| l.class == "rcu_read_lock")
        .filter_map(|l| l.at.as_ref())
        .map(|f| f.base.to_string())
        .next();
    if let Some(f) = &reader {
        evidence.push(format!("rcu_read_lock held, taken at {f}"));
    }
    Some(Finding {
        evidence,
        explanation: format!(
            "Preemption and interrupts are as the sleep expects; what forbids it is {} open rcu_read_lock() section{}{}: a task may not block inside an RCU read-side critical section.",
            depth - expected,
            if depth - expected == 1 { "" } else { "s" },
            reader.map(|f| format!(" (entered in {f})")).unwrap_or_default()
        ),
        ..Finding::default()
    })
}

fn rt_sleeping_lock_in_atomic(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let at_rt = r
        .atomic_sleep
        .as_ref()
        .and_then(|a| a.at.as_deref())
        .is_some_and(|at| at.contains("spinlock_rt.c") || at.contains("rtmutex"));
    let frame = r
        .backtrace
        .iter()
        .find(|f| f.reliable && crate::kernel::frames::is_rt_lock(&f.base))
        .map(|f| f.base.clone());
    if !at_rt && frame.is_none() {
        return None;
    }
    Some(Finding {
        evidence: vec![frame
            .map(|f| format!("PREEMPT_RT sleeping lock: {f}"))
            .unwrap_or_else(|| "reported from kernel/locking/spinlock_rt.c".to_string())],
        explanation:
            "What sleeps is a spinlock_t, which is a sleeping rt_mutex only on PREEMPT_RT."
                .to_string(),
        ..Finding::default()
    })
}

fn lockdep_self_check(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let at = r.warning_at.as_deref().unwrap_or("");
    let collision = r.banner.contains("chain_key collision");
    (at.contains("lockdep") || collision || (at.is_empty() && r.message.is_some())).then(|| {
        Finding {
            evidence: vec![if collision {
                "chain_key collision".to_string()
            } else {
                format!(
                    "warning at {}",
                    if at.is_empty() {
                        r.message.as_deref().unwrap_or("?")
                    } else {
                        at
                    }
                )
            }],
            explanation: "The warning fired inside lockdep's own bookkeeping.".to_string(),
            ..Finding::default()
        }
    })
}

fn lock_debug_check(ctx: &Ctx<'_>) -> Option<Finding> {
    let at = ctx.report.warning_at.as_deref()?;
    (!at.contains("lockdep")).then(|| Finding {
        evidence: vec![format!("warning at {at}")],
        explanation: format!(
            "A lock-debugging check in {} failed.",
            at.split(':').next().unwrap_or(at)
        ),
        ..Finding::default()
    })
}

fn rcu_lockdep_already_off(ctx: &Ctx<'_>) -> Option<Finding> {
    let d = ctx.report.rcu.as_ref()?.debug_locks?;
    if report_version(ctx).is_some_and(|v| v >= RCU_DEBUG_LOCKS_MEANINGFUL) {
        return None;
    }
    (d == 0).then(|| Finding {
        evidence: vec!["debug_locks = 0".to_string()],
        explanation:
            "Lockdep had already turned itself off, so its record of held locks is not kept."
                .to_string(),
        ..Finding::default()
    })
}

/// `still has locks held!` comes from debug_check_no_locks_held(), which
/// do_exit() calls (a lock leaked at exit) and try_to_freeze() calls
/// (include/linux/freezer.h; inline, so the frame after the check is the
/// function that reached a freezing point). Only the first is a missing
/// unlock; the second is a freezable wait entered with a lock held.
fn locks_leaked(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if r.kind != crate::model::ReportKind::LocksStillHeld {
        return Some(Finding::default());
    }
    let bt = &r.backtrace;
    let Some(i) = bt
        .iter()
        .position(|f| f.base == "debug_check_no_locks_held")
    else {
        return Some(Finding::default());
    };
    let Some(caller) = bt[i + 1..].iter().find(|f| f.reliable) else {
        return Some(Finding::default());
    };
    if crate::kernel::frames::is_task_exit(&caller.base) {
        return Some(Finding {
            evidence: vec![format!("checked by {} (task exit)", caller.base)],
            ..Finding::default()
        });
    }
    let held: Vec<&str> = r.held_locks.iter().map(|l| l.class.as_str()).collect();
    let held = if held.is_empty() {
        "the listed lock".to_string()
    } else {
        held.join(", ")
    };
    Some(Finding {
        evidence: vec![format!(
            "checked from {} (not do_exit: the try_to_freeze() check, inlined)",
            caller.base
        )],
        explanation: format!("The check ran from {}, not from task exit: outside do_exit() the kernel makes it in try_to_freeze(), inlined into the function that reached a freezing point, so the task could freeze holding {held}.", caller.base),
        summary: Some("A real bug: the task can freeze while holding a lock, and whoever waits for that lock then waits until it thaws (suspend or a cgroup freeze can hang on it).".into()),
        fix: Some(format!("Do not reach a freezing point (a freezable wait, try_to_freeze()) in {} while holding {held}: release it first, or wait non-freezably there. No unlock is missing on a return path.", caller.base)),
        ..Finding::default()
    })
}

/// `suspicious rcu_dereference_protected() usage!` checks only the
/// accessor's lockdep condition (include/linux/rcupdate.h): an RCU
/// read-side section does not satisfy it, so the fix is the update-side
/// lock the condition names. Other messages keep the rule's fix.
fn rcu_suspicious(ctx: &Ctx<'_>) -> Option<Finding> {
    let protected = ctx
        .report
        .message
        .as_deref()
        .is_some_and(|m| m.contains("rcu_dereference_protected() usage"));
    if !protected {
        return Some(Finding::default());
    }
    Some(Finding {
        evidence: vec!["the accessor is rcu_dereference_protected(): only its lockdep condition counts".into()],
        fix: Some("Hold the update-side lock that the accessor's condition names (rtnl_dereference() needs RTNL, rcu_dereference_protected(p, lockdep_is_held(&lock)) needs that lock) in the caller that reached it without it; rcu_read_lock() does not satisfy rcu_dereference_protected(). If the access is really a read under RCU, use rcu_dereference() inside rcu_read_lock() instead.".into()),
        ..Finding::default()
    })
}

/// ` (called from F)`: the first reliable caller of `function` in the
/// backtrace outside lock and lockdep machinery, or "" when none shows.
fn called_from(r: &Report, function: &str) -> String {
    r.backtrace
        .iter()
        .filter(|f| f.reliable)
        .skip_while(|f| f.base != function)
        .skip(1)
        .find(|f| !crate::kernel::frames::class_of(&f.base).is_machinery())
        .map(|c| format!(" (called from {})", c.base))
        .unwrap_or_default()
}

/// The list an `RCU-list traversed` report walked, when the function it
/// fired in is one the RCU-list table knows.
fn rcu_list_walked(r: &Report) -> Option<(&'static crate::kernel::locks::RcuList, String)> {
    if !r
        .message
        .as_deref()
        .is_some_and(|m| m.contains("RCU-list traversed"))
    {
        return None;
    }
    let site = rcu_check_site(r)?;
    Some((
        crate::kernel::locks::rcu_list(&site.base)?,
        site.base.to_string(),
    ))
}

/// Functions that build or tear down a network namespace: lists of a
/// namespace that is not yet on (or already off) net_namespace_list are
/// reachable by no other task.
const NETNS_SETUP: &[&str] = &["setup_net", "ops_init", "cleanup_net", "ops_exit_list"];

fn rcu_list_under_lock(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if !r
        .message
        .as_deref()
        .is_some_and(|m| m.contains("RCU-list traversed"))
    {
        return None;
    }
    let msg = format!("message: {}", r.message.clone().unwrap_or_default());
    // A list the table knows: only its update-side lock counts.
    if let Some((list, walker)) = rcu_list_walked(r) {
        let lock = r.held_locks.iter().find(|l| list.protected_by(&l.class))?;
        return Some(Finding {
            evidence: vec![
                msg,
                format!("{walker} walks {}", list.list),
                format!("held: {}, which the kernel declares as that list's protection ({})", lock.class, list.source),
            ],
            explanation: format!(
                "{walker} walks {} with {} held, the lock that keeps that list from changing ({}); the iterator was not given that condition.",
                list.list, lock.class, list.source
            ),
            fix: Some(format!(
                "Pass the condition to the iterator in {walker}: list_for_each_entry_rcu() or hlist_for_each_entry_rcu() take it as their last argument (..., {}).",
                lock_condition(&lock.class)
            )),
            ..Finding::default()
        });
    }
    let lock = r.held_locks.iter().find(|l| {
        l.class.contains("rtnl")
            || l.class.contains("mutex")
            || l.class.contains("sem")
            || l.wait.is_some_and(|w| w.inner >= 4)
    })?;
    Some(Finding {
        evidence: vec![msg, format!("held: {}", lock.class)],
        explanation: format!("The list is walked with {} held, a sleeping lock of the kind that serialises a list's updates; the iterator was not given a lock condition.", lock.class),
        summary: Some(format!(
            "Probably a false positive: the list is walked outside an RCU reader but with {} held; decisive is whether {} is the lock every update of that list takes (the report does not name the list's update-side lock).",
            lock.class, lock.class
        )),
        weaker: Some(format!(
            "the report does not show which lock updates the list, so whether {} protects it is not shown",
            lock.class
        )),
        fix: Some(format!(
            "If {} serialises the list's updates, pass the condition to the iterator: list_for_each_entry_rcu(..., {}); if not, take rcu_read_lock() around the walk.",
            lock.class,
            lock_condition(&lock.class)
        )),
    })
}

/// The lockdep condition that names a held class in an iterator.
fn lock_condition(class: &str) -> String {
    if class.contains("rtnl") {
        "lockdep_rtnl_is_held()".to_string()
    } else {
        format!("lockdep_is_held(<{class}>)")
    }
}

/// An RCU list the table knows walked outside an RCU reader with none of
/// its update-side locks held.
fn rcu_list_lock_not_protecting(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let rcu = r.rcu.as_ref();
    if rcu.is_some_and(|x| x.debug_locks == Some(0)) {
        return None;
    }
    let (list, walker) = rcu_list_walked(r)?;
    if r.held_locks
        .iter()
        .any(|l| list.protected_by(&l.class) || l.class.starts_with("rcu_read_lock"))
    {
        return None;
    }
    // A namespace being built or torn down: nobody else reaches its lists.
    if r.backtrace
        .iter()
        .any(|f| NETNS_SETUP.contains(&f.base.as_str()))
    {
        return None;
    }
    let held: Vec<&str> = r.held_locks.iter().map(|l| l.class.as_str()).collect();
    let from = called_from(r, &walker);
    Some(Finding {
        evidence: vec![
            format!("message: {}", r.message.clone().unwrap_or_default()),
            format!("{walker}{from} walks {}", list.list),
            format!("its update-side lock: {} ({})", list.locks.join(" or "), list.source),
            if held.is_empty() {
                "held: none (no RCU reader)".to_string()
            } else {
                format!("held: {} (none of them, and no RCU reader)", held.join(", "))
            },
        ],
        explanation: format!(
            "{walker}{from} walks {} outside an RCU read-side section, and the task holds none of the locks that serialise the list's updates ({}){}: an update can free an entry under the walker.",
            list.list,
            list.locks.join(" or "),
            if held.is_empty() {
                String::new()
            } else {
                format!("; {} do not", held.join(", "))
            }
        ),
        fix: Some(format!(
            "Take rcu_read_lock() around the walk in {walker}{from} (and allocate with GFP_ATOMIC inside it), or hold {} there.",
            list.locks.join(" or ")
        )),
        ..Finding::default()
    })
}

fn rcu_outside_watching(ctx: &Ctx<'_>) -> Option<Finding> {
    let rcu = ctx.report.rcu.as_ref()?;
    (rcu.extended_quiescent_state || rcu.offline_cpu).then(|| Finding {
        evidence: vec![if rcu.offline_cpu {
            "RCU used illegally from offline CPU".to_string()
        } else {
            "RCU used illegally from extended quiescent state".to_string()
        }],
        explanation: "RCU is not watching this CPU at that point (idle or offline).".to_string(),
        ..Finding::default()
    })
}

fn circular_dependency(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let cycle = crate::cycle::lock_cycle(r);
    let acquiring = r.acquiring.as_ref().map(|l| l.class.as_str());
    let holding = r.holding.as_ref().map(|l| l.class.as_str());
    // The cycle in dependency order (each lock held while the next was
    // taken), closing on the lock being acquired.
    let path = || {
        let mut p: Vec<&str> = cycle
            .edges
            .first()
            .map(|e| e.from.as_str())
            .into_iter()
            .collect();
        p.extend(cycle.edges.iter().map(|e| e.to.as_str()));
        p.join(" -> ")
    };
    let explanation = match (acquiring, holding) {
        (Some(a), Some(h)) if !r.chain.is_empty() => format!(
            "The cycle {} closes when the task takes {a} while holding {h}.",
            path()
        ),
        (Some(a), Some(h)) if r.chain_exists_of.len() == 3 => format!(
            "The cycle {} closes when the task takes {a} while holding {h} (read from the `Chain exists of:` line, which leaves out any locks between its first two).",
            path()
        ),
        (Some(a), Some(h)) => format!(
            "The task takes {a} while holding {h}, the reverse of a dependency lockdep recorded earlier; the recorded chain is not in the log."
        ),
        _ => "The task closes a cycle of lock dependencies; the log does not show which locks.".to_string(),
    };
    let sites: Vec<String> = cycle
        .edges
        .iter()
        .filter_map(|e| e.via.as_ref().map(|v| format!("{} taken in {v}", e.to)))
        .collect();
    // An incomplete report lowers the confidence once, in the damage note
    // every rule gets (classify::damage_note), not here as well.
    Some(Finding {
        evidence: sites,
        explanation,
        ..Finding::default()
    })
}

/// The first release whose lockdep_rcu_suspicious() is known to print
/// debug_locks without having turned lockdep off itself (the code Paul
/// McKenney's 2021 patch changed; a 5.12 report read by the syzbot
/// maintainers as a concurrent-report false positive).
const RCU_DEBUG_LOCKS_MEANINGFUL: KernelVersion = KernelVersion::new(5, 12, 0);

fn rcu_debug_locks_off_race(ctx: &Ctx<'_>) -> Option<Finding> {
    let d = ctx.report.rcu.as_ref()?.debug_locks?;
    let v = report_version(ctx)?;
    (d == 0 && v >= RCU_DEBUG_LOCKS_MEANINGFUL).then(|| Finding {
        evidence: vec![
            "debug_locks = 0".to_string(),
            format!("kernel {v}: lockdep_rcu_suspicious() does not turn lockdep off itself (5.12+), so another report did"),
        ],
        explanation: format!(
            "The report prints debug_locks = 0 on {v}, where the RCU report does not switch lockdep off itself: another lockdep report had turned it off while this check ran, and with lockdep off the RCU checks no longer see held locks or RCU readers."
        ),
        ..Finding::default()
    })
}

/// The function an RCU report fired in: the first frame of the backtrace
/// outside lockdep (lockdep_rcu_suspicious) and other machinery.
fn rcu_check_site(r: &Report) -> Option<&crate::model::Frame> {
    crate::kernel::frames::first_interesting(&r.backtrace)
}

fn rcu_reader_helper_without_reader(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let rcu = r.rcu.as_ref();
    if rcu.is_some_and(|x| x.extended_quiescent_state || x.offline_cpu || x.debug_locks == Some(0))
    {
        return None;
    }
    let msg = r.message.as_deref()?;
    if !(msg.contains("RCU-list traversed") || msg.contains("rcu_dereference_check() usage")) {
        return None;
    }
    // Inside an RCU reader the check would not have fired; a reader the
    // report shows held means something else is going on.
    if r.held_locks
        .iter()
        .any(|l| l.class.starts_with("rcu_read_lock"))
    {
        return None;
    }
    let site = rcu_check_site(r)?;
    if !site.base.ends_with("_rcu") {
        return None;
    }
    let held: Vec<&str> = r.held_locks.iter().map(|l| l.class.as_str()).collect();
    let from = called_from(r, &site.base);
    Some(Finding {
        evidence: vec![
            format!("message: {msg}"),
            format!("the check fired in {}, an _rcu helper{from}", site.base),
            if held.is_empty() {
                "no RCU reader among the held locks (none printed)".to_string()
            } else {
                format!("held: {} (no RCU reader)", held.join(", "))
            },
        ],
        explanation: format!(
            "{} is an _rcu helper: it is meant to be called inside rcu_read_lock() and its check does not accept another lock. It was reached{from} without an RCU read-side section{}.",
            site.base,
            if held.is_empty() {
                String::new()
            } else {
                format!(", with {} held", held.join(", "))
            }
        ),
        fix: Some(format!(
            "Take rcu_read_lock() around the call to {}{from}, or call the variant meant for the lock held there (the non-_rcu lookup for the update-side lock, or a wrapper that takes the RCU read lock itself).",
            site.base
        )),
        ..Finding::default()
    })
}

/// The reliable frames of a stack from `i` outward (towards the root),
/// by name, stopping at the first root.
fn outward_names(frames: &[&crate::model::Frame], i: usize) -> Vec<String> {
    let mut out = Vec::new();
    for f in &frames[i..] {
        out.push(f.base.to_string());
        if crate::kernel::frames::is_root(&f.base) {
            break;
        }
    }
    out
}

fn cycle_one_call_path(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let acq = r.acquiring.as_ref()?;
    let held = r.holding.as_ref()?;
    if acq.class == held.class || r.chain.len() != 2 {
        return None;
    }
    // The acquiring class must not already be held on this path (that
    // would be recursion, another report).
    if r.held_locks.iter().any(|l| l.class == acq.class) {
        return None;
    }
    let entry_b = r.chain.iter().find(|e| e.lock.class == held.class)?;
    let entry_a = r.chain.iter().find(|e| e.lock.class == acq.class)?;
    // Where the other order was recorded: the held lock taken there.
    let b_site = crate::kernel::frames::first_interesting(&entry_b.stack)?;
    let held_at = held.at.as_ref()?;
    if held_at.base != b_site.base || held_at.offset.is_none() || held_at.offset != b_site.offset {
        return None;
    }
    // The current acquisition: the backtrace, or the stack of entry #0
    // (the same acquisition) when the backtrace was not transcribed.
    let current = if r.backtrace.is_empty() {
        &entry_a.stack
    } else {
        &r.backtrace
    };
    let cur: Vec<&crate::model::Frame> = current.iter().filter(|f| f.reliable).collect();
    let ci = cur
        .iter()
        .position(|f| !crate::kernel::frames::class_of(&f.base).is_machinery())?;
    let g = cur[ci];
    let other: Vec<&crate::model::Frame> = entry_b.stack.iter().filter(|f| f.reliable).collect();
    let oi = other.iter().position(|f| f.base == g.base)?;
    if g.offset.is_none() || other[oi].offset.is_none() || g.offset == other[oi].offset {
        return None;
    }
    let a = outward_names(&cur, ci);
    let b = outward_names(&other, oi);
    let n = a.len().min(b.len());
    // The shared function and at least two callers, all the same.
    if n < 3 || a[..n] != b[..n] {
        return None;
    }
    let off = |f: &crate::model::Frame| f.offset.map(|o| format!("+{o:#x}")).unwrap_or_default();
    let via = a[1..n.min(4)].join(" < ");
    Some(Finding {
        evidence: vec![
            format!(
                "{} was taken at {}{} both now (held) and when {} -> {} was recorded (chain #{})",
                held.class, held_at.base, off(held_at), acq.class, held.class, entry_b.index
            ),
            format!(
                "{} takes {} at {}{} and lies on the other order's path at {}{}",
                g.base, acq.class, g.base, off(g), g.base, off(other[oi])
            ),
            format!("same callers on both sides: {via}"),
        ],
        explanation: format!(
            "Both orders were recorded on one call path through {} (called by {via}): when {} -> {} was recorded, a {} lock was already held on that path before {} was taken at the same site as now; on this run the path reached that site without it and {} takes a {} lock itself at another call site. That is either two objects of one class on one path (a parent and a child), which lockdep cannot tell apart, or one function taking the two locks in both orders on different branches, which is a real deadlock.",
            g.base, acq.class, held.class, acq.class, held.class, g.base, acq.class
        ),
        summary: Some(format!(
            "Probably a false positive from aliasing: both orders come from one call path through {}, which takes a second {} lock while a caller can hold another; decisive is whether the instance {} takes can be the one a caller holds on another CPU.",
            g.base, acq.class, g.base
        )),
        ..Finding::default()
    })
}

/// A class name with an array index that is not a number (`[i]`,
/// `[idx]`): the init macro ran in a loop over the array.
fn array_element_class(class: &str) -> bool {
    let mut rest = class;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            return false;
        };
        let idx = after[..close].trim();
        if !idx.is_empty() && !idx.bytes().all(|b| b.is_ascii_digit()) {
            return true;
        }
        rest = &after[close + 1..];
    }
    false
}

fn array_element_class_cycle(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let l = cycle_locks(r).into_iter().find(|l| {
        array_element_class(&l.class) && crate::kernel::locks::pseudo_lock(&l.class).is_none()
    })?;
    let taken = r
        .chain
        .iter()
        .find(|e| e.lock.class == l.class)
        .and_then(|e| crate::kernel::frames::first_interesting(&e.stack))
        .map(|f| format!(" (taken in {})", f.base))
        .unwrap_or_default();
    Some(Finding {
        evidence: vec![format!(
            "{}{taken}: a class named after an array element with a variable index",
            l.class
        )],
        explanation: format!(
            "{} is named after an array element: the init macro declares one lock_class_key per call site and names the class after its argument, so one call in a loop gave every element of the array this class. The cycle may join two different elements, which lockdep cannot tell apart.",
            l.class
        ),
        ..Finding::default()
    })
}

/// A cycle made only of locks embedded in inodes: every inode of the
/// filesystem type shares each class, so the orders may be on different
/// inodes.
fn inode_locks_cycle(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    let mut classes: Vec<&str> = cycle_locks(r).iter().map(|l| l.class.as_str()).collect();
    classes.extend(r.chain_exists_of.iter().map(String::as_str));
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return None;
    }
    let what: Vec<(&str, &str)> = classes
        .iter()
        .map(|c| crate::kernel::locks::per_inode(c).map(|w| (*c, w)))
        .collect::<Option<_>>()?;
    let taken = |class: &str| {
        r.chain
            .iter()
            .find(|e| e.lock.class == class)
            .and_then(|e| crate::kernel::frames::first_interesting(&e.stack))
            .map(|f| format!(", taken in {}", f.base))
            .unwrap_or_default()
    };
    Some(Finding {
        evidence: what
            .iter()
            .map(|(c, w)| format!("{c}{}: {w}", taken(c)))
            .collect(),
        explanation: format!(
            "Every lock of the cycle ({}) is a lock embedded in an inode. Lockdep keys a lock by its init site, and these are initialised at one site for every inode of the filesystem, so each name stands for the lock of any inode: the two orders may have been recorded on different inodes (a directory and a new child, an inode and its xattr inode), which lockdep cannot tell apart.",
            classes.join(", ")
        ),
        ..Finding::default()
    })
}

/// The stacks on either side of chain entry `k`'s lock: where it was taken
/// (entry `k`'s stack, or the current backtrace for `#0`) and where the
/// next lock of the cycle was taken while it was held (entry `k + 1`, or
/// the current acquisition for the highest entry).
fn stacks_around(r: &Report, k: u32) -> Option<(&[crate::model::Frame], &[crate::model::Frame])> {
    let max = r.chain.iter().map(|e| e.index).max()?;
    let current = || {
        if r.backtrace.is_empty() {
            r.chain
                .iter()
                .find(|e| e.index == 0)
                .map(|e| e.stack.as_slice())
        } else {
            Some(r.backtrace.as_slice())
        }
    };
    let entry = |i: u32| {
        r.chain
            .iter()
            .find(|e| e.index == i)
            .map(|e| e.stack.as_slice())
    };
    let taken = if k == 0 { current()? } else { entry(k)? };
    let out = if k == max { current()? } else { entry(k + 1)? };
    Some((taken, out))
}

/// A cycle through a per-inode lock class where one side locks a
/// filesystem-internal inode (no directory entry) and the other side is a
/// namespace operation, whose inodes were found by path: two inodes that
/// cannot be the same, under one class.
fn internal_inode_alias(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::{internal_inode, path_operation, per_inode};
    let r = ctx.report;
    for e in &r.chain {
        let Some(what) = per_inode(&e.lock.class) else {
            continue;
        };
        let Some((taken, out)) = stacks_around(r, e.index) else {
            continue;
        };
        let internal = |s: &[crate::model::Frame]| {
            s.iter()
                .filter(|f| f.reliable)
                .find_map(|f| internal_inode(&f.base).map(|w| (f.base.to_string(), w)))
        };
        let by_path = |s: &[crate::model::Frame]| {
            s.iter()
                .filter(|f| f.reliable)
                .find(|f| path_operation(&f.base))
                .map(|f| f.base.to_string())
        };
        let (int_fn, int_what, path_fn, int_side) =
            match (internal(taken), by_path(out), internal(out), by_path(taken)) {
                (Some((f, w)), Some(p), _, _) => (f, w, p, "taken"),
                (_, _, Some((f, w)), Some(p)) => (f, w, p, "held"),
                _ => continue,
            };
        let class = &e.lock.class;
        let (int_edge, path_edge) = if int_side == "taken" {
            (
                format!("{class} taken in {int_fn} (chain #{})", e.index),
                format!("{class} held when {path_fn} took the next lock of the cycle"),
            )
        } else {
            (
                format!("{class} held in {int_fn} when it took the next lock of the cycle"),
                format!("{class} taken in {path_fn} (chain #{})", e.index),
            )
        };
        return Some(Finding {
            evidence: vec![
                format!("{class}: {what}"),
                format!("{int_edge}: {int_what}"),
                format!("{path_edge}: a namespace operation, on inodes found by path"),
            ],
            explanation: format!(
                "{class} is one class for every inode of the filesystem. On one side of the cycle {int_fn} locks {int_what}; on the other, {path_fn} locks inodes it reached by a path lookup. An inode no directory entry leads to cannot be one of those, so the two orders are on different inodes that lockdep cannot tell apart."
            ),
            summary: Some(format!(
                "Probably a false positive from aliasing: the {class} on one side of the cycle is a filesystem-internal inode ({int_fn}) and on the other an inode found by path ({path_fn}), never the same inode; decisive is that {int_fn} never locks an inode a path can reach."
            )),
            ..Finding::default()
        });
    }
    None
}

/// A hung task in uninterruptible sleep (`state:D`): a hang that happened.
fn hung_task_uninterruptible(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if r.task_state? != 'D' {
        return None;
    }
    let who = r
        .task
        .as_ref()
        .map(|t| format!("{}/{}", t.comm, t.pid))
        .unwrap_or_else(|| "the hung task".to_string());
    let mut evidence = vec![format!(
        "{who} is in state D (uninterruptible sleep) past the hung-task timeout"
    )];
    if let Some(f) = crate::kernel::frames::first_interesting(&r.backtrace) {
        evidence.push(format!("it waits below {}", f.base));
    }
    if let Some(last) = r.held_locks.last() {
        evidence.push(format!(
            "{} lock(s) in its held-locks list, the last {} (lockdep records a lock before its slow path sleeps, so the last one can be the lock it waits for)",
            r.held_locks.len(),
            last.class
        ));
    }
    if let Some(b) = &r.blocked_on {
        let owner = b
            .owner
            .as_ref()
            .map(|t| format!("{}/{}", t.comm, t.pid))
            .unwrap_or_else(|| "an owner the kernel did not find".to_string());
        evidence.push(format!("blocked on a {} likely held by {owner}", b.lock));
    }
    Some(Finding {
        explanation: format!(
            "{who} slept uninterruptibly for longer than the hung-task timeout (khungtaskd checks only uninterruptible tasks that are neither killable nor idle)."
        ),
        evidence,
        ..Finding::default()
    })
}

/// The subclass an invalid-subclass report names (`invalid subclass N`).
fn invalid_subclass(ctx: &Ctx<'_>) -> Option<Finding> {
    let n: Option<u64> = ctx
        .report
        .message
        .as_deref()
        .and_then(|m| m.rsplit(' ').next())
        .and_then(|t| t.trim().parse().ok());
    let Some(n) = n else {
        return Some(Finding::default());
    };
    // A nesting annotation passes a small depth; 2^31 and beyond is a
    // negative int or garbage read from the lock's map.
    let garbage = n >= 1 << 16;
    let site =
        crate::kernel::frames::first_interesting(&ctx.report.backtrace).map(|f| f.base.to_string());
    let at = site
        .as_deref()
        .map(|s| format!(" in {s}"))
        .unwrap_or_default();
    Some(Finding {
        evidence: vec![format!("subclass {n}; lockdep has 8 (0-7) per class")],
        explanation: if garbage {
            format!("Subclass {n} is no nesting depth an annotation passes (it is -1 or garbage as an unsigned int): the lock taken{at} has an uninitialised or overwritten lockdep map.")
        } else {
            format!("The lock taken{at} was annotated with subclass {n}, beyond the 8 subclasses lockdep has per class.")
        },
        fix: Some(if garbage {
            format!("Find why the lock taken{at} has no valid lockdep map: taken before its init function ran, on an object that was never initialised (an error path), or overwritten (use after free).")
        } else {
            format!("Keep the subclass passed{at} below 8: annotate a fixed number of nesting levels, use a nest_lock (mutex_lock_nest_lock()) for many locks of one class under one outer lock, or give the levels their own keys.")
        }),
        ..Finding::default()
    })
}

fn rcu_protected_accessor_in_reader(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if r.rcu
        .as_ref()
        .is_some_and(|x| x.extended_quiescent_state || x.offline_cpu || x.debug_locks == Some(0))
    {
        return None;
    }
    if !r
        .message
        .as_deref()
        .is_some_and(|m| m.contains("rcu_dereference_protected() usage"))
    {
        return None;
    }
    let reader = r.held_locks.iter().find(|l| l.class == "rcu_read_lock")?;
    let taken = reader
        .at
        .as_ref()
        .map(|f| format!(" (taken at {})", f.base))
        .unwrap_or_default();
    let site = rcu_check_site(r).map(|f| f.base.to_string());
    Some(Finding {
        evidence: vec![
            "the accessor is rcu_dereference_protected(): only its update-side condition counts".to_string(),
            format!("held: rcu_read_lock{taken}"),
        ],
        explanation: format!(
            "The task is inside an RCU read-side section{taken} when {} uses rcu_dereference_protected(), whose check ignores RCU readers.",
            site.as_deref().unwrap_or("the code")
        ),
        ..Finding::default()
    })
}

/// A DEPT context that claims a task sleeps in a wait-queue wait while it
/// holds a spinning lock: `[S]` takes a spinlock or rwlock, `[W]` is a
/// wait-queue wait, `[E]` is that lock's unlock. A task may not sleep with
/// a spinning lock held; a wait-queue wait registers first
/// (prepare_to_wait(), legal under the lock), and the task drops the lock
/// before it calls schedule(). DEPT took the registration for the sleep.
fn dept_wait_under_spinlock(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::{dept_waitqueue_wait, spinning_primitive};
    let d = ctx.report.dept.as_ref()?;
    let c = d.contexts.iter().find(|c| {
        spinning_primitive(&c.start.function)
            && c.event.class == c.start.class
            && c.event.function.contains("unlock")
            && dept_waitqueue_wait(&c.wait.function).is_some()
    })?;
    let (lock, wait) = (&c.start.class, &c.wait.class);
    Some(Finding {
        evidence: vec![
            format!("context {}: [S] {}({lock}) takes a spinning lock", c.name, c.start.function),
            format!("context {}: [W] {}({wait}) is a wait-queue wait", c.name, c.wait.function),
            format!("context {}: [E] {}({lock}) releases it", c.name, c.event.function),
        ],
        explanation: format!(
            "Context {} says the task blocks in the wait on {wait} while it holds {lock}, a spinning lock it releases only at [E]. A task may not sleep holding a spinning lock: a wait-queue wait registers on the queue first (prepare_to_wait(), allowed under the lock), then the task drops the lock and only then sleeps in schedule(). DEPT took the registration for the sleep, so the dependency of {lock}'s release on {wait} it built the cycle from does not exist. Decisive is that the task drops {lock} before it sleeps; if it really slept with {lock} held, the bug is a sleep in atomic context, which the kernel reports on its own.",
            c.name
        ),
        ..Finding::default()
    })
}

/// A DEPT cycle through a wait class that one map serves for every object
/// (the hashed bit-wait queues, the series' page-flag maps): the two
/// contexts may wait on and release different pages or buffers.
fn dept_shared_wait_class(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::dept_shared_wait;
    let d = ctx.report.dept.as_ref()?;
    let (class, what) = d.contexts.iter().find_map(|c| {
        [&c.start, &c.wait, &c.event]
            .into_iter()
            .find_map(|s| dept_shared_wait(&s.class).map(|w| (s.class.clone(), w)))
    })?;
    Some(Finding {
        evidence: vec![format!("{class}: {what}")],
        explanation: format!(
            "The cycle runs through {class}, {what}. DEPT cannot tell the objects behind it apart, so one context may wait on one page or buffer while the other holds or releases a different one (a superblock buffer and a tree block, a data page and a metadata page). Decisive is whether both contexts can wait on and release the same object."
        ),
        ..Finding::default()
    })
}

/// Recursive locking without instance addresses where a stacking
/// filesystem's function is a caller of the acquisition: the stacking
/// filesystem locks the object of the layer below (a lower directory,
/// inode or file), while the lock already held is its own layer's.
fn recursive_stacking_filesystem(ctx: &Ctx<'_>) -> Option<Finding> {
    let r = ctx.report;
    if addresses(r).is_some() {
        return None;
    }
    let class = acquiring_class(r);
    let at = r.acquiring.as_ref()?.at.as_ref()?.base.clone();
    let frames: Vec<&Frame> = r.backtrace.iter().filter(|f| f.reliable).collect();
    let i = frames.iter().position(|f| f.base == at)?;
    let (layer, what) = frames[i + 1..].iter().find_map(|f| {
        crate::kernel::locks::stacking_fs(&f.base).map(|w| (f.base.to_string(), w))
    })?;
    Some(Finding {
        evidence: vec![
            format!("{at} takes {class}"),
            format!("{layer} calls it: {what}"),
        ],
        explanation: format!(
            "{at} takes {class} called from {layer}, {what}: a stacking filesystem implements its operation by repeating it on the lower layer's objects, so this acquisition is on the lower layer's object and the lock already held is the stacking layer's own. One class covers both layers (the same filesystem type stacked on itself, or a class not keyed per filesystem type), so lockdep sees recursion. Decisive is that the lower object is never the upper one, which holds unless a layer is stacked on itself."
        ),
        fix: Some(format!(
            "Give the lower layer's {class} its own class or subclass (lockdep_set_class() per filesystem type, a nesting subclass per stacking depth), as 51ee049e771c and b1eaa950f7e9 did for ecryptfs and overlayfs."
        )),
        ..Finding::default()
    })
}

/// One acquisition of a lock of a circular dependency: its class, the
/// function that took it, and the stack from that function outwards.
struct Site<'a> {
    class: &'a str,
    taker: String,
    outward: Vec<&'a Frame>,
}

/// Every acquisition a circular-dependency report shows with a stack: the
/// lock being acquired and the one held (both on the current stack), and
/// each chain entry's recorded stack.
fn cycle_sites<'a>(r: &'a Report) -> Vec<Site<'a>> {
    let from = |frames: &'a [Frame], taker: &str| -> Vec<&'a Frame> {
        let rel: Vec<&Frame> = frames.iter().filter(|f| f.reliable).collect();
        match rel.iter().position(|f| f.base == taker) {
            Some(i) => rel[i..].to_vec(),
            None => Vec::new(),
        }
    };
    let mut out = Vec::new();
    for l in [&r.acquiring, &r.holding].into_iter().flatten() {
        if let Some(at) = &l.at {
            out.push(Site {
                class: &l.class,
                taker: at.base.to_string(),
                outward: from(&r.backtrace, &at.base),
            });
        }
    }
    for e in &r.chain {
        if let Some(t) = taking_function(&e.stack) {
            out.push(Site {
                class: &e.lock.class,
                outward: from(&e.stack, &t),
                taker: t,
            });
        }
    }
    out
}

/// A generic i_mutex/i_rwsem class (not a directory-only key).
fn generic_inode_mutex(class: &str) -> bool {
    let c = class.split('/').next().unwrap_or(class);
    (crate::kernel::locks::per_inode(c).is_some()
        && c.contains("i_mutex_key")
        && !c.contains("dir_key"))
        || c.starts_with("&inode->i_mutex")
}

/// A cycle through one inode-lock class taken once on a directory (by a
/// function that locks only directories) and once on a mapped file (under
/// mmap): no inode is both, so the two orders are on different inodes.
fn inode_dir_vs_file_alias(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::{dir_only_locker, file_mapping};
    let sites = cycle_sites(ctx.report);
    let dir = sites
        .iter()
        .find(|s| generic_inode_mutex(s.class) && dir_only_locker(&s.taker).is_some())?;
    let file = sites.iter().find(|s| {
        s.class == dir.class && s.outward.iter().any(|f| file_mapping(&f.base).is_some())
    })?;
    let map = file
        .outward
        .iter()
        .find(|f| file_mapping(&f.base).is_some())?
        .base
        .to_string();
    let class = dir.class;
    Some(Finding {
        evidence: vec![
            format!("{class} taken by {}: {}", dir.taker, dir_only_locker(&dir.taker)?),
            format!("{class} taken by {} under {map}: {}", file.taker, file_mapping(&map)?),
        ],
        explanation: format!(
            "One side takes {class} in {} on a directory, the other in {} on a file being mapped; no inode is both a directory and a mapped file, but the filesystem gives its directories no class of their own (lockdep_annotate_inode_mutex_key()), so lockdep joins the two orders under one class. Decisive is that the directory-side order is only ever taken on directories.",
            dir.taker, file.taker
        ),
        fix: Some(
            "Give the filesystem's directories their own i_mutex class (lockdep_annotate_inode_mutex_key() when a directory inode is set up, as e096d0c7e2e4 added for in-memory filesystems); nothing to fix in the locking."
        .to_string()),
        ..Finding::default()
    })
}

/// The module of the first frame of `outward` that has one, and every
/// module on it.
fn driver_of<'a>(outward: &[&'a Frame]) -> Option<(&'a str, Vec<&'a str>)> {
    let first = outward.iter().find_map(|f| f.module.as_deref())?;
    let all = outward.iter().filter_map(|f| f.module.as_deref()).collect();
    Some((first, all))
}

/// A cycle through a lock of a core object each driver registers for
/// itself (a thermal zone), taken on two paths that come from two
/// different drivers, neither of which is on the other's path: two
/// drivers' objects under one class.
fn driver_registered_class_cycle(ctx: &Ctx<'_>) -> Option<Finding> {
    use crate::kernel::locks::driver_registered;
    let sites = cycle_sites(ctx.report);
    for (i, a) in sites.iter().enumerate() {
        let Some(what) = driver_registered(a.class) else {
            continue;
        };
        let Some((ma, all_a)) = driver_of(&a.outward) else {
            continue;
        };
        for b in &sites[i + 1..] {
            if b.class != a.class {
                continue;
            }
            let Some((mb, all_b)) = driver_of(&b.outward) else {
                continue;
            };
            if ma == mb || all_b.contains(&ma) || all_a.contains(&mb) {
                continue;
            }
            let class = a.class;
            return Some(Finding {
                evidence: vec![
                    format!("{class}: {what}"),
                    format!("{class} taken by {} on a path from module {ma}", a.taker),
                    format!("{class} taken by {} on a path from module {mb}", b.taker),
                ],
                explanation: format!(
                    "{class} is {what}. One order takes it on a path that comes from {ma} and the other on a path from {mb}, and neither module is on the other's path: each reaches an object its own driver registered, so the cycle joins two objects under one class. Decisive is whether a path from one driver can reach the other driver's object (through a core callback or sysfs, not through its own code)."
                ),
                fix: Some(format!(
                    "Give each registered object its own lock class (a lock_class_key per object, lockdep_register_key() and lockdep_set_class() where the core initialises {class}); nothing to fix in either driver's locking if their objects never meet."
                )),
                ..Finding::default()
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irq_order_fix_never_disables_interrupts_around_a_pseudo_lock() {
        let f = irq_order_fix("SOFTIRQ", "&x->lock", "fs_reclaim", None);
        assert!(f.contains("GFP_ATOMIC"), "{f}");
        assert!(!f.contains("spin_lock_bh"), "{f}");
        let f = irq_order_fix("HARDIRQ", "&x->lock", "(wq_completion)events", None);
        assert!(f.contains("not a lock"), "{f}");
        assert!(!f.contains("_irqsave"), "{f}");
        let f = irq_order_fix("HARDIRQ", "&x->lock", "&y->lock", Some(LockType::Spinlock));
        assert!(f.contains("spin_lock_irqsave()"), "{f}");
        assert!(
            f.contains("stop taking &y->lock while &x->lock is held"),
            "{f}"
        );
    }
}
