//! The default text rendering: what a kernel developer reads first.
//!
//! Per report: a headline (kind, title, kernel, task), the verdict (class,
//! confidence, summary, fix), the lock cycle drawn as a chain with the
//! function behind each edge, the unsafe scenario, the held locks, then
//! the stacks: where the allocation-context walk learned something, caller
//! to callee with `// gfp_mask == ...` only where the state changes; every
//! other stack innermost first, as the log prints it. Noise is folded into
//! a count (`--full` shows it).
//! Wrapped to 80 columns by default; plain text, no tabs, no trailing
//! spaces, every input-derived string escaped — it survives mail.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::layout::{Doc, Style};
use crate::cycle::{self, cycle_edges};
use crate::escape;
use crate::kernel::frames::class_of;
use crate::model::{Frame, Lock, Report, ReportKind, Tainted};
use crate::walk::{RulesFrom, StackId, TraceWalk};
use crate::Analysis;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Column limit (every output line fits it).
    pub width: usize,
    /// Show unreliable and lockdep-internal frames instead of folding them.
    pub full: bool,
    /// Add the verdict's explanation, evidence and other rules.
    pub explain: bool,
    /// Prefix every line with `> ` for an inline mail reply.
    pub quote: bool,
    /// ANSI colour (terminals only).
    pub color: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            width: 80,
            full: false,
            explain: false,
            quote: false,
            color: false,
        }
    }
}

fn e(s: &str) -> String {
    escape::text(s).into_owned()
}

fn frame_str(f: &Frame) -> String {
    let mut s = e(&f.function);
    if let (Some(o), Some(z)) = (f.offset, f.size) {
        let _ = write!(s, "+{o:#x}/{z:#x}");
    }
    if let Some(m) = &f.module {
        let _ = write!(s, " [{}]", e(m));
    }
    push_location(&mut s, f.file.as_deref(), f.line);
    if f.inline {
        s.push_str(" [inline]");
    }
    s
}

/// ` file:line` after a frame, or ` file` when the line is unknown
/// (syzbot's `file.h:-1`).
fn push_location(s: &mut String, file: Option<&str>, line: Option<u32>) {
    match (file, line) {
        (Some(file), Some(line)) => {
            let _ = write!(s, " {}:{line}", e(file));
        }
        (Some(file), None) => {
            let _ = write!(s, " {}", e(file));
        }
        _ => {}
    }
}

/// A lockdep-internal frame of the trace, folded into a count. Callees the
/// knowledge base restored (input line 0) stay: they carry its notes.
fn folded(f: &crate::walk::WalkFrame) -> bool {
    !((f.inlined || f.returned) && f.source_line == 0) && class_of(&f.function).is_reporting()
}

fn lock_str(l: &Lock) -> String {
    let mut s = e(&l.class);
    if let Some(u) = &l.usage {
        let _ = write!(s, " {}", e(u));
    }
    if let Some(w) = l.wait {
        let _ = write!(s, "-{{{}:{}}}", w.outer, w.inner);
    }
    if let Some(at) = &l.at {
        let _ = write!(s, " at {}", frame_str(at));
    }
    s
}

fn headline(d: &mut Doc, r: &Report) {
    let (shown, with_title) = super::shown_title(r);
    d.line(Style::Headline, 0, format!("[{}] {}", r.kind, e(shown)));
    if with_title {
        d.line(Style::Plain, 2, format!("syzkaller title: {}", e(&r.title)));
    }
    let mut facts = Vec::new();
    if let Some(k) = &r.kernel {
        facts.push(format!("kernel {}", e(k)));
    }
    if let Some(t) = &r.task {
        facts.push(format!("task {}/{}", e(&t.comm), t.pid));
    }
    if let Some(c) = r.cpu {
        facts.push(format!("cpu {c}"));
    }
    if !facts.is_empty() {
        d.line(Style::Dim, 2, facts.join(", "));
    }
    d.line(
        Style::Dim,
        2,
        format!("{}:{}-{}", e(&r.source), r.line, r.end_line),
    );
    if let Some(t) = r.tainted.as_ref().and_then(Tainted::taint) {
        // The field on a line of its own keeps its columns; one line per flag.
        d.line(Style::Dim, 2, format!("Tainted: {}", e(&t.raw)));
        for f in &t.flags {
            let what = f.meaning.unwrap_or("a flag splatdec does not know");
            d.line(
                Style::Dim,
                4,
                format!("{}: {what}", e(&f.letter.to_string())),
            );
        }
    } else if let Some(t @ Tainted::Yes(None)) = &r.tainted {
        d.line(Style::Dim, 2, t.to_string());
    }
}

