//! The classifier: a verdict on every report — true deadlock, false
//! positive, PREEMPT_RT-only, locking bug, lockdep-internal, or
//! undetermined — with the rule that decided it, a confidence, the evidence
//! and a fix.
//!
//! Rules are a table (`rules.toml`: id, class, confidence, what they look
//! for, what they conclude, kernels, fix, references) and each rule id has
//! one small predicate in [`predicates`] over the typed report and its
//! allocation-context walk. Predicates never look at raw text. The first
//! rule that fires (table order) is the primary one; all that fire are
//! listed.

mod predicates;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::kernel::version::KernelVersion;
use crate::model::Report;
use crate::walk::{RulesUsed, TraceWalk};

/// The verdict classes (JSON `verdict.class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    TrueDeadlock,
    FalsePositive,
    RtOnly,
    LockingBug,
    LockdepInternal,
    Undetermined,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::TrueDeadlock,
        Class::FalsePositive,
        Class::RtOnly,
        Class::LockingBug,
        Class::LockdepInternal,
        Class::Undetermined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::TrueDeadlock => "true_deadlock",
            Class::FalsePositive => "false_positive",
            Class::RtOnly => "rt_only",
            Class::LockingBug => "locking_bug",
            Class::LockdepInternal => "lockdep_internal",
            Class::Undetermined => "undetermined",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a verdict is. Ordered low < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One step down (never below low).
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

/// One row of the rule table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub class: Class,
    pub confidence: Confidence,
    pub kinds: Vec<String>,
    pub kernels: String,
    pub looks_for: String,
    pub concludes: String,
    pub fix: String,
    pub references: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<Rule>,
}

/// The rule table, in priority order.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let file: RuleFile =
            toml::from_str(include_str!("rules.toml")).expect("embedded rule table parses");
        file.rule
    })
}

/// Look up one rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().iter().find(|r| r.id == id)
}

/// What a predicate found.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    /// The facts used (frames, lock classes, walk states), one per line.
    pub evidence: Vec<String>,
    /// Sentences naming the frames, locks and flags that prove it.
    pub explanation: String,
    /// A sharper fix than the rule's generic one (names the lock/site).
    pub fix: Option<String>,
    /// Lower the rule's confidence, with the reason.
    pub weaker: Option<String>,
}

/// A rule that fired on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHit {
    pub rule: String,
    pub class: Class,
    pub confidence: Confidence,
}

/// The verdict on one report (JSON `verdict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub class: Class,
    /// The primary rule's id (`undetermined` when none fired).
    pub rule: String,
    pub confidence: Confidence,
    /// One sentence.
    pub summary: String,
    /// A paragraph naming the frames, locks and flags that prove it.
    pub explanation: String,
    pub evidence: Vec<String>,
    pub fix: String,
    pub references: Vec<String>,
    /// Every rule that fired, the primary first.
    pub rules: Vec<RuleHit>,
}

/// What a predicate sees.
pub struct Ctx<'a> {
    pub report: &'a Report,
    pub walks: &'a [TraceWalk],
    pub walk_rules: &'a RulesUsed,
    /// The kernel version the report printed (`None` when it did not).
    pub version: Option<KernelVersion>,
}

/// Why confidence drops for this report, if it does: the taint flags that
/// make lockdep's picture less trustworthy (an earlier warning or oops,
/// proprietary, out-of-tree, unsigned or forced modules, bad pages), from
/// the taint table (`kernel/data/taint.toml`).
fn taint_caveat(r: &Report) -> Option<String> {
    let why = crate::kernel::taint::caveats(r.taint.as_ref()?);
    (!why.is_empty()).then(|| why.join("; "))
}

