//! The packet-rate limiter and the back-off schedule. Pure: time is a number of microseconds the
//! caller supplies, so the guarantees are provable in tests.
//!
//! # The model
//! The scanner sends in *steps*: an ICMP echo, a TCP connect, one request and its answer, a close.
//! Before a step it asks for a [`Grant`] declaring the most packets the step can put on the wire to
//! that host (SYN, retransmits, ACKs, data, RST — everything); after the step it reports when the step
//! ended and how many packets it really sent ([`RateLimiter::complete`]). A step's packets all lie
//! between its grant and its recorded end.
//!
//! A step for host *h* is granted at time *t* only if, for *h* and for the whole scan,
//! `declared(in-flight steps) + actual(steps that ended after t − 1 s) + declared(new step) ≤ cap`,
//! and a host has at most one step in flight.
//!
//! **Guarantee.** If no step sends more than it declared, then every half-open 1-second window
//! `[a, a + 1 s)` holds at most `per_host` packets to any one host and at most `overall` packets in
//! total. *Proof:* take the steps with a packet in the window and the last of them to be granted, at
//! `s* < a + 1 s`. Every other one was granted before `s*` and has a packet at or after `a`, so its
//! end is `≥ a > s* − 1 s`: at `s*` it was either in flight (counted with its declared cost) or ended
//! after `s* − 1 s` (counted with its actual cost). So all of their packets were counted in the check
//! that granted `s*`, which kept the sum at or under the cap. The property tests in this module run
//! random schedules (random costs, durations, packet times within each step, concurrent hosts) and
//! count every window.

use serde::Serialize;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Microseconds on the scanner's monotonic clock.
pub type Micros = u64;

/// The window the caps hold in: one second.
pub const WINDOW: Micros = 1_000_000;
/// Default cap on packets to one host in any 1-second window (about one TCP connect a second).
pub const DEFAULT_PER_HOST_RATE: u32 = 3;
/// Default cap on packets to all hosts together in any 1-second window.
pub const DEFAULT_OVERALL_RATE: u32 = 50;
/// Highest per-host cap accepted.
pub const MAX_PER_HOST_RATE: u32 = 1000;
/// Highest overall cap accepted.
pub const MAX_OVERALL_RATE: u32 = 10_000;

/// The caps, in packets per any 1-second window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimits {
    pub per_host: u32,
    pub overall: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_host: DEFAULT_PER_HOST_RATE,
            overall: DEFAULT_OVERALL_RATE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("per-host rate must be 1 to {MAX_PER_HOST_RATE} packets per second, got {0}")]
    PerHost(u32),
    #[error("overall rate must be 1 to {MAX_OVERALL_RATE} packets per second and at least the per-host rate, got {0}")]
    Overall(u32),
}

impl RateLimits {
    pub fn new(per_host: u32, overall: u32) -> Result<RateLimits, RateError> {
        if per_host == 0 || per_host > MAX_PER_HOST_RATE {
            return Err(RateError::PerHost(per_host));
        }
        if overall == 0 || overall > MAX_OVERALL_RATE || overall < per_host {
            return Err(RateError::Overall(overall));
        }
        Ok(RateLimits { per_host, overall })
    }
}

/// Permission to run one step. Hand it back to [`RateLimiter::complete`] (it is not `Clone`).
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a grant must be completed, or the host stays blocked"]
pub struct Grant {
    host: Ipv4Addr,
    declared: u32,
    start: Micros,
}

impl Grant {
    pub fn host(&self) -> Ipv4Addr {
        self.host
    }
    pub fn declared(&self) -> u32 {
        self.declared
    }
    pub fn start(&self) -> Micros {
        self.start
    }
}

/// Why a step cannot start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Ask again at this time (nothing in flight is in the way).
    Until(Micros),
    /// A step in flight is in the way: ask again after a completion.
    Completion,
    /// The step declares more packets than a cap allows in one window: it can never run.
    Never,
}

