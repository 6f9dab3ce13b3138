//! The typed model of a decoded report.
//!
//! Everything downstream of the parser (the allocation-context walk, the
//! classifier, the renderers, triage) works on these types and never on raw
//! text. Field names are part of the JSON contract (`splatdec/1`): extend
//! them, never rename them.

use compact_str::CompactString;
use serde::Serialize;

pub use crate::kernel::version::KernelRelease;
pub use crate::kind::ReportKind;

/// Which generation of banner printed the report: lockdep switched from
/// `[ INFO: ... ]` to `WARNING: ...` in 4.12, which also dates the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BannerStyle {
    /// `[ INFO: ... ]` / `[ BUG: ... ]` (kernels up to 4.11; `Invalid wait context` keeps it).
    Bracketed,
    /// `WARNING: ...` / `BUG: ...` / `INFO: ...`.
    Plain,
}

/// A task as lockdep prints it: `comm/pid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// The command name (`comm`) as printed.
    pub comm: String,
    /// The process id.
    pub pid: u32,
}

/// Execution context of a stack frame, from the unwinder's stack markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameContext {
    /// The task (process) stack: before any marker, or after `<TASK>` or an end
    /// marker (`</IRQ>`, `<EOI>`, ...).
    #[default]
    Task,
    /// Inside an `<IRQ>` marker: hard interrupt stack.
    Irq,
    /// Inside a `<SOFTIRQ>` marker: softirq stack.
    Softirq,
    /// Inside an `<NMI>` marker: non-maskable interrupt stack.
    Nmi,
    /// An exception stack (`<#DF>`, `<#DB>`, `<#MC>`, `<#VC>`).
    Exception,
}

/// One stack frame, in whatever shape the log printed it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Frame {
    /// The symbol exactly as printed, compiler suffixes included
    /// (`shrink_node_memcg.constprop.88`).
    pub function: CompactString,
    /// The source-level function name: compiler suffixes removed.
    pub base: CompactString,
    /// The offset into the function (`+0x1f`), when printed.
    pub offset: Option<u64>,
    /// The function's size (`/0x80`), when printed; crash's `bt` prints none.
    pub size: Option<u64>,
    /// The module that holds the function (`[ext4]`); `None` for the core
    /// kernel.
    pub module: Option<String>,
    /// The module's build id as `CONFIG_STACKTRACE_BUILD_ID` kernels print
    /// it (`[mod 0123...]`), lower-case hex. Left out of JSON when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Source file from symbolized traces (`mm/slub.c`).
    pub file: Option<String>,
    /// Source line from symbolized traces, with `file`.
    pub line: Option<u32>,
    /// A callee the compiler inlined (`func file.h:12 [inline]`).
    pub inline: bool,
    /// False for `?` frames and powerpc `(unreliable)`: stack words the
    /// unwinder did not confirm, never to be treated as callers.
    pub reliable: bool,
    /// The stack the unwinder was on when it printed the frame (`<IRQ>`,
    /// `<NMI>`, ... markers before it); `task` outside any marker.
    pub context: FrameContext,
    /// The text address (`[<ffffffff81234567>]`, crash `at ffff...`), when
    /// printed. JSON writes it as a hex string: kernel addresses exceed the
    /// 2^53 that JSON numbers carry exactly in most readers.
    #[serde(serialize_with = "hex_address")]
    pub address: Option<u64>,
    /// The printed line this frame came from (1-based, in the input).
    pub source_line: u64,
}

impl Frame {
    /// A reliable frame with only a name, as printed without offsets
    /// (tests and doc examples build stacks this way).
    pub fn named(name: &str) -> Frame {
        Frame {
            function: name.into(),
            base: name.into(),
            reliable: true,
            ..Frame::default()
        }
    }
}

fn hex_address<S: serde::Serializer>(a: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(v) => s.serialize_str(&format!("{v:#x}")),
        None => s.serialize_none(),
    }
}

/// How a lock's usage character reads for one (state, access) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageChar {
    /// `.`: acquired with the irq disabled and never in irq context.
    Unused,
    /// `-`: acquired in irq context (irq-safe).
    InIrq,
    /// `+`: acquired with the irq enabled (irq-unsafe).
    IrqEnabled,
    /// `?`: both, already inconsistent.
    Both,
}

/// One decoded position of a usage string such as `{+.+.}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageBit {
    /// `HARDIRQ`, `SOFTIRQ` or (up to 4.13) `RECLAIM_FS`.
    pub state: &'static str,
    /// `write` or `read`.
    pub access: &'static str,
    /// The character at this position.
    pub mark: UsageChar,
}

/// Lockdep wait types `-{outer:inner}` (5.10+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitType {
    /// The first number: the class's outer wait type (`wait_type_outer`, or the
    /// inner one when that is unset).
    pub outer: u8,
    /// The second number: the class's inner wait type (`wait_type_inner`).
    /// [`WaitType::name`] gives the kernel's name for either.
    pub inner: u8,
}

