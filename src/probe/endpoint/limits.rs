//! ② Politeness across a run: at most [`PER_HOST`] endpoint probes (each holds one connection
//! at a time) talk to the same host at once, whatever `--concurrency` says; and the backoff
//! rule for 429/5xx answers (`Retry-After` honoured, bounded by the host's budget). Input: a
//! host key or a response's headers; output: a permit or a wait. No I/O (it only blocks).
//! The table of hosts belongs to one run ([`crate::probe::RunState`]), not to the process.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Concurrent connections to one host (name and port) across the run.
pub const PER_HOST: usize = 2;
/// Retries of a request answered 429/502/503/504.
pub const MAX_RETRIES: u32 = 2;
/// The longest single wait a `Retry-After` may ask for; longer ones are not waited out.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Probes holding each host (name and port) in one run.
#[derive(Debug, Default)]
pub struct HostLimits {
    held: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

/// The right to connect to one host; released on drop.
pub struct Permit<'a> {
    limits: &'a HostLimits,
    key: String,
}

impl HostLimits {
    /// Waits until fewer than [`PER_HOST`] probes hold `key` (e.g. `api.acme.example:443`).
    pub fn acquire(&self, key: &str) -> Permit<'_> {
        let mut t = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while t.get(key).copied().unwrap_or(0) >= PER_HOST {
            t = self.freed.wait(t).unwrap_or_else(|p| p.into_inner());
        }
        *t.entry(key.to_string()).or_insert(0) += 1;
        Permit {
            limits: self,
            key: key.to_string(),
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let (m, cv) = (&self.limits.held, &self.limits.freed);
        let mut t = m.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.key);
            }
        }
        cv.notify_all();
    }
}

/// Whether a status invites a retry later.
pub fn retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// `Retry-After` as a wait from `now`: delta-seconds or an HTTP date (RFC 9110 10.2.3).
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// How long to wait before retry number `attempt` (0-based), or None when the wait would not
/// leave one more `timeout` inside the host's `deadline` (or exceeds [`MAX_WAIT`]).
pub fn backoff(attempt: u32, retry_after: Option<Duration>, timeout: Duration, deadline: Instant) -> Option<Duration> {
    if attempt >= MAX_RETRIES {
        return None;
    }
    // Without Retry-After: 0.5 s, then 1 s.
    let wait = retry_after.unwrap_or(Duration::from_millis(500) * 2u32.pow(attempt));
    if wait > MAX_WAIT || Instant::now() + wait + timeout > deadline {
        return None;
    }
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn backoff_stays_inside_the_budget() {
        let t = Duration::from_secs(1);
        let far = Instant::now() + Duration::from_secs(60);
        assert_eq!(backoff(0, None, t, far), Some(Duration::from_millis(500)));
        assert_eq!(backoff(1, None, t, far), Some(Duration::from_secs(1)));
        assert_eq!(backoff(2, None, t, far), None);
        assert_eq!(backoff(0, Some(Duration::from_secs(3600)), t, far), None);
        let near = Instant::now() + Duration::from_secs(2);
        assert_eq!(backoff(0, Some(Duration::from_secs(5)), t, near), None);
    }

    #[test]
    fn permits_cap_one_host_and_release_on_drop() {
        let key = "limits-test.invalid:1";
        let limits = std::sync::Arc::new(HostLimits::default());
        let a = limits.acquire(key);
        let b = limits.acquire(key);
        assert_eq!(limits.held.lock().unwrap().get(key), Some(&2));
        let l2 = limits.clone();
        let waiter = std::thread::spawn(move || {
            let _c = l2.acquire(key);
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "a third permit was granted while two were held");
        drop(a);
        waiter.join().unwrap();
        drop(b);
        assert_eq!(limits.held.lock().unwrap().get(key), None);
    }
}
