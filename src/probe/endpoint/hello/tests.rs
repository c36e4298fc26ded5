use super::*;

#[test]
fn tls12_hello_layout() {
    let h = ClientHello::new(TLS12, vec![0xc030, 0x009c], Some("example.test"), vec![0x001d]);
    let b = h.encode([7; 32]);
    assert_eq!(&b[..3], &[22, 3, 1], "handshake record, TLS 1.0 record version");
    assert_eq!(u16::from_be_bytes([b[3], b[4]]) as usize, b.len() - 5);
    assert_eq!(b[5], 1, "client_hello");
    assert_eq!(&b[9..11], &[3, 3], "client_version TLS 1.2");
    assert_eq!(&b[11..43], &[7; 32]);
    assert_eq!(b[43], 0, "empty session id");
    assert_eq!(&b[44..50], &[0, 4, 0xc0, 0x30, 0x00, 0x9c]);
    let tail = &b[50..];
    assert!(tail.windows(12).any(|w| w == b"example.test"), "SNI carried");
}

#[test]
fn ssl3_hello_has_no_extensions() {
    let b = ClientHello::new(SSL3, vec![0x000a], Some("x.test"), vec![0x001d]).encode([0; 32]);
    assert_eq!(&b[1..3], &[3, 0]);
    // record(5) + hs header(4) + version(2) + random(32) + sid(1) + suites(2+2) + compression(2)
    assert_eq!(b.len(), 5 + 4 + 2 + 32 + 1 + 4 + 2);
}

#[test]
fn ip_hosts_get_no_sni() {
    let a = ClientHello::new(TLS12, vec![1], Some("127.0.0.1"), vec![]).encode([0; 32]);
    let b = ClientHello::new(TLS12, vec![1], None, vec![]).encode([0; 32]);
    assert_eq!(a, b);
}

#[test]
fn alerts_and_garbage() {
    let mut p = FlightParser::new(false);
    assert_eq!(p.feed(&[21, 3, 3, 0, 2, 2, 70]).unwrap(), Some(Reply::Alert(2, 70)));
    let mut p = FlightParser::new(false);
    assert!(
        p.feed(b"HTTP/1.1 400 Bad Request\r\n")
            .unwrap_err()
            .0
            .contains("plain HTTP")
    );
    let mut p = FlightParser::new(false);
    assert!(p.feed(&[0xde, 0xad, 0xbe, 0xef, 0, 0]).is_err());
    // Split across reads.
    let mut p = FlightParser::new(false);
    assert_eq!(p.feed(&[21, 3]).unwrap(), None);
    assert_eq!(p.feed(&[3, 0, 2, 2, 40]).unwrap(), Some(Reply::Alert(2, 40)));
}

mod captured;