fn verdict(d: &mut Doc, a: &Analysis, explain: bool) {
    let v = &a.verdict;
    d.line(
        Style::Verdict(v.class),
        0,
        format!(
            "verdict: {} ({} confidence) [{}]",
            v.class.as_str().replace('_', " ").to_uppercase(),
            v.confidence.as_str(),
            v.rule
        ),
    );
    d.line(Style::Plain, 2, e(&v.summary));
    d.line(Style::Plain, 0, format!("fix: {}", e(&v.fix)));
    if let Some(k) = &a.known {
        known(d, k, v);
    }
    if explain {
        d.line(Style::Plain, 0, format!("why: {}", e(&v.explanation)));
        if !v.evidence.is_empty() {
            d.line(Style::Plain, 0, "evidence:");
            for x in &v.evidence {
                d.line(Style::Plain, 2, format!("- {}", e(x)));
            }
        }
        if v.rules.len() > 1 {
            let others: Vec<String> = v.rules[1..]
                .iter()
                .map(|h| format!("{} ({}, {})", h.rule, h.class, h.confidence.as_str()))
                .collect();
            d.line(
                Style::Plain,
                0,
                format!("also fired: {}", others.join(", ")),
            );
        }
        for r in &v.references {
            d.line(Style::Dim, 0, format!("see: {}", e(r)));
        }
    }
}

/// The known issue the report matches: what it is and its fix, whether the
/// report's kernel predates the fix, the lore link, and the entry's own
/// verdict when the classifier concluded otherwise.
fn known(d: &mut Doc, k: &crate::analysis::known::KnownMatch, v: &crate::classify::Verdict) {
    d.line(Style::Plain, 0, e(&k.headline()));
    d.line(Style::Plain, 2, format!("{}.", e(&k.kernel_note)));
    if !k.raised_verdict && v.class != k.verdict {
        d.line(
            Style::Plain,
            2,
            format!(
                "upstream resolved it as {}; the classifier's rule {} says {}",
                k.verdict,
                e(&v.rule),
                v.class
            ),
        );
    }
    d.line(Style::Dim, 2, format!("see: {}", e(&k.lore)));
}

fn status(d: &mut Doc, r: &Report) {
    let s = match (r.complete, r.damaged()) {
        (true, false) if r.corrupted => {
            "status: complete (syzkaller flags it corrupted: its title rule finds no frame)"
        }
        (true, false) => return,
        (true, true) => "status: complete but damaged",
        (false, false) => "status: INCOMPLETE",
        (false, true) => "status: INCOMPLETE and damaged",
    };
    d.line(Style::Plain, 0, s);
    for p in &r.problems {
        d.line(Style::Plain, 2, format!("- {}", e(&p.to_string())));
    }
}

