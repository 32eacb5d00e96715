//! The paper matching engine: pure functions over a [`PaperBook`] (one environment's paper
//! orders, lists and balances) and the mirrored market ([`Touch`], [`Window`]). Nothing here
//! does I/O; `tools::paper` fetches the market and the store persists the book.
//!
//! The rules follow the exchange (and the emulator, which follows the exchange):
//!
//! * MARKET fills at once at the touch (ask for a BUY, bid for a SELL); the whole quantity at
//!   that one price (no depth is walked, no slippage).
//! * LIMIT that crosses the touch fills at once at the touch (taker); otherwise GTC rests, IOC
//!   and FOK expire. LIMIT_MAKER that would cross is rejected ("would immediately match and
//!   take"). A resting BUY fills at its own price (maker) when a trade prints at or below it or
//!   the ask reaches it; a SELL symmetrically. No queue position: the paper order is taken to be
//!   first at its price.
//! * STOP_LOSS / TAKE_PROFIT (and their _LIMIT forms) wait for the last trade price to reach the
//!   stop in the type's direction (STOP_LOSS BUY and TAKE_PROFIT SELL upward, the others
//!   downward); one that would trigger at once is rejected. A triggered market stop fills at
//!   its stop price; a triggered limit stop becomes a limit at its price and fills at the stop
//!   price when its limit is at or through the stop, else later like any resting limit.
//!   Trailing stops (trailingDelta) start tracking when the stop price is reached (at once
//!   without one) and trigger after trailingDelta BIPS against the order's side from the best
//!   price seen since.
//! * Order lists run by [`ListRules`]: an above/below pair is one-cancels-the-other (one leg
//!   executing, i.e. filling or triggering, expires the other with `OCO_TRIGGER`); a working
//!   leg, once filled, places the pending legs (which wait as `PENDING_NEW` until then); a
//!   working leg that ends unfilled expires them; canceling any leg cancels the list.
//! * Balances: each environment has one paper account. An order needs its quote (BUY: price,
//!   stop or touch times quantity) or base (SELL) free, counting what the other open paper
//!   orders hold (an above/below pair holds once); a fill moves the balances at its price. No
//!   fees are charged.
//!
//! This file holds the engine's vocabulary (the book, its orders, lists and events, the market
//! it is shown) and the price rules; `matching` holds what the book does with them.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use spot_types::Environment;
use spot_types::model::{OrderType, Side, TimeInForce};

mod matching;

/// Paper order ids and paper list ids start here: far above the exchange's own ids, and below
/// 2^53 so that JSON readers keep them exact.
pub const PAPER_ID_BASE: u64 = 1_000_000_000_000_000;

/// Binance's order statuses, as paper orders use them.
pub mod status {
    pub const NEW: &str = "NEW";
    pub const PENDING_NEW: &str = "PENDING_NEW";
    pub const FILLED: &str = "FILLED";
    pub const CANCELED: &str = "CANCELED";
    pub const EXPIRED: &str = "EXPIRED";
    pub const REJECTED: &str = "REJECTED";
}

/// `expiryReason` of an above/below leg expired by its sibling.
pub const OCO_TRIGGER: &str = "OCO_TRIGGER";
/// `expiryReason` of pending legs whose working leg ended unfilled.
pub const OTO_PHASE_ONE_EXPIRED: &str = "OTO_PHASE_ONE_EXPIRED";

/// How a paper order belongs to a paper list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListLink {
    pub order_list_id: u64,
    pub list_client_order_id: String,
    /// `oco`, `oto`, `otoco`, `opo`, `opoco` (see [`ListRules::of`]).
    pub list_type: String,
    /// `above`, `below`, `working`, `pending`.
    pub role: String,
}

/// One paper order, open or ended.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PaperOrder {
    pub order_id: u64,
    pub environment: Environment,
    pub client_order_id: String,
    pub symbol: String,
    pub base_asset: String,
    pub quote_asset: String,
    pub side: Side,
    pub order_type: OrderType,
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Base quantity (for a MARKET order given in quote, what the touch gave for it).
    pub quantity: Decimal,
    #[serde(default)]
    pub quote_order_qty: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    #[serde(default)]
    pub trailing_delta: Option<u32>,
    #[serde(default)]
    pub iceberg_qty: Option<Decimal>,
    /// NEW, PENDING_NEW, FILLED, CANCELED, EXPIRED, REJECTED.
    pub status: String,
    /// A stop whose trigger was reached.
    #[serde(default)]
    pub triggered: bool,
    /// A trailing stop's best price since it started tracking.
    #[serde(default)]
    pub trail_extreme: Option<Decimal>,
    pub executed_qty: Decimal,
    /// Quote moved by the fills.
    pub quote_qty: Decimal,
    #[serde(default)]
    pub list: Option<ListLink>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Market time up to which the mirrored market was looked at for this order.
    pub checked_ms: i64,
    /// `cancel_after_seconds`: the unfilled order is canceled at this time.
    #[serde(default)]
    pub cancel_at_ms: Option<i64>,
    #[serde(default)]
    pub expiry_reason: Option<String>,
}

