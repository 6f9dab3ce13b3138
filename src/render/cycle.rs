//! What renderers and the lock graph share: which frames are noise (lockdep
//! and stack-dump internals, locking primitives, allocator internals), the
//! frame that "did" something in a stack, and the edges of a report's lock
//! cycle with the function that created each one.

use crate::model::{Frame, Report, ReportKind};

/// Lockdep's own frames and the stack dumper: never the code under
/// suspicion.
pub fn is_lockdep_internal(base: &str) -> bool {
    const EXACT: &[&str] = &[
        "dump_stack",
        "dump_stack_lvl",
        "show_stack",
        "dump_backtrace",
        "show_trace_log_lvl",
        "show_trace",
        "dump_trace",
        "unwind_backtrace",
        "print_circular_bug",
        "check_noncircular",
        "check_prev_add",
        "check_prevs_add",
        "validate_chain",
        "__lock_acquire",
        "lock_acquire",
        "lock_release",
        "__lock_release",
        "mark_lock",
        "mark_usage",
        "print_usage_bug",
        "valid_state",
        "mark_lock_irq",
        "check_deadlock",
        "print_deadlock_bug",
        "lockdep_rcu_suspicious",
        "__might_sleep",
        "___might_sleep",
        "__might_resched",
        "__might_fault",
        "might_fault",
        "__schedule_bug",
        "print_lock_invalid_wait_context",
        "check_wait_context",
        "print_unlock_imbalance_bug",
        "lock_release_holdtime",
        "debug_check_no_locks_freed",
        "register_lock_class",
        "lockdep_init_map_type",
        "print_bad_irq_dependency",
        "check_irq_usage",
        "print_irq_inversion_bug",
        "check_usage_backwards",
        "check_usage_forwards",
        "mark_held_locks",
        "lockdep_hardirqs_on_prepare",
        "trace_hardirqs_on",
        "__warn",
        "warn_slowpath_fmt",
        "report_bug",
        "handle_bug",
        "exc_invalid_op",
        "asm_exc_invalid_op",
    ];
    EXACT.contains(&base) || base.starts_with("lockdep_") || base.starts_with("debug_lockdep")
}

/// Lock and wait primitives: they take the lock, the caller is the story.
pub fn is_lock_primitive(base: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "_raw_spin_",
        "_raw_read_",
        "_raw_write_",
        "raw_spin_",
        "do_raw_spin_",
        "spin_lock",
        "__mutex_lock",
        "mutex_lock",
        "__mutex_",
        "down_read",
        "down_write",
        "__down",
        "down",
        "rwsem_down",
        "__rwsem",
        "rt_spin_lock",
        "rt_mutex",
        "rtlock_",
        "__rt_mutex",
        "percpu_down",
        "__percpu_down",
        "lock_sock_nested",
        "__flush_work",
        "flush_work",
        "__flush_workqueue",
        "flush_workqueue",
        "__cancel_work_timer",
        "cancel_work_sync",
        "cancel_delayed_work_sync",
        "wait_for_completion",
        "__wait_for_common",
        "wait_for_common",
        "touch_wq_lockdep_map",
        "touch_work_lockdep_map",
        "fs_reclaim_acquire",
        "__fs_reclaim_acquire",
        "might_alloc",
        "prepare_alloc_pages",
        "rcu_read_lock",
        "__rcu_read_lock",
        "srcu_read_lock",
        "__srcu_read_lock",
    ];
    PREFIXES.iter().any(|p| base == *p || base.starts_with(p))
}

