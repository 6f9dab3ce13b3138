//! The allocation-context walk: for every stack of a report, from the
//! outermost frame inward, what the allocator would see at each frame —
//! the gfp mask, the task's memalloc flags, how deep `fs_reclaim` is held —
//! and whether direct reclaim is possible there.
//!
//! This is the frame-by-frame reading Tetsuo Handa did by hand for the 4.15
//! fs_reclaim splat (thread `[4.15-rc9] fs_reclaim lockdep trace`,
//! <https://lore.kernel.org/r/20180124013651.GA1718@codemonkey.org.uk>),
//! done for any trace with the kernel
//! version's own rules: the effects come from the knowledge base
//! ([`crate::kernel::kb`]), the gfp algebra and the per-version reclaim
//! rules from [`crate::kernel::gfp`] and [`crate::kernel::task`].
//!
//! Where no frame fixes the gfp the walk says "caller's gfp" and still
//! tracks the bits frames add or clear, and derives what holds regardless
//! (PF_MEMALLOC forbids direct reclaim whatever the mask). A mask read from
//! an object the trace does not show (the mapping, the fault) is named
//! after it the same way ("mapping's gfp"), never assumed.

use serde::Serialize;

use crate::kernel::gfp::{self, GfpFlag, GfpLayout, GfpMask};
use crate::kernel::kb::{FnEntry, FsReclaimOp, GfpOrigin, KnowledgeBase};
use crate::kernel::task::{self, TaskFlag, TaskFlags};
use crate::kernel::version::KernelVersion;
use crate::model::{Frame, Report};
use compact_str::CompactString;

pub mod memo;

/// Which kernel rules a walk used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulesUsed {
    /// The version whose rules applied (JSON `4.15`).
    pub version: KernelVersion,
    /// Where the version came from.
    pub from: RulesFrom,
    /// The GFP bit layout used (`4.15-4.17`).
    pub layout: String,
}

/// The state at one frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalkFrame {
    /// The function (base name) as in the trace or as restored.
    pub function: CompactString,
    /// A callee the compiler inlined: an `[inline]` frame of the trace
    /// (debug info) or one restored from the knowledge base.
    pub inlined: bool,
    /// A call the knowledge base restores between two printed frames that
    /// had returned before the next one was called (4.14-4.17
    /// `fs_reclaim_acquire()` in `__perform_reclaim`): its effects hold
    /// from here on, but it is not on the stack. Left out of JSON when
    /// false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub returned: bool,
    /// The gfp this frame passes on, symbolic (`GFP_KERNEL|__GFP_NOWARN`,
    /// `caller's gfp`, `caller's gfp|__GFP_NOWARN`, `mapping's gfp`).
    pub gfp: CompactString,
    /// The same, numeric, when fully known.
    pub gfp_bits: Option<u32>,
    /// The task flags in force below this frame (current kernel names:
    /// `PF_MEMALLOC_NOFS`, ...).
    pub task_flags: Vec<String>,
    /// How many times `fs_reclaim` is held below this frame (2 is the nested
    /// acquisition lockdep calls recursive).
    pub fs_reclaim_depth: u32,
    /// `None` when the gfp is not known and no task flag decides it.
    pub direct_reclaim_possible: Option<bool>,
    /// What changed here, naming the knowledge-base entry.
    pub note: Option<String>,
    /// The knowledge-base entry applied (`builtin:net.toml`).
    pub kb: Option<CompactString>,
    /// The input line of the frame (0 for restored inline frames).
    pub source_line: u64,
    /// The frame's source position, when the trace is symbolized (left
    /// out of JSON when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The frame's source line, with `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// This frame takes `fs_reclaim` while it is already held: the nested
    /// acquisition lockdep reports as recursive.
    pub nested_fs_reclaim: bool,
    /// What this frame did about fs_reclaim, typed for the classifier (the
    /// note says the same in words). Not in JSON.
    #[serde(skip)]
    pub fs_reclaim: FsReclaimStep,
    /// The task flags in force, typed ([`WalkFrame::task_flags`] are their
    /// names for JSON and text).
    #[serde(skip)]
    pub task: TaskFlags,
}

