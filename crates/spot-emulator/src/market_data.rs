//! Market data endpoints: `GET /api/v3/depth`, `/trades`, `/klines`, `/uiKlines`, `/avgPrice`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::EmulatorState;
use super::candles::{Interval, parse_time_zone, window_stats};
use super::error::{ApiError, code};
use super::market::GENESIS_MS;
use super::params::Params;
use super::symbol_param::{instrument, require_status};
use super::wire::fixed8;

/// Trades sampled per kline when a kline has too many trades to sum exactly.
pub(super) const KLINE_SAMPLES: u64 = 48;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// `GET /api/v3/depth`: `limit` default 100, values above 5000 clipped to 5000.
pub async fn depth(State(state): State<Arc<EmulatorState>>, params: Params) -> Result<Json<Depth>, ApiError> {
    params.allow_only(&["symbol", "limit", "symbolStatus"])?;
    let inst = instrument(&state, &params)?;
    let limit = params.limit(100, 5000)?;
    require_status(&params, inst)?;
    let book = state.market.book(inst, state.clock.now_ms(), limit);
    let level = |(price, qty): (rust_decimal::Decimal, rust_decimal::Decimal)| [fixed8(price), fixed8(qty)];
    Ok(Json(Depth {
        last_update_id: book.last_update_id,
        bids: book.bids.into_iter().map(level).collect(),
        asks: book.asks.into_iter().map(level).collect(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeRow {
    id: u64,
    price: String,
    qty: String,
    quote_qty: String,
    time: i64,
    is_buyer_maker: bool,
    is_best_match: bool,
}

/// `GET /api/v3/trades`: the most recent `limit` trades (default 500, max 1000), oldest first.
pub async fn trades(State(state): State<Arc<EmulatorState>>, params: Params) -> Result<Json<Vec<TradeRow>>, ApiError> {
    params.allow_only(&["symbol", "limit"])?;
    let inst = instrument(&state, &params)?;
    let limit = params.limit(500, 1000)? as u64;
    let market = &state.market;
    let Some(last) = market.last_trade_at_or_before(inst, state.clock.now_ms()) else {
        return Ok(Json(Vec::new()));
    };
    let first = last.saturating_sub(limit - 1);
    let rows = (first..=last)
        .map(|id| {
            let t = market.trade(inst, id);
            TradeRow {
                id: t.id,
                price: fixed8(t.price),
                qty: fixed8(t.qty),
                quote_qty: fixed8(t.price * t.qty),
                time: t.time,
                is_buyer_maker: t.is_buyer_maker,
                is_best_match: true,
            }
        })
        .collect();
    Ok(Json(rows))
}

/// One kline: `[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades,
/// takerBuyBase, takerBuyQuote, "0"]`.
pub type KlineRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    u64,
    String,
    String,
    &'static str,
);

/// `GET /api/v3/klines` and `/uiKlines`: no time → the latest `limit`; `startTime` → the oldest from
/// there; `endTime` → the newest up to it; both → from `startTime` without passing `endTime`.
/// A kline is selected by its open time; the current (unclosed) kline is included.
pub async fn klines(State(state): State<Arc<EmulatorState>>, params: Params) -> Result<Json<Vec<KlineRow>>, ApiError> {
    params.allow_only(&["symbol", "interval", "startTime", "endTime", "timeZone", "limit"])?;
    params.required_symbol()?;
    let interval = params.required("interval")?;
    let interval =
        Interval::parse(interval).ok_or_else(|| ApiError::bad_request(code::BAD_INTERVAL, "Invalid interval."))?;
    let start = params.optional_time_ms("startTime")?;
    let end = params.optional_time_ms("endTime")?;
    let tz = match params.optional("timeZone")? {
        None => 0,
        Some(text) => parse_time_zone(text).ok_or_else(|| ApiError::invalid_value("timeZone"))?,
    };
    let limit = params.limit(500, 1000)?;
    let inst = instrument(&state, &params)?;

    let now = state.clock.now_ms();
    let opens = kline_opens(interval, tz, start, end, now, limit);
    let market = &state.market;
    let rows = opens
        .into_iter()
        .map(|open| {
            let close_time = interval.next_open(open, tz) - 1;
            let s = window_stats(market, inst, open, close_time.min(now), KLINE_SAMPLES);
            (
                open,
                fixed8(s.open),
                fixed8(s.high),
                fixed8(s.low),
                fixed8(s.close),
                fixed8(s.volume),
                close_time,
                fixed8(s.quote_volume),
                s.count,
                fixed8(s.taker_buy_base),
                fixed8(s.taker_buy_quote),
                "0",
            )
        })
        .collect();
    Ok(Json(rows))
}

/// Open times of the selected klines, oldest first (none before [`GENESIS_MS`] or after `now`).
fn kline_opens(interval: Interval, tz: i64, start: Option<i64>, end: Option<i64>, now: i64, limit: usize) -> Vec<i64> {
    let last_allowed = end.unwrap_or(now).min(now);
    let first_allowed = interval.open_of(GENESIS_MS, tz);
    let mut opens = Vec::with_capacity(limit.min(1000));
    match start {
        Some(start) => {
            let mut open = interval.open_of(start.max(first_allowed), tz);
            if open < start {
                open = interval.next_open(open, tz);
            }
            while opens.len() < limit && open <= last_allowed {
                opens.push(open);
                open = interval.next_open(open, tz);
            }
        }
        None => {
            let mut open = interval.open_of(last_allowed, tz);
            while opens.len() < limit && open >= first_allowed {
                opens.push(open);
                open = interval.prev_open(open, tz);
            }
            opens.reverse();
        }
    }
    opens
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvgPrice {
    mins: u32,
    price: String,
    close_time: i64,
}

/// `GET /api/v3/avgPrice`: volume-weighted average over the last 5 minutes; `closeTime` is the
/// time of the last trade.
pub async fn avg_price(State(state): State<Arc<EmulatorState>>, params: Params) -> Result<Json<AvgPrice>, ApiError> {
    params.allow_only(&["symbol"])?;
    let inst = instrument(&state, &params)?;
    let mins = inst.spec.percent_price_by_side.avg_price_mins;
    let now = state.clock.now_ms();
    let s = window_stats(&state.market, inst, now - i64::from(mins) * 60_000, now, 64);
    Ok(Json(AvgPrice {
        mins,
        price: fixed8(super::reference::average_price(&state.market, inst, mins, now)),
        close_time: s.last_trade_time,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testkit::{get, new_router};
    use super::*;
    use axum::http::StatusCode;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    fn dec(v: &Value) -> Decimal {
        v.as_str().unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn depth_is_ordered_and_on_the_tick() {
        let app = new_router(9);
        let (status, headers, body) = get(&app, "/api/v3/depth?symbol=BTCUSDT&limit=50").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-mbx-used-weight-1m"], "5");
        let (bids, asks) = (body["bids"].as_array().unwrap(), body["asks"].as_array().unwrap());
        assert_eq!((bids.len(), asks.len()), (50, 50));
        let tick = Decimal::new(1, 2);
        let bid_prices: Vec<Decimal> = bids.iter().map(|l| dec(&l[0])).collect();
        let ask_prices: Vec<Decimal> = asks.iter().map(|l| dec(&l[0])).collect();
        assert!(ask_prices[0] > bid_prices[0]);
        assert!(bid_prices.windows(2).all(|w| w[0] > w[1]));
        assert!(ask_prices.windows(2).all(|w| w[0] < w[1]));
        assert!(bid_prices.iter().chain(&ask_prices).all(|p| (p % tick).is_zero()));
        assert!(bids.iter().all(|l| dec(&l[1]) > Decimal::ZERO));
        assert_eq!(bids[0][0].as_str().unwrap().split('.').nth(1).unwrap().len(), 8);
        assert!(body["lastUpdateId"].as_u64().unwrap() > 0);
    }

    #[tokio::test]
    async fn depth_limit_is_clipped_and_default_is_100() {
        let app = new_router(9);
        let (_, headers, body) = get(&app, "/api/v3/depth?symbol=ETHUSDT&limit=6000").await;
        assert_eq!(body["asks"].as_array().unwrap().len(), 5000);
        assert_eq!(headers["x-mbx-used-weight-1m"], "250");
        let (_, _, body) = get(&app, "/api/v3/depth?symbol=ETHUSDT").await;
        assert_eq!(body["bids"].as_array().unwrap().len(), 100);
    }

    #[tokio::test]
    async fn market_data_errors() {
        let app = new_router(9);
        let cases = [
            ("/api/v3/depth?symbol=NOPE", -1121, "Invalid symbol."),
            (
                "/api/v3/depth",
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            ),
            (
                "/api/v3/trades?symbol=BTCUSDT&limit=abc",
                -1100,
                "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.",
            ),
            ("/api/v3/klines?symbol=BTCUSDT&interval=2d", -1120, "Invalid interval."),
            (
                "/api/v3/klines?symbol=BTCUSDT",
                -1102,
                "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
            ),
            ("/api/v3/klines?symbol=NOPE&interval=1m", -1121, "Invalid symbol."),
            (
                "/api/v3/depth?symbol=BTCUSDT&symbolStatus=HALT",
                -1220,
                "The symbol's status does not match the requested symbolStatus.",
            ),
            (
                "/api/v3/avgPrice?symbol=BTCUSDT&foo=1",
                -1104,
                "Not all sent parameters were read; read '1' parameter(s) but was sent '2'.",
            ),
        ];
        for (uri, code, msg) in cases {
            let (status, _, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(body, json!({"code": code, "msg": msg}), "{uri}");
        }
    }

    #[tokio::test]
    async fn trades_are_recent_and_increasing() {
        let app = new_router(4);
        let (_, headers, body) = get(&app, "/api/v3/trades?symbol=XRPUSDT&limit=20").await;
        assert_eq!(headers["x-mbx-used-weight-1m"], "25");
        let rows = body.as_array().unwrap();
        assert_eq!(rows.len(), 20);
        assert!(rows.windows(2).all(|w| {
            w[1]["id"].as_u64().unwrap() == w[0]["id"].as_u64().unwrap() + 1
                && w[1]["time"].as_i64() > w[0]["time"].as_i64()
        }));
        for r in rows {
            assert_eq!(dec(&r["quoteQty"]), dec(&r["price"]) * dec(&r["qty"]));
            assert_eq!(r["isBestMatch"], true);
        }
    }

    #[tokio::test]
    async fn klines_are_deterministic_for_a_fixed_range() {
        let uri = "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1767225600000&endTime=1767312000000";
        let (_, _, a) = get(&new_router(42), uri).await;
        let (_, _, b) = get(&new_router(42), uri).await;
        let (_, _, c) = get(&new_router(43), uri).await;
        assert_eq!(a.as_array().unwrap().len(), 25);
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        assert_ne!(a, c);
    }

    #[tokio::test]
    async fn klines_are_consistent() {
        let app = new_router(8);
        let uri = "/api/v3/klines?symbol=ETHUSDT&interval=1m&startTime=1767225600000&limit=120";
        let (status, headers, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-mbx-used-weight-1m"], "2");
        let rows = body.as_array().unwrap();
        assert_eq!(rows.len(), 120);
        assert_eq!(rows[0][0], 1_767_225_600_000_i64);
        for (i, k) in rows.iter().enumerate() {
            let open_time = k[0].as_i64().unwrap();
            assert_eq!(open_time, 1_767_225_600_000 + i as i64 * 60_000);
            assert_eq!(k[6].as_i64().unwrap(), open_time + 60_000 - 1);
            let (o, h, l, c) = (dec(&k[1]), dec(&k[2]), dec(&k[3]), dec(&k[4]));
            assert!(l <= o && l <= c && o <= h && c <= h && l > Decimal::ZERO);
            assert!(dec(&k[9]) <= dec(&k[5]) && dec(&k[10]) <= dec(&k[7]));
            assert_eq!(k[8], 240);
            assert_eq!(k[11], "0");
        }
        let (_, _, ui) = get(&app, &uri.replace("klines", "uiKlines")).await;
        assert_eq!(ui, body);
    }

    #[test]
    fn kline_selection_semantics() {
        let m = Interval::parse("1m").unwrap();
        let now = 1_767_225_630_000; // 30 s into a minute
        let latest = kline_opens(m, 0, None, None, now, 3);
        assert_eq!(latest, [now - 150_000, now - 90_000, now - 30_000]);
        let from = kline_opens(m, 0, Some(now - 150_001), None, now, 2);
        assert_eq!(from, [now - 90_000 - 60_000, now - 90_000]);
        let to = kline_opens(m, 0, None, Some(now - 60_000), now, 2);
        assert_eq!(to, [now - 150_000, now - 90_000]);
        let both = kline_opens(m, 0, Some(now - 150_000), Some(now - 90_000), now, 10);
        assert_eq!(both, [now - 150_000, now - 90_000]);
        assert!(kline_opens(m, 0, Some(now), Some(now - 100_000), now, 10).is_empty());
        assert!(kline_opens(m, 0, Some(now + 120_000), None, now, 10).is_empty());
    }

    #[tokio::test]
    async fn avg_price_shape() {
        let app = new_router(2);
        let (_, headers, body) = get(&app, "/api/v3/avgPrice?symbol=BNBUSDT").await;
        assert_eq!(headers["x-mbx-used-weight-1m"], "2");
        assert_eq!(body["mins"], 5);
        let price = dec(&body["price"]);
        assert!(price > Decimal::new(500, 0) && price < Decimal::new(800, 0));
        assert!(body["closeTime"].as_i64().unwrap() > 1_700_000_000_000);
    }
}
