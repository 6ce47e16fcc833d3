//! Slowing password and second-factor guessing without locking anybody out.
//!
//! Two independent budgets, both in memory and bounded:
//! - **per account**, whatever the source address: the first [`FREE_ACCOUNT_FAILURES`] failures cost
//!   nothing; after that each attempt must wait [`FIRST_DELAY`], doubling with every further failure up
//!   to [`MAX_DELAY`]. Attempts made during the wait are refused without checking the password, so an
//!   attacker spreading guesses over many addresses gains nothing. A success (or an administrator)
//!   clears it.
//! - **per source address**: up to [`ADDRESS_BUDGET`] failures per [`ADDRESS_WINDOW`]; beyond that each
//!   attempt from the address is answered only after [`ADDRESS_SLOWDOWN`]. It is never refused, so the
//!   users behind one NAT, VDI or reverse proxy are slowed, not locked out.
//!
//! At most [`MAX_TRACKED_KEYS`] keys are kept per budget; beyond that the least recently failed are
//! forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one account that cost nothing.
pub const FREE_ACCOUNT_FAILURES: u32 = 5;
/// The wait after the first failure beyond the free ones; it doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait imposed on one account.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures from one address per window before its attempts are slowed.
pub const ADDRESS_BUDGET: u32 = 100;
/// The window of the per-address budget.
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60 * 60);
/// How long an attempt from an address over its budget is held before it is checked.
pub const ADDRESS_SLOWDOWN: Duration = Duration::from_secs(5);
/// Keys kept per budget (accounts, addresses).
pub const MAX_TRACKED_KEYS: usize = 100_000;
/// An account's failures are forgotten this long after the last one.
pub const ACCOUNT_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// What to do with one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the credentials now.
    Go,
    /// Check the credentials after holding the request this long (the address is over its budget).
    Slow(Duration),
    /// Refuse without checking: the account must wait this much longer.
    Wait(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    /// The last failure (accounts) or the start of the window (addresses).
    since: Instant,
    last: Instant,
}

#[derive(Default)]
struct Table(HashMap<String, Record>);

impl Table {
    fn fail(&mut self, key: String, now: Instant, window: Option<Duration>) -> u32 {
        if self.0.len() >= MAX_TRACKED_KEYS && !self.0.contains_key(&key) {
            self.evict();
        }
        let r = self.0.entry(key).or_insert(Record {
            failures: 0,
            since: now,
            last: now,
        });
        if window.is_some_and(|w| now.duration_since(r.since) >= w) {
            r.failures = 0;
            r.since = now;
        }
        r.failures += 1;
        r.last = now;
        r.failures
    }

    /// Forget the least recently failed tenth (one sort per many inserts, not a scan per insert).
    fn evict(&mut self) {
        let mut lasts: Vec<Instant> = self.0.values().map(|r| r.last).collect();
        lasts.sort_unstable();
        let cut = lasts[lasts.len() / 10];
        self.0.retain(|_, r| r.last > cut);
    }
}

/// The wait an account with `failures` failures owes after its last one.
pub fn account_delay(failures: u32) -> Duration {
    if failures < FREE_ACCOUNT_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_ACCOUNT_FAILURES).min(20);
    FIRST_DELAY.saturating_mul(1u32 << doublings).min(MAX_DELAY)
}

#[derive(Default)]
pub struct LoginThrottle {
    accounts: Mutex<Table>,
    addresses: Mutex<Table>,
}

fn account_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The account budget of an account's second-factor codes (kept apart from its passwords).
pub fn second_factor_key(username: &str) -> String {
    format!("totp:{username}")
}

impl LoginThrottle {
    /// May an attempt for `username` from `ip` be checked at `now`?
    pub fn check(&self, ip: IpAddr, username: &str, now: Instant) -> Verdict {
        {
            let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(r) = accounts.0.get(&account_key(username)) {
                if now.duration_since(r.last) < ACCOUNT_MEMORY {
                    let due = r.last + account_delay(r.failures);
                    if due > now {
                        return Verdict::Wait(due - now);
                    }
                }
            }
        }
        let addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        match addresses.0.get(&ip.to_string()) {
            Some(r)
                if r.failures >= ADDRESS_BUDGET && now.duration_since(r.since) < ADDRESS_WINDOW =>
            {
                Verdict::Slow(ADDRESS_SLOWDOWN)
            }
            _ => Verdict::Go,
        }
    }

    /// Record a failed attempt; returns the account's failure count.
    pub fn failed(&self, ip: IpAddr, username: &str, now: Instant) -> u32 {
        self.addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail(ip.to_string(), now, Some(ADDRESS_WINDOW));
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if accounts
            .0
            .get(&account_key(username))
            .is_some_and(|r| now.duration_since(r.last) >= ACCOUNT_MEMORY)
        {
            accounts.0.remove(&account_key(username));
        }
        accounts.fail(account_key(username), now, None)
    }

    /// A correct password: the account's delay ends.
    pub fn succeeded(&self, username: &str) {
        self.clear(username);
    }

    /// End an account's delay (a success, or an administrator). True when there was one.
    pub fn clear(&self, username: &str) -> bool {
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .remove(&account_key(username))
            .is_some()
    }

