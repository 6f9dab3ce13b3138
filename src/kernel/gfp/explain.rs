//! The plain-text explanation behind `splatdec gfp MASK [--kernel X]`.
//!
//! Input is what people paste: a number (`0x6000c0`), a C expression
//! (`GFP_NOFS|__GFP_NOWARN`), or a mask as the kernel printed it
//! (`mode:0x14102c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC)`,
//! `gfp_mask=0xcc0(GFP_KERNEL)`). A printed name list is evidence of the
//! layout: without `--kernel` the newest layout that prints the same names
//! is used, and a mismatch with an explicit `--kernel` is reported.
//!
//! Output is ASCII, at most 80 columns, and states which layout and which
//! version rules were used, so the reader can tell an unverified era from
//! a checked one.

use super::super::task::{self, MemallocExemption, ReclaimTracking, TaskFlag, TaskFlags};
use super::super::version::KernelVersion;
use super::{layouts, previous_release, Coverage, GfpError, GfpFlag, GfpLayout, GfpMask, Reserves};

const WIDTH: usize = 80;

/// Prefixes of the kernel messages that embed `%#x(%pGg)`.
const PRINTED_PREFIXES: &[&str] = &["mode:", "gfp_mask=", "gfp_flags=", "gfp=", "gfp:", "mask "];

/// Explain a GFP mask for a human: the layout used, the value, its `%pGg`
/// form, every flag with its meaning, and what the mask allows (direct
/// reclaim, filesystems, I/O, kswapd, reserves, lockdep's view).
///
/// With `version` `None` the newest layout is used (or, for printed input,
/// the newest layout that prints the same names), and the text says so.
pub fn explain(input: &str, version: Option<KernelVersion>) -> Result<String, GfpError> {
    let input = input.trim();
    let printed = split_printed(input);
    let mut notes: Vec<String> = Vec::new();

    let (layout, rules_version, header) = match (version, &printed) {
        (Some(v), _) => (GfpLayout::for_version(v), v, format!("on Linux {v}")),
        (None, Some(p)) if !p.names.is_empty() => match newest_printing(p.bits, p.names) {
            Some(l) => (
                l,
                rules_version_of(l),
                format!(
                    "(no --kernel given: layout {} inferred from the printed names)",
                    l.range_label()
                ),
            ),
            None => newest_default(),
        },
        (None, _) => newest_default(),
    };

    let (mask, parse_notes) = match &printed {
        Some(p) => (GfpMask::with_layout(p.bits, layout), Vec::new()),
        None => layout.parse_with_notes(input)?,
    };
    notes.extend(parse_notes);

    let mut out = String::new();
    wrap(
        &mut out,
        "",
        "  ",
        &format!("GFP mask {:#x} {header}", mask.bits()),
    );
    if printed.is_none() && !input.starts_with(|c: char| c.is_ascii_digit()) {
        wrap(&mut out, "Input:   ", "         ", input);
    }
    wrap(
        &mut out,
        "Layout:  ",
        "         ",
        &layout_line(layout, rules_version, version.is_some()),
    );
    wrap(&mut out, "Source:  ", "         ", layout.source());
    wrap(&mut out, "%pGg:    ", "         ", &mask.to_string());

    if let Some(p) = &printed {
        let expected = layout.decode(p.bits);
        if normalize(p.names) != expected {
            notes.push(mismatch_note(p.bits, p.names, layout));
        }
    }
    if !layout.printk_names() {
        let names = if layout.value(GfpFlag::Wait).is_some() {
            "are splatdec's reading of that era's include/linux/gfp.h \
             (__GFP_WAIT was the direct-reclaim bit until 4.4)"
        } else {
            "follow the 4.5+ %pGg table"
        };
        notes.push(format!(
            "{} printed GFP masks as bare numbers (mode:{:#x}); the names \
             above {names}.",
            layout.range_label(),
            mask.bits()
        ));
    }

    out.push('\n');
    flag_section(&mut out, mask);
    out.push('\n');
    allows_section(&mut out, mask, rules_version);

    coverage_notes(&mut notes, layout, rules_version, version);
    if mask.unknown_bits() != 0 {
        notes.push(unknown_bits_note(mask));
    }
    if !notes.is_empty() {
        out.push('\n');
        push_line(&mut out, "Notes:");
        for n in &notes {
            wrap(&mut out, "  - ", "    ", n);
        }
    }
    Ok(out)
}

