//! ② HTTP facts: redirects followed by hand (every hop seen), HSTS, headers, a request without
//! credentials, CORS with a foreign Origin, cookies, banners. Bodies are read up to a cap,
//! judged (size, type, looks like data) and dropped, never kept. Network I/O (reqwest blocking).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use openssl::ssl::SslConnector;
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, LOCATION};

use super::Budget;
use super::limits::{self, MAX_RETRIES};
use crate::facts::{CookieFacts, CorsFacts, HstsFacts, HttpFacts};

/// Most body bytes read to judge a response; the rest is never read.
const MAX_BODY: u64 = 1024 * 1024;
/// Redirect hops followed before giving up.
const MAX_HOPS: usize = 10;
/// The foreign Origin sent to see the CORS answer.
pub const FOREIGN_ORIGIN: &str = "https://vetter-cors-check.invalid";

/// A client pinned to one address for `host`: certificates not enforced (their validity is a
/// separate fact; the HTTP facts are still wanted), no automatic redirects, no proxy (the
/// address was checked; a proxy would resolve it again).
pub fn client(host: &str, addr: Option<SocketAddr>, timeout: Duration) -> Result<Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(true)
        .user_agent(concat!("vetter/", env!("CARGO_PKG_VERSION")));
    if let Some(a) = addr {
        b = b.resolve(host, a).no_proxy();
    }
    b.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// One answer before its body is read, from either TLS client.
struct Reply {
    status: u16,
    url: String,
    headers: HeaderMap,
    body: Box<dyn Read>,
}

/// One answer, body already judged and dropped.
struct Answer {
    status: u16,
    url: String,
    headers: HeaderMap,
    looks_like_data: bool,
    /// A redirect not followed, and why.
    refused: Option<String>,
}

/// Where one endpoint's requests may go (docs/security.md, "Redirects"): credentials only to
/// the declared origin; other hosts only at addresses of the endpoint's own class or public
/// ones; with `resolve` pinned, no other host at all (nothing is resolved that is not pinned).
pub struct Route {
    /// The declared URL's origin (scheme, host, port).
    origin: reqwest::Url,
    /// The declared host and the address it was reached at.
    host: String,
    addr: SocketAddr,
    /// `resolve` set in the manifest.
    pinned: bool,
    /// The declared host's own hop.
    home: Hop,
    timeout: Duration,
    /// OpenSSL for https hops when the server speaks only TLS ≤ 1.1 (rustls cannot).
    legacy: Option<SslConnector>,
}

/// Where one request goes once the policy allowed it: the client pinned to the hop's host and
/// address (and the two, for the TLS ≤ 1.1 client).
#[derive(Clone)]
struct Hop {
    client: Client,
    host: String,
    addr: SocketAddr,
}

/// What kind of network an address is on, for the redirect policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrClass {
    Public,
    Private,
    Loopback,
    /// Link-local, including the cloud metadata addresses (169.254.169.254, fd00:ec2::254).
    LinkLocal,
    /// 0.0.0.0, ::, multicast, broadcast, documentation: never a vendor.
    Unusable,
}

pub fn classify(ip: IpAddr) -> AddrClass {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_loopback() {
                AddrClass::Loopback
            } else if a.is_link_local() {
                AddrClass::LinkLocal
            } else if a.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                AddrClass::Private
            } else if a.is_unspecified() || a.is_multicast() || a.is_broadcast() || a.is_documentation() || o[0] == 0 {
                AddrClass::Unusable
            } else {
                AddrClass::Public
            }
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            if a.is_loopback() {
                AddrClass::Loopback
            } else if a == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) || (s[0] & 0xffc0) == 0xfe80 {
                AddrClass::LinkLocal
            } else if (s[0] & 0xfe00) == 0xfc00 {
                AddrClass::Private
            } else if a.is_unspecified() || a.is_multicast() || s[0] == 0x2001 && s[1] == 0xdb8 {
                AddrClass::Unusable
            } else {
                AddrClass::Public
            }
        }
    }
}

impl Route {
    /// `addr` is where the declared host was reached; `pinned` when the manifest's `resolve`
    /// chose it; `legacy` when the server speaks no TLS version ≥ 1.2 (https hops then go
    /// through OpenSSL; the policy, the deadlines and the caps are the same).
    pub fn new(
        url: &str,
        host: &str,
        addr: SocketAddr,
        pinned: bool,
        timeout: Duration,
        legacy: bool,
    ) -> Result<Route, String> {
        let origin = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
        Ok(Route {
            origin,
            host: host.to_string(),
            addr,
            pinned,
            home: Hop {
                client: client(host, Some(addr), timeout)?,
                host: host.to_string(),
                addr,
            },
            timeout,
            legacy: if legacy {
                Some(super::legacy::connector()?)
            } else {
                None
            },
        })
    }

