//! Paper mode (`BINANCE_TRADE_MODE=paper`): orders go through every step of the desk
//! (validation, one passed test at the environment's `order/test`, the human's limits, the
//! client id reservation) and only the final send is replaced: the order goes to an embedded
//! matching engine (`crate::paper_engine`) that mirrors the environment's public market (book ticker, last
//! price and 1-second candles; production's public endpoints need no keys). Paper orders,
//! lists and each environment's paper account live in `state.db` (see `store::paper`); their
//! fills are journaled as `paper_event`s and their reservations count toward the daily
//! notional like real orders.
//!
//! Resting paper orders are looked at again whenever a tool reads orders or the account
//! (`refresh`), and every few seconds by a background task while `serve` runs (`start`).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::config::{Environment, TradeMode};
use crate::memory::ledger::LedgerEvent;
use crate::paper_engine::{Candle, ListLink, PaperBook, PaperList, PaperOrder, Rejection, Touch, Window};
use crate::store::{Outcome, PaperRef, Reservation};
use crate::tools::{ToolError, Toolbox, utc};
use spot_client::KlineQuery;
use spot_client::clock::local_now_ms;
use spot_filters::SymbolFilter;
use spot_types::model::{NewOrder, OrderReport, SymbolInfo};

/// How often `serve` looks at the market for resting paper orders.
pub const PAPER_TICK: Duration = Duration::from_secs(5);
/// Candles per look (Binance's kline limit).
const MAX_CANDLES: i64 = 1000;

/// The market (server) time of `env` now: the local clock moved by the measured offset.
fn market_now(toolbox: &Toolbox, env: Environment) -> i64 {
    local_now_ms() + toolbox.client(env).clock().sample().map(|s| s.offset_ms).unwrap_or(0)
}

/// The mirrored market of `symbol` in `env` now: best bid and ask, last trade price.
pub async fn touch(toolbox: &Toolbox, env: Environment, symbol: &str) -> Result<Touch, ToolError> {
    let client = toolbox.client(env);
    let symbols = [symbol.to_owned()];
    let book = client
        .book_ticker(&symbols)
        .await?
        .pop()
        .ok_or_else(|| ToolError::internal("no book ticker for the symbol"))?;
    let last = client
        .ticker_price(&symbols)
        .await?
        .pop()
        .map(|p| p.price)
        .unwrap_or(book.bid_price);
    Ok(Touch {
        bid: book.bid_price,
        ask: book.ask_price,
        last,
        at_ms: market_now(toolbox, env),
    })
}

/// The mirrored market of `symbol` since `since_ms`: 1-second candles (1-minute ones when the
/// last look is more than 1000 seconds ago, at most 1000 of them), then the touch.
async fn window(toolbox: &Toolbox, env: Environment, symbol: &str, since_ms: i64) -> Result<Window, ToolError> {
    let now = market_now(toolbox, env);
    let (interval, interval_ms) = if now - since_ms <= MAX_CANDLES * 1000 {
        ("1s", 1000)
    } else {
        ("1m", 60_000)
    };
    let start = since_ms.max(now - MAX_CANDLES * interval_ms);
    let klines = toolbox
        .client(env)
        .klines(&KlineQuery {
            symbol: symbol.to_owned(),
            interval: interval.to_owned(),
            start_time: Some(start - start.rem_euclid(interval_ms)),
            end_time: None,
            time_zone: None,
            limit: Some(MAX_CANDLES as u32),
        })
        .await?;
    let candles = klines
        .into_iter()
        .map(|k| Candle {
            open_ms: k.open_time,
            high: k.high,
            low: k.low,
        })
        .collect();
    Ok(Window {
        interval_ms,
        candles,
        touch: touch(toolbox, env, symbol).await?,
    })
}

/// Meets the open paper orders of `env` (of one symbol, or all) with the market since they
/// were last looked at.
pub async fn refresh(toolbox: &Toolbox, env: Environment, symbol: Option<&str>) -> Result<(), ToolError> {
    let open = toolbox.store()?.paper_open_symbols(env)?;
    for (sym, since) in open.into_iter().filter(|(s, _)| symbol.is_none_or(|want| want == s)) {
        let window = window(toolbox, env, &sym, since).await?;
        toolbox
            .store()?
            .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
                book.advance(&sym, &window)
            })?;
    }
    Ok(())
}

/// [`refresh`] for tools that read: a market that cannot be reached leaves the paper orders as
/// they were and says so.
pub async fn refresh_or_note(toolbox: &Toolbox, env: Environment, symbol: Option<&str>) -> Option<String> {
    match refresh(toolbox, env, symbol).await {
        Ok(()) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not look at the market for the paper orders");
            Some(format!(
                "paper orders shown as last evaluated: the mirrored market could not be read ({e})"
            ))
        }
    }
}

