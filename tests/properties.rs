//! Property tests for hostile input (issue 6), bounded for CI: the case
//! counts below keep the whole file well under a minute in a debug build.
//! `PROPTEST_CASES=N` overrides every count for a longer local run.
//!
//! * no input panics any stage (random bytes, mutated fixture reports,
//!   random GFP expressions and frame lines);
//! * nothing lost: N reports mixed with noise and cut at any byte give N
//!   reports (N counts the banners whose line survived the cut), each cut
//!   short marked incomplete;
//! * prefix independence: the same splat under every printk, syslog, kmsg,
//!   dmesg and mail-quote prefix style decodes to the same report apart from
//!   line numbers and set-aside lines;
//! * interleaving: another task's lines (another caller id) inserted
//!   anywhere do not change a report.
//!
//! The reports used are every report of fixtures/formats/plain.txt,
//! fixtures/real/*.txt, fixtures/rules/*.txt and fixtures/walk/*.txt, each
//! cut out of its file by the line span the decoder gives it.

mod common;

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use common::{run_all, run_frames, run_gfp};

/// One report cut out of a fixture: its lines, decoded alone.
#[derive(Debug)]
struct Block {
    name: String,
    /// The report's raw lines, each ending in `\n`.
    raw: Vec<u8>,
    /// The report's lines with every logging prefix stripped.
    texts: Vec<String>,
    kind: String,
    complete: bool,
    /// 0-based index (within the block) of the last line of the final
    /// backtrace with a reliable frame (else of any lock or frame): a cut
    /// before its end loses data the report needs.
    last_data_line: usize,
    /// Normalised JSON of the report decoded alone from `texts`.
    plain: Value,
    /// Lines the decoder rejoined in `texts` (wrapped in the fixture).
    joins: usize,
}

fn fixture_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = vec![root.join("formats/plain.txt")];
    for dir in ["real", "rules", "walk", "dept", "shapes"] {
        let mut v: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        v.sort();
        files.extend(v);
    }
    files
}

/// The last input line a lock or reliable frame of the report came from
/// (unreliable `?` frames after the root frame are noise).
fn max_source_line(v: &Value) -> u64 {
    match v {
        Value::Object(m) if m.get("reliable") == Some(&Value::Bool(false)) => 0,
        Value::Object(m) => m
            .iter()
            .map(|(k, c)| {
                if k == "source_line" {
                    c.as_u64().unwrap_or(0)
                } else {
                    max_source_line(c)
                }
            })
            .max()
            .unwrap_or(0),
        Value::Array(a) => a.iter().map(max_source_line).max().unwrap_or(0),
        _ => 0,
    }
}

/// Drop what legitimately differs between two renderings of one report:
/// line numbers, the source name, lines set aside, and the line numbers
/// problems mention.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in [
                "line",
                "end_line",
                "source_line",
                "source",
                "interleaved",
                "joined",
            ] {
                map.remove(key);
            }
            for (k, child) in map.iter_mut() {
                if k == "problems" || k == "evidence" {
                    if let Value::Array(items) = child {
                        for s in items.iter_mut() {
                            if let Value::String(t) = s {
                                *t = without_numbers(t);
                            }
                        }
                    }
                }
                normalise(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// `text` with every run of digits replaced by `#`.
fn without_numbers(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// The paths where two JSON values differ, for failure messages.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let null = Value::Null;
                diff(
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} != {b}")),
        _ => {}
    }
}

fn differences(a: &Value, b: &Value) -> String {
    let mut out = Vec::new();
    diff(a, b, "", &mut out);
    out.join("\n")
}

fn json_of(a: &splatdec::Analysis) -> Value {
    let mut v = serde_json::to_value(a).unwrap();
    normalise(&mut v);
    v
}

fn decode_plain(texts: &[String]) -> Vec<splatdec::Analysis> {
    let mut s = String::new();
    for t in texts {
        s.push_str(t);
        s.push('\n');
    }
    run_all(s.as_bytes())
}

fn blocks() -> &'static [Block] {
    static BLOCKS: OnceLock<Vec<Block>> = OnceLock::new();
    BLOCKS.get_or_init(|| {
        let mut out = Vec::new();
        for path in fixture_files() {
            let data = fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
            for r in splatdec::decode_all(&data[..], &name).unwrap() {
                let (first, last) = (r.line as usize - 1, r.end_line as usize);
                let mut raw: Vec<u8> = lines[first..last].concat();
                if raw.last() != Some(&b'\n') {
                    raw.push(b'\n');
                }
                let alone = run_all(&raw);
                assert_eq!(alone.len(), 1, "{name}:{}: a report's own lines", r.line);
                let a = &alone[0];
                let v = serde_json::to_value(a).unwrap();
                // What follows the final backtrace (a hung task's lock
                // dump, an oops's registers after `---[ end trace`) is
                // optional output: the backtrace is the last data a report
                // needs; kinds without one need their locks.
                let last = if a.report.backtrace.is_empty() {
                    max_source_line(&v)
                } else {
                    max_source_line(&v["backtrace"])
                };
                let last_data_line = (last.max(a.report.line) - a.report.line) as usize;
                let texts: Vec<String> = splatdec::input::read_lines(&raw[..])
                    .unwrap()
                    .iter()
                    .filter(|l| !l.prefix.kmsg_dict)
                    .map(|l| l.text.to_string())
                    .collect();
                let plain = decode_plain(&texts);
                assert_eq!(plain.len(), 1, "{name}:{}: stripped lines", r.line);
                out.push(Block {
                    name: format!("{name}:{}", r.line),
                    raw,
                    texts,
                    kind: a.report.kind.as_str().to_string(),
                    complete: a.report.complete,
                    last_data_line,
                    plain: json_of(&plain[0]),
                    joins: plain[0].report.joined.len(),
                });
            }
        }
        assert!(
            out.len() >= 50,
            "only {} reports in the fixtures",
            out.len()
        );
        out
    })
}

