//! User Data Stream event payloads (`user-data-stream.md`): `executionReport`, `listStatus`,
//! `outboundAccountPosition` and `eventStreamTerminated`, and which executionReports one
//! order's change since the pump last looked produces, in causal order: NEW (an order the pump
//! has not seen; `X` PENDING_NEW for an order-list leg that waits for its working order, then
//! NEW again with `X` NEW when it goes on the book), a TRADE per new fill, REPLACED (a
//! keep-priority amend), then CANCELED or EXPIRED. A fill that completes the order is a TRADE
//! with `X` FILLED, as on Binance.
//!
//! The emulator never stores a rejected order (rejections are REST errors), so it sends no
//! REJECTED executionReport; a stop order reaching its trigger sends no event of its own.

use rust_decimal::Decimal;
use serde::Serialize;

use super::exchange::Balance;
use super::order_list_model::OrderList;
use super::order_model::{Order, Status};
use super::time_unit::TimeUnit;
use super::wire::fixed8;

/// The `g` (orderListId) of an order's events: -1 for an order outside any order list.
pub fn order_list_id(order: &Order) -> i64 {
    order.order_list_id.and_then(|id| i64::try_from(id).ok()).unwrap_or(-1)
}

/// One event for an account's subscriptions (the `event` of `{"subscriptionId","event"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    Execution(Box<ExecutionReport>),
    List(ListStatusEvent),
    Position(AccountPosition),
    Terminated(StreamTerminated),
}

/// `{"subscriptionId": N, "event": {…}}`, the WebSocket API's event frame.
#[derive(Serialize)]
struct Envelope<'a, T> {
    #[serde(rename = "subscriptionId")]
    subscription_id: u32,
    event: &'a T,
}

impl AccountEvent {
    /// The text frame carrying this event to subscription `subscription_id`, timestamps in
    /// `unit`, fields in the documented order.
    pub fn frame(&self, subscription_id: u32, unit: TimeUnit) -> String {
        fn text<T: Serialize>(subscription_id: u32, event: &T) -> String {
            serde_json::to_string(&Envelope { subscription_id, event }).unwrap_or_default()
        }
        match self {
            Self::Execution(report) => text(subscription_id, &report.in_unit(unit)),
            Self::Position(position) => text(subscription_id, &position.in_unit(unit)),
            Self::List(list) => text(
                subscription_id,
                &ListStatusEvent {
                    event_time: unit.stamp(list.event_time),
                    transaction_time: unit.stamp(list.transaction_time),
                    ..list.clone()
                },
            ),
            Self::Terminated(end) => text(
                subscription_id,
                &StreamTerminated {
                    event_time: unit.stamp(end.event_time),
                    ..end.clone()
                },
            ),
        }
    }
}

/// `executionReport`, fields in the documented order; quantities and prices are 8-decimal
/// strings, times ms since epoch (or µs, see [`AccountEvent::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionReport {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "c")]
    client_order_id: String,
    #[serde(rename = "S")]
    side: &'static str,
    #[serde(rename = "o")]
    order_type: &'static str,
    #[serde(rename = "f")]
    time_in_force: &'static str,
    #[serde(rename = "q")]
    quantity: String,
    #[serde(rename = "p")]
    price: String,
    #[serde(rename = "P")]
    stop_price: String,
    #[serde(rename = "F")]
    iceberg_qty: String,
    #[serde(rename = "g")]
    order_list_id: i64,
    #[serde(rename = "C")]
    orig_client_order_id: String,
    #[serde(rename = "x")]
    execution_type: &'static str,
    #[serde(rename = "X")]
    status: &'static str,
    #[serde(rename = "r")]
    reject_reason: &'static str,
    #[serde(rename = "i")]
    order_id: u64,
    #[serde(rename = "l")]
    last_qty: String,
    #[serde(rename = "z")]
    cumulative_qty: String,
    #[serde(rename = "L")]
    last_price: String,
    #[serde(rename = "n")]
    commission: String,
    #[serde(rename = "N")]
    commission_asset: Option<String>,
    #[serde(rename = "T")]
    transaction_time: i64,
    #[serde(rename = "t")]
    trade_id: i64,
    #[serde(rename = "I")]
    execution_id: u64,
    #[serde(rename = "w")]
    on_book: bool,
    #[serde(rename = "m")]
    maker: bool,
    #[serde(rename = "M")]
    ignore: bool,
    #[serde(rename = "O")]
    creation_time: i64,
    #[serde(rename = "Z")]
    cumulative_quote_qty: String,
    #[serde(rename = "Y")]
    last_quote_qty: String,
    #[serde(rename = "Q")]
    quote_order_qty: String,
    #[serde(rename = "W", skip_serializing_if = "Option::is_none")]
    working_time: Option<i64>,
    #[serde(rename = "V")]
    stp_mode: String,
    #[serde(rename = "d", skip_serializing_if = "Option::is_none")]
    trailing_delta: Option<u32>,
    #[serde(rename = "D", skip_serializing_if = "Option::is_none")]
    trailing_time: Option<i64>,
    #[serde(rename = "j", skip_serializing_if = "Option::is_none")]
    strategy_id: Option<u64>,
    #[serde(rename = "J", skip_serializing_if = "Option::is_none")]
    strategy_type: Option<u64>,
    #[serde(rename = "eR", skip_serializing_if = "Option::is_none")]
    expiry_reason: Option<&'static str>,
}

