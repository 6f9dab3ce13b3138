//! insta snapshots of every output format for every fixture: the JSON
//! report objects and the text summary.

use std::fs;
use std::path::{Path, PathBuf};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in ["real", "walk", "rules"] {
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
