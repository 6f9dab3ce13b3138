//! Segmentation: finding every report in a stream of lines and deciding
//! where each one ends.
//!
//! Outside a report, a line costs one Aho-Corasick scan of its raw bytes
//! ([`banner::Prefilter`]); only candidates are decoded and matched against
//! the banner table. Inside a report, a small per-report `Tracker` follows
//! its shape (body sections, then the final trace, then for hung-task
//! reports the system-wide held-locks dump) to see where it ends.
//!
//! With printk caller ids (`[T123]` / `[C1]`), several reports may be open
//! at once, each fed only the lines of its own caller; lines of other
//! callers are set aside into the open reports' `interleaved` lists.
//! Reports are emitted in the order their banners appeared.

pub mod banner;
pub mod join;

use crate::input::{Caller, Line, LineReader, Lines, RawLine};
use crate::kind::{AfterTrace, Body, Continuation};
pub use crate::model::EndReason;
use crate::model::{FrameContext, ReportKind};
use crate::vocab::body::{is_report_body_line, is_report_body_text};
use crate::vocab::frame::{classify_trace_line, TraceLineRef};
use crate::vocab::trim::TrimWs;
pub use banner::{match_banner, match_headless, Banner, Prefilter};

/// Hard caps that bound memory whatever the input.
pub mod limits {
    /// Lines kept in one report; a report reaching it is closed, flagged.
    pub const MAX_REPORT_LINES: usize = 20_000;
    /// Foreign lines kept per report.
    pub const MAX_INTERLEAVED_LINES: usize = 2_000;
    /// Bytes of foreign text kept per report.
    pub const MAX_INTERLEAVED_BYTES: usize = 256 * 1024;
    /// Reports open at once (interleaved by caller id).
    pub const MAX_OPEN_REPORTS: usize = 16;
    /// Reports queued (open, or finished and waiting for an earlier one).
    pub const MAX_QUEUED_REPORTS: usize = 64;
    /// Bytes of text kept in one report.
    pub const MAX_REPORT_BYTES: usize = 2 * 1024 * 1024;
    /// With caller ids: other callers' lines after which a report whose
    /// trace has frames is taken as finished though its own task is silent.
    pub const QUIET_AFTER_TRACE: usize = 50;
    /// ... and after which any report is given up on.
    pub const QUIET_LINES: usize = 2_000;
    /// Lines after a report ended within which a report's first body line
    /// is taken as the rest of that report, not a report pasted without
    /// its banner.
    pub const HEADLESS_GAP: u64 = 20;
}

/// A report's lines, before section parsing.
#[derive(Debug, Clone)]
pub struct RawReport {
    /// The banner that opened the report (a headless one when it was pasted
    /// without it).
    pub banner: Banner,
    /// All lines of the report, the banner line first.
    pub lines: Lines,
    /// Lines other callers printed while it was open.
    pub interleaved: Lines,
    /// Foreign lines dropped past the interleave cap.
    pub interleaved_dropped: u64,
    /// Why the report ended.
    pub end: EndReason,
    /// The final trace ended on its own (a non-trace line, an end marker),
    /// rather than being cut by the end of input.
    pub trace_closed: bool,
    /// The printk caller id the report's banner line carried, when it had
    /// one: lines of other callers are set aside as interleaved.
    pub caller: Option<Caller>,
    /// The input stopped inside the report's last line (no line end).
    pub cut_mid_line: bool,
    /// Lines rejoined before segmentation (`join`): each pair is the
    /// first line of a joined line and a line appended to it.
    pub joined: Vec<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Body,
    Trace,
    /// A non-frame line interrupted the trace: either the trace ended or a
    /// foreign line (printed by another CPU without caller ids) was spliced
    /// in. Frames resuming within two lines decide the latter.
    TraceSuspended,
    /// A hung task's stack ended with a blank line: the all-locks dump may
    /// follow.
    AfterHungTrace,
    Dump,
}

/// Foreign lines tolerated in a row inside an all-locks dump.
const MAX_DUMP_FOREIGN: usize = 2;

/// Unknown lines tolerated inside a register dump of interrupted kernel
/// code (pieces of its `RIP:`/`Code:` lines that a mail client broke off
/// and the joiner could not place): the frames after the dump still
/// belong to the trace.
const MAX_REGS_JUNK: usize = 4;

/// What the tracker says about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Continue,
    /// The line belongs to the report and closes it.
    EndAfter,
    /// The line is not part of the report; the report ended before it.
    /// The `usize` is how many trailing lines already taken were junk and
    /// must be given back.
    EndBefore(usize),
}

/// Follows one report's shape.
#[derive(Debug)]
struct Tracker {
    kind: ReportKind,
    hung: bool,
    phase: Phase,
    frames: usize,
    pre_frame_junk: usize,
    ctx: FrameContext,
    traces_done: usize,
    /// Consecutive body lines no section parser knows.
    junk_run: usize,
    /// Junk lines tolerated in the body before the report is over.
    junk_limit: usize,
    saw_cpu_line: bool,
    lines: usize,
    trace_closed: bool,
    /// Lines taken while the trace was suspended.
    pending: usize,
    /// The trace ended in a saved-register dump (a syscall or exception
    /// entry): it reached its root.
    regs_closed: bool,
    /// The last reliable frame seen is a root frame (ret_from_fork, ...).
    reached_root: bool,
    /// The last frame was called from an arm32 kernel-mode exception entry
    /// (`... from [<...>] (__irq_svc+0x70/0x98)`): the register dump that
    /// follows is the interrupted kernel code's, whose frames come next,
    /// so it does not end the trace.
    svc_entry: bool,
    /// An x86 register dump of interrupted kernel code (`RIP: 0010:`)
    /// follows the last frame: the frames of the code the interrupt or
    /// exception entry interrupted come after it, so the dump does not end
    /// the trace.
    in_kernel_regs: bool,
    /// Unknown lines taken inside the current kernel register dump.
    regs_junk: usize,
    /// ... of them, those since the dump's last register line: given back
    /// if no frame follows.
    regs_junk_run: usize,
    /// `regs_junk_run` when the trace was suspended: given back with the
    /// suspended lines.
    junk_before_suspend: usize,
    /// The line whose arrival ended the trace.
    closed_at: u64,
    /// A hung task's comm, from the banner.
    hung_comm: Option<String>,
    /// The hung task's sched_show_task() line was seen: stacks before it
    /// are another task's.
    seen_task_line: bool,
    /// The current line is that line.
    task_line_now: bool,
    /// An all-locks dump was read: another one starts another report.
    dumped: bool,
    /// Consecutive foreign lines inside the dump.
    dump_foreign: usize,
    /// Blank lines just taken in a hung task's body.
    blank_run: usize,
    /// Body lines taken since the last kernel-shaped one (blank lines, and
    /// unindented lines no vocabulary knows), and whether any of them is
    /// not blank:
    /// the poster's prose after the report, given back when the report
    /// closes there.
    tail: usize,
    tail_prose: bool,
}