/// What a frame did about fs_reclaim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsReclaimStep {
    /// Nothing: no entry, or an entry that does not touch fs_reclaim.
    #[default]
    Untouched,
    /// Took it (unconditionally, or because `__need_fs_reclaim()` holds).
    Taken,
    /// An acquire the version's rules skip: the mask cannot reclaim into
    /// filesystems, or the task's flags exempt it (PF_MEMALLOC).
    Skipped,
    /// An acquire whose outcome depends on a mask the trace does not show.
    Undecided,
    /// Released it.
    Released,
}

/// Which stack of a report a walk read, typed, so that the stages after
/// the walk find a stack without reading the name it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StackId {
    /// The report's final backtrace.
    Backtrace,
    /// The stack of the dependency-chain entry with this index (`-> #N`).
    Chain(u32),
    /// The saved trace at this position of [`Report::traces`].
    Trace(usize),
}

/// The walk over one stack of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceWalk {
    /// Which stack, as a person reads it: `backtrace`, `chain #1
    /// (fs_reclaim)`, a saved trace's name.
    pub trace: String,
    /// The same, typed. Not in JSON.
    #[serde(skip)]
    pub stack: StackId,
    /// Outermost first. JSON writes each frame's state only where it
    /// changes (`CompactFrame`).
    #[serde(serialize_with = "compact_frames")]
    pub frames: Vec<WalkFrame>,
    /// Unreliable (`?`) frames left out of the walk.
    pub skipped_unreliable: usize,
    /// Where the inlined callees between the frames came from.
    pub inlines: InlineSource,
}

/// A walk's frames as JSON writes them: `function`, `inlined` and
/// `source_line` (and `file`/`line` when symbolized, `returned` when true)
/// on every frame; the
/// state (`gfp`, `gfp_bits`, `task_flags`, `fs_reclaim_depth`,
/// `direct_reclaim_possible`) on the first frame and then only on the frames
/// where that field's value differs from the frame before (a field left out
/// has the previous frame's value); `note` and `kb` only when set;
/// `nested_fs_reclaim` only when true.
fn compact_frames<S: serde::Serializer>(frames: &[WalkFrame], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(frames.len()))?;
    let mut prev = None;
    for f in frames {
        seq.serialize_element(&CompactFrame { frame: f, prev })?;
        prev = Some(f);
    }
    seq.end()
}

/// One frame of [`compact_frames`]: the frame and the one before it.
struct CompactFrame<'a> {
    frame: &'a WalkFrame,
    prev: Option<&'a WalkFrame>,
}

impl Serialize for CompactFrame<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let f = self.frame;
        let changed = |same: fn(&WalkFrame, &WalkFrame) -> bool| match self.prev {
            Some(p) => !same(p, f),
            None => true,
        };
        let gfp = changed(|a, b| a.gfp == b.gfp);
        let bits = changed(|a, b| a.gfp_bits == b.gfp_bits);
        let task = changed(|a, b| a.task_flags == b.task_flags);
        let depth = changed(|a, b| a.fs_reclaim_depth == b.fs_reclaim_depth);
        let direct = changed(|a, b| a.direct_reclaim_possible == b.direct_reclaim_possible);
        let fields = 3
            + [
                gfp,
                bits,
                task,
                depth,
                direct,
                f.nested_fs_reclaim,
                f.returned,
            ]
            .iter()
            .filter(|&&x| x)
            .count()
            + [
                f.note.is_some(),
                f.kb.is_some(),
                f.file.is_some(),
                f.line.is_some(),
            ]
            .iter()
            .filter(|&&x| x)
            .count();
        let mut st = s.serialize_struct("WalkFrame", fields)?;
        st.serialize_field("function", &f.function)?;
        st.serialize_field("inlined", &f.inlined)?;
        if f.returned {
            st.serialize_field("returned", &true)?;
        }
        if gfp {
            st.serialize_field("gfp", &f.gfp)?;
        }
        if bits {
            st.serialize_field("gfp_bits", &f.gfp_bits)?;
        }
        if task {
            st.serialize_field("task_flags", &f.task_flags)?;
        }
        if depth {
            st.serialize_field("fs_reclaim_depth", &f.fs_reclaim_depth)?;
        }
        if direct {
            st.serialize_field("direct_reclaim_possible", &f.direct_reclaim_possible)?;
        }
        if let Some(n) = &f.note {
            st.serialize_field("note", n)?;
        }
        if let Some(k) = &f.kb {
            st.serialize_field("kb", k)?;
        }
        st.serialize_field("source_line", &f.source_line)?;
        if let Some(file) = &f.file {
            st.serialize_field("file", file)?;
        }
        if let Some(line) = &f.line {
            st.serialize_field("line", line)?;
        }
        if f.nested_fs_reclaim {
            st.serialize_field("nested_fs_reclaim", &true)?;
        }
        st.end()
    }
}