/// Lines no lockdep report contains, as other subsystems print them.
const NOISE: &[&str] = &[
    "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    "audit: type=1400 audit(1700000000.123:42): apparmor=\"DENIED\" operation=\"open\"",
    "EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
    "random: crng init done",
    "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex",
    "[   12.345678] systemd[1]: Started Journal Service.",
    "Nov 21 10:00:00 host sshd[812]: Accepted publickey for root",
    "",
];

/// What another task prints while a report is open: anything, including
/// text shaped like report lines (but no banner).
const FOREIGN: &[&str] = &[
    "audit: type=1400 audit(1700000000.123:42): apparmor=\"DENIED\"",
    "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    "",
    " ? some_function+0x12/0x34",
    " other_function+0x1/0x2 [some_module]",
    "Call Trace:",
    "stack backtrace:",
    " #0: ffff888012345678 (&foreign->lock){+.+.}-{3:3}, at: foreign_fn+0x1/0x2",
    "2 locks held by foreign/77:",
    "-> #1 (&foreign->lock){+.+.}-{3:3}:",
    "CPU: 1 PID: 77 Comm: foreign Not tainted 6.1.0 #1",
    " </TASK>",
    "=============================",
];

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(n),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn fixture_reports_stand_alone() {
    // The blocks the properties build logs from: every report of the
    // fixtures decodes alone, from its raw lines and from its bare text.
    let b = blocks();
    assert!(b.iter().any(|b| b.complete));
    assert!(b.iter().any(|b| !b.complete));
}

// ---------------------------------------------------------------------
// No input panics any stage.

/// A fixture line, damaged.
fn mutate(line: &[u8], op: u8, at: usize, byte: u8) -> Vec<u8> {
    let at = if line.is_empty() { 0 } else { at % line.len() };
    let mut l = line.to_vec();
    match op % 8 {
        0 => l.truncate(at),
        1 => l.insert(at, byte),
        2 => l.insert(
            at,
            [0u8, 0x1b, 0x7f, 0x9b, 0xff, 0xc3, b'\r', b'\t'][byte as usize % 8],
        ),
        3 => {
            if !l.is_empty() {
                l[at] = byte;
            }
        }
        4 => l.splice(at..at, "\u{202e}".bytes()).for_each(drop),
        5 => l.splice(at..at, "> > ".bytes()).for_each(drop),
        6 => l
            .splice(at..at, "(".repeat(byte as usize).bytes())
            .for_each(drop),
        _ => l.extend_from_slice(&l.clone()),
    }
    l
}

