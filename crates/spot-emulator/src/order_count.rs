//! Unfilled order count per account (`faqs/order_count_decrement.md`): clock-aligned 10-second
//! and UTC-day windows, +1 per placed order (+2/+3 per order list), -1 on an order's first fill,
//! never below 0; the `X-MBX-ORDER-COUNT-*` headers a placement answers with.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Header with the account's unfilled order count in the current 10-second window.
pub const ORDER_COUNT_10S_HEADER: &str = "x-mbx-order-count-10s";
/// Header with the account's unfilled order count in the current day.
pub const ORDER_COUNT_1D_HEADER: &str = "x-mbx-order-count-1d";

const TEN_SECONDS_MS: i64 = 10_000;
const DAY_MS: i64 = 86_400_000;

/// A placement's `answer` with the account's unfilled order counts (10 seconds, day) after it,
/// in the order-count headers.
pub fn with_count_headers(answer: impl IntoResponse, (ten_seconds, day): (u32, u32)) -> Response {
    let mut response = answer.into_response();
    let headers = response.headers_mut();
    headers.insert(ORDER_COUNT_10S_HEADER, HeaderValue::from(ten_seconds));
    headers.insert(ORDER_COUNT_1D_HEADER, HeaderValue::from(day));
    response
}

/// The `ORDERS` rate limits of the emulated exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLimits {
    /// Unfilled orders per 10 SECOND (production: 100).
    pub per_10s: u32,
    /// Unfilled orders per 1 DAY (production: 200,000).
    pub per_day: u32,
}

/// One account's counters: (window index, count) per interval.
#[derive(Debug, Clone, Default)]
pub struct OrderCount {
    ten_seconds: (i64, u32),
    day: (i64, u32),
}

impl OrderCount {
    /// HTTP 429 -1015 when a window is already full, with `Retry-After` to its end.
    pub fn admit(&mut self, now_ms: i64, limits: OrderLimits) -> Result<(), ApiError> {
        self.check_room(now_ms, limits, 1)
    }

    /// HTTP 429 -1015 unless every window has room for `orders` more (an order list adds its
    /// legs at once), with `Retry-After` to the end of the full window.
    pub fn check_room(&mut self, now_ms: i64, limits: OrderLimits, orders: u32) -> Result<(), ApiError> {
        self.roll(now_ms);
        let full = |count: u32, limit: u32| count.saturating_add(orders) > limit;
        if full(self.day.1, limits.per_day) {
            return Err(ApiError::too_many_orders(
                limits.per_day,
                "1 DAY",
                seconds_left(now_ms, DAY_MS),
            ));
        }
        if full(self.ten_seconds.1, limits.per_10s) {
            return Err(ApiError::too_many_orders(
                limits.per_10s,
                "10 SECOND",
                seconds_left(now_ms, TEN_SECONDS_MS),
            ));
        }
        Ok(())
    }

    /// Counts one placed order; returns the new (10-second, day) counts.
    pub fn increment(&mut self, now_ms: i64) -> (u32, u32) {
        self.increment_by(now_ms, 1)
    }

    /// Counts `orders` placed orders (an order list's legs); returns the new (10-second, day) counts.
    pub fn increment_by(&mut self, now_ms: i64, orders: u32) -> (u32, u32) {
        self.roll(now_ms);
        self.ten_seconds.1 = self.ten_seconds.1.saturating_add(orders);
        self.day.1 = self.day.1.saturating_add(orders);
        (self.ten_seconds.1, self.day.1)
    }

    /// An order got its first fill: -1 in every current window, never below 0.
    pub fn decrement(&mut self, now_ms: i64) {
        self.roll(now_ms);
        self.ten_seconds.1 = self.ten_seconds.1.saturating_sub(1);
        self.day.1 = self.day.1.saturating_sub(1);
    }

    /// The current (10-second, day) counts.
    pub fn counts(&mut self, now_ms: i64) -> (u32, u32) {
        self.roll(now_ms);
        (self.ten_seconds.1, self.day.1)
    }

    fn roll(&mut self, now_ms: i64) {
        for (window, len) in [(&mut self.ten_seconds, TEN_SECONDS_MS), (&mut self.day, DAY_MS)] {
            let index = now_ms.div_euclid(len);
            if window.0 != index {
                *window = (index, 0);
            }
        }
    }
}

fn seconds_left(now_ms: i64, len: i64) -> u64 {
    let remaining = len - now_ms.rem_euclid(len);
    u64::try_from((remaining + 999) / 1000).unwrap_or(1).max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LIMITS: OrderLimits = OrderLimits { per_10s: 2, per_day: 3 };

    #[test]
    fn windows_fill_roll_and_decrement() {
        let mut count = OrderCount::default();
        let t = 1_767_225_600_000; // a UTC midnight, also a 10 s boundary
        assert_eq!(count.increment(t), (1, 1));
        assert_eq!(count.increment(t + 1), (2, 2));
        let err = count.admit(t + 2, LIMITS).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(err.msg, "Too many new orders; current limit is 2 orders per 10 SECOND.");
        assert_eq!(err.retry_after, Some(10));
        count.decrement(t + 3);
        assert!(count.admit(t + 3, LIMITS).is_ok());
        assert_eq!(count.increment(t + 10_000), (1, 2));
        assert_eq!(count.increment(t + 10_001), (2, 3));
        let day = count.admit(t + 20_000, LIMITS).unwrap_err();
        assert_eq!(day.msg, "Too many new orders; current limit is 3 orders per 1 DAY.");
        assert_eq!(count.counts(t + DAY_MS), (0, 0));
        count.decrement(t + DAY_MS);
        assert_eq!(count.counts(t + DAY_MS), (0, 0));
    }

    #[test]
    fn a_list_needs_room_for_all_its_legs() {
        let mut count = OrderCount::default();
        let t = 1_767_225_600_000;
        let limits = OrderLimits {
            per_10s: 3,
            per_day: 100,
        };
        assert_eq!(count.increment(t), (1, 1));
        let err = count.check_room(t, limits, 3).unwrap_err();
        assert_eq!(err.msg, "Too many new orders; current limit is 3 orders per 10 SECOND.");
        assert!(count.check_room(t, limits, 2).is_ok());
        assert_eq!(count.increment_by(t, 2), (3, 3));
    }
}