fn locks(d: &mut Doc, r: &Report) {
    if let Some(m) = &r.message {
        d.line(Style::Plain, 0, format!("message: {}", e(m)));
    }
    if let Some(w) = &r.warning_at {
        d.line(Style::Plain, 0, format!("warning at: {}", e(w)));
    }
    if let Some(u) = &r.usage_transition {
        d.line(
            Style::Plain,
            0,
            format!("usage: {{{}}} -> {{{}}}", e(&u.from), e(&u.to)),
        );
    }
    // Each lock under the role the report gives it (README, JSON fields).
    let acquiring_label = r.kind.row().acquiring_label;
    if let Some(l) = &r.acquiring {
        d.line(
            Style::Plain,
            0,
            format!("{acquiring_label}: {}", lock_str(l)),
        );
    }
    if let Some(l) = &r.releasing {
        d.line(
            Style::Plain,
            0,
            format!(
                "releasing: {} (lockdep matched none of the locks the task holds)",
                lock_str(l)
            ),
        );
    }
    if let Some(l) = &r.holding {
        let label = r.kind.row().holding_label;
        d.line(Style::Plain, 0, format!("{label}: {}", lock_str(l)));
    }
    if let Some(l) = &r.nest_lock {
        d.line(
            Style::Plain,
            0,
            format!("nest lock, not held: {}", lock_str(l)),
        );
    }
    match (&r.irq_inversion, r.other_locks.as_slice()) {
        (Some(inv), [other, ..]) => {
            let how = if inv.this_took_other {
                "it took in the past"
            } else {
                "it was taken under in the past"
            };
            d.line(
                Style::Plain,
                0,
                format!(
                    "{how}: {} ({}, not held now)",
                    lock_str(other),
                    e(&inv.other_state)
                ),
            );
        }
        (None, [safe, unsafe_]) if r.kind == ReportKind::IrqSafeUnsafeOrder => {
            d.line(Style::Plain, 0, format!("irq-safe:   {}", lock_str(safe)));
            d.line(
                Style::Plain,
                0,
                format!("irq-unsafe: {}", lock_str(unsafe_)),
            );
        }
        _ => {}
    }
    if let Some(w) = r.wait_context {
        d.line(
            Style::Plain,
            0,
            format!("context: {{{}:{}}}", w.outer, w.inner),
        );
    }
    if let Some(s) = &r.atomic_sleep {
        let mut parts = Vec::new();
        if let Some(at) = &s.at {
            parts.push(format!("at {}", e(at)));
        }
        if let Some(v) = s.in_atomic {
            parts.push(format!("in_atomic {v}"));
        }
        if let Some(v) = s.irqs_disabled {
            parts.push(format!("irqs_disabled {v}"));
        }
        if let Some(v) = s.non_block {
            parts.push(format!("non_block {v}"));
        }
        if let Some(v) = &s.preempt_count {
            match &s.expected_preempt_count {
                Some(x) => parts.push(format!("preempt_count {} (expected {})", e(v), e(x))),
                None => parts.push(format!("preempt_count {}", e(v))),
            }
        }
        if let Some(v) = s.rcu_nest_depth {
            match s.rcu_nest_expected {
                Some(x) => parts.push(format!("RCU nest depth {v} (expected {x})")),
                None => parts.push(format!("RCU nest depth {v}")),
            }
        }
        d.line(Style::Plain, 0, format!("sleeping: {}", parts.join(", ")));
        if let Some(f) = &s.preemption_disabled_at {
            d.line(
                Style::Plain,
                2,
                format!("preemption disabled at {}", frame_str(f)),
            );
        }
    }
}

fn cycle(d: &mut Doc, r: &Report) {
    use crate::kind::Cycle;
    let edges = cycle_edges(r);
    let heading = match r.kind.row().cycle {
        Cycle::DependencyChain => "lock cycle:",
        Cycle::Dept => "dependency cycle (each class's event waits for the next):",
        Cycle::IrqInversion | Cycle::HeldToAcquiring => return,
    };
    if edges.is_empty() {
        return;
    }
    let mut chain: Vec<String> = edges.iter().map(|x| e(&x.from)).collect();
    if let Some(last) = edges.last() {
        chain.push(e(&last.to));
    }
    d.blank();
    d.line(Style::Heading, 0, heading);
    d.line(Style::Plain, 2, chain.join(" --> "));
    for x in &edges {
        let via = x.via.as_deref().map(e).unwrap_or_else(|| "?".to_string());
        d.line(
            Style::Plain,
            4,
            format!("{} --> {}  by {} ({})", e(&x.from), e(&x.to), via, x.stack),
        );
    }
}

