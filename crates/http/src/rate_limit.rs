//! A per-token request limiter for the REST API, with the numbers GitHub's
//! clients read from `X-RateLimit-*`. Its state is per node and safe to
//! lose: a restart only forgives callers early.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Who is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateKey {
    Token(i64),
    User(i64),
    Address(IpAddr),
    Unknown,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub used: u32,
    /// Seconds since the epoch when the window resets.
    pub reset: u64,
}

impl RateStatus {
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
}

const WINDOW: Duration = Duration::from_hours(1);
const PRUNE_AT: usize = 10_000;

pub struct RateLimiter {
    /// Requests per window for a token or signed-in user.
    pub per_token: u32,
    /// Requests per window for an anonymous address.
    pub per_address: u32,
    windows: Mutex<HashMap<RateKey, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_token: u32) -> Self {
        RateLimiter {
            per_token,
            per_address: (per_token / 10).max(60),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `key` at `now`.
    /// Where `key` stands, without counting a request (GitHub's
    /// `/rate_limit` costs nothing).
    pub fn peek(&self, key: RateKey, now: SystemTime) -> RateStatus {
        let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let limit = match key {
            RateKey::Token(_) | RateKey::User(_) => self.per_token,
            RateKey::Address(_) | RateKey::Unknown => self.per_address,
        };
        let windows = self.windows.lock().expect("rate limiter lock");
        match windows.get(&key) {
            Some(&(reset, used)) if reset > secs => RateStatus { limit, used, reset },
            _ => RateStatus {
                limit,
                used: 0,
                reset: secs + WINDOW.as_secs(),
            },
        }
    }

    pub fn hit(&self, key: RateKey, now: SystemTime) -> RateStatus {
        let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let limit = match key {
            RateKey::Token(_) | RateKey::User(_) => self.per_token,
            RateKey::Address(_) | RateKey::Unknown => self.per_address,
        };
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() > PRUNE_AT {
            windows.retain(|_, (reset, _)| *reset > secs);
        }
        let entry = windows.entry(key).or_insert((secs + WINDOW.as_secs(), 0));
        if entry.0 <= secs {
            *entry = (secs + WINDOW.as_secs(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
        RateStatus {
            limit,
            used: entry.1,
            reset: entry.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_window_which_resets_after_an_hour() {
        let limiter = RateLimiter::new(2);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let a = RateKey::Token(1);
        assert_eq!(limiter.hit(a, t0).remaining(), 1);
        assert_eq!(limiter.hit(a, t0).remaining(), 0);
        let third = limiter.hit(a, t0);
        assert!(third.exceeded());
        assert_eq!(third.reset, 1_000_000 + 3600);
        assert!(!limiter.hit(RateKey::Token(2), t0).exceeded());
        assert_eq!(limiter.peek(a, t0).used, 3, "a peek counts nothing");
        assert_eq!(limiter.peek(RateKey::Token(9), t0).used, 0);
        let later = limiter.hit(a, t0 + WINDOW);
        assert_eq!(later.used, 1);
        assert_eq!(limiter.hit(RateKey::Unknown, t0).limit, 60);
    }
}
