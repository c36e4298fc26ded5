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

mod attest;
mod cel;
mod finding;

use std::collections::BTreeMap;

use ::cel::Context;
use chrono::NaiveDate;

pub mod family;

pub use attest::{Attestation, RuleRefs, Waiver, glob_match, is_rule_glob, rule_matches, waiver_current};
pub use cel::add_functions;
pub use finding::{AppliedWaiver, Basis, EvidenceItem, Finding, Status, fingerprint};

use crate::rules::{CompiledRule, MessagePart, OnMissing, RuleSet};
use attest::{apply_waivers, manual_finding};
use cel::{ItResolver, OVERRUN, overrun_message, render_message, run_bool, start_budget, to_val};

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
    let as_of = serde_json::Value::String(inp.as_of.format("%Y-%m-%d").to_string());
    let params_json = serde_json::Value::Object(params.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
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
                            .map(|(i, item)| (resource_name(each, item, i), item, ItResolver::new(item)))
                            .collect()
                    })
                    .unwrap_or_default()
            });
        }
    }
    // Rules that read the certificate judge every certificate an endpoint presents: for an
    // endpoint with several, one copy of it per certificate with `tls.cert` set to that one.
    let cert_rules = rules.rules.iter().any(|r| keep(r) && reads_cert(r));
    let cert_copies: Vec<Vec<(String, serde_json::Value)>> = match lookup(inp.facts, "endpoints") {
        Some(serde_json::Value::Array(eps)) if cert_rules => eps.iter().map(cert_variants).collect(),
        _ => Vec::new(),
    };
    let per_cert: Vec<Vec<CertVariant>> = cert_copies
        .iter()
        .map(|v| {
            v.iter()
                .map(|(label, item)| CertVariant {
                    label,
                    item,
                    it: ItResolver::new(item),
                })
                .collect()
        })
        .collect();
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
    root.add_variable_as_val("params", to_val(&params_json));
    root.add_variable_as_val("as_of", to_val(&as_of));

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
                    out.push(eval_one(cr, &root, None, inp.facts, "vendor", &loose, &[]));
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
                for (i, (resource, item, cel_item)) in items.iter().enumerate() {
                    let certs = match each.as_str() {
                        "endpoints" if reads_cert(cr) => per_cert.get(i).map(Vec::as_slice).unwrap_or_default(),
                        _ => &[],
                    };
                    out.push(eval_one(
                        cr,
                        &root,
                        Some((item, cel_item)),
                        inp.facts,
                        resource,
                        &loose,
                        certs,
                    ));
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
            f.basis = Basis::Check;
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

pub(super) fn base_finding(cr: &CompiledRule, resource: &str) -> Finding {
    let r = &cr.rule;
    Finding {
        id: fingerprint(&r.id, resource),
        rule: r.id.clone(),
        resource: resource.to_string(),
        status: Status::Skip,
        basis: Basis::Check,
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

/// One certificate of a multi-certificate endpoint: the endpoint as seen with that certificate.
struct CertVariant<'a> {
    /// Names the certificate in messages: key type, subject and fingerprint.
    label: &'a str,
    item: &'a serde_json::Value,
    it: ItResolver<'a>,
}

/// Whether a rule reads the certificate (`it.tls.cert` or a field of it).
fn reads_cert(cr: &CompiledRule) -> bool {
    cr.rule.each.as_deref() == Some("endpoints")
        && cr
            .reads
            .iter()
            .any(|r| r == "it.tls.cert" || r.starts_with("it.tls.cert."))
}

/// An endpoint presenting more than one certificate (`tls.certs`): one copy per certificate
/// with `tls.cert` replaced, and its label. Empty for one certificate or none: the endpoint
/// is then judged as it is.
fn cert_variants(item: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let certs = match item.get("tls").and_then(|t| t.get("certs")) {
        Some(serde_json::Value::Array(c)) if c.len() > 1 => c,
        _ => return Vec::new(),
    };
    certs
        .iter()
        .map(|c| {
            let mut copy = item.clone();
            if let Some(tls) = copy.get_mut("tls").and_then(|t| t.as_object_mut()) {
                tls.insert("cert".into(), c.clone());
            }
            (cert_label(c), copy)
        })
        .collect()
}

/// "the RSA 2048-bit certificate CN=api.example.com (SHA-256 3f2a…)".
fn cert_label(c: &serde_json::Value) -> String {
    let text = |k: &str| c.get(k).and_then(|v| v.as_str());
    let kind = match text("key_type") {
        Some("rsa") => "RSA".to_string(),
        Some("ecdsa") => "ECDSA".to_string(),
        Some("ed25519") => "Ed25519".to_string(),
        Some("ed448") => "Ed448".to_string(),
        Some("dsa") => "DSA".to_string(),
        Some(other) => other.to_string(),
        None => "unknown-key".to_string(),
    };
    let bits = c
        .get("key_bits")
        .and_then(|b| b.as_u64())
        .map(|b| format!(" {b}-bit"))
        .unwrap_or_default();
    let subject = text("subject").map(|s| format!(" {s}")).unwrap_or_default();
    let fp = text("sha256")
        .map(|f| format!(" (SHA-256 {}…)", f.chars().take(16).collect::<String>()))
        .unwrap_or_default();
    format!("the {kind}{bits} certificate{subject}{fp}")
}

/// What the rule read, from the resource (`it.*`) or the facts.
fn evidence(cr: &CompiledRule, item: Option<&serde_json::Value>, facts: &serde_json::Value) -> Vec<EvidenceItem> {
    cr.reads
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
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn eval_one<'v>(
    cr: &CompiledRule,
    root: &Context<'_, 'v>,
    item: Option<(&serde_json::Value, &'v ItResolver)>,
    facts: &serde_json::Value,
    resource: &str,
    loose: &[String],
    certs: &'v [CertVariant<'v>],
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
    f.evidence = evidence(cr, item, facts);
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
    if !certs.is_empty() {
        return judge_every_cert(cr, root, facts, f, certs);
    }
    let mut ctx = root.new_inner_scope();
    if let Some(r) = cel_item {
        ctx.set_variable_resolver(r);
    }
    judge(cr, &ctx, &mut f);
    // The other certificates could not all be read: the one seen passing is not a pass for the
    // endpoint (a failing one still fails it).
    if f.status == Status::Pass
        && reads_cert(cr)
        && let Some(why) = item
            .and_then(|i| i.get("tls"))
            .filter(|t| t.get("certs").is_none_or(|c| c.is_null()))
            .and_then(|t| t.get("incomplete"))
            .and_then(|w| w.as_str())
            .and_then(|w| {
                w.split("; ")
                    .find(|p| p.starts_with(crate::facts::CERT_ENUMERATION_STOPPED))
            })
    {
        f.status = Status::Error;
        f.message = Some(format!(
            "the certificate of the default handshake passes, but the server's other certificates could not all be read ({why})"
        ));
    }
    f
}

/// A certificate rule over an endpoint presenting several certificates: judged on each; it
/// fails if any fails (the message names each failing certificate), is an error if none fails
/// but one could not be judged, passes if one passes and the rest pass or do not apply.
fn judge_every_cert<'v>(
    cr: &CompiledRule,
    root: &Context<'_, 'v>,
    facts: &serde_json::Value,
    f: Finding,
    certs: &'v [CertVariant<'v>],
) -> Finding {
    let mut judged: Vec<(&str, Finding)> = Vec::with_capacity(certs.len());
    for c in certs {
        let mut one = f.clone();
        one.evidence = evidence(cr, Some(c.item), facts);
        let mut ctx = root.new_inner_scope();
        ctx.set_variable_resolver(&c.it);
        judge(cr, &ctx, &mut one);
        judged.push((c.label, one));
    }
    let verdict = [Status::Fail, Status::Error, Status::Pass]
        .into_iter()
        .find(|s| judged.iter().any(|(_, j)| j.status == *s))
        .unwrap_or(Status::Skip);
    let mut of: Vec<(&str, Finding)> = judged.into_iter().filter(|(_, j)| j.status == verdict).collect();
    let Some((_, first)) = of.first() else {
        return f;
    };
    let mut out = first.clone();
    if matches!(verdict, Status::Fail | Status::Error) {
        let parts: Vec<String> = of
            .iter_mut()
            .map(|(label, j)| match j.message.take() {
                Some(m) => format!("{label}: {m}"),
                None => label.to_string(),
            })
            .collect();
        out.message = Some(parts.join("; "));
    }
    out
}

