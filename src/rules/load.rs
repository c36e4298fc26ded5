//! Reads one pack's TOML into a [`Pack`], collecting every problem with its place.
//!
//! The TOML is walked with spans (`toml::de::DeTable`) rather than deserialised with serde,
//! so that all unknown keys, wrong types and bad values of a file are reported in one pass.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::*;
use crate::diag::Problem;

const PACK_KEYS: &[&str] = &["id", "title", "version", "kind", "default", "law", "description"];
const PARAM_KEYS: &[&str] = &["default", "floor", "stricter", "description"];
const RULE_KEYS: &[&str] = &[
    "id",
    "requirement",
    "title",
    "category",
    "severity",
    "force",
    "duty",
    "threshold",
    "refs",
    "family",
    "each",
    "when",
    "assert",
    "message",
    "description",
    "remediation",
    "cap",
    "optional",
    "on_missing",
    "manual",
    "attestation",
    "example",
];
const EXAMPLE_KEYS: &[&str] = &["status", "note", "it", "facts", "params", "as_of", "attested"];

/// A rule's CEL sources and their spans, kept for compile and path checks.
#[derive(Debug, Clone, Default)]
pub struct RuleSpans {
    pub id: Range<usize>,
    pub each: Option<Range<usize>>,
    pub when: Option<Range<usize>>,
    pub assert: Option<Range<usize>>,
    pub message: Option<Range<usize>>,
    pub family: Option<Range<usize>>,
}

/// The result of reading one pack file.
pub struct Loaded {
    pub pack: Option<Pack>,
    pub spans: Vec<RuleSpans>,
    pub problems: Vec<Problem>,
}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    /// Built once per file: every rule records its line.
    lines: crate::diag::LineIndex<'a>,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>, help: Option<String>) {
        let mut p = Problem::at(self.file, self.src, Some(span), msg);
        p.help = help;
        self.problems.push(p);
    }

    fn check_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], what: &str) {
        for (k, _) in table.iter() {
            if !allowed.contains(&k.get_ref().as_ref()) {
                self.err(
                    k.span(),
                    format!("unknown key `{}` in {what}", k.get_ref()),
                    Some(format!("valid keys: {}", allowed.join(", "))),
                );
            }
        }
    }

    fn get<'t, 'i>(&self, table: &'t DeTable<'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        table.iter().find(|(k, _)| k.get_ref().as_ref() == key).map(|(_, v)| v)
    }

    fn string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        required: bool,
        at: &Range<usize>,
        what: &str,
    ) -> Option<(String, Range<usize>)> {
        match self.get(table, key) {
            Some(v) => match v.get_ref().as_str() {
                Some(s) => Some((s.to_string(), v.span())),
                None => {
                    self.err(
                        v.span(),
                        format!("`{key}` in {what} must be a string, found {}", v.get_ref().type_str()),
                        None,
                    );
                    None
                }
            },
            None => {
                if required {
                    self.err(at.clone(), format!("{what} is missing required key `{key}`"), None);
                }
                None
            }
        }
    }

    fn boolean(&mut self, table: &DeTable<'_>, key: &str, what: &str) -> Option<bool> {
        let v = self.get(table, key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                self.err(
                    v.span(),
                    format!(
                        "`{key}` in {what} must be true or false, found {}",
                        v.get_ref().type_str()
                    ),
                    None,
                );
                None
            }
        }
    }

    fn strings(&mut self, table: &DeTable<'_>, key: &str, what: &str) -> Option<Vec<String>> {
        let v = self.get(table, key)?;
        let Some(arr) = v.get_ref().as_array() else {
            self.err(
                v.span(),
                format!("`{key}` in {what} must be an array of strings"),
                Some(format!("e.g. {key} = [\"...\"]")),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in arr.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.err(
                    item.span(),
                    format!("`{key}` in {what} must contain only strings"),
                    None,
                ),
            }
        }
        Some(out)
    }
}

/// Turn a TOML scalar into JSON (integers stay integers).
pub fn scalar_to_json(v: &DeValue<'_>) -> Option<serde_json::Value> {
    match v {
        DeValue::String(s) => Some(serde_json::Value::String(s.to_string())),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            i64::from_str_radix(&digits, i.radix())
                .ok()
                .map(serde_json::Value::from)
        }
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number),
        DeValue::Boolean(b) => Some(serde_json::Value::Bool(*b)),
        _ => None,
    }
}