    fn same_origin(&self, u: &reqwest::Url) -> bool {
        u.origin() == self.origin.origin()
    }

    /// The hop to `u`, or why it is refused.
    fn client_for(&self, u: &reqwest::Url) -> Result<Hop, String> {
        let host = u.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        if host.eq_ignore_ascii_case(&self.host) && u.port_or_known_default() == Some(self.addr.port()) {
            return Ok(self.home.clone());
        }
        let Some(port) = u.port_or_known_default() else {
            return Err(format!("redirect to {u} names no port"));
        };
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!("redirect to a {} URL", u.scheme()));
        }
        let addrs: Vec<SocketAddr> = if let Ok(ip) = host.parse::<IpAddr>() {
            vec![SocketAddr::new(ip, port)]
        } else if host.eq_ignore_ascii_case(&self.host) {
            vec![SocketAddr::new(self.addr.ip(), port)]
        } else if self.pinned {
            return Err(format!(
                "redirect to {host}, which `resolve` does not pin; with `resolve` set nothing else is looked up"
            ));
        } else {
            (host, port)
                .to_socket_addrs()
                .map_err(|e| format!("redirect to {host}: cannot resolve it: {e}"))?
                .collect()
        };
        let own = classify(self.addr.ip());
        let Some(first) = addrs.first().copied() else {
            return Err(format!("redirect to {host}: it resolves to no address"));
        };
        // Every address must pass: a name that also resolves to a private address could be
        // switched to it between our check and the connection otherwise.
        for a in &addrs {
            let class = classify(a.ip());
            let ok = class == AddrClass::Public || (class == own && class != AddrClass::Unusable);
            if !ok {
                return Err(format!(
                    "redirect to {host} ({}), a {} address, from an endpoint on a {} address",
                    a.ip(),
                    class_name(class),
                    class_name(own)
                ));
            }
        }
        Ok(Hop {
            client: client(host, Some(first), self.timeout)?,
            host: host.to_string(),
            addr: first,
        })
    }

    /// One GET of `url` on `hop` within `limit`: https through OpenSSL on a TLS ≤ 1.1 route,
    /// everything else through the normal client.
    fn send(&self, hop: &Hop, url: &reqwest::Url, headers: &[(&str, &str)], limit: Duration) -> Result<Reply, Failure> {
        if let Some(tls) = &self.legacy
            && url.scheme() == "https"
        {
            let a = super::legacy::get(tls, &hop.host, hop.addr, url, headers, limit)?;
            return Ok(Reply {
                status: a.status,
                url: url.to_string(),
                headers: a.headers,
                body: Box::new(a.body),
            });
        }
        let mut req = hop.client.get(url.clone()).timeout(limit);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().map_err(Failure::of)?;
        Ok(Reply {
            status: resp.status().as_u16(),
            url: resp.url().to_string(),
            headers: resp.headers().clone(),
            body: Box::new(resp),
        })
    }
}

fn class_name(c: AddrClass) -> &'static str {
    match c {
        AddrClass::Public => "public",
        AddrClass::Private => "private",
        AddrClass::Loopback => "loopback",
        AddrClass::LinkLocal => "link-local (cloud metadata)",
        AddrClass::Unusable => "reserved",
    }
}

/// Time left for one exchange: the per-exchange timeout, cut to what the host's budget has
/// left; an error naming the phase when the budget is spent.
fn exchange_time(budget: &Budget, phase: &str) -> Result<Duration, String> {
    let left = budget.left();
    if left < Duration::from_millis(5) {
        return Err(budget.spent_message(phase, None));
    }
    Ok(budget.timeout.min(left))
}

