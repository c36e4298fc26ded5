//! Numbers as a practice manager reads them: percentages, durations in days and years, money
//! with thousands separators and a currency, counts with the right plural. Each is a plain
//! Rust function and, through [`add_functions`], a CEL function a rule's `message` may call
//! (`{{ percent(it.fields.actor) }}`, `{{ plural(it.entries, 'entry', 'entries') }}`). Pure.

use cel::extractors::Arguments;
use cel::{Context, ExecutionError, Value};

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `n` and the noun in the form the count needs: `1 finding`, `2 findings`, `1,200 entries`.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 || n == -1 { one } else { many })
}

/// The regular plural of an English noun, for [`plural`] without an explicit plural form.
fn regular_plural(one: &str) -> String {
    if one.ends_with('s') || one.ends_with('x') || one.ends_with("ch") || one.ends_with("sh") {
        format!("{one}es")
    } else if one.ends_with('y') && !one.ends_with("ay") && !one.ends_with("ey") && !one.ends_with("oy") {
        format!("{}ies", &one[..one.len() - 1])
    } else {
        format!("{one}s")
    }
}

/// A share between 0 and 1 as a percentage: `0.98` → `98 %`, `0.985` → `98.5 %`. Rounded
/// down, so a share just below a minimum never reads as the minimum itself.
pub fn percent(share: f64) -> String {
    let tenths = (share * 1000.0 + 1e-9).floor() as i64;
    if tenths % 10 == 0 {
        format!("{} %", thousands(tenths / 10))
    } else {
        format!("{}.{} %", thousands(tenths / 10), (tenths % 10).abs())
    }
}

/// A count of days, with years beside it once it passes one: `12 days`,
/// `1,344 days (about 3.7 years)`.
pub fn days(n: i64) -> String {
    let d = plural(n, "day", "days");
    if n.abs() < 365 {
        return d;
    }
    let years = (n.abs() as f64 / 365.25 * 10.0).round() / 10.0;
    if years.fract() == 0.0 {
        format!("{d} (about {} years)", years as i64)
    } else {
        format!("{d} (about {years:.1} years)")
    }
}

/// A duration given in seconds, in the largest whole unit that reads naturally:
/// `15552000` → `180 days`, `63072000` → `2 years`, `5400` → `90 minutes`.
pub fn duration(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    let s = seconds.abs();
    let sign = if seconds < 0 { "-" } else { "" };
    let (n, one, many) = if s >= YEAR && s % YEAR == 0 {
        (s / YEAR, "year", "years")
    } else if s >= DAY {
        (s / DAY, "day", "days")
    } else if s >= HOUR && s % HOUR == 0 {
        (s / HOUR, "hour", "hours")
    } else if s >= MINUTE {
        (s / MINUTE, "minute", "minutes")
    } else {
        (s, "second", "seconds")
    };
    format!("{sign}{}", plural(n, one, many))
}

/// An amount of money with separators and its currency: `1000000` → `$1,000,000`;
/// `money(250000, 'EUR')` → `€250,000`. Cents are shown only when there are some.
pub fn money(amount: f64, currency: &str) -> String {
    let cents = (amount * 100.0).round() as i64;
    let whole = thousands(cents / 100);
    let frac = if cents % 100 != 0 {
        format!(".{:02}", (cents % 100).abs())
    } else {
        String::new()
    };
    match currency.to_ascii_uppercase().as_str() {
        "USD" => format!("${whole}{frac}"),
        "EUR" => format!("€{whole}{frac}"),
        "GBP" => format!("£{whole}{frac}"),
        other => format!("{whole}{frac} {other}"),
    }
}

/// A fact path as words: `it.tls.cert.days_left` → `TLS certificate days left`. For messages
/// that must name a fact (an unknown one) to someone who never saw the facts file.
pub fn fact_name(path: &str) -> String {
    let path = path.strip_prefix("it.").unwrap_or(path);
    let mut out: Vec<String> = Vec::new();
    for part in path
        .split('.')
        .filter(|p| !p.is_empty() && !p.chars().all(|c| c.is_ascii_digit()))
    {
        let word = match ABBREVIATIONS.iter().find(|(k, _)| *k == part) {
            Some((_, v)) => (*v).to_string(),
            None => part.replace('_', " "),
        };
        if word.is_empty() {
            continue;
        }
        // `tls.versions.tls1_1` → `TLS 1.1`, not `TLS TLS 1.1`.
        if out.last().is_some_and(|prev| word.starts_with(&format!("{prev} "))) {
            out.pop();
        }
        out.push(word);
    }
    out.join(" ")
}

/// Field-name parts that read better spelt out or capitalised.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("tls", "TLS"),
    ("http", "HTTP"),
    ("hsts", "HSTS"),
    ("cert", "certificate"),
    ("phi", "PHI"),
    ("soc2", "SOC 2"),
    ("baa", "BAA"),
    ("dpa", "DPA"),
    ("hitrust", "HITRUST"),
    ("pentest", "penetration test"),
    ("cors", "CORS"),
    ("url", "address"),
    ("ocsp", "OCSP"),
    ("dns", "DNS"),
    ("ip", "IP"),
    ("audit_logs", "audit logs"),
    ("max_age", "maximum age"),
    ("versions", ""),
    ("ssl3", "SSL 3.0"),
    ("tls1_0", "TLS 1.0"),
    ("tls1_1", "TLS 1.1"),
    ("tls1_2", "TLS 1.2"),
    ("tls1_3", "TLS 1.3"),
];

