//! The lines of a DEPT report, each on its own (kernel/dependency/dept.c of
//! the DEPT series posted on the lists since 2022: print_circle,
//! print_diagram, print_dep, print_ip_stack, print_recover_circle):
//!
//! ```text
//! ===================================================
//! DEPT: Circular dependency has been detected.
//! 5.18.0-rc5 #571 Not tainted
//! ---------------------------------------------------
//! summary
//! ---------------------------------------------------
//! *** DEADLOCK ***                       (*** AA DEADLOCK *** for one context)
//!
//! context A
//!    [S] down_write(&ei->i_data_sem:0)   (print_spc: 3 spaces a level)
//!    [W] folio_wait_bit_common(pglocked:0)
//!    [E] up_write(&ei->i_data_sem:0)
//!
//! [S]: start of the event context
//! [W]: the wait blocked
//! [E]: the event not reachable
//! ---------------------------------------------------
//! context A's detail
//! ---------------------------------------------------
//! context A
//!    [S] ...                             (the diagram again)
//!
//! [S] down_write(&ei->i_data_sem:0):
//! [<ffffffff8141c01b>] ext4_map_blocks+0x17b/0x680   (print_ip_sym)
//! stacktrace:
//!       ext4_map_blocks+0x17b/0x680      (stack_trace_print, 6 spaces)
//!
//! [E] up_write(&ei->i_data_sem:0):
//! (N/A)
//! ---------------------------------------------------
//! information that might be helpful
//! ---------------------------------------------------
//! (dump_stack())
//! ```
//!
//! An irq dependency prints `    <hardirq interrupt>` between `[S]` and an
//! indented `[W]` in the diagram, `hardirq has been enabled:` with a site
//! and stack, and `[W] f(c:n) in hardirq context:` in the detail (irq_str():
//! `softirq`, `hardirq`); several irqs are separated by `or`. Series before
//! 2023 print `Dept:` and 4 spaces of indentation. The format is that of
//! `[PATCH v17 02/47] dept: implement DEPT(DEPendency Tracker)`
//! (<https://lore.kernel.org/all/20251002081247.51255-3-byungchul@sk.com/>)
//! and the earlier postings.

/// Which step of a context a `[S]`/`[W]`/`[E]` line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `[S]`: the start of the event context.
    Start,
    /// `[W]`: the wait.
    Wait,
    /// `[E]`: the event.
    Event,
}

/// One `[S] function(class:subclass)` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// Which step the line is.
    pub tag: Tag,
    /// The function DEPT recorded (`down_write`), or `(unknown)`.
    pub function: &'a str,
    /// The class (`&ei->i_data_sem`, `pglocked`, `<sched>`).
    pub class: &'a str,
    /// The number after the colon.
    pub subclass: u32,
    /// The detail's header form, ending in `:`, which a site and stack
    /// follow.
    pub detail: bool,
    /// `in hardirq context:` of an irq wait's detail.
    pub irq: Option<&'a str>,
}

