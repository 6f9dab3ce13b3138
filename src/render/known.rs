//! `splatdec known`: the known-issues table as text or JSON.

use serde::Serialize;

use crate::escape;
use crate::kernel::known::{KnownEntry, KnownTable};

/// One entry in `splatdec known --format json`.
#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    kind: &'a str,
    classes: &'a [String],
    functions: &'a [String],
    verdict: &'a str,
    summary: &'a str,
    fix_commit: &'a str,
    fix_subject: &'a str,
    fixed_in: Option<String>,
    stable: Vec<String>,
    lore: &'a str,
    report: Option<&'a str>,
    since: Option<String>,
    cve: Option<&'a str>,
    verified: &'a str,
    /// `builtin` or the `--known` file it came from.
    origin: &'a str,
}

impl<'a> JsonEntry<'a> {
    fn new(e: &'a KnownEntry) -> Self {
        JsonEntry {
            id: &e.id,
            kind: e.kind.as_str(),
            classes: &e.classes,
            functions: &e.functions,
            verdict: e.verdict.as_str(),
            summary: &e.summary,
            fix_commit: &e.fix_commit,
            fix_subject: &e.fix_subject,
            fixed_in: e.fixed_in.map(|v| v.to_string()),
            stable: e.stable.iter().map(|v| v.to_string()).collect(),
            lore: &e.lore,
            report: e.report.as_deref(),
            since: e.since.map(|v| v.to_string()),
            cve: e.cve.as_deref(),
            verified: &e.verified,
            origin: if e.is_user() { &e.origin } else { "builtin" },
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    known: Vec<JsonEntry<'a>>,
}

/// `{"schema":"splatdec/1","known":[...]}`, entries in matching order.
pub fn json(t: &KnownTable) -> String {
    let doc = Document {
        schema: super::json::SCHEMA,
        known: t.entries().iter().map(JsonEntry::new).collect(),
    };
    let mut s = escape::json(serde_json::to_string_pretty(&doc).expect("entries serialize"));
    s.push('\n');
    s
}

/// One line per entry, in matching order: id, kind, verdict, first release
/// with the fix, fix commit (12 digits) and subject; then a count.
pub fn table(t: &KnownTable) -> String {
    let e = |s: &str| escape::text(s).into_owned();
    let idw = t
        .entries()
        .iter()
        .map(|x| x.id.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 48);
    let mut out = format!(
        "{:idw$}  {:27}  {:14}  {:8}  fix\n",
        "id", "kind", "verdict", "fixed_in"
    );
    for x in t.entries() {
        let fixed = x
            .fixed_in
            .map_or_else(|| "-".to_string(), |v| v.to_string());
        out.push_str(&format!(
            "{:idw$}  {:27}  {:14}  {:8}  {} (\"{}\")\n",
            e(&x.id),
            x.kind.as_str(),
            x.verdict.as_str(),
            fixed,
            x.short_commit(),
            e(&x.fix_subject)
        ));
    }
    let user = t.entries().iter().filter(|x| x.is_user()).count();
    out.push_str(&format!(
        "\n{} known issues ({} built in, {user} from --known files)\n",
        t.len(),
        t.len() - user
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_entry_is_listed_once() {
        let t = KnownTable::builtin();
        let text = table(t);
        for x in t.entries() {
            let rows = text
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(x.id.as_str()))
                .count();
            assert_eq!(rows, 1, "{}", x.id);
        }
        let v: serde_json::Value = serde_json::from_str(&json(t)).unwrap();
        assert_eq!(v["known"].as_array().unwrap().len(), t.len());
        assert_eq!(v["known"][0]["origin"], "builtin");
    }
}
