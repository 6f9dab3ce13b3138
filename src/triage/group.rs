//! Grouping: counting sightings per signature and rolling them up by
//! title, rule or verdict.
//!
//! The finest grain is a [`Cell`]: one (signature, title, verdict class,
//! rule). Every `--group-by` is a roll-up of cells, so the same data
//! answers "how many distinct bugs", "which syzbot titles are one cycle"
//! and "how many reports did rule X decide".
//!
//! Merging two cells is commutative and associative (counts add, `first`
//! is the minimum and `last` the maximum of a total order on where a
//! report was seen), so the result does not depend on which thread read
//! what, or when.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::classify::Class;
use crate::model::ReportKind;

use super::signature::{Sighting, Signature};

/// Titles kept per group (the smallest, so the choice is deterministic).
pub const MAX_TITLES: usize = 8;

/// Where a report was seen. Ordered by input position, then by report
/// position in the input: the order a sequential run would meet them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    /// The input unit (a file, standard input or a syzkaller crash directory)
    /// by its index in the run's input list.
    pub unit: usize,
    /// How many reports of that unit came before this one.
    pub ordinal: u64,
    /// The report's source (file name, or `-`), for display.
    pub source: String,
    /// The report's banner line in its source.
    pub line: u64,
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.source, self.line)
    }
}

/// What identifies a cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    /// The bug's signature: the kind, title or cycle, locks and guilty
    /// frames that identify it (see [`super::signature`]).
    pub signature: Signature,
    /// The report's syzkaller-compatible title.
    pub title: String,
    /// The class of the report's verdict.
    pub verdict: Class,
    /// The id of the verdict's primary rule (`undetermined` when none fired).
    pub rule: String,
    /// The known issue the reports match (its id), if any.
    pub known: Option<String>,
}

/// What the triage page shows of a group: its first report decoded, and
/// that report's lock graph. Kept only when asked for
/// ([`super::Options::details`]): one per cell, cut at [`MAX_DETAIL`].
#[derive(Debug)]
pub struct Detail {
    /// The decoded report as `splatdec --explain` prints it (not escaped:
    /// each renderer escapes for its medium).
    pub text: String,
    /// The report's own lock graph (its cycle and held-lock edges).
    pub graph: crate::graph::LockGraph,
}

/// The longest decoded text kept per group.
pub const MAX_DETAIL: usize = 64 * 1024;

impl Detail {
    /// The detail of one analysed report.
    pub fn of(a: &crate::Analysis) -> Detail {
        let opts = crate::render::text::TextOptions {
            width: 100,
            explain: true,
            ..Default::default()
        };
        let mut text = crate::render::text::render(a, &opts);
        if text.len() > MAX_DETAIL {
            let mut cut = MAX_DETAIL;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("\n[... cut: the decoded report is longer than 64 KiB]\n");
        }
        let mut graph = crate::graph::LockGraph::default();
        graph.add(a);
        Detail { text, graph }
    }
}

// Two details of one cell come from the same first report: the text says
// which.
impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for Detail {}

/// Reports that share a signature, a title, a verdict and a known issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The kind of the cell's first report.
    pub kind: ReportKind,
    /// The first report's guilty frame by its source-level name: the first
    /// reliable, non-inlined frame outside locking primitives, allocators,
    /// lockdep, stack dumping and sanitizers (see [`super::signature`]).
    pub guilty_frame: Option<String>,
    /// The guilty frame's source file, when the trace was symbolized.
    pub guilty_file: Option<String>,
    /// Reports in the cell; a crash directory's reports all count in the cell
    /// of its first report.
    pub count: u64,
    /// syzkaller crash directories (one bug each) among them.
    pub crash_dirs: u64,
    /// Where the cell's first report was seen (the order of [`Seen`]).
    pub first: Seen,
    /// Where its last report was seen.
    pub last: Seen,
    /// The first report's detail, when details are kept.
    pub detail: Option<Arc<Detail>>,
}

