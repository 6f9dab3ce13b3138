//! Input shapes seen in public posts (issue 13): every fixture in
//! fixtures/pasted/ decodes to the report its sidecar `.toml` describes
//! (kind, task, completeness, frames, joins), with nothing left unparsed.
//! The sidecar also names the fixture's source and shape.

use std::fs;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pasted")
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_shape_fixture_decodes_as_its_sidecar_says() {
    let files = fixtures();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let meta: toml::Value =
            toml::from_str(&fs::read_to_string(path.with_extension("toml")).unwrap())
                .unwrap_or_else(|e| panic!("{name}.toml: {e}"));
        assert!(meta.get("source").is_some(), "{name}: source missing");
        let want = &meta["expect"];
        let data = fs::read(&path).unwrap();
        let reports = splatdec::decode_all(&data[..], &name).unwrap();
        assert_eq!(reports.len(), 1, "{name}: one report");
        let r = &reports[0];
        let task = r.task.as_ref().map(|t| format!("{}/{}", t.comm, t.pid));
        let s = |k: &str| want.get(k).and_then(|v| v.as_str());
        assert_eq!(Some(r.kind.as_str()), s("kind"), "{name}: kind");
        assert_eq!(task.as_deref(), s("task"), "{name}: task");
        if let Some(k) = s("kernel") {
            assert_eq!(r.kernel.as_deref(), Some(k), "{name}: kernel");
        }
        if let Some(t) = s("title") {
            assert_eq!(r.title, t, "{name}: title");
        }
        assert_eq!(r.headline.as_deref(), s("headline"), "{name}: headline");
        // A report pasted without its banner says so.
        let headless = r.banner.is_empty();
        assert_eq!(
            headless,
            r.problems
                .iter()
                .any(|p| matches!(p, splatdec::model::Problem::BannerMissing { .. })),
            "{name}: {:?}",
            r.problems
        );
        if let Some(c) = want.get("complete").and_then(|v| v.as_bool()) {
            assert_eq!(r.complete, c, "{name}: complete ({:?})", r.problems);
        }
        if let Some(n) = want.get("joined").and_then(|v| v.as_integer()) {
            assert_eq!(r.joined.len() as i64, n, "{name}: joins {:?}", r.joined);
        }
        if let Some(n) = want.get("backtrace_frames").and_then(|v| v.as_integer()) {
            assert_eq!(r.backtrace.len() as i64, n, "{name}: frames");
        }
        let ints = |k: &str| {
            want.get(k).and_then(|v| v.as_array()).map(|a| {
                a.iter()
                    .map(|x| x.as_integer().unwrap() as u64)
                    .collect::<Vec<_>>()
            })
        };
        // The scenario's placed steps' CPU columns, and the lines of the
        // steps whose column is not told (kept apart, named in a problem).
        if let Some(cpus) = ints("scenario_cpus") {
            let s = r.scenario.as_ref().expect("a scenario");
            let got: Vec<u64> = s.steps.iter().map(|st| st.cpu as u64).collect();
            assert_eq!(got, cpus, "{name}: scenario columns");
            let untold: Vec<u64> = s.undetermined.iter().map(|u| u.line).collect();
            let want_untold = ints("scenario_undetermined").unwrap_or_default();
            assert_eq!(untold, want_untold, "{name}: undetermined steps");
            let named = r.problems.iter().any(|p| {
                matches!(p, splatdec::model::Problem::ScenarioColumnUndetermined { lines } if *lines == want_untold)
            });
            assert_eq!(named, !want_untold.is_empty(), "{name}: {:?}", r.problems);
            // A step kept apart is shown as damage, with its line.
            if !want_untold.is_empty() {
                assert!(r.damaged(), "{name}");
            }
        }
        assert!(r.unparsed.is_empty(), "{name}: unparsed {:?}", r.unparsed);
        // Every join names two lines of the input inside the report, the
        // appended one after the first.
        for &[a, b] in &r.joined {
            assert!(
                a >= r.line && b > a && b <= r.end_line,
                "{name}: join {a}+{b}"
            );
        }
    }
}

/// A reply that quotes a report and then pastes it again with no-break
/// spaces (review 3, a Thunderbird post): two reports with the same lock
/// cycle, the second's lines not taken into the first (no invented edge,
/// no report made of its held locks alone).
#[test]
fn a_no_break_space_copy_after_a_quoted_one_is_its_own_report() {
    let nbsp = fs::read_to_string(dir().join("nbsp-thunderbird-prefix-indent.txt")).unwrap();
    let plain = nbsp.replace('\u{a0}', " ");
    let mut log: String = plain.lines().map(|l| format!("> {l}\n")).collect();
    log.push_str("\nThe full splat:\n\n");
    log.push_str(&nbsp);
    let reports = splatdec::decode_all(log.as_bytes(), "reply").unwrap();
    let kinds: Vec<&str> = reports.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["circular_dependency", "circular_dependency"]);
    let chains: Vec<Vec<&str>> = reports
        .iter()
        .map(|r| r.chain.iter().map(|c| c.lock.class.as_str()).collect())
        .collect();
    assert_eq!(chains[0], ["qux_cfg_mutex", "(wq_completion)qux_wq"]);
    assert_eq!(chains[0], chains[1]);
    assert!(reports[1].complete, "{:?}", reports[1].problems);
}
