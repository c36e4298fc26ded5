//! The facts file and the pure path from it to a report.
//!
//! `assess --save-facts F` writes an [`Assessment`]: facts plus everything evaluation needs
//! (as_of, params, waivers, attestations, inputs, frameworks), so `vetter eval F` re-scores it
//! later under today's rules with no access to the vendor. No I/O here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::engine::{self, Attestation, Waiver};
use crate::facts::Facts;
use crate::report::{self, Input, Report, ReportParts};
use crate::rules::RuleSet;

/// Version of the facts-file shape.
pub const FACTS_FILE_VERSION: &str = "1.0";

/// Refuse a facts file of another major version: its fields may mean something else, and a
/// silent misreading would score the vendor on facts it does not have.
pub fn check_facts_version(v: &str) -> Result<(), String> {
    let major = |s: &str| s.split('.').next().unwrap_or("").trim().to_string();
    if major(v) == major(FACTS_FILE_VERSION) {
        Ok(())
    } else {
        Err(format!(
            "facts_version `{v}` is not supported: this vetter reads facts_version {}.x",
            major(FACTS_FILE_VERSION)
        ))
    }
}

/// Everything evaluation reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub facts_version: String,
    pub as_of: String,
    /// Frameworks (pack ids) the manifest selected; empty means the default packs.
    #[serde(default)]
    pub frameworks: Vec<String>,
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub waivers: Vec<Waiver>,
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub attestations: Vec<Attestation>,
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub inputs: Vec<Input>,
    /// Where the manifest declares each resource (for SARIF locations); written by `assess`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub manifest: Option<crate::report::ManifestRef>,
    pub facts: Facts,
}

/// Why an assessment could not be evaluated (a usage error: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Framework(String),
    #[error("parameter `{0}` is not declared by any rule pack")]
    UnknownParam(String),
    #[error("as_of `{0}` is not a YYYY-MM-DD date")]
    BadDate(String),
}

/// Evaluate and score: the whole pure half of the pipeline.
pub fn evaluate(
    rules: &RuleSet,
    a: &Assessment,
    frameworks_override: &[String],
    extra_waivers: &[Waiver],
    generated_at: String,
) -> Result<Report, EvalError> {
    let as_of = NaiveDate::parse_from_str(&a.as_of, "%Y-%m-%d").map_err(|_| EvalError::BadDate(a.as_of.clone()))?;
    let frameworks: Vec<String> = if frameworks_override.is_empty() {
        a.frameworks.clone()
    } else {
        frameworks_override.to_vec()
    };
    let selection = rules
        .select(&frameworks, &a.facts.practice)
        .map_err(EvalError::Framework)?;
    let packs: BTreeSet<String> = selection.packs;
    if let Some(p) = a.params.keys().find(|p| !rules.params.contains_key(*p)) {
        return Err(EvalError::UnknownParam(p.clone()));
    }
    let mut facts = a.facts.clone();
    facts.rebase_ages(as_of);
    let facts_json = serde_json::to_value(&facts).expect("facts serialise");
    let mut waivers = a.waivers.clone();
    waivers.extend(extra_waivers.iter().cloned());
    let findings = engine::evaluate(
        rules,
        &engine::Inputs {
            facts: &facts_json,
            as_of,
            params: &a.params,
            attestations: &a.attestations,
            waivers: &waivers,
            packs: &packs,
        },
    );
    // One fact, one finding: members of a rule family that agree become one finding.
    let findings = engine::family::fold(findings, rules);
    let mut inputs = a.inputs.clone();
    for p in rules.packs.iter().filter(|p| packs.contains(&p.id)) {
        inputs.push(Input {
            path: p.source.file.clone(),
            kind: "rules".into(),
            sha256: Some(p.source.sha256.clone()),
            bytes: Some(p.source.bytes),
        });
    }
    let parts = ReportParts {
        generated_at,
        as_of,
        vendor: facts.vendor.clone(),
        frameworks: packs.into_iter().collect(),
        rules,
        inputs,
        facts: facts_json,
        waivers: &waivers,
        manifest: a.manifest.clone(),
        left_out: selection.left_out,
    };
    Ok(report::build(parts, findings))
}