impl WaitType {
    /// The kernel's name for a wait-type number (`enum lockdep_wait_type`).
    pub fn name(n: u8) -> &'static str {
        match n {
            0 => "LD_WAIT_INV",
            1 => "LD_WAIT_FREE",
            2 => "LD_WAIT_SPIN",
            3 => "LD_WAIT_CONFIG",
            4 => "LD_WAIT_SLEEP",
            _ => "unknown",
        }
    }
}

/// A lock as lockdep prints it in a lock line or held-lock entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Lock {
    /// The class name exactly as printed, with `#N` versions and `/N`
    /// subclasses (`&ei->i_data_sem/2`, `(wq_completion)events`).
    pub class: String,
    /// The lock instance address (4.17+), hashed or raw, as printed.
    pub address: Option<String>,
    /// The usage string with braces (`{+.+.}`).
    pub usage: Option<String>,
    /// The usage string decoded per (state, access).
    pub usage_bits: Vec<UsageBit>,
    /// The wait types `-{outer:inner}` after the usage string, when the line
    /// prints them.
    pub wait: Option<WaitType>,
    /// The acquire site (`at: func+0x1/0x2`).
    pub at: Option<Frame>,
    /// Symbolized logs print the lock line once per inlined callee at the
    /// acquire site (`at: f file.h:12 [inline]`); those frames, outermost
    /// last, while `at` keeps the real (non-inlined) one.
    pub at_inlined: Vec<Frame>,
    /// Index in a held-locks list (`#N:`).
    pub index: Option<u32>,
    /// Line the lock was printed on.
    pub source_line: u64,
}

/// One entry of `the existing dependency chain (in reverse order) is:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainEntry {
    /// The `N` of the `-> #N (class):` header: the entry's position in the
    /// printed chain (`#0`, printed first, is the dependency being added).
    pub index: u32,
    /// The lock class the entry is about, as printed in its header line.
    pub lock: Lock,
    /// The stack saved when that dependency was first recorded, innermost
    /// first.
    pub stack: Vec<Frame>,
}

impl ChainEntry {
    /// How outputs name the entry's stack: `chain #N (class)`.
    pub fn stack_name(&self) -> String {
        format!("chain #{} ({})", self.index, self.lock.class)
    }
}

/// A list of held locks: `N locks held by comm/pid:` plus its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldLocks {
    /// The task whose locks these are (`comm/pid`), when the header names one.
    pub task: Option<Task>,
    /// The N printed in the header (0 for `no locks held by`).
    pub count: Option<u32>,
    /// The entries as printed, with their `#N:` indexes.
    pub locks: Vec<Lock>,
    /// A hung task's own list that its report did not print, copied from
    /// the all-locks dump (`Showing all locks held in the system:`) of a
    /// later report of the same input: the input line where that report
    /// starts. Absent for a list the report printed itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_dump: Option<u64>,
}

/// A named saved stack inside a report (`{IN-SOFTIRQ-W} state was registered at:`,
/// `... which became SOFTIRQ-irq-safe at:`, class-dump usage blocks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The heading, without the trailing colon; for a stack the parser
    /// set apart, the name `origin` gives it.
    pub name: String,
    /// The frames under the heading, innermost first.
    pub frames: Vec<Frame>,
    /// Where the stack comes from (not in JSON; `name` says it there).
    #[serde(skip)]
    pub origin: TraceOrigin,
}

/// Where a [`Trace`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceOrigin {
    /// A stack under a heading the report printed.
    Heading,
    /// The faulting PC of a warning (`RIP:`, `pc :`, `NIP `), one frame;
    /// named `faulting pc`.
    FaultingPc,
    /// An old layout's headerless final stack, set apart when a second one
    /// followed; named `earlier backtrace`.
    EarlierBacktrace,
}

impl TraceOrigin {
    /// The name of a trace the parser set apart (`None` for a heading).
    pub fn name(self) -> Option<&'static str> {
        match self {
            TraceOrigin::Heading => None,
            TraceOrigin::FaultingPc => Some("faulting pc"),
            TraceOrigin::EarlierBacktrace => Some("earlier backtrace"),
        }
    }
}

impl Trace {
    /// A stack the parser set apart, named by its origin.
    pub fn set_apart(origin: TraceOrigin, frames: Vec<Frame>) -> Self {
        Trace {
            name: origin.name().unwrap_or_default().to_string(),
            frames,
            origin,
        }
    }
}

/// The unsafe-scenario table, one column per CPU.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Scenario {
    /// Column headers (`CPU0`, `CPU1`, ...).
    pub cpus: Vec<String>,
    /// Each step in printed order whose CPU column is known.
    pub steps: Vec<ScenarioStep>,
    /// Steps whose CPU column could not be told from the log (a mail
    /// client wrapped the line before the step or the indentation was
    /// lost): kept here, never placed in a column by a guess.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<UndeterminedStep>,
}