impl Tracker {
    fn new(b: &Banner) -> Self {
        let junk_limit = b.kind.row().segmenter.junk_limit;
        let phase = if b.opens_dump {
            Phase::Dump
        } else {
            Phase::Body
        };
        Tracker {
            kind: b.kind,
            hung: b.hung_task,
            phase,
            frames: 0,
            pre_frame_junk: 0,
            ctx: FrameContext::Task,
            traces_done: 0,
            junk_run: 0,
            junk_limit,
            saw_cpu_line: false,
            lines: 1,
            trace_closed: false,
            pending: 0,
            regs_closed: false,
            reached_root: false,
            svc_entry: false,
            in_kernel_regs: false,
            regs_junk: 0,
            regs_junk_run: 0,
            junk_before_suspend: 0,
            blank_run: 0,
            tail: 0,
            tail_prose: false,
            closed_at: 0,
            hung_comm: b.hung_task.then(|| b.captures.first().cloned()).flatten(),
            seen_task_line: false,
            task_line_now: false,
            dumped: b.opens_dump,
            dump_foreign: 0,
        }
    }

    fn enter_dump(&mut self) {
        self.phase = Phase::Dump;
        self.dumped = true;
        self.dump_foreign = 0;
    }

    /// Does banner `b`, seen while this report is open, continue it rather
    /// than start a new report?
    fn is_continuation(&self, b: &Banner) -> bool {
        if b.kind != self.kind {
            return false;
        }
        match self.kind.row().segmenter.continuation {
            Continuation::Never => false,
            Continuation::PairedWarning => self.phase == Phase::Body && self.lines <= 4,
            // One dump per hung-task round: a second one is another report.
            Continuation::DumpAfterHungTask => self.hung && !b.hung_task && !self.dumped,
        }
    }

    /// In the final trace, with at least one frame seen.
    fn in_trace_with_frames(&self) -> bool {
        matches!(self.phase, Phase::Trace | Phase::TraceSuspended) && self.frames > 0
    }

    fn feed(&mut self, line: &Line<'_>) -> Feed {
        let was_closed = self.trace_closed;
        let feed = self.feed_inner(line);
        if self.trace_closed && !was_closed {
            self.closed_at = line.no;
        }
        feed
    }

    fn feed_inner(&mut self, line: &Line<'_>) -> Feed {
        self.lines += 1;
        let text = line.text;
        let t = text.trim_ws();
        self.task_line_now = self.hung
            && !self.seen_task_line
            && crate::vocab::body::is_task_state_line(t, self.hung_comm.as_deref());
        if self.task_line_now {
            self.seen_task_line = true;
        }
        let in_body = self.phase == Phase::Body;
        let feed = match self.phase {
            Phase::Body => self.feed_body(text, t),
            Phase::Trace => self.feed_trace(text, t),
            Phase::TraceSuspended => self.feed_trace_suspended(text, t),
            Phase::AfterHungTrace => self.feed_after_hung_trace(t),
            Phase::Dump => self.feed_dump(text, t),
        };
        // The body's tail since its last kernel-shaped line, of the lines
        // the report took (one that ended it gave back its own).
        match feed {
            Feed::Continue | Feed::EndAfter if in_body && self.phase == Phase::Body => {
                if t.is_empty() {
                    self.tail += 1;
                } else if self.body_line(text) {
                    self.tail = 0;
                    self.tail_prose = false;
                } else {
                    self.tail += 1;
                    self.tail_prose = true;
                }
            }
            _ => {
                self.tail = 0;
                self.tail_prose = false;
            }
        }
        feed
    }

    /// A line of the report's body sections.
    fn feed_body(&mut self, text: &str, t: &str) -> Feed {
        // A hung task's body after a blank line goes on only with a line
        // of the report's vocabulary, indented or not: indentation alone
        // does not make commit trailers, a diff or `ps`/perf output (text
        // the poster wrote after the report) kernel text.
        if self.hung {
            if t.is_empty() {
                self.blank_run += 1;
            } else {
                let after_blank = std::mem::take(&mut self.blank_run);
                if after_blank > 0 && !is_report_body_text(t) && !is_trace_header(t) {
                    return Feed::EndBefore(after_blank);
                }
            }
        }
        if is_trace_header(t) {
            self.enter_trace(0);
            return Feed::Continue;
        }
        if t.starts_with("CPU: ") && t.contains("PID: ") {
            self.saw_cpu_line = true;
        }
        if self.saw_cpu_line {
            // Traces printed without a `Call Trace:` header (arm32).
            let mut ctx = FrameContext::Task;
            if let TraceLineRef::Frame(_) = classify_trace_line(text, &mut ctx) {
                self.enter_trace(1);
                return Feed::Continue;
            }
        }
        if t.starts_with("---[ end trace") {
            return Feed::EndAfter;
        }
        if self.body_line(text) {
            self.junk_run = 0;
            Feed::Continue
        } else {
            self.junk_run += 1;
            if self.junk_run >= self.junk_limit {
                Feed::EndBefore(self.junk_run - 1)
            } else {
                Feed::Continue
            }
        }
    }

    /// A line of the final trace.
    fn feed_trace(&mut self, text: &str, t: &str) -> Feed {
        match classify_trace_line(text, &mut self.ctx) {
            TraceLineRef::Frame(f) => {
                self.frames += 1;
                self.trace_closed = false;
                self.regs_closed = false;
                self.svc_entry = called_from_arm_svc_entry(t);
                self.in_kernel_regs = false;
                self.regs_junk = 0;
                self.regs_junk_run = 0;
                if f.reliable {
                    self.reached_root = crate::vocab::body::is_terminal_frame(f.base());
                }
                // arm32 names the caller on the frame's line: a frame
                // called from the syscall return is the last.
                if crate::vocab::frame::arm32_caller(text)
                    .is_some_and(crate::vocab::body::is_terminal_frame)
                {
                    self.trace_closed = true;
                    self.regs_closed = true;
                }
                Feed::Continue
            }
            TraceLineRef::Marker => {
                // x86 prints `</TASK>` after the last frame of the task
                // stack, the last stack it walks: the trace is whole
                // (arch/x86/kernel/dumpstack.c, show_trace_log_lvl).
                if self.frames > 0 && t == "</TASK>" {
                    self.trace_closed = true;
                    self.regs_closed = true;
                }
                Feed::Continue
            }
            TraceLineRef::Register(_) => {
                // A register dump after frames is the saved user/exception
                // state: a syscall trace ends with it. Interrupted kernel
                // code's registers are followed by that code's frames.
                if self.frames > 0 && interrupted_kernel_regs(t) {
                    self.in_kernel_regs = true;
                }
                self.regs_junk_run = 0;
                // arm32's per-frame saved registers are neither.
                if self.frames > 0
                    && !self.svc_entry
                    && !self.in_kernel_regs
                    && !crate::vocab::frame::is_arm32_saved_registers(t)
                {
                    self.trace_closed = true;
                    self.regs_closed = true;
                }
                Feed::Continue
            }
            TraceLineRef::Other if self.frames == 0 => {
                self.pre_frame_junk += 1;
                if self.pre_frame_junk > 4 {
                    Feed::EndBefore(self.pre_frame_junk - 1)
                } else {
                    Feed::Continue
                }
            }
            // 2.6-era dump_stack() ends its trace with an indented
            // ` =======================`.
            TraceLineRef::Other
                if self.frames > 0
                    && text.starts_with(' ')
                    && t.len() >= 8
                    && t.bytes().all(|c| c == b'=') =>
            {
                self.trace_closed = true;
                self.regs_closed = true;
                self.traces_done += 1;
                Feed::EndAfter
            }
            TraceLineRef::Other if starts_other_output(t) => {
                // Cut by the next report or an oops: the trace ended on
                // its own only if it reached the register dump.
                self.trace_closed = self.regs_closed;
                self.traces_done += 1;
                Feed::EndBefore(self.regs_junk_run)
            }
            // Inside the register dump of interrupted kernel code, whose
            // frames follow it: a line no shape knows is a piece a mail
            // client broke off a `RIP:` or `Code:` line, not the end.
            TraceLineRef::Other
                if self.in_kernel_regs
                    && self.regs_junk < MAX_REGS_JUNK
                    && !t.is_empty()
                    && !t.starts_with("---[ end trace") =>
            {
                self.regs_junk += 1;
                self.regs_junk_run += 1;
                Feed::Continue
            }
            TraceLineRef::Other => {
                // A trace that stops inside the register dump of
                // interrupted kernel code lost that code's frames.
                self.trace_closed = !self.in_kernel_regs;
                match self.after_trace(t) {
                    Feed::EndBefore(_) => {
                        self.phase = Phase::TraceSuspended;
                        self.pending = 1;
                        self.junk_before_suspend = self.regs_junk_run;
                        Feed::Continue
                    }
                    other => {
                        self.traces_done += 1;
                        other
                    }
                }
            }
        }
    }

