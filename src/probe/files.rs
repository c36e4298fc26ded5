//! Shared helpers of the probe runner: endpoint facts from the URL alone (the fallback when a
//! probe produced nothing), and the hashes of side files the manifest names (attestation
//! evidence, erasure lists, appointments) for the report's inputs. Reads those side files.

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

/// Other files the manifest names (attestation evidence, erasure lists, appointments), hashed
/// into the report's inputs; a pipe waits at most `wait` for data.
pub fn side_inputs(m: &Manifest, wait: std::time::Duration) -> Vec<Input> {
    let mut out = Vec::new();
    let mut add = |rel: &str, kind: &str| {
        let input = match input::hash(&m.resolve(rel), input::Kind::SideFile, wait) {
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
