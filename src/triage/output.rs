//! Triage output: a plain-text summary and table, JSON Lines, or CSV.
//!
//! The table is for people and mail (plain text, no tabs, under 80 columns
//! where the data allows); JSON Lines and CSV are for tools and carry one
//! group per line with stable field names. Everything taken from the input
//! (titles, lock classes, paths) is escaped here: logs come from fuzzers.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::classify::Class;
use crate::escape;
use crate::model::ReportKind;

use super::baseline::{Baseline, Counts, Mark, OldGroup};
use super::group::{rows, tally, GroupBy, Row, Tally};
use super::Outcome;

/// Output formats of `splatdec triage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A summary (by verdict, kind, rule) and the largest groups.
    Table,
    /// One JSON object per group.
    Jsonl,
    /// One CSV row per group, with a header row.
    Csv,
    /// One self-contained HTML page: charts, a sortable and filterable
    /// table, each group's decoded report and lock graph.
    Html,
}

/// How to show an [`Outcome`].
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// The output format (table, JSON lines, CSV or HTML).
    pub format: Format,
    /// What one row stands for.
    pub group_by: GroupBy,
    /// Only the N largest groups; the table defaults to [`TABLE_TOP`].
    pub top: Option<usize>,
}

/// Groups the table lists unless `--top` says otherwise.
pub const TABLE_TOP: usize = 20;

/// Write `o` as `view` says.
pub fn write(out: &mut dyn Write, o: &Outcome, view: &View) -> io::Result<()> {
    write_with(out, o, view, None)
}

/// This run's groups against a baseline: each row's mark, the gone
/// groups and the counts.
pub struct Comparison<'a> {
    /// The baseline compared against.
    pub baseline: &'a Baseline,
    /// A mark per row of `all` (same order).
    pub marks: Vec<Mark>,
    /// The baseline's groups this run does not have: (group value, what the
    /// baseline said of it).
    pub gone: Vec<(&'a str, &'a OldGroup)>,
    /// Groups and reports per mark.
    pub counts: Counts,
}

/// Compare the rows of a run with a baseline.
pub fn compare<'a>(all: &[Row], baseline: &'a Baseline) -> Comparison<'a> {
    let marks: Vec<Mark> = all.iter().map(|r| baseline.mark(&r.group)).collect();
    let present: std::collections::BTreeSet<&str> = all.iter().map(|r| r.group.as_str()).collect();
    let gone = baseline.gone(&|g| present.contains(g));
    let mut counts = Counts {
        gone: gone.len(),
        gone_reports: gone.iter().map(|(_, o)| o.count).sum(),
        ..Counts::default()
    };
    for (r, m) in all.iter().zip(&marks) {
        match m {
            Mark::New => {
                counts.new += 1;
                counts.new_reports += r.count;
            }
            _ => {
                counts.still += 1;
                counts.still_reports += r.count;
            }
        }
    }
    Comparison {
        baseline,
        marks,
        gone,
        counts,
    }
}

/// Write `o` as `view` says, each group marked against `baseline` when
/// one is given (the caller has checked it is grouped like `view`).
pub fn write_with(
    out: &mut dyn Write,
    o: &Outcome,
    view: &View,
    baseline: Option<&Baseline>,
) -> io::Result<()> {
    let all = rows(&o.cells, view.group_by);
    let top = match (view.top, view.format) {
        (Some(n), _) => n,
        (None, Format::Table) => TABLE_TOP,
        (None, _) => usize::MAX,
    };
    let n = all.len().min(top);
    let shown = &all[..n];
    let cmp = baseline.map(|b| compare(&all, b));
    let marks = cmp.as_ref().map(|c| &c.marks[..n]);
    match view.format {
        Format::Table => table(out, o, view.group_by, shown, all.len(), cmp.as_ref(), top),
        Format::Jsonl => {
            for (i, r) in shown.iter().enumerate() {
                let mut row = JsonRow::new(r, view.group_by);
                if let (Some(m), Some(c)) = (marks, cmp.as_ref()) {
                    row.baseline = Some(m[i].as_str());
                    row.baseline_count = c.baseline.groups.get(&r.group).map(|g| g.count);
                }
                crate::render::json::write_line(out, &row)?;
            }
            if let Some(c) = &cmp {
                for (_, old) in &c.gone {
                    crate::render::json::write_line(out, &gone_object(old))?;
                }
                crate::render::json::write_line(out, &summary_object(c, view.group_by))?;
            }
            Ok(())
        }
        Format::Csv => csv(out, shown, cmp.as_ref()),
        Format::Html => super::html::write(out, o, view.group_by, shown, all.len(), cmp.as_ref()),
    }
}