/// Where a walk's inlined callees came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InlineSource {
    /// Every frame carries its source line (`--vmlinux`, or a symbolized
    /// log): the trace's own `[inline]` frames are the real chain and the
    /// knowledge base's inlining guesses were not used.
    DebugInfo,
    /// No frame carries a source line: inlined callees, where the
    /// knowledge base knows them, were restored from it.
    KnowledgeBase,
    /// Some frames have source lines (real chain after them), others not
    /// (knowledge-base guesses after those).
    Mixed,
}

/// The gfp as far as the walk knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gfp {
    Known(GfpMask),
    /// A mask the walk cannot see (the caller's, the mapping's, ...) plus
    /// bits known set / known clear.
    Unknown {
        origin: GfpOrigin,
        set: u32,
        clear: u32,
    },
}

impl Gfp {
    /// The walk's starting point: whatever the caller passed.
    const CALLER: Gfp = Gfp::Unknown {
        origin: GfpOrigin::Caller,
        set: 0,
        clear: 0,
    };
}

struct State {
    gfp: Gfp,
    task: TaskFlags,
    depth: u32,
}

/// Options of a walk.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions<'a> {
    /// The knowledge base whose entries the walk applies (the built-in one,
    /// plus `--kb` files).
    pub kb: &'a KnowledgeBase,
    /// `--kernel`: overrides the report's version.
    pub kernel: Option<KernelVersion>,
}

impl Default for WalkOptions<'_> {
    fn default() -> Self {
        WalkOptions {
            kb: KnowledgeBase::builtin(),
            kernel: None,
        }
    }
}

/// Where the version of a walk's rules came from (JSON `report`,
/// `--kernel`, `newest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RulesFrom {
    /// The release the report prints.
    #[serde(rename = "report")]
    Report,
    /// The `--kernel` option ([`WalkOptions::kernel`]).
    #[serde(rename = "--kernel")]
    Kernel,
    /// Neither was available: the newest rules.
    #[serde(rename = "newest")]
    Newest,
}

impl RulesFrom {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            RulesFrom::Report => "report",
            RulesFrom::Kernel => "--kernel",
            RulesFrom::Newest => "newest",
        }
    }
}

impl std::fmt::Display for RulesFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version whose rules apply to `r`, and where it came from.
pub fn rules_for(r: &Report, opts: &WalkOptions<'_>) -> (KernelVersion, RulesFrom) {
    if let Some(v) = opts.kernel {
        return (v, RulesFrom::Kernel);
    }
    if let Some(v) = r.kernel.as_ref().and_then(|k| k.version()) {
        return (v, RulesFrom::Report);
    }
    let l = GfpLayout::newest();
    (l.last_verified().unwrap_or(l.since()), RulesFrom::Newest)
}