/// What the names of the report's own locks say: `#N` numbered classes
/// and names from shared init helpers are where aliasing (one class for
/// different objects) comes from, so they are pointed out.
fn class_notes(d: &mut Doc, r: &Report) {
    use crate::kernel::locks::{key_number, shared_init};
    let mut seen: Vec<&str> = Vec::new();
    let classes = r
        .acquiring
        .iter()
        .chain(&r.holding)
        .chain(&r.releasing)
        .chain(&r.nest_lock)
        .chain(&r.other_locks)
        .chain(r.chain.iter().map(|c| &c.lock))
        .map(|l| l.class.as_str());
    let mut notes = Vec::new();
    for c in classes {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        if let Some(n) = key_number(c) {
            let base = &c[..c.len() - n.to_string().len() - 1];
            notes.push(format!(
                "{}: #{n} tells apart several classes named {} (one per lock class key); only the same number is the same class",
                e(c),
                e(base)
            ));
        }
        if let Some(what) = shared_init(c) {
            notes.push(format!("{}: {what}", e(c)));
        }
    }
    if notes.is_empty() {
        return;
    }
    d.blank();
    d.line(Style::Heading, 0, "lock class names:");
    for n in notes {
        d.line(Style::Plain, 2, format!("- {n}"));
    }
}

/// The unsafe scenario as lockdep's table: one column per CPU. A step
/// that would not fit its column on one line (a long lock name) cannot be
/// wrapped without losing the column, so then every step is printed on
/// its own line labelled with its CPU instead. `width` sets the columns,
/// `room` is what a line may take once quoted.
fn scenario(d: &mut Doc, r: &Report, width: usize, room: usize) {
    let Some(s) = &r.scenario else { return };
    if s.steps.is_empty() {
        return;
    }
    let cols = s.cpus.len().max(1);
    let colw = ((width.saturating_sub(4)) / cols).max(12);
    d.blank();
    d.line(Style::Heading, 0, "unsafe scenario:");
    let text = |st: &crate::model::ScenarioStep| match (&st.lock, st.action.as_str()) {
        (_, "interrupt") => "<Interrupt>".to_string(),
        (Some(l), a) => format!("{a}({});", e(l)),
        (None, a) => format!("{a}();"),
    };
    let col = |st: &crate::model::ScenarioStep| st.cpu.min(cols - 1);
    let fits = s
        .steps
        .iter()
        .filter(|st| col(st) > 0)
        .all(|st| 2 + col(st) * colw + text(st).chars().count() <= room);
    if !fits {
        // Steps after a CPU's `<Interrupt>` run in that interrupt: nested
        // under it, as lockdep prints them.
        let mut in_irq = vec![false; cols];
        for st in &s.steps {
            let cpu = s
                .cpus
                .get(st.cpu)
                .map(|c| e(c))
                .unwrap_or_else(|| format!("CPU{}", st.cpu));
            let nest = if in_irq[col(st)] { "  " } else { "" };
            d.line(Style::Plain, 2, format!("{cpu}: {nest}{}", text(st)));
            if st.action == "interrupt" {
                in_irq[col(st)] = true;
            }
        }
        return;
    }
    let header: String = s
        .cpus
        .iter()
        .map(|c| format!("{:<colw$}", e(c)))
        .collect::<String>();
    d.line(Style::Plain, 2, header.trim_end().to_string());
    for st in &s.steps {
        let pad = " ".repeat(col(st) * colw);
        d.line(Style::Plain, 2, format!("{pad}{}", text(st)));
    }
}

/// The columns a line has once `Doc::finish` applied its width and quote
/// prefix.
fn room(opts: &TextOptions) -> usize {
    opts.width.max(20) - if opts.quote { 2 } else { 0 }
}

fn held(d: &mut Doc, r: &Report) {
    for h in &r.held_lock_lists {
        let who = h
            .task
            .as_ref()
            .map(|t| format!("{}/{}", e(&t.comm), t.pid))
            .unwrap_or_else(|| "?".to_string());
        d.blank();
        let from = h
            .from_dump
            .map(|l| format!(" (from the all-locks dump of the report at line {l})"))
            .unwrap_or_default();
        d.line(
            Style::Heading,
            0,
            format!(
                "{} lock(s) held by {who}{from}:",
                h.count.unwrap_or(h.locks.len() as u32)
            ),
        );
        for l in &h.locks {
            d.line(
                Style::Plain,
                2,
                format!("#{}: {}", l.index.unwrap_or(0), lock_str(l)),
            );
        }
    }
    if r.lockdep_off {
        d.line(
            Style::Plain,
            0,
            "lockdep was turned off: held locks were not printed",
        );
    }
}