/// Allocator internals between an allocation site and fs_reclaim.
pub fn is_allocator_internal(base: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "kmem_cache_alloc",
        "__kmem_cache_alloc",
        "kmalloc",
        "__kmalloc",
        "kzalloc",
        "kvmalloc",
        "__kvmalloc",
        "slab_",
        "__slab_alloc",
        "___slab_alloc",
        "new_slab",
        "allocate_slab",
        "alloc_pages",
        "__alloc_pages",
        "alloc_page",
        "__get_free_pages",
        "get_zeroed_page",
        "folio_alloc",
        "__folio_alloc",
        "vmalloc",
        "__vmalloc",
        "vzalloc",
        "kmem_alloc",
        "kmem_zalloc",
        "mempool_alloc",
        "alloc_slab_page",
        "pcpu_alloc",
        "__pte_alloc",
        "pte_alloc",
        "__pmd_alloc",
        "stack_depot_save",
        "__stack_depot_save",
        "kasan",
        "__kasan",
        "kmemleak",
        "create_object",
        "__create_object",
        "__alloc_object",
        "krealloc",
        "__krealloc",
        "stack_depot",
        "__stack_depot",
        "map_kernel_range",
        "vmap_",
        "map_vm_area",
        "__get_vm_area",
        "alloc_vmap_area",
    ];
    PREFIXES.iter().any(|p| base.starts_with(p))
}

/// A frame that tells nothing about the code under suspicion.
pub fn is_noise(f: &Frame) -> bool {
    !f.reliable || is_lockdep_internal(&f.base)
}

/// The frame of a saved stack that "did" it: the first reliable frame that
/// is not lockdep, a lock primitive or an allocator internal.
pub fn actor(frames: &[Frame]) -> Option<&Frame> {
    frames.iter().find(|f| {
        f.reliable
            && !is_lockdep_internal(&f.base)
            && !is_lock_primitive(&f.base)
            && !is_allocator_internal(&f.base)
    })
}

/// One edge of a lock cycle: `from` was held while `to` was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The function that took `to` with `from` held, when a stack shows it.
    pub via: Option<String>,
    /// The stack the edge comes from (`chain #1`, `current`).
    pub stack: String,
}

/// The edges of a report's dependency cycle, in cycle order starting at
/// the lock being acquired: S -> L1 -> ... -> T -> S. For a circular report
/// the chain entries `#n .. #1` give S -> ... -> T (entry #k's stack took
/// L_k while L_(k-1) was held, L_0 = S) and the current attempt gives T -> S.
pub fn cycle_edges(r: &Report) -> Vec<Edge> {
    let mut edges = Vec::new();
    match r.kind {
        ReportKind::CircularDependency if !r.chain.is_empty() => {
            // chain is printed #n first; index k means L_k.
            let mut by_index: Vec<&crate::model::ChainEntry> = r.chain.iter().collect();
            by_index.sort_by_key(|e| e.index);
            let s = r
                .acquiring
                .as_ref()
                .map(|l| l.class.clone())
                .or_else(|| by_index.first().map(|e| e.lock.class.clone()))
                .unwrap_or_default();
            let mut prev = s.clone();
            for e in by_index.iter().filter(|e| e.index >= 1) {
                edges.push(Edge {
                    from: prev.clone(),
                    to: e.lock.class.clone(),
                    via: actor(&e.stack).map(|f| f.base.clone()),
                    stack: format!("chain #{}", e.index),
                });
                prev = e.lock.class.clone();
            }
            let current = by_index
                .iter()
                .find(|e| e.index == 0)
                .map(|e| actor(&e.stack).map(|f| f.base.clone()))
                .unwrap_or(None)
                .or_else(|| {
                    r.acquiring
                        .as_ref()
                        .and_then(|l| l.at.as_ref())
                        .map(|f| f.base.clone())
                });
            edges.push(Edge {
                from: prev,
                to: s,
                via: current,
                stack: "current".to_string(),
            });
        }
        _ => {
            if let (Some(h), Some(a)) = (&r.holding, &r.acquiring) {
                edges.push(Edge {
                    from: h.class.clone(),
                    to: a.class.clone(),
                    via: a.at.as_ref().map(|f| f.base.clone()),
                    stack: "current".to_string(),
                });
            }
        }
    }
    edges
}