#[derive(Debug, Default, Clone)]
struct Account {
    /// (end, actual packets) of finished steps that may still count.
    done: Vec<(Micros, u32)>,
    /// Sum of the declared costs of steps in flight.
    in_flight: u32,
    steps_in_flight: u32,
}

impl Account {
    fn prune(&mut self, now: Micros) {
        self.done
            .retain(|(end, _)| end.saturating_add(WINDOW) > now);
    }

    /// Earliest time at or after `now` when a step of `cost` fits under `cap`.
    fn fits(&self, now: Micros, cost: u32, cap: u32) -> Result<(), Wait> {
        let recent: u64 = self.done.iter().map(|(_, c)| u64::from(*c)).sum();
        let fixed = u64::from(self.in_flight) + u64::from(cost);
        if recent + fixed <= u64::from(cap) {
            return Ok(());
        }
        if u64::from(cost) > u64::from(cap) {
            return Err(Wait::Never);
        }
        if fixed > u64::from(cap) {
            return Err(Wait::Completion);
        }
        let mut ends = self.done.clone();
        ends.sort_unstable();
        let mut left = recent;
        let mut at = now;
        for (end, c) in ends {
            left -= u64::from(c);
            at = end.saturating_add(WINDOW);
            if left + fixed <= u64::from(cap) {
                break;
            }
        }
        Err(Wait::Until(at.max(now + 1)))
    }
}

/// Per-host and overall sliding-window limiter. See the module docs for the guarantee.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: RateLimits,
    hosts: HashMap<Ipv4Addr, Account>,
    overall: Account,
    sent: u64,
    sent_to: HashMap<Ipv4Addr, u64>,
    over_budget: u64,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            hosts: HashMap::new(),
            overall: Account::default(),
            sent: 0,
            sent_to: HashMap::new(),
            over_budget: 0,
        }
    }

    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    /// Ask to start a step to `host` at `now` that sends at most `declared` packets.
    pub fn try_acquire(
        &mut self,
        host: Ipv4Addr,
        now: Micros,
        declared: u32,
    ) -> Result<Grant, Wait> {
        if declared > self.limits.per_host || declared > self.limits.overall {
            return Err(Wait::Never);
        }
        self.overall.prune(now);
        let acct = self.hosts.entry(host).or_default();
        acct.prune(now);
        if acct.steps_in_flight > 0 {
            return Err(Wait::Completion);
        }
        let h = acct.fits(now, declared, self.limits.per_host);
        let o = self.overall.fits(now, declared, self.limits.overall);
        match (h, o) {
            (Ok(()), Ok(())) => {
                acct.in_flight += declared;
                acct.steps_in_flight += 1;
                self.overall.in_flight += declared;
                self.overall.steps_in_flight += 1;
                Ok(Grant {
                    host,
                    declared,
                    start: now,
                })
            }
            (Err(Wait::Never), _) | (_, Err(Wait::Never)) => Err(Wait::Never),
            (Err(Wait::Completion), _) | (_, Err(Wait::Completion)) => Err(Wait::Completion),
            (Err(Wait::Until(a)), Err(Wait::Until(b))) => Err(Wait::Until(a.max(b))),
            (Err(w), Ok(())) | (Ok(()), Err(w)) => Err(w),
        }
    }

    /// The step of `grant` ended at `end` having sent `actual` packets. `end` may lie in the future
    /// when the step can still cause a packet after it returns (a late reply to a closed socket).
    /// Returns false when the step sent more than it declared (counted in [`Self::over_budget`]).
    pub fn complete(&mut self, grant: Grant, end: Micros, actual: u32) -> bool {
        let end = end.max(grant.start);
        let acct = self.hosts.entry(grant.host).or_default();
        acct.in_flight = acct.in_flight.saturating_sub(grant.declared);
        acct.steps_in_flight = acct.steps_in_flight.saturating_sub(1);
        self.overall.in_flight = self.overall.in_flight.saturating_sub(grant.declared);
        self.overall.steps_in_flight = self.overall.steps_in_flight.saturating_sub(1);
        if actual > 0 {
            acct.done.push((end, actual));
            self.overall.done.push((end, actual));
        }
        self.sent += u64::from(actual);
        *self.sent_to.entry(grant.host).or_default() += u64::from(actual);
        if actual > grant.declared {
            self.over_budget += u64::from(actual - grant.declared);
            false
        } else {
            true
        }
    }

    /// Packets the scanner learned about only afterwards (e.g. an ACK the kernel sent for data a
    /// server pushed between two steps): they count from `at` on, so later steps wait for them.
    pub fn charge(&mut self, host: Ipv4Addr, at: Micros, packets: u32) {
        if packets == 0 {
            return;
        }
        self.hosts.entry(host).or_default().done.push((at, packets));
        self.overall.done.push((at, packets));
        self.sent += u64::from(packets);
        *self.sent_to.entry(host).or_default() += u64::from(packets);
        self.over_budget += u64::from(packets);
    }

    /// Packets recorded for one host.
    pub fn sent_to(&self, host: Ipv4Addr) -> u64 {
        self.sent_to.get(&host).copied().unwrap_or(0)
    }

    /// Packets recorded so far (actual counts).
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Packets sent beyond what their steps declared (0 in a well-behaved scan).
    pub fn over_budget(&self) -> u64 {
        self.over_budget
    }
}

