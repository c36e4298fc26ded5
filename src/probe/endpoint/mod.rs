//! ② The endpoint probe: what a vendor's HTTPS endpoint really accepts and answers. Input: one
//! manifest `[[endpoint]]`; output: its `endpoints[]` facts. Network I/O only (raw handshakes in
//! `wire`, a rustls handshake in `cert`, reqwest in `http`), bounded by the per-connection
//! timeout and a per-host time budget.
//!
//! Produces: `endpoints[].{host,port,addresses,error}`, `endpoints[].tls.*`, `endpoints[].http.*`.

pub mod cert;
pub mod ciphers;
pub mod hello;
pub mod http;
pub mod legacy;
pub mod limits;
pub mod tls_versions;
pub mod wire;

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::*;
use crate::manifest::Endpoint;
use hello::{SSL3, TLS10, TLS11, TLS12, TLS13};
use wire::Target;

/// The time budget of one host, in per-connection timeouts: a host that stalls every
/// connection costs at most this many timeouts, however many probes are left.
pub const BUDGET_TIMEOUTS: u32 = 8;

/// One host's time: the per-connection timeout, the deadline, and where the time went so far
/// (each phase and its duration), so that running out names the phases that spent it.
#[derive(Debug, Clone)]
pub struct Budget {
    pub timeout: Duration,
    pub deadline: Instant,
    spent: Vec<(&'static str, Duration)>,
}

impl Budget {
    /// [`BUDGET_TIMEOUTS`] timeouts from now.
    pub fn new(timeout: Duration) -> Budget {
        Budget {
            timeout,
            deadline: Instant::now() + timeout * BUDGET_TIMEOUTS,
            spent: Vec::new(),
        }
    }

    pub fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `phase` ran from `since` until now.
    pub fn record(&mut self, phase: &'static str, since: Instant) {
        self.spent.push((phase, since.elapsed()));
    }

    /// The budget ran out before (`cut_after` None) or during `phase`, in words: the phases
    /// that spent it and what to do.
    pub fn spent_message(&self, phase: &str, cut_after: Option<Duration>) -> String {
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        let whole = self.timeout * BUDGET_TIMEOUTS;
        // Phases under 0.1 s are noise beside a budget of several seconds.
        let mut went: Vec<String> = self
            .spent
            .iter()
            .filter(|(_, d)| *d >= Duration::from_millis(100))
            .map(|(p, d)| format!("{p} took {}", secs(*d)))
            .collect();
        if went.is_empty() {
            went.push("no single phase took 0.1 s or more".into());
        }
        let end = match cut_after {
            None => format!("no time left for {phase}"),
            Some(d) => format!("{phase} had the last {} and was cut off", secs(d)),
        };
        format!(
            "the host's {} budget ({BUDGET_TIMEOUTS} × the {} timeout) was spent: {}; {end} (raise --timeout for a slower host)",
            secs(whole).replace(".0 s", " s"),
            secs(self.timeout).replace(".0 s", " s"),
            went.join(", ")
        )
    }
}

/// Probes every `[[endpoint]]`.
pub struct EndpointProbe;

impl Probe for EndpointProbe {
    fn name(&self) -> &'static str {
        "endpoint"
    }
    fn produces(&self) -> &'static [&'static str] {
        &[
            "endpoints[].host",
            "endpoints[].port",
            "endpoints[].addresses",
            "endpoints[].error",
            "endpoints[].tls",
            "endpoints[].http",
        ]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        m.endpoint
            .iter()
            .enumerate()
            .map(|(i, e)| Task {
                kind: ResourceKind::Endpoint,
                index: i,
                // Progress is stderr: a credential in the query string stays out of it.
                label: crate::secrets::redact_query_params(&e.url).unwrap_or_else(|| e.url.clone()),
            })
            .collect()
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let ep = &ctx.manifest.endpoint[task.index];
        ProbeResult {
            output: Output::Endpoint(probe_endpoint(ep, ctx.settings)),
            inputs: vec![],
        }
    }
}

