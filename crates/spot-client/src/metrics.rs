//! Request counters, the rate-limit headers last seen and recent latencies of one client, for
//! a status report (this process only; the shared budget is in `governor`).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Latencies kept for the percentiles.
const LATENCY_SAMPLES: usize = 256;

/// Request counters and the rate-limit headers last seen.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// `X-MBX-USED-WEIGHT-<interval>` values of the latest response, e.g. `"1M" -> 321`.
    pub used_weight: BTreeMap<String, u64>,
    /// `X-MBX-ORDER-COUNT-<interval>` values of the latest order response.
    pub order_count: BTreeMap<String, u64>,
    /// Requests sent (every attempt, retries included).
    pub requests: u64,
    /// Requests that failed: no answer, or an error status.
    pub errors: u64,
    /// Answers with HTTP 429 or 418.
    pub rate_limited: u64,
    /// Retries of reads after a failure.
    pub retries: u64,
    pub last_response_at: Option<Instant>,
    latencies: VecDeque<u32>,
}

impl Usage {
    /// Counts one attempt that took `elapsed`; `ok` when it got a 2XX.
    pub fn record(&mut self, elapsed: Duration, ok: bool) {
        self.requests += 1;
        if !ok {
            self.errors += 1;
        }
        if self.latencies.len() >= LATENCY_SAMPLES {
            self.latencies.pop_front();
        }
        self.latencies
            .push_back(u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX));
    }

    /// The `p`-th percentile (0-100) of recent latencies in ms (nearest rank), if any.
    pub fn latency_percentile(&self, p: u32) -> Option<u32> {
        let mut sorted: Vec<u32> = self.latencies.iter().copied().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let rank = (sorted.len() * p.min(100) as usize).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    }

    /// Latencies in the window of the percentiles.
    pub fn latency_samples(&self) -> usize {
        self.latencies.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank_of_recent_samples() {
        let mut u = Usage::default();
        assert_eq!(u.latency_percentile(50), None);
        for ms in 1..=100 {
            u.record(Duration::from_millis(ms), ms % 10 != 0);
        }
        assert_eq!((u.requests, u.errors), (100, 10));
        assert_eq!(u.latency_percentile(50), Some(50));
        assert_eq!(u.latency_percentile(99), Some(99));
        assert_eq!(u.latency_percentile(100), Some(100));
        for _ in 0..LATENCY_SAMPLES {
            u.record(Duration::from_millis(7), true);
        }
        assert_eq!(u.latency_samples(), LATENCY_SAMPLES);
        assert_eq!(u.latency_percentile(99), Some(7), "old samples age out");
    }
}
