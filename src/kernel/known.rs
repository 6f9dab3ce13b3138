//! The known-issues table: lockdep (and related locking-debug) reports that
//! were fixed upstream or explained upstream as false positives, each with
//! the report kind, lock classes and functions that identify it, the fix
//! commit and the first release that has it.
//!
//! The entries live in `src/kernel/known/*.toml` (schema:
//! `src/kernel/known/README.md`), embedded in the binary; users add their
//! own with `--known FILE` (same schema), which take precedence over
//! built-in entries with the same id. This module only loads and checks the
//! data; matching a report against it is
//! [`crate::analysis::known`].

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::version::KernelVersion;
use crate::kernel::frames::base_name;
use crate::model::Class;
use crate::model::ReportKind;

/// One known report, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownEntry {
    /// A slug (lowercase, digits, dashes), unique across all files, that
    /// outputs name the entry by.
    pub id: String,
    /// The report kind the entry matches.
    pub kind: ReportKind,
    /// Lock classes as lockdep prints them, without usage string or `#N`;
    /// every one must appear in a matching report.
    pub classes: Vec<String>,
    /// Functions of the bug's own path, compiler suffixes stripped.
    pub functions: Vec<String>,
    /// The verdict the entry gives a matching report (never `undetermined`).
    pub verdict: Class,
    /// One sentence: the cycle or misuse and how the fix resolves it.
    pub summary: String,
    /// Full 40-hex mainline commit id of the fix.
    pub fix_commit: String,
    /// The fix commit's subject line, exactly.
    pub fix_subject: String,
    /// First mainline release with the fix, when verified.
    pub fixed_in: Option<KernelVersion>,
    /// First stable release of each branch that got the backport.
    pub stable: Vec<KernelVersion>,
    /// A lore.kernel.org link: the report or patch thread, or a lore subject
    /// search that finds it.
    pub lore: String,
    /// The syzbot bug page, when known.
    pub report: Option<String>,
    /// First release with the commit the fix's `Fixes:` tag names.
    pub since: Option<KernelVersion>,
    /// The CVE id the kernel CNA assigned to the fix, when there is one.
    pub cve: Option<String>,
    /// How each fact of the entry was checked.
    pub verified: String,
    /// `builtin:<file>` or the user file the entry came from.
    pub origin: String,
}

impl KnownEntry {
    /// The fix commit's abbreviated id (12 hex digits, as kernel
    /// `Fixes:` tags write it).
    pub fn short_commit(&self) -> &str {
        &self.fix_commit[..12]
    }

    /// True for an entry from a user's `--known` file.
    pub fn is_user(&self) -> bool {
        !self.origin.starts_with("builtin:")
    }
}

/// An entry as written in the file, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    kind: String,
    classes: Vec<String>,
    functions: Vec<String>,
    verdict: String,
    summary: String,
    fix_commit: String,
    fix_subject: String,
    fixed_in: Option<String>,
    #[serde(default)]
    stable: Vec<String>,
    lore: String,
    report: Option<String>,
    since: Option<String>,
    cve: Option<String>,
    verified: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    known: Vec<RawEntry>,
}

/// Why a known-issues file cannot be used: the file and every problem
/// found in it (a TOML error, or one line per bad entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownError {
    /// The file: `builtin:<file>` or the user file's path.
    pub origin: String,
    /// One line per problem (a TOML error, or one line per bad entry).
    pub problems: Vec<String>,
}

