//! The emulator's server clock: system time plus an adjustable skew (for clock-skew fault injection).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Server time as Binance reports it (`serverTime`, ms since epoch).
#[derive(Debug, Default)]
pub struct Clock {
    skew_us: AtomicI64,
}

impl Clock {
    /// Server time in µs since epoch.
    pub fn now_us(&self) -> i64 {
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
    }
}
