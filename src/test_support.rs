//! Helpers shared by unit tests across modules.

use std::path::{Path, PathBuf};

/// Every fixture log (`fixtures/{real,formats,rules,walk}/*.txt`), sorted:
/// the real-world text the unit tests check fast paths against.
pub fn fixture_logs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in ["real", "formats", "rules", "walk"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("fixture directories exist");
        files.extend(
            entries
                .map(|e| e.expect("fixture entries are readable").path())
                .filter(|p| p.extension().is_some_and(|e| e == "txt")),
        );
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no fixture logs under {}",
        root.display()
    );
    files
}

/// Call `f` with every line of every fixture log and where it came from.
pub fn for_each_fixture_line(mut f: impl FnMut(&Path, crate::input::Line<'_>)) {
    for path in fixture_logs() {
        let bytes = std::fs::read(&path).expect("fixture logs are readable");
        for line in crate::input::read_lines(&bytes[..])
            .expect("memory reads")
            .iter()
        {
            f(&path, line);
        }
    }
}
