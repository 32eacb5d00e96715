//! The emulator's mutable exchange state: accounts by API key with their balances, orders, order
//! lists and unfilled-order counts, and the id counters; guarded by one `Mutex` in
//! [`super::EmulatorState`].
//! [`Ledger`] is the one place balances move (locks, releases, fills with commission).

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;

use super::EmulatorAccount;
use super::auth::AccountKey;
use super::order_count::OrderCount;
use super::order_list_model::OrderList;
use super::order_model::{Fill, Order, Side, Status};
use super::symbols::SymbolSpec;

/// One asset balance of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub asset: String,
    pub free: Decimal,
    pub locked: Decimal,
}

/// A spot account reachable through one API key.
#[derive(Clone)]
pub struct Account {
    /// HMAC secret or Ed25519 public key for signature verification.
    pub key: AccountKey,
    /// Stable account id derived from the API key.
    pub uid: u64,
    /// Balances in the configured order.
    pub balances: Vec<Balance>,
    /// Last balance change, ms since epoch.
    pub update_time: i64,
    /// Maker / taker commission rates (fractions, e.g. 0.001 = 0.1 %).
    pub maker_rate: Decimal,
    pub taker_rate: Decimal,
    /// Every order of the account, in placement order.
    pub orders: Vec<Order>,
    /// Every order list of the account (OCO, OTO, OTOCO), in placement order.
    pub order_lists: Vec<OrderList>,
    /// Unfilled order count windows.
    pub order_count: OrderCount,
    /// `MAX_ASSET` filters: (asset, most per order).
    pub max_assets: Vec<(String, Decimal)>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("key", &self.key)
            .field("uid", &self.uid)
            .field("balances", &self.balances)
            .field("update_time", &self.update_time)
            .field("orders", &self.orders.len())
            .field("order_lists", &self.order_lists.len())
            .finish()
    }
}

/// Everything that changes while the emulator runs.
#[derive(Debug, Default)]
pub struct Exchange {
    accounts: HashMap<String, Account>,
    /// Next `orderId` (shared by all symbols and accounts).
    next_order_id: u64,
    /// Next `orderListId` (shared by all symbols and accounts).
    next_order_list_id: u64,
    /// Next trade `id`.
    next_trade_id: u64,
    /// `clientOrderId` of the cancel request that ended each canceled order (by `orderId`): the
    /// `c` of the order's CANCELED executionReport, whose `C` is the order's own id.
    cancel_client_ids: HashMap<u64, String>,
}

/// Mutable access to one account's money and counters while orders execute.
#[derive(Debug)]
pub struct Ledger<'a> {
    balances: &'a mut Vec<Balance>,
    /// The account's unfilled order count.
    pub order_count: &'a mut OrderCount,
    update_time: &'a mut i64,
    maker_rate: Decimal,
    taker_rate: Decimal,
    next_order_id: &'a mut u64,
    next_order_list_id: &'a mut u64,
    next_trade_id: &'a mut u64,
    /// Server time of the request (ms): order-count windows use it, not fill times.
    pub now_ms: i64,
}

impl Exchange {
    /// Opens the configured accounts at `now_ms`.
    pub fn new(accounts: &[EmulatorAccount], now_ms: i64) -> Self {
        let accounts = accounts
            .iter()
            .map(|a| {
                let balances = a
                    .balances
                    .iter()
                    .map(|(asset, free)| Balance {
                        asset: asset.clone(),
                        free: *free,
                        locked: Decimal::ZERO,
                    })
                    .collect();
                let account = Account {
                    key: a.key.clone(),
                    uid: uid_for(&a.api_key),
                    balances,
                    update_time: now_ms,
                    maker_rate: Decimal::new(1, 3),
                    taker_rate: Decimal::new(1, 3),
                    orders: Vec::new(),
                    order_lists: Vec::new(),
                    order_count: OrderCount::default(),
                    max_assets: a.max_assets.clone(),
                };
                (a.api_key.clone(), account)
            })
            .collect();
        Self {
            accounts,
            next_order_id: 1,
            next_order_list_id: 1,
            next_trade_id: 1,
            cancel_client_ids: HashMap::new(),
        }
    }

    /// Remembers that the cancel request `cancel_client_id` ended order `order_id`.
    pub fn note_cancel(&mut self, order_id: u64, cancel_client_id: &str) {
        self.cancel_client_ids.insert(order_id, cancel_client_id.to_owned());
    }

    /// The `clientOrderId` of the cancel request that ended order `order_id`, if one did.
    pub fn cancel_client_id(&self, order_id: u64) -> Option<&str> {
        self.cancel_client_ids.get(&order_id).map(String::as_str)
    }

    /// The account behind `api_key`.
    pub fn account(&self, api_key: &str) -> Option<&Account> {
        self.accounts.get(api_key)
    }