/// Largest number of packets in any half-open window `[a, a + WINDOW)` of these times (any order).
/// Used by tests and by the independent counters of the test network.
pub fn max_in_any_window(times: &[Micros]) -> usize {
    let mut t = times.to_vec();
    t.sort_unstable();
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..t.len() {
        while t[hi] >= t[lo] + WINDOW {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

/// When to slow down and when to stop probing a host that has stopped answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BackoffPolicy {
    /// Unanswered probes in a row before waiting longer between probes.
    pub silent_before_backoff: u32,
    /// First extra wait; it doubles with each further unanswered probe.
    pub base_delay: Micros,
    /// Longest extra wait.
    pub max_delay: Micros,
    /// Unanswered probes in a row after which the host is left alone.
    pub give_up_after: u32,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            silent_before_backoff: 2,
            base_delay: 1_000_000,
            max_delay: 16_000_000,
            give_up_after: 4,
        }
    }
}

/// A host's run of unanswered probes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    silent_in_a_row: u32,
}

impl Backoff {
    /// Any answer (reply, SYN-ACK, RST, ICMP unreachable) resets the run.
    pub fn answered(&mut self) {
        self.silent_in_a_row = 0;
    }

    pub fn silent(&mut self) {
        self.silent_in_a_row = self.silent_in_a_row.saturating_add(1);
    }

    pub fn silent_in_a_row(&self) -> u32 {
        self.silent_in_a_row
    }

    /// Extra wait before the next probe to this host.
    pub fn delay(&self, p: &BackoffPolicy) -> Micros {
        if self.silent_in_a_row < p.silent_before_backoff {
            return 0;
        }
        let doublings = (self.silent_in_a_row - p.silent_before_backoff).min(40);
        p.base_delay
            .saturating_mul(1u64 << doublings)
            .min(p.max_delay)
    }

    pub fn gave_up(&self, p: &BackoffPolicy) -> bool {
        self.silent_in_a_row >= p.give_up_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 5);

