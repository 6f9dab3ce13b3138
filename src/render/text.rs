//! Plain-text summary rendering: readable in a terminal and safe to paste
//! into mail (no escape codes, no tabs, no trailing spaces, untrusted text
//! escaped).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::escape;
use crate::model::{Frame, Lock, Report};

fn frame_str(f: &Frame) -> String {
    let mut s = escape::text(&f.function).into_owned();
    if let (Some(o), Some(z)) = (f.offset, f.size) {
        let _ = write!(s, "+{o:#x}/{z:#x}");
    }
    if let Some(m) = &f.module {
        let _ = write!(s, " [{}]", escape::text(m));
    }
    if let (Some(file), Some(line)) = (&f.file, f.line) {
        let _ = write!(s, " {}:{line}", escape::text(file));
    }
    if f.inline {
        s.push_str(" [inline]");
    }
    s
}

fn lock_str(l: &Lock) -> String {
    let mut s = escape::text(&l.class).into_owned();
    if let Some(u) = &l.usage {
        let _ = write!(s, " {}", escape::text(u));
    }
    if let Some(w) = l.wait {
        let _ = write!(s, "-{{{}:{}}}", w.outer, w.inner);
    }
    if let Some(at) = &l.at {
        let _ = write!(s, " at {}", frame_str(at));
    }
    s
}

/// Render one report as a short plain-text summary.
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "[{}] {}", r.kind, escape::text(&r.title));
    let mut where_ = format!("  {}:{}-{}", escape::text(&r.source), r.line, r.end_line);
    if let Some(k) = &r.kernel {
        let _ = write!(where_, "  kernel {}", escape::text(k));
    }
    if let Some(t) = &r.task {
        let _ = write!(where_, "  task {}/{}", escape::text(&t.comm), t.pid);
    }
    if let Some(c) = r.cpu {
        let _ = write!(where_, "  cpu {c}");
    }
    let _ = writeln!(out, "{where_}");
    if let Some(t) = &r.tainted {
        let _ = writeln!(out, "  taint: {}", escape::text(t));
    }
    let status = match (r.complete, r.corrupted) {
        (true, false) => "complete".to_string(),
        (true, true) => "complete, corrupted".to_string(),
        (false, false) => "INCOMPLETE".to_string(),
        (false, true) => "INCOMPLETE, corrupted".to_string(),
    };
    let _ = writeln!(out, "  status: {status}");
    for p in &r.problems {
        let _ = writeln!(out, "    - {}", escape::text(p));
    }
    if let Some(m) = &r.message {
        let _ = writeln!(out, "  message: {}", escape::text(m));
    }
    if let Some(u) = &r.usage_transition {
        let _ = writeln!(
            out,
            "  usage: {{{}}} -> {{{}}}",
            escape::text(&u.from),
            escape::text(&u.to)
        );
    }
    if let Some(l) = &r.acquiring {
        let _ = writeln!(out, "  acquiring: {}", lock_str(l));
    }
    if let Some(l) = &r.holding {
        let _ = writeln!(out, "  holding:   {}", lock_str(l));
    }
    if !r.chain.is_empty() {
        let _ = writeln!(out, "  dependency chain:");
        for e in &r.chain {
            let via = e
                .stack
                .iter()
                .find(|f| !is_lock_internal(&f.base))
                .map(frame_str)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    #{} {}  via {}",
                e.index,
                escape::text(&e.lock.class),
                via
            );
        }
    }
    if !r.chain_exists_of.is_empty() {
        let names: Vec<_> = r.chain_exists_of.iter().map(|c| escape::text(c)).collect();
        let _ = writeln!(out, "  chain exists of: {}", names.join(" --> "));
    }
    if let Some(s) = &r.scenario {
        let _ = writeln!(out, "  scenario:");
        for step in &s.steps {
            let cpu = s.cpus.get(step.cpu).map(String::as_str).unwrap_or("CPU?");
            let arg = step.lock.as_deref().map(escape::text).unwrap_or_default();
            let _ = writeln!(out, "    {cpu}: {}({arg})", escape::text(&step.action));
        }
    }
    if !r.held_lock_lists.is_empty() {
        for h in &r.held_lock_lists {
            let who = h
                .task
                .as_ref()
                .map(|t| format!("{}/{}", escape::text(&t.comm), t.pid))
                .unwrap_or_else(|| "?".to_string());
            let _ = writeln!(out, "  {} lock(s) held by {who}:", h.count.unwrap_or(0));
            for l in &h.locks {
                let _ = writeln!(out, "    #{}: {}", l.index.unwrap_or(0), lock_str(l));
            }
        }
    }
    for t in &r.traces {
        let _ = writeln!(
            out,
            "  {} ({} frames)",
            escape::text(&t.name),
            t.frames.len()
        );
    }
    if !r.backtrace.is_empty() {
        let unreliable = r.backtrace.iter().filter(|f| !f.reliable).count();
        let _ = writeln!(
            out,
            "  backtrace: {} frames ({} unreliable)",
            r.backtrace.len(),
            unreliable
        );
        for f in r
            .backtrace
            .iter()
            .filter(|f| f.reliable && !is_lock_internal(&f.base))
            .take(8)
        {
            let _ = writeln!(out, "    {}", frame_str(f));
        }
    }
    if !r.unparsed.is_empty() {
        let _ = writeln!(out, "  unparsed lines: {}", r.unparsed.len());
    }
    if !r.interleaved.is_empty() {
        let _ = writeln!(
            out,
            "  interleaved lines set aside: {}",
            r.interleaved.len()
        );
    }
    // Mail safety: no trailing spaces.
    out.lines()
        .map(str::trim_end)
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        })
}

