//! The SVG graph and the triage page in a real browser: headless Chromium
//! driven over the DevTools protocol by `tests/browser/check.js` (Node, no
//! packages). Each page must load with no console error, no exception, no
//! request but its own file, and no script run from the input; the table
//! must sort when a header is clicked (real mouse events), filter, and
//! expand a group; a screenshot is taken of each (kept under the target
//! directory's `browser/`).
//!
//! Skips, saying so, when Chromium or Node is not installed (`.ci/run`
//! installs Debian's `chromium` when it is missing). `SPLATDEC_CHROMIUM`
//! names another browser binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The browser and Node, or why the test cannot run.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = match std::env::var_os("SPLATDEC_CHROMIUM") {
        Some(p) => Some(PathBuf::from(p)),
        None => [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .iter()
        .find_map(|n| on_path(n)),
    };
    let chromium = chromium.ok_or("no chromium on PATH (apt-get install chromium)")?;
    let node = on_path("node").ok_or("no node on PATH (apt-get install nodejs)")?;
    Ok((chromium, node))
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn splatdec(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_splatdec"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "splatdec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A circular dependency whose lock names and task carry markup, quotes,
/// `&` and terminal escape sequences.
pub const HOSTILE: &str = "======================================================\n\
WARNING: possible circular locking dependency detected\n\
6.1.0 #1 Not tainted\n\
------------------------------------------------------\n\
ev\x1b]0;owned\x07il\"<b>/1 is trying to acquire lock:\n\
ffff888000000002 (&x\x1b[31m<script>window.__pwned=1</script>){+.+.}-{3:3}, at: f_one+0x1/0x2\n\
\n\
but task is already holding lock:\n\
ffff888000000001 (&a\"b'c<img src=x onerror=window.__pwned=1>&y){+.+.}-{3:3}, at: g_two+0x1/0x2\n\
\n\
the existing dependency chain (in reverse order) is:\n\
\n\
-> #1 (&a\"b'c<img src=x onerror=window.__pwned=1>&y){+.+.}-{3:3}:\n\
       lock_acquire+0x1/0x2\n\
       h_three+0x1/0x2\n\
\n\
-> #0 (&x\x1b[31m<script>window.__pwned=1</script>){+.+.}-{3:3}:\n\
       lock_acquire+0x1/0x2\n\
       f_one+0x1/0x2\n\
\n";

/// Run the driver over `page`; its JSON report.
fn check(
    tools: &(PathBuf, PathBuf),
    page: &Path,
    shot: &Path,
    extra: &[&str],
) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check.js");
    let out = Command::new(&tools.1)
        .arg(script)
        .arg(&tools.0)
        .arg(page)
        .arg(shot)
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "driver output is not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["errors"], serde_json::json!([]), "{page:?}: {v:#}");
    let requests = v["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "only the page itself is loaded: {v:#}");
    assert_eq!(
        v["checks"]["pwned"], "undefined",
        "a script from the input ran"
    );
    assert_eq!(v["checks"]["parsererror"], 0, "{v:#}");
    let png = std::fs::read(shot).expect("a screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000,
        "{shot:?}"
    );
    v
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn svg_and_html_render_in_a_real_browser() {
    let tools = match tools() {
        Ok(t) => t,
        // CI installs the browser (.ci/run): there a missing one is a
        // failure, not a skip.
        Err(why) if std::env::var_os("CI").is_some() => panic!("CI without a browser: {why}"),
        Err(why) => {
            eprintln!("skipping the browser test: {why}");
            return;
        }
    };
    let dir = out_dir();
    // A file name with markup in it: paths are shown on the page too.
    let hostile = dir.join("hostile <b>&'q'.log");
    std::fs::write(&hostile, HOSTILE).unwrap();
    let hostile = hostile.display().to_string();

    // The graph: a real cycle through pseudo-locks, and the hostile one.
    for (name, input) in [
        (
            "graph",
            fixture("real/016-work-completion-psock-sockmap-reltime.txt"),
        ),
        ("graph-hostile", hostile.clone()),
    ] {
        let svg = dir.join(format!("{name}.svg"));
        std::fs::write(&svg, splatdec(&["graph", "--format", "svg", &input])).unwrap();
        let v = check(&tools, &svg, &dir.join(format!("{name}.png")), &[]);
        assert_eq!(v["checks"]["root"], "svg", "{v:#}");
        assert!(v["checks"]["title"]
            .as_str()
            .unwrap()
            .starts_with("lock graph: "));
    }

    // The page: last week is the 5.15 log and a bug fixed since; this
    // week the triage fixtures, the 6.12 log and the hostile report.
    let week1 = dir.join("week1.jsonl");
    std::fs::write(
        &week1,
        splatdec(&[
            "triage",
            "--format",
            "jsonl",
            &fixture("triage/versions/console-5.15.log"),
            &fixture("rules/sleep-in-non-block.txt"),
        ]),
    )
    .unwrap();
    let page = dir.join("triage.html");
    std::fs::write(
        &page,
        splatdec(&[
            "triage",
            "--format",
            "html",
            "--baseline",
            week1.to_str().unwrap(),
            &fixture("triage/workdir"),
            &fixture("triage/logs"),
            &fixture("triage/versions/console-6.12.log"),
            &hostile,
        ]),
    )
    .unwrap();
    let v = check(
        &tools,
        &page,
        &dir.join("triage.png"),
        &["--table", "--filter", "mydrv_reset"],
    );
    let c = &v["checks"];
    assert_eq!(c["root"], "HTML");
    // 3 groups from the fixtures, the hostile one, and the gone one.
    assert_eq!(c["groups"], 5, "{v:#}");
    let before = strings(&c["before"]);
    let by_title = strings(&c["by_title"]);
    assert_ne!(
        before, by_title,
        "clicking the title header reorders the rows"
    );
    assert_eq!(c["title_sort"], "ascending");
    let mut sorted = by_title.clone();
    sorted.sort_by_key(|t| t.to_lowercase());
    assert_eq!(by_title, sorted, "sorted by title");
    let mut desc = by_title.clone();
    desc.reverse();
    assert_eq!(
        strings(&c["by_title_desc"]),
        desc,
        "a second click reverses"
    );
    let counts: Vec<u64> = c["by_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(counts.last(), Some(&0), "the gone group has no report");
    // The largest group is the cycle: expanded, it shows its graph and
    // its decoded report.
    assert_eq!(c["expanded"], true);
    assert!(c["expanded_svg"].as_u64().unwrap() >= 1, "{v:#}");
    assert!(
        c["expanded_text"]
            .as_str()
            .unwrap()
            .contains("[circular_dependency]"),
        "{v:#}"
    );
    assert_eq!(c["filtered"], 1, "{v:#}");
    assert_eq!(c["shown"], "1 of 5 groups shown");
}
