//! What the stages after parsing derive from one report, bundled for the
//! renderers, the lock graph and triage: the walk's allocation context, the
//! classifier's verdict and the known issue it matches ([`known`]). The
//! report's lock cycle is computed by [`crate::cycle`], below the
//! classifier, which reads it too.

pub mod known;

use serde::Serialize;

use crate::classify;
use crate::kernel;
use crate::kernel::known::KnownTable;
use crate::model::Report;
use crate::walk::{self, RulesUsed, TraceWalk, WalkOptions};

/// A report with everything the later stages derived from it. Serialized
/// flat: the report's fields, then `walk_rules` and `gfp_walk`.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The decoded report (its fields are the top level of the JSON).
    #[serde(flatten)]
    pub report: Report,
    /// The kernel rules the walk used and where the version came from.
    pub walk_rules: RulesUsed,
    /// The allocation context along every stack, outermost frame first.
    pub gfp_walk: Vec<TraceWalk>,
    /// Is it a real deadlock, a false positive, ...: the classifier's verdict
    /// (raised from `undetermined` by a known-issue match, see [`known`]).
    pub verdict: classify::Verdict,
    /// The known issue the report matches, if any (JSON `known`, left out
    /// when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<known::KnownMatch>,
}

/// Run the stages after parsing on one report, matching it against the
/// built-in known issues ([`analyze_with_known`] for another table).
pub fn analyze(report: Report, opts: &WalkOptions<'_>) -> Analysis {
    analyze_with_known(report, opts, KnownTable::builtin())
}

/// Run the stages after parsing on one report.
///
/// With `--kernel`, the report is also classified by the rules of the
/// version it prints (or the newest rules when it prints none). When the
/// two outcomes differ the verdict says why, naming the kernel changes
/// between the two versions and the first frame where the walks part; a
/// `--kernel` value never turns a decided report into `undetermined`
/// silently: the decision of the report's own rules is kept, one
/// confidence step lower, and the explanation says so.
///
/// The report is then matched against `known`; a match is recorded beside
/// the verdict, and raises an `undetermined` verdict to the entry's class at
/// medium confidence, unless the report's kernel should already have the
/// fix ([`apply_known`]).
pub fn analyze_with_known(report: Report, opts: &WalkOptions<'_>, known: &KnownTable) -> Analysis {
    let (walk_rules, gfp_walk) = walk::walk_report(&report, opts);
    let version = report.kernel.as_ref().and_then(|k| k.version());
    let mut verdict = classify::classify(&classify::Ctx {
        report: &report,
        walks: &gfp_walk,
        walk_rules: &walk_rules,
        version,
    });
    if opts.kernel.is_some() {
        let own = WalkOptions {
            kernel: None,
            ..*opts
        };
        let (own_rules, own_walk) = walk::walk_report(&report, &own);
        if own_rules.version != walk_rules.version {
            let own_verdict = classify::classify(&classify::Ctx {
                report: &report,
                walks: &own_walk,
                walk_rules: &own_rules,
                version,
            });
            verdict = reconcile(
                verdict,
                own_verdict,
                &Side {
                    rules: &walk_rules,
                    walks: &gfp_walk,
                },
                &Side {
                    rules: &own_rules,
                    walks: &own_walk,
                },
            );
        }
    }
    let mut known = known::find(&report, known);
    if let Some(k) = known.as_mut() {
        apply_known(&mut verdict, k);
    }
    Analysis {
        report,
        walk_rules,
        gfp_walk,
        verdict,
        known,
    }
}

/// The rule id a verdict raised by a known-issue match carries.
pub const KNOWN_RULE: &str = "known-issue";

/// Let a known-issue match speak in the verdict. Only an `undetermined`
/// verdict changes: it takes the entry's class at medium confidence (the
/// match is by kind, classes and functions, not proof of the same bug),
/// and not when the report's kernel should already have the fix (then the
/// report may be a regression or another bug, and stays undetermined). A
/// decided verdict stands; when it disagrees with the entry the
/// explanation says both.
pub fn apply_known(v: &mut classify::Verdict, k: &mut known::KnownMatch) {
    use classify::{Class, Confidence, RuleHit};
    let evidence = match_evidence(k);
    if v.class != Class::Undetermined {
        if v.class != k.verdict {
            v.explanation = format!(
                "{} Known issue {} matches this report and was resolved upstream as {}, while rule {} concludes {}: check which applies.",
                v.explanation, k.id, k.verdict, v.rule, v.class
            );
        }
        return;
    }
    if k.kernel_predates_fix == Some(false) {
        v.explanation = format!(
            "{} The report matches known issue {} ({}), but {}; the verdict is left undetermined.",
            v.explanation, k.id, k.verdict, k.kernel_note
        );
        return;
    }
    k.raised_verdict = true;
    v.class = k.verdict;
    v.rule = KNOWN_RULE.to_string();
    v.confidence = Confidence::Medium;
    v.summary = format!("Known issue {}: {}", k.id, k.summary);
    v.explanation = format!(
        "No classifier rule decides this report, but it matches known issue {} ({}; {}), which upstream resolved as {}: {} Fixed by {} (\"{}\"){}; {}. Medium confidence: a match by kind, lock classes and functions, not proof that it is the same bug.",
        k.id,
        k.origin,
        evidence.join("; "),
        k.verdict,
        k.summary,
        k.short_commit(),
        k.fix_subject,
        k.fixed_in
            .as_deref()
            .map(|f| format!(" in {f}"))
            .unwrap_or_default(),
        k.kernel_note
    );
    v.evidence = evidence;
    v.fix = format!(
        "Upstream fix: {} (\"{}\"){}; backport it if this kernel lacks it.",
        k.short_commit(),
        k.fix_subject,
        k.fixed_in
            .as_deref()
            .map(|f| format!(", first in {f}"))
            .unwrap_or_default()
    );
    v.references = vec![k.lore.clone()];
    v.rules = vec![RuleHit {
        rule: KNOWN_RULE.to_string(),
        class: k.verdict,
        confidence: Confidence::Medium,
    }];
}

