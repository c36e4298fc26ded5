//! The CEL side of evaluation: the one JSON → CEL value conversion, the functions vetter adds
//! (`date`, `days_between`, the step meter), the per-finding evaluation budget, and running a
//! compiled expression.

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::extractors::Arguments;
use cel::{Context, ExecutionError, Value};
use chrono::{NaiveDate, TimeZone};

use crate::rules::{Cel, CompiledRule, MessagePart, cost};

/// Binds `it` to a value converted once per resource, borrowed by every rule that reads it.
pub(super) struct ItResolver<'a> {
    it: Box<dyn Val + 'a>,
}

impl<'a> ItResolver<'a> {
    pub(super) fn new(item: &'a serde_json::Value) -> Self {
        ItResolver { it: to_val(item) }
    }
}

impl VariableResolver for ItResolver<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        (variable == "it").then_some(CowVal::Borrowed(self.it.as_ref()))
    }
}

/// JSON → the interpreter's value representation, built directly (strings borrowed, not
/// copied) and once per resource.
pub(super) fn to_val(v: &serde_json::Value) -> Box<dyn Val + '_> {
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
    pub(super) static OVERRUN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A fresh budget for the finding about to be evaluated on this thread.
pub(super) fn start_budget() {
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

pub(super) fn overrun_message(rule: &str) -> String {
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
    let _ = ctx.add_function("same_org", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [Value::String(a), Value::String(b)] => Ok(Value::Bool(same_org(a, b))),
            [_, _] => Ok(Value::Bool(false)),
            _ => Err(ExecutionError::invalid_argument_count(2, args.0.len())),
        }
    });
    crate::rules::words::add_functions(ctx);
}

/// Whether two spellings name one organisation: "Amazon Web Services, Inc." and "AWS"'s long
/// form "Amazon Web Services" do; "Microsoft" and "Microsoft Azure" do (one name's words
/// start the other's). Case, punctuation and legal suffixes are ignored. A SOC 2 names its
/// carved-out providers in prose, and the practice types the provider's name in the manifest,
/// so exact equality would fail on every comma.
pub fn same_org(a: &str, b: &str) -> bool {
    fn words(s: &str) -> Vec<String> {
        const SUFFIXES: &[&str] = &[
            "inc",
            "llc",
            "ltd",
            "limited",
            "corp",
            "corporation",
            "co",
            "company",
            "plc",
            "gmbh",
            "sa",
            "ag",
            "bv",
            "lp",
            "llp",
            "the",
        ];
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !SUFFIXES.contains(&w.as_str()))
            .collect()
    }
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    long.windows(short.len()).any(|w| w == short.as_slice())
}

/// Run the metered tree of `p` (never the program as written: its loops would be unbounded).
fn execute(p: &Cel, ctx: &Context) -> Result<Value, ExecutionError> {
    Value::resolve(&p.metered, ctx)
}

pub(super) fn run_bool(p: &Cel, ctx: &Context, what: &str) -> Result<bool, String> {
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

pub(super) fn render_message(cr: &CompiledRule, ctx: &Context) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_match_across_spellings() {
        assert!(same_org("Amazon Web Services, Inc.", "amazon web services"));
        assert!(same_org("Microsoft Corporation", "Microsoft Azure"));
        assert!(same_org("Google LLC (Google Cloud Platform)", "Google Cloud Platform"));
        assert!(!same_org("Amazon Web Services", "Microsoft Azure"));
        assert!(!same_org("Web Services Ltd", "Amazon"));
        assert!(!same_org("Inc.", "Amazon"));
    }
}
