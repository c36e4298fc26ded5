//! ② Collect: the audit-log probe. Input: each `[[audit_log]]` file (JSONL or CSV, plain or
//! gzip/zstd) and its appointments export; output: `audit_logs[]` facts. Does file I/O: the log
//! is read once, hashed in the same pass, entry by entry (memory grows only with distinct
//! actors, consent withdrawals and the appointments table).
//!
//! Produces: `audit_logs[].{path,sha256,error,entries,parse_errors,first,last,first_age_days,
//! last_age_days,span_days,fields.*,actors.*,out_of_order,max_gap_hours,actions.*,hash_chain.*,
//! anomalies.*,consent.*,break_glass}`.
//!
//! Hash chain format (docs/audit-log-chain.md): every entry is a JSON object (a CSV row is the
//! object of its header → value) carrying `hash` and `prev_hash`. `hash` is the lower-case hex
//! SHA-256 of the entry's canonical form: the object without its `hash` member, keys sorted
//! by byte order at every level, no whitespace, strings escaped as JSON does. `prev_hash` is the
//! previous entry's `hash`; the first entry's is 64 zeros, empty or null. Because the canonical
//! form is recomputed, re-serialising a line (key order, spacing) does not break the chain;
//! changing, removing, inserting or reordering an entry does.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::*;
use crate::manifest::AuditLog;

/// Scans every `[[audit_log]]`.
pub struct AuditLogProbe;

impl Probe for AuditLogProbe {
    fn name(&self) -> &'static str {
        "auditlog"
    }
    fn produces(&self) -> &'static [&'static str] {
        &[
            "audit_logs[].sha256",
            "audit_logs[].error",
            "audit_logs[].entries",
            "audit_logs[].fields",
            "audit_logs[].actors",
            "audit_logs[].actions",
            "audit_logs[].hash_chain",
            "audit_logs[].anomalies",
            "audit_logs[].consent",
            "audit_logs[].break_glass",
        ]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        m.audit_log
            .iter()
            .enumerate()
            .map(|(i, l)| Task {
                kind: ResourceKind::AuditLog,
                index: i,
                label: l.path.clone(),
            })
            .collect()
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let l = &ctx.manifest.audit_log[task.index];
        let (facts, input) = scan_log_with(
            ctx.manifest,
            l,
            ctx.settings.as_of,
            ctx.settings.timeout,
            ctx.file_progress(task, &l.path),
        );
        ProbeResult {
            output: Output::AuditLog(facts),
            inputs: vec![input],
        }
    }
}

/// The seven audit fields a log entry can carry, in `AuditFields` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Actor,
    Action,
    Resource,
    Timestamp,
    Outcome,
    SourceIp,
    FieldsAccessed,
}

impl Role {
    const ALL: [Role; 7] = [
        Role::Actor,
        Role::Action,
        Role::Resource,
        Role::Timestamp,
        Role::Outcome,
        Role::SourceIp,
        Role::FieldsAccessed,
    ];
    /// The manifest's `fields` key, and the name used in `columns_guessed`.
    fn name(self) -> &'static str {
        match self {
            Role::Actor => "actor",
            Role::Action => "action",
            Role::Resource => "resource",
            Role::Timestamp => "timestamp",
            Role::Outcome => "outcome",
            Role::SourceIp => "source_ip",
            Role::FieldsAccessed => "fields_accessed",
        }
    }
}

/// The header vocabulary: how exports name each audit field. Compared case-, space- and
/// punctuation-insensitively after dropping a parenthesised part (so `Date/Time (ET)`,
/// `date_time` and `DATETIME` are one name); where a file has several, the earlier spelling
/// wins. A spelling with a dot is a path into nested JSON (`user.id`). The lists are disjoint:
/// a column names one field.
const VOCABULARY: [(Role, &[&str]); 7] = [
    (
        Role::Actor,
        &[
            "actor",
            "user",
            "user_id",
            "User Name",
            "Performed By",
            "actor_id",
            "principal",
            "who",
            "account",
            "Login",
            "Login Name",
            "User Login",
            "Employee",
            "Staff Member",
            "User Email",
            "Operator",
            "user.id",
            "actor.id",
            "user.name",
        ],
    ),
    (
        Role::Action,
        &[
            "action",
            "event",
            "event_type",
            "Activity",
            "Access Action",
            "Event Name",
            "Action Type",
            "Activity Type",
            "verb",
            "operation",
            "op",
            "type",
        ],
    ),
    (
        Role::Resource,
        &[
            "resource",
            "record_id",
            "Patient ID",
            "MRN",
            "Patient MRN",
            "Pat MRN ID",
            "Medical Record Number",
            "Record",
            "Chart",
            "Chart ID",
            "Patient",
            "Patient Number",
            "resource_id",
            "object",
            "target",
            "entity_id",
            "subject",
            "resource.id",
            "patient.id",
        ],
    ),
    (
        Role::Timestamp,
        &[
            "ts",
            "timestamp",
            "Date/Time",
            "Event Time",
            "Access Time",
            "Event Date/Time",
            "Event Timestamp",
            "time",
            "date",
            "occurred_at",
            "created_at",
            "logged_at",
            "When",
            "Access Date/Time",
            "Log Time",
            "Activity Date",
        ],
    ),
    (
        Role::Outcome,
        &[
            "outcome",
            "result",
            "status",
            "success",
            "status_code",
            "Access Result",
            "Event Result",
            "Event Status",
        ],
    ),
    (
        Role::SourceIp,
        &[
            "Source IP",
            "ip",
            "IP Address",
            "src_ip",
            "client_ip",
            "remote_addr",
            "sourceIPAddress",
            "remote_ip",
            "Workstation IP",
            "Client Address",
            "IP Addr",
            "Source Address",
        ],
    ),
    (
        Role::FieldsAccessed,
        &["fields_accessed", "fields", "columns", "attributes", "data_elements"],
    ),
];

