//! A reader that hashes what passes through it, so a probe scans and hashes a file in one
//! pass and no file is ever read twice.

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Wraps a reader; every byte read is fed to SHA-256 and counted.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    progress: Option<crate::probe::ByteSink>,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            progress: None,
        }
    }

    /// Report the position to `sink` after every read (a byte-based progress bar).
    pub fn set_progress(&mut self, sink: Option<crate::probe::ByteSink>) {
        self.progress = sink;
    }

    /// Read whatever the consumer left unread, so the hash covers the whole input, then finish.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((hex::encode(self.hasher.finalize()), self.bytes))
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        if let Some(p) = &self.progress {
            p(self.bytes);
        }
        Ok(n)
    }
}

/// Hash a whole file (for resources no probe scans yet), through the input layer as a side
/// file: capped, and a pipe waits at most the default `--timeout`.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    super::hash(path, super::Kind::SideFile, super::DEFAULT_WAIT)
}

/// Turn an I/O error into the message a resource's `error` fact carries.
pub fn describe(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "file not found".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_known_vector_after_partial_read() {
        let data = b"abc";
        let mut r = HashingReader::new(&data[..]);
        let mut one = [0u8; 1];
        r.read_exact(&mut one).unwrap();
        let (h, n) = r.finish().unwrap();
        assert_eq!(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(n, 3);
    }

    #[test]
    fn directory_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(hash_file(d.path()).is_err());
        assert_eq!(
            describe(&hash_file(&d.path().join("nope")).unwrap_err()),
            "file not found"
        );
    }
}
