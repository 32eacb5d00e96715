//! Order rules that are not `exchangeInfo` filters: symbol status, the order types a symbol takes,
//! the fields each type needs or refuses, iceberg, trailing-stop, quote-quantity and STP flags,
//! positive amounts and decimal precision (rest-api.md "New order", errors.md).

use rust_decimal::{Decimal, RoundingStrategy};

use super::step::show;
use super::{Findings, Violation};
use spot_types::model::{NewOrder, OrderType, SymbolInfo, TimeInForce};

/// What an order type needs besides `quantity`, and whether it takes `icebergQty`.
struct Shape {
    time_in_force: bool,
    price: bool,
    /// `stopPrice` or `trailingDelta` (or both).
    trigger: bool,
    iceberg: bool,
}

fn shape(order_type: OrderType) -> Shape {
    let (time_in_force, price, trigger, iceberg) = match order_type {
        OrderType::Limit => (true, true, false, true),
        OrderType::Market => (false, false, false, false),
        OrderType::StopLoss | OrderType::TakeProfit => (false, false, true, false),
        OrderType::StopLossLimit | OrderType::TakeProfitLimit => (true, true, true, true),
        OrderType::LimitMaker => (false, true, false, true),
    };
    Shape {
        time_in_force,
        price,
        trigger,
        iceberg,
    }
}

/// Checks every rule of this module; filters are checked elsewhere.
pub(super) fn check_order_rules(order: &NewOrder, symbol: &SymbolInfo, out: &mut Findings) {
    symbol_status(symbol, out);
    order_type(order, symbol, out);
    required_fields(order, out);
    unexpected_fields(order, out);
    iceberg(order, symbol, out);
    symbol_flags(order, symbol, out);
    positive_amounts(order, out);
    precision(order, symbol, out);
}

fn symbol_status(symbol: &SymbolInfo, out: &mut Findings) {
    if symbol.status != "TRADING" {
        let message = format!(
            "{} is {}, not TRADING: it takes no new orders",
            symbol.symbol, symbol.status
        );
        out.violation(Violation::new(
            "SYMBOL_STATUS",
            "status == TRADING",
            format!("status={}", symbol.status),
            message,
        ));
    }
}

fn order_type(order: &NewOrder, symbol: &SymbolInfo, out: &mut Findings) {
    let name = order.order_type.as_str();
    if symbol.order_types.is_empty() {
        out.unchecked(format!(
            "ORDER_TYPE: exchangeInfo lists no orderTypes for {}",
            symbol.symbol
        ));
    } else if !symbol.order_types.iter().any(|t| t == name) {
        let message = format!(
            "{} takes no {name} orders; it takes {}",
            symbol.symbol,
            symbol.order_types.join(", ")
        );
        let violation = Violation::new("ORDER_TYPE", "type in orderTypes", format!("type={name}"), message);
        out.violation(violation.nearest(symbol.order_types.clone()));
    }
}

fn required_fields(order: &NewOrder, out: &mut Findings) {
    let shape = shape(order.order_type);
    let name = order.order_type.as_str();
    let mut missing = |field: &str| {
        let message = format!("{name} orders need {field}");
        out.violation(Violation::new(
            "REQUIRED_FIELD",
            format!("{field} is sent"),
            format!("{field}=(missing)"),
            message,
        ));
    };
    if shape.time_in_force && order.time_in_force.is_none() {
        missing("time_in_force");
    }
    let quantity_sent =
        order.quantity.is_some() || order.order_type == OrderType::Market && order.quote_order_qty.is_some();
    if !quantity_sent {
        missing(if order.order_type == OrderType::Market {
            "quantity or quote_order_qty"
        } else {
            "quantity"
        });
    }
    if shape.price && order.price.is_none() {
        missing("price");
    }
    if shape.trigger && order.stop_price.is_none() && order.trailing_delta.is_none() {
        missing("stop_price or trailing_delta");
    }
}