/// A header or key reduced for comparison: lower-case letters and digits only, any
/// parenthesised or bracketed part removed and returned on its own (`Date/Time (ET)` →
/// (`datetime`, `ET`)).
fn normalise(h: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(h.len());
    let mut inside = String::new();
    let mut depth = 0u32;
    let mut hint = None;
    for c in h.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    hint = Some(std::mem::take(&mut inside).trim().to_string());
                }
            }
            _ if depth > 0 => inside.push(c),
            _ if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    (out, hint.filter(|h| !h.is_empty()))
}

/// The time zone a header's or value's zone mark names: US zone letters as exports print them
/// (`ET`, `EST`, `CT`, ...; standard or daylight, they mean the region's local time), `UTC`,
/// `GMT`, `Z`, or an IANA name.
fn zone_named(mark: &str) -> Option<chrono_tz::Tz> {
    use chrono_tz::Tz;
    let m = mark.trim();
    let z = match m.to_ascii_uppercase().as_str() {
        "ET" | "EST" | "EDT" | "EASTERN" => Tz::America__New_York,
        "CT" | "CST" | "CDT" | "CENTRAL" => Tz::America__Chicago,
        "MT" | "MST" | "MDT" | "MOUNTAIN" => Tz::America__Denver,
        "PT" | "PST" | "PDT" | "PACIFIC" => Tz::America__Los_Angeles,
        "AKT" | "AKST" | "AKDT" => Tz::America__Anchorage,
        "HT" | "HST" => Tz::Pacific__Honolulu,
        "UTC" | "GMT" | "Z" => Tz::UTC,
        "CET" | "CEST" => Tz::Europe__Berlin,
        _ => return m.parse().ok(),
    };
    Some(z)
}

/// Accounts that several people share (164.312(a)(2)(i) wants a unique user per person).
/// "system" is not among them: it marks events a process generated, and a process is not a user.
const SHARED: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "sys",
    "frontdesk",
    "front_desk",
    "front-desk",
    "front desk",
    "reception",
    "receptionist",
    "nurse",
    "nurses",
    "doctor",
    "staff",
    "user",
    "guest",
    "test",
    "shared",
    "office",
    "clinic",
    "billing",
    "superuser",
    "sa",
    "default",
    "demo",
    "team",
    "generic",
];

/// Whether an actor name is a login several people share.
fn is_shared(actor: &str) -> bool {
    SHARED.contains(&actor.to_lowercase().as_str())
}

/// Normalised verbs, in `ActionCounts` order (the list the manifest's `actions` keys are checked against).
const VERBS: &[&str] = crate::manifest::ACTION_VERBS;

/// The default verb of an action name, from its words.
pub fn default_verb(action: &str) -> &'static str {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in action.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let has = |xs: &[&str]| words.iter().any(|w| xs.contains(&w.as_str()));
    let login = has(&[
        "login",
        "logon",
        "signin",
        "authenticate",
        "authentication",
        "auth",
        "session",
    ]);
    if login && has(&["fail", "failed", "failure", "denied", "invalid", "rejected", "error"]) {
        return "login_failed";
    }
    if has(&["logout", "logoff", "signout"]) {
        return "login";
    }
    if login {
        return "login";
    }
    if has(&[
        "permission",
        "permissions",
        "role",
        "roles",
        "grant",
        "revoke",
        "privilege",
        "privileges",
        "acl",
        "access_change",
        "entitlement",
    ]) {
        return "permission_change";
    }
    if configuration(action) {
        return "other";
    }
    if has(&["export", "exported", "download", "downloaded", "extract", "bulk"]) {
        return "export";
    }
    if has(&["print", "printed"]) {
        return "print";
    }
    if has(&[
        "delete", "deleted", "remove", "removed", "purge", "erase", "erased", "destroy",
    ]) {
        return "delete";
    }
    if has(&["create", "created", "insert", "add", "added", "new", "post", "register"]) {
        return "create";
    }
    if has(&[
        "update", "updated", "edit", "edited", "modify", "modified", "change", "changed", "write", "patch", "put",
        "amend",
    ]) {
        return "update";
    }
    if has(&[
        "read", "view", "viewed", "open", "opened", "access", "accessed", "get", "search", "query", "lookup", "fetch",
        "display", "retrieve",
    ]) {
        return "read";
    }
    "other"
}

/// An instant and whether the log stated its UTC offset; a time without one is read as UTC.
pub fn parse_ts(v: &Value) -> Option<(DateTime<Utc>, bool)> {
    match parse_value(v, None)? {
        Stamp::Instant(t) => Some((t, true)),
        Stamp::Local(n, _) => Some((n.and_utc(), false)),
    }
}

/// A timestamp as written: an instant (offset or epoch), or a local time with the zone its own
/// suffix names (`07:33 AM EST`).
enum Stamp {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime, Option<chrono_tz::Tz>),
}

/// Layouts of local times tried in order: ISO, US (month first, 12- or 24-hour), European
/// (day first with dots). Slashed dates are read month first, as US practice systems write them;
/// two-digit years are tried first because `%Y` would read `26` as the year 26.
const LOCAL_LAYOUTS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %I:%M:%S%.f %p",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %I:%M:%S%.f %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%d-%b-%Y %H:%M:%S%.f",
    "%d-%b-%Y %I:%M:%S%.f %p",
];