/// Did the walk learn anything on this stack: a frame that sets or
/// restricts the gfp, changes task flags, takes fs_reclaim, or carries a
/// note? A walk that only carried "the caller's gfp" down says nothing.
fn walk_says_something(w: &TraceWalk) -> bool {
    w.frames.iter().any(|f| {
        f.note.is_some()
            || f.gfp != CALLERS_GFP
            || !f.task_flags.is_empty()
            || f.fs_reclaim_depth != 0
    })
}

/// The walk's name for a gfp nothing in the stack fixes.
const CALLERS_GFP: &str = "caller's gfp";

/// One stack. When the allocation-context walk found something, it is
/// shown caller to callee (outermost first, as one reads an allocation
/// path down) with an annotation only where the state changes or is
/// decided; every other stack is shown in the log's own order, innermost
/// first. `--full` adds every frame as printed.
fn stack(d: &mut Doc, title: &str, frames: &[Frame], walk: Option<&TraceWalk>, full: bool) {
    if frames.is_empty() {
        return;
    }
    d.blank();
    if full {
        d.line(
            Style::Heading,
            0,
            format!("{title} (as printed, innermost first):"),
        );
        for f in frames {
            let mark = if f.reliable { "" } else { "? " };
            d.line(Style::Plain, 2, format!("{mark}{}", frame_str(f)));
        }
    }
    let Some(w) = walk.filter(|w| walk_says_something(w)) else {
        if !full {
            let shown: Vec<&Frame> = frames.iter().filter(|f| !cycle::is_noise(f)).collect();
            let hidden = frames.len() - shown.len();
            d.line(Style::Heading, 0, format!("{title} (innermost first):"));
            for f in shown {
                d.line(Style::Plain, 2, frame_str(f));
            }
            if hidden > 0 {
                d.line(
                    Style::Dim,
                    2,
                    format!("({hidden} unreliable or lockdep frames folded; --full shows them)"),
                );
            }
        }
        return;
    };
    let internal = w.frames.iter().filter(|f| folded(f)).count();
    let hidden = w.skipped_unreliable + internal;
    d.line(
        Style::Heading,
        0,
        format!("{title} (allocation context, caller to callee: outermost first):"),
    );
    // The walk starts from the caller's gfp and no task flags: say nothing
    // until that changes.
    let mut last_gfp = compact_str::CompactString::const_new(CALLERS_GFP);
    let mut last_flags: Vec<String> = Vec::new();
    let mut last_depth = 0;
    for f in &w.frames {
        if folded(f) {
            continue;
        }
        let mut text = e(&f.function);
        push_location(&mut text, f.file.as_deref(), f.line);
        if f.inlined {
            text.push_str(" (inlined)");
        } else if f.returned {
            text.push_str(" (called, returned)");
        }
        let mut notes = Vec::new();
        if f.gfp != last_gfp {
            notes.push(format!("gfp_mask == {}", e(&f.gfp)));
            last_gfp = f.gfp.clone();
        }
        if f.task_flags != last_flags {
            notes.push(if f.task_flags.is_empty() {
                "task flags cleared".to_string()
            } else {
                format!("task {}", f.task_flags.join("|"))
            });
            last_flags = f.task_flags.clone();
        }
        if f.fs_reclaim_depth != last_depth {
            notes.push(format!("fs_reclaim held x{}", f.fs_reclaim_depth));
            last_depth = f.fs_reclaim_depth;
        }
        if !notes.is_empty() {
            let _ = write!(text, "  // {}", notes.join("; "));
        }
        d.line(Style::Plain, 2, text);
        if let Some(n) = &f.note {
            let mark = if f.nested_fs_reclaim { "!! " } else { "" };
            d.line(Style::Annotation, 6, format!("{mark}{}", e(n)));
        }
    }
    if hidden > 0 && !full {
        d.line(
            Style::Dim,
            2,
            format!(
                "({} unreliable and {} lockdep/stack-dump frames folded; --full shows them)",
                w.skipped_unreliable, internal
            ),
        );
    }
}

