//! The manifest's types: what a `vendor.toml` and a waiver file hold once read.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use chrono::{NaiveDate, NaiveTime, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{parse_date, parse_days, parse_hhmm};

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
    /// Where every key and value is written, carried with the values so that a problem found
    /// after loading (an unknown rule or parameter, a missing file) points at its key.
    #[serde(skip)]
    pub spans: Spans,
}

/// One step of a path into a TOML document: a key of a table, or an index into an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg<'a> {
    K(&'a str),
    I(usize),
}

/// [`Seg`] as stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Index(usize),
}

impl From<Seg<'_>> for Step {
    fn from(s: Seg<'_>) -> Self {
        match s {
            Seg::K(k) => Step::Key(k.to_string()),
            Seg::I(i) => Step::Index(i),
        }
    }
}

/// Where one key and its value are written (byte ranges of the file's text).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    /// The key (`None` for an array entry).
    key: Option<Range<usize>>,
    value: Range<usize>,
}

/// The byte range of every key and value of a TOML file, by path (`endpoint.0.auth.env`),
/// taken from the parser's spans once, when the file is read. Diagnostics look places up
/// here; nothing searches the text for a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    places: BTreeMap<Vec<Step>, Place>,
    /// Added to every span: the length of a byte-order mark stripped before parsing.
    offset: usize,
}

impl Spans {
    /// Every place in a parsed document; `offset` is added to each (a stripped BOM).
    pub fn of(root: &toml::de::DeTable<'_>, offset: usize) -> Spans {
        fn walk(v: &toml::de::DeValue<'_>, path: &mut Vec<Step>, places: &mut BTreeMap<Vec<Step>, Place>) {
            match v {
                toml::de::DeValue::Table(t) => {
                    for (k, v) in t.iter() {
                        path.push(Step::Key(k.get_ref().to_string()));
                        places.insert(
                            path.clone(),
                            Place {
                                key: Some(k.span()),
                                value: v.span(),
                            },
                        );
                        walk(v.get_ref(), path, places);
                        path.pop();
                    }
                }
                toml::de::DeValue::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        path.push(Step::Index(i));
                        places.insert(
                            path.clone(),
                            Place {
                                key: None,
                                value: v.span(),
                            },
                        );
                        walk(v.get_ref(), path, places);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        let mut places = BTreeMap::new();
        let mut path = Vec::new();
        for (k, v) in root.iter() {
            path.push(Step::Key(k.get_ref().to_string()));
            places.insert(
                path.clone(),
                Place {
                    key: Some(k.span()),
                    value: v.span(),
                },
            );
            walk(v.get_ref(), &mut path, &mut places);
            path.pop();
        }
        Spans { places, offset }
    }

    fn place(&self, path: &[Seg]) -> Option<&Place> {
        let key: Vec<Step> = path.iter().map(|s| Step::from(*s)).collect();
        self.places.get(&key)
    }

    fn shift(&self, r: &Range<usize>) -> Range<usize> {
        r.start + self.offset..r.end + self.offset
    }

    /// The value at `path`, if it is written.
    pub fn value(&self, path: &[Seg]) -> Option<Range<usize>> {
        self.place(path).map(|p| self.shift(&p.value))
    }

    /// The key at `path` (its value's place for an array entry).
    pub fn key(&self, path: &[Seg]) -> Option<Range<usize>> {
        self.place(path).map(|p| self.shift(p.key.as_ref().unwrap_or(&p.value)))
    }

    /// The value (or with `key`, the key) at `path`, or else of the deepest part of the path
    /// that is written: a problem about a key that is absent points at its table.
    pub fn nearest(&self, path: &[Seg], key: bool) -> Option<Range<usize>> {
        (1..=path.len()).rev().find_map(|n| {
            if key && n == path.len() {
                self.key(&path[..n])
            } else {
                self.value(&path[..n])
            }
        })
    }
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

/// `auth`: how an endpoint is probed. `{ header, env }` sends the secret held in the environment
/// variable `env` (which must be set, or the run stops before probing); `"none"` says the
/// endpoint is probed without credentials on purpose (as is one without `auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `auth = "none"`.
    None,
    /// `auth = { header, env }`.
    Env(EnvAuth),
}

/// `auth = { header, env }`: the secret is read from the environment variable `env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvAuth {
    pub header: String,
    pub env: String,
}

/// The word that marks an endpoint probed without credentials on purpose.
pub const AUTH_NONE: &str = "none";

impl Auth {
    /// The header and variable of a credential, if the endpoint sends one.
    pub fn credential(&self) -> Option<&EnvAuth> {
        match self {
            Auth::None => None,
            Auth::Env(e) => Some(e),
        }
    }
}

impl Serialize for Auth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Auth::None => s.serialize_str(AUTH_NONE),
            Auth::Env(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Auth;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Backticks, not quotes: a message about an `auth` line has its quoted parts redacted.
                f.write_str("`none` or a table { header, env }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Auth, E> {
                if v == AUTH_NONE {
                    Ok(Auth::None)
                } else {
                    // Never quoted back: a string here is often a pasted secret.
                    Err(E::invalid_value(serde::de::Unexpected::Other("a string"), &self))
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Auth, A::Error> {
                EnvAuth::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Auth::Env)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for Auth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Auth".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let env = generator.subschema_for::<EnvAuth>();
        schemars::json_schema!({
            "oneOf": [{ "const": AUTH_NONE }, env]
        })
    }
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
pub(crate) const COMPUTED_ATTESTATION_KEY: &str = "evidence_sha256";

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
pub(crate) const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

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

/// The shape of a `--waivers FILE`: `[[waiver]]` tables only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaiverTables {
    #[serde(default)]
    pub(crate) waiver: Vec<Waiver>,
}

/// A `--waivers FILE` once read: its waivers, and where each of their keys is written.
#[derive(Debug, Clone, Default)]
pub struct WaiverFile {
    pub waivers: Vec<Waiver>,
    /// The file as the user named it.
    pub file: String,
    pub text: String,
    pub spans: Spans,
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

/// The placeholders `vetter init` writes: a manifest still holding one is the untouched
/// template, which would grade an example vendor (the pre-flight stops it).
pub const TEMPLATE_VENDOR_NAME: &str = "Example Practice CRM";
pub const TEMPLATE_CONTACT: &str = "security@vendor.example";
pub const TEMPLATE_ENDPOINT_URL: &str = "https://api.vendor.example/v1/patients";