fn parse_value(v: &Value, format: Option<&str>) -> Option<Stamp> {
    match v {
        Value::Number(n) => {
            let x = n.as_f64()?;
            let secs = if x > 1e11 { x / 1000.0 } else { x };
            DateTime::from_timestamp(secs as i64, 0).map(Stamp::Instant)
        }
        Value::String(s) => parse_text(s.trim(), format),
        _ => None,
    }
}

fn parse_text(s: &str, format: Option<&str>) -> Option<Stamp> {
    if let Some(f) = format {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, f) {
            return Some(Stamp::Instant(d.with_timezone(&Utc)));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Stamp::Local(n, None));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(Stamp::Local(d.and_time(chrono::NaiveTime::MIN), None));
        }
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: f64 = s.parse().ok()?;
        return parse_value(&Value::from(n), None);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(Stamp::Instant(d.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, f) {
            return Some(Stamp::Instant(d.with_timezone(&Utc)));
        }
    }
    let local = |t: &str| {
        LOCAL_LAYOUTS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    };
    if let Some(n) = local(s) {
        return Some(Stamp::Local(n, None));
    }
    // A zone mark after the time: `06/01/2026 07:33:00 AM EST`, `2026-06-01 07:33 UTC`.
    let (head, mark) = s.rsplit_once(' ')?;
    let zone = zone_named(mark).filter(|_| mark.chars().all(|c| c.is_ascii_alphabetic()))?;
    local(head.trim_end()).map(|n| Stamp::Local(n, Some(zone)))
}

/// A local time in `zone`: the earlier instant when a clock change repeats it, the hour after
/// when a clock change skips it.
fn in_zone(n: NaiveDateTime, zone: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    zone.from_local_datetime(&n)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(n + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// What a timestamp that parsed not at all looks like, without its content: digits become `9`,
/// letters `x` except zone marks, AM/PM and month names (a mis-mapped column may hold PHI).
fn shape(s: &str) -> String {
    const KEEP: &[&str] = &[
        "am", "pm", "t", "z", "utc", "gmt", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
        "nov", "dec", "et", "ct", "mt", "pt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt",
    ];
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if KEEP.contains(&word.to_lowercase().as_str()) {
            out.push_str(word);
        } else {
            out.extend(word.chars().map(|_| 'x'));
        }
        word.clear();
    };
    for c in s.chars().take(48) {
        if c.is_alphabetic() {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        out.push(if c.is_numeric() {
            '9'
        } else if c.is_control() {
            ' '
        } else {
            c
        });
    }
    flush(&mut word, &mut out);
    if s.chars().count() > 48 {
        out.push('…');
    }
    out
}

/// `1500` → `1,500`.
fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Configuration and settings changes: system events that carry no patient record.
fn configuration(words: &str) -> bool {
    let w = words.to_lowercase();
    ["config", "setting", "preference"].iter().any(|k| w.contains(k))
}

/// The canonical form that the hash chain hashes (see the module docs).
pub fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => {
            out.push(b'{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).expect("write to Vec");
                out.push(b':');
                canonical(&m[k], out);
            }
            out.push(b'}');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(x, out);
            }
            out.push(b']');
        }
        other => serde_json::to_writer(&mut *out, other).expect("write to Vec"),
    }
}

/// The hash an entry should carry: SHA-256 of its canonical form without `hash`.
pub fn entry_hash(entry: &Map<String, Value>) -> String {
    let mut m = entry.clone();
    m.remove("hash");
    let mut buf = Vec::with_capacity(256);
    canonical(&Value::Object(m), &mut buf);
    hex::encode(Sha256::digest(&buf))
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn lookup<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(v) = m.get(key) {
        return Some(v);
    }
    let (head, rest) = key.split_once('.')?;
    match m.get(head)? {
        Value::Object(inner) => lookup(inner, rest),
        _ => None,
    }
}

fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

fn as_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Running tallies over one log.
struct Tally<'m> {
    /// Key → the role it names and its rank (0 = named by the manifest); bounded.
    roles: HashMap<String, Option<(Role, usize)>>,
    /// Keys mapped by the vocabulary rather than the manifest: key → role (bounded).
    guessed: std::collections::BTreeMap<String, &'static str>,
    /// The zone of timestamps without one, and where it came from.
    zone: Option<(chrono_tz::Tz, ZoneFrom)>,
    format: Option<String>,
    /// Entries with a timestamp value, and the first that did not parse (where, shape, key).
    stamped: u64,
    first_unparsed: Option<(String, String, String)>,
    /// Entries that by nature name a record (not logins, logouts, configuration changes).
    record_bearing: u64,
    verbs: HashMap<String, &'static str>,
    log: &'m AuditLog,
    entries: u64,
    parse_errors: u64,
    carried: [u64; 7],
    with_offset: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    max_seen: Option<DateTime<Utc>>,
    out_of_order: u64,
    max_gap: f64,
    actors: HashSet<String>,
    blank: u64,
    shared: u64,
    actions: [u64; 10],
    chain_present: Option<bool>,
    prev_hash: Option<String>,
    first_break: Option<u64>,
    bulk: u64,
    after_hours: u64,
    no_appointment: u64,
    withdrawals: HashMap<String, DateTime<Utc>>,
    withdrawal_events: u64,
    after_withdrawal: u64,
    break_glass: u64,
    appointments: Option<(HashMap<String, Vec<NaiveDate>>, i64)>,
    hours: Option<Hours>,
}

