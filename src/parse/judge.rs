//! Judging a report once every line is read: which of the sections its
//! kind needs are missing, whether its final stack was cut, what damaged
//! it; the verdict goes to `complete`, `corrupted` and `problems`.

use super::Parser;
use crate::kernel::frames;
use crate::kind::{Backtrace, Part};
use crate::model::{EndReason, Problem, Report, ReportKind, ScenarioStep, UndeterminedStep};
use crate::segment::RawReport;
use crate::vocab::body::is_root_frame;
use crate::vocab::trim::TrimWs;

/// The scenario tables lockdep prints, told apart by their header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScenarioTable {
    /// ` Possible unsafe locking scenario:` (print_circular_lock_scenario,
    /// print_deadlock_scenario, print_usage_bug_scenario).
    Plain,
    /// ` Possible unsafe locking scenario by crosslock:` (4.14's
    /// crossrelease, print_circular_lock_scenario for a crosslock target).
    Crosslock,
    /// ` Possible interrupt unsafe locking scenario:`
    /// (print_irq_lock_scenario).
    Interrupt,
}

impl ScenarioTable {
    pub(super) fn of_header(t: &str) -> Option<Self> {
        match t {
            "Possible unsafe locking scenario:" => Some(ScenarioTable::Plain),
            "Possible unsafe locking scenario by crosslock:" => Some(ScenarioTable::Crosslock),
            "Possible interrupt unsafe locking scenario:" => Some(ScenarioTable::Interrupt),
            _ => None,
        }
    }

    /// The CPU columns of a two-CPU table of this kind, which lockdep
    /// prints in one fixed shape (kernel/locking/lockdep.c): the circular
    /// table's four steps (CPU0 takes the held lock, CPU1 the other and
    /// then the held one, CPU0 the new one; `lock`, `rlock` or `sync`;
    /// 2.6.39 to 6.x), the crosslock table's four (CPU0 two `lock`s, CPU1
    /// a `lock` and the `unlock`; 4.14), and the interrupt table's six
    /// (CPU0 `lock`, CPU1 `local_irq_disable` and two `lock`s, CPU0
    /// `<Interrupt>` and `lock`). `None` for a table of any other shape.
    fn fixed_columns(self, actions: &[&str], cpus: usize) -> Option<&'static [usize]> {
        let takes = |a: &str| matches!(a, "lock" | "rlock" | "sync");
        let fits = |want: &[&str]| {
            actions.len() == want.len()
                && actions
                    .iter()
                    .zip(want)
                    .all(|(a, w)| if w.is_empty() { takes(a) } else { a == w })
        };
        if cpus != 2 {
            return None;
        }
        match self {
            ScenarioTable::Plain => fits(&["", "", "", ""]).then_some(&[0, 1, 1, 0]),
            ScenarioTable::Crosslock => {
                fits(&["lock", "lock", "lock", "unlock"]).then_some(&[0, 0, 1, 1])
            }
            ScenarioTable::Interrupt => fits(&["", "local_irq_disable", "", "", "interrupt", ""])
                .then_some(&[0, 1, 1, 1, 0, 0]),
        }
    }
}

