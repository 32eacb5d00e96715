//! Ticker endpoints: `GET /api/v3/ticker/24hr`, `/ticker/price`, `/ticker/bookTicker` and the
//! rolling-window `/ticker`. An object for `symbol`, an array for `symbols` or none.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;

use super::EmulatorState;
use super::candles::{WindowStats, window_stats};
use super::error::{ApiError, code};
use super::market::Instrument;
use super::params::{Params, SymbolSelection};
use super::symbol_param::{require_status, status_matches};
use super::wire::{fixed, fixed8};

pub(super) const DAY_MS: i64 = 86_400_000;
/// Trades sampled for a ticker window.
pub(super) const TICKER_SAMPLES: u64 = 240;

/// An object for `symbol=`, an array otherwise.
#[derive(Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// The instruments a ticker request selects; `symbolStatus` excludes non-matching list entries
/// and rejects a non-matching single symbol (-1220).
fn select<'a>(
    state: &'a EmulatorState,
    params: &Params,
    selection: &SymbolSelection,
) -> Result<Vec<&'a Instrument>, ApiError> {
    let market = &state.market;
    match selection {
        SymbolSelection::One(symbol) => {
            let inst = market.instrument(symbol).ok_or_else(ApiError::invalid_symbol)?;
            require_status(params, inst)?;
            Ok(vec![inst])
        }
        SymbolSelection::Many(list) => {
            let insts = list
                .iter()
                .map(|s| market.instrument(s).ok_or_else(ApiError::invalid_symbol))
                .collect::<Result<Vec<_>, _>>()?;
            filter_status(params, insts)
        }
        SymbolSelection::All => filter_status(params, market.instruments().iter().collect()),
    }
}

fn filter_status<'a>(params: &Params, insts: Vec<&'a Instrument>) -> Result<Vec<&'a Instrument>, ApiError> {
    let mut kept = Vec::with_capacity(insts.len());
    for inst in insts {
        if status_matches(params, inst)? {
            kept.push(inst);
        }
    }
    Ok(kept)
}

fn shape<T>(selection: &SymbolSelection, mut items: Vec<T>) -> OneOrMany<T> {
    match (selection, items.pop()) {
        (SymbolSelection::One(_), Some(item)) => OneOrMany::One(item),
        (_, last) => {
            items.extend(last);
            OneOrMany::Many(items)
        }
    }
}