/// A hung task's blocker and its likely owner.
fn blocker(d: &mut Doc, r: &Report) {
    let Some(b) = &r.blocked_on else { return };
    let who = |t: &Option<crate::model::Task>, role: &Option<String>| {
        let mut s = t
            .as_ref()
            .map_or_else(|| "?".to_string(), |t| format!("{}/{}", e(&t.comm), t.pid));
        if let Some(r) = role {
            s.push_str(&format!(" (as {})", e(r)));
        }
        s
    };
    let article = if b.lock.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let owner = match &b.owner {
        None => "the owner is not found".to_string(),
        Some(_) if b.last_holder => format!("likely last held by {}", who(&b.owner, &b.owner_role)),
        Some(_) => format!("likely owned by {}", who(&b.owner, &b.owner_role)),
    };
    d.blank();
    d.line(
        Style::Plain,
        0,
        format!(
            "blocked on: {article} {}{}, {owner}",
            e(&b.lock),
            b.role
                .as_ref()
                .map(|r| format!(" (as {})", e(r)))
                .unwrap_or_default()
        ),
    );
}

/// A DEPT report's contexts: the summary's diagram, one context a block.
fn dept_contexts(d: &mut Doc, r: &Report) {
    let Some(dept) = &r.dept else { return };
    if !dept.event_sites.is_empty() {
        d.blank();
        d.line(Style::Heading, 0, "event-site recover dependencies:");
        for s in &dept.event_sites {
            d.line(Style::Plain, 2, format!("{} -> {}", e(&s.from), e(&s.to)));
        }
    }
    if dept.contexts.is_empty() {
        return;
    }
    d.blank();
    let what = if dept.deadlock.is_empty() {
        String::new()
    } else {
        format!(" ({})", e(&dept.deadlock))
    };
    d.line(Style::Heading, 0, format!("contexts{what}:"));
    for c in &dept.contexts {
        let irqs = if c.irqs.is_empty() {
            String::new()
        } else {
            format!(", the wait in {} context", e(&c.irqs.join(" or ")))
        };
        d.line(Style::Plain, 2, format!("context {}{irqs}", e(&c.name)));
        for (tag, st, role) in dept_steps(c) {
            d.line(
                Style::Plain,
                4,
                format!("{tag} {}  {role}", e(&dept_step(st))),
            );
        }
    }
}

fn dept_steps(
    c: &crate::model::DeptContext,
) -> [(&'static str, &crate::model::DeptStep, &'static str); 3] {
    [
        ("[S]", &c.start, "start of the event context"),
        ("[W]", &c.wait, "the wait blocked"),
        ("[E]", &c.event, "the event not reachable"),
    ]
}

fn dept_step(st: &crate::model::DeptStep) -> String {
    format!("{}({}:{})", st.function, st.class, st.subclass)
}

fn stacks(d: &mut Doc, a: &Analysis, full: bool) {
    let r = &a.report;
    let walk = |id: StackId| a.gfp_walk.iter().find(|w| w.stack == id);
    // DEPT: each context's sites and stacks, each a stack of its own.
    for c in r.dept.iter().flat_map(|x| &x.contexts) {
        if let Some(s) = &c.irq_enabled {
            let name = format!(
                "context {}: {} enabled",
                c.name,
                c.irqs.first().map_or("irq", |i| i.as_str())
            );
            dept_stack(d, &name, s.at.as_slice(), &s.stack, full);
        }
        for (tag, st, _) in dept_steps(c) {
            let name = format!("context {} {tag} {}", c.name, dept_step(st));
            dept_stack(d, &name, &st.at, &st.stack, full);
        }
    }
    for entry in &r.chain {
        stack(
            d,
            &e(&entry.stack_name()),
            &entry.stack,
            walk(StackId::Chain(entry.index)),
            full,
        );
    }
    for (i, t) in r.traces.iter().enumerate() {
        if t.origin == crate::model::TraceOrigin::FaultingPc {
            continue;
        }
        stack(d, &e(&t.name), &t.frames, walk(StackId::Trace(i)), full);
    }
    stack(d, "backtrace", &r.backtrace, walk(StackId::Backtrace), full);
    if let Some(b) = &r.blocked_on {
        if let Some(o) = &b.owner {
            let name = format!("stack of the likely owner {}/{}", o.comm, o.pid);
            stack(d, &e(&name), &b.owner_stack, None, full);
        }
    }
}

