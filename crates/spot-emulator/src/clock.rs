//! The emulator's server clock: system time plus an adjustable skew (for clock-skew fault
//! injection), or a frozen instant (for deterministic tests of the seeded market).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Server time as Binance reports it (`serverTime`, ms since epoch).
#[derive(Debug, Default)]
pub struct Clock {
    skew_us: AtomicI64,
    /// When non-zero, the frozen server time in µs.
    frozen_us: AtomicI64,
}

impl Clock {
    /// Server time in µs since epoch.
    pub fn now_us(&self) -> i64 {
        let frozen = self.frozen_us.load(Ordering::Relaxed);
        if frozen != 0 {
            return frozen;
        }
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        system.saturating_add(self.skew_us.load(Ordering::Relaxed))
    }

    /// Server time in ms since epoch.
    pub fn now_ms(&self) -> i64 {
        self.now_us().div_euclid(1000)
    }

    /// Moves the server clock by `skew_ms` relative to the system clock (negative = behind).
    pub fn set_skew_ms(&self, skew_ms: i64) {
        self.skew_us.store(skew_ms.saturating_mul(1000), Ordering::Relaxed);
    }

    /// Stops the clock at `ms` since epoch (the skew no longer applies); 0 lets it run again.
    pub fn freeze_at_ms(&self, ms: i64) {
        self.frozen_us.store(ms.saturating_mul(1000), Ordering::Relaxed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn skew_moves_the_clock() {
        let clock = Clock::default();
        let before = clock.now_ms();
        clock.set_skew_ms(60_000);
        let after = clock.now_ms();
        assert!(after - before >= 59_000 && after - before < 70_000);
        clock.freeze_at_ms(1_700_000_000_123);
        assert_eq!(clock.now_ms(), 1_700_000_000_123);
        assert_eq!(clock.now_us(), 1_700_000_000_123_000);
        clock.freeze_at_ms(0);
        assert!(clock.now_ms() > 1_700_000_000_123);
    }
}
