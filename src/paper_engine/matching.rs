//! What the paper book does: places orders and lists, fills, triggers and expires them as the
//! mirrored market moves (`advance`), cancels and amends, and keeps the balances and events.

use super::*;

impl PaperBook {
    fn index_of(&self, order_id: u64) -> Option<usize> {
        self.orders.iter().position(|o| o.order_id == order_id)
    }

    /// What each asset's open orders hold; an above/below pair of one list holds once (the
    /// larger of its legs).
    pub fn held(&self, ask_of: impl Fn(&str) -> Decimal) -> BTreeMap<String, Decimal> {
        let mut held: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut pairs: BTreeMap<u64, (String, Decimal)> = BTreeMap::new();
        for o in self.orders.iter().filter(|o| o.is_working()) {
            let (asset, amount) = o.holds(ask_of(&o.symbol));
            match &o.list {
                Some(link)
                    if ListRules::of(&link.list_type)
                        .one_cancels_other
                        .contains(&link.role.as_str()) =>
                {
                    let entry = pairs.entry(link.order_list_id).or_insert((asset, Decimal::ZERO));
                    entry.1 = entry.1.max(amount);
                }
                _ => *held.entry(asset).or_default() += amount,
            }
        }
        for (asset, amount) in pairs.into_values() {
            *held.entry(asset).or_default() += amount;
        }
        held
    }

    /// The free amount of an asset: its total less what open orders hold.
    pub fn free(&self, asset: &str, ask_of: impl Fn(&str) -> Decimal) -> Decimal {
        let total = self.balances.get(asset).copied().unwrap_or_default();
        total - self.held(ask_of).get(asset).copied().unwrap_or_default()
    }

    fn event(
        &mut self,
        idx: usize,
        execution: &'static str,
        at_ms: i64,
        trade: Option<(Decimal, Decimal)>,
        note: Option<String>,
    ) {
        let o = &self.orders[idx];
        self.events.push(PaperEvent {
            at_ms,
            order_id: o.order_id,
            client_order_id: o.client_order_id.clone(),
            symbol: o.symbol.clone(),
            list_client_order_id: o.list.as_ref().map(|l| l.list_client_order_id.clone()),
            execution,
            status: o.status.clone(),
            last_qty: trade.map(|(q, _)| q.normalize()),
            last_price: trade.map(|(_, p)| p.normalize()),
            executed_qty: o.executed_qty.normalize(),
            note,
        });
    }