impl Cell {
    /// A cell of one report.
    pub fn new(s: &Sighting, seen: Seen) -> Cell {
        Cell {
            kind: s.kind,
            guilty_frame: s.guilty_frame.clone(),
            guilty_file: s.guilty_file.clone(),
            count: 1,
            crash_dirs: 0,
            first: seen.clone(),
            last: seen,
            detail: None,
        }
    }

    /// Add `other` (same key) into this cell.
    pub fn merge(&mut self, other: Cell) {
        self.count += other.count;
        self.crash_dirs += other.crash_dirs;
        if other.first < self.first {
            self.first = other.first;
            self.kind = other.kind;
            self.guilty_frame = other.guilty_frame;
            self.guilty_file = other.guilty_file;
            if other.detail.is_some() {
                self.detail = other.detail;
            }
        }
        if other.last > self.last {
            self.last = other.last;
        }
    }
}

fn cap(set: &mut BTreeSet<String>) {
    while set.len() > MAX_TITLES {
        set.pop_last();
    }
}

/// Cells by key.
pub type Cells = BTreeMap<CellKey, Cell>;

/// Add one cell to a map.
pub fn add(cells: &mut Cells, key: CellKey, cell: Cell) {
    match cells.get_mut(&key) {
        Some(c) => c.merge(cell),
        None => {
            cells.insert(key, cell);
        }
    }
}

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One row per signature: distinct bugs.
    Signature,
    /// One row per title, as syzbot groups.
    Title,
    /// One row per classifier rule.
    Rule,
    /// One row per verdict class.
    Verdict,
}

impl GroupBy {
    /// The name `--group-by` takes and the outputs print.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Signature => "signature",
            GroupBy::Title => "title",
            GroupBy::Rule => "rule",
            GroupBy::Verdict => "verdict",
        }
    }
}

/// One output row: cells rolled up by a [`GroupBy`] key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The value grouped on (a signature hash, a title, a rule, a class).
    pub group: String,
    /// The signature of the row's largest cell.
    pub signature: Signature,
    /// Distinct signatures in the row.
    pub signatures: usize,
    /// The kind of the row's largest cell's first report.
    pub kind: ReportKind,
    /// The title of the row's largest cell.
    pub title: String,
    /// Every title seen (syzkaller-compatible), the smallest [`MAX_TITLES`].
    pub titles: BTreeSet<String>,
    /// Reports in the row.
    pub count: u64,
    /// syzkaller crash directories (one bug each) among them.
    pub crash_dirs: u64,
    /// The class with most reports (ties: the first in [`Class::ALL`]).
    pub verdict: Class,
    /// The rule with most reports in that class.
    pub rule: String,
    /// Reports per class.
    pub verdicts: BTreeMap<Class, u64>,
    /// The known issue most of the row's reports match (an entry id), or
    /// `None` when most match none.
    pub known: Option<String>,
    /// The largest cell's guilty frame ([`Cell::guilty_frame`]).
    pub guilty_frame: Option<String>,
    /// Its source file, when symbolized.
    pub guilty_file: Option<String>,
    /// Where the row's first report was seen.
    pub first: Seen,
    /// Where its last report was seen.
    pub last: Seen,
    /// The detail of the row's largest cell, when details were kept.
    pub detail: Option<Arc<Detail>>,
}

/// Roll cells up into rows, largest first (ties by group value).
pub fn rows(cells: &Cells, by: GroupBy) -> Vec<Row> {
    let mut groups: BTreeMap<String, Vec<(&CellKey, &Cell)>> = BTreeMap::new();
    for (k, c) in cells {
        let g = match by {
            GroupBy::Signature => k.signature.hash.clone(),
            GroupBy::Title => k.title.clone(),
            GroupBy::Rule => k.rule.clone(),
            GroupBy::Verdict => k.verdict.as_str().to_string(),
        };
        groups.entry(g).or_default().push((k, c));
    }
    let mut out: Vec<Row> = groups
        .into_iter()
        .filter_map(|(group, members)| row(group, &members))
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.group.cmp(&b.group)));
    out
}

