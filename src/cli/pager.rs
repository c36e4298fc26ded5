//! Paging the terminal table through `$PAGER`, as git does: only when stdout is a terminal, the
//! text is longer than the screen, and `--no-pager` was not given. The decision is a pure
//! function ([`should_page`]); running the pager is the I/O around it.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

/// The pager when `$PAGER` is unset: `-R` passes the table's colours through.
const DEFAULT_PAGER: &str = "less -R";

/// Whether to page: on a terminal, not refused, and longer than the screen's `rows` (a screen
/// of unknown height is never paged: guessing wrong would hide a short table behind a pager).
pub fn should_page(is_tty: bool, no_pager: bool, lines: usize, rows: Option<u16>) -> bool {
    is_tty && !no_pager && rows.is_some_and(|r| r > 0 && lines > r as usize)
}

/// The screen's height: `LINES` when set (as shells export it), else the terminal's.
fn screen_rows() -> Option<u16> {
    if let Some(n) = std::env::var("LINES").ok().and_then(|l| l.trim().parse().ok()) {
        return Some(n);
    }
    terminal_rows()
}

#[cfg(unix)]
fn terminal_rows() -> Option<u16> {
    // SAFETY: TIOCGWINSZ only fills the winsize passed to it; a failure leaves it zeroed.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_row > 0).then_some(ws.ws_row)
}

#[cfg(not(unix))]
fn terminal_rows() -> Option<u16> {
    None
}

/// Write `text` to stdout, through the pager when [`should_page`] says so. A pager that cannot
/// be started (or an empty `PAGER`, or `cat`) leaves the text to stdout.
pub fn write(text: &str, no_pager: bool) -> anyhow::Result<()> {
    let tty = std::io::stdout().is_terminal();
    if should_page(tty, no_pager, text.lines().count(), screen_rows()) {
        let pager = std::env::var("PAGER").unwrap_or_else(|_| DEFAULT_PAGER.to_string());
        let pager = pager.trim();
        if !pager.is_empty() && pager != "cat" {
            // Through the shell, as git runs it: PAGER may carry arguments ("less -R").
            let child = Command::new("sh")
                .arg("-c")
                .arg(pager)
                .stdin(Stdio::piped())
                .env("LESS", std::env::var("LESS").unwrap_or_else(|_| "R".into()))
                .spawn();
            if let Ok(mut child) = child {
                if let Some(mut stdin) = child.stdin.take() {
                    // A reader who quits the pager early closes the pipe: not an error.
                    let _ = stdin.write_all(text.as_bytes());
                }
                let _ = child.wait();
                return Ok(());
            }
        }
    }
    super::write_stdout(text)
}

#[cfg(test)]
mod tests {
    use super::should_page;

    #[test]
    fn pages_only_a_long_table_on_a_terminal() {
        assert!(should_page(true, false, 100, Some(40)));
        assert!(!should_page(true, false, 40, Some(40)), "fits the screen");
        assert!(!should_page(false, false, 100, Some(40)), "not a terminal");
        assert!(!should_page(true, true, 100, Some(40)), "--no-pager");
        assert!(!should_page(true, false, 100, None), "height unknown");
        assert!(!should_page(true, false, 100, Some(0)), "height zero");
    }
}
