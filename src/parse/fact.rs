//! Standalone fact lines: the CPU and ident lines (task, taint, release),
//! the sleeping-function facts, RCU's facts, warnings, and the fixed
//! wording that carries no data.

use super::Parser;
use crate::input::Line;
use crate::model::{
    AtomicSleep, FrameContext, KernelRelease, RcuInfo, Report, ReportKind, Taint, Tainted, Trace,
};
use crate::vocab::body::{
    is_ident_line, is_rcu_location, is_stack_words, KNOWN_LINES, KNOWN_LINE_PREFIXES,
};
use crate::vocab::frame::{classify_trace_line, TraceLineRef};
use crate::vocab::lock::parse_wait_context;
use crate::vocab::trim::TrimWs;

impl Parser<'_> {
    /// Standalone fact lines (CPU line, ident, sleeping-function facts...).
    pub(super) fn fact(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        identity_fact(&mut self.r, t)
            || atomic_fact(&mut self.r, t)
            || rcu_fact(&mut self.r, t)
            || warning_fact(&mut self.r, t, line.no)
            || is_known_line(t)
    }
}

/// Who and what ran: the CPU line, 2.6's `Pid:` line, the hardware name,
/// the kernel ident line.
fn identity_fact(r: &mut Report, t: &str) -> bool {
    if t.starts_with("CPU: ") && t.contains("PID: ") {
        parse_cpu_line(t, r);
        return true;
    }
    // 2.6-era dump_stack: `Pid: 0, comm: kworker/0:1 Not tainted 2.6.36 #6`.
    if let Some(rest) = t.strip_prefix("Pid: ") {
        if let Some((pid, rest)) = rest.split_once(", comm: ") {
            let end = ["Kdump: loaded", "Not tainted", "Tainted:"]
                .iter()
                .filter_map(|k| rest.find(k))
                .min()
                .unwrap_or(rest.len());
            if let (Ok(pid), None) = (pid.trim_ws().parse(), r.task.as_ref()) {
                r.task = Some(crate::model::Task {
                    comm: rest[..end].trim_ws().to_string(),
                    pid,
                });
            }
            let (tainted, release) = parse_taint_and_release(t);
            set_taint(r, tainted);
            r.kernel = release.map(KernelRelease::new).or(r.kernel.take());
            return true;
        }
    }
    if let Some(hw) = t.strip_prefix("Hardware name: ") {
        r.hardware = Some(hw.to_string());
        return true;
    }
    if is_ident_line(t) || (t.starts_with("Not tainted ") || t.starts_with("Tainted: ")) {
        let (tainted, release) = parse_taint_and_release(t);
        // Old idents print no taint at all: `2.6.36-rc2-mm1 #6`.
        let release = release.or_else(|| {
            t.split_whitespace()
                .next()
                .filter(|v| looks_like_release(v))
                .map(str::to_string)
        });
        set_taint(r, tainted);
        if r.kernel.is_none() {
            r.kernel = release.map(KernelRelease::new);
        }
        return true;
    }
    false
}

/// `BUG: sleeping function called from invalid context`'s facts.
fn atomic_fact(r: &mut Report, t: &str) -> bool {
    if t.starts_with("in_atomic():") {
        let a = r.atomic_sleep.get_or_insert_with(AtomicSleep::default);
        for part in t.split(", ") {
            let Some((k, v)) = part.split_once(": ") else {
                continue;
            };
            match k.trim_ws() {
                "in_atomic()" => a.in_atomic = v.trim_ws().parse().ok(),
                "irqs_disabled()" => a.irqs_disabled = v.trim_ws().parse().ok(),
                "non_block" => a.non_block = v.trim_ws().parse().ok(),
                "pid" => {
                    if let Ok(pid) = v.trim_ws().parse() {
                        let name = t.rsplit("name: ").next().unwrap_or("").to_string();
                        if r.task.is_none() {
                            r.task = Some(crate::model::Task { comm: name, pid });
                        }
                    }
                }
                _ => {}
            }
        }
        return true;
    }
    if let Some(rest) = t.strip_prefix("preempt_count: ") {
        let a = r.atomic_sleep.get_or_insert_with(AtomicSleep::default);
        let mut parts = rest.split(", expected: ");
        a.preempt_count = parts.next().map(str::to_string);
        a.expected_preempt_count = parts.next().map(str::to_string);
        return true;
    }
    if let Some(rest) = t.strip_prefix("RCU nest depth: ") {
        let a = r.atomic_sleep.get_or_insert_with(AtomicSleep::default);
        let mut parts = rest.split(", expected: ");
        a.rcu_nest_depth = parts.next().and_then(|v| v.trim_ws().parse().ok());
        a.rcu_nest_expected = parts.next().and_then(|v| v.trim_ws().parse().ok());
        return true;
    }
    false
}