/// Evaluate `when` then `assert` in `ctx`, setting the finding's status and message.
fn judge(cr: &CompiledRule, ctx: &Context, f: &mut Finding) {
    start_budget();
    if let Some(when) = &cr.when {
        let r = run_bool(when, ctx, "when");
        if OVERRUN.get() {
            f.status = Status::Error;
            f.message = Some(overrun_message(&cr.rule.id));
            return;
        }
        match r {
            Ok(true) => {}
            Ok(false) => {
                f.status = Status::Skip;
                return;
            }
            // A condition that read an unknown (null) fact cannot say the rule applies.
            Err(e) if f.evidence.iter().any(|e| e.value.is_null()) => {
                f.status = Status::Skip;
                f.message = Some(format!(
                    "not applied: whether it applies depends on {}, which vetter did not observe",
                    unknown_facts(&f.evidence).unwrap_or(e)
                ));
                return;
            }
            Err(e) => {
                f.status = Status::Error;
                f.message = Some(explain_error(&f.evidence, e));
                return;
            }
        }
    }
    let Some(assert) = &cr.assert else {
        f.status = Status::Error;
        f.message = Some("rule has no assert".into());
        return;
    };
    let r = run_bool(assert, ctx, "assert");
    if OVERRUN.get() {
        f.status = Status::Error;
        f.message = Some(overrun_message(&cr.rule.id));
        return;
    }
    match r {
        Ok(true) => f.status = Status::Pass,
        Ok(false) => {
            f.status = Status::Fail;
            f.message = Some(render_message(cr, ctx));
        }
        Err(e) => {
            f.status = Status::Error;
            f.message = Some(explain_error(&f.evidence, e));
        }
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::collections::BTreeSet;

    pub(super) fn set(pack: &str) -> RuleSet {
        RuleSet::from_sources(&[("t.toml".into(), pack.into(), false)], false, vec![])
            .map_err(|e| e.to_string())
            .unwrap()
    }

    pub(super) const PACK: &str = r#"
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
force = "practice"
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
force = "practice"
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
force = "practice"
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
force = "practice"
refs = ["x"]
assert = "days_between(date('2026-01-01'), as_of) > 300"
description = "d"
remediation = "r"
[[rule]]
id = "t-manual"
title = "risk analysis"
category = "assurance"
severity = "high"
force = "practice"
refs = ["x"]
manual = true
description = "d"
remediation = "r"
"#;

    pub(super) fn facts() -> serde_json::Value {
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

    pub(super) fn run(
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

    pub(super) fn status(fs: &[Finding], rule: &str, res: &str) -> Status {
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
force = "practice"
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
force = "practice"
refs = ["x"]
assert = "evidence.soc2.exists(r, r.error == null)"
description = "d"
remediation = "r"
[[rule]]
id = "t-cond"
title = "conditional"
category = "encryption"
severity = "low"
force = "practice"
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
        assert_eq!((b.status, b.basis), (Status::Pass, Basis::Attestation));
    }

    #[test]
    fn on_missing_is_validated() {
        let base = "[pack]\nid = \"t\"\ntitle = \"T\"\nversion = \"1\"\n[[rule]]\nid = \"t-a\"\ntitle = \"a\"\ncategory = \"contract\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\ndescription = \"d\"\nremediation = \"r\"\n";
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
}

#[cfg(test)]
mod every_cert_tests {
    use super::tests::*;
    use super::*;

    const CERT_PACK: &str = r#"
[pack]
id = "t"
title = "T"
version = "1"
[[rule]]
id = "t-unexpired"
title = "unexpired"
category = "encryption"
severity = "high"
force = "practice"
refs = ["x"]
each = "endpoints"
when = "it.url.startsWith('https')"
assert = "!it.tls.cert.expired"
message = "certificate expired on {{ it.tls.cert.not_after }}"
description = "d"
remediation = "r"
[[rule]]
id = "t-tls"
title = "TLS 1.0 refused"
category = "encryption"
severity = "high"
force = "practice"
refs = ["x"]
each = "endpoints"
assert = "it.tls.versions.tls1_0 == false"
description = "d"
remediation = "r"
"#;

    fn cert(kind: &str, expired: Option<bool>, fp: &str) -> serde_json::Value {
        serde_json::json!({"key_type": kind, "key_bits": 2048, "subject": format!("CN={kind}.example"),
            "sha256": fp.repeat(64 / fp.len()), "expired": expired, "not_after": "2021-01-01"})
    }

    fn endpoint(url: &str, primary: serde_json::Value, certs: Option<Vec<serde_json::Value>>) -> serde_json::Value {
        let mut tls = serde_json::json!({"versions": {"tls1_0": false}, "cert": primary});
        if let Some(c) = certs {
            tls["certs"] = serde_json::Value::Array(c);
        }
        serde_json::json!({"url": url, "error": null, "tls": tls})
    }

    fn finding<'a>(fs: &'a [Finding], rule: &str, res: &str) -> &'a Finding {
        fs.iter().find(|f| f.rule == rule && f.resource == res).unwrap()
    }

    /// Any failing certificate fails the rule, naming it; a rule that does not read the
    /// certificate is judged once; facts without `certs` are judged on `cert`.
    #[test]
    fn every_certificate_is_judged() {
        let rs = set(CERT_PACK);
        let (ec, rsa_old) = (cert("ecdsa", Some(false), "ab"), cert("rsa", Some(true), "cd"));
        let facts = serde_json::json!({
            "vendor": {"name": "V"}, "as_of": "2026-11-23",
            "endpoints": [
                endpoint("https://two.example", ec.clone(), Some(vec![ec.clone(), rsa_old.clone()])),
                endpoint("https://one.example", ec.clone(), Some(vec![ec.clone()])),
                endpoint("https://saved.example", ec.clone(), None),
                endpoint("https://unknown.example", ec.clone(), Some(vec![ec.clone(), cert("rsa", None, "ef")])),
                endpoint("https://both.example", rsa_old.clone(), Some(vec![rsa_old.clone(), cert("dsa", Some(true), "01")])),
            ]
        });
        let fs = run(&rs, &facts, &BTreeMap::new(), &[], &[]);
        let two = finding(&fs, "t-unexpired", "https://two.example");
        assert_eq!(two.status, Status::Fail);
        let msg = two.message.clone().unwrap_or_default();
        assert_eq!(
            msg,
            "the RSA 2048-bit certificate CN=rsa.example (SHA-256 cdcdcdcdcdcdcdcd…): certificate expired on 2021-01-01"
        );
        // The evidence is the failing certificate's.
        assert!(
            two.evidence
                .iter()
                .any(|e| e.path == "it.tls.cert.expired" && e.value == true)
        );
        assert_eq!(status(&fs, "t-unexpired", "https://one.example"), Status::Pass);
        assert_eq!(status(&fs, "t-unexpired", "https://saved.example"), Status::Pass);
        // One certificate unknown and none failing: not judged, never a pass.
        let unknown = finding(&fs, "t-unexpired", "https://unknown.example");
        assert_eq!(unknown.status, Status::Error);
        assert!(
            unknown
                .message
                .clone()
                .unwrap_or_default()
                .starts_with("the RSA 2048-bit certificate")
        );
        // Both failing: both named.
        let both = finding(&fs, "t-unexpired", "https://both.example")
            .message
            .clone()
            .unwrap_or_default();
        assert!(
            both.contains("RSA 2048-bit") && both.contains("DSA 2048-bit") && both.contains("; "),
            "{both}"
        );
        // A rule that does not read the certificate: one finding per endpoint, as before.
        assert_eq!(fs.iter().filter(|f| f.rule == "t-tls").count(), 5);
        assert_eq!(status(&fs, "t-tls", "https://two.example"), Status::Pass);
    }

    /// An interrupted certificate enumeration: the default certificate passing is no pass for
    /// the endpoint (its other certificates are unknown); one failing still fails it.
    #[test]
    fn an_incomplete_certificate_list_never_passes() {
        let rs = set(CERT_PACK);
        let cut = |primary: serde_json::Value| {
            let mut e = endpoint("https://cut.example", primary, None);
            e["tls"]["incomplete"] =
                "groups ok; certificate enumeration stopped over TLS 1.3 (Ed25519 signatures): no answer".into();
            e
        };
        let facts = serde_json::json!({"vendor": {"name": "V"}, "as_of": "2026-11-23",
            "endpoints": [cut(cert("ecdsa", Some(false), "ab"))]});
        let fs = run(&rs, &facts, &BTreeMap::new(), &[], &[]);
        let f = finding(&fs, "t-unexpired", "https://cut.example");
        assert_eq!(f.status, Status::Error);
        assert!(f.message.clone().unwrap_or_default().contains("Ed25519"), "{f:?}");
        assert_eq!(status(&fs, "t-tls", "https://cut.example"), Status::Pass);
        let facts = serde_json::json!({"vendor": {"name": "V"}, "as_of": "2026-11-23",
            "endpoints": [cut(cert("rsa", Some(true), "cd"))]});
        let fs = run(&rs, &facts, &BTreeMap::new(), &[], &[]);
        assert_eq!(status(&fs, "t-unexpired", "https://cut.example"), Status::Fail);
    }
}