struct Hours {
    tz: chrono_tz::Tz,
    start: chrono::NaiveTime,
    end: chrono::NaiveTime,
    days: Vec<chrono::Weekday>,
}

impl Hours {
    fn outside(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz);
        let tm = local.time();
        let within = if self.start <= self.end {
            tm >= self.start && tm < self.end
        } else {
            tm >= self.start || tm < self.end
        };
        !(within && self.days.contains(&local.weekday()))
    }
}

/// Where the zone of timestamps written without one came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZoneFrom {
    Manifest,
    Header,
}

/// How many distinct keys are remembered (a JSON log with a key per entry stays bounded).
const MAX_KEYS: usize = 4096;
const MAX_GUESSED: usize = 64;

impl<'m> Tally<'m> {
    fn new(log: &'m AuditLog) -> Self {
        let mut verbs = HashMap::new();
        for (verb, names) in log.actions.iter().flatten() {
            if let Some(v) = VERBS.iter().find(|v| *v == verb) {
                for n in names {
                    verbs.insert(n.to_lowercase(), *v);
                }
            }
        }
        let hours = log.business_hours.as_ref().and_then(|b| {
            Some(Hours {
                tz: b.tz.parse().ok()?,
                start: b.start_time()?,
                end: b.end_time()?,
                days: b.weekdays()?,
            })
        });
        Tally {
            roles: HashMap::new(),
            guessed: Default::default(),
            zone: log
                .tz
                .as_deref()
                .and_then(|z| z.parse().ok())
                .map(|z| (z, ZoneFrom::Manifest)),
            format: log.timestamp_format.clone(),
            stamped: 0,
            first_unparsed: None,
            record_bearing: 0,
            verbs,
            log,
            entries: 0,
            parse_errors: 0,
            carried: [0; 7],
            with_offset: 0,
            first: None,
            last: None,
            max_seen: None,
            out_of_order: 0,
            max_gap: 0.0,
            actors: HashSet::new(),
            blank: 0,
            shared: 0,
            actions: [0; 10],
            chain_present: None,
            prev_hash: None,
            first_break: None,
            bulk: 0,
            after_hours: 0,
            no_appointment: 0,
            withdrawals: HashMap::new(),
            withdrawal_events: 0,
            after_withdrawal: 0,
            break_glass: 0,
            appointments: None,
            hours,
        }
    }

    /// The manifest's `fields`, by role: when given, the only key that carries that field.
    fn manual(&self) -> [Option<&'m str>; 7] {
        let log: &'m AuditLog = self.log;
        match &log.fields {
            Some(f) => [
                f.actor.as_deref(),
                f.action.as_deref(),
                f.resource.as_deref(),
                f.timestamp.as_deref(),
                f.outcome.as_deref(),
                f.source_ip.as_deref(),
                f.fields_accessed.as_deref(),
            ],
            None => [None; 7],
        }
    }

    /// The role a key names: the manifest's mapping first, then the vocabulary.
    fn classify(&self, key: &str) -> Option<(Role, usize)> {
        let (n, _) = normalise(key);
        let manual = self.manual();
        for (r, name) in Role::ALL.iter().zip(manual) {
            if let Some(name) = name
                && (name == key || normalise(name).0 == n)
            {
                return Some((*r, 0));
            }
        }
        VOCABULARY.iter().find_map(|(r, names)| {
            if manual[*r as usize].is_some() {
                return None;
            }
            let rank = names.iter().position(|s| !s.contains('.') && normalise(s).0 == n)?;
            Some((*r, rank + 1))
        })
    }

