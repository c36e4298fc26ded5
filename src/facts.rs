//! ③ Facts: the typed tree every probe fills and every rule reads.
//!
//! This is the public contract between probes and rule packs. Names only grow. Unknown or
//! absent values are `None` (JSON `null`), never a guessed default. `vetter facts --schema`
//! prints the JSON Schema derived from these types, and `docs/facts.md` is generated from it.
//! No I/O here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rules::shape::Shape;

/// The whole facts tree for one vendor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// The manifest's `[vendor]` table.
    pub vendor: VendorFacts,
    /// The assessment date (YYYY-MM-DD) every age is computed against.
    pub as_of: String,
    /// One entry per `[[endpoint]]`.
    #[serde(default)]
    pub endpoints: Vec<EndpointFacts>,
    /// One entry per `[[export]]`.
    #[serde(default)]
    pub exports: Vec<ExportFacts>,
    /// One entry per `[[audit_log]]`.
    #[serde(default)]
    pub audit_logs: Vec<AuditLogFacts>,
    /// Documents the vendor supplied, by kind.
    #[serde(default)]
    pub evidence: EvidenceFacts,
    /// Which law applies to the practice (the manifest's `[practice]` table).
    #[serde(default)]
    pub practice: PracticeFacts,
}

named_enum! {
    /// Where the practice is established (`[practice] jurisdiction`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub enum Jurisdiction ("jurisdiction", expected "us, eu (an EU/EEA member state), uk or other") {
        /// The United States: HIPAA.
        Us = "us",
        /// An EU or EEA member state: the GDPR.
        Eu = "eu",
        /// The United Kingdom: the UK GDPR (the same article numbers).
        Uk = "uk",
        /// Elsewhere.
        Other = "other",
    }
}

/// Which law applies to the practice: decides which packs run by default (docs/law.md).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PracticeFacts {
    /// Where the practice is established; null when the manifest does not say.
    pub jurisdiction: Option<Jurisdiction>,
    /// The practice offers care or services to, or monitors, people in the EU/EEA or UK
    /// (GDPR Art. 3(2)); null when the manifest does not say.
    pub eu_data_subjects: Option<bool>,
    /// Whether the GDPR applies (Art. 3: established in the EU/EEA or UK, or serving or
    /// monitoring people there); null when the manifest does not say.
    pub gdpr_applies: Option<bool>,
    /// Whether HIPAA applies (a US practice); null when the manifest does not say.
    pub hipaa_applies: Option<bool>,
}

impl PracticeFacts {
    /// The facts a `[practice]` table gives.
    pub fn new(jurisdiction: Option<Jurisdiction>, eu_data_subjects: Option<bool>) -> PracticeFacts {
        let said = jurisdiction.is_some() || eu_data_subjects.is_some();
        PracticeFacts {
            jurisdiction,
            eu_data_subjects,
            gdpr_applies: said.then(|| {
                matches!(jurisdiction, Some(Jurisdiction::Eu | Jurisdiction::Uk)) || eu_data_subjects == Some(true)
            }),
            hipaa_applies: jurisdiction.map(|j| j == Jurisdiction::Us),
        }
    }
}

/// The vendor as named in the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorFacts {
    pub name: String,
    pub contact: Option<String>,
    #[serde(default)]
    pub frameworks: Vec<String>,
    pub next_review: Option<String>,
}

// ───────────────────────────── endpoints ─────────────────────────────

/// What one HTTPS endpoint accepts and answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EndpointFacts {
    pub url: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Why the endpoint could not be assessed; its findings are then `error`.
    pub error: Option<String>,
    pub tls: TlsFacts,
    pub http: HttpFacts,
}

