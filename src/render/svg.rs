//! SVG: the lock graph ([`graph`]) and small bar charts ([`bars`]), for
//! `splatdec graph --format svg` and the triage page.
//!
//! Self-contained: no script, no external font or stylesheet, only
//! presentation attributes (so a drawing inlined in an HTML page styles
//! nothing else on it), ids under a caller-given prefix (so several can
//! share a page). Every string from the input goes through
//! [`escape::xml`]: lock and function names come from logs.

use std::fmt::Write as _;

use super::layered::{layout, Input, MARGIN};
use crate::escape;

/// A lock class to draw.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The class name as printed (untrusted; escaped when drawn).
    pub name: &'a str,
    /// What the class stands for when it is not a lock
    /// ([`crate::kernel::locks::pseudo_lock`]).
    pub pseudo: Option<&'a str>,
    /// The node is in a lock cycle: drawn with a red border.
    pub in_cycle: bool,
}

/// A dependency to draw: `to` was taken with `from` held.
#[derive(Debug, Clone)]
pub struct Edge<'a> {
    /// The index in the node list of the lock held.
    pub from: usize,
    /// The index of the lock taken while it was held.
    pub to: usize,
    /// The functions that took `to` (may be empty).
    pub via: Vec<&'a str>,
    /// How many reports show the dependency (in its tooltip).
    pub reports: u64,
    /// Both ends in one cycle.
    pub cycle: bool,
}

const FONT: f64 = 12.0;
/// Width of one character of the monospace font, in px at [`FONT`]
/// (0.6 em: DejaVu Sans Mono, Liberation Mono, Menlo are 0.60-0.61).
const CHAR_W: f64 = 7.3;
const SMALL_CHAR_W: f64 = 6.1;
const NODE_H: f64 = 24.0;
const PSEUDO_H: f64 = 38.0;
const HEADER_H: f64 = 26.0;
const LEGEND_H: f64 = 30.0;
/// Names longer than this are cut in the box (whole in its tooltip).
const NAME_MAX: usize = 64;
/// Edge labels longer than this are cut (whole in the tooltip).
const LABEL_MAX: usize = 44;

const RED: &str = "#c62828";
const GREY: &str = "#555";