/// Put the scenario's steps in their CPU columns once the report is read.
/// A step whose indentation told its column keeps it. When some did not
/// (a mail client wrapped the line before the step, an archive dropped the
/// spaces) or every step fell in the first column, a table of one fixed
/// shape ([`ScenarioTable::fixed_columns`]) whose told columns agree with it takes that
/// shape (a problem says so). Otherwise a step with no told column is kept
/// apart, in `undetermined`, and a problem names its line: it is never
/// put in a column by a guess.
pub(super) fn place_scenario_steps(p: &mut Parser<'_>) {
    let rows = std::mem::take(&mut p.scenario_rows);
    let Some(s) = p.r.scenario.as_mut() else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let table = p
        .raw
        .lines
        .iter()
        .find_map(|l| ScenarioTable::of_header(l.text.trim_ws()));
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    let all_first = rows.iter().all(|r| r.cpu == Some(0));
    let untold = rows.iter().any(|r| r.cpu.is_none());
    let fixed = table.and_then(|t| t.fixed_columns(&actions, s.cpus.len()));
    let shape = fixed.filter(|shape| {
        all_first
            || (untold
                && rows
                    .iter()
                    .zip(shape.iter())
                    .all(|(r, &c)| r.cpu.is_none_or(|told| told == c)))
    });
    let placed: Vec<Option<usize>> = match shape {
        Some(shape) => shape.iter().map(|&c| Some(c)).collect(),
        None => rows.iter().map(|r| r.cpu).collect(),
    };
    let mut untold_lines = Vec::new();
    for (position, (row, cpu)) in rows.into_iter().zip(placed).enumerate() {
        match cpu {
            Some(cpu) => s.steps.push(ScenarioStep {
                cpu,
                action: row.action,
                lock: row.lock,
            }),
            None => {
                untold_lines.push(row.line);
                s.undetermined.push(UndeterminedStep {
                    line: row.line,
                    position,
                    action: row.action,
                    lock: row.lock,
                });
            }
        }
    }
    if shape.is_some() {
        p.r.problems.push(Problem::ScenarioColumnsRestored);
    }
    if !untold_lines.is_empty() {
        p.r.corrupted = true;
        p.r.problems.push(Problem::ScenarioColumnUndetermined {
            lines: untold_lines,
        });
    }
}

/// Does the report's kind end in a stack trace?
fn expects_backtrace(kind: ReportKind, hung: bool) -> bool {
    match kind.row().backtrace {
        Backtrace::Required => true,
        Backtrace::WhenHung => hung,
        Backtrace::NotRequired => false,
    }
}

/// Judge completeness and damage once every line is read.
pub(super) fn judge(p: &mut Parser<'_>) {
    let raw = p.raw;
    let mut missing = missing_sections(&p.r, raw);
    // A paste that starts below the banner and reaches the final stack
    // left out what lockdep printed before it; nothing cut those off.
    if raw.banner.headless && !p.r.backtrace.is_empty() && !missing.is_empty() {
        let line = p.r.line;
        p.r.problems.push(Problem::NotPasted {
            sections: std::mem::take(&mut missing),
            line,
        });
    }
    end_of_backtrace(&mut p.r, raw, &mut missing);
    cut_short(&p.r, raw, &mut missing);
    record_completeness(&mut p.r, raw, &missing);
    record_damage(
        &mut p.r,
        raw,
        p.expect_failures,
        p.stray_frames,
        p.foreign_stack_lines,
    );
}

/// The sections the report's kind needs that it does not have.
fn missing_sections(r: &Report, raw: &RawReport) -> Vec<&'static str> {
    let hung = raw.banner.hung_task;
    let recover = raw.banner.captures.first().map(String::as_str) == Some("recover ");
    r.kind
        .row()
        .needs
        .iter()
        .filter(|n| !((n.unless_hung && hung) || (n.unless_recover && recover)))
        .filter(|n| match n.part {
            Part::Acquiring => r.acquiring.is_none(),
            Part::Holding => r.holding.is_none(),
            Part::Releasing => r.releasing.is_none(),
            Part::Chain => r.chain.is_empty(),
            Part::UsageTransition => r.usage_transition.is_none(),
            Part::HeldLocks => r.held_lock_lists.is_empty(),
            Part::DeptContexts => r.dept.as_ref().is_none_or(|d| d.contexts.is_empty()),
            Part::DeptDetails => r
                .dept
                .as_ref()
                .is_none_or(|d| (d.details as usize) < d.contexts.len()),
        })
        .map(|n| n.name)
        .collect()
}

/// The final backtrace: missing where the kind needs one, or cut before
/// it reached a root frame.
fn end_of_backtrace(r: &mut Report, raw: &RawReport, missing: &mut Vec<&'static str>) {
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
        let cut_by_input = raw.end.text_stopped()
            && r.backtrace.last().is_some_and(|f| {
                raw.lines
                    .iter()
                    .rev()
                    .take_while(|l| l.no > f.source_line)
                    .all(|l| l.text.trim_ws().is_empty())
            });
        let reached_root = r
            .backtrace
            .iter()
            .rev()
            // A frame with no symbol (`[<00000000>] 0x0` below the root)
            // says nothing about where the stack ends.
            .find(|f| f.reliable && !f.base.starts_with("0x"))
            .is_some_and(|f| {
                let base = f.base.as_str();
                is_root_frame(base) && !(cut_by_input && frames::root_has_callers(base))
            });
        if !raw.trace_closed && !reached_root {
            missing.push("the end of the final backtrace");
        }
        // A hung task's own stack follows its sched_show_task() state line
        // (kernel/hung_task.c, check_hung_task()); without that line the
        // stack read may be another task's output, printed first.
        if raw.banner.hung_task && super::hung_task_line(raw).is_none() {
            missing.push("the hung task's state line (the stack read may be another task's)");
        }
    }
}

