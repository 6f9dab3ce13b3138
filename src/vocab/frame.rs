//! Stack-frame lines in every common shape.
//!
//! One entry point, [`classify_trace_line`], classifies a line seen inside
//! a stack trace: a frame, a stack-switch marker (which changes the context
//! of the frames that follow), a register-dump line that belongs to the
//! trace, or something else. It borrows from the line and allocates
//! nothing, because the segmenter asks it about every line of every open
//! report just to see where a trace ends; [`parse_trace_line`] and
//! [`parse_frame`] are the owning wrappers for frames that are kept.
//! Shapes handled:
//!
//! * x86 4.4: `[<ffffffff81234567>] func+0x1/0x2`, `[<...>] ? func+...`,
//!   inline markers ` <IRQ>  [<...>] func...`
//! * x86 4.10+ / arm64 / lockdep saved stacks: ` func+0x1/0x2 [mod]`,
//!   ` ? func+...`, ` func+0x1/0x2 [mod 0123...buildid]`, arm64 6.13 ` (C)`
//! * powerpc: `[c000...] [c000...] func+0x.../0x... (unreliable)`
//! * arm32: `[<c0123456>] (func+0x1/0x2) from [<c0654321>] (caller+...)`
//! * syzbot symbolized: `func+0x1/0x2 mm/slub.c:123`, `func mm/slab.h:45 [inline]`
//! * decode_stacktrace.sh: `func+0x1/0x2 (mm/slub.c:123)`
//! * crash `bt`: ` #3 [ffff880002207ef0] notify_die at ffffffff810a155e`
//! * register lines: `RIP: 0010:func+0x1/0x2`, `pc : func+...`, `lr : ...`,
//!   `NIP [c000...] func+...`, `LR [c000...] func+...`

use crate::model::{Frame, FrameContext};
use crate::vocab::trim::TrimWs;
use compact_str::CompactString;

/// A frame as printed, borrowing its text from the line: what
/// [`classify_trace_line`] finds without allocating. [`FrameRef::to_frame`]
/// makes the owned model [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// The symbol exactly as printed, compiler suffixes included.
    pub function: &'a str,
    /// The offset into the function (`+0x1f`), when printed.
    pub offset: Option<u64>,
    /// The function's size (`/0x80`), when printed.
    pub size: Option<u64>,
    /// The module in brackets (`[ext4]`), when printed.
    pub module: Option<&'a str>,
    /// The module's build id (`[ext4 0123...]`), when printed.
    pub build_id: Option<&'a str>,
    /// The source file of a symbolized frame.
    pub file: Option<&'a str>,
    /// The source line of a symbolized frame.
    pub line: Option<u32>,
    /// A callee the compiler inlined (`[inline]`).
    pub inline: bool,
    /// False for `?` frames and `(unreliable)` ones: stack words the unwinder
    /// did not confirm.
    pub reliable: bool,
    /// The stack the frame was printed on (from the `<IRQ>`-style markers
    /// seen so far).
    pub context: FrameContext,
    /// The text address (`[<ffffffff81234567>]`), when printed.
    pub address: Option<u64>,
}

impl<'a> FrameRef<'a> {
    fn new(function: &'a str, context: FrameContext) -> Self {
        FrameRef {
            function,
            offset: None,
            size: None,
            module: None,
            build_id: None,
            file: None,
            line: None,
            inline: false,
            reliable: true,
            context,
            address: None,
        }
    }

    /// The source-level function name (see [`base_name`]).
    pub fn base(&self) -> &'a str {
        base_name(self.function)
    }

    /// The owned frame, printed on input line `no`.
    pub fn to_frame(&self, no: u64) -> Frame {
        // A frame printed as its address alone is named by it, as the
        // kernel names one it cannot symbolize (`0x35a1c40247`).
        let (function, base) = match (self.function, self.address) {
            ("", Some(a)) => {
                let name = CompactString::from(format!("0x{a:x}"));
                (name.clone(), name)
            }
            _ => (
                CompactString::from(self.function),
                CompactString::from(self.base()),
            ),
        };
        Frame {
            function,
            base,
            offset: self.offset,
            size: self.size,
            module: self.module.map(str::to_string),
            build_id: self.build_id.map(str::to_ascii_lowercase),
            file: self.file.map(str::to_string),
            line: self.line,
            inline: self.inline,
            reliable: self.reliable,
            context: self.context,
            address: self.address,
            source_line: no,
        }
    }
}

/// What one line inside a trace is, borrowing from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceLineRef<'a> {
    /// A stack frame (the context markers before it on the line, if any,
    /// have already been applied).
    Frame(FrameRef<'a>),
    /// Only stack-switch markers (`<IRQ>`, `</TASK>` ...).
    Marker,
    /// A register-dump line that belongs to the trace. When it names the
    /// faulting PC (`RIP:`, `pc :`, `NIP`), the frame is given.
    Register(Option<FrameRef<'a>>),
    /// Not part of a trace.
    Other,
}

impl TraceLineRef<'_> {
    /// The owned form, for a line printed as input line `no`.
    pub fn to_owned(&self, no: u64) -> TraceLine {
        match self {
            TraceLineRef::Frame(f) => TraceLine::Frame(f.to_frame(no)),
            TraceLineRef::Marker => TraceLine::Marker,
            TraceLineRef::Register(f) => TraceLine::Register(f.map(|f| f.to_frame(no))),
            TraceLineRef::Other => TraceLine::Other,
        }
    }
}

