//! `splatdec mail --reply MESSAGE-ID`: a reply to one message of a thread,
//! ready to edit and send (`mutt -H FILE`, or as the draft of any client
//! that reads a message file).
//!
//! * Headers: `To` the original's `Reply-To` or else its `From`, `Cc` its
//!   `To` and `Cc` (the list stays on the reply), `Subject: Re: ...` (a
//!   leading `Re:` already there is not doubled), `In-Reply-To` its
//!   Message-Id, `References` its references and its Message-Id,
//!   `MIME-Version`, and a `Content-Type: text/plain` whose charset is
//!   `us-ascii` when the whole reply is ASCII and `utf-8` otherwise (with
//!   `Content-Transfer-Encoding` `7bit` or `8bit`). Header values are the
//!   original's decoded text, escaped like all input text (no control
//!   character, no line end, so no header can be injected); non-ASCII
//!   stays UTF-8, not RFC 2047-encoded.
//! * Body: an attribution line, then each report the message carries,
//!   quoted with `> ` as that message has it (a line already quoted gets
//!   `>` more), then splatdec's decode of it at 72 columns. The kernel's
//!   lines are not re-wrapped (a reflowed stack line is wrong), and the
//!   body says so; a quoted line longer than [`MAX_QUOTED_BYTES`] is cut
//!   there (RFC 5322 allows 998 bytes a line), and tabs and control
//!   characters are escaped like all input text; the body says so when
//!   either happened.
//!   splatdec's own prose and decode are wrapped at 72 columns. No tab,
//!   no control character, no trailing space.

use super::{Finished, Meta, ReplyTarget};
use crate::escape;
use crate::render::layout::wrap;
use crate::render::text::{self, TextOptions};

/// Columns of splatdec's own text in a reply.
pub const WIDTH: usize = 72;

/// The longest quoted line kept whole, in bytes (with its `> `, under
/// RFC 5322's 998).
pub const MAX_QUOTED_BYTES: usize = 990;

/// `Subject: Re: ...` for a reply to `subject`: leading `Re:` (any case,
/// repeated) are taken off before one is put back.
pub fn re_subject(subject: Option<&str>) -> String {
    let mut s = subject.unwrap_or("").trim();
    loop {
        let lower = s.get(..3).map(str::to_ascii_lowercase);
        if lower.as_deref() == Some("re:") {
            s = s[3..].trim_start();
        } else {
            break;
        }
    }
    if s.is_empty() {
        "Re: (no subject)".to_string()
    } else {
        format!("Re: {s}")
    }
}

