//! Regressions against a baseline: which groups of this run are new,
//! which were already there, and which are gone.
//!
//! A baseline is a previous `splatdec triage --format jsonl` output. It is
//! read line by line (one group per line, a line is at most
//! [`MAX_LINE`] bytes, gzip/xz/zstd decompressed as read); what is kept of
//! each group is its JSON object, so memory is one small record per
//! baseline group, like the run's own groups. Groups are matched on their
//! `group` value, which is why the baseline must have been grouped the same
//! way as the run (`group_by`); with the default grouping that value is the
//! signature hash, which does not change between kernel builds
//! ([`super::signature`]).
//!
//! Lines that a baseline run added itself are skipped: its `gone` groups
//! (not seen in that run) and its `baseline_summary` line, so this week's
//! output is next week's baseline as it is.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use super::group::GroupBy;

/// The longest baseline line accepted (a triage group line is well under
/// 4 KiB; this bounds what a damaged or hostile file can make us hold).
pub const MAX_LINE: usize = 1 << 20;

/// How a group of this run compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mark {
    /// Not in the baseline.
    New,
    /// In the baseline and in this run.
    Still,
    /// In the baseline, not in this run.
    Gone,
}

impl Mark {
    /// The word the outputs print (`new`, `still`, `gone`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::New => "new",
            Mark::Still => "still",
            Mark::Gone => "gone",
        }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One group of the baseline: what the old run said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct OldGroup {
    /// Its line in the baseline file (1-based).
    pub line: u64,
    /// Its report count there.
    pub count: u64,
    /// The whole JSON object as the old run wrote it.
    pub fields: Map<String, Value>,
}

impl OldGroup {
    /// A string field of the old object, if it has one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

/// A baseline file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The file name, as given.
    pub path: String,
    /// How it was grouped (`None` for a file without groups).
    pub group_by: Option<GroupBy>,
    /// Its groups by `group` value.
    pub groups: BTreeMap<String, OldGroup>,
}

/// Why a baseline file cannot be used: the file and line, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError {
    /// The baseline file as given.
    pub path: String,
    /// 1-based; 0 when the file could not be opened or read at all.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.path, self.line, self.reason)
        }
    }
}

fn group_by_named(s: &str) -> Option<GroupBy> {
    [
        GroupBy::Signature,
        GroupBy::Title,
        GroupBy::Rule,
        GroupBy::Verdict,
    ]
    .into_iter()
    .find(|g| g.as_str() == s)
}

impl Baseline {
    /// Read a baseline file (compressed ones too).
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let name = path.display().to_string();
        let reader = crate::input::open::open_path(path, |_| {}).map_err(|e| BaselineError {
            path: name.clone(),
            line: 0,
            reason: e.to_string(),
        })?;
        Baseline::from_reader(reader, &name)
    }

    /// Read a baseline from any reader; `name` names it in errors.
    pub fn from_reader(reader: impl Read, name: &str) -> Result<Baseline, BaselineError> {
        let mut b = Baseline {
            path: name.to_string(),
            group_by: None,
            groups: BTreeMap::new(),
        };
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            line += 1;
            let err = |reason: String| BaselineError {
                path: name.to_string(),
                line,
                reason,
            };
            let n = (&mut r)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| err(e.to_string()))?;
            if n == 0 {
                break;
            }
            if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
                return Err(err(format!("line longer than {MAX_LINE} bytes")));
            }
            let text = std::str::from_utf8(&buf).map_err(|_| err("not UTF-8".into()))?;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            b.add_line(text, line).map_err(err)?;
        }
        Ok(b)
    }

    fn add_line(&mut self, text: &str, line: u64) -> Result<(), String> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            format!("not a JSON object ({e}): expected `splatdec triage --format jsonl` output")
        })?;
        let Value::Object(fields) = v else {
            return Err(
                "not a JSON object: expected `splatdec triage --format jsonl` output".into(),
            );
        };
        if fields.contains_key("baseline_summary") {
            return Ok(());
        }
        if fields.get("baseline").and_then(Value::as_str) == Some("gone") {
            // Listed by that run as gone: it was not seen in it.
            return Ok(());
        }
        let field = |k: &str| -> Result<&Value, String> {
            fields.get(k).ok_or_else(|| {
                format!("no `{k}` field: expected `splatdec triage --format jsonl` output")
            })
        };
        let by = field("group_by")?
            .as_str()
            .ok_or("`group_by` is not a string")?;
        let by = group_by_named(by).ok_or_else(|| format!("unknown `group_by` {by:?}"))?;
        let group = field("group")?
            .as_str()
            .ok_or("`group` is not a string")?
            .to_string();
        let count = field("count")?
            .as_u64()
            .ok_or("`count` is not a non-negative integer")?;
        match self.group_by {
            None => self.group_by = Some(by),
            Some(g) if g != by => {
                return Err(format!(
                    "grouped by {}, earlier lines by {}",
                    by.as_str(),
                    g.as_str()
                ))
            }
            Some(_) => {}
        }
        if let Some(old) = self.groups.get(&group) {
            return Err(format!(
                "group {:?} is already on line {}",
                crate::escape::text(&group),
                old.line
            ));
        }
        self.groups.insert(
            group,
            OldGroup {
                line,
                count,
                fields,
            },
        );
        Ok(())
    }

    /// Check that this baseline can be compared with a run grouped `by`.
    pub fn check_group_by(&self, by: GroupBy) -> Result<(), BaselineError> {
        match self.group_by {
            Some(g) if g != by => {
                let line = self.groups.values().map(|g| g.line).min().unwrap_or(1);
                Err(BaselineError {
                    path: self.path.clone(),
                    line,
                    reason: format!(
                        "grouped by {}, this run by {} (give --group-by {})",
                        g.as_str(),
                        by.as_str(),
                        g.as_str()
                    ),
                })
            }
            _ => Ok(()),
        }
    }

    /// The mark of a group of this run.
    pub fn mark(&self, group: &str) -> Mark {
        if self.groups.contains_key(group) {
            Mark::Still
        } else {
            Mark::New
        }
    }

    /// The baseline's groups that `present` (this run's group values) does
    /// not have, in the baseline's order of size (largest first, ties by
    /// group value).
    pub fn gone<'a>(&'a self, present: &dyn Fn(&str) -> bool) -> Vec<(&'a str, &'a OldGroup)> {
        let mut v: Vec<(&str, &OldGroup)> = self
            .groups
            .iter()
            .filter(|(g, _)| !present(g))
            .map(|(g, o)| (g.as_str(), o))
            .collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        v
    }
}

