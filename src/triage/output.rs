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

use super::group::{rows, tally, GroupBy, Row, Tally};
use super::Outcome;

/// Output formats of `splatdec triage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A summary (by verdict, kind, rule) and the largest groups.
    Table,
    /// One JSON object per group.
    Jsonl,
    /// One CSV row per group, with a header row.
    Csv,
}

/// How to show an [`Outcome`].
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub format: Format,
    pub group_by: GroupBy,
    /// Only the N largest groups; the table defaults to [`TABLE_TOP`].
    pub top: Option<usize>,
}

/// Groups the table lists unless `--top` says otherwise.
pub const TABLE_TOP: usize = 20;

/// Write `o` as `view` says.
pub fn write(out: &mut dyn Write, o: &Outcome, view: &View) -> io::Result<()> {
    let all = rows(&o.cells, view.group_by);
    let top = match (view.top, view.format) {
        (Some(n), _) => n,
        (None, Format::Table) => TABLE_TOP,
        (None, _) => usize::MAX,
    };
    let shown = &all[..all.len().min(top)];
    match view.format {
        Format::Table => table(out, o, view.group_by, shown, all.len()),
        Format::Jsonl => shown.iter().try_for_each(|r| {
            crate::render::json::write_line(out, &JsonRow::new(r, view.group_by))
        }),
        Format::Csv => csv(out, shown),
    }
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

fn csv(out: &mut dyn Write, shown: &[Row]) -> io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for r in shown {
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
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
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
        for r in shown {
            group_block(out, r, by)?;
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
fn group_block(out: &mut dyn Write, r: &Row, by: GroupBy) -> io::Result<()> {
    let t = |s: &str| escape::text(s).into_owned();
    writeln!(out)?;
    let dirs = if r.crash_dirs > 0 {
        format!(", {}", plural(r.crash_dirs, "crash dir", "crash dirs"))
    } else {
        String::new()
    };
    writeln!(out, "{:>7}  {} ({}){dirs}", r.count, r.verdict, t(&r.rule))?;
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