/// Classify one report.
pub fn classify(ctx: &Ctx<'_>) -> Verdict {
    let mut hits: Vec<(&'static Rule, Finding)> = Vec::new();
    for rule in rules() {
        if !rule.kinds.iter().any(|k| k == ctx.report.kind.as_str()) {
            continue;
        }
        if let Some(f) = predicates::run(&rule.id, ctx) {
            hits.push((rule, f));
        }
    }
    let caveat = taint_caveat(ctx.report);
    let confidence_of = |rule: &Rule, f: &Finding| {
        let mut c = rule.confidence;
        if f.weaker.is_some() {
            c = c.lower();
        }
        if caveat.is_some() {
            c = c.lower();
        }
        c
    };
    let rule_hits: Vec<RuleHit> = hits
        .iter()
        .map(|(rule, f)| RuleHit {
            rule: rule.id.clone(),
            class: rule.class,
            confidence: confidence_of(rule, f),
        })
        .collect();
    let Some((rule, finding)) = hits.first() else {
        return undetermined(ctx);
    };
    let confidence = confidence_of(rule, finding);
    let mut explanation = finding.explanation.clone();
    if let Some(w) = &finding.weaker {
        explanation.push_str(&format!(" Confidence lowered: {w}."));
    }
    if let Some(c) = &caveat {
        explanation.push_str(&format!(" Confidence lowered: {c}."));
    }
    Verdict {
        class: rule.class,
        rule: rule.id.clone(),
        confidence,
        summary: first_sentence(&rule.concludes),
        explanation: format!("{} {}", explanation, rule.concludes)
            .trim()
            .to_string(),
        evidence: finding.evidence.clone(),
        fix: finding.fix.clone().unwrap_or_else(|| rule.fix.clone()),
        references: rule.references.clone(),
        rules: rule_hits,
    }
}

/// The first sentence of `s` (up to the first ". ").
fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

/// No rule decided: say what was missing.
fn undetermined(ctx: &Ctx<'_>) -> Verdict {
    let r = ctx.report;
    let mut missing = Vec::new();
    if !r.complete {
        missing.push("the report is incomplete".to_string());
    }
    if r.kind == crate::model::ReportKind::HeldLocksDump {
        missing.push(
            "a held-locks dump (hung task) is not a lockdep finding by itself: look at the blocked task's stack and who owns the locks it waits for".to_string(),
        );
    }
    if r.lockdep_off {
        missing.push(
            "lockdep was already turned off (an earlier splat or a capacity limit), so held locks were not printed: find the first lockdep report of the boot".to_string(),
        );
    }
    if missing.is_empty() {
        missing.push(format!("no rule covers this {} report", r.kind));
    }
    Verdict {
        class: Class::Undetermined,
        rule: "undetermined".to_string(),
        confidence: Confidence::Low,
        summary: "Undetermined: no rule could decide this report.".to_string(),
        explanation: format!("Missing: {}.", missing.join("; ")),
        evidence: Vec::new(),
        fix: "Read the report by hand; the allocation-context walk and the chain show what lockdep saw."
            .to_string(),
        references: Vec::new(),
        rules: Vec::new(),
    }
}

/// Text for `splatdec rules`: one line per rule.
pub fn rules_list() -> String {
    let mut out = String::new();
    for r in rules() {
        out.push_str(&format!(
            "{:32} {:16} {:6}  {}\n",
            r.id,
            r.class.as_str(),
            r.confidence.as_str(),
            r.kinds.join(",")
        ));
    }
    out
}

/// Text for `splatdec rules ID`.
pub fn rule_text(r: &Rule) -> String {
    format!(
        "{}\n  class:       {}\n  confidence:  {} (default)\n  kinds:       {}\n  kernels:     {}\n\nLooks for:\n  {}\n\nConcludes:\n  {}\n\nFix:\n  {}\n\nReferences:\n{}",
        r.id,
        r.class,
        r.confidence.as_str(),
        r.kinds.join(", "),
        r.kernels,
        r.looks_for,
        r.concludes,
        r.fix,
        r.references.iter().map(|x| format!("  - {x}\n")).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_every_rule_has_a_predicate() {
        assert!(rules().len() >= 25);
        for r in rules() {
            assert!(predicates::known(&r.id), "{} has no predicate", r.id);
            for k in &r.kinds {
                assert!(
                    crate::model::ReportKind::ALL
                        .iter()
                        .any(|x| x.as_str() == k),
                    "{}: unknown kind {k}",
                    r.id
                );
            }
            assert!(!r.references.is_empty(), "{} has no reference", r.id);
        }
        let mut ids: Vec<_> = rules().iter().map(|r| &r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rules().len(), "duplicate rule ids");
    }
}