    /// The account behind `api_key`, for changes.
    pub fn account_mut(&mut self, api_key: &str) -> Option<&mut Account> {
        self.accounts.get_mut(api_key)
    }

    /// The account's ledger and its orders, borrowed together (at server time `now_ms`).
    pub fn split(&mut self, api_key: &str, now_ms: i64) -> Option<(Ledger<'_>, &mut Vec<Order>)> {
        self.split_orders(api_key, now_ms)
            .map(|(ledger, book)| (ledger, book.orders))
    }

    /// The account's ledger, orders and order lists, borrowed together (at server time `now_ms`).
    pub fn split_orders(&mut self, api_key: &str, now_ms: i64) -> Option<(Ledger<'_>, AccountOrders<'_>)> {
        let account = self.accounts.get_mut(api_key)?;
        let Account {
            balances,
            orders,
            order_lists,
            order_count,
            update_time,
            maker_rate,
            taker_rate,
            ..
        } = account;
        let ledger = Ledger {
            balances,
            order_count,
            update_time,
            maker_rate: *maker_rate,
            taker_rate: *taker_rate,
            next_order_id: &mut self.next_order_id,
            next_order_list_id: &mut self.next_order_list_id,
            next_trade_id: &mut self.next_trade_id,
            now_ms,
        };
        let book = AccountOrders {
            orders,
            lists: order_lists,
        };
        Some((ledger, book))
    }

    /// The API key of the account holding order `order_id` (order ids are unique across accounts).
    pub fn account_key_of_order(&self, order_id: u64) -> Option<&str> {
        self.accounts
            .iter()
            .find(|(_, account)| account.orders.iter().any(|o| o.order_id == order_id))
            .map(|(key, _)| key.as_str())
    }
}

/// One account's orders and order lists, borrowed together so list rules can reach every leg.
#[derive(Debug)]
pub struct AccountOrders<'a> {
    pub orders: &'a mut Vec<Order>,
    pub lists: &'a mut Vec<OrderList>,
}

impl AccountOrders<'_> {
    /// Index of the order `order_id` in `orders`.
    pub fn order_index(&self, order_id: u64) -> Option<usize> {
        self.orders.iter().position(|o| o.order_id == order_id)
    }

    /// Index of the list `order_list_id` in `lists`.
    pub fn list_index(&self, order_list_id: u64) -> Option<usize> {
        self.lists.iter().position(|l| l.order_list_id == order_list_id)
    }

    /// Index of the open list that order `orders[index]` is a leg of.
    pub fn open_list_of(&self, index: usize) -> Option<usize> {
        let list_id = self.orders.get(index)?.order_list_id?;
        self.list_index(list_id).filter(|&l| self.lists[l].is_open())
    }
}