/// Every fact about one endpoint; failures land in `error`, never in a panic.
pub fn probe_endpoint(ep: &Endpoint, s: &Settings) -> EndpointFacts {
    let mut f = files::endpoint_skeleton(&ep.url);
    let url = match reqwest::Url::parse(&ep.url) {
        Ok(u) => u,
        Err(e) => {
            f.error = Some(format!("not a URL: {e}"));
            return f;
        }
    };
    let (Some(host), Some(port)) = (f.host.clone(), f.port) else {
        f.error = Some("the URL names no host".into());
        return f;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let addrs: Vec<SocketAddr> = match &ep.resolve {
        Some(ip) => match ip.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                f.error = Some(format!("resolve = \"{ip}\" is not an IP address"));
                return f;
            }
        },
        // RFC 2606/6761 names never resolve: no DNS query leaves the machine for them.
        None if reserved_name(&host) => {
            f.error = Some(format!(
                "{host} is a reserved example name (RFC 2606) and resolves nowhere; not probed"
            ));
            return f;
        }
        None => match (host.as_str(), port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                f.error = Some(format!("cannot resolve {host}: {e}"));
                return f;
            }
        },
    };
    f.addresses = addrs.iter().map(|a| a.ip().to_string()).collect();
    // At most limits::PER_HOST probes talk to one host at once; the budget starts once admitted.
    let _permit = s.run.hosts().acquire(&format!("{}:{port}", host.to_ascii_lowercase()));
    let mut budget = Budget::new(s.timeout);
    let deadline = budget.deadline;
    let started = Instant::now();
    // Every address is tried (localhost may be ::1 or 127.0.0.1); the first that connects is probed.
    let mut failures = Vec::new();
    let mut chosen = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, s.timeout) {
            Ok(_) => {
                chosen = Some(*a);
                break;
            }
            Err(e) => failures.push(format!("{a}: {}", connect_reason(&e))),
        }
    }
    let Some(addr) = chosen else {
        f.error = Some(format!("cannot connect to {host}:{port} ({})", failures.join("; ")));
        return f;
    };
    budget.record("connecting", started);
    let secret = ep
        .auth
        .as_ref()
        .and_then(crate::manifest::Auth::credential)
        .and_then(|a| std::env::var(&a.env).ok().map(|v| (a.header.clone(), v)));
    let auth = secret.as_ref().map(|(h, v)| (h.as_str(), v.as_str()));

    if url.scheme() == "https" {
        let t = Target {
            addr,
            sni: Some(host.clone()),
            timeout: s.timeout,
            deadline,
        };
        match tls(&t, &host, s, &mut budget) {
            Ok(tls) => f.tls = tls,
            Err(e) => {
                f.error = Some(e);
                return f;
            }
        }
    }
    let left = budget.left().max(Duration::from_millis(1));
    let v = &f.tls.versions;
    let modern = v.tls1_2 == Some(true) || v.tls1_3 == Some(true);
    let legacy = v.tls1_0 == Some(true) || v.tls1_1 == Some(true);
    // Always pinned to the address just checked and connected to: the HTTP client never
    // looks the name up again (a second answer could point somewhere else). A server with no
    // TLS ≥ 1.2 is spoken to through OpenSSL, which still has TLS 1.0/1.1.
    let route = match http::Route::new(
        &ep.url,
        &host,
        addr,
        ep.resolve.is_some(),
        s.timeout.min(left),
        url.scheme() == "https" && !modern && legacy,
    ) {
        Ok(r) => r,
        // TLS was probed: its facts stand (as for any HTTP failure).
        Err(e) if url.scheme() == "https" => {
            f.http.error = Some(e);
            return f;
        }
        Err(e) => {
            f.error = Some(e);
            return f;
        }
    };
    match http::gather(&route, &ep.url, ep.http_url.as_deref(), auth, &budget) {
        Ok(g) => f.http = g.facts,
        // SSL 3.0 only: no client here speaks it; the TLS facts (which already fail the rules)
        // stand and the HTTP facts stay unknown rather than erroring.
        Err(_) if url.scheme() == "https" && !modern && !legacy && f.tls.min_version.is_some() => {}
        // TLS was probed: its facts stand, the HTTP failure is the HTTP facts' own error.
        Err(e) if url.scheme() == "https" => f.http.error = Some(e),
        Err(e) => f.error = Some(e),
    }
    f
}

/// RFC 2606/6761 example names: never resolved, never probed.
pub fn reserved_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    ["example", "invalid", "test"]
        .iter()
        .any(|tld| h == *tld || h.ends_with(&format!(".{tld}")))
        || ["example.com", "example.org", "example.net"]
            .iter()
            .any(|d| h == *d || h.ends_with(&format!(".{d}")))
}

fn connect_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut => "no answer (timed out)".into(),
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        k => k.to_string(),
    }
}