fn unexpected_fields(order: &NewOrder, out: &mut Findings) {
    let shape = shape(order.order_type);
    let name = order.order_type.as_str();
    let sent = [
        (
            "time_in_force",
            order.time_in_force.map(|t| t.as_str().to_owned()),
            shape.time_in_force,
        ),
        ("price", order.price.map(|p| p.to_string()), shape.price),
        ("stop_price", order.stop_price.map(|p| p.to_string()), shape.trigger),
        (
            "trailing_delta",
            order.trailing_delta.map(|d| d.to_string()),
            shape.trigger,
        ),
        ("iceberg_qty", order.iceberg_qty.map(|q| q.to_string()), shape.iceberg),
        (
            "quote_order_qty",
            order.quote_order_qty.map(|q| q.to_string()),
            order.order_type == OrderType::Market,
        ),
    ];
    for (field, value, taken) in sent {
        if let Some(value) = value
            && !taken
        {
            let message = format!("{name} orders take no {field}; leave it out");
            out.violation(Violation::new(
                "PARAM_NOT_REQUIRED",
                format!("{name} takes no {field}"),
                format!("{field}={value}"),
                message,
            ));
        }
    }
    if let (OrderType::Market, Some(_), Some(quote)) = (order.order_type, order.quantity, order.quote_order_qty) {
        let message = "a MARKET order takes quantity or quote_order_qty, not both".to_owned();
        let rule = "quantity or quote_order_qty, not both";
        out.violation(Violation::new(
            "PARAM_NOT_REQUIRED",
            rule,
            format!("quote_order_qty={quote}"),
            message,
        ));
    }
}

/// `icebergQty`: allowed on the symbol, GTC only, smaller than the quantity. Whether the type
/// takes it at all is `unexpected_fields`' job.
fn iceberg(order: &NewOrder, symbol: &SymbolInfo, out: &mut Findings) {
    let shape = shape(order.order_type);
    let Some(iceberg_qty) = order.iceberg_qty.filter(|_| shape.iceberg) else {
        return;
    };
    let sent = format!("iceberg_qty={iceberg_qty}");
    if !symbol.iceberg_allowed {
        let message = format!("{} does not allow iceberg orders", symbol.symbol);
        out.violation(Violation::new(
            "ICEBERG",
            "icebergAllowed == true",
            sent.clone(),
            message,
        ));
    }
    if let Some(tif) = order.time_in_force
        && shape.time_in_force
        && tif != TimeInForce::Gtc
    {
        let message = format!("an iceberg order must be GTC, not {}", tif.as_str());
        let violation = Violation::new(
            "ICEBERG",
            "time_in_force == GTC",
            format!("time_in_force={}", tif.as_str()),
            message,
        );
        out.violation(violation.nearest(vec!["GTC".to_owned()]));
    }
    if let Some(quantity) = order.quantity
        && iceberg_qty >= quantity
    {
        let message = format!("iceberg_qty {iceberg_qty} must be less than quantity {quantity}");
        out.violation(Violation::new("ICEBERG", "iceberg_qty < quantity", sent, message));
    }
}

/// Symbol flags for trailing stops, quote-quantity MARKET orders and STP modes.
fn symbol_flags(order: &NewOrder, symbol: &SymbolInfo, out: &mut Findings) {
    if let Some(delta) = order.trailing_delta
        && order.order_type.is_algo()
        && !symbol.allow_trailing_stop
    {
        let message = format!("{} does not allow trailing stop orders", symbol.symbol);
        out.violation(Violation::new(
            "TRAILING_STOP",
            "allowTrailingStop == true",
            format!("trailing_delta={delta}"),
            message,
        ));
    }
    if let Some(quote) = order.quote_order_qty
        && order.order_type == OrderType::Market
        && !symbol.quote_order_qty_market_allowed
    {
        let message = format!(
            "{} does not allow MARKET orders by quote_order_qty; send quantity",
            symbol.symbol
        );
        let rule = "quoteOrderQtyMarketAllowed == true";
        out.violation(Violation::new(
            "QUOTE_ORDER_QTY",
            rule,
            format!("quote_order_qty={quote}"),
            message,
        ));
    }
    let allowed = &symbol.allowed_self_trade_prevention_modes;
    if let Some(mode) = order.self_trade_prevention_mode.map(|m| m.as_str())
        && !allowed.is_empty()
        && !allowed.iter().any(|a| a == mode)
    {
        let message = format!("{} does not allow the self-trade prevention mode {mode}", symbol.symbol);
        let rule = "self_trade_prevention_mode in allowedSelfTradePreventionModes";
        let violation = Violation::new(
            "SELF_TRADE_PREVENTION",
            rule,
            format!("self_trade_prevention_mode={mode}"),
            message,
        );
        out.violation(violation.nearest(allowed.clone()));
    }
}

