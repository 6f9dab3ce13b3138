//! `format=flowed` text (RFC 3676) back to the lines the writer typed.
//!
//! Neither mail-parser (0.11) nor mailparse (0.18) undoes format=flowed
//! (they decode the transfer encoding and the charset, and leave the soft
//! line breaks in place), so this is the one piece of body
//! decoding done here. It is not MIME: it runs on the text mail-parser
//! already decoded, and only for parts whose Content-Type says
//! `format=flowed`.
//!
//! A flowed line ends in a space: the line after it (at the same quote
//! depth) continues it. A mail client that sends flowed text breaks every
//! long line that way, so a 100-column kernel line arrives as two lines;
//! joined again, the decoder sees the line the kernel printed. Per line
//! (RFC 3676 section 4):
//!
//! * the quote depth is the number of leading `>`; the quote marks are
//!   taken off and put back, one `> ` prefix per depth, on the joined line
//!   (the decoder reads `> ` quoting);
//! * one leading space after the quote marks is space-stuffing and is
//!   removed (a writer stuffs lines that begin with a space, `>` or
//!   `From `);
//! * the signature separator `-- ` is never flowed;
//! * with `DelSp=yes` the space that marks the soft break is deleted when
//!   the lines are joined; otherwise it stays (it was a word space).
//!
//! A flowed line followed by a line of another quote depth (or by the end
//! of the text) ends its paragraph there, as section 4.5 says for such
//! malformed input.

/// Undo format=flowed on `text` (already decoded to Unicode). `delsp` is
/// the Content-Type's `DelSp=yes`. Line ends come out as `\n`.
pub fn decode(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The paragraph being joined: its quote depth and text so far.
    let mut open: Option<(usize, String)> = None;
    let lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    // A trailing line end leaves one empty piece after it: not a line.
    let count = text.split('\n').count() - usize::from(text.ends_with('\n'));
    for line in lines.take(count) {
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let body = &line[depth..];
        let body = body.strip_prefix(' ').unwrap_or(body);
        let flowed = body.ends_with(' ') && body != "-- ";
        if let Some((d, _)) = &open {
            if *d != depth {
                let (d, t) = open.take().expect("checked above");
                push_line(&mut out, d, &t);
            }
        }
        let piece = if flowed && delsp {
            &body[..body.len() - 1]
        } else {
            body
        };
        match &mut open {
            Some((_, t)) => t.push_str(piece),
            None => open = Some((depth, piece.to_string())),
        }
        if !flowed {
            let (d, t) = open.take().expect("set above");
            push_line(&mut out, d, &t);
        }
    }
    if let Some((d, t)) = open {
        push_line(&mut out, d, &t);
    }
    out
}

fn push_line(out: &mut String, depth: usize, text: &str) {
    if depth > 0 {
        out.push_str(&">".repeat(depth));
        if !text.is_empty() {
            out.push(' ');
        }
    }
    out.push_str(text);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn soft_breaks_join_and_hard_breaks_stay() {
        let t = "kswapd0/100 is trying to \r\nacquire lock:\r\nnext line\r\n";
        assert_eq!(
            decode(t, false),
            "kswapd0/100 is trying to acquire lock:\nnext line\n"
        );
        assert_eq!(decode("ab \ncd\n", true), "abcd\n");
    }

    #[test]
    fn quote_depth_is_kept_and_stuffing_removed() {
        // `>  lock_acquire`: the stuffed space goes, the kernel's own
        // leading space stays.
        let t = "> ffff9e8ef38b6268 (&delayed_node->mutex){+.+.}-{3:3}, at: \n> __btrfs_release_delayed_node+0x3f/0x330\n>  lock_acquire+0xa4/0x3d0\n";
        assert_eq!(
            decode(t, false),
            "> ffff9e8ef38b6268 (&delayed_node->mutex){+.+.}-{3:3}, at: __btrfs_release_delayed_node+0x3f/0x330\n>  lock_acquire+0xa4/0x3d0\n"
        );
        // A space-stuffed line loses exactly one space.
        assert_eq!(
            decode("  indented\n From here\n", false),
            " indented\nFrom here\n"
        );
    }

    #[test]
    fn a_change_of_depth_ends_the_paragraph() {
        assert_eq!(decode("> a \nb\n", false), "> a \nb\n");
        assert_eq!(decode("-- \nsig\n", false), "-- \nsig\n");
        assert_eq!(decode(">\n", false), ">\n");
        assert_eq!(decode("unterminated ", false), "unterminated \n");
    }
}