    /// Places one order or one list (its legs in request order, each with its list link when
    /// a list is given) at the touch: the exchange's placement checks, then what executes at
    /// once. Returns the order ids given out.
    pub fn place(
        &mut self,
        mut legs: Vec<PaperOrder>,
        list: Option<PaperList>,
        touch: &Touch,
        step: Decimal,
    ) -> Result<Vec<u64>, Rejection> {
        let rules = list.as_ref().map(|l| ListRules::of(&l.list_type));
        let pending = |o: &PaperOrder| match (&o.list, rules) {
            (Some(link), Some(r)) => r.pending.contains(&link.role.as_str()),
            _ => false,
        };
        // The exchange's checks of what goes on the book now.
        for o in legs.iter_mut().filter(|o| !pending(o)) {
            check_placeable(o, touch)?;
            if o.order_type == OrderType::Market && o.quantity.is_zero() {
                let quote = o.quote_order_qty.unwrap_or_default();
                let price = match o.side {
                    Side::Buy => touch.ask,
                    Side::Sell => touch.bid,
                };
                o.quantity = if price.is_zero() {
                    Decimal::ZERO
                } else {
                    floor_to_step(quote / price, step)
                };
                if o.quantity.is_zero() {
                    return Err(Rejection(
                        "Order book liquidity is less than LOT_SIZE filter minimum quantity.".into(),
                    ));
                }
            }
        }
        // What the working legs need free (a pair once), against what is free.
        let mut needs: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut pair: Option<(String, Decimal)> = None;
        for o in legs.iter().filter(|o| !pending(o)) {
            let (asset, amount) = o.holds(touch.ask);
            let in_pair = match (&o.list, rules) {
                (Some(link), Some(r)) => r.one_cancels_other.contains(&link.role.as_str()),
                _ => false,
            };
            if in_pair {
                let p = pair.get_or_insert((asset, Decimal::ZERO));
                p.1 = p.1.max(amount);
            } else {
                *needs.entry(asset).or_default() += amount;
            }
        }
        if let Some((asset, amount)) = pair {
            *needs.entry(asset).or_default() += amount;
        }
        for (asset, amount) in &needs {
            if self.free(asset, |_| touch.ask) < *amount {
                return Err(Rejection(
                    "Account has insufficient balance for requested action.".into(),
                ));
            }
        }
        // On the book.
        if let Some(mut l) = list {
            l.order_list_id = PAPER_ID_BASE + self.next_list_id;
            self.next_list_id += 1;
            for o in legs.iter_mut() {
                if let Some(link) = o.list.as_mut() {
                    link.order_list_id = l.order_list_id;
                }
            }
            self.lists.push(l);
        }
        let mut ids = Vec::new();
        let mut placed = Vec::new();
        for mut o in legs {
            o.order_id = PAPER_ID_BASE + self.next_order_id;
            self.next_order_id += 1;
            o.status = if pending(&o) { status::PENDING_NEW } else { status::NEW }.into();
            o.checked_ms = touch.at_ms;
            if o.trailing_delta.is_some() && o.stop_price.is_none() && !pending(&o) {
                o.trail_extreme = Some(touch.last);
            }
            ids.push(o.order_id);
            self.orders.push(o);
            let idx = self.orders.len() - 1;
            self.event(idx, "NEW", touch.at_ms, None, None);
            placed.push(idx);
        }
        for idx in placed {
            if self.orders[idx].is_working() {
                self.execute_now(idx, touch);
            }
        }
        Ok(ids)
    }

    /// What a working order does at the touch the moment it reaches the book.
    fn execute_now(&mut self, idx: usize, touch: &Touch) {
        let o = &self.orders[idx];
        let (taker_price, crosses) = match o.side {
            Side::Buy => (touch.ask, o.price.is_some_and(|p| p >= touch.ask)),
            Side::Sell => (touch.bid, o.price.is_some_and(|p| p <= touch.bid)),
        };
        match o.order_type {
            OrderType::Market => self.fill(idx, taker_price, touch.at_ms, touch),
            OrderType::Limit if crosses => self.fill(idx, taker_price, touch.at_ms, touch),
            OrderType::Limit if matches!(o.time_in_force, Some(TimeInForce::Ioc | TimeInForce::Fok)) => {
                self.end(idx, status::EXPIRED, touch.at_ms, None);
            }
            _ => {}
        }
    }

    /// Fills what is left of an order at `price`, when the account can pay; then the list rules.
    fn fill(&mut self, idx: usize, price: Decimal, at_ms: i64, touch: &Touch) {
        let o = &self.orders[idx];
        let qty = o.left();
        let cost = qty * price;
        let (pay, pay_amount, get, get_amount) = match o.side {
            Side::Buy => (o.quote_asset.clone(), cost, o.base_asset.clone(), qty),
            Side::Sell => (o.base_asset.clone(), qty, o.quote_asset.clone(), cost),
        };
        if self.balances.get(&pay).copied().unwrap_or_default() < pay_amount {
            self.end(
                idx,
                status::EXPIRED,
                at_ms,
                Some(format!("the paper account cannot pay {} {pay}", pay_amount.normalize())),
            );
            return;
        }
        *self.balances.entry(pay).or_default() -= pay_amount;
        *self.balances.entry(get).or_default() += get_amount;
        let o = &mut self.orders[idx];
        o.executed_qty += qty;
        o.quote_qty += cost;
        o.status = status::FILLED.into();
        o.updated_ms = at_ms;
        self.event(idx, "TRADE", at_ms, Some((qty, price)), None);
        self.executed(idx, at_ms);
        self.activate_after_fill(idx, at_ms, touch);
        self.close_list_if_done(idx, at_ms);
    }