/// What one line inside a trace is, with an owned frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceLine {
    /// A stack frame (the context markers before it on the line, if any,
    /// have already been applied).
    Frame(Frame),
    /// Only stack-switch markers (`<IRQ>`, `</TASK>` ...).
    Marker,
    /// A register-dump line that belongs to the trace. When it names the
    /// faulting PC (`RIP:`, `pc :`, `NIP`), the frame is given.
    Register(Option<Frame>),
    /// Not part of a trace.
    Other,
}

pub use crate::kernel::frames::base_name;

/// Bytes of a printed symbol name, as a table: this test runs on every
/// byte of every frame line.
const SYM_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$';
        c += 1;
    }
    t
};

fn is_sym_char(c: u8) -> bool {
    SYM_CHARS[c as usize]
}

/// The value of one hex digit.
fn hex_digit(c: u8) -> Option<u64> {
    match c {
        b'0'..=b'9' => Some(u64::from(c - b'0')),
        b'a'..=b'f' => Some(u64::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u64::from(c - b'A' + 10)),
        _ => None,
    }
}

fn parse_hex(s: &str) -> Option<u64> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    s.bytes()
        .try_fold(0u64, |v, c| Some((v << 4) | hex_digit(c)?))
}

/// `[<hex>]` at the start; returns the address and the rest.
fn take_angle_addr(s: &str) -> Option<(Option<u64>, &str)> {
    let rest = s.strip_prefix("[<")?;
    // The first `>` closes it (`memchr`, not a substring search: this runs
    // on every old-style frame line).
    let close = memchr::memchr(b'>', rest.as_bytes())?;
    if rest.as_bytes().get(close + 1) != Some(&b']') {
        return None;
    }
    let inner = rest[..close].trim_ws();
    // `[<  (null)>]` in old oopses.
    let addr = parse_hex(inner);
    if addr.is_none() && inner != "(null)" {
        return None;
    }
    Some((addr, &rest[close + 2..]))
}

/// `[<kernel/locking/lockdep.c:1500>]` (or several locations, inlined
/// ones first) at the start: the first location and the rest of the line.
fn take_angle_location(s: &str) -> Option<((&str, u32), &str)> {
    let rest = s.strip_prefix("[<")?;
    let close = rest.find(">]")?;
    let inner = &rest[..close];
    let mut first = None;
    for tok in inner.split_whitespace() {
        let (path, line) = parse_file_line(tok)?;
        first.get_or_insert((path, line?));
    }
    Some((first?, &rest[close + 2..]))
}

/// powerpc `[c000000000a2bfb70]`: plain brackets around 8 or 16 hex digits.
fn take_plain_addr(s: &str) -> Option<(u64, &str)> {
    let rest = s.strip_prefix('[')?;
    let close = rest.find(']')?;
    let inner = &rest[..close];
    if inner.len() < 8 || !inner.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some((parse_hex(inner)?, &rest[close + 1..]))
}

/// The hex digits at `b[i..]` (1 to 16 of them): their value and where
/// they end.
fn hex_run(b: &[u8], start: usize) -> Option<(u64, usize)> {
    let mut i = start;
    let mut v = 0u64;
    while let Some(d) = b.get(i).and_then(|&c| hex_digit(c)) {
        if i - start == 16 {
            return None;
        }
        v = (v << 4) | d;
        i += 1;
    }
    (i > start).then_some((v, i))
}

/// `name+0xOFF/0xSIZE` at the start. Returns (name, offset, size, rest).
/// One pass over the bytes: every frame line goes through here.
fn take_symbol_offset(s: &str) -> Option<(&str, u64, Option<u64>, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_sym_char(b[i]) {
        i += 1;
    }
    if i == 0 || !b[i..].starts_with(b"+0x") {
        return None;
    }
    let name = &s[..i];
    let (offset, j) = hex_run(b, i + 3)?;
    if b.get(j) == Some(&b'/') {
        let k = if b[j + 1..].starts_with(b"0x") {
            j + 3
        } else {
            j + 1
        };
        let (size, e) = hex_run(b, k)?;
        Some((name, offset, Some(size), &s[e..]))
    } else {
        // crash `bt -s`: `func+0x167 at ffff...` has no size.
        Some((name, offset, None, &s[j..]))
    }
}

/// A source location `path/file.c:123` (the whole token). syzbot prints
/// `path/file.h:-1` when addr2line knew the file but not the line: the
/// file with no line.
fn parse_file_line(tok: &str) -> Option<(&str, Option<u32>)> {
    let colon = tok.rfind(':')?;
    let (path, num) = (&tok[..colon], &tok[colon + 1..]);
    if path.is_empty() || !path.contains('.') || path.contains('(') {
        return None;
    }
    if num == "-1" {
        return Some((path, None));
    }
    let line: u32 = num.parse().ok()?;
    Some((path, Some(line)))
}

