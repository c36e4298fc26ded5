//! The vendor manifest (`vendor.toml`) and waiver files: typed structs, loading and validation.
//!
//! Loading is two passes over the same text. `serde` turns it into the typed [`Manifest`]
//! (a syntax error, unknown key, wrong type or missing key stops there, as one problem);
//! then every semantic check runs and *all* problems are returned at once, each pointing
//! at the offending key or value (spans come from `toml::de::DeTable`, whose values are
//! `toml::Spanned`). The public structs hold plain values so that they also round-trip
//! through JSON (the facts file carries params, waivers and attestations).
//!
//! Paths are kept exactly as written; [`Manifest::resolve`] joins them to the manifest's
//! directory only when a probe opens the file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

use crate::diag::{ConfigError, Problem};
use crate::probe::input::{DEFAULT_WAIT, Kind};

/// The normalised audit-log verbs that `[[audit_log]].actions` may map to.
pub const ACTION_VERBS: &[&str] = &[
    "read",
    "create",
    "update",
    "delete",
    "export",
    "print",
    "login",
    "login_failed",
    "permission_change",
    "other",
];

/// `check_url`'s message for `user:password@` URLs (never echoed with the URL itself).
const CREDENTIALS_IN_URL: &str = "the URL carries credentials (user:password@)";

const DATE_HELP: &str = "use YYYY-MM-DD, e.g. 2027-03-31";

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/// A parsed and validated `vendor.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub vendor: Vendor,
    /// Which law applies to the practice; decides which packs run by default.
    #[serde(default)]
    pub practice: Option<Practice>,
    #[serde(default)]
    pub endpoint: Vec<Endpoint>,
    #[serde(default)]
    pub export: Vec<Export>,
    #[serde(default)]
    pub audit_log: Vec<AuditLog>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Pack parameter overrides; TOML scalars as JSON values (integers stay integers,
    /// TOML dates become `YYYY-MM-DD` strings).
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub attestation: Vec<Attestation>,
    #[serde(default)]
    pub waiver: Vec<Waiver>,
    /// Where the manifest came from (not part of the file).
    #[serde(skip)]
    pub source: ManifestSource,
}

/// Where a manifest was read from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestSource {
    /// The file as the user wrote it (never made absolute).
    pub file: String,
    /// The manifest's directory, for resolving relative paths when a file is opened.
    pub dir: PathBuf,
    /// The manifest's text (for positions in later diagnostics, e.g. SARIF).
    pub text: String,
    /// 1-based line of each table header by kind (`endpoint` → one line per `[[endpoint]]`),
    /// found once while parsing so a 10,000-endpoint manifest is not re-parsed per resource.
    #[serde(skip)]
    pub table_lines: BTreeMap<String, Vec<usize>>,
}

/// `[vendor]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub name: String,
    pub contact: Option<String>,
    /// Rule-pack ids to assess; `None` means every pack with `default = true`.
    pub frameworks: Option<Vec<String>>,
    pub next_review: Option<IsoDate>,
}

/// `[practice]`: which law applies to the practice that buys from the vendor (docs/law.md).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Practice {
    /// Where the practice is established: `us`, `eu` (an EU or EEA member state), `uk`, `other`.
    pub jurisdiction: Option<crate::facts::Jurisdiction>,
    /// The practice offers care or services to, or monitors, people in the EU/EEA or UK
    /// (GDPR Art. 3(2)), wherever it is established.
    pub eu_data_subjects: Option<bool>,
}

impl Practice {
    pub fn facts(&self) -> crate::facts::PracticeFacts {
        crate::facts::PracticeFacts::new(self.jurisdiction, self.eu_data_subjects)
    }
}

/// `[[endpoint]]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub url: String,
    pub auth: Option<Auth>,
    /// Where to test the http→https redirect.
    pub http_url: Option<String>,
    /// Connect to this IP address, keep the URL's host name for SNI and `Host`.
    pub resolve: Option<String>,
}

/// `auth = { header, env }`: the secret is read from the environment variable `env`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub header: String,
    pub env: String,
}

/// `[[export]]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub path: String,
    pub retention: Option<Retention>,
    /// The columns the export is meant to carry.
    pub columns: Option<Vec<String>>,
    /// GDPR Art. 17 check: identifiers whose erasure was requested.
    pub erasure: Option<Erasure>,
    /// The vendor says this export is de-identified.
    pub deidentified: Option<bool>,
    /// This export is the copy handed to patients under the GDPR Art. 20 right to data
    /// portability (the machine-readable-format rule judges only such exports).
    pub portability: Option<bool>,
    /// Columns holding a re-identification code kept under 45 CFR 164.514(c) (random, not
    /// derived from the person's data, its key never disclosed): not counted as `unique_id`.
    pub reidentification_codes: Option<Vec<String>>,
    /// Raised caps for this export (each defaults to its documented value).
    pub limits: Option<ExportLimits>,
}

/// `limits = { csv_fields, field_bytes, xlsx_shared_strings, xlsx_cells, pdf_pages,
/// pdf_objects }`: the counted caps of the export scan, raised for a file known to need more.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportLimits {
    pub csv_fields: Option<u64>,
    pub field_bytes: Option<u64>,
    pub xlsx_shared_strings: Option<u64>,
    pub xlsx_cells: Option<u64>,
    pub pdf_pages: Option<u64>,
    pub pdf_objects: Option<u64>,
}

/// `retention = { date_field, max_age_days }`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub date_field: String,
    pub max_age_days: u64,
}

/// `erasure = { file, column }`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    pub file: String,
    pub column: String,
}

/// `[[audit_log]]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditLog {
    pub path: String,
    pub fields: Option<AuditFields>,
    /// Normalised verb (one of [`ACTION_VERBS`]) → the log's own action names.
    pub actions: Option<BTreeMap<String, Vec<String>>>,
    pub business_hours: Option<BusinessHours>,
    pub bulk_export_threshold: Option<u64>,
    pub appointments: Option<Appointments>,
    /// IANA zone of timestamps written without an offset (overrides a zone in the header).
    pub tz: Option<String>,
    /// strftime layout of the timestamps, tried before the built-in layouts.
    pub timestamp_format: Option<String>,
}

/// `fields = { ... }`: which column/key of the log carries each audit field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditFields {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub timestamp: Option<String>,
    pub outcome: Option<String>,
    pub source_ip: Option<String>,
    pub fields_accessed: Option<String>,
}

/// `business_hours = { start = "HH:MM", end = "HH:MM", days = "Mon-Fri", tz = "America/Chicago" }`.
/// `end` earlier than `start` means the window crosses midnight.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub start: String,
    pub end: String,
    /// `Mon-Fri`, `Mon,Wed,Fri`, `Mon-Thu,Sat` (three-letter or full names, any case).
    pub days: String,
    /// IANA time-zone name.
    pub tz: String,
}

impl BusinessHours {
    pub fn start_time(&self) -> Option<NaiveTime> {
        parse_hhmm(&self.start).ok()
    }
    pub fn end_time(&self) -> Option<NaiveTime> {
        parse_hhmm(&self.end).ok()
    }
    /// The working days, in week order (Monday first).
    pub fn weekdays(&self) -> Option<Vec<Weekday>> {
        parse_days(&self.days).ok()
    }
}

/// `appointments = { path, patient, date, window_days }`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointments {
    pub path: String,
    pub patient: String,
    pub date: String,
    pub window_days: Option<u64>,
}

/// `[[evidence]]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub path: String,
    /// Detected from the content when absent.
    pub kind: Option<EvidenceKind>,
    /// This is the SOC report of a subservice organisation the vendor's own SOC 2 carves out,
    /// named here as the practice knows it ("Amazon Web Services"). Such a report covers that
    /// organisation only: it is read into `evidence.subservice_soc2`, never judged as the
    /// vendor's own report.
    pub subservice: Option<String>,
}

