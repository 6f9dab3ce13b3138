//! The fixed wording of report bodies: lines, prefixes and phrases that
//! belong to a lockdep report and carry no data of their own, and the frames
//! a stack bottoms out in. The segmenter asks [`is_report_body_line`] to tell
//! report text from foreign log lines; the parser uses the same lists to
//! know a line it need not keep.

use super::frame::parse_frame_ref;
use super::lock::parse_lock;
use crate::kernel::frames;
use crate::model::FrameContext;
use crate::vocab::trim::TrimWs;

/// The first line sched_show_task() prints for a task (kernel/sched/core.c):
/// `task:COMM state:D stack:0 pid:...` since 5.14, `COMM  D ...` before
/// (`%-15.15s %c`, `%-13.13s %c` in 2.6). `comm` is the task the line must
/// name in the older shape (the newer one says `task:`/` state:` itself, even
/// when a comm with a newline split it).
pub fn is_task_state_line(t: &str, comm: Option<&str>) -> bool {
    if t.starts_with("task:") && t.contains(" state:") {
        return true;
    }
    if t.contains(" state:") && t.contains(" stack:") && t.contains(" pid:") {
        return true;
    }
    let Some(comm) = comm.filter(|c| !c.is_empty()) else {
        return false;
    };
    [15, 13].iter().any(|&n| {
        let shown: String = comm.chars().take(n).collect();
        let Some(rest) = t.strip_prefix(shown.as_str()) else {
            return false;
        };
        let Some(rest) = rest.strip_prefix(' ') else {
            return false;
        };
        let mut chars = rest.trim_start_ws().chars();
        // task_state_to_char(): `RSDTtXZPI` and the older `KWN`.
        chars.next().is_some_and(|c| "RSDTtXZPIKWN".contains(c))
            && chars.next().is_none_or(|c| !c.is_ascii_alphabetic())
    })
}

/// The state letter of a sched_show_task() first line
/// ([`is_task_state_line`]): `D` for uninterruptible sleep, `I` for
/// TASK_IDLE, ... (include/linux/sched.h task_index_to_char()).
pub fn task_state_letter(t: &str, comm: Option<&str>) -> Option<char> {
    if !is_task_state_line(t, comm) {
        return None;
    }
    let after = match t.split_once(" state:") {
        Some((_, rest)) => rest,
        // `COMM  D ...`: the letter after the (cut) comm.
        None => {
            let comm = comm?;
            [15, 13].iter().find_map(|&n| {
                let shown: String = comm.chars().take(n).collect();
                t.strip_prefix(shown.as_str())
            })?
        }
    };
    after
        .trim_start_ws()
        .chars()
        .next()
        .filter(|c| c.is_ascii_alphabetic())
}

/// `INFO: task COMM:PID is blocked on a mutex likely owned by task COMM:PID.`
/// and its siblings (kernel/hung_task.c debug_show_blocker(), 6.16+):
/// the blocker of a hung task and who likely holds it.
pub fn parse_blocker(t: &str) -> Option<crate::model::Blocker> {
    use crate::model::{Blocker, Task};
    let rest = t.strip_prefix("INFO: task ")?;
    let task = |s: &str| -> Option<Task> {
        let (comm, pid) = s.trim_ws().rsplit_once(':')?;
        Some(Task {
            comm: comm.to_string(),
            pid: pid.parse().ok()?,
        })
    };
    let role = |s: &str| -> Option<(String, Option<String>)> {
        // `comm:pid <reader>` of an rw-semaphore.
        match s.trim_ws().rsplit_once(" <") {
            Some((who, r)) if r.ends_with('>') => {
                Some((who.to_string(), Some(r.trim_end_matches('>').to_string())))
            }
            _ => Some((s.trim_ws().to_string(), None)),
        }
    };
    for (lock, phrase, not_found) in [
        (
            "mutex",
            " is blocked on a mutex",
            ", but the owner is not found.",
        ),
        (
            "semaphore",
            " is blocked on a semaphore",
            ", but the last holder is not found.",
        ),
        (
            "rw-semaphore",
            " is blocked on an rw-semaphore",
            ", but the owner is not found.",
        ),
    ] {
        if let Some(who) = rest
            .strip_suffix(not_found)
            .and_then(|r| r.strip_suffix(phrase))
        {
            return Some(Blocker {
                lock: lock.to_string(),
                task: task(who),
                ..Blocker::default()
            });
        }
    }
    for (lock, phrase, owned) in [
        (
            "mutex",
            " is blocked on a mutex likely owned by task ",
            true,
        ),
        (
            "semaphore",
            " blocked on a semaphore likely last held by task ",
            false,
        ),
        (
            "rw-semaphore",
            " blocked on an rw-semaphore likely owned by task ",
            true,
        ),
    ] {
        let Some((who, owner)) = rest.split_once(phrase) else {
            continue;
        };
        let (who, as_role) = role(who)?;
        let (owner, owner_role) = role(owner.trim_end_matches('.'))?;
        return Some(Blocker {
            lock: lock.to_string(),
            task: task(&who),
            role: as_role,
            owner: task(&owner),
            owner_role,
            last_holder: !owned,
            owner_stack: Vec::new(),
        });
    }
    None
}

