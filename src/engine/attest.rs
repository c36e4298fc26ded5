//! Attestations (a manual rule answered by a person) and waivers (an accepted failure), applied
//! to findings.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{AppliedWaiver, Basis, EvidenceItem, Finding, Inputs, Status, base_finding};
use crate::manifest::IsoDate;
use crate::rules::CompiledRule;

/// `[[attestation]]`: a person's word for a requirement no probe can check (a manual rule, or
/// a document attested instead of supplied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The rules it answers: one rule id or glob (`hipaa-admin-*`), or a list of them.
    pub rule: RuleRefs,
    /// A file hashed into the report.
    pub evidence: Option<String>,
    /// SHA-256 of `evidence` as the run read it: filled by vetter, refused in a manifest.
    #[serde(default)]
    pub evidence_sha256: Option<String>,
    pub attested_by: String,
    pub date: IsoDate,
    pub expires: Option<IsoDate>,
}

/// The `rule` of an attestation: one rule id or glob, or a list of them (TOML `rule = "a"` or
/// `rule = ["a", "b-*"]`). A single entry serialises as a string, as before lists existed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRefs(pub Vec<String>);

impl RuleRefs {
    /// The ids and globs as written.
    pub fn entries(&self) -> &[String] {
        &self.0
    }
    /// Whether any entry names `id` (an equal id, or a glob matching it).
    pub fn covers(&self, id: &str) -> bool {
        self.0.iter().any(|p| rule_matches(p, id))
    }
}

impl From<&str> for RuleRefs {
    fn from(s: &str) -> Self {
        RuleRefs(vec![s.to_string()])
    }
}

impl std::fmt::Display for RuleRefs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

