//! ② One HTTP/1.1 exchange over OpenSSL, for servers that speak only TLS 1.0/1.1 (rustls, under
//! the normal HTTP client, speaks TLS 1.2+ only). Input: a hop already cleared by the redirect
//! policy in `http` (host, pinned address, URL, headers) and the exchange's deadline; output:
//! the status, the headers and a body reader bounded by the same deadline. Network I/O.
//! Certificates are not enforced (their validity is a separate fact), as on the normal path.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, SslConnector, SslMethod, SslOptions, SslStream, SslVerifyMode, SslVersion};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::http::{Failure, Framing};

/// Most bytes of a response head (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in a response head.
const MAX_HEADERS: usize = 128;

/// An OpenSSL client that accepts TLS 1.0 and up at security level 0 (the ciphers and SHA-1
/// signatures of TLS 1.0/1.1 are below every higher level) and verifies nothing.
pub fn connector() -> Result<SslConnector, String> {
    let build = || -> Result<SslConnector, openssl::error::ErrorStack> {
        let mut b = SslConnector::builder(SslMethod::tls_client())?;
        b.set_security_level(0);
        b.set_cipher_list("ALL:@SECLEVEL=0")?;
        b.set_min_proto_version(Some(SslVersion::TLS1))?;
        b.set_verify(SslVerifyMode::NONE);
        // A body that ends with the connection is whole without close_notify (as on the normal
        // path); a body cut short is still caught by its framing.
        b.set_options(SslOptions::IGNORE_UNEXPECTED_EOF);
        Ok(b.build())
    };
    build().map_err(|e| format!("cannot set up the TLS 1.0/1.1 client (OpenSSL): {e}"))
}

/// The answer's head and its body, not yet read.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Body,
}

/// GET `url` from `addr` (where `host` was pinned) within `limit`; `headers` are sent as given.
pub fn get(
    tls: &SslConnector,
    host: &str,
    addr: SocketAddr,
    url: &reqwest::Url,
    headers: &[(&str, &str)],
    limit: Duration,
) -> Result<Answer, Failure> {
    let deadline = Instant::now() + limit;
    let request = request(host, url, headers)?;
    let tcp = TcpStream::connect_timeout(&addr, limit).map_err(|e| Failure::io(&e, true))?;
    let _ = tcp.set_nodelay(true);
    let io = Deadline::new(tcp, deadline);
    let mut cfg = tls.configure().map_err(|e| Failure::other(e.to_string()))?;
    cfg.set_verify_hostname(false);
    // An IP literal carries no SNI (the crate skips it for addresses).
    let stream = cfg.connect(host, io).map_err(|e| match e {
        HandshakeError::WouldBlock(_) => Failure::timed_out(),
        HandshakeError::SetupFailure(s) => Failure::other(s.to_string()),
        HandshakeError::Failure(m) => match m.error().io_error() {
            Some(io) => Failure::io(io, false),
            None => Failure::other(format!("TLS handshake failed: {}", m.error())),
        },
    })?;
    let mut r = BufReader::new(stream);
    r.get_mut().write_all(&request).map_err(|e| Failure::io(&e, false))?;
    r.get_mut().flush().map_err(|e| Failure::io(&e, false))?;
    loop {
        let (status, headers) = read_head(&mut r)?;
        // Interim answers (100 Continue, 103 Early Hints) precede the real one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let framing = if status == 204 || status == 304 {
            Framing::Length(0)
        } else {
            Framing::of(&headers)
        };
        return Ok(Answer {
            status,
            headers,
            body: Body {
                r,
                state: match framing {
                    Framing::Length(n) => State::Length(n),
                    Framing::Chunked => State::ChunkSize,
                    Framing::Close => State::Close,
                },
            },
        });
    }
}