/// TLS as negotiated by real handshakes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsFacts {
    pub versions: TlsVersions,
    /// Lowest accepted version: "ssl3", "1.0", "1.1", "1.2" or "1.3".
    pub min_version: Option<String>,
    pub ciphers: Option<Vec<Cipher>>,
    /// IANA names of accepted suites that are NULL, EXPORT, RC4, DES/3DES, anonymous or < 128-bit.
    pub weak_ciphers: Option<Vec<String>>,
    /// Key-exchange groups accepted (IANA names, e.g. x25519, secp256r1, X25519MLKEM768).
    pub groups: Option<Vec<String>>,
    /// Accepted groups below 112 bits of security (curves under 224 bits: secp160*, secp192*,
    /// sect163*, sect193*) or over binary fields (every sect* curve, deprecated by NIST SP
    /// 800-186). Brainpool, secp224r1, secp256k1 and ffdhe2048+ are not weak. null when the
    /// group list is unknown.
    pub weak_groups: Option<Vec<String>>,
    /// A post-quantum hybrid group was accepted.
    pub post_quantum: Option<bool>,
    pub ocsp_stapling: Option<bool>,
    /// The certificate of the default handshake (a modern client's view).
    pub cert: CertFacts,
    /// Every distinct certificate the server presents, `cert` first: one handshake per key type
    /// (ECDSA, RSA, Ed25519) over TLS 1.3 and the newest TLS ≤ 1.2 makes a server holding
    /// several show each. The rules that read `cert` judge every one of these. Absent (null)
    /// when the enumeration was cut short (`incomplete` names why), no certificate was read, or
    /// the facts predate it: the rules then judge `cert` alone, and never pass on it when the
    /// enumeration was cut short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certs: Option<Vec<CertFacts>>,
    /// Why an enumeration was cut short, naming the phase (e.g. "suite enumeration over TLS 1.2
    /// stopped: no answer within 3.0 s, twice"). The lists that phase fills (`ciphers` and
    /// `weak_ciphers`, `groups`, or `certs`) are then null: a shorter list is never reported as
    /// whole.
    /// Absent when every enumeration ran to the server's refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

/// How `tls.incomplete` begins its part when the certificate enumeration was cut short: the
/// engine then never passes a certificate rule on `cert` alone.
pub const CERT_ENUMERATION_STOPPED: &str = "certificate enumeration stopped";

/// Per protocol version: true accepted, false refused, null inconclusive.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsVersions {
    pub ssl3: Option<bool>,
    pub tls1_0: Option<bool>,
    pub tls1_1: Option<bool>,
    pub tls1_2: Option<bool>,
    pub tls1_3: Option<bool>,
}

/// One accepted cipher suite.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cipher {
    /// IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
    pub name: String,
    pub version: String,
    pub bits: Option<u32>,
    pub aead: Option<bool>,
    pub forward_secrecy: Option<bool>,
}

/// The leaf certificate and its chain.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CertFacts {
    /// SHA-256 fingerprint of the leaf (DER), lower-case hex: what tells two certificates apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub sans: Option<Vec<String>>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub days_to_expiry: Option<i64>,
    pub expired: Option<bool>,
    pub self_signed: Option<bool>,
    pub chain_trusted: Option<bool>,
    pub hostname_matches: Option<bool>,
    /// "rsa", "ecdsa", "ed25519", ...
    pub key_type: Option<String>,
    pub key_bits: Option<u32>,
    pub signature_algorithm: Option<String>,
}

/// HTTP behaviour. Response bodies are never kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpFacts {
    pub status: Option<u16>,
    pub final_url: Option<String>,
    /// Why the HTTP exchange failed (the TLS and certificate facts of the endpoint still
    /// stand; only the rules that read HTTP facts are errors). null when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A redirect vetter refused to follow, and why (an address the endpoint's own class does
    /// not allow — loopback, private, link-local, cloud metadata — or a host `resolve` does not
    /// pin). The answer judged is then the redirect itself. null when none was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_refused: Option<String>,
    /// The http:// form redirects to https://.
    pub https_redirect: Option<bool>,
    /// A request without credentials was refused (401/403, or a redirect to a login page) and returned no data.
    pub requires_auth: Option<bool>,
    pub unauthenticated_status: Option<u16>,
    pub unauthenticated_looks_like_data: Option<bool>,
    pub server_banner: Option<String>,
    pub discloses_version: Option<bool>,
    pub hsts: HstsFacts,
    /// Response headers, lower-cased name → value.
    pub headers: Option<BTreeMap<String, String>>,
    pub cors: CorsFacts,
    pub cookies: Option<Vec<CookieFacts>>,
}

