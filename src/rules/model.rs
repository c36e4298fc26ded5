//! The rule-pack model: what a `rules/*.toml` file means once loaded. No I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a failed finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    /// Scoring weight (DESIGN: critical 10, high 5, medium 3, low 1, info 0).
    pub fn weight(self) -> u32 {
        match self {
            Severity::Critical => 10,
            Severity::High => 5,
            Severity::Medium => 3,
            Severity::Low => 1,
            Severity::Info => 0,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity `{s}`; expected one of critical, high, medium, low, info"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Report category a rule scores under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Encryption,
    Audit,
    Retention,
    Access,
    Breach,
    Contract,
    Rights,
    Assurance,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Encryption,
        Category::Audit,
        Category::Retention,
        Category::Access,
        Category::Breach,
        Category::Contract,
        Category::Rights,
        Category::Assurance,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Encryption => "encryption",
            Category::Audit => "audit",
            Category::Retention => "retention",
            Category::Access => "access",
            Category::Breach => "breach",
            Category::Contract => "contract",
            Category::Rights => "rights",
            Category::Assurance => "assurance",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            format!(
                "unknown category `{s}`; expected one of encryption, audit, retention, access, breach, contract, rights, assurance"
            )
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A letter grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
        }
    }
}

impl FromStr for Grade {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "A" => Ok(Grade::A),
            "B" => Ok(Grade::B),
            "C" => Ok(Grade::C),
            "D" => Ok(Grade::D),
            "F" => Ok(Grade::F),
            _ => Err(format!("unknown grade `{s}`; expected one of A, B, C, D, F")),
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What obliges the vendor to what a rule checks (issue 10): the law, an addressable HIPAA
/// specification, a contract term, recognised practice, or a proposed rule. Only the first two
/// may cap a grade: a compliance report must not grade a vendor down for what no law demands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Force {
    /// A HIPAA standard or Required implementation specification, a GDPR article, a Breach
    /// Notification Rule duty, a BAA element 164.504(e) / 164.314(a) demands.
    Required,
    /// A HIPAA addressable specification (164.306(d)(3)): implement, or document why not and
    /// use an equivalent measure.
    Addressable,
    /// A contract term the law does not demand (audit rights, insurance, tighter windows).
    Negotiated,
    /// Recognised practice (NIST SP 800-52r2, SOC 2 criteria, OWASP headers), not law.
    Practice,
    /// The 2025 HIPAA Security Rule NPRM: not law yet.
    Proposed,
}

impl Force {
    pub const ALL: [Force; 5] = [
        Force::Required,
        Force::Addressable,
        Force::Negotiated,
        Force::Practice,
        Force::Proposed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Force::Required => "required",
            Force::Addressable => "addressable",
            Force::Negotiated => "negotiated",
            Force::Practice => "practice",
            Force::Proposed => "proposed",
        }
    }
    /// Whether a failure of a rule with this force may cap the grade.
    pub fn may_cap(self) -> bool {
        matches!(self, Force::Required | Force::Addressable)
    }
    /// What the force means, in words a practice manager reads.
    pub fn meaning(self) -> &'static str {
        match self {
            Force::Required => "required by law",
            Force::Addressable => "addressable: implement, or document why not and use an equivalent measure",
            Force::Negotiated => "a contract term to negotiate; not required by law",
            Force::Practice => "recognised practice; not required by law",
            Force::Proposed => "proposed rule (2025 HIPAA NPRM); not law yet",
        }
    }
}

impl FromStr for Force {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Force::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            format!("unknown force `{s}`; expected one of required, addressable, negotiated, practice, proposed")
        })
    }
}

impl fmt::Display for Force {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A worked example beside a rule (`[[rule.example]]`): facts and the status they must give.
/// `vetter rules check` evaluates each through the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Example {
    /// The status the rule must give on these facts.
    pub status: crate::engine::Status,
    /// What the example shows.
    pub note: Option<String>,
    /// One resource's facts, for a rule with `each`.
    pub it: Option<serde_json::Value>,
    /// Vendor-level facts.
    pub facts: Option<serde_json::Value>,
    /// Parameter overrides.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The run date (YYYY-MM-DD).
    pub as_of: Option<String>,
    /// A current attestation for the rule exists.
    pub attested: bool,
    /// 1-based line of the `[[rule.example]]` table.
    pub line: usize,
}

/// What a rule gives when the evidence it reads was not supplied at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    /// `missing`: absence of evidence is not a failed control; it lowers coverage only.
    #[default]
    Missing,
    /// `fail`: the rule's subject is the document's existence (a BAA, a DPA), so its absence
    /// is the failure, unless a current attestation covers it.
    Fail,
}

impl OnMissing {
    pub fn as_str(self) -> &'static str {
        match self {
            OnMissing::Missing => "missing",
            OnMissing::Fail => "fail",
        }
    }
}

