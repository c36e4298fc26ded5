//! Validation of a parsed manifest or waiver file: every semantic problem, each at its key.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use crate::rules::RuleSet;

use chrono::NaiveDate;
use toml::de::{DeTable, DeValue};

use super::load::{load, looks_secret};
use super::model::*;
use super::values::*;
use crate::diag::{ConfigError, Problem};

use Seg::{I, K};

pub(super) struct Checker<'t> {
    file: &'t str,
    /// Lines found once: problems (thousands, in a hostile file) each need theirs.
    lines: crate::diag::LineIndex<'t>,
    spans: &'t Spans,
    /// The parsed document, for what the typed model no longer shows (a `[params]` value's
    /// TOML type).
    root: &'t DeTable<'t>,
    problems: Vec<Problem>,
}

impl<'t> Checker<'t> {
    pub(super) fn new(file: &'t str, text: &'t str, spans: &'t Spans, root: &'t DeTable<'t>) -> Self {
        Checker {
            file,
            lines: crate::diag::LineIndex::new(text),
            spans,
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

    fn span_or_prefix(&self, path: &[Seg], key: bool) -> Option<Range<usize>> {
        self.spans.nearest(path, key)
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
        if let Some(auth) = e.auth.as_ref().and_then(Auth::credential) {
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
            && self.spans.value(&[K("attestation"), I(i), K("rule"), I(0)]).is_none()
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

// ---------------------------------------------------------------------------------------------
// Pre-flight: what the manifest refers to outside itself, checked before anything is probed
// ---------------------------------------------------------------------------------------------

/// What the filesystem says about a path the manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Readable,
    Missing,
    Directory,
    /// It exists but cannot be opened (the reason, e.g. "permission denied").
    Unreadable(String),
}

/// What the environment says about a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvState {
    Set,
    /// Set to nothing but whitespace.
    Empty,
    Unset,
    NotUnicode,
}

/// The filesystem and environment as the pre-flight sees them: the binary passes the real
/// ones, a test a fake, so that the checks themselves are pure.
pub trait World {
    fn file(&self, path: &Path) -> FileState;
    fn env(&self, name: &str) -> EnvState;
}

/// The run a manifest is checked for.
pub struct Run<'a> {
    pub rules: &'a RuleSet,
    /// `--framework`: when not empty, it replaces `[vendor] frameworks`.
    pub frameworks: &'a [String],
    /// `--as-of`, when given.
    pub as_of: Option<NaiveDate>,
}

/// Which kind of table a rule reference is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Waiver,
    Attestation,
}

impl RefKind {
    fn as_str(self) -> &'static str {
        match self {
            RefKind::Waiver => "waiver",
            RefKind::Attestation => "attestation",
        }
    }
}

/// One rule reference written in a file: a waiver's `rule`, or one entry of an attestation's,
/// with where it is written (when the file carries spans).
#[derive(Debug, Clone)]
pub struct RuleRef<'a> {
    pub kind: RefKind,
    pub pattern: &'a str,
    pub span: Option<Range<usize>>,
}

/// The rule references of a manifest's attestations and waivers, each at its place.
pub fn manifest_rule_refs(m: &Manifest) -> Vec<RuleRef<'_>> {
    let mut out = Vec::new();
    for (i, a) in m.attestation.iter().enumerate() {
        let listed = m
            .source
            .spans
            .value(&[K("attestation"), I(i), K("rule"), I(0)])
            .is_some();
        for (j, r) in a.rule.entries().iter().enumerate() {
            let span = if listed {
                m.source.spans.value(&[K("attestation"), I(i), K("rule"), I(j)])
            } else {
                m.source.spans.value(&[K("attestation"), I(i), K("rule")])
            };
            out.push(RuleRef {
                kind: RefKind::Attestation,
                pattern: r,
                span,
            });
        }
    }
    out.extend(waiver_refs(&m.waiver, &m.source.spans));
    out
}

/// The rule references of a `--waivers` file.
pub fn waiver_file_refs(w: &WaiverFile) -> Vec<RuleRef<'_>> {
    waiver_refs(&w.waivers, &w.spans)
}

fn waiver_refs<'a>(waivers: &'a [Waiver], spans: &Spans) -> Vec<RuleRef<'a>> {
    waivers
        .iter()
        .enumerate()
        .map(|(i, w)| RuleRef {
            kind: RefKind::Waiver,
            pattern: &w.rule,
            span: spans.value(&[K("waiver"), I(i), K("rule")]),
        })
        .collect()
}