named_enum! {
    /// The kinds of vendor evidence the evidence reader understands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
    pub enum EvidenceKind ("evidence kind") {
        Soc2 = "soc2",
        Baa = "baa",
        Dpa = "dpa",
        Pentest = "pentest",
        Hitrust = "hitrust",
        Policy = "policy",
    }
}

pub use crate::engine::{Attestation, Waiver};

/// The attestation key vetter fills itself (the evidence file's hash): never written in a
/// manifest, so never offered as a valid key there.
const COMPUTED_ATTESTATION_KEY: &str = "evidence_sha256";

/// A calendar date kept as the `YYYY-MM-DD` string the user wrote. In TOML it may be
/// written quoted (`"2027-03-31"`) or as a bare TOML local date (`2027-03-31`); it
/// serialises as the string. A loaded manifest's dates have been validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IsoDate(pub String);

impl IsoDate {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The date, or `None` if the string is not a valid `YYYY-MM-DD` date.
    pub fn date(&self) -> Option<NaiveDate> {
        parse_date(&self.0).ok()
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for IsoDate {
    fn from(s: &str) -> Self {
        IsoDate(s.to_string())
    }
}

/// The key under which `toml` hands a datetime to `deserialize_any` visitors.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = IsoDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as \"YYYY-MM-DD\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IsoDate, E> {
                Ok(IsoDate(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<IsoDate, A::Error> {
                // A bare TOML date/datetime arrives as a one-entry map.
                match map.next_key::<String>()? {
                    Some(key) if key == TOML_DATETIME_KEY => {
                        let value: String = map.next_value()?;
                        Ok(IsoDate(value))
                    }
                    _ => Err(serde::de::Error::invalid_type(serde::de::Unexpected::Map, &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for IsoDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// A `--waivers FILE`: `[[waiver]]` tables only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waiver: Vec<Waiver>,
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// Read and validate a manifest. Every problem comes back at once, with file, line and column.
pub fn load(path: &Path) -> Result<Manifest, ConfigError> {
    load_with(path, DEFAULT_WAIT)
}

/// [`load`], waiting at most `wait` (`--timeout`) for data when the manifest is a pipe.
pub fn load_with(path: &Path, wait: Duration) -> Result<Manifest, ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file, Kind::Manifest, wait)?;
    let mut manifest = parse(&text, &file)?;
    manifest.source.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(manifest)
}

/// Parse and validate manifest text; `file` names it in problems. `source.dir` is left empty
/// (paths resolve against the current directory) — [`load`] sets it.
pub fn parse(text: &str, file: &str) -> Result<Manifest, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let empty = || {
        Problem::file(file, "the manifest is empty")
            .help("run `vetter init DIR` to write a commented vendor.toml to start from")
    };
    if text.trim().is_empty() {
        return Err(empty().into());
    }
    let root = DeTable::parse(text).map_err(|e| toml_problem(file, text, &e))?;
    let root = root.get_ref();
    if root.is_empty() {
        return Err(empty().into());
    }
    if !root.contains_key("vendor") {
        return Err(Problem::file(file, "the manifest has no [vendor] table")
            .help("add a [vendor] table first, e.g.\n  [vendor]\n  name = \"Acme Practice CRM\"")
            .into());
    }
    let mut manifest: Manifest = toml::from_str(text).map_err(|e| toml_problem(file, text, &e))?;
    normalise_params(&mut manifest.params);

    let mut ck = Checker::new(file, text, root);
    ck.manifest(&manifest);
    ck.finish()?;

    manifest.source = ManifestSource {
        file: file.to_string(),
        dir: PathBuf::new(),
        text: text.to_string(),
        table_lines: header_lines(text, root),
    };
    Ok(manifest)
}

/// Read and validate a `--waivers FILE` (only `[[waiver]]` tables). An empty file has no waivers.
pub fn load_waivers(path: &Path) -> Result<Vec<Waiver>, ConfigError> {
    load_waivers_with(path, DEFAULT_WAIT)
}

/// [`load_waivers`], waiting at most `wait` (`--timeout`) for data when the file is a pipe.
pub fn load_waivers_with(path: &Path, wait: Duration) -> Result<Vec<Waiver>, ConfigError> {
    load_waivers_source(path, wait).map(|(w, _)| w)
}

/// [`load_waivers_with`], with the text read: for later checks that name a waiver's line.
pub fn load_waivers_source(path: &Path, wait: Duration) -> Result<(Vec<Waiver>, String), ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file, Kind::Waivers, wait)?;
    let waivers = parse_waivers(&text, &file)?;
    Ok((waivers, text))
}

/// Where the `rule` values of the `[[kind]]` tables (`waiver`, `attestation`) are written in
/// `text`: per table, one span for a string, one per entry for a list (empty when unknown).
/// For errors found after loading (a glob that matches no rule), which name the line.
pub fn rule_spans(text: &str, kind: &str) -> Vec<Vec<Range<usize>>> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let Ok(root) = DeTable::parse(&text[bom..]) else {
        return Vec::new();
    };
    let at = |r: Range<usize>| r.start + bom..r.end + bom;
    let Some(list) = root.get_ref().get(kind).and_then(|v| v.get_ref().as_array()) else {
        return Vec::new();
    };
    list.iter()
        .map(|t| match t.get_ref().as_table().and_then(|t| t.get("rule")) {
            None => Vec::new(),
            Some(v) => match v.get_ref().as_array() {
                Some(items) => items.iter().map(|x| at(x.span())).collect(),
                None => vec![at(v.span())],
            },
        })
        .collect()
}

/// [`load_waivers`] on text already read.
pub fn parse_waivers(text: &str, file: &str) -> Result<Vec<Waiver>, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = DeTable::parse(text).map_err(|e| toml_problem(file, text, &e))?;
    let parsed: WaiverFile = toml::from_str(text).map_err(|e| toml_problem(file, text, &e))?;
    let mut ck = Checker::new(file, text, root.get_ref());
    ck.waivers(&parsed.waiver);
    ck.finish()?;
    Ok(parsed.waiver)
}

impl Manifest {
    /// A path from the manifest, joined to the manifest's directory: for opening only,
    /// never for reports (they keep the path as written).
    pub fn resolve(&self, rel: &str) -> PathBuf {
        self.source.dir.join(rel)
    }

    /// 1-based line of the `[[kind]]` header of the `index`-th table of that kind
    /// (`("endpoint", 0)`), or of `[kind]` for a plain table with index 0 (`("vendor", 0)`).
    pub fn line_of(&self, kind: &str, index: usize) -> Option<usize> {
        self.source.table_lines.get(kind)?.get(index).copied()
    }
}

/// Header line of every top-level table and array-of-tables item, by kind.
fn header_lines(text: &str, root: &DeTable) -> BTreeMap<String, Vec<usize>> {
    let index = crate::diag::LineIndex::new(text);
    let line = |offset: usize| index.line_col(offset).0;
    let mut out = BTreeMap::new();
    for (k, v) in root.iter() {
        let lines = match v.get_ref() {
            DeValue::Array(items) => items.iter().map(|it| line(it.span().start)).collect(),
            DeValue::Table(_) => vec![line(v.span().start)],
            _ => continue,
        };
        out.insert(k.get_ref().to_string(), lines);
    }
    out
}

fn read_text(path: &Path, file: &str, kind: Kind, wait: Duration) -> Result<String, ConfigError> {
    let what = match kind {
        Kind::Waivers => "waiver file",
        _ => "manifest",
    };
    let meta = std::fs::metadata(path).map_err(|e| io_problem(file, what, &e))?;
    if meta.is_dir() {
        let mut p = Problem::file(file, format!("the {what} path is a directory, not a file"));
        let inner = path.join("vendor.toml");
        if what == "manifest" {
            p = p.help(if inner.is_file() {
                format!("pass the manifest inside it: {}", inner.display())
            } else {
                "pass a vendor.toml file; `vetter init DIR` writes one".to_string()
            });
        }
        return Err(p.into());
    }
    // Through the input layer: capped, a pipe waits at most `wait`, a device is refused.
    let bytes = crate::probe::input::read(path, kind, wait).map_err(|e| io_problem(file, what, &e))?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            if text.trim_start_matches('\u{feff}').trim().is_empty() && what == "manifest" {
                return Err(Problem::file(file, "the manifest is empty")
                    .help("run `vetter init DIR` to write a commented vendor.toml to start from")
                    .into());
            }
            Ok(text)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // The valid prefix decodes, so positions within it are exact.
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let bad = bytes.get(valid).copied().unwrap_or_default();
            Err(Problem::at(
                file,
                prefix,
                Some(valid..valid),
                format!("the {what} is not valid UTF-8 (byte 0x{bad:02x} at offset {valid})"),
            )
            .help("save the file as UTF-8")
            .into())
        }
    }
}