/// A report the input cut short: a capacity report without its stack
/// dump, a dangling inlined acquire site, a last line cut mid-way.
fn cut_short(r: &Report, raw: &RawReport, missing: &mut Vec<&'static str>) {
    // Lockdep dumps the stack after a capacity report; a report the input
    // ended before it is cut short (one that other output ended is not:
    // some paths print no stack).
    if r.kind == ReportKind::LockdepCapacity && r.backtrace.is_empty() && raw.end.text_stopped() {
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
        l.text.trim_ws().is_empty() || r.unparsed.last().is_some_and(|k| k.line == l.no)
    });
    if raw.cut_mid_line && missing.is_empty() && !last_unparsed {
        let last = raw.lines.last();
        let ends_report = last.is_some_and(|l| {
            let t = l.text.trim_ws();
            t.starts_with("---[ end trace")
                || t.starts_with("=====")
                || t == "</TASK>"
                || r.backtrace
                    .last()
                    .is_some_and(|f| f.source_line == l.no && is_root_frame(&f.base))
                || crate::vocab::frame::arm32_caller(t).is_some_and(frames::is_terminal)
        });
        if !ends_report {
            missing.push("the rest of its last line, where the input stopped");
        }
    }
}

/// `complete`, `end_line` and the problems that say why a report is not.
fn record_completeness(r: &mut Report, raw: &RawReport, missing: &[&'static str]) {
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
        r.problems.push(Problem::Missing {
            sections: missing.to_vec(),
            end: raw.end,
            after_line: last_line,
        });
    }
    if short_list {
        r.problems.push(Problem::ShortHeldList);
    }
    if raw.end == EndReason::SizeCap {
        r.problems.push(Problem::SizeCap {
            lines: crate::segment::limits::MAX_REPORT_LINES,
            bytes: crate::segment::limits::MAX_REPORT_BYTES,
        });
    }
    if raw.end == EndReason::Evicted {
        r.problems.push(Problem::Evicted {
            open: crate::segment::limits::MAX_OPEN_REPORTS,
            waiting: crate::segment::limits::MAX_QUEUED_REPORTS,
        });
    }
    if raw.lines.iter().any(|l| l.truncated) {
        r.problems.push(Problem::LineTruncated);
    }
    if raw.interleaved_dropped > 0 {
        r.problems
            .push(Problem::InterleavedDropped(raw.interleaved_dropped));
    }
}

/// Damage, as syzkaller understands it: sections broken by foreign text.
fn record_damage(
    r: &mut Report,
    raw: &RawReport,
    expect_failures: usize,
    stray_frames: usize,
    foreign_stack_lines: usize,
) {
    let empty_chain_entry = r
        .chain
        .iter()
        .any(|e| e.stack.is_empty() && r.chain.len() > 1);
    if expect_failures > 0 {
        r.corrupted = true;
        r.problems.push(Problem::LockLineExpected);
    }
    if empty_chain_entry && r.complete {
        r.corrupted = true;
        r.problems.push(Problem::ChainEntryWithoutStack);
    }
    if r.complete
        && expects_backtrace(r.kind, raw.banner.hung_task)
        && r.backtrace.iter().all(|f| !f.reliable)
    {
        r.corrupted = true;
        r.problems.push(Problem::NoReliableFrame);
    }
    if foreign_stack_lines > 0 {
        r.problems
            .push(Problem::ForeignStackLines(foreign_stack_lines));
    }
    if stray_frames > 0 {
        r.problems.push(Problem::StrayFrames(stray_frames));
    }
}