/// One DEPT site and stack: the stack under the step's name, the site in
/// it when the stack was not saved.
fn dept_stack(d: &mut Doc, name: &str, at: &[Frame], frames: &[Frame], full: bool) {
    if frames.is_empty() && at.is_empty() {
        return;
    }
    let site = at
        .iter()
        .rev()
        .find(|f| !f.inline)
        .or(at.last())
        .map(|f| format!(" at {}", frame_str(f)))
        .unwrap_or_default();
    let title = format!("{}{site}", e(name));
    if frames.is_empty() {
        d.blank();
        d.line(Style::Heading, 0, format!("{title} (no stack saved)"));
        return;
    }
    stack(d, &title, frames, None, full);
}

/// Render one analysed report.
pub fn render(a: &Analysis, opts: &TextOptions) -> String {
    let mut d = Doc::new();
    headline(&mut d, &a.report);
    verdict(&mut d, a, opts.explain);
    status(&mut d, &a.report);
    d.blank();
    locks(&mut d, &a.report);
    cycle(&mut d, &a.report);
    dept_contexts(&mut d, &a.report);
    blocker(&mut d, &a.report);
    class_notes(&mut d, &a.report);
    scenario(&mut d, &a.report, opts.width, room(opts));
    held(&mut d, &a.report);
    if a.gfp_walk
        .iter()
        .any(|w| w.frames.iter().any(|f| f.note.is_some()))
    {
        d.blank();
        d.line(
            Style::Dim,
            0,
            format!(
                "allocation context: rules of {} (from {}), gfp layout {}",
                a.walk_rules.version,
                match a.walk_rules.from {
                    RulesFrom::Report => "the report",
                    RulesFrom::Kernel => "--kernel",
                    RulesFrom::Newest => "nothing: newest rules",
                },
                a.walk_rules.layout
            ),
        );
    }
    stacks(&mut d, a, opts.full);
    let r = &a.report;
    if !r.unparsed.is_empty() || !r.interleaved.is_empty() || !r.joined.is_empty() {
        d.blank();
        if !r.joined.is_empty() {
            d.line(Style::Dim, 0, joined_summary(&r.joined));
        }
        if !r.unparsed.is_empty() {
            d.line(
                Style::Dim,
                0,
                format!(
                    "{} line(s) inside the report not understood (kept in JSON `unparsed`)",
                    r.unparsed.len()
                ),
            );
        }
        if !r.interleaved.is_empty() {
            d.line(
                Style::Dim,
                0,
                format!(
                    "{} line(s) of other tasks set aside (JSON `interleaved`)",
                    r.interleaved.len()
                ),
            );
        }
    }
    d.finish(opts.width, opts.quote, opts.color)
}

