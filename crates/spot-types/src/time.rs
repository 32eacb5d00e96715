//! Binance timestamps (ms since the epoch) as people read them.

/// Milliseconds since the epoch as an RFC 3339 UTC string; the number itself if out of range.
pub fn utc(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}
