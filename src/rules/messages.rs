//! Every message a rule gives, rendered and read by the [`lint`](super::lint): against the
//! recorded vendors (the three facts files of `fixtures/facts/`, built into the binary so the
//! check does not depend on where it runs, plus any the caller adds) and against each of the
//! rule's own `[[rule.example]]` facts. Pure: the caller reads any extra facts files.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::examples;
use super::lint::{self, Context, Offence, Threshold, Unit};
use super::shape::Shape;
use super::{CompiledRule, RuleSet};
use crate::assessment::Assessment;
use crate::diag::Problem;
use crate::engine::{self, Inputs};

/// The recorded vendors every rule's messages are rendered against: (name, facts file).
pub const RECORDED: &[(&str, &str)] = &[
    ("strong", include_str!("../../fixtures/facts/strong.json")),
    ("weak", include_str!("../../fixtures/facts/weak.json")),
    ("mixed", include_str!("../../fixtures/facts/mixed.json")),
];

/// A vendor's facts to render messages against.
pub struct Vendor {
    /// How an offence names where its message came from (`strong`, a file name).
    pub name: String,
    pub assessment: Assessment,
}

/// The built-in recorded vendors.
pub fn recorded() -> Vec<Vendor> {
    RECORDED
        .iter()
        .map(|(name, text)| Vendor {
            name: (*name).to_string(),
            // Checked by this module's tests and by `tests/fixtures.rs`.
            assessment: serde_json::from_str(text).expect("a recorded facts file parses"),
        })
        .collect()
}

/// What the check saw: how many messages it read and every offence, once per rule, kind
/// and piece of text, as a problem at the rule's line (an example's message: the example's).
pub struct Outcome {
    pub messages: usize,
    pub problems: Vec<Problem>,
}

