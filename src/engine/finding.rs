//! What evaluation produces: one finding per rule and resource, and the types it holds.

use serde::{Deserialize, Serialize};

use crate::rules::{Category, Force, Severity};

named_enum! {
    /// What happened to one rule on one resource.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
    pub enum Status ("status") {
        Pass = "pass",
        Fail = "fail",
        Error = "error",
        Skip = "skip",
        Waived = "waived",
        Manual = "manual",
        /// The evidence this rule reads was not supplied: not scored, lowers coverage.
        Missing = "missing",
    }
}

impl Status {
    /// Fail and error both need attention (waivers apply to them, `--fail-on` counts them);
    /// only `fail` lowers the score and caps the grade (see score.rs).
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

named_enum! {
    /// What a finding's status rests on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
    pub enum Basis ("basis") {
        /// The rule's CEL judged the facts (or the evidence it reads was not supplied).
        Check = "check",
        /// A person's attestation (manual rules, and documents attested instead of supplied).
        Attestation = "attestation",
    }
}

/// One fact a finding read, and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceItem {
    pub path: String,
    pub value: serde_json::Value,
}

/// The waiver applied to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppliedWaiver {
    pub reason: String,
    pub approver: String,
    pub expires: String,
    /// The status the finding had before the waiver.
    pub original_status: Status,
}

/// One rule on one resource. The rule's text (pack, title, remediation, references,
/// requirements) is not copied into each finding: a report holds it once per rule
/// (`Report::rules`), so a run of many resources costs one copy per rule, not per finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable fingerprint of rule id and resource.
    pub id: String,
    pub rule: String,
    pub resource: String,
    pub status: Status,
    pub basis: Basis,
    pub severity: Severity,
    /// What obliges the vendor (the rule's `force`).
    pub force: Force,
    pub category: Category,
    /// What was found; absent when the rule's title says it (a pass), and on a resource that
    /// could not be probed, whose cause is said once in `unassessed[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The facts the check read; absent when it did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceItem>,
    /// Overall score if this finding passed (failures only; filled by scoring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worth: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
    /// Rules of the same family (the same fact of the same resource) that agreed with this
    /// one and are folded into it: their citations are this finding's too (`family::fold`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// Stable finding id: the first 16 hex digits of SHA-256("rule\0resource").
pub fn fingerprint(rule: &str, resource: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0u8]);
    h.update(resource.as_bytes());
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint("a", "b"), fingerprint("a", "b"));
        assert_ne!(fingerprint("a", "b"), fingerprint("a", "c"));
        assert_eq!(fingerprint("a", "b").len(), 16);
    }
}