/// Strict-Transport-Security, parsed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HstsFacts {
    pub present: Option<bool>,
    pub max_age: Option<i64>,
    pub include_subdomains: Option<bool>,
    pub preload: Option<bool>,
}

/// The CORS answer to a foreign Origin.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CorsFacts {
    pub allow_origin: Option<String>,
    pub allow_credentials: Option<bool>,
}

/// One Set-Cookie.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CookieFacts {
    pub name: String,
    pub secure: Option<bool>,
    pub http_only: Option<bool>,
    pub same_site: Option<String>,
    /// Lifetime in seconds from Max-Age/Expires; null for a session cookie.
    pub max_age: Option<i64>,
    /// The probe judges it a session or authentication cookie (by name: sess, sid, auth, token,
    /// jwt, login; not csrf/xsrf tokens).
    pub session: Option<bool>,
}

// ───────────────────────────── exports ─────────────────────────────

/// One data export file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportFacts {
    /// As written in the manifest.
    pub path: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub error: Option<String>,
    /// csv, json, ndjson, xlsx, xml, fhir, pdf, ...
    pub format: Option<String>,
    /// gzip, zstd, zip or null.
    pub container: Option<String>,
    /// true / false, null when it cannot be told.
    pub encrypted: Option<bool>,
    /// age, openpgp, zip-aes, zipcrypto, unknown or null.
    pub encryption: Option<String>,
    /// A SHA-256 manifest or detached signature accompanies the file.
    pub integrity_proof: Option<bool>,
    /// The manifest labels this export de-identified.
    pub deidentified: Option<bool>,
    /// The manifest marks this export as the GDPR Art. 20 portability copy.
    pub portability: Option<bool>,
    pub records: Option<u64>,
    pub parse_errors: Option<u64>,
    pub columns: Option<Vec<String>>,
    /// Columns present that the manifest did not declare.
    pub unexpected_columns: Option<Vec<String>>,
    pub erasure: ErasureFacts,
    pub phi: Option<PhiFacts>,
    pub retention: RetentionFacts,
}

/// GDPR Art. 17 check against an erasure request list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErasureFacts {
    pub requested: Option<u64>,
    pub still_present: Option<u64>,
}

/// PHI found in an export: counts, columns and masked samples only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhiFacts {
    pub total: u64,
    pub types: PhiTypes,
    /// Values in a date column (one its name says holds dates of a person) that no date layout
    /// vetter knows could read, per column: counted, never shown. Years alone, yes/no flags,
    /// zero placeholders and masked values are not counted.
    #[serde(default)]
    pub dates_unparsed: Vec<UnparsedDates>,
}

/// A date column's values that could not be read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UnparsedDates {
    pub column: String,
    pub count: u64,
}

/// Every recognised identifier type.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhiTypes {
    pub ssn: PhiType,
    pub phone: PhiType,
    pub email: PhiType,
    pub date_of_birth: PhiType,
    pub mrn: PhiType,
    pub health_plan_id: PhiType,
    pub npi: PhiType,
    pub dea: PhiType,
    pub mbi: PhiType,
    pub ip_address: PhiType,
    pub street_address: PhiType,
    pub zip: PhiType,
    pub name: PhiType,
    pub credit_card: PhiType,
    pub diagnosis: PhiType,
    pub url: PhiType,
    pub account_number: PhiType,
    pub license_number: PhiType,
    pub vehicle_id: PhiType,
    pub device_id: PhiType,
    pub biometric: PhiType,
    pub photo: PhiType,
    pub unique_id: PhiType,
    pub date: PhiType,
    pub age_over_89: PhiType,
    pub zip_restricted: PhiType,
    /// City, town or county names (Safe Harbor (B): geographic subdivisions smaller than a
    /// state), by column name, in an address line or after `lives in`-like context.
    #[serde(default)]
    pub city: PhiType,
}

/// One identifier type's occurrences.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhiType {
    pub count: u64,
    #[serde(default)]
    pub columns: Vec<String>,
    /// At most three masked samples (e.g. `***-**-6789`).
    #[serde(default)]
    pub samples: Vec<String>,
}