    /// An above/below leg executed (filled or triggered): its siblings expire.
    fn executed(&mut self, idx: usize, at_ms: i64) {
        let Some(link) = self.orders[idx].list.clone() else {
            return;
        };
        let rules = ListRules::of(&link.list_type);
        if !rules.one_cancels_other.contains(&link.role.as_str()) {
            return;
        }
        for other in self.siblings(idx) {
            let o = &self.orders[other];
            if o.is_working()
                && o.list
                    .as_ref()
                    .is_some_and(|l| rules.one_cancels_other.contains(&l.role.as_str()))
            {
                let o = &mut self.orders[other];
                o.status = status::EXPIRED.into();
                o.expiry_reason = Some(OCO_TRIGGER.into());
                o.updated_ms = at_ms;
                self.event(other, "EXPIRED", at_ms, None, Some(OCO_TRIGGER.into()));
            }
        }
    }

    /// A completely filled activator places the list's pending legs.
    fn activate_after_fill(&mut self, idx: usize, at_ms: i64, touch: &Touch) {
        let Some(link) = self.orders[idx].list.clone() else {
            return;
        };
        let rules = ListRules::of(&link.list_type);
        if rules.activator != Some(link.role.as_str()) || self.orders[idx].status != status::FILLED {
            return;
        }
        let pending: Vec<usize> = self
            .siblings(idx)
            .into_iter()
            .filter(|&i| self.orders[i].status == status::PENDING_NEW)
            .collect();
        for &i in &pending {
            let o = &mut self.orders[i];
            o.status = status::NEW.into();
            o.updated_ms = at_ms;
            // Looked at from the next candle on.
            o.checked_ms = at_ms + 1;
            if o.trailing_delta.is_some() && o.stop_price.is_none() {
                o.trail_extreme = Some(touch.last);
            }
            self.event(i, "NEW", at_ms, None, Some("placed: the working order filled".into()));
        }
        // A placed leg that the exchange would refuse expires (and its pair with it); one that
        // executes at once (a MARKET leg, a crossing LIMIT) does.
        for &i in &pending {
            if !self.orders[i].is_working() {
                continue;
            }
            if let Err(Rejection(why)) = check_placeable(&self.orders[i], touch) {
                self.orders[i].status = status::EXPIRED.into();
                self.orders[i].expiry_reason = Some(status::REJECTED.into());
                self.event(i, "EXPIRED", at_ms, None, Some(why));
                self.executed(i, at_ms);
            } else {
                self.execute_now(i, touch);
            }
        }
    }

    /// Ends an order without a fill (canceled, expired): its list reacts as the exchange's does.
    fn end(&mut self, idx: usize, new_status: &str, at_ms: i64, note: Option<String>) {
        let o = &mut self.orders[idx];
        o.status = new_status.into();
        o.updated_ms = at_ms;
        let execution = if new_status == status::CANCELED {
            "CANCELED"
        } else {
            "EXPIRED"
        };
        self.event(idx, execution, at_ms, None, note);
        if let Some(link) = self.orders[idx].list.clone() {
            let rules = ListRules::of(&link.list_type);
            let activator_ended =
                rules.activator == Some(link.role.as_str()) && self.orders[idx].executed_qty.is_zero();
            for other in self.siblings(idx) {
                if !self.orders[other].is_open() {
                    continue;
                }
                let (status, reason) = if new_status == status::CANCELED {
                    (status::CANCELED, None)
                } else if activator_ended {
                    (status::EXPIRED, Some(OTO_PHASE_ONE_EXPIRED))
                } else if rules.one_cancels_other.contains(&link.role.as_str()) {
                    (status::EXPIRED, Some(OCO_TRIGGER))
                } else {
                    continue;
                };
                let o = &mut self.orders[other];
                o.status = status.into();
                o.expiry_reason = reason.map(str::to_owned);
                o.updated_ms = at_ms;
                let execution = if status == status::CANCELED {
                    "CANCELED"
                } else {
                    "EXPIRED"
                };
                self.event(other, execution, at_ms, None, reason.map(str::to_owned));
            }
        }
        self.close_list_if_done(idx, at_ms);
    }

