//! `splatdec triage`: the fixture workdir tree, deduplication, determinism
//! across thread counts, broken inputs, and streaming across read-buffer
//! boundaries.
//!
//! `fixtures/triage/` (see its README) is a small syzkaller workdir plus
//! loose CI logs: one lock-order cycle reported from all three of its edges
//! (three syzbot titles) and from two kernel builds, an inconsistent lock
//! state in plain, gzip, xz and zstd logs, a recursive locking report in a
//! console log with caller ids and in a CI log, a KASAN crash directory,
//! and fuzzer state that must not be read.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use splatdec::model::ReportKind;
use splatdec::triage::group::{rows, GroupBy};
use splatdec::triage::output::{self, Format, View};
use splatdec::triage::signature::sighting;
use splatdec::triage::{triage, Options, Outcome};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/triage")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).expect("fixture is readable")
}

const CRASH_EDGE_CA: &str = "workdir/crashes/0b1e1b6a1c8e3d2f5a4b6c7d8e9f0a1b2c3d4e5f";
const CRASH_EDGE_AB: &str = "workdir/crashes/2c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d";
const CRASH_RECURSIVE: &str = "workdir/crashes/8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d";

fn run(paths: &[PathBuf], jobs: usize) -> Outcome {
    let opts = Options {
        jobs: Some(jobs),
        progress: false,
        decoder: splatdec::Decoder::new(),
        details: false,
    };
    triage(paths, &opts).expect("thread pool builds")
}

fn render(o: &Outcome, format: Format, group_by: GroupBy, top: Option<usize>) -> String {
    let mut out = Vec::new();
    let view = View {
        format,
        group_by,
        top,
    };
    output::write(&mut out, o, &view).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("output is UTF-8")
}

/// The one report of a text.
fn one(text: &str) -> splatdec::Report {
    let mut reps = splatdec::decode_str(text, "t");
    assert_eq!(reps.len(), 1, "one report expected");
    reps.remove(0)
}

#[test]
fn fixture_tree_groups_by_bug() {
    let o = run(&[fixture("workdir"), fixture("logs")], 2);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    // Five crash directories and five loose logs; corpus.db and
    // instance-0/ of the workdir are not read.
    assert_eq!((o.inputs, o.crash_dirs), (10, 5));
    assert_eq!(o.reports, 11);
    let groups = rows(&o.cells, GroupBy::Signature);
    let summary: Vec<(ReportKind, u64, u64)> = groups
        .iter()
        .map(|r| (r.kind, r.count, r.crash_dirs))
        .collect();
    assert_eq!(
        summary,
        [
            // crash 1 (two reports), crash 2, ci-boot.log, testdata file
            (ReportKind::CircularDependency, 5, 2),
            // crash 3, serial.log.{gz,xz,zst}
            (ReportKind::InconsistentLockState, 4, 1),
            // crash 5 (from its console log), ci-boot.log
            (ReportKind::RecursiveLocking, 2, 1),
        ]
    );
    let cycle = &groups[0];
    assert_eq!(
        cycle.titles.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "possible deadlock in mydrv_configure",
            "possible deadlock in mydrv_stats_reset",
            "possible deadlock in mydrv_submit",
        ]
    );
    assert_eq!(cycle.verdict.as_str(), "true_deadlock");
    assert_eq!(cycle.rule, "circular-dependency");
    assert!(cycle
        .first
        .to_string()
        .ends_with(&format!("{CRASH_EDGE_CA}/report0:2")));
    assert!(cycle.last.to_string().ends_with("logs/testdata-circular:5"));
    // The guilty frame skips lockdep and the mutex primitives; never a
    // held-locks entry (ksys_write is #0 in every held list here).
    assert_eq!(cycle.guilty_frame.as_deref(), Some("mydrv_stats_reset"));
    let recursive = &groups[2];
    assert!(recursive
        .first
        .to_string()
        .ends_with(&format!("{CRASH_RECURSIVE}/log0:14")));
}