/// The facts a known-issue match rests on, one per line.
fn match_evidence(k: &known::KnownMatch) -> Vec<String> {
    let mut out = Vec::new();
    if !k.matched_classes.is_empty() {
        out.push(format!("lock classes {}", k.matched_classes.join(", ")));
    }
    out.push(format!("functions {}", k.matched_functions.join(", ")));
    out
}

/// One classification of a report: the rules it used and its walks.
struct Side<'a> {
    rules: &'a RulesUsed,
    walks: &'a [TraceWalk],
}

/// `asked` is the verdict under `--kernel`, `own` the one under the
/// report's own (or the newest) rules. Same outcome: `asked` unchanged.
/// Otherwise the explanation names what differs; when only `own` decides,
/// its decision is kept one confidence step lower.
fn reconcile(
    asked: classify::Verdict,
    own: classify::Verdict,
    a: &Side<'_>,
    o: &Side<'_>,
) -> classify::Verdict {
    use classify::Class;
    if asked.class == own.class && asked.rule == own.rule {
        return asked;
    }
    let why = version_difference(a, o);
    let own_name = match o.rules.from {
        walk::RulesFrom::Report => format!("the report's own kernel rules ({})", o.rules.version),
        walk::RulesFrom::Kernel | walk::RulesFrom::Newest => {
            format!("the default rules ({})", o.rules.version)
        }
    };
    let asked_name = format!("the --kernel {} rules", a.rules.version);
    match (asked.class, own.class) {
        (Class::Undetermined, _) => {
            let mut v = own;
            v.confidence = v.confidence.lower();
            if let Some(first) = v.rules.first_mut() {
                first.confidence = v.confidence;
            }
            v.explanation = format!(
                "Decided with {own_name}: with {asked_name} no rule decides this report. {why} {} Confidence lowered: the report and the --kernel version disagree, so check which kernel printed it.",
                v.explanation
            );
            v.evidence.push(format!(
                "--kernel {}: no rule decides; {} rules: {} ({})",
                a.rules.version, o.rules.version, v.rule, v.class
            ));
            v
        }
        (_, Class::Undetermined) => {
            let mut v = asked;
            v.explanation = format!(
                "{} With {own_name} no rule would decide it. {why}",
                v.explanation
            );
            v
        }
        _ => {
            let mut v = asked;
            v.explanation = format!(
                "{} With {own_name} rule {} would conclude {} instead. {why}",
                v.explanation, own.rule, own.class
            );
            v
        }
    }
}

/// Why two versions' walks differ: the lockdep reclaim changes between
/// them, the GFP layouts, and the first frame where the walks part.
fn version_difference(a: &Side<'_>, o: &Side<'_>) -> String {
    let mut facts: Vec<String> = Vec::new();
    for r in kernel::task::lockdep_changes_between(a.rules.version, o.rules.version) {
        facts.push(format!("from {}, {}", r.since, r.change));
    }
    if a.rules.layout != o.rules.layout {
        facts.push(format!(
            "the GFP bit layout differs ({} for {}, {} for {})",
            a.rules.layout, a.rules.version, o.rules.layout, o.rules.version
        ));
    }
    if let Some(f) = first_divergence(a, o) {
        facts.push(f);
    }
    if facts.is_empty() {
        return format!(
            "The walks of {} and {} do not differ in any frame; the rules that decide read the kernel version itself.",
            a.rules.version, o.rules.version
        );
    }
    format!("Kernel facts: {}.", facts.join("; "))
}

/// The first frame (in walk order) whose state differs between the two
/// walks of the same stack.
fn first_divergence(a: &Side<'_>, o: &Side<'_>) -> Option<String> {
    for wa in a.walks {
        let Some(wo) = o.walks.iter().find(|w| w.stack == wa.stack) else {
            continue;
        };
        for (fa, fo) in wa.frames.iter().zip(&wo.frames) {
            if fa.note != fo.note
                || fa.fs_reclaim_depth != fo.fs_reclaim_depth
                || fa.nested_fs_reclaim != fo.nested_fs_reclaim
            {
                let say = |f: &walk::WalkFrame| {
                    f.note
                        .clone()
                        .unwrap_or_else(|| format!("{}: no change", f.function))
                };
                return Some(format!(
                    "in the {} at {}, the {} walk reads '{}' where the {} walk reads '{}'",
                    wa.trace,
                    fa.function,
                    a.rules.version,
                    say(fa),
                    o.rules.version,
                    say(fo)
                ));
            }
        }
    }
    None
}
