//! Test hooks that move the emulated market (see `hooks` for the others):
//!
//! * `POST /emulator/market` with `{"symbol": "BTCUSDT", "factor": "0.95"}` multiplies the
//!   symbol's seeded prices by `factor` from now on (server time): the book, the trades printed
//!   from now, klines, tickers and the matching of resting orders all follow. Earlier trades
//!   keep their prices. Each call sets the factor from its own moment on (`"1"` brings the
//!   seeded market back). The answer is `{"symbol", "factor", "from_ms", "bid", "ask"}`, the
//!   best bid and ask right after the move.
//! * `POST /emulator/filters` with `{"symbol": "BTCUSDT", "filterType": "LOT_SIZE", "minQty":
//!   "0.001"}` changes what `exchangeInfo` shows for that filter of that symbol: each other field
//!   given replaces the filter's field of that name (strings stay strings, numbers numbers).
//!   Only `exchangeInfo` shows the change (it is how a client learns of a rule change); the
//!   emulator's own order checks keep the listed rules. The answer is every change in force.
//!   `DELETE /emulator/filters` drops them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::EmulatorState;

/// One exchangeInfo filter change: (symbol, filterType, fields to replace).
type FilterChange = (String, String, Map<String, Value>);

/// Price factors and exchangeInfo filter changes set by the hooks; shared by clones of a market.
#[derive(Debug, Default)]
pub struct MarketOverrides {
    any_factor: AtomicBool,
    /// (symbol, from server ms, factor), in the order set.
    factors: Mutex<Vec<(String, i64, f64)>>,
    /// (symbol, filterType, fields to replace).
    filters: Mutex<Vec<FilterChange>>,
}

impl MarketOverrides {
    fn factors(&self) -> MutexGuard<'_, Vec<(String, i64, f64)>> {
        self.factors.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn filters(&self) -> MutexGuard<'_, Vec<FilterChange>> {
        self.filters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The factor on `symbol`'s prices at server time `t_ms` (1 when none was set).
    pub fn factor(&self, symbol: &str, t_ms: i64) -> f64 {
        if !self.any_factor.load(Ordering::Relaxed) {
            return 1.0;
        }
        self.factors()
            .iter()
            .rev()
            .find(|(s, from, _)| s == symbol && *from <= t_ms)
            .map_or(1.0, |(_, _, f)| *f)
    }

    fn set_factor(&self, symbol: &str, from_ms: i64, factor: f64) {
        self.factors().push((symbol.to_owned(), from_ms, factor));
        self.any_factor.store(true, Ordering::Relaxed);
    }

