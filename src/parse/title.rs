//! syzkaller-compatible report titles.
//!
//! syzbot names lockdep bugs `possible deadlock in FUNC`, `inconsistent lock
//! state in FUNC`, ... Producing the same titles lets our output be joined
//! with syzbot's dashboard and with syzkaller workdirs. The behaviour
//! reproduced here is that of syzkaller's pkg/report (facts about its
//! observable output; the table and code are ours):
//!
//! * each report kind (and banner generation) picks FUNC from an ordered
//!   list of candidate frames: lock acquire sites, the faulting PC, or the
//!   first `Call Trace:`;
//! * candidates are skipped when a skip pattern matches the name anywhere
//!   (one unanchored alternation; a few patterns carry their own anchors),
//!   except where syzkaller reads the name straight from a fixed line;
//! * unconfirmed `?` frames and symbolized `[inline]` frames never count;
//! * the name is cut at its first `.` (`foo.isra.0` -> `foo`), C++ names
//!   are demangled, and syscall wrapper prefixes are trimmed;
//! * the final title is normalised as syzkaller does (numbers -> `NUM`,
//!   long hex -> `ADDR`).

use std::sync::OnceLock;

use regex::Regex;

use crate::kind::{Recipe, Skip, Source, When};
use crate::model::{BannerStyle, Frame, Report, TraceOrigin};
use crate::segment::Banner;

/// Frame-name patterns skipped for every Linux format when picking a
/// stack's guilty frame (locking primitives, allocators, stack dumping,
/// sanitizers, string/list helpers, device teardown ...).
const GLOBAL_SKIP: &[&str] = &[
    "__sanitizer",
    "__asan",
    "kasan",
    "hwasan",
    "__msan",
    "kmsan",
    "kcsan_setup_watchpoint",
    "check_memory_region",
    "check_heap_object",
    "check_object",
    "read_word_at_a_time",
    "(read|write)_once_.*nocheck",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "print_report",
    "print_usage_bug",
    "do_error",
    "_trap$|do_trap",
    "show_stack",
    "dump_stack",
    "walk_stack",
    "dump_backtrace",
    "warn_slowpath",
    "warn_alloc",
    "warn_bogus",
    "__warn",
    "alloc_page",
    "k?v?(?:m|z|c)alloc",
    "krealloc",
    "kmem_cache",
    "allocate_slab",
    "__alloc_frozen_pages_noprof",
    "folio_(?:alloc|unlock)",
    "filemap_alloc_folio",
    "__filemap_get_folio",
    "find_or_create_page",
    "do_read_cache_folio",
    "read_cache_page",
    "pagecache_get_page",
    "grab_cache_page_write_begin",
    "slab_",
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "__might_fault",
    "print_unlock",
    "imbalance_bug",
    "lockdep",
    "bh_enable",
    "bh_disable",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "mark_lock",
    "(reacquire|mark)_held_locks",
    "raw_spin_rq",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "read_lock",
    "read_trylock",
    "write_lock",
    "write_trylock",
    "read_unlock",
    "write_unlock",
    "^down$",
    "down_read",
    "down_write",
    "down_read_trylock",
    "down_write_trylock",
    "down_trylock",
    "up_read",
    "up_write",
    "^mutex_",
    "^__mutex_",
    "^rt_mutex_",
    "owner_on_cpu",
    "osq_lock",
    "osq_unlock",
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
    "(set|clear|change|test)_bit",
    "__wake_up",
    "^refcount_",
    "^kref_",
    "ref_tracker",
    "seqprop_assert",
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "memdup",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strstr",
    "strnstr",
    "strnlen",
    "strchr",
    "strdup",
    "strndup",
    "copy_to_user",
    "copy_from_user",
    "copy_to_iter",
    "copy_from_iter",
    "copy_page_to_iter",
    "copy_page_from_iter",
    "copy_folio_to_iter",
    "^copyin$",
    "^copyout$",
    "put_user",
    "get_user",
    "might_fault",
    "might_sleep",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "^rb_",
    "^__rb_",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "va_format",
    "dev_info",
    "dev_notice",
    "dev_warn",
    "dev_err",
    "dev_alert",
    "dev_crit",
    "dev_emerg",
    "program_check_exception",
    "program_check_common",
    "del_timer",
    "flush_work",
    "__cancel_work_timer",
    "cancel_work_sync",
    "try_to_grab_pending",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
    "queue_work",
    "finish_wait",
    "kthread_stop",
    "kobject_",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
    "device_release",
    "devres_release_all",
    "hwrng_unregister",
    "i2c_del_adapter",
    "__unregister_client",
    "device_for_each_child",
    "rollback_registered",
    "unregister_netdev",
    "sysfs_remove",
    "device_remove_file",
    "tty_unregister_device",
    "dummy_urb_enqueue",
    "usb_kill_urb",
    "usb_kill_anchored_urbs",
    "usb_control_msg",
    "usb_hcd_submit_urb",
    "usb_submit_urb",
    "^complete$",
    "wait_for_completion",
    "^kv?free$",
    "kfree_skb",
    "readb$",
    "readw$",
    "readl$",
    "readq$",
    "writeb$",
    "writew$",
    "writel$",
    "writeq$",
    "logic_in",
    "logic_out",
    "^crc\\d+",
    "crc_itu_t",
    "__might_resched",
    "assertfail",
    "^iput$",
    "^iput_final$",
    "^ihold$",
    "hex_dump_to_buffer",
    "print_hex_dump",
    "^klist_",
    "(trace|lockdep)_(hard|soft)irq",
    "^(un)?lock_page",
    "stack_trace_consume_entry",
    "arch_stack_walk",
    "stack_trace_save",
    "insert_work",
    "__queue_delayed_work",
    "queue_delayed_work_on",
    "ida_free",
    "do_(kernel|translation)_fault",
    "do_mem_abort",
    "el1_abort",
    "el1h_64_sync(?:_handler)?",
    "print_tainted",
    "xas_(?:start|load|find)",
    "find_lock_entries",
    "truncate_inode_pages_range",
    "__phys_addr",
    "__fortify_report",
    "cleanup_srcu_struct",
    "rhashtable_lookup",
    "extract_(user|iter)_to_sg",
    "drop_nlink",
    "^get_taint$",
    "^put_device$",
    "lock_timer_base",
    "__timer_delete_sync",
    "sk_stop_timer_sync",
    "__mod_timer",
    "fast_dput",
    "dput",
    "mark_buffer_dirty",
];