/// A gone group as JSON: what the baseline said about it, with this run's
/// count (0) and the baseline's count beside it.
fn gone_object(old: &OldGroup) -> serde_json::Map<String, serde_json::Value> {
    let mut m = old.fields.clone();
    m.insert("count".into(), 0.into());
    m.insert("crash_dirs".into(), 0.into());
    m.insert("baseline".into(), Mark::Gone.as_str().into());
    m.insert("baseline_count".into(), old.count.into());
    m
}

/// The last JSON line of a run with a baseline: the counts.
fn summary_object(c: &Comparison<'_>, by: GroupBy) -> serde_json::Value {
    serde_json::json!({
        "baseline_summary": {
            "file": c.baseline.path,
            "group_by": by.as_str(),
            "new": c.counts.new,
            "still": c.counts.still,
            "gone": c.counts.gone,
            "new_reports": c.counts.new_reports,
            "still_reports": c.counts.still_reports,
            "gone_reports": c.counts.gone_reports,
        }
    })
}

/// One group in JSON Lines.
#[derive(Serialize)]
struct JsonRow<'a> {
    group_by: &'static str,
    group: &'a str,
    signature: &'a str,
    /// The readable form of the signature.
    key: &'a str,
    signatures: usize,
    kind: ReportKind,
    title: &'a str,
    titles: Vec<&'a str>,
    count: u64,
    crash_dirs: u64,
    verdict: Class,
    rule: &'a str,
    verdicts: &'a BTreeMap<Class, u64>,
    /// The known issue (entry id) most of the group's reports match, or null.
    known: Option<&'a str>,
    guilty_frame: Option<&'a str>,
    guilty_file: Option<&'a str>,
    first: String,
    last: String,
    /// `new` or `still` against `--baseline` (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'static str>,
    /// The group's report count in the baseline, when it is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_count: Option<u64>,
}

impl<'a> JsonRow<'a> {
    fn new(r: &'a Row, by: GroupBy) -> Self {
        JsonRow {
            group_by: by.as_str(),
            group: &r.group,
            signature: &r.signature.hash,
            key: &r.signature.key,
            signatures: r.signatures,
            kind: r.kind,
            title: &r.title,
            titles: r.titles.iter().map(String::as_str).collect(),
            count: r.count,
            crash_dirs: r.crash_dirs,
            verdict: r.verdict,
            rule: &r.rule,
            verdicts: &r.verdicts,
            known: r.known.as_deref(),
            guilty_frame: r.guilty_frame.as_deref(),
            guilty_file: r.guilty_file.as_deref(),
            first: r.first.to_string(),
            last: r.last.to_string(),
            baseline: None,
            baseline_count: None,
        }
    }
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "group",
    "count",
    "crash_dirs",
    "signatures",
    "signature",
    "kind",
    "title",
    "verdict",
    "rule",
    "guilty_frame",
    "guilty_file",
    "first",
    "last",
    "key",
    "known",
];

/// The columns added after [`CSV_COLUMNS`] when `--baseline` is given.
/// After the groups come the gone groups (count 0, the rest as the
/// baseline said), then three summary rows whose `baseline` is `summary`,
/// `group` is `new`, `still` or `gone` and `count` the number of groups.
pub const CSV_BASELINE_COLUMNS: &[&str] = &["baseline", "baseline_count"];