/// A scenario step whose CPU column is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndeterminedStep {
    /// Its line in the input.
    pub line: u64,
    /// Its place among all the table's steps as printed (0 = first).
    pub position: usize,
    /// `lock`, `rlock`, `sync`, `local_irq_disable`, `interrupt` ...
    pub action: String,
    /// The lock class argument, when the step names one.
    pub lock: Option<String>,
}

/// One row of the scenario table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioStep {
    /// Column index (0 = CPU0).
    pub cpu: usize,
    /// `lock`, `rlock`, `sync`, `local_irq_disable`, `interrupt` ...
    pub action: String,
    /// The lock class argument, when the step names one.
    pub lock: Option<String>,
}

/// The `HC0[0]:SC1[1]:HE1:SE0` context of inconsistent-state and irq reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IrqContext {
    /// `HC`: lockdep's view of whether the task was in hardirq context (0 or
    /// 1).
    pub hardirq: u32,
    /// The bracketed number after `HC`: the hardirq nesting depth from the
    /// preempt count.
    pub hardirq_count: u32,
    /// `SC`: lockdep's view of whether the task was in softirq context (0 or
    /// 1).
    pub softirq: u32,
    /// The bracketed number after `SC`: the softirq count from the preempt
    /// count.
    pub softirq_count: u32,
    /// `HE`: hardirqs were enabled (per lockdep's tracking).
    pub hardirqs_enabled: bool,
    /// `SE`: softirqs were enabled (per lockdep's tracking).
    pub softirqs_enabled: bool,
}

/// One of the four `hardirqs last  enabled at (N): ...` lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrqEvent {
    /// `hardirqs_last_enabled`, `hardirqs_last_disabled`, ...
    pub event: String,
    /// The event number in parentheses: lockdep's per-task irq-trace counter
    /// when the event happened; events compare by it.
    pub stamp: u64,
    /// Where it happened (the function printed after the colon), when it parsed
    /// as a frame.
    pub frame: Option<Frame>,
}

/// `irq event stamp:` and the lines after it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IrqEvents {
    /// The `irq event stamp: N` value: the counter at the time of the report.
    pub stamp: Option<u64>,
    /// The `hardirqs last ...` / `softirqs last ...` lines, in printed order.
    pub events: Vec<IrqEvent>,
}

/// `inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageTransition {
    /// The usage state before the colliding acquisition (`IN-SOFTIRQ-W`),
    /// without braces.
    pub from: String,
    /// The usage state the acquisition would add (`SOFTIRQ-ON-W`), without
    /// braces.
    pub to: String,
}

/// The facts `BUG: sleeping function called from invalid context` prints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AtomicSleep {
    /// `kernel/locking/mutex.c:580`.
    pub at: Option<String>,
    /// `in_atomic()` as printed (non-zero: preemption was disabled).
    pub in_atomic: Option<u32>,
    /// `irqs_disabled()` as printed (non-zero: interrupts were off).
    pub irqs_disabled: Option<u32>,
    /// `non_block` as printed: the task's count of open non_block_start()
    /// sections, where sleeping is not allowed either.
    pub non_block: Option<u32>,
    /// The `preempt_count:` value as printed (hex text).
    pub preempt_count: Option<String>,
    /// The `expected:` preempt count as printed (what a sleep would need).
    pub expected_preempt_count: Option<String>,
    /// The first number of `RCU nest depth: N, expected: M`: how deeply RCU
    /// read-side critical sections were nested.
    pub rcu_nest_depth: Option<u32>,
    /// The `expected:` RCU nest depth of that line (what the sleep was
    /// annotated to allow; 0 for a plain might_sleep()).
    pub rcu_nest_expected: Option<u32>,
    /// `Preemption disabled at:` frame.
    pub preemption_disabled_at: Option<Frame>,
}

/// The state lines of a suspicious-RCU-usage report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RcuInfo {
    /// `rcu_scheduler_active = N` as printed (0 early in boot, before the
    /// scheduler runs).
    pub scheduler_active: Option<u32>,
    /// `debug_locks = 0` means lockdep was already off: the held-locks
    /// list is unreliable and the report may be a false positive.
    pub debug_locks: Option<u32>,
    /// `RCU used illegally from offline CPU!` was printed.
    pub offline_cpu: bool,
    /// `RCU used illegally from extended quiescent state!` was printed (RCU
    /// used from idle or user mode, where RCU is not watching).
    pub extended_quiescent_state: bool,
}