fn row(group: String, members: &[(&CellKey, &Cell)]) -> Option<Row> {
    // The largest cell speaks for the row; ties go to the one seen first.
    let (lk, lc) = members
        .iter()
        .min_by(|(_, a), (_, b)| b.count.cmp(&a.count).then_with(|| a.first.cmp(&b.first)))?;
    let mut verdicts: BTreeMap<Class, u64> = BTreeMap::new();
    let mut rules: BTreeMap<(Class, &str), u64> = BTreeMap::new();
    let mut titles = BTreeSet::new();
    let mut sigs = BTreeSet::new();
    let mut known: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for (k, c) in members {
        *known.entry(k.known.as_deref()).or_default() += c.count;
        *verdicts.entry(k.verdict).or_default() += c.count;
        *rules.entry((k.verdict, k.rule.as_str())).or_default() += c.count;
        titles.insert(k.title.clone());
        sigs.insert(&k.signature.hash);
    }
    cap(&mut titles);
    let verdict = Class::ALL
        .into_iter()
        .max_by_key(|c| (verdicts.get(c).copied().unwrap_or(0), std::cmp::Reverse(*c)))
        .unwrap_or(Class::Undetermined);
    let rule = rules
        .iter()
        .filter(|((c, _), _)| *c == verdict)
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0 .1.cmp(a.0 .1)))
        .map(|((_, r), _)| r.to_string())
        .unwrap_or_default();
    // Most reports decide; ties go to no known issue, then the smallest id.
    let known = known
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .and_then(|(k, _)| k.map(str::to_string));
    Some(Row {
        group,
        signature: lk.signature.clone(),
        signatures: sigs.len(),
        kind: lc.kind,
        title: lk.title.clone(),
        titles,
        count: members.iter().map(|(_, c)| c.count).sum(),
        crash_dirs: members.iter().map(|(_, c)| c.crash_dirs).sum(),
        verdict,
        rule,
        verdicts,
        known,
        guilty_frame: lc.guilty_frame.clone(),
        guilty_file: lc.guilty_file.clone(),
        first: members.iter().map(|(_, c)| &c.first).min()?.clone(),
        last: members.iter().map(|(_, c)| &c.last).max()?.clone(),
        detail: lc.detail.clone(),
    })
}

/// Report and signature counts per value of some field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reports with that value.
    pub reports: u64,
    /// Distinct signatures among them.
    pub signatures: usize,
}

/// Reports and distinct signatures per key (`key` picks it from a cell).
pub fn tally<K: Ord>(cells: &Cells, key: impl Fn(&CellKey, &Cell) -> K) -> BTreeMap<K, Tally> {
    let mut sigs: BTreeMap<K, BTreeSet<&str>> = BTreeMap::new();
    let mut reports: BTreeMap<K, u64> = BTreeMap::new();
    for (k, c) in cells {
        *reports.entry(key(k, c)).or_default() += c.count;
        sigs.entry(key(k, c)).or_default().insert(&k.signature.hash);
    }
    reports
        .into_iter()
        .map(|(k, n)| {
            let s = sigs.get(&k).map(BTreeSet::len).unwrap_or(0);
            (
                k,
                Tally {
                    reports: n,
                    signatures: s,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(unit: usize, ordinal: u64) -> Seen {
        Seen {
            unit,
            ordinal,
            source: format!("f{unit}"),
            line: ordinal + 1,
        }
    }

    fn sighting(frame: &str) -> Sighting {
        Sighting {
            signature: Signature {
                hash: "h".into(),
                key: "k".into(),
            },
            kind: ReportKind::RecursiveLocking,
            title: "t".into(),
            guilty_frame: Some(frame.into()),
            guilty_file: None,
        }
    }

    #[test]
    fn merge_is_order_independent() {
        let a = Cell::new(&sighting("a"), seen(0, 5));
        let b = Cell::new(&sighting("b"), seen(2, 1));
        let c = Cell::new(&sighting("c"), seen(1, 9));
        let mut x = a.clone();
        x.merge(b.clone());
        x.merge(c.clone());
        let mut y = c;
        y.merge(a);
        y.merge(b);
        assert_eq!(x, y);
        assert_eq!(x.count, 3);
        assert_eq!(x.first, seen(0, 5));
        assert_eq!(x.last, seen(2, 1));
        assert_eq!(x.guilty_frame.as_deref(), Some("a"));
    }
}