struct Walker<'a> {
    kb: &'a KnowledgeBase,
    v: KernelVersion,
    layout: &'static GfpLayout,
}

impl Walker<'_> {
    fn parse(&self, expr: &str) -> Option<GfpMask> {
        self.layout.parse(expr).ok()
    }

    fn show(&self, g: Gfp) -> (CompactString, Option<u32>) {
        match g {
            Gfp::Known(m) => {
                let s = m.decode();
                (
                    if s.is_empty() {
                        CompactString::const_new("0")
                    } else {
                        CompactString::from(s)
                    },
                    Some(m.bits()),
                )
            }
            Gfp::Unknown { origin, set, clear } => {
                // Inline up to 24 bytes: the common unchanged case costs
                // no allocation.
                let mut s = CompactString::const_new(origin.label());
                if set != 0 {
                    s.push('|');
                    s.push_str(&self.layout.decode(set));
                }
                if clear != 0 {
                    s.push_str(" & ~(");
                    s.push_str(&self.layout.decode(clear));
                    s.push(')');
                }
                (s, None)
            }
        }
    }

    /// Whether direct reclaim is possible: decided by PF_MEMALLOC whatever
    /// the mask, else by the mask when it is known enough.
    fn direct_reclaim(&self, st: &State) -> Option<bool> {
        if st.task.contains(TaskFlag::Memalloc) {
            return Some(false);
        }
        match st.gfp {
            Gfp::Known(m) => Some(task::direct_reclaim_possible(m, st.task, self.v)),
            // Only a known-cleared __GFP_DIRECT_RECLAIM decides it.
            Gfp::Unknown { clear, .. } => {
                let dr = self.layout.direct_reclaim_bit();
                (dr != 0 && clear & dr != 0).then_some(false)
            }
        }
    }

    fn task_flag(name: &str) -> Option<TaskFlag> {
        TaskFlag::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Apply an entry's effects for the frame `function` (the entry's name
    /// or one of its aliases); returns the note.
    fn apply(
        &self,
        e: &FnEntry,
        function: &str,
        st: &mut State,
        nested: &mut bool,
        step: &mut FsReclaimStep,
    ) -> Option<String> {
        let mut notes: Vec<String> = Vec::new();
        if let Some(expr) = &e.gfp_set {
            if let Some(m) = self.parse(expr) {
                st.gfp = Gfp::Known(m);
                let verb = if e.gfp_for_reclaim {
                    "reclaims with"
                } else {
                    "allocates with"
                };
                notes.push(format!("{verb} {expr}"));
            }
        }
        if let Some(origin) = e.gfp_origin.filter(|&o| {
            // A boundary met again (submit_bh -> submit_bio) says nothing new.
            st.gfp
                != Gfp::Unknown {
                    origin: o,
                    set: 0,
                    clear: 0,
                }
                || o != GfpOrigin::Caller
        }) {
            st.gfp = Gfp::Unknown {
                origin,
                set: 0,
                clear: 0,
            };
            let from = e.gfp_from.as_deref().unwrap_or(origin.label());
            notes.push(match origin {
                // A boundary: what is below no longer sees the mask above.
                GfpOrigin::Caller => format!("passes no gfp on ({from})"),
                _ => format!("allocates with the {} ({from})", origin.label()),
            });
        }
        if let (Some(expr), Gfp::Unknown { set, clear, .. }) = (&e.gfp_default, st.gfp) {
            if let Some(m) = self.parse(expr) {
                let bits = (m.bits() | set) & !clear;
                st.gfp = Gfp::Known(GfpMask::with_layout(bits, self.layout));
                let why = e.gfp_from.as_deref().unwrap_or("the usual value");
                notes.push(format!("assumes {expr} ({why})"));
            }
        }
        if let Some(expr) = &e.gfp_or {
            if let Some(m) = self.parse(expr) {
                st.gfp = match st.gfp {
                    Gfp::Known(g) => {
                        Gfp::Known(GfpMask::with_layout(g.bits() | m.bits(), self.layout))
                    }
                    Gfp::Unknown { origin, set, clear } => Gfp::Unknown {
                        origin,
                        set: set | m.bits(),
                        clear: clear & !m.bits(),
                    },
                };
                notes.push(format!("adds {expr}"));
            }
        }
        if let Some(expr) = &e.gfp_clear {
            if let Some(m) = self.parse(expr) {
                st.gfp = match st.gfp {
                    Gfp::Known(g) => {
                        Gfp::Known(GfpMask::with_layout(g.bits() & !m.bits(), self.layout))
                    }
                    Gfp::Unknown { origin, set, clear } => Gfp::Unknown {
                        origin,
                        set: set & !m.bits(),
                        clear: clear | m.bits(),
                    },
                };
                notes.push(format!("clears {expr}"));
            }
        }
        let apply_task = |st: &mut State, notes: &mut Vec<String>| {
            for f in e.task_set.iter().filter_map(|n| Self::task_flag(n)) {
                if !st.task.contains(f) {
                    st.task.insert(f);
                    notes.push(format!("sets {}", f.name()));
                }
            }
            for f in e.task_clear.iter().filter_map(|n| Self::task_flag(n)) {
                if st.task.contains(f) {
                    st.task.remove(f);
                    notes.push(format!("clears {}", f.name()));
                }
            }
        };
        // Within one entry fs_reclaim is decided before the entry's task
        // flags change (4.18+ __perform_reclaim: fs_reclaim_acquire, then
        // memalloc_noreclaim_save). Entries where the order is the other
        // way restore the acquire as a separate inline step.
        match e.fs_reclaim {
            Some(FsReclaimOp::AcquireAlways) => {
                *nested = st.depth > 0;
                *step = FsReclaimStep::Taken;
                st.depth += 1;
                notes.push("takes fs_reclaim unconditionally".to_string());
            }
            Some(FsReclaimOp::Acquire) => match st.gfp {
                Gfp::Known(m) => {
                    let ann = task::reclaim_annotation(m, st.task, self.v);
                    if ann.fs_reclaim {
                        *nested = st.depth > 0;
                        *step = FsReclaimStep::Taken;
                        st.depth += 1;
                        let why = if st.task.contains(TaskFlag::Memalloc) && m.no_memalloc() {
                            " (__need_fs_reclaim() is true: __GFP_NOMEMALLOC defeats its PF_MEMALLOC test)"
                        } else {
                            " (__need_fs_reclaim() is true)"
                        };
                        notes.push(format!(
                            "takes fs_reclaim{}{why}",
                            if *nested { " again, nested" } else { "" }
                        ));
                    } else {
                        let why = ann
                            .skipped
                            .map(|s| s.describe_for(m))
                            .unwrap_or("the mask cannot reclaim");
                        *step = FsReclaimStep::Skipped;
                        notes.push(format!("fs_reclaim not taken: {why}"));
                    }
                }
                Gfp::Unknown { origin, .. } => {
                    if st.task.contains(TaskFlag::Memalloc)
                        && lockdep_memalloc_always_exempt(self.v)
                    {
                        *step = FsReclaimStep::Skipped;
                        notes.push("fs_reclaim not taken: PF_MEMALLOC".to_string());
                    } else {
                        *step = FsReclaimStep::Undecided;
                        notes.push(format!(
                            "takes fs_reclaim if the {} allows FS reclaim",
                            origin.label()
                        ));
                    }
                }
            },
            Some(FsReclaimOp::Release) => {
                *step = FsReclaimStep::Released;
                st.depth = st.depth.saturating_sub(1);
                notes.push("releases fs_reclaim".to_string());
            }
            None => {}
        }
        apply_task(st, &mut notes);
        if e.scope_from_gfp {
            match st.gfp {
                Gfp::Known(m) if !m.may_enter_fs() => {
                    let flag = if m.may_do_io() {
                        TaskFlag::MemallocNofs
                    } else {
                        TaskFlag::MemallocNoio
                    };
                    if !st.task.contains(flag) {
                        st.task.insert(flag);
                        notes.push(format!("enters the {} scope its mask implies", flag.name()));
                    }
                }
                Gfp::Known(_) => {}
                Gfp::Unknown { origin, .. } => notes.push(format!(
                    "enters a NOFS/NOIO scope if the {} lacks __GFP_FS/__GFP_IO",
                    origin.label()
                )),
            }
        }
        if e.direct_reclaim {
            notes.push("enters direct reclaim".to_string());
        }
        if notes.is_empty() {
            None
        } else {
            Some(format!("{function}: {}", notes.join(", ")))
        }
    }

    /// Apply the entry for `function` (if any) and record the frame.
    fn step(
        &self,
        out: &mut Vec<WalkFrame>,
        function: &str,
        inlined: bool,
        source_line: u64,
        st: &mut State,
    ) -> Option<&FnEntry> {
        self.step_at(out, function, inlined, source_line, None, st)
    }

    fn step_at(
        &self,
        out: &mut Vec<WalkFrame>,
        function: &str,
        inlined: bool,
        source_line: u64,
        at: Option<&Frame>,
        st: &mut State,
    ) -> Option<&FnEntry> {
        let entry = self.kb.lookup(function, Some(self.v));
        let mut nested = false;
        let mut fs_step = FsReclaimStep::Untouched;
        let note = entry.and_then(|e| self.apply(e, function, st, &mut nested, &mut fs_step));
        let (gfp, gfp_bits) = self.show(st.gfp);
        out.push(WalkFrame {
            function: CompactString::from(function),
            inlined,
            returned: false,
            gfp,
            gfp_bits,
            task_flags: st.task.iter().map(|f| f.name().to_string()).collect(),
            fs_reclaim_depth: st.depth,
            direct_reclaim_possible: self.direct_reclaim(st),
            note,
            kb: entry.map(|e| CompactString::from(e.origin.as_str())),
            source_line,
            file: at.and_then(|f| f.file.clone()),
            line: at.and_then(|f| f.line),
            nested_fs_reclaim: nested,
            fs_reclaim: fs_step,
            task: st.task,
        });
        entry
    }

    /// The walk of `frames` through the memo ([`memo`]).
    fn walk(&self, name: &str, stack: StackId, frames: &[Frame]) -> TraceWalk {
        memo::walk(self.kb.generation(), self.v, name, stack, frames, || {
            self.compute(name, stack, frames)
        })
    }

    fn compute(&self, name: &str, stack: StackId, frames: &[Frame]) -> memo::Computed {
        // 1 + the index in `frames` of each reliable frame.
        let reliable: Vec<(u32, &Frame)> = (1..).zip(frames).filter(|(_, f)| f.reliable).collect();
        let skipped = frames.len() - reliable.len();
        let mut origins = Vec::new();
        let mut st = State {
            gfp: Gfp::CALLER,
            task: TaskFlags::empty(),
            depth: 0,
        };
        let mut out = Vec::new();
        // Printed innermost first; walk outermost first.
        let outer_first: Vec<(u32, &Frame)> = reliable.into_iter().rev().collect();
        let (mut known, mut guessed) = (0usize, 0usize);
        for (i, &(origin, f)) in outer_first.iter().enumerate() {
            let entry = self.step_at(&mut out, &f.base, f.inline, f.source_line, Some(f), &mut st);
            origins.resize(out.len(), origin);
            if f.inline {
                continue;
            }
            // A symbolized frame's inlined callees are the trace's own
            // `[inline]` frames that follow it: nothing to guess.
            if f.file.is_some() {
                known += 1;
                continue;
            }
            guessed += 1;
            // Restore the callees the compiler inlined before the next frame.
            let next = outer_first
                .get(i + 1)
                .map(|(_, n)| n.base.as_str())
                .unwrap_or("");
            if let Some(path) = entry.and_then(|e| e.inline_to(next)) {
                // A helper the knowledge base knows only for other
                // releases is not restored: an entry's path may name one
                // (`might_alloc`, 5.1x+) that this version lacks.
                let exists =
                    |n: &&String| !self.kb.knows(n) || self.kb.lookup(n, Some(self.v)).is_some();
                for name in path.via.iter().filter(exists) {
                    self.step(&mut out, name, true, 0, &mut st);
                }
                // Calls that returned before `next`: their effects hold,
                // the frames are gone.
                for name in path.returned.iter().filter(exists) {
                    self.step(&mut out, name, false, 0, &mut st);
                    if let Some(last) = out.last_mut() {
                        last.returned = true;
                    }
                }
                // Restored callees stand for no frame of the stack.
                origins.resize(out.len(), 0);
            }
        }
        let walk = TraceWalk {
            trace: name.to_string(),
            stack,
            frames: out,
            skipped_unreliable: skipped,
            inlines: match (known, guessed) {
                (_, 0) if known > 0 => InlineSource::DebugInfo,
                (0, _) | (_, 0) => InlineSource::KnowledgeBase,
                _ => InlineSource::Mixed,
            },
        };
        memo::Computed { walk, origins }
    }
}

