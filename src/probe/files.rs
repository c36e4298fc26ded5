//! Placeholder probes until the endpoint and evidence probes land: every named evidence file is
//! hashed (one read) and its facts left null; a file that cannot be read becomes that
//! resource's `error`. Endpoints get their URL parts and null facts. (Exports and audit logs
//! have their own probes: `export`, `auditlog`.)
//!
//! Produces: `evidence.<kind>[].{path,sha256,error}`, `endpoints[].{url,host,port}`.

use super::*;

/// Endpoint facts with only what the URL says.
pub fn endpoint_skeleton(url: &str) -> EndpointFacts {
    let parsed = reqwest::Url::parse(url).ok();
    EndpointFacts {
        url: url.to_string(),
        host: parsed.as_ref().and_then(|u| u.host_str().map(str::to_string)),
        port: parsed.as_ref().and_then(|u| u.port_or_known_default()),
        ..Default::default()
    }
}

/// Fills only what the manifest says about each endpoint; the endpoint probe replaces it.
pub struct EndpointPlaceholder;

impl Probe for EndpointPlaceholder {
    fn name(&self) -> &'static str {
        "endpoint"
    }
    fn produces(&self) -> &'static [&'static str] {
        &["endpoints[].url", "endpoints[].host", "endpoints[].port"]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        m.endpoint
            .iter()
            .enumerate()
            .map(|(i, e)| Task {
                kind: ResourceKind::Endpoint,
                index: i,
                label: e.url.clone(),
            })
            .collect()
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let facts = EndpointFacts {
            error: Some("not probed: this build has no TLS/HTTP endpoint probe yet, so its facts are unknown".into()),
            ..endpoint_skeleton(&ctx.manifest.endpoint[task.index].url)
        };
        ProbeResult {
            output: Output::Endpoint(facts),
            inputs: vec![],
        }
    }
}

/// Hashes every evidence file.
pub struct FileHashes;

fn hashed(ctx: &ProbeContext, rel: &str, kind: &str) -> (Option<String>, Option<u64>, Option<String>, Input) {
    match hashing::hash_file(&ctx.manifest.resolve(rel)) {
        Ok((h, n)) => (
            Some(h.clone()),
            Some(n),
            None,
            Input {
                path: rel.into(),
                kind: kind.into(),
                sha256: Some(h),
                bytes: Some(n),
            },
        ),
        Err(e) => (
            None,
            None,
            Some(format!("cannot read {rel}: {}", hashing::describe(&e))),
            Input {
                path: rel.into(),
                kind: kind.into(),
                sha256: None,
                bytes: None,
            },
        ),
    }
}

impl Probe for FileHashes {
    fn name(&self) -> &'static str {
        "files"
    }
    fn produces(&self) -> &'static [&'static str] {
        &["evidence.*[].sha256", "evidence.*[].error"]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        let mut t = Vec::new();
        t.extend(m.evidence.iter().enumerate().map(|(i, e)| Task {
            kind: ResourceKind::Evidence,
            index: i,
            label: e.path.clone(),
        }));
        t
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let m = ctx.manifest;
        match task.kind {
            ResourceKind::Evidence | ResourceKind::Endpoint | ResourceKind::Export | ResourceKind::AuditLog => {
                let ev = &m.evidence[task.index];
                let (sha256, _, error, input) = hashed(ctx, &ev.path, "evidence");
                let path = ev.path.clone();
                use crate::manifest::EvidenceKind as K;
                let out = match ev.kind {
                    Some(K::Soc2) => EvidenceOut::Soc2(Soc2Facts { path, sha256, error, ..Default::default() }),
                    Some(K::Baa) => EvidenceOut::Baa(BaaFacts { path, sha256, error, ..Default::default() }),
                    Some(K::Dpa) => EvidenceOut::Dpa(DpaFacts { path, sha256, error, ..Default::default() }),
                    Some(K::Pentest) => EvidenceOut::Pentest(PentestFacts { path, sha256, error, ..Default::default() }),
                    Some(K::Hitrust) => EvidenceOut::Hitrust(HitrustFacts { path, sha256, error, ..Default::default() }),
                    Some(K::Policy) => EvidenceOut::Policy(PolicyFacts { path, sha256, error, ..Default::default() }),
                    None => EvidenceOut::Policy(PolicyFacts {
                        path,
                        sha256,
                        error: Some(error.unwrap_or_else(|| "document kind not given and not yet detected from content: set kind = \"soc2\", \"baa\", \"dpa\", \"pentest\", \"hitrust\" or \"policy\"".into())),
                        ..Default::default()
                    }),
                };
                ProbeResult {
                    output: Output::Evidence(out),
                    inputs: vec![input],
                }
            }
        }
    }
}

/// Other files the manifest names (attestation evidence, erasure lists, appointments), hashed
/// into the report's inputs.
pub fn side_inputs(m: &Manifest) -> Vec<Input> {
    let mut out = Vec::new();
    let mut add = |rel: &str, kind: &str| {
        let input = match hashing::hash_file(&m.resolve(rel)) {
            Ok((h, n)) => Input {
                path: rel.into(),
                kind: kind.into(),
                sha256: Some(h),
                bytes: Some(n),
            },
            Err(_) => Input {
                path: rel.into(),
                kind: kind.into(),
                sha256: None,
                bytes: None,
            },
        };
        out.push(input);
    };
    for a in &m.attestation {
        if let Some(e) = &a.evidence {
            add(e, "attestation");
        }
    }
    for e in &m.export {
        if let Some(er) = &e.erasure {
            add(&er.file, "erasure");
        }
    }
    for l in &m.audit_log {
        if let Some(ap) = &l.appointments {
            add(&ap.path, "appointments");
        }
    }
    out
}
