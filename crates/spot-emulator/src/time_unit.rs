//! The `timeUnit` connection parameter of the WebSocket API and market streams: timestamps in
//! JSON are milliseconds unless the URL asks for `timeUnit=MICROSECOND` (or `microsecond`);
//! any other value is refused at connection time with -1194.

use super::error::{ApiError, code};
use super::params::Params;

/// Unit of every timestamp a connection receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeUnit {
    #[default]
    Millisecond,
    Microsecond,
}

impl TimeUnit {
    /// The `timeUnit` parameter of a connection URL's query (absent: milliseconds).
    pub fn from_query(params: &Params) -> Result<Self, ApiError> {
        match params.get("timeUnit") {
            None | Some("MILLISECOND" | "millisecond") => Ok(Self::Millisecond),
            Some("MICROSECOND" | "microsecond") => Ok(Self::Microsecond),
            Some(_) => Err(ApiError::bad_request(
                code::INVALID_TIME_UNIT,
                "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.",
            )),
        }
    }

    /// `ms` (milliseconds since epoch, or a duration in ms) in this unit; negative sentinels
    /// such as `-1` stay as they are.
    pub fn stamp(self, ms: i64) -> i64 {
        match self {
            Self::Microsecond if ms >= 0 => ms.saturating_mul(1000),
            _ => ms,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn unit(query: &str) -> Result<TimeUnit, ApiError> {
        TimeUnit::from_query(&Params::parse(Some(query)).unwrap())
    }

    #[test]
    fn documented_values_only() {
        assert_eq!(unit("").unwrap(), TimeUnit::Millisecond);
        assert_eq!(unit("timeUnit=microsecond").unwrap(), TimeUnit::Microsecond);
        assert_eq!(unit("timeUnit=MILLISECOND").unwrap(), TimeUnit::Millisecond);
        assert_eq!(unit("timeUnit=Micro").unwrap_err().code, -1194);
        assert_eq!(TimeUnit::Microsecond.stamp(1_700_000_000_123), 1_700_000_000_123_000);
        assert_eq!(TimeUnit::Microsecond.stamp(-1), -1);
        assert_eq!(TimeUnit::Millisecond.stamp(5), 5);
    }
}
