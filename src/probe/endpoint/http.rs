//! ② HTTP facts: redirects followed by hand (every hop seen), HSTS, headers, a request without
//! credentials, CORS with a foreign Origin, cookies, banners. Bodies are read up to a cap,
//! judged (size, type, looks like data) and dropped, never kept. Network I/O (reqwest blocking).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, LOCATION};

use super::limits::{self, MAX_RETRIES};
use crate::facts::{CookieFacts, CorsFacts, HstsFacts, HttpFacts};

/// Most body bytes read to judge a response; the rest is never read.
const MAX_BODY: u64 = 1024 * 1024;
/// Redirect hops followed before giving up.
const MAX_HOPS: usize = 10;
/// The foreign Origin sent to see the CORS answer.
pub const FOREIGN_ORIGIN: &str = "https://vetter-cors-check.invalid";

/// A per-endpoint client: the manifest's `resolve` pinned, certificates not enforced (their
/// validity is a separate fact; the HTTP facts are still wanted), no automatic redirects.
pub fn client(host: &str, addr: Option<SocketAddr>, timeout: Duration) -> Result<Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(true)
        .user_agent(concat!("vetter/", env!("CARGO_PKG_VERSION")));
    if let Some(a) = addr {
        b = b.resolve(host, a);
    }
    b.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// One answer, body already judged and dropped.
struct Answer {
    status: u16,
    url: String,
    headers: HeaderMap,
    looks_like_data: bool,
}

/// The per-connection timeout and the host's deadline: retries must fit inside both.
pub type Budget = (Duration, Instant);

/// GET `url`, following redirects by hand. `auth` is (header, secret). A 429/5xx answer is
/// retried after its `Retry-After` (or a short backoff) while that fits the host's budget.
fn get(c: &Client, url: &str, auth: Option<(&str, &str)>, budget: Budget) -> Result<(Answer, Vec<String>), String> {
    let mut hops = Vec::new();
    let mut current = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let mut retries = 0u32;
    for _ in 0..=MAX_HOPS + MAX_RETRIES as usize {
        let mut req = c.get(current.clone()).header("Origin", FOREIGN_ORIGIN);
        if let Some((h, v)) = auth {
            // Never sent to another host a redirect points at.
            if Some(current.host_str()) == reqwest::Url::parse(url).ok().as_ref().map(|u| u.host_str()) {
                req = req.header(h, v);
            }
        }
        let resp = req.send().map_err(describe)?;
        let status = resp.status().as_u16();
        if limits::retryable(status) {
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| limits::retry_after(v, chrono::Utc::now()));
            if let Some(wait) = limits::backoff(retries, after, budget.0, budget.1) {
                drop(resp);
                retries += 1;
                std::thread::sleep(wait);
                continue;
            }
        }
        if resp.status().is_redirection()
            && let Some(loc) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok())
        {
            let next = current.join(loc).map_err(|e| format!("bad redirect target: {e}"))?;
            hops.push(next.to_string());
            current = next;
            continue;
        }
        return Ok((judge(resp, status)?, hops));
    }
    Err(format!("redirect loop: more than {MAX_HOPS} redirects from {url}"))
}

fn judge(mut resp: Response, status: u16) -> Result<Answer, String> {
    let url = resp.url().to_string();
    let headers = resp.headers().clone();
    let ct = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut body = Vec::new();
    (&mut resp)
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|e| describe_io(&e))?;
    let looks = looks_like_data(&ct, &body);
    Ok(Answer {
        status,
        url,
        headers,
        looks_like_data: looks,
    })
}

fn describe(e: reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "HTTP request timed out".to_string()
    } else if e.is_connect() {
        "HTTP connection failed".to_string()
    } else {
        "HTTP request failed".to_string()
    };
    // The source chain names the cause (e.g. header too large) without any body content.
    let mut src = std::error::Error::source(&e);
    if let Some(s) = src.take() {
        msg.push_str(&format!(": {s}"));
    }
    msg
}

fn describe_io(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out") {
        "HTTP body read timed out".into()
    } else {
        format!("HTTP body read failed: {}", e.kind())
    }
}

/// Whether a body is records (JSON objects, CSV rows, FHIR resources) rather than a page or an error.
pub fn looks_like_data(content_type: &str, body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let t = text.trim_start();
    if content_type.contains("json") || t.starts_with('{') || t.starts_with('[') {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(t) else {
            // Truncated or NDJSON: several object lines are records.
            return t.lines().filter(|l| l.trim_start().starts_with('{')).count() >= 2
                && !content_type.contains("html");
        };
        return json_is_data(&v, 0);
    }
    if content_type.contains("csv") {
        let rows: Vec<&str> = t.lines().filter(|l| !l.trim().is_empty()).take(3).collect();
        return rows.len() >= 2 && rows[0].contains(',');
    }
    false
}

