//! This server's next steps for the client's errors and alerts. `spot-client` says what to do in
//! Binance's words ("query the order", "check the symbol's filters"); this module adds which
//! tool, variable or command of binance-mcp does it, so the client never names them.

use spot_client::error::codes;
use spot_client::{Alert, AlertKind, BinanceError, Unavailable};

use crate::config::{self, Environment};

/// The client's hint for `error`, followed by the tool, variable or command that acts on it.
pub fn for_error(error: &BinanceError) -> String {
    let hint = error.hint();
    match next_step(error) {
        Some(step) => format!("{hint} {step}"),
        None => hint,
    }
}

/// The tool, variable or command of this server that acts on an alert of this kind.
pub fn for_alert(alert: &Alert) -> Option<&'static str> {
    Some(match alert.kind {
        AlertKind::CircuitOpen => "`binance-mcp doctor` checks the network and the base URLs.",
        AlertKind::UserStreamInterrupted => {
            "server_status shows the stream (user_stream); `binance-mcp doctor` checks the WebSocket API URL."
        }
        AlertKind::CancelTimerFailed => "order_status shows the order; order_cancel cancels it.",
        AlertKind::OrderAnswerLost => "order_status (by client_order_id) shows it.",
        AlertKind::FilterChanged => {
            "order_validate gives the normalized values; snapshots/ in the memory folder keeps the rules before and after."
        }
        AlertKind::ClockDrift | AlertKind::Ban | AlertKind::RateLimit | AlertKind::CancelTimerRan => return None,
    })
}

fn next_step(error: &BinanceError) -> Option<String> {
    match error {
        BinanceError::Api { environment, code, .. } => api_step(*environment, *code),
        BinanceError::Transport { source, .. } if !source.is_timeout() => Some(
            "`binance-mcp doctor` shows the URLs and checks them; `binance-mcp serve --emulator` works offline.".into(),
        ),
        BinanceError::Transport { .. } => {
            Some("For an order, order_status (by client_order_id) shows whether it got in.".into())
        }
        BinanceError::MissingCredentials { .. } => {
            Some("They go in the MCP client's env for this server; keys are never tool arguments.".into())
        }
        BinanceError::EnvironmentDisabled { reason, .. } => match reason {
            Unavailable::TestnetOnly => Some("Unset BINANCE_TESTNET to enable production.".into()),
            Unavailable::CircuitOpen { .. } => {
                Some("`binance-mcp doctor` checks the network and the base URLs.".into())
            }
            Unavailable::Banned { .. } | Unavailable::RateLimited { .. } => None,
        },
        BinanceError::Http { .. } | BinanceError::Waf { .. } | BinanceError::Decode { .. } => None,
    }
}

fn api_step(environment: Environment, code: i64) -> Option<String> {
    Some(match code {
        codes::INVALID_MESSAGE | codes::BAD_PRECISION => {
            "order_validate shows which filter refused and the nearest valid values.".into()
        }
        codes::INVALID_ORDER_TYPE => "market_exchange_info lists the symbol's order types.".into(),
        codes::INVALID_TIMESTAMP => "BINANCE_RECV_WINDOW sets recvWindow.".into(),
        codes::CANCEL_REJECTED | codes::UNEXPECTED_RESP | codes::TIMEOUT => {
            "order_status (by client_order_id when the id is not known) shows it.".into()
        }
        codes::INVALID_SIGNATURE | codes::BAD_API_KEY_FMT => {
            let credentials = config::credential_names(environment);
            format!(
                "For {environment} they are {} and {} (or {}).",
                credentials.api_key, credentials.api_secret, credentials.private_key_path
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: i64) -> BinanceError {
        BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: "POST /api/v3/order".into(),
            status: 400,
            code,
            msg: "Filter failure: PRICE_FILTER".into(),
            retry_after_secs: None,
        }
    }

    #[test]
    fn a_filter_failure_points_at_order_validate_after_the_clients_own_words() {
        let text = for_error(&api_error(codes::INVALID_MESSAGE));
        assert!(text.starts_with(&api_error(codes::INVALID_MESSAGE).hint()), "{text}");
        assert!(text.contains("order_validate"), "{text}");
    }

    #[test]
    fn a_rejected_signature_names_this_environments_variables() {
        let text = for_error(&api_error(codes::INVALID_SIGNATURE));
        assert!(text.contains("BINANCE_TESTNET_API_SECRET"), "{text}");
    }

    #[test]
    fn a_code_without_a_step_keeps_the_clients_hint_alone() {
        let error = api_error(codes::NO_SUCH_ORDER);
        assert_eq!(for_error(&error), error.hint());
    }
}