/// A header line, folded before items so lines stay near 78 columns.
fn header(out: &mut String, name: &str, items: &[String], sep: &str) {
    if items.is_empty() {
        return;
    }
    let mut line = format!("{name}: ");
    let mut first = true;
    for item in items {
        let item = escape::text(item);
        if !first {
            line.push_str(sep.trim_end());
            if line.len() + 1 + item.len() > 78 {
                out.push_str(&line);
                out.push('\n');
                line = String::from(" ");
            } else {
                line.push(' ');
            }
        }
        line.push_str(&item);
        first = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// What quoting changed: lines cut at [`MAX_QUOTED_BYTES`], lines whose
/// tabs or control characters were escaped.
#[derive(Default)]
struct Changed {
    cut: usize,
    escaped: usize,
}

fn quote_line(line: &str, changed: &mut Changed) -> String {
    let escaped = escape::text(line);
    if matches!(escaped, std::borrow::Cow::Owned(_)) {
        changed.escaped += 1;
    }
    let line = escaped.trim_end();
    let mut q = if line.is_empty() {
        ">".to_string()
    } else if line.starts_with('>') {
        format!(">{line}")
    } else {
        format!("> {line}")
    };
    if q.len() > MAX_QUOTED_BYTES {
        let mut end = MAX_QUOTED_BYTES;
        while !q.is_char_boundary(end) {
            end -= 1;
        }
        q.truncate(end);
        changed.cut += 1;
    }
    q
}

/// A paragraph of splatdec's prose, wrapped at [`WIDTH`] with no
/// indentation.
fn prose(out: &mut String, text: &str) {
    for line in wrap(text, WIDTH, 0) {
        out.push_str(line.trim());
        out.push('\n');
    }
}

/// The reply to `target` (see the module documentation); `opts` gives
/// `--explain`/`--full`, the width is always [`WIDTH`].
pub fn reply(finished: &Finished, target: &ReplyTarget, opts: &TextOptions) -> String {
    let m: &Meta = &target.meta;
    let mut body = String::new();
    let who = m.from.as_deref().unwrap_or("you");
    let when = m
        .date
        .as_deref()
        .map(|d| format!("On {d}, "))
        .unwrap_or_default();
    prose(&mut body, &format!("{when}{} wrote:", escape::text(who)));
    let decode_opts = TextOptions {
        width: WIDTH,
        quote: false,
        color: false,
        ..*opts
    };
    let mut seen = Vec::new();
    for (i, lines) in &target.copies {
        if seen.contains(i) {
            continue;
        }
        seen.push(*i);
        let Some(d) = finished.reports.get(*i) else {
            continue;
        };
        let mut changed = Changed::default();
        for l in lines {
            body.push_str(&quote_line(l, &mut changed));
            body.push('\n');
        }
        body.push('\n');
        let mut say = String::from(
            "splatdec decoded the report quoted above as follows (the kernel's lines are quoted as posted, not re-wrapped",
        );
        if changed.cut > 0 {
            say.push_str(&format!(
                "; {} quoted line(s) longer than {MAX_QUOTED_BYTES} bytes were cut there",
                changed.cut
            ));
        }
        if changed.escaped > 0 {
            say.push_str(&format!(
                "; in {} line(s) tabs are shown as spaces and control characters as \\xNN",
                changed.escaped
            ));
        }
        say.push_str("):");
        prose(&mut body, &say);
        body.push('\n');
        body.push_str(&text::render(&d.analysis, &decode_opts));
        body.push('\n');
    }
    if target.copies.is_empty() {
        prose(
            &mut body,
            "(splatdec found no lockdep report or stack trace in this message.)",
        );
    }
    while body.ends_with("\n\n") {
        body.pop();
    }
    let ascii = body.is_ascii() && m.subject.as_deref().is_none_or(str::is_ascii);
    let mut out = String::new();
    let to = if m.reply_to.is_empty() {
        m.from.iter().cloned().collect::<Vec<_>>()
    } else {
        m.reply_to.clone()
    };
    let cc: Vec<String> =
        m.to.iter()
            .chain(&m.cc)
            .filter(|a| !to.contains(a))
            .cloned()
            .collect();
    header(&mut out, "To", &to, ", ");
    header(&mut out, "Cc", &cc, ", ");
    header(&mut out, "Subject", &[re_subject(m.subject.as_deref())], "");
    if let Some(id) = &m.message_id {
        header(&mut out, "In-Reply-To", &[format!("<{id}>")], "");
        let mut refs: Vec<String> = m.references.iter().map(|r| format!("<{r}>")).collect();
        let own = format!("<{id}>");
        if !refs.contains(&own) {
            refs.push(own);
        }
        header(&mut out, "References", &refs, " ");
    }
    out.push_str("MIME-Version: 1.0\n");
    if ascii {
        out.push_str(
            "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n",
        );
    } else {
        out.push_str("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n");
    }
    out.push('\n');
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_is_not_doubled() {
        assert_eq!(re_subject(Some("Re: RE:re: x")), "Re: x");
        assert_eq!(re_subject(Some("[PATCH] x")), "Re: [PATCH] x");
        assert_eq!(re_subject(None), "Re: (no subject)");
        assert_eq!(re_subject(Some("Reply")), "Re: Reply");
    }

    #[test]
    fn headers_fold_and_escape() {
        let mut out = String::new();
        let items: Vec<String> = (0..6)
            .map(|i| format!("<{i}-a-rather-long-message-id@example.org>"))
            .collect();
        header(&mut out, "References", &items, " ");
        assert!(out.lines().all(|l| l.len() <= 78), "{out}");
        assert!(out.lines().skip(1).all(|l| l.starts_with(' ')));
        let mut inj = String::new();
        header(&mut inj, "Subject", &["a\r\nBcc: x@y".to_string()], "");
        assert_eq!(inj, "Subject: a\\x0d\\x0aBcc: x@y\n");
    }

    #[test]
    fn quoting_keeps_lines_and_cuts_only_the_overlong() {
        let mut c = Changed::default();
        assert_eq!(quote_line("  foo+0x1/0x2  ", &mut c), ">   foo+0x1/0x2");
        assert_eq!(quote_line("> x", &mut c), ">> x");
        assert_eq!(quote_line("", &mut c), ">");
        assert_eq!((c.cut, c.escaped), (0, 0));
        assert_eq!(quote_line("\x1b[31m", &mut c), "> \\x1b[31m");
        assert_eq!(quote_line("a\tb", &mut c), "> a b");
        let long = "é".repeat(600);
        assert!(quote_line(&long, &mut c).len() <= MAX_QUOTED_BYTES);
        assert_eq!((c.cut, c.escaped), (1, 2));
    }
}
