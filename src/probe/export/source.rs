//! ② Collect (export probe): opening an export. Input: a path and how long to wait for a
//! FIFO's writer; output: a hashing reader over the file. Does I/O (read-only; nothing is ever
//! written to the path).
//!
//! A regular file is opened as usual. A FIFO is opened with `O_NONBLOCK` — a blocking open
//! would wait forever for a writer that never comes — and each read that finds no data waits
//! for it with `poll` up to the limit, so a FIFO with no writer, or a writer that stalls, ends
//! the scan with an error instead of hanging it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use crate::probe::hashing::HashingReader;

/// An export being read: a regular file, or a FIFO read with a deadline.
pub enum Source {
    File(File),
    Fifo(Fifo),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(f) => f.read(buf),
            Source::Fifo(f) => f.read(buf),
        }
    }
}

/// A FIFO opened without blocking; reads wait up to `wait` for data.
pub struct Fifo {
    file: File,
    wait: Duration,
    /// A writer has been seen (data, or a writer that came and went): from then on a read of 0
    /// bytes is the end of the stream; before, it only means no writer has opened the FIFO yet.
    writer_seen: bool,
    timed_out: bool,
}

impl Fifo {
    fn timeout_error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "a FIFO that gave no data for {} s (no writer opened it, or the writer stalled): scan stopped",
                self.wait.as_secs_f64()
            ),
        )
    }

    /// Wait until the FIFO is readable (data, or a writer that closed); false on timeout.
    fn poll(&self) -> io::Result<bool> {
        let mut p = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(self.wait.as_millis()).unwrap_or(libc::c_int::MAX);
        loop {
            // SAFETY: one valid pollfd for a descriptor this struct owns, for the call only.
            let r = unsafe { libc::poll(&mut p, 1, ms) };
            if r >= 0 {
                return Ok(r > 0);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

impl Read for Fifo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.timed_out {
            return Err(self.timeout_error());
        }
        loop {
            match self.file.read(buf) {
                Ok(0) if !self.writer_seen && !buf.is_empty() => {}
                Ok(n) => {
                    self.writer_seen = true;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.writer_seen = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if !self.poll()? {
                self.timed_out = true;
                return Err(self.timeout_error());
            }
            // Readable: data, or a writer that has come and gone (then the next read is 0 and,
            // with `writer_seen`, the end of the stream).
            self.writer_seen = true;
        }
    }
}

/// Open an export for a hashing scan. A directory is an error, not an empty file; a FIFO
/// waits at most `wait` for data at each read.
pub fn open(path: &Path, wait: Duration) -> io::Result<HashingReader<BufReader<Source>>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, not a file",
        ));
    }
    // Always opened without blocking (the path could become a FIFO after the check above);
    // the flag is cleared again for anything that is not a FIFO.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let src = if file.metadata()?.file_type().is_fifo() {
        Source::Fifo(Fifo {
            file,
            wait,
            writer_seen: false,
            timed_out: false,
        })
    } else {
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor owned by `file`, which outlives both calls.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Source::File(file)
    };
    Ok(HashingReader::new(BufReader::with_capacity(256 * 1024, src)))
}
