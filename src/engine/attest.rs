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
    pub rule: String,
    /// A file hashed into the report.
    pub evidence: Option<String>,
    /// SHA-256 of `evidence` as the run read it: filled by vetter, refused in a manifest.
    #[serde(default)]
    pub evidence_sha256: Option<String>,
    pub attested_by: String,
    pub date: IsoDate,
    pub expires: Option<IsoDate>,
}

/// `[[waiver]]` (in the manifest or a `--waivers` file): an accepted failure. Every waiver
/// expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
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
    for a in inp.attestations.iter().filter(|a| a.rule == cr.rule.id) {
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
            w.rule == f.rule
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
}