    fn siblings(&self, idx: usize) -> Vec<usize> {
        let Some(list_id) = self.orders[idx].list.as_ref().map(|l| l.order_list_id) else {
            return Vec::new();
        };
        (0..self.orders.len())
            .filter(|&i| i != idx && self.orders[i].list.as_ref().is_some_and(|l| l.order_list_id == list_id))
            .collect()
    }

    fn close_list_if_done(&mut self, idx: usize, at_ms: i64) {
        let Some(list_id) = self.orders[idx].list.as_ref().map(|l| l.order_list_id) else {
            return;
        };
        let open = self
            .orders
            .iter()
            .any(|o| o.is_open() && o.list.as_ref().is_some_and(|l| l.order_list_id == list_id));
        if let Some(list) = self.lists.iter_mut().find(|l| l.order_list_id == list_id)
            && !open
        {
            list.status = "ALL_DONE".into();
            list.updated_ms = at_ms;
        }
    }

    /// Cancels an open order (a list's leg cancels the list). False when it is not open.
    pub fn cancel(&mut self, order_id: u64, touch_at_ms: i64) -> bool {
        let Some(idx) = self.index_of(order_id) else {
            return false;
        };
        if !self.orders[idx].is_open() {
            return false;
        }
        self.end(idx, status::CANCELED, touch_at_ms, None);
        true
    }

    /// Lowers an open order's quantity in place (keep priority). The new quantity must be
    /// below the current one and above what has filled.
    pub fn amend(&mut self, order_id: u64, new_quantity: Decimal, at_ms: i64) -> Result<(), Rejection> {
        let idx = self
            .index_of(order_id)
            .ok_or_else(|| Rejection("Order was not canceled due to no such order.".into()))?;
        let o = &mut self.orders[idx];
        if !o.is_open() {
            return Err(Rejection("Order is not open.".into()));
        }
        if new_quantity >= o.quantity || new_quantity <= o.executed_qty {
            return Err(Rejection(
                "The new quantity must be below the current one and above the filled quantity.".into(),
            ));
        }
        o.quantity = new_quantity;
        o.updated_ms = at_ms;
        self.event(
            idx,
            "REPLACED",
            at_ms,
            None,
            Some(format!("quantity lowered to {}", new_quantity.normalize())),
        );
        Ok(())
    }

    /// Meets the open orders of `symbol` with the market since each was last looked at: candle
    /// by candle (stops trigger, resting limits fill, list rules apply as each event happens),
    /// then the touch now, then due cancel timers.
    pub fn advance(&mut self, symbol: &str, window: &Window) {
        let touch = &window.touch;
        for candle in &window.candles {
            for idx in 0..self.orders.len() {
                let o = &self.orders[idx];
                if o.symbol != symbol || !o.is_working() || candle.open_ms < ceil_to(o.checked_ms, window.interval_ms) {
                    continue;
                }
                if o.waits_for_trigger() {
                    if let Some(at) = self.trigger_price(idx, candle.high, candle.low) {
                        self.trigger(idx, at, candle.open_ms, touch);
                    }
                } else if let Some(limit) = o.working_limit() {
                    let reached = match o.side {
                        Side::Buy => candle.low <= limit,
                        Side::Sell => candle.high >= limit,
                    };
                    if reached {
                        self.fill(idx, limit, candle.open_ms, touch);
                    }
                }
            }
        }
        for idx in 0..self.orders.len() {
            let o = &self.orders[idx];
            if o.symbol != symbol || !o.is_working() {
                continue;
            }
            if o.waits_for_trigger() {
                if let Some(at) = self.trigger_price(idx, touch.last, touch.last) {
                    self.trigger(idx, at, touch.at_ms, touch);
                }
            } else if let Some(limit) = o.working_limit() {
                let reached = match o.side {
                    Side::Buy => touch.ask <= limit,
                    Side::Sell => touch.bid >= limit,
                };
                if reached {
                    self.fill(idx, limit, touch.at_ms, touch);
                }
            }
        }
        for idx in 0..self.orders.len() {
            let o = &self.orders[idx];
            if o.symbol == symbol
                && o.is_open()
                && let Some(due) = o.cancel_at_ms
                && due <= touch.at_ms
            {
                self.end(
                    idx,
                    status::CANCELED,
                    touch.at_ms,
                    Some("cancel_after_seconds: the unfilled order was canceled".into()),
                );
            }
        }
        for o in self.orders.iter_mut().filter(|o| o.symbol == symbol && o.is_open()) {
            o.checked_ms = o.checked_ms.max(touch.at_ms);
        }
    }