/// The two halves of an irq lock inversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrqInversion {
    /// True for `this lock took another, ... lock in the past` (the other
    /// lock was taken while this one was held); false for `this lock was
    /// taken by another, ...` (this one was taken while the other was held).
    pub this_took_other: bool,
    /// The other lock's state as printed: `HARDIRQ-unsafe`, `SOFTIRQ-safe`.
    pub other_state: String,
    /// The dependencies of the printed shortest path between the two
    /// locks (`the shortest dependencies between 2nd lock and 1st lock:`),
    /// in dependency order, when the path was printed to its end. Left out
    /// of JSON when absent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<DependencyEdge>,
}

/// One dependency of a printed dependency path: `to` was taken while
/// `from` was held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyEdge {
    /// The lock held first (its class name as printed).
    pub from: String,
    /// The lock taken while `from` was held.
    pub to: String,
    /// The name of the report's trace (`traces[].name`) that is this
    /// acquisition's stack, when one was printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// The interrupt of an irq-safe -> irq-unsafe lock order report, from its
/// `but this new dependency connects a HARDIRQ-irq-safe lock:` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrqOrder {
    /// `HARDIRQ` or `SOFTIRQ`.
    pub irq: String,
}

/// The kernel's taint field, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taint {
    /// The flags as printed after `Tainted: `, spacing kept.
    pub raw: String,
    /// Each set flag once, in printed order (`G`, "no proprietary module",
    /// is not a flag).
    pub flags: Vec<TaintFlag>,
}

/// What a report says about taint: `Not tainted`, or `Tainted: ` and its
/// flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tainted {
    /// `Not tainted`.
    No,
    /// `Tainted: ` and the flags decoded; `None` when the field after it
    /// could not be read as flags.
    Yes(Option<Taint>),
}

impl Tainted {
    /// The decoded taint, when the report printed one.
    pub fn taint(&self) -> Option<&Taint> {
        match self {
            Tainted::No => None,
            Tainted::Yes(t) => t.as_ref(),
        }
    }

    /// The JSON fields `tainted` (the text) and `taint` (the decoded
    /// flags, left out when there are none).
    fn serialize_fields<S: serde::Serializer>(
        t: &Option<Tainted>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tainted", &t.as_ref().map(|t| t.to_string()))?;
        if let Some(x) = t.as_ref().and_then(Tainted::taint) {
            m.serialize_entry("taint", x)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Tainted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tainted::No => f.write_str("Not tainted"),
            Tainted::Yes(Some(t)) => write!(f, "Tainted: {}", t.raw),
            Tainted::Yes(None) => f.write_str("Tainted:"),
        }
    }
}

/// One set taint flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaintFlag {
    /// The flag letter as printed.
    pub letter: char,
    /// The kernel's name (`OOT_MODULE`); `None` for a letter splatdec does
    /// not know (a newer kernel's), which is still kept.
    pub name: Option<&'static str>,
    /// What the flag says about the kernel, in the kernel documentation's
    /// words; `None` with `name`.
    pub meaning: Option<&'static str>,
}

/// Why a report stopped collecting lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Its shape ended (trace finished, dump ruler, ...).
    Finished,
    /// Another report began before its shape ended.
    NextReport,
    /// The input ended.
    EndOfInput,
    /// The Markdown code block the report was pasted in closed.
    PasteEnded,
    /// It hit the segmenter's size cap (`segment::limits::MAX_REPORT_LINES`).
    SizeCap,
    /// Too many reports were open at once; the oldest was closed.
    Evicted,
}

impl EndReason {
    /// The text the report was read from stopped (the input, or the code
    /// block it was pasted in), rather than the report's own shape or other
    /// output ending it: whatever came next was never seen.
    pub fn text_stopped(self) -> bool {
        matches!(self, EndReason::EndOfInput | EndReason::PasteEnded)
    }
}

