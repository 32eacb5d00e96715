//! Wire shapes of orders and trades (`rest-api.md`): placement ACK/RESULT/FULL, query, cancel,
//! `myTrades` rows, and the conditional fields, with decimals as 8-decimal strings.

use serde::Serialize;

use super::order_model::{Order, RespType};
use super::wire::fixed8;

/// Conditional fields every order shape may carry (`Conditional fields in Order Responses`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditional {
    #[serde(skip_serializing_if = "Option::is_none")]
    trailing_delta: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trailing_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy_type: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_reason: Option<&'static str>,
}

impl Conditional {
    fn of(order: &Order) -> Self {
        Self {
            trailing_delta: order.trail.map(|t| t.delta_bips),
            trailing_time: order.trail.map(|_| order.trailing_time),
            strategy_id: order.strategy_id,
            strategy_type: order.strategy_type,
            expiry_reason: order.expiry_reason,
        }
    }
}

/// `POST /api/v3/order` answer: ACK fields, plus RESULT fields, plus `fills` for FULL.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placed {
    symbol: String,
    order_id: u64,
    order_list_id: i64,
    client_order_id: String,
    transact_time: i64,
    #[serde(flatten)]
    result: Option<PlacedResult>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlacedResult {
    price: String,
    /// Absent for a pending OPO leg: it has no quantity until its working order fills (the
    /// documented OPO/OPOCO answers omit it).
    #[serde(skip_serializing_if = "Option::is_none")]
    orig_qty: Option<String>,
    executed_qty: String,
    orig_quote_order_qty: String,
    cummulative_quote_qty: String,
    status: &'static str,
    time_in_force: &'static str,
    r#type: &'static str,
    side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iceberg_qty: Option<String>,
    #[serde(flatten)]
    conditional: Conditional,
    working_time: i64,
    self_trade_prevention_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fills: Option<Vec<FillRow>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FillRow {
    price: String,
    qty: String,
    commission: String,
    commission_asset: String,
    trade_id: u64,
}

/// A pending OPO leg: waiting for its working order, with no quantity of its own yet.
fn is_quantity_pending(order: &Order) -> bool {
    order.status == super::order_model::Status::PendingNew && order.orig_qty.is_zero()
}

/// The placement answer in the requested shape.
pub fn placed(order: &Order, resp_type: RespType) -> Placed {
    let result = (resp_type != RespType::Ack).then(|| PlacedResult {
        price: fixed8(order.price),
        orig_qty: (!is_quantity_pending(order)).then(|| fixed8(order.orig_qty)),
        executed_qty: fixed8(order.executed_qty),
        orig_quote_order_qty: fixed8(order.orig_quote_order_qty),
        cummulative_quote_qty: fixed8(order.cumm_quote_qty),
        status: order.status.as_str(),
        time_in_force: order.time_in_force.as_str(),
        r#type: order.kind.as_str(),
        side: order.side.as_str(),
        stop_price: order.stop_price.map(fixed8),
        iceberg_qty: order.iceberg_qty.map(fixed8),
        conditional: Conditional::of(order),
        working_time: order.working_time,
        self_trade_prevention_mode: order.stp_mode.clone(),
        fills: (resp_type == RespType::Full).then(|| {
            order
                .fills
                .iter()
                .map(|f| FillRow {
                    price: fixed8(f.price),
                    qty: fixed8(f.qty),
                    commission: fixed8(f.commission),
                    commission_asset: f.commission_asset.clone(),
                    trade_id: f.trade_id,
                })
                .collect()
        }),
    });
    Placed {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: order.wire_list_id(),
        client_order_id: order.client_order_id.clone(),
        transact_time: order.time,
        result,
    }
}

/// `GET /api/v3/order`, `openOrders` and `allOrders` rows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queried {
    symbol: String,
    order_id: u64,
    order_list_id: i64,
    client_order_id: String,
    price: String,
    orig_qty: String,
    executed_qty: String,
    cummulative_quote_qty: String,
    status: &'static str,
    time_in_force: &'static str,
    r#type: &'static str,
    side: &'static str,
    stop_price: String,
    iceberg_qty: String,
    time: i64,
    update_time: i64,
    is_working: bool,
    working_time: i64,
    orig_quote_order_qty: String,
    self_trade_prevention_mode: String,
    #[serde(flatten)]
    conditional: Conditional,
}

