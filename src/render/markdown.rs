//! Markdown for issue trackers: a verdict table per report, then the
//! annotated text rendering in a fenced block (fence longer than any run of
//! backticks in it, so input cannot close it early).

use std::fmt::Write as _;

use super::text::{render, TextOptions};
use crate::escape;
use crate::Analysis;

/// Escape text for a Markdown table cell or heading.
fn cell(s: &str) -> String {
    let s = escape::text(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '|' | '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A link as a Markdown autolink when it is one plain URL, else escaped text.
fn autolink(url: &str) -> String {
    let plain = url.starts_with("https://")
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '|' | '`' | '\\'));
    if plain {
        format!("<{url}>")
    } else {
        cell(url)
    }
}

/// A fence of backticks longer than any run inside `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Render one analysed report.
pub fn render_markdown(a: &Analysis, width: usize) -> String {
    let r = &a.report;
    let v = &a.verdict;
    let mut out = String::new();
    let (shown, with_title) = super::shown_title(r);
    let _ = writeln!(out, "### {}\n", cell(shown));
    let _ = writeln!(out, "| | |\n|---|---|");
    if with_title {
        let _ = writeln!(out, "| Syzkaller title | {} |", cell(&r.title));
    }
    let _ = writeln!(
        out,
        "| Verdict | **{}** ({} confidence), rule `{}` |",
        v.class,
        v.confidence.as_str(),
        v.rule
    );
    let _ = writeln!(out, "| Summary | {} |", cell(&v.summary));
    let _ = writeln!(out, "| Fix | {} |", cell(&v.fix));
    if let Some(k) = &a.known {
        let head = k.headline();
        let head = head.strip_prefix("known: ").unwrap_or(&head);
        let mut text = format!("{}; {}.", cell(head), cell(&k.kernel_note));
        if !k.raised_verdict && v.class != k.verdict {
            text.push_str(&format!(
                " Upstream resolved it as {}; the classifier says {}.",
                k.verdict, v.class
            ));
        }
        let _ = writeln!(
            out,
            "| Known issue | `{}`: {text} {} |",
            cell(&k.id),
            autolink(&k.lore)
        );
    }
    let _ = writeln!(out, "| Kind | `{}` |", r.kind);
    if let Some(k) = &r.kernel {
        let _ = writeln!(out, "| Kernel | {} |", cell(k));
    }
    if let Some(t) = &r.task {
        let _ = writeln!(out, "| Task | {}/{} |", cell(&t.comm), t.pid);
    }
    let _ = writeln!(
        out,
        "| Source | {}:{}-{} |",
        cell(&r.source),
        r.line,
        r.end_line
    );
    let status = match (r.complete, r.damaged()) {
        (true, false) if r.corrupted => {
            "complete (syzkaller flags it corrupted: its title rule finds no frame)"
        }
        (true, false) => "complete",
        (true, true) => "complete, damaged",
        (false, false) => "incomplete",
        (false, true) => "incomplete, damaged",
    };
    let _ = writeln!(out, "| Status | {status} |");
    let _ = writeln!(out);
    let _ = writeln!(out, "{}\n", cell(&v.explanation));
    let body = render(
        a,
        &TextOptions {
            width,
            ..TextOptions::default()
        },
    );
    let f = fence(&body);
    let _ = writeln!(
        out,
        "<details><summary>Decoded report and allocation context</summary>\n"
    );
    let _ = writeln!(out, "{f}text\n{body}{f}\n");
    let _ = writeln!(out, "</details>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_fences_resist_input() {
        assert_eq!(cell("a|b`c"), "a\\|b\\`c");
        assert_eq!(fence("no ticks"), "```");
        assert_eq!(fence("x ```` y"), "`````");
        assert_eq!(
            autolink("https://lore.kernel.org/a_b"),
            "<https://lore.kernel.org/a_b>"
        );
        assert_eq!(autolink("https://x/<y>|"), "https://x/\\<y\\>\\|");
    }
}