/// Records kept past the retention period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionFacts {
    pub date_field: Option<String>,
    pub max_age_days: Option<i64>,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    pub past_retention: Option<u64>,
    /// Values of `date_field` that no date layout could read (not counted in the above).
    #[serde(default)]
    pub unparsed: Option<u64>,
}

// ───────────────────────────── audit logs ─────────────────────────────

/// One audit-log export.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditLogFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub entries: Option<u64>,
    pub parse_errors: Option<u64>,
    pub first: Option<String>,
    pub last: Option<String>,
    pub first_age_days: Option<i64>,
    pub last_age_days: Option<i64>,
    pub span_days: Option<i64>,
    pub fields: LogFieldShares,
    pub actors: ActorFacts,
    pub out_of_order: Option<u64>,
    pub max_gap_hours: Option<f64>,
    pub actions: ActionCounts,
    pub hash_chain: HashChainFacts,
    pub anomalies: AnomalyFacts,
    pub consent: ConsentFacts,
    /// Emergency-access events; null when none are recognisable.
    pub break_glass: Option<u64>,
    /// Columns (CSV) or keys (JSON) mapped to an audit field by the header vocabulary rather
    /// than the manifest's `fields`: column → field (actor, action, resource, timestamp,
    /// outcome, source_ip, fields_accessed).
    pub columns_guessed: Option<std::collections::BTreeMap<String, String>>,
    /// The zone in which timestamps written without an offset were read, and where it came
    /// from (the manifest's `tz` or the header, e.g. `Date/Time (ET)`); null: read as UTC.
    pub timestamp_tz: Option<String>,
}

/// Share (0.0–1.0) of entries that carry each field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogFieldShares {
    pub actor: Option<f64>,
    pub action: Option<f64>,
    pub resource: Option<f64>,
    pub timestamp: Option<f64>,
    pub timestamp_offset: Option<f64>,
    pub outcome: Option<f64>,
    pub source_ip: Option<f64>,
    pub fields_accessed: Option<f64>,
}

/// Who acted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActorFacts {
    pub distinct: Option<u64>,
    pub blank: Option<u64>,
    /// Entries by shared accounts ("admin", "frontdesk", ...; not "system", which marks process events).
    pub shared: Option<u64>,
}

/// Entries per normalised verb.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionCounts {
    pub read: Option<u64>,
    pub create: Option<u64>,
    pub update: Option<u64>,
    pub delete: Option<u64>,
    pub export: Option<u64>,
    pub print: Option<u64>,
    pub login: Option<u64>,
    pub login_failed: Option<u64>,
    pub permission_change: Option<u64>,
    pub other: Option<u64>,
}

/// Tamper evidence.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HashChainFacts {
    pub present: Option<bool>,
    pub valid: Option<bool>,
    /// 1-based entry number of the first broken link.
    pub first_break: Option<u64>,
}

/// Suspicious access patterns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnomalyFacts {
    pub bulk_exports: Option<u64>,
    pub after_hours: Option<u64>,
    pub no_appointment: Option<u64>,
}

/// Consent withdrawals seen in the log; null when it carries no consent events.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsentFacts {
    pub withdrawals: Option<u64>,
    pub after_withdrawal: Option<u64>,
}

// ───────────────────────────── evidence ─────────────────────────────

/// Documents, by kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFacts {
    #[serde(default)]
    pub soc2: Vec<Soc2Facts>,
    /// SOC reports of subservice organisations the vendor's report carves out (`[[evidence]]
    /// subservice = "..."`): read like `soc2`, with `organisation` set, and never judged as the
    /// vendor's own.
    #[serde(default)]
    pub subservice_soc2: Vec<Soc2Facts>,
    #[serde(default)]
    pub baa: Vec<BaaFacts>,
    #[serde(default)]
    pub dpa: Vec<DpaFacts>,
    #[serde(default)]
    pub pentest: Vec<PentestFacts>,
    #[serde(default)]
    pub hitrust: Vec<HitrustFacts>,
    #[serde(default)]
    pub policy: Vec<PolicyFacts>,
}

