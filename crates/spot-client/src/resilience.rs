//! How a client copes with limits and faults: shared rate-limit state, timeouts, the circuit
//! breaker's threshold and cool-down, how long to wait for the window, read retries.

use std::path::PathBuf;
use std::time::Duration;

/// Default timeout of establishing a connection, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;

/// How a client copes with limits and faults.
#[derive(Clone, Debug)]
pub struct Resilience {
    /// Folder of the shared rate-limit state (the caller's state folder); `None` keeps it in this process.
    pub state_dir: Option<PathBuf>,
    /// Timeout of establishing a connection.
    pub connect_timeout: Duration,
    /// Transport failures or 5XX in a row that open the circuit.
    pub circuit_threshold: u32,
    /// How long an open circuit refuses requests.
    pub circuit_cooldown: Duration,
    /// The longest a request waits for the rate-limit window instead of being refused.
    pub max_wait: Duration,
    /// Retries of a read after the first attempt.
    pub read_retries: usize,
    /// Total time a read may spend on attempts and backoff.
    pub read_budget: Duration,
}

impl Default for Resilience {
    fn default() -> Resilience {
        Resilience {
            state_dir: None,
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS),
            circuit_threshold: crate::circuit::DEFAULT_THRESHOLD,
            circuit_cooldown: crate::circuit::DEFAULT_COOLDOWN,
            max_wait: crate::governor::DEFAULT_MAX_WAIT,
            read_retries: 3,
            read_budget: Duration::from_secs(10),
        }
    }
}