/// A mask as the kernel prints it: `0x...(names)`.
struct Printed<'a> {
    bits: u32,
    names: &'a str,
}

fn split_printed(input: &str) -> Option<Printed<'_>> {
    let mut s = input;
    for p in PRINTED_PREFIXES {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.trim_start();
            break;
        }
    }
    let open = s.find('(')?;
    let hex = s[..open].trim_end();
    let digits = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X"))?;
    let bits = u32::from_str_radix(digits, 16).ok()?;
    let names = s[open + 1..].strip_suffix(')')?;
    Some(Printed {
        bits,
        names: names.trim(),
    })
}

fn normalize(names: &str) -> String {
    names.split_whitespace().collect()
}

/// The newest layout whose `%pGg` prints `names` for `bits`.
fn newest_printing(bits: u32, names: &str) -> Option<&'static GfpLayout> {
    let want = normalize(names);
    layouts()
        .iter()
        .rev()
        .find(|l| l.printk_names() && l.decode(bits) == want)
}

/// The version whose rules stand for a whole layout: its newest verified
/// release, else its first.
fn rules_version_of(layout: &GfpLayout) -> KernelVersion {
    layout.last_verified().unwrap_or(layout.since())
}

fn newest_default() -> (&'static GfpLayout, KernelVersion, String) {
    let l = GfpLayout::newest();
    (
        l,
        rules_version_of(l),
        format!(
            "(no --kernel given: using the newest layout, {})",
            l.range_label()
        ),
    )
}

fn layout_line(layout: &GfpLayout, v: KernelVersion, explicit: bool) -> String {
    let checked = match (explicit, layout.coverage(v)) {
        (_, Coverage::TooOld) => format!("older than every modelled kernel; {v} NOT checked"),
        (true, Coverage::Unverified) | (false, Coverage::Unverified) => {
            format!("NOT checked for {v}, see the notes")
        }
        (true, Coverage::Verified) => "checked against kernel source".to_string(),
        (false, Coverage::Verified) => format!("checked against kernel source; rules of {v}"),
    };
    format!("{} ({checked})", layout.range_label())
}

fn coverage_notes(
    notes: &mut Vec<String>,
    layout: &GfpLayout,
    v: KernelVersion,
    explicit: Option<KernelVersion>,
) {
    match layout.coverage(v) {
        Coverage::Verified => {}
        Coverage::TooOld => notes.push(format!(
            "{v} is older than the oldest modelled layout ({}, read in {}); \
             its bits may differ, so this decoding may be wrong.",
            layout.id(),
            layout.last_verified().unwrap_or(layout.since())
        )),
        Coverage::Unverified => {
            let read = match layout.last_verified() {
                Some(last) if last == layout.since() => format!("in {last}"),
                Some(last) => format!("in {}-{last}", layout.since()),
                None => "in no tree (derived)".to_string(),
            };
            let what = if explicit.is_some() {
                format!("{v} is not among the checked releases")
            } else {
                "this layout is not checked for every release it covers".to_string()
            };
            notes.push(format!("{what}: layout {} was read {read}.", layout.id()));
            if let Some(n) = layout.note() {
                notes.push(n.to_string());
            }
        }
    }
}