    /// The price at which a waiting stop triggers within a candle (high and low), if it does;
    /// a trailing stop's tracking moves on either way.
    fn trigger_price(&mut self, idx: usize, high: Decimal, low: Decimal) -> Option<Decimal> {
        let o = &mut self.orders[idx];
        let stop_hit = |price: Decimal| {
            o.stop_price
                .is_none_or(|stop| stop_reached(o.order_type, o.side, stop, price))
        };
        let Some(delta_bips) = o.trailing_delta else {
            let stop = o.stop_price?;
            let reached = if triggers_upward(o.order_type, o.side) {
                high >= stop
            } else {
                low <= stop
            };
            return reached.then_some(stop);
        };
        let delta = Decimal::new(i64::from(delta_bips), 4);
        // Worst order inside the candle: the favourable extreme first, then the reversal.
        let path = match o.side {
            Side::Sell => [high, low],
            Side::Buy => [low, high],
        };
        let hits: Vec<bool> = path.iter().map(|p| stop_hit(*p)).collect();
        for (price, hit) in path.into_iter().zip(hits) {
            let Some(extreme) = o.trail_extreme else {
                if hit {
                    o.trail_extreme = Some(price);
                }
                continue;
            };
            match o.side {
                Side::Buy => {
                    let at = extreme * (Decimal::ONE + delta);
                    o.trail_extreme = Some(extreme.min(price));
                    if price >= at {
                        return Some(at.round_dp(8));
                    }
                }
                Side::Sell => {
                    let at = extreme * (Decimal::ONE - delta);
                    o.trail_extreme = Some(extreme.max(price));
                    if price <= at {
                        return Some(at.round_dp(8));
                    }
                }
            }
        }
        None
    }

    /// A stop reached its trigger at `price`: a market stop fills there; a limit stop becomes a
    /// working limit, filling there at once when its limit is at or through it.
    fn trigger(&mut self, idx: usize, price: Decimal, at_ms: i64, touch: &Touch) {
        let o = &mut self.orders[idx];
        o.triggered = true;
        o.updated_ms = at_ms;
        self.event(
            idx,
            "TRIGGERED",
            at_ms,
            None,
            Some(format!("last price reached {}", price.normalize())),
        );
        self.executed(idx, at_ms);
        let o = &self.orders[idx];
        if o.order_type.is_market_like() {
            self.fill(idx, price, at_ms, touch);
            return;
        }
        let marketable = match (o.side, o.price) {
            (Side::Buy, Some(limit)) => limit >= price,
            (Side::Sell, Some(limit)) => limit <= price,
            _ => false,
        };
        if marketable {
            self.fill(idx, price, at_ms, touch);
        } else {
            // Rests as a limit from the next candle on.
            self.orders[idx].checked_ms = at_ms + 1;
        }
    }
}

