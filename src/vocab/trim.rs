//! Whitespace trimming with an ASCII fast path.
//!
//! The segmenter trims every line several times (each shape test looks at
//! the text without its indent), and `str::trim` decodes each character
//! and asks the Unicode tables about it. Kernel text is ASCII: these skip
//! ASCII whitespace bytes directly and hand over to `str::trim*` only when
//! a non-ASCII byte is reached, so the result is always exactly what
//! `str::trim`, `str::trim_start` and `str::trim_end` return.

/// `str::trim*`, the same results, cheaper on ASCII text.
pub trait TrimWs {
    /// `str::trim`.
    fn trim_ws(&self) -> &str;
    /// `str::trim_start`.
    fn trim_start_ws(&self) -> &str;
    /// `str::trim_end`.
    fn trim_end_ws(&self) -> &str;
}

/// The ASCII characters `char::is_whitespace` holds true for.
#[inline]
fn ascii_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

impl TrimWs for str {
    #[inline]
    fn trim_ws(&self) -> &str {
        self.trim_start_ws().trim_end_ws()
    }

    #[inline]
    fn trim_start_ws(&self) -> &str {
        let b = self.as_bytes();
        let i = b.iter().position(|&c| !ascii_ws(c)).unwrap_or(b.len());
        // `i` is at a character boundary: only ASCII bytes were skipped.
        let rest = &self[i..];
        if rest.as_bytes().first().is_some_and(|&c| c >= 0x80) {
            rest.trim_start()
        } else {
            rest
        }
    }

    #[inline]
    fn trim_end_ws(&self) -> &str {
        let b = self.as_bytes();
        let n = b.iter().rposition(|&c| !ascii_ws(c)).map_or(0, |i| i + 1);
        let rest = &self[..n];
        if rest.as_bytes().last().is_some_and(|&c| c >= 0x80) {
            rest.trim_end()
        } else {
            rest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_std() {
        let ws = [
            "", " ", "\t", "\n", "\x0b", "\x0c", "\r", "\u{85}", "\u{a0}", "\u{1680}", "\u{2000}",
            "\u{200a}", "\u{2028}", "\u{202f}", "\u{3000}", "\x1c", "\x1f", "\u{200b}", "\u{feff}",
        ];
        let cores = [
            "",
            "x",
            "a b",
            "é",
            "\u{a0}x\u{a0}",
            "x\u{3000}y",
            "\u{2028}",
        ];
        for l1 in ws {
            for l2 in ws {
                for c in cores {
                    for r1 in ws {
                        for r2 in ws {
                            let s = format!("{l1}{l2}{c}{r1}{r2}");
                            assert_eq!(s.trim_ws(), s.trim(), "{s:?}");
                            assert_eq!(s.trim_start_ws(), s.trim_start(), "{s:?}");
                            assert_eq!(s.trim_end_ws(), s.trim_end(), "{s:?}");
                        }
                    }
                }
            }
        }
    }
}