/// A build id as the kernel prints it (`%20phN`: 40 hex digits); shorter
/// even-length ids (other linkers' hash styles) are accepted too.
pub fn is_build_id(w: &str) -> bool {
    (8..=64).contains(&w.len()) && w.len() % 2 == 0 && w.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Parse the tail after `sym+off/size`: module, file:line, `[inline]`,
/// `(unreliable)`, arm64 flags, decode_stacktrace `(file:line ...)`.
/// Returns false when unknown text remains (then this is not a frame line).
fn parse_frame_tail<'a>(f: &mut FrameRef<'a>, mut rest: &'a str) -> bool {
    loop {
        rest = rest.trim_start_ws();
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("[inline]") {
            f.inline = true;
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix("(unreliable)") {
            f.reliable = false;
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('[') {
            // `[module]` or `[module buildid]`.
            let Some(close) = r.find(']') else {
                return false;
            };
            let inner = &r[..close];
            let mut words = inner.split_whitespace();
            let module = words.next().unwrap_or("");
            if module.is_empty()
                || !module
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            {
                return false;
            }
            f.module = Some(module);
            // CONFIG_STACKTRACE_BUILD_ID: `[module 20-byte-hex]`.
            f.build_id = words.next().filter(|w| is_build_id(w));
            rest = &r[close + 1..];
            continue;
        }
        if let Some(r) = rest.strip_prefix('(') {
            // The matching parenthesis: decode_stacktrace.sh nests
            // `(discriminator N)` inside its location list.
            let Some(close) = matching_paren(r) else {
                return false;
            };
            let inner = &r[..close];
            // arm64 6.13+ unwinder flags `(C)`, `(T)`, `(P)`, `(CF)` ...
            if !inner.is_empty()
                && inner.len() <= 4
                && inner.bytes().all(|c| b"CTPUFK".contains(&c))
            {
                rest = &r[close + 1..];
                continue;
            }
            // decode_stacktrace.sh: `(file.c:12 inlined.h:3)`.
            let mut any = false;
            for tok in inner.split_whitespace() {
                if let Some((path, line)) = parse_file_line(tok) {
                    if f.file.is_none() {
                        f.file = Some(path);
                        f.line = line;
                    }
                    any = true;
                }
            }
            if any {
                rest = &r[close + 1..];
                continue;
            }
            // powerpc ftrace `(real_function+0x...)` and other notes: keep going.
            rest = &r[close + 1..];
            continue;
        }
        // `path/file.c:123` token.
        let tok_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if let Some((path, line)) = parse_file_line(&rest[..tok_end]) {
            f.file = Some(path);
            f.line = line;
            rest = &rest[tok_end..];
            continue;
        }
        return false;
    }
}

/// Where the parenthesis opened just before `r` closes (`r` excludes it).
fn matching_paren(r: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in r.bytes().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' if depth == 0 => return Some(i),
            b')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Apply leading stack-switch markers; returns the rest and whether any
/// marker was seen.
fn take_markers<'a>(mut s: &'a str, ctx: &mut FrameContext) -> (&'a str, bool) {
    let mut seen = false;
    loop {
        s = s.trim_start_ws();
        if !s.starts_with('<') || s.starts_with("<#") && !s.contains('>') {
            return (s, seen);
        }
        let Some(close) = s.find('>') else {
            return (s, seen);
        };
        let tag = &s[1..close];
        let new_ctx = match tag {
            "IRQ" => Some(FrameContext::Irq),
            "SOFTIRQ" => Some(FrameContext::Softirq),
            "NMI" => Some(FrameContext::Nmi),
            "TASK" | "/IRQ" | "/SOFTIRQ" | "/NMI" | "/TASK" | "EOI" | "EOE"
            | "/ENTRY_TRAMPOLINE" | "ENTRY_TRAMPOLINE" => Some(FrameContext::Task),
            t if t.starts_with('#') => Some(FrameContext::Exception),
            t if t.starts_with("/#") => Some(FrameContext::Task),
            _ => None,
        };
        match new_ctx {
            Some(c) => {
                *ctx = c;
                seen = true;
                s = &s[close + 1..];
            }
            None => return (s, seen),
        }
    }
}

/// Register-dump lines that sit inside a trace.
fn register_line(t: &str, ctx: FrameContext) -> Option<TraceLineRef<'_>> {
    // Every register line starts with one of these bytes; a frame line
    // (`func+0x1/0x2`, `? func`, `[<addr>]`) seldom does, and most lines
    // this sees are frames, so look no further for the others.
    let first = *t.as_bytes().first()?;
    let upper = first.is_ascii_uppercase();
    if !(upper
        || first.is_ascii_lowercase()
        || first.is_ascii_digit()
        || first == b'-'
        || first == b'[')
    {
        return None;
    }
    // Faulting-PC lines carry a frame.
    for tag in ["RIP: ", "EIP: ", "pc : ", "lr : ", "NIP ", "LR "] {
        if let Some(rest) = t.strip_prefix(tag) {
            let mut r = rest.trim_start_ws();
            // `RIP: 0010:func+...` — strip the segment selector.
            if let Some(colon) = r.find(':') {
                if colon <= 4 && r[..colon].bytes().all(|c| c.is_ascii_hexdigit()) {
                    r = &r[colon + 1..];
                }
            }
            // `NIP [c000...] func`, old `RIP: 0010:[<...>]  [<...>] func`.
            while let Some((_, rr)) = take_angle_addr(r.trim_start_ws())
                .map(|(a, r)| (a.unwrap_or(0), r))
                .or_else(|| take_plain_addr(r.trim_start_ws()))
            {
                r = rr;
            }
            let r = r.trim_start_ws();
            if let Some((name, off, size, rest)) = take_symbol_offset(r) {
                let mut f = FrameRef::new(name, ctx);
                f.offset = Some(off);
                f.size = size;
                if parse_frame_tail(&mut f, rest) {
                    return Some(TraceLineRef::Register(Some(f)));
                }
            }
            return Some(TraceLineRef::Register(None));
        }
    }
    const REG_PREFIXES: [&str; 24] = [
        "Code: ",
        "RSP: ",
        "RAX: ",
        "RBX: ",
        "RCX: ",
        "RDX: ",
        "RBP: ",
        "RSI: ",
        "RDI: ",
        "R08: ",
        "R09: ",
        "R10: ",
        "R11: ",
        "R12: ",
        "R13: ",
        "R14: ",
        "R15: ",
        "FS: ",
        "CS: ",
        "CR2: ",
        "DR0: ",
        "DR3: ",
        "DR6: ",
        "ORIG_RAX: ",
    ];
    if is_arm32_saved_registers(t)
        || (upper && REG_PREFIXES.iter().any(|p| t.starts_with(p)))
        || t.starts_with("sp : ")
        || t.starts_with("pstate: ")
        || (t.starts_with('x')
            && t.contains(": ")
            && t.get(1..3)
                .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit())))
        || t.starts_with("---- interrupt: ")
        || t.starts_with("--- interrupt: ")
        || t.starts_with("[exception RIP: ")
        || is_arm_exception_stack(t)
    {
        return Some(TraceLineRef::Register(None));
    }
    None
}

