//! Undoing what web archives and mail transports did to a line's text:
//! HTML entities (`&gt;`, `&lt;`, `&amp;`, ...), `[<address>]` brackets that
//! an HTML archive emptied to `[]` (it took `<ffffffff81234567>` for a
//! tag), and quoted-printable escapes (`=3D`, a trailing `=20`).
//!
//! Runs on every line that is decoded, so the test for "nothing to do"
//! is two SIMD scans and the common case allocates nothing.

/// The text of `line` with those encodings undone, or `None` when it has
/// none (nearly always).
pub fn unescape(line: &str) -> Option<String> {
    let b = line.as_bytes();
    let escapes = memchr::memchr2(b'&', b'=', b).is_some();
    // `[] ` by its `[`s: cheaper than building a substring searcher per line.
    let empty_brackets = memchr::memchr_iter(b'[', b).any(|i| b[i + 1..].starts_with(b"] "));
    if !escapes && !empty_brackets {
        return None;
    }
    let decoded = if escapes { decode_escapes(line) } else { None };
    let text = decoded.as_deref().unwrap_or(line);
    if empty_brackets {
        drop_empty_brackets(text).or(decoded)
    } else {
        decoded
    }
}

/// `line` with its entities and quoted-printable escapes decoded, when it
/// has some.
fn decode_escapes(line: &str) -> Option<String> {
    let (body, soft) = match line.strip_suffix('=') {
        // A quoted-printable soft break: the `=` stays (the joiner decides
        // about the next line), but the escapes before it are still at the
        // end of the encoded line.
        Some(body) if !body.ends_with('=') => (body, true),
        _ => (line, false),
    };
    // Most `&`s and `=`s start no escape (`&sb->s_umount`, `x=1`): find
    // out before building a copy. Nothing decodes in the loop below
    // exactly when nothing decodes at any of them.
    let bb = body.as_bytes();
    if !memchr::memchr2_iter(b'&', b'=', bb)
        .any(|i| decode_at(&body[i..], bb.len() - i == 3).is_some())
    {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = body;
    let mut changed = false;
    while let Some(i) = rest.find(['&', '=']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match decode_at(tail, tail.len() == 3) {
            Some((c, n)) => {
                out.push(c);
                rest = &tail[n..];
                changed = true;
            }
            None => {
                out.push(char::from(tail.as_bytes()[0]));
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    if soft {
        out.push('=');
    }
    changed.then_some(out)
}

/// The escape at the start of `s`: the character and the bytes it takes.
/// `at_end` says whether a three-byte escape ends the (encoded) line,
/// the only place quoted-printable encodes a blank.
fn decode_at(s: &str, at_end: bool) -> Option<(char, usize)> {
    const ENTITIES: &[(&str, char)] = &[
        ("&gt;", '>'),
        ("&lt;", '<'),
        ("&amp;", '&'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&#x27;", '\''),
        ("&apos;", '\''),
        ("&nbsp;", ' '),
        ("&#62;", '>'),
        ("&#60;", '<'),
        ("&#38;", '&'),
    ];
    if s.starts_with('&') {
        return ENTITIES
            .iter()
            .find(|(e, _)| s.starts_with(e))
            .map(|(e, c)| (*c, e.len()));
    }
    // `=3D` is `=` anywhere; kernel text never prints `=3D` itself.
    if s.starts_with("=3D") {
        return Some(('=', 3));
    }
    if at_end && s.starts_with("=20") {
        return Some((' ', 3));
    }
    if at_end && s.starts_with("=09") {
        return Some(('\t', 3));
    }
    None
}

/// `text` without its `[] ` pieces, when some precede a symbol or a `?`
/// (an emptied frame address) rather than nothing.
fn drop_empty_brackets(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(i) = rest.find("[] ") {
        let after = &rest[i + 3..];
        let follows_symbol = after
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'?' || c == b'.');
        out.push_str(&rest[..i]);
        if follows_symbol {
            changed = true;
        } else {
            out.push_str("[] ");
        }
        rest = after;
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &str) -> String {
        unescape(s).unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn html_entities() {
        assert_eq!(
            un(" -&gt; #1 (&amp;x-&gt;lock){+.+.}:"),
            " -> #1 (&x->lock){+.+.}:"
        );
        assert_eq!(un("&gt; &gt; WARNING: x"), "> > WARNING: x");
        assert_eq!(un("  &lt;TASK&gt;"), "  <TASK>");
        assert_eq!(un("a & b"), "a & b");
        assert_eq!(un("&amp;gt;"), "&gt;");
        assert!(unescape("plain line").is_none());
        assert!(unescape("====================").is_none());
        assert!(unescape("x & y = z").is_none());
    }

    #[test]
    fn emptied_brackets() {
        assert_eq!(un("  [] ? mark_lock+0x1/0x2"), "  ? mark_lock+0x1/0x2");
        assert_eq!(
            un(" #0:  (shrinker_rwsem){++++..}, at: [] shrink_slab+0x1/0x2"),
            " #0:  (shrinker_rwsem){++++..}, at: shrink_slab+0x1/0x2"
        );
        assert_eq!(un("Modules linked in: [] "), "Modules linked in: [] ");
        assert_eq!(
            un(" (&amp;x){....}, at: [] f+0x1/0x2"),
            " (&x){....}, at: f+0x1/0x2"
        );
    }

    #[test]
    fn quoted_printable() {
        assert_eq!(un("=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D"), "==========");
        assert_eq!(un("ffff (&x){+.+.}, at:=20"), "ffff (&x){+.+.}, at: ");
        assert_eq!(un("ffff (&x){+.+.}, at:=20="), "ffff (&x){+.+.}, at: =");
        assert_eq!(un("gfp_mask=3D0x14102c0"), "gfp_mask=0x14102c0");
        // `=20` inside a line is not quoted-printable's (it only encodes
        // trailing blanks).
        assert_eq!(un("order=20 more"), "order=20 more");
        assert_eq!(un("=3D=3D="), "===");
    }
}