impl PaperOrder {
    /// Open: working, or waiting in a list for its working leg.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status.as_str(),
            status::NEW | status::PENDING_NEW | "PARTIALLY_FILLED"
        )
    }

    /// On the (paper) book: can trigger or fill.
    pub fn is_working(&self) -> bool {
        matches!(self.status.as_str(), status::NEW | "PARTIALLY_FILLED")
    }

    fn waits_for_trigger(&self) -> bool {
        self.order_type.is_algo() && !self.triggered
    }

    /// The limit price the order rests at, once it is a working limit.
    fn working_limit(&self) -> Option<Decimal> {
        if self.order_type.has_limit_price() && !self.waits_for_trigger() {
            self.price
        } else {
            None
        }
    }

    fn left(&self) -> Decimal {
        (self.quantity - self.executed_qty).max(Decimal::ZERO)
    }

    /// What this order holds while open: (asset, amount). A BUY holds quote at its limit,
    /// stop or the touch; a SELL holds its base quantity.
    fn holds(&self, ask: Decimal) -> (String, Decimal) {
        match self.side {
            Side::Buy => {
                let amount = match (self.quote_order_qty, self.price, self.stop_price) {
                    (Some(quote), _, _) if self.executed_qty.is_zero() => quote,
                    (_, Some(price), _) if self.order_type.has_limit_price() => self.left() * price,
                    (_, _, Some(stop)) => self.left() * stop.max(ask),
                    _ => self.left() * ask,
                };
                (self.quote_asset.clone(), amount)
            }
            Side::Sell => (self.base_asset.clone(), self.left()),
        }
    }
}

/// One paper order list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PaperList {
    pub order_list_id: u64,
    pub environment: Environment,
    pub list_client_order_id: String,
    pub list_type: String,
    pub symbol: String,
    /// EXECUTING or ALL_DONE.
    pub status: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What the engine did with a paper order, journaled for `order_events`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperEvent {
    pub at_ms: i64,
    pub order_id: u64,
    pub client_order_id: String,
    pub symbol: String,
    pub list_client_order_id: Option<String>,
    /// NEW, TRADE, TRIGGERED, CANCELED, EXPIRED, REJECTED.
    pub execution: &'static str,
    pub status: String,
    pub last_qty: Option<Decimal>,
    pub last_price: Option<Decimal>,
    pub executed_qty: Decimal,
    pub note: Option<String>,
}

/// One environment's paper state as a transaction sees it: its open orders and lists (plus the
/// ones placed in it), its balances, and the events to journal.
#[derive(Clone, Debug)]
pub struct PaperBook {
    pub environment: Environment,
    pub orders: Vec<PaperOrder>,
    pub lists: Vec<PaperList>,
    /// Total per asset (free + what open orders hold).
    pub balances: BTreeMap<String, Decimal>,
    pub events: Vec<PaperEvent>,
    /// The next paper order id and list id to give out.
    pub next_order_id: u64,
    pub next_list_id: u64,
}

/// The mirrored market now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Touch {
    pub bid: Decimal,
    pub ask: Decimal,
    /// The last trade price.
    pub last: Decimal,
    /// Market (server) time of the look, ms.
    pub at_ms: i64,
}

/// One candle of the mirrored market (the trades of `interval_ms` from `open_ms`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    pub open_ms: i64,
    pub high: Decimal,
    pub low: Decimal,
}

/// The mirrored market since the orders were last looked at: candles, then the touch now.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub interval_ms: i64,
    pub candles: Vec<Candle>,
    pub touch: Touch,
}

/// How a list kind behaves. Another kind is one more arm in [`ListRules::of`].
#[derive(Clone, Copy, Debug)]
pub struct ListRules {
    /// Roles that wait (PENDING_NEW) until a leg of `activator` role fills completely.
    pub pending: &'static [&'static str],
    /// The role whose complete fill places the pending legs.
    pub activator: Option<&'static str>,
    /// Roles of which one executing (a fill or a trigger) expires the others.
    pub one_cancels_other: &'static [&'static str],
}

impl ListRules {
    /// The rules of a list kind (`oco`, `oto`, `otoco`).
    pub fn of(list_type: &str) -> ListRules {
        match list_type {
            // OPO/OPOCO behave as OTO/OTOCO on paper: a paper fill is whole and free of fees, so
            // the pending orders sell exactly the working quantity they were planned with.
            "oto" | "opo" => ListRules {
                pending: &["pending"],
                activator: Some("working"),
                one_cancels_other: &[],
            },
            "otoco" | "opoco" => ListRules {
                pending: &["above", "below"],
                activator: Some("working"),
                one_cancels_other: &["above", "below"],
            },
            // "oco" and anything unknown: one pair, both working from the start.
            _ => ListRules {
                pending: &[],
                activator: None,
                one_cancels_other: &["above", "below"],
            },
        }
    }
}

/// Why the engine refused a new paper order or list, in Binance's words (code -2010).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection(pub String);

/// True when a trade at `price` reaches `stop` in the direction of the order's type.
pub fn stop_reached(kind: OrderType, side: Side, stop: Decimal, price: Decimal) -> bool {
    if triggers_upward(kind, side) {
        price >= stop
    } else {
        price <= stop
    }
}

/// STOP_LOSS(_LIMIT) BUY and TAKE_PROFIT(_LIMIT) SELL trigger when the price rises to the stop;
/// the others when it falls to it.
fn triggers_upward(kind: OrderType, side: Side) -> bool {
    let stop_loss = matches!(kind, OrderType::StopLoss | OrderType::StopLossLimit);
    stop_loss == (side == Side::Buy)
}

fn floor_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        value
    } else {
        (value / step).floor() * step
    }
}

/// Rounds `ms` up to the next boundary of `interval_ms` (a candle that opens before it started
/// before the order was looked at).
fn ceil_to(ms: i64, interval_ms: i64) -> i64 {
    if interval_ms <= 0 {
        return ms;
    }
    let rem = ms.rem_euclid(interval_ms);
    if rem == 0 { ms } else { ms - rem + interval_ms }
}