    /// A line after a non-frame line interrupted the trace.
    fn feed_trace_suspended(&mut self, text: &str, t: &str) -> Feed {
        match classify_trace_line(text, &mut self.ctx) {
            TraceLineRef::Frame(_) => {
                self.phase = Phase::Trace;
                self.frames += 1;
                self.svc_entry = called_from_arm_svc_entry(t);
                self.in_kernel_regs = false;
                self.regs_junk = 0;
                self.regs_junk_run = 0;
                self.junk_before_suspend = 0;
                self.pending = 0;
                self.trace_closed = false;
                Feed::Continue
            }
            _ => {
                self.pending += 1;
                if self.pending >= 2 {
                    self.traces_done += 1;
                    let give_back = self.pending - 1 + self.junk_before_suspend;
                    self.phase = Phase::Trace;
                    self.pending = 0;
                    Feed::EndBefore(give_back)
                } else {
                    Feed::Continue
                }
            }
        }
    }

    /// A line after a hung task's stack ended with a blank line.
    fn feed_after_hung_trace(&mut self, t: &str) -> Feed {
        if t.starts_with("Showing all locks held")
            || crate::vocab::lock::parse_held_header(t).is_some()
        {
            self.enter_dump();
            Feed::Continue
        } else if t.starts_with("INFO: task ") && t.contains(" blocked on ") {
            self.phase = Phase::Body;
            self.junk_run = 0;
            self.saw_cpu_line = false;
            Feed::Continue
        } else if t.is_empty() {
            Feed::Continue
        } else {
            Feed::EndBefore(0)
        }
    }

    /// A line of the all-locks dump.
    fn feed_dump(&mut self, text: &str, t: &str) -> Feed {
        if t.starts_with("=====") {
            return Feed::EndAfter;
        }
        if t.is_empty()
            || crate::vocab::lock::parse_held_header(t).is_some()
            || crate::vocab::lock::is_held_lock(text)
            || t.starts_with("INFO: lockdep is turned off")
            || t.starts_with("Showing all locks held")
        {
            self.dump_foreign = 0;
            Feed::Continue
        } else if self.dump_foreign < MAX_DUMP_FOREIGN {
            // Another task's line spliced into the dump (no caller
            // ids): the dump goes on if its lines resume.
            self.dump_foreign += 1;
            Feed::Continue
        } else {
            Feed::EndBefore(self.dump_foreign)
        }
    }

    /// Is `text` a line of the report's body (its kind's vocabulary)?
    fn body_line(&self, text: &str) -> bool {
        match self.kind.row().segmenter.body {
            Body::Lockdep => is_report_body_line(text),
            Body::Dept => {
                let mut ctx = FrameContext::Task;
                crate::vocab::dept::is_body_line(text.trim_ws())
                    || matches!(classify_trace_line(text, &mut ctx), TraceLineRef::Frame(_))
            }
        }
    }

    fn enter_trace(&mut self, frames: usize) {
        self.phase = Phase::Trace;
        self.frames = frames;
        self.pre_frame_junk = 0;
        self.ctx = FrameContext::Task;
        self.trace_closed = false;
    }

    /// The final trace just ended at non-trace line `t`.
    fn after_trace(&mut self, t: &str) -> Feed {
        if t.starts_with("---[ end trace") {
            return Feed::EndAfter;
        }
        // A stack before the hung task's sched_show_task() line is another
        // task's, interleaved without caller ids: the report goes on.
        if self.hung && (!self.seen_task_line || self.task_line_now) {
            self.phase = Phase::Body;
            self.junk_run = 0;
            self.saw_cpu_line = false;
            self.blank_run = usize::from(t.is_empty());
            return Feed::Continue;
        }
        if self.hung && t.starts_with("Showing all locks held") {
            self.enter_dump();
            return Feed::Continue;
        }
        if self.hung && t.is_empty() {
            self.phase = Phase::AfterHungTrace;
            return Feed::Continue;
        }
        if self.hung && crate::vocab::lock::parse_held_header(t).is_some() {
            // 4.4 prints the hung task's own held locks right after its stack.
            self.enter_dump();
            return Feed::Continue;
        }
        if self.hung && t.starts_with("INFO: task ") && t.contains(" blocked on ") {
            // 6.x names the likely owner and dumps its stack next.
            self.phase = Phase::Body;
            self.junk_run = 0;
            self.saw_cpu_line = false;
            return Feed::Continue;
        }
        let more_follows = match self.kind.row().segmenter.after_trace {
            AfterTrace::Ends => false,
            AfterTrace::SecondTrace => self.traces_done == 0,
            AfterTrace::IrqEvents => {
                t.starts_with("irq event stamp:") || t.starts_with("---[ end trace")
            }
        };
        if more_follows {
            self.phase = Phase::Body;
            self.junk_run = 0;
            self.junk_limit = 2;
            self.saw_cpu_line = false;
            return Feed::Continue;
        }
        Feed::EndBefore(0)
    }
}

/// The banner `line` holds: in its text, or after console text glued
/// before a printk time (`host login: [ 16.3] INFO: ...`), which the
/// report then starts from (the line keeps its number).
fn find_banner(line: Line<'_>) -> Option<(Banner, Line<'_>)> {
    // Console text glued before a printk time is not the banner's: the
    // line starts at the time. Tried first, since a row that allows any
    // text before its needle (a hung task's name split by a newline) would
    // take the glued text into the task name.
    if let Some(tail) = line.glued_tail() {
        if let Some(b) = match_banner(tail.text) {
            return Some((b, tail));
        }
    }
    match_banner(line.text).map(|b| (b, line))
}

/// An arm32 frame line whose caller is a kernel-mode exception entry
/// (arch/arm/kernel/entry-armv.S: `__irq_svc`, `__dabt_svc`, `__und_svc`,
/// ...): `[<pc>] (func) from [<lr>] (__irq_svc+0x70/0x98)`, or without
/// addresses `func from __irq_svc+0x70/0x98`.
fn called_from_arm_svc_entry(t: &str) -> bool {
    let Some((_, caller)) = crate::vocab::frame::rsplit_from(t) else {
        return false;
    };
    let caller = caller.trim_ws();
    let caller = match caller.rsplit_once(" (") {
        Some((_, c)) => c.trim_end_matches(')'),
        None => caller,
    };
    let name = caller.split('+').next().unwrap_or("");
    name.starts_with("__") && name.ends_with("_svc")
}