impl ExecutionReport {
    fn in_unit(&self, unit: TimeUnit) -> Self {
        Self {
            event_time: unit.stamp(self.event_time),
            transaction_time: unit.stamp(self.transaction_time),
            creation_time: unit.stamp(self.creation_time),
            working_time: self.working_time.map(|t| unit.stamp(t)),
            trailing_time: self.trailing_time.map(|t| unit.stamp(t)),
            ..self.clone()
        }
    }
}

/// `outboundAccountPosition`: the balances that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPosition {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "u")]
    last_update: i64,
    #[serde(rename = "B")]
    balances: Vec<PositionBalance>,
}

impl AccountPosition {
    fn in_unit(&self, unit: TimeUnit) -> Self {
        Self {
            event_time: unit.stamp(self.event_time),
            last_update: unit.stamp(self.last_update),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct PositionBalance {
    #[serde(rename = "a")]
    asset: String,
    #[serde(rename = "f")]
    free: String,
    #[serde(rename = "l")]
    locked: String,
}

/// `listStatus`, fields in the documented order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListStatusEvent {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "g")]
    order_list_id: u64,
    #[serde(rename = "c")]
    contingency_type: &'static str,
    #[serde(rename = "l")]
    list_status_type: &'static str,
    #[serde(rename = "L")]
    list_order_status: &'static str,
    #[serde(rename = "r")]
    reject_reason: &'static str,
    #[serde(rename = "C")]
    list_client_order_id: String,
    #[serde(rename = "T")]
    transaction_time: i64,
    #[serde(rename = "O")]
    orders: Vec<ListStatusLeg>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ListStatusLeg {
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "i")]
    order_id: u64,
    #[serde(rename = "c")]
    client_order_id: String,
}

/// What the pump remembers of an order list between two looks: a change of any of these is a
/// `listStatus` event.
pub type SeenList = (&'static str, &'static str, i64);

/// The list as the pump sees it now.
pub fn seen_list(list: &OrderList) -> SeenList {
    (
        list.list_status_type.as_str(),
        list.list_order_status.as_str(),
        list.transaction_time,
    )
}

/// The `listStatus` event of `list` now; `orders` are the account's orders (for the legs'
/// client ids).
pub fn list_event(list: &OrderList, orders: &[Order], now_ms: i64) -> ListStatusEvent {
    ListStatusEvent {
        event_type: "listStatus",
        event_time: now_ms,
        symbol: list.symbol.clone(),
        order_list_id: list.order_list_id,
        contingency_type: list.kind.contingency_type().as_str(),
        list_status_type: list.list_status_type.as_str(),
        list_order_status: list.list_order_status.as_str(),
        reject_reason: "NONE",
        list_client_order_id: list.list_client_order_id.clone(),
        transaction_time: list.transaction_time,
        orders: list
            .order_ids
            .iter()
            .filter_map(|id| orders.iter().find(|o| o.order_id == *id))
            .map(|o| ListStatusLeg {
                symbol: o.symbol.clone(),
                order_id: o.order_id,
                client_order_id: o.client_order_id.clone(),
            })
            .collect(),
    }
}

/// `eventStreamTerminated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamTerminated {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
}