/// The background task of `serve` in paper mode: every [`PAPER_TICK`], each environment with
/// open paper orders is refreshed.
pub fn start(toolbox: &Arc<Toolbox>) {
    if toolbox.config().trade_mode != TradeMode::Paper {
        return;
    }
    let toolbox = toolbox.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PAPER_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for env in Environment::ALL {
                let has_open = toolbox
                    .store()
                    .ok()
                    .and_then(|s| s.paper_open_symbols(env).ok())
                    .is_some_and(|open| !open.is_empty());
                if has_open && let Err(e) = refresh(&toolbox, env, None).await {
                    tracing::debug!(error = %e, %env, "paper refresh failed; retrying at the next tick");
                }
            }
        }
    });
}

/// The LOT_SIZE step of a symbol (for a MARKET order given in quote).
fn lot_step(symbol: &SymbolInfo) -> Decimal {
    symbol
        .filters
        .iter()
        .find_map(|f| match f {
            SymbolFilter::LotSize { step_size, .. } => Some(*step_size),
            _ => None,
        })
        .unwrap_or(Decimal::ZERO)
}

/// A new order as the engine keeps it.
fn paper_order(
    env: Environment,
    order: &NewOrder,
    symbol: &SymbolInfo,
    list: Option<ListLink>,
    now_ms: i64,
    cancel_at_ms: Option<i64>,
) -> PaperOrder {
    PaperOrder {
        order_id: 0,
        environment: env,
        client_order_id: order.new_client_order_id.clone().unwrap_or_default(),
        symbol: order.symbol.clone(),
        base_asset: symbol.base_asset.clone(),
        quote_asset: symbol.quote_asset.clone(),
        side: order.side,
        order_type: order.order_type,
        time_in_force: order.time_in_force,
        quantity: order.quantity.unwrap_or_default(),
        quote_order_qty: order.quote_order_qty,
        price: order.price,
        stop_price: order.stop_price,
        trailing_delta: order.trailing_delta,
        iceberg_qty: order.iceberg_qty,
        status: String::new(),
        triggered: false,
        trail_extreme: None,
        executed_qty: Decimal::ZERO,
        quote_qty: Decimal::ZERO,
        list,
        created_ms: now_ms,
        updated_ms: now_ms,
        checked_ms: now_ms,
        cancel_at_ms,
        expiry_reason: None,
    }
}

/// The engine refused: journaled like the exchange's refusal (the reservation's test is given
/// back), and told to the agent in the exchange's words.
fn rejected(toolbox: &Toolbox, env: Environment, client_order_id: &str, why: &Rejection) -> ToolError {
    let now = local_now_ms();
    let recorded = toolbox.store().map(|s| {
        s.record(&LedgerEvent::OrderRejected {
            at: utc(now),
            at_ms: now,
            environment: env,
            client_order_id: client_order_id.to_owned(),
            code: Some(-2010),
            message: format!("paper: {}", why.0),
        })
    });
    if let Ok(Err(e)) | Err(e) = recorded {
        tracing::warn!(error = %e, "could not journal the paper rejection");
    }
    ToolError::invalid(format!(
        "PAPER: the paper matching engine rejected the order as Binance would (-2010 {}). Nothing was placed; the passed test can be used again.",
        why.0
    ))
}

/// Places one paper order under `reservation` (which the paper outcome settles).
pub fn place_order(
    toolbox: &Toolbox,
    env: Environment,
    order: &NewOrder,
    reservation: Reservation,
    symbol: &SymbolInfo,
    touch: &Touch,
    cancel_after_secs: Option<u32>,
) -> Result<PaperOrder, ToolError> {
    let client_order_id = reservation.client_order_id().to_owned();
    let mut order = order.clone();
    order.new_client_order_id = Some(client_order_id.clone());
    let now = touch.at_ms;
    let cancel_at = cancel_after_secs.map(|s| now + i64::from(s) * 1000);
    let new = paper_order(env, &order, symbol, None, now, cancel_at);
    let step = lot_step(symbol);
    let placed = toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            book.place(vec![new], None, touch, step)
                .map(|ids| placed_orders(book, &ids))
        })?;
    match placed {
        Ok(mut orders) => {
            toolbox.store()?.settle(env, &client_order_id, Outcome::Paper)?;
            orders
                .pop()
                .ok_or_else(|| ToolError::internal("the paper engine placed nothing"))
        }
        Err(why) => Err(rejected(toolbox, env, &client_order_id, &why)),
    }
}