/// The query shape of `order`.
pub fn queried(order: &Order) -> Queried {
    Queried {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: order.wire_list_id(),
        client_order_id: order.client_order_id.clone(),
        price: fixed8(order.price),
        orig_qty: fixed8(order.orig_qty),
        executed_qty: fixed8(order.executed_qty),
        cummulative_quote_qty: fixed8(order.cumm_quote_qty),
        status: order.status.as_str(),
        time_in_force: order.time_in_force.as_str(),
        r#type: order.kind.as_str(),
        side: order.side.as_str(),
        stop_price: fixed8(order.stop_price.unwrap_or_default()),
        iceberg_qty: fixed8(order.iceberg_qty.unwrap_or_default()),
        time: order.time,
        update_time: order.update_time,
        is_working: !order.is_pending_trigger(),
        working_time: order.working_time,
        orig_quote_order_qty: fixed8(order.orig_quote_order_qty),
        self_trade_prevention_mode: order.stp_mode.clone(),
        conditional: Conditional::of(order),
    }
}

/// `DELETE /api/v3/order` and `DELETE /api/v3/openOrders` rows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Canceled {
    symbol: String,
    orig_client_order_id: String,
    order_id: u64,
    order_list_id: i64,
    client_order_id: String,
    transact_time: i64,
    price: String,
    orig_qty: String,
    executed_qty: String,
    orig_quote_order_qty: String,
    cummulative_quote_qty: String,
    status: &'static str,
    time_in_force: &'static str,
    r#type: &'static str,
    side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iceberg_qty: Option<String>,
    #[serde(flatten)]
    conditional: Conditional,
    self_trade_prevention_mode: String,
}

impl Canceled {
    /// The canceled order's `orderId`.
    pub fn order_id(&self) -> u64 {
        self.order_id
    }
}

/// The cancel shape of `order`, canceled by the request `cancel_id` at `transact_time` (ms).
pub fn canceled(order: &Order, cancel_id: &str, transact_time: i64) -> Canceled {
    Canceled {
        symbol: order.symbol.clone(),
        orig_client_order_id: order.client_order_id.clone(),
        order_id: order.order_id,
        order_list_id: order.wire_list_id(),
        client_order_id: cancel_id.to_owned(),
        transact_time,
        price: fixed8(order.price),
        orig_qty: fixed8(order.orig_qty),
        executed_qty: fixed8(order.executed_qty),
        orig_quote_order_qty: fixed8(order.orig_quote_order_qty),
        cummulative_quote_qty: fixed8(order.cumm_quote_qty),
        status: order.status.as_str(),
        time_in_force: order.time_in_force.as_str(),
        r#type: order.kind.as_str(),
        side: order.side.as_str(),
        stop_price: order.stop_price.map(fixed8),
        iceberg_qty: order.iceberg_qty.map(fixed8),
        conditional: Conditional::of(order),
        self_trade_prevention_mode: order.stp_mode.clone(),
    }
}

/// One `GET /api/v3/myTrades` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeRow {
    symbol: String,
    id: u64,
    order_id: u64,
    order_list_id: i64,
    price: String,
    qty: String,
    quote_qty: String,
    commission: String,
    commission_asset: String,
    time: i64,
    is_buyer: bool,
    is_maker: bool,
    is_best_match: bool,
}

/// The account's trades of `order`, oldest first.
pub fn trade_rows(order: &Order) -> impl Iterator<Item = (u64, i64, TradeRow)> + '_ {
    order.fills.iter().map(|f| {
        let row = TradeRow {
            symbol: order.symbol.clone(),
            id: f.trade_id,
            order_id: order.order_id,
            order_list_id: order.wire_list_id(),
            price: fixed8(f.price),
            qty: fixed8(f.qty),
            quote_qty: fixed8(f.price * f.qty),
            commission: fixed8(f.commission),
            commission_asset: f.commission_asset.clone(),
            time: f.time,
            is_buyer: order.side == super::order_model::Side::Buy,
            is_maker: f.is_maker,
            is_best_match: true,
        };
        (f.trade_id, f.time, row)
    })
}