/// GET `url`, following redirects by hand under the [`Route`] policy. `auth` is (header,
/// secret), sent only to the declared origin. A 429/5xx answer is retried after its
/// `Retry-After` (or a short backoff) while that fits the host's budget.
fn get(
    route: &Route,
    url: &str,
    auth: Option<(&str, &str)>,
    budget: &Budget,
    phase: &str,
) -> Result<(Answer, Vec<String>), String> {
    let mut hops = Vec::new();
    let mut current = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let mut hop = route.home.clone();
    let mut retries = 0u32;
    for _ in 0..=MAX_HOPS + MAX_RETRIES as usize {
        let limit = exchange_time(budget, phase)?;
        let started = Instant::now();
        // The exchange was shortened to what the host's budget had left: its running out is
        // the budget's, and the message says where the budget went.
        let cut = (limit < budget.timeout).then(|| budget.spent_message(phase, Some(limit)));
        let mut headers = vec![("Origin", FOREIGN_ORIGIN)];
        if let Some((h, v)) = auth
            && route.same_origin(&current)
        {
            headers.push((h, v));
        }
        let resp = route.send(&hop, &current, &headers, limit).map_err(|f| match &cut {
            Some(why) if f.timed_out => why.clone(),
            _ => describe(&f, phase, &current),
        })?;
        let status = resp.status;
        if limits::retryable(status) {
            let after = resp
                .headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| limits::retry_after(v, chrono::Utc::now()));
            if let Some(wait) = limits::backoff(retries, after, budget.timeout, budget.deadline) {
                drop(resp);
                retries += 1;
                std::thread::sleep(wait);
                continue;
            }
        }
        if (300..400).contains(&status)
            && let Some(loc) = resp.headers.get(LOCATION).and_then(|v| v.to_str().ok())
        {
            let next = current.join(loc).map_err(|e| format!("bad redirect target: {e}"))?;
            match route.client_for(&next) {
                Ok(h) => {
                    hops.push(next.to_string());
                    hop = h;
                    current = next;
                    continue;
                }
                Err(why) => {
                    let mut a = judge(resp, started + limit, phase, cut)?;
                    a.refused = Some(why);
                    return Ok((a, hops));
                }
            }
        }
        return Ok((judge(resp, started + limit, phase, cut)?, hops));
    }
    Err(format!("redirect loop: more than {MAX_HOPS} redirects from {url}"))
}

/// Reads at most [`MAX_BODY`] bytes before `deadline` (the exchange's whole time: a server
/// dripping one byte at a time cannot stretch it), judges them and drops them. `cut` is the
/// message when the exchange's time was what the host's budget had left.
fn judge(resp: Reply, deadline: Instant, phase: &str, cut: Option<String>) -> Result<Answer, String> {
    let Reply {
        status,
        url,
        headers,
        body: mut resp,
    } = resp;
    let ct = headers
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
        .unwrap_or_default();
    let framing = Framing::of(&headers);
    let mut body = Vec::new();
    let mut read = 0u64;
    let mut buf = [0u8; 16 * 1024];
    loop {
        // The request's own timeout (the same deadline) may fire inside a read: same message.
        if Instant::now() + Duration::from_millis(50) >= deadline {
            if let Some(why) = cut {
                return Err(why);
            }
            return Err(format!(
                "HTTP body of {url} not complete within the exchange deadline during {phase} ({read} bytes read; the server sends too slowly)"
            ));
        }
        match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                read += n as u64;
                let room = (MAX_BODY as usize).saturating_sub(body.len());
                body.extend_from_slice(&buf[..n.min(room)]);
                if body.len() >= MAX_BODY as usize {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) if Instant::now() + Duration::from_millis(50) >= deadline => continue,
            // A body that ends when the connection does (HTTP/1.0, no Content-Length) is whole
            // when the server closes, with or without a TLS close_notify: curl reads it so.
            Err(e) if framing == Framing::Close && closed_by_peer(&e) => break,
            Err(e) => return Err(describe_io(&e, phase, &url, read, framing)),
        }
    }
    let looks = looks_like_data(&ct, &body);
    Ok(Answer {
        status,
        url,
        headers,
        looks_like_data: looks,
        refused: None,
    })
}

/// Why one exchange failed, from either TLS client: whether the exchange's time ran out, and
/// every cause in words (reqwest's own text is often just "client error (Connect)").
#[derive(Debug)]
pub struct Failure {
    pub timed_out: bool,
    pub connect: bool,
    pub causes: Vec<String>,
}

impl Failure {
    pub fn timed_out() -> Failure {
        Failure {
            timed_out: true,
            connect: false,
            causes: vec![],
        }
    }
    pub fn other(why: String) -> Failure {
        Failure {
            timed_out: false,
            connect: false,
            causes: vec![why],
        }
    }
    pub fn io(e: &std::io::Error, connect: bool) -> Failure {
        Failure {
            timed_out: matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock),
            connect,
            causes: causes(e),
        }
    }
    fn of(e: reqwest::Error) -> Failure {
        let mut causes: Vec<String> = Vec::new();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            let t = s.to_string();
            if !t.is_empty() && !causes.iter().any(|c| c.contains(&t)) {
                causes.push(t);
            }
            src = s.source();
        }
        Failure {
            timed_out: e.is_timeout(),
            connect: e.is_connect(),
            causes,
        }
    }
}

/// A request error in words: the phase, the URL, and every cause in the chain.
fn describe(f: &Failure, phase: &str, url: &reqwest::Url) -> String {
    let what = if f.timed_out {
        "timed out"
    } else if f.connect {
        "could not connect"
    } else {
        "failed"
    };
    let mut msg = format!("HTTP request to {url} {what} during {phase}");
    if !f.causes.is_empty() {
        msg.push_str(": ");
        msg.push_str(&f.causes.join(": "));
    }
    msg
}