/// RCU's facts and lockdep being off.
fn rcu_fact(r: &mut Report, t: &str) -> bool {
    if t == "INFO: lockdep is turned off." {
        r.lockdep_off = true;
        return true;
    }
    if t.starts_with("rcu_scheduler_active = ") {
        let rcu = r.rcu.get_or_insert_with(RcuInfo::default);
        for part in t.split(", ") {
            if let Some((k, v)) = part.split_once(" = ") {
                match k {
                    "rcu_scheduler_active" => rcu.scheduler_active = v.trim_ws().parse().ok(),
                    "debug_locks" => rcu.debug_locks = v.trim_ws().parse().ok(),
                    _ => {}
                }
            }
        }
        return true;
    }
    if t == "RCU used illegally from offline CPU!" {
        r.rcu.get_or_insert_with(RcuInfo::default).offline_cpu = true;
        return true;
    }
    if t == "RCU used illegally from extended quiescent state!" {
        r.rcu
            .get_or_insert_with(RcuInfo::default)
            .extended_quiescent_state = true;
        return true;
    }
    if r.kind == ReportKind::SuspiciousRcuUsage && r.message.is_none() && is_rcu_location(t) {
        r.message = Some(t.to_string());
        return true;
    }
    false
}

/// Wait contexts, lockdep warnings and the faulting pc of a WARN.
fn warning_fact(r: &mut Report, t: &str, no: u64) -> bool {
    if let Some(w) = parse_wait_context(t) {
        r.wait_context = Some(w);
        return true;
    }
    if t.starts_with("DEBUG_LOCKS_WARN_ON(") {
        r.message = Some(t.to_string());
        return true;
    }
    if r.kind == ReportKind::LockdepWarning && t.starts_with("WARNING: ") && t.contains(" at ") {
        if r.warning_at.is_none() {
            r.warning_at = t.split_once(" at ").map(|(_, loc)| loc.to_string());
        }
        return true;
    }
    if t.starts_with("RIP: ") || t.starts_with("pc : ") || t.starts_with("NIP ") {
        let mut ctx = FrameContext::Task;
        if let TraceLineRef::Register(Some(f)) = classify_trace_line(t, &mut ctx) {
            r.traces.push(Trace::set_apart(
                crate::model::TraceOrigin::FaultingPc,
                vec![f.to_frame(no)],
            ));
        }
        return true;
    }
    false
}

/// Fixed wording and dump lines that carry nothing we model.
fn is_known_line(t: &str) -> bool {
    KNOWN_LINES.contains(&t)
        || KNOWN_LINE_PREFIXES.iter().any(|p| t.starts_with(p))
        || is_stack_words(t)
        || t.chars().all(|c| c == '=' || c == '-') && t.len() >= 8
        || t.starts_with("Modules linked in:")
        || t.starts_with("Workqueue: ")
        || t.starts_with("task:")
        || t.starts_with("depth: ")
        || t.starts_with("hlock_id:")
        || t.starts_with("---[ end trace")
}

/// Parse the taint and kernel release out of `... Not tainted 4.15.0 #1` /
/// `... Tainted: G        W         6.1.0 #1` (the CPU line) or
/// `4.15.0 #1 Not tainted` (ident line) or `      Not tainted 5.0.0+ #1`
/// (hung task).
///
/// The release is `init_utsname()->release`, any word: lib/dump_stack.c
/// (dump_stack_print_info()), print_kernel_ident() and the hung-task
/// header print it next to the first word of the version, `#N`, so a word
/// that does not look like a release still is one there (syzbot's builds
/// print `syzkaller #0`).
fn parse_taint_and_release(t: &str) -> (Option<Tainted>, Option<String>) {
    if let Some(pos) = t.find("Not tainted") {
        let mut after = t[pos + "Not tainted".len()..].split_whitespace();
        let release = release_before_build(after.next(), after.next())
            .or_else(|| release_word_before(&t[..pos]))
            .or_else(|| t.split_whitespace().find(|v| looks_like_release(v)));
        return (Some(Tainted::No), release.map(str::to_string));
    }
    if let Some(pos) = t.find("Tainted: ") {
        let field = &t[pos + "Tainted: ".len()..];
        let (taint, used) = match crate::kernel::taint::parse_field(field) {
            Some((taint, used)) => (Some(taint), used),
            None => (None, 0),
        };
        let mut after = field[used..].split_whitespace();
        let release = release_before_build(after.next(), after.next())
            .or_else(|| release_word_before(&t[..pos]))
            .or_else(|| t[..pos].split_whitespace().find(|v| looks_like_release(v)))
            .map(str::to_string);
        return (Some(Tainted::Yes(taint)), release);
    }
    (None, None)
}

/// `word` when it is the release: it looks like one, or the version's
/// `#N` follows it.
fn release_before_build<'a>(word: Option<&'a str>, next: Option<&str>) -> Option<&'a str> {
    word.filter(|w| looks_like_release(w) || (!w.starts_with('#') && next.is_some_and(is_build_no)))
}