impl Serialize for RuleRefs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RuleRefs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RuleRefs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a rule id or glob, or a list of them, e.g. \"hipaa-risk-analysis\" or [\"a\", \"b-*\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RuleRefs, E> {
                Ok(RuleRefs(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RuleRefs, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<String>()? {
                    out.push(x);
                }
                Ok(RuleRefs(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for RuleRefs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleRefs".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A rule id or glob (`*` any characters, `?` one), or a list of them.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

/// Whether a rule reference is a glob: it holds `*` or `?` (rule ids never do).
pub fn is_rule_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Whether `pattern` names the rule `id`: the id itself, or a glob over whole ids where `*`
/// matches any run of characters (also none, also `-`) and `?` exactly one. Nothing else is
/// special (no `[...]`, `{...}`, `**` or escapes), and case matters.
pub fn rule_matches(pattern: &str, id: &str) -> bool {
    if !is_rule_glob(pattern) {
        return pattern == id;
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), id.chars().collect());
    // Linear-time wildcard match: on a mismatch, let the last `*` absorb one more character.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// `[[waiver]]` (in the manifest or a `--waivers` file): an accepted failure. Every waiver
/// expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// A rule id, or a glob over rule ids (`gdpr-dpa-*`): see [`rule_matches`].
    pub rule: String,
    /// Glob over the finding's resource; `None` waives the rule on every resource.
    pub resource: Option<String>,
    pub reason: String,
    pub approver: String,
    pub expires: IsoDate,
}

pub(super) fn manual_finding(cr: &CompiledRule, inp: &Inputs) -> Finding {
    let mut f = base_finding(cr, "vendor");
    let today = inp.as_of;
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let mut note = None;
    for a in inp.attestations.iter().filter(|a| a.rule.covers(&cr.rule.id)) {
        let dated = parse(a.date.as_str());
        let expires = a.expires.as_ref().map(|e| parse(e.as_str()));
        let current = matches!(dated, Some(d) if d <= today)
            && !matches!(expires, Some(Some(e)) if e < today)
            && !matches!(expires, Some(None));
        if current {
            f.status = Status::Pass;
            f.basis = Basis::Attestation;
            f.message = Some(format!("attested by {} on {}", a.attested_by, a.date));
            f.evidence = vec![
                EvidenceItem {
                    path: "attestation.evidence".into(),
                    value: a.evidence.clone().map(Into::into).unwrap_or(serde_json::Value::Null),
                },
                EvidenceItem {
                    path: "attestation.sha256".into(),
                    value: a
                        .evidence_sha256
                        .clone()
                        .map(Into::into)
                        .unwrap_or(serde_json::Value::Null),
                },
            ];
            return f;
        }
        note = Some(match &a.expires {
            Some(e) if matches!(parse(e.as_str()), Some(d) if d < today) => {
                format!("attestation by {} expired on {e}", a.attested_by)
            }
            _ => format!(
                "attestation by {} dated {} is not current on {today}",
                a.attested_by, a.date
            ),
        });
    }
    f.status = Status::Manual;
    f.basis = Basis::Attestation;
    f.message = Some(note.unwrap_or_else(|| match &cr.rule.attestation {
        Some(prompt) => format!("needs an attestation: {prompt}"),
        None => "needs an attestation".into(),
    }));
    f
}

/// Glob match of a waiver's resource pattern (`*` and `?`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob::Pattern::new(pattern)
        .map(|p| {
            p.matches_with(
                text,
                glob::MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            )
        })
        .unwrap_or(pattern == text)
}

/// Is a waiver current on `as_of`? A malformed date never applies (fail closed).
pub fn waiver_current(w: &Waiver, as_of: NaiveDate) -> bool {
    matches!(NaiveDate::parse_from_str(w.expires.as_str(), "%Y-%m-%d"), Ok(d) if d >= as_of)
}

pub(super) fn apply_waivers(findings: &mut [Finding], waivers: &[Waiver], as_of: NaiveDate) {
    for f in findings.iter_mut().filter(|f| f.status.is_failure()) {
        let hit = waivers.iter().find(|w| {
            rule_matches(&w.rule, &f.rule)
                && waiver_current(w, as_of)
                && w.resource.as_deref().is_none_or(|g| glob_match(g, &f.resource))
        });
        if let Some(w) = hit {
            f.waiver = Some(AppliedWaiver {
                reason: w.reason.clone(),
                approver: w.approver.clone(),
                expires: w.expires.to_string(),
                original_status: f.status,
            });
            f.status = Status::Waived;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::tests::{PACK, facts, run, set, status};
    use super::*;

    #[test]
    fn attestations_and_waivers() {
        let rs = set(PACK);
        let att = vec![Attestation {
            rule: "t-manual".into(),
            evidence: Some("ra.pdf".into()),
            evidence_sha256: Some("ab".into()),
            attested_by: "J".into(),
            date: "2026-10-01".into(),
            expires: Some("2027-10-01".into()),
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &att, &[]);
        let m = fs.iter().find(|f| f.rule == "t-manual").unwrap();
        assert_eq!((m.status, m.basis), (Status::Pass, Basis::Attestation));
        let expired = vec![Attestation {
            expires: Some("2026-11-01".into()),
            ..att[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &expired, &[]);
        assert_eq!(status(&fs, "t-manual", "vendor"), Status::Manual);

        let w = vec![Waiver {
            rule: "t-tls".into(),
            resource: Some("https://a.*".into()),
            reason: "r".into(),
            approver: "a".into(),
            expires: "2027-01-01".into(),
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &w);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Waived);
        assert_eq!(status(&fs, "t-tls", "https://d.example"), Status::Error);
        let old = vec![Waiver {
            expires: "2026-01-01".into(),
            ..w[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &old);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Fail);
        let bad = vec![Waiver {
            expires: "someday".into(),
            ..w[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &bad);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Fail);
    }

    #[test]
    fn rule_globs_star_and_question_mark_only() {
        for (p, id, want) in [
            ("gdpr-dpa-*", "gdpr-dpa-supplied", true),
            ("gdpr-dpa-*", "gdpr-dpa", false),
            ("gdpr-dpa*", "gdpr-dpa", true),
            ("gdpr-*-supplied", "gdpr-dpa-supplied", true),
            ("*", "anything-at-all", true),
            ("hipaa-tls-1?", "hipaa-tls-10", true),
            ("hipaa-tls-1?", "hipaa-tls-1", false),
            ("hipaa-tls-1?", "hipaa-tls-100", false),
            ("*-supplied", "baa-supplied", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("a*b*c", "axxbyyc", true),
            ("[ab]-x", "a-x", false),
            ("exact-id", "exact-id", true),
            ("exact-id", "exact-idx", false),
            ("GDPR-*", "gdpr-dpa", false),
        ] {
            assert_eq!(rule_matches(p, id), want, "{p} vs {id}");
        }
    }

    #[test]
    fn attestation_rule_is_one_or_a_list() {
        let one: RuleRefs = serde_json::from_str("\"a-*\"").unwrap();
        assert_eq!(one.entries(), ["a-*"]);
        assert_eq!(serde_json::to_string(&one).unwrap(), "\"a-*\"");
        let many: RuleRefs = serde_json::from_str("[\"a\", \"b-?\"]").unwrap();
        assert!(many.covers("a") && many.covers("b-1") && !many.covers("b-12"));
        assert_eq!(serde_json::to_string(&many).unwrap(), "[\"a\",\"b-?\"]");
        assert!(serde_json::from_str::<RuleRefs>("3").is_err());
    }
}
