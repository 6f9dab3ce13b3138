//! `splatdec check`: gate CI on verdicts.
//!
//! A run fails (exit 1) when a report's verdict class is one the job fails
//! on (`--fail-on`, default true_deadlock and locking_bug) and no
//! suppression matches it. Suppressions live in a TOML file, one
//! `[[suppress]]` table each, with any of `title` (regex), `locks` (classes
//! that must all appear in the report), `rule`, `kind`, a required `reason`
//! and an optional `expires` (YYYY-MM-DD). An entry matches when all its
//! given keys match; an expired entry no longer suppresses and is reported,
//! and entries that matched nothing are listed so the file stays honest.
//!
//! With a baseline (a previous `splatdec triage --format jsonl`), a report
//! that would fail but whose group the baseline already has is listed as
//! known and does not fail the run: only new findings do.

use std::fmt::Write as _;

use regex::Regex;
use serde::Deserialize;

use crate::classify::Class;
use crate::escape;
use crate::model::ReportKind;
use crate::triage::baseline::Baseline;
use crate::triage::group::GroupBy;
use crate::triage::signature::sighting;
use crate::Analysis;

/// What `--fail-on` accepts: a verdict class (`rt_only`, `undetermined`,
/// ... any of them), a report kind (`held_locks_dump` fails a job on hung
/// tasks whatever their verdict), or `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Reports whose verdict has this class.
    Class(Class),
    /// Reports of this kind, whatever their verdict.
    Kind(ReportKind),
    /// Anything that is not a false positive or undetermined.
    Any,
}

impl FailOn {
    /// The job's default: real deadlocks and locking bugs.
    pub const DEFAULT: [FailOn; 2] = [
        FailOn::Class(Class::TrueDeadlock),
        FailOn::Class(Class::LockingBug),
    ];

    /// Parse one `--fail-on` value. Classes and kinds have distinct names.
    pub fn parse(s: &str) -> Option<FailOn> {
        if s == "any" {
            return Some(FailOn::Any);
        }
        if let Some(c) = Class::parse(s) {
            return Some(FailOn::Class(c));
        }
        ReportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .map(FailOn::Kind)
    }