/// `rejoined wrapped lines: 6+7, 16+17..21 (JSON `joined`)`: each joined
/// line as its first line and the lines appended to it.
fn joined_summary(pairs: &[[u64; 2]]) -> String {
    let mut groups: Vec<(u64, u64, u64)> = Vec::new();
    for &[first, next] in pairs {
        match groups.last_mut() {
            Some(g) if g.0 == first => g.2 = next,
            _ => groups.push((first, next, next)),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|&(first, lo, hi)| {
            if lo == hi {
                format!("{first}+{lo}")
            } else {
                format!("{first}+{lo}..{hi}")
            }
        })
        .collect();
    format!(
        "rejoined wrapped lines {} (JSON `joined`)",
        parts.join(", ")
    )
}

/// Default rendering (80 columns, no colour).
pub fn analysis(a: &Analysis) -> String {
    render(a, &TextOptions::default())
}

/// Default rendering, with the verdict's explanation when `explain` is set.
pub fn analysis_with(a: &Analysis, explain: bool) -> String {
    render(
        a,
        &TextOptions {
            explain,
            ..TextOptions::default()
        },
    )
}

/// A parsed report alone (no walk, no verdict): headline, status, locks,
/// cycle, scenario, held locks and its stacks, for library users that only
/// parse.
pub fn summary(r: &Report) -> String {
    let opts = TextOptions::default();
    let mut d = Doc::new();
    headline(&mut d, r);
    status(&mut d, r);
    d.blank();
    locks(&mut d, r);
    cycle(&mut d, r);
    scenario(&mut d, r, opts.width, room(&opts));
    held(&mut d, r);
    for entry in &r.chain {
        stack(&mut d, &e(&entry.stack_name()), &entry.stack, None, false);
    }
    stack(&mut d, "backtrace", &r.backtrace, None, false);
    d.finish(opts.width, false, false)
}

/// Write several analyses separated by blank lines.
pub fn write_analyses(out: &mut dyn Write, items: &[Analysis]) -> io::Result<()> {
    write_analyses_with(out, items, &TextOptions::default())
}

/// As [`write_analyses`] with options.
pub fn write_analyses_with(
    out: &mut dyn Write,
    items: &[Analysis],
    opts: &TextOptions,
) -> io::Result<()> {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(if opts.quote { b">\n" } else { b"\n" })?;
        }
        out.write_all(render(a, opts).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod scenario_tests {
    use super::*;

    fn report(cpu1_lock: &str) -> Report {
        let text = format!(
            "\
======================================================
WARNING: possible circular locking dependency detected
5.5.0 #1 Not tainted
------------------------------------------------------
t/1 is trying to acquire lock:
ffff0001 (&a->lock){{+.+.}}, at: take_a+0x1/0x2

but task is already holding lock:
ffff0002 ({cpu1_lock}){{+.+.}}, at: take_b+0x1/0x2

which lock already depends on the new lock.

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&a->lock);
                               lock({cpu1_lock});
                               lock(&a->lock);
  lock({cpu1_lock});

 *** DEADLOCK ***

"
        );
        crate::decode_str(&text, "-").remove(0)
    }

    fn scenario_lines(r: &Report, width: usize, quote: bool) -> Vec<String> {
        let mut d = Doc::new();
        let opts = TextOptions {
            width,
            quote,
            ..TextOptions::default()
        };
        scenario(&mut d, r, opts.width, room(&opts));
        d.finish(width, quote, false)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The column a step starts in, counted without the quote prefix.
    fn start(line: &str) -> usize {
        let l = line.strip_prefix("> ").unwrap_or(line);
        l.len() - l.trim_start().len()
    }

    #[test]
    fn short_steps_keep_the_table() {
        let r = report("&b->lock");
        let lines = scenario_lines(&r, 80, false);
        assert_eq!(lines[1].trim(), format!("{:<38}CPU1", "CPU0"));
        assert_eq!(start(&lines[2]), 2, "{lines:?}");
        assert_eq!(start(&lines[3]), 40, "{lines:?}");
        assert_eq!(start(&lines[4]), 40, "{lines:?}");
        assert_eq!(start(&lines[5]), 2, "{lines:?}");
    }

    /// A CPU1 step too long for its column is never printed under CPU0:
    /// every step then carries its CPU.
    #[test]
    fn a_long_cpu1_step_is_labelled_not_moved_to_cpu0() {
        let long = "(work_completion)(&peer->transmit_handshake_work)";
        let r = report(long);
        for quote in [false, true] {
            let lines = scenario_lines(&r, 80, quote);
            let body: Vec<&str> = lines[1..]
                .iter()
                .map(|l| l.strip_prefix("> ").unwrap_or(l).trim())
                .collect();
            assert_eq!(
                body,
                [
                    "CPU0: lock(&a->lock);".to_string(),
                    format!("CPU1: lock({long});"),
                    "CPU1: lock(&a->lock);".to_string(),
                    format!("CPU0: lock({long});"),
                ],
                "{lines:?}"
            );
        }
    }

    /// The same step fits a wider page: the table is kept.
    #[test]
    fn a_wide_page_keeps_the_table_for_long_steps() {
        let r = report("(work_completion)(&peer->transmit_handshake_work)");
        let lines = scenario_lines(&r, 120, false);
        assert!(lines[1].contains("CPU1"), "{lines:?}");
        assert_eq!(start(&lines[3]), 2 + (120 - 4) / 2, "{lines:?}");
    }
}