fn positive_amounts(order: &NewOrder, out: &mut Findings) {
    let amounts = [
        ("quantity", order.quantity),
        ("quote_order_qty", order.quote_order_qty),
        ("price", order.price),
        ("stop_price", order.stop_price),
        ("iceberg_qty", order.iceberg_qty),
        ("trailing_delta", order.trailing_delta.map(Decimal::from)),
    ];
    for (field, value) in amounts {
        if let Some(value) = value
            && value <= Decimal::ZERO
        {
            let message = format!("{field} must be greater than zero");
            out.violation(Violation::new(
                "POSITIVE_AMOUNT",
                format!("{field} > 0"),
                format!("{field}={value}"),
                message,
            ));
        }
    }
}

/// More decimals than the asset has (`-1111 BAD_PRECISION`). Ticks and steps usually imply
/// this; it matters where they are zero (MARKET_LOT_SIZE) and for `quoteOrderQty`, which has no
/// step. A precision of 0 is read as "not given" (exchangeInfo always sends 8 today).
fn precision(order: &NewOrder, symbol: &SymbolInfo, out: &mut Findings) {
    let amounts = [
        (
            "quantity",
            order.quantity,
            symbol.base_asset_precision,
            "baseAssetPrecision",
        ),
        (
            "iceberg_qty",
            order.iceberg_qty,
            symbol.base_asset_precision,
            "baseAssetPrecision",
        ),
        (
            "quote_order_qty",
            order.quote_order_qty,
            symbol.quote_asset_precision,
            "quoteAssetPrecision",
        ),
    ];
    for (field, value, decimals, source) in amounts {
        if let Some(value) = value
            && decimals > 0
            && value.normalize().scale() > decimals
        {
            let truncated = value.round_dp_with_strategy(decimals, RoundingStrategy::ToZero);
            let message = format!("{field} {value} has more than {decimals} decimals ({source})");
            let violation = Violation::new(
                "BAD_PRECISION",
                format!("{field} has <= {source} decimals"),
                format!("{field}={value}"),
                message,
            );
            out.violation(violation.nearest(vec![show(truncated, Decimal::ZERO)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{btcusdt, dec, happy, order};
    use super::*;
    use spot_types::model::{Side, StpMode};

    fn findings(order: &NewOrder, symbol: &SymbolInfo) -> Findings {
        let mut out = Findings::default();
        check_order_rules(order, symbol, &mut out);
        out
    }

    /// `(filter, value)` of each violation, for compact expectations.
    fn broken(order: &NewOrder, symbol: &SymbolInfo) -> Vec<(String, String)> {
        findings(order, symbol)
            .violations
            .into_iter()
            .map(|v| (v.filter, v.value))
            .collect()
    }

    /// An expected violation: `(filter, value)`.
    type Pair<'a> = (&'a str, &'a str);

    fn pairs(expected: &[Pair<'_>]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_order_type_has_a_happy_path() {
        let symbol = btcusdt();
        for order_type in ALL_TYPES {
            for side in [Side::Buy, Side::Sell] {
                let order = happy(order_type, side);
                assert_eq!(
                    broken(&order, &symbol),
                    vec![],
                    "{} {}",
                    order_type.as_str(),
                    side.as_str()
                );
            }
        }
    }

    const ALL_TYPES: [OrderType; 7] = [
        OrderType::Limit,
        OrderType::Market,
        OrderType::StopLoss,
        OrderType::StopLossLimit,
        OrderType::TakeProfit,
        OrderType::TakeProfitLimit,
        OrderType::LimitMaker,
    ];

    #[test]
    fn symbol_must_be_trading() {
        let symbol = SymbolInfo {
            status: "BREAK".into(),
            ..btcusdt()
        };
        let got = findings(&happy(OrderType::Limit, Side::Buy), &symbol).violations;
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].filter.as_str(), got[0].value.as_str()),
            ("SYMBOL_STATUS", "status=BREAK")
        );
    }

    #[test]
    fn order_type_must_be_listed_by_the_symbol() {
        let symbol = SymbolInfo {
            order_types: vec!["LIMIT".into(), "MARKET".into()],
            ..btcusdt()
        };
        let got = findings(&happy(OrderType::StopLoss, Side::Sell), &symbol).violations;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].filter, "ORDER_TYPE");
        assert_eq!(got[0].value, "type=STOP_LOSS");
        assert_eq!(got[0].nearest_valid, vec!["LIMIT", "MARKET"]);
        let unlisted = SymbolInfo {
            order_types: vec![],
            ..btcusdt()
        };
        let out = findings(&happy(OrderType::Limit, Side::Buy), &unlisted);
        assert!(out.violations.is_empty());
        assert_eq!(out.unchecked.len(), 1);
    }

    #[test]
    fn missing_fields_are_named_per_type() {
        let symbol = btcusdt();
        let cases: Vec<(NewOrder, Vec<Pair<'_>>)> = vec![
            (
                order(OrderType::Limit, Side::Buy),
                vec![
                    ("REQUIRED_FIELD", "time_in_force=(missing)"),
                    ("REQUIRED_FIELD", "quantity=(missing)"),
                    ("REQUIRED_FIELD", "price=(missing)"),
                ],
            ),
            (
                order(OrderType::Market, Side::Sell),
                vec![("REQUIRED_FIELD", "quantity or quote_order_qty=(missing)")],
            ),
            (
                NewOrder {
                    quantity: Some(dec("0.001")),
                    ..order(OrderType::StopLoss, Side::Sell)
                },
                vec![("REQUIRED_FIELD", "stop_price or trailing_delta=(missing)")],
            ),
            (
                NewOrder {
                    quantity: Some(dec("0.001")),
                    ..order(OrderType::TakeProfitLimit, Side::Sell)
                },
                vec![
                    ("REQUIRED_FIELD", "time_in_force=(missing)"),
                    ("REQUIRED_FIELD", "price=(missing)"),
                    ("REQUIRED_FIELD", "stop_price or trailing_delta=(missing)"),
                ],
            ),
            (
                NewOrder {
                    price: Some(dec("95000")),
                    ..order(OrderType::LimitMaker, Side::Buy)
                },
                vec![("REQUIRED_FIELD", "quantity=(missing)")],
            ),
        ];
        for (order, expected) in cases {
            assert_eq!(
                broken(&order, &symbol),
                pairs(&expected),
                "{}",
                order.order_type.as_str()
            );
        }
    }

    #[test]
    fn fields_a_type_does_not_take_are_refused() {
        let symbol = btcusdt();
        let gtc = Some(TimeInForce::Gtc);
        let cases: Vec<(NewOrder, Vec<Pair<'_>>)> = vec![
            (
                NewOrder {
                    price: Some(dec("95000")),
                    time_in_force: gtc,
                    ..happy(OrderType::Market, Side::Buy)
                },
                vec![
                    ("PARAM_NOT_REQUIRED", "time_in_force=GTC"),
                    ("PARAM_NOT_REQUIRED", "price=95000"),
                ],
            ),
            (
                NewOrder {
                    quote_order_qty: Some(dec("100")),
                    ..happy(OrderType::Market, Side::Buy)
                },
                vec![("PARAM_NOT_REQUIRED", "quote_order_qty=100")],
            ),
            (
                NewOrder {
                    time_in_force: gtc,
                    ..happy(OrderType::LimitMaker, Side::Sell)
                },
                vec![("PARAM_NOT_REQUIRED", "time_in_force=GTC")],
            ),
            (
                NewOrder {
                    time_in_force: gtc,
                    ..happy(OrderType::StopLoss, Side::Sell)
                },
                vec![("PARAM_NOT_REQUIRED", "time_in_force=GTC")],
            ),
            (
                NewOrder {
                    time_in_force: gtc,
                    price: Some(dec("1")),
                    ..happy(OrderType::TakeProfit, Side::Sell)
                },
                vec![
                    ("PARAM_NOT_REQUIRED", "time_in_force=GTC"),
                    ("PARAM_NOT_REQUIRED", "price=1"),
                ],
            ),
            (
                NewOrder {
                    stop_price: Some(dec("90000")),
                    trailing_delta: Some(100),
                    ..happy(OrderType::Limit, Side::Buy)
                },
                vec![
                    ("PARAM_NOT_REQUIRED", "stop_price=90000"),
                    ("PARAM_NOT_REQUIRED", "trailing_delta=100"),
                ],
            ),
            (
                NewOrder {
                    iceberg_qty: Some(dec("0.0001")),
                    ..happy(OrderType::Market, Side::Buy)
                },
                vec![("PARAM_NOT_REQUIRED", "iceberg_qty=0.0001")],
            ),
            (
                NewOrder {
                    iceberg_qty: Some(dec("0.0001")),
                    ..happy(OrderType::StopLoss, Side::Buy)
                },
                vec![("PARAM_NOT_REQUIRED", "iceberg_qty=0.0001")],
            ),
            (
                NewOrder {
                    quote_order_qty: Some(dec("10")),
                    ..happy(OrderType::Limit, Side::Buy)
                },
                vec![("PARAM_NOT_REQUIRED", "quote_order_qty=10")],
            ),
        ];
        for (order, expected) in cases {
            assert_eq!(
                broken(&order, &symbol),
                pairs(&expected),
                "{}",
                order.order_type.as_str()
            );
        }
    }

    #[test]
    fn iceberg_rules() {
        let symbol = btcusdt();
        let iceberg = |order_type, tif, qty: &str| NewOrder {
            time_in_force: tif,
            iceberg_qty: Some(dec(qty)),
            ..happy(order_type, Side::Buy)
        };
        let gtc = Some(TimeInForce::Gtc);
        let ioc = Some(TimeInForce::Ioc);
        // The happy orders have quantity 0.01.
        let cases: Vec<(NewOrder, &SymbolInfo, Vec<Pair<'_>>)> = vec![
            (iceberg(OrderType::Limit, gtc, "0.001"), &symbol, vec![]),
            (iceberg(OrderType::LimitMaker, None, "0.001"), &symbol, vec![]),
            (iceberg(OrderType::StopLossLimit, gtc, "0.001"), &symbol, vec![]),
            (iceberg(OrderType::TakeProfitLimit, gtc, "0.001"), &symbol, vec![]),
            (
                iceberg(OrderType::Limit, ioc, "0.001"),
                &symbol,
                vec![("ICEBERG", "time_in_force=IOC")],
            ),
            (
                iceberg(OrderType::Limit, gtc, "0.01"),
                &symbol,
                vec![("ICEBERG", "iceberg_qty=0.01")],
            ),
            (
                iceberg(OrderType::Limit, gtc, "0.02"),
                &symbol,
                vec![("ICEBERG", "iceberg_qty=0.02")],
            ),
        ];
        for (order, symbol, expected) in cases {
            assert_eq!(broken(&order, symbol), pairs(&expected), "{:?}", order);
        }
        let no_iceberg = SymbolInfo {
            iceberg_allowed: false,
            ..btcusdt()
        };
        let got = broken(&iceberg(OrderType::Limit, gtc, "0.001"), &no_iceberg);
        assert_eq!(got, pairs(&[("ICEBERG", "iceberg_qty=0.001")]));
    }

    #[test]
    fn symbol_flags_gate_trailing_stops_quote_quantity_and_stp() {
        let strict = SymbolInfo {
            allow_trailing_stop: false,
            quote_order_qty_market_allowed: false,
            allowed_self_trade_prevention_modes: vec!["EXPIRE_MAKER".into()],
            ..btcusdt()
        };
        let trailing = NewOrder {
            stop_price: None,
            trailing_delta: Some(100),
            ..happy(OrderType::StopLoss, Side::Sell)
        };
        assert_eq!(
            broken(&trailing, &strict),
            pairs(&[("TRAILING_STOP", "trailing_delta=100")])
        );
        assert_eq!(broken(&trailing, &btcusdt()), vec![]);

        let by_quote = NewOrder {
            quantity: None,
            quote_order_qty: Some(dec("100")),
            ..happy(OrderType::Market, Side::Buy)
        };
        assert_eq!(
            broken(&by_quote, &strict),
            pairs(&[("QUOTE_ORDER_QTY", "quote_order_qty=100")])
        );
        assert_eq!(broken(&by_quote, &btcusdt()), vec![]);

        let stp = NewOrder {
            self_trade_prevention_mode: Some(StpMode::None),
            ..happy(OrderType::Limit, Side::Buy)
        };
        let got = findings(&stp, &strict).violations;
        assert_eq!(
            (got[0].filter.as_str(), got[0].value.as_str()),
            ("SELF_TRADE_PREVENTION", "self_trade_prevention_mode=NONE")
        );
        assert_eq!(got[0].nearest_valid, vec!["EXPIRE_MAKER"]);
        let expire_maker = NewOrder {
            self_trade_prevention_mode: Some(StpMode::ExpireMaker),
            ..stp.clone()
        };
        assert_eq!(broken(&expire_maker, &strict), vec![]);
        let unlisted = SymbolInfo {
            allowed_self_trade_prevention_modes: vec![],
            ..btcusdt()
        };
        assert_eq!(broken(&stp, &unlisted), vec![]);
    }

    #[test]
    fn amounts_must_be_positive() {
        let symbol = btcusdt();
        let zero_price = NewOrder {
            price: Some(dec("0")),
            ..happy(OrderType::Limit, Side::Buy)
        };
        assert_eq!(broken(&zero_price, &symbol), pairs(&[("POSITIVE_AMOUNT", "price=0")]));
        let negative = NewOrder {
            quantity: Some(dec("-0.01")),
            ..happy(OrderType::Limit, Side::Sell)
        };
        assert_eq!(
            broken(&negative, &symbol),
            pairs(&[("POSITIVE_AMOUNT", "quantity=-0.01")])
        );
        let zero_delta = NewOrder {
            trailing_delta: Some(0),
            ..happy(OrderType::StopLoss, Side::Sell)
        };
        assert_eq!(
            broken(&zero_delta, &symbol),
            pairs(&[("POSITIVE_AMOUNT", "trailing_delta=0")])
        );
    }

    #[test]
    fn too_many_decimals_are_refused() {
        let symbol = btcusdt();
        let quote = NewOrder {
            quantity: None,
            quote_order_qty: Some(dec("100.123456789")),
            ..happy(OrderType::Market, Side::Buy)
        };
        let got = findings(&quote, &symbol).violations;
        assert_eq!(
            (got[0].filter.as_str(), got[0].value.as_str()),
            ("BAD_PRECISION", "quote_order_qty=100.123456789")
        );
        assert_eq!(got[0].nearest_valid, vec!["100.12345678"]);
        let padded = NewOrder {
            quote_order_qty: Some(dec("100.1000000000")),
            ..quote.clone()
        };
        assert_eq!(broken(&padded, &symbol), vec![]);
    }
}