/// How a response says where its body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
    /// Neither: the body ends when the connection closes.
    Close,
}

impl Framing {
    pub fn of(h: &HeaderMap) -> Framing {
        let chunked = h.get_all(reqwest::header::TRANSFER_ENCODING).iter().any(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .to_ascii_lowercase()
                .contains("chunked")
        });
        if chunked {
            return Framing::Chunked;
        }
        match h
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
        {
            Some(n) => Framing::Length(n),
            None => Framing::Close,
        }
    }
}

/// Every cause under an I/O error, outermost first, without repeats (reqwest's and hyper's
/// own texts are often just "request or response body error").
fn causes(e: &std::io::Error) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    if src.is_none() {
        out.push(e.to_string());
    }
    while let Some(s) = src {
        let t = s.to_string();
        if !t.is_empty() && !out.iter().any(|c| c.contains(&t)) {
            out.push(t);
        }
        src = s.source();
    }
    out
}

/// Whether the read failed because the server closed the connection (a TCP close, with or
/// without a TLS close_notify), rather than a timeout, a reset or bad framing bytes.
fn closed_by_peer(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        return true;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::UnexpectedEof
        {
            return true;
        }
        // hyper's IncompleteMessage and rustls's missing close_notify, by their text (hyper is
        // not a direct dependency, so its error type cannot be named).
        let t = s.to_string();
        if t.contains("close_notify") || t.contains("connection closed before message completed") {
            return true;
        }
        src = s.source();
    }
    false
}

fn describe_io(e: &std::io::Error, phase: &str, url: &str, read: u64, framing: Framing) -> String {
    let timed_out = e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out");
    if timed_out {
        return format!("HTTP body of {url} timed out during {phase} after {read} bytes");
    }
    if closed_by_peer(e) {
        let promised = match framing {
            Framing::Length(n) => format!(" of the {n} its Content-Length promised"),
            Framing::Chunked => " before the last chunk of its chunked body".to_string(),
            Framing::Close => String::new(),
        };
        return format!("HTTP body of {url} cut short during {phase}: connection closed after {read} bytes{promised}");
    }
    format!(
        "HTTP body of {url} could not be read during {phase} after {read} bytes: {}",
        causes(e).join(": ")
    )
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
    route: &Route,
    url: &str,
    http_url: Option<&str>,
    auth: Option<(&str, &str)>,
    budget: &Budget,
) -> Result<Gathered, String> {
    let mut budget = budget.clone();
    let started = Instant::now();
    let (main, _hops) = get(route, url, auth, &budget, "the HTTP request")?;
    budget.record("the HTTP request", started);
    let started = Instant::now();
    let unauth = if auth.is_some() {
        get(route, url, None, &budget, "the request without credentials")
    } else {
        get_again(&main)
    };
    let (un, un_hops) = unauth?;
    budget.record("the request without credentials", started);
    let mut f = HttpFacts {
        status: Some(main.status),
        final_url: Some(main.url.clone()),
        redirect_refused: main.refused.clone().or_else(|| un.refused.clone()),
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
    // Non-ASCII bytes kept (lossy), not dropped: a banner with `©` still names its version.
    let header = |n: &str| {
        let all: Vec<String> = h
            .get_all(n)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        (!all.is_empty()).then(|| all.join(", "))
    };
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
            .map(|v| parse_cookie(&String::from_utf8_lossy(v.as_bytes())))
            .collect(),
    );
    let mut map = BTreeMap::new();
    for (k, v) in h {
        // Cookie values are credentials: they live in `cookies[]` by name and flags only.
        if k.as_str() == "set-cookie" {
            continue;
        }
        // Secrets in any header are removed with every other string at the facts' choke
        // point (crate::secrets), not here.
        let v = String::from_utf8_lossy(v.as_bytes()).to_string();
        map.entry(k.as_str().to_string())
            .and_modify(|e: &mut String| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    f.headers = Some(map);
    f.https_redirect = https_redirect(route, url, http_url, &budget);
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
            refused: None,
        },
        if a.url.to_ascii_lowercase().contains("login") {
            vec![a.url.clone()]
        } else {
            vec![]
        },
    ))
}

/// Does the plain-http form redirect to https? null when nothing answers on it.
fn https_redirect(route: &Route, url: &str, http_url: Option<&str>, budget: &Budget) -> Option<bool> {
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
    let target = reqwest::Url::parse(&target).ok()?;
    let hop = route.client_for(&target).ok()?;
    let limit = exchange_time(budget, "the http→https check").ok()?;
    let resp = route.send(&hop, &target, &[], limit).ok()?;
    if (300..400).contains(&resp.status) {
        let loc = resp.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let next = target.join(loc).ok()?;
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