/// The first line of an x86 register dump of kernel-mode code: the code
/// segment is the kernel's (`__KERNEL_CS`: 0x10 on x86-64, 0x60 on i386,
/// arch/x86/include/asm/segment.h), as `RIP: 0010:func+0x..` or, before
/// 4.x, `RIP: 0010:[<ffffffff...>]`. A user-mode dump shows `0033`/`0023`
/// (x86-64) or `0073` (i386) and does end a syscall's trace.
fn interrupted_kernel_regs(t: &str) -> bool {
    t.starts_with("RIP: 0010:") || t.starts_with("EIP: 0060:")
}

/// Lines that begin other kernel output: a lockdep ruler, an oops banner.
fn starts_other_output(t: &str) -> bool {
    const STARTS: &[&str] = &[
        "=====",
        "BUG: ",
        "WARNING: ",
        "Kernel panic",
        "general protection fault",
        "Oops",
        "Unable to handle kernel",
        "kernel BUG at",
        "------------[ cut here ]",
    ];
    STARTS.iter().any(|p| t.starts_with(p))
}

fn is_trace_header(t: &str) -> bool {
    t == "Call Trace:" || t == "Call trace:" || t == "Backtrace:" || t.starts_with("Call Trace:")
}

/// Drop the last `n` lines a report took, keeping at least its banner.
fn give_back(lines: &mut Lines, n: usize) {
    if n > 0 {
        let keep = lines.len().saturating_sub(n).max(1);
        lines.truncate(keep);
    }
}

struct Open {
    raw: RawReport,
    tracker: Tracker,
    /// Bytes of text kept, for the size cap.
    bytes: usize,
    /// Bytes of foreign lines kept.
    interleaved_bytes: usize,
    /// Lines of other callers seen since this report's caller last printed.
    foreign_run: usize,
    done: bool,
}

/// The streaming segmenter. Feed it every line with [`Segmenter::push`],
/// then call [`Segmenter::finish`]; reports go to the sink in the order
/// their banners appeared. A finished report waits only behind reports
/// that began before it and are still open; at most
/// [`limits::MAX_OPEN_REPORTS`] are open and [`limits::MAX_QUEUED_REPORTS`]
/// queued, so memory stays bounded whatever the input.
pub struct Segmenter {
    open: std::collections::VecDeque<Open>,
    /// The last line pushed had no line end: the input was cut mid-line.
    cut_mid_line: bool,
    /// The number of the last line pushed.
    last_no: u64,
    /// Lines held back because the next may continue them ([`join`]).
    held: Vec<Held>,
    /// The text of `held` as one line, joined so far.
    held_text: String,
    /// `held` is a held-lock entry printed in pieces, not yet whole: if it
    /// never becomes whole its pieces go on unjoined.
    held_partial: bool,
    /// The joins of the line being handed on, for the report that takes it.
    joins: Vec<(u64, u64)>,
    /// The number of the last line a report took before it was closed.
    last_closed: Option<u64>,
    /// Text buffers of released held lines, for the next ones: a line
    /// costs no allocation of its own on its way through the joiner.
    spare: Vec<String>,
    /// An empty list with room, for [`Segmenter::release_held`] to swap in.
    spare_held: Vec<Held>,
}

/// One line held back by the joiner, owned.
#[derive(Debug, Clone)]
struct Held {
    no: u64,
    full: String,
    /// The kernel text is `full[text.0..text.1]`.
    text: (usize, usize),
    prefix: crate::input::Prefix,
    truncated: bool,
    terminated: bool,
    needle: bool,
    /// It holds a banner needle or a banner tag ([`Prefilter::may_start`]).
    start: bool,
    /// Its text may hold a banner needle: false when it certainly holds
    /// none (for [`join::pair_bounded`]).
    text_may_match: bool,
}

impl Held {
    /// `raw_text`: `line.full` is the raw line's bytes as read (not
    /// decoded), so a text inside it holds a needle only if they do
    /// (`needle`).
    /// `full` is a buffer to keep the line's text in (from
    /// [`Segmenter::spare`]), cleared here.
    fn of(
        mut full: String,
        line: &Line<'_>,
        terminated: bool,
        needle: bool,
        start: bool,
        raw_text: bool,
    ) -> Held {
        let offset = (line.text.as_ptr() as usize).wrapping_sub(line.full.as_ptr() as usize);
        let inside = offset <= line.full.len() && line.text.len() <= line.full.len() - offset;
        let text_may_match = if raw_text && inside {
            needle
        } else {
            Prefilter::may_match(line.text.as_bytes())
        };
        full.clear();
        full.push_str(line.full);
        let text = if inside {
            (offset, offset + line.text.len())
        } else {
            full.push_str(line.text);
            (line.full.len(), line.full.len() + line.text.len())
        };
        Held {
            no: line.no,
            full,
            text,
            prefix: line.prefix,
            truncated: line.truncated,
            terminated,
            needle,
            start,
            text_may_match,
        }
    }

    fn text(&self) -> &str {
        &self.full[self.text.0..self.text.1]
    }

    fn line(&self) -> Line<'_> {
        Line {
            no: self.no,
            text: self.text(),
            full: &self.full,
            prefix: self.prefix,
            truncated: self.truncated,
        }
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    /// A segmenter with no report open.
    pub fn new() -> Self {
        Segmenter {
            open: std::collections::VecDeque::new(),
            cut_mid_line: false,
            last_no: 0,
            held: Vec::new(),
            held_text: String::new(),
            held_partial: false,
            joins: Vec::new(),
            last_closed: None,
            spare: Vec::new(),
            spare_held: Vec::new(),
        }
    }

    /// True when no report is open and no line is held back: a line
    /// without a banner needle then changes nothing (see [`drive`]).
    pub fn is_idle(&self) -> bool {
        self.held.is_empty() && self.open.iter().all(|o| o.done)
    }

    /// Feed one raw line.
    pub fn push(&mut self, raw: &RawLine<'_>, sink: &mut dyn FnMut(RawReport)) {
        // A banner needle in the raw bytes: a superset of the needles in
        // the stripped text, which is all a prefilter needs. [`drive`]
        // marks lines with a needle or a banner tag (the first piece of a
        // banner a mail client broke may hold only its tag).
        let start = raw
            .marked
            .unwrap_or_else(|| Prefilter::may_start(raw.bytes));
        let needle = start && Prefilter::may_match(raw.bytes);
        if self.is_idle() && !start {
            // Fast path: nothing open, most lines are not banners.
            self.cut_mid_line = !raw.terminated;
            self.last_no = raw.no;
            return;
        }
        let full = raw.text();
        let raw_text = matches!(full, std::borrow::Cow::Borrowed(_));
        let line = raw.line(&full);
        let buf = self.spare.pop().unwrap_or_default();
        self.offer(
            Held::of(buf, &line, raw.terminated, needle, start, raw_text),
            sink,
        );
    }

