//! ② Collect (input layer, shared by the export and audit-log probes): the byte plumbing
//! between the file and the record readers — a compressed-byte counter, a decompression-ratio
//! guard (zip bombs), a line-length cap (bounded memory on a file with no newlines), and format
//! detection from content. Input: a `Read`; output: a `Read` and a [`Format`]. Does I/O only
//! through the readers it wraps.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Longest line accepted in CSV and NDJSON: beyond it the file is rejected rather than buffered.
pub const MAX_LINE: usize = 64 * 1024 * 1024;
/// Decompressed output beyond which the ratio guard applies.
pub const RATIO_FLOOR: u64 = 64 * 1024 * 1024;
/// Highest decompressed:compressed ratio accepted past [`RATIO_FLOOR`]. Real exports compress
/// 5–20:1; deflate's ceiling is about 1032:1.
pub const MAX_RATIO: u64 = 200;

/// Counts bytes read from the file (before any decompression) into a shared cell.
pub struct Counted<R> {
    pub inner: R,
    pub n: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

/// Fails once decompressed output outgrows the compressed input by more than [`MAX_RATIO`].
pub struct RatioGuard<R> {
    pub inner: R,
    pub compressed: Rc<Cell<u64>>,
    pub out: u64,
}

impl<R: Read> RatioGuard<R> {
    pub fn new(inner: R, compressed: Rc<Cell<u64>>) -> Self {
        RatioGuard {
            inner,
            compressed,
            out: 0,
        }
    }
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.out += k as u64;
        if self.out > RATIO_FLOOR && self.out / self.compressed.get().max(1) > MAX_RATIO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed size is over {MAX_RATIO} times the compressed size after {} MiB (a decompression bomb?); scan stopped",
                    self.out >> 20
                ),
            ));
        }
        Ok(k)
    }
}

/// Fails on a line longer than `max` bytes, so line-oriented readers never buffer without bound.
pub struct LineCap<R> {
    pub inner: R,
    pub run: usize,
    pub max: usize,
    pub offset: u64,
}

impl<R: Read> LineCap<R> {
    pub fn new(inner: R, max: usize) -> Self {
        LineCap {
            inner,
            run: 0,
            max,
            offset: 0,
        }
    }
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        match memchr::memrchr(b'\n', &buf[..k]) {
            Some(i) => self.run = k - i - 1,
            None => self.run += k,
        }
        self.offset += k as u64;
        if self.run > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a line longer than {} MiB ends near byte {}; not a line-oriented export",
                    self.max >> 20,
                    self.offset
                ),
            ));
        }
        Ok(k)
    }
}

/// The record format of a (decompressed) stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Xml,
    Pdf,
    Empty,
    Binary,
}

impl Format {
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Xml => "xml",
            Format::Pdf => "pdf",
            Format::Empty | Format::Binary => return None,
        })
    }
}

/// Each non-blank line of a JSON-lines stream, parsed (exports and audit logs share this).
pub fn json_lines<R: BufRead>(mut r: R, mut each: impl FnMut(serde_json::Result<serde_json::Value>)) -> io::Result<()> {
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let t = line.trim_ascii();
        if !t.is_empty() {
            each(serde_json::from_slice(t));
        }
    }
}

/// Decide the format from the first bytes (never from the file name).
pub fn detect(head: &[u8]) -> Format {
    let h = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = h.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else { return Format::Empty };
    let h = &h[start..];
    if h.starts_with(b"%PDF-") {
        return Format::Pdf;
    }
    let ctrl = h.iter().take(4096).filter(|&&b| b == 0).count();
    if ctrl > 0 {
        return Format::Binary;
    }
    match h[0] {
        b'[' => Format::Json,
        b'<' => Format::Xml,
        b'{' => {
            let line = memchr::memchr(b'\n', h).map_or(h, |i| &h[..i]);
            if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
                Format::Ndjson
            } else {
                Format::Json
            }
        }
        _ => Format::Csv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_from_content() {
        assert_eq!(detect(b"\xef\xbb\xbfa,b\n1,2\n"), Format::Csv);
        assert_eq!(detect(b"  [ {\"a\":1} ]"), Format::Json);
        assert_eq!(detect(b"{\"a\":1}\n{\"a\":2}\n"), Format::Ndjson);
        assert_eq!(detect(b"{\n  \"rows\": [\n"), Format::Json);
        assert_eq!(detect(b""), Format::Empty);
        assert_eq!(detect(b"%PDF-1.7"), Format::Pdf);
    }

    #[test]
    fn line_cap_stops_long_lines() {
        let data = vec![b'a'; 5000];
        let mut r = LineCap::new(&data[..], 1000);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("line longer"));
        let ok = b"abc\ndef\n".repeat(1000);
        assert!(io::copy(&mut LineCap::new(&ok[..], 10), &mut io::sink()).is_ok());
    }
}