/// Whether an attestation can answer the rule: a manual rule, or one whose subject is a
/// document's existence (`on_missing = "fail"`: the BAA, the DPA).
fn attestable(r: &crate::rules::CompiledRule) -> bool {
    r.rule.manual || r.rule.on_missing == crate::rules::OnMissing::Fail
}

/// Check rule references against the loaded rules: an id must name a rule (else the closest
/// id is offered), a glob must match one, and an attestation may only name rules an
/// attestation can answer.
pub fn check_rule_refs(rules: &RuleSet, file: &str, text: &str, refs: &[RuleRef]) -> Vec<Problem> {
    use crate::engine::{is_rule_glob, rule_matches};
    let lines = crate::diag::LineIndex::new(text);
    let ids: Vec<String> = rules.rules.iter().map(|c| c.rule.id.clone()).collect();
    let mut out = Vec::new();
    for r in refs {
        let kind = r.kind.as_str();
        let at = |message: String| Problem::at_indexed(file, &lines, r.span.clone(), message);
        let glob = is_rule_glob(r.pattern);
        let matched: Vec<&crate::rules::CompiledRule> = if glob {
            rules
                .rules
                .iter()
                .filter(|c| rule_matches(r.pattern, &c.rule.id))
                .collect()
        } else {
            rules.rule(r.pattern).into_iter().collect()
        };
        if matched.is_empty() {
            out.push(if glob {
                at(format!("{kind} glob `{}` matches no rule", r.pattern)).help(
                    "a glob matches whole rule ids, `*` standing for any characters and `?` for one; \
                     fix the glob (or remove the entry), and run `vetter rules list` for the rule ids",
                )
            } else {
                let help = match closest(r.pattern, &ids) {
                    Some(best) => format!("did you mean `{best}`? `vetter rules list` shows the rule ids"),
                    None => "run `vetter rules list` for the rule ids".to_string(),
                };
                at(format!("{kind} names unknown rule `{}`", r.pattern)).help(help)
            });
            continue;
        }
        if r.kind == RefKind::Attestation {
            let refused: Vec<&str> = matched
                .iter()
                .filter(|c| !attestable(c))
                .map(|c| c.rule.id.as_str())
                .collect();
            if refused.is_empty() {
                continue;
            }
            let n = refused.len();
            let p = if glob {
                let mut names = refused.iter().take(5).copied().collect::<Vec<_>>().join(", ");
                if n > 5 {
                    names.push_str(&format!(" and {} more", n - 5));
                }
                at(format!(
                    "attestation glob `{}` matches {n} rule{} an attestation cannot answer: {names}",
                    r.pattern,
                    if n == 1 { "" } else { "s" },
                ))
                .help(
                    "an attestation answers manual rules and the rules that ask for a document \
                     (the BAA, the DPA), not checks vetter runs itself; narrow the glob or list \
                     the rules, e.g. rule = [\"hipaa-risk-analysis\", \"hipaa-admin-*\"] \
                     (`vetter rules list` marks manual rules)",
                )
            } else {
                at(format!(
                    "attestation names `{}`, a rule vetter checks itself, which an attestation cannot answer",
                    r.pattern
                ))
                .help(
                    "an attestation answers manual rules and the rules that ask for a document \
                     (the BAA, the DPA); remove this entry and supply what the rule checks, or \
                     waive its finding with a [[waiver]] (`vetter rules list` marks manual rules)",
                )
            };
            out.push(p);
        }
    }
    out
}

/// Places problems in one manifest.
struct Placer<'m> {
    m: &'m Manifest,
    lines: crate::diag::LineIndex<'m>,
    out: Vec<Problem>,
}

impl Placer<'_> {
    fn push(&mut self, path: &[Seg], key: bool, message: String, help: String) {
        let span = self.m.source.spans.nearest(path, key);
        let mut p = Problem::at_indexed(&self.m.source.file, &self.lines, span, message).help(help);
        if p.snippet.as_deref().is_some_and(looks_secret) {
            p.snippet = None;
        }
        self.out.push(p);
    }
}