/// Places a paper list: `legs` are (role, order) in request order, each with its client id.
pub fn place_list(
    toolbox: &Toolbox,
    env: Environment,
    list_type: &str,
    legs: &[(&str, NewOrder)],
    reservation: Reservation,
    symbol: &SymbolInfo,
    touch: &Touch,
) -> Result<(PaperList, Vec<PaperOrder>), ToolError> {
    let list_client_order_id = reservation.client_order_id().to_owned();
    let now = touch.at_ms;
    let link = |role: &str| ListLink {
        order_list_id: 0,
        list_client_order_id: list_client_order_id.clone(),
        list_type: list_type.to_owned(),
        role: role.to_owned(),
    };
    let orders: Vec<PaperOrder> = legs
        .iter()
        .map(|(role, order)| paper_order(env, order, symbol, Some(link(role)), now, None))
        .collect();
    let list = PaperList {
        order_list_id: 0,
        environment: env,
        list_client_order_id: list_client_order_id.clone(),
        list_type: list_type.to_owned(),
        symbol: symbol.symbol.clone(),
        status: "EXECUTING".into(),
        created_ms: now,
        updated_ms: now,
    };
    let step = lot_step(symbol);
    let placed = toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            book.place(orders, Some(list), touch, step).map(|ids| {
                let orders = placed_orders(book, &ids);
                let list = book.lists.last().cloned();
                (list, orders)
            })
        })?;
    match placed {
        Ok((Some(list), orders)) => {
            toolbox.store()?.settle(env, &list_client_order_id, Outcome::Paper)?;
            Ok((list, orders))
        }
        Ok((None, _)) => Err(ToolError::internal("the paper engine kept no list")),
        Err(why) => Err(rejected(toolbox, env, &list_client_order_id, &why)),
    }
}

fn placed_orders(book: &PaperBook, ids: &[u64]) -> Vec<PaperOrder> {
    ids.iter()
        .filter_map(|id| book.orders.iter().find(|o| o.order_id == *id).cloned())
        .collect()
}

/// A paper order of `env` named by order id or client id, looked at against the market first.
pub async fn find_order(toolbox: &Toolbox, env: Environment, by: &PaperRef) -> Result<Option<PaperOrder>, ToolError> {
    let Some(order) = toolbox.store()?.paper_order(env, by)? else {
        return Ok(None);
    };
    if order.is_open() {
        refresh_or_note(toolbox, env, Some(&order.symbol)).await;
        return Ok(toolbox.store()?.paper_order(env, by)?);
    }
    Ok(Some(order))
}

/// Cancels an open paper order (a leg cancels its list). None when there is no such paper
/// order; the order as it ended otherwise (already ended: an error, as the exchange says).
pub async fn cancel_order(toolbox: &Toolbox, env: Environment, by: &PaperRef) -> Result<Option<PaperOrder>, ToolError> {
    let Some(order) = find_order(toolbox, env, by).await? else {
        return Ok(None);
    };
    if !order.is_open() {
        return Err(ToolError::invalid(format!(
            "PAPER: paper order {} is already {}; nothing to cancel (-2011 Unknown order sent.)",
            order.client_order_id, order.status
        )));
    }
    let id = order.order_id;
    toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            book.cancel(id, market_now(toolbox, env))
        })?;
    Ok(toolbox.store()?.paper_order(env, &PaperRef::Id(id))?)
}

/// Cancels a paper list (all its open legs). None when there is no such paper list.
pub async fn cancel_list(
    toolbox: &Toolbox,
    env: Environment,
    by: &PaperRef,
) -> Result<Option<(PaperList, Vec<PaperOrder>)>, ToolError> {
    let Some((list, legs)) = toolbox.store()?.paper_list(env, by)? else {
        return Ok(None);
    };
    refresh_or_note(toolbox, env, Some(&list.symbol)).await;
    let open: Vec<u64> = toolbox
        .store()?
        .paper_list(env, by)?
        .map(|(_, legs)| legs.iter().filter(|o| o.is_open()).map(|o| o.order_id).collect())
        .unwrap_or_default();
    let Some(first) = open.first().copied() else {
        return Err(ToolError::invalid(format!(
            "PAPER: paper order list {} is already {} (its legs: {}); nothing to cancel",
            list.list_client_order_id,
            list.status,
            legs.iter().map(|o| o.status.as_str()).collect::<Vec<_>>().join(", ")
        )));
    };
    toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            book.cancel(first, market_now(toolbox, env))
        })?;
    Ok(toolbox.store()?.paper_list(env, by)?)
}

