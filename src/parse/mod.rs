//! Section parsing: a [`RawReport`]'s lines into a typed [`Report`].
//!
//! Lockdep prints every report kind from the same small set of section
//! shapes (lock lines, chain entries, held-lock lists, saved stacks, the
//! scenario table, dump_stack). So the parser is one line-driven state
//! machine over those shapes rather than one parser per kind: each line is
//! first tested against the section headers (a table of phrases), and
//! otherwise fed to whatever section is open. Lines nothing claims are
//! kept verbatim in `unparsed`.

pub mod title;

// The line lexers moved to [`crate::vocab`]; the old paths are kept for
// code written against them.
pub use crate::vocab::{frame, lock};

use crate::input::Line;
use crate::kernel::frames;
use crate::model::{
    AtomicSleep, ChainEntry, FrameContext, HeldLocks, IrqEvent, IrqEvents, IrqInversion, KeptLine,
    Lock, RcuInfo, Report, ReportKind, Scenario, ScenarioStep, Taint, Trace, UsageTransition,
};
use crate::segment::{EndReason, RawReport};
use crate::vocab::body::{
    is_ident_line, is_lone_address, is_rcu_location, is_root_frame, is_stack_words, KNOWN_LINES,
    KNOWN_LINE_PREFIXES,
};
use crate::vocab::frame::{classify_trace_line, parse_frame, TraceLineRef};
use crate::vocab::lock::{
    class_in_parens, parse_chain_header, parse_dependency, parse_held_header, parse_held_lock,
    parse_irq_context, parse_lock, parse_task, parse_wait_context,
};

/// Which lock slot the next lock line fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Acquiring,
    Holding,
    Other,
    /// `is trying to release lock (...)`: bad unlock balance.
    Releasing,
    /// A bare class name line (`but this task is not holding:`): the nest
    /// lock the task should hold and does not.
    NestLock,
}

/// The section a line is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    ExpectLock(Slot),
    /// `... at:` followed by one frame line for a slot's `at`.
    ExpectAt(Slot),
    Chain,
    ChainExists,
    Scenario,
    Held,
    /// A saved stack: index into `report.traces`.
    Trace(usize),
    IrqEvents,
    Dependency,
    PreemptionAt,
    Backtrace,
    /// Irq reports' class dumps (`the shortest dependencies between ...`).
    ClassDump,
    /// After a lock line whose `at:` was an inlined frame: a repeat of the
    /// line with the next frame may follow.
    ExpectRepeat(Slot),
    /// After an `... at:` frame line that was an inlined frame: the frame
    /// it was inlined into follows.
    ExpectAtCaller(Slot),
}

/// Where a frame on the next line belongs, when a lock line was wrapped
/// after `at:` (mail clients and narrow consoles do this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingAt {
    Slot(Slot),
    LastHeld,
}

/// Symbolized logs repeat a lock line once per inlined callee at its
/// acquire site. Fold `next` into `prev` when it is such a repeat.
fn merge_symbolized(prev: &mut Lock, next: &Lock) -> bool {
    let prev_inline = prev.at.as_ref().is_some_and(|f| f.inline);
    if prev.class != next.class || prev.index != next.index || !prev_inline {
        return false;
    }
    if let Some(f) = prev.at.take() {
        prev.at_inlined.push(f);
    }
    prev.at = next.at.clone();
    true
}

/// A lock class name printed alone on its line (the nest lock of a
/// nested-lock report): a C expression or a short quoted name, never a
/// sentence such as a fault report that interrupted the printing.
fn is_bare_class_name(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 200
        && !t.contains(": ")
        && t.split_whitespace().count() <= 2
        && !t.ends_with('!')
}

/// `but this lock took another, HARDIRQ-unsafe lock in the past:` /
/// `but this lock was taken by another, SOFTIRQ-safe lock in the past:`.
fn parse_inversion_header(t: &str) -> Option<IrqInversion> {
    let (took, rest) = if let Some(rest) = t.strip_prefix("but this lock took another, ") {
        (true, rest)
    } else {
        (
            false,
            t.strip_prefix("but this lock was taken by another, ")?,
        )
    };
    let state = rest.strip_suffix(" lock in the past:")?;
    Some(IrqInversion {
        this_took_other: took,
        other_state: state.to_string(),
    })
}

/// Parse the taint and kernel release out of `... Not tainted 4.15.0 #1` /
/// `... Tainted: G        W         6.1.0 #1` (the CPU line) or
/// `4.15.0 #1 Not tainted` (ident line) or `      Not tainted 5.0.0+ #1`
/// (hung task).
fn parse_taint_and_release(t: &str) -> (Option<String>, Option<Taint>, Option<String>) {
    if let Some(pos) = t.find("Not tainted") {
        let after = t[pos + "Not tainted".len()..].split_whitespace().next();
        let before = t[..pos].split_whitespace().last();
        let release = after
            .filter(|v| looks_like_release(v))
            .or(before
                .filter(|v| !v.starts_with('#'))
                .filter(|v| looks_like_release(v)))
            .or_else(|| t.split_whitespace().find(|v| looks_like_release(v)));
        return (
            Some("Not tainted".to_string()),
            None,
            release.map(str::to_string),
        );
    }
    if let Some(pos) = t.find("Tainted: ") {
        let field = &t[pos + "Tainted: ".len()..];
        let (taint, used) = match crate::kernel::taint::parse_field(field) {
            Some((taint, used)) => (Some(taint), used),
            None => (None, 0),
        };
        let release = field[used..]
            .split_whitespace()
            .next()
            .filter(|v| looks_like_release(v))
            .or_else(|| t[..pos].split_whitespace().find(|v| looks_like_release(v)))
            .map(str::to_string);
        let text = match &taint {
            Some(x) => format!("Tainted: {}", x.raw),
            None => "Tainted:".to_string(),
        };
        return (Some(text), taint, release);
    }
    (None, None, None)
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
        let end = ["Not tainted", "Tainted:"]
            .iter()
            .filter_map(|k| rest.find(k))
            .min()
            .unwrap_or(rest.len());
        rest[..end].trim().to_string()
    });
    if r.cpu.is_none() {
        r.cpu = cpu;
    }
    if let (Some(pid), Some(comm)) = (pid, comm) {
        if r.task.is_none() {
            r.task = Some(crate::model::Task { comm, pid });
        }
    }
    let (text, taint, release) = parse_taint_and_release(t);
    if text.is_some() {
        r.tainted = text;
        r.taint = taint;
    }
    if release.is_some() {
        r.kernel = release;
    }
}