    #[test]
    fn a_full_step_waits_a_second_after_the_last_one_ended() {
        let mut l = RateLimiter::new(RateLimits::default());
        let g = l.try_acquire(H, 0, 3).unwrap();
        assert_eq!(
            l.try_acquire(H, 10, 1),
            Err(Wait::Completion),
            "one at a time"
        );
        assert!(l.complete(g, 5_000, 3));
        assert_eq!(l.try_acquire(H, 6_000, 1), Err(Wait::Until(1_005_000)));
        assert_eq!(l.try_acquire(H, 1_004_999, 1), Err(Wait::Until(1_005_000)));
        let g = l.try_acquire(H, 1_005_000, 3).unwrap();
        assert!(l.complete(g, 1_005_000, 1));
        // A cheaper step fits next to a one-packet step.
        let g = l.try_acquire(H, 1_005_001, 2).unwrap();
        assert!(!l.complete(g, 1_100_000, 3), "over budget is reported");
        assert_eq!(l.over_budget(), 1);
        assert_eq!(l.try_acquire(H, 0, 4), Err(Wait::Never));
    }

    #[test]
    fn the_overall_cap_counts_steps_in_flight_on_other_hosts() {
        let mut l = RateLimiter::new(RateLimits::new(3, 4).unwrap());
        let a = l.try_acquire(Ipv4Addr::new(10, 99, 0, 1), 0, 3).unwrap();
        assert_eq!(
            l.try_acquire(Ipv4Addr::new(10, 99, 0, 2), 1, 2),
            Err(Wait::Completion)
        );
        l.complete(a, 100, 1);
        assert!(l.try_acquire(Ipv4Addr::new(10, 99, 0, 2), 101, 3).is_ok());
    }

    #[test]
    fn backoff_doubles_then_gives_up() {
        let p = BackoffPolicy::default();
        let mut b = Backoff::default();
        let mut delays = vec![];
        while !b.gave_up(&p) {
            delays.push(b.delay(&p));
            b.silent();
        }
        assert_eq!(delays, vec![0, 0, 1_000_000, 2_000_000]);
        b.answered();
        assert_eq!(b.delay(&p), 0);
        assert!(!b.gave_up(&p));
    }

    #[test]
    fn window_counter() {
        assert_eq!(max_in_any_window(&[]), 0);
        assert_eq!(max_in_any_window(&[0, 999_999, 1_000_000]), 2);
        assert_eq!(max_in_any_window(&[5, 5, 5, 2_000_000]), 3);
    }

    /// One step of a simulated host: what it declares, how long it runs, when its packets go out
    /// (offsets within the step, as fractions of its duration) and whether its end is pushed later
    /// (the late-reply grace of a timed-out connect).
    #[derive(Debug, Clone)]
    struct SimStep {
        declared: u32,
        duration: Micros,
        packet_at: Vec<u16>,
        late_end: Micros,
    }

    fn step(max_cost: u32) -> impl Strategy<Value = SimStep> {
        (1..=max_cost + 1, 0..1_500_000u64, 0..3u8).prop_flat_map(|(declared, duration, late)| {
            (
                Just(declared),
                Just(duration),
                prop::collection::vec(
                    prop_oneof![Just(0u16), Just(u16::MAX), any::<u16>()],
                    0..=declared as usize,
                ),
                Just(if late == 0 { 1_000_000 } else { 0 }),
            )
                .prop_map(|(declared, duration, packet_at, late_end)| SimStep {
                    declared,
                    duration,
                    packet_at,
                    late_end,
                })
        })
    }

    fn schedule() -> impl Strategy<Value = (u32, u32, Vec<Vec<SimStep>>, Vec<u32>)> {
        (1..6u32, 0..10u32).prop_flat_map(|(per_host, extra)| {
            (
                Just(per_host),
                Just(per_host + extra),
                prop::collection::vec(prop::collection::vec(step(per_host), 0..12), 1..5),
                prop::collection::vec(1..400_000u32, 1..20),
            )
        })
    }

