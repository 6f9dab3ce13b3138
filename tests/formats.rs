//! Prefix independence: the same splat under every log-prefix style decodes
//! to the same report, apart from line numbers and the lines set aside.

use std::fs;
use std::path::Path;

use serde_json::Value;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats")
}

/// Drop what legitimately differs between prefix styles.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in [
                "line",
                "end_line",
                "source_line",
                "source",
                "interleaved",
                "joined",
            ] {
                map.remove(key);
            }
            for (_, child) in map.iter_mut() {
                normalise(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn decode(name: &str) -> Vec<Value> {
    let data = fs::read(fixtures().join(name)).unwrap();
    let reports = splatdec::decode_all(&data[..], name).unwrap();
    reports
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap();
            normalise(&mut v);
            v
        })
        .collect()
}

#[test]
fn every_prefix_style_gives_the_same_report() {
    let reference = decode("plain.txt");
    assert_eq!(reference.len(), 1, "plain.txt holds one report");
    assert_eq!(reference[0]["complete"], Value::Bool(true));
    let mut names: Vec<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n != "plain.txt")
        .collect();
    names.sort();
    assert!(
        names.len() >= 12,
        "expected every prefix style, found {names:?}"
    );
    for name in &names {
        let got = decode(name);
        assert_eq!(got.len(), 1, "{name}: expected one report");
        assert_eq!(got[0], reference[0], "{name} differs from plain.txt");
    }
}

#[test]
fn caller_ids_set_foreign_lines_aside() {
    let data = fs::read(fixtures().join("caller-id.txt")).unwrap();
    let reports = splatdec::decode_all(&data[..], "caller-id.txt").unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(!r.interleaved.is_empty());
    assert!(r
        .interleaved
        .iter()
        .all(|l| l.text.starts_with("audit:") || l.text.starts_with("hrtimer:")));
    assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
}