/// Column start positions of a scenario header line (`CPU0 ... CPU1`).
/// A column name is `CPU` and alphanumerics: whatever else follows it on
/// a damaged line (controls, NULs) is not part of the name.
fn scenario_columns(text: &str) -> Vec<(usize, String)> {
    let mut cols = Vec::new();
    let mut search = 0;
    while let Some(pos) = text[search..].find("CPU") {
        let at = search + pos;
        let end = text[at..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map(|e| at + e)
            .unwrap_or(text.len());
        cols.push((at, text[at..end].to_string()));
        search = end;
    }
    cols
}

/// One scenario step: `lock(&x->y);`, `<Interrupt>`, `local_irq_disable();`.
fn scenario_step(text: &str, cols: &[(usize, String)]) -> Option<ScenarioStep> {
    let indent = text.len() - text.trim_start().len();
    let t = text.trim();
    let (action, lock) = if t == "<Interrupt>" {
        ("interrupt".to_string(), None)
    } else {
        let open = t.find('(')?;
        let body = t[open + 1..].strip_suffix(");")?;
        let action = &t[..open];
        if action.is_empty()
            || !action
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return None;
        }
        (
            action.to_string(),
            (!body.is_empty()).then(|| body.to_string()),
        )
    };
    let cpu = cols
        .iter()
        .enumerate()
        .min_by_key(|(_, (pos, _))| pos.abs_diff(indent))
        .map(|(i, _)| i)
        .unwrap_or(0);
    Some(ScenarioStep { cpu, action, lock })
}

/// The report parser's working state.
struct Parser<'a> {
    r: Report,
    section: Section,
    scenario_cols: Vec<(usize, String)>,
    ctx: FrameContext,
    raw: &'a RawReport,
    expect_failures: usize,
    pending_at: Option<PendingAt>,
    /// The first half of a lock line wrapped after its address.
    carry: Option<String>,
    /// The class whose dump is being read.
    dump_class: Option<String>,
}

impl<'a> Parser<'a> {
    fn keep(&mut self, line: &Line) {
        self.r.unparsed.push(KeptLine {
            line: line.no,
            text: line.text.to_string(),
        });
    }

    fn set_slot(&mut self, slot: Slot, lock: Lock) {
        match slot {
            Slot::Acquiring => self.r.acquiring = Some(lock),
            Slot::Holding => self.r.holding = Some(lock),
            Slot::Other => self.r.other_locks.push(lock),
            Slot::Releasing => self.r.releasing = Some(lock),
            Slot::NestLock => self.r.nest_lock = Some(lock),
        }
    }

    /// The lock a slot last received, for a continuation line (`at:` on
    /// the next line, a symbolized repeat).
    fn slot_mut(&mut self, slot: Slot) -> Option<&mut Lock> {
        match slot {
            Slot::Acquiring => self.r.acquiring.as_mut(),
            Slot::Holding => self.r.holding.as_mut(),
            Slot::Other => self.r.other_locks.last_mut(),
            Slot::Releasing => self.r.releasing.as_mut(),
            Slot::NestLock => self.r.nest_lock.as_mut(),
        }
    }

    fn new_trace(&mut self, name: &str) -> Section {
        self.r.traces.push(Trace {
            name: name.trim().trim_end_matches(':').trim().to_string(),
            frames: Vec::new(),
        });
        self.ctx = FrameContext::Task;
        Section::Trace(self.r.traces.len() - 1)
    }