    /// Each role's key and value in one entry: the best-ranked key present with a value, then
    /// nested paths (`user.id`).
    fn pick<'a>(&mut self, m: &'a Map<String, Value>) -> [Option<(&'a str, &'a Value)>; 7]
    where
        'm: 'a,
    {
        let manual = self.manual();
        let mut best: [Option<(usize, &'a str, &'a Value)>; 7] = [None; 7];
        for (k, v) in m {
            if !present(Some(v)) {
                continue;
            }
            let class = match self.roles.get(k.as_str()) {
                Some(c) => *c,
                None => {
                    let c = self.classify(k);
                    if self.roles.len() < MAX_KEYS {
                        self.roles.insert(k.clone(), c);
                    }
                    c
                }
            };
            if let Some((r, rank)) = class {
                let slot = &mut best[r as usize];
                if slot.is_none_or(|(b, _, _)| rank < b) {
                    *slot = Some((rank, k.as_str(), v));
                }
            }
        }
        let mut out = [None; 7];
        for (i, r) in Role::ALL.iter().enumerate() {
            if let Some((rank, k, v)) = best[i] {
                if rank > 0 && self.guessed.len() < MAX_GUESSED && !self.guessed.contains_key(k) {
                    self.guessed.insert(k.to_string(), r.name());
                }
                out[i] = Some((k, v));
                continue;
            }
            let paths: Vec<&'a str> = match manual[i] {
                Some(name) => vec![name],
                None => VOCABULARY[i].1.iter().copied().filter(|s| s.contains('.')).collect(),
            };
            for p in paths {
                if let Some(v) = lookup(m, p).filter(|v| present(Some(v))) {
                    if manual[i].is_none() && self.guessed.len() < MAX_GUESSED && !self.guessed.contains_key(p) {
                        self.guessed.insert(p.to_string(), r.name());
                    }
                    out[i] = Some((p, v));
                    break;
                }
            }
        }
        out
    }

    /// When the timestamp column is a bare `Date` or `Time` (the header's zone mark aside)
    /// and its partner column is there too: the key both are named by (`Date + Time`) and the
    /// value `date time`.
    fn date_and_time(&mut self, key: &str, m: &Map<String, Value>) -> Option<(String, Value)> {
        let (n, _) = normalise(key);
        let partner = match n.as_str() {
            "date" => "time",
            "time" => "date",
            _ => return None,
        };
        let (other, _) = m.iter().find(|(k, v)| present(Some(v)) && normalise(k).0 == partner)?;
        if self.manual()[Role::Timestamp as usize].is_none()
            && self.guessed.len() < MAX_GUESSED
            && !self.guessed.contains_key(other.as_str())
        {
            self.guessed.insert(other.clone(), Role::Timestamp.name());
        }
        let (d, t) = if partner == "time" {
            (key, other.as_str())
        } else {
            (other.as_str(), key)
        };
        let text = |k: &str| as_text(m.get(k)).unwrap_or_default();
        let value = format!("{} {}", text(d), text(t));
        // Either header may carry the zone mark; the joined key keeps it.
        Some((format!("{d} + {t}"), Value::String(value)))
    }

    /// An entry's timestamp: `timestamp_format` first, then the known layouts; a local time
    /// in the zone its suffix, the header or the manifest names. The flag says whether the log
    /// itself stated the offset or zone.
    fn timestamp(&mut self, key: &str, v: &Value) -> Option<(DateTime<Utc>, bool)> {
        if self.zone.is_none()
            && let Some(z) = normalise(key).1.as_deref().and_then(zone_named)
        {
            self.zone = Some((z, ZoneFrom::Header));
        }
        match parse_value(v, self.format.as_deref())? {
            Stamp::Instant(t) => Some((t, true)),
            Stamp::Local(n, Some(z)) => Some((in_zone(n, z)?, true)),
            Stamp::Local(n, None) => match self.zone {
                Some((z, from)) => Some((in_zone(n, z)?, from == ZoneFrom::Header)),
                None => Some((n.and_utc(), false)),
            },
        }
    }

    fn verb(&self, action: &str) -> &'static str {
        self.verbs
            .get(&action.to_lowercase())
            .copied()
            .unwrap_or_else(|| default_verb(action))
    }

    /// A line that does not parse: counted, and it breaks a chain.
    fn bad_entry(&mut self) {
        self.entries += 1;
        self.parse_errors += 1;
        if self.chain_present == Some(true) && self.first_break.is_none() {
            self.first_break = Some(self.entries);
        }
    }

    /// One entry; `line` is its line in a CSV file (JSON entries are counted instead).
    fn entry(&mut self, m: &Map<String, Value>, line: Option<u64>) {
        self.entries += 1;
        let n = self.entries;
        let picked = self.pick(m);
        for (i, p) in picked.iter().enumerate() {
            // Timestamps count when they parse, records when the event has one (below).
            if p.is_some() && i != Role::Timestamp as usize && i != Role::Resource as usize {
                self.carried[i] += 1;
            }
        }
        let value = |r: Role| picked[r as usize].map(|(_, v)| v);
        // Hash chain: decided by the first entry.
        let hash = m.get("hash").and_then(Value::as_str);
        let prev = m.get("prev_hash").or_else(|| m.get("previous_hash"));
        if self.chain_present.is_none() {
            self.chain_present = Some(hash.is_some() && prev.is_some());
        }
        if self.chain_present == Some(true) && self.first_break.is_none() {
            let computed = entry_hash(m);
            let prev_ok = match (&self.prev_hash, prev) {
                (None, None | Some(Value::Null)) => true,
                (None, Some(Value::String(p))) => p.is_empty() || p == GENESIS,
                (Some(h), Some(Value::String(p))) => p.eq_ignore_ascii_case(h),
                _ => false,
            };
            if !(prev_ok && hash.is_some_and(|h| h.eq_ignore_ascii_case(&computed))) {
                self.first_break = Some(n);
            }
            self.prev_hash = Some(computed);
        }
        let actor = as_text(value(Role::Actor)).unwrap_or_default();
        if actor.is_empty() {
            self.blank += 1;
        } else {
            if is_shared(&actor) {
                self.shared += 1;
            }
            if self.actors.len() < 1_000_000 {
                self.actors.insert(actor.clone());
            }
        }
        let action = as_text(value(Role::Action)).unwrap_or_default();
        let verb = if action.is_empty() { "other" } else { self.verb(&action) };
        let vi = VERBS.iter().position(|v| *v == verb).unwrap_or(VERBS.len() - 1);
        self.actions[vi] += 1;
        let resource = as_text(value(Role::Resource)).unwrap_or_default();
        // Logins, logouts, failed logins, permission and configuration changes concern no
        // patient record, so they are not counted against record-id completeness.
        let recordless = matches!(verb, "login" | "login_failed" | "permission_change") || configuration(&action);
        if !recordless {
            self.record_bearing += 1;
            if !resource.is_empty() {
                self.carried[Role::Resource as usize] += 1;
            }
        }
        // A date and a time in two columns (`Date`, `Time`) are one timestamp.
        let joined = picked[Role::Timestamp as usize].and_then(|(key, _)| self.date_and_time(key, m));
        let stamp = match &joined {
            Some((key, v)) => Some((key.as_str(), v)),
            None => picked[Role::Timestamp as usize],
        };
        let ts = match stamp {
            Some((key, v)) => {
                self.stamped += 1;
                let t = self.timestamp(key, v);
                if t.is_some() {
                    self.carried[Role::Timestamp as usize] += 1;
                } else if self.first_unparsed.is_none() {
                    let at = match line {
                        Some(l) => format!("line {l}"),
                        None => format!("entry {n}"),
                    };
                    let text = as_text(Some(v)).unwrap_or_default();
                    self.first_unparsed = Some((at, shape(&text), key.to_string()));
                }
                t
            }
            None => None,
        };
        if let Some((t, offset)) = ts {
            if offset {
                self.with_offset += 1;
            }
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
            match self.max_seen {
                Some(ms) if t < ms => self.out_of_order += 1,
                Some(ms) => {
                    let gap = (t - ms).num_seconds() as f64 / 3600.0;
                    self.max_gap = self.max_gap.max(gap);
                    self.max_seen = Some(t);
                }
                None => self.max_seen = Some(t),
            }
            if let Some(h) = &self.hours
                && h.outside(t)
                && verb != "login_failed"
            {
                self.after_hours += 1;
            }
        }
        // Bulk exports: an export over the threshold's record count, or of everything ("*").
        if verb == "export"
            && let Some(th) = self.log.bulk_export_threshold
        {
            let count = ["count", "records", "record_count", "rows", "num_records", "n"]
                .iter()
                .find_map(|k| m.get(*k).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())));
            let all = matches!(resource.as_str(), "*" | "all" | "ALL");
            if all || count.is_some_and(|c| c > th) {
                self.bulk += 1;
            }
        }
        let lower = action.to_lowercase();
        let squashed = normalise(&action).0;
        if squashed.contains("breakglass") || squashed.contains("breaktheglass") || squashed.contains("emergency") {
            self.break_glass += 1;
        }
        if lower.contains("consent")
            && [
                "withdraw",
                "revoke",
                "opt_out",
                "optout",
                "opt-out",
                "withdrawn",
                "revoked",
            ]
            .iter()
            .any(|w| lower.contains(w))
        {
            self.withdrawal_events += 1;
            if let Some((t, _)) = ts
                && !resource.is_empty()
            {
                self.withdrawals.entry(resource.clone()).or_insert(t);
            }
        } else if matches!(verb, "read" | "export" | "update" | "print")
            && let Some((t, _)) = ts
            && self.withdrawals.get(&resource).is_some_and(|w| t > *w)
        {
            self.after_withdrawal += 1;
        }
        if let Some((appts, window)) = &self.appointments
            && matches!(verb, "read" | "update" | "export" | "print")
            && !resource.is_empty()
            && resource != "*"
            && let Some((t, _)) = ts
        {
            let day = t.date_naive();
            let near = appts
                .get(&resource)
                .is_some_and(|ds| ds.iter().any(|d| (day - *d).num_days().abs() <= *window));
            if !near {
                self.no_appointment += 1;
            }
        }
    }

    fn facts(self, facts: &mut AuditLogFacts, as_of: NaiveDate) {
        let n = self.entries;
        facts.entries = Some(n);
        facts.parse_errors = Some(self.parse_errors);
        let share = |c: u64| if n == 0 { None } else { Some(c as f64 / n as f64) };
        facts.fields = LogFieldShares {
            actor: share(self.carried[0]),
            action: share(self.carried[1]),
            // Of the entries that concern a record; all of them when none does.
            resource: (n > 0).then(|| {
                if self.record_bearing == 0 {
                    1.0
                } else {
                    self.carried[2] as f64 / self.record_bearing as f64
                }
            }),
            timestamp: share(self.carried[3]),
            timestamp_offset: share(self.with_offset),
            outcome: share(self.carried[4]),
            source_ip: share(self.carried[5]),
            fields_accessed: share(self.carried[6]),
        };
        facts.first = self.first.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        facts.last = self.last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        facts.first_age_days = self.first.map(|t| (as_of - t.date_naive()).num_days());
        facts.last_age_days = self.last.map(|t| (as_of - t.date_naive()).num_days());
        facts.span_days = self
            .first
            .zip(self.last)
            .map(|(f, l)| (l.date_naive() - f.date_naive()).num_days());
        facts.actors = ActorFacts {
            distinct: Some(self.actors.len() as u64),
            blank: Some(self.blank),
            shared: Some(self.shared),
        };
        facts.out_of_order = Some(self.out_of_order);
        facts.max_gap_hours = self.max_seen.map(|_| (self.max_gap * 100.0).round() / 100.0);
        let a = |i: usize| Some(self.actions[i]);
        facts.actions = ActionCounts {
            read: a(0),
            create: a(1),
            update: a(2),
            delete: a(3),
            export: a(4),
            print: a(5),
            login: a(6),
            login_failed: a(7),
            permission_change: a(8),
            other: a(9),
        };
        let present = self.chain_present.unwrap_or(false);
        facts.hash_chain = HashChainFacts {
            present: Some(present),
            valid: present.then_some(self.first_break.is_none()),
            first_break: self.first_break,
        };
        facts.anomalies = AnomalyFacts {
            bulk_exports: self.log.bulk_export_threshold.map(|_| self.bulk),
            after_hours: self.hours.as_ref().map(|_| self.after_hours),
            no_appointment: self.appointments.as_ref().map(|_| self.no_appointment),
        };
        if self.withdrawal_events > 0 {
            facts.consent = ConsentFacts {
                withdrawals: Some(self.withdrawal_events),
                after_withdrawal: Some(self.after_withdrawal),
            };
        }
        facts.break_glass = (self.break_glass > 0).then_some(self.break_glass);
        facts.columns_guessed = Some(self.guessed.iter().map(|(k, r)| (k.clone(), r.to_string())).collect());
        facts.timestamp_tz = self.zone.map(|(z, from)| {
            let from = match from {
                ZoneFrom::Manifest => "from the manifest",
                ZoneFrom::Header => "from the header",
            };
            format!("{} ({from})", z.name())
        });
        // No timestamp read at all is vetter failing to read the log, not a fact about it.
        if self.stamped > 0
            && self.carried[3] == 0
            && let Some((at, shape, key)) = &self.first_unparsed
        {
            facts.error.get_or_insert(format!(
                "0 of {} timestamps parsed (column `{}`): the first, on {at}, has the shape `{shape}`; \
                 give its layout as `timestamp_format` on this [[audit_log]] (strftime, e.g. \
                 timestamp_format = \"%m/%d/%Y %I:%M:%S %p\"), and `tz` if it names no zone",
                thousands(self.stamped),
                key.escape_debug(),
            ));
        }
    }
}