/// What one DEPT body line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeptLine<'a> {
    /// `-----...` or `=====...`.
    Ruler,
    /// `summary`: the heading of the contexts' summary.
    Summary,
    /// `*** DEADLOCK ***` (`DEADLOCK`) or `*** AA DEADLOCK ***`.
    Deadlock(&'a str),
    /// `context A`.
    Context(&'a str),
    /// `context A's detail`.
    Detail(&'a str),
    /// `[S]`, `[W]` or `[E]` and its `function(class:subclass)`.
    Step(Step<'a>),
    /// `<hardirq interrupt>`.
    Interrupt(&'a str),
    /// `or`, between the irqs of one context.
    Or,
    /// `[S]: start of the event context` and its two siblings.
    Legend,
    /// `stacktrace:`.
    StackTrace,
    /// `(N/A)`: neither site nor stack was saved.
    NotAvailable,
    /// `hardirq has been enabled:`.
    IrqEnabled(&'a str),
    /// `information that might be helpful`: dump_stack() follows.
    Information,
    /// `event site(NAME@FUNC)`, `-> event site(NAME@FUNC)` of a recover
    /// dependency: (arrow, `NAME@FUNC`).
    EventSite(bool, &'a str),
}

/// Classify a trimmed line of a DEPT report body; `None` for lines DEPT
/// does not print itself (frames, dump_stack(), other output).
pub fn classify(t: &str) -> Option<DeptLine<'_>> {
    if t.len() >= 10 && (t.bytes().all(|c| c == b'-') || t.bytes().all(|c| c == b'=')) {
        return Some(DeptLine::Ruler);
    }
    match t {
        "summary" => return Some(DeptLine::Summary),
        "or" => return Some(DeptLine::Or),
        "stacktrace:" => return Some(DeptLine::StackTrace),
        "(N/A)" => return Some(DeptLine::NotAvailable),
        "information that might be helpful" => return Some(DeptLine::Information),
        "[S]: start of the event context"
        | "[W]: the wait blocked"
        | "[E]: the event not reachable" => return Some(DeptLine::Legend),
        _ => {}
    }
    if let Some(d) = t
        .strip_prefix("*** ")
        .and_then(|r| r.strip_suffix(" ***"))
        .filter(|d| *d == "DEADLOCK" || *d == "AA DEADLOCK")
    {
        return Some(DeptLine::Deadlock(d));
    }
    if let Some(rest) = t.strip_prefix("context ") {
        if let Some(name) = rest.strip_suffix("'s detail") {
            return is_context_name(name).then_some(DeptLine::Detail(name));
        }
        return is_context_name(rest).then_some(DeptLine::Context(rest));
    }
    if let Some(irq) = t
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix(" interrupt>"))
        .filter(|i| is_irq_name(i))
    {
        return Some(DeptLine::Interrupt(irq));
    }
    if let Some(irq) = t
        .strip_suffix(" has been enabled:")
        .filter(|i| is_irq_name(i))
    {
        return Some(DeptLine::IrqEnabled(irq));
    }
    if let Some(rest) = t.strip_prefix("-> event site(") {
        return rest.strip_suffix(')').map(|s| DeptLine::EventSite(true, s));
    }
    if let Some(rest) = t.strip_prefix("event site(") {
        return rest
            .strip_suffix(')')
            .map(|s| DeptLine::EventSite(false, s));
    }
    step(t).map(DeptLine::Step)
}

/// `A`, `B`, ...: one capital letter (`'A' + i`).
fn is_context_name(s: &str) -> bool {
    s.len() == 1 && s.bytes().all(|c| c.is_ascii_uppercase())
}

/// dept.c's irq_str(): `softirq`, `hardirq`, `(unknown)`.
fn is_irq_name(s: &str) -> bool {
    matches!(s, "softirq" | "hardirq" | "(unknown)")
}

/// `[S] down_write(&ei->i_data_sem:0)`, with `:` or ` in X context:` after
/// it in the detail. Class names may hold parentheses
/// (`&(&journal->j_wait_commit)->dmap`), and so may the function
/// (`(unknown)`): the class is the last balanced group.
fn step(t: &str) -> Option<Step<'_>> {
    let (tag, rest) = if let Some(r) = t.strip_prefix("[S] ") {
        (Tag::Start, r)
    } else if let Some(r) = t.strip_prefix("[W] ") {
        (Tag::Wait, r)
    } else if let Some(r) = t.strip_prefix("[E] ") {
        (Tag::Event, r)
    } else {
        return None;
    };
    let (body, detail, irq) = if let Some(b) = rest.strip_suffix(" context:") {
        let (b, irq) = b.rsplit_once(" in ")?;
        (b, true, Some(irq).filter(|i| is_irq_name(i)))
    } else if let Some(b) = rest.strip_suffix(':') {
        (b, true, None)
    } else {
        (rest, false, None)
    };
    if detail && irq.is_none() && rest.ends_with(" context:") {
        return None;
    }
    let inner_end = body.len().checked_sub(1)?;
    if !body.ends_with(')') {
        return None;
    }
    // The `(` that opens the final group.
    let mut depth = 0usize;
    let mut open = None;
    for (i, c) in body.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let function = &body[..open];
    let inner = &body[open + 1..inner_end];
    let (class, sub) = inner.rsplit_once(':')?;
    let subclass = sub.parse().ok()?;
    if function.is_empty() || class.is_empty() || function.contains(' ') {
        return None;
    }
    Some(Step {
        tag,
        function,
        class,
        subclass,
        detail,
        irq,
    })
}

/// Is `t` (trimmed) a line DEPT prints in a report's body? The segmenter
/// keeps such lines, and the frames between them, in the report.
pub fn is_body_line(t: &str) -> bool {
    t.is_empty() || classify(t).is_some() || is_version_line(t)
}

/// The `%s %.*s %s` line after the banner: the release, the build number
/// (`#571`) and the taint (`Not tainted`, `Tainted: G W`).
pub fn is_version_line(t: &str) -> bool {
    let mut words = t.split_whitespace();
    let (Some(release), Some(build)) = (words.next(), words.next()) else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    release.bytes().next().is_some_and(|c| c.is_ascii_digit())
        && release.contains('.')
        && build.starts_with('#')
        && (rest.first() == Some(&"Not") || rest.first() == Some(&"Tainted:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        let s = step("[S] down_write(&ei->i_data_sem:0)").unwrap();
        assert_eq!(
            (s.tag, s.function, s.class, s.subclass, s.detail),
            (Tag::Start, "down_write", "&ei->i_data_sem", 0, false)
        );
        let s = step("[S] (unknown)(pglocked:0):").unwrap();
        assert_eq!(
            (s.function, s.class, s.detail),
            ("(unknown)", "pglocked", true)
        );
        let s = step("[E] event(&(&journal->j_wait_commit)->dmap:0)").unwrap();
        assert_eq!(s.class, "&(&journal->j_wait_commit)->dmap");
        let s = step("[S] __raw_write_lock(&journal->j_state_lock:8)").unwrap();
        assert_eq!(s.subclass, 8);
        let s = step("[W] lock(&vn->busy.lock:0) in hardirq context:").unwrap();
        assert_eq!((s.tag, s.irq, s.detail), (Tag::Wait, Some("hardirq"), true));
        for t in [
            "[S] down_write",
            "[S] down_write(&x)",
            "[S] f(x:y)",
            "[S] (x:0)",
            "[W] lock(a:0) in hard context:",
        ] {
            assert_eq!(step(t), None, "{t}");
        }
    }

    #[test]
    fn lines() {
        assert_eq!(
            classify("*** AA DEADLOCK ***"),
            Some(DeptLine::Deadlock("AA DEADLOCK"))
        );
        assert_eq!(classify("context B"), Some(DeptLine::Context("B")));
        assert_eq!(classify("context B's detail"), Some(DeptLine::Detail("B")));
        assert_eq!(classify("context switch"), None);
        assert_eq!(
            classify("<softirq interrupt>"),
            Some(DeptLine::Interrupt("softirq"))
        );
        assert_eq!(
            classify("softirq has been enabled:"),
            Some(DeptLine::IrqEnabled("softirq"))
        );
        assert_eq!(classify("<SOFTIRQ interrupt>"), None);
        assert_eq!(
            classify("-> event site(a@b)"),
            Some(DeptLine::EventSite(true, "a@b"))
        );
        assert!(is_version_line(
            "5.18.0-rc5-xfstests-dept-00021-g8d3d751c9964 #571 Not tainted"
        ));
        assert!(is_version_line(
            "6.0.0-00023-g331e0412f735 #2 Tainted: G        W"
        ));
        assert!(!is_version_line(
            "CPU: 1 PID: 46539 Comm: dirstress Not tainted"
        ));
    }
}