/// One CSV field: escaped for terminals, quoted when it must be
/// (RFC 4180).
fn csv_field(s: &str) -> String {
    let s = escape::text(s);
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

fn csv(out: &mut dyn Write, shown: &[Row], cmp: Option<&Comparison<'_>>) -> io::Result<()> {
    let mut header = CSV_COLUMNS.to_vec();
    if cmp.is_some() {
        header.extend_from_slice(CSV_BASELINE_COLUMNS);
    }
    writeln!(out, "{}", header.join(","))?;
    for (i, r) in shown.iter().enumerate() {
        let fields = [
            r.group.clone(),
            r.count.to_string(),
            r.crash_dirs.to_string(),
            r.signatures.to_string(),
            r.signature.hash.clone(),
            r.kind.to_string(),
            r.title.clone(),
            r.verdict.to_string(),
            r.rule.clone(),
            r.guilty_frame.clone().unwrap_or_default(),
            r.guilty_file.clone().unwrap_or_default(),
            r.first.to_string(),
            r.last.to_string(),
            r.signature.key.clone(),
            r.known.clone().unwrap_or_default(),
        ];
        let mut line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        if let Some(c) = cmp {
            line.push(c.marks[i].as_str().to_string());
            line.push(
                c.baseline
                    .groups
                    .get(&r.group)
                    .map(|g| g.count.to_string())
                    .unwrap_or_default(),
            );
        }
        writeln!(out, "{}", line.join(","))?;
    }
    let Some(c) = cmp else {
        return Ok(());
    };
    for (group, old) in &c.gone {
        let s = |k: &str| old.str(k).unwrap_or_default().to_string();
        let n = |k: &str| {
            old.fields
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let fields = [
            group.to_string(),
            "0".to_string(),
            "0".to_string(),
            n("signatures"),
            s("signature"),
            s("kind"),
            s("title"),
            s("verdict"),
            s("rule"),
            s("guilty_frame"),
            s("guilty_file"),
            s("first"),
            s("last"),
            s("key"),
            s("known"),
            Mark::Gone.as_str().to_string(),
            old.count.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    let empty = CSV_COLUMNS.len() - 2;
    for (name, n) in [
        ("new", c.counts.new),
        ("still", c.counts.still),
        ("gone", c.counts.gone),
    ] {
        writeln!(out, "{name},{n}{},summary,", ",".repeat(empty))?;
    }
    Ok(())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A human size: bytes, kB, MB or GB (powers of 1000, one decimal).
fn size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

/// A tally section: `name  reports  signatures [extra]`.
fn section<K>(
    out: &mut dyn Write,
    heading: &str,
    tallies: &BTreeMap<K, Tally>,
    name: impl Fn(&K) -> String,
) -> io::Result<()> {
    if tallies.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(&K, &Tally)> = tallies.iter().collect();
    // Largest first; the map's order breaks ties.
    rows.sort_by_key(|(_, t)| std::cmp::Reverse(t.reports));
    writeln!(out)?;
    writeln!(out, "{heading:<40} {:>9} {:>11}", "reports", "signatures")?;
    for (k, t) in rows {
        let n = escape::text(&name(k)).into_owned();
        writeln!(out, "  {n:<38} {:>9} {:>11}", t.reports, t.signatures)?;
    }
    Ok(())
}

fn table(
    out: &mut dyn Write,
    o: &Outcome,
    by: GroupBy,
    shown: &[Row],
    total: usize,
    cmp: Option<&Comparison<'_>>,
    top: usize,
) -> io::Result<()> {
    let signatures = tally(&o.cells, |_, _| ())
        .get(&())
        .map_or(0, |t| t.signatures);
    writeln!(
        out,
        "splatdec triage: {}, {} in {} ({}, {} read)",
        plural(o.reports, "report", "reports"),
        plural(signatures as u64, "signature", "signatures"),
        plural(o.inputs as u64, "input", "inputs"),
        plural(o.crash_dirs as u64, "crash directory", "crash directories"),
        size(o.bytes),
    )?;
    if let Some(c) = cmp {
        let k = &c.counts;
        writeln!(
            out,
            "against {}: {} new ({}), {} still ({}), {} gone ({} in the baseline)",
            escape::text(&c.baseline.path),
            plural(k.new as u64, "group", "groups"),
            plural(k.new_reports, "report", "reports"),
            plural(k.still as u64, "group", "groups"),
            plural(k.still_reports, "report", "reports"),
            plural(k.gone as u64, "group", "groups"),
            plural(k.gone_reports, "report", "reports"),
        )?;
    }
    section(out, "by verdict", &tally(&o.cells, |k, _| k.verdict), |c| {
        c.to_string()
    })?;
    section(
        out,
        "by rule",
        &tally(&o.cells, |k, _| k.rule.clone()),
        |r| r.clone(),
    )?;
    section(out, "by kind", &tally(&o.cells, |_, c| c.kind), |k| {
        k.to_string()
    })?;
    if !shown.is_empty() {
        writeln!(out)?;
        let noun = match by {
            GroupBy::Signature => "signatures",
            GroupBy::Title => "titles",
            GroupBy::Rule => "rules",
            GroupBy::Verdict => "verdicts",
        };
        writeln!(out, "top {} of {total} {noun}", shown.len())?;
        for (i, r) in shown.iter().enumerate() {
            group_block(out, r, by, cmp.map(|c| c.marks[i]))?;
        }
    }
    if let Some(c) = cmp.filter(|c| !c.gone.is_empty()) {
        writeln!(out)?;
        writeln!(
            out,
            "gone since the baseline: {}",
            plural(c.gone.len() as u64, "group", "groups")
        )?;
        for (group, old) in c.gone.iter().take(top) {
            gone_block(out, group, old)?;
        }
        if c.gone.len() > top {
            writeln!(out, "  ... and {} more", c.gone.len() - top)?;
        }
    }
    if !o.errors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{} (exit status 2):",
            plural(
                o.errors.len() as u64,
                "unreadable input",
                "unreadable inputs"
            )
        )?;
        for e in &o.errors {
            writeln!(
                out,
                "  {}: {}",
                escape::text(&e.path),
                escape::text(&e.reason)
            )?;
        }
    }
    Ok(())
}

/// One group of the table: counts and verdict, then what it is, then
/// where it was seen.
fn group_block(out: &mut dyn Write, r: &Row, by: GroupBy, mark: Option<Mark>) -> io::Result<()> {
    let t = |s: &str| escape::text(s).into_owned();
    writeln!(out)?;
    let dirs = if r.crash_dirs > 0 {
        format!(", {}", plural(r.crash_dirs, "crash dir", "crash dirs"))
    } else {
        String::new()
    };
    let mark = mark.map(|m| format!("[{m}] ")).unwrap_or_default();
    writeln!(
        out,
        "{:>7}  {mark}{} ({}){dirs}",
        r.count,
        r.verdict,
        t(&r.rule)
    )?;
    if by != GroupBy::Signature && by != GroupBy::Title {
        writeln!(out, "         {}: {}", by.as_str(), t(&r.group))?;
    }
    writeln!(out, "         {}: {}", r.kind, t(&r.title))?;
    let others: Vec<String> = r
        .titles
        .iter()
        .filter(|x| **x != r.title)
        .map(|x| t(x))
        .collect();
    if !others.is_empty() {
        writeln!(out, "         also titled: {}", others.join("; "))?;
    }
    let sig = if r.signatures > 1 {
        format!("{} (+{} more)", r.signature.hash, r.signatures - 1)
    } else {
        r.signature.hash.clone()
    };
    let guilty = match (&r.guilty_frame, &r.guilty_file) {
        (Some(f), Some(file)) => format!("{} ({})", t(f), t(file)),
        (Some(f), None) => t(f),
        _ => "-".to_string(),
    };
    writeln!(out, "         signature {sig}, guilty {guilty}")?;
    if let Some(k) = &r.known {
        writeln!(out, "         known: {}", t(k))?;
    }
    if r.verdicts.len() > 1 {
        let mixed: Vec<String> = r.verdicts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "         verdicts: {}", mixed.join(", "))?;
    }
    writeln!(out, "         first {}", t(&r.first.to_string()))?;
    if r.last != r.first {
        writeln!(out, "         last  {}", t(&r.last.to_string()))?;
    }
    Ok(())
}

/// A gone group of the table: what the baseline said about it.
fn gone_block(out: &mut dyn Write, group: &str, old: &OldGroup) -> io::Result<()> {
    let t = |k: &str| escape::text(old.str(k).unwrap_or("-")).into_owned();
    writeln!(out)?;
    writeln!(
        out,
        "      0  [gone] {} ({}), {} in the baseline (its line {})",
        t("verdict"),
        t("rule"),
        plural(old.count, "report", "reports"),
        old.line
    )?;
    writeln!(out, "         {}: {}", t("kind"), t("title"))?;
    writeln!(
        out,
        "         group {}, guilty {}",
        escape::text(group),
        t("guilty_frame")
    )?;
    if old.str("first").is_some() {
        writeln!(out, "         first {}", t("first"))?;
    }
    if old.str("last").is_some() && old.str("last") != old.str("first") {
        writeln!(out, "         last  {}", t("last"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("esc\x1b"), "esc\\x1b");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(12_345), "12.3 kB");
        assert_eq!(size(2_000_000_000), "2.0 GB");
    }
}