impl StreamTerminated {
    /// The end of a subscription at `now_ms`.
    pub fn at(now_ms: i64) -> Self {
        Self {
            event_type: "eventStreamTerminated",
            event_time: now_ms,
        }
    }
}

/// What the pump remembers of an order between two looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenOrder {
    status: Status,
    fills: usize,
    amendments: u32,
    orig_qty: Decimal,
    client_order_id: String,
}

impl SeenOrder {
    /// The order as it is now.
    pub fn of(order: &Order) -> Self {
        Self {
            status: order.status,
            fills: order.fills.len(),
            amendments: order.amendments,
            orig_qty: order.orig_qty,
            client_order_id: order.client_order_id.clone(),
        }
    }

    /// True when nothing an event reports has changed since.
    pub fn still(&self, order: &Order) -> bool {
        self.status == order.status
            && self.fills == order.fills.len()
            && self.amendments == order.amendments
            && self.orig_qty == order.orig_qty
            && self.client_order_id == order.client_order_id
    }
}

/// The executionReports `order` owes since `seen` (`None`: the pump has never seen it), at
/// `now_ms`. `cancel_client_id` is the `clientOrderId` of the cancel request that ended it, if
/// one did; `execution_ids` is the running `I` sequence.
pub fn order_events(
    seen: Option<&SeenOrder>,
    order: &Order,
    cancel_client_id: Option<&str>,
    now_ms: i64,
    execution_ids: &mut u64,
) -> Vec<ExecutionReport> {
    let mut next_id = || {
        *execution_ids += 1;
        *execution_ids
    };
    // Until a REPLACED event says otherwise, events carry the id and quantity the order had.
    let client_id_before = seen.map_or(order.client_order_id.as_str(), |s| s.client_order_id.as_str());
    let qty_before = seen.map_or(order.orig_qty, |s| s.orig_qty);
    let base = |execution_type: &'static str, status: Status, client_id: &str, qty: Decimal| ExecutionReport {
        event_type: "executionReport",
        event_time: now_ms,
        symbol: order.symbol.clone(),
        client_order_id: client_id.to_owned(),
        side: order.side.as_str(),
        order_type: order.kind.as_str(),
        time_in_force: order.time_in_force.as_str(),
        quantity: fixed8(qty),
        price: fixed8(order.price),
        stop_price: fixed8(order.stop_price.unwrap_or_default()),
        iceberg_qty: fixed8(order.iceberg_qty.unwrap_or_default()),
        order_list_id: order_list_id(order),
        orig_client_order_id: String::new(),
        execution_type,
        status: status.as_str(),
        reject_reason: "NONE",
        order_id: order.order_id,
        last_qty: fixed8(Decimal::ZERO),
        cumulative_qty: fixed8(order.executed_qty),
        last_price: fixed8(Decimal::ZERO),
        commission: "0".to_owned(),
        commission_asset: None,
        transaction_time: order.update_time,
        trade_id: -1,
        execution_id: 0,
        on_book: false,
        maker: false,
        ignore: false,
        creation_time: order.time,
        cumulative_quote_qty: fixed8(order.cumm_quote_qty),
        last_quote_qty: fixed8(Decimal::ZERO),
        quote_order_qty: fixed8(order.orig_quote_order_qty),
        working_time: (order.working_time >= 0).then_some(order.working_time),
        stp_mode: order.stp_mode.clone(),
        trailing_delta: order.trail.map(|t| t.delta_bips),
        trailing_time: order.trail.map(|_| order.trailing_time),
        strategy_id: order.strategy_id,
        strategy_type: order.strategy_type,
        expiry_reason: None,
    };

    let mut events = Vec::new();
    let waiting = |status: Status| status == Status::PendingNew;
    if seen.is_none() {
        // As placed: nothing executed yet; a stop waits off the book for its trigger, and a
        // pending list leg waits for its working order.
        let pending = waiting(order.status);
        let working = !order.kind.is_stop() && !pending;
        let status = if pending { Status::PendingNew } else { Status::New };
        events.push(ExecutionReport {
            cumulative_qty: fixed8(Decimal::ZERO),
            cumulative_quote_qty: fixed8(Decimal::ZERO),
            transaction_time: order.time,
            execution_id: next_id(),
            on_book: working,
            working_time: working.then_some(order.time),
            ..base("NEW", status, client_id_before, qty_before)
        });
    }
    if seen.is_some_and(|s| waiting(s.status)) && !waiting(order.status) {
        // The pending leg went on the book when its working order filled.
        let working = !order.kind.is_stop();
        events.push(ExecutionReport {
            cumulative_qty: fixed8(Decimal::ZERO),
            cumulative_quote_qty: fixed8(Decimal::ZERO),
            transaction_time: order.working_time.max(order.time),
            execution_id: next_id(),
            on_book: working,
            working_time: working.then_some(order.working_time.max(order.time)),
            ..base("NEW", Status::New, client_id_before, qty_before)
        });
    }

    let already_reported = seen.map_or(0, |s| s.fills);
    let (mut executed, mut quote) = (Decimal::ZERO, Decimal::ZERO);
    for (index, fill) in order.fills.iter().enumerate() {
        executed += fill.qty;
        quote += fill.price * fill.qty;
        if index < already_reported {
            continue;
        }
        let complete = executed >= qty_before;
        let status = if complete {
            Status::Filled
        } else {
            Status::PartiallyFilled
        };
        let resting = !complete && order.status.is_open() && !order.kind.is_market_like();
        events.push(ExecutionReport {
            last_qty: fixed8(fill.qty),
            cumulative_qty: fixed8(executed),
            last_price: fixed8(fill.price),
            commission: fixed8(fill.commission),
            commission_asset: Some(fill.commission_asset.clone()),
            transaction_time: fill.time,
            trade_id: i64::try_from(fill.trade_id).unwrap_or(i64::MAX),
            execution_id: next_id(),
            on_book: resting,
            maker: fill.is_maker,
            ignore: true,
            cumulative_quote_qty: fixed8(quote),
            last_quote_qty: fixed8(fill.price * fill.qty),
            ..base("TRADE", status, client_id_before, qty_before)
        });
    }

    let amended = seen.is_some_and(|s| s.amendments != order.amendments);
    if amended {
        events.push(ExecutionReport {
            orig_client_order_id: client_id_before.to_owned(),
            execution_id: next_id(),
            on_book: order.status.is_open() && !order.is_pending_trigger(),
            ..base("REPLACED", order.status, &order.client_order_id, order.orig_qty)
        });
    }

    let was_ended = seen.is_some_and(|s| !s.status.is_open());
    match order.status {
        Status::Canceled if !was_ended => events.push(ExecutionReport {
            client_order_id: cancel_client_id.unwrap_or(&order.client_order_id).to_owned(),
            orig_client_order_id: order.client_order_id.clone(),
            execution_id: next_id(),
            ..base("CANCELED", Status::Canceled, &order.client_order_id, order.orig_qty)
        }),
        Status::Expired if !was_ended => events.push(ExecutionReport {
            execution_id: next_id(),
            expiry_reason: order.expiry_reason,
            ..base("EXPIRED", Status::Expired, &order.client_order_id, order.orig_qty)
        }),
        _ => {}
    }
    events
}

