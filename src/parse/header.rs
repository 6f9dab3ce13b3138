//! Section headers: the lines that open or switch a section (`... is trying
//! to acquire lock:`, `-> #N (...)`, `Call Trace:`, ...), tested in groups
//! in a fixed order, and what the banner line itself says.

use super::path::{DepPath, PathSide};
use super::{Parser, Section, Slot};
use crate::input::Line;
use crate::kind::BannerReads;
use crate::model::{
    AtomicSleep, ChainEntry, FrameContext, HeldLocks, IrqEvents, IrqInversion, Lock, Report,
    Scenario, Trace, TraceOrigin, UsageTransition,
};
use crate::segment::RawReport;
use crate::vocab::lock::{
    class_in_parens, parse_chain_header, parse_held_header, parse_irq_context, parse_task,
};
use crate::vocab::trim::TrimWs;

/// What one group of header tests made of a line.
pub(super) enum Head {
    /// Not a header of this group: try the next group.
    Pass,
    /// A header's shape, but unreadable: the line is no header at all.
    Refuse,
    /// A header: the section it opens.
    Open(Section),
}

/// One group of header tests.
type Group<'a> = fn(&mut Parser<'a>, &str, u64) -> Head;

impl<'a> Parser<'a> {
    /// Headers that open or switch sections. Returns true when handled.
    pub(super) fn header(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        let groups: [Group<'a>; 6] = [
            Self::lock_header,
            Self::chain_header,
            Self::table_header,
            Self::dump_header,
            Self::event_header,
            Self::backtrace_header,
        ];
        for group in groups {
            match group(self, t, line.no) {
                Head::Pass => continue,
                Head::Refuse => return false,
                Head::Open(next) => {
                    self.section = next;
                    self.section_header_line = line.no;
                    return true;
                }
            }
        }
        false
    }