/// The appointments export: patient → appointment dates.
fn load_appointments(
    m: &Manifest,
    a: &crate::manifest::Appointments,
    wait: std::time::Duration,
) -> Result<HashMap<String, Vec<NaiveDate>>, String> {
    let path = m.resolve(&a.path);
    let f = input::open(&path, input::Kind::SideFile, wait).map_err(|e| {
        format!(
            "cannot read the appointments file {}: {}",
            a.path,
            input::hashing::describe(&e)
        )
    })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(BufReader::new(f));
    let headers = rdr.headers().map_err(|e| format!("{}: {e}", a.path))?.clone();
    let pi = headers.iter().position(|h| h == a.patient);
    let di = headers.iter().position(|h| h == a.date);
    let (Some(pi), Some(di)) = (pi, di) else {
        return Err(format!(
            "{}: columns `{}` and `{}` are not both in its header",
            a.path, a.patient, a.date
        ));
    };
    let mut out: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    let mut order = super::export::phi::dates::OrderVote::default();
    for r in rdr.records() {
        // A read error (over the cap, a stalled pipe) ends the file; a malformed row is skipped.
        let r = match r {
            Ok(r) => r,
            Err(e) if e.is_io_error() => return Err(format!("cannot read the appointments file {}: {e}", a.path)),
            Err(_) => continue,
        };
        // The export scanner's date reader (textual and day-first dates too).
        let date = r.get(di).and_then(|v| {
            order.see(v);
            super::export::phi::dates::parse_any(v, order.get())
        });
        if let (Some(p), Some(d)) = (r.get(pi), date) {
            out.entry(p.trim().to_string()).or_default().push(d);
        }
    }
    Ok(out)
}