/// A SOC 2 report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Soc2Facts {
    pub path: String,
    /// For a subservice organisation's report: the organisation, as the manifest names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    /// type1 or type2.
    #[serde(rename = "type")]
    pub report_type: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub period_days: Option<i64>,
    /// Days from period end to `as_of`.
    pub age_days: Option<i64>,
    pub bridge_letter_end: Option<String>,
    /// Days after the period end that the bridge letter covers.
    pub bridge_letter_days: Option<i64>,
    pub report_date: Option<String>,
    /// unmodified, qualified, adverse, disclaimer or unknown.
    pub opinion: Option<String>,
    /// security, availability, processing_integrity, confidentiality, privacy.
    pub categories: Option<Vec<String>>,
    pub exceptions: Option<u64>,
    /// Criteria ids with exceptions, e.g. CC6.1.
    pub exception_controls: Option<Vec<String>>,
    pub cuecs: Option<bool>,
    pub subservice_orgs: Option<Vec<String>>,
    pub carve_out: Option<bool>,
    pub auditor: Option<String>,
    pub management_assertion: Option<bool>,
    pub system_description: Option<bool>,
    pub system_name: Option<String>,
    /// MFA is described in the CC6 tests.
    pub mfa: Option<bool>,
    pub encryption_at_rest: Option<bool>,
    /// A SOC 2+ mapping to HIPAA is included.
    pub hipaa_mapping: Option<bool>,
    /// Where in the document each fact was read.
    #[serde(default)]
    pub locations: Soc2Locations,
}

/// Where a SOC 2 fact was read: "page 3" (PDF), "line 40" (text, Markdown) or "paragraph 12"
/// (DOCX); null when the fact was not found.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Soc2Locations {
    /// Where the report type was stated.
    #[serde(rename = "type")]
    pub report_type: Option<String>,
    /// The review period (or the Type 1 "as of" date).
    pub period: Option<String>,
    /// The sentence that decided the opinion.
    pub opinion: Option<String>,
    /// The first test reporting an exception.
    pub exceptions: Option<String>,
    /// The first scope statement naming categories.
    pub categories: Option<String>,
    /// The first sentence naming a subservice organisation.
    pub subservice: Option<String>,
    /// The auditor's signature line.
    pub auditor: Option<String>,
}

/// One contract clause as read from the document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub present: Option<bool>,
    /// Page or line where it was found.
    pub location: Option<String>,
    /// One short sentence at most.
    pub quote: Option<String>,
    pub days: Option<i64>,
    pub hours: Option<i64>,
    /// calendar_days, business_days or hours.
    pub unit: Option<String>,
    /// Worst case in calendar days.
    pub calendar_days_max: Option<i64>,
    /// The window is a minimum delay ("no less than 30 days"), not a deadline; null when no
    /// window was read.
    pub minimum: Option<bool>,
    /// A named standard, e.g. AES-256.
    pub standard: Option<String>,
    /// Transfer mechanisms: scc (the 2021/914 clauses), scc_legacy (the repealed 2001/497/EC,
    /// 2004/915/EC or 2010/87/EU clauses), dpf, privacy_shield (invalid since 16 July 2020),
    /// adequacy, bcr, derogation. The Art. 28(7) clauses of Decision 2021/915 are not a transfer
    /// mechanism and are not listed.
    pub mechanisms: Option<Vec<String>>,
    /// Transfers: the 2021/914 SCC modules named (1 to 4); empty when SCCs are named without a
    /// module, null when no SCCs are named.
    pub scc_modules: Option<Vec<u8>>,
    /// Transfers: the document states, without condition, that the personal data is processed
    /// only in the EEA (no transfer takes place).
    pub eea_only: Option<bool>,
    /// What starts a notice clock: discovery, confirmation, determination, investigation.
    pub clock_start: Option<String>,
    /// A money amount in USD (insurance limit).
    pub amount: Option<f64>,
}

/// A business associate agreement.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BaaFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub signed: Option<bool>,
    pub effective_date: Option<String>,
    pub clauses: BaaClauses,
}