fn flag_section(out: &mut String, mask: GfpMask) {
    if mask.bits() == 0 {
        push_line(out, "Flags set: none (%pGg prints nothing for 0)");
        return;
    }
    push_line(out, "Flags set:");
    let mut rows: Vec<(String, String, String)> = mask
        .flags()
        .into_iter()
        .map(|f| {
            let value = mask.layout().value(f).unwrap_or(0);
            (
                f.name().to_string(),
                format!("{value:#x}"),
                f.meaning().to_string(),
            )
        })
        .collect();
    let unknown = mask.unknown_bits();
    if unknown != 0 {
        rows.push((
            "(unknown)".to_string(),
            format!("{unknown:#x}"),
            format!(
                "no flag has {} in layout {}",
                if unknown.count_ones() == 1 {
                    "this bit"
                } else {
                    "these bits"
                },
                mask.layout().id()
            ),
        ));
    }
    let name_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(20);
    let value_w = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    for (name, value, meaning) in rows {
        let first = format!("  {name:<name_w$}  {value:<value_w$}  ");
        let rest = " ".repeat(first.len());
        wrap(out, &first, &rest, &meaning);
    }
}

fn allows_section(out: &mut String, mask: GfpMask, v: KernelVersion) {
    push_line(out, "What it allows:");
    let direct = if mask.may_direct_reclaim() {
        "yes: may sleep and reclaim itself (not under PF_MEMALLOC)".to_string()
    } else if mask.is_atomic() {
        "no: never sleeps in the allocator (GFP_ATOMIC-like)".to_string()
    } else {
        "no: never sleeps in the allocator (GFP_NOWAIT-like)".to_string()
    };
    let kswapd = if mask.may_kswapd_reclaim() {
        "yes: wakes kswapd at the low watermark"
    } else {
        "no: kswapd is not woken"
    };
    let scope = |set: bool, what: &str| -> String {
        match (set, mask.may_direct_reclaim()) {
            (true, true) => format!("yes: reclaim may {what}"),
            (true, false) => "flag set, but unused without direct reclaim".to_string(),
            (false, _) => format!("no: reclaim will not {what}"),
        }
    };
    let reserves = match mask.reserves() {
        Reserves::Forbidden => "none: __GFP_NOMEMALLOC forbids them, even under PF_MEMALLOC",
        Reserves::All => "all: __GFP_MEMALLOC ignores the watermarks",
        Reserves::High => "high-priority: may dip below the min watermark",
        Reserves::Normal => "normal watermarks (a PF_MEMALLOC task still gets all)",
    };
    let rows: [(&str, String); 5] = [
        ("direct reclaim", direct),
        ("kswapd", kswapd.to_string()),
        (
            "filesystems",
            scope(mask.may_enter_fs(), "call into filesystems"),
        ),
        ("I/O", scope(mask.may_do_io(), "start physical I/O")),
        ("reserves", reserves.to_string()),
    ];
    for (label, text) in rows {
        wrap(out, &format!("  {label:<16}"), &" ".repeat(18), &text);
    }
    for (i, line) in lockdep_lines(mask, v).iter().enumerate() {
        let label = if i == 0 {
            format!("  {:<15} ", format!("lockdep ({v})"))
        } else {
            " ".repeat(18)
        };
        wrap(out, &label, &" ".repeat(18), line);
    }
}