/// Turn any TOML value into JSON (datetimes become their text).
pub fn value_to_json(v: &DeValue<'_>) -> Option<serde_json::Value> {
    match v {
        DeValue::Array(a) => a
            .iter()
            .map(|x| value_to_json(x.get_ref()))
            .collect::<Option<Vec<_>>>()
            .map(serde_json::Value::Array),
        DeValue::Table(t) => t
            .iter()
            .map(|(k, x)| Some((k.get_ref().to_string(), value_to_json(x.get_ref())?)))
            .collect::<Option<serde_json::Map<_, _>>>()
            .map(serde_json::Value::Object),
        DeValue::Datetime(d) => Some(serde_json::Value::String(d.to_string())),
        other => scalar_to_json(other),
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Read one pack. `source` says where it came from (for reports).
pub fn load_pack(file: &str, src: &str, source: PackSource) -> Loaded {
    // The built-in phrasing is compiled (and so checked) by the tests; checking it again on
    // every start would cost more than loading all the rules.
    let check_phrasing = !source.builtin;
    let mut cx = Ctx {
        file,
        src,
        lines: crate::diag::LineIndex::new(src),
        problems: Vec::new(),
    };
    let doc = match DeTable::parse(src) {
        Ok(d) => d,
        Err(e) => {
            cx.problems.push(Problem::from_toml(file, src, &e));
            return Loaded {
                pack: None,
                spans: vec![],
                problems: cx.problems,
            };
        }
    };
    let root = doc.get_ref();
    let whole = 0..0;
    cx.check_keys(
        root,
        &["pack", "params", "rule", "clause", "soc2", "phrase"],
        "a pack file",
    );

    // [pack]
    let Some(pack_v) = cx.get(root, "pack") else {
        cx.err(
            whole,
            "the file has no [pack] table",
            Some("start the file with [pack] id = \"...\", title = \"...\", version = \"...\"".into()),
        );
        return Loaded {
            pack: None,
            spans: vec![],
            problems: cx.problems,
        };
    };
    let pack_span = pack_v.span();
    let Some(pack_t) = pack_v.get_ref().as_table() else {
        cx.err(pack_span, "`pack` must be a table", None);
        return Loaded {
            pack: None,
            spans: vec![],
            problems: cx.problems,
        };
    };
    cx.check_keys(pack_t, PACK_KEYS, "[pack]");
    let id = cx.string(pack_t, "id", true, &pack_span, "[pack]");
    if let Some((id, span)) = &id
        && !valid_id(id)
    {
        cx.err(
            span.clone(),
            format!("pack id `{id}` is not shell-safe"),
            Some("use lower-case letters, digits and dashes".into()),
        );
    }
    let title = cx.string(pack_t, "title", true, &pack_span, "[pack]");
    let version = cx.string(pack_t, "version", true, &pack_span, "[pack]");
    let kind = cx.string(pack_t, "kind", false, &pack_span, "[pack]");
    if let Some((k, span)) = &kind
        && k != "rules"
        && k != "phrasing"
    {
        cx.err(
            span.clone(),
            format!("unknown pack kind `{k}`"),
            Some("expected `rules` or `phrasing`".into()),
        );
    }
    let default = cx.boolean(pack_t, "default", "[pack]").unwrap_or(true);
    let law = cx
        .string(pack_t, "law", false, &pack_span, "[pack]")
        .and_then(|(s, span)| match s.parse::<Law>() {
            Ok(l) => Some(l),
            Err(e) => {
                cx.err(
                    span,
                    e,
                    Some("law = \"gdpr\" runs the pack by default only where the GDPR applies to the practice".into()),
                );
                None
            }
        });
    let description = cx
        .string(pack_t, "description", false, &pack_span, "[pack]")
        .map(|s| s.0);
    let pack_id = id.as_ref().map(|s| s.0.clone()).unwrap_or_default();
    let kind_s = kind.map(|k| k.0).unwrap_or_else(|| "rules".into());

    // [params]
    let mut params = BTreeMap::new();
    if let Some(pv) = cx.get(root, "params") {
        match pv.get_ref().as_table() {
            None => cx.err(pv.span(), "`params` must be a table of parameters", None),
            Some(pt) => {
                for (k, v) in pt.iter() {
                    let name = k.get_ref().to_string();
                    let what = format!("parameter `{name}`");
                    let Some(t) = v.get_ref().as_table() else {
                        cx.err(
                            v.span(),
                            format!("{what} must be a table"),
                            Some(format!("{name} = {{ default = 60, floor = 60, stricter = \"lower\" }}")),
                        );
                        continue;
                    };
                    cx.check_keys(t, PARAM_KEYS, &what);
                    let get_scalar = |cx: &mut Ctx, key: &str| -> Option<serde_json::Value> {
                        let v = cx.get(t, key)?;
                        let j = scalar_to_json(v.get_ref());
                        if j.is_none() {
                            cx.err(
                                v.span(),
                                format!("`{key}` of {what} must be a number, string or boolean"),
                                None,
                            );
                        }
                        j
                    };
                    let def = get_scalar(&mut cx, "default");
                    let floor = get_scalar(&mut cx, "floor");
                    let stricter = match cx.string(t, "stricter", false, &v.span(), &what) {
                        Some((s, _)) if s == "lower" => Some(Stricter::Lower),
                        Some((s, _)) if s == "higher" => Some(Stricter::Higher),
                        Some((s, span)) => {
                            cx.err(
                                span,
                                format!("`stricter` of {what} is `{s}`"),
                                Some("expected `lower` or `higher`".into()),
                            );
                            None
                        }
                        None => None,
                    };
                    if floor.is_some() && stricter.is_none() {
                        cx.err(
                            v.span(),
                            format!("{what} has a floor but no `stricter` direction"),
                            Some("add stricter = \"lower\" or \"higher\"".into()),
                        );
                    }
                    let description = cx.string(t, "description", false, &v.span(), &what).map(|s| s.0);
                    match def {
                        Some(default) => {
                            if let (Some(f), Some(_)) = (&floor, stricter)
                                && compare_param(&default, f).is_none()
                            {
                                cx.err(
                                    v.span(),
                                    format!("{what}: default and floor cannot be compared"),
                                    Some("give both as numbers, or both as version strings like \"1.2\"".into()),
                                );
                            }
                            params.insert(
                                name,
                                ParamDef {
                                    default,
                                    floor,
                                    stricter,
                                    description,
                                    pack: pack_id.clone(),
                                },
                            );
                        }
                        None => cx.err(v.span(), format!("{what} has no `default`"), None),
                    }
                }
            }
        }
    }

    // [[rule]]
    let mut rules = Vec::new();
    let mut spans = Vec::new();
    if let Some(rv) = cx.get(root, "rule") {
        match rv.get_ref().as_array() {
            None => cx.err(rv.span(), "`rule` must be an array of tables: write [[rule]]", None),
            Some(arr) => {
                for item in arr.iter() {
                    let at = item.span();
                    let Some(t) = item.get_ref().as_table() else {
                        cx.err(at, "each [[rule]] must be a table", None);
                        continue;
                    };
                    if let Some((rule, sp)) = read_rule(&mut cx, t, &at, &pack_id) {
                        rules.push(rule);
                        spans.push(sp);
                    }
                }
            }
        }
    }
    if kind_s == "rules" && rules.is_empty() && cx.problems.is_empty() {
        cx.err(pack_span.clone(), "the pack has no [[rule]] tables", None);
    }

    let phrasing = if kind_s == "phrasing" {
        let table = toml::from_str::<toml::Table>(src).ok();
        if let Some(t) = table.as_ref().filter(|_| check_phrasing) {
            for (key, msg) in crate::probe::evidence::phrasing::check(t) {
                let top = key.split('.').next().unwrap_or("");
                let span = phrasing_span(src, &key).or_else(|| cx.get(root, top).map(|v| v.span()));
                cx.err(span.unwrap_or(0..0), format!("`{key}`: {msg}"), None);
            }
        }
        table
    } else {
        for key in ["clause", "soc2", "phrase"] {
            if let Some(v) = cx.get(root, key) {
                cx.err(
                    v.span(),
                    format!("`{key}` tables belong in a pack of kind = \"phrasing\""),
                    None,
                );
            }
        }
        None
    };

    let pack = match (id, title, version) {
        (Some(id), Some(title), Some(version)) => Some(Pack {
            info: PackInfo {
                id: id.0,
                title: title.0,
                version: version.0,
                kind: kind_s,
                default,
                law,
                description,
                source,
            },
            params,
            rules,
            phrasing,
        }),
        _ => None,
    };
    Loaded {
        pack,
        spans,
        problems: cx.problems,
    }
}

fn read_rule(cx: &mut Ctx, t: &DeTable<'_>, at: &Range<usize>, pack_id: &str) -> Option<(Rule, RuleSpans)> {
    let before = cx.problems.len();
    let id = cx.string(t, "id", true, at, "[[rule]]");
    let what = match &id {
        Some((id, _)) => format!("rule `{id}`"),
        None => "[[rule]]".to_string(),
    };
    cx.check_keys(t, RULE_KEYS, &what);
    if let Some((id, span)) = &id
        && !valid_id(id)
    {
        cx.err(
            span.clone(),
            format!("rule id `{id}` is not shell-safe"),
            Some("use lower-case letters, digits and dashes, e.g. hipaa-tls-legacy".into()),
        );
    }
    let title = cx.string(t, "title", true, at, &what);
    let category = cx
        .string(t, "category", true, at, &what)
        .and_then(|(s, span)| match s.parse::<Category>() {
            Ok(c) => Some(c),
            Err(e) => {
                cx.err(span, e, None);
                None
            }
        });
    let severity = cx
        .string(t, "severity", true, at, &what)
        .and_then(|(s, span)| match s.parse::<Severity>() {
            Ok(c) => Some(c),
            Err(e) => {
                cx.err(span, e, None);
                None
            }
        });
    let cap = cx
        .string(t, "cap", false, at, &what)
        .and_then(|(s, span)| match s.parse::<Grade>() {
            Ok(c) => Some(c),
            Err(e) => {
                cx.err(span, e, None);
                None
            }
        });
    let force = cx
        .string(t, "force", false, at, &what)
        .and_then(|(s, span)| match s.parse::<Force>() {
            Ok(f) => Some((f, span)),
            Err(e) => {
                cx.err(
                    span,
                    e,
                    Some("say what obliges the vendor: see rules/README.md, `force`".into()),
                );
                None
            }
        });
    if let (Some((f, span)), Some(c)) = (&force, cap)
        && !f.may_cap()
    {
        cx.err(
            span.clone(),
            format!(
                "{what} has force = \"{f}\" and cap = \"{c}\": only required and addressable rules may cap a grade"
            ),
            Some("remove the cap (the failure still lowers the score), or give the legal duty as force".into()),
        );
    }
    let force = force.map(|f| f.0);
    let duty = cx.string(t, "duty", false, at, &what).map(|s| s.0);
    let threshold = cx.string(t, "threshold", false, at, &what).map(|s| s.0);
    let examples = read_examples(cx, t, &what);
    let refs = cx.strings(t, "refs", &what).unwrap_or_default();
    if refs.is_empty() {
        cx.err(
            at.clone(),
            format!("{what} has no `refs`"),
            Some("cite the regulation, e.g. refs = [\"45 CFR 164.312(e)(1)\"]".into()),
        );
    }
    let requirement = cx.strings(t, "requirement", &what).unwrap_or_default();
    let family = cx.string(t, "family", false, at, &what);
    if let Some((f, span)) = &family
        && (f.is_empty()
            || !f
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        cx.err(
            span.clone(),
            format!("{what} has family = \"{f}\": a family is a short name of lowercase letters, digits and `-`"),
            Some("name the fact the rules judge, e.g. family = \"soc2-mfa\"".into()),
        );
    }
    let description = cx.string(t, "description", true, at, &what);
    let remediation = cx.string(t, "remediation", true, at, &what);
    let each = cx.string(t, "each", false, at, &what);
    let when = cx.string(t, "when", false, at, &what);
    let assert = cx.string(t, "assert", false, at, &what);
    let message = cx.string(t, "message", false, at, &what);
    let optional = cx.boolean(t, "optional", &what).unwrap_or(false);
    let manual = cx.boolean(t, "manual", &what).unwrap_or(false);
    let on_missing = match cx.string(t, "on_missing", false, at, &what) {
        None => OnMissing::Missing,
        Some((s, span)) => match s.parse::<OnMissing>() {
            Ok(v) if v == OnMissing::Fail && manual => {
                cx.err(
                    span,
                    format!("{what} is manual and has on_missing = \"fail\""),
                    Some("a manual rule reads no evidence, so nothing can be missing; remove on_missing".into()),
                );
                v
            }
            Ok(v) if v == OnMissing::Fail && optional => {
                cx.err(
                    span,
                    format!("{what} is optional and has on_missing = \"fail\""),
                    Some("optional = true gives no finding when the evidence is absent, on_missing = \"fail\" a failure; keep one".into()),
                );
                v
            }
            Ok(v) => v,
            Err(e) => {
                cx.err(span, e, Some("use on_missing = \"fail\" only where the rule's subject is the document's existence (a BAA, a DPA)".into()));
                OnMissing::Missing
            }
        },
    };
    let attestation = cx.string(t, "attestation", false, at, &what).map(|s| s.0);
    match (&assert, manual) {
        (None, false) => cx.err(
            at.clone(),
            format!("{what} has no `assert`"),
            Some("add assert = \"<CEL>\", or manual = true for a rule only an attestation can satisfy".into()),
        ),
        (Some((_, span)), true) => cx.err(
            span.clone(),
            format!("{what} is manual but has an `assert`"),
            Some("a manual rule is satisfied only by an [[attestation]]; remove one of the two".into()),
        ),
        _ => {}
    }
    if cx.problems.len() != before {
        return None;
    }
    let (id, id_span) = id?;
    let spans = RuleSpans {
        id: id_span,
        each: each.as_ref().map(|s| s.1.clone()),
        when: when.as_ref().map(|s| s.1.clone()),
        assert: assert.as_ref().map(|s| s.1.clone()),
        message: message.as_ref().map(|s| s.1.clone()),
        family: family.as_ref().map(|s| s.1.clone()),
    };
    let line = cx.lines.line_col(at.start).0;
    Some((
        Rule {
            id,
            pack: pack_id.to_string(),
            requirement,
            title: title?.0,
            category: category?,
            severity: severity?,
            force,
            duty,
            threshold,
            refs,
            family: family.map(|s| s.0),
            each: each.map(|s| s.0),
            when: when.map(|s| s.0),
            assert: assert.map(|s| s.0),
            message: message.map(|s| s.0),
            description: description?.0,
            remediation: remediation?.0,
            cap,
            optional,
            on_missing,
            manual,
            attestation,
            params_read: Vec::new(),
            examples,
            line,
        },
        spans,
    ))
}

/// The rule's `[[rule.example]]` tables.
fn read_examples(cx: &mut Ctx, t: &DeTable<'_>, what: &str) -> Vec<Example> {
    let Some(v) = cx.get(t, "example") else {
        return Vec::new();
    };
    let Some(arr) = v.get_ref().as_array() else {
        cx.err(
            v.span(),
            format!("`example` in {what} must be an array of tables: write [[rule.example]]"),
            None,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in arr.iter() {
        let at = item.span();
        let ewhat = format!("an example of {what}");
        let Some(e) = item.get_ref().as_table() else {
            cx.err(at, format!("each example of {what} must be a table"), None);
            continue;
        };
        cx.check_keys(e, EXAMPLE_KEYS, &ewhat);
        let status =
            cx.string(e, "status", true, &at, &ewhat)
                .and_then(|(s, span)| match s.parse::<crate::engine::Status>() {
                    Ok(st) => Some(st),
                    Err(msg) => {
                        cx.err(span, msg, None);
                        None
                    }
                });
        let note = cx.string(e, "note", false, &at, &ewhat).map(|s| s.0);
        let as_of = cx.string(e, "as_of", false, &at, &ewhat);
        if let Some((d, span)) = &as_of
            && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
        {
            cx.err(
                span.clone(),
                format!("`as_of` of {ewhat} is not a date"),
                Some("write as_of = \"2026-06-01\"".into()),
            );
        }
        let attested = cx.boolean(e, "attested", &ewhat).unwrap_or(false);
        let table = |key: &str, cx: &mut Ctx| -> Option<serde_json::Value> {
            let v = cx.get(e, key)?;
            match v.get_ref().as_table().and(value_to_json(v.get_ref())) {
                Some(j) => Some(j),
                None => {
                    cx.err(v.span(), format!("`{key}` of {ewhat} must be a table of facts"), None);
                    None
                }
            }
        };
        let it = table("it", cx);
        let facts = table("facts", cx);
        let params = match table("params", cx) {
            Some(serde_json::Value::Object(m)) => m.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        if let Some(status) = status {
            out.push(Example {
                status,
                note,
                it,
                facts,
                params,
                as_of: as_of.map(|s| s.0),
                attested,
                line: cx.lines.line_col(at.start).0,
            });
        }
    }
    out
}

/// Where a phrasing key (`clause.baa.safeguards.match[0]`) is written: the line of its last
/// named segment inside its table, best effort.
fn phrasing_span(src: &str, key: &str) -> Option<Range<usize>> {
    if let Some(at) = src.find(&format!("[{key}]")) {
        return Some(at + 1..at + 1 + key.len());
    }
    let mut segs: Vec<&str> = key.split('.').collect();
    let last = segs.pop()?;
    let name = last.split('[').next().unwrap_or(last);
    let header = segs.join(".");
    let table_at = src.find(&format!("[{header}]")).unwrap_or(0);
    let rel = src[table_at..].find(&format!("{name} ="))?;
    let at = table_at + rel;
    Some(at..at + name.len())
}