proptest! {
    #![proptest_config(cases(192))]

    #[test]
    fn random_bytes_panic_nothing(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        run_all(&data);
        run_gfp(&data);
    }

    #[test]
    fn random_text_of_report_alphabet_panics_nothing(
        s in "[ -~\n\t\u{1b}\u{202e}é\u{0}]{0,400}"
    ) {
        run_all(s.as_bytes());
    }
}

proptest! {
    #![proptest_config(cases(96))]

    /// Whole fixture reports with lines deleted, duplicated, reordered,
    /// cut, and sprinkled with controls, NULs, bad UTF-8 and quoting.
    #[test]
    fn damaged_fixture_reports_panic_nothing(
        block in any::<Index>(),
        edits in prop::collection::vec(
            (any::<Index>(), 0u8..12, any::<usize>(), any::<u8>()), 1..12),
    ) {
        let b = &blocks()[block.index(blocks().len())];
        let mut lines: Vec<Vec<u8>> =
            b.raw.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
        for (i, op, at, byte) in edits {
            let n = lines.len();
            let i = i.index(n);
            match op {
                8 => { lines.remove(i); if lines.is_empty() { lines.push(Vec::new()); } }
                9 => { let l = lines[i].clone(); lines.insert(i, l); }
                10 => { let j = at % n; lines.swap(i, j); }
                11 => { let l = blocks()[at % blocks().len()].texts[0].clone(); lines.insert(i, l.into_bytes()); }
                _ => lines[i] = mutate(&lines[i], op, at, byte),
            }
        }
        let data = lines.join(&b'\n');
        run_all(&data);
    }

    #[test]
    fn frame_shaped_lines_panic_nothing(
        s in "( ?\\??(\\[<[0-9a-f]{0,16}>\\] ?)?\\(?[a-z_.]{0,12}(\\+0x[0-9a-f]{0,4}(/0x[0-9a-f]{0,4})?)?\\)?( \\[[a-z_ ]{0,8}\\]?)?( [a-z/]{0,6}\\.[ch]:[0-9]{0,3})?( from )?(<IRQ>|</IRQ>|<TASK>)?\n){1,8}"
    ) {
        run_frames(s.as_bytes());
        run_all(s.as_bytes());
    }

    #[test]
    fn gfp_expressions_panic_nothing(
        sel in any::<u8>(),
        s in "(~|\\(|\\)|\\||&| |GFP_KERNEL|__GFP_FS|___GFP_IO|gfp_nofs|0x[0-9a-fA-F]{0,10}|[0-9]{0,11}|mode:|gfp_mask=|__GFP_BOGUS){0,16}"
    ) {
        let mut data = vec![sel];
        data.extend_from_slice(s.as_bytes());
        run_gfp(&data);
    }
}

// ---------------------------------------------------------------------
// Nothing lost.

/// Frames that end the stack on some architectures and kernels and have
/// an entry-code caller below them on others (`ret_from_fork` is last
/// before 6.7, above `ret_from_fork_asm` since): input that ends right
/// after one of them may be whole, and the decoder cannot tell.
/// (Older kernels' entry labels end a stack too: i386 printed at most a
/// user-space address after `sysenter_past_esp`, which tells nothing.)
const MAY_END_A_STACK: &[&str] = &[
    "start_secondary+",
    "start_kernel+",
    "ret_from_fork+",
    "sysenter_past_esp+",
    "sysenter_do_call+",
    "syscall_call+",
    "system_call_fastpath+",
    "sysc_noemu+",
    "ret_from_exception+",
];

/// Input that ends where a stack may end: after one of those frames, or
/// after a blank line (which ends a trace: a paste that ends in a blank
/// line is whole as far as anyone can tell).
fn ends_on_possible_stack_end(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    if text.ends_with('\n') {
        let mut lines = text.lines().rev();
        let last = lines.next().unwrap_or("");
        let without_prefix = splatdec::input::prefix::strip(last, false).1;
        if without_prefix.trim().is_empty() {
            return true;
        }
    }
    // The last whole line with a reliable frame (`?` frames are noise; a
    // line the cut left unfinished says nothing).
    let (whole, unfinished) = match text.rfind('\n') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => ("", &text[..]),
    };
    // A cut inside the size digits (`ret_from_fork+0x34/0x5` of `/0x50`)
    // leaves a line that reads as that whole frame: the decoder cannot
    // tell it from a log that lacks its final newline.
    let t = splatdec::input::prefix::strip(unfinished, false).1.trim();
    let reads_whole = |f: &str| {
        t.strip_prefix(f)
            .and_then(|r| r.strip_prefix("0x"))
            .and_then(|r| r.split_once("/0x"))
            .is_some_and(|(off, size)| {
                !off.is_empty()
                    && !size.is_empty()
                    && off
                        .bytes()
                        .chain(size.bytes())
                        .all(|c| c.is_ascii_hexdigit())
            })
    };
    if MAY_END_A_STACK.iter().any(|f| reads_whole(f)) {
        return true;
    }
    whole
        .lines()
        .rev()
        .map(|l| splatdec::input::prefix::strip(l, false).1.trim())
        .find(|t| !t.is_empty() && !t.starts_with("? "))
        .is_some_and(|t| MAY_END_A_STACK.iter().any(|f| t.contains(f)))
}

