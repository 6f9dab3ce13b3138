//! The section grammar of a DEPT report ([`crate::vocab::dept`]): the
//! summary's contexts, each context's detail (a site and a stack for each
//! of `[S]`, `[W]`, `[E]`, kept apart), up to `information that might be
//! helpful`; dump_stack() after it is read by the common parser.

use crate::input::Line;
use crate::model::{Dept, DeptContext, DeptEventSiteDep, DeptSite, DeptStep, Frame, Report};
use crate::vocab::dept::{classify, is_version_line, DeptLine, Step, Tag};
use crate::vocab::frame::{classify_trace_line, TraceLineRef};
use crate::vocab::trim::TrimWs;

/// Where the detail's next site or stack lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Step(Tag),
    IrqEnabled,
}

/// Reads a DEPT report's body.
#[derive(Debug)]
pub(super) struct Reader {
    dept: Dept,
    /// Index of the context being read.
    context: Option<usize>,
    /// In a `context X's detail` section.
    detail: bool,
    /// The context's diagram listed a second irq (`or`): its steps repeat.
    repeat: bool,
    target: Target,
    /// After `stacktrace:`: frames go to the stack, else to the site.
    in_stack: bool,
    /// `information that might be helpful` was read: the rest is the
    /// common dump_stack() output.
    done: bool,
    seen_version: bool,
    /// A recover dependency's `event site(...)` waiting for its `->` line.
    site_from: Option<String>,
}

impl Reader {
    pub(super) fn new() -> Self {
        Reader {
            dept: Dept::default(),
            context: None,
            detail: false,
            repeat: false,
            target: Target::None,
            in_stack: false,
            done: false,
            seen_version: false,
            site_from: None,
        }
    }

    /// Read one body line; false when it is not the DEPT body's (then the
    /// common parser reads it).
    pub(super) fn line(&mut self, r: &mut Report, line: &Line) -> bool {
        if self.done {
            return false;
        }
        let t = line.text.trim_ws();
        if !self.seen_version && is_version_line(t) {
            self.seen_version = true;
            let release = t.split_whitespace().next().unwrap_or("");
            if r.kernel.is_none() && !release.is_empty() {
                r.kernel = Some(crate::model::KernelRelease::new(release));
            }
            return true;
        }
        if t.is_empty() {
            self.in_stack = false;
            return true;
        }
        let Some(l) = classify(t) else {
            return self.frame(line);
        };
        match l {
            DeptLine::Ruler | DeptLine::Summary | DeptLine::Legend => {}
            DeptLine::Deadlock(d) => self.dept.deadlock = d.to_string(),
            DeptLine::Context(name) => {
                if self.detail {
                    // The diagram repeated under its detail heading.
                    self.repeat = true;
                } else {
                    self.dept.contexts.push(DeptContext {
                        name: name.to_string(),
                        ..DeptContext::default()
                    });
                    self.context = Some(self.dept.contexts.len() - 1);
                    self.repeat = false;
                }
            }
            DeptLine::Detail(name) => {
                self.detail = true;
                self.repeat = false;
                self.target = Target::None;
                self.context = self.dept.contexts.iter().position(|c| c.name == name);
                if self.context.is_some() {
                    self.dept.details += 1;
                }
            }
            DeptLine::Step(s) if s.detail => {
                if let (Some(irq), Some(c)) = (s.irq, self.current()) {
                    if !c.irqs.iter().any(|i| i == irq) {
                        c.irqs.push(irq.to_string());
                    }
                }
                self.target = Target::Step(s.tag);
                self.in_stack = false;
                // A second irq's detail repeats the steps: the first one's
                // sites are kept.
                self.repeat = self
                    .current_step(s.tag)
                    .is_some_and(|st| !st.at.is_empty() || !st.stack.is_empty());
            }
            DeptLine::Step(s) => {
                let repeat = self.repeat;
                if let Some(st) = self.current_step(s.tag) {
                    if !repeat && st.function.is_empty() {
                        fill(st, &s);
                    }
                }
            }
            DeptLine::Interrupt(irq) => {
                if let Some(c) = self.current() {
                    if !c.irqs.iter().any(|i| i == irq) {
                        c.irqs.push(irq.to_string());
                    }
                }
            }
            DeptLine::Or => self.repeat = true,
            DeptLine::StackTrace => self.in_stack = true,
            DeptLine::NotAvailable => self.target = Target::None,
            DeptLine::IrqEnabled(_) => {
                let first = self.current().is_some_and(|c| c.irq_enabled.is_none());
                if first {
                    if let Some(c) = self.current() {
                        c.irq_enabled = Some(DeptSite::default());
                    }
                    self.target = Target::IrqEnabled;
                } else {
                    self.target = Target::None;
                }
                self.repeat = false;
                self.in_stack = false;
            }
            DeptLine::Information => self.done = true,
            DeptLine::EventSite(false, site) => self.site_from = Some(site.to_string()),
            DeptLine::EventSite(true, site) => {
                if let Some(from) = self.site_from.take() {
                    self.dept.event_sites.push(DeptEventSiteDep {
                        from,
                        to: site.to_string(),
                    });
                }
            }
        }
        true
    }