/// The request head; header values are checked as the normal path's client checks them (a
/// value with a line break would be a second header), and never echoed in the error.
fn request(host: &str, url: &reqwest::Url, headers: &[(&str, &str)]) -> Result<Vec<u8>, Failure> {
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or(host)),
        None => url.host_str().unwrap_or(host).to_string(),
    };
    let mut out = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: vetter/{}\r\nAccept: */*\r\nConnection: close\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| Failure::other(format!("{k:?} is not a valid HTTP header name")))?;
        HeaderValue::from_str(v).map_err(|_| {
            Failure::other(format!(
                "the value of the {name} header is not a valid HTTP header value"
            ))
        })?;
        out.extend_from_slice(format!("{name}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

type Reader = BufReader<SslStream<Deadline>>;

/// Reads and parses one response head (httparse), at most [`MAX_HEAD`] bytes.
fn read_head(r: &mut Reader) -> Result<(u16, HeaderMap), Failure> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = r
            .by_ref()
            .take((MAX_HEAD + 1 - head.len()) as u64)
            .read_until(b'\n', &mut head)
            .map_err(|e| Failure::io(&e, false))?;
        if n == 0 {
            return Err(Failure::other(if head.is_empty() {
                "the server closed the connection without an answer".into()
            } else {
                format!(
                    "the server closed the connection inside the response head ({} bytes)",
                    head.len()
                )
            }));
        }
        if head.len() > MAX_HEAD {
            return Err(Failure::other(format!(
                "the response head exceeds {} KiB",
                MAX_HEAD / 1024
            )));
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Failure::other("incomplete response head".into())),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Failure::other(format!(
                "the response has more than {MAX_HEADERS} headers"
            )));
        }
        Err(e) => return Err(Failure::other(format!("not an HTTP response: {e}"))),
    }
    let status = resp.code.unwrap_or(0);
    let mut map = HeaderMap::new();
    for h in resp.headers.iter() {
        let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) else {
            return Err(Failure::other(format!("malformed response header {:?}", h.name)));
        };
        map.append(k, v);
    }
    Ok((status, map))
}

/// A response body decoded from its framing; a body that ends before its framing says is an
/// `UnexpectedEof` error (as the normal path's client reports it).
pub struct Body {
    r: Reader,
    state: State,
}

enum State {
    Length(u64),
    Close,
    /// Before a chunk-size line.
    ChunkSize,
    /// Inside a chunk: bytes left.
    Chunk(u64),
    Done,
}

fn cut_short() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "connection closed before message completed",
    )
}

fn bad_chunk(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("malformed chunked body: {what}"),
    )
}

impl Body {
    fn line(&mut self) -> std::io::Result<String> {
        let mut l = Vec::new();
        let n = self.r.by_ref().take(4096).read_until(b'\n', &mut l)?;
        if n == 0 {
            return Err(cut_short());
        }
        if !l.ends_with(b"\n") {
            return Err(bad_chunk("a line longer than 4 KiB"));
        }
        Ok(String::from_utf8_lossy(&l).trim().to_string())
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.state {
                State::Done | State::Length(0) => return Ok(0),
                State::Length(left) => {
                    let want = buf.len().min(left.min(usize::MAX as u64) as usize);
                    let n = self.r.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(cut_short());
                    }
                    self.state = State::Length(left - n as u64);
                    return Ok(n);
                }
                State::Close => return self.r.read(buf),
                State::ChunkSize => {
                    let line = self.line()?;
                    let size = line.split(';').next().unwrap_or("").trim();
                    let n =
                        u64::from_str_radix(size, 16).map_err(|_| bad_chunk("a chunk size that is not hexadecimal"))?;
                    if n == 0 {
                        // Trailers up to the empty line.
                        while !self.line()?.is_empty() {}
                        self.state = State::Done;
                    } else {
                        self.state = State::Chunk(n);
                    }
                }
                State::Chunk(left) => {
                    let want = buf.len().min(left.min(usize::MAX as u64) as usize);
                    let n = self.r.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(cut_short());
                    }
                    if left == n as u64 {
                        if !self.line()?.is_empty() {
                            return Err(bad_chunk("no line break after a chunk"));
                        }
                        self.state = State::ChunkSize;
                    } else {
                        self.state = State::Chunk(left - n as u64);
                    }
                    return Ok(n);
                }
            }
        }
    }
}

/// A TCP stream whose every read and write ends by one deadline: a server that drips bytes
/// cannot stretch the exchange (each wait is set to what is left).
struct Deadline {
    s: TcpStream,
    deadline: Instant,
}

impl Deadline {
    fn new(s: TcpStream, deadline: Instant) -> Deadline {
        Deadline { s, deadline }
    }

    fn arm(&self, read: bool) -> std::io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"));
        }
        if read {
            self.s.set_read_timeout(Some(left))
        } else {
            self.s.set_write_timeout(Some(left))
        }
    }
}

/// A socket timeout is WouldBlock on Linux; it is reported as what it is.
fn timed_out(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::WouldBlock {
        std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out")
    } else {
        e
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm(true)?;
        self.s.read(buf).map_err(timed_out)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm(false)?;
        self.s.write(buf).map_err(timed_out)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.s.flush()
    }
}