#[test]
fn a_workdir_is_read_through_its_crashes_only() {
    let o = run(&[fixture("workdir")], 1);
    assert_eq!((o.inputs, o.crash_dirs, o.reports), (5, 5, 5));
    // Two reports in report0/report1, one each in the others; the KASAN
    // directory holds no lockdep report and is no group.
    let groups = rows(&o.cells, GroupBy::Signature);
    assert_eq!(groups.len(), 3);
    assert!(groups.iter().all(|g| g.crash_dirs >= 1));
}

#[test]
fn same_bug_from_two_builds_has_one_signature() {
    // report0 and report1 of crash 1 come from two builds: other
    // addresses, offsets, pids, kernel release, lockdep class numbering
    // (`#3` / `#5`) and an `.isra.0` clone of the guilty function.
    let a = read(&format!("{CRASH_EDGE_CA}/report0"));
    let b = read(&format!("{CRASH_EDGE_CA}/report1"));
    assert!(a.contains("&md->stats_mutex#3") && b.contains("&md->stats_mutex#5"));
    assert!(b.contains("mydrv_stats_reset.isra.0+") && !a.contains(".isra."));
    assert_ne!(a, b);
    assert_eq!(sighting(&one(&a)).signature, sighting(&one(&b)).signature);

    // The recursive report of crash 5 (printk caller ids, build 1) and
    // of ci-boot.log (plain timestamps, build 2, other instance address).
    let log = read(&format!("{CRASH_RECURSIVE}/log0"));
    let ci = read("logs/ci-boot.log");
    let reps = splatdec::decode_str(&ci, "ci");
    let in_ci = reps
        .iter()
        .find(|r| r.kind == ReportKind::RecursiveLocking)
        .expect("ci-boot.log has the recursive report");
    assert_eq!(sighting(&one(&log)).signature, sighting(in_ci).signature);
}

#[test]
fn one_cycle_from_every_edge_has_one_signature() {
    // Crash 1 closed the cycle cfg -> io -> stats -> cfg on the stats ->
    // cfg edge, crash 2 on cfg -> io, the test-data file on io -> stats:
    // three "trying to acquire" locks, three syzbot titles, one bug.
    let texts = [
        read(&format!("{CRASH_EDGE_CA}/report0")),
        read(&format!("{CRASH_EDGE_AB}/report0")),
        read("logs/testdata-circular"),
    ];
    let reports: Vec<_> = texts.iter().map(|t| one(t)).collect();
    let acquiring: Vec<&str> = reports
        .iter()
        .map(|r| r.acquiring.as_ref().map_or("", |l| l.class.as_str()))
        .collect();
    assert_eq!(
        acquiring,
        ["&md->cfg_mutex", "&md->io_mutex", "&md->stats_mutex#3"]
    );
    let titles: std::collections::BTreeSet<&str> =
        reports.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles.len(), 3);
    let sigs: Vec<_> = reports.iter().map(|r| sighting(r).signature).collect();
    assert!(sigs.iter().all(|s| *s == sigs[0]), "{sigs:?}");
    assert_eq!(
        sigs[0].key,
        "kind: circular_dependency | cycle: &md->cfg_mutex -> &md->io_mutex -> &md->stats_mutex"
    );
}

#[test]
fn different_bugs_with_one_title_have_different_signatures() {
    let log = read(&format!("{CRASH_RECURSIVE}/log0"));
    let base = one(&log);
    // Another lock recursively taken in the same function.
    let other_lock = one(&log.replace("&priv->lock", "&priv->reset_lock"));
    // The same lock and function reached from another caller.
    let other_caller = one(&log.replace(" mydrv_ioctl+", " mydrv_probe+"));
    assert_eq!(base.title, "possible deadlock in mydrv_reset");
    for r in [&other_lock, &other_caller] {
        assert_eq!(r.title, base.title);
        assert_ne!(sighting(r).signature, sighting(&base).signature);
    }

    // Two cycles through the function that closes them: same title,
    // different lock classes.
    let a = read(&format!("{CRASH_EDGE_CA}/report0"));
    let b = a.replace("&md->io_mutex", "&md->irq_mutex");
    let (ra, rb) = (one(&a), one(&b));
    assert_eq!(ra.title, rb.title);
    assert_ne!(sighting(&ra).signature, sighting(&rb).signature);

    // A reversed cycle is another bug, not a rotation.
    let rev = a
        .replace("&md->io_mutex", "@X@")
        .replace("&md->stats_mutex#3", "&md->io_mutex")
        .replace("@X@", "&md->stats_mutex#3");
    assert_ne!(sighting(&one(&rev)).signature, sighting(&ra).signature);
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let paths = [fixture("")];
    let one_thread = run(&paths, 1);
    let four_threads = run(&paths, 4);
    assert_eq!(one_thread, four_threads);
    for format in [Format::Table, Format::Jsonl, Format::Csv] {
        for by in [
            GroupBy::Signature,
            GroupBy::Title,
            GroupBy::Rule,
            GroupBy::Verdict,
        ] {
            assert_eq!(
                render(&one_thread, format, by, None),
                render(&four_threads, format, by, None)
            );
        }
    }
    // Argument order is input order, whatever the threads do.
    let again = run(&paths, 3);
    assert_eq!(one_thread, again);
}

