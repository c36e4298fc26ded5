//! ④ Evaluate: rules × facts → findings. Pure: no I/O, no clock (the date comes in `as_of`).
//!
//! Order for each rule and resource (DESIGN): the resource's `error` → `error`; a parameter
//! set looser than its floor → `fail`; `when` false → `skip`, `when` unknown (it read a null
//! fact) → `skip`; `assert` true → `pass`, false → `fail`; a CEL runtime error → `error` with
//! the CEL message. Evidence the manifest did not supply — an empty `each` list, or a vendor
//! rule whose every fact is an empty evidence list — is one `missing` finding (absence of
//! evidence is not a failed control), nothing for an `optional` rule, and `fail` for a rule
//! with `on_missing = "fail"` (its subject is the document's existence) unless a current
//! attestation covers it. Manual rules are `manual` unless a current attestation makes them
//! `pass` (basis `attestation`).

use std::collections::BTreeMap;
use std::sync::Arc;

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::extractors::Arguments;
use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, Value};
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

pub mod family;

use crate::rules::{Category, Cel, CompiledRule, Force, MessagePart, OnMissing, RuleSet, Severity, cost};

/// What happened to one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Skip,
    Waived,
    Manual,
    /// The evidence this rule reads was not supplied: not scored, lowers coverage.
    Missing,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::Skip,
        Status::Waived,
        Status::Manual,
        Status::Missing,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::Waived => "waived",
            Status::Manual => "manual",
            Status::Missing => "missing",
        }
    }
    /// Fail and error both need attention (waivers apply to them, `--fail-on` counts them);
    /// only `fail` lowers the score and caps the grade (see score.rs).
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Status::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            format!("unknown status `{s}`; expected one of pass, fail, error, skip, waived, manual, missing")
        })
    }
}

/// One fact a finding read, and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceItem {
    pub path: String,
    pub value: serde_json::Value,
}

/// The waiver applied to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppliedWaiver {
    pub reason: String,
    pub approver: String,
    pub expires: String,
    /// The status the finding had before the waiver.
    pub original_status: Status,
}

/// One rule on one resource. The rule's text (pack, title, remediation, references,
/// requirements) is not copied into each finding: a report holds it once per rule
/// (`Report::rules`), so a run of many resources costs one copy per rule, not per finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable fingerprint of rule id and resource.
    pub id: String,
    pub rule: String,
    pub resource: String,
    pub status: Status,
    /// `check` or `attestation`.
    pub basis: String,
    pub severity: Severity,
    /// What obliges the vendor (the rule's `force`).
    pub force: Option<Force>,
    pub category: Category,
    /// What was found; absent when the rule's title says it (a pass), and on a resource that
    /// could not be probed, whose cause is said once in `unassessed[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The facts the check read; absent when it did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceItem>,
    /// Overall score if this finding passed (failures only; filled by scoring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worth: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
    /// Rules of the same family (the same fact of the same resource) that agreed with this
    /// one and are folded into it: their citations are this finding's too (`family::fold`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// An attestation for a manual rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attestation {
    pub rule: String,
    pub evidence: Option<String>,
    pub evidence_sha256: Option<String>,
    pub attested_by: String,
    pub date: String,
    pub expires: Option<String>,
}

/// A waiver (manifest or `--waivers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Waiver {
    pub rule: String,
    pub resource: Option<String>,
    pub reason: String,
    pub approver: String,
    pub expires: String,
}

/// Everything evaluation reads besides the rules.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The facts tree as JSON.
    pub facts: &'a serde_json::Value,
    pub as_of: NaiveDate,
    /// Parameter values set by the manifest (override pack defaults).
    pub params: &'a BTreeMap<String, serde_json::Value>,
    pub attestations: &'a [Attestation],
    pub waivers: &'a [Waiver],
    /// Pack ids whose rules run.
    pub packs: &'a std::collections::BTreeSet<String>,
}

/// Stable finding id: the first 16 hex digits of SHA-256("rule\0resource").
pub fn fingerprint(rule: &str, resource: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0u8]);
    h.update(resource.as_bytes());
    hex::encode(&h.finalize()[..8])
}

/// Binds `it` to a value converted once per resource, borrowed by every rule that reads it.
struct ItResolver<'a> {
    it: Box<dyn Val + 'a>,
}

impl VariableResolver for ItResolver<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        (variable == "it").then_some(CowVal::Borrowed(self.it.as_ref()))
    }
}

