//! The distinct reports of a thread as text and JSON: the report as the
//! text and JSON renderers write it, with the message that first posted
//! it and the messages that carry it later. Header values are untrusted
//! and escaped like every other input text ([`crate::escape`]).

use serde_json::{Map, Value};

use super::{Distinct, Finished};
use crate::escape;
use crate::render::json;
use crate::render::layout::{Doc, Style};
use crate::render::text::{self, TextOptions};

/// The mail fields added to a report's JSON object, in this order.
fn fields(d: &Distinct) -> Vec<(&'static str, Value)> {
    let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
    vec![
        ("message_id", opt(&d.first.message_id)),
        ("from", opt(&d.first.from)),
        ("date", opt(&d.first.date)),
        ("subject", opt(&d.first.subject)),
        (
            "replies",
            Value::Array(d.replies.iter().cloned().map(Value::String).collect()),
        ),
        ("more_in_message", Value::from(d.more_in_message)),
    ]
}

/// The note on the reports of this signature that the first message
/// carries besides the one shown; `None` when it carries no other.
pub fn more_note(d: &Distinct) -> Option<String> {
    (d.more_in_message > 0).then(|| {
        format!(
            "+{} of this signature in this message (not shown)",
            plural(d.more_in_message, "more report", "more reports")
        )
    })
}

/// One distinct report as Markdown: the report as
/// [`crate::render::markdown::render_markdown`] writes it, then the note on
/// the other reports of its signature in the same message.
pub fn markdown(d: &Distinct, width: usize) -> String {
    let mut s = crate::render::markdown::render_markdown(&d.analysis, width);
    if let Some(note) = more_note(d) {
        if !s.ends_with("\n\n") {
            s.push('\n');
        }
        s.push_str(&format!("_{note}._\n\n"));
    }
    s
}

/// One JSONL line (no line end): the report's object as
/// [`json::report_line`] writes it, then `message_id`, `from`, `date`,
/// `subject` of the first message carrying it (null when the message
/// lacks the header), `replies`, the Message-Ids of the later messages
/// that carry it, and `more_in_message`, how many more reports of its
/// signature the first message carries (folded, not shown).
pub fn jsonl_line(d: &Distinct) -> String {
    let mut s = json::report_line(&d.analysis);
    // The report is a JSON object: the fields go before its closing brace.
    if s.ends_with('}') {
        s.pop();
    }
    let mut first = s.ends_with('{');
    for (k, v) in fields(d) {
        if !first {
            s.push(',');
        }
        first = false;
        s.push('"');
        s.push_str(k);
        s.push_str("\":");
        s.push_str(&escape::json(v.to_string()));
    }
    s.push('}');
    s
}

/// The report and its mail fields as one JSON value (the `--format json`
/// document's elements): the object [`json::report_line`] writes, with the
/// fields of [`jsonl_line`] added.
pub fn json_value(d: &Distinct) -> Value {
    let mut map = match serde_json::from_str(&jsonl_line(d)) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if map.is_empty() {
        for (k, f) in fields(d) {
            map.insert(k.to_string(), f);
        }
    }
    Value::Object(map)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The line that opens the text output of a thread.
pub fn summary_line(f: &Finished, opts: &TextOptions) -> String {
    let copies: usize = f.reports.iter().map(|d| d.replies.len()).sum();
    let mut doc = Doc::new();
    doc.line(
        Style::Heading,
        0,
        format!(
            "{}, {}, {}",
            plural(f.messages, "message", "messages"),
            plural(f.reports.len(), "distinct report", "distinct reports"),
            plural(
                copies,
                "later message carrying one of them",
                "later messages carrying them"
            ),
        ),
    );
    doc.finish(opts.width, opts.quote, opts.color)
}

/// One distinct report as text: which message first posted it and which
/// carry it later, then the decoded report.
pub fn text(d: &Distinct, index: usize, total: usize, opts: &TextOptions) -> String {
    let mut doc = Doc::new();
    let e = |s: &str| escape::text(s).into_owned();
    doc.line(
        Style::Headline,
        0,
        format!(
            "report {} of {}: first posted in {}",
            index + 1,
            total,
            e(&d.first.source)
        ),
    );
    let m = &d.first;
    let field = |doc: &mut Doc, name: &str, v: &Option<String>| {
        if let Some(v) = v {
            doc.line(Style::Plain, 2, format!("{name}: {}", e(v)));
        }
    };
    // Message-Ids are never broken (they are copied whole into a search or
    // a --reply), so their lines may be longer than the width.
    let mut ids = String::new();
    let prefix = if opts.quote { "> " } else { "" };
    if let Some(id) = &m.message_id {
        ids.push_str(&format!("{prefix}  message-id: <{}>\n", e(id)));
    }
    let mut rest = Doc::new();
    field(&mut rest, "from", &m.from);
    field(&mut rest, "date", &m.date);
    field(&mut rest, "subject", &m.subject);
    for p in &m.problems {
        rest.line(Style::Dim, 2, format!("message: {}", e(p)));
    }
    if let Some(note) = more_note(d) {
        rest.line(Style::Plain, 2, note);
    }
    let mut replies = String::new();
    if d.replies.is_empty() {
        rest.line(Style::Plain, 2, "carried by no later message");
    } else {
        rest.line(
            Style::Plain,
            2,
            format!(
                "carried by {}:",
                plural(d.replies.len(), "later message", "later messages")
            ),
        );
        for r in &d.replies {
            let shown = if r.contains('#') && !r.contains('@') {
                e(r)
            } else {
                format!("<{}>", e(r))
            };
            replies.push_str(&format!("{prefix}    {shown}\n"));
        }
    }
    let mut out = doc.finish(opts.width, opts.quote, opts.color);
    out.push_str(&ids);
    out.push_str(&rest.finish(opts.width, opts.quote, opts.color));
    out.push_str(&replies);
    out.push_str(if opts.quote { ">\n" } else { "\n" });
    out.push_str(&text::render(&d.analysis, opts));
    out
}