/// Kernels whose lockdep ignores every PF_MEMALLOC allocation (the 2018
/// fix); before it, `__GFP_NOMEMALLOC` re-enabled the annotation.
fn lockdep_memalloc_always_exempt(v: KernelVersion) -> bool {
    let probe = gfp::layout_for(Some(v));
    let Some(kernel) = probe.composite("GFP_KERNEL") else {
        return false;
    };
    let nomem = probe.value(GfpFlag::Nomemalloc).unwrap_or(0);
    let m = GfpMask::with_layout(kernel | nomem, probe);
    !task::need_fs_reclaim(m, TaskFlags::of(&[TaskFlag::Memalloc]), v)
}

/// Walk every stack of `r`: the final backtrace, each dependency-chain
/// stack and each saved trace.
pub fn walk_report(r: &Report, opts: &WalkOptions<'_>) -> (RulesUsed, Vec<TraceWalk>) {
    let (v, from) = rules_for(r, opts);
    let layout = gfp::layout_for(Some(v));
    let w = Walker {
        kb: opts.kb,
        v,
        layout,
    };
    let mut walks = Vec::new();
    if !r.backtrace.is_empty() {
        walks.push(w.walk("backtrace", StackId::Backtrace, &r.backtrace));
    }
    for e in &r.chain {
        if !e.stack.is_empty() {
            walks.push(w.walk(&e.stack_name(), StackId::Chain(e.index), &e.stack));
        }
    }
    for (i, t) in r.traces.iter().enumerate() {
        if !t.frames.is_empty() && t.origin != crate::model::TraceOrigin::FaultingPc {
            walks.push(w.walk(&t.name, StackId::Trace(i), &t.frames));
        }
    }
    (
        RulesUsed {
            version: v,
            from,
            layout: layout.range_label(),
        },
        walks,
    )
}