fn io_problem(file: &str, what: &str, e: &std::io::Error) -> Problem {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => Problem::file(file, format!("cannot read the {what}: no such file"))
            .help("check the path; `vetter init DIR` writes a starter vendor.toml"),
        ErrorKind::PermissionDenied => Problem::file(file, format!("cannot read the {what}: permission denied"))
            .help("make the file readable by this user"),
        _ => Problem::file(file, format!("cannot read the {what}: {e}")),
    }
}

/// A `toml` syntax or deserialisation error, with a fix hint where we can give one.
fn toml_problem(file: &str, text: &str, err: &toml::de::Error) -> ConfigError {
    let mut p = Problem::from_toml(file, text, err);
    if p.snippet.as_deref().is_some_and(looks_secret) {
        // Never echo what may be a secret: no source line, no quoted value.
        p.snippet = None;
        p.message = redact_quoted(&p.message);
    }
    let msg = p.message.clone();
    let help = if msg.starts_with("unknown field") {
        let names = backticked(&msg);
        let unknown = names.first().cloned().unwrap_or_default();
        let valid: Vec<String> = names
            .into_iter()
            .skip(1)
            .filter(|k| k != COMPUTED_ATTESTATION_KEY)
            .collect();
        let mut h = format!("valid keys here: {}", valid.join(", "));
        if let Some(best) = closest(&unknown, &valid) {
            h = format!("did you mean `{best}`? {h}");
        }
        Some(h)
    } else if msg.starts_with("unknown variant") {
        let names = backticked(&msg);
        Some(format!("use one of: {}", names[1.min(names.len())..].join(", ")))
    } else if let Some(field) = msg.strip_prefix("missing field ") {
        let field = field.trim_matches('`');
        Some(match field {
            "expires" => "every waiver must expire: add expires = \"YYYY-MM-DD\"".to_string(),
            "date" => format!("add date = \"YYYY-MM-DD\" ({DATE_HELP})"),
            _ => format!("add the required key `{field}`"),
        })
    } else if msg.contains("duplicate key") {
        Some("each key may appear only once in a table".to_string())
    } else if msg.contains("expected a date") {
        Some(DATE_HELP.to_string())
    } else if msg.contains("expected u64") {
        Some("use a whole number of at least 0, without quotes".to_string())
    } else {
        None
    };
    if let Some(h) = help {
        p = p.help(h);
    }
    ConfigError::one(p)
}