impl Ledger<'_> {
    /// Free amount of `asset` (zero when the account has none).
    pub fn free(&self, asset: &str) -> Decimal {
        self.balances
            .iter()
            .find(|b| b.asset == asset)
            .map_or(Decimal::ZERO, |b| b.free)
    }

    /// A fresh `orderId`.
    pub fn next_order_id(&mut self) -> u64 {
        let id = *self.next_order_id;
        *self.next_order_id += 1;
        id
    }

    /// A fresh `orderListId`.
    pub fn next_order_list_id(&mut self) -> u64 {
        let id = *self.next_order_list_id;
        *self.next_order_list_id += 1;
        id
    }

    /// Moves what `order` needs from free to locked (quote `lock_price × remaining` for BUY,
    /// base `remaining` for SELL) and records it on the order.
    pub fn lock_for(&mut self, spec: &SymbolSpec, order: &mut Order) {
        let amount = Self::lock_needed(order);
        let balance = self.balance(lock_asset(spec, order.side));
        balance.free -= amount;
        balance.locked += amount;
        order.locked += amount;
        *self.update_time = self.now_ms;
    }

    /// Sets what `order` holds to exactly `amount` of its lock asset, moving the difference
    /// between free and locked (an OCO leg taking over the pair's single lock).
    pub fn relock(&mut self, spec: &SymbolSpec, order: &mut Order, amount: Decimal) {
        let change = amount - order.locked;
        if change.is_zero() {
            return;
        }
        let balance = self.balance(lock_asset(spec, order.side));
        balance.free -= change;
        balance.locked += change;
        order.locked = amount;
        *self.update_time = self.now_ms;
    }

    /// What `order` must hold for its remaining quantity: quote `lock_price × remaining` for BUY,
    /// base `remaining` for SELL.
    pub fn lock_needed(order: &Order) -> Decimal {
        match order.side {
            Side::Buy => order.lock_price * order.remaining(),
            Side::Sell => order.remaining(),
        }
    }

    /// Returns everything `order` still holds to free (on cancel, expiry or trigger).
    pub fn release(&mut self, spec: &SymbolSpec, order: &mut Order) {
        let amount = std::mem::take(&mut order.locked);
        if amount.is_zero() {
            return;
        }
        let balance = self.balance(lock_asset(spec, order.side));
        balance.locked -= amount;
        balance.free += amount;
        *self.update_time = self.now_ms;
    }

    /// Keep-priority amend: lowers `order`'s quantity to `new_qty` and hands back to free exactly
    /// what the removed quantity held (quote `lock_price × removed` for BUY, base for SELL).
    pub fn reduce_quantity(&mut self, spec: &SymbolSpec, order: &mut Order, new_qty: Decimal) {
        order.orig_qty = new_qty;
        let still_needed = match order.side {
            Side::Buy => order.lock_price * order.remaining().max(Decimal::ZERO),
            Side::Sell => order.remaining().max(Decimal::ZERO),
        };
        let release = (order.locked - still_needed).max(Decimal::ZERO);
        if !release.is_zero() {
            let balance = self.balance(lock_asset(spec, order.side));
            balance.locked -= release;
            balance.free += release;
            order.locked -= release;
        }
        *self.update_time = self.now_ms;
    }

    /// A fresh execution id (trades and amendments share the sequence).
    pub fn next_execution_id(&mut self) -> u64 {
        let id = *self.next_trade_id;
        *self.next_trade_id += 1;
        id
    }

    /// Executes `qty` of `order` at `price` at `time_ms`: releases the lock that quantity held,
    /// pays, receives minus commission (maker or taker rate, charged on the received asset),
    /// records the fill and the order's new status; the first fill lowers the unfilled order count.
    pub fn fill(
        &mut self,
        spec: &SymbolSpec,
        order: &mut Order,
        price: Decimal,
        qty: Decimal,
        maker: bool,
        time_ms: i64,
    ) {
        let quote_qty = price * qty;
        if !order.locked.is_zero() {
            let held = match order.side {
                Side::Buy => order.lock_price * qty,
                Side::Sell => qty,
            };
            let release = held.min(order.locked);
            let balance = self.balance(lock_asset(spec, order.side));
            balance.locked -= release;
            balance.free += release;
            order.locked -= release;
        }
        let rate = if maker { self.maker_rate } else { self.taker_rate };
        let (paid_asset, paid, received_asset, received) = match order.side {
            Side::Buy => (&spec.quote_asset, quote_qty, &spec.base_asset, qty),
            Side::Sell => (&spec.base_asset, qty, &spec.quote_asset, quote_qty),
        };
        let commission = (received * rate).round_dp(8);
        self.balance(paid_asset).free -= paid;
        self.balance(received_asset).free += received - commission;
        if order.fills.is_empty() {
            self.order_count.decrement(self.now_ms);
        }
        let trade_id = *self.next_trade_id;
        *self.next_trade_id += 1;
        order.fills.push(Fill {
            trade_id,
            price,
            qty,
            commission,
            commission_asset: received_asset.clone(),
            is_maker: maker,
            time: time_ms,
        });
        order.executed_qty += qty;
        order.cumm_quote_qty += quote_qty;
        order.update_time = time_ms;
        order.status = if order.remaining().is_zero() {
            Status::Filled
        } else {
            Status::PartiallyFilled
        };
        *self.update_time = (*self.update_time).max(time_ms);
    }

    fn balance(&mut self, asset: &str) -> &mut Balance {
        let index = match self.balances.iter().position(|b| b.asset == asset) {
            Some(i) => i,
            None => {
                self.balances.push(Balance {
                    asset: asset.to_owned(),
                    free: Decimal::ZERO,
                    locked: Decimal::ZERO,
                });
                self.balances.len() - 1
            }
        };
        &mut self.balances[index]
    }
}

/// The asset an order locks: quote for BUY, base for SELL.
pub fn lock_asset(spec: &SymbolSpec, side: Side) -> &str {
    match side {
        Side::Buy => &spec.quote_asset,
        Side::Sell => &spec.base_asset,
    }
}

/// A 9-digit uid that is stable for a key (FNV-1a).
fn uid_for(api_key: &str) -> u64 {
    let hash = api_key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    100_000_000 + hash % 900_000_000
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accounts_open_with_configured_balances() {
        let config = crate::EmulatorConfig::new(1).with_account("k", "s");
        let exchange = Exchange::new(&config.accounts, 5);
        let account = exchange.account("k").unwrap();
        assert_eq!(account.balances.len(), config.accounts[0].balances.len());
        assert!(account.balances.iter().all(|b| b.locked.is_zero()));
        assert_eq!(account.uid, uid_for("k"));
        assert!(!format!("{account:?}").contains("\"s\""));
        assert!(exchange.account("other").is_none());
    }
}
