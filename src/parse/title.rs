//! syzkaller-compatible report titles.
//!
//! syzbot's dashboard names lockdep bugs `possible deadlock in FUNC`,
//! `inconsistent lock state in FUNC`, ... Matching those titles lets our
//! output be joined with syzbot's. Each kind is a row: the title format and
//! where FUNC comes from (a lock's acquire site, or the first interesting
//! frame of the final stack after skipping locking, allocator and
//! stack-dump internals). Behaviour follows syzkaller's pkg/report/linux.go
//! (facts only; the table and code are ours).

use crate::model::{Frame, Report, ReportKind};
use crate::segment::Banner;

/// Where a title's FUNC comes from.
#[derive(Debug, Clone, Copy)]
enum FuncSource {
    /// The acquire site (`at:`) of the lock being acquired.
    AcquiringAt,
    /// The acquire site of the first held lock.
    FirstHeldAt,
    /// The first frame of the final stack (after a `RIP:`/`pc :` frame if
    /// the report has one) that no skip pattern matches.
    Stack(&'static [&'static str]),
    /// Hung-task frame selection: anchor frames, then a skip list.
    HungTask,
    /// The title has no FUNC.
    None,
}

struct TitleRow {
    kind: ReportKind,
    /// `{tag}` is replaced by the banner's tag (`WARNING`, `BUG`, `INFO`).
    format: &'static str,
    func: FuncSource,
}

const RCU_SKIP: &[&str] = &["rcu", "kmem", "slab", "kmalloc", "vmalloc", "kcalloc", "kzalloc"];
const NON_STATIC_SKIP: &[&str] = &["stack", "lock", "IRQ"];
const LOCKING_BUG_SKIP: &[&str] = &["lock_sock", "release_sock"];
const SLEEP_SKIP: &[&str] = &[];
const ATOMIC_SKIP: &[&str] = &["schedule", "preempt"];

const TITLES: &[TitleRow] = &[
    TitleRow { kind: ReportKind::CircularDependency, format: "possible deadlock in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::RecursiveLocking, format: "possible deadlock in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::IrqLockInversion, format: "possible deadlock in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::IrqSafeUnsafeOrder, format: "possible deadlock in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::InconsistentLockState, format: "inconsistent lock state in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::BadUnlockBalance, format: "{tag}: bad unlock balance in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::BadContention, format: "{tag}: bad contention in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::HeldLockFreed, format: "{tag}: held lock freed in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::LocksStillHeld, format: "{tag}: still has locks held in {func}", func: FuncSource::FirstHeldAt },
    TitleRow { kind: ReportKind::LockHeldReturningToUser, format: "{tag}: lock held when returning to user space in {func}", func: FuncSource::FirstHeldAt },
    TitleRow { kind: ReportKind::NestedLockNotTaken, format: "{tag}: nested lock was not taken in {func}", func: FuncSource::Stack(&[]) },
    TitleRow { kind: ReportKind::SuspiciousRcuUsage, format: "{tag}: suspicious RCU usage in {func}", func: FuncSource::Stack(RCU_SKIP) },
    TitleRow { kind: ReportKind::InvalidWaitContext, format: "{tag}: Invalid wait context in {func}", func: FuncSource::AcquiringAt },
    TitleRow { kind: ReportKind::LockdepCapacity, format: "{banner}", func: FuncSource::None },
    TitleRow { kind: ReportKind::NonStaticKey, format: "INFO: trying to register non-static key in {func}", func: FuncSource::Stack(NON_STATIC_SKIP) },
    TitleRow { kind: ReportKind::InvalidSubclass, format: "BUG: looking up invalid subclass in {func}", func: FuncSource::Stack(&[]) },
    TitleRow { kind: ReportKind::SleepingInAtomic, format: "BUG: sleeping function called from invalid context in {func}", func: FuncSource::Stack(SLEEP_SKIP) },
    TitleRow { kind: ReportKind::SchedulingWhileAtomic, format: "BUG: scheduling while atomic in {func}", func: FuncSource::Stack(ATOMIC_SKIP) },
    TitleRow { kind: ReportKind::LockdepWarning, format: "WARNING: locking bug in {func}", func: FuncSource::Stack(LOCKING_BUG_SKIP) },
    TitleRow { kind: ReportKind::HeldLocksDump, format: "INFO: task hung in {func}", func: FuncSource::HungTask },
    TitleRow { kind: ReportKind::Other, format: "{banner}", func: FuncSource::None },
];