/// `type`: `FULL` (default) or `MINI`, else -1139.
fn full_type(params: &Params) -> Result<bool, ApiError> {
    match params.optional("type")? {
        None | Some("FULL") => Ok(true),
        Some("MINI") => Ok(false),
        Some(_) => Err(ApiError::bad_request(code::INVALID_TICKER_TYPE, "Invalid ticker type.")),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Full24h {
    symbol: String,
    price_change: String,
    price_change_percent: String,
    weighted_avg_price: String,
    prev_close_price: String,
    last_price: String,
    last_qty: String,
    bid_price: String,
    bid_qty: String,
    ask_price: String,
    ask_qty: String,
    open_price: String,
    high_price: String,
    low_price: String,
    volume: String,
    quote_volume: String,
    open_time: i64,
    close_time: i64,
    first_id: i64,
    last_id: i64,
    count: u64,
}

/// Rolling-window FULL and every MINI ticker.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowTicker {
    symbol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_change: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_change_percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weighted_avg_price: Option<String>,
    open_price: String,
    high_price: String,
    low_price: String,
    last_price: String,
    volume: String,
    quote_volume: String,
    open_time: i64,
    close_time: i64,
    first_id: i64,
    last_id: i64,
    count: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Ticker24h {
    Full(Full24h),
    Mini(WindowTicker),
}

pub(super) fn change_percent(s: &WindowStats) -> Decimal {
    if s.open.is_zero() {
        Decimal::ZERO
    } else {
        (s.close - s.open) * Decimal::from(100) / s.open
    }
}

fn window_ticker(symbol: &str, s: &WindowStats, open_time: i64, close_time: i64, full: bool) -> WindowTicker {
    WindowTicker {
        symbol: symbol.to_owned(),
        price_change: full.then(|| fixed8(s.close - s.open)),
        price_change_percent: full.then(|| fixed(change_percent(s), 3)),
        weighted_avg_price: full.then(|| fixed8(s.weighted_avg_price())),
        open_price: fixed8(s.open),
        high_price: fixed8(s.high),
        low_price: fixed8(s.low),
        last_price: fixed8(s.close),
        volume: fixed8(s.volume),
        quote_volume: fixed8(s.quote_volume),
        open_time,
        close_time,
        first_id: s.first_id,
        last_id: s.last_id,
        count: s.count,
    }
}

/// `GET /api/v3/ticker/24hr`: the last 24 hours up to now.
pub async fn ticker_24hr(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<OneOrMany<Ticker24h>>, ApiError> {
    params.allow_only(&["symbol", "symbols", "type", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    let full = full_type(&params)?;
    let insts = select(&state, &params, &selection)?;
    let now = state.clock.now_ms();
    let open_time = now - DAY_MS;
    let market = &state.market;
    let items = insts
        .into_iter()
        .map(|inst| {
            let s = window_stats(market, inst, open_time, now, TICKER_SAMPLES);
            let symbol = &inst.spec.symbol;
            if !full {
                return Ticker24h::Mini(window_ticker(symbol, &s, open_time, now, false));
            }
            let book = market.book(inst, now, 1);
            let (bid, ask) = (book.bids.first(), book.asks.first());
            let level = |l: Option<&(Decimal, Decimal)>| l.map_or((Decimal::ZERO, Decimal::ZERO), |&(p, q)| (p, q));
            let ((bid_price, bid_qty), (ask_price, ask_qty)) = (level(bid), level(ask));
            Ticker24h::Full(Full24h {
                symbol: symbol.clone(),
                price_change: fixed8(s.close - s.open),
                price_change_percent: fixed(change_percent(&s), 3),
                weighted_avg_price: fixed8(s.weighted_avg_price()),
                prev_close_price: fixed8(s.prev_close),
                last_price: fixed8(s.close),
                last_qty: fixed8(s.last_qty),
                bid_price: fixed8(bid_price),
                bid_qty: fixed8(bid_qty),
                ask_price: fixed8(ask_price),
                ask_qty: fixed8(ask_qty),
                open_price: fixed8(s.open),
                high_price: fixed8(s.high),
                low_price: fixed8(s.low),
                volume: fixed8(s.volume),
                quote_volume: fixed8(s.quote_volume),
                open_time,
                close_time: now,
                first_id: s.first_id,
                last_id: s.last_id,
                count: s.count,
            })
        })
        .collect();
    Ok(Json(shape(&selection, items)))
}

#[derive(Serialize)]
pub struct PriceTicker {
    symbol: String,
    price: String,
}

/// `GET /api/v3/ticker/price`: the last trade price.
pub async fn ticker_price(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<OneOrMany<PriceTicker>>, ApiError> {
    params.allow_only(&["symbol", "symbols", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    let now = state.clock.now_ms();
    let market = &state.market;
    let items = select(&state, &params, &selection)?
        .into_iter()
        .map(|inst| {
            let price = market
                .last_trade_at_or_before(inst, now)
                .map_or_else(|| market.best_bid(inst, now), |id| market.trade(inst, id).price);
            PriceTicker {
                symbol: inst.spec.symbol.clone(),
                price: fixed8(price),
            }
        })
        .collect();
    Ok(Json(shape(&selection, items)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    symbol: String,
    bid_price: String,
    bid_qty: String,
    ask_price: String,
    ask_qty: String,
}

/// `GET /api/v3/ticker/bookTicker`: the top of the order book.
pub async fn ticker_book(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<OneOrMany<BookTicker>>, ApiError> {
    params.allow_only(&["symbol", "symbols", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    let now = state.clock.now_ms();
    let items = select(&state, &params, &selection)?
        .into_iter()
        .map(|inst| {
            let book = state.market.book(inst, now, 1);
            let top = |l: Option<&(Decimal, Decimal)>| l.map_or((Decimal::ZERO, Decimal::ZERO), |&x| x);
            let ((bid_price, bid_qty), (ask_price, ask_qty)) = (top(book.bids.first()), top(book.asks.first()));
            BookTicker {
                symbol: inst.spec.symbol.clone(),
                bid_price: fixed8(bid_price),
                bid_qty: fixed8(bid_qty),
                ask_price: fixed8(ask_price),
                ask_qty: fixed8(ask_qty),
            }
        })
        .collect();
    Ok(Json(shape(&selection, items)))
}

/// `windowSize`: `1m`..`59m`, `1h`..`23h`, `1d`..`7d`, in ms.
fn parse_window(text: &str) -> Option<i64> {
    let split = text.len().checked_sub(1)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let (max, unit_ms) = match unit {
        "m" => (59, 60_000),
        "h" => (23, 3_600_000),
        "d" => (7, DAY_MS),
        _ => return None,
    };
    (n <= max).then_some(n * unit_ms)
}

/// `GET /api/v3/ticker`: rolling window (`windowSize`, default `1d`); `openTime` is floored to
/// the minute and `closeTime` is now. `symbol` or `symbols` (at most 100) is mandatory.
pub async fn ticker_rolling(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<OneOrMany<WindowTicker>>, ApiError> {
    params.allow_only(&["symbol", "symbols", "windowSize", "type", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    match &selection {
        SymbolSelection::All => {
            return Err(ApiError::bad_request(
                code::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
                "Param 'symbol' or 'symbols' must be sent, but both were empty/null!",
            ));
        }
        SymbolSelection::Many(list) if list.len() > 100 => {
            return Err(ApiError::bad_request(
                code::TOO_MANY_PARAMETERS,
                "Too many values sent for parameter 'symbols', maximum allowed up to 100.",
            ));
        }
        _ => {}
    }
    let window = match params.optional("windowSize")? {
        None => DAY_MS,
        Some(text) => parse_window(text).ok_or_else(|| ApiError::invalid_value("windowSize"))?,
    };
    let full = full_type(&params)?;
    let insts = select(&state, &params, &selection)?;
    let now = state.clock.now_ms();
    let open_time = (now - window).div_euclid(60_000) * 60_000;
    let items = insts
        .into_iter()
        .map(|inst| {
            let s = window_stats(&state.market, inst, open_time, now, TICKER_SAMPLES);
            window_ticker(&inst.spec.symbol, &s, open_time, now, full)
        })
        .collect();
    Ok(Json(shape(&selection, items)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testkit::{get, new_router};
    use super::*;
    use axum::http::StatusCode;
    use serde_json::{Value, json};

    /// Field names, sorted (serde_json's map order depends on its features).
    fn keys(v: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn window_sizes() {
        assert_eq!(parse_window("1m"), Some(60_000));
        assert_eq!(parse_window("59m"), Some(59 * 60_000));
        assert_eq!(parse_window("23h"), Some(23 * 3_600_000));
        assert_eq!(parse_window("7d"), Some(7 * DAY_MS));
        for bad in ["60m", "24h", "8d", "0m", "01m", "1d2h", "m", "", "1w"] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn ticker_24hr_full_and_mini_fields() {
        let app = new_router(3);
        let (_, headers, full) = get(&app, "/api/v3/ticker/24hr?symbol=BTCUSDT").await;
        assert_eq!(headers["x-mbx-used-weight-1m"], "2");
        let mut expected = vec![
            "symbol",
            "priceChange",
            "priceChangePercent",
            "weightedAvgPrice",
            "prevClosePrice",
            "lastPrice",
            "lastQty",
            "bidPrice",
            "bidQty",
            "askPrice",
            "askQty",
            "openPrice",
            "highPrice",
            "lowPrice",
            "volume",
            "quoteVolume",
            "openTime",
            "closeTime",
            "firstId",
            "lastId",
            "count",
        ];
        expected.sort_unstable();
        assert_eq!(keys(&full), expected);
        assert_eq!(
            full["closeTime"].as_i64().unwrap() - full["openTime"].as_i64().unwrap(),
            DAY_MS
        );
        // Trades are jittered inside their slots, so a 24 h window holds 4/s ± 1.
        let count = full["count"].as_i64().unwrap();
        assert!((86_400 * 4 - 1..=86_400 * 4 + 1).contains(&count), "{count}");
        assert_eq!(
            full["lastId"].as_i64().unwrap() - full["firstId"].as_i64().unwrap() + 1,
            count
        );
        let pct = full["priceChangePercent"].as_str().unwrap();
        assert_eq!(pct.split('.').nth(1).unwrap().len(), 3);

        let (_, _, mini) = get(&app, r#"/api/v3/ticker/24hr?symbols=%5B%22ETHBTC%22%5D&type=MINI"#).await;
        let mini = &mini.as_array().unwrap()[0];
        let mut expected = vec![
            "symbol",
            "openPrice",
            "highPrice",
            "lowPrice",
            "lastPrice",
            "volume",
            "quoteVolume",
            "openTime",
            "closeTime",
            "firstId",
            "lastId",
            "count",
        ];
        expected.sort_unstable();
        assert_eq!(keys(mini), expected);

        let (_, headers, all) = get(&new_router(3), "/api/v3/ticker/24hr").await;
        assert_eq!(
            all.as_array().unwrap().len(),
            super::super::symbols::default_symbols().len()
        );
        assert_eq!(headers["x-mbx-used-weight-1m"], "80");
    }

    #[tokio::test]
    async fn price_and_book_tickers() {
        let app = new_router(3);
        let (_, _, one) = get(&app, "/api/v3/ticker/price?symbol=XRPUSDT").await;
        assert_eq!(keys(&one), ["price", "symbol"]);
        let (_, _, many) = get(&app, "/api/v3/ticker/price").await;
        assert_eq!(
            many.as_array().unwrap().len(),
            super::super::symbols::default_symbols().len()
        );
        let (_, _, book) = get(&app, "/api/v3/ticker/bookTicker?symbol=BNBUSDT").await;
        assert_eq!(keys(&book), ["askPrice", "askQty", "bidPrice", "bidQty", "symbol"]);
        let bid: Decimal = book["bidPrice"].as_str().unwrap().parse().unwrap();
        let ask: Decimal = book["askPrice"].as_str().unwrap().parse().unwrap();
        assert_eq!(ask - bid, Decimal::new(1, 2));
    }

    #[tokio::test]
    async fn rolling_ticker() {
        let app = new_router(3);
        let (_, headers, body) = get(
            &app,
            "/api/v3/ticker?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D&windowSize=15m",
        )
        .await;
        assert_eq!(headers["x-mbx-used-weight-1m"], "8");
        let rows = body.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].get("prevClosePrice").is_none() && rows[0].get("priceChange").is_some());
        let open = rows[0]["openTime"].as_i64().unwrap();
        assert_eq!(open % 60_000, 0);
        let close = rows[0]["closeTime"].as_i64().unwrap();
        assert!(close - open >= 15 * 60_000 && close - open < 16 * 60_000);
    }

    #[tokio::test]
    async fn ticker_errors() {
        let app = new_router(3);
        let cases = [
            (
                "/api/v3/ticker/24hr?symbol=BTCUSDT&type=HUGE",
                -1139,
                "Invalid ticker type.",
            ),
            (
                "/api/v3/ticker/price?symbol=BTCUSDT&symbols=%5B%22ETHUSDT%22%5D",
                -1128,
                "Combination of optional parameters invalid.",
            ),
            ("/api/v3/ticker/bookTicker?symbol=NOPE", -1121, "Invalid symbol."),
            (
                "/api/v3/ticker",
                -1102,
                "Param 'symbol' or 'symbols' must be sent, but both were empty/null!",
            ),
            (
                "/api/v3/ticker?symbol=BTCUSDT&windowSize=8d",
                -1130,
                "Data sent for parameter 'windowSize' is not valid.",
            ),
        ];
        for (uri, code, msg) in cases {
            let (status, _, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(body, json!({"code": code, "msg": msg}), "{uri}");
        }
    }
}