impl fmt::Display for KnownError {
    /// Multi-line: the file, then one indented line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: not a usable known-issues file ({n} {}; schema in src/kernel/known/README.md):",
            self.origin,
            if n == 1 { "problem" } else { "problems" }
        )?;
        for p in &self.problems {
            for (i, line) in p.lines().enumerate() {
                let pad = if i == 0 { "  " } else { "    " };
                write!(f, "\n{pad}{line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for KnownError {}

fn is_hex40(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn kind_named(s: &str) -> Option<ReportKind> {
    ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
}

/// A class name that still carries what the schema says to leave out: a
/// usage string, a trailing `#N` version, an address.
fn class_problem(c: &str) -> Option<&'static str> {
    if c.trim().is_empty() {
        return Some("is empty");
    }
    if c != c.trim() {
        return Some("has leading or trailing spaces");
    }
    if c.contains('{') {
        return Some("carries a usage string `{...}`");
    }
    let before_sub = match c.rsplit_once('/') {
        Some((a, b)) if !b.is_empty() && b.bytes().all(|x| x.is_ascii_digit()) => a,
        _ => c,
    };
    if let Some((_, n)) = before_sub.rsplit_once('#') {
        if !n.is_empty() && n.bytes().all(|x| x.is_ascii_digit()) {
            return Some("carries a `#N` version suffix");
        }
    }
    None
}

/// Check one entry; every problem is named.
fn check(raw: RawEntry, origin: &str) -> Result<KnownEntry, Vec<String>> {
    let mut bad = Vec::new();
    if raw.id.is_empty()
        || !raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        bad.push(format!(
            "id {:?}: use lowercase letters, digits and dashes",
            raw.id
        ));
    }
    let kind = kind_named(&raw.kind);
    if kind.is_none() {
        bad.push(format!(
            "kind {:?} is not a splatdec report kind (e.g. circular_dependency, recursive_locking, suspicious_rcu_usage)",
            raw.kind
        ));
    }
    let verdict = Class::parse(&raw.verdict).filter(|c| *c != Class::Undetermined);
    if verdict.is_none() {
        bad.push(format!(
            "verdict {:?}: expected true_deadlock, false_positive, rt_only, locking_bug or lockdep_internal",
            raw.verdict
        ));
    }
    if !is_hex40(&raw.fix_commit) {
        bad.push(format!(
            "fix_commit {:?} is not a full 40-digit lowercase hex commit id",
            raw.fix_commit
        ));
    }
    for (key, v) in [
        ("summary", &raw.summary),
        ("fix_subject", &raw.fix_subject),
        ("verified", &raw.verified),
    ] {
        if v.trim().is_empty() {
            bad.push(format!("{key} is empty"));
        }
    }
    if !raw.lore.starts_with("https://lore.kernel.org/") {
        bad.push(format!(
            "lore {:?} is not a https://lore.kernel.org/ link",
            raw.lore
        ));
    }
    if let Some(r) = &raw.report {
        if !r.starts_with("https://") {
            bad.push(format!("report {r:?} is not a https:// link"));
        }
    }
    let release = |key: &str, s: &Option<String>, bad: &mut Vec<String>| {
        let s = s.as_deref()?;
        match s.parse::<KernelVersion>() {
            // 2.6.x: the third number is the release.
            Ok(v) if (v.patch == 0 || v.major == 2) && !s.contains(['-', '+']) => Some(v),
            _ => {
                bad.push(format!(
                    "{key} {s:?} is not a release (major.minor, e.g. 6.8, or 2.6.N)"
                ));
                None
            }
        }
    };
    let fixed_in = release("fixed_in", &raw.fixed_in, &mut bad);
    let since = release("since", &raw.since, &mut bad);
    let mut stable = Vec::new();
    for s in &raw.stable {
        match s.parse::<KernelVersion>() {
            Ok(v) if v.patch > 0 && v.major > 2 && !s.contains(['-', '+']) => stable.push(v),
            _ => bad.push(format!(
                "stable {s:?} is not a stable release (major.minor.patch, e.g. 6.1.55)"
            )),
        }
    }
    if let (Some(f), Some(s)) = (fixed_in, since) {
        if s > f {
            bad.push(format!("since {s} is after fixed_in {f}"));
        }
    }
    for c in &raw.classes {
        if let Some(p) = class_problem(c) {
            bad.push(format!("class {c:?} {p}"));
        }
    }
    let functions: Vec<String> = raw
        .functions
        .iter()
        .map(|f| base_name(f.trim()).to_string())
        .collect();
    if functions.is_empty() {
        bad.push("functions is empty: at least one function of the bug's path is needed".into());
    }
    for f in &raw.functions {
        if f.trim().is_empty() || f.contains(|c: char| c.is_whitespace() || c == '+') {
            bad.push(format!(
                "function {f:?} is not a bare function name (no offsets, no spaces)"
            ));
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    let (Some(kind), Some(verdict)) = (kind, verdict) else {
        return Err(bad);
    };
    Ok(KnownEntry {
        id: raw.id,
        kind,
        classes: raw.classes,
        functions,
        verdict,
        summary: raw.summary,
        fix_commit: raw.fix_commit,
        fix_subject: raw.fix_subject,
        fixed_in,
        stable,
        lore: raw.lore,
        report: raw.report,
        since,
        cve: raw.cve,
        verified: raw.verified,
        origin: origin.to_string(),
    })
}

/// Parse and check one file's entries. Every problem is collected (not
/// just the first) and the error names the file.
pub fn parse_file(text: &str, origin: &str) -> Result<Vec<KnownEntry>, KnownError> {
    let err = |problems: Vec<String>| KnownError {
        origin: origin.to_string(),
        problems,
    };
    let file: RawFile = toml::from_str(text).map_err(|e| err(vec![e.to_string()]))?;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (i, raw) in file.known.into_iter().enumerate() {
        let label = format!("entry {} (id {:?})", i + 1, raw.id);
        if !ids.insert(raw.id.clone()) {
            problems.push(format!("{label}: duplicate id"));
        }
        match check(raw, origin) {
            Ok(e) => out.push(e),
            Err(bad) => problems.extend(bad.into_iter().map(|b| format!("{label}: {b}"))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(err(problems))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericPaths {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

/// True for a function many unrelated bugs' stacks pass through (workqueue,
/// timer, softirq, RCU callback, notifier, syscall, file, socket, netlink
/// and network-core dispatch; `src/kernel/data/generic_paths.toml`): finding
/// it in a report says nothing about which known issue the report is.
pub fn is_generic_path(name: &str) -> bool {
    static T: OnceLock<(HashSet<String>, Vec<String>)> = OnceLock::new();
    let (exact, prefixes) = T.get_or_init(|| {
        let g: GenericPaths = toml::from_str(include_str!("data/generic_paths.toml"))
            .expect("generic_paths.toml parses");
        (g.exact.into_iter().collect(), g.prefixes)
    });
    exact.contains(name) || prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

/// The embedded files.
const BUILTIN: &[(&str, &str)] = &[
    ("block.toml", include_str!("known/block.toml")),
    ("bpf.toml", include_str!("known/bpf.toml")),
    ("drm.toml", include_str!("known/drm.toml")),
    ("fs.toml", include_str!("known/fs.toml")),
    ("kvm.toml", include_str!("known/kvm.toml")),
    ("misc.toml", include_str!("known/misc.toml")),
    ("mm.toml", include_str!("known/mm.toml")),
    ("net.toml", include_str!("known/net.toml")),
    ("rcu.toml", include_str!("known/rcu.toml")),
    ("sched.toml", include_str!("known/sched.toml")),
    ("usb.toml", include_str!("known/usb.toml")),
];

/// The known issues a decoder matches against: user entries first (in the
/// order their files were given), then the built-in ones whose ids no user
/// entry took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownTable {
    entries: Vec<KnownEntry>,
}

impl KnownTable {
    /// The embedded table. Its files are checked by the tests, so a load
    /// failure here is a build defect.
    pub fn builtin() -> &'static KnownTable {
        static T: OnceLock<KnownTable> = OnceLock::new();
        T.get_or_init(|| {
            Self::load_builtin().unwrap_or_else(|e| panic!("embedded known issues: {e}"))
        })
    }

    /// Load the embedded files, checking ids are unique across them.
    fn load_builtin() -> Result<KnownTable, KnownError> {
        let mut entries: Vec<KnownEntry> = Vec::new();
        for (name, text) in BUILTIN {
            let origin = format!("builtin:{name}");
            for e in parse_file(text, &origin)? {
                if let Some(prev) = entries.iter().find(|p| p.id == e.id) {
                    return Err(KnownError {
                        origin,
                        problems: vec![format!("id {:?} is also in {}", e.id, prev.origin)],
                    });
                }
                entries.push(e);
            }
        }
        Ok(KnownTable { entries })
    }

    /// A table of exactly these entries, in this order.
    pub fn from_entries(entries: Vec<KnownEntry>) -> KnownTable {
        KnownTable { entries }
    }

    /// This table with a user file's entries put in front. A user entry
    /// replaces an entry with the same id (built-in or from an earlier
    /// file); user entries are matched before built-in ones.
    pub fn with_user_entries(&self, user: Vec<KnownEntry>) -> KnownTable {
        let ids: HashSet<&str> = user.iter().map(|e| e.id.as_str()).collect();
        let (mut earlier_user, builtin): (Vec<KnownEntry>, Vec<KnownEntry>) = self
            .entries
            .iter()
            .filter(|e| !ids.contains(e.id.as_str()))
            .cloned()
            .partition(KnownEntry::is_user);
        earlier_user.extend(user);
        earlier_user.extend(builtin);
        KnownTable {
            entries: earlier_user,
        }
    }

    /// Every entry, in matching order.
    pub fn entries(&self) -> &[KnownEntry] {
        &self.entries
    }

    /// How many entries the table has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid entry in TOML, with `extra` lines replacing keys by name.
    pub(crate) fn entry_toml(id: &str, extra: &[(&str, &str)]) -> String {
        let mut keys: Vec<(&str, String)> = vec![
            ("id", format!("{id:?}")),
            ("kind", "\"circular_dependency\"".into()),
            ("classes", "[\"&a->lock\", \"&b->mutex\"]".into()),
            ("functions", "[\"foo_do_thing\"]".into()),
            ("verdict", "\"true_deadlock\"".into()),
            ("summary", "\"a summary\"".into()),
            ("fix_commit", format!("\"{}\"", "a".repeat(40))),
            ("fix_subject", "\"foo: fix lock order\"".into()),
            ("fixed_in", "\"6.8\"".into()),
            ("lore", "\"https://lore.kernel.org/all/x/\"".into()),
            ("verified", "\"test\"".into()),
        ];
        for (k, v) in extra {
            match keys.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.to_string(),
                None => keys.push((k, v.to_string())),
            }
        }
        let mut s = String::from("[[known]]\n");
        for (k, v) in keys.into_iter().filter(|(_, v)| !v.is_empty()) {
            s.push_str(&format!("{k} = {v}\n"));
        }
        s
    }

    #[test]
    fn every_builtin_entry_is_valid() {
        let t = KnownTable::load_builtin().unwrap_or_else(|e| panic!("{e}"));
        assert!(t.len() >= 100, "{} entries", t.len());
        let mut ids = HashSet::new();
        let mut commits = HashSet::new();
        for e in t.entries() {
            assert!(ids.insert(&e.id), "duplicate id {}", e.id);
            assert!(commits.insert(&e.fix_commit), "{}: fix listed twice", e.id);
            assert!(is_hex40(&e.fix_commit), "{}", e.id);
            assert!(e.lore.starts_with("https://lore.kernel.org/"), "{}", e.id);
            assert!(
                e.fix_subject.contains(':'),
                "{}: subject {:?}",
                e.id,
                e.fix_subject
            );
            assert!(!e.functions.is_empty(), "{}", e.id);
            for s in &e.stable {
                let f = e
                    .fixed_in
                    .unwrap_or_else(|| panic!("{}: stable without fixed_in", e.id));
                assert!(s.without_patch() < f, "{}: stable {s} not before {f}", e.id);
            }
            // The kinds whose report names the locks of the bug carry classes.
            if e.kind.row().names_its_locks {
                assert!(
                    !e.classes.is_empty(),
                    "{}: {} entry without classes",
                    e.id,
                    e.kind
                );
            }
            for f in &e.functions {
                assert_eq!(base_name(f), f, "{}: suffix left on {f}", e.id);
            }
        }
        assert!(std::ptr::eq(KnownTable::builtin(), KnownTable::builtin()));
    }

    #[test]
    fn generic_paths_are_infrastructure_only() {
        assert!(is_generic_path("process_one_work"));
        assert!(is_generic_path("__x64_sys_ioctl"));
        assert!(is_generic_path("__dev_queue_xmit"));
        assert!(!is_generic_path("btrfs_zone_activate"));
        assert!(!is_generic_path("ksz_switch_register"));
    }

    #[test]
    fn a_valid_entry_loads() {
        let v = parse_file(&entry_toml("x-y", &[]), "u.toml").unwrap();
        assert_eq!(v[0].kind, ReportKind::CircularDependency);
        assert_eq!(v[0].verdict, Class::TrueDeadlock);
        assert_eq!(v[0].fixed_in, Some(KernelVersion::release(6, 8)));
        assert_eq!(v[0].short_commit(), "aaaaaaaaaaaa");
        assert!(v[0].is_user());
    }

    #[test]
    fn functions_lose_compiler_suffixes() {
        let v = parse_file(
            &entry_toml(
                "x",
                &[("functions", "[\"foo.isra.0\", \"bar.part.3.cold\"]")],
            ),
            "u.toml",
        )
        .unwrap();
        assert_eq!(v[0].functions, ["foo", "bar"]);
    }

    #[test]
    fn every_problem_is_named_with_the_file() {
        let text = format!(
            "{}{}",
            entry_toml(
                "Bad_Id",
                &[
                    ("kind", "\"circular\""),
                    ("verdict", "\"maybe\""),
                    ("fix_commit", "\"abc123\""),
                    ("lore", "\"https://example.com/x\""),
                    ("fixed_in", "\"soon\""),
                    ("stable", "[\"6.1\"]"),
                    ("classes", "[\"&a->lock#2\", \"&b{+.+.}\"]"),
                ],
            ),
            entry_toml("dup", &[])
        ) + &entry_toml("dup", &[]);
        let e = parse_file(&text, "mine.toml").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("mine.toml: "), "{s}");
        for want in [
            "id \"Bad_Id\"",
            "kind \"circular\"",
            "verdict \"maybe\"",
            "fix_commit \"abc123\"",
            "lore \"https://example.com/x\"",
            "fixed_in \"soon\"",
            "stable \"6.1\"",
            "`#N` version",
            "usage string",
            "entry 3 (id \"dup\"): duplicate id",
        ] {
            assert!(s.contains(want), "missing {want:?} in\n{s}");
        }
        assert!(s.lines().count() >= 10, "{s}");
    }

    #[test]
    fn toml_errors_and_unknown_keys_name_the_file() {
        let e = parse_file("[[known]\nid=", "broken.toml").unwrap_err();
        assert!(e.to_string().starts_with("broken.toml: "), "{e}");
        let e = parse_file(&entry_toml("x", &[("colour", "\"red\"")]), "k.toml").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = parse_file(&entry_toml("x", &[("summary", "")]), "k.toml").unwrap_err();
        assert!(e.to_string().contains("summary"), "{e}");
    }

    #[test]
    fn user_entries_come_first_and_replace_same_ids() {
        let builtin = KnownTable::builtin();
        let first = builtin.entries()[0].id.clone();
        let user = parse_file(
            &(entry_toml(&first, &[("summary", "\"mine\"")]) + &entry_toml("only-mine", &[])),
            "u.toml",
        )
        .unwrap();
        let t = builtin.with_user_entries(user);
        assert_eq!(t.len(), builtin.len() + 1);
        assert_eq!(t.entries()[0].id, first);
        assert_eq!(t.entries()[0].summary, "mine");
        assert_eq!(t.entries()[1].id, "only-mine");
        assert_eq!(t.entries().iter().filter(|e| e.id == first).count(), 1);
        // A second file goes after the first and replaces its same ids.
        let second =
            parse_file(&entry_toml("only-mine", &[("summary", "\"v2\"")]), "v.toml").unwrap();
        let t2 = t.with_user_entries(second);
        assert_eq!(t2.entries()[0].id, first);
        assert_eq!(t2.entries()[1].summary, "v2");
        assert!(!t2.entries()[2].is_user());
    }
}
