//! Line layout for the text renderer: indentation, wrapping to a width,
//! mail quoting, and colour applied after wrapping (so escape codes never
//! count toward the width, and never appear when colour is off).

use owo_colors::OwoColorize;

use crate::classify::Class;

/// How one line is styled on a colour terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No styling.
    Plain,
    /// A report's first line (kind and title): bold.
    Headline,
    /// A section heading: underlined.
    Heading,
    /// A verdict line: its first row coloured by class.
    Verdict(Class),
    /// Secondary facts (kernel, task, taint, folded-frame notes): dimmed.
    Dim,
    /// A walk note under a frame: cyan.
    Annotation,
}

/// A document of logical lines, laid out at the end.
#[derive(Debug, Default)]
pub struct Doc {
    lines: Vec<(Style, usize, String)>,
}

impl Doc {
    /// An empty document.
    pub fn new() -> Self {
        Doc::default()
    }

    /// Add a logical line at `indent` columns (wrapped later).
    pub fn line(&mut self, style: Style, indent: usize, text: impl Into<String>) {
        self.lines.push((style, indent, text.into()));
    }

    /// Add one empty line, unless the document is empty or already ends with
    /// one.
    pub fn blank(&mut self) {
        if self.lines.last().is_some_and(|(_, _, t)| !t.is_empty()) {
            self.lines.push((Style::Plain, 0, String::new()));
        }
    }

    /// Lay out: wrap each line to `width` (continuations indented two more
    /// columns), prefix `> ` when quoting, colour when asked. The result has
    /// no tabs, no trailing spaces and, without colour, no escape codes.
    pub fn finish(&self, width: usize, quote: bool, color: bool) -> String {
        let prefix = if quote { "> " } else { "" };
        let width = width.max(20).saturating_sub(prefix.len());
        let mut out = String::new();
        for (style, indent, text) in &self.lines {
            for (i, piece) in wrap(text, width, *indent).into_iter().enumerate() {
                let styled = if color {
                    paint(*style, &piece, i == 0)
                } else {
                    piece
                };
                let line = format!("{prefix}{styled}");
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        out
    }
}

fn paint(style: Style, s: &str, first: bool) -> String {
    match style {
        Style::Plain => s.to_string(),
        Style::Headline => s.bold().to_string(),
        Style::Heading => s.underline().to_string(),
        Style::Dim => s.dimmed().to_string(),
        Style::Annotation => s.cyan().to_string(),
        Style::Verdict(c) if first => match c {
            Class::TrueDeadlock => s.red().bold().to_string(),
            Class::FalsePositive => s.green().bold().to_string(),
            Class::RtOnly => s.yellow().bold().to_string(),
            Class::LockingBug => s.magenta().bold().to_string(),
            Class::LockdepInternal => s.blue().bold().to_string(),
            Class::Undetermined => s.dimmed().to_string(),
        },
        Style::Verdict(_) => s.to_string(),
    }
}

/// Wrap `text` at word boundaries to `width` columns, first line at
/// `indent`, continuation lines at `indent + 2`. Words longer than the
/// room are broken hard so no line ever exceeds the width.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let indent = indent.min(width / 2);
    // A line that fits keeps its own spacing (scenario columns).
    if indent + text.chars().count() <= width {
        return vec![format!("{}{text}", " ".repeat(indent))];
    }
    let mut lines = Vec::new();
    let mut cur = " ".repeat(indent);
    let mut cur_len = indent;
    let mut line_has_word = false;
    let cont = indent + 2;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: &str = word;
        loop {
            let wlen = word.chars().count();
            let need = if line_has_word { wlen + 1 } else { wlen };
            if cur_len + need <= width {
                if line_has_word {
                    cur.push(' ');
                }
                cur.push_str(word);
                cur_len += need;
                line_has_word = true;
                break;
            }
            if line_has_word {
                lines.push(std::mem::take(&mut cur));
                cur = " ".repeat(cont.min(width / 2));
                cur_len = cont.min(width / 2);
                line_has_word = false;
                continue;
            }
            // A single word longer than the room: break it.
            let room = width.saturating_sub(cur_len).max(1);
            let cut = word
                .char_indices()
                .nth(room)
                .map(|(i, _)| i)
                .unwrap_or(word.len());
            cur.push_str(&word[..cut]);
            lines.push(std::mem::take(&mut cur));
            cur = " ".repeat(cont.min(width / 2));
            cur_len = cont.min(width / 2);
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
        }
    }
    if line_has_word || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_width_and_breaks_long_words() {
        let long = "a".repeat(100);
        let text = format!("one two three {long} four");
        for l in wrap(&text, 30, 4) {
            assert!(l.chars().count() <= 30, "{l:?}");
        }
        let w = wrap("short", 30, 2);
        assert_eq!(w, ["  short"]);
        assert_eq!(wrap("a      b", 30, 0), ["a      b"]);
        assert_eq!(wrap("", 30, 2), ["  "]);
    }

    #[test]
    fn finish_quotes_and_strips_trailing_space() {
        let mut d = Doc::new();
        d.line(Style::Plain, 0, "hello world");
        d.blank();
        d.line(Style::Plain, 2, "x");
        let s = d.finish(80, true, false);
        assert_eq!(s, "> hello world\n>\n>   x\n");
        let mut h = Doc::new();
        h.line(Style::Headline, 0, "title");
        assert!(!h.finish(80, false, false).contains('\x1b'));
        assert!(h.finish(80, false, true).contains('\x1b'));
    }
}