/// Frame-name substrings syzkaller skips when picking a stack's guilty
/// frame for every Linux format (locking primitives, stack dumping,
/// sanitizers, string/list helpers ...).
pub const GLOBAL_SKIP: &[&str] = &[
    "__sanitizer", "__asan", "kasan", "__msan", "kmsan", "check_memory_region",
    "read_word_at_a_time", "print_address_description", "panic", "invalid_op", "report_bug",
    "fixup_bug", "do_error", "_trap", "dump_stack", "warn_slowpath", "warn_alloc", "__warn",
    "debug_object", "timer_is_static_object", "work_is_static_object", "lockdep", "perf_trace",
    "lock_acquire", "lock_release", "lock_class", "reacquire_held_locks", "spin_lock",
    "spin_trylock", "spin_unlock", "raw_read_lock", "raw_read_trylock", "raw_write_lock",
    "raw_write_trylock", "down", "down_read", "down_write", "down_read_trylock",
    "down_write_trylock", "up_read", "up_write", "mutex_lock", "mutex_trylock", "mutex_unlock",
    "mutex_remove_waiter", "osq_lock", "osq_unlock", "__wake_up", "refcount_add",
    "refcount_sub", "refcount_inc", "refcount_dec", "refcount_set", "refcount_read", "memcpy",
    "memcmp", "memset", "memchr", "memmove", "strcmp", "strncmp", "strcpy", "strlcpy",
    "strncpy", "strscpy", "strlen", "strnstr", "strnlen", "strchr", "copy_to_user",
    "copy_from_user", "put_user", "get_user", "might_fault", "might_sleep", "list_add",
    "list_del", "list_replace", "list_move", "list_splice", "_indirect_thunk_", "string",
    "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk", "dev_info",
    "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit", "dev_emerg",
    "program_check_exception", "program_check_common", "del_timer", "flush_work",
    "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending", "flush_workqueue",
    "drain_workqueue", "destroy_workqueue", "finish_wait", "kthread_stop", "kobject_del",
    "kobject_put", "kobject_uevent_env", "add_uevent_var", "get_device_parent", "device_add",
    "device_del", "device_unregister", "device_destroy", "hwrng_unregister", "i2c_del_adapter",
    "__unregister_client", "device_for_each_child", "rollback_registered", "unregister_netdev",
    "sysfs_remove", "device_remove_file", "tty_unregister_device", "dummy_urb_enqueue",
    "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg", "usb_hcd_submit_urb",
    "usb_submit_urb",
];

/// The name a title uses for a frame: syzkaller keeps the symbol up to its
/// first `.`, so `do_ipv6_setsockopt.isra.0` reads `do_ipv6_setsockopt`.
fn title_name(f: &Frame) -> &str {
    f.function.split('.').next().unwrap_or(&f.function)
}

fn skipped(name: &str, extra: &[&str]) -> bool {
    GLOBAL_SKIP.iter().chain(extra.iter()).any(|p| name.contains(p))
}

/// The first interesting frame of `frames`.
fn first_interesting<'a>(frames: &'a [Frame], extra: &[&str]) -> Option<&'a Frame> {
    frames
        .iter()
        .filter(|f| f.reliable)
        .find(|f| !skipped(title_name(f), extra))
}

/// syzkaller's hung-task frame choice: group hangs on `rtnl_lock` and on
/// RCU synchronisation, else skip scheduler/locking/waiting frames.
fn hung_task_func(frames: &[Frame]) -> Option<String> {
    const ANCHORS: &[(&str, &str)] = &[
        ("rtnl_lock", ""),
        ("synchronize_rcu", "synchronize_rcu"),
        ("synchronize_srcu", "synchronize_rcu"),
        ("synchronize_net", "synchronize_rcu"),
        ("synchronize_sched", "synchronize_rcu"),
    ];
    const SKIP: &[&str] = &[
        "sched", "_lock", "_slowlock", "down", "completion", "kthread", "wait", "synchronize",
        "context_switch", "__switch_to", "cancel_delayed_work",
    ];
    let reliable: Vec<&Frame> = frames.iter().filter(|f| f.reliable).collect();
    for f in &reliable {
        let name = title_name(f);
        for (anchor, replacement) in ANCHORS {
            if name.starts_with(anchor) {
                return Some(if replacement.is_empty() {
                    name.to_string()
                } else {
                    replacement.to_string()
                });
            }
        }
    }
    reliable
        .iter()
        .map(|f| title_name(f))
        .find(|n| !SKIP.iter().any(|s| n.contains(s)))
        .map(str::to_string)
}

/// The stack a title reads: the final backtrace, preceded by the faulting
/// PC when the report printed one (warnings).
fn title_stack(r: &Report) -> Vec<Frame> {
    let mut frames = Vec::new();
    if let Some(t) = r.traces.iter().find(|t| t.name == "faulting pc") {
        frames.extend(t.frames.iter().cloned());
    }
    frames.extend(r.backtrace.iter().cloned());
    frames
}

/// Compute the title of a parsed report.
pub fn title(r: &Report, banner: &Banner) -> String {
    let row = TITLES
        .iter()
        .find(|row| row.kind == r.kind)
        .unwrap_or(&TITLES[TITLES.len() - 1]);
    // Standalone held-lock dumps (sysrq-d, lockdep_print_held_locks) have
    // no hung task to name.
    if r.kind == crate::model::ReportKind::HeldLocksDump && !banner.hung_task {
        return "Showing all locks held in the system".to_string();
    }
    let tag = if banner.tag.is_empty() { "WARNING" } else { banner.tag.as_str() };
    let func = match row.func {
        FuncSource::AcquiringAt => r
            .acquiring
            .as_ref()
            .and_then(|l| l.at.as_ref())
            .map(|f| title_name(f).to_string()),
        FuncSource::FirstHeldAt => r
            .held_locks
            .first()
            .and_then(|l| l.at.as_ref())
            .map(|f| title_name(f).to_string()),
        FuncSource::Stack(extra) => {
            first_interesting(&title_stack(r), extra).map(|f| title_name(f).to_string())
        }
        FuncSource::HungTask => hung_task_func(&r.backtrace),
        FuncSource::None => None,
    };
    let banner_text = banner
        .text
        .trim_start_matches("[ ")
        .trim_end_matches(" ]")
        .to_string();
    let mut out = row
        .format
        .replace("{tag}", tag)
        .replace("{banner}", &banner_text);
    match func {
        Some(f) => out = out.replace("{func}", &f),
        None => {
            out = out.replace(" in {func}", "");
        }
    }
    out
}
