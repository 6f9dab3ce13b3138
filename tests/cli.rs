//! The command line as a user meets it: inputs, formats, exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

fn splatdec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splatdec"))
}

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn run_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = splatdec()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn empty_input_is_no_reports_and_success() {
    let (code, out, err) = run_stdin(&["--format", "json"], b"");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "splatdec/1");
    assert_eq!(v["reports"].as_array().unwrap().len(), 0);
    let (code, out, _) = run_stdin(&[], b"just some\nordinary log\n");
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn stdin_dash_and_files_mix() {
    let data = std::fs::read(fixture("formats/printk-time.txt")).unwrap();
    let (code, out, err) = run_stdin(
        &["--format", "jsonl", "-", &fixture("formats/plain.txt")],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["source"], "-");
    assert!(lines[1]["source"].as_str().unwrap().ends_with("plain.txt"));
    for l in &lines {
        assert_eq!(l["kind"], "recursive_locking");
        assert_eq!(l["title"], "possible deadlock in fs_reclaim_acquire");
        assert_eq!(l["complete"], true);
    }
}

#[test]
fn unreadable_file_is_named_others_processed_exit_2() {
    let out = splatdec()
        .args([
            "--format",
            "jsonl",
            "/nonexistent/splat.log",
            &fixture("formats/plain.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/splat.log"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn json_contract_field_names() {
    let out = splatdec()
        .args(["--format", "json", &fixture("formats/plain.txt")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["reports"][0];
    for key in [
        "kind",
        "title",
        "source",
        "line",
        "complete",
        "corrupted",
        "kernel",
        "tainted",
        "task",
        "cpu",
        "acquiring",
        "holding",
        "chain",
        "held_locks",
        "held_locks_count",
        "backtrace",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    for key in ["class", "address", "usage", "wait", "at", "index"] {
        assert!(
            r["held_locks"][0].get(key).is_some(),
            "held lock missing {key}"
        );
    }
    for key in [
        "function", "base", "offset", "size", "module", "file", "line", "inline", "reliable",
        "context",
    ] {
        assert!(r["backtrace"][0].get(key).is_some(), "frame missing {key}");
    }
    assert_eq!(r["task"]["comm"], "sshd");
    assert_eq!(r["task"]["pid"], 24800);
    assert_eq!(r["kernel"], "4.15.0-rc9-backup-debug+");
}

#[test]
fn text_output_is_mail_safe() {
    let out = splatdec()
        .arg(fixture("formats/plain.txt"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'));
    assert!(!text.contains('\t'));
    assert!(text.lines().all(|l| l == l.trim_end()));
    // syzkaller's title stops at fs_reclaim_acquire (lockdep's reclaim
    // annotation); the headline names the allocating function, the title
    // follows it.
    assert!(text.starts_with("[recursive_locking] possible deadlock in alloc_extent_state\n"));
    assert!(text.contains("syzkaller title: possible deadlock in fs_reclaim_acquire"));
    assert!(text.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn control_characters_in_input_are_escaped() {
    let log = "WARNING: possible recursive locking detected\n\
               evil\x1b[2J/1 is trying to acquire lock:\n\
               ffff888012345678 (&x\u{202e}y->lock){+.+.}-{3:3}, at: f+0x1/0x2\n";
    let (_, text, _) = run_stdin(&[], log.as_bytes());
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(
        text.contains("\\x1b") && text.contains("\\u{202e}"),
        "{text}"
    );
    let (_, json, _) = run_stdin(&["--format", "jsonl"], log.as_bytes());
    assert!(!json.contains('\x1b') && !json.contains('\u{202e}'));
    assert!(
        json.contains("\\u001b") && json.contains("\\u202e"),
        "{json}"
    );
}

#[test]
fn gfp_subcommand_decodes_masks_and_expressions() {
    let out = splatdec()
        .args(["gfp", "0x14102c0", "--kernel", "4.15"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("0x14102c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC)"),
        "{text}"
    );
    let out = splatdec()
        .args(["gfp", "GFP_NOFS|__GFP_NOWARN"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("(GFP_NOFS|__GFP_NOWARN)"), "{text}");
    assert!(text.contains("filesystems     no"), "{text}");
    let out = splatdec().args(["gfp", "__GFP_BOGUS"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = splatdec()
        .args(["gfp", "0x1", "--kernel", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kernel"));
}

/// Issue 11 item 11: before 4.4 0xd0 is __GFP_WAIT|__GFP_IO|__GFP_FS
/// (GFP_KERNEL), which reclaims; 4.4's layout would read it as a mask
/// without direct reclaim.
#[test]
fn gfp_subcommand_pre_4_4_layout() {
    let out = splatdec()
        .args(["gfp", "0xd0", "--kernel", "2.6.32"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("GFP mask 0xd0 on Linux 2.6.32\n"),
        "{text}"
    );
    assert!(text.contains("%pGg:    0xd0(GFP_KERNEL)"), "{text}");
    assert!(text.contains("__GFP_WAIT"), "{text}");
    assert!(
        text.contains("direct reclaim  yes: may sleep and reclaim itself"),
        "{text}"
    );
    assert!(text.contains("filesystems     yes"), "{text}");
    assert!(text.contains("RECLAIM_FS-ON"), "{text}");
    assert!(!text.contains("__GFP_DIRECT_RECLAIM"), "{text}");
    assert!(
        !text.contains("search index") && !text.contains("[K"),
        "{text}"
    );
}

#[test]
fn rules_subcommand_lists_and_explains() {
    let out = splatdec().arg("rules").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 25);
    assert!(text.contains("fs-reclaim-nested-memalloc"));
    let out = splatdec()
        .args(["rules", "vmalloc-nofs-ignored"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("memalloc_nofs_save"), "{text}");
    let out = splatdec().args(["rules", "no-such-rule"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verdict_leads_the_text_and_explain_adds_evidence() {
    let out = splatdec()
        .arg(fixture("formats/plain.txt"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let verdict_at = text
        .find("verdict: FALSE POSITIVE (high confidence")
        .expect("verdict line");
    assert!(
        verdict_at < text.find("acquiring:").unwrap(),
        "verdict first: {text}"
    );
    assert!(text[..verdict_at].lines().count() <= 4, "{text}");
    assert!(!text.contains("evidence:"));
    let out = splatdec()
        .args(["--explain", &fixture("formats/plain.txt")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("evidence:") && text.contains("why:"),
        "{text}"
    );
    let out = splatdec()
        .args(["--format", "json", &fixture("formats/plain.txt")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = &v["reports"][0]["verdict"];
    for key in [
        "class",
        "rule",
        "confidence",
        "summary",
        "explanation",
        "evidence",
        "fix",
        "references",
        "rules",
    ] {
        assert!(verdict.get(key).is_some(), "verdict missing {key}");
    }
    assert_eq!(verdict["class"], "false_positive");
}

fn all_fixture_paths() -> Vec<String> {
    let mut v = Vec::new();
    for dir in ["real", "walk", "rules", "formats"] {
        let d = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") {
                v.push(p.display().to_string());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn text_off_a_terminal_has_no_escape_and_fits_the_width() {
    for (width, extra) in [
        ("80", None),
        ("60", Some("--quote")),
        ("40", Some("--full")),
    ] {
        let mut cmd = splatdec();
        cmd.args(["--width", width, "--explain"]);
        if let Some(x) = extra {
            cmd.arg(x);
        }
        cmd.args(all_fixture_paths());
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\x1b'), "escape code without a terminal");
        assert!(!text.contains('\t'));
        let w: usize = width.parse().unwrap();
        for l in text.lines() {
            assert!(l.chars().count() <= w, "line over {w}: {l:?}");
            assert_eq!(l, l.trim_end(), "trailing space: {l:?}");
            if extra == Some("--quote") {
                assert!(l.starts_with('>'), "unquoted line: {l:?}");
            }
        }
    }
}

#[test]
fn color_is_opt_in_off_a_terminal_and_no_color_wins_over_auto() {
    let f = fixture("formats/plain.txt");
    let out = splatdec().args(["--color", "always", &f]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let out = splatdec()
        .args(["--color", "auto", &f])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let out = splatdec()
        .args(["--color", "auto", &f])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let out = splatdec().args(["--color", "auto", &f]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn hostile_lock_names_are_escaped_in_every_format() {
    let log = "======================================================\n\
WARNING: possible circular locking dependency detected\n\
6.1.0 #1 Not tainted\n\
------------------------------------------------------\n\
ev\x1b]0;owned\x07il/1 is trying to acquire lock:\n\
ffff888000000002 (&x\u{202e}gnp.exe->lock){+.+.}-{3:3}, at: f\x1b[31m+0x1/0x2\n\
\n\
but task is already holding lock:\n\
ffff888000000001 (&a\x1b[2J->b|`c`){+.+.}-{3:3}, at: g+0x1/0x2\n";
    for format in ["text", "json", "jsonl", "markdown"] {
        let (_, out, _) = run_stdin(&["--format", format, "--explain"], log.as_bytes());
        assert!(
            !out.contains('\x1b') && !out.contains('\u{202e}') && !out.contains('\x07'),
            "{format}: {out}"
        );
        assert!(
            out.contains("1b") && out.contains("202e"),
            "{format}: escapes missing: {out}"
        );
    }
    let (_, out, _) = run_stdin(&["graph", "--format", "dot"], log.as_bytes());
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'), "{out}");
}

#[test]
fn check_exit_codes() {
    let dir = std::env::temp_dir().join(format!("splatdec-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A false positive only: nothing to fail on.
    let fp = fixture("formats/plain.txt");
    assert_eq!(
        splatdec()
            .args(["check", &fp])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    // A true deadlock fails; --fail-on locking_bug alone does not.
    let td = fixture("rules/recursive-same-instance.txt");
    let out = splatdec().args(["check", &td]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    assert_eq!(
        splatdec()
            .args(["check", "--fail-on", "locking_bug", &td])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    // Suppressed by a matching entry; an unused entry is listed.
    let sup = dir.join("known.toml");
    std::fs::write(
        &sup,
        "[[suppress]]\nlocks = [\"&priv->lock\"]\nrule = \"recursive-same-instance\"\nreason = \"fix queued\"\n\n[[suppress]]\nkind = \"held_lock_freed\"\nreason = \"unused entry\"\n",
    )
    .unwrap();
    let out = splatdec()
        .args(["check", "--suppress", sup.to_str().unwrap(), &td])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("suppressed by entry 1") && text.contains("unused suppression 2"),
        "{text}"
    );
    // An expired entry stops suppressing and is reported.
    std::fs::write(
        &sup,
        "[[suppress]]\ntitle = \"possible deadlock\"\nreason = \"old\"\nexpires = \"2001-01-01\"\n",
    )
    .unwrap();
    let out = splatdec()
        .args(["check", "--suppress", sup.to_str().unwrap(), &td])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expired suppression 1"));
    // Usage and input errors: 2.
    std::fs::write(&sup, "[[suppress]]\ntitle = \"x\"\n").unwrap();
    assert_eq!(
        splatdec()
            .args(["check", "--suppress", sup.to_str().unwrap(), &td])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        splatdec()
            .args(["check", "--fail-on", "bogus", &td])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        splatdec()
            .args(["check", "/nonexistent/log", &td])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = splatdec().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("splatdec"));
    }
    let out = splatdec().arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH") && man.contains("splatdec"), "{man}");
    // One page: every subcommand is a section of it, and it points at no
    // other page (no splatdec-check(1) exists anywhere).
    for sub in [
        "graph",
        "check",
        "triage",
        "rules",
        "gfp",
        "completions",
        "man",
    ] {
        let heading = format!(".SH \"SPLATDEC {}\"", sub.to_uppercase());
        assert!(man.contains(&heading), "no section {heading}");
    }
    assert!(
        !man.contains("splatdec\\-") && !man.contains("(1)"),
        "{man}"
    );
    assert!(!man.contains(".SH EXTRA"), "{man}");
}

#[test]
fn check_fails_on_any_class_or_kind() {
    // Hung-task dumps are undetermined: only a kind filter fails on them.
    let hung = fixture("real/024-hung-task-held-locks-dump-rcu-gp-state-I.txt");
    let code = |args: &[&str]| splatdec().args(args).output().unwrap().status.code();
    assert_eq!(code(&["check", &hung]), Some(0));
    assert_eq!(
        code(&["check", "--fail-on", "held_locks_dump", &hung]),
        Some(1)
    );
    assert_eq!(
        code(&["check", "--fail-on", "undetermined", &hung]),
        Some(1)
    );
    // rt_only alone.
    let rt = fixture("real/007-invalid-wait-context-pool-lock-hikey960-arm64.txt");
    assert_eq!(code(&["check", &rt]), Some(0));
    assert_eq!(code(&["check", "--fail-on", "rt_only", &rt]), Some(1));
    assert_eq!(
        code(&["check", "--fail-on", "false_positive", &rt]),
        Some(0)
    );
    // A bad value names what is accepted.
    let out = splatdec()
        .args(["check", "--fail-on", "rt-only", &rt])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rt_only") && err.contains("held_locks_dump"),
        "{err}"
    );
}

#[test]
fn multi_line_errors_are_printed_as_lines() {
    let dir = std::env::temp_dir().join(format!("splatdec-errlines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sup = dir.join("bad.toml");
    std::fs::write(&sup, "[[suppress]]\ntitle = \"x\"\nreason = 3\n").unwrap();
    let out = splatdec()
        .args([
            "check",
            "--suppress",
            sup.to_str().unwrap(),
            &fixture("formats/plain.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() > 1, "{err}");
    assert!(!err.contains("\\x0a"), "{err}");
    let kb = dir.join("bad-kb.toml");
    std::fs::write(&kb, "[[function]]\nname = 3\n").unwrap();
    let out = splatdec()
        .args(["--kb", kb.to_str().unwrap(), &fixture("formats/plain.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("\\x0a"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_subcommand_help_has_examples() {
    for sub in ["graph", "check", "rules", "gfp", "completions", "man"] {
        let out = splatdec().args([sub, "--help"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples:"),
            "{sub}"
        );
    }
    let out = splatdec().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Examples:"));
}

#[test]
fn triage_subcommand_groups_and_reports_broken_inputs() {
    let out = splatdec()
        .args([
            "triage",
            "--format",
            "jsonl",
            &fixture("rules"),
            &fixture("formats/plain.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let groups: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!groups.is_empty());
    for key in [
        "signature",
        "kind",
        "title",
        "count",
        "verdict",
        "rule",
        "first",
        "last",
    ] {
        assert!(groups[0].get(key).is_some(), "group missing {key}");
    }
    let out = splatdec()
        .args(["triage", &fixture("triage")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "broken archives in fixtures/triage make it exit 2"
    );
}

/// A scratch directory for files a test writes.
fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("splatdec-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_inputs_everywhere_by_their_bytes() {
    let dir = scratch("compressed");
    let splat = std::fs::read(fixture("rules/recursive-same-instance.txt")).unwrap();
    // No telling extension: the bytes say gzip / xz.
    let gz = dir.join("ci-console");
    std::fs::write(&gz, gzip(&splat)).unwrap();
    let x = dir.join("console.log.xz");
    std::fs::write(&x, xz(&splat)).unwrap();
    for f in [&gz, &x] {
        let out = splatdec().arg("check").arg(f).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{}: {text}", f.display());
        assert!(text.contains("1 report(s), 1 finding(s)"), "{text}");
        let out = splatdec().arg("graph").arg(f).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("&priv->lock"));
    }
    let zst = fixture("triage/logs/serial.log.zst");
    let (code, out, err) = run_stdin(&["--format", "jsonl", "-"], &std::fs::read(zst).unwrap());
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().count() >= 1);
    let (code, out, _) = run_stdin(&["--format", "jsonl"], &gzip(&splat));
    assert_eq!((code, out.lines().count()), (0, 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_binary_input_is_an_error_and_the_others_are_read() {
    let dir = scratch("binary");
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(64 * 1024, 0);
    elf.extend_from_slice(b"WARNING: possible recursive locking detected\n");
    let vmlinux = dir.join("vmlinux");
    std::fs::write(&vmlinux, &elf).unwrap();
    for cmd in [&["--format", "jsonl"][..], &["check"], &["graph"]] {
        let out = splatdec()
            .args(cmd)
            .arg(&vmlinux)
            .arg(fixture("formats/plain.txt"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("vmlinux") && err.contains("ELF"), "{err}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.trim().is_empty(), "{cmd:?}: the other input was read");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_truncated_archive_keeps_the_reports_before_the_break() {
    let dir = scratch("truncated");
    let splat = std::fs::read(fixture("rules/recursive-same-instance.txt")).unwrap();
    // Two reports, then enough noise that the cut falls well after them.
    let mut log = [&splat[..], &splat[..]].concat();
    for i in 0..50_000u32 {
        log.extend_from_slice(format!("[ {i}.000000] noise {}\n", i * 7919 % 10007).as_bytes());
    }
    for (name, packed) in [("cut.log.xz", xz(&log)), ("cut.log.gz", gzip(&log))] {
        let f = dir.join(name);
        std::fs::write(&f, &packed[..packed.len() / 2]).unwrap();
        let out = splatdec()
            .args(["--format", "jsonl"])
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(name) && err.contains("compressed byte"),
            "{err}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            2,
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_with_a_baseline_fails_only_on_new_findings() {
    let dir = scratch("check-baseline");
    let old = fixture("triage/versions/console-5.15.log");
    let new = fixture("triage/versions/console-6.12.log");
    let base = dir.join("old.jsonl");
    let out = splatdec()
        .args(["triage", "--format", "jsonl", &old])
        .output()
        .unwrap();
    std::fs::write(&base, &out.stdout).unwrap();
    let b = base.to_str().unwrap();
    // Without the baseline the three bugs fail the job.
    let out = splatdec().args(["check", &new]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // With it they are known (from another kernel build): exit 0.
    let out = splatdec()
        .args(["check", "--baseline", b, &new])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with(
            "splatdec check: 3 report(s), 0 finding(s), 0 suppressed, 3 already in the baseline"
        ),
        "{text}"
    );
    assert_eq!(text.matches("\n  old  ").count(), 3, "{text}");
    // A new finding beside them fails, and only it is a FAIL.
    let fresh = fixture("rules/invalid-wait-context-mutex.txt");
    let out = splatdec()
        .args(["check", "--baseline", b, &new, &fresh])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("  FAIL ").count(), 1, "{text}");
    assert!(
        text.contains("FAIL ") && text.contains("invalid-wait-context-mutex.txt"),
        "{text}"
    );
    // A bad baseline: exit 2, naming the file and line.
    std::fs::write(
        &base,
        "{\"group_by\":\"signature\",\"group\":\"a\",\"count\":1}\n{oops\n",
    )
    .unwrap();
    let out = splatdec()
        .args(["check", "--baseline", b, &new])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("--baseline {b}:2: ")), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_names_are_escaped_in_svg_and_html() {
    // Lock names and the task carry markup, quotes, `&` and escape
    // sequences; so does the file name, which the page shows.
    let log = "======================================================\n\
WARNING: possible circular locking dependency detected\n\
6.1.0 #1 Not tainted\n\
------------------------------------------------------\n\
ev\x1b]0;owned\x07il\"<b>/1 is trying to acquire lock:\n\
ffff888000000002 (&x\x1b[31m<script>alert(1)</script>){+.+.}-{3:3}, at: f_one+0x1/0x2\n\
\n\
but task is already holding lock:\n\
ffff888000000001 (&a\"b'c<img src=x onerror=alert(1)>&y\u{202e}){+.+.}-{3:3}, at: g_two+0x1/0x2\n\
\n\
the existing dependency chain (in reverse order) is:\n\
\n\
-> #1 (&a\"b'c<img src=x onerror=alert(1)>&y\u{202e}){+.+.}-{3:3}:\n\
       lock_acquire+0x1/0x2\n\
       h_three+0x1/0x2\n\
\n\
-> #0 (&x\x1b[31m<script>alert(1)</script>){+.+.}-{3:3}:\n\
       lock_acquire+0x1/0x2\n\
       f_one+0x1/0x2\n\
\n";
    let dir = scratch("hostile-markup");
    let file = dir.join("a<i>&\"'.log");
    std::fs::write(&file, log).unwrap();
    let f = file.to_str().unwrap();
    let (code, svg, _) = run_stdin(&["graph", "--format", "svg", f], b"");
    assert_eq!(code, 0);
    let (code, html, _) = run_stdin(&["triage", "--format", "html", f], b"");
    assert_eq!(code, 0);
    for (what, out) in [("svg", &svg), ("html", &html)] {
        assert!(
            !out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202e}'),
            "{what}"
        );
        for raw in ["<script>alert", "<img", "<b>", "<i>", "b'c", "a\"b"] {
            assert!(!out.contains(raw), "{what}: {raw} raw");
        }
        // Escaped, and so still readable.
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{what}"
        );
        assert!(
            out.contains("&amp;a&quot;b&#39;c&lt;img src=x onerror=alert(1)&gt;&amp;y\\u{202e}"),
            "{what}"
        );
        assert!(out.contains("&amp;x\\x1b[31m"), "{what}");
        assert!(out.contains("h_three"), "{what}: the edge's function");
    }
    // The page's only script is its own, and it is the last element.
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(
        html.contains("a&lt;i&gt;&amp;&quot;&#39;.log"),
        "the path, escaped"
    );
    assert!(html.contains("il&quot;&lt;b&gt;/1"), "the task, escaped");
    let _ = std::fs::remove_dir_all(&dir);
}