/// arm32's dump of the saved registers under an entry frame
/// (arch/arm/kernel/traps.c: dump_backtrace_entry() -> dump_mem()):
/// `Exception stack(0x83381bc0 to 0x83381c08)`, then lines of a 4-digit
/// offset and up to eight words, `1bc0: 00000001 ... 000002c5` (`????????`
/// for an unreadable word, blanks before the first). The frames after it
/// are the interrupted code's.
/// An arm32 unwinder's line of the registers a function saved on entry
/// (`r9:60000193 r8:ffffffff ...`, `fp:... ip:...`), printed under that
/// function's frame by dump_backtrace_stm() (arch/arm/kernel/traps.c): part
/// of the walk, never the saved state a trace ends on. (Its first register
/// name is 1-3 bytes: a `:` must come that early.)
pub fn is_arm32_saved_registers(t: &str) -> bool {
    t.as_bytes().get(1..4).is_some_and(|h| h.contains(&b':'))
        && t.split_whitespace().all(|tok| {
            tok.split_once(':').is_some_and(|(n, v)| {
                (1..=3).contains(&n.len())
                    && n.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && v.len() >= 8
                    && v.bytes().all(|c| c.is_ascii_hexdigit())
            })
        })
}

fn is_arm_exception_stack(t: &str) -> bool {
    if let Some(rest) = t.strip_prefix("Exception stack(0x") {
        return rest.ends_with(')') && rest.contains(" to 0x");
    }
    let Some((off, words)) = t.split_once(':') else {
        return false;
    };
    let mut n = 0;
    let words_ok = words.split_whitespace().all(|w| {
        n += 1;
        w.len() == 8 && (w.bytes().all(|c| c.is_ascii_hexdigit()) || w == "????????")
    });
    off.len() == 4 && off.bytes().all(|c| c.is_ascii_hexdigit()) && words_ok && (1..=8).contains(&n)
}

/// Classify one line seen inside a stack trace without allocating. `ctx`
/// is the running stack context and is updated by markers.
pub fn classify_trace_line<'a>(text: &'a str, ctx: &mut FrameContext) -> TraceLineRef<'a> {
    // faddr2line's `(inlined by) caller at file.c:12` under a frame: where
    // the frame was inlined, not a frame of its own.
    if text.trim_start_ws().starts_with("(inlined by) ") {
        return TraceLineRef::Marker;
    }
    let (t, marker) = take_markers(text, ctx);
    if t.is_empty() {
        return if marker {
            TraceLineRef::Marker
        } else {
            TraceLineRef::Other
        };
    }
    if let Some(r) = register_line(t, *ctx) {
        return r;
    }
    match parse_frame_ref(t, *ctx) {
        Some(f) => TraceLineRef::Frame(f),
        None if marker => TraceLineRef::Marker,
        None => TraceLineRef::Other,
    }
}

/// [`classify_trace_line`] with an owned frame, for input line `no`.
pub fn parse_trace_line(text: &str, no: u64, ctx: &mut FrameContext) -> TraceLine {
    classify_trace_line(text, ctx).to_owned(no)
}

/// Parse a single frame from `t` (leading whitespace allowed), printed as
/// input line `no`.
pub fn parse_frame(t: &str, ctx: FrameContext, no: u64) -> Option<Frame> {
    parse_frame_ref(t, ctx).map(|f| f.to_frame(no))
}