/// Extra skips of the circular-dependency format: workqueue flushing is
/// where many cycles close but never the bug.
const CIRCULAR_SKIP: &[&str] = &[
    "process_one_work",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
];
const RCU_SKIP: &[&str] = &["rcu", "kmem", "slab"];
const NON_STATIC_SKIP: &[&str] = &["stack", "lock", "IRQ"];
const LOCKING_BUG_SKIP: &[&str] = &["lock_sock", "release_sock"];
const ATOMIC_SKIP: &[&str] = &["schedule"];

/// DEPT's own functions (its report and graph search, kernel/dependency/
/// dept.c) and the wait primitives that call into it.
const DEPT_SKIP: &[&str] = &[
    "^print_circle",
    "^print_recover_circle",
    "^cb_check_dl",
    "^cb_check_recover_dl",
    "^bfs$",
    "^check_dl_bfs",
    "^check_recover_dl_bfs",
    "^add_dep$",
    "^add_wait$",
    "^_*dept_",
    "^folio_wait_bit",
    "^wait_for_completion",
];

/// Syscall wrapper prefixes trimmed from the chosen name (the shortest
/// single trim wins, as syzkaller does).
const WRAPPER_PREFIXES: &[&str] = &[
    "SYSC_",
    "SyS_",
    "sys_",
    "__x64_",
    "__ia32_",
    "__arm64_",
    "____sys_",
    "___sys_",
    "__sys_",
    "__se_",
    "__se_sys_",
    "__do_sys_",
    "compat_SYSC_",
    "compat_SyS_",
    "ksys_",
];

/// The title recipe for a report: the first of its kind's recipes
/// ([`crate::kind::KindRow::title`]) whose condition holds.
fn recipe_for(r: &Report, banner: &Banner) -> Recipe {
    let holds = |w: When| match w {
        When::Always => true,
        When::Bracketed => banner.style == BannerStyle::Bracketed,
        When::BracketedWith(c) => {
            banner.style == BannerStyle::Bracketed
                && banner.captures.first().map(String::as_str) == Some(c)
        }
        When::Tag(t) => banner.tag == t,
        When::NoWarningAt => r.warning_at.is_none(),
        When::WarningInLockdep => r.warning_at.as_deref().is_some_and(|w| {
            w.contains("lockdep.c")
                && w.split("lockdep.c")
                    .nth(1)
                    .is_some_and(|t| t.contains("lock_"))
        }),
        When::HungTask => banner.hung_task,
        When::Capture(c) => banner.captures.first().map(String::as_str) == Some(c),
    };
    r.kind
        .row()
        .title
        .iter()
        .find(|(w, _)| holds(*w))
        .map_or(Recipe::Banner, |(_, recipe)| *recipe)
}

