//! The refresh policy of a remote key set (and of discovered metadata), as a pure function: given
//! what is held, how old it is and when the last fetch happened, decide what a verification does.
//! No clock, no I/O, no randomness: `now` and the random `draw` are inputs, and [`crate::jwks`]
//! carries the decision out. The draw spreads instances that started together: each refresh
//! ahead falls at a random point of the window before `max_age`, and each retry after a failure
//! waits a random share of the backoff ("full jitter"), so a fleet drifts apart instead of
//! hitting the identity provider in step.

use std::time::{Duration, Instant};

/// The durations that govern a remote key set (express-oauth2-jwt-bearer's names, in ms in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Keys older than this are refreshed (`cacheMaxAge`, default 10 minutes).
    pub max_age: Duration,
    /// Least time between two fetches, unless no usable key is held (`cooldownDuration`,
    /// default 30 s); also the longest retry backoff after failures.
    pub cooldown: Duration,
    /// How long keys keep verifying while refreshes fail (`staleMaxAge`, default 24 h).
    pub stale_max_age: Duration,
}

/// What the policy needs to know about a key set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    /// When the keys held were fetched; `None` when none are held.
    pub fetched_at: Option<Instant>,
    /// When the last fetch, successful or not, started.
    pub last_attempt: Option<Instant>,
    /// Fetches failed since the last success.
    pub failures: u32,
    /// A fetch is running now.
    pub in_flight: bool,
    /// A uniform random number in `[0, 1]`, drawn anew when each fetch ends: where in the
    /// refresh-ahead window the next refresh falls (1: at its start), and what share of the
    /// backoff the next retry waits (1: all of it).
    pub draw: f64,
}

impl Default for State {
    /// Nothing held, nothing attempted, and a draw of 1: the earliest refresh and the whole backoff.
    fn default() -> State {
        State { fetched_at: None, last_attempt: None, failures: 0, in_flight: false, draw: 1.0 }
    }
}

/// What a verification does with the key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Use the keys held.
    Fresh,
    /// Use the keys held, and start a background refresh: they near `max_age`.
    RefreshAhead,
    /// Use the keys held although past `max_age` (refreshes are failing), and retry in the
    /// background when the backoff allows.
    ServeStale {
        /// Whether a background retry is due now.
        retry: bool,
    },
    /// Wait for a fetch (joining one in flight), then decide again.
    Fetch,
    /// The `kid` is unknown and a refetch happened too recently: reject without the network.
    CoolingDown,
    /// No usable keys and the retry backoff has not elapsed: reject without the network.
    Unavailable,
}

/// The refresh-ahead window ends at `max_age` and is this long: a fifth of it, at most a minute.
fn refresh_ahead_window(max_age: Duration) -> Duration {
    (max_age / 5).min(Duration::from_secs(60))
}

/// When keys of this age are refreshed ahead: `draw` of the window before `max_age`.
pub fn refresh_ahead_at(max_age: Duration, draw: f64) -> Duration {
    max_age.saturating_sub(refresh_ahead_window(max_age).mul_f64(unit(draw)))
}

/// `draw` held to `[0, 1]` (NaN counts as 1), so no draw can push a refresh past `max_age` or a
/// retry past the backoff.
fn unit(draw: f64) -> f64 {
    if draw.is_nan() { 1.0 } else { draw.clamp(0.0, 1.0) }
}

/// Time to wait after `failures` consecutive failures: 1 s doubling, capped by the cooldown.
pub fn backoff(failures: u32, cooldown: Duration) -> Duration {
    let doubling = Duration::from_secs(1).saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubling.min(cooldown)
}