/// Whether a source line may carry a secret (a token pasted into the manifest).
fn looks_secret(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "auth",
        "token",
        "secret",
        "password",
        "passwd",
        "bearer",
        "api_key",
        "apikey",
        "credential",
        "@",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// `invalid type: string "Bearer abc", expected ...` → `invalid type: string, expected ...`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(" \"") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find('"') {
            Some(end) => rest = &rest[start + 2 + end + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
fn closest(word: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// TOML datetimes arrive in a JSON value as `{"$__toml_private_datetime": "..."}`; make them
/// strings. Non-scalars are reported by the checker.
fn normalise_params(params: &mut BTreeMap<String, serde_json::Value>) {
    for value in params.values_mut() {
        let replacement = match value {
            serde_json::Value::Object(map) if map.len() == 1 => map
                .get(TOML_DATETIME_KEY)
                .and_then(|v| v.as_str())
                .map(|s| serde_json::Value::String(s.to_string())),
            _ => None,
        };
        if let Some(r) = replacement {
            *value = r;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Value checks (also used by other modules, e.g. `vetter init`)
// ---------------------------------------------------------------------------------------------

/// A strict `YYYY-MM-DD` calendar date.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("`{s}` is not a date in YYYY-MM-DD form"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a valid calendar date"))
}

/// A strict 24-hour `HH:MM` time.
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    let b = s.as_bytes();
    let shape = b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
    let bad = || format!("`{s}` is not a time of day in 24-hour HH:MM form");
    if !shape {
        return Err(bad());
    }
    let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// Days like `Mon-Fri`, `Mon,Wed,Fri` or `Mon-Thu,Sat` (three-letter or full English names, any
/// case; a range may wrap, `Fri-Mon`). Returned in week order, Monday first, without repeats.
pub fn parse_days(s: &str) -> Result<Vec<Weekday>, String> {
    fn day(t: &str) -> Option<Weekday> {
        let t = t.trim().to_ascii_lowercase();
        const NAMES: [(&str, &str, Weekday); 7] = [
            ("mon", "monday", Weekday::Mon),
            ("tue", "tuesday", Weekday::Tue),
            ("wed", "wednesday", Weekday::Wed),
            ("thu", "thursday", Weekday::Thu),
            ("fri", "friday", Weekday::Fri),
            ("sat", "saturday", Weekday::Sat),
            ("sun", "sunday", Weekday::Sun),
        ];
        NAMES.iter().find(|(a, b, _)| t == *a || t == *b).map(|(_, _, d)| *d)
    }
    let mut set = BTreeSet::new();
    if s.trim().is_empty() {
        return Err("`days` is empty".to_string());
    }
    for part in s.split(',') {
        let part = part.trim();
        let bad = || format!("`{part}` is not a day or a range of days");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
                let mut d = a;
                loop {
                    set.insert(d.num_days_from_monday());
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            }
            None => {
                set.insert(day(part).ok_or_else(bad)?.num_days_from_monday());
            }
        }
    }
    Ok(set
        .into_iter()
        .filter_map(|n| Weekday::try_from(n as u8).ok())
        .collect())
}

/// An absolute `http://` or `https://` URL with a host, no credentials and no whitespace.
pub fn check_url(s: &str) -> Result<(), String> {
    let after_scheme = s.split_once("://").map_or(s, |(_, rest)| rest);
    if after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .contains('@')
    {
        return Err(CREDENTIALS_IN_URL.to_string());
    }
    let lower = s.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return Err("it is not an http:// or https:// URL".to_string());
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL contains whitespace or control characters".to_string());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) => {
                if h.parse::<std::net::Ipv6Addr>().is_err() {
                    return Err(format!("`[{h}]` is not an IPv6 address"));
                }
                (h, tail.strip_prefix(':'))
            }
            None => return Err("the URL has an unclosed `[` in its host".to_string()),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".to_string());
    }
    if !authority.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(format!("`{host}` is not a valid host name"));
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("`{p}` is not a port number (1-65535)")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Semantic checks
// ---------------------------------------------------------------------------------------------

/// One step of a path into the TOML document.
#[derive(Clone, Copy)]
enum Seg<'a> {
    K(&'a str),
    I(usize),
}
use Seg::{I, K};

struct Checker<'t> {
    file: &'t str,
    /// Lines found once: problems (thousands, in a hostile file) each need theirs.
    lines: crate::diag::LineIndex<'t>,
    root: &'t DeTable<'t>,
    problems: Vec<Problem>,
}

impl<'t> Checker<'t> {
    fn new(file: &'t str, text: &'t str, root: &'t DeTable<'t>) -> Self {
        Checker {
            file,
            lines: crate::diag::LineIndex::new(text),
            root,
            problems: Vec::new(),
        }
    }

    fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::new(self.problems))
        }
    }

    /// Span of the value at `path` (or of the deepest part of it that exists); with `key`,
    /// the span of the last key itself.
    fn span(&self, path: &[Seg], key: bool) -> Option<Range<usize>> {
        let mut table: Option<&DeTable> = Some(self.root);
        let mut array = None;
        let mut best = None;
        for (n, seg) in path.iter().enumerate() {
            let last = n + 1 == path.len();
            let found = match *seg {
                K(k) => {
                    let (kk, v) = table?.get_key_value(k)?;
                    if last && key {
                        return Some(kk.span());
                    }
                    v
                }
                I(i) => array.and_then(|a: &toml::de::DeArray| a.get(i))?,
            };
            best = Some(found.span());
            table = found.get_ref().as_table();
            array = found.get_ref().as_array();
        }
        best
    }

    fn span_or_prefix(&self, path: &[Seg], key: bool) -> Option<Range<usize>> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.span(&path[..n], key && n == path.len()))
    }

    fn report(&mut self, path: &[Seg], key: bool, message: String, help: Option<&str>) {
        let span = self.span_or_prefix(path, key);
        let mut p = Problem::at_indexed(self.file, &self.lines, span, message);
        if p.snippet.as_deref().is_some_and(looks_secret) {
            p.snippet = None;
        }
        if let Some(h) = help {
            p = p.help(h);
        }
        self.problems.push(p);
    }

    fn err(&mut self, path: &[Seg], message: impl Into<String>, help: &str) {
        self.report(path, false, message.into(), Some(help));
    }

    /// Like `err`, for a value that may hold a secret: the message must not quote it, and
    /// the source line is not shown.
    fn err_secret(&mut self, path: &[Seg], message: impl Into<String>, help: &str) {
        self.err(path, message, help);
        if let Some(p) = self.problems.last_mut() {
            p.snippet = None;
        }
    }

    fn line(&self, path: &[Seg]) -> usize {
        self.span_or_prefix(path, false)
            .map(|s| self.lines.line_col(s.start).0)
            .unwrap_or(0)
    }

    fn non_empty(&mut self, path: &[Seg], value: &str, what: &str, example: &str) {
        if value.trim().is_empty() {
            self.err(
                path,
                format!("{what} is empty"),
                &format!("give a value, e.g. {example}"),
            );
        }
    }

    fn path_value(&mut self, path: &[Seg], value: &str, what: &str, example: &str) {
        if value.trim().is_empty() {
            self.err(
                path,
                format!("{what} is empty"),
                &format!("give a path relative to the manifest, e.g. {example}"),
            );
        } else if value.contains('\0') {
            self.err(path, format!("{what} contains a NUL character"), "remove it");
        }
    }

    fn date(&mut self, path: &[Seg], date: &IsoDate, what: &str) -> Option<NaiveDate> {
        match parse_date(date.as_str()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(path, format!("{what}: {e}"), DATE_HELP);
                None
            }
        }
    }

    /// A rule id, or a glob over rule ids (`*` and `?`; whether it matches a rule is checked
    /// against the loaded rules later, by the command).
    fn rule_id(&mut self, path: &[Seg], id: &str) {
        let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let ok = id.starts_with(|c: char| word(c) || matches!(c, '*' | '?'))
            && id.chars().all(|c| word(c) || matches!(c, '-' | '_' | '.' | '*' | '?'));
        if !ok {
            self.err(
                path,
                format!("`{id}` is not a rule id or glob"),
                "rule ids are lower-case letters, digits and dashes, e.g. \"hipaa-risk-analysis\"; \
                 a glob adds * (any characters) and ? (one character), e.g. \"gdpr-dpa-*\"; \
                 `vetter rules list` shows them",
            );
        }
    }

    /// Report a value listed twice within one kind of table (e.g. two endpoints with one URL).
    fn duplicates<'v>(&mut self, items: impl Iterator<Item = (usize, &'v str)>, kind: &str, key: &str) {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, v) in items {
            if v.trim().is_empty() {
                continue;
            }
            // URLs compare as URLs: `HTTPS://H:443` and `https://h/` are one endpoint.
            let norm = match reqwest::Url::parse(v) {
                Ok(u) if kind == "endpoint" => u.to_string(),
                _ => v.to_string(),
            };
            if let Some(&first) = seen.get(&norm) {
                let line = self.line(&[K(kind), I(first)]);
                self.err(
                    &[K(kind), I(i), K(key)],
                    format!("[[{kind}]] {key} is listed twice (first at line {line})"),
                    "list each one once; findings are identified by it",
                );
            } else {
                seen.insert(norm, i);
            }
        }
    }

    fn manifest(&mut self, m: &Manifest) {
        self.vendor(&m.vendor);
        for (i, e) in m.endpoint.iter().enumerate() {
            self.endpoint(i, e);
        }
        self.duplicates(m.endpoint.iter().map(|e| e.url.as_str()).enumerate(), "endpoint", "url");
        for (i, e) in m.export.iter().enumerate() {
            self.export(i, e);
        }
        self.duplicates(m.export.iter().map(|e| e.path.as_str()).enumerate(), "export", "path");
        for (i, a) in m.audit_log.iter().enumerate() {
            self.audit_log(i, a);
        }
        self.duplicates(
            m.audit_log.iter().map(|e| e.path.as_str()).enumerate(),
            "audit_log",
            "path",
        );
        for (i, e) in m.evidence.iter().enumerate() {
            self.path_value(
                &[K("evidence"), I(i), K("path")],
                &e.path,
                "[[evidence]] path",
                "\"evidence/soc2-type2-2025.pdf\"",
            );
            if let Some(name) = &e.subservice {
                if e.kind.is_some_and(|k| k != EvidenceKind::Soc2) {
                    self.err(
                        &[K("evidence"), I(i), K("subservice")],
                        "[[evidence]] subservice names the organisation whose SOC report this is, so the kind must be \"soc2\"",
                        "set kind = \"soc2\" (or leave kind out), or remove `subservice`",
                    );
                } else if name.trim().is_empty() {
                    self.err(
                        &[K("evidence"), I(i), K("subservice")],
                        "[[evidence]] subservice is empty",
                        "name the subservice organisation as the vendor's SOC 2 report does, e.g. subservice = \"Amazon Web Services\"",
                    );
                }
            }
        }
        self.duplicates(
            m.evidence.iter().map(|e| e.path.as_str()).enumerate(),
            "evidence",
            "path",
        );
        self.params(&m.params);
        for (i, a) in m.attestation.iter().enumerate() {
            self.attestation(i, a);
        }
        self.waivers(&m.waiver);
    }

    fn vendor(&mut self, v: &Vendor) {
        self.non_empty(
            &[K("vendor"), K("name")],
            &v.name,
            "[vendor] name",
            "name = \"Acme Practice CRM\"",
        );
        if let Some(c) = &v.contact {
            self.non_empty(
                &[K("vendor"), K("contact")],
                c,
                "[vendor] contact",
                "contact = \"security@acme.example\"",
            );
        }
        if let Some(fw) = &v.frameworks {
            let path = [K("vendor"), K("frameworks")];
            if fw.is_empty() {
                self.err(
                    &path,
                    "[vendor] frameworks is empty, so nothing would be assessed",
                    "remove the key to use every default pack, or name packs, e.g. [\"hipaa\", \"gdpr\"]",
                );
            }
            // Each kind of problem is reported once, at its first entry, with a count: a list
            // of thousands of repeats would otherwise print thousands of errors, each quoting
            // the whole line.
            let mut seen = BTreeSet::new();
            let (mut bad, mut repeats): (Vec<usize>, BTreeMap<&str, (usize, usize)>) = Default::default();
            for (i, f) in fw.iter().enumerate() {
                let ok = !f.is_empty()
                    && f.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
                if !ok {
                    bad.push(i);
                } else if !seen.insert(f.as_str()) {
                    repeats.entry(f.as_str()).or_insert((i, 1)).1 += 1;
                }
            }
            if let Some(&i) = bad.first() {
                let more = match bad.len() {
                    1 => String::new(),
                    n => format!(" ({} more entries are not pack ids either)", n - 1),
                };
                self.err(
                    &[K("vendor"), K("frameworks"), I(i)],
                    format!("`{}` is not a rule-pack id{more}", fw[i]),
                    "pack ids are lower-case, e.g. \"hipaa\"; `vetter rules list` shows them",
                );
            }
            if let Some((i, _)) = repeats.values().min() {
                let named: Vec<String> = repeats
                    .iter()
                    .take(5)
                    .map(|(f, (_, n))| {
                        if *n == 2 {
                            format!("`{f}` twice")
                        } else {
                            format!("`{f}` {n} times")
                        }
                    })
                    .collect();
                let others = repeats.len().saturating_sub(named.len());
                let tail = if others > 0 {
                    format!(" and {others} more")
                } else {
                    String::new()
                };
                self.err(
                    &[K("vendor"), K("frameworks"), I(*i)],
                    format!("frameworks lists {}{tail}", named.join(", ")),
                    "list each pack once",
                );
            }
        }
        if let Some(d) = &v.next_review {
            self.date(&[K("vendor"), K("next_review")], d, "[vendor] next_review");
        }
    }

    fn endpoint(&mut self, i: usize, e: &Endpoint) {
        let base = |k| [K("endpoint"), I(i), K(k)];
        if let Err(msg) = check_url(&e.url) {
            let secret = msg == CREDENTIALS_IN_URL;
            (if secret { Self::err_secret } else { Self::err })(
                self,
                &base("url"),
                format!("[[endpoint]] url: {msg}"),
                "use an absolute URL, e.g. \"https://api.acme.example/v2/patients\"; \
                 put credentials in `auth`, never in the URL",
            );
        }
        if let Some(h) = &e.http_url {
            let plain_http = h.to_ascii_lowercase().starts_with("http://");
            match check_url(h) {
                Err(msg) => (if msg == CREDENTIALS_IN_URL {
                    Self::err_secret
                } else {
                    Self::err
                })(
                    self,
                    &base("http_url"),
                    format!("[[endpoint]] http_url: {msg}"),
                    "use the plain-http address, e.g. \"http://api.acme.example/v2/patients\"",
                ),
                Ok(()) if !plain_http => self.err(
                    &base("http_url"),
                    "[[endpoint]] http_url is not an http:// URL",
                    "http_url is where the http→https redirect is tested, e.g. \
                     \"http://api.acme.example/v2/patients\"",
                ),
                Ok(()) => {}
            }
        }
        if let Some(r) = &e.resolve {
            let bare = r.trim_start_matches('[').trim_end_matches(']');
            if bare.parse::<std::net::IpAddr>().is_err() {
                self.err(
                    &base("resolve"),
                    format!("[[endpoint]] resolve `{r}` is not an IP address"),
                    "give the address to connect to, e.g. \"127.0.0.1\" or \"::1\"; the URL's host \
                     name is still used for SNI",
                );
            }
        }
        if let Some(auth) = &e.auth {
            let hp = [K("endpoint"), I(i), K("auth"), K("header")];
            let ep = [K("endpoint"), I(i), K("auth"), K("env")];
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if auth.header.is_empty() {
                self.err(
                    &hp,
                    "auth header name is empty",
                    "name the HTTP header, e.g. header = \"Authorization\"",
                );
            } else if !auth.header.chars().all(token) {
                self.err_secret(
                    &hp,
                    "auth header is not an HTTP header name (it has spaces or other characters \
                     not allowed in a header name)",
                    "header names are letters, digits and dashes, e.g. \"Authorization\" or \"X-Api-Key\"",
                );
            }
            let env_ok = auth.env.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && auth.env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if auth.env.is_empty() {
                self.err(
                    &ep,
                    "auth env name is empty",
                    "name the environment variable that holds the secret, e.g. env = \"ACME_TOKEN\" \
                     (the secret itself never goes in the manifest)",
                );
            } else if !env_ok {
                self.err_secret(
                    &ep,
                    "auth env is not an environment variable name (did a secret end up here?)",
                    "use letters, digits and underscores, e.g. env = \"ACME_TOKEN\"; the manifest names \
                     the variable, never the secret",
                );
            }
        }
    }

    fn export(&mut self, i: usize, e: &Export) {
        let p = |k| [K("export"), I(i), K(k)];
        self.path_value(&p("path"), &e.path, "[[export]] path", "\"exports/patients.csv.gz\"");
        if let Some(cols) = &e.columns {
            let mut seen = BTreeSet::new();
            for (j, c) in cols.iter().enumerate() {
                let cp = [K("export"), I(i), K("columns"), I(j)];
                if c.trim().is_empty() {
                    self.err(&cp, "a column name is empty", "remove it or name the column");
                } else if !seen.insert(c.as_str()) {
                    self.err(&cp, format!("column `{c}` is listed twice"), "list each column once");
                }
            }
        }
        let listed = |name: &str| e.columns.as_ref().is_none_or(|c| c.iter().any(|c| c == name));
        if let Some(r) = &e.retention {
            let rp = |k| [K("export"), I(i), K("retention"), K(k)];
            if r.date_field.trim().is_empty() {
                self.err(
                    &rp("date_field"),
                    "retention date_field is empty",
                    "name the date column, e.g. \"last_visit\"",
                );
            } else if !listed(&r.date_field) {
                self.err(
                    &rp("date_field"),
                    format!(
                        "retention date_field `{}` is not one of this export's columns",
                        r.date_field
                    ),
                    "add it to `columns`, or fix the name",
                );
            }
            if r.max_age_days == 0 {
                self.err(
                    &rp("max_age_days"),
                    "retention max_age_days is 0",
                    "give the retention period in days, e.g. max_age_days = 2190 (six years)",
                );
            }
        }
        if let Some(er) = &e.erasure {
            let ep = |k| [K("export"), I(i), K("erasure"), K(k)];
            self.path_value(&ep("file"), &er.file, "erasure file", "\"requests/erasure.txt\"");
            if er.column.trim().is_empty() {
                self.err(
                    &ep("column"),
                    "erasure column is empty",
                    "name the identifier column, e.g. \"patient_id\"",
                );
            } else if !listed(&er.column) {
                self.err(
                    &ep("column"),
                    format!("erasure column `{}` is not one of this export's columns", er.column),
                    "add it to `columns`, or fix the name",
                );
            }
        }
    }

    fn audit_log(&mut self, i: usize, a: &AuditLog) {
        let p = |k| [K("audit_log"), I(i), K(k)];
        self.path_value(&p("path"), &a.path, "[[audit_log]] path", "\"exports/audit.jsonl\"");
        if let Some(f) = &a.fields {
            let all = [
                ("actor", &f.actor),
                ("action", &f.action),
                ("resource", &f.resource),
                ("timestamp", &f.timestamp),
                ("outcome", &f.outcome),
                ("source_ip", &f.source_ip),
                ("fields_accessed", &f.fields_accessed),
            ];
            for (name, v) in all {
                if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    self.err(
                        &[K("audit_log"), I(i), K("fields"), K(name)],
                        format!("fields.{name} is empty"),
                        "name the log's key or column that carries it, or remove the entry",
                    );
                }
            }
        }
        if let Some(actions) = &a.actions {
            let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
            for (verb, names) in actions {
                let vp = [K("audit_log"), I(i), K("actions"), K(verb)];
                if !ACTION_VERBS.contains(&verb.as_str()) {
                    let verbs: Vec<String> = ACTION_VERBS.iter().map(|s| s.to_string()).collect();
                    let mut help = format!("use one of: {}", ACTION_VERBS.join(", "));
                    if let Some(best) = closest(verb, &verbs) {
                        help = format!("did you mean `{best}`? {help}");
                    }
                    self.report(&vp, true, format!("unknown action verb `{verb}`"), Some(&help));
                    continue;
                }
                if names.is_empty() {
                    self.err(
                        &vp,
                        format!("actions.{verb} is empty"),
                        "list the log's action names, or remove it",
                    );
                }
                for (j, n) in names.iter().enumerate() {
                    let np = [K("audit_log"), I(i), K("actions"), K(verb), I(j)];
                    if n.trim().is_empty() {
                        self.err(&np, "an action name is empty", "remove it");
                    } else if let Some(prev) = owner.insert(n.as_str(), verb.as_str())
                        && prev != verb
                    {
                        self.err(
                            &np,
                            format!("action `{n}` is mapped to both `{prev}` and `{verb}`"),
                            "map each of the log's action names to one verb",
                        );
                    }
                }
            }
        }
        if let Some(bh) = &a.business_hours {
            let bp = |k| [K("audit_log"), I(i), K("business_hours"), K(k)];
            let hhmm = "use 24-hour HH:MM, e.g. start = \"07:00\", end = \"19:00\"";
            let start =
                parse_hhmm(&bh.start).map_err(|e| self.err(&bp("start"), format!("business_hours start: {e}"), hhmm));
            let end = parse_hhmm(&bh.end).map_err(|e| self.err(&bp("end"), format!("business_hours end: {e}"), hhmm));
            if let (Ok(s), Ok(e)) = (start, end)
                && s == e
            {
                self.err(
                    &bp("end"),
                    "business_hours start and end are the same time",
                    "give the end of the working day, e.g. end = \"19:00\" (an end before the start \
                     means the hours cross midnight)",
                );
            }
            if let Err(e) = parse_days(&bh.days) {
                self.err(
                    &bp("days"),
                    format!("business_hours days: {e}"),
                    "use day names like \"Mon-Fri\" or \"Mon,Wed,Fri\"",
                );
            }
            if !valid_tz_name(&bh.tz) {
                self.err(
                    &bp("tz"),
                    format!(
                        "business_hours tz `{}` is not an IANA time-zone name",
                        bh.tz.escape_debug()
                    ),
                    "use a name from the tz database, e.g. \"America/Chicago\", \"Europe/Berlin\" or \"UTC\"",
                );
            }
        }
        if let Some(tz) = &a.tz
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            self.err(
                &p("tz"),
                format!("tz `{}` is not an IANA time-zone name", tz.escape_debug()),
                "use a name from the tz database, e.g. \"America/New_York\", \"Europe/Berlin\" or \"UTC\"",
            );
        }
        if let Some(f) = &a.timestamp_format
            && let Err(e) = check_strftime(f)
        {
            self.err(
                &p("timestamp_format"),
                format!("timestamp_format: {e}"),
                "use strftime fields, e.g. timestamp_format = \"%m/%d/%Y %I:%M:%S %p\" or \"%d.%m.%Y %H:%M\"",
            );
        }
        if a.bulk_export_threshold == Some(0) {
            self.err(
                &p("bulk_export_threshold"),
                "bulk_export_threshold is 0, so every export would be bulk",
                "give the number of records above which an export is bulk, e.g. 500",
            );
        }
        if let Some(ap) = &a.appointments {
            let app = |k| [K("audit_log"), I(i), K("appointments"), K(k)];
            self.path_value(
                &app("path"),
                &ap.path,
                "appointments path",
                "\"exports/appointments.csv\"",
            );
            self.non_empty(
                &app("patient"),
                &ap.patient,
                "appointments patient",
                "patient = \"patient_id\"",
            );
            self.non_empty(&app("date"), &ap.date, "appointments date", "date = \"starts_at\"");
        }
    }

    fn params(&mut self, params: &BTreeMap<String, serde_json::Value>) {
        let Some(table) = self.root.get("params").and_then(|v| v.get_ref().as_table()) else {
            return;
        };
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let path = [K("params"), K(name)];
            let ok_name = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok_name {
                self.report(
                    &path,
                    true,
                    format!("`{name}` is not a parameter name"),
                    Some("parameter names are lower_snake_case; `vetter rules explain ID` lists a rule's parameters"),
                );
            }
            let problem = match value.get_ref() {
                DeValue::Array(_) => Some(format!(
                    "params.{name} is an array, but a parameter takes a single value"
                )),
                DeValue::Table(_) => Some(format!(
                    "params.{name} is a table, but a parameter takes a single value"
                )),
                DeValue::Float(_) if !params.get(name).is_some_and(|v| v.is_number()) => {
                    Some(format!("params.{name} is not a finite number"))
                }
                _ => None,
            };
            if let Some(msg) = problem {
                self.err(
                    &path,
                    msg,
                    "give a number, string or boolean, e.g. breach_notice_max_days = 10",
                );
            }
        }
    }

    fn attestation(&mut self, i: usize, a: &Attestation) {
        let p = |k| [K("attestation"), I(i), K(k)];
        let entries = a.rule.entries();
        if entries.is_empty() {
            self.err(
                &p("rule"),
                "[[attestation]] rule is an empty list",
                "name the rules it answers, e.g. rule = [\"hipaa-risk-analysis\", \"hipaa-admin-*\"]",
            );
        }
        if let [one] = entries
            && self.span(&[K("attestation"), I(i), K("rule"), I(0)], false).is_none()
        {
            self.rule_id(&p("rule"), one);
        } else {
            for (j, r) in entries.iter().enumerate() {
                self.rule_id(&[K("attestation"), I(i), K("rule"), I(j)], r);
            }
        }
        if let Some(e) = &a.evidence {
            self.path_value(
                &p("evidence"),
                e,
                "[[attestation]] evidence",
                "\"evidence/risk-analysis-2026.pdf\"",
            );
        }
        self.non_empty(
            &p("attested_by"),
            &a.attested_by,
            "[[attestation]] attested_by",
            "attested_by = \"J. Rivera, practice manager\"",
        );
        if a.evidence_sha256.is_some() {
            self.err(
                &p(COMPUTED_ATTESTATION_KEY),
                format!("[[attestation]] sets `{COMPUTED_ATTESTATION_KEY}`"),
                "remove it: vetter hashes the evidence file itself when it reads it",
            );
        }
        let date = self.date(&p("date"), &a.date, "[[attestation]] date");
        let expires = a
            .expires
            .as_ref()
            .and_then(|e| self.date(&p("expires"), e, "[[attestation]] expires"));
        if let (Some(d), Some(x)) = (date, expires)
            && x < d
        {
            self.err(
                &p("expires"),
                format!("[[attestation]] expires {x} is before its date {d}"),
                "an attestation expires after it is made; fix one of the dates",
            );
        }
    }

    fn waivers(&mut self, waivers: &[Waiver]) {
        for (i, w) in waivers.iter().enumerate() {
            let p = |k| [K("waiver"), I(i), K(k)];
            self.rule_id(&p("rule"), &w.rule);
            if let Some(r) = &w.resource {
                if r.is_empty() {
                    self.err(
                        &p("resource"),
                        "[[waiver]] resource is empty",
                        "remove it to waive the rule everywhere, or give a glob, e.g. \"https://api.acme.example/*\"",
                    );
                } else if let Err(e) = glob::Pattern::new(r) {
                    self.err(
                        &p("resource"),
                        format!("[[waiver]] resource `{r}` is not a valid glob: {}", e.msg),
                        "use * and ? wildcards, e.g. \"https://api.acme.example/*\"",
                    );
                }
            }
            self.non_empty(
                &p("reason"),
                &w.reason,
                "[[waiver]] reason",
                "reason = \"EU data stays in eu-west-1\"",
            );
            self.non_empty(
                &p("approver"),
                &w.approver,
                "[[waiver]] approver",
                "approver = \"M. Chen, privacy officer\"",
            );
            self.date(&p("expires"), &w.expires, "[[waiver]] expires");
        }
    }
}

