//! The emulator's own symbol-filter checks for a new order (`filters.md`), in the order the
//! symbol lists its filters, each failing with -1013 `Filter failure: <FILTER>`; then the
//! self-trade-prevention mode check. Shares no code with the client's filters (the `spot-filters` crate).

use rust_decimal::Decimal;

use super::error::{ApiError, code};
use super::order_model::Side;
use super::order_params::NewOrder;
use super::symbols::{ALLOWED_STP_MODES, LotSize, SymbolSpec};

/// What the filters need to know beyond the order itself.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext {
    /// The price `PERCENT_PRICE_BY_SIDE` and `NOTIONAL` (for MARKET orders) compare against:
    /// the average price over `avgPriceMins`.
    pub reference_price: Decimal,
    /// Open orders of the account on the symbol (before this one).
    pub open_orders: u32,
    /// Open STOP_LOSS/TAKE_PROFIT(_LIMIT) orders of the account on the symbol.
    pub open_algo_orders: u32,
}

/// Every symbol filter, in exchangeInfo order: PRICE_FILTER, LOT_SIZE, ICEBERG_PARTS,
/// MARKET_LOT_SIZE, TRAILING_DELTA, PERCENT_PRICE_BY_SIDE, NOTIONAL, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS.
pub fn check_filters(order: &NewOrder, spec: &SymbolSpec, ctx: &RuleContext) -> Result<(), ApiError> {
    let fail = ApiError::filter_failure;
    for value in [order.price, order.stop_price].into_iter().flatten() {
        if !price_ok(value, spec) {
            return Err(fail("PRICE_FILTER"));
        }
    }
    for value in [order.quantity, order.iceberg_qty].into_iter().flatten() {
        if !lot_ok(value, &spec.lot_size) {
            return Err(fail("LOT_SIZE"));
        }
    }
    if let (Some(qty), Some(iceberg)) = (order.quantity, order.iceberg_qty)
        && (iceberg.is_zero() || (qty / iceberg).ceil() > Decimal::from(spec.iceberg_parts))
    {
        return Err(fail("ICEBERG_PARTS"));
    }
    if order.kind.is_market_like()
        && let Some(qty) = order.quantity
        && !lot_ok(qty, &spec.market_lot_size)
    {
        return Err(fail("MARKET_LOT_SIZE"));
    }
    if let Some(delta) = order.trailing_delta {
        let td = &spec.trailing_delta;
        let (min, max) = if order.kind.triggers_upward(order.side) {
            (td.min_above, td.max_above)
        } else {
            (td.min_below, td.max_below)
        };
        if delta < min || delta > max {
            return Err(fail("TRAILING_DELTA"));
        }
    }
    if let Some(price) = order.price {
        let pp = &spec.percent_price_by_side;
        let (up, down) = match order.side {
            Side::Buy => (pp.bid_multiplier_up, pp.bid_multiplier_down),
            Side::Sell => (pp.ask_multiplier_up, pp.ask_multiplier_down),
        };
        if price > ctx.reference_price * up || price < ctx.reference_price * down {
            return Err(fail("PERCENT_PRICE_BY_SIDE"));
        }
    }
    if !notional_ok(order, spec, ctx.reference_price) {
        return Err(fail("NOTIONAL"));
    }
    let counts = &spec.order_counts;
    if ctx.open_orders + 1 > counts.max_num_orders {
        return Err(fail("MAX_NUM_ORDERS"));
    }
    if order.kind.is_stop() && ctx.open_algo_orders + 1 > counts.max_num_algo_orders {
        return Err(fail("MAX_NUM_ALGO_ORDERS"));
    }
    Ok(())
}

/// `MAX_ASSET` (an account's asset filter, filters.md): at most `limit` of an asset in one
/// order, the quantity when it is the symbol's base asset, the notional when it is the quote
/// asset (priced orders at their price, MARKET orders by `quoteOrderQty` or at the filters'
/// `reference_price`, stop-market orders at their stop price); -1013 `Filter failure: MAX_ASSET`
/// (the docs list no message for it; this one follows every other filter's).
pub fn check_max_asset(
    order: &NewOrder,
    spec: &SymbolSpec,
    reference_price: Decimal,
    max_assets: &[(String, Decimal)],
) -> Result<(), ApiError> {
    for (asset, limit) in max_assets {
        let amount = if *asset == spec.base_asset {
            order.quantity
        } else if *asset == spec.quote_asset {
            match (order.quote_order_qty, order.quantity) {
                (Some(quote), _) => Some(quote),
                (None, Some(qty)) => {
                    let price = match (order.kind.is_market_like(), order.price, order.stop_price) {
                        (false, Some(price), _) => price,
                        (true, _, Some(stop)) => stop,
                        _ => reference_price,
                    };
                    Some(price * qty)
                }
                (None, None) => None,
            }
        } else {
            None
        };
        if amount.is_some_and(|a| a > *limit) {
            return Err(ApiError::filter_failure("MAX_ASSET"));
        }
    }
    Ok(())
}

