//! Section parsing: a [`RawReport`]'s lines into a typed [`Report`].
//!
//! Lockdep prints every report kind from the same small set of section
//! shapes (lock lines, chain entries, held-lock lists, saved stacks, the
//! scenario table, dump_stack). So the parser is one line-driven state
//! machine over those shapes rather than one parser per kind: each line is
//! first tested against the section headers (a table of phrases), and
//! otherwise fed to whatever section is open. Lines nothing claims are
//! kept verbatim in `unparsed`.
//!
//! * `header.rs`: the header lines that open sections, in groups, and
//!   what the banner says;
//! * `section.rs`: one reader per section shape;
//! * `fact.rs`: standalone fact lines (CPU, ident, RCU, sleep facts);
//! * `judge.rs`: completeness and damage once every line is read;
//! * `path.rs`: what each stack of an irq report's dependency paths is
//!   the acquisition of;
//! * [`title`]: syzkaller-compatible titles.

mod dept;
mod fact;
mod header;
mod judge;
mod path;
mod section;
pub mod title;

use crate::input::{Line, Lines};
use crate::model::{Frame, FrameContext, KeptLine, Lock, Problem, Report, ReportKind, Trace};
use crate::segment::RawReport;
use crate::vocab::frame::{classify_trace_line, parse_frame, TraceLineRef};
use crate::vocab::trim::TrimWs;

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
    /// The stack of a hung task's blocker's owner (sched_show_task() after
    /// `... likely owned by task ...`).
    OwnerTrace,
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
/// A scenario step as read: its CPU column when its indentation told one.
#[derive(Debug)]
struct ScenarioRow {
    cpu: Option<usize>,
    action: String,
    lock: Option<String>,
    line: u64,
}