    /// A frame line of a detail's site or stack.
    fn frame(&mut self, line: &Line) -> bool {
        let mut ctx = crate::model::FrameContext::Task;
        let TraceLineRef::Frame(f) = classify_trace_line(line.text, &mut ctx) else {
            return false;
        };
        let frame = f.to_frame(line.no);
        let in_stack = self.in_stack;
        let repeat = self.repeat;
        let Some(site) = self.target_site() else {
            return false;
        };
        if repeat {
            return true;
        }
        let (at, stack): (&mut Vec<Frame>, &mut Vec<Frame>) = site;
        if in_stack {
            stack.push(frame);
        } else {
            at.push(frame);
        }
        true
    }

    fn current(&mut self) -> Option<&mut DeptContext> {
        self.context.and_then(|i| self.dept.contexts.get_mut(i))
    }

    fn current_step(&mut self, tag: Tag) -> Option<&mut DeptStep> {
        let c = self.current()?;
        Some(match tag {
            Tag::Start => &mut c.start,
            Tag::Wait => &mut c.wait,
            Tag::Event => &mut c.event,
        })
    }

    /// The site and stack the target names.
    fn target_site(&mut self) -> Option<(&mut Vec<Frame>, &mut Vec<Frame>)> {
        match self.target {
            Target::None => None,
            Target::Step(tag) => {
                let st = self.current_step(tag)?;
                Some((&mut st.at, &mut st.stack))
            }
            Target::IrqEnabled => {
                let s = self.current()?.irq_enabled.as_mut()?;
                Some((&mut s.at, &mut s.stack))
            }
        }
    }

    /// The DEPT sections read, with the cycle the contexts close.
    pub(super) fn finish(mut self, r: &mut Report) {
        self.dept.cycle = cycle(&self.dept.contexts);
        r.dept = Some(self.dept);
    }
}

fn fill(st: &mut DeptStep, s: &Step<'_>) {
    st.function = s.function.to_string();
    st.class = s.class.to_string();
    st.subclass = s.subclass;
}

/// The classes of the dependency cycle: context A's event class, the
/// class it waits for, then the class each next context (the one whose
/// event class that is) waits for, until the cycle is back at A. Empty
/// when the contexts do not close it.
fn cycle(contexts: &[DeptContext]) -> Vec<String> {
    let Some(a) = contexts.first() else {
        return Vec::new();
    };
    if a.start.class.is_empty() || a.wait.class.is_empty() {
        return Vec::new();
    }
    let mut out = vec![a.start.class.clone()];
    let mut next = a.wait.class.clone();
    while next != a.start.class {
        if out.len() > contexts.len() || out.contains(&next) {
            return Vec::new();
        }
        out.push(next.clone());
        let Some(c) = contexts.iter().find(|c| c.start.class == next) else {
            return Vec::new();
        };
        next = c.wait.class.clone();
    }
    out
}