struct Placed {
    block: usize,
    /// Byte offsets in the log: where the banner line starts and ends
    /// (before its `\n`), where the last data line starts, where the block
    /// ends.
    banner_start: usize,
    banner_end: usize,
    data_start: usize,
    end: usize,
}

fn build_log(picks: &[(Index, Vec<Index>)], lead: &[Index]) -> (Vec<u8>, Vec<Placed>) {
    let all = blocks();
    let mut log = Vec::new();
    let noise = |log: &mut Vec<u8>, idx: &[Index]| {
        for i in idx {
            log.extend_from_slice(NOISE[i.index(NOISE.len())].as_bytes());
            log.push(b'\n');
        }
    };
    noise(&mut log, lead);
    let mut placed = Vec::new();
    for (b, after) in picks {
        let block = b.index(all.len());
        let raw = &all[block].raw;
        let start = log.len();
        let banner_len = raw.iter().position(|&c| c == b'\n').unwrap();
        let data_off: usize = raw
            .split_inclusive(|&c| c == b'\n')
            .take(all[block].last_data_line)
            .map(<[u8]>::len)
            .sum();
        log.extend_from_slice(raw);
        placed.push(Placed {
            block,
            banner_start: start,
            banner_end: start + banner_len - usize::from(raw[..banner_len].ends_with(b"\r")),
            data_start: start + data_off,
            end: log.len(),
        });
        noise(&mut log, after);
    }
    (log, placed)
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn reports_mixed_with_noise_and_cut_anywhere_are_all_kept(
        picks in prop::collection::vec(
            (any::<Index>(), prop::collection::vec(any::<Index>(), 0..3)), 1..5),
        lead in prop::collection::vec(any::<Index>(), 0..3),
        cut in any::<Index>(),
    ) {
        let all = blocks();
        let (log, placed) = build_log(&picks, &lead);
        let cut = cut.index(log.len() + 1);
        let got = run_all(&log[..cut]);

        // N: banners whose whole line survived. A cut inside a banner line
        // leaves a fragment that may or may not still read as a banner.
        let n = placed.iter().filter(|p| p.banner_end <= cut).count();
        let partial = placed.iter().any(|p| p.banner_start < cut && cut < p.banner_end);
        prop_assert!(
            got.len() == n || (partial && got.len() == n + 1),
            "{} reports from {} banners (cut {} of {}): {:?}",
            got.len(), n, cut, log.len(),
            got.iter().map(|a| (a.report.kind.as_str(), a.report.line)).collect::<Vec<_>>()
        );
        for (p, a) in placed.iter().zip(&got).take(n) {
            let b = &all[p.block];
            prop_assert_eq!(a.report.kind.as_str(), b.kind.as_str(), "{}", b.name);
            if cut <= p.data_start && !ends_on_possible_stack_end(&log[p.banner_start..cut]) {
                // A line with a frame or lock of this report is gone.
                prop_assert!(!a.report.complete,
                    "{} cut at {} (data up to {}) but complete:\n{}",
                    b.name, cut, p.data_start,
                    String::from_utf8_lossy(&log[p.banner_start..cut]));
                prop_assert!(!a.report.problems.is_empty());
            }
            if cut >= p.end && b.complete {
                prop_assert!(a.report.complete, "{} whole but {:?}", b.name, a.report.problems);
            }
        }
    }
}