/// Everything about a loaded manifest that can be known before probing, all at once: the
/// files it names exist and can be read, every credential variable is set, the rules,
/// parameters and frameworks it names exist (with the closest name offered) and have the
/// right type, the `--rules` packs are among its frameworks, it is not the untouched
/// `vetter init` template, and nothing in it is dated after `--as-of`.
pub fn preflight(m: &Manifest, run: &Run, world: &dyn World) -> Vec<Problem> {
    let mut pl = Placer {
        m,
        lines: crate::diag::LineIndex::new(&m.source.text),
        out: Vec::new(),
    };
    template(&mut pl);
    files(&mut pl, world);
    auth_env(&mut pl, world);
    frameworks(&mut pl, run);
    params(&mut pl, run.rules);
    if let Some(as_of) = run.as_of {
        for (i, a) in m.attestation.iter().enumerate() {
            if let Some(d) = a.date.date()
                && d > as_of
            {
                pl.push(
                    &[K("attestation"), I(i), K("date")],
                    false,
                    format!("[[attestation]] date {d} is after --as-of {as_of}: on that day it had not been made"),
                    format!("assess as of {d} or later, or fix the date"),
                );
            }
        }
    }
    let mut out = pl.out;
    out.extend(check_rule_refs(
        run.rules,
        &m.source.file,
        &m.source.text,
        &manifest_rule_refs(m),
    ));
    out.sort_by_key(|p| (p.line, p.column));
    out
}

fn template(pl: &mut Placer) {
    let help = "edit the template: name the vendor, and list its endpoints, exports and documents \
                (EVIDENCE-REQUEST.md, written beside it, says what to ask the vendor for)";
    let v = &pl.m.vendor;
    if v.name == TEMPLATE_VENDOR_NAME {
        pl.push(
            &[K("vendor"), K("name")],
            false,
            format!("[vendor] name is still the `vetter init` template's placeholder \"{TEMPLATE_VENDOR_NAME}\""),
            help.to_string(),
        );
    }
    if v.contact.as_deref() == Some(TEMPLATE_CONTACT) {
        pl.push(
            &[K("vendor"), K("contact")],
            false,
            format!("[vendor] contact is still the template's placeholder \"{TEMPLATE_CONTACT}\""),
            "edit the template: give the vendor's security contact, or remove the line".to_string(),
        );
    }
    for (i, e) in pl.m.endpoint.iter().enumerate() {
        if e.url == TEMPLATE_ENDPOINT_URL {
            pl.push(
                &[K("endpoint"), I(i), K("url")],
                false,
                format!("[[endpoint]] url is still the template's placeholder \"{TEMPLATE_ENDPOINT_URL}\""),
                "edit the template: give the vendor's API address, or remove the [[endpoint]] table".to_string(),
            );
        }
    }
}

/// Every file the manifest names, with its place and what it is.
fn named_files(m: &Manifest) -> Vec<(Vec<Seg<'static>>, &str, &'static str)> {
    let mut out = Vec::new();
    for (i, e) in m.export.iter().enumerate() {
        out.push((vec![K("export"), I(i), K("path")], e.path.as_str(), "[[export]] path"));
        if let Some(er) = &e.erasure {
            out.push((
                vec![K("export"), I(i), K("erasure"), K("file")],
                er.file.as_str(),
                "erasure file",
            ));
        }
    }
    for (i, a) in m.audit_log.iter().enumerate() {
        out.push((
            vec![K("audit_log"), I(i), K("path")],
            a.path.as_str(),
            "[[audit_log]] path",
        ));
        if let Some(ap) = &a.appointments {
            out.push((
                vec![K("audit_log"), I(i), K("appointments"), K("path")],
                ap.path.as_str(),
                "appointments path",
            ));
        }
    }
    for (i, e) in m.evidence.iter().enumerate() {
        out.push((
            vec![K("evidence"), I(i), K("path")],
            e.path.as_str(),
            "[[evidence]] path",
        ));
    }
    for (i, a) in m.attestation.iter().enumerate() {
        if let Some(e) = &a.evidence {
            out.push((
                vec![K("attestation"), I(i), K("evidence")],
                e.as_str(),
                "[[attestation]] evidence",
            ));
        }
    }
    out
}

fn files(pl: &mut Placer, world: &dyn World) {
    let m = pl.m;
    for (path, rel, what) in named_files(m) {
        let full = m.resolve(rel);
        let shown = full.display().to_string();
        let problem = match world.file(&full) {
            FileState::Readable => continue,
            FileState::Missing => format!("{what} `{rel}`: no such file ({shown})"),
            FileState::Directory => format!("{what} `{rel}` is a directory, not a file"),
            FileState::Unreadable(why) => format!("{what} `{rel}` cannot be read: {why}"),
        };
        pl.push(
            &path,
            false,
            problem,
            "fix the path (relative to the manifest's directory), or remove the entry; \
             nothing is probed until every named file can be read"
                .to_string(),
        );
    }
}

