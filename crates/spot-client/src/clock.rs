//! The offset between the local clock and Binance's, measured from `GET /api/v3/time`.
//!
//! Signed requests carry `timestamp = local now + offset`; a drifting local clock would
//! otherwise make every signed call fail with -1021.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a measured offset is trusted before the next signed call re-measures it.
pub const RESYNC_AFTER: Duration = Duration::from_secs(10 * 60);
/// An offset larger than this (either way) is worth a warning: Binance rejects a timestamp
/// 1000 ms ahead of its clock, so the local clock should be fixed (NTP).
pub const DRIFT_WARN_MS: i64 = 1_000;

/// A measured clock offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockSample {
    /// Binance time minus local time, in ms (positive: the local clock is behind).
    pub offset_ms: i64,
    /// Round trip of the measuring request, in ms.
    pub round_trip_ms: u64,
    /// When it was measured.
    pub measured_at: Instant,
}

/// The clock of one environment.
#[derive(Debug, Default)]
pub struct Clock {
    sample: Mutex<Option<ClockSample>>,
    /// Whether the last measurement was beyond [`DRIFT_WARN_MS`] (so a warning goes out once per episode).
    drifting: AtomicBool,
}

/// Local wall-clock time in ms since the epoch.
pub fn local_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// Records a `/api/v3/time` answer. `sent_ms`/`received_ms` are local times around the
    /// request; the server's clock is assumed to have been read half-way through the round trip.
    pub fn record(&self, server_time_ms: i64, sent_ms: i64, received_ms: i64) -> ClockSample {
        let round_trip = (received_ms - sent_ms).max(0);
        let midpoint = sent_ms + round_trip / 2;
        let sample = ClockSample {
            offset_ms: server_time_ms - midpoint,
            round_trip_ms: round_trip as u64,
            measured_at: Instant::now(),
        };
        if let Ok(mut slot) = self.sample.lock() {
            *slot = Some(sample);
        }
        sample
    }

    /// Notes whether `sample` drifts beyond [`DRIFT_WARN_MS`]; true only when a drift starts
    /// (the previous measurement was fine), so a warning is raised once per episode.
    pub fn drift_started(&self, sample: &ClockSample) -> bool {
        let drifting = sample.offset_ms.abs() > DRIFT_WARN_MS;
        let was = self.drifting.swap(drifting, Ordering::Relaxed);
        drifting && !was
    }

    /// A sentence about the offset when it exceeds [`DRIFT_WARN_MS`].
    pub fn drift_warning(&self) -> Option<String> {
        let sample = self.sample()?;
        (sample.offset_ms.abs() > DRIFT_WARN_MS).then(|| {
            format!(
                "the local clock is {} ms {} Binance's (more than {DRIFT_WARN_MS} ms): signed requests are corrected, but sync the system clock (NTP)",
                sample.offset_ms.abs(),
                if sample.offset_ms > 0 { "behind" } else { "ahead of" }
            )
        })
    }

    /// The last measurement, if any.
    pub fn sample(&self) -> Option<ClockSample> {
        self.sample.lock().ok().and_then(|s| *s)
    }

    /// True when there is no measurement or it is older than [`RESYNC_AFTER`].
    pub fn needs_sync(&self) -> bool {
        self.sample().is_none_or(|s| s.measured_at.elapsed() > RESYNC_AFTER)
    }

    /// Forgets the measurement so the next signed call re-measures (after a -1021).
    pub fn invalidate(&self) {
        if let Ok(mut slot) = self.sample.lock() {
            *slot = None;
        }
    }

    /// Binance's time now, by the local clock corrected with the offset (ms since epoch).
    pub fn now_ms(&self) -> i64 {
        local_now_ms() + self.sample().map_or(0, |s| s.offset_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_corrects_half_the_round_trip() {
        let clock = Clock::default();
        // Sent at 1000, answered at 1100 (local); the server read 2050 at the midpoint 1050.
        let s = clock.record(2050, 1000, 1100);
        assert_eq!(s.offset_ms, 1000);
        assert_eq!(s.round_trip_ms, 100);
        assert!(!clock.needs_sync());
    }

    #[test]
    fn invalidated_clock_needs_a_sync() {
        let clock = Clock::default();
        assert!(clock.needs_sync());
        clock.record(5, 0, 0);
        clock.invalidate();
        assert!(clock.needs_sync());
    }

    #[test]
    fn drift_is_reported_once_per_episode() {
        let clock = Clock::default();
        let fine = clock.record(1_000_500, 1_000_000, 1_000_000);
        assert!(!clock.drift_started(&fine));
        assert!(clock.drift_warning().is_none());
        let off = clock.record(1_020_000, 1_000_000, 1_000_000);
        assert!(clock.drift_started(&off));
        assert!(!clock.drift_started(&off), "the same episode is not reported twice");
        let warning = clock.drift_warning().expect("warning");
        assert!(warning.contains("20000 ms behind"), "{warning}");
        let back = clock.record(1_000_000, 1_000_000, 1_000_000);
        assert!(!clock.drift_started(&back));
        assert!(clock.drift_started(&clock.record(900_000, 1_000_000, 1_000_000)));
    }
}