/// BAA clauses (45 CFR 164.504(e) and commonly negotiated terms).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BaaClauses {
    pub permitted_uses: Clause,
    pub no_other_use: Clause,
    pub safeguards: Clause,
    pub security_rule: Clause,
    /// A duty to report any use or disclosure not provided for by the contract, breaches of
    /// unsecured PHI included (45 CFR 164.504(e)(2)(ii)(C)). Absent from facts saved before it
    /// was read (null).
    #[serde(default)]
    pub report_improper_use: Clause,
    /// A duty to report any security incident (45 CFR 164.314(a)(2)(i)(C)). Absent from facts
    /// saved before it was read (null).
    #[serde(default)]
    pub report_security_incidents: Clause,
    /// Either of the two duties above, or a report of any breach the vendor becomes aware of: the
    /// one fact that stood for both before they were told apart; no built-in rule reads it.
    pub report_incidents: Clause,
    pub incident_carveout: Clause,
    pub breach_notification: Clause,
    pub discovery_clock: Clause,
    pub subcontractors: Clause,
    pub individual_access: Clause,
    pub amendment: Clause,
    pub accounting: Clause,
    pub privacy_rule_duties: Clause,
    pub hhs_access: Clause,
    pub return_or_destroy: Clause,
    pub termination: Clause,
    pub encryption: Clause,
    pub audit_rights: Clause,
    pub offshore_restriction: Clause,
    pub insurance: Clause,
    pub indemnity: Clause,
    pub breach_costs: Clause,
    pub subprocessor_notice: Clause,
    pub deidentification_ban: Clause,
    pub other_law: Clause,
    pub sale_or_marketing: Clause,
    pub contingency_notice: Clause,
}

/// A GDPR data processing agreement.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DpaFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub signed: Option<bool>,
    pub effective_date: Option<String>,
    pub clauses: DpaClauses,
}

/// DPA clauses (GDPR Art. 28 and related).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DpaClauses {
    pub purposes: Clause,
    pub subject_matter: Clause,
    pub special_categories: Clause,
    pub instructions: Clause,
    pub confidentiality: Clause,
    pub security: Clause,
    pub sub_processors: Clause,
    pub data_subject_assistance: Clause,
    pub breach_assistance: Clause,
    pub deletion_or_return: Clause,
    pub audits: Clause,
    pub transfers: Clause,
    pub breach_notification: Clause,
    pub retention: Clause,
    pub dpo_contact: Clause,
    pub eu_representative: Clause,
    pub dpia_assistance: Clause,
}

/// A penetration-test letter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PentestFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub date: Option<String>,
    pub age_days: Option<i64>,
    pub tester: Option<String>,
    pub open_critical: Option<u64>,
    pub open_high: Option<u64>,
    pub scope_includes_api: Option<bool>,
    /// Where the open-finding counts were read, else where the test date was: "page 2",
    /// "line 14" or "paragraph 6".
    pub location: Option<String>,
}

/// A HITRUST certification letter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HitrustFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    /// r2, i1 or e1.
    #[serde(rename = "type")]
    pub cert_type: Option<String>,
    pub issued: Option<String>,
    pub valid_until: Option<String>,
    pub age_days: Option<i64>,
    pub days_to_expiry: Option<i64>,
    pub interim_assessment: Option<bool>,
}

/// A policy or procedure document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyFacts {
    pub path: String,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub title: Option<String>,
    pub date: Option<String>,
    pub age_days: Option<i64>,
}

/// The JSON Schema of [`Facts`].
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Facts)).expect("schema serialises")
}

/// The empty facts tree: every field of the schema's tree, null, with every list empty.
pub fn empty_tree() -> serde_json::Value {
    empty_value(&Shape::facts())
}