/// Lines that are part of reports' fixed wording and carry no data.
pub const KNOWN_LINES: &[&str] = &[
    "which lock already depends on the new lock.",
    "other info that might help us debug this:",
    "*** DEADLOCK ***",
    "May be due to missing lock nesting notation",
    "and interrupts could create inverse lock ordering between them.",
    "but there are no more locks to release!",
    "but there are no locks held!",
    "turning off the locking correctness validator.",
    "Please attach the output of /proc/lock_stat to the bug report",
    "The code is fine but needs lockdep annotation, or maybe",
    "the code is fine but needs lockdep annotation.",
    "you didn't initialize this object before use?",
    "INFO: lockdep is turned off.",
    "stack backtrace:",
    "...",
    "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
    "Hash chain already cached but the contents don't match!",
    "Held locks:",
    "Locks in cached chain:",
    "Showing all locks held in the system:",
    "Possible false positive due to lockdep disabling via debug_locks = 0",
    "RCU used illegally from offline CPU!",
    "RCU used illegally from extended quiescent state!",
    "------------[ cut here ]------------",
];

/// Prefixes of fixed-wording lines that carry no data we model.
pub const KNOWN_LINE_PREFIXES: &[&str] = &["and the lock comparison function returns "];

/// Prefixes of lines that belong to reports (used by the segmenter to tell
/// report text from foreign log lines, and by the parser as known lines).
const KNOWN_PREFIXES: &[&str] = &[
    "CPU: ",
    "Hardware name: ",
    "Workqueue: ",
    "Modules linked in:",
    "irq event stamp:",
    "hardirqs last",
    "softirqs last",
    "Call Trace:",
    "Call trace:",
    "-> #",
    "Chain exists of:",
    "Possible ",
    "CPU0",
    "inconsistent {",
    "rcu_scheduler_active",
    "in_atomic():",
    "preempt_count:",
    "RCU nest depth:",
    "Preemption disabled at:",
    "context-{",
    "depth: ",
    "DEBUG_LOCKS_WARN_ON",
    "task:",
    "INFO: task ",
    "the existing dependency chain",
    "the shortest dependencies",
    "the dependencies between",
    "but task is already holding",
    "and this task is already holding",
    "but this lock ",
    "which would create a new lock dependency",
    "but this new dependency connects",
    "to a ",
    "but this task is not holding",
    "{",
    "=====",
    "-----",
    "---[ end trace",
    "RIP: ",
    "Code: ",
    "RSP: ",
    "RAX: ",
    "RDX: ",
    "RBP: ",
    "R10: ",
    "R13: ",
    "pc : ",
    "lr : ",
    "sp : ",
];

/// Phrases (anywhere in the line) that mark report lines.
const KNOWN_PHRASES: &[&str] = &[
    " is trying to acquire",
    " is trying to release lock",
    " is trying to contend lock",
    " is trying to lock:",
    " is freeing memory ",
    " is leaving the kernel with locks still held",
    " just changed the state of lock",
    " held by ",
    "] takes:",
    " state was registered at:",
    " which became ",
    " Not tainted",
    " Tainted: ",
];

/// [`KNOWN_PREFIXES`] as one anchored automaton: one pass instead of a
/// comparison per prefix.
fn known_prefixes() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .start_kind(aho_corasick::StartKind::Anchored)
            .build(KNOWN_PREFIXES)
            .expect("the prefixes are plain strings")
    })
}

/// [`KNOWN_PHRASES`] as one automaton: the segmenter asks about every
/// unindented line of an open report.
fn known_phrases() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::new(KNOWN_PHRASES).expect("the phrases are plain strings")
    })
}