    /// Headers that open or switch sections. Returns true when handled.
    fn header(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim();
        let r = &mut self.r;
        let next = if t.ends_with(" is trying to acquire lock:")
            || t.ends_with(" is trying to acquire:")
            || t.ends_with(" just changed the state of lock:")
            || t.ends_with(" is trying to lock:")
            || t.ends_with("] takes:")
        {
            let who = t
                .split(" is trying")
                .next()
                .and_then(|s| s.split(" just changed").next())
                .unwrap_or("");
            let who = who
                .split(" [HC")
                .next()
                .unwrap_or(who)
                .trim_end_matches(" takes:");
            if r.task.is_none() {
                r.task = parse_task(who);
            }
            if let Some(c) = parse_irq_context(t) {
                r.irq_context = Some(c);
            }
            Section::ExpectLock(Slot::Acquiring)
        } else if t == "but task is already holding lock:"
            || t == "and this task is already holding:"
        {
            Section::ExpectLock(Slot::Holding)
        } else if let Some(inv) = parse_inversion_header(t) {
            // The other lock of an irq inversion: taken in the past, not
            // held now (the held locks are listed below).
            r.irq_inversion = Some(inv);
            Section::ExpectLock(Slot::Other)
        } else if t.starts_with("but this new dependency connects a ")
            || t.starts_with("to a ") && t.ends_with("-irq-unsafe lock:")
        {
            Section::ExpectLock(Slot::Other)
        } else if t == "but this task is not holding:" {
            Section::ExpectLock(Slot::NestLock)
        } else if t == "which would create a new lock dependency:" {
            Section::Dependency
        } else if t == "the existing dependency chain (in reverse order) is:" {
            Section::Chain
        } else if t.starts_with("-> #") {
            if let Some((index, lock)) = parse_chain_header(t, line.no) {
                r.chain.push(ChainEntry {
                    index,
                    lock,
                    stack: Vec::new(),
                });
                self.ctx = FrameContext::Task;
                Section::Chain
            } else {
                return false;
            }
        } else if t == "Chain exists of:" {
            Section::ChainExists
        } else if t == "Possible unsafe locking scenario:"
            || t == "Possible interrupt unsafe locking scenario:"
        {
            r.scenario = Some(Scenario::default());
            Section::Scenario
        } else if let Some((count, task)) = parse_held_header(t) {
            r.held_lock_lists.push(HeldLocks {
                task,
                count: Some(count),
                locks: Vec::new(),
            });
            Section::Held
        } else if let Some(rest) = t.strip_prefix("inconsistent {") {
            if let Some((from, to)) = rest
                .strip_suffix("} usage.")
                .and_then(|s| s.split_once("} -> {"))
            {
                r.usage_transition = Some(UsageTransition {
                    from: from.to_string(),
                    to: to.to_string(),
                });
                Section::None
            } else {
                return false;
            }
        } else if t.ends_with(" state was registered at:")
            || (t.starts_with("... which became ") && t.ends_with(" at:"))
            || (t.ends_with(" at:")
                && t.starts_with(|c: char| c.is_ascii_uppercase())
                && t.contains('-')
                && !t.contains(' '))
        {
            self.section = self.new_trace(t);
            return true;
        } else if t.starts_with("the shortest dependencies between")
            || t.starts_with("the dependencies between")
            || (t.starts_with("and ") && t.ends_with("-irq-unsafe lock:"))
            || t.starts_with("... key      at:")
            || t.starts_with("... key at:")
        {
            Section::ClassDump
        } else if t == "... acquired at:" {
            let name = match &self.dump_class {
                Some(c) => format!("{c}: acquired at"),
                None => "acquired at".to_string(),
            };
            self.section = self.new_trace(&name);
            return true;
        } else if let Some(rest) = t.strip_prefix("irq event stamp:") {
            r.irq_events = Some(IrqEvents {
                stamp: rest.trim().parse().ok(),
                events: Vec::new(),
            });
            Section::IrqEvents
        } else if t.ends_with(" is trying to release lock (")
            || t.contains(" is trying to release lock (")
            || t.contains(" is trying to contend lock (")
        {
            let who = t.split(" is trying").next().unwrap_or("");
            r.task = parse_task(who).or(r.task.take());
            let slot = if t.contains(" is trying to release lock (") {
                Slot::Releasing
            } else {
                Slot::Acquiring
            };
            let lock = class_in_parens(t).map(|class| Lock {
                class,
                source_line: line.no,
                ..Lock::default()
            });
            if let Some(lock) = lock {
                self.set_slot(slot, lock);
            }
            if t.ends_with("at:") {
                Section::ExpectAt(slot)
            } else {
                Section::None
            }
        } else if t.contains(" is freeing memory ") {
            let who = t.split(" is freeing").next().unwrap_or("");
            r.task = parse_task(who).or(r.task.take());
            r.message = Some(t.to_string());
            // `with a lock still held there!`: the task holds the lock.
            Section::ExpectLock(Slot::Holding)
        } else if t.ends_with(" is leaving the kernel with locks still held!") {
            let who = t.split(" is leaving").next().unwrap_or("");
            r.task = parse_task(who).or(r.task.take());
            Section::None
        } else if t == "stack backtrace:" {
            // Old kernels print the frames right after it.
            self.ctx = FrameContext::Task;
            Section::Backtrace
        } else if t.starts_with("Call Trace:") || t == "Call trace:" || t == "Backtrace:" {
            // A later trace replaces an earlier final trace only if the
            // earlier one was empty; nested-lock reports print two.
            if !r.backtrace.is_empty() {
                let frames = std::mem::take(&mut r.backtrace);
                r.traces.push(Trace {
                    name: "earlier backtrace".to_string(),
                    frames,
                });
            }
            self.ctx = FrameContext::Task;
            Section::Backtrace
        } else if t == "Preemption disabled at:" {
            Section::PreemptionAt
        } else {
            return false;
        };
        self.section = next;
        true
    }

