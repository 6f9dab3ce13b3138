//! Confidence calibration as a property over every fixture report (real,
//! labeled, hand-made, walk and format samples) and two damaged versions
//! of each:
//!
//! - `high` only from a rule whose default is `high`, which lists the
//!   report facts it reads (`needs`), on a report with no taint caveat, and,
//!   when the report is incomplete or damaged, with every one of those facts
//!   present;
//! - whenever the verdict is below its rule's default, the explanation says
//!   `Confidence lowered` and why;
//! - the same report with an earlier warning in its taint (every `Not
//!   tainted` made `Tainted: G        W`) is never `high`, and its explanation names
//!   the warning;
//! - the same report cut short (its second half removed) keeps `high` only
//!   when every fact its rule reads survived the cut.

use std::fs;
use std::path::{Path, PathBuf};

use splatdec::classify::{self, Confidence, Fact};
use splatdec::{Analysis, WalkOptions};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = vec![root.join("formats/plain.txt")];
    for dir in ["real", "labeled", "rules", "walk"] {
        let mut files: Vec<PathBuf> = fs::read_dir(root.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

fn analyses(text: &str, name: &str) -> Vec<Analysis> {
    let mut out = Vec::new();
    splatdec::decode_analyzed(text.as_bytes(), name, &WalkOptions::default(), &mut |a| {
        out.push(a)
    })
    .unwrap();
    out
}

/// Every calibration rule one verdict must keep; the failures, described.
fn check(a: &Analysis, what: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let v = &a.verdict;
    let Some(rule) = classify::rule(&v.rule) else {
        // `undetermined` (always low) and known-issue raises (medium).
        if v.confidence == Confidence::High {
            bad.push(format!("{what}: high without a rule ({})", v.rule));
        }
        return bad;
    };
    let r = &a.report;
    if v.confidence > rule.confidence {
        bad.push(format!(
            "{what}: {} above its rule's default {}",
            v.confidence.as_str(),
            rule.confidence.as_str()
        ));
    }
    if v.confidence < rule.confidence && !v.explanation.contains("Confidence lowered") {
        bad.push(format!(
            "{what}: {} is {} below its default {} and the explanation does not say why: {}",
            v.rule,
            v.confidence.as_str(),
            rule.confidence.as_str(),
            v.explanation
        ));
    }
    if v.confidence == Confidence::High {
        let Some(needs) = &rule.needs else {
            bad.push(format!(
                "{what}: {} is high but reads no listed facts",
                v.rule
            ));
            return bad;
        };
        let caveats = r
            .tainted
            .as_ref()
            .and_then(splatdec::model::Tainted::taint)
            .map(splatdec::kernel::taint::caveats)
            .unwrap_or_default();
        if !caveats.is_empty() {
            bad.push(format!(
                "{what}: high on a tainted report ({})",
                caveats.join("; ")
            ));
        }
        if !r.complete || r.corrupted {
            let missing: Vec<&Fact> = needs
                .iter()
                .filter(|f| !f.present(r, &a.gfp_walk))
                .collect();
            if !missing.is_empty() {
                bad.push(format!(
                    "{what}: high on an incomplete or damaged report lacking {missing:?}"
                ));
            }
        }
    }
    bad
}

/// The report's own lines of the file (1-based, inclusive).
fn report_lines<'a>(lines: &[&'a str], a: &Analysis) -> Vec<&'a str> {
    let from = (a.report.line as usize).saturating_sub(1);
    let to = (a.report.end_line as usize).min(lines.len());
    lines[from.min(to)..to].to_vec()
}

#[test]
fn confidence_is_calibrated_on_every_fixture_and_its_damaged_versions() {
    let mut failures = Vec::new();
    let (mut reports, mut high, mut tainted_checked, mut cut_checked) = (0, 0, 0, 0);
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        for a in analyses(&text, &name) {
            reports += 1;
            let what = format!("{name}:{}", a.report.line);
            failures.extend(check(&a, &what));
            if a.verdict.confidence != Confidence::High {
                continue;
            }
            high += 1;
            let own = report_lines(&lines, &a);
            // An earlier warning: the same report, tainted W.
            // (Every line that says so: the ident line and the CPU line.)
            if own.iter().any(|l| l.contains("Not tainted")) {
                let t: Vec<String> = own
                    .iter()
                    .map(|l| l.replacen("Not tainted", "Tainted: G        W", 1))
                    .collect();
                let joined = t.join("\n") + "\n";
                for b in analyses(&joined, &name) {
                    tainted_checked += 1;
                    let w = format!("{what} (tainted W)");
                    failures.extend(check(&b, &w));
                    if b.verdict.confidence == Confidence::High {
                        failures.push(format!("{w}: still high"));
                    }
                    if b.verdict.rule != "undetermined"
                        && !b.verdict.explanation.contains("already warned (W)")
                    {
                        failures.push(format!(
                            "{w}: the explanation does not name the warning: {}",
                            b.verdict.explanation
                        ));
                    }
                }
            }
            // Cut short: the first half of the report's lines only.
            if own.len() >= 4 {
                let cut = own[..own.len() / 2].join("\n") + "\n";
                for b in analyses(&cut, &name) {
                    cut_checked += 1;
                    failures.extend(check(&b, &format!("{what} (cut to half)")));
                }
            }
        }
    }
    eprintln!(
        "calibration: {reports} reports, {high} high; {tainted_checked} tainted and {cut_checked} cut versions checked"
    );
    assert!(reports >= 250, "only {reports} reports");
    assert!(
        high >= 20 && tainted_checked >= 10 && cut_checked >= 20,
        "too few cases exercised"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