    /// Applies the filter changes to an `exchangeInfo` answer.
    fn patch(&self, info: &mut Value) {
        let filters = self.filters();
        if filters.is_empty() {
            return;
        }
        let Some(symbols) = info.get_mut("symbols").and_then(Value::as_array_mut) else {
            return;
        };
        for entry in symbols {
            let name = entry.get("symbol").and_then(Value::as_str).unwrap_or("").to_owned();
            let Some(list) = entry.get_mut("filters").and_then(Value::as_array_mut) else {
                continue;
            };
            for (symbol, kind, fields) in filters.iter().filter(|(s, _, _)| *s == name) {
                if let Some(filter) = list
                    .iter_mut()
                    .find(|f| f.get("filterType").and_then(Value::as_str) == Some(kind))
                    .and_then(Value::as_object_mut)
                {
                    for (k, v) in fields {
                        filter.insert(k.clone(), v.clone());
                    }
                } else {
                    tracing::debug!(%symbol, %kind, "no such filter to change");
                }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorRequest {
    symbol: String,
    factor: String,
}

/// `POST /emulator/market`.
pub async fn set_market(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    let request: FactorRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("bad market JSON: {e}")).into_response(),
    };
    let factor = match request.factor.parse::<Decimal>().ok().and_then(|d| d.to_f64()) {
        Some(f) if f > 0.0 && f.is_finite() => f,
        _ => return (StatusCode::BAD_REQUEST, "factor must be a positive decimal string").into_response(),
    };
    let market = &state.market;
    let Some(inst) = market.instrument(&request.symbol) else {
        return (StatusCode::NOT_FOUND, format!("{} is not listed", request.symbol)).into_response();
    };
    let now = state.clock.now_ms();
    market.overrides().set_factor(&request.symbol, now, factor);
    Json(serde_json::json!({
        "symbol": request.symbol,
        "factor": request.factor,
        "from_ms": now,
        "bid": market.best_bid(inst, now).to_string(),
        "ask": market.best_ask(inst, now).to_string(),
    }))
    .into_response()
}

/// `POST /emulator/filters`.
pub async fn set_filter(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "expected a JSON object").into_response();
    };
    let (Some(Value::String(symbol)), Some(Value::String(kind))) =
        (fields.remove("symbol"), fields.remove("filterType"))
    else {
        return (StatusCode::BAD_REQUEST, "symbol and filterType are required strings").into_response();
    };
    if state.market.instrument(&symbol).is_none() {
        return (StatusCode::NOT_FOUND, format!("{symbol} is not listed")).into_response();
    }
    let overrides = state.market.overrides();
    overrides.filters().push((symbol, kind, fields));
    let all: Vec<Value> = overrides
        .filters()
        .iter()
        .map(|(s, k, f)| serde_json::json!({"symbol": s, "filterType": k, "fields": f}))
        .collect();
    Json(all).into_response()
}

/// `DELETE /emulator/filters`.
pub async fn clear_filters(State(state): State<Arc<EmulatorState>>) -> StatusCode {
    state.market.overrides().filters().clear();
    StatusCode::NO_CONTENT
}

/// The `exchangeInfo` answer with the filter changes applied.
pub async fn patch_exchange_info(state: &EmulatorState, response: Response) -> Response {
    if state.market.overrides().filters().is_empty() || !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut info) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    state.market.overrides().patch(&mut info);
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&info).unwrap_or_default()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::market::Market;
    use super::super::symbols::default_symbols;
    use super::*;

    #[test]
    fn a_factor_moves_prices_from_its_moment_on() {
        let market = Market::new(3, default_symbols());
        let inst = market.instrument("BTCUSDT").unwrap().clone();
        let t = 1_767_225_600_000;
        let before = market.mid(&inst, t + 10);
        market.overrides().set_factor("BTCUSDT", t, 0.5);
        assert!((market.mid(&inst, t + 10) / before - 0.5).abs() < 1e-12);
        assert_eq!(market.overrides().factor("BTCUSDT", t - 1), 1.0);
        assert_eq!(market.overrides().factor("ETHUSDT", t + 1), 1.0);
        market.overrides().set_factor("BTCUSDT", t + 100, 1.0);
        assert_eq!(market.overrides().factor("BTCUSDT", t + 50), 0.5);
        assert_eq!(market.overrides().factor("BTCUSDT", t + 100), 1.0);
    }

    #[test]
    fn a_filter_change_shows_in_exchange_info_only_for_its_symbol() {
        let overrides = MarketOverrides::default();
        let mut fields = Map::new();
        fields.insert("minQty".into(), Value::String("0.001".into()));
        overrides.filters().push(("BTCUSDT".into(), "LOT_SIZE".into(), fields));
        let mut info = serde_json::json!({"symbols": [
            {"symbol": "BTCUSDT", "filters": [{"filterType": "LOT_SIZE", "minQty": "0.00001", "stepSize": "0.00001"}]},
            {"symbol": "ETHUSDT", "filters": [{"filterType": "LOT_SIZE", "minQty": "0.0001"}]}
        ]});
        overrides.patch(&mut info);
        assert_eq!(info["symbols"][0]["filters"][0]["minQty"], "0.001");
        assert_eq!(info["symbols"][0]["filters"][0]["stepSize"], "0.00001");
        assert_eq!(info["symbols"][1]["filters"][0]["minQty"], "0.0001");
    }
}