/// The `outboundAccountPosition` for the balances that differ from `seen` (asset, free,
/// locked), if any does; `last_update` is the account's last balance change (ms).
pub fn position_event(
    seen: &[(String, Decimal, Decimal)],
    balances: &[Balance],
    last_update: i64,
    now_ms: i64,
) -> Option<AccountPosition> {
    let changed: Vec<PositionBalance> = balances
        .iter()
        .filter(|b| {
            !seen
                .iter()
                .any(|(asset, free, locked)| *asset == b.asset && *free == b.free && *locked == b.locked)
        })
        .map(|b| PositionBalance {
            asset: b.asset.clone(),
            free: fixed8(b.free),
            locked: fixed8(b.locked),
        })
        .collect();
    (!changed.is_empty()).then_some(AccountPosition {
        event_type: "outboundAccountPosition",
        event_time: now_ms,
        last_update,
        balances: changed,
    })
}

/// What the pump remembers of an account's balances.
pub fn seen_balances(balances: &[Balance]) -> Vec<(String, Decimal, Decimal)> {
    balances.iter().map(|b| (b.asset.clone(), b.free, b.locked)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::order_model::{Fill, OrderType, Side, TimeInForce};
    use super::*;
    use serde_json::json;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn market_buy() -> Order {
        Order {
            symbol: "BTCUSDT".into(),
            order_id: 7,
            order_list_id: None,
            client_order_id: "mine".into(),
            side: Side::Buy,
            kind: OrderType::Market,
            time_in_force: TimeInForce::Gtc,
            price: Decimal::ZERO,
            orig_qty: d("0.003"),
            executed_qty: Decimal::ZERO,
            cumm_quote_qty: Decimal::ZERO,
            orig_quote_order_qty: Decimal::ZERO,
            status: Status::New,
            stop_price: None,
            iceberg_qty: None,
            trail: None,
            trailing_time: -1,
            strategy_id: None,
            strategy_type: None,
            stp_mode: "EXPIRE_MAKER".into(),
            time: 1_000,
            update_time: 1_000,
            working_time: 1_000,
            expiry_reason: None,
            fills: Vec::new(),
            locked: Decimal::ZERO,
            lock_price: Decimal::ZERO,
            checked_ms: 1_000,
            amendments: 0,
        }
    }

    fn fill(order: &mut Order, trade_id: u64, price: &str, qty: &str) {
        let (price, qty) = (d(price), d(qty));
        order.fills.push(Fill {
            trade_id,
            price,
            qty,
            commission: qty / Decimal::from(1000),
            commission_asset: "BTC".into(),
            is_maker: false,
            time: 1_000,
        });
        order.executed_qty += qty;
        order.cumm_quote_qty += price * qty;
    }

    #[test]
    fn a_market_order_that_ran_out_of_book_is_new_trades_then_expired() {
        let mut order = market_buy();
        fill(&mut order, 40, "100", "0.001");
        fill(&mut order, 41, "101", "0.001");
        order.status = Status::Expired;
        order.expiry_reason = Some("INSUFFICIENT_LIQUIDITY");
        let mut ids = 10;
        let events = order_events(None, &order, None, 2_000, &mut ids);
        let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.execution_type, e.status)).collect();
        assert_eq!(
            kinds,
            [
                ("NEW", "NEW"),
                ("TRADE", "PARTIALLY_FILLED"),
                ("TRADE", "PARTIALLY_FILLED"),
                ("EXPIRED", "EXPIRED")
            ]
        );
        assert_eq!(ids, 14);
        let second = serde_json::to_value(&events[2]).unwrap();
        assert_eq!(second["l"], "0.00100000");
        assert_eq!(second["z"], "0.00200000");
        assert_eq!(second["L"], "101.00000000");
        assert_eq!(second["Y"], "0.10100000");
        assert_eq!(second["Z"], "0.20100000");
        assert_eq!(second["t"], 41);
        assert_eq!(second["N"], "BTC");
        assert_eq!(second["w"], false);
        let new = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(new["n"], "0");
        assert_eq!(new["N"], json!(null));
        assert_eq!(new["t"], -1);
        assert_eq!(new["g"], -1);
        assert_eq!(new["C"], "");
        assert_eq!(new["z"], "0.00000000");
        assert_eq!(new["E"], 2_000);
        assert_eq!(new["W"], 1_000);
        assert!(new.get("eR").is_none());
        let expired = serde_json::to_value(&events[3]).unwrap();
        assert_eq!(expired["eR"], "INSUFFICIENT_LIQUIDITY");
        assert_eq!(expired["z"], "0.00200000");
        // Nothing more to say once seen.
        assert!(order_events(Some(&SeenOrder::of(&order)), &order, None, 3_000, &mut ids).is_empty());
    }

    #[test]
    fn documented_field_order_and_time_unit() {
        let order = market_buy();
        let report = order_events(None, &order, None, 2_000, &mut 0).remove(0);
        let text = serde_json::to_string(&report).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut expected = [
            "e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l", "z", "L", "n",
            "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected, "the map sorts its keys");
        assert!(text.starts_with(r#"{"e":"executionReport","E":2000,"s":"BTCUSDT","c":"mine","S":"BUY""#));
        assert!(text.ends_with(r#""W":1000,"V":"EXPIRE_MAKER"}"#), "{text}");
        let frame = AccountEvent::Execution(Box::new(report)).frame(3, TimeUnit::Microsecond);
        assert!(frame.starts_with(r#"{"subscriptionId":3,"event":{"e":"executionReport","E":2000000,"#));
        let micros: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(micros["event"]["T"], 1_000_000);
        assert_eq!(micros["event"]["t"], -1);
    }

    #[test]
    fn cancel_names_the_cancel_request_and_the_order() {
        let mut order = market_buy();
        order.kind = OrderType::Limit;
        order.price = d("90");
        let seen = SeenOrder::of(&order);
        order.status = Status::Canceled;
        order.update_time = 5_000;
        let events = order_events(Some(&seen), &order, Some("cancel-1"), 6_000, &mut 0);
        assert_eq!(events.len(), 1);
        let canceled = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(
            (canceled["x"].as_str(), canceled["X"].as_str()),
            (Some("CANCELED"), Some("CANCELED"))
        );
        assert_eq!(
            (canceled["c"].as_str(), canceled["C"].as_str()),
            (Some("cancel-1"), Some("mine"))
        );
        assert_eq!(canceled["T"], 5_000);
    }

    #[test]
    fn a_resting_order_filling_later_and_an_amend() {
        let mut order = market_buy();
        order.kind = OrderType::Limit;
        order.price = d("100");
        let seen = SeenOrder::of(&order);
        fill(&mut order, 50, "100", "0.001");
        order.status = Status::PartiallyFilled;
        let events = order_events(Some(&seen), &order, None, 2_000, &mut 0);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].execution_type, events[0].status),
            ("TRADE", "PARTIALLY_FILLED")
        );
        assert!(events[0].on_book);

        let seen = SeenOrder::of(&order);
        order.orig_qty = d("0.002");
        order.client_order_id = "amended".into();
        order.amendments = 1;
        let events = order_events(Some(&seen), &order, None, 3_000, &mut 0);
        let replaced = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(
            (replaced["x"].as_str(), replaced["X"].as_str()),
            (Some("REPLACED"), Some("PARTIALLY_FILLED"))
        );
        assert_eq!(
            (replaced["c"].as_str(), replaced["C"].as_str()),
            (Some("amended"), Some("mine"))
        );
        assert_eq!(replaced["q"], "0.00200000");

        let seen = SeenOrder::of(&order);
        fill(&mut order, 51, "100", "0.001");
        order.status = Status::Filled;
        let events = order_events(Some(&seen), &order, None, 4_000, &mut 0);
        assert_eq!((events[0].execution_type, events[0].status), ("TRADE", "FILLED"));
        assert_eq!(events[0].client_order_id, "amended");
        assert!(!events[0].on_book);
    }

    #[test]
    fn positions_list_only_changed_balances() {
        let balance = |asset: &str, free: &str, locked: &str| Balance {
            asset: asset.into(),
            free: d(free),
            locked: d(locked),
        };
        let before = [balance("BTC", "1", "0"), balance("USDT", "100", "0")];
        let seen = seen_balances(&before);
        assert!(position_event(&seen, &before, 5, 6).is_none());
        let after = [
            balance("BTC", "1", "0"),
            balance("USDT", "90", "10"),
            balance("BNB", "0", "0"),
        ];
        let event = AccountEvent::Position(position_event(&seen, &after, 5, 6).unwrap());
        assert_eq!(
            event.frame(0, TimeUnit::Millisecond),
            r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":6,"u":5,"B":[{"a":"USDT","f":"90.00000000","l":"10.00000000"},{"a":"BNB","f":"0.00000000","l":"0.00000000"}]}}"#
        );
        assert_eq!(
            AccountEvent::Terminated(StreamTerminated::at(9)).frame(2, TimeUnit::Microsecond),
            r#"{"subscriptionId":2,"event":{"e":"eventStreamTerminated","E":9000}}"#
        );
    }
}
