//! Escaping untrusted text. Logs come from fuzzers and strangers: a lock
//! name may carry an escape sequence or a bidi override. Nothing from the
//! input reaches a terminal raw.

use std::borrow::Cow;

/// True for characters that must never be echoed raw: C0/C1 controls, DEL,
/// and the Unicode bidi embedding/override/isolate controls that can make
/// text display differently from what it is.
pub fn is_dangerous(c: char) -> bool {
    let u = c as u32;
    u < 0x20 && c != '\t'
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0x061c)
}

/// Escape `s` for plain-text output: controls as `\xNN` (or `\u{NNNN}`),
/// tabs as a single space so mail-safe output holds no tabs.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_dangerous(c) || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\t' {
            out.push(' ');
        } else if is_dangerous(c) {
            let u = c as u32;
            if u <= 0xff {
                out.push_str(&format!("\\x{u:02x}"));
            } else {
                out.push_str(&format!("\\u{{{u:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escape a multi-line block line by line, keeping its newlines.
pub fn text_block(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&text(line));
    }
    out
}

/// Make serde_json output safe for terminals too: serde_json escapes C0
/// controls already; DEL, C1 controls and bidi controls are legal in JSON
/// strings but dangerous on a terminal, so write them as `\uXXXX`. JSON
/// structure is ASCII, so they can only occur inside strings.
pub fn json(s: String) -> String {
    // serde_json has already escaped every C0 control inside strings, so
    // any remaining C0 byte is JSON whitespace (pretty-printing).
    let needs = |c: char| c as u32 >= 0x7f && is_dangerous(c);
    // Every character it escapes is at or above DEL, so two word-at-a-time
    // scans settle the usual all-ASCII document at once.
    let ascii_without_del = s.is_ascii() && memchr::memchr(0x7f, s.as_bytes()).is_none();
    if ascii_without_del || !s.chars().any(needs) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Escape `s` for XML and HTML text and attribute values (SVG, the
/// triage page): the markup characters `&`, `<`, `>`, `"` and `'` as
/// entities, and everything [`text`] escapes (controls, bidi) as its
/// visible `\xNN` form, so no control character, no escape sequence and no
/// character XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF) reaches the
/// document. Tabs become spaces.
pub fn xml(s: &str) -> Cow<'_, str> {
    let markup = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\u{fffe}' | '\u{ffff}');
    if !s.chars().any(|c| markup(c) || is_dangerous(c) || c == '\t') {
        return Cow::Borrowed(s);
    }
    let t = text(s);
    let mut out = String::with_capacity(t.len() + 16);
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`xml`] for a multi-line block (a `<pre>`): newlines kept, each line
/// escaped.
pub fn xml_block(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&xml(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_controls_and_non_characters() {
        assert_eq!(xml("&x->lock"), "&amp;x-&gt;lock");
        assert_eq!(
            xml("<script>alert('x\"y')</script>"),
            "&lt;script&gt;alert(&#39;x&quot;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(xml("a\x1b[31mb\u{202e}c"), "a\\x1b[31mb\\u{202e}c");
        assert_eq!(xml("nul\0 tab\t \u{ffff}"), "nul\\x00 tab  \\u{ffff}");
        assert!(matches!(xml("plain text"), Cow::Borrowed(_)));
        assert_eq!(xml_block("a<b\n\x07c"), "a&lt;b\n\\x07c");
    }

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(text("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(text("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(text("tab\there"), "tab here");
        assert_eq!(text("plain &x->y"), "plain &x->y");
        assert_eq!(
            json("\"a\u{202e}\u{7f}\"".to_string()),
            "\"a\\u202e\\u007f\""
        );
        assert_eq!(json("{\n  \"a\": 1\n}".to_string()), "{\n  \"a\": 1\n}");
    }
}
