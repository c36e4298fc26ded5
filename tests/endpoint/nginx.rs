//! nginx (Debian nginx-light, OpenSSL 3) as the server stack (issue 15): versions and suites per
//! `ssl_protocols`/`ssl_ciphers`, an ECDSA and an RSA certificate (two `ssl_certificate`
//! lines), and HSTS and security headers set with `add_header`.

use super::servers::*;
use super::stack_servers::{Nginx, nginx_certs};
use super::{assess_json, finding, good_leaf, names, probe, settings, sorted};

/// TLS 1.0 and 1.2 with three ECDSA suites (one NULL; Debian's OpenSSL 3 has no 3DES left) at
/// security level 0.
#[test]
fn nginx_protocols_and_ciphers() {
    let pki = Pki::new();
    let ec = good_leaf(&pki, "ec");
    let n = Nginx::start(&format!(
        "{}ssl_protocols TLSv1 TLSv1.2;\n    \
         ssl_ciphers ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-NULL-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=0;\n",
        nginx_certs(&[&ec])
    ));
    let f = probe(n.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    assert_eq!(f.tls.incomplete, None);
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(false), Some(true), Some(false), Some(true), Some(false)),
        "{v:?}"
    );
    let by = |ver: &str| {
        sorted(
            f.tls
                .ciphers
                .clone()
                .unwrap()
                .into_iter()
                .filter(|c| c.version == ver)
                .map(|c| c.name)
                .collect(),
        )
    };
    assert_eq!(
        by("1.0"),
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_NULL_SHA"]
    );
    assert_eq!(
        by("1.2"),
        [
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_NULL_SHA"
        ]
    );
    assert_eq!(
        f.tls.weak_ciphers,
        Some(vec!["TLS_ECDHE_ECDSA_WITH_NULL_SHA".to_string()])
    );
    assert_eq!(f.http.status, Some(200));
}

/// TLS 1.3 only with nginx's defaults otherwise.
#[test]
fn nginx_tls13_only() {
    let pki = Pki::new();
    let ec = good_leaf(&pki, "ec13");
    let n = Nginx::start(&format!("{}ssl_protocols TLSv1.3;\n", nginx_certs(&[&ec])));
    let f = probe(n.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(false), Some(false), Some(false), Some(false), Some(true)),
        "{v:?}"
    );
    assert_eq!(
        sorted(names(&f)),
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
}

/// Two certificates (ECDSA valid, RSA expired in 2021): both are read and the expired one
/// fails `hipaa-cert-unexpired`; HSTS and the security headers come through `add_header`.
#[test]
fn nginx_two_certificates_and_headers() {
    let pki = Pki::new();
    let ec = good_leaf(&pki, "ec2");
    let rsa = pki.leaf_keyed(
        "rsa2",
        &["localhost"],
        (2020, 1, 1),
        (2021, 1, 1),
        Kind::Signed,
        rsa_key(),
    );
    let n = Nginx::start(&format!(
        "{}add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;\n    \
         add_header X-Content-Type-Options nosniff always;\n    \
         add_header Content-Security-Policy \"default-src 'self'\" always;\n",
        nginx_certs(&[&ec, &rsa])
    ));
    let j = assess_json(&pki, n.port);
    let ep = &j["facts"]["endpoints"][0];
    let f = finding(&j, "hipaa-cert-unexpired");
    assert_eq!(f["status"], "fail", "{f}");
    let certs = ep["tls"]["certs"].as_array().unwrap_or_else(|| panic!("certs: {ep}"));
    let types: Vec<&str> = certs.iter().map(|c| c["key_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ecdsa", "rsa"], "{ep}");
    assert!(f["message"].as_str().unwrap_or("").contains("2021-01-01"), "{f}");
    let hsts = &ep["http"]["hsts"];
    assert_eq!(hsts["present"], true, "{ep}");
    assert_eq!(hsts["max_age"], 63072000, "{hsts}");
    assert_eq!(hsts["include_subdomains"], true, "{hsts}");
    assert_eq!(finding(&j, "hipaa-hsts")["status"], "pass");
    let h = &ep["http"]["headers"];
    assert_eq!(h["x-content-type-options"], "nosniff", "{h}");
    assert_eq!(h["content-security-policy"], "default-src 'self'", "{h}");
    // nginx names itself and its version unless told not to (`server_tokens off`).
    assert_eq!(ep["http"]["discloses_version"], true, "{ep}");
}
