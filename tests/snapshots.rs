//! insta snapshots of every output format for every fixture: the JSON
//! report objects and the text summary.

use std::fs;
use std::path::{Path, PathBuf};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in ["real", "walk", "rules", "shapes", "pasted", "dept"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    files.push(root.join("formats/plain.txt"));
    files.sort();
    files
}

fn snapshot_name(p: &Path) -> String {
    let dir = p.parent().unwrap().file_name().unwrap().to_string_lossy();
    let stem = p.file_stem().unwrap().to_string_lossy();
    format!("{dir}__{stem}")
}

#[test]
fn json_and_text_of_every_fixture() {
    let files = fixture_files();
    assert!(files.len() > 30, "fixtures missing: {files:?}");
    for path in files {
        let data = fs::read(&path).unwrap();
        let name = snapshot_name(&path);
        let source = format!("fixtures/{}", name.replace("__", "/"));
        let mut analyses = Vec::new();
        let opts = splatdec::WalkOptions::default();
        splatdec::decode_analyzed(&data[..], &source, &opts, &mut |a| analyses.push(a)).unwrap();
        assert!(!analyses.is_empty(), "{name}: no report decoded");
        let jsonl: Vec<serde_json::Value> = analyses
            .iter()
            .map(|a| serde_json::from_str(&splatdec::render::json::report_line(a)).unwrap())
            .collect();
        insta::assert_json_snapshot!(format!("{name}.json"), jsonl);
        let mut text = Vec::new();
        splatdec::render::text::write_analyses(&mut text, &analyses).unwrap();
        insta::assert_snapshot!(format!("{name}.text"), String::from_utf8(text).unwrap());
    }
}

/// One fixture per report kind: the first in name order that was printed
/// with its banner (a fragment pasted without one only when its kind has
/// no other fixture).
fn one_per_kind() -> Vec<(String, PathBuf)> {
    let mut seen = std::collections::BTreeMap::new();
    let mut headless = Vec::new();
    for path in fixture_files() {
        let data = fs::read(&path).unwrap();
        if let Some(r) = splatdec::decode_str(&String::from_utf8_lossy(&data), "-").first() {
            if r.banner.is_empty() {
                headless.push((r.kind.as_str().to_string(), path));
            } else {
                seen.entry(r.kind.as_str().to_string()).or_insert(path);
            }
        }
    }
    for (kind, path) in headless {
        seen.entry(kind).or_insert(path);
    }
    seen.into_iter().collect()
}

#[test]
fn markdown_of_one_fixture_per_kind() {
    let kinds = one_per_kind();
    assert!(
        kinds.len() >= 19,
        "kinds covered: {:?}",
        kinds.iter().map(|k| &k.0).collect::<Vec<_>>()
    );
    for (kind, path) in kinds {
        let data = fs::read(&path).unwrap();
        let name = snapshot_name(&path);
        let source = format!("fixtures/{}", name.replace("__", "/"));
        let mut md = String::new();
        let opts = splatdec::WalkOptions::default();
        splatdec::decode_analyzed(&data[..], &source, &opts, &mut |a| {
            md.push_str(&splatdec::render::markdown::render_markdown(&a, 80))
        })
        .unwrap();
        insta::assert_snapshot!(format!("markdown__{kind}"), md);
    }
}

#[test]
fn graph_and_check_over_the_real_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut items = Vec::new();
    for path in fixture_files()
        .into_iter()
        .filter(|p| p.starts_with(root.join("real")))
    {
        let data = fs::read(&path).unwrap();
        let source = format!(
            "fixtures/real/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        splatdec::decode_analyzed(
            &data[..],
            &source,
            &splatdec::WalkOptions::default(),
            &mut |a| items.push(a),
        )
        .unwrap();
    }
    let g = splatdec::graph::LockGraph::from_analyses(&items);
    insta::assert_snapshot!("graph__real.text", g.to_text());
    insta::assert_snapshot!("graph__real.dot", g.to_dot());
    insta::assert_snapshot!("graph__real.svg", g.to_svg());
    let sup = splatdec::check::parse_suppressions(
        "[[suppress]]\nrule = \"unlock-imbalance\"\nreason = \"tracked upstream\"\n\n[[suppress]]\nkind = \"lockdep_capacity\"\nreason = \"never matches a failing class\"\n\n[[suppress]]\ntitle = \"^possible deadlock in wm1811\"\nreason = \"expired\"\nexpires = \"2020-01-01\"\n",
    )
    .unwrap();
    let fail_on = [
        splatdec::check::FailOn::Class(splatdec::classify::Class::TrueDeadlock),
        splatdec::check::FailOn::Class(splatdec::classify::Class::LockingBug),
    ];
    let outcome = splatdec::check::evaluate(&items, &fail_on, &sup, "2026-11-21");
    insta::assert_snapshot!("check__real", outcome.summary(&sup));
}

#[test]
fn triage_page_against_a_baseline() {
    use splatdec::triage::{self, baseline::Baseline, output};
    // Relative paths: tests run from the package root, and the page shows
    // the paths it was given.
    let run = |paths: &[&str], details: bool| {
        let opts = triage::Options {
            jobs: Some(1),
            progress: false,
            decoder: splatdec::Decoder::new(),
            details,
        };
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        triage::triage(&paths, &opts).unwrap()
    };
    let render = |o: &triage::Outcome, format, baseline: Option<&Baseline>| {
        let view = output::View {
            format,
            group_by: triage::GroupBy::Signature,
            top: None,
        };
        let mut out = Vec::new();
        output::write_with(&mut out, o, &view, baseline).unwrap();
        String::from_utf8(out).unwrap()
    };
    let week1 = run(
        &[
            "fixtures/triage/versions/console-5.15.log",
            "fixtures/rules/sleep-in-non-block.txt",
        ],
        false,
    );
    let jsonl = render(&week1, triage::Format::Jsonl, None);
    let base = Baseline::from_reader(jsonl.as_bytes(), "week1.jsonl").unwrap();
    let week2 = run(
        &[
            "fixtures/triage/versions/console-6.12.log",
            "fixtures/rules/invalid-wait-context-mutex.txt",
        ],
        true,
    );
    insta::assert_snapshot!(
        "triage__baseline.html",
        render(&week2, triage::Format::Html, Some(&base))
    );
    insta::assert_snapshot!(
        "triage__baseline.table",
        render(&week2, triage::Format::Table, Some(&base))
    );
}