fn number(v: &Value, func: &str) -> Result<f64, ExecutionError> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::UInt(u) => Ok(*u as f64),
        Value::Float(f) if f.is_finite() => Ok(*f),
        Value::Null => Err(ExecutionError::function_error(func, "the number is null (unknown)")),
        other => Err(ExecutionError::function_error(
            func,
            format!("expected a number, got {}", other.type_of()),
        )),
    }
}

fn text(v: &Value, func: &str) -> Result<String, ExecutionError> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        other => Err(ExecutionError::function_error(
            func,
            format!("expected a string, got {}", other.type_of()),
        )),
    }
}

fn string(s: String) -> Value {
    Value::String(s.into())
}

/// Whole numbers beyond what a count or a duration can be are refused rather than wrapped.
fn whole(v: &Value, func: &str) -> Result<i64, ExecutionError> {
    let n = number(v, func)?;
    if n.abs() > 1e15 {
        return Err(ExecutionError::function_error(func, "the number is too large"));
    }
    Ok(n.floor() as i64)
}

/// The names of the functions [`add_functions`] adds, for documentation and help texts.
pub const FUNCTIONS: &[&str] = &[
    "percent(share)",
    "plural(n, 'noun'[, 'plural'])",
    "days(n)",
    "duration_text(seconds)",
    "money(amount[, 'USD'])",
    "thousands(n)",
];

/// Add the formatting functions to a CEL context. Each gives a string.
pub fn add_functions(ctx: &mut Context) {
    let _ = ctx.add_function("percent", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [v] => Ok(string(percent(number(v, "percent")?))),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
    let _ = ctx.add_function("plural", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [n, one] => {
                let one = text(one, "plural")?;
                Ok(string(plural(whole(n, "plural")?, &one, &regular_plural(&one))))
            }
            [n, one, many] => Ok(string(plural(
                whole(n, "plural")?,
                &text(one, "plural")?,
                &text(many, "plural")?,
            ))),
            _ => Err(ExecutionError::invalid_argument_count(2, args.0.len())),
        }
    });
    let _ = ctx.add_function("days", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [n] => Ok(string(days(whole(n, "days")?))),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
    let _ = ctx.add_function("duration_text", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [n] => Ok(string(duration(whole(n, "duration_text")?))),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
    let _ = ctx.add_function("money", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [n] => Ok(string(money(number(n, "money")?, "USD"))),
            [n, c] => Ok(string(money(number(n, "money")?, &text(c, "money")?))),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
    let _ = ctx.add_function("thousands", |args: Arguments| -> Result<Value, ExecutionError> {
        match args.0.as_slice() {
            [n] => Ok(string(thousands(whole(n, "thousands")?))),
            _ => Err(ExecutionError::invalid_argument_count(1, args.0.len())),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_words() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(thousands(999), "999");
        assert_eq!(plural(1, "finding", "findings"), "1 finding");
        assert_eq!(plural(0, "finding", "findings"), "0 findings");
        assert_eq!(regular_plural("entry"), "entries");
        assert_eq!(regular_plural("day"), "days");
        assert_eq!(regular_plural("access"), "accesses");
        assert_eq!(percent(0.98), "98 %");
        assert_eq!(percent(0.985), "98.5 %");
        assert_eq!(percent(0.98999), "98.9 %");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(days(1), "1 day");
        assert_eq!(days(12), "12 days");
        assert_eq!(days(1344), "1,344 days (about 3.7 years)");
        assert_eq!(days(730), "730 days (about 2 years)");
        assert_eq!(duration(15_552_000), "180 days");
        assert_eq!(duration(63_072_000), "2 years");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(5_400), "90 minutes");
        assert_eq!(duration(7_200), "2 hours");
        assert_eq!(money(1_000_000.0, "USD"), "$1,000,000");
        assert_eq!(money(2_500.5, "EUR"), "€2,500.50");
        assert_eq!(money(10.0, "CHF"), "10 CHF");
        assert_eq!(fact_name("it.tls.cert.days_left"), "TLS certificate days left");
        assert_eq!(fact_name("http.cookies"), "HTTP cookies");
        assert_eq!(fact_name("phi.total"), "PHI total");
        assert_eq!(fact_name("it.tls.versions.tls1_1"), "TLS 1.1");
    }

    #[test]
    fn the_functions_run_in_cel() {
        let mut ctx = Context::default();
        add_functions(&mut ctx);
        let run = |src: &str| {
            cel::Program::compile(src)
                .expect("compiles")
                .execute(&ctx)
                .expect("runs")
        };
        assert_eq!(run("percent(0.5)"), string("50 %".into()));
        assert_eq!(run("plural(2, 'entry', 'entries')"), string("2 entries".into()));
        assert_eq!(run("plural(1, 'finding')"), string("1 finding".into()));
        assert_eq!(run("plural(3, 'finding')"), string("3 findings".into()));
        assert_eq!(run("days(400)"), string("400 days (about 1.1 years)".into()));
        assert_eq!(run("duration_text(31536000)"), string("1 year".into()));
        assert_eq!(run("money(5000000.0)"), string("$5,000,000".into()));
        assert_eq!(run("thousands(2396)"), string("2,396".into()));
        assert!(
            cel::Program::compile("percent(null)")
                .expect("compiles")
                .execute(&ctx)
                .is_err()
        );
    }
}