/// The shape of an IANA zone name (`UTC`, `America/Chicago`, `Etc/GMT+5`). Whether the zone
/// exists is checked when the audit log is read, against the time-zone database.
/// A `timestamp_format` must be valid strftime and name at least a date.
fn check_strftime(f: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(f).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!("`{}` is not a valid strftime layout", f.escape_debug()));
    }
    let day = ["%d", "%e", "%j", "%D", "%F", "%x", "%s", "%c", "%+"];
    if !day.iter().any(|d| f.contains(d)) {
        return Err(format!("`{}` names no day (%d, %e, %F, ...)", f.escape_debug()));
    }
    Ok(())
}

fn valid_tz_name(tz: &str) -> bool {
    !tz.is_empty()
        && tz.len() <= 64
        && tz.starts_with(|c: char| c.is_ascii_alphabetic())
        && !tz.ends_with('/')
        && !tz.contains("//")
        && !tz.contains("..")
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
}

// ---------------------------------------------------------------------------------------------
// The broken-manifest corpus
// ---------------------------------------------------------------------------------------------

/// Check every file of a broken-manifest corpus against its `EXPECTED.txt`
/// (`name: line:column: substring of the message`, `0:0` for whole-file problems).
/// Returns one line per mismatch; empty when the corpus behaves as documented.
pub fn check_broken_corpus(dir: &Path) -> Vec<String> {
    let mut mismatches = Vec::new();
    let expected_path = dir.join("EXPECTED.txt");
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{}: {e}", expected_path.display())],
    };
    let mut listed = BTreeSet::new();
    for (n, line) in expected.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line.split_once(": ").and_then(|(name, rest)| {
            let (pos, needle) = rest.split_once(": ")?;
            let (l, c) = pos.split_once(':')?;
            Some((name, l.parse::<usize>().ok()?, c.parse::<usize>().ok()?, needle))
        });
        let Some((name, want_line, want_col, needle)) = parsed else {
            mismatches.push(format!("EXPECTED.txt:{}: cannot parse `{line}`", n + 1));
            continue;
        };
        listed.insert(name.to_string());
        match load(&dir.join(name)) {
            Ok(_) => mismatches.push(format!("{name}: loaded without error")),
            Err(err) => {
                let hit = err
                    .problems
                    .iter()
                    .any(|p| p.line == want_line && p.column == want_col && p.message.contains(needle));
                if !hit {
                    let got: Vec<String> = err
                        .problems
                        .iter()
                        .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
                        .collect();
                    mismatches.push(format!(
                        "{name}: expected {want_line}:{want_col}: {needle}; got [{}]",
                        got.join(" | ")
                    ));
                }
            }
        }
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name != "EXPECTED.txt" && !listed.contains(&name) {
                    mismatches.push(format!("{name}: not listed in EXPECTED.txt"));
                }
            }
        }
        Err(e) => mismatches.push(format!("{}: {e}", dir.display())),
    }
    mismatches
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = include_str!("../fixtures/vendors/full/vendor.toml");

    fn corpus_dir() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("VETTER_FIXTURES").map(PathBuf::from),
            Path::new(file!())
                .parent()
                .map(|p| p.join("../fixtures/broken/manifests")),
            Some(PathBuf::from("fixtures/broken/manifests")),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|p| p.join("EXPECTED.txt").is_file())
    }

    fn problems(text: &str) -> Vec<Problem> {
        match parse(text, "t.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.problems,
        }
    }

    const MINIMAL: &str = "[vendor]\nname = \"Acme\"\n";

    #[test]
    fn full_example_parses_and_uses_every_key() {
        let m = parse(FULL, "vendor.toml").unwrap_or_else(|e| panic!("{e}"));
        // Every optional key is present: nothing serialises as null (but the evidence hash,
        // which vetter fills and a manifest may not set).
        fn no_nulls(v: &serde_json::Value, path: &str) {
            match v {
                serde_json::Value::Null if path.ends_with(".evidence_sha256") => {}
                serde_json::Value::Null => panic!("{path} is absent from the full example"),
                // A key of a table array counts when any entry sets it (one `[[evidence]]`
                // names a subservice organisation, the vendor's own report does not).
                serde_json::Value::Array(a) if a.iter().all(|x| x.is_object()) && !a.is_empty() => {
                    let mut merged = serde_json::Map::new();
                    for x in a {
                        for (k, v) in x.as_object().unwrap() {
                            if !v.is_null() || !merged.contains_key(k) {
                                merged.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    no_nulls(&serde_json::Value::Object(merged), path)
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| no_nulls(x, path)),
                serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| no_nulls(x, &format!("{path}.{k}"))),
                _ => {}
            }
        }
        let json = serde_json::to_value(&m).unwrap();
        no_nulls(&json, "");
        for key in ["endpoint", "export", "audit_log", "evidence", "attestation", "waiver"] {
            assert!(!json[key].as_array().unwrap().is_empty(), "{key}");
        }
        assert!(!m.params.is_empty());
        assert_eq!(m.params["breach_notice_max_days"], serde_json::json!(10));
        assert!(m.params["breach_notice_max_days"].is_i64());
        assert_eq!(
            m.vendor.next_review.as_ref().unwrap().date(),
            NaiveDate::from_ymd_opt(2027, 11, 23)
        );
        assert_eq!(
            m.line_of("endpoint", 0),
            FULL.lines().position(|l| l == "[[endpoint]]").map(|n| n + 1)
        );
        assert_eq!(
            m.line_of("vendor", 0),
            Some(FULL.lines().position(|l| l == "[vendor]").unwrap() + 1)
        );
        assert_eq!(m.line_of("endpoint", 99), None);
        assert_eq!(m.line_of("nothing", 0), None);
        let bh = m.audit_log[0].business_hours.as_ref().unwrap();
        assert_eq!(bh.weekdays().unwrap().len(), 5);
        assert!(bh.start_time().unwrap() < bh.end_time().unwrap());
        // Round-trips through JSON (the facts file carries parts of it).
        let back: Manifest = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    #[test]
    fn schema_generates() {
        let schema = schemars::schema_for!(Manifest);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("business_hours"));
        assert!(!text.contains("\"source\""));
    }

    #[test]
    fn rule_spans_place_each_rule_and_list_entry() {
        let text = "\u{feff}[[attestation]]\nrule = [\"a\", \"b-*\"]\n[[attestation]]\nrule = \"c\"\n\
                    [[waiver]]\nreason = \"r\"\n";
        let at = rule_spans(text, "attestation");
        let quoted = |r: &Range<usize>| &text[r.clone()];
        assert_eq!(at.len(), 2);
        assert_eq!(at[0].iter().map(quoted).collect::<Vec<_>>(), ["\"a\"", "\"b-*\""]);
        assert_eq!(at[1].iter().map(quoted).collect::<Vec<_>>(), ["\"c\""]);
        assert_eq!(rule_spans(text, "waiver"), vec![Vec::<Range<usize>>::new()]);
        assert!(rule_spans("not = [toml", "waiver").is_empty());
    }

    #[test]
    fn waiver_line_of_and_second_waiver() {
        let text = format!(
            "{MINIMAL}\n[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n\n\
             [[waiver]]\nrule = \"b\"\nreason = \"r\"\napprover = \"x\"\nexpires = 2027-01-02\n"
        );
        let m = parse(&text, "t.toml").unwrap();
        assert_eq!(m.line_of("waiver", 0), Some(4));
        assert_eq!(m.line_of("waiver", 1), Some(10));
        // A bare TOML date is accepted and kept as the string.
        assert_eq!(m.waiver[1].expires.as_str(), "2027-01-02");
    }

    #[test]
    fn collects_every_semantic_problem() {
        let text = "[vendor]\nname = \"\"\nnext_review = \"2027-13-01\"\n\n\
                    [[endpoint]]\nurl = \"ftp://x\"\nauth = { header = \"Authorization\", env = \"\" }\n\n\
                    [[waiver]]\nrule = \"r\"\nreason = \"x\"\napprover = \"y\"\nexpires = \"31/03/2027\"\n";
        let ps = problems(text);
        let got: Vec<(usize, usize)> = ps.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(got, vec![(2, 8), (3, 15), (6, 7), (7, 42), (13, 11)], "{ps:#?}");
        assert!(ps.iter().all(|p| p.help.is_some()));
        assert!(ps[4].help.as_deref().unwrap().contains("YYYY-MM-DD"));
    }

    #[test]
    fn unknown_key_lists_valid_keys() {
        let ps = problems("[vendor]\nname = \"x\"\nnmae = 1\n");
        assert_eq!((ps[0].line, ps[0].column), (3, 1));
        let help = ps[0].help.as_deref().unwrap();
        assert!(help.contains("contact") && help.contains("next_review"), "{help}");
        let ps = problems("[vendor]\nname = \"x\"\n[[endpoints]]\nurl = \"https://a\"\n");
        assert!(
            ps[0].help.as_deref().unwrap().contains("did you mean `endpoint`"),
            "{ps:?}"
        );
    }

    #[test]
    fn a_subservice_report_must_be_a_soc_report_with_a_name() {
        let ps = problems(&format!(
            "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nkind = \"baa\"\nsubservice = \"Amazon Web Services\"\n"
        ));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].line, 7);
        assert!(ps[0].message.contains("kind must be \"soc2\""), "{}", ps[0].message);
        let ps = problems(&format!(
            "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nsubservice = \" \"\n"
        ));
        assert!(ps[0].message.contains("subservice is empty"), "{ps:#?}");
        assert!(
            problems(&format!(
                "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nsubservice = \"AWS\"\n"
            ))
            .is_empty()
        );
    }

    #[test]
    fn missing_vendor_and_empty() {
        assert!(problems("")[0].message.contains("empty"));
        assert!(problems("  \n# only a comment\n")[0].message.contains("empty"));
        assert!(
            problems("[[endpoint]]\nurl = \"https://a\"\n")[0]
                .message
                .contains("[vendor]")
        );
        let p = &problems("[vendor]\ncontact = \"a\"\n")[0];
        assert!(p.message.contains("name"), "{p:?}");
    }

    #[test]
    fn secrets_are_never_echoed() {
        let cases = [
            "[[endpoint]]\nurl = \"https://admin:sk_live_123@api.example/\"\n",
            "[[endpoint]]\nurl = \"ftp://admin:sk_live_123@api.example/\"\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = \"Bearer sk_live_123\"\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = { header = \"Authorization\", env = \"sk_live_123.x\" }\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = { header = \"Bearer sk_live_123\", env = \"T\" }\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\ntoken = \"sk_live_123\"\n",
        ];
        for case in cases {
            let err = parse(&format!("{MINIMAL}{case}"), "t.toml").unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("sk_live_123"), "{shown}");
            assert!(err.problems.iter().all(|p| p.line > 0), "{shown}");
        }
    }

    #[test]
    fn an_attestation_may_not_set_the_hash_vetter_computes() {
        let text = format!(
            "{MINIMAL}[[attestation]]\nrule = \"a\"\nattested_by = \"J\"\ndate = \"2026-10-01\"\nevidence_sha256 = \"ab\"\n"
        );
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert!(ps[0].message.contains("sets `evidence_sha256`"), "{ps:#?}");
        assert_eq!(ps[0].line, 7, "{ps:#?}");
        // A misspelt key is not told that the computed key is a valid one.
        let ps = problems(&format!(
            "{MINIMAL}[[attestation]]\nrule = \"a\"\nattested_by = \"J\"\ndate = \"2026-10-01\"\nevidense = \"x\"\n"
        ));
        let help = ps[0].help.clone().unwrap_or_default();
        assert!(
            help.contains("`evidence`") && !help.contains("evidence_sha256"),
            "{help}"
        );
    }

    #[test]
    fn waiver_without_expires_fails_closed() {
        let ps = problems(&format!(
            "{MINIMAL}[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\n"
        ));
        assert_eq!((ps[0].line, ps[0].column), (3, 1));
        assert!(ps[0].message.contains("expires"));
    }

    #[test]
    fn params_scalars_only() {
        let m = parse(
            &format!("{MINIMAL}[params]\na = 1\nb = \"1.2\"\nc = true\nd = 2.5\ne = 2026-01-01\n"),
            "t",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&m.params).unwrap(),
            r#"{"a":1,"b":"1.2","c":true,"d":2.5,"e":"2026-01-01"}"#
        );
        let ps = problems(&format!("{MINIMAL}[params]\na = [1]\nb = nan\nc = {{ x = 1 }}\n"));
        assert_eq!(ps.len(), 3, "{ps:#?}");
    }

    #[test]
    fn value_checks() {
        assert!(parse_date("2027-02-29").is_err());
        assert!(parse_date("2028-02-29").is_ok());
        assert!(parse_date("2027-3-1").is_err());
        assert!(parse_date("+2027-03-1").is_err());
        assert!(parse_hhmm("7:00").is_err());
        assert!(parse_hhmm("24:00").is_err());
        assert!(parse_hhmm("23:59").is_ok());
        assert_eq!(parse_days("Mon-Fri").unwrap().len(), 5);
        assert_eq!(
            parse_days("fri-mon").unwrap(),
            vec![Weekday::Mon, Weekday::Fri, Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(
            parse_days("Mon,Wed,Friday").unwrap(),
            vec![Weekday::Mon, Weekday::Wed, Weekday::Fri]
        );
        assert!(parse_days("Mon-Funday").is_err());
        assert!(parse_days("").is_err());
        for ok in [
            "https://a.example",
            "http://a.example:8080/x?y#z",
            "https://[::1]:8443/",
            "https://127.0.0.1/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://a",
            "https://",
            "https://u:p@a/",
            "https://a b/",
            "https://a:0/",
            "https://a:99999/",
            "api.example",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(valid_tz_name("America/Argentina/Buenos_Aires"));
        assert!(valid_tz_name("Etc/GMT+5"));
        assert!(!valid_tz_name("+02:00"));
        assert!(!valid_tz_name("Central Time"));
    }

    #[test]
    fn load_file_problems() {
        let dir = std::env::temp_dir().join(format!("vetter-manifest-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(&dir).unwrap_err();
        assert!(e.problems[0].message.contains("directory"));
        let e = load(&dir.join("missing.toml")).unwrap_err();
        assert!(e.problems[0].message.contains("no such file"));
        let path = dir.join("vendor.toml");
        std::fs::write(&path, FULL).unwrap();
        let m = load(&path).unwrap();
        assert_eq!(m.source.file, path.display().to_string());
        assert_eq!(m.resolve("exports/a.csv"), dir.join("exports/a.csv"));
        assert_eq!(m.export[0].path, "exports/patients.csv.gz");
        let wpath = dir.join("waivers.toml");
        std::fs::write(
            &wpath,
            "[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n",
        )
        .unwrap();
        assert_eq!(load_waivers(&wpath).unwrap().len(), 1);
        std::fs::write(&wpath, "[vendor]\nname = \"x\"\n").unwrap();
        assert!(
            load_waivers(&wpath).unwrap_err().problems[0]
                .message
                .contains("unknown field")
        );
        std::fs::write(
            &wpath,
            "[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"soon\"\n",
        )
        .unwrap();
        assert_eq!(load_waivers(&wpath).unwrap_err().problems[0].line, 5);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn broken_corpus_matches_expected() {
        let Some(dir) = corpus_dir() else {
            println!("note: fixtures/broken/manifests not found (set VETTER_FIXTURES); skipped");
            return;
        };
        let mismatches = check_broken_corpus(&dir);
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    #[test]
    fn never_panics() {
        if let Some(dir) = corpus_dir() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let _ = load(&entry.path());
                let _ = load_waivers(&entry.path());
            }
        }
        // Byte-mangled versions of the full example: flips, deletions, insertions, truncations.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let specials = b"[]{}=\"'\n#.,\\-:0 \xff\xc3";
        for _ in 0..3000 {
            let mut bytes = FULL.as_bytes().to_vec();
            for _ in 0..(next() % 6 + 1) {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                let byte = specials[(next() as usize) % specials.len()];
                match next() % 4 {
                    0 => bytes[at] = byte,
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, byte),
                    _ => bytes.truncate(at),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(m) = parse(&text, "fuzz.toml") {
                let _ = m.line_of("waiver", 0);
            }
            let _ = parse_waivers(&text, "fuzz.toml");
        }
    }
}