/// [`parse_frame`] without allocating.
pub fn parse_frame_ref(t: &str, ctx: FrameContext) -> Option<FrameRef<'_>> {
    let mut t = t.trim_start_ws();
    // crash `bt`: `#3 [ffff880002207ef0] notify_die at ffffffff810a155e`.
    if let Some(rest) = t.strip_prefix('#') {
        return parse_crash_frame(rest, ctx);
    }
    let mut address = None;
    let mut reliable = true;
    // s390 prints the frame it starts from in parentheses:
    // `([<000000000011a2b4>] show_trace+0x9c/0xb8)`.
    if let Some(inner) = t
        .strip_prefix("([<")
        .and_then(|_| t.strip_prefix('('))
        .and_then(|r| r.trim_end_ws().strip_suffix(')'))
    {
        t = inner;
    }
    // Trinity-era kernels with CONFIG_DEBUG_INFO printed the source
    // location inside the brackets: `[<kernel/locking/lockdep.c:1500>] f+...`.
    let mut bracket_loc: Option<(&str, u32)> = None;
    if let Some((loc, rest)) = take_angle_location(t) {
        bracket_loc = Some(loc);
        t = rest.trim_start_ws();
    }
    // 2.6-era x86_64: `<ffffffff8025ef65>{__schedule+155}`.
    if let Some(rest) = t.strip_prefix('<') {
        return parse_brace_frame(rest, ctx);
    }
    // Old x86 / arm64 / arm32: `[<addr>]`, possibly twice (old RIP lines).
    if let Some((a, rest)) = take_angle_addr(t) {
        address = a;
        t = rest.trim_start_ws();
        if let Some((_, rest)) = take_angle_addr(t) {
            t = rest.trim_start_ws();
        }
        // A frame the kernel printed with no symbol at all: the address
        // alone (`[<00000035a1c40247>]`, a user-space return address).
        if t.is_empty() && a.is_some() && bracket_loc.is_none() {
            let mut f = FrameRef::new("", ctx);
            f.address = address;
            return Some(f);
        }
        // arm32: `(func+0x1/0x2) from [<...>] (caller+...)`.
        if let Some(rest) = t.strip_prefix('(') {
            return parse_arm32_frame(rest, address, ctx);
        }
    } else if let Some((_, rest)) = take_plain_addr(t) {
        // powerpc: `[sp] [ret] func+...`.
        t = rest.trim_start_ws();
        if let Some((a, rest)) = take_plain_addr(t) {
            address = Some(a);
            t = rest.trim_start_ws();
        }
    }
    if let Some(rest) = t.strip_prefix("? ") {
        reliable = false;
        t = rest.trim_start_ws();
    }
    parse_symbol_frame(t, address, reliable, bracket_loc, ctx)
}

/// 2.6-era x86_64's `<ffffffff8025ef65>{__schedule+155}` (decimal
/// offset), `rest` following the `<`.
fn parse_brace_frame(rest: &str, ctx: FrameContext) -> Option<FrameRef<'_>> {
    let close = rest.find(">{")?;
    let addr = parse_hex(&rest[..close])?;
    let body = rest[close + 2..].strip_suffix('}')?;
    let (name, off) = body.split_once('+')?;
    if name.is_empty() || !name.bytes().all(is_sym_char) {
        return None;
    }
    let mut f = FrameRef::new(name, ctx);
    f.offset = off.parse().ok();
    f.address = Some(addr);
    Some(f)
}

/// arm32's `(func+0x1/0x2) from [<...>] (caller+...)` after the frame's
/// `[<address>]`, `rest` following the `(`; the first parenthesis often
/// has no offset (`(dump_backtrace) from ...`).
fn parse_arm32_frame(rest: &str, address: Option<u64>, ctx: FrameContext) -> Option<FrameRef<'_>> {
    let close = rest.find(')')?;
    let mut inner = &rest[..close];
    // `%ps` of a module function names its module: `(func [mod])`.
    let mut module = None;
    if let Some((name, m)) = inner.split_once(" [") {
        if let Some(m) = m.strip_suffix(']').filter(|m| {
            !m.is_empty()
                && m.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        }) {
            inner = name;
            module = Some(m);
        }
    }
    let mut f = match take_symbol_offset(inner) {
        Some((name, off, size, "")) => {
            let mut f = FrameRef::new(name, ctx);
            f.offset = Some(off);
            f.size = size;
            f
        }
        _ if !inner.is_empty() && inner.bytes().all(is_sym_char) => FrameRef::new(inner, ctx),
        _ => return None,
    };
    if !rest[close + 1..].trim_start_ws().starts_with("from ") {
        return None;
    }
    f.address = address;
    f.module = module;
    Some(f)
}

/// The symbol forms after any address and `? `: `func+0x1/0x2 ...`, a
/// symbolized inline frame, arm32's ` func from caller+...`, a bare
/// unsymbolized address.
fn parse_symbol_frame<'a>(
    t: &'a str,
    address: Option<u64>,
    reliable: bool,
    bracket_loc: Option<(&'a str, u32)>,
    ctx: FrameContext,
) -> Option<FrameRef<'a>> {
    if let Some((name, off, size, rest)) = take_symbol_offset(t) {
        size?;
        let mut f = FrameRef::new(name, ctx);
        f.offset = Some(off);
        f.size = size;
        f.address = address;
        f.reliable = reliable;
        if !parse_frame_tail(&mut f, rest) {
            return None;
        }
        if !reliable {
            f.reliable = false;
        }
        if let (Some((file, line)), None) = (bracket_loc, f.file) {
            f.file = Some(file);
            f.line = Some(line);
        }
        return Some(f);
    }
    // Symbolized inline frame: `func path/file.h:45 [inline]`, or a
    // decode_stacktrace line without offset: `func (file.c:12)`.
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() && is_sym_char(b[i]) {
        i += 1;
    }
    if i > 0 && i < b.len() && b[i] == b' ' {
        let name = &t[..i];
        let mut f = FrameRef::new(name, ctx);
        f.address = address;
        f.reliable = reliable;
        if parse_frame_tail(&mut f, &t[i..]) && f.file.is_some() {
            if !reliable {
                f.reliable = false;
            }
            return Some(f);
        }
    }
    // arm32 5.17+ without CONFIG_BACKTRACE_VERBOSE: ` func from caller+0x1/0x2`.
    // The name is all symbol bytes, so ` from ` can only follow it at `i`.
    if let Some(rest) = t[i..].strip_prefix(" from ").filter(|_| i > 0) {
        let name = &t[..i];
        if take_symbol_offset(rest.trim_ws())
            .is_some_and(|(_, _, size, tail)| size.is_some() && tail.trim_ws().is_empty())
        {
            let mut f = FrameRef::new(name, ctx);
            f.reliable = reliable;
            return Some(f);
        }
    }
    // An address the kernel could not symbolize: `0xffffffffc0123456`;
    // after a printed `[<address>]` any length (`[<00000000>] 0x0`).
    if let Some(hex) = t.strip_prefix("0x") {
        let digits = if address.is_some() { 1..=16 } else { 8..=16 };
        if digits.contains(&hex.len()) && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            let mut f = FrameRef::new(t, ctx);
            f.address = parse_hex(hex);
            f.reliable = reliable;
            return Some(f);
        }
    }
    None
}

