//! The known-issues table end to end: `splatdec known`, `--known FILE` on
//! every command that prints verdicts, the JSON `known` object, triage's
//! `known` column, and every match the built-in table makes over the
//! fixtures.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn splatdec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splatdec"))
}

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = splatdec().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A file in a fresh per-test directory.
fn temp_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splatdec-known-{}-{test}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// One `[[known]]` table; `fields` replace or add keys.
fn entry(id: &str, fields: &[(&str, &str)]) -> String {
    let mut keys: Vec<(String, String)> = [
        ("id", format!("{id:?}")),
        ("kind", "\"suspicious_rcu_usage\"".into()),
        ("classes", "[]".into()),
        (
            "functions",
            "[\"ip_tunnel_find\", \"ip_tunnel_newlink\"]".into(),
        ),
        ("verdict", "\"false_positive\"".into()),
        ("summary", "\"Our own note on this warning.\"".into()),
        (
            "fix_commit",
            "\"00112233445566778899aabbccddeeff00112233\"".into(),
        ),
        ("fix_subject", "\"net: our local fix\"".into()),
        ("fixed_in", "\"6.13\"".into()),
        ("lore", "\"https://lore.kernel.org/all/our-thread/\"".into()),
        ("verified", "\"test entry\"".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in fields {
        match keys.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => keys.push((k.to_string(), v.to_string())),
        }
    }
    let mut s = String::from("[[known]]\n");
    for (k, v) in keys {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

fn first_report(json: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["reports"][0].clone()
}

#[test]
fn known_lists_every_builtin_entry_as_a_table_and_as_json() {
    let (code, table, err) = run(&["known"]);
    assert_eq!(code, 0, "{err}");
    let (code, json, err) = run(&["known", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "splatdec/1");
    let entries = v["known"].as_array().unwrap();
    assert!(entries.len() >= 100, "{} entries", entries.len());
    let header = table.lines().next().unwrap();
    for col in ["id", "kind", "verdict", "fixed_in", "fix"] {
        assert!(header.contains(col), "{header}");
    }
    for e in entries {
        let id = e["id"].as_str().unwrap();
        let commit = &e["fix_commit"].as_str().unwrap()[..12];
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} not listed"));
        assert!(row.contains(commit), "{row}");
        assert!(row.contains(e["kind"].as_str().unwrap()), "{row}");
        assert!(row.contains(e["fix_subject"].as_str().unwrap()), "{row}");
        assert_eq!(e["origin"], "builtin");
    }
    assert!(table.contains(&format!("{} known issues", entries.len())));
}

#[test]
fn a_user_entry_is_listed_first_and_replaces_its_builtin_namesake() {
    let file = temp_file(
        "list",
        "mine.toml",
        &(entry(
            "ip-tunnel-find-rcu-list-rtnl",
            &[("summary", "\"Replaced.\"")],
        ) + &entry("our-own-issue", &[])),
    );
    let f = file.to_str().unwrap();
    let (code, table, err) = run(&["known", "--known", f]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = table.lines().skip(1).take(2).collect();
    assert!(
        rows[0].starts_with("ip-tunnel-find-rcu-list-rtnl "),
        "{table}"
    );
    assert!(rows[1].starts_with("our-own-issue "), "{table}");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("ip-tunnel-find-rcu-list-rtnl "))
            .count(),
        1
    );
    let (_, builtin, _) = run(&["known"]);
    let n = builtin.lines().filter(|l| l.contains("  ")).count();
    assert_eq!(
        table.lines().filter(|l| l.contains("  ")).count(),
        n + 1,
        "one entry added, one replaced"
    );
    let summary = table.lines().last().unwrap();
    assert!(summary.ends_with("2 from --known files)"), "{summary}");
    insta::assert_snapshot!("known_user_rows", rows.join("\n"));
}

#[test]
fn a_report_matching_a_builtin_entry_says_so_in_every_format() {
    let log = fixture("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt");
    let (code, json, err) = run(&["--format", "json", &log]);
    assert_eq!(code, 0, "{err}");
    let r = first_report(&json);
    let k = &r["known"];
    assert_eq!(k["id"], "ip-tunnel-find-rcu-list-rtnl");
    assert_eq!(k["fix_commit"].as_str().unwrap().len(), 40);
    assert!(k["lore"]
        .as_str()
        .unwrap()
        .starts_with("https://lore.kernel.org/"));
    assert_eq!(k["matched_functions"][0], "ip_tunnel_find");
    // 6.12.0-rc3 against a fix first in 6.12: cannot be told.
    assert!(k["kernel_predates_fix"].is_null());
    assert_eq!(k["raised_verdict"], false);
    for key in [
        "id",
        "verdict",
        "fix_commit",
        "fix_subject",
        "fixed_in",
        "stable",
        "lore",
        "matched_classes",
        "matched_functions",
        "kernel_predates_fix",
    ] {
        assert!(k.get(key).is_some(), "known.{key} missing");
    }
    // The classifier's verdict stands.
    assert_eq!(r["verdict"]["rule"], "rcu-list-under-lock");
    let (_, text, _) = run(&[&log]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("known: ip_tunnel_find()"), "{text}");
    assert!(
        flat.contains("fixed by 90e0569dd3d3 (\"ipv4: ip_tunnel:"),
        "{text}"
    );
    let (_, md, _) = run(&["--format", "markdown", &log]);
    assert!(
        md.contains("| Known issue | `ip-tunnel-find-rcu-list-rtnl`"),
        "{md}"
    );
    // A report no entry matches has no `known` key at all.
    let (_, json, _) = run(&[
        "--format",
        "json",
        &fixture("real/006-slab-mutex-kernfs-count-sysfs.txt"),
    ]);
    assert!(first_report(&json).get("known").is_none());
}

#[test]
fn user_entries_are_matched_before_builtin_ones() {
    let log = fixture("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt");
    // Weaker than the built-in entry (one function), but a user's.
    let file = temp_file(
        "first",
        "mine.toml",
        &entry("our-tunnel-note", &[("functions", "[\"ip_tunnel_find\"]")]),
    );
    let (code, json, err) = run(&["--format", "json", "--known", file.to_str().unwrap(), &log]);
    assert_eq!(code, 0, "{err}");
    let k = &first_report(&json)["known"];
    assert_eq!(k["id"], "our-tunnel-note");
    assert_eq!(k["origin"], file.to_str().unwrap());
    // Same id as the built-in: the user's text replaces it.
    let file = temp_file(
        "same-id",
        "mine.toml",
        &entry("ip-tunnel-find-rcu-list-rtnl", &[("summary", "\"Ours.\"")]),
    );
    let (_, json, _) = run(&["--format", "json", "--known", file.to_str().unwrap(), &log]);
    let k = &first_report(&json)["known"];
    assert_eq!(k["id"], "ip-tunnel-find-rcu-list-rtnl");
    assert_eq!(k["summary"], "Ours.");
    assert_eq!(k["fix_subject"], "net: our local fix");
}

#[test]
fn a_match_raises_an_undetermined_verdict_only_while_the_kernel_predates_the_fix() {
    // No rule decides this 2.6.31 recursive-locking report (labeled/167
    // without its stacking-filesystem caller, which a rule reads).
    let log = fixture("rules/recursive-rename-mutex-no-stacking-layer.txt");
    let (_, json, _) = run(&["--format", "json", &log]);
    assert_eq!(first_report(&json)["verdict"]["class"], "undetermined");
    let fields = |fixed: &'static str| {
        vec![
            ("kind", "\"recursive_locking\""),
            ("classes", "[\"&s->s_vfs_rename_mutex\"]"),
            ("functions", "[\"lock_rename\"]"),
            ("verdict", "\"false_positive\""),
            ("fixed_in", fixed),
        ]
    };
    let file = temp_file(
        "raise",
        "mine.toml",
        &entry("ecryptfs-rename-test", &fields("\"2.6.32\"")),
    );
    let f = file.to_str().unwrap();
    let (code, json, err) = run(&["--format", "json", "--known", f, &log]);
    assert_eq!(code, 0, "{err}");
    let r = first_report(&json);
    assert_eq!(r["verdict"]["class"], "false_positive");
    assert_eq!(r["verdict"]["confidence"], "medium");
    assert_eq!(r["verdict"]["rule"], "known-issue");
    assert!(r["verdict"]["explanation"]
        .as_str()
        .unwrap()
        .contains("ecryptfs-rename-test"));
    assert_eq!(r["known"]["raised_verdict"], true);
    assert_eq!(r["known"]["kernel_predates_fix"], true);
    // Relative paths: the snapshot must not depend on the checkout's path.
    let out = splatdec()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--known",
            f,
            "fixtures/rules/recursive-rename-mutex-no-stacking-layer.txt",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!(
        "raised_verdict_text",
        text.lines().take(14).collect::<Vec<_>>().join("\n")
    );
    // The kernel should already have the fix: the verdict stays undetermined.
    let file = temp_file(
        "stay",
        "mine.toml",
        &entry("ecryptfs-rename-test", &fields("\"2.6.30\"")),
    );
    let (_, json, _) = run(&["--format", "json", "--known", file.to_str().unwrap(), &log]);
    let r = first_report(&json);
    assert_eq!(r["verdict"]["class"], "undetermined");
    assert_eq!(r["known"]["kernel_predates_fix"], false);
    assert!(r["verdict"]["explanation"]
        .as_str()
        .unwrap()
        .contains("regression or a different bug"));
}

#[test]
fn rules_explains_the_known_issue_rule() {
    let (code, out, err) = run(&["rules", "known-issue"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("known-issue\n"), "{out}");
    assert!(out.contains("splatdec known"), "{out}");
}

#[test]
fn a_bad_known_file_is_named_with_every_problem_and_exits_2() {
    let bad = temp_file(
        "bad",
        "broken.toml",
        &entry(
            "x",
            &[
                ("kind", "\"deadlock\""),
                ("fix_commit", "\"1234\""),
                ("lore", "\"https://example.org/\""),
            ],
        ),
    );
    let b = bad.to_str().unwrap();
    let log = fixture("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt");
    let tri = fixture("real");
    for args in [
        vec!["--known", b, log.as_str()],
        vec!["check", "--known", b, log.as_str()],
        vec!["graph", "--known", b, log.as_str()],
        vec!["triage", "--known", b, tri.as_str()],
        vec!["known", "--known", b],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.starts_with(&format!("splatdec: --known {b}: ")),
            "{args:?}: {err}"
        );
        assert!(err.lines().count() >= 4, "one line per problem: {err}");
        for want in [
            "kind \"deadlock\"",
            "fix_commit \"1234\"",
            "https://example.org/",
        ] {
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }
    let (code, _, err) = run(&["--known", "/nonexistent/k.toml", &log]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/k.toml"), "{err}");
    let broken = temp_file("syntax", "syntax.toml", "[[known]\nid = ");
    let (code, _, err) = run(&["--known", broken.to_str().unwrap(), &log]);
    assert_eq!(code, 2);
    assert!(err.contains("syntax.toml"), "{err}");
}

#[test]
fn triage_has_a_known_column_in_every_format() {
    let dir = temp_file(
        "triage",
        "010.txt",
        &fs::read_to_string(fixture("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt")).unwrap(),
    )
    .parent()
    .unwrap()
    .to_path_buf();
    fs::copy(
        fixture("real/006-slab-mutex-kernfs-count-sysfs.txt"),
        dir.join("006.txt"),
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let (code, jsonl, err) = run(&["triage", "--format", "jsonl", d]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    let known: Vec<&serde_json::Value> = rows.iter().map(|r| &r["known"]).collect();
    assert!(
        known.contains(&&serde_json::json!("ip-tunnel-find-rcu-list-rtnl")),
        "{jsonl}"
    );
    assert!(known.iter().any(|k| k.is_null()), "{jsonl}");
    let (_, csv, _) = run(&["triage", "--format", "csv", d]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",known"));
    let ends: Vec<&str> = lines.map(|l| l.rsplit(',').next().unwrap()).collect();
    assert!(ends.contains(&"ip-tunnel-find-rcu-list-rtnl"), "{csv}");
    assert!(ends.contains(&""), "{csv}");
    let (_, table, _) = run(&["triage", d]);
    assert_eq!(
        table.matches("known: ip-tunnel-find-rcu-list-rtnl").count(),
        1,
        "{table}"
    );
}

/// The fix commit a labeled sidecar names (12+ hex digits in `fix_commit`).
fn sidecar_fix(side: &str) -> Option<String> {
    let line = side.lines().find(|l| l.starts_with("fix_commit"))?;
    let v = line.split_once('=')?.1;
    let hex: String = v
        .trim()
        .trim_start_matches('"')
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (hex.len() >= 12).then(|| hex.to_ascii_lowercase())
}

/// Every match the built-in table makes over the fixtures, printed for
/// review. Where a labeled splat's sidecar names its fix and that fix is
/// an entry's, the splat must not match another entry; and most of them
/// must match their own.
#[test]
fn every_builtin_match_over_the_fixtures() {
    use splatdec::kernel::known::KnownTable;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let table = KnownTable::builtin();
    let mut logs: Vec<PathBuf> = Vec::new();
    for dir in fs::read_dir(&root).unwrap().flatten() {
        if dir.path().is_dir() {
            logs.extend(
                fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "txt")),
            );
        }
    }
    logs.sort();
    let (mut matches, mut expected, mut found, mut wrong) = (0, 0, 0, Vec::new());
    for log in &logs {
        let name = log.strip_prefix(&root).unwrap().display().to_string();
        let side = fs::read_to_string(log.with_extension("toml")).unwrap_or_default();
        let fix = sidecar_fix(&side);
        let own = fix
            .as_deref()
            .and_then(|f| table.entries().iter().find(|e| e.fix_commit.starts_with(f)));
        expected += usize::from(own.is_some());
        let bytes = fs::read(log).unwrap();
        let mut first = true;
        let before = found + wrong.len();
        splatdec::decode_analyzed(
            &bytes[..],
            &name,
            &splatdec::WalkOptions::default(),
            &mut |a| {
                let Some(k) = &a.known else { return };
                matches += 1;
                eprintln!(
                    "{name}:{} {} -> {} (classes {:?}, functions {:?}; verdict {} by {})",
                    a.report.line,
                    a.report.kind,
                    k.id,
                    k.matched_classes,
                    k.matched_functions,
                    a.verdict.class,
                    a.verdict.rule
                );
                if first {
                    if let Some(e) = own {
                        if e.id == k.id {
                            found += 1;
                        } else {
                            wrong.push(format!(
                                "{name}: fixed by {} ({}), matched {}",
                                e.short_commit(),
                                e.id,
                                k.id
                            ));
                        }
                    }
                }
                first = false;
            },
        )
        .unwrap();
        if let (Some(e), true) = (own, found + wrong.len() == before) {
            eprintln!(
                "{name}: fixed by {} ({}), not matched",
                e.short_commit(),
                e.id
            );
        }
    }
    eprintln!(
        "{matches} matches over {} fixtures; {found} of {expected} labeled splats whose fix is an entry's match it",
        logs.len()
    );
    assert!(
        wrong.is_empty(),
        "matched another entry than their fix's:\n{}",
        wrong.join("\n")
    );
    assert!(expected >= 40, "{expected}");
    assert!(found * 100 >= expected * 90, "{found} of {expected}");
    // The shared syzkaller report corpus, when present: printed only.
    let corpus = root.join("../../shared/corpus/syzkaller-report");
    if let Ok(dir) = fs::read_dir(&corpus) {
        let mut n = 0;
        for e in dir.flatten() {
            let Ok(bytes) = fs::read(e.path()) else {
                continue;
            };
            let name = e.file_name().to_string_lossy().into_owned();
            let _ = splatdec::decode_analyzed(
                &bytes[..],
                &name,
                &splatdec::WalkOptions::default(),
                &mut |a| {
                    if let Some(k) = &a.known {
                        n += 1;
                        eprintln!(
                            "corpus {name}: {} -> {} {:?} {:?}",
                            a.report.kind, k.id, k.matched_classes, k.matched_functions
                        );
                    }
                },
            );
        }
        eprintln!("{n} matches in the shared corpus");
    }
}