/// The report parser's working state.
struct Parser<'a> {
    r: Report,
    section: Section,
    scenario_cols: Vec<(usize, String)>,
    /// The scenario's steps as read, placed in the table by
    /// [`judge::place_scenario_steps`] once the whole report is read.
    scenario_rows: Vec<ScenarioRow>,
    ctx: FrameContext,
    raw: &'a RawReport,
    expect_failures: usize,
    pending_at: Option<PendingAt>,
    /// The first half of a lock line wrapped after its address.
    carry: Option<String>,
    /// The class whose dump is being read.
    dump_class: Option<String>,
    /// The dependency path whose class dumps are being read.
    path: Option<path::DepPath>,
    /// Frame lines met outside any section the report's kind has (kept
    /// as unparsed, never glued into a stack).
    stray_frames: usize,
    /// Stack lines of another task printed before a hung task's own
    /// stack (kept as unparsed).
    foreign_stack_lines: usize,
    /// The line of the header that opened the current section.
    section_header_line: u64,
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

    /// Name the traces of the dependency path read so far.
    fn finish_path(&mut self) {
        if let Some(p) = self.path.take() {
            p.finish(&mut self.r);
        }
    }

    fn new_trace(&mut self, name: &str) -> Section {
        self.r.traces.push(Trace {
            name: name.trim_ws().trim_end_matches(':').trim_ws().to_string(),
            frames: Vec::new(),
            origin: crate::model::TraceOrigin::Heading,
        });
        self.ctx = FrameContext::Task;
        Section::Trace(self.r.traces.len() - 1)
    }

    /// Headers that open or switch sections. Returns true when handled.
    /// A frame or marker line in an open trace section, classified once:
    /// store the frame where the section says. False when the section
    /// cannot take it (then the line is tried as a header and so on).
    fn trace_item(&mut self, item: TraceLineRef<'_>, no: u64) -> bool {
        let f = match item {
            TraceLineRef::Frame(f) => f,
            TraceLineRef::Marker => return true,
            _ => return false,
        };
        let Some(stack) = self.open_stack() else {
            return false;
        };
        stack.push(f.to_frame(no));
        true
    }

    /// The stack the open section fills, if it is a stack.
    fn open_stack(&mut self) -> Option<&mut Vec<Frame>> {
        match self.section {
            Section::Backtrace => Some(&mut self.r.backtrace),
            Section::OwnerTrace => self.r.blocked_on.as_mut().map(|b| &mut b.owner_stack),
            Section::Trace(i) => Some(&mut self.r.traces[i].frames),
            Section::Chain => self.r.chain.last_mut().map(|e| &mut e.stack),
            _ => None,
        }
    }

    /// A function name alone on a line inside a stack that already has a
    /// frame: a symbolized trace whose `file:line [inline]` was cut off (a
    /// changelog copy, fixtures/labeled/210), or a decoder that prints
    /// inlined callees by name only. It is the name of a frame; nothing
    /// else a stack prints is one bare identifier. No offset is claimed.
    fn bare_symbol_frame(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        let ident = t.len() >= 3
            && t.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
        if !ident {
            return false;
        }
        let frame = Frame {
            context: self.ctx,
            source_line: line.no,
            ..Frame::named(t)
        };
        let header_line = self.section_header_line;
        let Some(stack) = self.open_stack() else {
            return false;
        };
        // A bare word opens a stack only right under its header (a
        // `stack backtrace:` pasted with symbols alone); elsewhere it
        // continues frames already read.
        if stack.is_empty() && line.no != header_line + 1 {
            return false;
        }
        stack.push(frame);
        true
    }

    fn line(&mut self, line: &Line) {
        if let Some(head) = self.carry.take() {
            let text = format!("{head} {}", line.text.trim_start_ws());
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
            if let Some(f) = parse_frame(line.text.trim_ws(), FrameContext::Task, line.no) {
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
        // header: an unindented frame outside any section starts it, once,
        // for the kinds whose layouts do that. Anywhere else such a frame
        // belongs to a layout we do not know: it is kept as unparsed and
        // counted, never glued onto a stack.
        if self.section == Section::None {
            let indent = line.text.len() - line.text.trim_start_ws().len();
            let arm32 = crate::vocab::frame::arm32_caller(line.text).is_some();
            if (indent <= 1 && line.text.contains("[<")) || arm32 {
                let mut ctx = FrameContext::Task;
                if let TraceLineRef::Frame(_) = classify_trace_line(line.text, &mut ctx) {
                    if self.r.backtrace.is_empty() && self.r.kind.row().headerless_stack {
                        self.ctx = FrameContext::Task;
                        self.section = Section::Backtrace;
                    } else {
                        self.stray_frames += 1;
                    }
                }
            }
        }
        // Inside a trace, frames first: a frame line is never a header.
        if matches!(
            self.section,
            Section::Backtrace | Section::OwnerTrace | Section::Chain | Section::Trace(_)
        ) {
            let mut ctx = self.ctx;
            let item = classify_trace_line(line.text, &mut ctx);
            if self.trace_item(item, line.no) {
                self.ctx = ctx;
                return;
            }
            if self.bare_symbol_frame(line) {
                return;
            }
        }
        // debug_show_all_locks() ends whatever stack came before it.
        if line
            .text
            .trim_ws()
            .starts_with("Showing all locks held in the system")
        {
            self.section = Section::None;
            return;
        }
        // A hung task's blocker: what it waits on and who likely holds it;
        // the owner's stack follows.
        if let Some(b) = crate::vocab::body::parse_blocker(line.text.trim_ws()) {
            if self.r.blocked_on.is_none() {
                self.r.blocked_on = Some(b);
            }
            self.section = Section::None;
            return;
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
        if line.text.trim_ws().is_empty() {
            return;
        }
        self.keep(line);
    }
}

/// The kind of a report pasted without its banner. The function that
/// printed it, in its own stack below dump_stack() (the kind table's
/// `reporters`), decides when present. Otherwise the sections tell:
/// `is trying to acquire lock:` opens a circular report (which prints the
/// dependency chain) and a recursive one (which prints `May be due to
/// missing lock nesting notation` and a one-CPU scenario); a fragment
/// pasted from a section several kinds print (`Chain exists of:`, the
/// scenario, `*** DEADLOCK ***`) takes its kind from the scenario's shape:
/// two CPUs for a circular report (print_circular_lock_scenario), one CPU
/// and an `<Interrupt>` for an inconsistent lock state
/// (print_usage_bug_scenario), one CPU alone for recursion
/// (print_deadlock_scenario). The interrupt scenario is printed for both
/// irq inversion and irq-safe/unsafe order (print_irq_lock_scenario), so
/// it alone claims no kind. When nothing tells, the kind is not claimed
/// (`other`).
fn headless_kind(r: &mut Report, raw: &RawReport) {
    let reporter = r
        .backtrace
        .iter()
        .find_map(|f| crate::kind::kind_reported_by(&f.base));
    if let Some(kind) = reporter {
        r.kind = kind;
        return;
    }
    let says = |s: &str| raw.lines.iter().any(|l| l.text.trim_ws() == s);
    let cpus = r.scenario.as_ref().map(|s| s.cpus.len());
    let interrupt = r
        .scenario
        .as_ref()
        .is_some_and(|s| s.steps.iter().any(|st| st.action == "interrupt"));
    r.kind = match r.kind {
        ReportKind::CircularDependency => {
            let circular = !r.chain.is_empty()
                || !r.chain_exists_of.is_empty()
                || says("which lock already depends on the new lock.");
            let recursive = says("May be due to missing lock nesting notation") || cpus == Some(1);
            match (circular, recursive) {
                (true, false) => ReportKind::CircularDependency,
                (false, true) => ReportKind::RecursiveLocking,
                _ => ReportKind::Other,
            }
        }
        ReportKind::Other if says("Possible interrupt unsafe locking scenario:") => {
            ReportKind::Other
        }
        ReportKind::Other => match (cpus, interrupt) {
            (Some(2), false) => ReportKind::CircularDependency,
            (Some(1), true) => ReportKind::InconsistentLockState,
            (Some(1), false) => ReportKind::RecursiveLocking,
            _ => ReportKind::Other,
        },
        // Their headless lines say the kind alone.
        kind @ (ReportKind::RecursiveLocking
        | ReportKind::InconsistentLockState
        | ReportKind::IrqLockInversion
        | ReportKind::IrqSafeUnsafeOrder
        | ReportKind::BadUnlockBalance
        | ReportKind::BadContention
        | ReportKind::HeldLockFreed
        | ReportKind::LockHeldReturningToUser
        | ReportKind::NestedLockNotTaken
        | ReportKind::SuspiciousRcuUsage
        | ReportKind::InvalidWaitContext
        | ReportKind::LockdepCapacity
        | ReportKind::NonStaticKey
        | ReportKind::InvalidSubclass
        | ReportKind::SleepingInAtomic
        | ReportKind::SchedulingWhileAtomic
        | ReportKind::LocksStillHeld
        | ReportKind::LockdepWarning
        | ReportKind::HeldLocksDump
        | ReportKind::Dept) => kind,
    };
}

/// The line of a hung-task report where the hung task's sched_show_task()
/// starts (its `task:COMM state:` line, or `COMM  D ...` on older kernels),
/// if the report has it.
fn hung_task_line(raw: &RawReport) -> Option<u64> {
    let comm = raw.banner.captures.first().map(String::as_str);
    raw.lines
        .iter()
        .skip(1)
        .find(|l| crate::vocab::body::is_task_state_line(l.text.trim_ws(), comm))
        .map(|l| l.no)
}

/// A stack header or frame line.
fn is_stack_line(text: &str) -> bool {
    let t = text.trim_ws();
    if t.starts_with("Call Trace:") || t == "Call trace:" {
        return true;
    }
    let mut ctx = FrameContext::Task;
    matches!(
        classify_trace_line(text, &mut ctx),
        TraceLineRef::Frame(_) | TraceLineRef::Marker
    )
}

/// Parse one raw report. Never fails: what cannot be understood is kept
/// in `unparsed` and reflected in `complete`/`corrupted`/`problems`.
pub fn parse_report(raw: &RawReport, source: &str) -> Report {
    let dedented;
    let raw = match dedent(raw) {
        Some(d) => {
            dedented = d;
            &dedented
        }
        None => raw,
    };
    let first = raw.lines.first().map(|l| l.no).unwrap_or(0);
    let mut r = Report::new(raw.banner.kind, source, first);
    header::apply_banner(&mut r, raw);
    let mut p = Parser {
        r,
        section: Section::None,
        scenario_cols: Vec::new(),
        scenario_rows: Vec::new(),
        ctx: FrameContext::Task,
        raw,
        expect_failures: 0,
        pending_at: None,
        carry: None,
        dump_class: None,
        path: None,
        stray_frames: 0,
        foreign_stack_lines: 0,
        section_header_line: 0,
    };
    read_lines(&mut p, raw);
    judge::place_scenario_steps(&mut p);
    p.finish_path();
    if raw.banner.headless {
        headless_kind(&mut p.r, raw);
    }
    pick_main_held_list(&mut p.r);
    keep_side_lines(&mut p.r, raw);
    judge::judge(&mut p);
    let mut r = p.r;
    if raw.banner.headless {
        r.complete = false;
        r.problems
            .insert(0, Problem::BannerMissing { line: r.line });
    }
    r.title = title::title(&r, &raw.banner);
    r.headline = title::headline(&r);
    // syzkaller marks a report corrupted when no frame could be extracted
    // for its title; so do we, with the reason.
    if r.title.ends_with(" in corrupted") && !r.corrupted {
        r.corrupted = true;
        r.corrupted_for_title_only = true;
        r.problems.push(Problem::NoTitleFrame);
    }
    r
}

/// Feeds the report's lines after its banner to the section parser (and
/// to the DEPT reader for a DEPT report).
fn read_lines(p: &mut Parser<'_>, raw: &RawReport) {
    // A banner line says what apply_banner read; a report pasted without
    // one starts at its first body line, which is parsed like the rest.
    let skip = usize::from(!raw.banner.headless);
    // A DEPT report's body has a grammar of its own; dump_stack() after
    // it is read like any other report's.
    let mut dept = (raw.banner.kind == ReportKind::Dept).then(dept::Reader::new);
    // A hung task's own stack follows its sched_show_task() line; a stack
    // printed before it (another task's output, interleaved without caller
    // ids) is not the hung task's.
    let own_stack_from = raw.banner.hung_task.then(|| hung_task_line(raw)).flatten();
    if let Some(from) = own_stack_from {
        let comm = raw.banner.captures.first().map(String::as_str);
        p.r.task_state = raw
            .lines
            .iter()
            .find(|l| l.no == from)
            .and_then(|l| crate::vocab::body::task_state_letter(l.text.trim_ws(), comm));
    }
    for line in raw.lines.iter().skip(skip) {
        if own_stack_from.is_some_and(|from| line.no < from) && is_stack_line(line.text) {
            p.keep(&line);
            p.foreign_stack_lines += 1;
            continue;
        }
        if let Some(d) = dept.as_mut() {
            if d.line(&mut p.r, &line) {
                continue;
            }
        }
        p.line(&line);
    }
    if let Some(d) = dept {
        d.finish(&mut p.r);
    }
}

/// Display columns of indentation that make a Markdown code block (four
/// spaces or a tab, CommonMark 4.4).
const CODE_BLOCK_INDENT: usize = 4;

/// A report pasted as an indented (Markdown) code block: the whitespace
/// every non-blank line of its text starts with, when it is a code
/// block's indentation. Lockdep prints its banner, rulers and section
/// headers at column 0, so a report whose every line is indented was
/// indented as a whole by whoever pasted it; the indentation is not the
/// kernel's. `None` for a report as printed.
fn block_indent(raw: &RawReport) -> Option<&str> {
    let mut common: Option<&str> = None;
    for l in raw.lines.iter() {
        let t = l.text;
        if t.trim_ws().is_empty() {
            continue;
        }
        let ws = &t[..t.len() - t.trim_start_ws().len()];
        let c = match common {
            None => ws,
            Some(c) => {
                let n = c
                    .bytes()
                    .zip(ws.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &c[..n]
            }
        };
        if c.is_empty() {
            return None;
        }
        common = Some(c);
    }
    let c = common?;
    let cols = c.chars().fold(
        0,
        |col, ch| if ch == '\t' { col / 8 * 8 + 8 } else { col + 1 },
    );
    (cols >= CODE_BLOCK_INDENT).then_some(c)
}

/// The report with a code block's indentation ([`block_indent`]) taken
/// off each line's text, so what is parsed and kept (`unparsed`) is the
/// kernel's text; `None` when it has none.
fn dedent(raw: &RawReport) -> Option<RawReport> {
    let indent = block_indent(raw)?.to_string();
    let mut lines = Lines::with_capacity(raw.lines.len(), raw.lines.text_bytes());
    for l in raw.lines.iter() {
        let text = l
            .text
            .strip_prefix(indent.as_str())
            .unwrap_or_else(|| &l.text[l.text.len()..]);
        lines.push(&Line { text, ..l });
    }
    let mut d = raw.clone();
    d.lines = lines;
    Some(d)
}

/// The main held list: the report task's, else the first printed.
fn pick_main_held_list(r: &mut Report) {
    let own = r.task.as_ref().and_then(|t| {
        r.held_lock_lists.iter().find(|h| {
            h.task
                .as_ref()
                .is_some_and(|ht| ht.pid == t.pid && ht.comm == t.comm)
        })
    });
    if let Some(first) = own.or(r.held_lock_lists.first()) {
        r.held_locks = first.locks.clone();
        r.held_locks_count = first.count;
        // A report without a `Comm:` line (a capacity report, a paste
        // that starts late) still names its task in the header of the
        // list lockdep prints for it (`lockdep_print_held_locks(current)`);
        // a hung-task dump's lists are other tasks'.
        if r.task.is_none() && r.kind.row().task_from_held_list {
            r.task = first.task.clone();
        }
    }
}

/// Keeps the lines other callers printed inside the report, and the
/// joins of lines the report kept (a line given back to the log took its
/// joins with it).
fn keep_side_lines(r: &mut Report, raw: &RawReport) {
    r.interleaved = raw
        .interleaved
        .iter()
        .map(|l| KeptLine {
            line: l.no,
            text: l.text.to_string(),
        })
        .collect();
    r.joined = raw
        .joined
        .iter()
        .filter(|(a, _)| raw.lines.iter().any(|l| l.no == *a))
        .map(|&(a, b)| [a, b])
        .collect();
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
        assert_eq!(r.tainted, Some(crate::model::Tainted::No));
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

    /// Lock lines trimmed by hand to `class, at: site` (Amir Goldstein's
    /// overlayfs changelog, fixtures/labeled/168) and held entries with the
    /// class printed bare are read as locks, not kept as unparsed.
    #[test]
    fn lock_lines_without_parenthesised_class() {
        let text = "\
[ INFO: possible recursive locking detected ]
bash/2468 is trying to acquire lock:
&sb->s_type->i_mutex_key#14, at: iterate_dir+0x7d/0x15c
but task is already holding lock:
ffff888012345678 &sb->s_type->i_mutex_key#14
1 lock held by bash/2468:
 #0: ffff888012345678 &ovl_i_mutex_key[depth], at: iterate_dir+0x7d/0x15c
";
        let r = &parse_all(text)[0];
        let a = r.acquiring.as_ref().expect("acquiring");
        assert_eq!(a.class, "&sb->s_type->i_mutex_key#14");
        assert_eq!(a.at.as_ref().unwrap().function, "iterate_dir");
        let h = r.holding.as_ref().expect("holding");
        assert_eq!(h.address.as_deref(), Some("ffff888012345678"));
        assert_eq!(r.held_locks.len(), 1);
        assert_eq!(r.held_locks[0].class, "&ovl_i_mutex_key[depth]");
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
        assert!(
            !r.problems.contains(&Problem::LockLineExpected),
            "{:?}",
            r.problems
        );
    }

    /// A release that is no version number (syzbot's builds print
    /// `syzkaller`): the ident line, the CPU line of 6.13+ (UID, preemption
    /// model) and the taint legend of 6.10+. The taint is the version
    /// line's; the legend under it only explains it.
    #[test]
    fn release_that_is_a_word_and_the_taint_legend() {
        for (ident, cpu, taint) in [
            (
                "syzkaller #0 Not tainted",
                "CPU: 0 UID: 0 PID: 7158 Comm: syz.0.256 Not tainted syzkaller #0 PREEMPT(full) ",
                "Not tainted",
            ),
            (
                "syzkaller #0 Tainted: G             L     ",
                "CPU: 1 UID: 0 PID: 18333 Comm: syz.9.3615 Tainted: G             L      syzkaller #0 PREEMPT(full) \nTainted: [L]=SOFTLOCKUP",
                "Tainted: G             L",
            ),
        ] {
            let text = format!(
                "============================================\n\
                 WARNING: possible recursive locking detected\n{ident}\n\
                 --------------------------------------------\n\
                 syz.0.256/7158 is trying to acquire lock:\n\
                 ffff88807c2a0a98 (&q->lock){{+.+.}}-{{4:4}}, at: f+0x2d/0x4e\n\
                 \nbut task is already holding lock:\n\
                 ffff88807c2a0a98 (&q->lock){{+.+.}}-{{4:4}}, at: g+0x2d/0x4e\n\
                 \nstack backtrace:\n{cpu}\nCall Trace:\n <TASK>\n f+0x2d/0x4e\n </TASK>\n"
            );
            let r = &parse_all(&text)[0];
            assert_eq!(r.kernel.as_deref(), Some("syzkaller"), "{ident}");
            assert_eq!(r.preempt.as_deref(), Some("PREEMPT(full)"), "{ident}");
            assert_eq!(
                r.tainted.as_ref().map(|t| t.to_string()).as_deref(),
                Some(taint),
                "{ident}"
            );
            assert!(r.unparsed.is_empty(), "{ident}: {:?}", r.unparsed);
        }
        // A word is a release only before the version's `#N`.
        assert!(!crate::vocab::body::is_ident_line("Comm: #0 Not tainted"));
        assert!(!crate::vocab::body::is_ident_line("syzkaller Not tainted"));
        assert!(!crate::vocab::body::is_ident_line("hello #1 world"));
    }

    /// print_kernel_ident() lines without the build number (a version
    /// string that has none, a changelog copy that dropped it:
    /// fixtures/labeled/275) still give the release and the taint.
    #[test]
    fn ident_lines_without_build_number() {
        for (ident, release, taint) in [
            ("6.18.0-rc5 Not tainted", "6.18.0-rc5", "Not tainted"),
            (
                "6.1.0 Tainted: G           OE",
                "6.1.0",
                "Tainted: G           OE",
            ),
            (
                "5.4.0-rc1+ #12 Tainted: G S      W",
                "5.4.0-rc1+",
                "Tainted: G S      W",
            ),
        ] {
            let text = format!(
                "WARNING: tee/6324 still has locks held!\n{ident}\n\
                 ------------------------------------\n\
                 1 lock held by tee/6324:\n \
                 #0: c00000000293ddf8 (dtl_access_lock){{....}}-{{3:3}}, at: f+0x2d8/0x4e8\n"
            );
            let r = &parse_all(&text)[0];
            assert_eq!(r.kernel.as_deref(), Some(release), "{ident}");
            assert_eq!(
                r.tainted.as_ref().map(|t| t.to_string()).as_deref(),
                Some(taint),
                "{ident}"
            );
            assert!(r.unparsed.is_empty(), "{ident}: {:?}", r.unparsed);
        }
        // Not an ident: a version word and prose.
        let r =
            &parse_all("WARNING: tee/6324 still has locks held!\n6.18.0-rc5 is not tainted here\n")
                [0];
        assert!(r.kernel.is_none());
    }

    /// A mail client's wraps inside the scenario table (a step broken
    /// inside its class) and inside the CPU line's taint field (as in
    /// fixtures/labeled/280) are rejoined: the step stays in its column, the
    /// release and every taint flag are read.
    #[test]
    fn chain_exists_of_wrapped_after_or_before_an_arrow() {
        for chain in [
            "  &a->m --> (wq_completion)events -->\n(work_completion)(&q->w)\n",
            "  &a->m --> (wq_completion)events\n--> (work_completion)(&q->w)\n",
            "  &a->m --> (wq_completion)events --> (work_completion)(&q->w)\n",
        ] {
            let text = format!("Chain exists of:\n{chain}\n Possible unsafe locking scenario:\n\n");
            let r = &parse_all(&text)[0];
            assert_eq!(
                r.chain_exists_of,
                ["&a->m", "(wq_completion)events", "(work_completion)(&q->w)"],
                "{chain}"
            );
        }
    }

    #[test]
    fn mail_wrapped_scenario_step_and_cpu_line() {
        let wrapped = CIRCULAR
            .replace(
                "                               lock(&xfs_nondir_ilock_class);",
                "                               lock(&xfs_nondir_ilock\n_class);",
            )
            .replace(
                "Comm: kswapd0 Not tainted 5.10.0-rc1 #1",
                "Comm: kswapd0 Tainted: G\n        W  OE      5.10.0-rc1 #1",
            );
        let quoted: String = wrapped.lines().map(|l| format!("> {l}\n")).collect();
        let r = &parse_all(&quoted)[0];
        let s = r.scenario.as_ref().unwrap();
        assert_eq!(s.steps.len(), 4, "{:?}", s.steps);
        assert_eq!(
            (s.steps[1].cpu, s.steps[1].lock.as_deref()),
            (1, Some("&xfs_nondir_ilock_class"))
        );
        assert_eq!(r.kernel.as_deref(), Some("5.10.0-rc1"));
        let letters: String = r
            .tainted
            .as_ref()
            .and_then(crate::model::Tainted::taint)
            .unwrap()
            .flags
            .iter()
            .map(|f| f.letter)
            .collect();
        assert_eq!(letters, "WOE");
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
        assert_eq!(r.joined.len(), 2);
    }

    /// Scenario steps go to the column whose header they sit under, read
    /// in display columns (tabs to multiples of eight), whatever the
    /// number of CPUs; a step the positions do not place (no indentation
    /// under an indented header, or midway between two headers) is kept
    /// apart with its line and a problem, never put in a column.
    #[test]
    fn scenario_steps_by_header_columns_or_kept_apart() {
        let table = |header: &str, steps: &[&str]| {
            let mut t = String::from(
                "WARNING: possible circular locking dependency detected\n Possible unsafe locking scenario:\n\n",
            );
            t.push_str(header);
            t.push('\n');
            for s in steps {
                t.push_str(s);
                t.push('\n');
            }
            t.push_str("\n *** DEADLOCK ***\n");
            parse_all(&t).remove(0)
        };
        let three = "       CPU0                    CPU1                    CPU2";
        let r = table(
            three,
            &[
                "  lock(a);",
                "\t\t\t       lock(b);",
                "                                                       lock(c);",
                "lock(d);",
                "                 lock(e);",
            ],
        );
        let s = r.scenario.as_ref().unwrap();
        let placed: Vec<(usize, &str)> = s
            .steps
            .iter()
            .map(|st| (st.cpu, st.lock.as_deref().unwrap()))
            .collect();
        assert_eq!(placed, [(0, "a"), (1, "b"), (2, "c")]);
        let apart: Vec<(u64, usize, &str)> = s
            .undetermined
            .iter()
            .map(|u| (u.line, u.position, u.lock.as_deref().unwrap()))
            .collect();
        assert_eq!(apart, [(8, 3, "d"), (9, 4, "e")]);
        assert!(r
            .problems
            .contains(&Problem::ScenarioColumnUndetermined { lines: vec![8, 9] }));
        assert!(r.corrupted);
        // A header collapsed to single spaces tells no column.
        let r = table(" CPU0 CPU1 CPU2", &["lock(a);", "lock(b);"]);
        let s = r.scenario.as_ref().unwrap();
        assert!(s.steps.is_empty());
        assert_eq!(s.undetermined.len(), 2);
        // One CPU: every step is its.
        let r = table(
            "       CPU0",
            &["lock(a);", "  <Interrupt>", "    lock(a);"],
        );
        assert_eq!(r.scenario.as_ref().unwrap().steps.len(), 3);
        assert!(r.scenario.as_ref().unwrap().undetermined.is_empty());
    }

    /// A symbolized stack whose `file:line [inline]` suffixes were cut
    /// (fixtures/labeled/210) keeps every frame: the bare names become
    /// frames without offsets instead of ending the stack.
    #[test]
    fn bare_function_names_inside_a_stack_are_frames() {
        let text = "\
================================
WARNING: inconsistent lock state
5.10.0 #26 Not tainted
--------------------------------
inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.
kworker/2:3/388 [HC0[0]:SC0[0]:HE0:SE1] takes:
ffff888118c00c28 (&bfqd->lock){?.-.}-{2:2}, at: bfq_bio_merge+0x141/0x390
{IN-HARDIRQ-W} state was registered at:
  lock_acquire+0x197/0x4a0
  __raw_spin_lock_irqsave
  _raw_spin_lock_irqsave+0x3b/0x60
  bfq_idle_slice_timer_body
  bfq_idle_slice_timer+0x53/0x1d0
irq event stamp: 837522
";
        let r = &parse_all(text)[0];
        let names: Vec<&str> = r.traces[0].frames.iter().map(|f| f.base.as_str()).collect();
        assert_eq!(
            names,
            [
                "lock_acquire",
                "__raw_spin_lock_irqsave",
                "_raw_spin_lock_irqsave",
                "bfq_idle_slice_timer_body",
                "bfq_idle_slice_timer"
            ]
        );
        assert!(r.traces[0].frames[1].offset.is_none());
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
    }

    #[test]
    fn fragments_take_their_kind_from_sections_and_reporter() {
        let two_cpus = "\
 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&a->lock);
                               lock(&b->lock);
                               lock(&a->lock);
  lock(&b->lock);

 *** DEADLOCK ***
";
        let one_cpu = "\
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&a->lock);
  lock(&a->lock);

 *** DEADLOCK ***
";
        let interrupt = "\
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&a->lock);
  <Interrupt>
    lock(&a->lock);

 *** DEADLOCK ***
";
        let irq_scenario = "\
 Possible interrupt unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&b->lock);
                               local_irq_disable();
                               lock(&a->lock);
                               lock(&b->lock);
  <Interrupt>
    lock(&a->lock);

 *** DEADLOCK ***
";
        let only_deadlock = "\
 *** DEADLOCK ***

1 lock held by foo/12:
 #0: ffff888012345678 (&a->lock){+.+.}-{3:3}, at: foo_work+0x1c/0x90
";
        for (text, kind) in [
            (two_cpus, ReportKind::CircularDependency),
            (one_cpu, ReportKind::RecursiveLocking),
            (interrupt, ReportKind::InconsistentLockState),
            (irq_scenario, ReportKind::Other),
            (only_deadlock, ReportKind::Other),
        ] {
            let reps = parse_all(text);
            assert_eq!(reps.len(), 1, "{text}");
            assert_eq!(reps[0].kind, kind, "{text}");
            assert!(!reps[0].complete);
            assert!(matches!(
                reps[0].problems[0],
                crate::model::Problem::BannerMissing { .. }
            ));
        }
        // The function that printed the report decides over the scenario.
        let stack = "
stack backtrace:
Call Trace:
 dump_stack_lvl+0x45/0x59
 print_irq_inversion_bug.part.0+0x1b1/0x1c0
 mark_lock+0x3c8/0x7c0
 foo_irq+0x20/0x30
";
        let r = &parse_all(&format!("{irq_scenario}{stack}"))[0];
        assert_eq!(r.kind, ReportKind::IrqLockInversion);
        let r = &parse_all(&format!("{only_deadlock}{stack}"))[0];
        assert_eq!(r.kind, ReportKind::IrqLockInversion);
        // With its final stack pasted, what the fragment lacks was printed
        // before the paste starts; without it, where it ends is unknown.
        let not_pasted = |r: &Report| {
            r.problems
                .iter()
                .any(|p| matches!(p, crate::model::Problem::NotPasted { .. }))
        };
        // Sections named as cut off by the end of the input.
        let cut = |r: &Report| {
            r.problems.iter().any(|p| match p {
                crate::model::Problem::Missing { sections, .. } => {
                    sections.iter().any(|s| !s.contains("backtrace"))
                }
                _ => false,
            })
        };
        assert!(not_pasted(r) && !cut(r), "{:?}", r.problems);
        let r = &parse_all(two_cpus)[0];
        assert!(cut(r) && !not_pasted(r), "{:?}", r.problems);
        // The dependency chain is printed by circular reports alone.
        let chain = "\
the existing dependency chain (in reverse order) is:

-> #1 (&b->lock){+.+.}-{3:3}:
       lock_acquire+0xd3/0x2f0
       __mutex_lock+0x9a/0x9a0
       foo_b+0x12/0x40
";
        assert_eq!(parse_all(chain)[0].kind, ReportKind::CircularDependency);
        // A line that merely mentions a section opener is not one.
        assert!(parse_all("see the *** DEADLOCK *** line below\n").is_empty());
    }

    #[test]
    fn bare_names_right_under_the_stack_header_are_frames() {
        let text = "\
rcu_scheduler_active = 2, debug_locks = 1
1 lock held by foo/12:
 #0: ffffffff83fcf7a8 (rtnl_mutex){+.+.}-{3:3}, at: rtnl_dumpit+0x6b/0x90

stack backtrace:
    lockdep_rcu_suspicious
    foo_table_dump
    foo_dumpit
";
        let r = &parse_all(text)[0];
        assert_eq!(r.kind, ReportKind::SuspiciousRcuUsage);
        let names: Vec<&str> = r.backtrace.iter().map(|f| f.base.as_str()).collect();
        assert_eq!(
            names,
            ["lockdep_rcu_suspicious", "foo_table_dump", "foo_dumpit"]
        );
        // Elsewhere a bare word is not a frame: a stack does not open on one.
        let stray = text.replace("stack backtrace:\n", "stack backtrace:\n\n");
        assert!(parse_all(&stray)[0].backtrace.is_empty());
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
        assert!(matches!(
            reps[0].problems[0],
            Problem::Missing {
                end: crate::model::EndReason::EndOfInput,
                ..
            }
        ));
        assert!(reps[0].problems[0].to_string().contains("the input ended"));
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

#[cfg(test)]
mod headerless_tests {
    use super::tests::parse_all;

    const HEAD: &str = "\
============================================
WARNING: possible recursive locking detected
4.4.0 #1 Not tainted
--------------------------------------------
swapper/0/1 is trying to acquire lock:
 (&a->lock){+.+...}, at: [<ffffffff81000010>] foo+0x10/0x20

but task is already holding lock:
 (&a->lock){+.+...}, at: [<ffffffff81000010>] foo+0x10/0x20

";

    #[test]
    fn a_headerless_stack_opens_the_backtrace_once() {
        let text = format!(
            "{HEAD} [<ffffffff81000100>] dump_stack+0x1/0x2
 [<ffffffff81000200>] foo+0x10/0x20
irq event stamp: 5
hardirqs last  enabled at (5): [<ffffffff81000500>] bar+0x1/0x2
  a line of a layout nobody knows
 [<ffffffff81000600>] baz+0x1/0x2
 [<ffffffff81000700>] qux+0x1/0x2
"
        );
        let reps = parse_all(&text);
        assert_eq!(reps.len(), 1);
        let r = &reps[0];
        let bt: Vec<&str> = r.backtrace.iter().map(|f| f.base.as_str()).collect();
        assert_eq!(bt, ["dump_stack", "foo"], "{r:#?}");
        assert!(r.traces.iter().all(|t| t.name != "earlier backtrace"));
        let kept: Vec<&str> = r.unparsed.iter().map(|k| k.text.trim()).collect();
        assert!(kept.iter().any(|k| k.contains("baz+0x1")), "{kept:?}");
        assert!(kept.iter().any(|k| k.contains("qux+0x1")), "{kept:?}");
        assert!(
            r.problems.contains(&crate::model::Problem::StrayFrames(2)),
            "{:?}",
            r.problems
        );
    }
}