/// The release of an ident line's text before its taint: `6.1.0 #1` or
/// `syzkaller #0` (the word before the `#N`), or a bare `6.18.0-rc5`.
fn release_word_before(before: &str) -> Option<&str> {
    let mut words = before.split_whitespace().rev();
    match (words.next(), words.next()) {
        (Some(b), Some(w)) if is_build_no(b) && !w.ends_with(':') => Some(w),
        (Some(w), _) if looks_like_release(w) => Some(w),
        _ => None,
    }
}

/// The version's first word as the kernel prints it: `#` and a number.
fn is_build_no(w: &str) -> bool {
    w.strip_prefix('#')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

fn looks_like_release(v: &str) -> bool {
    let mut parts = v.split('.');
    matches!(
        (parts.next(), parts.next()),
        (Some(a), Some(b)) if !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().next().is_some_and(|c| c.is_ascii_digit())
    )
}

/// `CPU: 3 PID: 24800 Comm: sshd Not tainted 4.15.0-rc9 #1`
/// (6.12+: `CPU: 0 UID: 0 PID: 5827 Comm: ...`).
fn parse_cpu_line(t: &str, r: &mut Report) {
    let num_after = |key: &str| -> Option<u32> {
        let pos = t.find(key)?;
        t[pos + key.len()..].split_whitespace().next()?.parse().ok()
    };
    let cpu = num_after("CPU: ");
    let pid = num_after("PID: ");
    let comm = t.find("Comm: ").map(|pos| {
        let rest = &t[pos + "Comm: ".len()..];
        // lib/dump_stack.c prints `Kdump: loaded ` between the comm and
        // the taint when a crash kernel is loaded.
        let end = ["Kdump: loaded", "Not tainted", "Tainted:"]
            .iter()
            .filter_map(|k| rest.find(k))
            .min()
            .unwrap_or(rest.len());
        rest[..end].trim_ws().to_string()
    });
    if r.cpu.is_none() {
        r.cpu = cpu;
    }
    if let (Some(pid), Some(comm)) = (pid, comm) {
        if r.task.is_none() {
            r.task = Some(crate::model::Task { comm, pid });
        }
    }
    let (tainted, release) = parse_taint_and_release(t);
    set_taint(r, tainted);
    if let Some(release) = release {
        r.kernel = Some(KernelRelease::new(release));
    }
    // 6.15+ name the preemption model after the version
    // (lib/dump_stack.c: preempt_model_str(), `#26 PREEMPT_RT`,
    // `PREEMPT(voluntary)`).
    if let Some(w) = t
        .split_whitespace()
        .find(|w| *w == "PREEMPT_RT" || w.starts_with("PREEMPT(") || w.starts_with("PREEMPT_RT("))
    {
        r.preempt = Some(w.to_string());
    }
    // CONFIG_STACKTRACE_BUILD_ID ends the line with vmlinux's build id
    // (lib/dump_stack.c: `" %20phN"`, 40 hex digits).
    if let Some(id) = t
        .split_whitespace()
        .last()
        .filter(|w| w.len() == 40 && w.bytes().all(|c| c.is_ascii_hexdigit()))
    {
        r.build_id = Some(id.to_ascii_lowercase());
    }
}

/// Record a taint field. Taint flags are never cleared during a boot, so a
/// field with fewer flags than one already seen in the report is a damaged
/// copy (a mail client cut the line, as in `Tainted: G S` after an ident
/// line's `Tainted: G S        I`): the fuller one is kept, and `Not
/// tainted` never replaces a taint. Of two compact fields with the same
/// flags the wider is kept: a field rejoined after a mail client's wrap
/// has lost some of its columns (`G S  I` after `G S        I`).
///
/// 6.10+ print a legend under the CPU line (lib/dump_stack.c:
/// print_tainted_verbose(), `Tainted: [L]=SOFTLOCKUP`): it explains the
/// version line's field and replaces it only when it names more flags (a
/// damaged field).
fn set_taint(r: &mut Report, tainted: Option<Tainted>) {
    let Some(tainted) = tainted else { return };
    let legend = |t: &Taint| t.raw.starts_with('[');
    let from_version_line = r
        .tainted
        .as_ref()
        .and_then(Tainted::taint)
        .is_some_and(|t| !legend(t));
    let count = |t: Option<&Tainted>| t.and_then(Tainted::taint).map_or(0, |t| t.flags.len());
    let (had, has) = (count(r.tainted.as_ref()), count(Some(&tainted)));
    let old = r.tainted.as_ref().and_then(Tainted::taint);
    let narrower = |new: &Taint| {
        old.is_some_and(|old| {
            !old.raw.starts_with('[') && !new.raw.starts_with('[') && new.raw.len() < old.raw.len()
        })
    };
    if tainted.taint().is_some_and(legend) && from_version_line && has <= had {
        return;
    }
    if r.tainted.is_none()
        || has > had
        || (has == had && tainted.taint().is_some_and(|t| !narrower(t)))
    {
        r.tainted = Some(tainted);
    }
}