/// The exchange's placement checks that depend on the market: a LIMIT_MAKER that would take,
/// a stop that would trigger at once.
fn check_placeable(o: &PaperOrder, touch: &Touch) -> Result<(), Rejection> {
    if o.order_type == OrderType::LimitMaker {
        let takes = match (o.side, o.price) {
            (Side::Buy, Some(p)) => p >= touch.ask,
            (Side::Sell, Some(p)) => p <= touch.bid,
            _ => false,
        };
        if takes {
            return Err(Rejection("Order would immediately match and take.".into()));
        }
    }
    if o.order_type.is_algo()
        && o.trailing_delta.is_none()
        && let Some(stop) = o.stop_price
        && stop_reached(o.order_type, o.side, stop, touch.last)
    {
        return Err(Rejection("Stop price would trigger immediately.".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use rust_decimal_macros_free::d;

    mod rust_decimal_macros_free {
        /// A decimal from a literal string (tests only).
        pub fn d(s: &str) -> rust_decimal::Decimal {
            s.parse().expect("decimal")
        }
    }

    fn order(side: Side, kind: OrderType, qty: &str, price: Option<&str>, stop: Option<&str>) -> PaperOrder {
        PaperOrder {
            order_id: 0,
            environment: Environment::Testnet,
            client_order_id: format!("c{}", rand_id()),
            symbol: "BTCUSDT".into(),
            base_asset: "BTC".into(),
            quote_asset: "USDT".into(),
            side,
            order_type: kind,
            time_in_force: kind
                .has_limit_price()
                .then_some(TimeInForce::Gtc)
                .filter(|_| kind != OrderType::LimitMaker),
            quantity: d(qty),
            quote_order_qty: None,
            price: price.map(d),
            stop_price: stop.map(d),
            trailing_delta: None,
            iceberg_qty: None,
            status: String::new(),
            triggered: false,
            trail_extreme: None,
            executed_qty: Decimal::ZERO,
            quote_qty: Decimal::ZERO,
            list: None,
            created_ms: 0,
            updated_ms: 0,
            checked_ms: 0,
            cancel_at_ms: None,
            expiry_reason: None,
        }
    }

    fn rand_id() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    fn book(usdt: &str, btc: &str) -> PaperBook {
        PaperBook {
            environment: Environment::Testnet,
            orders: Vec::new(),
            lists: Vec::new(),
            balances: [("USDT".to_owned(), d(usdt)), ("BTC".to_owned(), d(btc))]
                .into_iter()
                .collect(),
            events: Vec::new(),
            next_order_id: 1,
            next_list_id: 1,
        }
    }

    fn touch(bid: &str, ask: &str, at_ms: i64) -> Touch {
        Touch {
            bid: d(bid),
            ask: d(ask),
            last: d(bid),
            at_ms,
        }
    }

    fn window(candles: &[(i64, &str, &str)], t: Touch) -> Window {
        Window {
            interval_ms: 1000,
            candles: candles
                .iter()
                .map(|(at, high, low)| Candle {
                    open_ms: *at,
                    high: d(high),
                    low: d(low),
                })
                .collect(),
            touch: t,
        }
    }

    #[test]
    fn a_limit_below_the_market_rests_then_fills_at_its_price_when_the_market_crosses() {
        let mut b = book("10000", "0");
        let t = touch("100", "101", 10_000);
        let ids = b
            .place(
                vec![order(Side::Buy, OrderType::Limit, "1", Some("95"), None)],
                None,
                &t,
                d("0.001"),
            )
            .expect("placed");
        assert_eq!(b.orders[0].status, "NEW");
        assert_eq!(b.free("USDT", |_| d("101")), d("9905"));
        // Candles that do not reach 95, then one that prints 95.
        b.advance("BTCUSDT", &window(&[(11_000, "101", "96")], touch("99", "100", 12_000)));
        assert_eq!(b.orders[0].status, "NEW");
        b.advance("BTCUSDT", &window(&[(13_000, "99", "95")], touch("97", "98", 14_000)));
        assert_eq!(b.orders[0].status, "FILLED");
        assert_eq!(b.orders[0].quote_qty, d("95"));
        assert_eq!(b.balances["USDT"], d("9905"));
        assert_eq!(b.balances["BTC"], d("1"));
        assert_eq!(ids, vec![PAPER_ID_BASE + 1]);
    }

    #[test]
    fn candles_before_the_last_look_do_not_count() {
        let mut b = book("10000", "0");
        b.place(
            vec![order(Side::Buy, OrderType::Limit, "1", Some("95"), None)],
            None,
            &touch("100", "101", 10_500),
            d("0.001"),
        )
        .expect("placed");
        // The candle of second 10 opened before the placement: its low is not ours.
        b.advance(
            "BTCUSDT",
            &window(&[(10_000, "101", "90")], touch("100", "101", 10_900)),
        );
        assert_eq!(b.orders[0].status, "NEW");
    }

    #[test]
    fn marketable_and_market_orders_fill_at_the_touch_ioc_expires() {
        let mut b = book("10000", "0");
        let t = touch("100", "101", 1_000);
        b.place(
            vec![order(Side::Buy, OrderType::Limit, "1", Some("105"), None)],
            None,
            &t,
            d("0.001"),
        )
        .expect("placed");
        assert_eq!(
            (b.orders[0].status.as_str(), b.orders[0].quote_qty),
            ("FILLED", d("101"))
        );
        b.place(
            vec![order(Side::Buy, OrderType::Market, "2", None, None)],
            None,
            &t,
            d("0.001"),
        )
        .expect("placed");
        assert_eq!(b.orders[1].quote_qty, d("202"));
        let mut ioc = order(Side::Buy, OrderType::Limit, "1", Some("99"), None);
        ioc.time_in_force = Some(TimeInForce::Ioc);
        b.place(vec![ioc], None, &t, d("0.001")).expect("placed");
        assert_eq!(b.orders[2].status, "EXPIRED");
        assert_eq!(b.balances["BTC"], d("3"));
        let maker = order(Side::Sell, OrderType::LimitMaker, "1", Some("99"), None);
        assert!(b.place(vec![maker], None, &t, d("0.001")).is_err());
        let broke = order(Side::Buy, OrderType::Limit, "1000", Some("99"), None);
        assert_eq!(
            b.place(vec![broke], None, &t, d("0.001")).unwrap_err().0,
            "Account has insufficient balance for requested action."
        );
    }

    #[test]
    fn a_stop_loss_waits_triggers_on_the_last_price_and_fills_at_its_stop() {
        let mut b = book("0", "1");
        let t = touch("100", "101", 1_000);
        let stop = order(Side::Sell, OrderType::StopLoss, "1", None, Some("90"));
        b.place(vec![stop], None, &t, d("0.001")).expect("placed");
        b.advance("BTCUSDT", &window(&[(2_000, "100", "91")], touch("95", "96", 3_000)));
        assert_eq!(b.orders[0].status, "NEW");
        b.advance("BTCUSDT", &window(&[(4_000, "95", "89")], touch("88", "89", 5_000)));
        assert_eq!(b.orders[0].status, "FILLED");
        assert_eq!(b.balances["USDT"], d("90"));
        // One that would trigger at once is refused, as the exchange does.
        let mut b = book("0", "1");
        let now = order(Side::Sell, OrderType::StopLoss, "1", None, Some("100"));
        assert!(b.place(vec![now], None, &t, d("0.001")).is_err());
    }

    #[test]
    fn a_trailing_stop_follows_the_best_price() {
        let mut b = book("0", "1");
        let mut trail = order(Side::Sell, OrderType::StopLoss, "1", None, None);
        trail.trailing_delta = Some(500); // 5%
        b.place(vec![trail], None, &touch("100", "101", 1_000), d("0.001"))
            .expect("placed");
        b.advance("BTCUSDT", &window(&[(2_000, "120", "118")], touch("118", "119", 3_000)));
        assert_eq!(b.orders[0].status, "NEW");
        b.advance("BTCUSDT", &window(&[(4_000, "118", "113")], touch("113", "114", 5_000)));
        assert_eq!(b.orders[0].status, "FILLED");
        assert_eq!(b.orders[0].quote_qty, d("114"));
    }

    fn oco(b: &mut PaperBook, t: &Touch) -> Vec<u64> {
        let link = |role: &str| ListLink {
            order_list_id: 0,
            list_client_order_id: "L1".into(),
            list_type: "oco".into(),
            role: role.into(),
        };
        let mut above = order(Side::Sell, OrderType::LimitMaker, "1", Some("110"), None);
        above.list = Some(link("above"));
        let mut below = order(Side::Sell, OrderType::StopLossLimit, "1", Some("89"), Some("90"));
        below.list = Some(link("below"));
        let list = PaperList {
            order_list_id: 0,
            environment: Environment::Testnet,
            list_client_order_id: "L1".into(),
            list_type: "oco".into(),
            symbol: "BTCUSDT".into(),
            status: "EXECUTING".into(),
            created_ms: 0,
            updated_ms: 0,
        };
        b.place(vec![above, below], Some(list), t, d("0.001")).expect("placed")
    }

    #[test]
    fn an_oco_pair_holds_once_and_one_leg_executing_expires_the_other() {
        let mut b = book("0", "1");
        let t = touch("100", "101", 1_000);
        oco(&mut b, &t);
        assert_eq!(b.free("BTC", |_| d("101")), d("0"));
        b.advance("BTCUSDT", &window(&[(2_000, "111", "100")], touch("108", "109", 3_000)));
        assert_eq!(b.orders[0].status, "FILLED");
        assert_eq!(b.orders[1].status, "EXPIRED");
        assert_eq!(b.orders[1].expiry_reason.as_deref(), Some(OCO_TRIGGER));
        assert_eq!(b.lists[0].status, "ALL_DONE");
        assert_eq!(b.balances["USDT"], d("110"));
    }

    #[test]
    fn canceling_a_leg_cancels_the_list() {
        let mut b = book("0", "1");
        let t = touch("100", "101", 1_000);
        let ids = oco(&mut b, &t);
        assert!(b.cancel(ids[1], 2_000));
        assert!(b.orders.iter().all(|o| o.status == "CANCELED"));
        assert_eq!(b.lists[0].status, "ALL_DONE");
        assert!(!b.cancel(ids[0], 3_000));
    }

    #[test]
    fn an_oto_places_its_pending_leg_once_the_working_leg_fills() {
        let mut b = book("1000", "0");
        let t = touch("100", "101", 1_000);
        let link = |role: &str| ListLink {
            order_list_id: 0,
            list_client_order_id: "L2".into(),
            list_type: "oto".into(),
            role: role.into(),
        };
        let mut working = order(Side::Buy, OrderType::Limit, "1", Some("95"), None);
        working.list = Some(link("working"));
        let mut pending = order(Side::Sell, OrderType::LimitMaker, "1", Some("120"), None);
        pending.list = Some(link("pending"));
        let list = PaperList {
            order_list_id: 0,
            environment: Environment::Testnet,
            list_client_order_id: "L2".into(),
            list_type: "oto".into(),
            symbol: "BTCUSDT".into(),
            status: "EXECUTING".into(),
            created_ms: 0,
            updated_ms: 0,
        };
        b.place(vec![working, pending], Some(list), &t, d("0.001"))
            .expect("placed");
        assert_eq!(b.orders[1].status, "PENDING_NEW");
        b.advance("BTCUSDT", &window(&[(2_000, "100", "94")], touch("96", "97", 3_000)));
        assert_eq!(b.orders[0].status, "FILLED");
        assert_eq!(b.orders[1].status, "NEW");
        b.advance("BTCUSDT", &window(&[(4_000, "121", "100")], touch("119", "120", 5_000)));
        assert_eq!(b.orders[1].status, "FILLED");
        assert_eq!(b.lists[0].status, "ALL_DONE");
        assert_eq!(b.balances["USDT"], d("1025"));
    }

    #[test]
    fn a_cancel_timer_cancels_the_unfilled_rest() {
        let mut b = book("10000", "0");
        let mut o = order(Side::Buy, OrderType::Limit, "1", Some("95"), None);
        o.cancel_at_ms = Some(5_000);
        b.place(vec![o], None, &touch("100", "101", 1_000), d("0.001"))
            .expect("placed");
        b.advance("BTCUSDT", &window(&[], touch("100", "101", 4_000)));
        assert_eq!(b.orders[0].status, "NEW");
        b.advance("BTCUSDT", &window(&[], touch("100", "101", 6_000)));
        assert_eq!(b.orders[0].status, "CANCELED");
        assert_eq!(b.free("USDT", |_| d("101")), d("10000"));
    }
}
