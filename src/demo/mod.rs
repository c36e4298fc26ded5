//! ① + ② `vetter demo`'s sample vendor: its files (embedded in the binary) written to a
//! temporary directory, and its endpoints served on 127.0.0.1 by in-process servers with a
//! certificate made at start. Input: the assessment date; output: a [`Demo`] naming the
//! manifest and the CA file to trust. Does I/O (files, loopback sockets); never leaves the machine.
//!
//! The vendor's posture is mixed on purpose, so the report shows passes and failures that come
//! from real handshakes and real HTTP answers:
//! - `api.sample-vendor.example`: TLS 1.2 + 1.3, HSTS, `no-store`, refuses requests without
//!   credentials, its `http://` form redirects to `https://`.
//! - `portal.sample-vendor.example`: TLS 1.2 only, a certificate that expires in 20 days, no
//!   HSTS, a CORS wildcard with credentials, a versioned `Server` banner, a cookie without flags,
//!   synthetic appointment records served without credentials, and no `https://` redirect.

mod server;

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};

pub use server::{DEMO_TOKEN, Posture, Servers};

/// Host names of the demo vendor (never resolved: the manifest pins them to 127.0.0.1).
pub const API_HOST: &str = "api.sample-vendor.example";
pub const PORTAL_HOST: &str = "portal.sample-vendor.example";

/// The sample vendor's files, embedded: (path as the manifest names it, contents).
const FILES: &[(&str, &[u8])] = &[
    (
        "exports/patients.csv",
        include_bytes!("../../fixtures/vendors/sample/exports/patients.csv"),
    ),
    (
        "exports/audit.jsonl",
        include_bytes!("../../fixtures/vendors/sample/exports/audit.jsonl"),
    ),
    (
        "requests/erasure.txt",
        include_bytes!("../../fixtures/vendors/sample/requests/erasure.txt"),
    ),
    (
        "evidence/baa.md",
        include_bytes!("../../fixtures/vendors/sample/evidence/baa.md"),
    ),
    (
        "evidence/dpa.md",
        include_bytes!("../../fixtures/vendors/sample/evidence/dpa.md"),
    ),
    (
        "evidence/pentest-2026.txt",
        include_bytes!("../../fixtures/vendors/sample/evidence/pentest-2026.txt"),
    ),
    (
        "evidence/risk-analysis-2026.txt",
        include_bytes!("../../fixtures/vendors/sample/evidence/risk-analysis-2026.txt"),
    ),
    (
        "evidence/soc2-type2-2026.txt",
        include_bytes!("../../fixtures/vendors/sample/evidence/soc2-type2-2026.txt"),
    ),
];

/// The sample manifest; its `[[endpoint]]` block is replaced by the demo's served endpoints.
const SAMPLE_MANIFEST: &str = include_str!("../../fixtures/vendors/sample/vendor.toml");

/// A running demo: the files on disk and the servers answering. Dropping it stops the servers
/// and removes the directory.
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub manifest: PathBuf,
    /// The demo CA (PEM), to be trusted for this run only.
    pub ca_file: PathBuf,
    pub servers: Servers,
}

