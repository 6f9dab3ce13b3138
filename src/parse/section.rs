//! The open section's lines: one reader per section shape (lock lines and
//! their `at:` frames, chain entries, the scenario table, held-lock lists,
//! saved stacks, irq events, class dumps, the final backtrace).

use super::{Parser, PendingAt, Section, Slot};
use crate::input::Line;
use crate::model::{AtomicSleep, FrameContext, IrqEvent, Lock};
use crate::vocab::body::is_lone_address;
use crate::vocab::frame::{classify_trace_line, parse_frame, TraceLineRef};
use crate::vocab::lock::{
    parse_bare_held_lock, parse_bare_lock, parse_dependency, parse_held_lock, parse_lock,
};
use crate::vocab::trim::TrimWs;

impl Parser<'_> {
    /// Feed a line to the open section. Returns true when consumed.
    pub(super) fn section_line(&mut self, line: &Line) -> bool {
        match self.section {
            Section::None => false,
            Section::ExpectLock(slot) => self.expect_lock(slot, line),
            Section::ExpectRepeat(slot) => self.expect_repeat(slot, line),
            Section::ExpectAt(slot) | Section::ExpectAtCaller(slot) => self.expect_at(slot, line),
            Section::Chain => self.chain_line(line),
            Section::ChainExists => self.chain_exists_line(line),
            Section::Scenario => self.scenario_line(line),
            Section::Held => self.held_line(line),
            Section::Trace(_) => self.trace_line(line),
            Section::IrqEvents => self.irq_event_line(line),
            Section::Dependency => self.dependency_line(line),
            Section::PreemptionAt => self.preemption_at_line(line),
            Section::ClassDump => self.class_dump_line(line),
            Section::Backtrace | Section::OwnerTrace => self.backtrace_line(line),
        }
    }

    /// A lock line for `slot` (or its address alone, wrapped).
    fn expect_lock(&mut self, slot: Slot, line: &Line) -> bool {
        let t = line.text.trim_ws();
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
        // A report trimmed by hand may print the class bare (`class, at:
        // site`): read only here, where a lock line is due.
        if let Some(lock) = parse_lock(t, line.no).or_else(|| parse_bare_lock(t, line.no)) {
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

    /// A symbolized log's repeat of the last lock line with the next frame.
    fn expect_repeat(&mut self, slot: Slot, line: &Line) -> bool {
        let t = line.text.trim_ws();
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

    /// The frame line of an `... at:` for `slot`.
    fn expect_at(&mut self, slot: Slot, line: &Line) -> bool {
        let t = line.text.trim_ws();
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

    /// A frame of the current dependency-chain entry.
    fn chain_line(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim_ws();
        if t.is_empty() {
            return true;
        }
        let item = classify_trace_line(text, &mut self.ctx);
        self.trace_item(item, line.no)
    }

    /// `A --> B --> C` lines under `Chain exists of:`.
    fn chain_exists_line(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        if t.is_empty() {
            if !self.r.chain_exists_of.is_empty() {
                self.section = Section::None;
            }
            return true;
        }
        // A mail client may break the line anywhere, leaving an arrow at
        // the end of one piece or the start of the next: split on the
        // arrow itself (class names hold `->`, never `-->`).
        for part in t.split("-->") {
            let p = part.trim_ws();
            if !p.is_empty() {
                self.r.chain_exists_of.push(p.to_string());
            }
        }
        true
    }

    /// The scenario table: its CPU header and steps.
    fn scenario_line(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim_ws();
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
            Some((cpu, action, lock)) => {
                self.scenario_rows.push(super::ScenarioRow {
                    cpu,
                    action,
                    lock,
                    line: line.no,
                });
                true
            }
            None => false,
        }
    }

    /// One held-lock entry (or the first half of a wrapped one).
    fn held_line(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim_ws();
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
        let entry = parse_held_lock(text, line.no).or_else(|| parse_bare_held_lock(text, line.no));
        match entry {
            // A class cut inside its parentheses (`((work_completion)` with
            // the rest on the next line): not a lock we can name.
            Some(l) if !balanced(&l.class) => {
                self.keep(line);
                true
            }
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

    /// A saved stack's frame; anything else ends the stack.
    fn trace_line(&mut self, line: &Line) -> bool {
        let text = line.text;
        let t = text.trim_ws();
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

    /// `hardirqs last  enabled at (N): func` and its siblings.
    fn irq_event_line(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        let Some(rest) = t
            .strip_prefix("hardirqs last")
            .map(|r| ("hardirqs", r))
            .or_else(|| t.strip_prefix("softirqs last").map(|r| ("softirqs", r)))
        else {
            self.section = Section::None;
            return false;
        };
        let (which, rest) = rest;
        let rest = rest.trim_start_ws();
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
        let stamp = rest[..close].trim_ws().parse().unwrap_or(0);
        let frame = parse_frame(rest[close + 2..].trim_ws(), FrameContext::Task, line.no);
        if let Some(ev) = self.r.irq_events.as_mut() {
            ev.events.push(IrqEvent {
                event: format!("{which}_last_{state}"),
                stamp,
                frame,
            });
        }
        true
    }

    /// The two locks of the dependency about to be created.
    fn dependency_line(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        if t.is_empty() {
            return true;
        }
        self.section = Section::None;
        match parse_dependency(t, line.no) {
            // The new dependency is the held lock -> the one being taken:
            // the same pair the report names above it, not the irq-safe
            // and irq-unsafe locks that `other_locks` holds.
            Some((a, b)) => {
                self.r.holding.get_or_insert(a);
                self.r.acquiring.get_or_insert(b);
                true
            }
            None => false,
        }
    }

    /// The frame under `Preemption disabled at:`.
    fn preemption_at_line(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
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

    /// An irq report's class dump: classes and their usage stacks.
    fn class_dump_line(&mut self, line: &Line) -> bool {
        let t = line.text.trim_ws();
        if t.is_empty() || t == "}" || t.starts_with("... key") {
            return true;
        }
        if let Some(rest) = t.strip_prefix("-> ") {
            // ` -> (class){usage}-{o:i} ops: N {`
            let body = rest.trim_end_matches('{').trim_end_ws();
            let body = body.split(" ops: ").next().unwrap_or(body);
            if let Some(l) = parse_lock(body, line.no) {
                if let Some(p) = self.path.as_mut() {
                    p.class(&l.class);
                }
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

    /// The final backtrace: frames and markers; register lines belong to it.
    fn backtrace_line(&mut self, line: &Line) -> bool {
        match classify_trace_line(line.text, &mut self.ctx) {
            item @ (TraceLineRef::Frame(_) | TraceLineRef::Marker) => {
                self.trace_item(item, line.no)
            }
            TraceLineRef::Register(_) => true,
            // The segmenter decided where the report ends; a foreign
            // line spliced into the trace is kept as unparsed and the
            // trace goes on (headers are tested before this).
            TraceLineRef::Other => line.text.trim_ws().is_empty(),
        }
    }
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

/// The display column after `text`: tabs advance to the next multiple of
/// eight, as a terminal or mail reader shows them (measured from the start
/// of the kernel text, past any stripped prefix).
fn display_width(text: &str) -> usize {
    text.chars().fold(
        0,
        |col, c| if c == '\t' { col / 8 * 8 + 8 } else { col + 1 },
    )
}

/// Column start positions of a scenario header line (`CPU0 ... CPU1`), as
/// display columns. A column name is `CPU` and alphanumerics: whatever
/// else follows it on a damaged line (controls, NULs) is not part of the
/// name.
fn scenario_columns(text: &str) -> Vec<(usize, String)> {
    let mut cols = Vec::new();
    let mut search = 0;
    while let Some(pos) = text[search..].find("CPU") {
        let at = search + pos;
        let end = text[at..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map(|e| at + e)
            .unwrap_or(text.len());
        cols.push((display_width(&text[..at]), text[at..end].to_string()));
        search = end;
    }
    cols
}

/// Header columns closer than this (lockdep prints them 24 apart) were
/// collapsed by whatever carried the log: positions tell no column.
const MIN_COLUMN_GAP: usize = 10;

/// A step this much nearer one header column than any other is that
/// column's (lockdep's steps sit 0 to 5 columns left of their header).
const MIN_COLUMN_MARGIN: usize = 6;

/// The CPU column of a step starting at display column `indent`, from the
/// header's column starts; `None` when the positions do not tell: a
/// collapsed header, a step between two columns, or a step with no
/// indentation at all under an indented header (lockdep indents every
/// step: a mail client that wrapped the line before the step, or an
/// archive that dropped its spaces, took the column with it).
fn step_column(indent: usize, cols: &[(usize, String)]) -> Option<usize> {
    if cols.len() <= 1 {
        return Some(0);
    }
    let collapsed = cols
        .windows(2)
        .any(|w| w[1].0.saturating_sub(w[0].0) < MIN_COLUMN_GAP);
    if collapsed || (indent == 0 && cols[0].0 >= 2) {
        return None;
    }
    let mut by_distance: Vec<(usize, usize)> = cols
        .iter()
        .enumerate()
        .map(|(i, (pos, _))| (pos.abs_diff(indent), i))
        .collect();
    by_distance.sort_unstable();
    let (near, cpu) = by_distance[0];
    (by_distance[1].0 - near >= MIN_COLUMN_MARGIN).then_some(cpu)
}

/// One scenario step: `lock(&x->y);`, `<Interrupt>`, `local_irq_disable();`,
/// as its CPU column (see [`step_column`]; no header read: column 0),
/// action and lock class.
fn scenario_step(
    text: &str,
    cols: &[(usize, String)],
) -> Option<(Option<usize>, String, Option<String>)> {
    let t = text.trim_ws();
    let indent = display_width(&text[..text.len() - text.trim_start_ws().len()]);
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
    let cpu = if cols.is_empty() {
        Some(0)
    } else {
        step_column(indent, cols)
    };
    Some((cpu, action, lock))
}

/// Parentheses in `class` pair up (a whole class name, not a piece).
fn balanced(class: &str) -> bool {
    let mut depth = 0i32;
    for c in class.bytes() {
        match c {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}