/// JSON → the interpreter's value representation, built directly (strings borrowed, not
/// copied) and once per resource.
fn to_val(v: &serde_json::Value) -> Box<dyn Val + '_> {
    use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString};
    match v {
        serde_json::Value::Null => Box::new(CelNull),
        serde_json::Value::Bool(b) => Box::new(CelBool::from(*b)),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Box::new(CelInt::from(i)),
            (None, Some(u)) => Box::new(CelInt::from(i64::try_from(u).unwrap_or(i64::MAX))),
            _ => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        serde_json::Value::String(s) => Box::new(CelString::from(s.as_str())),
        serde_json::Value::Array(a) => Box::new(CelList::from(a.iter().map(to_val).collect::<Vec<_>>())),
        serde_json::Value::Object(o) => {
            let map: std::collections::HashMap<CelMapKey, Box<dyn Val + '_>> = o
                .iter()
                .map(|(k, v)| (CelMapKey::String(CelString::from(k.as_str())), to_val(v)))
                .collect();
            Box::new(CelMap::from(map))
        }
    }
}

/// JSON → CEL value. Integers stay `int` (never `uint`), so rules compare them with int literals.
pub fn to_cel(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::Int(i64::try_from(u).unwrap_or(i64::MAX))
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        serde_json::Value::Object(o) => {
            let map: std::collections::HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

fn cel_to_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::String(s) => s.to_string(),
        Value::Timestamp(t) => t.format("%Y-%m-%d").to_string(),
        Value::List(l) => format!("[{}]", l.iter().map(cel_to_text).collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

fn parse_date_value(v: &Value, func: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, ExecutionError> {
    match v {
        Value::Timestamp(t) => Ok(*t),
        Value::String(s) => parse_iso_date(s).ok_or_else(|| {
            ExecutionError::function_error(
                func,
                format!("`{s}` is not an ISO date (YYYY-MM-DD) or RFC 3339 instant"),
            )
        }),
        Value::Null => Err(ExecutionError::function_error(func, "the date is null (unknown)")),
        other => Err(ExecutionError::function_error(
            func,
            format!("expected a date string or timestamp, got {}", other.type_of()),
        )),
    }
}

fn parse_iso_date(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    chrono::FixedOffset::east_opt(0)?
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
}

thread_local! {
    /// Comprehension steps left for the finding this thread is evaluating (rules::cost).
    static STEPS_LEFT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Whether that finding ran out of steps (an error an `||` absorbed still counts).
    static OVERRUN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A fresh budget for the finding about to be evaluated on this thread.
fn start_budget() {
    STEPS_LEFT.set(cost::STEP_BUDGET);
    OVERRUN.set(false);
}

/// One comprehension step: passes its argument through, or fails once the budget is spent.
fn meter_step(args: Arguments) -> Result<Value, ExecutionError> {
    let left = STEPS_LEFT.get();
    if left == 0 {
        OVERRUN.set(true);
        return Err(ExecutionError::function_error("budget", "evaluation budget exhausted"));
    }
    STEPS_LEFT.set(left - 1);
    match args.0.as_slice() {
        [v] => Ok(v.clone()),
        _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
    }
}

fn overrun_message(rule: &str) -> String {
    format!(
        "rule `{rule}` was stopped: its CEL took more than {} comprehension steps on this resource (the budget per rule and resource); simplify the rule or iterate over shorter lists",
        cost::STEP_BUDGET
    )
}

/// The CEL functions vetter adds: `date(s)` and `days_between(a, b)`, the message formatters
/// of rules::words, and the step meter the metered trees call (see rules::cost).
pub fn add_functions(ctx: &mut Context) {
    let _ = ctx.add_function(cost::METER, meter_step);
    // Names are not standard overloads, so these cannot conflict.
    let _ = ctx.add_function("date", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [v] => Ok(Value::Timestamp(parse_date_value(v, "date")?)),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
    let _ = ctx.add_function("days_between", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [a, b] => {
                let (a, b) = (
                    parse_date_value(a, "days_between")?,
                    parse_date_value(b, "days_between")?,
                );
                Ok(Value::Int((b - a).num_days()))
            }
            _ => Err(ExecutionError::invalid_argument_count(2, args.0.len())),
        }
    });
    crate::rules::words::add_functions(ctx);
}

/// Effective parameter values: pack defaults, overridden by the manifest.
pub fn effective_params(
    rules: &RuleSet,
    set: &BTreeMap<String, serde_json::Value>,
) -> BTreeMap<String, serde_json::Value> {
    let mut out: BTreeMap<String, serde_json::Value> = rules
        .params
        .iter()
        .map(|(k, d)| (k.clone(), d.default.clone()))
        .collect();
    for (k, v) in set {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// Look a dotted path up in a JSON value.
fn lookup<'v>(root: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut v = root;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    Some(v)
}

/// Keep evidence values small: long lists and objects become a summary.
fn summarise(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Array(a) if a.len() > 8 => serde_json::json!(format!("[{} items]", a.len())),
        serde_json::Value::Object(o) if o.len() > 8 => serde_json::json!(format!("{{{} fields}}", o.len())),
        serde_json::Value::String(s) if s.chars().count() > 200 => {
            serde_json::json!(format!("{}…", s.chars().take(200).collect::<String>()))
        }
        other => other.clone(),
    }
}

fn resource_name(each: &str, item: &serde_json::Value, index: usize) -> String {
    let key = if each == "endpoints" { "url" } else { "path" };
    match item.get(key).and_then(|v| v.as_str()) {
        Some(s) => s.to_string(),
        None => format!("{each}[{index}]"),
    }
}

/// Run every selected rule over the facts.
pub fn evaluate(rules: &RuleSet, inp: &Inputs) -> Vec<Finding> {
    evaluate_where(rules, inp, &|cr| inp.packs.contains(&cr.rule.pack))
}

/// Run one rule over the facts (a rule's examples, `rules check`).
pub fn evaluate_rule(rules: &RuleSet, inp: &Inputs, id: &str) -> Vec<Finding> {
    evaluate_where(rules, inp, &|cr| cr.rule.id == id)
}

fn evaluate_where(rules: &RuleSet, inp: &Inputs, keep: &(dyn Fn(&CompiledRule) -> bool + Sync)) -> Vec<Finding> {
    let params = effective_params(rules, inp.params);
    let as_of = inp.as_of.format("%Y-%m-%d").to_string();
    // Each list is converted to CEL once, not once per rule.
    let mut lists: BTreeMap<&str, Vec<(String, &serde_json::Value, ItResolver)>> = BTreeMap::new();
    for cr in rules.rules.iter().filter(|r| keep(r)) {
        if let Some(each) = cr.rule.each.as_deref() {
            lists.entry(each).or_insert_with(|| {
                lookup(inp.facts, each)
                    .and_then(|v| v.as_array())
                    .map(|items| {
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| (resource_name(each, item, i), item, ItResolver { it: to_val(item) }))
                            .collect()
                    })
                    .unwrap_or_default()
            });
        }
    }
    let mut root = Context::default();
    add_functions(&mut root);
    // Only the top-level facts some selected rule names are converted for the interpreter.
    let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for cr in rules.rules.iter().filter(|r| keep(r)) {
        let programs = cr
            .when
            .iter()
            .chain(cr.assert.iter())
            .chain(cr.message.iter().filter_map(|m| match m {
                MessagePart::Expr(p) => Some(p),
                MessagePart::Text(_) => None,
            }));
        for p in programs {
            let refs = p.program.references();
            used.extend(refs.variables().into_iter().map(str::to_string));
        }
    }
    if let serde_json::Value::Object(o) = inp.facts {
        for (k, v) in o.iter().filter(|(k, _)| used.contains(k.as_str())) {
            root.add_variable_as_val(k.clone(), to_val(v));
        }
    }
    let params_json = serde_json::Value::Object(params.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    root.add_variable_from_value("params", to_cel(&params_json));
    root.add_variable_from_value("as_of", Value::String(Arc::new(as_of.clone())));

    let selected: Vec<&CompiledRule> = rules.rules.iter().filter(|r| keep(r)).collect();
    let eval_rule = |cr: &CompiledRule| -> Vec<Finding> {
        let mut out = Vec::new();
        let rule = &cr.rule;
        if rule.manual {
            out.push(manual_finding(cr, inp));
            return out;
        }
        // A parameter looser than its floor fails the rule whatever the facts say.
        let loose: Vec<String> = rule
            .params_read
            .iter()
            .filter_map(|p| {
                let def = rules.params.get(p)?;
                let v = params.get(p)?;
                def.looser_than_floor(v).then(|| {
                    format!(
                        "parameter `{p}` = {v} is looser than the floor {} set by pack `{}`",
                        def.floor.clone().unwrap_or_default(),
                        def.pack
                    )
                })
            })
            .collect();
        match &rule.each {
            None => {
                let needs = evidence_lists(cr);
                let none_supplied = !needs.is_empty() && needs.iter().all(|l| list_is_empty(inp.facts, l));
                if none_supplied {
                    if !rule.optional {
                        out.push(missing_finding(cr, inp, "vendor", &needs));
                    }
                } else {
                    out.push(eval_one(cr, &root, None, inp.facts, "vendor", &loose));
                }
            }
            Some(each) => {
                let items = lists.get(each.as_str()).map(Vec::as_slice).unwrap_or_default();
                if items.is_empty() {
                    if !rule.optional {
                        out.push(missing_finding(cr, inp, each, std::slice::from_ref(each)));
                    }
                    return out;
                }
                for (resource, item, cel_item) in items {
                    out.push(eval_one(cr, &root, Some((item, cel_item)), inp.facts, resource, &loose));
                }
            }
        }
        out
    };
    // Rules are independent: evaluate them on every core, then restore rule order.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut per_rule: Vec<(usize, Vec<Finding>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (selected, eval_rule) = (&selected, &eval_rule);
                s.spawn(move || {
                    (w..selected.len())
                        .step_by(workers)
                        .map(|i| (i, eval_rule(selected[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    per_rule.sort_by_key(|(i, _)| *i);
    let mut out: Vec<Finding> = per_rule.into_iter().flat_map(|(_, f)| f).collect();
    apply_waivers(&mut out, inp.waivers, inp.as_of);
    // Duplicate resources (the same URL listed twice) would collide; keep ids unique.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in &mut out {
        let n = seen.entry(f.id.clone()).or_insert(0);
        if *n > 0 {
            f.id = fingerprint(&f.rule, &format!("{}#{}", f.resource, n));
        }
        *n += 1;
    }
    out
}

/// The facts lists that hold supplied resources: what a manifest can fail to supply.
fn is_evidence_list(path: &str) -> bool {
    matches!(path, "endpoints" | "exports" | "audit_logs")
        || path
            .strip_prefix("evidence.")
            .is_some_and(|k| !k.is_empty() && !k.contains('.'))
}

/// The evidence lists a rule judges: its `each`, or for a vendor-level rule the lists its CEL
/// reads. Empty for a rule that reads other facts too (it can be judged without them).
pub fn evidence_lists(cr: &CompiledRule) -> Vec<String> {
    if let Some(each) = &cr.rule.each {
        return vec![each.clone()];
    }
    if cr.rule.manual || cr.reads.is_empty() || !cr.reads.iter().all(|p| is_evidence_list(p)) {
        return Vec::new();
    }
    cr.reads.clone()
}

/// Whether the facts list at `path` holds nothing (or is absent).
pub fn list_is_empty(facts: &serde_json::Value, path: &str) -> bool {
    lookup(facts, path)
        .and_then(|v| v.as_array())
        .is_none_or(|a| a.is_empty())
}

/// Resources the probes could not read (an endpoint that did not answer, a file that could
/// not be opened): finding resource → the cause, as the facts' `error` says it.
pub fn probe_errors(facts: &serde_json::Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lists: Vec<(String, &serde_json::Value)> = ["endpoints", "exports", "audit_logs"]
        .iter()
        .filter_map(|k| Some((k.to_string(), facts.get(*k)?)))
        .collect();
    if let Some(serde_json::Value::Object(ev)) = facts.get("evidence") {
        lists.extend(ev.iter().map(|(k, v)| (format!("evidence.{k}"), v)));
    }
    for (each, list) in lists {
        for (i, item) in list.as_array().into_iter().flatten().enumerate() {
            if let Some(err) = item.get("error").and_then(|e| e.as_str()) {
                out.insert(resource_name(&each, item, i), err.to_string());
            }
        }
    }
    out
}

/// The finding for a rule whose evidence was not supplied: `missing`, or for an
/// `on_missing = "fail"` rule a failure a current attestation can answer.
fn missing_finding(cr: &CompiledRule, inp: &Inputs, resource: &str, lists: &[String]) -> Finding {
    let what = lists.iter().map(|l| human_each(l)).collect::<Vec<_>>().join(" or ");
    if cr.rule.on_missing == OnMissing::Fail {
        let mut f = manual_finding(cr, inp);
        f.resource = resource.to_string();
        f.id = fingerprint(&cr.rule.id, resource);
        if f.status != Status::Pass {
            f.status = Status::Fail;
            f.basis = "check".into();
            f.message = Some(format!(
                "not supplied, and no current attestation covers it: the manifest lists no {what}"
            ));
        }
        return f;
    }
    let mut f = base_finding(cr, resource);
    f.status = Status::Missing;
    f.message = Some(format!("not supplied: the manifest lists no {what}"));
    f
}

fn human_each(each: &str) -> String {
    match each {
        "endpoints" => "[[endpoint]]".into(),
        "exports" => "[[export]]".into(),
        "audit_logs" => "[[audit_log]]".into(),
        e if e.starts_with("evidence.") => format!("[[evidence]] of kind {}", &e["evidence.".len()..]),
        e => e.into(),
    }
}

fn base_finding(cr: &CompiledRule, resource: &str) -> Finding {
    let r = &cr.rule;
    Finding {
        id: fingerprint(&r.id, resource),
        rule: r.id.clone(),
        resource: resource.to_string(),
        status: Status::Skip,
        basis: "check".into(),
        severity: r.severity,
        force: r.force,
        category: r.category,
        message: None,
        evidence: Vec::new(),
        worth: None,
        waiver: None,
        also: Vec::new(),
    }
}

fn eval_one<'v>(
    cr: &CompiledRule,
    root: &Context<'_, 'v>,
    item: Option<(&serde_json::Value, &'v ItResolver)>,
    facts: &serde_json::Value,
    resource: &str,
    loose: &[String],
) -> Finding {
    let cel_item = item.map(|i| i.1);
    let item = item.map(|i| i.0);
    let mut f = base_finding(cr, resource);
    // A resource that could not be probed: no check ran, so there is no evidence to show, and
    // the cause is the resource's (the report says it once, in `unassessed[]`).
    if item.and_then(|i| i.get("error")).is_some_and(|e| e.is_string()) {
        f.status = Status::Error;
        return f;
    }
    f.evidence = cr
        .reads
        .iter()
        .map(|p| {
            let v = match p.strip_prefix("it.") {
                Some(rest) => item.and_then(|i| lookup(i, rest)),
                None => lookup(facts, p),
            };
            EvidenceItem {
                path: p.clone(),
                value: v.map(summarise).unwrap_or(serde_json::Value::Null),
            }
        })
        .collect();
    // An HTTP exchange that failed after TLS was probed: only the rules that read the HTTP
    // facts could not run; the TLS and certificate rules judge what was collected.
    if let Some(err) = item
        .and_then(|i| i.get("http"))
        .and_then(|h| h.get("error"))
        .and_then(|e| e.as_str())
        && cr.reads.iter().any(|r| r == "it.http" || r.starts_with("it.http."))
    {
        f.status = Status::Error;
        f.message = Some(format!("could not assess: {err}"));
        return f;
    }
    if !loose.is_empty() {
        f.status = Status::Fail;
        f.message = Some(loose.join("; "));
        return f;
    }
    let mut ctx = root.new_inner_scope();
    if let Some(r) = cel_item {
        ctx.set_variable_resolver(r);
    }
    start_budget();
    if let Some(when) = &cr.when {
        let r = run_bool(when, &ctx, "when");
        if OVERRUN.get() {
            f.status = Status::Error;
            f.message = Some(overrun_message(&cr.rule.id));
            return f;
        }
        match r {
            Ok(true) => {}
            Ok(false) => {
                f.status = Status::Skip;
                return f;
            }
            // A condition that read an unknown (null) fact cannot say the rule applies.
            Err(e) if f.evidence.iter().any(|e| e.value.is_null()) => {
                f.status = Status::Skip;
                f.message = Some(format!(
                    "not applied: whether it applies depends on {}, which vetter did not observe",
                    unknown_facts(&f.evidence).unwrap_or(e)
                ));
                return f;
            }
            Err(e) => {
                f.status = Status::Error;
                f.message = Some(explain_error(&f.evidence, e));
                return f;
            }
        }
    }
    let Some(assert) = &cr.assert else {
        f.status = Status::Error;
        f.message = Some("rule has no assert".into());
        return f;
    };
    let r = run_bool(assert, &ctx, "assert");
    if OVERRUN.get() {
        f.status = Status::Error;
        f.message = Some(overrun_message(&cr.rule.id));
        return f;
    }
    match r {
        Ok(true) => f.status = Status::Pass,
        Ok(false) => {
            f.status = Status::Fail;
            f.message = Some(render_message(cr, &ctx));
        }
        Err(e) => {
            f.status = Status::Error;
            f.message = Some(explain_error(&f.evidence, e));
        }
    }
    f
}

/// The facts a finding read that were unknown (null), as a reader names them.
fn unknown_facts(evidence: &[EvidenceItem]) -> Option<String> {
    let unknown: Vec<String> = evidence
        .iter()
        .filter(|e| e.value.is_null())
        .map(|e| crate::rules::words::fact_name(&e.path))
        .collect();
    (!unknown.is_empty()).then(|| unknown.join(", "))
}

/// Say which facts were unknown rather than the interpreter's own words, which name types
/// ("no matching overload for '_._'"), not facts.
fn explain_error(evidence: &[EvidenceItem], cel_message: String) -> String {
    match unknown_facts(evidence) {
        Some(facts) => format!("could not be judged: vetter did not observe {facts} (unknown)"),
        None => cel_message,
    }
}

/// Run the metered tree of `p` (never the program as written: its loops would be unbounded).
fn execute(p: &Cel, ctx: &Context) -> Result<Value, ExecutionError> {
    Value::resolve(&p.metered, ctx)
}

fn run_bool(p: &Cel, ctx: &Context, what: &str) -> Result<bool, String> {
    // The interpreter must not take the run down: a panic inside it is an `error` finding.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(p, ctx)));
    match r {
        Ok(Ok(Value::Bool(b))) => Ok(b),
        Ok(Ok(other)) => Err(format!(
            "`{what}` gave {} ({}), not true or false",
            cel_to_text(&other),
            other.type_of()
        )),
        Ok(Err(e)) => Err(format!("`{what}` could not be evaluated: {e}")),
        Err(_) => Err(format!("`{what}` could not be evaluated: the CEL interpreter failed")),
    }
}

fn render_message(cr: &CompiledRule, ctx: &Context) -> String {
    if cr.message.is_empty() {
        return cr.rule.title.clone();
    }
    let mut s = String::new();
    for part in &cr.message {
        match part {
            MessagePart::Text(t) => s.push_str(t),
            MessagePart::Expr(p) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(p, ctx))) {
                Ok(Ok(v)) => s.push_str(&cel_to_text(&v)),
                _ => s.push_str("(unknown)"),
            },
        }
    }
    s
}

fn manual_finding(cr: &CompiledRule, inp: &Inputs) -> Finding {
    let mut f = base_finding(cr, "vendor");
    let today = inp.as_of;
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let mut note = None;
    for a in inp.attestations.iter().filter(|a| a.rule == cr.rule.id) {
        let dated = parse(&a.date);
        let expires = a.expires.as_deref().map(parse);
        let current = matches!(dated, Some(d) if d <= today)
            && !matches!(expires, Some(Some(e)) if e < today)
            && !matches!(expires, Some(None));
        if current {
            f.status = Status::Pass;
            f.basis = "attestation".into();
            f.message = Some(format!("attested by {} on {}", a.attested_by, a.date));
            f.evidence = vec![
                EvidenceItem {
                    path: "attestation.evidence".into(),
                    value: a.evidence.clone().map(Into::into).unwrap_or(serde_json::Value::Null),
                },
                EvidenceItem {
                    path: "attestation.sha256".into(),
                    value: a
                        .evidence_sha256
                        .clone()
                        .map(Into::into)
                        .unwrap_or(serde_json::Value::Null),
                },
            ];
            return f;
        }
        note = Some(match &a.expires {
            Some(e) if matches!(parse(e), Some(d) if d < today) => {
                format!("attestation by {} expired on {e}", a.attested_by)
            }
            _ => format!(
                "attestation by {} dated {} is not current on {today}",
                a.attested_by, a.date
            ),
        });
    }
    f.status = Status::Manual;
    f.basis = "attestation".into();
    f.message = Some(note.unwrap_or_else(|| match &cr.rule.attestation {
        Some(prompt) => format!("needs an attestation: {prompt}"),
        None => "needs an attestation".into(),
    }));
    f
}

/// Glob match of a waiver's resource pattern (`*` and `?`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob::Pattern::new(pattern)
        .map(|p| {
            p.matches_with(
                text,
                glob::MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            )
        })
        .unwrap_or(pattern == text)
}

/// Is a waiver current on `as_of`? A malformed date never applies (fail closed).
pub fn waiver_current(w: &Waiver, as_of: NaiveDate) -> bool {
    matches!(NaiveDate::parse_from_str(&w.expires, "%Y-%m-%d"), Ok(d) if d >= as_of)
}

fn apply_waivers(findings: &mut [Finding], waivers: &[Waiver], as_of: NaiveDate) {
    for f in findings.iter_mut().filter(|f| f.status.is_failure()) {
        let hit = waivers.iter().find(|w| {
            w.rule == f.rule
                && waiver_current(w, as_of)
                && w.resource.as_deref().is_none_or(|g| glob_match(g, &f.resource))
        });
        if let Some(w) = hit {
            f.waiver = Some(AppliedWaiver {
                reason: w.reason.clone(),
                approver: w.approver.clone(),
                expires: w.expires.clone(),
                original_status: f.status,
            });
            f.status = Status::Waived;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(pack: &str) -> RuleSet {
        RuleSet::from_sources(&[("t.toml".into(), pack.into(), false)], false, vec![])
            .map_err(|e| e.to_string())
            .unwrap()
    }

    const PACK: &str = r#"
[pack]
id = "t"
title = "T"
version = "1"
[params]
max_days = { default = 60, floor = 60, stricter = "lower" }
[[rule]]
id = "t-tls"
title = "TLS 1.0 refused"
category = "encryption"
severity = "high"
refs = ["x"]
each = "endpoints"
when = "it.url.startsWith('https')"
assert = "it.tls.versions.tls1_0 == false"
message = "accepts TLS {{ it.tls.min_version }}"
description = "d"
remediation = "r"
[[rule]]
id = "t-window"
title = "window"
category = "breach"
severity = "medium"
refs = ["x"]
each = "evidence.baa"
assert = "it.clauses.breach_notification.calendar_days_max <= params.max_days"
description = "d"
remediation = "r"
[[rule]]
id = "t-null"
title = "negation on null"
category = "encryption"
severity = "low"
refs = ["x"]
each = "endpoints"
assert = "!it.tls.versions.tls1_1"
description = "d"
remediation = "r"
[[rule]]
id = "t-age"
title = "age"
category = "assurance"
severity = "low"
refs = ["x"]
assert = "days_between(date('2026-01-01'), as_of) > 300"
description = "d"
remediation = "r"
[[rule]]
id = "t-manual"
title = "risk analysis"
category = "assurance"
severity = "high"
refs = ["x"]
manual = true
description = "d"
remediation = "r"
"#;

    fn facts() -> serde_json::Value {
        serde_json::json!({
            "vendor": {"name": "V"}, "as_of": "2026-11-23",
            "endpoints": [
                {"url": "https://a.example", "error": null, "tls": {"versions": {"tls1_0": true, "tls1_1": null}, "min_version": "1.0"}},
                {"url": "https://b.example", "error": null, "tls": {"versions": {"tls1_0": false, "tls1_1": false}, "min_version": "1.2"}},
                {"url": "http://c.example", "error": null, "tls": {"versions": {"tls1_0": null, "tls1_1": false}}},
                {"url": "https://d.example", "error": "connection refused", "tls": {"versions": {}}}
            ],
            "evidence": {"baa": []}
        })
    }

    fn run(
        rs: &RuleSet,
        facts: &serde_json::Value,
        params: &BTreeMap<String, serde_json::Value>,
        att: &[Attestation],
        w: &[Waiver],
    ) -> Vec<Finding> {
        let packs: BTreeSet<String> = ["t".to_string()].into();
        evaluate(
            rs,
            &Inputs {
                facts,
                as_of: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                params,
                attestations: att,
                waivers: w,
                packs: &packs,
            },
        )
    }

    fn status(fs: &[Finding], rule: &str, res: &str) -> Status {
        fs.iter()
            .find(|f| f.rule == rule && f.resource == res)
            .unwrap_or_else(|| panic!("{rule} {res}"))
            .status
    }

    #[test]
    fn evaluation_order() {
        let rs = set(PACK);
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &[]);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Fail);
        let msg = fs
            .iter()
            .find(|f| f.rule == "t-tls" && f.resource == "https://a.example")
            .unwrap()
            .message
            .clone()
            .unwrap();
        assert_eq!(msg, "accepts TLS 1.0");
        assert_eq!(status(&fs, "t-tls", "https://b.example"), Status::Pass);
        assert_eq!(status(&fs, "t-tls", "http://c.example"), Status::Skip);
        assert_eq!(status(&fs, "t-tls", "https://d.example"), Status::Error);
        // A resource that could not be probed: no check ran, so no message or evidence of its
        // own (the report says the cause once per resource).
        let d = fs
            .iter()
            .find(|f| f.rule == "t-tls" && f.resource == "https://d.example")
            .unwrap();
        assert_eq!((d.message.as_deref(), d.evidence.len()), (None, 0));
        // null under `!` is a CEL error, never a pass
        assert_eq!(status(&fs, "t-null", "https://a.example"), Status::Error);
        // ...and the message names the unknown fact, not the interpreter's type jargon.
        let msg = fs
            .iter()
            .find(|f| f.rule == "t-null" && f.resource == "https://a.example")
            .and_then(|f| f.message.clone())
            .unwrap();
        assert_eq!(msg, "could not be judged: vetter did not observe TLS 1.1 (unknown)");
        // empty each → missing, not a failed control
        let w = fs.iter().find(|f| f.rule == "t-window").unwrap();
        assert_eq!(w.status, Status::Missing);
        assert!(w.message.as_deref().unwrap().contains("not supplied"));
        assert_eq!(status(&fs, "t-age", "vendor"), Status::Pass);
        assert_eq!(status(&fs, "t-manual", "vendor"), Status::Manual);
    }

    #[test]
    fn loose_param_fails_rules_that_read_it() {
        let rs = set(PACK);
        let mut f = facts();
        f["evidence"]["baa"] =
            serde_json::json!([{"path": "baa.pdf", "clauses": {"breach_notification": {"calendar_days_max": 30}}}]);
        let fs = run(&rs, &f, &BTreeMap::new(), &[], &[]);
        assert_eq!(status(&fs, "t-window", "baa.pdf"), Status::Pass);
        let params: BTreeMap<_, _> = [("max_days".to_string(), serde_json::json!(90))].into();
        let fs = run(&rs, &f, &params, &[], &[]);
        let w = fs.iter().find(|f| f.rule == "t-window").unwrap();
        assert_eq!(w.status, Status::Fail);
        assert!(w.message.as_deref().unwrap().contains("looser than the floor"));
        // tightening is fine
        let params: BTreeMap<_, _> = [("max_days".to_string(), serde_json::json!(10))].into();
        let fs = run(&rs, &f, &params, &[], &[]);
        assert_eq!(status(&fs, "t-window", "baa.pdf"), Status::Fail);
    }

    #[test]
    fn attestations_and_waivers() {
        let rs = set(PACK);
        let att = vec![Attestation {
            rule: "t-manual".into(),
            evidence: Some("ra.pdf".into()),
            evidence_sha256: Some("ab".into()),
            attested_by: "J".into(),
            date: "2026-10-01".into(),
            expires: Some("2027-10-01".into()),
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &att, &[]);
        let m = fs.iter().find(|f| f.rule == "t-manual").unwrap();
        assert_eq!((m.status, m.basis.as_str()), (Status::Pass, "attestation"));
        let expired = vec![Attestation {
            expires: Some("2026-11-01".into()),
            ..att[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &expired, &[]);
        assert_eq!(status(&fs, "t-manual", "vendor"), Status::Manual);

        let w = vec![Waiver {
            rule: "t-tls".into(),
            resource: Some("https://a.*".into()),
            reason: "r".into(),
            approver: "a".into(),
            expires: "2027-01-01".into(),
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &w);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Waived);
        assert_eq!(status(&fs, "t-tls", "https://d.example"), Status::Error);
        let old = vec![Waiver {
            expires: "2026-01-01".into(),
            ..w[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &old);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Fail);
        let bad = vec![Waiver {
            expires: "someday".into(),
            ..w[0].clone()
        }];
        let fs = run(&rs, &facts(), &BTreeMap::new(), &[], &bad);
        assert_eq!(status(&fs, "t-tls", "https://a.example"), Status::Fail);
    }

    #[test]
    fn absent_evidence_is_missing_unless_the_rule_is_about_the_document() {
        let pack = r#"
[pack]
id = "t"
title = "T"
version = "1"
[[rule]]
id = "t-baa-present"
title = "BAA in place"
category = "contract"
severity = "critical"
refs = ["x"]
assert = "size(evidence.baa) > 0"
on_missing = "fail"
description = "d"
remediation = "r"
[[rule]]
id = "t-report"
title = "a report"
category = "assurance"
severity = "high"
refs = ["x"]
assert = "evidence.soc2.exists(r, r.error == null)"
description = "d"
remediation = "r"
[[rule]]
id = "t-cond"
title = "conditional"
category = "encryption"
severity = "low"
refs = ["x"]
each = "endpoints"
when = "it.tls.versions.tls1_1 == false || it.tls.versions.tls1_1"
assert = "true"
description = "d"
remediation = "r"
"#;
        let rs = set(pack);
        let mut f = facts();
        f["evidence"]["soc2"] = serde_json::json!([]);
        let fs = run(&rs, &f, &BTreeMap::new(), &[], &[]);
        assert_eq!(status(&fs, "t-baa-present", "vendor"), Status::Fail);
        assert_eq!(status(&fs, "t-report", "vendor"), Status::Missing);
        // an unknown condition skips; a known one runs
        assert_eq!(status(&fs, "t-cond", "https://a.example"), Status::Skip);
        assert_eq!(status(&fs, "t-cond", "https://b.example"), Status::Pass);
        let att = vec![Attestation {
            rule: "t-baa-present".into(),
            evidence: None,
            evidence_sha256: None,
            attested_by: "J".into(),
            date: "2026-10-01".into(),
            expires: None,
        }];
        let fs = run(&rs, &f, &BTreeMap::new(), &att, &[]);
        let b = fs.iter().find(|f| f.rule == "t-baa-present").unwrap();
        assert_eq!((b.status, b.basis.as_str()), (Status::Pass, "attestation"));
    }

    #[test]
    fn on_missing_is_validated() {
        let base = "[pack]\nid = \"t\"\ntitle = \"T\"\nversion = \"1\"\n[[rule]]\nid = \"t-a\"\ntitle = \"a\"\ncategory = \"contract\"\nseverity = \"low\"\nrefs = [\"x\"]\ndescription = \"d\"\nremediation = \"r\"\n";
        let load = |extra: &str| {
            RuleSet::from_sources(&[("t.toml".into(), format!("{base}{extra}"), false)], false, vec![])
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(load("assert = \"true\"\non_missing = \"fail\"\n"), None);
        let e = load("assert = \"true\"\non_missing = \"sometimes\"\n").expect("refused");
        assert!(
            e.contains("unknown on_missing `sometimes`") && e.contains("t.toml"),
            "{e}"
        );
        let e = load("manual = true\non_missing = \"fail\"\n").expect("refused");
        assert!(e.contains("is manual and has on_missing"), "{e}");
        let e = load("assert = \"true\"\noptional = true\non_missing = \"fail\"\n").expect("refused");
        assert!(e.contains("is optional and has on_missing"), "{e}");
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint("a", "b"), fingerprint("a", "b"));
        assert_ne!(fingerprint("a", "b"), fingerprint("a", "c"));
        assert_eq!(fingerprint("a", "b").len(), 16);
    }
}