/// Render every message of the rules `keep` selects against `vendors` and the rules' own
/// examples, and lint each.
pub fn check(rules: &RuleSet, vendors: &[Vendor], keep: impl Fn(&CompiledRule) -> bool) -> Outcome {
    let fields = Context::facts_fields();
    let kept: BTreeMap<&str, &CompiledRule> = rules
        .rules
        .iter()
        .filter(|r| keep(r))
        .map(|r| (r.rule.id.as_str(), r))
        .collect();
    let mut found = Found::default();
    // Every pack with a rule to read runs, the opt-in ones too: a message nobody renders is a
    // message nobody checked. The others need not run.
    let packs: BTreeSet<String> = kept.values().map(|r| r.rule.pack.clone()).collect();
    // One thread per vendor: evaluation is pure, and a pack of many rules takes a while.
    let evaluated: Vec<Vec<engine::Finding>> = std::thread::scope(|scope| {
        let handles: Vec<_> = vendors
            .iter()
            .map(|v| scope.spawn(|| evaluate(rules, &v.assessment, &packs)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (v, findings) in vendors.iter().zip(&evaluated) {
        for f in findings {
            let (Some(cr), Some(msg)) = (kept.get(f.rule.as_str()), &f.message) else {
                continue;
            };
            let ctx = context(rules, cr, &v.assessment.params, &fields);
            found.add(
                cr,
                cr.rule.line,
                msg,
                &format!("vendor `{}`, {}", v.name, f.resource),
                &ctx,
            );
        }
    }
    let shape = Shape::facts();
    for cr in kept.values() {
        for ex in &cr.rule.examples {
            let out = examples::run(rules, &shape, cr, ex);
            if let Some(msg) = &out.message {
                let ctx = context(rules, cr, &ex.params.clone().into_iter().collect(), &fields);
                let note = ex.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                found.add(
                    cr,
                    ex.line,
                    msg,
                    &format!("the example at line {}{note}", ex.line),
                    &ctx,
                );
            }
        }
    }
    Outcome {
        messages: found.messages,
        problems: found.problems(rules),
    }
}

/// Every finding of the packs `packs` for one vendor.
fn evaluate(rules: &RuleSet, a: &Assessment, packs: &BTreeSet<String>) -> Vec<engine::Finding> {
    let as_of = NaiveDate::parse_from_str(&a.as_of, "%Y-%m-%d").unwrap_or_default();
    let mut facts = a.facts.clone();
    facts.rebase_ages(as_of);
    let Ok(facts) = serde_json::to_value(&facts) else {
        return Vec::new();
    };
    engine::evaluate(
        rules,
        &Inputs {
            facts: &facts,
            as_of,
            params: &a.params,
            attestations: &a.attestations,
            waivers: &a.waivers,
            packs,
        },
    )
}

/// The lint's context for one rule: the fact fields, and the parameters it reads with units.
fn context(
    rules: &RuleSet,
    cr: &CompiledRule,
    set: &BTreeMap<String, serde_json::Value>,
    fields: &BTreeSet<String>,
) -> Context {
    let mut fields = fields.clone();
    fields.extend(rules.params.keys().cloned());
    let thresholds = cr
        .rule
        .params_read
        .iter()
        .filter_map(|p| {
            let def = rules.params.get(p)?;
            let unit = Unit::of_param(p, def.description.as_deref())?;
            let value = set.get(p).unwrap_or(&def.default).as_f64()?;
            Some(Threshold { value, unit })
        })
        .collect();
    Context { fields, thresholds }
}

#[derive(Default)]
struct Found {
    messages: usize,
    /// (rule id, offence) → (line, where it was rendered, the message).
    seen: BTreeMap<(String, Offence), (usize, String, String)>,
}

impl Found {
    fn add(&mut self, cr: &CompiledRule, line: usize, msg: &str, whence: &str, ctx: &Context) {
        self.messages += 1;
        for o in lint::lint(msg, ctx) {
            self.seen
                .entry((cr.rule.id.clone(), o))
                .or_insert_with(|| (line, whence.to_string(), msg.to_string()));
        }
    }

    fn problems(self, rules: &RuleSet) -> Vec<Problem> {
        let file_of = |rule: &str| {
            let pack = rules.rule(rule).map(|r| r.rule.pack.clone()).unwrap_or_default();
            rules
                .packs
                .iter()
                .find(|p| p.id == pack)
                .map_or(pack, |p| p.source.file.clone())
        };
        let mut out: Vec<Problem> = self
            .seen
            .into_iter()
            .map(|((rule, o), (line, whence, msg))| Problem {
                file: file_of(&rule),
                line,
                column: 1,
                message: format!(
                    "message of rule `{rule}` shows {}: `{}`\n  rendered for {whence}: \"{msg}\"",
                    o.kind.as_str(),
                    o.text
                ),
                help: Some(o.kind.help().to_string()),
                snippet: None,
            })
            .collect();
        out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_vendors_parse() {
        let v = recorded();
        assert_eq!(v.len(), 3);
        assert!(v.iter().all(|v| !v.assessment.facts.endpoints.is_empty()));
    }

    fn pack(message: &str) -> RuleSet {
        let src = format!(
            r#"[pack]
id = "t"
title = "T"
version = "1"

[params]
t_max_days = {{ default = 30, floor = 30, stricter = "lower" }}

[[rule]]
id = "t-ocsp"
title = "OCSP"
category = "encryption"
severity = "low"
force = "practice"
refs = ["RFC 6960"]
each = "endpoints"
assert = "it.tls.ocsp_stapling == true && params.t_max_days > 0"
message = "{message}"
description = "d"
remediation = "r"

[[rule.example]]
status = "fail"
it.tls.ocsp_stapling = false
"#
        );
        RuleSet::from_sources(&[("t.toml".into(), src, false)], false, vec![]).expect("pack loads")
    }

    #[test]
    fn offences_are_named_at_the_rule_with_the_message() {
        let set = pack("stapled: {{ it.tls.ocsp_stapling }}; limit {{ params.t_max_days }}");
        let out = check(&set, &recorded(), |_| true);
        let text: Vec<String> = out
            .problems
            .iter()
            .map(|p| format!("{}:{} {}", p.file, p.line, p.message))
            .collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("t.toml:9 ") && t.contains("a raw true/false/null: `false`")),
            "{text:#?}"
        );
        assert!(text.iter().any(|t| t.contains("without its unit: `30`")), "{text:#?}");
        // Once per rule and offence, with where it was first rendered.
        assert_eq!(out.problems.iter().filter(|p| p.message.contains("`false`")).count(), 1);
        assert!(out.messages >= 2, "{}", out.messages);
    }

    #[test]
    fn a_plain_message_passes() {
        let set = pack(
            "{{ it.tls.ocsp_stapling == false ? 'the certificate status is not stapled' : 'stapling unknown' }}; limit {{ params.t_max_days }} days",
        );
        let out = check(&set, &recorded(), |_| true);
        assert!(out.problems.is_empty(), "{:#?}", out.problems);
    }
}
