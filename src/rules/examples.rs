//! A rule's worked examples (`[[rule.example]]`), run through the real engine: facts written
//! beside the rule and the status they must give. This is how a pack author proves a rule and
//! how a fixed verdict stays fixed. Pure: no I/O, no clock.
//!
//! An example gives only the facts the rule reads; every other field of the facts tree is
//! filled from the facts schema (an absent field is null, an absent list empty), so an example
//! reads like the evidence it describes and survives new facts being added.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::shape::Shape;
use super::{CompiledRule, Example, RuleSet};
use crate::diag::Problem;
use crate::engine::{self, Attestation, Inputs, Status};

/// The run date of an example that names none.
pub const DEFAULT_AS_OF: &str = "2026-06-01";

/// What one example gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The status the rule gave; `None` when it gave no finding at all (an optional rule with
    /// nothing to read).
    pub got: Option<Status>,
    /// The finding's message, for the report of a wrong example.
    pub message: Option<String>,
}

impl Outcome {
    pub fn matches(&self, want: Status) -> bool {
        self.got == Some(want)
    }
}

/// The facts tree of an example: its `facts` and `it` laid over the schema's empty tree.
pub fn facts_of(shape: &Shape, rule: &CompiledRule, ex: &Example) -> Value {
    let mut given = match &ex.facts {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => Value::Object(Map::new()),
    };
    if let (Some(it), Some(each)) = (&ex.it, &rule.rule.each) {
        push_at(&mut given, each, it.clone());
    }
    crate::facts::fill_absent(shape, &given)
}

/// Append `item` to the list at the dotted `path` of `root`, creating what is missing.
fn push_at(root: &mut Value, path: &str, item: Value) {
    let mut v = root;
    for part in path.split('.') {
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        let Value::Object(m) = v else { return };
        v = m.entry(part.to_string()).or_insert(Value::Null);
    }
    match v {
        Value::Array(a) => a.push(item),
        other => *other = Value::Array(vec![item]),
    }
}

/// Evaluate one example of `rule` (a rule of `rules`).
pub fn run(rules: &RuleSet, shape: &Shape, rule: &CompiledRule, ex: &Example) -> Outcome {
    let facts = facts_of(shape, rule, ex);
    let as_of = ex
        .as_of
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or_else(|| NaiveDate::parse_from_str(DEFAULT_AS_OF, "%Y-%m-%d").ok())
        .unwrap_or_default();
    let attestations: Vec<Attestation> = if ex.attested {
        vec![Attestation {
            rule: rule.rule.id.as_str().into(),
            evidence: Some("example".into()),
            evidence_sha256: None,
            attested_by: "the example".into(),
            date: crate::manifest::IsoDate(as_of.format("%Y-%m-%d").to_string()),
            expires: None,
        }]
    } else {
        Vec::new()
    };
    let packs: BTreeSet<String> = [rule.rule.pack.clone()].into();
    let params = ex.params.clone().into_iter().collect();
    let inp = Inputs {
        facts: &facts,
        as_of,
        params: &params,
        attestations: &attestations,
        waivers: &[],
        packs: &packs,
    };
    let found = engine::evaluate_rule(rules, &inp, &rule.rule.id);
    match found.into_iter().next() {
        Some(f) => Outcome {
            got: Some(f.status),
            message: f.message,
        },
        None => Outcome {
            got: None,
            message: None,
        },
    }
}

/// Every example of the rules `keep` selects that gives another status than it says, as a
/// problem at the example's line.
pub fn check(rules: &RuleSet, keep: impl Fn(&CompiledRule) -> bool) -> (usize, Vec<Problem>) {
    let shape = Shape::facts();
    let mut ran = 0;
    let mut problems = Vec::new();
    for cr in rules.rules.iter().filter(|r| keep(r)) {
        let file = rules
            .packs
            .iter()
            .find(|p| p.id == cr.rule.pack)
            .map(|p| p.source.file.clone())
            .unwrap_or_else(|| cr.rule.pack.clone());
        for ex in &cr.rule.examples {
            ran += 1;
            let out = run(rules, &shape, cr, ex);
            if out.matches(ex.status) {
                continue;
            }
            let got = out.got.map_or("no finding", |s| s.as_str());
            let note = ex.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            problems.push(Problem {
                file: file.clone(),
                line: ex.line,
                column: 1,
                message: format!(
                    "example of rule `{}`{note} expects `{}` but the rule gives `{got}`",
                    cr.rule.id,
                    ex.status.as_str()
                ),
                help: Some(match out.message {
                    Some(m) => format!("the rule said: {m}"),
                    None => {
                        "check the facts the example gives against `vetter rules explain` (what the rule reads)".into()
                    }
                }),
                snippet: None,
            });
        }
    }
    (ran, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(rule_extra: &str) -> RuleSet {
        let src = format!(
            r#"[pack]
id = "t"
title = "T"
version = "1"

[params]
min_days = {{ default = 30, floor = 30, stricter = "higher" }}

[[rule]]
id = "t-https"
title = "HTTPS"
category = "encryption"
severity = "high"
force = "addressable"
refs = ["45 CFR 164.312(e)(1)"]
each = "endpoints"
assert = "it.url.startsWith('https://')"
description = "d"
remediation = "r"
{rule_extra}
"#
        );
        RuleSet::from_sources(&[("t.toml".into(), src, false)], false, vec![]).expect("pack loads")
    }

    #[test]
    fn examples_run_through_the_engine() {
        let set = pack(
            r#"
[[rule.example]]
status = "pass"
it.url = "https://a.example"

[[rule.example]]
status = "fail"
it = { url = "http://a.example" }

[[rule.example]]
status = "missing"
"#,
        );
        let (ran, problems) = check(&set, |_| true);
        assert_eq!(ran, 3);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_wrong_expectation_is_a_problem_at_its_line() {
        let set = pack(
            r#"
[[rule.example]]
status = "pass"
note = "plain HTTP is wrongly expected to pass"
it.url = "http://a.example"
"#,
        );
        let (_, problems) = check(&set, |_| true);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert_eq!(p.file, "t.toml");
        assert_eq!(p.line, 21);
        assert!(
            p.message.contains("expects `pass` but the rule gives `fail`"),
            "{}",
            p.message
        );
    }

    #[test]
    fn fields_an_example_omits_are_null_and_lists_empty() {
        let set = pack("");
        let cr = &set.rules[0];
        let ex = Example {
            status: Status::Pass,
            note: None,
            it: Some(serde_json::json!({"url": "https://x"})),
            facts: None,
            params: Default::default(),
            as_of: None,
            attested: false,
            line: 1,
        };
        let facts = facts_of(&Shape::facts(), cr, &ex);
        let ep = &facts["endpoints"][0];
        assert_eq!(ep["url"], "https://x");
        assert!(ep["tls"]["versions"]["tls1_0"].is_null(), "{ep}");
        assert_eq!(facts["exports"], serde_json::json!([]));
    }
}
