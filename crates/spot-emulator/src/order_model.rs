//! The emulator's order state: enums with their wire names, one order with its fills, the
//! trailing-stop tracking state, and finding an account's order by `orderId` / client order id.

use rust_decimal::Decimal;

/// `side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// `BUY` or `SELL` (case-sensitive, as Binance).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "BUY" => Some(Self::Buy),
            "SELL" => Some(Self::Sell),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

/// `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    Limit,
    Market,
    StopLoss,
    StopLossLimit,
    TakeProfit,
    TakeProfitLimit,
    LimitMaker,
}

impl OrderType {
    /// One of the seven documented names.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "LIMIT" => Self::Limit,
            "MARKET" => Self::Market,
            "STOP_LOSS" => Self::StopLoss,
            "STOP_LOSS_LIMIT" => Self::StopLossLimit,
            "TAKE_PROFIT" => Self::TakeProfit,
            "TAKE_PROFIT_LIMIT" => Self::TakeProfitLimit,
            "LIMIT_MAKER" => Self::LimitMaker,
            _ => return None,
        })
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limit => "LIMIT",
            Self::Market => "MARKET",
            Self::StopLoss => "STOP_LOSS",
            Self::StopLossLimit => "STOP_LOSS_LIMIT",
            Self::TakeProfit => "TAKE_PROFIT",
            Self::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
            Self::LimitMaker => "LIMIT_MAKER",
        }
    }

    /// The four stop types (counted by `MAX_NUM_ALGO_ORDERS`).
    pub fn is_stop(self) -> bool {
        matches!(
            self,
            Self::StopLoss | Self::StopLossLimit | Self::TakeProfit | Self::TakeProfitLimit
        )
    }

    /// Types that execute as a MARKET order (now or when triggered): no `price`.
    pub fn is_market_like(self) -> bool {
        matches!(self, Self::Market | Self::StopLoss | Self::TakeProfit)
    }

    /// Types that need `timeInForce`.
    pub fn needs_time_in_force(self) -> bool {
        matches!(self, Self::Limit | Self::StopLossLimit | Self::TakeProfitLimit)
    }

    /// True when the stop triggers as the last price rises to the stop (`STOP_LOSS BUY`,
    /// `TAKE_PROFIT SELL`); false when it falls to it.
    pub fn triggers_upward(self, side: Side) -> bool {
        let stop_loss = matches!(self, Self::StopLoss | Self::StopLossLimit);
        stop_loss == (side == Side::Buy)
    }
}

/// `timeInForce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    Gtc,
    Ioc,
    Fok,
}

impl TimeInForce {
    /// `GTC`, `IOC` or `FOK`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "GTC" => Some(Self::Gtc),
            "IOC" => Some(Self::Ioc),
            "FOK" => Some(Self::Fok),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gtc => "GTC",
            Self::Ioc => "IOC",
            Self::Fok => "FOK",
        }
    }
}

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    Ack,
    Result,
    Full,
}

impl RespType {
    /// `ACK`, `RESULT` or `FULL`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACK" => Some(Self::Ack),
            "RESULT" => Some(Self::Result),
            "FULL" => Some(Self::Full),
            _ => None,
        }
    }

    /// The documented default: FULL for MARKET and LIMIT, ACK for every other type.
    pub fn default_for(kind: OrderType) -> Self {
        match kind {
            OrderType::Market | OrderType::Limit => Self::Full,
            _ => Self::Ack,
        }
    }
}

/// Order status (`enums.md`); the emulator never produces `PENDING_CANCEL`, `REJECTED` or
/// `EXPIRED_IN_MATCH`. `PENDING_NEW` is a pending leg of an order list waiting for its working
/// order to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    PendingNew,
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
}

impl Status {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingNew => "PENDING_NEW",
            Self::New => "NEW",
            Self::PartiallyFilled => "PARTIALLY_FILLED",
            Self::Filled => "FILLED",
            Self::Canceled => "CANCELED",
            Self::Expired => "EXPIRED",
        }
    }

    /// Not final: on the book, waiting for its trigger, or a pending list leg. Open orders count
    /// towards `MAX_NUM_ORDERS`, keep their client order id and can be canceled.
    pub fn is_open(self) -> bool {
        matches!(self, Self::PendingNew | Self::New | Self::PartiallyFilled)
    }

    /// In the matching engine: on the book or waiting for its trigger (an open order that is not
    /// a pending list leg).
    pub fn is_active(self) -> bool {
        matches!(self, Self::New | Self::PartiallyFilled)
    }
}

/// One execution of an order (a `fills[]` entry and a `myTrades` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub trade_id: u64,
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub is_maker: bool,
    /// ms since epoch.
    pub time: i64,
}