/// The effective self-trade-prevention mode: the one sent if the symbol allows it (else -1013),
/// otherwise the symbol's default.
pub fn stp_mode(order: &NewOrder, spec: &SymbolSpec) -> Result<String, ApiError> {
    match order.stp_mode.as_deref() {
        None => Ok(spec.default_stp_mode.to_owned()),
        Some(mode) if ALLOWED_STP_MODES.contains(&mode) => Ok(mode.to_owned()),
        Some(_) => Err(ApiError::bad_request(
            code::INVALID_MESSAGE,
            "This symbol does not allow the specified self-trade prevention mode.",
        )),
    }
}

/// True when `qty` passes the `LOT_SIZE`/`MARKET_LOT_SIZE` rules `lot` (zero fields disable their rule).
pub fn lot_ok(qty: Decimal, lot: &LotSize) -> bool {
    qty >= lot.min_qty
        && (lot.max_qty.is_zero() || qty <= lot.max_qty)
        && (lot.step_size.is_zero() || (qty % lot.step_size).is_zero())
}

/// `PRICE_FILTER` on one price: each rule is disabled when its value is 0.
fn price_ok(price: Decimal, spec: &SymbolSpec) -> bool {
    let pf = &spec.price_filter;
    (pf.min_price.is_zero() || price >= pf.min_price)
        && (pf.max_price.is_zero() || price <= pf.max_price)
        && (pf.tick_size.is_zero() || (price % pf.tick_size).is_zero())
}