fn json_is_data(v: &serde_json::Value, depth: u8) -> bool {
    use serde_json::Value;
    const ERROR_KEYS: &[&str] = &[
        "error", "errors", "message", "detail", "status", "code", "title", "type", "msg",
    ];
    match v {
        Value::Array(a) => a.iter().any(|x| x.is_object()),
        Value::Object(o) if depth < 3 => {
            if o.values().any(|x| json_is_data(x, depth + 1) && x.is_array()) {
                return true;
            }
            // A single record: several fields that are not an error envelope.
            let non_error = o
                .keys()
                .filter(|k| !ERROR_KEYS.contains(&k.to_ascii_lowercase().as_str()))
                .count();
            non_error >= 3 && !o.contains_key("error") && !o.contains_key("errors")
        }
        _ => false,
    }
}

/// Everything the HTTP layer found out.
pub struct Gathered {
    pub facts: HttpFacts,
}

/// Gathers the HTTP facts. `auth` is (header, secret) read from the environment by the caller.
pub fn gather(
    c: &Client,
    url: &str,
    http_url: Option<&str>,
    auth: Option<(&str, &str)>,
    budget: Budget,
) -> Result<Gathered, String> {
    let (main, _hops) = get(c, url, auth, budget)?;
    let unauth = if auth.is_some() {
        get(c, url, None, budget)
    } else {
        get_again(&main)
    };
    let (un, un_hops) = unauth?;
    let mut f = HttpFacts {
        status: Some(main.status),
        final_url: Some(main.url.clone()),
        unauthenticated_status: Some(un.status),
        unauthenticated_looks_like_data: Some(un.looks_like_data),
        ..Default::default()
    };
    let to_login = un_hops.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        ["login", "signin", "sign-in", "auth", "sso", "oauth"]
            .iter()
            .any(|w| h.contains(w))
    });
    f.requires_auth = if un.looks_like_data {
        Some(false)
    } else if matches!(un.status, 401 | 403) || to_login {
        Some(true)
    } else if (200..300).contains(&un.status) {
        Some(false)
    } else {
        None
    };
    let h = &main.headers;
    let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    f.hsts = parse_hsts(header("strict-transport-security").as_deref());
    f.cors = CorsFacts {
        allow_origin: header("access-control-allow-origin"),
        allow_credentials: Some(
            header("access-control-allow-credentials").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        ),
    };
    let banners: Vec<String> = [header("server"), header("x-powered-by")]
        .into_iter()
        .flatten()
        .collect();
    f.server_banner = (!banners.is_empty()).then(|| banners.join("; "));
    f.discloses_version = Some(banners.iter().any(|b| discloses_version(b)));
    f.cookies = Some(
        h.get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(parse_cookie)
            .collect(),
    );
    let secret = auth.map(|a| a.1).filter(|s| !s.is_empty());
    let mut map = BTreeMap::new();
    for (k, v) in h {
        // Cookie values are credentials: they live in `cookies[]` by name and flags only.
        if k.as_str() == "set-cookie" {
            continue;
        }
        let mut v = String::from_utf8_lossy(v.as_bytes()).to_string();
        if secret.is_some_and(|s| v.contains(s)) {
            v = "[redacted: contains the credential]".into();
        }
        map.entry(k.as_str().to_string())
            .and_modify(|e: &mut String| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    f.headers = Some(map);
    f.https_redirect = https_redirect(c, url, http_url);
    Ok(Gathered { facts: f })
}

/// Without credentials configured, the first answer is already the unauthenticated one.
fn get_again(a: &Answer) -> Result<(Answer, Vec<String>), String> {
    Ok((
        Answer {
            status: a.status,
            url: a.url.clone(),
            headers: HeaderMap::new(),
            looks_like_data: a.looks_like_data,
        },
        if a.url.to_ascii_lowercase().contains("login") {
            vec![a.url.clone()]
        } else {
            vec![]
        },
    ))
}

/// Does the plain-http form redirect to https? null when nothing answers on it.
fn https_redirect(c: &Client, url: &str, http_url: Option<&str>) -> Option<bool> {
    let target = match http_url {
        Some(u) => u.to_string(),
        None => {
            let mut u = reqwest::Url::parse(url).ok()?;
            if u.scheme() != "https" {
                return Some(false);
            }
            u.set_scheme("http").ok()?;
            u.set_port(None).ok()?;
            u.to_string()
        }
    };
    let resp = c.get(&target).send().ok()?;
    if resp.status().is_redirection() {
        let loc = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let next = resp.url().join(loc).ok()?;
        return Some(next.scheme() == "https");
    }
    Some(false)
}

pub fn parse_hsts(v: Option<&str>) -> HstsFacts {
    let Some(v) = v else {
        return HstsFacts {
            present: Some(false),
            ..Default::default()
        };
    };
    let mut f = HstsFacts {
        present: Some(true),
        include_subdomains: Some(false),
        preload: Some(false),
        ..Default::default()
    };
    for part in v.split(';').map(str::trim) {
        let lower = part.to_ascii_lowercase();
        if let Some(age) = lower.strip_prefix("max-age=") {
            f.max_age = age.trim_matches('"').parse().ok();
        } else if lower == "includesubdomains" {
            f.include_subdomains = Some(true);
        } else if lower == "preload" {
            f.preload = Some(true);
        }
    }
    f
}

/// A banner such as `nginx/1.22.1` or `PHP/8.1` names a version.
pub fn discloses_version(b: &str) -> bool {
    let bytes = b.as_bytes();
    bytes
        .windows(2)
        .any(|w| (w[0] == b'/' || w[0] == b' ' || w[0] == b'v') && w[1].is_ascii_digit())
}

/// One Set-Cookie header: name and flags only; the value is never kept.
pub fn parse_cookie(v: &str) -> CookieFacts {
    let mut parts = v.split(';');
    let name = parts
        .next()
        .unwrap_or("")
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let mut c = CookieFacts {
        session: Some(is_session_name(&name)),
        name,
        secure: Some(false),
        http_only: Some(false),
        ..Default::default()
    };
    let mut expires_in = None;
    for p in parts {
        let (k, val) = p
            .split_once('=')
            .map(|(a, b)| (a.trim(), b.trim()))
            .unwrap_or((p.trim(), ""));
        match k.to_ascii_lowercase().as_str() {
            "secure" => c.secure = Some(true),
            "httponly" => c.http_only = Some(true),
            "samesite" => c.same_site = Some(val.to_string()),
            "max-age" => c.max_age = val.parse().ok(),
            "expires" => {
                expires_in = chrono::DateTime::parse_from_rfc2822(&val.replace('-', " "))
                    .ok()
                    .map(|d| (d.timestamp() - chrono::Utc::now().timestamp()).max(0));
            }
            _ => {}
        }
    }
    // Max-Age wins over Expires (RFC 6265 5.3).
    if c.max_age.is_none() {
        c.max_age = expires_in;
    }
    c
}

/// Session or authentication cookie by name; anti-CSRF cookies are not.
pub fn is_session_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.contains("csrf") || n.contains("xsrf") {
        return false;
    }
    ["sess", "sid", "auth", "token", "jwt", "login"]
        .iter()
        .any(|w| n.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_parts() {
        let h = parse_hsts(Some("max-age=31536000; includeSubDomains; preload"));
        assert_eq!(
            (h.present, h.max_age, h.include_subdomains, h.preload),
            (Some(true), Some(31536000), Some(true), Some(true))
        );
        assert_eq!(parse_hsts(None).present, Some(false));
        assert_eq!(parse_hsts(Some("max-age=\"60\"")).max_age, Some(60));
    }

    #[test]
    fn data_or_not() {
        assert!(looks_like_data("application/json", br#"[{"id":1,"name":"x"}]"#));
        assert!(looks_like_data("application/json", br#"{"data":[{"id":1}],"total":1}"#));
        assert!(looks_like_data(
            "application/fhir+json",
            br#"{"resourceType":"Bundle","entry":[{"resource":{}}]}"#
        ));
        assert!(!looks_like_data(
            "application/json",
            br#"{"error":"unauthorized","message":"log in"}"#
        ));
        assert!(!looks_like_data("text/html", b"<html><form action=/login>"));
        assert!(looks_like_data("text/csv", b"id,name\n1,A\n"));
        assert!(!looks_like_data("text/csv", b"nothing"));
    }

    #[test]
    fn cookies_and_banners() {
        let c = parse_cookie("SESSIONID=abc; Secure; HttpOnly; SameSite=Lax; Max-Age=600");
        assert_eq!(c.name, "SESSIONID");
        assert_eq!(
            (c.secure, c.http_only, c.session, c.max_age),
            (Some(true), Some(true), Some(true), Some(600))
        );
        assert_eq!(c.same_site.as_deref(), Some("Lax"));
        let c = parse_cookie("csrf_token=1; Path=/");
        assert_eq!((c.secure, c.session, c.max_age), (Some(false), Some(false), None));
        assert!(discloses_version("nginx/1.22.1"));
        assert!(discloses_version("PHP/8.1"));
        assert!(!discloses_version("nginx"));
        assert!(!discloses_version("cloudflare"));
    }
}
