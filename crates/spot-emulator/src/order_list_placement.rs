//! The matching engine's side of order-list placement: the unfilled order count (room for every
//! leg), a duplicate open `listClientOrderId` or leg client order id, the OCO price relationship
//! against the last price, the balance (an OCO locks once for both legs; an OTO/OTOCO only for
//! its working leg), the per-leg LIMIT_MAKER and stop rejections, then the legs are created
//! (pending ones `PENDING_NEW`; an OPO's without a quantity), the working leg meets the book,
//! and the list is stored.

use rust_decimal::Decimal;

use super::contingency::{after_change, lock_pair};
use super::error::ApiError;
use super::exchange::Exchange;
use super::market::{Instrument, Market};
use super::matching::{Admission, Pricing, accepted_order, admit, check_balance, check_placeable, start_order};
use super::order_count::OrderLimits;
use super::order_list_model::{ListOrderStatus, ListStatusType, OrderList};
use super::order_list_params::{Leg, LegRole, ListRequest};
use super::order_model::{Order, OrderType, Side, Status};
use super::order_params::generate_client_order_id;

/// A placed list as the placement answer shows it: the list and its legs right after the
/// working leg met the book, before any pending leg went live (the docs: a working leg filled
/// at once still shows its pending leg `PENDING_NEW`).
#[derive(Debug, Clone)]
pub struct PlacedList {
    pub list: OrderList,
    pub legs: Vec<Order>,
    /// The account's unfilled order counts (10 s, day) after the placement.
    pub counts: (u32, u32),
}

impl Exchange {
    /// Places a validated order list for `api_key` at `now_ms` (`request` legs carry their
    /// effective STP mode). Errors leave nothing behind.
    pub fn place_list(
        &mut self,
        api_key: &str,
        market: &Market,
        inst: &Instrument,
        request: &ListRequest,
        now_ms: i64,
        limits: OrderLimits,
    ) -> Result<PlacedList, ApiError> {
        let spec = &inst.spec;
        let (mut ledger, mut book) = self
            .split_orders(api_key, now_ms)
            .ok_or_else(|| ApiError::new_order_rejected("This account may not place or cancel orders."))?;
        ledger
            .order_count
            .check_room(now_ms, limits, request.kind.leg_count())?;
        let list_client_order_id = request
            .list_client_order_id
            .clone()
            .unwrap_or_else(generate_client_order_id);
        if book
            .lists
            .iter()
            .any(|l| l.is_open() && l.list_client_order_id == list_client_order_id)
        {
            return Err(ApiError::new_order_rejected("Duplicate order sent."));
        }
        let last = market.last_price(inst, now_ms);
        let admissions = admit_legs(book.orders, market, inst, &request.legs, last, now_ms)?;
        check_price_relationship(&request.legs, last)?;
        let live_at_once = |leg: &&Leg| !leg.role.is_pending();
        // One lock for everything live at placement: an OCO's pair shares it (same side and
        // asset), an OTO/OTOCO has only its working leg live.
        let needs = request
            .legs
            .iter()
            .zip(&admissions)
            .filter(|(leg, _)| live_at_once(leg))
            .map(|(_, a)| a.needs.clone())
            .max_by_key(|(_, amount)| *amount);
        if let Some(needs) = needs {
            check_balance(&ledger, &needs)?;
        }
        for leg in request.legs.iter().filter(live_at_once) {
            check_placeable(market, inst, Pricing::of_request(&leg.order), last, now_ms)?;
        }

        let counts = ledger.order_count.increment_by(now_ms, request.kind.leg_count());
        let order_list_id = ledger.next_order_list_id();
        let first = book.orders.len();
        for (leg, admission) in request.legs.iter().zip(&admissions) {
            let order_id = ledger.next_order_id();
            let mut order = accepted_order(spec, &leg.order, admission, order_id, now_ms);
            order.order_list_id = Some(order_list_id);
            if leg.role.is_pending() {
                order.status = Status::PendingNew;
                order.working_time = -1;
                if request.kind.pays_the_other() {
                    // No quantity until the working leg has filled (`faqs/opo.md`).
                    order.orig_qty = Decimal::ZERO;
                }
            }
            book.orders.push(order);
        }
        let indices: Vec<usize> = (first..book.orders.len()).collect();
        let ids: Vec<u64> = indices.iter().map(|&i| book.orders[i].order_id).collect();
        let roles: Vec<LegRole> = request.legs.iter().map(|l| l.role).collect();
        let pair: Vec<u64> = roles
            .iter()
            .zip(&ids)
            .filter(|(role, _)| role.is_oco())
            .map(|(_, id)| *id)
            .collect();
        let working = roles.iter().position(|r| *r == LegRole::Working).map(|p| indices[p]);
        match working {
            Some(w) => start_order(&mut ledger, market, inst, &mut book.orders[w], None, now_ms),
            None => lock_pair(&mut ledger, spec, book.orders, indices[0], indices[1]),
        }
        book.lists.push(OrderList {
            order_list_id,
            kind: request.kind,
            list_status_type: ListStatusType::ExecStarted,
            list_order_status: ListOrderStatus::Executing,
            list_client_order_id,
            transaction_time: now_ms,
            created_ms: now_ms,
            symbol: spec.symbol.clone(),
            order_ids: ids,
            working: working.map(|w| book.orders[w].order_id),
            oco_pair: match pair.as_slice() {
                &[a, b] => Some((a, b)),
                _ => None,
            },
        });
        let placed = PlacedList {
            list: book.lists[book.lists.len() - 1].clone(),
            legs: indices.iter().map(|&i| book.orders[i].clone()).collect(),
            counts,
        };
        if let Some(w) = working {
            after_change(&mut ledger, market, inst, &mut book, w, now_ms);
        }
        Ok(placed)
    }
}