impl FromStr for OnMissing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "missing" => Ok(OnMissing::Missing),
            "fail" => Ok(OnMissing::Fail),
            _ => Err(format!(
                "unknown on_missing `{s}`; expected `missing` (the default) or `fail`"
            )),
        }
    }
}

/// Which way a parameter tightens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stricter {
    Lower,
    Higher,
}

/// A pack parameter: its default, the floor a manifest may not loosen past, and direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParamDef {
    pub default: serde_json::Value,
    pub floor: Option<serde_json::Value>,
    pub stricter: Option<Stricter>,
    pub description: Option<String>,
    /// The pack that declared it.
    pub pack: String,
}

impl ParamDef {
    /// True when `value` is looser than the floor.
    pub fn looser_than_floor(&self, value: &serde_json::Value) -> bool {
        let (Some(floor), Some(dir)) = (&self.floor, self.stricter) else {
            return false;
        };
        match compare_param(value, floor) {
            Some(std::cmp::Ordering::Less) => dir == Stricter::Higher,
            Some(std::cmp::Ordering::Greater) => dir == Stricter::Lower,
            Some(std::cmp::Ordering::Equal) => false,
            // A value of the wrong type cannot be shown to respect the floor: fail closed.
            None => true,
        }
    }
}

/// Order two parameter values: numbers numerically, version-like strings ("1.2") component-wise.
pub fn compare_param(a: &serde_json::Value, b: &serde_json::Value) -> Option<std::cmp::Ordering> {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => {
            let parse = |s: &str| -> Option<Vec<u64>> { s.split('.').map(|p| p.parse().ok()).collect() };
            match (parse(x), parse(y)) {
                (Some(px), Some(py)) => Some(px.cmp(&py)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Where a pack came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackSource {
    /// `builtin:rules/hipaa.toml` or the path as the user gave it.
    pub file: String,
    pub builtin: bool,
    pub sha256: String,
    pub bytes: u64,
}

/// Pack header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackInfo {
    pub id: String,
    pub title: String,
    pub version: String,
    /// `rules` or `phrasing`.
    pub kind: String,
    pub default: bool,
    /// The law the pack checks: it runs by default only where that law applies to the
    /// practice (`[practice]` in the manifest). `None`: it always runs by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<Law>,
    pub description: Option<String>,
    pub source: PackSource,
}

/// The law a pack checks (`[pack] law`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Law {
    /// HIPAA: US covered entities and their business associates.
    Hipaa,
    /// The GDPR (and the UK GDPR): practices established in, or serving people in, the EU/EEA or UK.
    Gdpr,
}

impl Law {
    pub fn as_str(self) -> &'static str {
        match self {
            Law::Hipaa => "hipaa",
            Law::Gdpr => "gdpr",
        }
    }
}

impl FromStr for Law {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hipaa" => Ok(Law::Hipaa),
            "gdpr" => Ok(Law::Gdpr),
            _ => Err(format!("unknown law `{s}`; expected `hipaa` or `gdpr`")),
        }
    }
}

/// A pack that did not run, and why (`[vendor] frameworks`, `[practice]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LeftOut {
    pub pack: String,
    /// The line a person reads.
    pub reason: String,
}

/// The packs an assessment runs, and those it leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub packs: std::collections::BTreeSet<String>,
    pub left_out: Vec<LeftOut>,
}

/// One rule, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rule {
    pub id: String,
    pub pack: String,
    pub requirement: Vec<String>,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    /// What obliges the vendor; `None` only in packs written before the key existed.
    pub force: Option<Force>,
    /// Who is obliged to do what, under which paragraph, in one sentence.
    pub duty: Option<String>,
    /// What passes, where the line is, and why.
    pub threshold: Option<String>,
    pub refs: Vec<String>,
    /// Rules that judge the same fact of the same resource share a family: where they agree,
    /// the report carries one finding with every member's citations (`engine::family`).
    pub family: Option<String>,
    pub each: Option<String>,
    pub when: Option<String>,
    pub assert: Option<String>,
    pub message: Option<String>,
    pub description: String,
    pub remediation: String,
    pub cap: Option<Grade>,
    pub optional: bool,
    /// What the rule gives when its evidence was not supplied (default `missing`).
    #[serde(default)]
    pub on_missing: OnMissing,
    pub manual: bool,
    /// For manual rules: what evidence to attach.
    pub attestation: Option<String>,
    /// Parameter names the rule's CEL reads (`params.<name>`).
    pub params_read: Vec<String>,
    /// Worked examples (`[[rule.example]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
    /// 1-based line of the `[[rule]]` table in its pack.
    pub line: usize,
}

/// A loaded pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub info: PackInfo,
    pub params: BTreeMap<String, ParamDef>,
    pub rules: Vec<Rule>,
    /// Phrasing tables of `kind = "phrasing"` packs, kept as TOML for the evidence reader.
    pub phrasing: Option<toml::Table>,
}

/// A built-in rule replaced by a user pack (`--allow-override`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Override {
    pub rule: String,
    pub replaced_pack: String,
    pub by_pack: String,
    pub by_file: String,
}
