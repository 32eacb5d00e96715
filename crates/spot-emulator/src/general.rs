//! General endpoints: `GET /api/v3/ping`, `/time` and `/exchangeInfo` (rules rendered from the fixtures).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::EmulatorState;
use super::error::{ApiError, code};
use super::params::{Params, SymbolSelection};
use super::symbols::{ALLOWED_STP_MODES, ORDER_TYPES, STATUS_FILTERS, SymbolSpec};
use super::wire::{fixed8, plain};

/// `GET /api/v3/ping` → `{}`.
pub async fn ping(params: Params) -> Result<Json<serde_json::Value>, ApiError> {
    params.allow_only(&[])?;
    Ok(Json(serde_json::json!({})))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    server_time: i64,
}

/// `GET /api/v3/time` → `{"serverTime": ms}`.
pub async fn time(State(state): State<Arc<EmulatorState>>, params: Params) -> Result<Json<ServerTime>, ApiError> {
    params.allow_only(&[])?;
    Ok(Json(ServerTime {
        server_time: state.clock.now_ms(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    timezone: &'static str,
    server_time: i64,
    rate_limits: Vec<RateLimit>,
    exchange_filters: [(); 0],
    symbols: Vec<SymbolInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimit {
    rate_limit_type: &'static str,
    interval: &'static str,
    interval_num: u32,
    limit: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SymbolInfo {
    symbol: String,
    status: &'static str,
    base_asset: String,
    base_asset_precision: u32,
    quote_asset: String,
    quote_precision: u32,
    quote_asset_precision: u32,
    base_commission_precision: u32,
    quote_commission_precision: u32,
    order_types: [&'static str; 7],
    iceberg_allowed: bool,
    oco_allowed: bool,
    oto_allowed: bool,
    opo_allowed: bool,
    quote_order_qty_market_allowed: bool,
    allow_trailing_stop: bool,
    cancel_replace_allowed: bool,
    amend_allowed: bool,
    peg_instructions_allowed: bool,
    is_spot_trading_allowed: bool,
    is_margin_trading_allowed: bool,
    filters: Vec<Filter>,
    permissions: [(); 0],
    permission_sets: Vec<Vec<String>>,
    default_self_trade_prevention_mode: &'static str,
    allowed_self_trade_prevention_modes: [&'static str; 5],
}

/// Symbol filters as exchangeInfo writes them: decimals as strings, counts as numbers.
/// Variant names mirror the wire `filterType`s (`PRICE_FILTER`).
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
enum Filter {
    #[serde(rename_all = "camelCase")]
    PriceFilter {
        min_price: String,
        max_price: String,
        tick_size: String,
    },
    #[serde(rename_all = "camelCase")]
    LotSize {
        min_qty: String,
        max_qty: String,
        step_size: String,
    },
    IcebergParts {
        limit: u32,
    },
    #[serde(rename_all = "camelCase")]
    MarketLotSize {
        min_qty: String,
        max_qty: String,
        step_size: String,
    },
    #[serde(rename_all = "camelCase")]
    TrailingDelta {
        min_trailing_above_delta: u32,
        max_trailing_above_delta: u32,
        min_trailing_below_delta: u32,
        max_trailing_below_delta: u32,
    },
    #[serde(rename_all = "camelCase")]
    PercentPriceBySide {
        bid_multiplier_up: String,
        bid_multiplier_down: String,
        ask_multiplier_up: String,
        ask_multiplier_down: String,
        avg_price_mins: u32,
    },
    #[serde(rename_all = "camelCase")]
    Notional {
        min_notional: String,
        apply_min_to_market: bool,
        max_notional: String,
        apply_max_to_market: bool,
        avg_price_mins: u32,
    },
    #[serde(rename_all = "camelCase")]
    MaxNumOrders {
        max_num_orders: u32,
    },
    #[serde(rename_all = "camelCase")]
    MaxNumOrderLists {
        max_num_order_lists: u32,
    },
    #[serde(rename_all = "camelCase")]
    MaxNumAlgoOrders {
        max_num_algo_orders: u32,
    },
    #[serde(rename_all = "camelCase")]
    MaxNumOrderAmends {
        max_num_order_amends: u32,
    },
}

/// `GET /api/v3/exchangeInfo` with `symbol` | `symbols` | `permissions` | `symbolStatus`
/// (the last two not combinable with a symbol: -1128) and `showPermissionSets`.
pub async fn exchange_info(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<ExchangeInfo>, ApiError> {
    params.allow_only(&["symbol", "symbols", "permissions", "showPermissionSets", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    let permissions = params.optional("permissions")?.map(parse_permissions).transpose()?;
    let status = params.optional("symbolStatus")?;
    if status.is_some_and(|s| !STATUS_FILTERS.contains(&s)) {
        return Err(ApiError::bad_request(
            code::INVALID_SYMBOLSTATUS,
            "Invalid symbolStatus.",
        ));
    }
    if (permissions.is_some() || status.is_some()) && selection != SymbolSelection::All {
        return Err(ApiError::bad_combination());
    }
    let show_sets = params.optional_bool("showPermissionSets")?.unwrap_or(true);

    let market = &state.market;
    let specs: Vec<&SymbolSpec> = match &selection {
        SymbolSelection::One(symbol) => vec![&market.instrument(symbol).ok_or_else(ApiError::invalid_symbol)?.spec],
        SymbolSelection::Many(list) => list
            .iter()
            .map(|s| {
                market
                    .instrument(s)
                    .map(|i| &i.spec)
                    .ok_or_else(ApiError::invalid_symbol)
            })
            .collect::<Result<_, _>>()?,
        SymbolSelection::All => {
            let wanted = permissions.unwrap_or_else(|| vec!["SPOT".into(), "MARGIN".into(), "LEVERAGED".into()]);
            market
                .instruments()
                .iter()
                .map(|i| &i.spec)
                .filter(|s| status.is_none_or(|st| s.status == st))
                .filter(|s| s.permission_sets.iter().flatten().any(|p| wanted.contains(p)))
                .collect()
        }
    };

    Ok(Json(ExchangeInfo {
        timezone: "UTC",
        server_time: state.clock.now_ms(),
        rate_limits: rate_limits(&state.config),
        exchange_filters: [],
        symbols: specs.into_iter().map(|s| symbol_info(s, show_sets)).collect(),
    }))
}

/// `SPOT` or `["MARGIN","LEVERAGED"]`.
fn parse_permissions(raw: &str) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = if raw.starts_with('[') {
        serde_json::from_str(raw).map_err(|_| ApiError::invalid_value("permissions"))?
    } else {
        vec![raw.to_owned()]
    };
    let word = |p: &String| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    if list.iter().all(word) {
        Ok(list)
    } else {
        Err(ApiError::invalid_value("permissions"))
    }
}

fn rate_limits(config: &super::EmulatorConfig) -> Vec<RateLimit> {
    let limit = |rate_limit_type, interval, interval_num, limit| RateLimit {
        rate_limit_type,
        interval,
        interval_num,
        limit,
    };
    vec![
        limit("REQUEST_WEIGHT", "MINUTE", 1, config.weight_limit_per_minute),
        limit("ORDERS", "SECOND", 10, config.orders_per_10s),
        limit("ORDERS", "DAY", 1, config.orders_per_day),
        limit("RAW_REQUESTS", "MINUTE", 5, 300_000),
    ]
}

fn symbol_info(spec: &SymbolSpec, show_permission_sets: bool) -> SymbolInfo {
    let flags = &spec.flags;
    SymbolInfo {
        symbol: spec.symbol.clone(),
        status: spec.status,
        base_asset: spec.base_asset.clone(),
        base_asset_precision: spec.base_asset_precision,
        quote_asset: spec.quote_asset.clone(),
        quote_precision: spec.quote_asset_precision,
        quote_asset_precision: spec.quote_asset_precision,
        base_commission_precision: spec.base_asset_precision,
        quote_commission_precision: spec.quote_asset_precision,
        order_types: ORDER_TYPES,
        iceberg_allowed: flags.iceberg_allowed,
        oco_allowed: flags.oco_allowed,
        oto_allowed: flags.oto_allowed,
        opo_allowed: flags.opo_allowed,
        quote_order_qty_market_allowed: flags.quote_order_qty_market_allowed,
        allow_trailing_stop: flags.allow_trailing_stop,
        cancel_replace_allowed: flags.cancel_replace_allowed,
        amend_allowed: flags.amend_allowed,
        peg_instructions_allowed: flags.peg_instructions_allowed,
        is_spot_trading_allowed: flags.is_spot_trading_allowed,
        is_margin_trading_allowed: flags.is_margin_trading_allowed,
        filters: filters(spec),
        permissions: [],
        permission_sets: if show_permission_sets {
            spec.permission_sets.clone()
        } else {
            Vec::new()
        },
        default_self_trade_prevention_mode: spec.default_stp_mode,
        allowed_self_trade_prevention_modes: ALLOWED_STP_MODES,
    }
}

fn filters(spec: &SymbolSpec) -> Vec<Filter> {
    let (pf, lot, mlot) = (&spec.price_filter, &spec.lot_size, &spec.market_lot_size);
    let (td, pp, nt, oc) = (
        &spec.trailing_delta,
        &spec.percent_price_by_side,
        &spec.notional,
        &spec.order_counts,
    );
    vec![
        Filter::PriceFilter {
            min_price: fixed8(pf.min_price),
            max_price: fixed8(pf.max_price),
            tick_size: fixed8(pf.tick_size),
        },
        Filter::LotSize {
            min_qty: fixed8(lot.min_qty),
            max_qty: fixed8(lot.max_qty),
            step_size: fixed8(lot.step_size),
        },
        Filter::IcebergParts {
            limit: spec.iceberg_parts,
        },
        Filter::MarketLotSize {
            min_qty: fixed8(mlot.min_qty),
            max_qty: fixed8(mlot.max_qty),
            step_size: fixed8(mlot.step_size),
        },
        Filter::TrailingDelta {
            min_trailing_above_delta: td.min_above,
            max_trailing_above_delta: td.max_above,
            min_trailing_below_delta: td.min_below,
            max_trailing_below_delta: td.max_below,
        },
        Filter::PercentPriceBySide {
            bid_multiplier_up: plain(pp.bid_multiplier_up),
            bid_multiplier_down: plain(pp.bid_multiplier_down),
            ask_multiplier_up: plain(pp.ask_multiplier_up),
            ask_multiplier_down: plain(pp.ask_multiplier_down),
            avg_price_mins: pp.avg_price_mins,
        },
        Filter::Notional {
            min_notional: fixed8(nt.min_notional),
            apply_min_to_market: nt.apply_min_to_market,
            max_notional: fixed8(nt.max_notional),
            apply_max_to_market: nt.apply_max_to_market,
            avg_price_mins: nt.avg_price_mins,
        },
        Filter::MaxNumOrders {
            max_num_orders: oc.max_num_orders,
        },
        Filter::MaxNumOrderLists {
            max_num_order_lists: oc.max_num_order_lists,
        },
        Filter::MaxNumAlgoOrders {
            max_num_algo_orders: oc.max_num_algo_orders,
        },
        Filter::MaxNumOrderAmends {
            max_num_order_amends: oc.max_num_order_amends,
        },
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testkit::{get, new_router};
    use axum::http::StatusCode;
    use serde_json::json;

    #[tokio::test]
    async fn ping_and_time() {
        let app = new_router(1);
        let (status, _, body) = get(&app, "/api/v3/ping").await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let (_, _, body) = get(&app, "/api/v3/time").await;
        assert!(body["serverTime"].as_i64().unwrap() > 1_700_000_000_000);
    }

    #[tokio::test]
    async fn exchange_info_for_one_symbol_has_the_2026_shape() {
        let app = new_router(1);
        let (status, _, body) = get(&app, "/api/v3/exchangeInfo?symbol=BTCUSDT").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["timezone"], "UTC");
        assert_eq!(body["exchangeFilters"], json!([]));
        assert_eq!(
            body["rateLimits"],
            json!([
                {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},
                {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100},
                {"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":200000},
                {"rateLimitType":"RAW_REQUESTS","interval":"MINUTE","intervalNum":5,"limit":300000}
            ])
        );
        let symbols = body["symbols"].as_array().unwrap();
        assert_eq!(symbols.len(), 1);
        let btc = &symbols[0];
        assert_eq!(btc["symbol"], "BTCUSDT");
        assert_eq!(btc["status"], "TRADING");
        assert_eq!(btc["orderTypes"].as_array().unwrap().len(), 7);
        assert_eq!(btc["permissions"], json!([]));
        assert_eq!(btc["permissionSets"][0][0], "SPOT");
        assert_eq!(btc["defaultSelfTradePreventionMode"], "EXPIRE_MAKER");
        let filters = btc["filters"].as_array().unwrap();
        let types: Vec<&str> = filters.iter().map(|f| f["filterType"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "PRICE_FILTER",
                "LOT_SIZE",
                "ICEBERG_PARTS",
                "MARKET_LOT_SIZE",
                "TRAILING_DELTA",
                "PERCENT_PRICE_BY_SIDE",
                "NOTIONAL",
                "MAX_NUM_ORDERS",
                "MAX_NUM_ORDER_LISTS",
                "MAX_NUM_ALGO_ORDERS",
                "MAX_NUM_ORDER_AMENDS"
            ]
        );
        assert_eq!(
            filters[0],
            json!({"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"})
        );
        assert_eq!(filters[1]["stepSize"], "0.00001000");
        assert_eq!(filters[2], json!({"filterType":"ICEBERG_PARTS","limit":100}));
        assert_eq!(filters[5]["bidMultiplierDown"], "0.2");
        assert_eq!(filters[6]["applyMinToMarket"], true);
        assert_eq!(
            filters[10],
            json!({"filterType":"MAX_NUM_ORDER_AMENDS","maxNumOrderAmends":10})
        );
    }

    #[tokio::test]
    async fn exchange_info_for_a_symbols_array() {
        let app = new_router(1);
        let uri = "/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D";
        let (status, _, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = body["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["symbol"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["BTCUSDT", "ETHUSDT"]);
        let (_, _, all) = get(&app, "/api/v3/exchangeInfo?showPermissionSets=false").await;
        assert_eq!(
            all["symbols"].as_array().unwrap().len(),
            super::super::symbols::default_symbols().len()
        );
        assert_eq!(all["symbols"][0]["permissionSets"], json!([]));
    }

    #[tokio::test]
    async fn exchange_info_errors() {
        let app = new_router(1);
        let cases = [
            ("symbol=NOPEUSDT", -1121, "Invalid symbol."),
            (r#"symbols=["BTCUSDT","NOPE"]"#, -1121, "Invalid symbol."),
            (
                "symbol=BTCUSDT&permissions=SPOT",
                -1128,
                "Combination of optional parameters invalid.",
            ),
            ("symbolStatus=OPEN", -1122, "Invalid symbolStatus."),
        ];
        for (query, code, msg) in cases {
            let uri = format!("/api/v3/exchangeInfo?{}", query.replace('"', "%22"));
            let (status, _, body) = get(&app, &uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(body, json!({"code": code, "msg": msg}), "{query}");
        }
    }
}
