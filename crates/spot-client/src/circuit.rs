//! The circuit breaker of one environment: after `threshold` transport failures or 5XX answers
//! in a row it opens for a cool-down, during which requests are refused before sending; then
//! one trial request half-opens it, and its success closes it (its failure opens it again).

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::error::Unavailable;

/// Consecutive failures that open the circuit.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// How long an open circuit refuses requests.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// The breaker's state, for a status report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum CircuitState {
    /// Requests go out.
    Closed,
    /// Requests are refused until the cool-down ends.
    Open,
    /// The cool-down ended: the next request is a trial.
    HalfOpen,
}

#[derive(Debug, Default)]
struct State {
    consecutive_failures: u32,
    open_until_ms: Option<i64>,
    trial_in_flight: bool,
}

/// A circuit breaker.
#[derive(Debug)]
pub struct Circuit {
    threshold: u32,
    cooldown_ms: i64,
    state: Mutex<State>,
}

/// Leave to send one request; report how it went with `success` or `failure`. Dropped
/// unreported (the caller was cancelled), a trial frees the slot for the next request.
#[derive(Debug)]
pub struct Permit<'a> {
    circuit: &'a Circuit,
    trial: bool,
    reported: bool,
}

impl Circuit {
    pub fn new(threshold: u32, cooldown: Duration) -> Circuit {
        Circuit {
            threshold: threshold.max(1),
            cooldown_ms: i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Leave to send at `now_ms`, or why not.
    pub fn admit(&self, now_ms: i64) -> Result<Permit<'_>, Unavailable> {
        let mut state = self.state();
        let Some(until) = state.open_until_ms else {
            return Ok(Permit {
                circuit: self,
                trial: false,
                reported: false,
            });
        };
        let failures = state.consecutive_failures;
        if now_ms < until {
            return Err(Unavailable::CircuitOpen {
                failures,
                retry_at_ms: until,
            });
        }
        if state.trial_in_flight {
            // Another request is the trial; its answer decides.
            return Err(Unavailable::CircuitOpen {
                failures,
                retry_at_ms: now_ms + 1_000,
            });
        }
        state.trial_in_flight = true;
        Ok(Permit {
            circuit: self,
            trial: true,
            reported: false,
        })
    }

    /// `(state, consecutive failures, end of the cool-down)` at `now_ms`.
    pub fn status(&self, now_ms: i64) -> (CircuitState, u32, Option<i64>) {
        let state = self.state();
        let circuit = match state.open_until_ms {
            None => CircuitState::Closed,
            Some(until) if now_ms < until => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        };
        (circuit, state.consecutive_failures, state.open_until_ms)
    }
}

impl Permit<'_> {
    /// Binance answered (anything but a 5XX): the circuit closes.
    pub fn success(mut self) {
        self.reported = true;
        let mut state = self.circuit.state();
        *state = State::default();
    }

    /// A transport failure or a 5XX at `now_ms`. Returns the end of the cool-down when this
    /// failure opened (or re-opened) the circuit.
    pub fn failure(mut self, now_ms: i64) -> Option<i64> {
        self.reported = true;
        let mut state = self.circuit.state();
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        state.trial_in_flight = false;
        let closed = state.open_until_ms.is_none();
        if self.trial || (closed && state.consecutive_failures >= self.circuit.threshold) {
            let until = now_ms.saturating_add(self.circuit.cooldown_ms);
            state.open_until_ms = Some(until);
            return Some(until);
        }
        None
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.reported {
            self.circuit.state().trial_in_flight = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cooldown() {
        let c = Circuit::new(3, Duration::from_millis(1_000));
        for t in 0..2 {
            assert_eq!(c.admit(t).expect("closed").failure(t), None);
        }
        assert_eq!(c.admit(2).expect("closed").failure(2), Some(1_002));
        assert_eq!(c.status(500).0, CircuitState::Open);
        let refused = c.admit(500).expect_err("open");
        assert_eq!(
            refused,
            Unavailable::CircuitOpen {
                failures: 3,
                retry_at_ms: 1_002
            }
        );
        // After the cool-down exactly one trial goes out.
        assert_eq!(c.status(1_002).0, CircuitState::HalfOpen);
        let trial = c.admit(1_002).expect("trial");
        assert!(c.admit(1_003).is_err(), "only one trial at a time");
        trial.success();
        assert_eq!(c.status(1_004), (CircuitState::Closed, 0, None));
        assert!(c.admit(1_004).is_ok());
    }

    #[test]
    fn a_failed_trial_reopens_and_an_abandoned_one_frees_the_slot() {
        let c = Circuit::new(1, Duration::from_millis(100));
        assert_eq!(c.admit(0).expect("closed").failure(0), Some(100));
        assert_eq!(c.admit(100).expect("trial").failure(100), Some(200));
        assert_eq!(c.status(150).0, CircuitState::Open);
        drop(c.admit(200).expect("trial"));
        c.admit(201)
            .expect("a new trial after the first was abandoned")
            .success();
        assert_eq!(c.status(202).0, CircuitState::Closed);
    }

    #[test]
    fn a_success_resets_the_count() {
        let c = Circuit::new(2, Duration::from_millis(100));
        assert_eq!(c.admit(0).expect("closed").failure(0), None);
        c.admit(1).expect("closed").success();
        assert_eq!(c.admit(2).expect("closed").failure(2), None);
        assert_eq!(c.status(3), (CircuitState::Closed, 1, None));
    }
}