/// `given` with every field the schema knows and `given` lacks filled in as empty (a rule
/// example gives only the facts it reads; the rest of the tree is laid under it).
pub fn fill_absent(shape: &Shape, given: &Value) -> Value {
    match (shape, given) {
        (Shape::Object(fields), Value::Object(g)) => {
            let mut out: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, s)| {
                    (
                        k.clone(),
                        g.get(k).map_or_else(|| empty_value(s), |v| fill_absent(s, v)),
                    )
                })
                .collect();
            // Fields the schema does not know are kept: the path checker reports them.
            for (k, v) in g.iter().filter(|(k, _)| !fields.contains_key(*k)) {
                out.insert(k.clone(), v.clone());
            }
            Value::Object(out)
        }
        (Shape::List(el), Value::Array(a)) => Value::Array(a.iter().map(|x| fill_absent(el, x)).collect()),
        (Shape::Map(el), Value::Object(g)) => {
            Value::Object(g.iter().map(|(k, v)| (k.clone(), fill_absent(el, v))).collect())
        }
        (_, v) => v.clone(),
    }
}

/// The empty value of a shape: objects with every field empty, lists empty, scalars null.
pub fn empty_value(shape: &Shape) -> Value {
    match shape {
        Shape::Object(fields) => Value::Object(fields.iter().map(|(k, s)| (k.clone(), empty_value(s))).collect()),
        Shape::List(_) => Value::Array(Vec::new()),
        Shape::Map(_) => Value::Object(serde_json::Map::new()),
        Shape::Scalar | Shape::Any => Value::Null,
    }
}

/// The facts reference as Markdown (`docs/facts.md`), generated from the schema so it can
/// never drift from the types.
pub fn markdown() -> String {
    use serde_json::Value;
    let schema = schema();
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut out = String::from(
        "# Facts reference\n\nGenerated by `vetter facts --schema --markdown` from the typed facts in `src/facts.rs`; \
         a test fails when this file is stale. Rules read these paths in CEL. `null` means unknown or absent, \
         never a guessed default. Lists are marked `[]`; every element has the fields indented below it.\n\n\
         | path | type | meaning |\n|---|---|---|\n",
    );
    fn resolve<'a>(node: &'a Value, defs: &'a Value) -> &'a Value {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            return defs.get(r.rsplit('/').next().unwrap_or("")).unwrap_or(node);
        }
        if let Some(alts) = node.get("anyOf").and_then(Value::as_array) {
            let non_null: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                return resolve(non_null[0], defs);
            }
        }
        node
    }
    fn type_name(node: &Value, defs: &Value) -> String {
        let n = resolve(node, defs);
        let nullable = node.get("anyOf").is_some()
            || matches!(node.get("type"), Some(Value::Array(a)) if a.iter().any(|t| t == "null"));
        let base = match n.get("type") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect::<Vec<_>>()
                .join("|"),
            _ => "object".into(),
        };
        let base = if base == "array" {
            format!("list of {}", type_name(n.get("items").unwrap_or(&Value::Null), defs))
        } else {
            base
        };
        if nullable { format!("{base} or null") } else { base }
    }
    fn walk(node: &Value, defs: &Value, prefix: &str, out: &mut String, depth: usize) {
        let n = resolve(node, defs);
        let Some(props) = n.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (k, v) in props {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            let desc = v
                .get("description")
                .or_else(|| resolve(v, defs).get("description"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .replace('\n', " ")
                .replace('|', "\\|");
            out.push_str(&format!("| `{path}` | {} | {desc} |\n", type_name(v, defs)));
            if depth > 8 {
                continue;
            }
            let r = resolve(v, defs);
            if r.get("type").and_then(Value::as_str) == Some("array")
                || matches!(r.get("type"), Some(Value::Array(a)) if a.iter().any(|t| t == "array"))
            {
                if let Some(items) = r.get("items") {
                    walk(items, defs, &format!("{path}[]"), out, depth + 1);
                }
            } else {
                walk(v, defs, &path, out, depth + 1);
            }
        }
    }
    walk(&schema, &defs, "", &mut out, 0);
    out
}

/// Days from the date (or RFC 3339 instant) `from` to `as_of`; `None` when `from` is not a date.
pub fn days_since(from: &str, as_of: chrono::NaiveDate) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(from.get(..10)?, "%Y-%m-%d").ok()?;
    Some((as_of - d).num_days())
}

