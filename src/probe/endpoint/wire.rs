//! ② One raw handshake: connect, send a ClientHello, read the first flight under a deadline
//! and a size cap. Does network I/O (one TCP connection per call).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::hello::{ClientHello, FlightParser, Reply};

/// Most bytes read from one first flight (certificate chains are a few KiB; hostile servers are cut off).
const MAX_FLIGHT: usize = 256 * 1024;

/// How one exchange ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Reply(Reply),
    /// The server closed or reset the connection without an answer.
    Closed(String),
    /// No complete answer before the deadline.
    Timeout,
    /// The connection could not be made.
    ConnectFailed(String),
    /// The answer is not TLS.
    Garbage(String),
}

/// Connection settings for every raw exchange with one endpoint.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub sni: Option<String>,
    pub timeout: Duration,
    /// The host's budget: no exchange starts or runs past it.
    pub deadline: Instant,
}

impl Target {
    /// Sends `hello` and reads the answer; the whole exchange is bounded by the timeout and the budget.
    pub fn exchange(&self, hello: &ClientHello, want_rest: bool) -> Outcome {
        let now = Instant::now();
        if now >= self.deadline {
            return Outcome::Timeout;
        }
        let end = (now + self.timeout).min(self.deadline);
        let mut s = match TcpStream::connect_timeout(&self.addr, end - now) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Outcome::Timeout,
            Err(e) => return Outcome::ConnectFailed(e.to_string()),
        };
        let _ = s.set_nodelay(true);
        let _ = s.set_write_timeout(Some(self.timeout));
        if let Err(e) = s.write_all(&hello.encode(random())) {
            return Outcome::Closed(format!("write failed: {e}"));
        }
        let mut parser = FlightParser::new(want_rest);
        let mut buf = [0u8; 16 * 1024];
        let mut total = 0usize;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return parser.partial().map(Outcome::Reply).unwrap_or(Outcome::Timeout);
            }
            let _ = s.set_read_timeout(Some(left));
            match s.read(&mut buf) {
                Ok(0) => {
                    return parser
                        .partial()
                        .map(Outcome::Reply)
                        .unwrap_or_else(|| Outcome::Closed("connection closed".into()));
                }
                Ok(n) => {
                    total += n;
                    match parser.feed(&buf[..n]) {
                        Ok(Some(r)) => return Outcome::Reply(r),
                        Ok(None) if total > MAX_FLIGHT => {
                            return Outcome::Garbage(format!("the first flight exceeded {} KiB", MAX_FLIGHT / 1024));
                        }
                        Ok(None) => {}
                        Err(g) => return Outcome::Garbage(g.0),
                    }
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return parser.partial().map(Outcome::Reply).unwrap_or(Outcome::Timeout);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return parser
                        .partial()
                        .map(Outcome::Reply)
                        .unwrap_or_else(|| Outcome::Closed(e.kind().to_string()));
                }
            }
        }
    }
}

/// A fresh client random (not secret: no keys are ever derived from it).
fn random() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut r = [0u8; 32];
    let _ = ring::rand::SystemRandom::new().fill(&mut r);
    r
}