/// Trailing-stop tracking (`faqs/trailing-stop-faq.md`): once tracking, the best price seen
/// since (lowest for BUY, highest for SELL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trail {
    pub delta_bips: u32,
    pub extreme: Option<Decimal>,
}

/// One order of an account, open or closed.
#[derive(Debug, Clone)]
pub struct Order {
    pub symbol: String,
    pub order_id: u64,
    /// The order list this order is a leg of (`orderListId`, -1 on the wire when none).
    pub order_list_id: Option<u64>,
    pub client_order_id: String,
    pub side: Side,
    pub kind: OrderType,
    pub time_in_force: TimeInForce,
    /// Limit price; zero for MARKET, STOP_LOSS and TAKE_PROFIT.
    pub price: Decimal,
    pub orig_qty: Decimal,
    pub executed_qty: Decimal,
    pub cumm_quote_qty: Decimal,
    pub orig_quote_order_qty: Decimal,
    pub status: Status,
    pub stop_price: Option<Decimal>,
    pub iceberg_qty: Option<Decimal>,
    pub trail: Option<Trail>,
    /// ms since epoch when trailing started; -1 before.
    pub trailing_time: i64,
    pub strategy_id: Option<u64>,
    pub strategy_type: Option<u64>,
    pub stp_mode: String,
    pub time: i64,
    pub update_time: i64,
    /// ms since epoch when the order went on the book; -1 while a stop waits for its trigger.
    pub working_time: i64,
    pub expiry_reason: Option<&'static str>,
    pub fills: Vec<Fill>,
    /// Amount of the locked asset (quote for BUY, base for SELL) this order still holds.
    pub locked: Decimal,
    /// Quote locked per unit of base for BUY orders (the limit price, or the stop price for
    /// MARKET-like stops).
    pub lock_price: Decimal,
    /// Time up to which trades and prices have been checked against this order (ms).
    pub checked_ms: i64,
    /// Keep-priority amendments so far (`MAX_NUM_ORDER_AMENDS`).
    pub amendments: u32,
}

impl Order {
    /// True while a stop order waits for its trigger.
    pub fn is_pending_trigger(&self) -> bool {
        self.working_time < 0
    }

    /// Quantity still to fill.
    pub fn remaining(&self) -> Decimal {
        self.orig_qty - self.executed_qty
    }

    /// `orderListId` as sent on the wire: the list's id, or -1.
    pub fn wire_list_id(&self) -> i64 {
        self.order_list_id
            .map_or(-1, |id| i64::try_from(id).unwrap_or(i64::MAX))
    }
}

/// Where an order lookup by `orderId` and/or client order id landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Index into the account's orders.
    Found(usize),
    /// `orderId` found, but its client order id differs from the one sent.
    Mismatch,
    /// No such order on the symbol.
    Missing,
}

/// Finds an order of `symbol` by `orderId` (then checks the client id if both were sent), or by
/// client order id alone (the open one first, else the most recent).
pub fn lookup(orders: &[Order], symbol: &str, order_id: Option<u64>, client_id: Option<&str>) -> Lookup {
    if let Some(id) = order_id {
        return match orders.iter().position(|o| o.order_id == id && o.symbol == symbol) {
            Some(i) if client_id.is_some_and(|c| orders[i].client_order_id != c) => Lookup::Mismatch,
            Some(i) => Lookup::Found(i),
            None => Lookup::Missing,
        };
    }
    let matches = |o: &Order| o.symbol == symbol && Some(o.client_order_id.as_str()) == client_id;
    orders
        .iter()
        .position(|o| matches(o) && o.status.is_open())
        .or_else(|| orders.iter().rposition(matches))
        .map_or(Lookup::Missing, Lookup::Found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in super::super::symbols::ORDER_TYPES {
            assert_eq!(OrderType::parse(name).unwrap().as_str(), name);
        }
        assert!(OrderType::parse("limit").is_none());
        assert_eq!(Side::parse("SELL"), Some(Side::Sell));
        assert!(Side::parse("buy").is_none());
        assert_eq!(TimeInForce::parse("FOK").unwrap().as_str(), "FOK");
    }

    #[test]
    fn documented_defaults_and_trigger_directions() {
        assert_eq!(RespType::default_for(OrderType::Limit), RespType::Full);
        assert_eq!(RespType::default_for(OrderType::Market), RespType::Full);
        assert_eq!(RespType::default_for(OrderType::LimitMaker), RespType::Ack);
        assert_eq!(RespType::default_for(OrderType::StopLossLimit), RespType::Ack);
        assert!(OrderType::StopLoss.triggers_upward(Side::Buy));
        assert!(OrderType::TakeProfit.triggers_upward(Side::Sell));
        assert!(!OrderType::StopLossLimit.triggers_upward(Side::Sell));
        assert!(!OrderType::TakeProfitLimit.triggers_upward(Side::Buy));
    }
}