/// Why a report is incomplete or corrupted, or what was repaired in it
/// (JSON `problems`: each one's [`Display`](std::fmt::Display) text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The report was pasted without its banner; it starts at `line` with
    /// its body.
    BannerMissing {
        /// The report's first line.
        line: u64,
    },
    /// The circular-dependency scenario's columns were restored from the
    /// table's fixed shape because indentation was lost.
    ScenarioColumnsRestored,
    /// Scenario steps (their lines) whose CPU column the indentation does
    /// not tell; they are kept apart from the table.
    ScenarioColumnUndetermined {
        /// The steps' lines.
        lines: Vec<u64>,
    },
    /// Sections the kind needs were not seen.
    Missing {
        /// The missing sections, as the kind's row names them
        /// (`the lock line`).
        sections: Vec<&'static str>,
        /// Why the report stopped collecting lines.
        end: EndReason,
        /// The report's last line.
        after_line: u64,
    },
    /// Sections the kind needs were not seen in a report pasted without its
    /// first lines whose final stack was pasted: lockdep prints them before
    /// that stack, so the paste left them out (they were not cut off).
    NotPasted {
        /// The missing sections, as the kind's row names them.
        sections: Vec<&'static str>,
        /// The report's first line.
        line: u64,
    },
    /// A held-locks list has fewer entries than its header counts.
    ShortHeldList,
    /// The report hit the segmenter's size cap.
    SizeCap {
        /// The cap in lines.
        lines: usize,
        /// The cap in bytes.
        bytes: usize,
    },
    /// The report was closed early because too many were open at once.
    Evicted {
        /// Reports open at most.
        open: usize,
        /// Reports waiting at most.
        waiting: usize,
    },
    /// An overlong line was truncated.
    LineTruncated,
    /// This many interleaved foreign lines were dropped.
    InterleavedDropped(u64),
    /// A lock line was expected but something else was printed.
    LockLineExpected,
    /// A dependency-chain entry has no stack.
    ChainEntryWithoutStack,
    /// The backtrace has no reliable frame.
    NoReliableFrame,
    /// This many stack lines printed before a hung task's own stack
    /// (another task's output) were kept unparsed.
    ForeignStackLines(usize),
    /// This many frame lines outside any section the kind has were kept
    /// unparsed.
    StrayFrames(usize),
    /// No frame could be taken from the report for its syzkaller title.
    NoTitleFrame,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::BannerMissing { line } => write!(
                f,
                "the banner is missing: the report starts at line {line} with its body"
            ),
            Problem::ScenarioColumnsRestored => f.write_str(
                "scenario columns restored from the table's fixed shape (indentation was lost)",
            ),
            Problem::ScenarioColumnUndetermined { lines } => {
                let lines: Vec<String> = lines.iter().map(u64::to_string).collect();
                write!(
                    f,
                    "the CPU column of the scenario step{} at line{} {} is not told by its indentation (wrapped or lost): left out of the table",
                    if lines.len() == 1 { "" } else { "s" },
                    if lines.len() == 1 { "" } else { "s" },
                    lines.join(", ")
                )
            }
            Problem::Missing {
                sections,
                end,
                after_line,
            } => {
                let why = match end {
                    EndReason::NextReport => "another report began",
                    EndReason::EndOfInput => "the input ended",
                    EndReason::PasteEnded => "the pasted code block ended",
                    EndReason::SizeCap => "the report hit the size cap",
                    EndReason::Evicted => "too many reports were open at once",
                    EndReason::Finished => "the report ended early",
                };
                write!(
                    f,
                    "missing {} ({why} after line {after_line})",
                    sections.join(", ")
                )
            }
            Problem::NotPasted { sections, line } => write!(
                f,
                "missing {}, which lockdep prints before its final stack: the paste starts after them (at line {line})",
                sections.join(", ")
            ),
            Problem::ShortHeldList => {
                f.write_str("a held-locks list has fewer entries than its header counts")
            }
            Problem::SizeCap { lines, bytes } => write!(
                f,
                "report truncated at {lines} lines or {bytes} bytes (the rest of it was not read)"
            ),
            Problem::Evicted { open, waiting } => write!(
                f,
                "report closed early: too many reports were open at once (at most {open} open, {waiting} waiting)"
            ),
            Problem::LineTruncated => f.write_str("an overlong line was truncated"),
            Problem::InterleavedDropped(n) => {
                write!(f, "{n} interleaved foreign lines were dropped")
            }
            Problem::LockLineExpected => {
                f.write_str("a lock line was expected but something else was printed")
            }
            Problem::ChainEntryWithoutStack => {
                f.write_str("a dependency-chain entry has no stack")
            }
            Problem::NoReliableFrame => f.write_str("the backtrace has no reliable frame"),
            Problem::ForeignStackLines(n) => write!(
                f,
                "{n} stack line(s) printed before the hung task's own stack (another task's output) were kept unparsed"
            ),
            Problem::StrayFrames(n) => write!(
                f,
                "{n} frame line(s) outside any section this report kind has were kept unparsed"
            ),
            Problem::NoTitleFrame => {
                f.write_str("no frame could be taken from the report for its title")
            }
        }
    }
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A line inside a report that no section parser claimed; kept verbatim so
/// nothing printed is ever lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptLine {
    /// The 1-based input line.
    pub line: u64,
    /// The line's text after the input stage stripped its log prefixes.
    pub text: String,
}