/// Frames that belong to lockdep and stack dumping rather than the code
/// under suspicion.
fn is_lock_internal(base: &str) -> bool {
    base.contains("lock_acquire")
        || base.contains("lockdep")
        || base.starts_with("check_")
        || base.starts_with("validate_chain")
        || base.starts_with("print_")
        || base.starts_with("dump_stack")
        || base.starts_with("show_stack")
        || base.starts_with("dump_backtrace")
}

/// The allocation-context walk, in the seed's style: each stack outermost
/// frame first, with `gfp == ...` where the mask changes and a note where
/// a knowledge-base entry changed something.
pub fn walk_section(a: &crate::Analysis) -> String {
    let mut out = String::new();
    let rules = &a.walk_rules;
    let from = match rules.from {
        "report" => "the report's kernel",
        "--kernel" => "--kernel",
        _ => "no kernel version known: newest rules",
    };
    let _ = writeln!(
        out,
        "  allocation context (rules of {}, from {from}; gfp layout {}):",
        rules.version, rules.layout
    );
    let mut shown = 0;
    for t in &a.gfp_walk {
        if !t.frames.iter().any(|f| f.note.is_some()) {
            continue;
        }
        shown += 1;
        let _ = writeln!(out, "    {} (outermost first):", escape::text(&t.trace));
        let mut last_gfp = String::new();
        let mut last_flags: Vec<String> = Vec::new();
        for f in &t.frames {
            let mut line = format!(
                "      {}{}",
                if f.inlined { "(inline) " } else { "" },
                escape::text(&f.function)
            );
            if f.gfp != last_gfp {
                let _ = write!(line, "  // gfp_mask == {}", escape::text(&f.gfp));
                last_gfp = f.gfp.clone();
            }
            if f.task_flags != last_flags {
                let flags = if f.task_flags.is_empty() {
                    "none".to_string()
                } else {
                    f.task_flags.join("|")
                };
                let _ = write!(line, "  [task: {flags}]");
                last_flags = f.task_flags.clone();
            }
            if f.fs_reclaim_depth > 0 && f.note.as_deref().is_some_and(|n| n.contains("fs_reclaim"))
            {
                let _ = write!(line, "  [fs_reclaim held: {}]", f.fs_reclaim_depth);
            }
            let _ = writeln!(out, "{line}");
            if let Some(n) = &f.note {
                let _ = writeln!(out, "          -> {}", escape::text(n));
            }
        }
        if t.skipped_unreliable > 0 {
            let _ = writeln!(
                out,
                "      ({} unreliable frames left out)",
                t.skipped_unreliable
            );
        }
    }
    if shown == 0 {
        let _ = writeln!(out, "    no frame with a known allocation-context effect");
    }
    out
}

/// The verdict block: class, confidence and summary first, then the fix;
/// with `explain`, the explanation, the evidence and every rule that fired.
pub fn verdict_section(a: &crate::Analysis, explain: bool) -> String {
    let v = &a.verdict;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  verdict: {} ({} confidence, rule {})",
        v.class.as_str().to_uppercase(),
        v.confidence.as_str(),
        v.rule
    );
    let _ = writeln!(out, "    {}", escape::text(&v.summary));
    let _ = writeln!(out, "  fix: {}", escape::text(&v.fix));
    if explain {
        let _ = writeln!(out, "  explanation: {}", escape::text(&v.explanation));
        if !v.evidence.is_empty() {
            let _ = writeln!(out, "  evidence:");
            for e in &v.evidence {
                let _ = writeln!(out, "    - {}", escape::text(e));
            }
        }
        if v.rules.len() > 1 {
            let others: Vec<String> = v.rules[1..]
                .iter()
                .map(|h| format!("{} ({}, {})", h.rule, h.class, h.confidence.as_str()))
                .collect();
            let _ = writeln!(out, "  also fired: {}", others.join(", "));
        }
        for r in &v.references {
            let _ = writeln!(out, "  see: {}", escape::text(r));
        }
    }
    out
}

/// Verdict, summary and allocation-context walk of one analyzed report.
pub fn analysis(a: &crate::Analysis) -> String {
    analysis_with(a, false)
}

/// As [`analysis`], with the full explanation when `explain` is set.
pub fn analysis_with(a: &crate::Analysis, explain: bool) -> String {
    let full = summary(&a.report);
    // Headline first, then the verdict, then the rest of the summary.
    let (head, rest) = full.split_once('\n').unwrap_or((&full, ""));
    let mut s = format!("{head}\n");
    s.push_str(&verdict_section(a, explain));
    s.push_str(rest);
    s.push_str(&walk_section(a));
    s.lines()
        .map(str::trim_end)
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        })
}

/// Write analyses, separated by blank lines.
pub fn write_analyses(out: &mut dyn Write, items: &[crate::Analysis]) -> io::Result<()> {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(analysis(a).as_bytes())?;
    }
    Ok(())
}

/// Write summaries of `reports`, separated by blank lines.
pub fn write_summaries(out: &mut dyn Write, reports: &[Report]) -> io::Result<()> {
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(summary(r).as_bytes())?;
    }
    Ok(())
}