impl Facts {
    /// Recompute every precomputed age (`*_days`, `expired`) for `as_of` from the dates the
    /// facts carry, so facts saved on one day evaluate correctly on another (`eval --as-of`).
    /// A value whose source date is unknown is left as it is.
    pub fn rebase_ages(&mut self, as_of: chrono::NaiveDate) {
        let since = |d: &Option<String>| d.as_deref().and_then(|d| days_since(d, as_of));
        let until = |d: &Option<String>| since(d).map(|n| -n);
        self.as_of = as_of.format("%Y-%m-%d").to_string();
        for e in &mut self.endpoints {
            // `cert` and every certificate in `certs` alike: the rules judge each.
            let certs = e.tls.certs.iter_mut().flatten();
            for c in std::iter::once(&mut e.tls.cert).chain(certs) {
                if let Some(n) = until(&c.not_after) {
                    c.days_to_expiry = Some(n);
                    c.expired = Some(n < 0);
                }
            }
        }
        for l in &mut self.audit_logs {
            l.first_age_days = since(&l.first).or(l.first_age_days);
            l.last_age_days = since(&l.last).or(l.last_age_days);
        }
        for s in &mut self.evidence.soc2 {
            s.age_days = since(&s.period_end).or(s.age_days);
        }
        for p in &mut self.evidence.pentest {
            p.age_days = since(&p.date).or(p.age_days);
        }
        for h in &mut self.evidence.hitrust {
            h.age_days = since(&h.issued).or(h.age_days);
            h.days_to_expiry = until(&h.valid_until).or(h.days_to_expiry);
        }
        for p in &mut self.evidence.policy {
            p.age_days = since(&p.date).or(p.age_days);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_tree_has_every_field_unknown_and_every_list_empty() {
        let t = empty_tree();
        assert_eq!(t["endpoints"], serde_json::json!([]));
        assert_eq!(t["evidence"]["baa"], serde_json::json!([]));
        assert!(t["vendor"]["name"].is_null(), "{t}");
        // What a caller gives is kept; only what it lacks is filled in.
        let given = serde_json::json!({"vendor": {"name": "V"}, "endpoints": [{"url": "https://x"}]});
        let full = fill_absent(&Shape::facts(), &given);
        assert_eq!(full["vendor"]["name"], "V");
        assert!(full["endpoints"][0]["tls"]["versions"]["tls1_0"].is_null(), "{full}");
        assert_eq!(full["exports"], serde_json::json!([]));
    }

    #[test]
    fn ages_follow_as_of() {
        let mut f = Facts::default();
        f.evidence.soc2.push(Soc2Facts {
            period_end: Some("2026-06-30".into()),
            age_days: Some(1),
            ..Default::default()
        });
        f.evidence.pentest.push(PentestFacts {
            date: None,
            age_days: Some(40),
            ..Default::default()
        });
        let mut e = EndpointFacts::default();
        e.tls.cert.not_after = Some("2026-12-01T00:00:00Z".into());
        let rsa = CertFacts {
            not_after: Some("2026-11-30".into()),
            ..Default::default()
        };
        e.tls.certs = Some(vec![e.tls.cert.clone(), rsa]);
        f.endpoints.push(e);
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        f.rebase_ages(d);
        assert_eq!(f.evidence.soc2[0].age_days, Some(146));
        assert_eq!(
            f.evidence.pentest[0].age_days,
            Some(40),
            "unknown source date keeps the value"
        );
        assert_eq!(f.endpoints[0].tls.cert.days_to_expiry, Some(8));
        assert_eq!(f.endpoints[0].tls.cert.expired, Some(false));
        let certs = f.endpoints[0].tls.certs.clone().unwrap_or_default();
        assert_eq!(
            certs[0], f.endpoints[0].tls.cert,
            "the primary in certs is rebased alike"
        );
        assert_eq!((certs[1].days_to_expiry, certs[1].expired), (Some(7), Some(false)));
        f.rebase_ages(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(f.endpoints[0].tls.cert.expired, Some(true));
        let certs = f.endpoints[0].tls.certs.clone().unwrap_or_default();
        assert_eq!(
            certs[1].expired,
            Some(true),
            "every presented certificate follows as_of"
        );
        assert_eq!(f.as_of, "2027-01-01");
    }
}