/// A fully parsed report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// What kind of report this is (JSON `kind`, snake_case; see
    /// [`ReportKind`]).
    pub kind: ReportKind,
    /// A syzkaller-compatible title (`possible deadlock in FUNC`).
    pub title: String,
    /// When `title` is syzkaller's `... in corrupted` or a bare banner but
    /// the report names a function (an `at:` site, the first frame of a
    /// stack outside the locking, lockdep and dump machinery): the title
    /// with that function (`possible deadlock in qux_flush`). Left out
    /// otherwise; `title` stays syzkaller's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The banner line as printed (prefixes stripped).
    pub banner: String,
    /// Whether the banner is the pre-4.12 bracketed form or the plain one.
    pub banner_style: BannerStyle,
    /// File name, or `-` for standard input.
    pub source: String,
    /// 1-based line of the banner.
    pub line: u64,
    /// 1-based line of the last line that belonged to the report.
    pub end_line: u64,
    /// False when the report was cut short (log ended, another report began,
    /// a size cap was hit) before all its sections were seen.
    pub complete: bool,
    /// True when foreign output was spliced in or sections are damaged.
    pub corrupted: bool,
    /// Why the report is incomplete or corrupted (JSON: each problem's
    /// text).
    pub problems: Vec<Problem>,
    /// The kernel release (`4.15.0-rc9`), as printed on the CPU line, 2.6's
    /// `Pid:` line or an ident line (`Not tainted 4.15.0-rc9 #1`), with the
    /// version it names.
    pub kernel: Option<KernelRelease>,
    /// The vmlinux build id `CONFIG_STACKTRACE_BUILD_ID` kernels print at
    /// the end of the `CPU: ... Comm: ...` line (hex). Left out of JSON
    /// when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// What the report says about taint. JSON: `tainted`, `Not tainted` or
    /// `Tainted: ` and the flags exactly as printed (`Tainted: G           OE`),
    /// and `taint`, the flags decoded (every flag letter with its kernel
    /// name and meaning; absent for `Not tainted`).
    #[serde(flatten, serialize_with = "Tainted::serialize_fields")]
    pub tainted: Option<Tainted>,
    /// The task the report is about: the one the header names (`syz/123 is
    /// trying to acquire lock:`), else the CPU line's `Comm:`/`PID:`, else, for
    /// kinds whose row says so (`task_from_held_list`), the task of the first
    /// held-locks list.
    pub task: Option<Task>,
    /// The CPU the report was printed on (`CPU: N`).
    pub cpu: Option<u32>,
    /// The `Hardware name:` line's text (machine and firmware).
    pub hardware: Option<String>,
    /// The lock the task is acquiring. Per kind: the new lock of a
    /// circular/recursive/irq-order report, the lock `takes:` names in an
    /// inconsistent-state report, the lock whose irq state just changed in
    /// an irq inversion (being acquired, or held when interrupts were
    /// enabled), the lock being contended in a bad contention, the lock
    /// being taken without its nest lock, the lock of an invalid wait
    /// context.
    pub acquiring: Option<Lock>,
    /// A lock the task holds that the report names: `but task is already
    /// holding` (circular, recursive, irq order), or the lock inside freed
    /// memory (held lock freed). Never the other lock of an irq inversion,
    /// which is not held (see `other_locks` and `irq_inversion`).
    pub holding: Option<Lock>,
    /// Irq reports: the other lock of an irq inversion (taken in the past,
    /// not held now), the irq-safe and irq-unsafe locks of a new irq
    /// dependency.
    pub other_locks: Vec<Lock>,
    /// Bad unlock balance: the lock being released, which the task does
    /// not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releasing: Option<Lock>,
    /// Nested lock not taken: the nest lock the task should hold and does
    /// not (`but this task is not holding:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nest_lock: Option<Lock>,
    /// Irq inversion: how the other lock relates to the one whose state
    /// changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irq_inversion: Option<IrqInversion>,
    /// The preemption model the CPU line names (6.15+: `PREEMPT_RT`,
    /// `PREEMPT(voluntary)`); left out of JSON when not printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preempt: Option<String>,
    /// Irq-safe -> irq-unsafe order reports: which interrupt (JSON
    /// `irq_order`, left out for other kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irq_order: Option<IrqOrder>,
    /// The `existing dependency chain (in reverse order)` of a circular-locking
    /// report, entries in printed order (`#0` first).
    pub chain: Vec<ChainEntry>,
    /// `Chain exists of:` classes, in printed order.
    pub chain_exists_of: Vec<String>,
    /// The unsafe-scenario table (`Possible unsafe locking scenario:`), when
    /// printed.
    pub scenario: Option<Scenario>,
    /// The report's main held-locks list: the report task's list when one
    /// was printed, else the first list printed.
    pub held_locks: Vec<Lock>,
    /// The `N` of the main held-locks list's header (`N locks held by`); lets a
    /// reader tell whether the list was printed in full.
    pub held_locks_count: Option<u32>,
    /// Every held-locks list printed (several in a system-wide dump).
    pub held_lock_lists: Vec<HeldLocks>,
    /// Inconsistent-state reports: the colliding usage states.
    pub usage_transition: Option<UsageTransition>,
    /// Inconsistent-state and irq reports: the `[HC..:SC..:HE..:SE..]` context.
    pub irq_context: Option<IrqContext>,
    /// The `irq event stamp:` block, when printed.
    pub irq_events: Option<IrqEvents>,
    /// Saved stacks other than the chain and the final backtrace.
    pub traces: Vec<Trace>,
    /// The final `stack backtrace:` / `Call Trace:`.
    pub backtrace: Vec<Frame>,
    /// The input line of the first `Call Trace:`, `Call trace:` or
    /// `Backtrace:` line: syzkaller takes a title's stack frame from the
    /// frames after it, and calls the frame `corrupted` when there is none
    /// (headerless arm32 or 2.6-era stacks). Internal; not in JSON.
    #[serde(skip)]
    pub call_trace_line: Option<u64>,
    /// `corrupted` is set only because syzkaller's title rule found no
    /// frame (an intact old layout without `Call Trace:`): syzkaller's flag,
    /// not damage splatdec saw. Internal; not in JSON.
    #[serde(skip)]
    pub corrupted_for_title_only: bool,
    /// Kind-specific message (`kernel/rcu/tree.c:123 suspicious rcu_dereference_check() usage!`,
    /// `MAX_LOCKDEP_ENTRIES too low!`, the lockdep warning location).
    pub message: Option<String>,
    /// Sleeping-function-called-from-invalid-context reports: their fact lines.
    pub atomic_sleep: Option<AtomicSleep>,
    /// Suspicious-RCU-usage reports: their state lines.
    pub rcu: Option<RcuInfo>,
    /// Warnings: where the `WARNING: CPU: N PID: N at FILE:LINE func+...`
    /// line says it fired (`kernel/locking/lockdep.c:3312 __lock_acquire+0x1/0x2`).
    pub warning_at: Option<String>,
    /// The report printed `INFO: lockdep is turned off.`: an earlier splat
    /// (or a capacity limit) switched lockdep off, so held-lock lists are
    /// missing and lock state is no longer tracked.
    pub lockdep_off: bool,
    /// `context-{N:N}` of an invalid-wait-context report.
    pub wait_context: Option<WaitType>,
    /// Lines inside the report no section parser understood.
    pub unparsed: Vec<KeptLine>,
    /// Lines of other tasks/CPUs (by printk caller id) that printk
    /// interleaved into the report, set aside.
    pub interleaved: Vec<KeptLine>,
    /// Lines a mail client or a broken `pr_cont` split, rejoined before
    /// parsing: each pair is `[first line, line appended to it]`
    /// (left out when nothing was joined).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<[u64; 2]>,
    /// A hung task's blocker (`INFO: task ... is blocked on a mutex likely
    /// owned by task ...`, 6.16+; left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_on: Option<Blocker>,
    /// A hung task's state letter from its sched_show_task() line (`D`:
    /// uninterruptible sleep; `I`: TASK_IDLE); left out for other reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_state: Option<char>,
    /// A DEPT report's own sections (kind `dept`; left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dept: Option<Dept>,
}

