//! Conformance against syzkaller's own parser test data.
//!
//! `../shared/corpus/syzkaller-report/` holds real console logs, each headed
//! by `TITLE:` / `TYPE:` / `CORRUPTED:` lines, a blank line, then the log.
//! The corpus is not part of this repository; the test skips cleanly when
//! it is absent.
//!
//! Two checks:
//! 1. For every file whose TITLE belongs to the lockdep family (the report
//!    kinds splatdec decodes) and that is not marked CORRUPTED, our first
//!    report's title must equal TITLE for at least 95% of files.
//! 2. For every file whose log holds no lockdep banner at all (KASAN, GPF,
//!    ...), no report may be emitted.

use std::fs;
use std::path::{Path, PathBuf};

/// Title prefixes of the lockdep family, as syzkaller spells them.
const FAMILY: &[&str] = &[
    "possible deadlock in ",
    "inconsistent lock state in ",
    "WARNING: suspicious RCU usage in ",
    "INFO: suspicious RCU usage in ",
    "BUG: bad unlock balance in ",
    "WARNING: bad unlock balance in ",
    "BUG: held lock freed in ",
    "WARNING: held lock freed in ",
    "BUG: still has locks held in ",
    "WARNING: still has locks held in ",
    "BUG: lock held when returning to user space in ",
    "WARNING: lock held when returning to user space in ",
    "WARNING: nested lock was not taken in ",
    "WARNING: locking bug in ",
    "INFO: trying to register non-static key in ",
    "BUG: sleeping function called from invalid context in ",
    "BUG: scheduling while atomic in ",
    "BUG: MAX_",
    "BUG: looking up invalid subclass",
    "INFO: task hung in ",
];

/// Phrases of every banner splatdec decodes, written independently of the
/// library's banner table so the second check cannot agree with itself.
const BANNER_PHRASES: &[&str] = &[
    "locking dependency detected",
    "recursive locking detected",
    "inconsistent lock state",
    "lock inversion dependency",
    "-unsafe lock order detected",
    "bad unlock balance detected",
    "bad contention detected",
    "held lock freed",
    "still has locks held",
    "when returning to user space",
    "Nested lock was not taken",
    "suspicious RCU usage",
    "Invalid wait context",
    " too low!",
    "non-static key",
    "has not been registered",
    "invalid subclass",
    "sleeping function called from invalid context",
    "scheduling while atomic",
    "lockdep.c",
    "DEBUG_LOCKS_WARN_ON",
    "chain_key collision",
    "Showing all locks held in the system",
    "for more than",
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/syzkaller-report");
    dir.is_dir().then_some(dir)
}

struct Case {
    name: String,
    title: Option<String>,
    corrupted: bool,
    log: Vec<u8>,
}

fn load(path: &Path) -> Case {
    let data = fs::read(path).expect("corpus file is readable");
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|p| p + 2)
        .unwrap_or(data.len());
    let header = String::from_utf8_lossy(&data[..split]);
    let mut title = None;
    let mut corrupted = false;
    for line in header.lines() {
        if let Some(t) = line.strip_prefix("TITLE: ") {
            title = Some(t.trim().to_string()).filter(|t| !t.is_empty());
        }
        if line.trim() == "CORRUPTED: Y" {
            corrupted = true;
        }
    }
    let log: Vec<u8> = data[split..]
        .iter()
        .copied()
        .filter(|&b| b != b'\r')
        .collect();
    Case {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        title,
        corrupted,
        log,
    }
}

fn cases() -> Option<Vec<Case>> {
    let dir = corpus_dir()?;
    let mut paths: Vec<_> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    Some(paths.iter().map(|p| load(p)).collect())
}

#[test]
fn lockdep_family_titles_match_syzkaller() {
    let Some(cases) = cases() else {
        eprintln!("corpus not present; skipping");
        return;
    };
    let mut total = 0;
    let mut agree = 0;
    let mut misses = Vec::new();
    let (mut flag_total, mut flag_agree) = (0, 0);
    let mut flag_misses = Vec::new();
    for c in &cases {
        let Some(title) = &c.title else { continue };
        if !FAMILY.iter().any(|p| title.starts_with(p)) {
            continue;
        }
        // The corrupted flag is compared over every family file.
        let reports = splatdec::decode_all(&c.log[..], &c.name).unwrap();
        if let Some(first) = reports.first() {
            flag_total += 1;
            if first.corrupted == c.corrupted {
                flag_agree += 1;
            } else {
                flag_misses.push(format!("  {}: expected corrupted={}", c.name, c.corrupted));
            }
        }
        if c.corrupted {
            continue;
        }
        total += 1;
        let reports = splatdec::decode_all(&c.log[..], &c.name).unwrap();
        let ours = reports.first().map(|r| r.title.clone()).unwrap_or_default();
        if &ours == title {
            agree += 1;
        } else {
            misses.push(format!(
                "  {}: expected {:?}, got {:?}",
                c.name, title, ours
            ));
        }
    }
    let rate = if total == 0 {
        1.0
    } else {
        agree as f64 / total as f64
    };
    eprintln!(
        "lockdep-family title agreement: {agree}/{total} = {:.1}%",
        rate * 100.0
    );
    for m in &misses {
        eprintln!("{m}");
    }
    let flag_rate = flag_agree as f64 / flag_total.max(1) as f64;
    eprintln!(
        "corrupted flag agreement: {flag_agree}/{flag_total} = {:.1}%",
        flag_rate * 100.0
    );
    for m in &flag_misses {
        eprintln!("{m}");
    }
    assert!(
        flag_rate >= 0.9,
        "corrupted-flag agreement {:.1}% is below 90%",
        flag_rate * 100.0
    );
    assert!(total > 0, "no lockdep-family files found in the corpus");
    assert!(rate >= 0.95, "agreement {:.1}% is below 95%", rate * 100.0);
}

#[test]
fn no_reports_from_logs_without_lockdep_banners() {
    let Some(cases) = cases() else {
        eprintln!("corpus not present; skipping");
        return;
    };
    let mut checked = 0;
    let mut false_reports = Vec::new();
    for c in &cases {
        let text = String::from_utf8_lossy(&c.log);
        if BANNER_PHRASES.iter().any(|p| text.contains(p)) {
            continue;
        }
        checked += 1;
        let reports = splatdec::decode_all(&c.log[..], &c.name).unwrap();
        if !reports.is_empty() {
            false_reports.push(format!("  {}: {:?}", c.name, reports[0].title));
        }
    }
    eprintln!(
        "files without lockdep banners: {checked}, with spurious reports: {}",
        false_reports.len()
    );
    for f in &false_reports {
        eprintln!("{f}");
    }
    assert!(
        checked > 100,
        "expected many non-lockdep files, saw {checked}"
    );
    assert!(false_reports.is_empty());
}