    /// Standalone fact lines (CPU line, ident, sleeping-function facts...).
    fn fact(&mut self, line: &Line) -> bool {
        let t = line.text.trim();
        let r = &mut self.r;
        if t.starts_with("CPU: ") && t.contains("PID: ") {
            parse_cpu_line(t, r);
            return true;
        }
        // 2.6-era dump_stack: `Pid: 0, comm: kworker/0:1 Not tainted 2.6.36 #6`.
        if let Some(rest) = t.strip_prefix("Pid: ") {
            if let Some((pid, rest)) = rest.split_once(", comm: ") {
                let end = ["Not tainted", "Tainted:"]
                    .iter()
                    .filter_map(|k| rest.find(k))
                    .min()
                    .unwrap_or(rest.len());
                if let (Ok(pid), None) = (pid.trim().parse(), r.task.as_ref()) {
                    r.task = Some(crate::model::Task {
                        comm: rest[..end].trim().to_string(),
                        pid,
                    });
                }
                let (text, taint, release) = parse_taint_and_release(t);
                if text.is_some() {
                    r.tainted = text;
                    r.taint = taint;
                }
                r.kernel = release.or(r.kernel.take());
                return true;
            }
        }
        if let Some(hw) = t.strip_prefix("Hardware name: ") {
            r.hardware = Some(hw.to_string());
            return true;
        }
        if is_ident_line(t) || (t.starts_with("Not tainted ") || t.starts_with("Tainted: ")) {
            let (text, taint, release) = parse_taint_and_release(t);
            // Old idents print no taint at all: `2.6.36-rc2-mm1 #6`.
            let release = release.or_else(|| {
                t.split_whitespace()
                    .next()
                    .filter(|v| looks_like_release(v))
                    .map(str::to_string)
            });
            if r.tainted.is_none() {
                r.tainted = text;
                r.taint = taint;
            }
            if r.kernel.is_none() {
                r.kernel = release;
            }
            return true;
        }
        if t.starts_with("in_atomic():") {
            let a = r.atomic_sleep.get_or_insert_with(AtomicSleep::default);
            for part in t.split(", ") {
                let Some((k, v)) = part.split_once(": ") else {
                    continue;
                };
                match k.trim() {
                    "in_atomic()" => a.in_atomic = v.trim().parse().ok(),
                    "irqs_disabled()" => a.irqs_disabled = v.trim().parse().ok(),
                    "non_block" => a.non_block = v.trim().parse().ok(),
                    "pid" => {
                        if let Ok(pid) = v.trim().parse() {
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
            a.rcu_nest_depth = rest.split(',').next().and_then(|v| v.trim().parse().ok());
            return true;
        }
        if t == "INFO: lockdep is turned off." {
            r.lockdep_off = true;
            return true;
        }
        if t.starts_with("rcu_scheduler_active = ") {
            let rcu = r.rcu.get_or_insert_with(RcuInfo::default);
            for part in t.split(", ") {
                if let Some((k, v)) = part.split_once(" = ") {
                    match k {
                        "rcu_scheduler_active" => rcu.scheduler_active = v.trim().parse().ok(),
                        "debug_locks" => rcu.debug_locks = v.trim().parse().ok(),
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
        if let Some(w) = parse_wait_context(t) {
            r.wait_context = Some(w);
            return true;
        }
        if t.starts_with("DEBUG_LOCKS_WARN_ON(") {
            r.message = Some(t.to_string());
            return true;
        }
        if r.kind == ReportKind::LockdepWarning && t.starts_with("WARNING: ") && t.contains(" at ")
        {
            if r.warning_at.is_none() {
                r.warning_at = t.split_once(" at ").map(|(_, loc)| loc.to_string());
            }
            return true;
        }
        if t.starts_with("RIP: ") || t.starts_with("pc : ") || t.starts_with("NIP ") {
            let mut ctx = FrameContext::Task;
            if let TraceLineRef::Register(Some(f)) = classify_trace_line(t, &mut ctx) {
                r.traces.push(Trace {
                    name: "faulting pc".to_string(),
                    frames: vec![f.to_frame(line.no)],
                });
            }
            return true;
        }
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

    /// Feed a line to the open section. Returns true when consumed.
    fn section_line(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim();
        match self.section {
            Section::None => false,
            Section::ExpectLock(slot) => {
                if t.is_empty() {
                    return true;
                }
                self.section = Section::None;
                if slot == Slot::NestLock {
                    // A bare class name; anything else (a fault printed
                    // while naming the lock) is not a lock.
                    if !is_bare_class_name(t) {
                        return false;
                    }
                    self.set_slot(
                        slot,
                        Lock {
                            class: t.to_string(),
                            source_line: line.no,
                            ..Lock::default()
                        },
                    );
                    return true;
                }
                if is_lone_address(t) {
                    self.carry = Some(t.to_string());
                    self.section = Section::ExpectLock(slot);
                    return true;
                }
                if let Some(lock) = parse_lock(t, line.no) {
                    if lock.at.is_none() && t.ends_with("at:") {
                        self.pending_at = Some(PendingAt::Slot(slot));
                    }
                    if lock.at.as_ref().is_some_and(|f| f.inline) {
                        self.section = Section::ExpectRepeat(slot);
                    }
                    self.set_slot(slot, lock);
                    true
                } else {
                    self.expect_failures += 1;
                    false
                }
            }
            Section::ExpectRepeat(slot) => {
                let Some(next) = parse_lock(t, line.no) else {
                    self.section = Section::None;
                    return false;
                };
                let prev = self.slot_mut(slot);
                let Some(p) = prev else {
                    self.section = Section::None;
                    return false;
                };
                if merge_symbolized(p, &next) {
                    if !p.at.as_ref().is_some_and(|f| f.inline) {
                        self.section = Section::None;
                    }
                    true
                } else {
                    self.section = Section::None;
                    false
                }
            }
            Section::ExpectAt(slot) | Section::ExpectAtCaller(slot) => {
                let caller = matches!(self.section, Section::ExpectAtCaller(_));
                self.section = Section::None;
                match parse_frame(t, FrameContext::Task, line.no) {
                    Some(f) => {
                        if f.inline {
                            self.section = Section::ExpectAtCaller(slot);
                        }
                        let target = self.slot_mut(slot);
                        if let Some(l) = target {
                            if let Some(inlined) = l.at.take().filter(|_| caller) {
                                l.at_inlined.push(inlined);
                            }
                            l.at = Some(f);
                        }
                        true
                    }
                    None if caller => false,
                    None => {
                        self.expect_failures += 1;
                        false
                    }
                }
            }
            Section::Chain => {
                if t.is_empty() {
                    return true;
                }
                let item = classify_trace_line(text, &mut self.ctx);
                self.trace_item(item, line.no)
            }
            Section::ChainExists => {
                if t.is_empty() {
                    if !self.r.chain_exists_of.is_empty() {
                        self.section = Section::None;
                    }
                    return true;
                }
                for part in t.split(" --> ") {
                    let p = part.trim();
                    if !p.is_empty() {
                        self.r.chain_exists_of.push(p.to_string());
                    }
                }
                true
            }
            Section::Scenario => {
                if t.is_empty() || t.chars().all(|c| c == '-' || c == ' ') {
                    return true;
                }
                if t.starts_with("CPU") {
                    self.scenario_cols = scenario_columns(text);
                    if let Some(s) = self.r.scenario.as_mut() {
                        s.cpus = self.scenario_cols.iter().map(|(_, n)| n.clone()).collect();
                    }
                    return true;
                }
                if t == "*** DEADLOCK ***" {
                    self.section = Section::None;
                    return true;
                }
                match scenario_step(text, &self.scenario_cols) {
                    Some(step) => {
                        if let Some(s) = self.r.scenario.as_mut() {
                            s.steps.push(step);
                        }
                        true
                    }
                    None => false,
                }
            }
            Section::Held => {
                if t.is_empty() {
                    return true;
                }
                if t.starts_with('#')
                    && t.split_whitespace().count() == 2
                    && is_lone_address(t.split_whitespace().nth(1).unwrap_or(""))
                {
                    self.carry = Some(text.to_string());
                    return true;
                }
                match parse_held_lock(text, line.no) {
                    Some(l) => {
                        if l.at.is_none() && t.ends_with("at:") {
                            self.pending_at = Some(PendingAt::LastHeld);
                        }
                        if let Some(list) = self.r.held_lock_lists.last_mut() {
                            let repeat = list
                                .locks
                                .last_mut()
                                .is_some_and(|prev| merge_symbolized(prev, &l));
                            if !repeat {
                                list.locks.push(l);
                            }
                        }
                        true
                    }
                    None => {
                        self.section = Section::None;
                        false
                    }
                }
            }
            Section::Trace(_) => {
                if t.is_empty() {
                    self.section = if self.dump_class.is_some() {
                        Section::ClassDump
                    } else {
                        Section::None
                    };
                    return true;
                }
                if t == "..." {
                    return true;
                }
                match classify_trace_line(text, &mut self.ctx) {
                    item @ (TraceLineRef::Frame(_) | TraceLineRef::Marker) => {
                        self.trace_item(item, line.no)
                    }
                    _ => {
                        // Class-dump blocks go back to the dump.
                        self.section = if self.dump_class.is_some() {
                            Section::ClassDump
                        } else {
                            Section::None
                        };
                        self.section_line(line)
                    }
                }
            }
            Section::IrqEvents => {
                let Some(rest) = t
                    .strip_prefix("hardirqs last")
                    .map(|r| ("hardirqs", r))
                    .or_else(|| t.strip_prefix("softirqs last").map(|r| ("softirqs", r)))
                else {
                    self.section = Section::None;
                    return false;
                };
                let (which, rest) = rest;
                let rest = rest.trim_start();
                let (state, rest) = if let Some(r) = rest.strip_prefix("enabled at (") {
                    ("enabled", r)
                } else if let Some(r) = rest.strip_prefix("disabled at (") {
                    ("disabled", r)
                } else {
                    return false;
                };
                let Some(close) = rest.find("):") else {
                    return false;
                };
                let stamp = rest[..close].trim().parse().unwrap_or(0);
                let frame = parse_frame(rest[close + 2..].trim(), FrameContext::Task, line.no);
                if let Some(ev) = self.r.irq_events.as_mut() {
                    ev.events.push(IrqEvent {
                        event: format!("{which}_last_{state}"),
                        stamp,
                        frame,
                    });
                }
                true
            }
            Section::Dependency => {
                if t.is_empty() {
                    return true;
                }
                self.section = Section::None;
                match parse_dependency(t, line.no) {
                    Some((a, b)) => {
                        self.r.other_locks.push(a);
                        self.r.other_locks.push(b);
                        true
                    }
                    None => false,
                }
            }
            Section::PreemptionAt => {
                self.section = Section::None;
                match parse_frame(t, FrameContext::Task, line.no) {
                    Some(f) => {
                        self.r
                            .atomic_sleep
                            .get_or_insert_with(AtomicSleep::default)
                            .preemption_disabled_at = Some(f);
                        true
                    }
                    None => false,
                }
            }
            Section::ClassDump => {
                if t.is_empty() || t == "}" || t.starts_with("... key") {
                    return true;
                }
                if let Some(rest) = t.strip_prefix("-> ") {
                    // ` -> (class){usage}-{o:i} ops: N {`
                    let body = rest.trim_end_matches('{').trim_end();
                    let body = body.split(" ops: ").next().unwrap_or(body);
                    if let Some(l) = parse_lock(body, line.no) {
                        self.dump_class = Some(l.class);
                        return true;
                    }
                    return false;
                }
                let usage = t.trim_end_matches(" at:");
                if t.ends_with(" at:")
                    && usage
                        .bytes()
                        .all(|c| c.is_ascii_uppercase() || matches!(c, b'-' | b' ' | b'_'))
                {
                    let name = match &self.dump_class {
                        Some(c) => format!("{c}: {usage} at"),
                        None => format!("{usage} at"),
                    };
                    self.section = self.new_trace(&name);
                    // Stay in the dump after this block: new_trace set Trace.
                    return true;
                }
                false
            }
            Section::Backtrace => match classify_trace_line(text, &mut self.ctx) {
                item @ (TraceLineRef::Frame(_) | TraceLineRef::Marker) => {
                    self.trace_item(item, line.no)
                }
                TraceLineRef::Register(_) => true,
                // The segmenter decided where the report ends; a foreign
                // line spliced into the trace is kept as unparsed and the
                // trace goes on (headers are tested before this).
                TraceLineRef::Other => t.is_empty(),
            },
        }
    }

    /// A frame or marker line in an open trace section, classified once:
    /// store the frame where the section says. False when the section
    /// cannot take it (then the line is tried as a header and so on).
    fn trace_item(&mut self, item: TraceLineRef<'_>, no: u64) -> bool {
        let f = match item {
            TraceLineRef::Frame(f) => f,
            TraceLineRef::Marker => return true,
            _ => return false,
        };
        let stack = match self.section {
            Section::Backtrace => &mut self.r.backtrace,
            Section::Trace(i) => &mut self.r.traces[i].frames,
            Section::Chain => match self.r.chain.last_mut() {
                Some(e) => &mut e.stack,
                None => return false,
            },
            _ => return false,
        };
        stack.push(f.to_frame(no));
        true
    }

    fn line(&mut self, line: &Line) {
        if let Some(head) = self.carry.take() {
            let text = format!("{head} {}", line.text.trim_start());
            let joined = Line {
                text: &text,
                ..*line
            };
            return self.line_inner(&joined);
        }
        self.line_inner(line)
    }

    fn line_inner(&mut self, line: &Line) {
        if let Some(target) = self.pending_at.take() {
            if let Some(f) = parse_frame(line.text.trim(), FrameContext::Task, line.no) {
                let lock = match target {
                    PendingAt::Slot(slot) => self.slot_mut(slot),
                    PendingAt::LastHeld => self
                        .r
                        .held_lock_lists
                        .last_mut()
                        .and_then(|h| h.locks.last_mut()),
                };
                if let Some(l) = lock {
                    l.at = Some(f);
                }
                return;
            }
        }
        // Old kernels print dump_stack() frames with no `Call Trace:`
        // header: an unindented frame outside any section starts it.
        if self.section == Section::None {
            let indent = line.text.len() - line.text.trim_start().len();
            if indent <= 1 && line.text.contains("[<") {
                let mut ctx = FrameContext::Task;
                if let TraceLineRef::Frame(_) = classify_trace_line(line.text, &mut ctx) {
                    self.ctx = FrameContext::Task;
                    self.section = Section::Backtrace;
                }
            }
        }
        // Inside a trace, frames first: a frame line is never a header.
        if matches!(
            self.section,
            Section::Backtrace | Section::Chain | Section::Trace(_)
        ) {
            let mut ctx = self.ctx;
            let item = classify_trace_line(line.text, &mut ctx);
            if self.trace_item(item, line.no) {
                self.ctx = ctx;
                return;
            }
        }
        if self.header(line) {
            return;
        }
        if self.section_line(line) {
            return;
        }
        if self.fact(line) {
            return;
        }
        if line.text.trim().is_empty() {
            return;
        }
        self.keep(line);
    }
}

/// Apply what the banner line itself says.
fn apply_banner(r: &mut Report, raw: &RawReport) {
    let b = &raw.banner;
    r.banner = b.text.clone();
    r.banner_style = b.style;
    let cap = |i: usize| b.captures.get(i).cloned().unwrap_or_default();
    match b.kind {
        ReportKind::SleepingInAtomic => {
            r.atomic_sleep = Some(AtomicSleep {
                at: Some(cap(0)),
                ..AtomicSleep::default()
            });
        }
        ReportKind::SchedulingWhileAtomic => {
            // `comm/pid/0xPREEMPT_COUNT`
            let c = cap(0);
            if let Some((task, count)) = c.rsplit_once('/') {
                r.task = parse_task(task);
                r.atomic_sleep = Some(AtomicSleep {
                    preempt_count: Some(count.to_string()),
                    ..AtomicSleep::default()
                });
            }
        }
        ReportKind::LocksStillHeld => r.task = parse_task(&cap(0)),
        ReportKind::LockdepCapacity => r.message = Some(format!("{} too low!", cap(0))),
        ReportKind::InvalidSubclass => r.message = Some(format!("invalid subclass {}", cap(0))),
        ReportKind::HeldLocksDump if b.hung_task => {
            if let Ok(pid) = cap(1).parse() {
                r.task = Some(crate::model::Task { comm: cap(0), pid });
            }
        }
        ReportKind::LockdepWarning => {
            if b.text.starts_with("DEBUG_LOCKS_WARN_ON") {
                r.message = Some(b.text.clone());
            } else if let Some((_, loc)) = b.text.split_once(" at ") {
                r.warning_at = Some(loc.to_string());
            } else {
                r.message = Some(b.text.clone());
            }
        }
        _ => {}
    }
}

/// Archives that collapse leading whitespace lose the scenario's columns.
/// The circular-dependency table has one fixed shape (CPU0 takes the held
/// lock, CPU1 takes the other and then the held one, CPU0 the new one), so
/// when every step landed in one column, restore that shape.
fn repair_scenario(r: &mut Report) {
    let Some(s) = r.scenario.as_mut() else { return };
    let all_one_column = s.steps.iter().all(|st| st.cpu == 0);
    if r.kind == ReportKind::CircularDependency
        && s.cpus.len() == 2
        && s.steps.len() == 4
        && all_one_column
        && s.steps
            .iter()
            .all(|st| st.action.ends_with("lock") || st.action == "sync")
    {
        for (st, cpu) in s.steps.iter_mut().zip([0, 1, 1, 0]) {
            st.cpu = cpu;
        }
        r.problems.push(
            "scenario columns restored from the table's fixed shape (indentation was lost)"
                .to_string(),
        );
    }
}

/// Kinds whose report ends in a stack trace.
fn expects_backtrace(kind: ReportKind, hung: bool) -> bool {
    !matches!(
        kind,
        ReportKind::LockHeldReturningToUser | ReportKind::LockdepCapacity | ReportKind::Other
    ) && (kind != ReportKind::HeldLocksDump || hung)
}

/// Judge completeness and damage once every line is read.
fn judge(p: &mut Parser<'_>) {
    let raw = p.raw;
    let r = &mut p.r;
    let mut missing: Vec<&str> = Vec::new();
    match r.kind {
        ReportKind::CircularDependency => {
            if r.acquiring.is_none() {
                missing.push("the lock being acquired");
            }
            if r.holding.is_none() {
                missing.push("the lock already held");
            }
            if r.chain.is_empty() {
                missing.push("the dependency chain");
            }
        }
        ReportKind::RecursiveLocking | ReportKind::IrqSafeUnsafeOrder => {
            if r.acquiring.is_none() {
                missing.push("the lock being acquired");
            }
            if r.holding.is_none() {
                missing.push("the lock already held");
            }
        }
        ReportKind::InconsistentLockState => {
            if r.acquiring.is_none() {
                missing.push("the lock taken");
            }
            if r.usage_transition.is_none() {
                missing.push("the usage transition");
            }
        }
        ReportKind::IrqLockInversion
        | ReportKind::BadContention
        | ReportKind::NestedLockNotTaken
        | ReportKind::InvalidWaitContext
            if r.acquiring.is_none() =>
        {
            missing.push("the lock line");
        }
        ReportKind::BadUnlockBalance if r.releasing.is_none() => {
            missing.push("the lock line");
        }
        ReportKind::HeldLockFreed if r.holding.is_none() => {
            missing.push("the lock line");
        }
        ReportKind::LockHeldReturningToUser | ReportKind::LocksStillHeld
            if r.held_lock_lists.is_empty() =>
        {
            missing.push("the held-locks list");
        }
        ReportKind::HeldLocksDump if !raw.banner.hung_task && r.held_lock_lists.is_empty() => {
            missing.push("any held-locks list");
        }
        _ => {}
    }
    let expects_trace = expects_backtrace(r.kind, raw.banner.hung_task);
    if expects_trace && r.backtrace.is_empty() {
        missing.push("the final backtrace");
        r.corrupted = true;
    } else if !r.backtrace.is_empty() {
        // Kinds that need no stack are still cut short by an input that
        // ends inside the one they print.
        // A trace that reached a root frame is whole, unless the input
        // ended right after a root frame that is always printed with
        // its caller below it (`kthread` above `ret_from_fork`): then
        // the input cut it.
        let cut_by_input = raw.end == EndReason::EndOfInput
            && r.backtrace.last().is_some_and(|f| {
                raw.lines
                    .iter()
                    .rev()
                    .take_while(|l| l.no > f.source_line)
                    .all(|l| l.text.trim().is_empty())
            });
        let reached_root = r
            .backtrace
            .iter()
            .rev()
            .find(|f| f.reliable)
            .is_some_and(|f| {
                let base = f.base.as_str();
                is_root_frame(base) && !(cut_by_input && frames::root_has_callers(base))
            });
        if !raw.trace_closed && !reached_root {
            missing.push("the end of the final backtrace");
        }
    }
    // Lockdep dumps the stack after a capacity report; a report the input
    // ended before it is cut short (one that other output ended is not:
    // some paths print no stack).
    if r.kind == ReportKind::LockdepCapacity
        && r.backtrace.is_empty()
        && raw.end == EndReason::EndOfInput
    {
        missing.push("the stack dump");
    }
    // Symbolized logs print an inlined acquire site, then repeat the lock
    // line with its caller: a report that ends on the inlined one was cut.
    let dangling_inline = r
        .acquiring
        .iter()
        .chain(&r.holding)
        .chain(r.held_lock_lists.iter().flat_map(|h| &h.locks))
        .any(|l| l.at.as_ref().is_some_and(|f| f.inline));
    if dangling_inline {
        missing.push("the caller of an inlined acquire site");
    }
    // The input stopped inside the report's last line: what it held may
    // go on (a lock line's `at:`, a frame's offset). Only a line that ends
    // a report whatever follows (an end marker, a stack's last frame)
    // leaves it whole, and so does one nothing was read from (blank so
    // far, or kept as unparsed: the report did not need it).
    let last_unparsed = raw.lines.last().is_some_and(|l| {
        l.text.trim().is_empty() || r.unparsed.last().is_some_and(|k| k.line == l.no)
    });
    if raw.cut_mid_line && missing.is_empty() && !last_unparsed {
        let last = raw.lines.last();
        let ends_report = last.is_some_and(|l| {
            let t = l.text.trim();
            t.starts_with("---[ end trace")
                || t.starts_with("=====")
                || r.backtrace
                    .last()
                    .is_some_and(|f| f.source_line == l.no && is_root_frame(&f.base))
        });
        if !ends_report {
            missing.push("the rest of its last line, where the input stopped");
        }
    }
    // Held lists whose printed count exceeds the entries seen.
    let short_list = r
        .held_lock_lists
        .iter()
        .any(|h| h.count.is_some_and(|c| c as usize > h.locks.len()));
    let last_line = raw.lines.last().map(|l| l.no).unwrap_or(r.line);
    r.end_line = last_line;
    r.complete = missing.is_empty()
        && !short_list
        && !matches!(raw.end, EndReason::SizeCap | EndReason::Evicted);
    if !missing.is_empty() {
        let why = match raw.end {
            EndReason::NextReport => "another report began",
            EndReason::EndOfInput => "the input ended",
            EndReason::SizeCap => "the report hit the size cap",
            EndReason::Evicted => "too many reports were open at once",
            EndReason::Finished => "the report ended early",
        };
        r.problems.push(format!(
            "missing {} ({why} after line {last_line})",
            missing.join(", ")
        ));
    }
    if short_list {
        r.problems
            .push("a held-locks list has fewer entries than its header counts".to_string());
    }
    if raw.end == EndReason::SizeCap {
        r.problems.push(format!(
            "report truncated at {} lines or {} bytes (the rest of it was not read)",
            crate::segment::limits::MAX_REPORT_LINES,
            crate::segment::limits::MAX_REPORT_BYTES
        ));
    }
    if raw.end == EndReason::Evicted {
        r.problems.push(format!(
            "report closed early: too many reports were open at once (at most {} open, {} waiting)",
            crate::segment::limits::MAX_OPEN_REPORTS,
            crate::segment::limits::MAX_QUEUED_REPORTS
        ));
    }
    if raw.lines.iter().any(|l| l.truncated) {
        r.problems
            .push("an overlong line was truncated".to_string());
    }
    if raw.interleaved_dropped > 0 {
        r.problems.push(format!(
            "{} interleaved foreign lines were dropped",
            raw.interleaved_dropped
        ));
    }
    // Damage, as syzkaller understands it: sections broken by foreign text.
    let empty_chain_entry = r
        .chain
        .iter()
        .any(|e| e.stack.is_empty() && r.chain.len() > 1);
    if p.expect_failures > 0 {
        r.corrupted = true;
        r.problems
            .push("a lock line was expected but something else was printed".to_string());
    }
    if empty_chain_entry && r.complete {
        r.corrupted = true;
        r.problems
            .push("a dependency-chain entry has no stack".to_string());
    }
    if r.complete
        && expects_backtrace(r.kind, raw.banner.hung_task)
        && r.backtrace.iter().all(|f| !f.reliable)
    {
        r.corrupted = true;
        r.problems
            .push("the backtrace has no reliable frame".to_string());
    }
}

/// Parse one raw report. Never fails: what cannot be understood is kept
/// in `unparsed` and reflected in `complete`/`corrupted`/`problems`.
pub fn parse_report(raw: &RawReport, source: &str) -> Report {
    let first = raw.lines.first().map(|l| l.no).unwrap_or(0);
    let mut r = Report::new(raw.banner.kind, source, first);
    apply_banner(&mut r, raw);
    let mut p = Parser {
        r,
        section: Section::None,
        scenario_cols: Vec::new(),
        ctx: FrameContext::Task,
        raw,
        expect_failures: 0,
        pending_at: None,
        carry: None,
        dump_class: None,
    };
    for line in raw.lines.iter().skip(1) {
        p.line(&line);
    }
    // The main held list: the report task's, else the first printed.
    if let Some(first) = p.r.held_lock_lists.first() {
        p.r.held_locks = first.locks.clone();
        p.r.held_locks_count = first.count;
    }
    p.r.interleaved = raw
        .interleaved
        .iter()
        .map(|l| KeptLine {
            line: l.no,
            text: l.text.to_string(),
        })
        .collect();
    repair_scenario(&mut p.r);
    judge(&mut p);
    let mut r = p.r;
    r.title = title::title(&r, &raw.banner);
    // syzkaller marks a report corrupted when no frame could be extracted
    // for its title; so do we, with the reason.
    if r.title.ends_with(" in corrupted") && !r.corrupted {
        r.corrupted = true;
        r.problems
            .push("no frame could be taken from the report for its title".to_string());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LineReader;
    use crate::segment::Segmenter;

    pub(crate) fn parse_all(text: &str) -> Vec<Report> {
        let mut lr = LineReader::new(text.as_bytes());
        let mut s = Segmenter::new();
        let mut raws = Vec::new();
        while let Some(raw) = lr.next_raw().unwrap() {
            s.push(&raw, &mut |r| raws.push(r));
        }
        s.finish(&mut |r| raws.push(r));
        raws.iter().map(|r| parse_report(r, "-")).collect()
    }

    const CIRCULAR: &str = "\
======================================================
WARNING: possible circular locking dependency detected
5.10.0-rc1 #1 Not tainted
------------------------------------------------------
kswapd0/62 is trying to acquire lock:
ffff888010c8a0b0 (&xfs_nondir_ilock_class){++++}-{3:3}, at: xfs_ilock+0x1/0x2

but task is already holding lock:
ffffffff8a0c6a60 (fs_reclaim){+.+.}-{0:0}, at: __fs_reclaim_acquire+0x0/0x30

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #1 (fs_reclaim){+.+.}-{0:0}:
       fs_reclaim_acquire+0xb5/0x100
       kmem_cache_alloc+0x2f/0x300
       xfs_trans_alloc+0x1/0x2

-> #0 (&xfs_nondir_ilock_class){++++}-{3:3}:
       __lock_acquire+0x1/0x2
       lock_acquire+0x1/0x2
       down_write_nested+0x1/0x2
       xfs_ilock+0x1/0x2

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(fs_reclaim);
                               lock(&xfs_nondir_ilock_class);
                               lock(fs_reclaim);
  lock(&xfs_nondir_ilock_class);

 *** DEADLOCK ***

2 locks held by kswapd0/62:
 #0: ffffffff8a0c6a60 (fs_reclaim){+.+.}-{0:0}, at: __fs_reclaim_acquire+0x0/0x30
 #1: ffffffff8a0a1f50 (shrinker_rwsem){++++}-{3:3}, at: shrink_slab+0x1/0x2

stack backtrace:
CPU: 1 PID: 62 Comm: kswapd0 Not tainted 5.10.0-rc1 #1
Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)
Call Trace:
 dump_stack+0x1/0x2
 __lock_acquire+0x1/0x2
 xfs_ilock+0x1/0x2
 kswapd+0x1/0x2
 kthread+0x1/0x2
 ret_from_fork+0x1f/0x30
";

    #[test]
    fn circular_report_all_sections() {
        let reps = parse_all(CIRCULAR);
        assert_eq!(reps.len(), 1);
        let r = &reps[0];
        assert_eq!(r.kind, ReportKind::CircularDependency);
        assert!(r.complete, "{:?}", r.problems);
        assert!(!r.corrupted, "{:?}", r.problems);
        assert_eq!(r.kernel.as_deref(), Some("5.10.0-rc1"));
        assert_eq!(r.tainted.as_deref(), Some("Not tainted"));
        assert_eq!(r.task.as_ref().unwrap().comm, "kswapd0");
        assert_eq!(r.cpu, Some(1));
        assert_eq!(
            r.acquiring.as_ref().unwrap().class,
            "&xfs_nondir_ilock_class"
        );
        assert_eq!(r.holding.as_ref().unwrap().class, "fs_reclaim");
        assert_eq!(r.chain.len(), 2);
        assert_eq!(r.chain[0].stack.len(), 3);
        assert_eq!(r.chain[1].stack[3].function, "xfs_ilock");
        let s = r.scenario.as_ref().unwrap();
        assert_eq!(s.cpus, ["CPU0", "CPU1"]);
        assert_eq!(s.steps.len(), 4);
        assert_eq!(
            (s.steps[1].cpu, s.steps[1].lock.as_deref()),
            (1, Some("&xfs_nondir_ilock_class"))
        );
        assert_eq!(r.held_locks.len(), 2);
        assert_eq!(r.held_locks_count, Some(2));
        assert_eq!(r.backtrace.len(), 6);
        assert_eq!(
            r.hardware.as_deref(),
            Some("QEMU Standard PC (i440FX + PIIX, 1996)")
        );
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
        assert_eq!(r.title, "possible deadlock in xfs_ilock");
    }

    #[test]
    fn truncated_report_is_kept_and_flagged() {
        let cut: String = CIRCULAR
            .lines()
            .take(20)
            .map(|l| format!("{l}\n"))
            .collect();
        let reps = parse_all(&cut);
        assert_eq!(reps.len(), 1);
        assert!(!reps[0].complete);
        assert!(reps[0].problems[0].contains("the input ended"));
    }

    #[test]
    fn inconsistent_lock_state_sections() {
        let text = "\
================================
WARNING: inconsistent lock state
5.4.0 #1 Not tainted
--------------------------------
inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.
syz-executor/8 [HC0[0]:SC0[0]:HE1:SE1] takes:
ffff8880 (&(&ctx->completion_lock)->rlock){+.?.}, at: io_file_data_ref_zero+0x1/0x2
{IN-SOFTIRQ-W} state was registered at:
  lock_acquire+0x1/0x2
  _raw_spin_lock_irqsave+0x1/0x2
irq event stamp: 1234
hardirqs last  enabled at (1233): [<ffffffff81000001>] _raw_spin_unlock_irqrestore+0x1/0x2
hardirqs last disabled at (1232): [<ffffffff81000002>] _raw_spin_lock_irqsave+0x1/0x2
softirqs last  enabled at (0): [<ffffffff81000003>] copy_process+0x1/0x2
softirqs last disabled at (0): [<0000000000000000>] 0x0

other info that might help us debug this:
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&(&ctx->completion_lock)->rlock);
  <Interrupt>
    lock(&(&ctx->completion_lock)->rlock);

 *** DEADLOCK ***

no locks held by syz-executor/8.

stack backtrace:
CPU: 0 PID: 8 Comm: syz-executor Not tainted 5.4.0 #1
Call Trace:
 dump_stack+0x1/0x2
 io_file_data_ref_zero+0x1/0x2
 ret_from_fork+0x1/0x2
";
        let r = &parse_all(text)[0];
        assert_eq!(r.kind, ReportKind::InconsistentLockState);
        assert!(r.complete, "{:?}", r.problems);
        let u = r.usage_transition.as_ref().unwrap();
        assert_eq!(
            (u.from.as_str(), u.to.as_str()),
            ("IN-SOFTIRQ-W", "SOFTIRQ-ON-W")
        );
        let c = r.irq_context.unwrap();
        assert!(c.hardirqs_enabled && c.softirqs_enabled);
        assert_eq!(r.traces[0].name, "{IN-SOFTIRQ-W} state was registered at");
        assert_eq!(r.traces[0].frames.len(), 2);
        let ev = r.irq_events.as_ref().unwrap();
        assert_eq!(ev.stamp, Some(1234));
        assert_eq!(ev.events.len(), 4);
        assert_eq!(ev.events[0].event, "hardirqs_last_enabled");
        let s = r.scenario.as_ref().unwrap();
        assert_eq!(s.steps[1].action, "interrupt");
        assert_eq!(r.held_locks_count, Some(0));
        assert_eq!(r.title, "inconsistent lock state in io_file_data_ref_zero");
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
    }
}