/// The skip alternation for a format: the global list plus its extras,
/// compiled once per distinct extra list.
fn skipper(extra: Skip) -> &'static Regex {
    const SETS: [&[&str]; 7] = [
        &[],
        CIRCULAR_SKIP,
        RCU_SKIP,
        NON_STATIC_SKIP,
        LOCKING_BUG_SKIP,
        ATOMIC_SKIP,
        DEPT_SKIP,
    ];
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        SETS.iter()
            .map(|extra| {
                let all: Vec<&str> = GLOBAL_SKIP.iter().chain(extra.iter()).copied().collect();
                Regex::new(&all.join("|")).expect("skip patterns are valid")
            })
            .collect()
    });
    let idx = match extra {
        Skip::None => 0,
        Skip::Circular => 1,
        Skip::Rcu => 2,
        Skip::NonStatic => 3,
        Skip::LockingBug => 4,
        Skip::Atomic => 5,
        Skip::Dept => 6,
    };
    &compiled[idx]
}

/// Demangle a C++ (`_Z...`) symbol to its bare name; other names pass.
fn demangle(name: &str) -> String {
    let Some(rest) = name.strip_prefix("_Z") else {
        return name.to_string();
    };
    let (nested, mut rest) = match rest.strip_prefix('N') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let mut parts = Vec::new();
    loop {
        let digits = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            break;
        }
        let Ok(len) = rest[..digits].parse::<usize>() else {
            break;
        };
        let body = &rest[digits..];
        if body.len() < len || !body.is_char_boundary(len) {
            break;
        }
        parts.push(&body[..len]);
        rest = &body[len..];
        if !nested {
            break;
        }
    }
    if parts.is_empty() {
        name.to_string()
    } else {
        parts.join("::")
    }
}

/// The name syzkaller reads for a frame, or `None` when its frame pattern
/// would not match the line at all (an `[inline]` symbolized line, a `?`
/// frame, a frame without `+offset`).
fn frame_name(f: &Frame) -> Option<String> {
    // syzkaller's frame patterns need `name+` or `name.`, except the arm32
    // `[<pc>] (name) from` shape, which carries an address.
    // decode_stacktrace.sh prints `func (file.c:12)` without the offset:
    // the frame syzkaller's rule picks, decoded (its own symbolized
    // non-inline frames always keep `+off/size`).
    let decoded = f.offset.is_none() && f.file.is_some();
    if !f.reliable
        || f.inline
        || f.function.starts_with("0x")
        || (f.offset.is_none() && !f.function.contains('.') && f.address.is_none() && !decoded)
    {
        return None;
    }
    let first = f.function.split('.').next().unwrap_or("");
    if first.is_empty()
        || !first
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
    {
        return None;
    }
    Some(demangle(first))
}

/// Trim one syscall-wrapper prefix; the shortest result wins.
fn canonical(name: &str) -> String {
    WRAPPER_PREFIXES
        .iter()
        .filter_map(|p| name.strip_prefix(p))
        .filter(|s| !s.is_empty())
        .min_by_key(|s| s.len())
        .unwrap_or(name)
        .to_string()
}

/// The frames a source offers, in order.
fn candidates(r: &Report, src: Source) -> Vec<&Frame> {
    use Source::*;
    match src {
        AcquiringAt => r.acquiring.iter().filter_map(|l| l.at.as_ref()).collect(),
        HoldingAt => r.holding.iter().filter_map(|l| l.at.as_ref()).collect(),
        ReleasingAt => r.releasing.iter().filter_map(|l| l.at.as_ref()).collect(),
        FirstHeldAt => r
            .held_lock_lists
            .iter()
            .flat_map(|h| h.locks.first())
            .take(1)
            .filter_map(|l| l.at.as_ref())
            .collect(),
        ChainFrames => r.chain.iter().flat_map(|e| e.stack.iter()).collect(),
        BecameSafeFrames => r
            .traces
            .iter()
            .find(|t| t.name.starts_with("... which became"))
            .map(|t| t.frames.iter().collect())
            .unwrap_or_default(),
        FaultingPc => r
            .traces
            .iter()
            .find(|t| t.origin == TraceOrigin::FaultingPc)
            .map(|t| t.frames.iter().collect())
            .unwrap_or_default(),
        // syzkaller reads the frames after the first `Call Trace:` /
        // `Backtrace:` line; with none, the frame is `corrupted`.
        CallTrace => {
            let Some(marker) = r.call_trace_line else {
                return Vec::new();
            };
            r.traces
                .iter()
                .filter(|t| t.origin == TraceOrigin::EarlierBacktrace)
                .map(|t| t.frames.as_slice())
                .chain(std::iter::once(r.backtrace.as_slice()))
                .find(|s| s.iter().any(|f| f.source_line > marker))
                .map(|s| s.iter().filter(|f| f.source_line > marker).collect())
                .unwrap_or_default()
        }
        DeptWaitAt => r
            .dept
            .iter()
            .flat_map(|d| d.contexts.first())
            .flat_map(|c| c.wait.at.iter())
            .collect(),
    }
}

