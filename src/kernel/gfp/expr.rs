//! The GFP expression language: what C code and `%pGg` output write.
//!
//! ```text
//! expr  := and ('|' and)*
//! and   := unary ('&' unary)*
//! unary := '~' unary | '(' expr ')' | NAME | NUMBER
//! ```
//!
//! The same evaluator reads the composite definitions in `data/gfp.toml`
//! (`(GFP_HIGHUSER_MOVABLE|__GFP_COMP) & ~__GFP_RECLAIM`) and user input,
//! so the two cannot disagree. Precedence is C's: `~`, then `&`, then `|`.
//! Names are matched case-insensitively; `___GFP_X` is accepted for
//! `__GFP_X`. Numbers are hex (`0x...`) or decimal and must fit a 32-bit
//! `gfp_t`.

use super::{GfpError, GfpFlag, GfpLayout};

/// The value of an expression, and remarks about how it was computed.
pub(super) struct Evaluated {
    pub value: u32,
    pub notes: Vec<String>,
}

/// Evaluate `input` against `layout`. A well-formed name the layout does
/// not define comes back as [`GfpError::NotInLayout`] with an empty
/// `present_in`; the caller, which can see every layout, completes it.
pub(super) fn evaluate(input: &str, layout: &GfpLayout) -> Result<Evaluated, GfpError> {
    if input.trim().is_empty() {
        return Err(GfpError::Empty);
    }
    let mut p = Parser {
        input,
        pos: 0,
        layout,
        notes: Vec::new(),
        depth: 0,
    };
    let value = p.expr()?;
    p.skip_space();
    if p.pos < input.len() {
        return Err(p.syntax("'|', '&' or the end"));
    }
    Ok(Evaluated {
        value,
        notes: p.notes,
    })
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    layout: &'a GfpLayout,
    notes: Vec<String>,
    /// `~` and `(` levels open: bounded so hostile input cannot exhaust
    /// the stack of this recursive-descent parser.
    depth: usize,
}

/// The deepest nesting of `~` and `(` accepted. Real expressions use two
/// or three levels.
pub(super) const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn syntax(&self, expected: &'static str) -> GfpError {
        GfpError::Syntax {
            input: self.input.to_string(),
            at: self.pos,
            expected,
        }
    }

    fn skip_space(&mut self) {
        let rest = &self.input[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.input.as_bytes().get(self.pos).copied()
    }

    fn expr(&mut self) -> Result<u32, GfpError> {
        let mut value = self.and()?;
        while self.peek() == Some(b'|') {
            self.pos += 1;
            value |= self.and()?;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<u32, GfpError> {
        let mut value = self.unary()?;
        while self.peek() == Some(b'&') {
            self.pos += 1;
            value &= self.unary()?;
        }
        Ok(value)
    }

    fn unary(&mut self) -> Result<u32, GfpError> {
        let open = matches!(self.peek(), Some(b'~' | b'('));
        if open && self.depth >= MAX_DEPTH {
            return Err(self.syntax("at most 64 levels of '~' and '('"));
        }
        match self.peek() {
            Some(b'~') => {
                self.pos += 1;
                self.depth += 1;
                let value = self.unary();
                self.depth -= 1;
                Ok(!value?)
            }
            Some(b'(') => {
                self.pos += 1;
                self.depth += 1;
                let value = self.expr();
                self.depth -= 1;
                let value = value?;
                if self.peek() != Some(b')') {
                    return Err(self.syntax("')'"));
                }
                self.pos += 1;
                Ok(value)
            }
            Some(c) if c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.name(),
            _ => Err(self.syntax("a GFP name, a number, '~' or '('")),
        }
    }

    fn token(&mut self, accept: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        let len = self.input.as_bytes()[start..]
            .iter()
            .take_while(|&&b| accept(b))
            .count();
        self.pos += len;
        &self.input[start..start + len]
    }

    fn number(&mut self) -> Result<u32, GfpError> {
        let start = self.pos;
        let token = self.token(|b| b.is_ascii_alphanumeric()).to_string();
        let (digits, radix) = match token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
        {
            Some(hex) => (hex, 16),
            None => (token.as_str(), 10),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            self.pos = start;
            return Err(self.syntax("a hex or decimal number"));
        }
        let significant = digits.trim_start_matches('0');
        let value = if significant.len() > 10 {
            None
        } else {
            u64::from_str_radix(digits, radix).ok()
        };
        value
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(GfpError::Overflow { token })
    }

    fn name(&mut self) -> Result<u32, GfpError> {
        let raw = self.token(|b| b.is_ascii_alphanumeric() || b == b'_');
        let name = raw.to_ascii_uppercase();
        let name = match name.strip_prefix("___GFP_") {
            Some(rest) => format!("__GFP_{rest}"),
            None => name,
        };
        if let Some(v) = self.layout.composite(&name) {
            return Ok(v);
        }
        if let Some(flag) = name
            .strip_prefix("__GFP_")
            .and_then(|_| GfpFlag::from_name(&name))
        {
            if let Some(v) = self.layout.value(flag) {
                return Ok(v);
            }
            if let Some(why) = self.layout.absent_reason(flag) {
                self.notes.push(format!(
                    "{name} is 0 here: it exists only with {why}, which the default config does not have."
                ));
                return Ok(0);
            }
        }
        Err(GfpError::NotInLayout {
            name,
            layout: self.layout.id().to_string(),
            present_in: Vec::new(),
        })
    }
}
