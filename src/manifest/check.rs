//! Validation of a parsed manifest or waiver file: every semantic problem, each at its key.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use toml::de::{DeTable, DeValue};

use super::load::{load, looks_secret};
use super::model::*;
use super::values::*;
use crate::diag::{ConfigError, Problem};

/// One step of a path into the TOML document.
#[derive(Clone, Copy)]
enum Seg<'a> {
    K(&'a str),
    I(usize),
}
use Seg::{I, K};

pub(super) struct Checker<'t> {
    file: &'t str,
    /// Lines found once: problems (thousands, in a hostile file) each need theirs.
    lines: crate::diag::LineIndex<'t>,
    root: &'t DeTable<'t>,
    problems: Vec<Problem>,
}

impl<'t> Checker<'t> {
    pub(super) fn new(file: &'t str, text: &'t str, root: &'t DeTable<'t>) -> Self {
        Checker {
            file,
            lines: crate::diag::LineIndex::new(text),
            root,
            problems: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Result<(), ConfigError> {
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

    pub(super) fn manifest(&mut self, m: &Manifest) {
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

    pub(super) fn waivers(&mut self, waivers: &[Waiver]) {
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
