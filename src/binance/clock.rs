//! The offset between the local clock and Binance's, measured from `GET /api/v3/time`.
//!
//! Signed requests carry `timestamp = local now + offset`; a drifting local clock would
//! otherwise make every signed call fail with -1021.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a measured offset is trusted before the next signed call re-measures it.
pub const RESYNC_AFTER: Duration = Duration::from_secs(10 * 60);

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
}