/// Hung-task frame choice: hangs on `rtnl_lock` and on RCU synchronisation
/// are grouped; otherwise scheduler/lock/wait frames are passed over.
fn hung_task_func(names: &[String]) -> Option<String> {
    const ANCHORS: &[(&str, &str)] = &[
        ("rtnl_lock", ""),
        ("synchronize_rcu", "synchronize_rcu"),
        ("synchronize_srcu", "synchronize_rcu"),
        ("synchronize_net", "synchronize_rcu"),
        ("synchronize_sched", "synchronize_rcu"),
    ];
    const SKIP: &[&str] = &[
        "sched",
        "_lock",
        "_slowlock",
        "down",
        "rwsem",
        "completion",
        "kthread",
        "wait",
        "synchronize",
        "context_switch",
        "__switch_to",
        "cancel_delayed_work",
        "rcu_barrier",
    ];
    for n in names {
        for (anchor, replacement) in ANCHORS {
            if n.contains(anchor) {
                return Some(if replacement.is_empty() {
                    n.clone()
                } else {
                    replacement.to_string()
                });
            }
        }
    }
    names
        .iter()
        .find(|n| !SKIP.iter().any(|s| n.contains(s)))
        .cloned()
}

/// syzkaller's title normalisation: variable numbers and addresses out.
fn normalise(title: &str) -> String {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (r"syz-executor\.?[0-9]+((/|:)[0-9]+)?", "syz-executor"),
            (r"syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller"),
            (r"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}", "${1}ADDR"),
            (r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})", "IP"),
            (r"(\.[a-zA-Z0-9_]+)(:[0-9]+)+", "${1}:LINE"),
            (r"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+", "${1}"),
            (r"CPU#[0-9]+", "CPU"),
            (r"([^a-zA-Z0-9_])([0-9]+)([^a-zA-Z0-9_]|$)", "${1}NUM${3}"),
            (r"([0-9]+){7,}", "NUM"),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("valid rule"), r))
        .collect()
    });
    let mut s = title.to_string();
    for (re, rep) in rules {
        // Re-apply until stable (a match can uncover another).
        for _ in 0..8 {
            match re.replace_all(&s, *rep) {
                std::borrow::Cow::Owned(next) if next != s => s = next,
                _ => break,
            }
        }
    }
    let s: String = s
        .chars()
        .take(120)
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| (*c as u32) >= 0x20 && (*c as u32) < 0x7f)
        .collect();
    s.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The banner as a title when no format applies (capacity messages,
/// irq-order banners of old kernels, unknown shapes).
fn banner_title(banner: &Banner) -> String {
    let t = banner.text.as_str();
    let from_tag = if banner.tag.is_empty() {
        t
    } else {
        t.find(&format!("{}:", banner.tag))
            .map(|i| &t[i..])
            .unwrap_or(t)
    };
    from_tag.to_string()
}

/// Compute the title of a parsed report.
pub fn title(r: &Report, banner: &Banner) -> String {
    let rule = match recipe_for(r, banner) {
        Recipe::Format(rule) => rule,
        Recipe::Fixed(t) => return t.to_string(),
        Recipe::Banner => return normalise(&banner_title(banner)),
    };
    let skip = skipper(rule.extra_skip);
    let mut names: Vec<String> = Vec::new();
    'sources: for src in rule.sources {
        for f in candidates(r, *src) {
            let Some(name) = frame_name(f) else { continue };
            if rule.skip && skip.is_match(&name) {
                continue;
            }
            names.push(name);
            if !rule.hung_task {
                break 'sources;
            }
        }
        if rule.hung_task {
            break;
        }
    }
    let func = if rule.hung_task {
        hung_task_func(&names)
    } else {
        names.into_iter().next()
    };
    let tag = if banner.tag.is_empty() {
        "WARNING"
    } else {
        banner.tag.as_str()
    };
    let func = func
        .map(|f| canonical(&f))
        .unwrap_or_else(|| "corrupted".to_string());
    normalise(&rule.format.replace("{tag}", tag).replace("{func}", &func))
}

