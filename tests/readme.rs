//! The README's examples are real output: every ```text block that starts
//! with `$ splatdec ...` is run (through `sh`, from the repository root, with
//! this build's binary first on PATH) and must print exactly the lines the
//! block shows, in order. A line `[...]` stands for lines left out; nothing
//! else is abbreviated. An example naming an absolute path that does not
//! exist here (the symbolization example's distro vmlinux) is skipped, saying
//! so.

use std::path::Path;
use std::process::Command;

/// One `$ command` and the lines shown below it.
struct Example {
    command: String,
    shown: Vec<String>,
    line: usize,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_text = false;
    let mut current: Option<Example> = None;
    for (i, line) in readme.lines().enumerate() {
        if !in_text {
            in_text = line == "```text";
            continue;
        }
        if line == "```" {
            in_text = false;
            out.extend(current.take());
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.extend(current.take());
            if cmd.starts_with("splatdec") {
                current = Some(Example {
                    command: cmd.to_string(),
                    shown: Vec::new(),
                    line: i + 1,
                });
            }
        } else if let Some(e) = current.as_mut() {
            e.shown.push(line.to_string());
        }
    }
    out
}

/// Whether `shown` is `output` with some runs of lines replaced by `[...]`.
fn matches(shown: &[String], output: &[&str]) -> Result<(), String> {
    fn go(shown: &[String], output: &[&str]) -> bool {
        match shown.split_first() {
            None => output.is_empty(),
            Some((first, rest)) if first == "[...]" => {
                (0..=output.len()).any(|skip| go(rest, &output[skip..]))
            }
            Some((first, rest)) => {
                output.first().is_some_and(|o| o == first) && go(rest, &output[1..])
            }
        }
    }
    if go(shown, output) {
        return Ok(());
    }
    // Say where the first shown line stops matching, for the failure.
    let mut at = 0;
    for s in shown {
        if s == "[...]" {
            continue;
        }
        match output[at..].iter().position(|o| o == s) {
            Some(p) => at += p + 1,
            None => return Err(format!("line not in the output (in order): {s:?}")),
        }
    }
    Err("the shown lines are in the output but not as a whole (missing [...]?)".into())
}

#[test]
fn readme_examples_match_the_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_splatdec"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let all = examples(&readme);
    assert!(
        all.len() >= 5,
        "expected the README's examples, found {}",
        all.len()
    );
    let mut failures = Vec::new();
    for e in &all {
        // An example over a file outside the repository (a distro's debug
        // vmlinux) runs only where that file is installed.
        if let Some(absent) = e
            .command
            .split_whitespace()
            .find(|w| w.starts_with('/') && !Path::new(w).exists())
        {
            eprintln!(
                "skipping README.md:{}: {absent} is not on this machine",
                e.line
            );
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&e.command)
            .current_dir(root)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        let mut shown = e.shown.clone();
        while shown.last().is_some_and(|l| l.is_empty()) {
            shown.pop();
        }
        if let Err(why) = matches(&shown, &lines) {
            failures.push(format!("README.md:{}: `{}`: {why}", e.line, e.command));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_matcher_is_strict() {
    let out = ["a", "b", "c"];
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "b", "c"]), &out).is_ok());
    assert!(matches(&s(&["a", "[...]"]), &out).is_ok());
    assert!(matches(&s(&["[...]", "c"]), &out).is_ok());
    assert!(matches(&s(&["a", "c"]), &out).is_err());
    assert!(matches(&s(&["a", "b"]), &out).is_err());
    assert!(matches(&s(&["a", "x", "[...]"]), &out).is_err());
}