/// Apply one knowledge-base entry to a gfp expression, as its examples
/// describe: returns the gfp its callees see and whether it takes
/// fs_reclaim. Used by the tests that replay every entry's examples.
pub fn apply_entry(
    e: &FnEntry,
    v: KernelVersion,
    before: &str,
    task_before: TaskFlags,
) -> (String, TaskFlags, bool) {
    let layout = gfp::layout_for(Some(v));
    let w = Walker {
        kb: KnowledgeBase::builtin(),
        v,
        layout,
    };
    let gfp = if before == "caller" || before.is_empty() {
        Gfp::CALLER
    } else {
        match layout.parse(before) {
            Ok(m) => Gfp::Known(m),
            Err(_) => Gfp::CALLER,
        }
    };
    let mut st = State {
        gfp,
        task: task_before,
        depth: 0,
    };
    let mut nested = false;
    w.apply(
        e,
        &e.name,
        &mut st,
        &mut nested,
        &mut FsReclaimStep::Untouched,
    );
    (w.show(st.gfp).0.to_string(), st.task, st.depth > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(names: &[String]) -> TaskFlags {
        let mut f = TaskFlags::empty();
        for n in names {
            let flag = TaskFlag::ALL
                .into_iter()
                .find(|t| t.name() == n)
                .unwrap_or_else(|| panic!("unknown task flag {n}"));
            f.insert(flag);
        }
        f
    }

    const ORIGINS: [GfpOrigin; 3] = [GfpOrigin::Caller, GfpOrigin::Mapping, GfpOrigin::Fault];

    /// An example's `caller|BITS` / `mapping|BITS` form (BITS may be empty).
    fn split_origin(s: &str) -> Option<(GfpOrigin, &str)> {
        let (head, rest) = s.split_once('|').unwrap_or((s, ""));
        let o = ORIGINS.into_iter().find(|o| o.example_word() == head)?;
        Some((o, if rest.is_empty() { "0" } else { rest }))
    }

    /// The walk's `mapping's gfp|BITS` form.
    fn split_origin_label(s: &str) -> Option<(GfpOrigin, &str)> {
        let o = ORIGINS.into_iter().find(|o| s.starts_with(o.label()))?;
        let rest = s[o.label().len()..].trim_start_matches('|');
        Some((o, if rest.is_empty() { "0" } else { rest }))
    }

    /// Every knowledge-base entry's examples, replayed: the entry must hold
    /// for the example's version and turn `before` into `after`.
    #[test]
    fn every_kb_example_holds() {
        let kb = KnowledgeBase::builtin();
        let mut failures = Vec::new();
        let mut checked = 0;
        for e in kb.entries() {
            for ex in &e.example {
                checked += 1;
                let v: KernelVersion = match ex.kernel.parse() {
                    Ok(v) => v,
                    Err(err) => {
                        failures.push(format!("{}: {err}", e.name));
                        continue;
                    }
                };
                if !e.holds_for(Some(v)) {
                    failures.push(format!(
                        "{} ({}): example for {v} outside the entry's range",
                        e.name, e.origin
                    ));
                    continue;
                }
                let (after, task_after, took) =
                    apply_entry(e, v, &ex.before, flags(&ex.task_before));
                let layout = gfp::layout_for(Some(v));
                let want_ok = match split_origin(&ex.after) {
                    // `mapping|__GFP_NOWARN`: an unknown mask of that
                    // origin with exactly those bits known set.
                    Some((origin, bits)) => match split_origin_label(&after) {
                        Some((got, got_bits)) => {
                            got == origin
                                && match (layout.parse(bits), layout.parse(got_bits)) {
                                    (Ok(w), Ok(g)) => w.bits() == g.bits(),
                                    _ => false,
                                }
                        }
                        None => false,
                    },
                    None => match (layout.parse(&ex.after), layout.parse(&after)) {
                        (Ok(w), Ok(g)) => w.bits() == g.bits(),
                        _ => false,
                    },
                };
                if !want_ok {
                    failures.push(format!(
                        "{} ({}) on {v}: {} -> {after}, want {}",
                        e.name, e.origin, ex.before, ex.after
                    ));
                }
                if (!ex.task_after.is_empty() || !ex.task_before.is_empty())
                    && task_after != flags(&ex.task_after)
                {
                    {
                        failures.push(format!(
                            "{} on {v}: task flags {:?}, want {:?}",
                            e.name,
                            task_after.names(v),
                            ex.task_after
                        ));
                    }
                }
                if let Some(want) = ex.fs_reclaim {
                    if took != want {
                        failures.push(format!(
                            "{} on {v}: fs_reclaim taken {took}, want {want}",
                            e.name
                        ));
                    }
                }
            }
        }
        assert!(checked >= 60, "only {checked} examples");
        assert!(
            failures.is_empty(),
            "{} of {checked} examples fail:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