/// Scan one audit log: the whole probe for one `[[audit_log]]`.
pub fn scan_log(m: &Manifest, l: &AuditLog, as_of: NaiveDate) -> (AuditLogFacts, Input) {
    scan_log_with(m, l, as_of, input::DEFAULT_WAIT, None)
}

/// [`scan_log`] with the longest wait for a FIFO's data (`--timeout`), reporting bytes read
/// to `progress`.
pub fn scan_log_with(
    m: &Manifest,
    l: &AuditLog,
    as_of: NaiveDate,
    wait: std::time::Duration,
    progress: Option<super::ByteSink>,
) -> (AuditLogFacts, Input) {
    let mut facts = AuditLogFacts {
        path: l.path.clone(),
        ..Default::default()
    };
    let mut input = Input {
        path: l.path.clone(),
        kind: "audit_log".into(),
        sha256: None,
        bytes: None,
    };
    let mut tally = Tally::new(l);
    if let Some(a) = &l.appointments {
        match load_appointments(m, a, wait) {
            Ok(map) => tally.appointments = Some((map, a.window_days.unwrap_or(30) as i64)),
            Err(e) => facts.error = Some(e),
        }
    }
    let mut hr = match input::open_hashing(&m.resolve(&l.path), input::Kind::AuditLog, wait) {
        Ok(h) => h,
        Err(e) => {
            facts.error = Some(format!("cannot read {}: {}", l.path, input::hashing::describe(&e)));
            return (facts, input);
        }
    };
    hr.set_progress(progress);
    let res = read_entries(&mut hr, &mut tally);
    match hr.finish() {
        Ok((h, n)) => {
            facts.sha256 = Some(h.clone());
            input.sha256 = Some(h);
            input.bytes = Some(n);
        }
        Err(e) => facts.error = Some(format!("cannot read {}: {}", l.path, input::hashing::describe(&e))),
    }
    if let Err(e) = res {
        facts
            .error
            .get_or_insert(format!("{}: {}", l.path, input::hashing::describe(&e)));
    }
    tally.facts(&mut facts, as_of);
    (facts, input)
}