/// What lockdep records for this mask on `v`, and how `PF_MEMALLOC`
/// changes it.
fn lockdep_lines(mask: GfpMask, v: KernelVersion) -> Vec<String> {
    if !task::lockdep_tracks_reclaim(v) {
        return vec![format!(
            "no reclaim tracking: lockdep's RECLAIM_FS state came with \
             cf40bd16fdad, believed {}",
            task::LOCKDEP_RECLAIM_RULES[0].since
        )];
    }
    let rule = task::lockdep_rule(v);
    let plain = task::reclaim_annotation(mask, TaskFlags::empty(), v);
    let mut lines = Vec::new();
    let recorded = match rule.tracking {
        ReclaimTracking::FsReclaimLock => {
            format!("takes fs_reclaim (acquire+release, {}())", rule.function)
        }
        ReclaimTracking::ReclaimFsState => {
            format!("marks all held locks RECLAIM_FS-ON ({}())", rule.function)
        }
    };
    match plain.skipped {
        None => lines.push(recorded),
        Some(skip) => lines.push(format!(
            "no reclaim annotation: {}",
            skip.describe_for(mask)
        )),
    }
    if plain.mmu_notifier {
        lines.push("primes mmu_notifier_invalidate_range_start".to_string());
    }
    if plain.fs_reclaim {
        let memalloc = TaskFlags::of(&[TaskFlag::Memalloc]);
        let under = task::reclaim_annotation(mask, memalloc, v);
        if under.fs_reclaim {
            let fix = task::LOCKDEP_RECLAIM_RULES
                .iter()
                .find(|r| r.memalloc == MemallocExemption::Always);
            let when = match fix {
                Some(r) if r.first_verified == r.since => format!("fixed in {}", r.since),
                Some(r) => format!(
                    "fixed in {} (believed; verified in {})",
                    r.since, r.first_verified
                ),
                None => "not fixed".to_string(),
            };
            lines.push(format!(
                "under PF_MEMALLOC: still annotated because of \
                 __GFP_NOMEMALLOC, although PF_MEMALLOC rules out direct \
                 reclaim: a known false positive, {when}"
            ));
        } else {
            lines.push("under PF_MEMALLOC: not annotated".to_string());
        }
    }
    lines
}

/// Where the printed names disagree with the chosen layout.
fn mismatch_note(bits: u32, names: &str, layout: &GfpLayout) -> String {
    let want = normalize(names);
    let matching: Vec<String> =
        runs(|l| (l.printk_names() && l.decode(bits) == want).then(String::new))
            .iter()
            .map(|(_, first, last)| span(first, last))
            .collect();
    let mut note = format!(
        "the printed names ({names}) are not what layout {} prints ({}).",
        layout.id(),
        layout.decode(bits)
    );
    if matching.is_empty() {
        note.push_str(" No modelled layout prints them.");
    } else {
        note.push_str(&format!(" They match: {}.", matching.join(", ")));
    }
    note
}

/// Unknown bits usually mean the wrong kernel version: list layouts where
/// the whole value is made of known flags.
fn unknown_bits_note(mask: GfpMask) -> String {
    let bits = mask.bits();
    let mut clean = runs(|l| (bits & !l.known_bits() == 0).then(|| l.decode(bits)));
    // Fewest names first (a single composite is the likeliest reading),
    // newest first among equals.
    clean.sort_by_key(|(t, first, _)| (t.matches('|').count(), std::cmp::Reverse(first.since())));
    let unknown = mask.unknown_bits();
    let mut note = if unknown.count_ones() == 1 {
        format!(
            "Bit {unknown:#x} is not a flag in layout {}",
            mask.layout().id()
        )
    } else {
        format!(
            "Bits {unknown:#x} are not flags in layout {}",
            mask.layout().id()
        )
    };
    note.push_str("; %pGg prints leftover bits in hex, as shown.");
    if !clean.is_empty() {
        // Only the shortest readings: a lone composite beats bit soup.
        let fewest = clean[0].0.matches('|').count();
        let list: Vec<String> = clean
            .iter()
            .take_while(|(t, _, _)| t.matches('|').count() == fewest)
            .take(3)
            .map(|(t, first, last)| format!("{t} on {}", span(first, last)))
            .collect();
        note.push_str(&format!(
            " The whole value decodes without unknown bits as {}: is the \
             kernel version right?",
            list.join("; ")
        ));
    }
    note
}