/// All TLS facts; Err when the endpoint does not speak TLS or never answers.
fn tls(t: &Target, host: &str, s: &Settings, budget: &mut Budget) -> Result<TlsFacts, String> {
    let mut phase = Instant::now();
    let v = tls_versions::detect(t)?;
    budget.record("TLS version detection", phase);
    phase = Instant::now();
    let mut out = TlsFacts {
        versions: v.facts(),
        min_version: v.min_version(),
        ..Default::default()
    };
    let accepted = v.accepted();
    // Phases cut short: their lists become null (unknown), never a shorter list.
    let mut incomplete = Vec::new();
    let mut ciphers = Vec::new();
    for &ver in &accepted {
        let e = ciphers::enumerate_suites(t, ver);
        if let Some(why) = e.incomplete {
            incomplete.push(format!(
                "suite enumeration over {} stopped: {why}",
                tls_versions::name(ver)
            ));
            break;
        }
        for code in e.accepted {
            if let Some(su) = ciphers::suite(code) {
                ciphers.push(Cipher {
                    name: su.name.to_string(),
                    version: tls_versions::label(ver).to_string(),
                    bits: Some(su.bits),
                    aead: Some(su.aead),
                    forward_secrecy: Some(su.fs),
                });
            }
        }
    }
    if incomplete.is_empty() {
        let mut weak: Vec<String> = ciphers
            .iter()
            .filter(|c| ciphers::suite_by_name(&c.name).is_some_and(|s| s.weak))
            .map(|c| c.name.clone())
            .collect();
        weak.sort();
        weak.dedup();
        out.weak_ciphers = Some(weak);
        out.ciphers = Some(ciphers);
    }
    budget.record("TLS suite enumeration", phase);
    phase = Instant::now();

    // Groups: over TLS 1.3 (HRR names the group), then over the newest accepted TLS ≤ 1.2
    // (ECDHE curves) for the groups 1.3 did not show: legacy curves (secp192r1, brainpool's
    // 1.2 code points, binary curves) exist only there.
    let mut passes = Vec::new();
    if accepted.contains(&TLS13) {
        passes.push(TLS13);
    }
    if let Some(&v) = accepted.iter().rev().find(|v| (TLS10..=TLS12).contains(*v)) {
        passes.push(v);
    }
    if !passes.is_empty() {
        let mut found: Vec<u16> = Vec::new();
        let mut cut = None;
        for gv in passes {
            let g = ciphers::enumerate_groups(t, gv, &found);
            found.extend(&g.accepted);
            if let Some(why) = g.incomplete {
                cut = Some(format!(
                    "group enumeration over {} stopped: {why}",
                    tls_versions::name(gv)
                ));
                break;
            }
        }
        let pq = found.iter().any(|c| ciphers::is_post_quantum(*c));
        // A hybrid group seen is a fact even when the list is incomplete; its absence is not.
        out.post_quantum = if pq || cut.is_none() { Some(pq) } else { None };
        match cut {
            Some(why) => incomplete.push(why),
            None => {
                let mut weak: Vec<String> = found
                    .iter()
                    .filter(|c| ciphers::group(**c).is_some_and(|g| g.weak))
                    .map(|c| ciphers::group_name(*c))
                    .collect();
                weak.sort();
                out.weak_groups = Some(weak);
                out.groups = Some(found.iter().map(|c| ciphers::group_name(*c)).collect());
            }
        }
    }
    budget.record("TLS group enumeration", phase);
    phase = Instant::now();
    // Certificate and stapling: rustls when TLS 1.2/1.3 is accepted, else the raw legacy handshake.
    let mut chain = Vec::new();
    if (accepted.contains(&TLS13) || accepted.contains(&TLS12))
        && let Ok(c) = cert::fetch_chain(t)
    {
        out.ocsp_stapling = Some(c.ocsp.is_some());
        chain = c.chain;
    }
    if chain.is_empty()
        && let Some(&ver) = accepted.iter().find(|v| **v <= TLS12)
    {
        let mut h = hello::ClientHello::new(ver, ciphers::offer_list(ver), t.sni.as_deref(), ciphers::all_groups());
        h.status_request = ver > SSL3;
        if let wire::Outcome::Reply(hello::Reply::Hello(sh)) = t.exchange(&h, true) {
            out.ocsp_stapling = Some(sh.ocsp_stapled || sh.status_request);
            chain = sh.certificates;
        }
    }
    budget.record("the certificate handshake", phase);
    phase = Instant::now();
    if !chain.is_empty() {
        let roots = s.run.roots(s.ca_file.as_deref())?;
        out.cert = cert::facts(&chain, host, &roots, s.as_of);
        // The other certificates a differently configured client would be shown.
        let p = cert::enumerate(t, &accepted, &chain);
        match p.incomplete {
            Some(why) => incomplete.push(format!("{} {why}", crate::facts::CERT_ENUMERATION_STOPPED)),
            None => out.certs = Some(p.chains.iter().map(|c| cert::facts(c, host, &roots, s.as_of)).collect()),
        }
        budget.record("certificate enumeration", phase);
    }
    if !incomplete.is_empty() {
        out.incomplete = Some(incomplete.join("; "));
    }
    Ok(out)
}

/// Every version we probe, oldest first.
pub const VERSIONS: [u16; 5] = [SSL3, TLS10, TLS11, TLS12, TLS13];
