//! Reference prices (2026; rest-api.md "Query Reference Price", faqs/price_range_execution_rules.md):
//! `GET /api/v3/referencePrice` and `GET /api/v3/referencePrice/calculation`, how each symbol's
//! is computed from the seeded market, and the price the filters use (filters.md since
//! 2026-05-08: the reference price when non-null, else the average over `avgPriceMins`, else
//! the last trade).
//!
//! * `ArithmeticMean`: the mean of the trade prices of the last `bucketCount × bucketWidthMs`
//!   (without the engine's proration of the oldest bucket), truncated to the quote asset's
//!   precision; null when nothing traded in that window.
//! * `External` (method 3): the 5-minute simple moving average of the mid price, sampled each
//!   second, on the tick.
//! * An operator's price (the `/emulator/reference_price` hook) wins, shown as `EXTERNAL` with
//!   `externalCalculationId` 0 ("set manually by a human operator").

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::EmulatorState;
use super::candles::window_stats;
use super::error::{ApiError, code};
use super::market::{Instrument, Market};
use super::params::Params;
use super::symbol_param::{instrument, require_status};
use super::symbols::ReferenceCalc;
use super::wire::floor_to_step;

/// Window of the external method 3: 5 minutes of mid prices.
const EXTERNAL_WINDOW_MS: i64 = 5 * 60_000;

/// A symbol's reference price at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// Never set: -2043.
    Never,
    /// Set once, null now.
    Null,
    Price(Decimal),
}

impl Reference {
    /// The price, when there is one.
    pub fn price(self) -> Option<Decimal> {
        match self {
            Reference::Price(p) => Some(p),
            _ => None,
        }
    }
}

/// The reference price of `inst` at `t_ms`.
pub fn reference(market: &Market, inst: &Instrument, t_ms: i64) -> Reference {
    if let Some(set) = market.operator_reference(&inst.spec.symbol) {
        return set.map_or(Reference::Null, Reference::Price);
    }
    match inst.spec.reference {
        ReferenceCalc::Never => Reference::Never,
        ReferenceCalc::Stopped => Reference::Null,
        ReferenceCalc::ArithmeticMean {
            bucket_count,
            bucket_width_ms,
        } => {
            let window = i64::from(bucket_count) * bucket_width_ms;
            let first = market.first_trade_at_or_after(inst, t_ms - window + 1);
            let Some(last) = market.last_trade_at_or_before(inst, t_ms).filter(|l| *l >= first) else {
                return Reference::Null;
            };
            let sum: Decimal = (first..=last).map(|id| market.trade(inst, id).price).sum();
            let mean = sum / Decimal::from(last - first + 1);
            Reference::Price(mean.round_dp_with_strategy(inst.spec.quote_asset_precision, RoundingStrategy::ToZero))
        }
        ReferenceCalc::External { .. } => {
            let samples: Vec<f64> = (0..EXTERNAL_WINDOW_MS / 1000)
                .map(|k| market.mid(inst, t_ms - k * 1000))
                .collect();
            let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
            match Decimal::from_f64(mean) {
                Some(p) => Reference::Price(floor_to_step(p, inst.spec.price_filter.tick_size).normalize()),
                None => Reference::Null,
            }
        }
    }
}

/// The volume-weighted average price over the last `mins` minutes (as `avgPrice`), or the
/// last price before any trade in the window.
pub fn average_price(market: &Market, inst: &Instrument, mins: u32, now_ms: i64) -> Decimal {
    let stats = window_stats(market, inst, now_ms - i64::from(mins) * 60_000, now_ms, 64);
    if stats.count == 0 {
        stats.close
    } else {
        stats.weighted_avg_price()
    }
}

/// The price a filter with `avg_price_mins` values an order at, at `now_ms`.
pub fn filter_price(market: &Market, inst: &Instrument, avg_price_mins: u32, now_ms: i64) -> Decimal {
    if let Some(price) = reference(market, inst, now_ms).price() {
        return price;
    }
    if avg_price_mins == 0 {
        return market.last_price(inst, now_ms);
    }
    average_price(market, inst, avg_price_mins, now_ms)
}

/// The price the symbol's PERCENT_PRICE_BY_SIDE and NOTIONAL filters value a new order at
/// (both with the symbol's one `avgPriceMins`), at `now_ms`.
pub fn order_filter_price(market: &Market, inst: &Instrument, now_ms: i64) -> Decimal {
    filter_price(market, inst, inst.spec.percent_price_by_side.avg_price_mins, now_ms)
}