#[test]
fn broken_inputs_are_listed_and_the_rest_is_read() {
    let missing = fixture("no-such-file.log");
    let o = run(&[fixture("broken"), missing, fixture("logs")], 2);
    let errors: Vec<(String, String)> = o
        .errors
        .iter()
        .map(|e| {
            let name = Path::new(&e.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, e.reason.clone())
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors
        .iter()
        .any(|(n, r)| n == "no-such-file.log" && r.contains("No such file")));
    assert!(errors
        .iter()
        .any(|(n, r)| n == "not-really.log.xz" && r.starts_with("broken xz stream")));
    assert!(errors
        .iter()
        .any(|(n, r)| n == "truncated.log.gz" && r.starts_with("broken gzip stream")));
    // The truncated archive's reports before the break still count: the
    // logs/ ones (6) plus at least one from it.
    assert!(o.reports > 6, "{}", o.reports);
    let table = render(&o, Format::Table, GroupBy::Signature, None);
    assert!(table.contains("3 unreadable inputs (exit status 2):"));
    assert!(table.contains("not-really.log.xz: broken xz stream"));
}

#[test]
fn run_sets_the_exit_status_and_writes_formats() {
    let exec = exec_triage;
    let logs = fixture("logs").display().to_string();
    let (code, out, err) = exec(&["t", "--format", "jsonl", &logs]);
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert!(err.is_empty());
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        for field in [
            "signature",
            "kind",
            "title",
            "count",
            "verdict",
            "rule",
            "first",
            "last",
        ] {
            assert!(v.get(field).is_some(), "{field} missing in {line}");
        }
    }
    assert_eq!(out.lines().count(), 3);

    let (_, out, _) = exec(&[
        "t",
        "--format",
        "csv",
        "--group-by",
        "title",
        "--top",
        "2",
        &logs,
    ]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(output::CSV_COLUMNS.join(",").as_str()));
    assert_eq!(lines.count(), 2);

    let broken = fixture("broken").display().to_string();
    let (code, out, err) = exec(&["t", &broken, &logs]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(err.contains("truncated.log.gz: broken gzip stream"));
    assert!(out.contains("unreadable inputs (exit status 2)"));
}

#[test]
fn group_by_rolls_up_signatures() {
    let o = run(&[fixture("workdir"), fixture("logs")], 2);
    // By title the cycle splits back into syzbot's three titles, each row
    // still naming the one signature.
    let by_title = rows(&o.cells, GroupBy::Title);
    assert_eq!(by_title.len(), 5);
    let cycle: Vec<_> = by_title
        .iter()
        .filter(|r| r.kind == ReportKind::CircularDependency)
        .collect();
    assert_eq!(cycle.len(), 3);
    assert!(cycle
        .iter()
        .all(|r| r.signatures == 1 && r.signature == cycle[0].signature));
    assert_eq!(cycle.iter().map(|r| r.count).sum::<u64>(), 5);
    let by_verdict = rows(&o.cells, GroupBy::Verdict);
    assert_eq!(by_verdict.len(), 1);
    assert_eq!((by_verdict[0].count, by_verdict[0].signatures), (11, 3));
    let top1 = render(&o, Format::Jsonl, GroupBy::Signature, Some(1));
    assert_eq!(top1.lines().count(), 1);
}

/// A reader that hands out a few bytes at a time, in a repeating pattern
/// of sizes, so lines and reports straddle every read boundary.
struct Trickle<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    i: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()];
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn reports_spanning_read_boundaries_decode_the_same() {
    // Noise sized so the report starts just before the line reader's
    // internal buffer fills, then the report itself, CRLF line ends too.
    let report = read(&format!("{CRASH_EDGE_CA}/log0"));
    let mut text = String::new();
    while text.len() < 256 * 1024 - 300 {
        text.push_str("[    1.000000] random: crng init done, some noise to fill the buffer\n");
    }
    text.push_str(&report);
    text.push_str(&report.replace('\n', "\r\n"));
    let whole = splatdec::decode_str(&text, "s");
    assert_eq!(whole.len(), 2);
    for sizes in [&[1][..], &[3, 1, 7], &[4096, 1, 13], &[65536, 5]] {
        let mut got = Vec::new();
        let reader = Trickle {
            data: text.as_bytes(),
            sizes,
            i: 0,
        };
        splatdec::decode(reader, "s", &mut |r| got.push(r)).unwrap();
        assert_eq!(got, whole, "chunk sizes {sizes:?}");
    }
    // And through triage's own path (header sniffing, counting readers).
    let dir = std::env::temp_dir().join(format!("splatdec-triage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("big.log");
    std::fs::write(&f, &text).unwrap();
    let o = run(&[f], 1);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.reports, 2);
    assert_eq!(rows(&o.cells, GroupBy::Signature).len(), 1);
}

/// syzbot files the same cycle under a title per edge. Three such pairs
/// are in syzkaller's parser test data (../shared/corpus, read when it is
/// present, as tests/conformance.rs does): each pair must be one group.
#[test]
fn syzbot_titles_of_one_cycle_are_one_group() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/syzkaller-report");
    if !dir.is_dir() {
        eprintln!("corpus not present; skipping");
        return;
    }
    let pairs = [("185", "187"), ("189", "190"), ("466", "467")];
    for (a, b) in pairs {
        let o = run(&[dir.join(a), dir.join(b)], 2);
        let cycles: Vec<_> = rows(&o.cells, GroupBy::Signature)
            .into_iter()
            .filter(|r| r.kind == ReportKind::CircularDependency)
            .collect();
        assert_eq!(cycles.len(), 1, "{a} and {b}: {cycles:#?}");
        assert_eq!(cycles[0].titles.len(), 2, "{a} and {b}: two syzbot titles");
    }
}

