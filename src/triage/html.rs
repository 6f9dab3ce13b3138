//! `splatdec triage --format html`: one self-contained page.
//!
//! Nothing is fetched: the CSS and the script are inline, the charts and
//! lock graphs are inline SVG, fonts are the reader's own (generic
//! families), and a Content-Security-Policy forbids every other source,
//! so the page can be opened from a mail attachment or a CI artifact
//! store as it is. The script only sorts, filters and expands what the
//! page already holds: it never builds markup from text, and every string
//! that came from the input is escaped here ([`escape::xml`]) before it is
//! written.
//!
//! The page is written as it is built (group by group), from the rows
//! and the kept details ([`super::group::Detail`]): one decoded report and
//! one small lock graph per group.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::classify::Class;
use crate::escape::{self, xml};
use crate::render::svg;

use super::baseline::{Mark, OldGroup};
use super::group::{tally, GroupBy, Row};
use super::output::Comparison;
use super::Outcome;

/// The colour of a verdict class on the page.
pub fn class_color(c: &str) -> Option<&'static str> {
    Some(match c {
        "true_deadlock" => "#c62828",
        "locking_bug" => "#8e24aa",
        "rt_only" => "#ef6c00",
        "false_positive" => "#2e7d32",
        "lockdep_internal" => "#607d8b",
        "undetermined" => "#90a4ae",
        "new" => "#e65100",
        "still" => "#78909c",
        "gone" => "#bdbdbd",
        _ => return None,
    })
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.2em 2em; color: #1c1c1c; background: #fafafa; }
h1 { font-size: 1.35em; margin: 0 0 .2em 0; }
.summary { margin: .2em 0; color: #333; }
.errors { color: #b71c1c; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; margin: 1em 0; padding: .8em; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
.controls { margin: .6em 0; display: flex; gap: .8em; align-items: center; flex-wrap: wrap; }
.controls input { font: inherit; padding: .25em .5em; min-width: 22em; }
.controls select { font: inherit; padding: .2em; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .92em; }
th { text-align: left; background: #eceff1; border-bottom: 2px solid #b0bec5; padding: .35em .5em; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \25B2"; font-size: .8em; }
th[aria-sort="descending"]::after { content: " \25BC"; font-size: .8em; }
td { padding: .3em .5em; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
td.path { overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody.group:hover > tr.row { background: #f5f8ff; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .95em; }
.badge { display: inline-block; padding: 0 .45em; border-radius: 3px; color: #fff; font-size: .85em; white-space: nowrap; }
.mark-new { background: #e65100; font-weight: bold; }
.mark-still { background: #90a4ae; }
.mark-gone { background: #bdbdbd; color: #333; text-decoration: line-through; }
tbody.gone td { color: #757575; }
button.toggle { font: inherit; border: 1px solid #b0bec5; background: #fff; border-radius: 3px; cursor: pointer; padding: 0 .4em; margin-right: .3em; }
tr.detail > td { background: #fcfcfc; padding: .6em 1em; }
tr.detail pre { white-space: pre-wrap; font-size: .85em; margin: .4em 0; max-height: 40em; overflow: auto; background: #f4f4f4; padding: .6em; border-radius: 4px; }
.cycle { overflow-x: auto; margin: .3em 0; }
.key { color: #555; font-size: .85em; }
footer { margin-top: 1.5em; color: #777; font-size: .85em; }
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var table = document.getElementById('groups');
  if (!table) { return; }
  var heads = Array.prototype.slice.call(table.querySelectorAll('th[data-key]'));
  var state = { key: null, dir: 1 };
  function value(body, key, type) {
    var v = body.getAttribute('data-' + key) || '';
    return type === 'num' ? Number(v) : v;
  }
  function sortBy(th) {
    var key = th.getAttribute('data-key');
    var type = th.getAttribute('data-type');
    var dir = state.key === key ? -state.dir : (type === 'num' ? -1 : 1);
    state = { key: key, dir: dir };
    var bodies = Array.prototype.slice.call(table.tBodies);
    bodies.sort(function (a, b) {
      var x = value(a, key, type), y = value(b, key, type);
      var c = type === 'num' ? x - y : String(x).localeCompare(String(y));
      if (c === 0) { return Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')); }
      return c * dir;
    });
    bodies.forEach(function (b) { table.appendChild(b); });
    heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
  }
  heads.forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener('click', function () { sortBy(th); });
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(th); }
    });
  });
  var filter = document.getElementById('filter');
  var verdict = document.getElementById('verdict');
  var mark = document.getElementById('mark');
  var shown = document.getElementById('shown');
  function apply() {
    var q = filter.value.trim().toLowerCase();
    var v = verdict.value;
    var m = mark ? mark.value : '';
    var n = 0, all = table.tBodies.length;
    Array.prototype.forEach.call(table.tBodies, function (b) {
      var ok = (!q || (b.getAttribute('data-text') || '').indexOf(q) >= 0) &&
               (!v || b.getAttribute('data-verdict') === v) &&
               (!m || b.getAttribute('data-mark') === m);
      b.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + ' of ' + all + ' groups shown';
  }
  filter.addEventListener('input', apply);
  verdict.addEventListener('change', apply);
  if (mark) { mark.addEventListener('change', apply); }
  Array.prototype.forEach.call(document.querySelectorAll('button.toggle'), function (b) {
    b.addEventListener('click', function () {
      var body = b.closest('tbody');
      var detail = body && body.querySelector('tr.detail');
      if (!detail) { return; }
      var open = detail.hidden;
      detail.hidden = !open;
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
      b.textContent = open ? '\u25BE' : '\u25B8';
    });
  });
  apply();
})();
"#;

fn reports(n: u64) -> String {
    format!("{n} report{}", if n == 1 { "" } else { "s" })
}

/// Write the page.
pub fn write(
    out: &mut dyn Write,
    o: &Outcome,
    by: GroupBy,
    shown: &[Row],
    total: usize,
    cmp: Option<&Comparison<'_>>,
) -> io::Result<()> {
    let signatures = tally(&o.cells, |_, _| ())
        .get(&())
        .map_or(0, |t| t.signatures);
    let headline = format!(
        "{} report{}, {} signature{} in {} input{} ({} crash director{}, {} bytes read)",
        o.reports,
        if o.reports == 1 { "" } else { "s" },
        signatures,
        if signatures == 1 { "" } else { "s" },
        o.inputs,
        if o.inputs == 1 { "" } else { "s" },
        o.crash_dirs,
        if o.crash_dirs == 1 { "y" } else { "ies" },
        o.bytes
    );
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta name=\"generator\" content=\"splatdec {}\">",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "<title>splatdec triage: {}</title>", xml(&headline))?;
    writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(out, "<header>\n<h1>splatdec triage</h1>")?;
    writeln!(out, "<p class=\"summary\">{}</p>", xml(&headline))?;
    if let Some(c) = cmp {
        let k = &c.counts;
        writeln!(
            out,
            "<p class=\"summary\">against <span class=\"mono\">{}</span>: <span class=\"badge mark-new\">{} new</span> ({}), <span class=\"badge mark-still\">{} still</span> ({}), <span class=\"badge mark-gone\">{} gone</span> ({} in the baseline)</p>",
            xml(&c.baseline.path),
            k.new,
            reports(k.new_reports),
            k.still,
            reports(k.still_reports),
            k.gone,
            reports(k.gone_reports)
        )?;
    }
    if !o.errors.is_empty() {
        writeln!(
            out,
            "<p class=\"errors\">{} unreadable input{} (exit status 2):</p>\n<ul class=\"errors\">",
            o.errors.len(),
            if o.errors.len() == 1 { "" } else { "s" }
        )?;
        for e in &o.errors {
            writeln!(
                out,
                "<li><span class=\"mono\">{}</span>: {}</li>",
                xml(&e.path),
                xml(&e.reason)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</header>")?;
    charts(out, o, cmp)?;
    table(out, by, shown, total, cmp)?;
    writeln!(
        out,
        "<footer>Written by splatdec {}; every verdict names the rule that decided it (<span class=\"mono\">splatdec rules RULE</span> explains it).</footer>",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>")?;
    Ok(())
}

/// Bars a chart shows; the rest are summed into one.
const CHART_BARS: usize = 8;

/// Largest first, the map's order breaking ties; past [`CHART_BARS`] the
/// rest as one `N others` bar.
fn largest_first<K: ToString>(m: BTreeMap<K, super::group::Tally>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = m
        .into_iter()
        .map(|(k, t)| (k.to_string(), t.reports))
        .collect();
    v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    if v.len() > CHART_BARS {
        let rest: Vec<(String, u64)> = v.split_off(CHART_BARS - 1);
        let sum = rest.iter().map(|(_, n)| n).sum();
        v.push((format!("{} others", rest.len()), sum));
    }
    v
}

fn charts(out: &mut dyn Write, o: &Outcome, cmp: Option<&Comparison<'_>>) -> io::Result<()> {
    writeln!(out, "<section class=\"charts\" aria-label=\"summary\">")?;
    let by_verdict = largest_first(tally(&o.cells, |k, _| k.verdict.as_str()));
    let by_rule = largest_first(tally(&o.cells, |k, _| k.rule.clone()));
    let by_kind = largest_first(tally(&o.cells, |_, c| c.kind.as_str()));
    let none = |_: &str| None;
    out.write_all(svg::bars("reports by verdict", &by_verdict, &class_color).as_bytes())?;
    out.write_all(svg::bars("reports by rule", &by_rule, &none).as_bytes())?;
    out.write_all(svg::bars("reports by kind", &by_kind, &none).as_bytes())?;
    if let Some(c) = cmp {
        let k = &c.counts;
        let items = vec![
            ("new".to_string(), k.new as u64),
            ("still".to_string(), k.still as u64),
            ("gone".to_string(), k.gone as u64),
        ];
        out.write_all(svg::bars("groups against the baseline", &items, &class_color).as_bytes())?;
    }
    writeln!(out, "</section>")
}

fn table(
    out: &mut dyn Write,
    by: GroupBy,
    shown: &[Row],
    total: usize,
    cmp: Option<&Comparison<'_>>,
) -> io::Result<()> {
    writeln!(out, "<section>")?;
    let noun = match by {
        GroupBy::Signature => "signatures",
        GroupBy::Title => "titles",
        GroupBy::Rule => "rules",
        GroupBy::Verdict => "verdicts",
    };
    writeln!(
        out,
        "<h2 style=\"font-size:1.1em\">{} of {total} {noun}{}</h2>",
        shown.len(),
        match cmp {
            Some(c) if !c.gone.is_empty() =>
                format!(", and {} gone since the baseline", c.gone.len()),
            _ => String::new(),
        }
    )?;
    writeln!(out, "<div class=\"controls\">")?;
    writeln!(
        out,
        "<input id=\"filter\" type=\"search\" placeholder=\"filter by title, lock, function, rule\" aria-label=\"filter\">"
    )?;
    writeln!(
        out,
        "<select id=\"verdict\" aria-label=\"verdict\"><option value=\"\">every verdict</option>"
    )?;
    for c in Class::ALL {
        writeln!(out, "<option value=\"{0}\">{0}</option>", c.as_str())?;
    }
    writeln!(out, "</select>")?;
    if cmp.is_some() {
        writeln!(
            out,
            "<select id=\"mark\" aria-label=\"baseline\"><option value=\"\">new, still and gone</option><option value=\"new\">new</option><option value=\"still\">still</option><option value=\"gone\">gone</option></select>"
        )?;
    }
    writeln!(out, "<span id=\"shown\"></span>\n</div>")?;
    writeln!(out, "<table id=\"groups\">\n<thead><tr>")?;
    let mut heads: Vec<(&str, &str, &str)> = vec![("count", "num", "reports")];
    if cmp.is_some() {
        heads.push(("mark", "", "baseline"));
    }
    heads.extend([
        ("verdict", "", "verdict"),
        ("rule", "", "rule"),
        ("kind", "", "kind"),
        ("title", "", "title"),
        ("guilty", "", "guilty frame"),
        ("first", "", "first seen"),
    ]);
    for (key, ty, label) in &heads {
        let ty = if ty.is_empty() {
            String::new()
        } else {
            format!(" data-type=\"{ty}\"")
        };
        writeln!(out, "<th data-key=\"{key}\"{ty} scope=\"col\">{label}</th>")?;
    }
    writeln!(out, "</tr></thead>")?;
    let cols = heads.len();
    for (i, r) in shown.iter().enumerate() {
        group(out, i, r, cmp.map(|c| c.marks[i]), cols, by)?;
    }
    if let Some(c) = cmp {
        for (j, (g, old)) in c.gone.iter().enumerate() {
            gone(out, shown.len() + j, g, old, cols)?;
        }
    }
    writeln!(out, "</table>\n</section>")
}

/// Lowercased searchable text of a group.
fn search_text(parts: &[&str]) -> String {
    parts.join(" \u{1f} ").to_lowercase()
}

fn group(
    out: &mut dyn Write,
    i: usize,
    r: &Row,
    mark: Option<Mark>,
    cols: usize,
    by: GroupBy,
) -> io::Result<()> {
    let guilty = r.guilty_frame.as_deref().unwrap_or("");
    let first = r.first.to_string();
    let mut parts: Vec<&str> = vec![
        &r.title,
        &r.rule,
        r.kind.as_str(),
        r.verdict.as_str(),
        guilty,
        &r.signature.key,
        &r.group,
        &first,
    ];
    parts.extend(r.titles.iter().map(String::as_str));
    let text = search_text(&parts);
    let mark_attr = mark
        .map(|m| format!(" data-mark=\"{m}\""))
        .unwrap_or_default();
    writeln!(
        out,
        "<tbody class=\"group\" data-index=\"{i}\" data-count=\"{}\" data-verdict=\"{}\" data-rule=\"{}\" data-kind=\"{}\" data-title=\"{}\" data-guilty=\"{}\" data-first=\"{}\"{mark_attr} data-text=\"{}\">",
        r.count,
        r.verdict.as_str(),
        xml(&r.rule),
        r.kind.as_str(),
        xml(&r.title),
        xml(guilty),
        xml(&first),
        xml(&text)
    )?;
    write!(out, "<tr class=\"row\"><td class=\"num\">{}</td>", r.count)?;
    if let Some(m) = mark {
        write!(out, "<td><span class=\"badge mark-{m}\">{m}</span></td>")?;
    }
    write!(
        out,
        "<td><span class=\"badge\" style=\"background:{}\">{}</span></td><td class=\"mono\">{}</td><td>{}</td>",
        class_color(r.verdict.as_str()).unwrap_or("#777"),
        r.verdict.as_str(),
        xml(&r.rule),
        r.kind.as_str()
    )?;
    write!(
        out,
        "<td><button class=\"toggle\" type=\"button\" aria-expanded=\"false\" title=\"show the decoded report\">\u{25B8}</button>{}",
        xml(&r.title)
    )?;
    let others: Vec<&str> = r
        .titles
        .iter()
        .map(String::as_str)
        .filter(|t| *t != r.title)
        .collect();
    if !others.is_empty() {
        write!(
            out,
            "<div class=\"key\">also titled: {}</div>",
            xml(&others.join("; "))
        )?;
    }
    if let Some(k) = &r.known {
        write!(
            out,
            "<div class=\"key\">known issue: <span class=\"mono\">{}</span> (<span class=\"mono\">splatdec known</span>)</div>",
            xml(k)
        )?;
    }
    writeln!(
        out,
        "</td><td class=\"mono path\">{}</td><td class=\"mono path\">{}</td></tr>",
        xml(guilty),
        xml(&first)
    )?;
    write!(out, "<tr class=\"detail\" hidden><td colspan=\"{cols}\">")?;
    let sig = if r.signatures > 1 {
        format!("{} (+{} more)", r.signature.hash, r.signatures - 1)
    } else {
        r.signature.hash.clone()
    };
    write!(
        out,
        "<div class=\"key\">{}{}signature <span class=\"mono\">{}</span>: <span class=\"mono\">{}</span></div>",
        if by != GroupBy::Signature && by != GroupBy::Title {
            format!("{}: {} · ", by.as_str(), xml(&r.group))
        } else {
            String::new()
        },
        if r.last != r.first {
            format!("last seen <span class=\"mono\">{}</span> · ", xml(&r.last.to_string()))
        } else {
            String::new()
        },
        xml(&sig),
        xml(&r.signature.key)
    )?;
    if r.verdicts.len() > 1 {
        let mixed: Vec<String> = r.verdicts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        write!(
            out,
            "<div class=\"key\">verdicts: {}</div>",
            xml(&mixed.join(", "))
        )?;
    }
    match &r.detail {
        Some(d) => {
            if !d.graph.is_empty() {
                write!(out, "<div class=\"cycle\">")?;
                out.write_all(d.graph.to_svg_with_id(&format!("g{i}")).as_bytes())?;
                write!(out, "</div>")?;
            }
            write!(
                out,
                "<pre class=\"report\">{}</pre>",
                escape::xml_block(d.text.trim_end())
            )?;
        }
        None => write!(out, "<p class=\"key\">(no decoded report kept)</p>")?,
    }
    writeln!(out, "</td></tr>\n</tbody>")
}

fn gone(out: &mut dyn Write, i: usize, group: &str, old: &OldGroup, cols: usize) -> io::Result<()> {
    let s = |k: &str| old.str(k).unwrap_or("");
    let text = search_text(&[
        s("title"),
        s("rule"),
        s("kind"),
        s("verdict"),
        s("guilty_frame"),
        s("key"),
        group,
    ]);
    writeln!(
        out,
        "<tbody class=\"group gone\" data-index=\"{i}\" data-count=\"0\" data-verdict=\"{}\" data-rule=\"{}\" data-kind=\"{}\" data-title=\"{}\" data-guilty=\"{}\" data-first=\"{}\" data-mark=\"gone\" data-text=\"{}\">",
        xml(s("verdict")),
        xml(s("rule")),
        xml(s("kind")),
        xml(s("title")),
        xml(s("guilty_frame")),
        xml(s("first")),
        xml(&text)
    )?;
    writeln!(
        out,
        "<tr class=\"row\"><td class=\"num\">0</td><td><span class=\"badge mark-gone\">gone</span></td><td><span class=\"badge\" style=\"background:{}\">{}</span></td><td class=\"mono\">{}</td><td>{}</td><td><button class=\"toggle\" type=\"button\" aria-expanded=\"false\" title=\"what the baseline said\">\u{25B8}</button>{}</td><td class=\"mono path\">{}</td><td class=\"mono path\">{}</td></tr>",
        class_color(s("verdict")).unwrap_or("#777"),
        xml(s("verdict")),
        xml(s("rule")),
        xml(s("kind")),
        xml(s("title")),
        xml(s("guilty_frame")),
        xml(s("first"))
    )?;
    writeln!(
        out,
        "<tr class=\"detail\" hidden><td colspan=\"{cols}\"><div class=\"key\">Not seen in this run. The baseline (its line {}) had {} report{} in this group, first <span class=\"mono\">{}</span>, last <span class=\"mono\">{}</span>; signature key <span class=\"mono\">{}</span>.</div></td></tr>\n</tbody>",
        old.line,
        old.count,
        if old.count == 1 { "" } else { "s" },
        xml(s("first")),
        xml(s("last")),
        xml(s("key"))
    )
}
