//! The house's layering, checked: a module may use only modules of its own
//! layer or below, so the pipeline reads one way and nothing imports upward.
//!
//! The check reads `src/` as text: every `crate::<module>` path outside
//! comments and outside `#[cfg(test)]` modules names a dependency. Unit
//! tests may decode a whole report through the crate root (that is how a
//! classifier or renderer test gets its input), so test modules are exempt.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Lower layers first. Modules of one layer may use each other.
const LAYERS: &[&[&str]] = &[
    // Escaping untrusted text: everyone may print.
    &["escape"],
    // The types and kernel facts every stage shares.
    &["kernel", "model", "kind"],
    // What one line means on its own, and reading lines.
    &["vocab", "input"],
    &["segment"],
    &["parse", "stages"],
    &["symbolize", "cycle"],
    &["walk"],
    &["classify"],
    &["analysis"],
    &["decoder", "render"],
    &["graph"],
    &["triage", "mail"],
    &["check"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// Every `crate::name` a line of code mentions.
fn crate_paths(line: &str) -> impl Iterator<Item = &str> {
    line.match_indices("crate::").map(move |(at, pat)| {
        let rest = &line[at + pat.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..end]
    })
}

/// The lines of a file that are library code: comments dropped, and
/// everything from a `#[cfg(test)]` module on.
fn library_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod "))
        .unwrap_or(lines.len());
    lines
        .into_iter()
        .take(end)
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

#[test]
fn no_module_imports_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut unplaced = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if matches!(module.as_str(), "lib" | "main" | "test_support") {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unplaced.insert(module, file.display().to_string());
            continue;
        };
        let text = fs::read_to_string(file).expect("a source file");
        for (n, line) in library_lines(&text) {
            for used in crate_paths(line) {
                // The crate root's re-exports and `test_support` are not layers.
                let Some(theirs) = layer_of(used) else {
                    continue;
                };
                if theirs > own {
                    upward.push(format!(
                        "{}:{n}: {module} uses {used}: {}",
                        file.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules missing from LAYERS: {unplaced:?}"
    );
    assert!(upward.is_empty(), "imports upward:\n{}", upward.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    let code = "use crate::render::text;\n// crate::triage in a comment\n#[cfg(test)]\nmod tests {\n    use crate::triage;\n}\n";
    let used: Vec<&str> = library_lines(code)
        .flat_map(|(_, l)| crate_paths(l))
        .collect();
    assert_eq!(used, ["render"]);
    assert!(layer_of("render") > layer_of("segment"));
}