    /// Run the schedule against the limiter; returns each packet as (host index, time).
    fn simulate(
        limits: RateLimits,
        hosts: &[Vec<SimStep>],
        gaps: &[u32],
    ) -> (Vec<(usize, Micros)>, usize) {
        let mut l = RateLimiter::new(limits);
        let ips: Vec<Ipv4Addr> = (0..hosts.len())
            .map(|i| Ipv4Addr::new(10, 99, 0, i as u8 + 1))
            .collect();
        let mut next = vec![0usize; hosts.len()];
        let mut running: Vec<Option<(Grant, Micros)>> = (0..hosts.len()).map(|_| None).collect();
        let mut packets = vec![];
        let mut never = 0;
        let mut now: Micros = 0;
        for iter in 0..200_000usize {
            let mut wake = Micros::MAX;
            for h in 0..hosts.len() {
                if let Some((_, done_at)) = &running[h] {
                    if *done_at <= now {
                        let (g, _) = running[h].take().unwrap();
                        let s = &hosts[h][next[h] - 1];
                        let start = g.start();
                        for f in &s.packet_at {
                            let t = start + s.duration * u64::from(*f) / u64::from(u16::MAX);
                            packets.push((h, t));
                        }
                        assert!(l.complete(
                            g,
                            start + s.duration + s.late_end,
                            s.packet_at.len() as u32
                        ));
                    }
                }
            }
            for h in 0..hosts.len() {
                if running[h].is_some() {
                    wake = wake.min(running[h].as_ref().unwrap().1);
                    continue;
                }
                while next[h] < hosts[h].len() {
                    let s = &hosts[h][next[h]];
                    match l.try_acquire(ips[h], now, s.declared) {
                        Ok(g) => {
                            next[h] += 1;
                            let done_at = now + s.duration;
                            running[h] = Some((g, done_at));
                            wake = wake.min(done_at);
                            break;
                        }
                        Err(Wait::Never) => {
                            assert!(s.declared > limits.per_host);
                            never += 1;
                            next[h] += 1;
                        }
                        Err(Wait::Until(t)) => {
                            assert!(t > now);
                            // Callers may ask again a moment early: probe the boundary.
                            wake = wake.min(if t - 1 > now { t - 1 } else { t });
                            break;
                        }
                        Err(Wait::Completion) => break,
                    }
                }
            }
            let all_done =
                (0..hosts.len()).all(|h| running[h].is_none() && next[h] == hosts[h].len());
            if all_done {
                return (packets, never);
            }
            // Either jump to the next event or take a random smaller step (callers poll early too).
            let gap = u64::from(gaps[iter % gaps.len()]);
            now = if wake == Micros::MAX {
                now + gap
            } else {
                wake.min(now + gap)
            };
        }
        panic!("the schedule did not finish: the limiter stalled");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The limiter never lets more than the caps through in any 1-second window, per host and
        /// overall, whatever the costs, durations, packet times and interleaving; and it never
        /// stalls.
        #[test]
        fn never_more_than_the_caps_in_any_window((per_host, overall, hosts, gaps) in schedule()) {
            let limits = RateLimits::new(per_host, overall).unwrap();
            let (packets, _never) = simulate(limits, &hosts, &gaps);
            for h in 0..hosts.len() {
                let times: Vec<Micros> = packets.iter().filter(|p| p.0 == h).map(|p| p.1).collect();
                prop_assert!(max_in_any_window(&times) <= per_host as usize,
                    "host {h}: {} packets in one window, cap {per_host}", max_in_any_window(&times));
            }
            let all: Vec<Micros> = packets.iter().map(|p| p.1).collect();
            prop_assert!(max_in_any_window(&all) <= overall as usize);
        }

        /// The window counter agrees with a brute-force count over every window start.
        #[test]
        fn window_counter_matches_brute_force(times in prop::collection::vec(0..5_000_000u64, 0..40)) {
            let brute = times.iter().map(|a| times.iter().filter(|t| **t >= *a && **t < a + WINDOW).count()).max().unwrap_or(0);
            prop_assert_eq!(max_in_any_window(&times), brute);
        }
    }
}
