//! Opening a file for the input layer: a regular file as usual, a FIFO without blocking, and
//! anything else (devices, sockets) refused before it is opened.
//!
//! A FIFO is opened with `O_NONBLOCK` — a blocking open would wait forever for a writer that
//! never comes — and each read that finds no data waits for it with `poll` up to the limit, so
//! a FIFO with no writer, or a writer that stalls, ends the read with an error instead of
//! hanging it. A file read whole (not streamed) also has a deadline for the whole read, so a
//! writer trickling a byte at a time cannot hold it open either. Character and block devices
//! are refused: `/dev/zero` or `/dev/urandom` never end, and opening some devices has side
//! effects (a tape rewinds, a terminal becomes ours).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use super::Refused;

/// A file being read: a regular file, or a FIFO read with a deadline.
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

/// A FIFO opened without blocking; reads wait up to `wait` for data, and none goes past
/// `deadline` when there is one.
pub struct Fifo {
    file: File,
    wait: Duration,
    deadline: Option<Instant>,
    /// A writer has been seen (data, or a writer that came and went): from then on a read of 0
    /// bytes is the end of the stream; before, it only means no writer has opened the FIFO yet.
    writer_seen: bool,
    /// Some data has come: a deadline that passes now is a slow writer, not a missing one.
    got_data: bool,
    timed_out: bool,
}

impl Fifo {
    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Stop reading: a writer that gave data but not all of it in time, or no data at all.
    fn give_up(&mut self) -> io::Error {
        self.timed_out = true;
        self.timeout_error()
    }

    fn timeout_error(&self) -> io::Error {
        // Read whole, some data came, none came in time: the deadline (which is at most the
        // wait after the last data) ends it; the file did not finish in time.
        if self.got_data && self.deadline.is_some() {
            Refused::Unfinished { wait: self.wait }.into()
        } else {
            Refused::Stalled { wait: self.wait }.into()
        }
    }

    /// Wait until the FIFO is readable (data, or a writer that closed); false on timeout.
    fn poll(&self) -> io::Result<bool> {
        let mut p = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let wait = match self.deadline {
            Some(d) => self.wait.min(d.saturating_duration_since(Instant::now())),
            None => self.wait,
        };
        // Rounded up, so a wait that ends at the deadline does not end just before it.
        let ms = libc::c_int::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX);
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
                // The end of the stream (or an empty buffer): never late.
                Ok(0) => return Ok(0),
                Ok(_) if self.past_deadline() => {
                    self.got_data = true;
                    return Err(self.give_up());
                }
                Ok(n) => {
                    self.writer_seen = true;
                    self.got_data = true;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.writer_seen = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if self.past_deadline() || !self.poll()? {
                return Err(self.give_up());
            }
            // Readable: data, or a writer that has come and gone (then the next read is 0 and,
            // with `writer_seen`, the end of the stream).
            self.writer_seen = true;
        }
    }
}

/// What a non-regular file is, for the refusal message; `None` for a file or a FIFO.
pub(super) fn refused_type(ft: std::fs::FileType) -> Option<Refused> {
    if ft.is_dir() {
        Some(Refused::Directory)
    } else if ft.is_char_device() {
        Some(Refused::NotAFile("character device"))
    } else if ft.is_block_device() {
        Some(Refused::NotAFile("block device"))
    } else if ft.is_socket() {
        Some(Refused::NotAFile("socket"))
    } else if ft.is_file() || ft.is_fifo() {
        None
    } else {
        Some(Refused::NotAFile("special file"))
    }
}

/// Open a regular file or a FIFO (a FIFO waits at most `wait` for data at each read and, when
/// `whole` — the file is read whole rather than streamed — for the whole read); refuse
/// directories, devices and sockets without opening them.
pub fn open(path: &Path, wait: Duration, whole: bool) -> io::Result<Source> {
    if let Some(r) = refused_type(std::fs::metadata(path)?.file_type()) {
        return Err(r.into());
    }
    // Always opened without blocking (the path could become a FIFO after the check above) and
    // without taking a terminal as ours; the flag is cleared again for a regular file.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let ft = file.metadata()?.file_type();
    if let Some(r) = refused_type(ft) {
        // Swapped for a device between the check and the open: nothing read.
        return Err(r.into());
    }
    if ft.is_fifo() {
        return Ok(Source::Fifo(Fifo {
            file,
            wait,
            deadline: whole.then(|| Instant::now() + wait),
            writer_seen: false,
            got_data: false,
            timed_out: false,
        }));
    }
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor owned by `file`, which outlives both calls.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Source::File(file))
}