    /// An administrator ends both of an account's delays, password and second factor.
    pub fn clear_account(&self, username: &str) -> bool {
        let password = self.clear(username);
        let second_factor = self.clear(&second_factor_key(username));
        password || second_factor
    }

    /// Accounts currently made to wait, with the remaining wait, for the administrator's page.
    pub fn delayed_accounts(&self, now: Instant) -> Vec<(String, u32, Duration)> {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = accounts
            .0
            .iter()
            .filter_map(|(k, r)| {
                let due = r.last + account_delay(r.failures);
                (due > now).then(|| (k.clone(), r.failures, due - now))
            })
            .collect();
        out.sort();
        out
    }
}

/// Wrong second-factor codes allowed for one pending login before it is discarded.
pub const MAX_SECOND_FACTOR_FAILURES: u32 = 5;

/// One-time use of TOTP codes and the bound on wrong codes per pending login.
#[derive(Default)]
pub struct SecondFactorGuard {
    /// The last time step accepted per user: a code of that step or an earlier one is refused.
    used: Mutex<HashMap<i64, u64>>,
    /// Wrong codes per pending session (by the digest of its id).
    failures: Mutex<HashMap<String, u32>>,
}

impl SecondFactorGuard {
    /// Accept `step` for `user` once: false when this step (or a later one) was already used.
    pub fn claim(&self, user: i64, step: u64) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.get(&user).is_some_and(|last| step <= *last) {
            return false;
        }
        if used.len() >= MAX_TRACKED_KEYS {
            used.clear();
        }
        used.insert(user, step);
        true
    }

    /// Record a wrong code; true when the pending login has now failed too often and must end.
    pub fn failed(&self, session: &str) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() >= MAX_TRACKED_KEYS && !f.contains_key(session) {
            f.clear();
        }
        let n = f.entry(session.to_string()).or_insert(0);
        *n += 1;
        if *n >= MAX_SECOND_FACTOR_FAILURES {
            f.remove(session);
            return true;
        }
        false
    }

    pub fn forget(&self, session: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, n])
    }

    #[test]
    fn an_account_is_slowed_after_five_failures_from_any_address_and_the_wait_doubles() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..FREE_ACCOUNT_FAILURES {
            assert_eq!(t.check(ip(2 + i as u8), "Admin", t0), Verdict::Go);
            t.failed(ip(2 + i as u8), "Admin", t0);
        }
        // A sixth address gains nothing: the account itself waits.
        assert_eq!(t.check(ip(9), "admin", t0), Verdict::Wait(FIRST_DELAY));
        let t1 = t0 + FIRST_DELAY;
        assert_eq!(t.check(ip(9), "admin", t1), Verdict::Go);
        t.failed(ip(9), "admin", t1);
        assert_eq!(t.check(ip(10), "admin", t1), Verdict::Wait(2 * FIRST_DELAY));
        // Other accounts are untouched.
        assert_eq!(t.check(ip(9), "nurse", t1), Verdict::Go);
        assert!(t.clear("ADMIN"));
        assert_eq!(t.check(ip(9), "admin", t1), Verdict::Go);
    }

    #[test]
    fn the_delay_is_capped() {
        assert_eq!(account_delay(4), Duration::ZERO);
        assert_eq!(account_delay(5), FIRST_DELAY);
        assert_eq!(account_delay(6), 2 * FIRST_DELAY);
        assert_eq!(account_delay(40), MAX_DELAY);
        assert_eq!(account_delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_busy_address_is_slowed_never_refused_and_its_window_ends() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..ADDRESS_BUDGET {
            t.failed(ip(2), &format!("user{i}"), t0);
        }
        assert_eq!(t.check(ip(2), "admin", t0), Verdict::Slow(ADDRESS_SLOWDOWN));
        assert_eq!(t.check(ip(3), "admin", t0), Verdict::Go);
        assert_eq!(t.check(ip(2), "admin", t0 + ADDRESS_WINDOW), Verdict::Go);
    }

    #[test]
    fn the_tables_stay_bounded() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED_KEYS + 10) {
            t.failed(
                ip(2),
                &format!("u{i}"),
                t0 + Duration::from_millis(i as u64),
            );
        }
        let n = t.accounts.lock().unwrap().0.len();
        assert!(n <= MAX_TRACKED_KEYS, "{n}");
        // The newest are kept.
        let last = format!("u{}", MAX_TRACKED_KEYS + 9);
        assert!(t.accounts.lock().unwrap().0.contains_key(&last));
    }

    #[test]
    fn a_code_works_once_and_five_wrong_codes_end_the_pending_login() {
        let g = SecondFactorGuard::default();
        assert!(g.claim(1, 100));
        assert!(!g.claim(1, 100), "the same code again");
        assert!(!g.claim(1, 99), "an older code after a newer one");
        assert!(g.claim(2, 100), "another user");
        assert!(g.claim(1, 101));
        for _ in 1..MAX_SECOND_FACTOR_FAILURES {
            assert!(!g.failed("s"));
        }
        assert!(g.failed("s"));
        assert!(!g.failed("s"), "a new count after the session ended");
    }
}