/// Runs of consecutive layouts for which `key` gives the same `Some`.
fn runs(
    key: impl Fn(&GfpLayout) -> Option<String>,
) -> Vec<(String, &'static GfpLayout, &'static GfpLayout)> {
    let mut out: Vec<(String, &'static GfpLayout, &'static GfpLayout)> = Vec::new();
    for l in layouts() {
        let Some(k) = key(l) else { continue };
        match out.last_mut() {
            Some((prev, _, last)) if *prev == k && is_next(last, l) => *last = l,
            _ => out.push((k, l, l)),
        }
    }
    out
}

fn is_next(a: &GfpLayout, b: &GfpLayout) -> bool {
    a.next().is_some_and(|n| std::ptr::eq(n, b))
}

/// `4.18-5.0` for a run of layouts.
fn span(first: &GfpLayout, last: &GfpLayout) -> String {
    match last.next().and_then(|n| previous_release(n.since())) {
        Some(end) if end == first.since() => end.to_string(),
        Some(end) => format!("{}-{end}", first.since()),
        None => format!("{}+", first.since()),
    }
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// Word-wrap `text` to [`WIDTH`] columns behind `first` (then `rest`).
/// Words longer than a line (a long mask) are not broken but split at `|`.
/// Every line of the explanation goes through here, and some echo the
/// user's input (the expression, printed names): controls are escaped.
fn wrap(out: &mut String, first: &str, rest: &str, text: &str) {
    let text = crate::escape::text(text);
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split(' ').flat_map(split_long) {
        let sep = usize::from(!empty);
        if !empty && line.len() + sep + word.len() > WIDTH {
            push_line(out, line.trim_end());
            line = rest.to_string();
            empty = true;
        }
        if !empty && !word.starts_with('|') {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    push_line(out, line.trim_end());
}

/// A word wider than the widest possible line, cut before each `|`.
fn split_long(word: &str) -> Vec<String> {
    if word.len() <= WIDTH / 2 {
        return vec![word.to_string()];
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    for (i, piece) in word.split('|').enumerate() {
        if i > 0 {
            parts.push(std::mem::take(&mut cur));
            cur.push('|');
        }
        cur.push_str(piece);
    }
    parts.push(cur);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32) -> KernelVersion {
        KernelVersion::release(major, minor)
    }

    /// Checks the shape of `text` and returns it unwrapped (one line, single
    /// spaces) for `contains` checks that do not depend on wrapping.
    fn check_shape(text: &str) -> String {
        for line in text.lines() {
            assert!(line.len() <= WIDTH, "too long: {line:?}");
            assert!(line.is_ascii(), "not ASCII: {line:?}");
            assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
        }
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" |", "|")
    }

    #[test]
    fn explains_4_19_gfp_kernel_on_4_15() {
        let text = explain("0x6000c0", Some(v(4, 15))).unwrap();
        assert!(text.starts_with("GFP mask 0x6000c0 on Linux 4.15\n"));
        let text = check_shape(&text);
        assert!(text.contains("0x6000c0(__GFP_IO|__GFP_FS|__GFP_DIRECT_RECLAIM|0x200000)"));
        assert!(text.contains("(unknown)"));
        assert!(text.contains("decodes without unknown bits as GFP_KERNEL on 4.18-5.0: is"));
        assert!(text.contains("takes fs_reclaim"));
    }

    #[test]
    fn explains_symbolic_without_version() {
        let text = check_shape(&explain("GFP_NOFS|__GFP_NOWARN", None).unwrap());
        assert!(text.contains("no --kernel given: using the newest layout, 6.15+"));
        assert!(text.contains("0x2c40(GFP_NOFS|__GFP_NOWARN)"));
        assert!(text.contains("no: reclaim will not call into filesystems"));
        assert!(text.contains("primes mmu_notifier_invalidate_range_start"));
        assert!(text.contains("no reclaim annotation: no __GFP_FS"));
    }

    #[test]
    fn explains_seed_mask_on_4_15() {
        let text = check_shape(
            &explain("GFP_KERNEL|__GFP_NOMEMALLOC|__GFP_NOWARN", Some(v(4, 15))).unwrap(),
        );
        assert!(text.contains("0x14102c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC)"));
        assert!(text.contains("under PF_MEMALLOC: still annotated"));
        let fixed = check_shape(
            &explain("GFP_KERNEL|__GFP_NOMEMALLOC|__GFP_NOWARN", Some(v(4, 17))).unwrap(),
        );
        assert!(fixed.contains("under PF_MEMALLOC: not annotated"));
    }

    #[test]
    fn printed_form_infers_layout() {
        let text = explain(
            "mode:0x14102c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC)",
            None,
        )
        .unwrap();
        let text = check_shape(&text);
        assert!(text.contains("layout 4.15-4.17 inferred from the printed names"));
        let text = check_shape(&explain("gfp_mask=0xcc0(GFP_KERNEL)", Some(v(4, 15))).unwrap());
        assert!(text.contains("are not what layout 4.15 prints"));
        assert!(text.contains("They match: 5.1+."));
    }

    #[test]
    fn explains_pre_4_4_masks() {
        let v2632 = KernelVersion::new(2, 6, 32);
        let raw = explain("0xd0", Some(v2632)).unwrap();
        assert!(raw.starts_with("GFP mask 0xd0 on Linux 2.6.32\n"));
        let text = check_shape(&raw);
        assert!(text.contains("0xd0(GFP_KERNEL)"));
        assert!(text.contains("__GFP_WAIT 0x10"));
        assert!(text.contains("direct reclaim yes: may sleep and reclaim itself"));
        assert!(text.contains("filesystems yes: reclaim may call into filesystems"));
        assert!(text.contains("kswapd yes"));
        assert!(text.contains("marks all held locks RECLAIM_FS-ON (lockdep_trace_alloc())"));
        assert!(text.contains("__GFP_WAIT was the direct-reclaim bit until 4.4"));
        assert!(!text.contains("(unknown)"));
        // GFP_ATOMIC of that era: no __GFP_WAIT.
        let atomic = check_shape(&explain("GFP_ATOMIC", Some(v(3, 13))).unwrap());
        assert!(atomic.contains("0x20(__GFP_HIGH)"));
        assert!(atomic.contains("no reclaim annotation: no __GFP_WAIT"));
        assert!(atomic.contains("GFP_ATOMIC-like"));
        // GFP_NOFS: no __GFP_FS.
        let nofs = check_shape(&explain("GFP_NOFS", Some(v(4, 2))).unwrap());
        assert!(nofs.contains("0x50(GFP_NOFS)"));
        assert!(nofs.contains("no reclaim annotation: no __GFP_FS"));
        // Before RECLAIM_FS, lockdep tracked no reclaim at all.
        let old = check_shape(&explain("0xd0", Some(KernelVersion::new(2, 6, 24))).unwrap());
        assert!(old.contains("no reclaim tracking"));
        // And 4.4's layout reads the same number differently.
        let new = check_shape(&explain("0xd0", Some(v(4, 4))).unwrap());
        assert!(new.contains("direct reclaim no"));
    }

    #[test]
    fn zero_old_and_errors() {
        let raw = explain("0", Some(v(6, 6))).unwrap();
        assert!(raw.contains("%pGg:    0x0()"));
        let text = check_shape(&raw);
        assert!(text.contains("Flags set: none"));
        let old = check_shape(&explain("0x24000c0", Some(v(4, 4))).unwrap());
        assert!(old.contains("bare numbers"));
        let gap = check_shape(&explain("GFP_KERNEL", Some(v(4, 7))).unwrap());
        assert!(gap.contains("NOT checked for 4.7"));
        assert!(explain("GFP_BOGUS", None).is_err());
        let huge = explain("0xffffffff", Some(v(6, 18))).unwrap();
        check_shape(&huge);
    }
}