    /// Keep the text buffer of a line that has been handed on.
    fn recycle(&mut self, h: Held) {
        if self.spare.len() < join::MAX_PIECES {
            self.spare.push(h.full);
        }
    }

    /// The joiner: hold `next` back while the line after it may continue
    /// it, join when [`join`] says the pieces are one line, and hand every
    /// line that is whole on to the segmenter proper.
    fn offer(&mut self, next: Held, sink: &mut dyn FnMut(RawReport)) {
        if self.held.is_empty() {
            if !next.start && self.open.iter().all(|o| o.done) {
                // As when idle (`push`'s fast path): with no report open, a
                // line with neither a banner needle nor a banner tag starts
                // nothing. Holding it would keep the segmenter from ever
                // going idle again after the first report, each line held
                // until the next one arrives.
                self.cut_mid_line = !next.terminated;
                self.last_no = next.no;
                self.joins.clear();
                self.recycle(next);
                return;
            }
            if next.truncated {
                self.release_one(next, sink);
                return;
            }
            self.held_text.clear();
            self.held_text.push_str(next.text());
            self.held_partial = join::held_start(next.text());
            self.held.push(next);
            return;
        }
        let first = &self.held[0];
        // Another caller's line (printk caller ids) is no continuation and
        // ends nothing: it goes its own way while the held line waits for
        // its own caller's next line.
        if first.prefix.caller.is_some()
            && next.prefix.caller.is_some()
            && first.prefix.caller != next.prefix.caller
        {
            // The held line waits only for its own open report's caller;
            // any other held line (a whole banner whose report is not open
            // yet, a line of a caller with no report) goes on first.
            let waits = self
                .open
                .iter()
                .any(|o| !o.done && o.raw.caller == first.prefix.caller);
            if !waits {
                self.release_held(sink);
                self.offer(next, sink);
            } else {
                self.release_one(next, sink);
            }
            return;
        }
        if self.held.len() < join::MAX_PIECES
            && !next.truncated
            && join::may_continue(&first.prefix, &next.prefix)
        {
            let last_len = self.held.last().map_or(0, |h| h.full.trim_end().len());
            if let Some(j) = join::soft_break(&self.held_text, last_len, next.text()) {
                self.held_text = j;
                self.held_partial = false;
                self.held.push(next);
                return;
            }
            // The held text is the held line's own unless pieces were joined.
            let held_may = self.held.len() > 1 || first.text_may_match;
            if let Some(j) =
                join::pair_bounded(&self.held_text, next.text(), held_may, next.text_may_match)
            {
                self.held_text = j;
                self.held_partial = false;
                self.held.push(next);
                return;
            }
            // One line held: `held_partial` is `held_start` of its text.
            if self.held_partial {
                if let Some((j, whole)) = join::held_pieces(&self.held_text, next.text()) {
                    self.held_text = j;
                    self.held.push(next);
                    self.held_partial = !whole;
                    return;
                }
            }
        }
        self.release_held(sink);
        self.offer(next, sink);
    }

    /// Hand the held lines on: joined as one when their join is whole,
    /// else one by one as read.
    fn release_held(&mut self, sink: &mut dyn FnMut(RawReport)) {
        let spare = std::mem::take(&mut self.spare_held);
        let mut held = std::mem::replace(&mut self.held, spare);
        let partial = std::mem::replace(&mut self.held_partial, false);
        if held.len() == 1 || partial {
            // Pieces that never made one line: the first goes on alone,
            // the others are offered again (two of them may still join).
            let mut rest = held.drain(..);
            if let Some(h) = rest.next() {
                self.release_one(h, sink);
            }
            for h in rest {
                self.offer(h, sink);
            }
            self.spare_held = held;
            return;
        }
        let (Some(first), Some(last)) = (held.first(), held.last()) else {
            self.spare_held = held;
            return;
        };
        let text = std::mem::take(&mut self.held_text);
        self.joins.clear();
        self.joins
            .extend(held[1..].iter().map(|h| (first.no, h.no)));
        let needle = held.iter().any(|h| h.needle) || Prefilter::may_match(text.as_bytes());
        let line = Line {
            text: &text,
            ..first.line()
        };
        self.cut_mid_line = !last.terminated;
        self.last_no = first.no;
        self.push_line(line, needle, sink);
        self.joins.clear();
        for h in held.drain(..) {
            self.recycle(h);
        }
        self.spare_held = held;
    }

    /// Hand one line on as read.
    fn release_one(&mut self, h: Held, sink: &mut dyn FnMut(RawReport)) {
        self.release_one_ref(&h, sink);
        self.recycle(h);
    }

    fn release_one_ref(&mut self, h: &Held, sink: &mut dyn FnMut(RawReport)) {
        self.cut_mid_line = !h.terminated;
        self.last_no = h.no;
        self.joins.clear();
        if self.open.iter().all(|o| o.done) {
            if let Some((b, line)) = h.needle.then(|| find_banner(h.line())).flatten() {
                self.start(b, line, sink);
                return;
            }
            // A report pasted from its first body line on, without its
            // banner; not the rest of a report that just ended.
            if self
                .last_closed
                .is_none_or(|c| h.no > c + limits::HEADLESS_GAP)
            {
                if let Some(b) = match_headless(h.text()) {
                    self.start(b, h.line(), sink);
                }
            }
            return;
        }
        self.push_line(h.line(), h.needle, sink);
    }

    fn push_line(&mut self, line: Line<'_>, needle: bool, sink: &mut dyn FnMut(RawReport)) {
        if line.prefix.kmsg_dict {
            return;
        }
        // A Markdown fence with nothing after it closes the code block a
        // report was pasted in: what follows is the poster's prose.
        if line.prefix.fence && line.text.trim().is_empty() {
            for idx in 0..self.open.len() {
                self.close(idx, EndReason::PasteEnded, sink);
            }
            return;
        }
        let (banner, line) = match needle.then(|| find_banner(line)).flatten() {
            Some((b, l)) => (Some(b), l),
            None => (None, line),
        };
        match self.route(line.prefix.caller) {
            Some(idx) => {
                self.open[idx].foreign_run = 0;
                if let Some(b) = banner {
                    if self.open[idx].tracker.is_continuation(&b) {
                        self.take(idx, line, sink);
                    } else {
                        self.close(idx, EndReason::NextReport, sink);
                        self.start(b, line, sink);
                    }
                    return;
                }
                self.take(idx, line, sink);
            }
            None => {
                if let Some(b) = banner {
                    self.start(b, line, sink);
                    return;
                }
                self.set_aside(line, sink);
            }
        }
    }

    /// A line of a caller no open report belongs to: keep it beside the
    /// open reports, and close those whose own caller has gone quiet.
    fn set_aside(&mut self, line: Line<'_>, sink: &mut dyn FnMut(RawReport)) {
        let mut i = 0;
        while i < self.open.len() {
            let o = &mut self.open[i];
            if o.done {
                i += 1;
                continue;
            }
            o.foreign_run += 1;
            // A trace whose task printed nothing for a while is over; a
            // report that never got that far is given up on much later (and
            // comes out incomplete). Not at once, even when the trace looks
            // whole: `ret_from_fork_asm` may follow `ret_from_fork`, a
            // hung task's lock dump its stack.
            let quiet = if o.tracker.in_trace_with_frames() {
                o.foreign_run > limits::QUIET_AFTER_TRACE
            } else {
                o.foreign_run > limits::QUIET_LINES
            };
            if quiet {
                self.close(i, EndReason::Finished, sink);
                i += 1;
                continue;
            }
            if o.raw.interleaved.len() < limits::MAX_INTERLEAVED_LINES
                && o.interleaved_bytes + line.text.len() <= limits::MAX_INTERLEAVED_BYTES
            {
                o.interleaved_bytes += line.text.len();
                o.raw.interleaved.push(&line);
            } else {
                o.raw.interleaved_dropped += 1;
            }
            i += 1;
        }
    }