/// Groups (and their reports) per mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Groups of this run not in the baseline.
    pub new: usize,
    /// Groups in both.
    pub still: usize,
    /// Baseline groups not in this run.
    pub gone: usize,
    /// Reports in the new groups.
    pub new_reports: u64,
    /// Reports in the groups still there (this run's count).
    pub still_reports: u64,
    /// Reports the gone groups had in the baseline.
    pub gone_reports: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Baseline, BaselineError> {
        Baseline::from_reader(s.as_bytes(), "old.jsonl")
    }

    #[test]
    fn reads_groups_and_skips_what_a_baseline_run_added() {
        let b = parse(concat!(
            "{\"group_by\":\"signature\",\"group\":\"aa\",\"count\":3,\"title\":\"t\"}\n",
            "\n",
            "{\"group_by\":\"signature\",\"group\":\"bb\",\"count\":0,\"baseline\":\"gone\"}\n",
            "{\"group_by\":\"signature\",\"group\":\"cc\",\"count\":1,\"baseline\":\"new\"}\n",
            "{\"baseline_summary\":{\"new\":1}}\n",
        ))
        .unwrap();
        assert_eq!(b.group_by, Some(GroupBy::Signature));
        assert_eq!(b.groups.keys().collect::<Vec<_>>(), ["aa", "cc"]);
        assert_eq!(b.groups["aa"].line, 1);
        assert_eq!(b.groups["aa"].str("title"), Some("t"));
        assert_eq!(b.mark("aa"), Mark::Still);
        assert_eq!(b.mark("zz"), Mark::New);
        let gone = b.gone(&|g| g == "cc");
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].0, "aa");
        assert!(parse("").unwrap().groups.is_empty());
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            ("{\"group_by\":\"signature\",\"group\":\"a\",\"count\":1}\nnot json\n", 2, "not a JSON object"),
            ("[1,2]\n", 1, "not a JSON object"),
            ("{\"group\":\"a\",\"count\":1}\n", 1, "no `group_by`"),
            ("{\"group_by\":\"colour\",\"group\":\"a\",\"count\":1}\n", 1, "unknown `group_by`"),
            ("{\"group_by\":\"title\",\"group\":\"a\",\"count\":-1}\n", 1, "`count`"),
            (
                "{\"group_by\":\"title\",\"group\":\"a\",\"count\":1}\n{\"group_by\":\"rule\",\"group\":\"b\",\"count\":1}\n",
                2,
                "grouped by rule, earlier lines by title",
            ),
            (
                "{\"group_by\":\"title\",\"group\":\"a\",\"count\":1}\n{\"group_by\":\"title\",\"group\":\"a\",\"count\":1}\n",
                2,
                "already on line 1",
            ),
        ];
        for (text, line, reason) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.reason.contains(reason), "{text}: {e}");
            assert!(
                e.to_string().starts_with(&format!("old.jsonl:{line}: ")),
                "{e}"
            );
        }
        let e = Baseline::from_reader(&b"\xff\xfe\n"[..], "x").unwrap_err();
        assert_eq!((e.line, e.reason.as_str()), (1, "not UTF-8"));
    }

    #[test]
    fn an_overlong_line_is_refused_without_reading_it_whole() {
        let big = std::io::repeat(b'x').take(MAX_LINE as u64 * 4);
        let e = Baseline::from_reader(big, "big.jsonl").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("longer than"), "{e}");
    }

    #[test]
    fn another_grouping_is_refused() {
        let b = parse("{\"group_by\":\"title\",\"group\":\"a\",\"count\":1}\n").unwrap();
        assert!(b.check_group_by(GroupBy::Title).is_ok());
        let e = b.check_group_by(GroupBy::Signature).unwrap_err();
        assert!(e.to_string().contains("give --group-by title"), "{e}");
    }
}