fn auth_env(pl: &mut Placer, world: &dyn World) {
    let m = pl.m;
    for (i, e) in m.endpoint.iter().enumerate() {
        let Some(a) = e.auth.as_ref().and_then(Auth::credential) else {
            continue;
        };
        // An example name is never probed (see probe::endpoint): no credential is needed.
        let host = crate::probe::files::endpoint_skeleton(&e.url).host.unwrap_or_default();
        if e.resolve.is_none() && crate::probe::endpoint::reserved_name(host.trim_matches(['[', ']'])) {
            continue;
        }
        let url = crate::secrets::redact_query_params(&e.url).unwrap_or_else(|| e.url.clone());
        let fix = format!(
            "export it (e.g. `export {}='Bearer …'`), or write auth = \"{AUTH_NONE}\" to probe this \
             endpoint without credentials on purpose",
            a.env
        );
        let (message, help) = match world.env(&a.env) {
            EnvState::Set => continue,
            EnvState::Unset => (
                format!(
                    "auth env `{}` is not set, so {url} would be probed without credentials",
                    a.env
                ),
                fix,
            ),
            EnvState::Empty => (format!("auth env `{}` is set but empty", a.env), fix),
            EnvState::NotUnicode => (
                format!(
                    "auth env `{}` does not hold UTF-8 text; an HTTP header value must be text",
                    a.env
                ),
                "export the credential as text".to_string(),
            ),
        };
        pl.push(&[K("endpoint"), I(i), K("auth"), K("env")], false, message, help);
    }
}

fn frameworks(pl: &mut Placer, run: &Run) {
    let Some(fw) = pl.m.vendor.frameworks.as_ref().filter(|_| run.frameworks.is_empty()) else {
        return;
    };
    let packs: Vec<&crate::rules::PackInfo> = run.rules.packs.iter().filter(|p| p.kind == "rules").collect();
    let known: Vec<String> = packs.iter().map(|p| p.id.clone()).collect();
    let mut all_known = true;
    for (j, f) in fw.iter().enumerate() {
        if known.contains(f) {
            continue;
        }
        all_known = false;
        let mut help = format!("known packs: {}", known.join(", "));
        if let Some(best) = closest(f, &known) {
            help = format!("did you mean `{best}`? {help}");
        }
        help.push_str("; a pack of your own must be passed with --rules");
        pl.push(
            &[K("vendor"), K("frameworks"), I(j)],
            false,
            format!("[vendor] frameworks names unknown pack `{f}`"),
            help,
        );
    }
    if !all_known {
        return;
    }
    // A pack given with --rules that the frameworks leave out would silently not run.
    for p in packs.iter().filter(|p| !p.source.builtin && !fw.contains(&p.id)) {
        pl.push(
            &[K("vendor"), K("frameworks")],
            false,
            format!(
                "--rules adds pack `{}` ({}), but [vendor] frameworks does not list it, so it would not run",
                p.id, p.source.file
            ),
            format!("add \"{}\" to frameworks, or leave that pack out of --rules", p.id),
        );
    }
}

fn params(pl: &mut Placer, rules: &RuleSet) {
    let known: Vec<String> = rules.params.keys().cloned().collect();
    for (name, value) in &pl.m.params {
        let path = [K("params"), K(name.as_str())];
        let Some(def) = rules.params.get(name) else {
            let mut help = format!("known parameters: {}", known.join(", "));
            if let Some(best) = closest(name, &known) {
                help = format!("did you mean `{best}`? {help}");
            }
            pl.push(&path, true, format!("unknown parameter `{name}` in [params]"), help);
            continue;
        };
        let Some(ty) = ParamType::of(&def.default) else {
            continue;
        };
        let Some(got) = ty.mismatch(value) else {
            continue;
        };
        let wanted = ty.describe(name);
        let example = format!("{name} = {}", def.default);
        let unit_in_text = value
            .as_str()
            .is_some_and(|s| s.trim().starts_with(|c: char| c.is_ascii_digit()));
        let help = match (ty, got) {
            (_, "negative") => format!("give {wanted} of at least 0, e.g. {example} (the pack's default)"),
            (ParamType::Whole | ParamType::Number, "a string") if unit_in_text => {
                format!("write the number alone, without quotes or unit, e.g. {example} (the pack's default)")
            }
            _ => format!(
                "give {wanted}, e.g. {example} (the pack's default, from pack `{}`)",
                def.pack
            ),
        };
        let message = if got == "negative" {
            format!("params.{name} is negative, but it is {wanted}")
        } else {
            format!("params.{name} is {got}, but it takes {wanted}")
        };
        pl.push(&path, false, message, help);
    }
}
