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
use crate::manifest::{AuditFields, AuditLog};

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

/// Default key names for each audit field, tried in order.
const DEFAULTS: [(&str, &[&str]); 7] = [
    (
        "actor",
        &[
            "actor",
            "user",
            "user_id",
            "userId",
            "username",
            "user_name",
            "actor_id",
            "principal",
            "who",
            "account",
            "user.id",
            "actor.id",
        ],
    ),
    (
        "action",
        &[
            "action",
            "event",
            "event_type",
            "eventType",
            "verb",
            "activity",
            "operation",
            "op",
            "type",
        ],
    ),
    (
        "resource",
        &[
            "resource",
            "record_id",
            "patient_id",
            "patientId",
            "resource_id",
            "object",
            "target",
            "entity_id",
            "record",
            "subject",
            "resource.id",
        ],
    ),
    (
        "timestamp",
        &[
            "ts",
            "timestamp",
            "time",
            "@timestamp",
            "datetime",
            "date",
            "event_time",
            "occurred_at",
            "created_at",
            "logged_at",
        ],
    ),
    ("outcome", &["outcome", "result", "status", "success", "status_code"]),
    (
        "source_ip",
        &[
            "source_ip",
            "ip",
            "src_ip",
            "client_ip",
            "remote_addr",
            "ip_address",
            "ipAddress",
            "sourceIPAddress",
            "remote_ip",
        ],
    ),
    (
        "fields_accessed",
        &["fields_accessed", "fields", "columns", "attributes", "data_elements"],
    ),
];

/// Accounts that several people share (164.312(a)(2)(i) wants a unique user per person).
const SHARED: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
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

/// An instant and whether the log stated its UTC offset.
pub fn parse_ts(v: &Value) -> Option<(DateTime<Utc>, bool)> {
    match v {
        Value::Number(n) => {
            let x = n.as_f64()?;
            let secs = if x > 1e11 { x / 1000.0 } else { x };
            DateTime::from_timestamp(secs as i64, 0).map(|d| (d, true))
        }
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                let n: f64 = s.parse().ok()?;
                return parse_ts(&Value::from(n));
            }
            if let Ok(d) = DateTime::parse_from_rfc3339(s) {
                return Some((d.with_timezone(&Utc), true));
            }
            for f in [
                "%Y-%m-%d %H:%M:%S%.f%:z",
                "%Y-%m-%d %H:%M:%S%.f%z",
                "%Y-%m-%dT%H:%M:%S%.f%z",
            ] {
                if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, f) {
                    return Some((d.with_timezone(&Utc), true));
                }
            }
            for f in [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M",
            ] {
                if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
                    return Some((d.and_utc(), false));
                }
            }
            None
        }
        _ => None,
    }
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
    keys: [Vec<String>; 7],
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

impl<'m> Tally<'m> {
    fn new(log: &'m AuditLog) -> Self {
        let f = log.fields.clone().unwrap_or_default();
        let mapped = |x: &Option<String>, i: usize| match x {
            Some(k) => vec![k.clone()],
            None => DEFAULTS[i].1.iter().map(|s| s.to_string()).collect(),
        };
        let AuditFields {
            actor,
            action,
            resource,
            timestamp,
            outcome,
            source_ip,
            fields_accessed,
        } = &f;
        let keys = [
            mapped(actor, 0),
            mapped(action, 1),
            mapped(resource, 2),
            mapped(timestamp, 3),
            mapped(outcome, 4),
            mapped(source_ip, 5),
            mapped(fields_accessed, 6),
        ];
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
            keys,
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

    fn get<'a>(&self, m: &'a Map<String, Value>, i: usize) -> Option<&'a Value> {
        self.keys[i]
            .iter()
            .find_map(|k| lookup(m, k).filter(|v| present(Some(v))))
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

    fn entry(&mut self, m: &Map<String, Value>) {
        self.entries += 1;
        let n = self.entries;
        for i in 0..7 {
            if self.get(m, i).is_some() {
                self.carried[i] += 1;
            }
        }
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
        let actor = as_text(self.get(m, 0)).unwrap_or_default();
        if actor.is_empty() {
            self.blank += 1;
        } else {
            if SHARED.contains(&actor.to_lowercase().as_str()) {
                self.shared += 1;
            }
            if self.actors.len() < 1_000_000 {
                self.actors.insert(actor.clone());
            }
        }
        let action = as_text(self.get(m, 1)).unwrap_or_default();
        let verb = if action.is_empty() { "other" } else { self.verb(&action) };
        let vi = VERBS.iter().position(|v| *v == verb).unwrap_or(VERBS.len() - 1);
        self.actions[vi] += 1;
        let resource = as_text(self.get(m, 2)).unwrap_or_default();
        let ts = self.get(m, 3).and_then(parse_ts);
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
        if lower.contains("break_glass")
            || lower.contains("breakglass")
            || lower.contains("break-glass")
            || lower.contains("emergency")
        {
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
            resource: share(self.carried[2]),
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
            hashing::describe(&e)
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
    for r in rdr.records() {
        // A read error (over the cap, a stalled pipe) ends the file; a malformed row is skipped.
        let r = match r {
            Ok(r) => r,
            Err(e) if e.is_io_error() => return Err(format!("cannot read the appointments file {}: {e}", a.path)),
            Err(_) => continue,
        };
        if let (Some(p), Some(d)) = (r.get(pi), r.get(di).and_then(super::export::retention::parse_date)) {
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
            facts.error = Some(format!("cannot read {}: {}", l.path, hashing::describe(&e)));
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
        Err(e) => facts.error = Some(format!("cannot read {}: {}", l.path, hashing::describe(&e))),
    }
    if let Err(e) = res {
        facts
            .error
            .get_or_insert(format!("{}: {}", l.path, hashing::describe(&e)));
    }
    tally.facts(&mut facts, as_of);
    (facts, input)
}

fn read_entries<R: Read>(file: &mut R, tally: &mut Tally) -> io::Result<()> {
    use super::export::encryption::{Sniff, sniff};
    use super::export::reader::{Counted, LineCap, MAX_LINE, RatioGuard, json_lines};
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
            Ok(Value::Object(m)) => tally.entry(&m),
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
                tally.entry(&m);
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
    }
}