/// A headline a person can use when syzkaller's title names no function
/// (`... in corrupted`, or a bare banner such as `BUG: MAX_LOCK_DEPTH too
/// low!`) although the report does: the first `at:` site of the report's
/// own locks (acquiring, holding, releasing, nest, other; not the held
/// list, which is context) outside the
/// locking, lockdep and dump machinery (the frame-class table,
/// [`crate::kernel::frames`]), else the first such frame of the final
/// backtrace, a saved stack or a chain entry's stack.
pub fn headline(r: &Report) -> Option<String> {
    // syzkaller's title may also stop at a lock primitive or lockdep
    // helper (`... in mutex_lock`), which names no suspect.
    let names_machinery = |func: &str| {
        let func = func.split_whitespace().next().unwrap_or(func);
        crate::kernel::frames::class_of(crate::vocab::frame::base_name(func)).is_machinery()
    };
    let stem = match r.title.strip_suffix(" in corrupted") {
        Some(stem) => stem,
        None => match r.title.rsplit_once(" in ") {
            None => r.title.as_str(),
            Some((stem, func)) if names_machinery(func) => stem,
            Some(_) => return None,
        },
    };
    let usable = |f: &&Frame| {
        f.reliable
            && !f.base.is_empty()
            && !f.base.starts_with("0x")
            && !crate::kernel::frames::class_of(&f.base).is_machinery()
    };
    let sites = r
        .acquiring
        .iter()
        .chain(&r.holding)
        .chain(&r.releasing)
        .chain(&r.nest_lock)
        .chain(&r.other_locks)
        .filter_map(|l| l.at.as_ref());
    let stacks = std::iter::once(&r.backtrace)
        .chain(r.traces.iter().map(|t| &t.frames))
        .chain(r.chain.iter().map(|c| &c.stack));
    let func = sites
        .into_iter()
        .find(usable)
        .or_else(|| stacks.flat_map(|s| s.iter()).find(usable))?;
    Some(format!("{stem} in {}", func.base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_and_trims() {
        assert_eq!(demangle("_Z8fakeNameiii"), "fakeName");
        assert_eq!(demangle("_ZN3foo3barEv"), "foo::bar");
        assert_eq!(demangle("plain_c"), "plain_c");
        assert_eq!(canonical("__arm64_sys_rt_sigreturn"), "sys_rt_sigreturn");
        assert_eq!(canonical("__se_sys_foo"), "foo");
        assert_eq!(canonical("__x64_sys_foo"), "sys_foo");
        assert_eq!(canonical("do_foo"), "do_foo");
    }

    #[test]
    fn skip_patterns_are_unanchored_unless_anchored() {
        let re = skipper(Skip::None);
        assert!(re.is_match("_raw_spin_lock_irqsave"));
        assert!(re.is_match("kmem_cache_alloc_node"));
        assert!(!re.is_match("__alloc_skb"));
        assert!(re.is_match("mutex_lock_nested"));
        assert!(!re.is_match("rtnl_mutex_lock"));
        assert!(!re.is_match("shutdown"));
        assert!(re.is_match("down"));
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalise("BUG: looking up invalid subclass: 8"),
            "BUG: looking up invalid subclass: NUM"
        );
        assert_eq!(
            normalise("BUG: MAX_LOCKDEP_KEYS too low!"),
            "BUG: MAX_LOCKDEP_KEYS too low!"
        );
        assert_eq!(
            normalise("possible deadlock in  x\t"),
            "possible deadlock in x"
        );
    }

    #[test]
    fn hung_task_anchors() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            hung_task_func(&names(&["__schedule", "synchronize_rcu_expedited", "x"])).as_deref(),
            Some("synchronize_rcu")
        );
        assert_eq!(
            hung_task_func(&names(&["schedule", "rtnl_lock", "x"])).as_deref(),
            Some("rtnl_lock")
        );
        assert_eq!(
            hung_task_func(&names(&["schedule", "io_schedule", "read_cache_folio"])).as_deref(),
            Some("read_cache_folio")
        );
    }
}