fn read_entries<R: Read>(file: &mut R, tally: &mut Tally) -> io::Result<()> {
    use super::export::encryption::{Sniff, sniff};
    use super::input::stream::{Counted, LineCap, MAX_LINE, RatioGuard, json_lines};
    let n = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut src = BufReader::with_capacity(
        256 * 1024,
        Counted {
            inner: file,
            n: n.clone(),
        },
    );
    let head = src.fill_buf()?.to_vec();
    let inner: Box<dyn Read + '_> = match sniff(&head[..head.len().min(4096)]) {
        Sniff::Plain => Box::new(src),
        Sniff::Gzip => Box::new(RatioGuard::new(flate2::read::MultiGzDecoder::new(src), n)),
        Sniff::Zstd => Box::new(RatioGuard::new(
            ruzstd::decoding::StreamingDecoder::new(src)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?,
            n,
        )),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "encrypted, archived or binary content: audit logs are read as JSONL or CSV (optionally gzip or zstd)",
            ));
        }
    };
    let mut r = BufReader::with_capacity(256 * 1024, LineCap::new(inner, MAX_LINE));
    let head = r.fill_buf()?;
    let first = head
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
    if first == Some(b'{') {
        return json_lines(r, |v| match v {
            Ok(Value::Object(m)) => tally.entry(&m, None),
            _ => tally.bad_entry(),
        });
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                if rec.len() != headers.len() {
                    tally.bad_entry();
                    continue;
                }
                let m: Map<String, Value> = headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.clone(), Value::String(v.to_string())))
                    .collect();
                tally.entry(&m, rec.position().map(|p| p.line()));
            }
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(io),
                _ => tally.bad_entry(),
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_events_are_not_a_shared_login() {
        assert!(!is_shared("system"));
        assert!(!is_shared("SYSTEM"));
        assert!(is_shared("Admin"));
        assert!(is_shared("frontdesk"));
    }

    #[test]
    fn verbs() {
        for (a, v) in [
            ("patient.read", "read"),
            ("VIEW", "read"),
            ("EXPORT_CSV", "export"),
            ("loginFailed", "login_failed"),
            ("user.login", "login"),
            ("role.grant", "permission_change"),
            ("record.deleted", "delete"),
            ("chart.update", "update"),
            ("heartbeat", "other"),
        ] {
            assert_eq!(default_verb(a), v, "{a}");
        }
    }

    #[test]
    fn canonical_ignores_key_order_and_spacing() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":"é","x":[1,2]}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "a": {"x": [1, 2], "y": "\u00e9"}, "b": 1 }"#).unwrap();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        canonical(&a, &mut x);
        canonical(&b, &mut y);
        assert_eq!(x, y);
        assert_eq!(String::from_utf8(x).unwrap(), r#"{"a":{"x":[1,2],"y":"é"},"b":1}"#);
    }

    #[test]
    fn timestamps() {
        assert!(parse_ts(&Value::from("2026-11-02T09:14:03-06:00")).unwrap().1);
        assert!(!parse_ts(&Value::from("2026-11-02 09:14:03")).unwrap().1);
        assert!(parse_ts(&Value::from(1_700_000_000_000u64)).unwrap().1);
        assert!(parse_ts(&Value::from("yesterday")).is_none());
        let utc = |s: &str, f: Option<&str>| match parse_text(s, f) {
            Some(Stamp::Local(n, None)) => n.and_utc().to_rfc3339(),
            Some(Stamp::Local(n, Some(z))) => in_zone(n, z).unwrap().to_rfc3339(),
            Some(Stamp::Instant(t)) => t.to_rfc3339(),
            None => "none".into(),
        };
        for (s, want) in [
            ("06/01/2026 07:33:00 AM", "2026-06-01T07:33:00+00:00"),
            ("6/1/2026 7:33 pm", "2026-06-01T19:33:00+00:00"),
            ("06/01/26 12:05 AM", "2026-06-01T00:05:00+00:00"),
            ("01.06.2026 19:33", "2026-06-01T19:33:00+00:00"),
            ("2026-06-01 07:33:00 PM", "2026-06-01T19:33:00+00:00"),
            ("06/01/2026 07:33:00 AM EDT", "2026-06-01T11:33:00+00:00"),
            ("01-Jun-2026 07:33:00", "2026-06-01T07:33:00+00:00"),
        ] {
            assert_eq!(utc(s, None), want, "{s}");
        }
        assert_eq!(
            utc("2026|06|01~07h33", Some("%Y|%m|%d~%Hh%M")),
            "2026-06-01T07:33:00+00:00"
        );
        // A clock change: 01:30 happens twice (the first is taken), 02:30 never (an hour on).
        let ny = chrono_tz::Tz::America__New_York;
        let at = |s| {
            in_zone(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(), ny)
                .unwrap()
                .to_rfc3339()
        };
        assert_eq!(at("2026-11-01 01:30"), "2026-11-01T05:30:00+00:00");
        assert_eq!(at("2026-03-08 02:30"), "2026-03-08T07:30:00+00:00");
    }

    #[test]
    fn headers_match_the_vocabulary_whatever_their_spelling() {
        assert_eq!(normalise("Date/Time (ET)"), ("datetime".into(), Some("ET".into())));
        assert_eq!(normalise(" User_Name "), ("username".into(), None));
        assert_eq!(zone_named("ET"), Some(chrono_tz::Tz::America__New_York));
        assert_eq!(zone_named("Europe/Berlin"), Some(chrono_tz::Tz::Europe__Berlin));
        assert_eq!(zone_named("Mars"), None);
        // Every spelling names one field only.
        let mut seen = std::collections::HashMap::new();
        for (r, names) in VOCABULARY {
            for n in names.iter().filter(|n| !n.contains('.')) {
                if let Some(prev) = seen.insert(normalise(n).0, r) {
                    panic!("{n} names both {prev:?} and {r:?}");
                }
            }
        }
    }

    #[test]
    fn an_unparsed_value_is_shown_by_its_shape_only() {
        assert_eq!(shape("06/01/2026 07:33:00 AM"), "99/99/9999 99:99:99 AM");
        assert_eq!(shape("Jane Doe 555-0100"), "xxxx xxx 999-9999");
        assert_eq!(thousands(1500), "1,500");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn configuration_changes_are_other_not_updates() {
        assert_eq!(default_verb("Configuration Change"), "other");
        assert_eq!(default_verb("practice.settings.updated"), "other");
        assert_eq!(default_verb("User Role Changed"), "permission_change");
    }
}