/// Writes the sample vendor to a fresh temporary directory and starts its servers; the
/// certificates are valid around `as_of` so the report reads the same on any date.
pub fn start(as_of: NaiveDate) -> Result<Demo, String> {
    let dir = tempfile::Builder::new()
        .prefix("vetter-demo-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory for the demo: {e}"))?;
    for (rel, bytes) in FILES {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    let pki = Pki::new(as_of)?;
    let ca_file = dir.path().join("demo-ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;
    let api = pki.leaf(API_HOST, as_of, 365)?;
    let portal = pki.leaf(PORTAL_HOST, as_of, 20)?;
    let servers = server::start(api, portal)?;
    let manifest = dir.path().join("vendor.toml");
    std::fs::write(&manifest, manifest_text(&servers))
        .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    Ok(Demo {
        dir,
        manifest,
        ca_file,
        servers,
    })
}

/// The sample manifest with the demo's endpoints (names pinned to 127.0.0.1, the servers' ports).
/// The API is probed with a credential only when `VETTER_DEMO_TOKEN` is set: `assess` refuses
/// an `auth` whose variable is unset, and the demo must run with no set-up.
pub fn manifest_text(s: &Servers) -> String {
    let auth = if std::env::var_os("VETTER_DEMO_TOKEN").is_some() {
        "auth = { header = \"Authorization\", env = \"VETTER_DEMO_TOKEN\" }\n"
    } else {
        ""
    };
    let endpoints = format!(
        "# Served by `vetter demo` on 127.0.0.1 (synthetic data only).\n\
         [[endpoint]]\n\
         url = \"https://{API_HOST}:{api}/v1/patients\"\n\
         {auth}\
         http_url = \"http://{API_HOST}:{plain}/v1/patients\"\n\
         resolve = \"127.0.0.1\"\n\n\
         [[endpoint]]\n\
         url = \"https://{PORTAL_HOST}:{portal}/v1/appointments\"\n\
         http_url = \"http://{PORTAL_HOST}:{plain}/v1/appointments\"\n\
         resolve = \"127.0.0.1\"\n",
        api = s.api_port,
        portal = s.portal_port,
        plain = s.http_port,
    );
    replace_endpoints(SAMPLE_MANIFEST, &endpoints)
}

/// Replaces every `[[endpoint]]` table (up to the next table header) with `with`.
fn replace_endpoints(text: &str, with: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    let mut inserted = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t == "[[endpoint]]" {
            skipping = true;
            if !inserted {
                out.push_str(with);
                out.push('\n');
                inserted = true;
            }
            continue;
        }
        if skipping && t.starts_with('[') {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    if !inserted {
        out.push('\n');
        out.push_str(with);
    }
    out
}

/// The demo's certificate authority, made at start.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    ca_pem: String,
}

/// A leaf certificate and its key (DER).
pub struct Leaf {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

/// An rcgen date from a chrono one (rcgen's `time` type is not named here).
macro_rules! ymd {
    ($d:expr) => {{
        let d: NaiveDate = $d;
        date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    }};
}

impl Pki {
    fn new(as_of: NaiveDate) -> Result<Pki, String> {
        let err = |e: rcgen::Error| format!("cannot make the demo certificate authority: {e}");
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        p.distinguished_name.push(DnType::CommonName, "vetter demo CA");
        p.distinguished_name
            .push(DnType::OrganizationName, "vetter demo (not a real CA)");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = ymd!(as_of - chrono::Days::new(400));
        p.not_after = ymd!(as_of + chrono::Days::new(3650));
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().map_err(err)?).map_err(err)?;
        let ca_pem = ca.pem();
        Ok(Pki { ca, ca_pem })
    }

    /// A leaf for `host`, issued 60 days before `as_of` and expiring `days_left` days after it.
    fn leaf(&self, host: &str, as_of: NaiveDate, days_left: u64) -> Result<Leaf, String> {
        let err = |e: rcgen::Error| format!("cannot make the demo certificate for {host}: {e}");
        let mut p = CertificateParams::new(vec![host.to_string()]).map_err(err)?;
        p.distinguished_name.push(DnType::CommonName, host);
        p.not_before = ymd!(as_of - chrono::Days::new(60));
        p.not_after = ymd!(as_of + chrono::Days::new(days_left));
        let key = KeyPair::generate().map_err(err)?;
        let cert = p.signed_by(&key, &self.ca).map_err(err)?;
        Ok(Leaf {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }
}

impl Demo {
    /// The directory the sample vendor was written to.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_block_is_replaced_and_the_rest_kept() {
        let t = "[vendor]\nname = \"x\"\n\n[[endpoint]]\nurl = \"https://a\"\nauth = {}\n\n[[export]]\npath = \"e\"\n";
        let out = replace_endpoints(t, "[[endpoint]]\nurl = \"https://b\"\n");
        assert_eq!(
            out,
            "[vendor]\nname = \"x\"\n\n[[endpoint]]\nurl = \"https://b\"\n\n[[export]]\npath = \"e\"\n"
        );
    }

    #[test]
    fn every_file_the_sample_manifest_names_is_embedded() {
        let m: toml::Value = toml::from_str(SAMPLE_MANIFEST).unwrap();
        let mut named = Vec::new();
        for table in ["export", "audit_log", "evidence"] {
            for e in m.get(table).and_then(|v| v.as_array()).into_iter().flatten() {
                named.push(e["path"].as_str().unwrap().to_string());
            }
        }
        for a in m.get("attestation").and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(p) = a.get("evidence").and_then(|v| v.as_str()) {
                named.push(p.to_string());
            }
        }
        for n in named {
            assert!(FILES.iter().any(|(p, _)| *p == n), "{n} is not embedded in the demo");
        }
    }
}