/// `text.rsplit_once(" from ")`, found by the `f` of the last ` from `
/// (cheaper on every frame line than a substring searcher built per call).
pub fn rsplit_from(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    memchr::memrchr_iter(b'f', b)
        .find(|&i| i > 0 && b[i - 1] == b' ' && b[i..].starts_with(b"from "))
        .map(|i| (&text[..i - 1], &text[i + 5..]))
}

/// The caller an arm32 frame line names after ` from `
/// (`[<c0100>] (sys_write) from [<c0200>] (ret_fast_syscall+0x0/0x1c)`,
/// `sys_write from ret_fast_syscall+0x0/0x1c`).
pub fn arm32_caller(text: &str) -> Option<&str> {
    let (_, after) = rsplit_from(text)?;
    let mut t = after.trim_start_ws();
    if let Some(r) = t.strip_prefix("[<") {
        t = r.split_once(">]")?.1.trim_start_ws();
    }
    let t = t.strip_prefix('(').unwrap_or(t);
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(t.len());
    (end > 0).then(|| &t[..end])
}

fn parse_crash_frame(rest: &str, ctx: FrameContext) -> Option<FrameRef<'_>> {
    let digits = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let r = rest[digits..].trim_start_ws();
    let (_, r) = take_plain_addr(r).or_else(|| {
        // 32-bit crash stacks: `[f2815db4]` has 8 digits, handled above;
        // accept shorter for robustness.
        let inner = r.strip_prefix('[')?;
        let close = inner.find(']')?;
        inner[..close]
            .bytes()
            .all(|c| c.is_ascii_hexdigit())
            .then(|| (0, &inner[close + 1..]))
    })?;
    let r = r.trim_start_ws();
    let at = r.find(" at ")?;
    let sym = &r[..at];
    let after = r[at + 4..].trim_ws();
    let addr_tok = after.split_whitespace().next()?;
    let address = parse_hex(addr_tok)?;
    let (name, offset) = match take_symbol_offset(sym) {
        Some((name, off, _, "")) => (name, Some(off)),
        _ => {
            if sym.is_empty() || !sym.bytes().all(is_sym_char) {
                return None;
            }
            (sym, None)
        }
    };
    let mut f = FrameRef::new(name, ctx);
    f.offset = offset;
    f.address = Some(address);
    // `(via foo)` annotations and module `[mod]` after the address.
    let tail = &after[addr_tok.len()..];
    if let Some(open) = tail.find('[') {
        if let Some(close) = tail[open..].find(']') {
            f.module = Some(&tail[open + 1..open + close]);
        }
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsplit_from_is_rsplit_once() {
        for t in [
            "[<c0100>] (sys_write) from [<c0200>] (ret_fast_syscall+0x0/0x1c)",
            " from ",
            "from x",
            "a from from b",
            "a fromfrom b from",
            "f from  f",
            "no caller here",
            "",
        ] {
            assert_eq!(rsplit_from(t), t.rsplit_once(" from "), "{t:?}");
        }
    }

    fn one(line: &str) -> Frame {
        let mut ctx = FrameContext::Task;
        match parse_trace_line(line, 7, &mut ctx) {
            TraceLine::Frame(f) => f,
            other => panic!("{line:?} -> {other:?}"),
        }
    }

    #[test]
    fn frames_issue_13_lost() {
        // No symbol at all, or an unsymbolized address of any length.
        let f = one("  [<00000035a1c40247>]");
        assert_eq!(
            (f.function.as_str(), f.address),
            ("0x35a1c40247", Some(0x35a1c40247))
        );
        assert_eq!(one(" [<00000000>] 0x0").function, "0x0");
        assert_eq!(
            one(" [<000003fff7750992>] 0x3fff7750992").address,
            Some(0x3fff7750992)
        );
        // s390's parenthesised first frame.
        let f = one("([<0000000000a4c686>] show_trace+0xa7/0x1d1d)");
        assert_eq!((f.function.as_str(), f.offset), ("show_trace", Some(0xa7)));
        // Trinity-era locations inside the brackets.
        let f = one(" [<mm/frob.c:168 mm/frob.c:2333>] frob_walk_range+0x309/0x385");
        assert_eq!(
            (f.file.as_deref(), f.line, f.address),
            (Some("mm/frob.c"), Some(168), None)
        );
        // decode_stacktrace.sh with discriminators, no offset.
        let f = one("frob_start_scan (include/linux/list.h:278 (discriminator 31) fs/frob.c:447 (discriminator 31)) ");
        assert_eq!(
            (f.function.as_str(), f.file.as_deref()),
            ("frob_start_scan", Some("include/linux/list.h"))
        );
        // ppc64 ELFv1: the source function has no dot.
        let f = one("[c0000000f1a4fa90] [c000000000a1b2f0] .qux_sock_release+0x70/0x160");
        assert_eq!(
            (f.function.as_str(), f.base.as_str()),
            (".qux_sock_release", "qux_sock_release")
        );
        // arm32 `%ps` of a module function.
        let f = one("[<bf0120a8>] (qux_queue_event [qux]) from [<bf012330>] (qux_irq_thread+0x40/0x64 [qux])");
        assert_eq!(
            (f.function.as_str(), f.module.as_deref()),
            ("qux_queue_event", Some("qux"))
        );
        // faddr2line's `(inlined by)` lines sit in a trace as markers.
        let mut ctx = FrameContext::Task;
        assert_eq!(
            classify_trace_line(
                " (inlined by) qux_apply_cfg at drivers/qux/main.c:951",
                &mut ctx
            ),
            TraceLineRef::Marker
        );
        assert_eq!(
            arm32_caller("sys_write from ret_fast_syscall+0x0/0x1c"),
            Some("ret_fast_syscall")
        );
    }

    #[test]
    fn base_names() {
        assert_eq!(
            base_name("fs_reclaim_acquire.part.102"),
            "fs_reclaim_acquire"
        );
        assert_eq!(base_name("__kmalloc_reserve.isra.40"), "__kmalloc_reserve");
        assert_eq!(
            base_name("shrink_node_memcg.constprop.88"),
            "shrink_node_memcg"
        );
        assert_eq!(base_name("foo.isra.56.cold.74"), "foo");
        assert_eq!(base_name("__handle_sysrq.cold"), "__handle_sysrq");
        assert_eq!(
            base_name("ext4_da_writepages.clone.2"),
            "ext4_da_writepages"
        );
        assert_eq!(
            base_name("el0_svc_common.llvm.17258447499513131576"),
            "el0_svc_common"
        );
        assert_eq!(base_name("plain"), "plain");
        assert_eq!(base_name("a.b"), "a.b");
    }

    #[test]
    fn modern_x86() {
        let f = one(" kmem_cache_alloc+0x3d/0x2c0");
        assert_eq!(f.function, "kmem_cache_alloc");
        assert_eq!((f.offset, f.size), (Some(0x3d), Some(0x2c0)));
        assert!(f.reliable);
        assert_eq!(f.source_line, 7);
        let f = one(" ? __lock_acquire+0x1/0x2");
        assert!(!f.reliable);
        let f = one(" btrfs_releasepage+0x161/0x170 [btrfs]");
        assert_eq!(f.module.as_deref(), Some("btrfs"));
        let f = one(" xfs_ilock+0x1/0x2 [xfs 0123456789abcdef0123456789abcdef01234567]");
        assert_eq!(f.module.as_deref(), Some("xfs"));
    }

    #[test]
    fn old_x86_with_addresses_and_inline_markers() {
        let f = one(" [<ffffffff81234567>] func+0x1/0x2");
        assert_eq!(f.address, Some(0xffffffff81234567));
        let f = one(" [<ffffffff81234567>] ? func+0x1/0x2");
        assert!(!f.reliable);
        let mut ctx = FrameContext::Task;
        let TraceLine::Frame(f) =
            parse_trace_line(" <IRQ>  [<ffffffff81>] irqf+0x1/0x2", 1, &mut ctx)
        else {
            panic!()
        };
        assert_eq!(f.context, FrameContext::Irq);
        let TraceLine::Frame(f) = parse_trace_line(" <EOI>  [<ffffffff81>] t+0x1/0x2", 2, &mut ctx)
        else {
            panic!()
        };
        assert_eq!(f.context, FrameContext::Task);
    }

    #[test]
    fn markers_set_context() {
        let mut ctx = FrameContext::Task;
        assert_eq!(parse_trace_line(" <IRQ>", 1, &mut ctx), TraceLine::Marker);
        assert_eq!(ctx, FrameContext::Irq);
        let TraceLine::Frame(f) = parse_trace_line(" handle+0x1/0x2", 2, &mut ctx) else {
            panic!()
        };
        assert_eq!(f.context, FrameContext::Irq);
        parse_trace_line(" </IRQ>", 3, &mut ctx);
        assert_eq!(ctx, FrameContext::Task);
        parse_trace_line(" <NMI>", 3, &mut ctx);
        assert_eq!(ctx, FrameContext::Nmi);
        parse_trace_line(" <SOFTIRQ>", 3, &mut ctx);
        assert_eq!(ctx, FrameContext::Softirq);
        parse_trace_line(" <TASK>", 3, &mut ctx);
        assert_eq!(ctx, FrameContext::Task);
        parse_trace_line(" <#DF>", 3, &mut ctx);
        assert_eq!(ctx, FrameContext::Exception);
    }

    #[test]
    fn arm64_and_powerpc_and_arm32() {
        let f = one(" el0_svc_common.constprop.0+0x7c/0x1d0 (C)");
        assert_eq!(f.base, "el0_svc_common");
        let f = one("[c00000000a2bfb70] [c000000000ab1234] dump_stack+0xb0/0xf0 (unreliable)");
        assert_eq!(f.function, "dump_stack");
        assert!(!f.reliable);
        assert_eq!(f.address, Some(0xc000000000ab1234));
        let f = one(
            "[<c0123456>] (unwind_backtrace+0x0/0xf0) from [<c0654321>] (show_stack+0x10/0x14)",
        );
        assert_eq!(f.function, "unwind_backtrace");
        let f = one(" unwind_backtrace from show_stack+0x10/0x14");
        assert_eq!((f.function.as_str(), f.offset), ("unwind_backtrace", None));
        let mut c = FrameContext::Task;
        assert_eq!(parse_trace_line("xa\u{e9}: 1", 1, &mut c), TraceLine::Other);
        let f = one("[<80de0078>] (dump_backtrace) from [<80de0574>] (show_stack+0x28/0x2c)");
        assert_eq!((f.function.as_str(), f.offset), ("dump_backtrace", None));
        let mut ctx = FrameContext::Task;
        assert_eq!(
            parse_trace_line(" r9:60000193 r8:ffffffff r7:00000000", 1, &mut ctx),
            TraceLine::Register(None)
        );
    }

    #[test]
    fn symbolized_frames() {
        // syzbot's `:-1`: addr2line gave the file and no line.
        let f = one(" blk_mq_dispatch_list+0xd16/0xe10 include/linux/spinlock.h:-1");
        assert_eq!(f.function.as_str(), "blk_mq_dispatch_list");
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("include/linux/spinlock.h"), None)
        );
        let f = one(" call_driver_probe drivers/base/dd.c:-1 [inline]");
        assert_eq!(
            (f.file.as_deref(), f.line, f.inline),
            (Some("drivers/base/dd.c"), None, true)
        );
        let f = one(" slab_pre_alloc_hook mm/slab.h:420 [inline]");
        assert!(f.inline);
        assert_eq!(f.file.as_deref(), Some("mm/slab.h"));
        assert_eq!(f.line, Some(420));
        assert_eq!(f.offset, None);
        let f = one(" kmem_cache_alloc+0x3d/0x2c0 mm/slub.c:2720");
        assert_eq!(f.file.as_deref(), Some("mm/slub.c"));
        assert!(!f.inline);
        let f = one(" kmem_cache_alloc+0x3d/0x2c0 (mm/slub.c:2720 mm/slab.h:420)");
        assert_eq!(f.file.as_deref(), Some("mm/slub.c"));
    }

    #[test]
    fn ancient_x86_64_frames() {
        let f = one("       <ffffffff8025ef65>{__schedule+155}");
        assert_eq!((f.function.as_str(), f.offset), ("__schedule", Some(155)));
        assert_eq!(f.address, Some(0xffffffff8025ef65));
    }

    #[test]
    fn crash_bt_lines() {
        let f = one(" #3 [ffff880002207ef0] notify_die at ffffffff810a155e");
        assert_eq!(f.function, "notify_die");
        assert_eq!(f.address, Some(0xffffffff810a155e));
        let f = one(" #0 [f2815db4] schedule at c011af85");
        assert_eq!(f.function, "schedule");
        let f = one(" #1 [ffff88] machine_kexec+0x167 at ffffffff810327b7");
        assert_eq!(
            (f.function.as_str(), f.offset),
            ("machine_kexec", Some(0x167))
        );
    }

    #[test]
    fn arm32_exception_stack_lines_belong_to_the_trace() {
        let mut ctx = FrameContext::Task;
        for line in [
            "Exception stack(0x83381bc0 to 0x83381c08)",
            "1bc0: 00000001 00000001 83369b00 00000000 826e3020 0162f70c 8129e7ac 000002c5",
            "1c00: 800f0013 ffffffff",
            "1fa0:                   0005fb88 76f63840 ffffff9c 7eaf6138 000a0000 00000000",
            "1fe0: ???????? 7eaf6080",
        ] {
            assert!(
                matches!(
                    parse_trace_line(line, 1, &mut ctx),
                    TraceLine::Register(None)
                ),
                "{line}"
            );
        }
        for line in [
            "Exception stack(0x83381bc0",
            "1bc0:",
            "1bc0: 0000001",
            "ffff8880a7f25a00: fb fb fb fb",
            "12345: 00000001",
            "1bc0: 00000001 00000001 00000001 00000001 00000001 00000001 00000001 00000001 00000001",
        ] {
            assert!(
                !matches!(parse_trace_line(line, 1, &mut ctx), TraceLine::Register(_)),
                "{line}"
            );
        }
    }

    #[test]
    fn register_lines() {
        let mut ctx = FrameContext::Task;
        let TraceLine::Register(Some(f)) =
            parse_trace_line("RIP: 0010:__lock_acquire+0x1/0x2", 1, &mut ctx)
        else {
            panic!()
        };
        assert_eq!(f.function, "__lock_acquire");
        assert!(matches!(
            parse_trace_line("RIP: 0033:0x7f1234", 1, &mut ctx),
            TraceLine::Register(None)
        ));
        assert!(matches!(
            parse_trace_line("RSP: 002b:00007ffc EFLAGS: 00000246", 1, &mut ctx),
            TraceLine::Register(None)
        ));
        let TraceLine::Register(Some(f)) =
            parse_trace_line("pc : lock_acquire+0x1/0x2", 1, &mut ctx)
        else {
            panic!()
        };
        assert_eq!(f.function, "lock_acquire");
    }

    #[test]
    fn non_frames() {
        let mut ctx = FrameContext::Task;
        for l in [
            "CPU: 3 PID: 24800 Comm: sshd Not tainted 4.15.0-rc9 #1",
            "Hardware name: QEMU Standard PC",
            "stack backtrace:",
            "other info that might help us debug this:",
            " #0: ffff (&x){+.+.}-{3:3}, at: f+0x1/0x2",
            "",
            "Modules linked in: btrfs",
        ] {
            assert_eq!(parse_trace_line(l, 1, &mut ctx), TraceLine::Other, "{l}");
        }
    }
}