#[test]
fn every_report_cut_at_every_line_is_kept_and_flagged() {
    // Exhaustive over line boundaries, one report at a time.
    for b in blocks() {
        let ends: Vec<usize> = b
            .raw
            .iter()
            .enumerate()
            .filter(|(_, &c)| c == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        for (i, &cut) in ends.iter().enumerate() {
            let got = run_all(&b.raw[..cut]);
            assert_eq!(got.len(), 1, "{} cut after line {}", b.name, i + 1);
            if i < b.last_data_line && !ends_on_possible_stack_end(&b.raw[..cut]) {
                assert!(
                    !got[0].report.complete,
                    "{} cut after line {} is complete",
                    b.name,
                    i + 1
                );
            }
        }
    }
}

// ---------------------------------------------------------------------
// Prefix independence.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `text` as logging layer `style` writes it, as line `i` at `usec`.
fn prefixed(style: u8, i: usize, usec: u64, text: &str) -> String {
    let (s, us) = (usec / 1_000_000, usec % 1_000_000);
    let clock = format!("{:02}:{:02}:{:02}", (s / 3600) % 24, (s / 60) % 60, s % 60);
    match style {
        0 => text.to_string(),
        1 => format!("[{s:5}.{us:06}] {text}"),
        2 => format!("[{s:5}.{us:06}][ T4242] {text}"),
        3 => format!("<4>[{s:5}.{us:06}] {text}"),
        4 => format!("4,{},{usec},-;{text}", 1000 + i),
        5 => format!("6,{},{usec},-,caller=T4242;{text}", 1000 + i),
        6 => format!(
            "{} {:2} {clock} myhost kernel: {text}",
            MONTHS[(s % 12) as usize],
            1 + s % 28
        ),
        7 => format!(
            "{} {:2} {clock}.{us:06} myhost kernel: [{s:5}.{us:06}] {text}",
            MONTHS[(s % 12) as usize],
            1 + s % 28
        ),
        8 => format!("2026-11-21T{clock}.{us:06}+00:00 myhost kernel: {text}"),
        9 => format!("[Sat Nov 21 {clock} 2026] {text}"),
        10 => format!("kern  :warn  : [{s:5}.{us:06}] {text}"),
        11 => format!("[  +{s}.{us:06}] {text}"),
        12 => format!("[{s:5}.{us:06}] myhost kernel: {text}"),
        13 => format!("2026-11-21 {clock},{us:06} {text}"),
        _ => format!("<12>[{s:5}.{us:06}][    C1] {text}"),
    }
}

const QUOTES: [&str; 7] = ["", "> ", ">> ", "> > ", "> > > ", ": ", "| "];

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn every_prefix_style_decodes_the_same_report(
        block in any::<Index>(),
        style in 0u8..15,
        quote in 0usize..QUOTES.len(),
        crlf in any::<bool>(),
        start in 0u64..100_000_000_000,
        steps in prop::collection::vec(0u64..5_000_000, 1..8),
    ) {
        let b = &blocks()[block.index(blocks().len())];
        let mut log = String::new();
        let mut usec = start;
        for (i, t) in b.texts.iter().enumerate() {
            usec += steps[i % steps.len()];
            log.push_str(QUOTES[quote]);
            log.push_str(&prefixed(style, i, usec, t));
            log.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let got = run_all(log.as_bytes());
        prop_assert_eq!(got.len(), 1, "{} style {} quote {:?}", b.name, style, QUOTES[quote]);
        let v = json_of(&got[0]);
        prop_assert!(v == b.plain, "{} style {} quote {:?}: {}\n{}",
            b.name, style, QUOTES[quote], differences(&v, &b.plain), log);
    }
}

/// `texts` as a paste shape writes them (issue 13 item 1): CI's level,
/// space, time; ` | ` and mixed tab quoting; a bare `kernel: ` tag; HTML
/// escaping by a web archive; a Markdown fence or a 4-space code block of
/// a timed log;
/// quoted-printable escapes without soft breaks; console text glued before
/// the first line; an untimed log as a 4-space code block with the poster's
/// prose after it (no fence ends it).
fn pasted(shape: u8, texts: &[String], start: u64) -> String {
    let mut out = String::new();
    match shape {
        5 => out.push_str("Seen on today's build:\n\n```text\n"),
        6 | 11 => out.push_str("Seen on today's build:\n\n"),
        _ => {}
    }
    for (i, t) in texts.iter().enumerate() {
        let usec = start + 1000 * i as u64;
        let (s, us) = (usec / 1_000_000, usec % 1_000_000);
        let line = match shape {
            0 => format!("<4> [{s:5}.{us:06}] {t}"),
            1 => format!(" | {t}"),
            2 => format!("kernel: [{s:5}.{us:06}] {t}"),
            3 => format!(">\t> {t}"),
            4 => t
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
            5 => t.clone(),
            // An untimed log indented as a code block is not told from
            // kernel text's own indentation line by line; a timed one is.
            6 => format!("    [{s:5}.{us:06}] {t}"),
            // An untimed log as a code block: its common indentation is
            // the block's, not the kernel's.
            11 if t.is_empty() => String::new(),
            11 => format!("    {t}"),
            7 => {
                let q = t.replace('=', "=3D");
                match q.strip_suffix(' ') {
                    Some(body) => format!("{body}=20"),
                    None => q,
                }
            }
            // Thunderbird and Apple Mail: no-break spaces in the runs of
            // spaces of the time and the indentation (shape 10 writes them
            // as Latin-1 bytes).
            9 | 10 => nbsp_spaced(&format!("[{s:5}.{us:06}] {t}")),
            _ if i == 0 => format!("buildhost login: [{s:5}.{us:06}] {t}"),
            _ => format!("[{s:5}.{us:06}] {t}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if shape == 5 {
        out.push_str("```\n\nThanks\n");
    }
    // The poster's prose after the block, no fence to end it.
    if shape == 11 {
        out.push_str("\nThanks, that is all I see on this build.\nQux\n");
    }
    out
}

/// `line` as a mail client that keeps runs of spaces writes it: every
/// other space of a run (from its first) and the space after the printk
/// time become U+00A0.
fn nbsp_spaced(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 16);
    let mut run = 0;
    for (i, c) in line.char_indices() {
        if c != ' ' {
            run = 0;
            out.push(c);
            continue;
        }
        let next_space = b.get(i + 1) == Some(&b' ');
        let after_time = run == 0 && i > 0 && b[i - 1] == b']' && !next_space;
        out.push(if (run % 2 == 0 && (next_space || run > 0)) || after_time {
            '\u{a0}'
        } else {
            ' '
        });
        run += 1;
    }
    out
}

proptest! {
    #![proptest_config(cases(96))]

    /// The same report under each paste shape decodes to the same JSON
    /// apart from line numbers and joins.
    #[test]
    fn every_paste_shape_decodes_the_same_report(
        block in any::<Index>(),
        shape in 0u8..12,
        start in 0u64..100_000_000_000,
    ) {
        let b = &blocks()[block.index(blocks().len())];
        // Lines the shape cannot carry unchanged: a Markdown code block
        // or fence ends at a line of its own fence; text that already holds
        // an entity or a quoted-printable escape reads as one.
        const CARRIED_BADLY: &[&str] = &[
            "```", "&gt;", "&lt;", "&amp;", "&quot;", "&#", "&apos;", "&nbsp;", "=3D", "=20",
            "=09",
        ];
        let unsafe_text = b
            .texts
            .iter()
            .any(|t| CARRIED_BADLY.iter().any(|c| t.contains(c)));
        prop_assume!(!unsafe_text);
        // Prose right after a report the input cut short ends it there,
        // as the cut did not: only whole reports compare under shape 11.
        prop_assume!(shape != 11 || b.plain["complete"].as_bool() == Some(true));
        let log = pasted(shape, &b.texts, start);
        // Shape 10: the no-break spaces as Latin-1 bytes (the input is then
        // not UTF-8); only for reports whose text is ASCII.
        prop_assume!(shape != 10 || log.chars().all(|c| c.is_ascii() || c == '\u{a0}'));
        let bytes: Vec<u8> = if shape == 10 {
            log.chars().map(|c| if c == '\u{a0}' { 0xa0 } else { c as u8 }).collect()
        } else {
            log.clone().into_bytes()
        };
        let got = run_all(&bytes);
        prop_assert_eq!(got.len(), 1, "{} shape {}", b.name, shape);
        let mut v = json_of(&got[0]);
        // A report cut short inside a fence says the block ended, where
        // the same report at the end of a file says the input did.
        if shape == 5 {
            if let Some(Value::Array(ps)) = v.get_mut("problems") {
                for p in ps.iter_mut() {
                    if let Value::String(t) = p {
                        *t = t.replace("the pasted code block ended", "the input ended");
                    }
                }
            }
        }
        prop_assert!(v == b.plain, "{} shape {}: {}\n{}",
            b.name, shape, differences(&v, &b.plain), log);
    }
}

// ---------------------------------------------------------------------
// Interleaving.

fn caller_line(usec: u64, caller: &str, text: &str) -> String {
    format!(
        "[{:5}.{:06}][{caller}] {text}\n",
        usec / 1_000_000,
        usec % 1_000_000
    )
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn another_tasks_lines_do_not_change_a_report(
        block in any::<Index>(),
        inserts in prop::collection::vec((any::<Index>(), any::<Index>()), 0..24),
        foreign_caller in prop_oneof![Just("T99"), Just("C3"), Just("T4243")],
    ) {
        let b = &blocks()[block.index(blocks().len())];
        let own: Vec<String> = b
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| caller_line(1_000_000 + 10 * i as u64, " T4242", t))
            .collect();
        let alone = run_all(own.concat().as_bytes());
        prop_assert_eq!(alone.len(), 1);
        // Insert the foreign lines at chosen positions (before, inside or
        // after the report), with timestamps between their neighbours'.
        let mut at: Vec<(usize, &str)> = inserts
            .iter()
            .map(|(pos, what)| (pos.index(own.len() + 1), FOREIGN[what.index(FOREIGN.len())]))
            .collect();
        at.sort_by_key(|(p, _)| *p);
        let mut log = String::new();
        let mut k = 0;
        for (i, line) in own.iter().enumerate() {
            while k < at.len() && at[k].0 == i {
                log.push_str(&caller_line(1_000_000 + 10 * i as u64, foreign_caller, at[k].1));
                k += 1;
            }
            log.push_str(line);
        }
        for (_, text) in &at[k..] {
            log.push_str(&caller_line(1_000_000 + 10 * own.len() as u64, foreign_caller, text));
        }
        let got = run_all(log.as_bytes());
        prop_assert_eq!(got.len(), 1, "{}:\n{}", b.name, log);
        let (v, w) = (json_of(&got[0]), json_of(&alone[0]));
        prop_assert!(v == w, "{}: {}\n{}", b.name, differences(&v, &w), log);
    }
}

#[test]
fn a_missing_final_line_end_is_a_cut_unless_the_line_ends_the_report() {
    // Every report whose last line holds a root frame or an end marker
    // is as complete without the final `\n` as with it; any other report
    // whose input stops inside its last line is incomplete.
    for b in blocks() {
        let trimmed = &b.raw[..b.raw.len() - 1];
        let got = run_all(trimmed);
        assert_eq!(got.len(), 1, "{}", b.name);
        let last = String::from_utf8_lossy(trimmed);
        let last = splatdec::input::prefix::strip(last.lines().last().unwrap_or(""), false).1;
        let t = last.trim();
        let ends = t.starts_with("---[ end trace")
            || t == "</TASK>"
            || t.contains("ret_fast_syscall")
            || t.contains("{system_call+")
            || t.contains(" system_call+")
            || t.contains("system_call_common+")
            || t.starts_with("=====")
            || t.contains("ret_from_fork")
            || t.contains("entry_SYSCALL")
            || t.contains("start_kernel")
            || t.contains("start_secondary")
            || t.contains("el0t_64_sync");
        if ends {
            assert_eq!(got[0].report.complete, b.complete, "{}: {t}", b.name);
        } else if !t.is_empty() {
            assert!(!got[0].report.complete, "{}: {t}", b.name);
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Any lines, ended by `\n` or by `\r\n`, read back as the same lines
    /// with the same numbers (blank lines included).
    #[test]
    fn line_ends_do_not_change_lines_or_numbers(
        lines in prop::collection::vec("[^\r\n]{0,12}", 0..12),
    ) {
        let read = |end: &str| -> Vec<(u64, String)> {
            let data: String = lines.iter().map(|l| format!("{l}{end}")).collect();
            splatdec::input::read_lines(data.as_bytes())
                .unwrap()
                .iter()
                .map(|l| (l.no, l.text.to_string()))
                .collect()
        };
        let lf = read("\n");
        prop_assert_eq!(lf.len(), lines.len());
        prop_assert_eq!(&read("\r\n"), &lf);
    }
}

// ---------------------------------------------------------------------
// Wrapping: a mail client or a broken `pr_cont` splits lines; the joiner
// puts them back (issue 13).

/// `text` split the way wrapping `style` splits a line of its shape, or
/// `None` when the style leaves it alone. The pieces are what a mail
/// client or a console writes: the first keeps the line's indentation.
fn wrap(style: u8, text: &str) -> Option<Vec<String>> {
    let t = text.trim_end();
    let is_banner = splatdec::stages::match_banner(t).is_some();
    match style {
        // A banner broken at its last space, format=flowed (the space
        // stays at the end of the first piece), or a bracketed banner
        // with its closing `]` on the next line.
        0 if is_banner => {
            if let Some(inner) = t.strip_suffix(" ]") {
                return Some(vec![inner.to_string(), "]".to_string()]);
            }
            let sp = t.rfind(' ')?;
            // A banner whose first piece is already one (`DEBUG_LOCKS_WARN_ON(`
            // and what it printed) is whole where it breaks: not this shape.
            splatdec::stages::match_banner(&t[..=sp])
                .is_none()
                .then_some(())?;
            Some(vec![t[..=sp].to_string(), t[sp + 1..].to_string()])
        }
        // A lock line or held-lock entry broken before `at:`, the space
        // lost (a plain mail client).
        1 => {
            let i = t.find(", at: ")?;
            (t.contains('{') || t.contains("){")).then_some(())?;
            Some(vec![t[..=i].to_string(), t[i + 2..].to_string()])
        }
        // ... broken after `at:`, format=flowed.
        2 => {
            let i = t.find(", at: ")?;
            let rest = t[i + 6..].trim_start();
            (!rest.is_empty()).then_some(())?;
            Some(vec![t[..i + 6].to_string(), rest.to_string()])
        }
        // A frame broken after `+0x1f/` (no space to break at).
        3 => {
            let plus = t.find("+0x")?;
            let slash = plus + t[plus..].find('/')?;
            t[slash + 1..].starts_with("0x").then_some(())?;
            Some(vec![t[..=slash].to_string(), t[slash + 1..].to_string()])
        }
        // The `CPU: ... Comm: x Not tainted` line broken before the
        // kernel release.
        4 => {
            let i = t.find("tainted ").or_else(|| t.find("Tainted: "))?;
            (t.starts_with("CPU: ") || t.starts_with("Pid: ")).then_some(())?;
            let after = &t[i..];
            let rel = after
                .split_whitespace()
                .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))?;
            let at = i + after.find(rel)?;
            Some(vec![t[..at].to_string(), t[at..].to_string()])
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(cases(96))]

    /// The same report with its lines wrapped (each wrapping style, under
    /// mail quoting, with or without printk times on the first piece only)
    /// decodes to the same JSON apart from line numbers and joins, and
    /// every piece it joined is recorded.
    #[test]
    fn wrapped_lines_decode_the_same_report(
        block in any::<Index>(),
        style in 0u8..5,
        quote in 0usize..QUOTES.len(),
        timed in any::<bool>(),
    ) {
        let b = &blocks()[block.index(blocks().len())];
        // A report whose own lines are already mangled beyond reading
        // (a syslog re-wrapped mid-line) is not a clean one to wrap again.
        prop_assume!(b.plain["unparsed"].as_array().is_some_and(|u| u.is_empty()));
        let mut log = String::new();
        let mut wrapped = 0;
        for (i, t) in b.texts.iter().enumerate() {
            let pieces = wrap(style, t).unwrap_or_else(|| vec![t.clone()]);
            wrapped += pieces.len() - 1;
            for (k, p) in pieces.iter().enumerate() {
                log.push_str(QUOTES[quote]);
                if timed && k == 0 {
                    log.push_str(&prefixed(1, i, 1_000_000 + 10 * i as u64, p));
                } else {
                    log.push_str(p);
                }
                log.push('\n');
            }
        }
        let got = run_all(log.as_bytes());
        prop_assert_eq!(got.len(), 1, "{} style {}:\n{}", b.name, style, log);
        let v = json_of(&got[0]);
        prop_assert!(v == b.plain, "{} style {} quote {:?}: {}\n{}",
            b.name, style, QUOTES[quote], differences(&v, &b.plain), log);
        prop_assert_eq!(got[0].report.joined.len(), b.joins + wrapped,
            "{} style {}: every piece joined is recorded\n{}", b.name, style, log);
    }
}