/// Cancels every open paper order of `env` on `symbol` (all symbols when None); returns them.
pub async fn cancel_all(
    toolbox: &Toolbox,
    env: Environment,
    symbol: Option<&str>,
) -> Result<Vec<PaperOrder>, ToolError> {
    refresh_or_note(toolbox, env, symbol).await;
    let open = toolbox.store()?.paper_orders(env, symbol, true, 10_000)?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<u64> = open.iter().map(|o| o.order_id).collect();
    let now = market_now(toolbox, env);
    toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            for id in &ids {
                book.cancel(*id, now);
            }
        })?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(o) = toolbox.store()?.paper_order(env, &PaperRef::Id(id))? {
            out.push(o);
        }
    }
    Ok(out)
}

/// Lowers an open paper order's quantity in place.
pub async fn amend(
    toolbox: &Toolbox,
    env: Environment,
    by: &PaperRef,
    new_quantity: Decimal,
) -> Result<Option<PaperOrder>, ToolError> {
    let Some(order) = find_order(toolbox, env, by).await? else {
        return Ok(None);
    };
    let id = order.order_id;
    let now = market_now(toolbox, env);
    toolbox
        .store()?
        .paper(env, &toolbox.config().paper_balance, local_now_ms(), |book| {
            book.amend(id, new_quantity, now)
        })?
        .map_err(|why| ToolError::invalid(format!("PAPER: the paper amend was refused: {}", why.0)))?;
    Ok(toolbox.store()?.paper_order(env, &PaperRef::Id(id))?)
}

/// A paper order as Binance reports an order (`GET /api/v3/order`).
pub fn report(o: &PaperOrder) -> OrderReport {
    OrderReport {
        symbol: o.symbol.clone(),
        order_id: o.order_id,
        order_list_id: o.list.as_ref().map(|l| l.order_list_id as i64).unwrap_or(-1),
        client_order_id: o.client_order_id.clone(),
        orig_client_order_id: None,
        transact_time: Some(o.updated_ms),
        price: Some(o.price.unwrap_or_default().normalize()),
        orig_qty: Some(o.quantity.normalize()),
        executed_qty: Some(o.executed_qty.normalize()),
        cummulative_quote_qty: Some(o.quote_qty.normalize()),
        orig_quote_order_qty: o.quote_order_qty.map(|q| q.normalize()),
        status: Some(o.status.clone()),
        time_in_force: o.time_in_force.map(|t| t.as_str().to_owned()),
        order_type: Some(o.order_type.as_str().to_owned()),
        side: Some(o.side.as_str().to_owned()),
        stop_price: o.stop_price.map(|p| p.normalize()),
        iceberg_qty: o.iceberg_qty.map(|q| q.normalize()),
        trailing_delta: o.trailing_delta.map(u64::from),
        time: Some(o.created_ms),
        update_time: Some(o.updated_ms),
        is_working: Some(o.is_working() && (!o.order_type.is_algo() || o.triggered)),
        working_time: None,
        self_trade_prevention_mode: None,
        expiry_reason: o.expiry_reason.clone(),
        fills: Vec::new(),
    }
}

/// The paper account of `env`: (asset, free, held by open paper orders, total), after a look
/// at the market; None before paper mode first used it.
pub async fn balances(
    toolbox: &Toolbox,
    env: Environment,
) -> Result<Option<Vec<(String, Decimal, Decimal, Decimal)>>, ToolError> {
    refresh_or_note(toolbox, env, None).await;
    let Some(totals) = toolbox.store()?.paper_balances(env)? else {
        return Ok(None);
    };
    let open = toolbox.store()?.paper_orders(env, None, true, 10_000)?;
    let book = PaperBook {
        environment: env,
        orders: open,
        lists: Vec::new(),
        balances: totals.clone(),
        events: Vec::new(),
        next_order_id: 0,
        next_list_id: 0,
    };
    // A MARKET-priced hold uses the stop or limit; what is left is exact enough for a report.
    let held = book.held(|_| Decimal::ZERO);
    Ok(Some(
        totals
            .into_iter()
            .map(|(asset, total)| {
                let h = held.get(&asset).copied().unwrap_or_default();
                (asset, (total - h).normalize(), h.normalize(), total.normalize())
            })
            .collect(),
    ))
}

/// The one line every paper result ends with.
pub const PAPER_NOTE: &str = "PAPER (BINANCE_TRADE_MODE=paper): nothing was sent to the exchange's matching engine; the paper engine mirrors its public market.";