#[test]
fn a_testdata_files_expected_report_is_not_counted_again() {
    // syzkaller's testdata: header, log, then `REPORT:` and the report as
    // syzkaller extracts it (the same splat, without timestamps).
    let log = read("logs/testdata-circular");
    let expected: String = log
        .lines()
        .skip_while(|l| !l.contains("===="))
        .map(|l| l.split_once("] ").map_or(l, |(_, t)| t))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = std::env::temp_dir().join(format!("splatdec-testdata-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let with_report = dir.join("with-report");
    std::fs::write(&with_report, format!("{log}REPORT:\n{expected}")).unwrap();
    let alone = run(&[fixture("logs/testdata-circular")], 1).reports;
    let o = run(std::slice::from_ref(&with_report), 1);
    assert_eq!(alone, 1);
    assert_eq!(
        o.reports, alone,
        "the REPORT: section was decoded as log text"
    );
    // A log that is not testdata keeps a `REPORT:` line as text.
    let plain = dir.join("plain.log");
    std::fs::write(&plain, format!("REPORT:\n{expected}")).unwrap();
    assert_eq!(run(&[plain], 1).reports, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `triage --kernel` and `--kb` reach the walk: the decoder triage builds
/// is the one the command line builds. The 2018 btrfs report, relabelled
/// as printed by 4.17 (where PF_MEMALLOC tasks are exempt from fs_reclaim
/// whatever their mask), is undetermined by its own release's rules and a
/// false positive by 4.15's, where the nested acquisition happens.
#[test]
fn triage_walks_with_the_kernel_it_is_given() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/real/001-fs-reclaim-recursive-btrfs-releasepage.txt"),
    )
    .unwrap()
    .replace("4.15.0-rc9", "4.17.0");
    let dir = std::env::temp_dir().join(format!("splatdec-triage-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("as-4.17.txt");
    std::fs::write(&path, text).unwrap();
    let rules_of = |decoder: splatdec::Decoder| -> Vec<String> {
        let opts = Options {
            jobs: Some(1),
            progress: false,
            decoder,
            details: false,
        };
        let o = triage(std::slice::from_ref(&path), &opts).expect("thread pool builds");
        o.cells.keys().map(|k| k.rule.clone()).collect()
    };
    let own = rules_of(splatdec::Decoder::new());
    let v415 = rules_of(splatdec::Decoder::new().with_kernel(Some("4.15".parse().unwrap())));
    assert_eq!(own, ["undetermined"]);
    assert_eq!(
        v415,
        ["fs-reclaim-nested-memalloc"],
        "--kernel 4.15 must reach the walk"
    );
    // The same through the CLI.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_splatdec"))
            .arg("triage")
            .args(args)
            .arg("--format")
            .arg("jsonl")
            .arg(&path)
            .output()
            .expect("the binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, own_out, _) = cli(&[]);
    assert_eq!(code, Some(0));
    assert!(
        !own_out.contains("\"rule\":\"fs-reclaim-nested-memalloc\""),
        "{own_out}"
    );
    let (code, out, _) = cli(&["--kernel", "4.15"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("\"rule\":\"fs-reclaim-nested-memalloc\""),
        "{out}"
    );
    let (code, _, err) = cli(&["--kb", "/nonexistent/extra-kb.toml"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--kb /nonexistent/extra-kb.toml: "), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `triage --kernel 4.17` walks with 4.17's rules: the walk each group's
/// decoded report shows names the rules it used, the report's own (4.15)
/// without the option and 4.17's with it, for the library and the
/// command line alike.
#[test]
fn triage_kernel_4_17_walks_with_4_17_rules() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/real/001-fs-reclaim-recursive-btrfs-releasepage.txt");
    let detail_of = |decoder: splatdec::Decoder| -> String {
        let opts = Options {
            jobs: Some(1),
            progress: false,
            decoder,
            details: true,
        };
        let o = triage(std::slice::from_ref(&path), &opts).expect("thread pool builds");
        let cells: Vec<_> = o.cells.values().collect();
        assert_eq!(cells.len(), 1);
        cells[0].detail.as_ref().expect("details kept").text.clone()
    };
    let own = detail_of(splatdec::Decoder::new());
    assert!(own.contains("rules of 4.15 (from the report)"), "{own}");
    let v417 = detail_of(splatdec::Decoder::new().with_kernel(Some("4.17".parse().unwrap())));
    assert!(v417.contains("rules of 4.17 (from --kernel)"), "{v417}");
    assert!(!v417.contains("rules of 4.15"), "{v417}");
    // The command line's HTML page carries the same decoded report.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_splatdec"))
        .args(["triage", "--kernel", "4.17", "--format", "html"])
        .arg(&path)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains("rules of 4.17 (from --kernel)"), "{html}");
}

/// The texts of the two builds of `fixtures/triage/versions/`.
fn two_releases() -> (String, String) {
    (
        read("versions/console-5.15.log"),
        read("versions/console-6.12.log"),
    )
}

#[test]
fn one_bug_from_two_kernel_releases_is_one_group() {
    // The same three bugs printed by a 5.15 distro kernel (plain printk
    // times) and a 6.12 one (levels, caller ids, UID in the CPU line):
    // everything that changes between builds and boots differs.
    let (old, new) = two_releases();
    for (a, b) in [
        ("5.15.0-91-generic", "6.12.9-200.fc41.x86_64"),
        ("&md->stats_mutex#3", "&md->stats_mutex#5"),
        ("(&priv->lock){+.+.}-{3:3}", "(&priv->lock){+.+.}-{4:4}"),
        ("ffff888101a3c0d8", "ffff9a40c21f4518"),
        (
            "mydrv_stats_reset+0x33/0xb0",
            "mydrv_stats_reset.isra.0+0x41/0xd0",
        ),
        (
            "mydrv_submit+0x5c/0x120",
            "mydrv_submit.constprop.0+0x61/0x130",
        ),
        ("mydrv_reset+0x2a/0x90", "mydrv_reset.part.0+0x31/0xa0"),
        ("mydrv_ioctl+0xd0/0x140", "mydrv_ioctl.cold+0x12/0x2b"),
        (
            "mydrv_read_stats+0x79/0x1a0",
            "mydrv_read_stats.constprop.0+0x8d/0x1c0",
        ),
        ("modprobe/412", "mydrvctl/3310"),
        ("CPU: 1 PID: 341", "CPU: 2 UID: 0 PID: 1877"),
        ("[   52.001231]", "[  612.440210][    C2]"),
        ("(wq_completion)mydrv)", "(wq_completion)mydrv#2)"),
    ] {
        assert!(old.contains(a) && !new.contains(a), "{a}");
        assert!(new.contains(b) && !old.contains(b), "{b}");
    }
    let o = run(&[fixture("versions")], 2);
    assert_eq!(o.reports, 6);
    let groups = rows(&o.cells, GroupBy::Signature);
    let kinds: Vec<(ReportKind, u64)> = groups.iter().map(|g| (g.kind, g.count)).collect();
    assert_eq!(
        kinds,
        [
            (ReportKind::CircularDependency, 2),
            (ReportKind::RecursiveLocking, 2),
            (ReportKind::InconsistentLockState, 2),
        ]
    );
    for g in &groups {
        assert!(
            g.first.source.ends_with("console-5.15.log"),
            "{:?}",
            g.first
        );
        assert!(g.last.source.ends_with("console-6.12.log"), "{:?}", g.last);
        assert_eq!(g.signatures, 1);
        assert_eq!(g.titles.len(), 1, "{:?}", g.titles);
        // No build-specific part in what is hashed.
        for bad in ["#", "0x", ".isra", ".constprop", ".part", ".cold", "ffff"] {
            assert!(
                !g.signature.key.contains(bad),
                "{bad} in {}",
                g.signature.key
            );
        }
    }
    // Report by report, in the order each log prints them.
    let a = splatdec::decode_str(&old, "old");
    let b = splatdec::decode_str(&new, "new");
    assert_eq!((a.len(), b.len()), (3, 3));
    for ra in &a {
        let rb = b.iter().find(|r| r.kind == ra.kind).expect("same kinds");
        assert_eq!(
            sighting(ra).signature,
            sighting(rb).signature,
            "{}",
            ra.kind
        );
        assert_eq!(sighting(ra).guilty_frame, sighting(rb).guilty_frame);
    }
}

fn exec_triage(argv: &[&str]) -> (std::process::ExitCode, String, String) {
    // argv[0] stands for the program name, as clap sees it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_splatdec"))
        .arg("triage")
        .args(&argv[1..])
        .output()
        .expect("splatdec runs");
    let code = out.status.code().expect("exit code") as u8;
    (
        std::process::ExitCode::from(code),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("splatdec-triage-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rules_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn week_over_week_marks_new_still_and_gone() {
    let dir = scratch("weeks");
    let old_log = fixture("versions/console-5.15.log").display().to_string();
    let new_log = fixture("versions/console-6.12.log").display().to_string();
    // Week 1: the three bugs from 5.15, and a sleep in a non-blocking
    // section that is fixed by week 2. Week 2: the three from 6.12, and
    // an invalid wait context that week 1 did not have.
    let gone = rules_fixture("sleep-in-non-block.txt");
    let fresh = rules_fixture("invalid-wait-context-mutex.txt");
    let (code, week1, _) = exec_triage(&["t", "--format", "jsonl", &old_log, &gone]);
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let base = dir.join("week1.jsonl");
    std::fs::write(&base, &week1).unwrap();
    let b = base.display().to_string();

    let (code, out, err) =
        exec_triage(&["t", "--format", "jsonl", "--baseline", &b, &new_log, &fresh]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let marks: Vec<(&str, &str, u64)> = lines
        .iter()
        .filter(|v| v.get("group").is_some())
        .map(|v| {
            (
                v["baseline"].as_str().unwrap(),
                v["kind"].as_str().unwrap(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = marks.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("gone", "sleeping_in_atomic", 0),
            ("new", "invalid_wait_context", 1),
            ("still", "circular_dependency", 1),
            ("still", "inconsistent_lock_state", 1),
            ("still", "recursive_locking", 1),
        ]
    );
    // The gone group says what week 1 said about it.
    let g = lines.iter().find(|v| v["baseline"] == "gone").unwrap();
    assert_eq!(g["baseline_count"], 1);
    assert_eq!(g["verdict"], "locking_bug");
    let first = g["first"].as_str().unwrap();
    assert!(first.contains("sleep-in-non-block.txt:"), "{first}");
    let still = lines
        .iter()
        .find(|v| v["kind"] == "recursive_locking")
        .unwrap();
    assert_eq!(still["baseline_count"], 1);
    let summary = &lines.last().unwrap()["baseline_summary"];
    assert_eq!(
        (&summary["new"], &summary["still"], &summary["gone"]),
        (&1.into(), &3.into(), &1.into())
    );

    // Next week's baseline is this week's output as it is: its gone group
    // and its summary line are not read as groups of that run.
    let base2 = dir.join("week2.jsonl");
    std::fs::write(&base2, &out).unwrap();
    let (code, again, err) = exec_triage(&[
        "t",
        "--format",
        "csv",
        "--baseline",
        base2.to_str().unwrap(),
        &new_log,
        &fresh,
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    let rows: Vec<&str> = again.lines().collect();
    assert!(
        rows[0].ends_with(",key,known,baseline,baseline_count"),
        "{}",
        rows[0]
    );
    assert_eq!(rows.len(), 1 + 4 + 3, "{again}");
    assert!(rows[1..5].iter().all(|r| r.contains(",still,")), "{again}");
    assert!(rows[5].starts_with("new,0,") && rows[5].ends_with(",summary,"));
    assert!(rows[6].starts_with("still,4,"));
    assert!(rows[7].starts_with("gone,0,"));

    // The table says it too.
    let (_, table, _) = exec_triage(&["t", "--baseline", &b, &new_log, &fresh]);
    assert!(
        table.contains("1 group new (1 report), 3 groups still (3 reports), 1 group gone (1 report in the baseline)"),
        "{table}"
    );
    assert!(table.contains("[new] locking_bug"), "{table}");
    assert!(
        table.contains("gone since the baseline: 1 group"),
        "{table}"
    );
    assert!(table.contains("[gone] locking_bug"), "{table}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_baseline_names_its_file_and_line_and_exits_2() {
    let dir = scratch("badbase");
    let logs = fixture("logs").display().to_string();
    let (_, good, _) = exec_triage(&["t", "--format", "jsonl", &logs]);
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(2, "{\"group_by\":\"signature\",\"group\":\"x\"");
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (code, out, err) = exec_triage(&["t", "--baseline", bad.to_str().unwrap(), &logs]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(
        out.is_empty(),
        "nothing is printed against a broken baseline"
    );
    assert!(
        err.contains(&format!(
            "--baseline {}:3: not a JSON object",
            bad.display()
        )),
        "{err}"
    );
    // Missing file; and a baseline grouped another way.
    let (code, _, err) = exec_triage(&["t", "--baseline", "/nonexistent/old.jsonl", &logs]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(err.contains("/nonexistent/old.jsonl"), "{err}");
    let (_, by_title, _) = exec_triage(&["t", "--format", "jsonl", "--group-by", "title", &logs]);
    let t = dir.join("title.jsonl");
    std::fs::write(&t, by_title).unwrap();
    let (code, _, err) = exec_triage(&["t", "--baseline", t.to_str().unwrap(), &logs]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(
        err.contains(":1: grouped by title, this run by signature"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
