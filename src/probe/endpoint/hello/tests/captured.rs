//! Parser checks on bytes captured from OpenSSL 3.0.19 (`openssl s_client -msg` against
//! `openssl s_server`), wrapped in their TLS record headers.

use super::super::*;

fn record(hs: &[u8]) -> Vec<u8> {
    let mut r = vec![22, 3, 3, (hs.len() >> 8) as u8, hs.len() as u8];
    r.extend_from_slice(hs);
    r
}

/// TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256 (0xc02f) with renegotiation_info,
/// ec_point_formats, session_ticket and extended_master_secret.
const TLS12_SERVER_HELLO: &str = "0200003d0303c153ae1673a73d0a8df9054b56f1932c994c6b3e2374c814444f\
574e475244010 0c02f000015ff0100010000 0b000403000102002300000017 0000";

/// TLS 1.3 HelloRetryRequest from a server limited to P-256 (`-groups P-256`), client offering X25519 first.
const TLS13_HRR: &str = "020000540303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e\
09e2c8a8339c2051460c701c856330b063080a38fd72f8f05add38b11fe4ea75\
19dfe10a9cb117130200000c002b0002030400330002 0017";

fn bytes(h: &str) -> Vec<u8> {
    hex::decode(h.replace(' ', "")).unwrap()
}

#[test]
fn openssl_tls12_server_hello() {
    let mut p = FlightParser::new(false);
    let Some(Reply::Hello(h)) = p.feed(&record(&bytes(TLS12_SERVER_HELLO))).unwrap() else {
        panic!()
    };
    assert_eq!(
        (h.version, h.cipher, h.retry_request, h.status_request),
        (TLS12, 0xc02f, false, false)
    );
}

#[test]
fn openssl_tls13_hello_retry_request() {
    let mut p = FlightParser::new(false);
    let Some(Reply::Hello(h)) = p.feed(&record(&bytes(TLS13_HRR))).unwrap() else {
        panic!()
    };
    assert_eq!(
        (h.version, h.cipher, h.retry_request, h.group),
        (TLS13, 0x1302, true, Some(0x0017))
    );
}

#[test]
fn server_hello_fed_byte_by_byte() {
    let rec = record(&bytes(TLS13_HRR));
    let mut p = FlightParser::new(false);
    for (i, b) in rec.iter().enumerate() {
        let r = p.feed(&[*b]).unwrap();
        assert_eq!(r.is_some(), i == rec.len() - 1);
    }
}

#[test]
fn truncated_server_hello_is_an_error() {
    let mut p = FlightParser::new(false);
    let hs = bytes(TLS12_SERVER_HELLO);
    let mut cut = hs[..20].to_vec();
    cut[3] = 16; // claims 16 body bytes: too short for a ServerHello
    assert!(p.feed(&record(&cut)).is_err());
}