    /// The accepted values, for error messages and help.
    pub fn accepted() -> String {
        let classes: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
        let kinds: Vec<&str> = ReportKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "a verdict class ({}), a report kind ({}) or any",
            classes.join(", "),
            kinds.join(", ")
        )
    }

    fn covers(self, a: &Analysis) -> bool {
        let c = a.verdict.class;
        match self {
            FailOn::Class(want) => c == want,
            FailOn::Kind(k) => a.report.kind == k,
            FailOn::Any => !matches!(c, Class::FalsePositive | Class::Undetermined),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressFile {
    #[serde(default)]
    suppress: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    title: Option<String>,
    #[serde(default)]
    locks: Vec<String>,
    rule: Option<String>,
    kind: Option<String>,
    reason: String,
    expires: Option<String>,
}

/// One suppression entry, compiled.
#[derive(Debug)]
pub struct Suppression {
    /// A regex the report's title must match (unanchored).
    pub title: Option<Regex>,
    /// Lock classes that must all appear among the report's acquiring, held,
    /// chain and held-list locks (exact class names as printed).
    pub locks: Vec<String>,
    /// The verdict's primary rule id the report must have.
    pub rule: Option<String>,
    /// The report kind (JSON name) the report must have.
    pub kind: Option<String>,
    /// Why the finding is accepted (required, so the file says why each entry
    /// exists).
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// 1-based position in the file.
    pub index: usize,
}

/// A problem with the suppressions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressError(pub String);

impl std::fmt::Display for SuppressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

/// Parse a suppressions file.
pub fn parse_suppressions(text: &str) -> Result<Vec<Suppression>, SuppressError> {
    let file: SuppressFile = toml::from_str(text).map_err(|e| SuppressError(e.to_string()))?;
    let mut out = Vec::new();
    for (i, e) in file.suppress.into_iter().enumerate() {
        let n = i + 1;
        if e.reason.trim().is_empty() {
            return Err(SuppressError(format!("entry {n}: `reason` must say why")));
        }
        if e.title.is_none() && e.locks.is_empty() && e.rule.is_none() && e.kind.is_none() {
            return Err(SuppressError(format!(
                "entry {n}: give at least one of title, locks, rule, kind"
            )));
        }
        if let Some(d) = &e.expires {
            if !valid_date(d) {
                return Err(SuppressError(format!(
                    "entry {n}: expires {d:?} is not YYYY-MM-DD"
                )));
            }
        }
        if let Some(r) = &e.rule {
            if crate::classify::rule(r).is_none() && r != "undetermined" {
                return Err(SuppressError(format!("entry {n}: no rule {r:?}")));
            }
        }
        if let Some(k) = &e.kind {
            if !ReportKind::ALL.iter().any(|x| x.as_str() == k) {
                return Err(SuppressError(format!("entry {n}: no report kind {k:?}")));
            }
        }
        let title = match &e.title {
            Some(t) => Some(
                Regex::new(t)
                    .map_err(|err| SuppressError(format!("entry {n}: title regex: {err}")))?,
            ),
            None => None,
        };
        out.push(Suppression {
            title,
            locks: e.locks,
            rule: e.rule,
            kind: e.kind,
            reason: e.reason,
            expires: e.expires,
            index: n,
        });
    }
    Ok(out)
}

impl Suppression {
    fn matches(&self, a: &Analysis) -> bool {
        let r = &a.report;
        if let Some(t) = &self.title {
            if !t.is_match(&r.title) {
                return false;
            }
        }
        if let Some(rule) = &self.rule {
            if &a.verdict.rule != rule {
                return false;
            }
        }
        if let Some(k) = &self.kind {
            if r.kind.as_str() != k {
                return false;
            }
        }
        if !self.locks.is_empty() {
            let classes: Vec<&str> = r
                .acquiring
                .iter()
                .chain(r.holding.iter())
                .chain(r.chain.iter().map(|e| &e.lock))
                .chain(r.held_locks.iter())
                .map(|l| l.class.as_str())
                .collect();
            if !self.locks.iter().all(|l| classes.contains(&l.as_str())) {
                return false;
            }
        }
        true
    }

    fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|d| d < today)
    }
}

/// The outcome of a check run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Reports that fail the job: (location, title, class, rule).
    pub findings: Vec<String>,
    /// Reports a suppression silenced: (location, title, entry index).
    pub suppressed: Vec<String>,
    /// Expired entries that matched something (and so no longer suppress).
    pub expired: Vec<usize>,
    /// Entries that matched no report.
    pub unused: Vec<usize>,
    /// Reports evaluated.
    pub total: usize,
    /// Reports that would fail but whose group is in the baseline.
    pub known: Vec<String>,
    /// The baseline file, when one was given.
    pub baseline: Option<String>,
}

/// Today's date as `YYYY-MM-DD` (UTC), from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Evaluate analyses against the fail-on classes and suppressions.
pub fn evaluate(
    items: &[Analysis],
    fail_on: &[FailOn],
    sup: &[Suppression],
    today: &str,
) -> Outcome {
    let mut e = Evaluator::new(fail_on, sup, today);
    for a in items {
        e.add(a);
    }
    e.finish()
}