/// The engine's first checks of every leg: duplicate client order ids (open orders, and the
/// legs among themselves), quantities and what each needs.
fn admit_legs(
    orders: &[Order],
    market: &Market,
    inst: &Instrument,
    legs: &[Leg],
    last: Decimal,
    now_ms: i64,
) -> Result<Vec<Admission>, ApiError> {
    let mut admissions: Vec<Admission> = Vec::with_capacity(legs.len());
    for leg in legs {
        let admission = admit(orders, market, inst, &leg.order, last, now_ms)?;
        if admissions
            .iter()
            .any(|a| a.client_order_id == admission.client_order_id)
        {
            return Err(ApiError::new_order_rejected("Duplicate order sent."));
        }
        admissions.push(admission);
    }
    Ok(admissions)
}

/// The OCO price rules against the last traded price `last` (`rest-api.md`): SELL —
/// LIMIT_MAKER/TAKE_PROFIT_LIMIT `price` (TAKE_PROFIT `stopPrice`) > last > STOP_LOSS(_LIMIT)
/// `stopPrice`; BUY — the reverse. A leg without a price to compare (a trailing stop without
/// `stopPrice`) is not compared.
fn check_price_relationship(legs: &[Leg], last: Decimal) -> Result<(), ApiError> {
    let pair: Vec<&Leg> = legs.iter().filter(|l| l.role.is_oco()).collect();
    let &[first, second] = pair.as_slice() else {
        return Ok(());
    };
    let stop_loss = |kind: OrderType| matches!(kind, OrderType::StopLoss | OrderType::StopLossLimit);
    let (loss, profit) = if stop_loss(first.order.kind) {
        (first, second)
    } else {
        (second, first)
    };
    let loss_price = loss.order.stop_price;
    let profit_price = match profit.order.kind {
        OrderType::TakeProfit => profit.order.stop_price,
        _ => profit.order.price,
    };
    let ok = match loss.order.side {
        Side::Sell => profit_price.is_none_or(|p| p > last) && loss_price.is_none_or(|s| last > s),
        Side::Buy => profit_price.is_none_or(|p| p < last) && loss_price.is_none_or(|s| last < s),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new_order_rejected(
            "The relationship of the prices for the orders is not correct.",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::order_list_model::ListKind;
    use super::super::order_list_params::parse_list;
    use super::super::params::Params;
    use super::super::symbols::default_symbols;
    use super::*;

    fn legs(query: &str) -> Vec<Leg> {
        let spec = default_symbols().remove(0);
        parse_list(ListKind::Oco, &Params::parse(Some(query)).unwrap(), &spec)
            .unwrap()
            .legs
    }

    #[test]
    fn price_relationship_against_the_last_price() {
        let last = Decimal::from(95_000);
        let sell = "side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice=96000\
                    &belowType=STOP_LOSS&belowStopPrice=94000";
        assert!(check_price_relationship(&legs(sell), last).is_ok());
        let crossed = sell.replace("abovePrice=96000", "abovePrice=94500");
        let err = check_price_relationship(&legs(&crossed), last).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (-2010, "The relationship of the prices for the orders is not correct.")
        );
        let buy = "side=BUY&quantity=0.01&aboveType=STOP_LOSS_LIMIT&abovePrice=96500&aboveStopPrice=96000\
                   &aboveTimeInForce=GTC&belowType=TAKE_PROFIT&belowStopPrice=94000";
        assert!(check_price_relationship(&legs(buy), last).is_ok());
        let low_stop = buy.replace("aboveStopPrice=96000", "aboveStopPrice=94900");
        assert!(check_price_relationship(&legs(&low_stop), last).is_err());
        let trailing = "side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice=96000\
                        &belowType=STOP_LOSS&belowTrailingDelta=100";
        assert!(check_price_relationship(&legs(trailing), last).is_ok());
    }
}