    /// The lock lines' headers: the lock being acquired, the one held, the
    /// other lock of an irq report, the dependency about to be created.
    fn lock_header(&mut self, t: &str, _no: u64) -> Head {
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
        } else if let Some(rest) = t.strip_prefix("but this new dependency connects a ") {
            // `... connects a SOFTIRQ-irq-safe lock:`
            if let Some(irq) = rest.split('-').next().filter(|i| i.ends_with("IRQ")) {
                r.irq_order = Some(crate::model::IrqOrder {
                    irq: irq.to_string(),
                });
            }
            Section::ExpectLock(Slot::Other)
        } else if t.starts_with("to a ") && t.ends_with("-irq-unsafe lock:") {
            Section::ExpectLock(Slot::Other)
        } else if t == "but this task is not holding:" {
            Section::ExpectLock(Slot::NestLock)
        } else if t == "which would create a new lock dependency:" {
            Section::Dependency
        } else {
            return Head::Pass;
        };
        Head::Open(next)
    }

    /// The dependency chain: its header, each `-> #N (class)` entry, and
    /// the `Chain exists of:` summary.
    fn chain_header(&mut self, t: &str, no: u64) -> Head {
        if t == "the existing dependency chain (in reverse order) is:" {
            Head::Open(Section::Chain)
        } else if t.starts_with("-> #") {
            let Some((index, lock)) = parse_chain_header(t, no) else {
                return Head::Refuse;
            };
            self.r.chain.push(ChainEntry {
                index,
                lock,
                stack: Vec::new(),
            });
            self.ctx = FrameContext::Task;
            Head::Open(Section::Chain)
        } else if t == "Chain exists of:" {
            Head::Open(Section::ChainExists)
        } else {
            Head::Pass
        }
    }

    /// The scenario table, held-lock lists and the usage transition line.
    fn table_header(&mut self, t: &str, _no: u64) -> Head {
        let r = &mut self.r;
        if super::judge::ScenarioTable::of_header(t).is_some() {
            r.scenario = Some(Scenario::default());
            Head::Open(Section::Scenario)
        } else if let Some((count, task)) = parse_held_header(t) {
            r.held_lock_lists.push(HeldLocks {
                task,
                count: Some(count),
                locks: Vec::new(),
                from_dump: None,
            });
            Head::Open(Section::Held)
        } else if let Some(rest) = t.strip_prefix("inconsistent {") {
            let Some((from, to)) = rest
                .strip_suffix("} usage.")
                .and_then(|s| s.split_once("} -> {"))
            else {
                return Head::Refuse;
            };
            r.usage_transition = Some(UsageTransition {
                from: from.to_string(),
                to: to.to_string(),
            });
            Head::Open(Section::None)
        } else {
            Head::Pass
        }
    }

    /// Saved stacks of usage reports and irq reports' class dumps, and the
    /// irq event stamps.
    fn dump_header(&mut self, t: &str, _no: u64) -> Head {
        if t.ends_with(" state was registered at:")
            || (t.starts_with("... which became ") && t.ends_with(" at:"))
            || (t.ends_with(" at:")
                && t.starts_with(|c: char| c.is_ascii_uppercase())
                && t.contains('-')
                && !t.contains(' '))
        {
            Head::Open(self.new_trace(t))
        } else if t.starts_with("the shortest dependencies between")
            || t.starts_with("the dependencies between")
            || (t.starts_with("and ") && t.ends_with("-irq-unsafe lock:"))
            || t.starts_with("... key      at:")
            || t.starts_with("... key at:")
        {
            let side = if t.starts_with("the shortest dependencies between") {
                self.r.irq_inversion.as_ref().map(|i| PathSide::Inversion {
                    took: i.this_took_other,
                })
            } else if t.starts_with("the dependencies between the lock to be acquired") {
                Some(PathSide::AcquiredToUnsafe)
            } else if t.starts_with("the dependencies between ")
                && t.ends_with("-irq-safe lock and the holding lock:")
            {
                Some(PathSide::SafeToHeld)
            } else {
                None
            };
            if let Some(side) = side {
                self.finish_path();
                self.path = Some(DepPath::new(side));
            }
            Head::Open(Section::ClassDump)
        } else if t == "... acquired at:" {
            let name = match &self.dump_class {
                Some(c) => format!("{c}: acquired at"),
                None => "acquired at".to_string(),
            };
            let section = self.new_trace(&name);
            if let (Some(p), Section::Trace(i)) = (self.path.as_mut(), section) {
                p.trace(i);
            }
            Head::Open(section)
        } else if let Some(rest) = t.strip_prefix("irq event stamp:") {
            self.r.irq_events = Some(IrqEvents {
                stamp: rest.trim_ws().parse().ok(),
                events: Vec::new(),
            });
            Head::Open(Section::IrqEvents)
        } else {
            Head::Pass
        }
    }

    /// One-line event headers: a release or contention of a lock (class in
    /// parentheses), freeing memory with locks held, returning to user.
    fn event_header(&mut self, t: &str, no: u64) -> Head {
        let r = &mut self.r;
        if t.ends_with(" is trying to release lock (")
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
                source_line: no,
                ..Lock::default()
            });
            if let Some(lock) = lock {
                self.set_slot(slot, lock);
            }
            Head::Open(if t.ends_with("at:") {
                Section::ExpectAt(slot)
            } else {
                Section::None
            })
        } else if t.contains(" is freeing memory ") {
            let who = t.split(" is freeing").next().unwrap_or("");
            r.task = parse_task(who).or(r.task.take());
            r.message = Some(t.to_string());
            // `with a lock still held there!`: the task holds the lock.
            Head::Open(Section::ExpectLock(Slot::Holding))
        } else if t.ends_with(" is leaving the kernel with locks still held!") {
            let who = t.split(" is leaving").next().unwrap_or("");
            r.task = parse_task(who).or(r.task.take());
            Head::Open(Section::None)
        } else {
            Head::Pass
        }
    }

    /// The final backtrace's headers, and `Preemption disabled at:`.
    fn backtrace_header(&mut self, t: &str, no: u64) -> Head {
        if t == "stack backtrace:" {
            // Old kernels print the frames right after it.
            self.ctx = FrameContext::Task;
            Head::Open(Section::Backtrace)
        } else if t.starts_with("Call Trace:") || t == "Call trace:" || t == "Backtrace:" {
            // A later trace replaces an earlier final trace only if the
            // earlier one was empty; nested-lock reports print two.
            let r = &mut self.r;
            r.call_trace_line.get_or_insert(no);
            // A hung task's blocker's owner is shown after the hung task's
            // own stack: its stack is the owner's, not a final backtrace.
            if !r.backtrace.is_empty()
                && r.blocked_on
                    .as_ref()
                    .is_some_and(|b| b.owner_stack.is_empty())
            {
                self.ctx = FrameContext::Task;
                return Head::Open(Section::OwnerTrace);
            }
            if !r.backtrace.is_empty() {
                let frames = std::mem::take(&mut r.backtrace);
                r.traces
                    .push(Trace::set_apart(TraceOrigin::EarlierBacktrace, frames));
            }
            self.ctx = FrameContext::Task;
            Head::Open(Section::Backtrace)
        } else if t == "Preemption disabled at:" {
            Head::Open(Section::PreemptionAt)
        } else {
            Head::Pass
        }
    }
}

/// Apply what the banner line itself says.
pub(super) fn apply_banner(r: &mut Report, raw: &RawReport) {
    let b = &raw.banner;
    r.banner = b.text.clone();
    r.banner_style = b.style;
    let cap = |i: usize| b.captures.get(i).cloned().unwrap_or_default();
    match b.kind.row().banner_reads {
        BannerReads::Nothing => {}
        BannerReads::AtomicSleepAt => {
            r.atomic_sleep = Some(AtomicSleep {
                at: Some(cap(0)),
                ..AtomicSleep::default()
            });
        }
        BannerReads::TaskAndPreemptCount => {
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
        BannerReads::Task => r.task = parse_task(&cap(0)),
        BannerReads::CapacityMessage => r.message = Some(format!("{} too low!", cap(0))),
        BannerReads::SubclassMessage => r.message = Some(format!("invalid subclass {}", cap(0))),
        BannerReads::HungTask => {
            if let (true, Ok(pid)) = (b.hung_task, cap(1).parse()) {
                r.task = Some(crate::model::Task { comm: cap(0), pid });
            }
        }
        BannerReads::Warning => {
            if b.text.starts_with("DEBUG_LOCKS_WARN_ON") {
                r.message = Some(b.text.clone());
            } else if let Some((_, loc)) = b.text.split_once(" at ") {
                r.warning_at = Some(loc.to_string());
            } else {
                r.message = Some(b.text.clone());
            }
        }
    }
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
        path: Vec::new(),
    })
}