/// What khungtaskd says a hung task is blocked on (kernel/hung_task.c
/// debug_show_blocker()).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Blocker {
    /// `mutex`, `semaphore` or `rw-semaphore`.
    pub lock: String,
    /// The blocked task as the line names it.
    pub task: Option<Task>,
    /// How it waits on an rw-semaphore (`reader`, `writer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Who likely owns the lock (a semaphore: who last held it); `null`
    /// when the kernel says the owner is not found.
    pub owner: Option<Task>,
    /// The owner's role on an rw-semaphore (`reader`, `writer`), when printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_role: Option<String>,
    /// The semaphore form: `likely last held by`, not `likely owned by`.
    pub last_holder: bool,
    /// The owner's stack, as sched_show_task() printed it after the line
    /// (innermost first; empty when not printed, as for an owner that is
    /// hung too).
    pub owner_stack: Vec<Frame>,
}

/// What a DEPT (the DEPendency Tracker) report prints
/// (kernel/dependency/dept.c of the posted series: print_circle,
/// print_diagram, print_dep, print_recover_circle).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Dept {
    /// `DEADLOCK`, or `AA DEADLOCK` when the one context waits for its own
    /// event; empty in a recover-dependency report, which prints neither.
    pub deadlock: String,
    /// The contexts of the summary, `A` first: context A is the dependency
    /// just added, by the wait the final backtrace shows.
    pub contexts: Vec<DeptContext>,
    /// The dependency cycle: the classes in dependency order, starting at
    /// context A's event class (each context's event waits for the wait of
    /// the next class), when the contexts close it; empty otherwise.
    pub cycle: Vec<String>,
    /// How many contexts' `context X's detail` sections were read.
    pub details: u32,
    /// A recover-dependency report's event-site dependencies
    /// (`event site(NAME@FUNC)` -> `event site(NAME@FUNC)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_sites: Vec<DeptEventSiteDep>,
}