/// The visible form of untrusted text (controls escaped), cut to `max`
/// characters with an ellipsis.
fn visible(s: &str, max: usize) -> String {
    let t = escape::text(s);
    if t.chars().count() <= max {
        t.into_owned()
    } else {
        let mut c: String = t.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

fn width_of(s: &str, per_char: f64) -> f64 {
    s.chars().count() as f64 * per_char
}

/// An edge's label: its functions, the first two and a count of the rest.
fn edge_label(e: &Edge<'_>) -> String {
    let mut parts: Vec<String> = e
        .via
        .iter()
        .take(2)
        .map(|v| escape::text(v).into_owned())
        .collect();
    if e.via.len() > 2 {
        parts.push(format!("+{}", e.via.len() - 2));
    }
    let joined = parts.join(", ");
    visible(&joined, LABEL_MAX)
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// The lock graph as one SVG document. `cycles` is how many cycles the
/// graph has (said in the heading); `id` prefixes every id in it.
pub fn graph(nodes: &[Node<'_>], edges: &[Edge<'_>], cycles: usize, id: &str) -> String {
    let id = escape::xml(id);
    let names: Vec<String> = nodes.iter().map(|n| visible(n.name, NAME_MAX)).collect();
    let labels: Vec<String> = edges.iter().map(edge_label).collect();
    let sizes: Vec<(f64, f64)> = nodes
        .iter()
        .zip(&names)
        .map(|(n, name)| {
            let w = width_of(name, CHAR_W).max(if n.pseudo.is_some() {
                width_of("pseudo-lock", SMALL_CHAR_W)
            } else {
                0.0
            });
            (w + 20.0, if n.pseudo.is_some() { PSEUDO_H } else { NODE_H })
        })
        .collect();
    let input = Input {
        sizes,
        edges: edges.iter().map(|e| (e.from, e.to)).collect(),
        label_widths: labels.iter().map(|l| width_of(l, SMALL_CHAR_W)).collect(),
    };
    let lay = layout(&input);
    let heading = format!(
        "{} lock class{}, {} dependenc{}, {} cycle{}",
        nodes.len(),
        if nodes.len() == 1 { "" } else { "es" },
        edges.len(),
        if edges.len() == 1 { "y" } else { "ies" },
        cycles,
        if cycles == 1 { "" } else { "s" }
    );
    let width = lay.width.max(560.0).ceil();
    let height = (HEADER_H + lay.height + LEGEND_H).ceil();
    let mut o = String::with_capacity(4096 + 400 * (nodes.len() + edges.len()));
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"monospace\" font-size=\"{FONT}\" role=\"img\" aria-labelledby=\"{id}-title\">",
        w = width,
        h = height
    );
    let _ = writeln!(o, "<title id=\"{id}-title\">lock graph: {heading}</title>");
    let _ = writeln!(
        o,
        "<defs>{}{}</defs>",
        marker(&format!("{id}-arrow"), GREY),
        marker(&format!("{id}-arrow-cycle"), RED)
    );
    let _ = writeln!(o, "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
    let _ = writeln!(
        o,
        "<text x=\"{}\" y=\"18\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        f(MARGIN),
        escape::xml(&heading)
    );
    let _ = writeln!(o, "<g transform=\"translate(0,{HEADER_H})\">");
    // Edges: the others first, cycle edges on top.
    for pass in [false, true] {
        for (i, e) in edges.iter().enumerate() {
            if e.cycle != pass {
                continue;
            }
            let r = &lay.routes[i];
            let (color, width, marker) = if e.cycle {
                (RED, 2.0, format!("{id}-arrow-cycle"))
            } else {
                (GREY, 1.2, format!("{id}-arrow"))
            };
            let tip = format!(
                "{} --> {}{} ({} report{})",
                escape::text(nodes[e.from].name),
                escape::text(nodes[e.to].name),
                if e.via.is_empty() {
                    String::new()
                } else {
                    format!(
                        " by {}",
                        e.via
                            .iter()
                            .map(|v| escape::text(v).into_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                e.reports,
                if e.reports == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                o,
                "<path d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" marker-end=\"url(#{marker})\" data-from=\"{}\" data-to=\"{}\"><title>{}</title></path>",
                r.path(),
                e.from,
                e.to,
                escape::xml(&tip)
            );
        }
    }
    // Nodes.
    for (i, n) in nodes.iter().enumerate() {
        let r = lay.nodes[i];
        let stroke = if n.in_cycle { RED } else { "#333" };
        let (fill, dash, style) = match n.pseudo {
            Some(_) => (
                "#eef1f6",
                " stroke-dasharray=\"5 3\"",
                " font-style=\"italic\"",
            ),
            None => ("#fffbe6", "", ""),
        };
        let tip = match n.pseudo {
            Some(what) => format!("{} (pseudo-lock: {what})", escape::text(n.name)),
            None => escape::text(n.name).into_owned(),
        };
        let _ = writeln!(
            o,
            "<g><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"{dash}/>",
            escape::xml(&tip),
            f(r.x),
            f(r.y),
            f(r.w),
            f(r.h),
            if n.in_cycle { 1.6 } else { 1.0 }
        );
        let cx = r.x + r.w / 2.0;
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#111\"{style}>{}</text>",
            f(cx),
            f(r.y + 16.0),
            escape::xml(&names[i])
        );
        if n.pseudo.is_some() {
            let _ = writeln!(
                o,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#556\">pseudo-lock</text>",
                f(cx),
                f(r.y + 31.0)
            );
        }
        o.push_str("</g>\n");
    }
    // Labels last, over everything, with a white halo.
    for (i, e) in edges.iter().enumerate() {
        if labels[i].is_empty() {
            continue;
        }
        let r = &lay.routes[i];
        let anchor = if r.self_loop { "start" } else { "middle" };
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"10\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            f(r.label.0),
            f(r.label.1),
            if e.cycle { "#8e1b1b" } else { "#333" },
            escape::xml(&labels[i])
        );
    }
    o.push_str("</g>\n");
    legend(&mut o, HEADER_H + lay.height + 4.0, &id);
    o.push_str("</svg>\n");
    o
}

fn marker(id: &str, color: &str) -> String {
    format!(
        "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
    )
}

fn legend(o: &mut String, y: f64, id: &str) {
    let m = MARGIN;
    let _ = writeln!(o, "<g font-size=\"10\" fill=\"#333\">");
    let ly = y + 12.0;
    let _ = writeln!(
        o,
        "<path d=\"M{},{} h30\" stroke=\"{GREY}\" stroke-width=\"1.2\" marker-end=\"url(#{id}-arrow)\"/><text x=\"{}\" y=\"{}\">A → B: B taken with A held</text>",
        f(m),
        f(ly),
        f(m + 38.0),
        f(ly + 3.5)
    );
    let _ = writeln!(
        o,
        "<path d=\"M{},{} h30\" stroke=\"{RED}\" stroke-width=\"2\" marker-end=\"url(#{id}-arrow-cycle)\"/><text x=\"{}\" y=\"{}\">in a cycle</text>",
        f(m + 220.0),
        f(ly),
        f(m + 258.0),
        f(ly + 3.5)
    );
    let _ = writeln!(
        o,
        "<rect x=\"{}\" y=\"{}\" width=\"26\" height=\"14\" rx=\"3\" fill=\"#eef1f6\" stroke=\"#333\" stroke-dasharray=\"5 3\"/><text x=\"{}\" y=\"{}\">pseudo-lock (a wait or context, not a lock)</text>",
        f(m + 336.0),
        f(ly - 7.0),
        f(m + 368.0),
        f(ly + 3.5)
    );
    o.push_str("</g>\n");
}

/// A small horizontal bar chart: one bar per (label, value), largest
/// first as given, with its value; `colors` gives a bar colour by label
/// (a default otherwise). Returns an inline `<svg>` element.
pub fn bars(
    title: &str,
    items: &[(String, u64)],
    colors: &dyn Fn(&str) -> Option<&'static str>,
) -> String {
    const ROW: f64 = 17.0;
    const LABEL_W: f64 = 150.0;
    const BAR_W: f64 = 90.0;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let h = 22.0 + ROW * items.len() as f64 + 4.0;
    let w = LABEL_W + BAR_W + 44.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"{}\">",
        escape::xml(title)
    );
    let _ = writeln!(
        o,
        "<text x=\"0\" y=\"13\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        escape::xml(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 22.0 + ROW * i as f64;
        let bw = (BAR_W * *v as f64 / max as f64).max(1.0);
        let color = colors(label).unwrap_or("#5c7cba");
        let _ = writeln!(
            o,
            "<g><title>{}: {v}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#333\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" fill=\"#333\">{v}</text></g>",
            escape::xml(label),
            f(LABEL_W - 6.0),
            f(y + 10.0),
            escape::xml(&visible(label, 24)),
            f(LABEL_W),
            f(y),
            f(bw),
            f(LABEL_W + bw + 4.0),
            f(y + 10.0)
        );
    }
    o.push_str("</svg>\n");
    o
}