/// [`evaluate`] one report at a time, so `check` holds no report longer
/// than its decoding (the outcome keeps one line per finding).
pub struct Evaluator<'a> {
    fail_on: &'a [FailOn],
    sup: &'a [Suppression],
    today: &'a str,
    baseline: Option<&'a Baseline>,
    used: Vec<bool>,
    expired_hit: Vec<bool>,
    out: Outcome,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for these fail-on values and suppressions, with `today`
    /// (`YYYY-MM-DD`) deciding which entries have expired.
    pub fn new(fail_on: &'a [FailOn], sup: &'a [Suppression], today: &'a str) -> Self {
        Evaluator {
            fail_on,
            sup,
            today,
            baseline: None,
            used: vec![false; sup.len()],
            expired_hit: vec![false; sup.len()],
            out: Outcome::default(),
        }
    }

    /// Findings whose group is in `baseline` (a previous `triage --format
    /// jsonl`) are known, not failures: only new findings fail.
    pub fn with_baseline(mut self, baseline: &'a Baseline) -> Self {
        self.baseline = Some(baseline);
        self.out.baseline = Some(baseline.path.clone());
        self
    }

    /// Take one report into account.
    pub fn add(&mut self, a: &Analysis) {
        self.out.total += 1;
        let class = a.verdict.class;
        let loc = format!("{}:{}", a.report.source, a.report.line);
        let mut silenced = None;
        for (i, s) in self.sup.iter().enumerate() {
            if s.matches(a) {
                if s.expired(self.today) {
                    self.expired_hit[i] = true;
                } else {
                    self.used[i] = true;
                    silenced.get_or_insert(s.index);
                }
            }
        }
        if !self.fail_on.iter().any(|f| f.covers(a)) {
            return;
        }
        let title = escape::text(&a.report.title);
        if let Some(idx) = silenced {
            self.out
                .suppressed
                .push(format!("{loc}: {title} (suppressed by entry {idx})"));
            return;
        }
        let line = format!("{loc}: {title} [{class} by {}]", a.verdict.rule);
        match self.baseline {
            Some(b) if b.groups.contains_key(&group_of(a, b)) => self.out.known.push(line),
            _ => self.out.findings.push(line),
        }
    }

    /// The outcome, with the suppressions that expired or were not used.
    pub fn finish(mut self) -> Outcome {
        for (i, s) in self.sup.iter().enumerate() {
            if self.expired_hit[i] {
                self.out.expired.push(s.index);
            } else if !self.used[i] {
                self.out.unused.push(s.index);
            }
        }
        self.out
    }
}

/// The group a report falls in under the baseline's grouping.
fn group_of(a: &Analysis, b: &Baseline) -> String {
    match b.group_by.unwrap_or(GroupBy::Signature) {
        GroupBy::Signature => sighting(&a.report).signature.hash,
        GroupBy::Title => a.report.title.clone(),
        GroupBy::Rule => a.verdict.rule.clone(),
        GroupBy::Verdict => a.verdict.class.as_str().to_string(),
    }
}

impl Outcome {
    /// The short summary `splatdec check` prints.
    pub fn summary(&self, sup: &[Suppression]) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "splatdec check: {} report(s), {} finding(s), {} suppressed",
            self.total,
            self.findings.len(),
            self.suppressed.len()
        );
        match &self.baseline {
            Some(b) => {
                let _ = writeln!(
                    s,
                    ", {} already in the baseline {}",
                    self.known.len(),
                    escape::text(b)
                );
            }
            None => s.push('\n'),
        }
        for f in &self.findings {
            let _ = writeln!(s, "  FAIL {f}");
        }
        for f in &self.known {
            let _ = writeln!(s, "  old  {f}");
        }
        for f in &self.suppressed {
            let _ = writeln!(s, "  ok   {f}");
        }
        for &i in &self.expired {
            let e = &sup[i - 1];
            let _ = writeln!(
                s,
                "  expired suppression {i} (expires {}): {}",
                e.expires.as_deref().unwrap_or("?"),
                escape::text(&e.reason)
            );
        }
        for &i in &self.unused {
            let _ = writeln!(
                s,
                "  unused suppression {i}: {}",
                escape::text(&sup[i - 1].reason)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let ok = parse_suppressions(
            "[[suppress]]\ntitle = \"possible deadlock in .*\"\nreason = \"known\"\nexpires = \"2030-01-01\"\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        assert!(parse_suppressions("[[suppress]]\ntitle = \"x\"\n").is_err());
        assert!(parse_suppressions("[[suppress]]\nreason = \"r\"\n").is_err());
        assert!(parse_suppressions("[[suppress]]\nrule = \"nope\"\nreason = \"r\"\n").is_err());
        assert!(parse_suppressions("[[suppress]]\nkind = \"x\"\nreason = \"r\"\n").is_err());
        assert!(parse_suppressions("[[suppress]]\ntitle = \"(\"\nreason = \"r\"\n").is_err());
        assert!(parse_suppressions(
            "[[suppress]]\ntitle = \"x\"\nreason = \"r\"\nexpires = \"soon\"\n"
        )
        .is_err());
        assert!(parse_suppressions("").unwrap().is_empty());
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert!(valid_date(&t), "{t}");
        assert!(t.as_str() > "2020-01-01");
    }
}