/// True when `text` looks like a line of a lockdep report body (the
/// segmenter's test for "still inside the report").
pub fn is_report_body_line(text: &str) -> bool {
    let t = text.trim_ws();
    t.is_empty() || text.starts_with(' ') || text.starts_with('\t') || is_report_body_text(t)
}

/// True when `t` (trimmed, not blank) is of a lockdep report body's
/// vocabulary: known wording, a lock, a frame, an ident line. Unlike
/// [`is_report_body_line`], indentation alone does not count.
pub fn is_report_body_text(t: &str) -> bool {
    KNOWN_LINES.contains(&t)
        || known_prefixes()
            .is_match(aho_corasick::Input::new(t).anchored(aho_corasick::Anchored::Yes))
        || known_phrases().is_match(t)
        || is_ident_line(t)
        || is_rcu_location(t)
        || parse_lock(t, 0).is_some()
        || parse_frame_ref(t, FrameContext::Task).is_some()
        || t.starts_with("[<")
}

/// A lock instance address alone on a line (a wrapped lock line).
pub fn is_lone_address(t: &str) -> bool {
    (8..=16).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Raw stack words that 4.x kernels dumped before `Call Trace:`
/// (` ffff8804ab8e0d28 ffff8804ab9c5968 ...`).
pub fn is_stack_words(t: &str) -> bool {
    let mut n = 0;
    for w in t.split_whitespace() {
        if !(w.len() == 8 || w.len() == 16) || !w.bytes().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// The kernel ident line printed under banners: `5.10.0-rc1 #1 Not tainted`
/// or `4.4.0 #1 Tainted: G        W` (print_kernel_ident(): the release,
/// the version string up to its first space, the taint). A version string
/// that does not start with a build number, or a copy that dropped it,
/// leaves the release right before the taint: `6.18.0-rc5 Not tainted`,
/// `6.1.0 Tainted: G           OE`.
///
/// The release is any word (`init_utsname()->release`: syzbot's builds
/// print `syzkaller #0 Not tainted`); one that does not start like a
/// version number counts only with the `#N` and the taint after it.
pub fn is_ident_line(t: &str) -> bool {
    let mut it = t.split_whitespace();
    let (Some(ver), Some(build)) = (it.next(), it.next()) else {
        return false;
    };
    if !(ver.starts_with(|c: char| c.is_ascii_digit()) && ver.contains('.')) {
        let build_no = build
            .strip_prefix('#')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()));
        let taint = t.trim_start_ws()[ver.len()..].trim_start_ws()[build.len()..].trim_ws();
        return build_no
            && !ver.ends_with(':')
            && (taint == "Not tainted" || taint.starts_with("Tainted: "));
    }
    if build.starts_with('#') {
        return t.contains("Not tainted") || t.contains("Tainted:") || it.next().is_none();
    }
    let after = t.trim_start_ws()[ver.len()..].trim_start_ws();
    after == "Not tainted" || after.starts_with("Tainted: ")
}

/// `kernel/rcu/tree.c:123 suspicious rcu_dereference_check() usage!`
pub fn is_rcu_location(t: &str) -> bool {
    let Some(sp) = t.find(' ') else {
        return false;
    };
    let loc = &t[..sp];
    let Some(colon) = loc.rfind(':') else {
        return false;
    };
    loc[..colon].contains(".c")
        || loc[..colon].contains(".h") && loc[colon + 1..].parse::<u32>().is_ok()
}

/// True when `base` is a function stacks bottom out in (syscall entry,
/// kthread start, CPU bring-up): a trace that reached it is whole. The
/// names are rows of the frame-class table ([`crate::kernel::frames`]).
pub fn is_root_frame(base: &str) -> bool {
    frames::is_root(base)
}

/// True when `base` is the very last frame of a stack: nothing is printed
/// below it (unlike `do_syscall_64` or `kthread`, which have callers).
pub fn is_terminal_frame(base: &str) -> bool {
    frames::is_terminal(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_state_letters_of_both_shapes() {
        let new = "task:rcu_gp          state:I stack:0     pid:3     ppid:2      flags:0x00004000";
        assert_eq!(task_state_letter(new, None), Some('I'));
        let new = "task:kworker/u16:6   state:D stack:    0 pid:  103 ppid:     2 flags:0x00004000";
        assert_eq!(task_state_letter(new, None), Some('D'));
        let old = "kworker/u8:2    D    0   123      2 0x80000000";
        assert_eq!(task_state_letter(old, Some("kworker/u8:2")), Some('D'));
        assert_eq!(task_state_letter("Call Trace:", Some("x")), None);
    }
}