/// One context of a DEPT report: `[S]` the start of the event context,
/// `[W]` the wait that blocked, `[E]` the event that is then not reachable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeptContext {
    /// `A`, `B`, ...
    pub name: String,
    /// `[S]`: where the event context started.
    pub start: DeptStep,
    /// `[W]`: the wait that blocked.
    pub wait: DeptStep,
    /// `[E]`: the event that the wait keeps from being reached.
    pub event: DeptStep,
    /// The irqs the wait happens in (`<hardirq interrupt>`) when the
    /// dependency is an irq one; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub irqs: Vec<String>,
    /// Where that irq was enabled in the event context (`hardirq has been
    /// enabled:`), for the first irq listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irq_enabled: Option<DeptSite>,
}

/// One `[S]`, `[W]` or `[E]` of a context: `function(class:subclass)`,
/// and the site and stack its detail prints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeptStep {
    /// The function DEPT recorded (`down_write`), or `(unknown)`.
    pub function: String,
    /// The class (`&ei->i_data_sem`, `pglocked`, `<sched>`).
    pub class: String,
    /// The number after the colon in `(class:subclass)`.
    pub subclass: u32,
    /// The site (`[<ip>] symbol`, several lines when symbolized with
    /// inlined frames); empty when not printed or `(N/A)`.
    pub at: Vec<Frame>,
    /// The saved `stacktrace:`, innermost first; empty when not printed.
    pub stack: Vec<Frame>,
}

/// A site and stack DEPT prints outside a step (`... has been enabled:`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeptSite {
    /// The site DEPT prints (one frame, several when inlined callees are
    /// listed).
    pub at: Vec<Frame>,
    /// The saved `stacktrace:`, innermost first; empty when not printed.
    pub stack: Vec<Frame>,
}

/// `event site(NAME@FUNC)` followed by `-> event site(NAME@FUNC)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeptEventSiteDep {
    /// The event site printed first (`NAME@FUNC`).
    pub from: String,
    /// The event site after `->` (`NAME@FUNC`).
    pub to: String,
}

impl Report {
    /// Damage splatdec saw in the text (lines missing, expected lines
    /// replaced by others), as opposed to syzkaller's `corrupted` flag,
    /// which is also set when its title rule finds no frame.
    pub fn damaged(&self) -> bool {
        self.corrupted && !self.corrupted_for_title_only
    }

    /// An empty report of `kind` starting at `line`.
    pub fn new(kind: ReportKind, source: &str, line: u64) -> Self {
        Report {
            kind,
            title: String::new(),
            headline: None,
            banner: String::new(),
            banner_style: BannerStyle::Plain,
            source: source.to_string(),
            line,
            end_line: line,
            complete: false,
            corrupted: false,
            problems: Vec::new(),
            kernel: None,
            build_id: None,
            tainted: None,
            task: None,
            cpu: None,
            hardware: None,
            acquiring: None,
            holding: None,
            other_locks: Vec::new(),
            releasing: None,
            nest_lock: None,
            irq_inversion: None,
            irq_order: None,
            preempt: None,
            chain: Vec::new(),
            chain_exists_of: Vec::new(),
            scenario: None,
            held_locks: Vec::new(),
            held_locks_count: None,
            held_lock_lists: Vec::new(),
            usage_transition: None,
            irq_context: None,
            irq_events: None,
            traces: Vec::new(),
            backtrace: Vec::new(),
            call_trace_line: None,
            corrupted_for_title_only: false,
            message: None,
            atomic_sleep: None,
            rcu: None,
            warning_at: None,
            lockdep_off: false,
            wait_context: None,
            unparsed: Vec::new(),
            interleaved: Vec::new(),
            joined: Vec::new(),
            dept: None,
            blocked_on: None,
            task_state: None,
        }
    }
}

/// The verdict classes (JSON `verdict.class`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The report describes a deadlock that can really happen.
    TrueDeadlock,
    /// The report does not describe a deadlock that can happen (what lockdep
    /// tracked does not match what the code can do).
    FalsePositive,
    /// A problem only on PREEMPT_RT kernels (where spinlock_t sleeps); fine
    /// elsewhere.
    RtOnly,
    /// A real locking bug that is not a deadlock (an unbalanced unlock, a
    /// lock freed while held, sleeping in atomic context, ...).
    LockingBug,
    /// A report about lockdep's own state (a capacity limit, a self-check
    /// warning, lockdep already off), not a finding about the code that ran.
    LockdepInternal,
    /// No rule decided.
    Undetermined,
}

impl Class {
    /// Every class, in declaration order.
    pub const ALL: [Class; 6] = [
        Class::TrueDeadlock,
        Class::FalsePositive,
        Class::RtOnly,
        Class::LockingBug,
        Class::LockdepInternal,
        Class::Undetermined,
    ];

    /// The JSON and rules.toml name of the class (`true_deadlock`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::TrueDeadlock => "true_deadlock",
            Class::FalsePositive => "false_positive",
            Class::RtOnly => "rt_only",
            Class::LockingBug => "locking_bug",
            Class::LockdepInternal => "lockdep_internal",
            Class::Undetermined => "undetermined",
        }
    }

    /// The class named `s` ([`Class::as_str`]'s inverse).
    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