fn no_reference_price() -> ApiError {
    ApiError::bad_request(code::NO_REFERENCE_PRICE, "This symbol doesn't have a reference price.")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePriceRow {
    symbol: String,
    reference_price: Option<String>,
    timestamp: i64,
}

/// `GET /api/v3/referencePrice` (weight 2): **symbol**; -2043 for a symbol that never had one.
pub async fn reference_price(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<ReferencePriceRow>, ApiError> {
    params.allow_only(&["symbol"])?;
    let inst = instrument(&state, &params)?;
    let now = state.clock.now_ms();
    let price = match reference(&state.market, inst, now) {
        Reference::Never => return Err(no_reference_price()),
        Reference::Null => None,
        Reference::Price(p) => Some(p.normalize().to_string()),
    };
    Ok(Json(ReferencePriceRow {
        symbol: inst.spec.symbol.clone(),
        reference_price: price,
        timestamp: now,
    }))
}

/// `GET /api/v3/referencePrice/calculation` answers.
#[derive(Serialize)]
#[serde(tag = "calculationType", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Calculation {
    #[serde(rename_all = "camelCase")]
    ArithmeticMean { bucket_count: u32, bucket_width_ms: i64 },
    #[serde(rename_all = "camelCase")]
    External { external_calculation_id: u32 },
}

/// The documented field order: `symbol` first, then the calculation.
#[derive(Serialize)]
pub struct CalculationRow {
    symbol: String,
    #[serde(flatten)]
    calculation: Calculation,
}

/// `GET /api/v3/referencePrice/calculation` (weight 2): **symbol**, `symbolStatus`; -2043 when
/// the reference price is not being calculated.
pub async fn reference_price_calculation(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<CalculationRow>, ApiError> {
    params.allow_only(&["symbol", "symbolStatus"])?;
    let inst = instrument(&state, &params)?;
    require_status(&params, inst)?;
    let symbol = inst.spec.symbol.clone();
    let calculation = match (state.market.operator_reference(&symbol), inst.spec.reference) {
        (Some(_), _) => Calculation::External {
            external_calculation_id: 0,
        },
        (
            None,
            ReferenceCalc::ArithmeticMean {
                bucket_count,
                bucket_width_ms,
            },
        ) => Calculation::ArithmeticMean {
            bucket_count,
            bucket_width_ms,
        },
        (None, ReferenceCalc::External { id }) => Calculation::External {
            external_calculation_id: id,
        },
        (None, ReferenceCalc::Never | ReferenceCalc::Stopped) => return Err(no_reference_price()),
    };
    Ok(Json(CalculationRow { symbol, calculation }))
}

/// `POST /emulator/reference_price` (test hook, see `hooks`): `{"symbol": S, "referencePrice":
/// "P"}` sets an operator's reference price (`null` sets it null), `{"symbol": S, "clear":
/// true}` gives the symbol back its own calculation. The answer is the new
/// `GET /api/v3/referencePrice` (or its -2043 body); 400 `{"error"}` on a bad body.
pub async fn set_reference_price(
    State(state): State<Arc<EmulatorState>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let bad = |why: String| (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": why }))).into_response();
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return bad("the body must be a JSON object".into());
    };
    let Some(inst) = body
        .get("symbol")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| state.market.instrument(s))
    else {
        return bad("symbol must name a listed symbol".into());
    };
    let symbol = inst.spec.symbol.clone();
    let setting = match (body.get("clear"), body.get("referencePrice")) {
        (Some(serde_json::Value::Bool(true)), None) => None,
        (None, Some(serde_json::Value::Null)) => Some(None),
        (None, Some(serde_json::Value::String(p))) => match p.parse::<Decimal>() {
            Ok(price) if price > Decimal::ZERO => Some(Some(price)),
            _ => return bad(format!("referencePrice {p:?} is not a positive decimal string")),
        },
        _ => return bad("give referencePrice (a decimal string or null) or clear: true".into()),
    };
    state.market.set_operator_reference(&symbol, setting);
    let now = state.clock.now_ms();
    match reference(&state.market, inst, now) {
        Reference::Never => no_reference_price().into_response(),
        r => Json(ReferencePriceRow {
            symbol,
            reference_price: r.price().map(|p| p.normalize().to_string()),
            timestamp: now,
        })
        .into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    const T: i64 = 1_767_225_600_000;

    #[test]
    fn each_calculation_gives_its_reference_price() {
        let market = Market::new(7, default_symbols());
        let at = |s: &str| reference(&market, market.instrument(s).unwrap(), T);
        // BTCUSDT: the mean of the last 10 seconds' trades.
        let btc = market.instrument("BTCUSDT").unwrap();
        let first = market.first_trade_at_or_after(btc, T - 9_999);
        let last = market.last_trade_at_or_before(btc, T).unwrap();
        let prices: Vec<Decimal> = (first..=last).map(|id| market.trade(btc, id).price).collect();
        let mean = prices.iter().sum::<Decimal>() / Decimal::from(prices.len());
        assert_eq!(
            at("BTCUSDT"),
            Reference::Price(mean.round_dp_with_strategy(8, RoundingStrategy::ToZero))
        );
        // ETHUSDT: near the mid price, on the tick.
        let eth = at("ETHUSDT").price().unwrap();
        let mid = Decimal::from_f64(market.mid(market.instrument("ETHUSDT").unwrap(), T)).unwrap();
        assert!((eth - mid).abs() / mid < Decimal::new(1, 2), "{eth} {mid}");
        assert_eq!(at("BNBUSDT"), Reference::Null);
        assert_eq!(at("ETHBTC"), Reference::Never);
        // An operator's price wins, and can be null; clearing it brings the calculation back.
        market.set_operator_reference("ETHBTC", Some(Some(Decimal::new(5, 2))));
        assert_eq!(at("ETHBTC"), Reference::Price(Decimal::new(5, 2)));
        market.set_operator_reference("BTCUSDT", Some(None));
        assert_eq!(at("BTCUSDT"), Reference::Null);
        market.set_operator_reference("BTCUSDT", None);
        assert!(at("BTCUSDT").price().is_some());
    }

    #[test]
    fn the_filters_use_the_reference_price_then_the_average_then_the_last_trade() {
        let market = Market::new(7, default_symbols());
        let inst = market.instrument("ETHBTC").unwrap();
        let average = average_price(&market, inst, 5, T);
        assert_eq!(filter_price(&market, inst, 5, T), average);
        assert_eq!(filter_price(&market, inst, 0, T), market.last_price(inst, T));
        market.set_operator_reference("ETHBTC", Some(Some(Decimal::new(4, 2))));
        assert_eq!(filter_price(&market, inst, 5, T), Decimal::new(4, 2));
        assert_eq!(filter_price(&market, inst, 0, T), Decimal::new(4, 2));
    }
}