/// `NOTIONAL`: price × quantity for priced orders; for MARKET-like orders `quoteOrderQty`, or the
/// reference price × quantity, with the min/max sides applied only if `applyMin/MaxToMarket`.
fn notional_ok(order: &NewOrder, spec: &SymbolSpec, reference_price: Decimal) -> bool {
    let nt = &spec.notional;
    let market = order.kind.is_market_like();
    let notional = match (order.price, order.quantity, order.quote_order_qty) {
        (Some(price), Some(qty), _) if !market => price * qty,
        (_, _, Some(quote)) => quote,
        (_, Some(qty), _) => reference_price * qty,
        _ => return true,
    };
    let check_min = !market || nt.apply_min_to_market;
    let check_max = !market || nt.apply_max_to_market;
    !(check_min && notional < nt.min_notional || check_max && notional > nt.max_notional)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::order_params::parse_new_order;
    use super::super::params::Params;
    use super::super::symbols::default_symbols;
    use super::*;

    const CTX: RuleContext = RuleContext {
        reference_price: Decimal::from_parts(95_000, 0, 0, false, 0),
        open_orders: 0,
        open_algo_orders: 0,
    };

    fn check_with(query: &str, ctx: &RuleContext) -> Result<(), String> {
        let spec = default_symbols().remove(0); // BTCUSDT
        let order = parse_new_order(&Params::parse(Some(query)).unwrap(), &spec).unwrap();
        check_filters(&order, &spec, ctx).map_err(|e| {
            assert_eq!(e.code, -1013);
            e.msg
        })
    }

    fn check(query: &str) -> Result<(), String> {
        check_with(query, &CTX)
    }

    #[test]
    fn each_filter_fails_with_its_name() {
        let limit = "side=BUY&type=LIMIT&timeInForce=GTC";
        let cases: [(String, &str); 12] = [
            (format!("{limit}&quantity=0.001&price=90000.001"), "PRICE_FILTER"),
            (format!("{limit}&quantity=0.001&price=0.001"), "PRICE_FILTER"),
            (
                "side=BUY&type=STOP_LOSS&quantity=0.001&stopPrice=99000.005".into(),
                "PRICE_FILTER",
            ),
            (format!("{limit}&quantity=0.000015&price=90000"), "LOT_SIZE"),
            (format!("{limit}&quantity=0.000001&price=90000"), "LOT_SIZE"),
            (
                format!("{limit}&quantity=1&price=90000&icebergQty=0.000015"),
                "LOT_SIZE",
            ),
            (
                format!("{limit}&quantity=1&price=90000&icebergQty=0.0001"),
                "ICEBERG_PARTS",
            ),
            ("side=SELL&type=MARKET&quantity=98".into(), "MARKET_LOT_SIZE"),
            (
                "side=SELL&type=STOP_LOSS&quantity=0.001&trailingDelta=5".into(),
                "TRAILING_DELTA",
            ),
            (format!("{limit}&quantity=0.001&price=10000"), "PERCENT_PRICE_BY_SIDE"),
            (format!("{limit}&quantity=0.00001&price=90000"), "NOTIONAL"),
            ("side=BUY&type=MARKET&quoteOrderQty=4.99".into(), "NOTIONAL"),
        ];
        for (query, filter) in cases {
            assert_eq!(check(&query), Err(format!("Filter failure: {filter}")), "{query}");
        }
    }

    #[test]
    fn passing_orders_and_market_flags() {
        assert!(check("side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000").is_ok());
        assert!(check("side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=90000&icebergQty=0.01").is_ok());
        assert!(check("side=BUY&type=MARKET&quoteOrderQty=5").is_ok());
        // applyMaxToMarket=false: a MARKET order above maxNotional passes NOTIONAL.
        assert!(check("side=SELL&type=MARKET&quantity=97").is_ok());
        assert!(
            check("side=BUY&type=LIMIT&timeInForce=GTC&quantity=95&price=95000")
                .unwrap_err()
                .contains("NOTIONAL")
        );
        assert!(check("side=SELL&type=STOP_LOSS&quantity=0.001&trailingDelta=10").is_ok());
    }

    #[test]
    fn order_count_filters() {
        let full = RuleContext {
            open_orders: 200,
            ..CTX
        };
        let limit = "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000";
        assert_eq!(check_with(limit, &full), Err("Filter failure: MAX_NUM_ORDERS".into()));
        let algo = RuleContext {
            open_orders: 5,
            open_algo_orders: 5,
            ..CTX
        };
        assert!(check_with(limit, &algo).is_ok());
        let stop = "side=SELL&type=STOP_LOSS&quantity=0.001&stopPrice=90000";
        assert_eq!(
            check_with(stop, &algo),
            Err("Filter failure: MAX_NUM_ALGO_ORDERS".into())
        );
    }

    #[test]
    fn max_asset_caps_the_base_quantity_and_the_quote_notional() {
        let spec = default_symbols().remove(0); // BTCUSDT
        let parse = |q: &str| parse_new_order(&Params::parse(Some(q)).unwrap(), &spec).unwrap();
        let reference = Decimal::from(95_000);
        let limits = [
            ("BTC".to_owned(), Decimal::new(5, 1)),
            ("USDT".to_owned(), Decimal::from(1000)),
        ];
        let check = |q: &str| check_max_asset(&parse(q), &spec, reference, &limits).map_err(|e| e.msg);
        let limit = "side=BUY&type=LIMIT&timeInForce=GTC";
        assert!(check(&format!("{limit}&quantity=0.01&price=90000")).is_ok());
        let fail = Err("Filter failure: MAX_ASSET".to_owned());
        assert_eq!(check(&format!("{limit}&quantity=0.012&price=90000")), fail);
        assert_eq!(check("side=BUY&type=MARKET&quoteOrderQty=1000.01"), fail);
        // MARKET quantity at the filters' price: 0.011 × 95,000 = 1045.
        assert_eq!(check("side=SELL&type=MARKET&quantity=0.011"), fail);
        assert_eq!(check("side=SELL&type=STOP_LOSS&quantity=0.01&stopPrice=110000"), fail);
        let base_only = [("BTC".to_owned(), Decimal::new(5, 1))];
        let big = parse(&format!("{limit}&quantity=0.6&price=1000"));
        assert!(check_max_asset(&big, &spec, reference, &base_only).is_err());
        assert!(check_max_asset(&big, &spec, reference, &[("JPY".to_owned(), Decimal::ONE)]).is_ok());
    }

    #[test]
    fn stp_modes() {
        let spec = default_symbols().remove(0);
        let parse = |q: &str| parse_new_order(&Params::parse(Some(q)).unwrap(), &spec).unwrap();
        let base = "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000";
        assert_eq!(stp_mode(&parse(base), &spec).unwrap(), "EXPIRE_MAKER");
        let both = parse(&format!("{base}&selfTradePreventionMode=EXPIRE_BOTH"));
        assert_eq!(stp_mode(&both, &spec).unwrap(), "EXPIRE_BOTH");
        let none = parse(&format!("{base}&selfTradePreventionMode=NONE"));
        let err = stp_mode(&none, &spec).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (
                -1013,
                "This symbol does not allow the specified self-trade prevention mode."
            )
        );
    }
}