/// Decides for a token whose `kid` the held keys do (`known`) or do not match.
pub fn decide(state: &State, timing: &Timing, now: Instant, known: bool) -> Decision {
    let since = |t: Option<Instant>| t.map(|t| now.saturating_duration_since(t));
    let age = since(state.fetched_at);
    let since_attempt = since(state.last_attempt);
    let may_fetch = |wait: Duration| state.in_flight || since_attempt.is_none_or(|s| s >= wait);
    let retry_wait = if state.failures == 0 {
        timing.cooldown
    } else {
        backoff(state.failures, timing.cooldown).mul_f64(unit(state.draw))
    };

    match age {
        Some(age) if age < timing.stale_max_age && known => {
            let due = age >= refresh_ahead_at(timing.max_age, state.draw);
            let retry = due && !state.in_flight && may_fetch(retry_wait);
            match (age < timing.max_age, retry) {
                (true, true) => Decision::RefreshAhead,
                (true, false) => Decision::Fresh,
                (false, retry) => Decision::ServeStale { retry },
            }
        }
        Some(age) if age < timing.stale_max_age => {
            if may_fetch(retry_wait) { Decision::Fetch } else { Decision::CoolingDown }
        }
        _ => {
            let wait = if state.failures == 0 { Duration::ZERO } else { retry_wait };
            if may_fetch(wait) { Decision::Fetch } else { Decision::Unavailable }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMING: Timing = Timing {
        max_age: Duration::from_secs(600),
        cooldown: Duration::from_secs(30),
        stale_max_age: Duration::from_secs(86_400),
    };

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    fn held(t0: Instant) -> State {
        State { fetched_at: Some(t0), last_attempt: Some(t0), ..State::default() }
    }

    #[test]
    fn with_nothing_held_the_first_verification_fetches() {
        assert_eq!(decide(&State::default(), &TIMING, Instant::now(), false), Decision::Fetch);
    }

    #[test]
    fn young_keys_are_used_without_the_network() {
        let t0 = Instant::now();
        assert_eq!(decide(&held(t0), &TIMING, at(t0, 539), true), Decision::Fresh);
    }

    #[test]
    fn keys_near_max_age_are_used_and_refreshed_in_the_background() {
        let t0 = Instant::now();
        assert_eq!(decide(&held(t0), &TIMING, at(t0, 540), true), Decision::RefreshAhead);
        let running = State { in_flight: true, ..held(t0) };
        assert_eq!(decide(&running, &TIMING, at(t0, 540), true), Decision::Fresh);
    }

    #[test]
    fn a_failing_refresh_ahead_is_retried_only_after_the_backoff() {
        let t0 = Instant::now();
        let failed = State { last_attempt: Some(at(t0, 545)), failures: 1, ..held(t0) };
        assert_eq!(decide(&failed, &TIMING, at(t0, 545), true), Decision::Fresh);
        assert_eq!(decide(&failed, &TIMING, at(t0, 546), true), Decision::RefreshAhead);
    }

    #[test]
    fn background_refreshes_never_come_closer_than_the_cooldown() {
        let t0 = Instant::now();
        let zero_max_age = Timing { max_age: Duration::ZERO, ..TIMING };
        assert_eq!(decide(&held(t0), &zero_max_age, at(t0, 29), true), Decision::ServeStale { retry: false });
        assert_eq!(decide(&held(t0), &zero_max_age, at(t0, 30), true), Decision::ServeStale { retry: true });
    }

    #[test]
    fn keys_past_max_age_are_served_while_a_refresh_runs() {
        let t0 = Instant::now();
        assert_eq!(decide(&held(t0), &TIMING, at(t0, 700), true), Decision::ServeStale { retry: true });
        let running = State { in_flight: true, ..held(t0) };
        assert_eq!(decide(&running, &TIMING, at(t0, 700), true), Decision::ServeStale { retry: false });
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
        let t0 = Instant::now();
        assert_eq!(decide(&held(t0), &TIMING, at(t0, 29), false), Decision::CoolingDown);
        assert_eq!(decide(&held(t0), &TIMING, at(t0, 30), false), Decision::Fetch);
    }

    #[test]
    fn an_unknown_kid_joins_a_fetch_in_flight() {
        let t0 = Instant::now();
        let running = State { in_flight: true, ..held(t0) };
        assert_eq!(decide(&running, &TIMING, at(t0, 1), false), Decision::Fetch);
    }

    #[test]
    fn while_refreshes_fail_stale_keys_serve_until_stale_max_age() {
        let t0 = Instant::now();
        let failing = State { last_attempt: Some(at(t0, 700)), failures: 3, ..held(t0) };
        assert_eq!(decide(&failing, &TIMING, at(t0, 703), true), Decision::ServeStale { retry: false });
        assert_eq!(decide(&failing, &TIMING, at(t0, 704), true), Decision::ServeStale { retry: true });
        assert_eq!(decide(&failing, &TIMING, at(t0, 86_399), true), Decision::ServeStale { retry: true });
        assert_eq!(decide(&failing, &TIMING, at(t0, 86_400), true), Decision::Fetch);
    }

    #[test]
    fn with_nothing_held_failures_back_off_before_the_next_fetch() {
        let t0 = Instant::now();
        let down = State { last_attempt: Some(t0), failures: 2, ..State::default() };
        assert_eq!(decide(&down, &TIMING, at(t0, 1), false), Decision::Unavailable);
        assert_eq!(decide(&down, &TIMING, at(t0, 2), false), Decision::Fetch);
    }

    #[test]
    fn the_refresh_ahead_point_is_the_draw_of_the_window_before_max_age() {
        let ten_minutes = Duration::from_secs(600);
        assert_eq!(refresh_ahead_at(ten_minutes, 1.0), Duration::from_secs(540));
        assert_eq!(refresh_ahead_at(ten_minutes, 0.5), Duration::from_secs(570));
        assert_eq!(refresh_ahead_at(ten_minutes, 0.0), ten_minutes);
        let two_seconds = Duration::from_secs(2);
        assert_eq!(refresh_ahead_at(two_seconds, 1.0), Duration::from_millis(1600), "[0.8, 1.0] × max_age when short");
        for draw in [-1.0, 2.0, f64::NAN] {
            let at = refresh_ahead_at(ten_minutes, draw);
            assert!((Duration::from_secs(540)..=ten_minutes).contains(&at), "{draw}: {at:?}");
        }
    }

    #[test]
    fn each_draw_moves_the_refresh_within_the_window_and_never_past_max_age() {
        let t0 = Instant::now();
        let late = State { draw: 0.25, ..held(t0) };
        assert_eq!(decide(&late, &TIMING, at(t0, 584), true), Decision::Fresh);
        assert_eq!(decide(&late, &TIMING, at(t0, 585), true), Decision::RefreshAhead);
        let latest = State { draw: 0.0, ..held(t0) };
        assert_eq!(decide(&latest, &TIMING, at(t0, 599), true), Decision::Fresh);
        assert_eq!(decide(&latest, &TIMING, at(t0, 600), true), Decision::ServeStale { retry: true });
    }

    #[test]
    fn a_retry_after_failures_waits_the_draw_of_the_backoff() {
        let t0 = Instant::now();
        let down = State { last_attempt: Some(t0), failures: 3, draw: 0.5, ..State::default() };
        assert_eq!(decide(&down, &TIMING, t0 + Duration::from_millis(1999), false), Decision::Unavailable);
        assert_eq!(decide(&down, &TIMING, t0 + Duration::from_millis(2000), false), Decision::Fetch);
        let at_once = State { draw: 0.0, ..down };
        assert_eq!(decide(&at_once, &TIMING, t0, false), Decision::Fetch);
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_the_cooldown() {
        let secs: Vec<u64> = (1..=7).map(|f| backoff(f, TIMING.cooldown).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(1, Duration::from_millis(100)), Duration::from_millis(100));
        assert_eq!(backoff(u32::MAX, TIMING.cooldown), TIMING.cooldown);
    }
}