    /// Give `line` to open report `idx` and act on what its tracker says.
    fn take(&mut self, idx: usize, line: Line<'_>, sink: &mut dyn FnMut(RawReport)) {
        let o = &mut self.open[idx];
        let in_trace = matches!(o.tracker.phase, Phase::Trace | Phase::TraceSuspended);
        match o.tracker.feed(&line) {
            Feed::Continue => {
                o.raw.joined.append(&mut self.joins);
                o.bytes += line.text.len();
                o.raw.lines.push(&line);
                if o.raw.lines.len() >= limits::MAX_REPORT_LINES
                    || o.bytes >= limits::MAX_REPORT_BYTES
                {
                    self.close(idx, EndReason::SizeCap, sink);
                }
            }
            Feed::EndAfter => {
                o.raw.joined.append(&mut self.joins);
                o.raw.lines.push(&line);
                self.close(idx, EndReason::Finished, sink);
            }
            Feed::EndBefore(give_back) => {
                let keep = o.raw.lines.len().saturating_sub(give_back).max(1);
                o.raw.lines.truncate(keep);
                if self.cut_mid_line {
                    // The line that ended the report is the input's last and
                    // was cut short: what it would have been (the next
                    // frame, a report line) is unknown, so the input, not
                    // the report's shape, ended it.
                    if in_trace {
                        o.tracker.trace_closed = o.tracker.regs_closed;
                    }
                    self.close(idx, EndReason::EndOfInput, sink);
                } else {
                    self.close(idx, EndReason::Finished, sink);
                }
                // The line may start something else.
                if let Some(b) = match_banner(line.text) {
                    self.start(b, line, sink);
                }
            }
        }
    }

    /// Which open report a line with this caller id belongs to.
    fn route(&self, caller: Option<Caller>) -> Option<usize> {
        let live = || self.open.iter().enumerate().rev().filter(|(_, o)| !o.done);
        match caller {
            None => live().map(|(i, _)| i).next(),
            Some(c) => live()
                .find(|(_, o)| o.raw.caller == Some(c))
                .or_else(|| live().find(|(_, o)| o.raw.caller.is_none()))
                .map(|(i, _)| i),
        }
    }

    fn start(&mut self, banner: Banner, line: Line<'_>, sink: &mut dyn FnMut(RawReport)) {
        if self.open.iter().filter(|o| !o.done).count() >= limits::MAX_OPEN_REPORTS
            || self.open.len() >= limits::MAX_QUEUED_REPORTS
        {
            if let Some(i) = self.open.iter().position(|o| !o.done) {
                self.close(i, EndReason::Evicted, sink);
            }
        }
        let tracker = Tracker::new(&banner);
        let caller = line.prefix.caller;
        let bytes = line.text.len();
        // Most reports are 30-150 lines of 40-80 bytes.
        let mut lines = Lines::with_capacity(128, 8 * 1024);
        lines.push(&line);
        self.open.push_back(Open {
            raw: RawReport {
                banner,
                lines,
                interleaved: Lines::new(),
                interleaved_dropped: 0,
                end: EndReason::EndOfInput,
                trace_closed: false,
                caller,
                cut_mid_line: false,
                joined: std::mem::take(&mut self.joins),
            },
            tracker,
            bytes,
            interleaved_bytes: 0,
            foreign_run: 0,
            done: false,
        });
    }

    /// End report `idx`; hand every finished report at the front of the
    /// queue to the sink.
    fn close(&mut self, idx: usize, mut why: EndReason, sink: &mut dyn FnMut(RawReport)) {
        let (cut_mid_line, last_no) = (self.cut_mid_line, self.last_no);
        let o = &mut self.open[idx];
        if o.done {
            return;
        }
        o.done = true;
        // The input stopped inside the last line this report took: that
        // line may have been the next frame, whatever it looks like now.
        let took_cut_line = why == EndReason::EndOfInput
            && cut_mid_line
            && o.raw.lines.last().map(|l| l.no) == Some(last_no);
        if took_cut_line && o.tracker.closed_at == last_no {
            o.tracker.trace_closed = o.tracker.regs_closed;
        }
        // Foreign lines taken in a dump on the chance it resumed, and
        // unknown lines taken in a kernel register dump on the chance the
        // frames resumed after it, were not part of the report after all.
        let taken_on_chance = match o.tracker.phase {
            Phase::Dump => o.tracker.dump_foreign,
            Phase::Trace => o.tracker.regs_junk_run,
            _ => 0,
        };
        give_back(&mut o.raw.lines, taken_on_chance);
        // A body that ends in prose (the poster's text after a report with
        // no stack to end it, at the end of the input or before the next
        // report): the report ends at its last kernel-shaped line and the
        // prose, with the blank lines before it, is given back.
        if o.tracker.phase == Phase::Body && o.tracker.tail_prose && why != EndReason::SizeCap {
            give_back(&mut o.raw.lines, o.tracker.tail);
        }
        // Lines taken after the trace on the chance it resumed were not
        // part of the report after all.
        if o.tracker.phase == Phase::TraceSuspended {
            // The input ended right after the line that suspended the
            // trace. A blank line ended the trace; a foreign line may have
            // been spliced into a trace the input then cut: not closed.
            let blank = o
                .raw
                .lines
                .last()
                .is_some_and(|l| l.text.trim_ws().is_empty());
            give_back(
                &mut o.raw.lines,
                o.tracker.pending + o.tracker.junk_before_suspend,
            );
            if why.text_stopped() && (took_cut_line || !blank) {
                o.tracker.trace_closed = o.tracker.regs_closed;
            } else if why.text_stopped() {
                why = EndReason::Finished;
            }
        }
        o.raw.cut_mid_line = took_cut_line && o.raw.lines.last().map(|l| l.no) == Some(last_no);
        let closed_at = o.raw.lines.last().map_or(0, |l| l.no);
        self.last_closed = Some(self.last_closed.map_or(closed_at, |c| c.max(closed_at)));
        o.raw.end = why;
        o.raw.trace_closed = match why {
            // Cut by the next report: the trace ended on its own only if it
            // reached the saved register state.
            EndReason::NextReport
                if matches!(o.tracker.phase, Phase::Trace | Phase::TraceSuspended) =>
            {
                o.tracker.regs_closed
            }
            _ => {
                o.tracker.trace_closed
                    || (why == EndReason::Finished && o.tracker.phase != Phase::Trace)
            }
        };
        while self.open.front().is_some_and(|o| o.done) {
            if let Some(o) = self.open.pop_front() {
                sink(o.raw);
            }
        }
    }

    /// End of input: close and emit everything still open, oldest first.
    pub fn finish(&mut self, sink: &mut dyn FnMut(RawReport)) {
        self.release_held(sink);
        while let Some(i) = self.open.iter().position(|o| !o.done) {
            self.close(i, EndReason::EndOfInput, sink);
        }
    }
}

/// Feed every line of `lines` to `seg`, then finish it, handing each
/// report to `sink` as it ends. On a read error the reports open so far are
/// still finished and delivered (marked incomplete) before the error is
/// returned.
///
/// While no report is open, lines without a banner needle do nothing, so
/// they are skipped a buffer at a time ([`LineReader::skip_lines_without`]
/// with `Prefilter::find_start`) instead of one by one: ordinary log text costs
/// one SIMD scan and a newline count.
pub fn drive<R: std::io::Read>(
    lines: &mut LineReader<R>,
    seg: &mut Segmenter,
    sink: &mut dyn FnMut(RawReport),
) -> std::io::Result<()> {
    let result = loop {
        if seg.is_idle() {
            if let Err(e) = lines.skip_lines_without(&mut Prefilter::find_start) {
                break Err(e);
            }
        }
        match lines.next_raw_marked(&mut Prefilter::find_start) {
            Ok(Some(raw)) => seg.push(&raw, sink),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    seg.finish(sink);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(text: &str) -> Vec<RawReport> {
        segment_line_by_line(text.as_bytes())
    }

    /// Every line pushed one by one, as before idle skipping.
    fn segment_line_by_line(data: &[u8]) -> Vec<RawReport> {
        let mut r = LineReader::new(data);
        let mut s = Segmenter::new();
        let mut out = Vec::new();
        while let Some(raw) = r.next_raw().unwrap() {
            s.push(&raw, &mut |rep| out.push(rep));
        }
        s.finish(&mut |rep| out.push(rep));
        out
    }

    #[test]
    fn idle_skipping_changes_nothing() {
        let files = crate::test_support::fixture_logs();
        // Compared as printed: a raw report is lines and facts, so two that
        // print alike are the same input to the parser.
        let parse = |raws: Vec<RawReport>| -> Vec<String> {
            raws.iter().map(|r| format!("{r:?}")).collect()
        };
        for f in files {
            let text = std::fs::read(&f).unwrap();
            let crlf: Vec<u8> = text
                .iter()
                .flat_map(|&c| {
                    if c == b'\n' {
                        vec![b'\r', b'\n']
                    } else {
                        vec![c]
                    }
                })
                .collect();
            for data in [&text, &crlf] {
                let mut fast = Vec::new();
                drive(
                    &mut LineReader::new(&data[..]),
                    &mut Segmenter::new(),
                    &mut |r| fast.push(r),
                )
                .unwrap();
                assert_eq!(
                    parse(fast),
                    parse(segment_line_by_line(data)),
                    "{}",
                    f.display()
                );
            }
        }
    }

    const RECURSIVE: &str = "\
noise before
============================================
WARNING: possible recursive locking detected
5.10.0 #1 Not tainted
--------------------------------------------
swapper/0/1 is trying to acquire lock:
ffff8880 (&x->lock){+.+.}-{3:3}, at: f+0x1/0x2

but task is already holding lock:
ffff8881 (&x->lock){+.+.}-{3:3}, at: g+0x1/0x2

stack backtrace:
CPU: 0 PID: 1 Comm: swapper/0 Not tainted 5.10.0 #1
Call Trace:
 dump_stack+0x1/0x2
 f+0x1/0x2
random trailing noise
more noise
";

    /// The report up to its backtrace, then `tail` (one line per item).
    fn with_trace_tail(tail: &[&str]) -> Vec<RawReport> {
        let head = RECURSIVE.split("random trailing noise").next().unwrap();
        let text = format!("{head}{}\n", tail.join("\n"));
        segment(&text)
    }

    /// A closing Markdown fence ends the report pasted inside it: the prose
    /// after it is not taken in, and a report cut short there says the
    /// block ended.
    #[test]
    fn closing_fence_ends_the_pasted_report() {
        let head = RECURSIVE.split("random trailing noise").next().unwrap();
        let fenced = format!("```\n{head}```\nThanks for looking\n");
        let reps = segment(&fenced);
        assert_eq!(reps.len(), 1);
        let last = reps[0].lines.last().unwrap().text.trim().to_string();
        assert_eq!(last, "f+0x1/0x2");
        assert_eq!(reps[0].end, EndReason::PasteEnded);
        // Without the fence the prose line is other output, as before.
        let bare = format!("{head}Thanks for looking\n");
        assert!(segment(&bare)[0]
            .lines
            .iter()
            .all(|l| !l.text.contains("Thanks")));
    }

    /// Console text glued before a hung-task banner's printk time is not
    /// part of the task's name.
    #[test]
    fn glued_console_text_stays_out_of_a_hung_task_banner() {
        let text = "buildhost login: [   16.301000] INFO: task rcu_gp:3 blocked for more than 122 seconds.\n";
        let reps = segment(text);
        assert_eq!(reps.len(), 1);
        assert_eq!(
            reps[0].banner.text,
            "INFO: task rcu_gp:3 blocked for more than 122 seconds."
        );
        assert_eq!(reps[0].banner.captures[0], "rcu_gp");
    }

    /// A register dump of interrupted kernel code (`RIP: 0010:`) is
    /// followed by that code's frames: the trace is not over. A user-mode
    /// dump (`RIP: 0033:`) ends it, and so do the frames after a kernel one.
    #[test]
    fn kernel_register_dump_does_not_end_the_trace() {
        let irq = [" </IRQ>", " <TASK>", " asm_common_interrupt+0x26/0x40"];
        let kernel = [
            &irq[..],
            &[
                "RIP: 0010:default_idle+0xf/0x20",
                "RSP: 0018:ffffc900000f7ed8 EFLAGS: 00000246",
            ],
        ]
        .concat();
        assert!(!with_trace_tail(&kernel)[0].trace_closed);
        let resumed = [&kernel[..], &[" do_idle+0x1f1/0x240", " </TASK>"]].concat();
        assert!(with_trace_tail(&resumed)[0].trace_closed);
        let user = [
            &irq[..],
            &[
                "RIP: 0033:0x7f12aa",
                "RSP: 002b:00007ffd3f5c EFLAGS: 00000246",
            ],
        ]
        .concat();
        assert!(with_trace_tail(&user)[0].trace_closed);
        let i386 = [
            " common_interrupt+0x2c/0x34",
            "EIP: 0060:[<c10457d2>] EFLAGS: 00000246 CPU: 0",
        ];
        assert!(!with_trace_tail(&i386)[0].trace_closed);
    }

    /// Pieces a mail client broke off a kernel register dump's lines, that
    /// no join could place, do not end the trace: the interrupted code's
    /// frames after the dump are kept. Without frames after it the trace
    /// is not whole and the pieces are given back.
    #[test]
    fn broken_register_dump_lines_keep_the_frames_after_them() {
        let dump = [
            " </IRQ>",
            "RIP: 0010:console_unlock+0xa65/0xf20",
            "Code: Unable to access opcode bytes at",
            "0xffffffff815e9600.",
            "RSP: 0018:ffff88805b6c7540 EFLAGS: 00000282",
            "RAX: ffffffff815e969e RBX: 0000000000000200 RCX: 0000000000040000",
        ];
        let resumed = [&dump[..], &[" vprintk_emit+0x239/0x3a0", " </TASK>"]].concat();
        let r = &with_trace_tail(&resumed)[0];
        assert!(r.trace_closed);
        assert_eq!(r.lines.last().unwrap().text, " </TASK>");
        // Cut after the dump: frames were lost, and the report says so.
        let cut = [
            &dump[..],
            &["Thanks for looking", "-- ", "Sent from my phone"],
        ]
        .concat();
        let r = &with_trace_tail(&cut)[0];
        assert!(!r.trace_closed);
        assert!(r.lines.last().unwrap().text.starts_with("RAX: "));
        let trailing = [&dump[..5], &["Thanks for looking", "bye"]].concat();
        let r = &with_trace_tail(&trailing)[0];
        assert!(!r.trace_closed);
        assert!(r.lines.last().unwrap().text.starts_with("RSP: "));
    }

    /// A DEPT banner wrapped by a mail client is found: its `DEPT:` tag
    /// starts a banner as WARNING/INFO/BUG do.
    #[test]
    fn wrapped_dept_banner_is_found() {
        let text = "===================================================\n\
                    DEPT: Circular\n\
                    dependency has been detected.\n\
                    6.15.0 #1 Not tainted\n\
                    ---------------------------------------------------\n\
                    summary\n";
        let reps = segment(text);
        assert_eq!(reps.len(), 1);
        assert_eq!(reps[0].banner.kind, ReportKind::Dept);
    }

    /// arm32's saved registers under a frame (dump_backtrace_stm) are part
    /// of the walk, not a saved state the trace ends on.
    #[test]
    fn arm32_saved_registers_do_not_end_the_trace() {
        let tail = [
            " [<80de0078>] (dump_backtrace) from [<80de0574>] (show_stack+0x28/0x2c)",
            "  r7:00000001 r6:00000080 r5:8101acf4 r4:00000000",
        ];
        assert!(!with_trace_tail(&tail)[0].trace_closed);
    }

    #[test]
    fn finds_report_and_its_end() {
        let reps = segment(RECURSIVE);
        assert_eq!(reps.len(), 1);
        let r = &reps[0];
        assert_eq!(r.banner.kind, ReportKind::RecursiveLocking);
        assert_eq!(r.lines.first().unwrap().no, 3);
        assert_eq!(r.lines.last().unwrap().text, " f+0x1/0x2");
        assert_eq!(r.end, EndReason::Finished);
        assert!(r.trace_closed);
    }

    /// Once a report has ended, ordinary lines leave the segmenter idle
    /// (each one skipped by the prefilter alone), with or without caller ids.
    #[test]
    fn idle_again_after_a_report() {
        for prefix in ["", "[    1.000000] ", "[    1.000000][  T100] "] {
            let noise = (0..100).map(|i| format!("loop{i}: detected capacity change"));
            let text: String = RECURSIVE
                .lines()
                .map(str::to_string)
                .chain(noise)
                .map(|l| format!("{prefix}{l}\n"))
                .collect();
            let mut r = LineReader::new(text.as_bytes());
            let mut s = Segmenter::new();
            let mut out = Vec::new();
            while let Some(raw) = r.next_raw().unwrap() {
                s.push(&raw, &mut |rep| out.push(rep));
            }
            assert_eq!(out.len(), 1, "{prefix:?} idle {}", s.is_idle());
            assert!(s.is_idle(), "{prefix:?}: not idle after the report");
        }
    }

    #[test]
    fn same_banner_twice_is_two_reports() {
        let text = format!("{RECURSIVE}{RECURSIVE}");
        assert_eq!(segment(&text).len(), 2);
    }

    #[test]
    fn cut_short_by_next_banner_or_eof() {
        let cut = "WARNING: possible recursive locking detected\nswapper/0/1 is trying to acquire lock:\n";
        let text = format!("{cut}{RECURSIVE}{cut}");
        let reps = segment(&text);
        assert_eq!(reps.len(), 3);
        assert_eq!(reps[0].end, EndReason::NextReport);
        assert_eq!(reps[2].end, EndReason::EndOfInput);
        assert!(!reps[2].trace_closed);
    }

    #[test]
    fn caller_ids_separate_interleaved_output() {
        let text = "\
[    1.0][ T100] WARNING: possible recursive locking detected
[    1.1][ T200] unrelated message from another task
[    1.2][ T100] swapper/0/1 is trying to acquire lock:
[    1.3][ T100] stack backtrace:
[    1.4][ T100] Call Trace:
[    1.5][ T200] another foreign line
[    1.6][ T100]  f+0x1/0x2
[    1.7][ T100] done
";
        let reps = segment(text);
        assert_eq!(reps.len(), 1);
        assert_eq!(reps[0].interleaved.len(), 2);
        assert!(reps[0]
            .lines
            .iter()
            .all(|l| l.prefix.caller == Some(Caller::Task(100))));
        assert_eq!(reps[0].lines.last().unwrap().text, " f+0x1/0x2");
    }

    #[test]
    fn hung_task_takes_the_all_locks_dump() {
        let text = "\
INFO: task syz:123 blocked for more than 143 seconds.
      Not tainted 5.0.0 #1
task:syz state:D stack:0 pid:123
Call Trace:
 schedule+0x1/0x2
 rtnl_lock+0x1/0x2

Showing all locks held in the system:
1 lock held by khungtaskd/1040:
 #0: ffffffff8a0c6a60 (rcu_read_lock){....}, at: debug_show_all_locks+0x1/0x2

=============================================

NMI backtrace for cpu 1
";
        let reps = segment(text);
        assert_eq!(reps.len(), 1);
        assert!(reps[0].lines.last().unwrap().text.starts_with("====="));
    }

    #[test]
    fn a_report_pasted_without_its_banner_is_kept_once() {
        // Headless: a report of its own.
        let body = &RECURSIVE[RECURSIVE.find("swapper/0/1 is trying").unwrap()..];
        let reps = segment(&format!("some mail text\n\n{body}"));
        assert_eq!(reps.len(), 1);
        assert!(reps[0].banner.headless);
        assert_eq!(reps[0].lines.first().unwrap().no, 3);
        // With its banner: one report, not a second headless one.
        assert_eq!(segment(RECURSIVE).len(), 1);
        assert!(!segment(RECURSIVE)[0].banner.headless);
        // Held-lock listings alone (a hung-task dump) open nothing headless.
        let dump = "1 lock held by khungtaskd/1040:\n #0: ffffffff8a0c6a60 (rcu_read_lock){....}, at: debug_show_all_locks+0x1/0x2\n";
        assert!(segment(dump).is_empty());
        // The body of a report that just ended is not a new report.
        let cut = format!(
            "{}junk\njunk\n{body}",
            &RECURSIVE[..RECURSIVE.find("swapper/0/1 is").unwrap()]
        );
        let reps = segment(&cut);
        assert_eq!(reps.len(), 1);
        assert!(!reps[0].banner.headless);
    }

    #[test]
    fn trace_less_kind_ends_at_first_foreign_line() {
        let text = "\
================================================
WARNING: lock held when returning to user space!
5.10.0 #1 Not tainted
------------------------------------------------
syz/1 is leaving the kernel with locks still held!
1 lock held by syz/1:
 #0: ffff888012345678 (&x){+.+.}-{3:3}, at: f+0x1/0x2
audit: something else entirely
";
        let reps = segment(text);
        assert_eq!(reps.len(), 1);
        assert_eq!(reps[0].lines.len(), 6);
    }
}
