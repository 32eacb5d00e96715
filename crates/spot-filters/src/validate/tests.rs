//! Table tests for `validate` and `normalize` with a BTCUSDT-like symbol, and property tests of
//! the LOT_SIZE and PRICE_FILTER verdicts against an integer formulation.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::super::fixtures::{btcusdt, dec, happy};
use super::*;
use spot_types::model::TimeInForce;

const ALL_TYPES: [OrderType; 7] = [
    OrderType::Limit,
    OrderType::Market,
    OrderType::StopLoss,
    OrderType::StopLossLimit,
    OrderType::TakeProfit,
    OrderType::TakeProfitLimit,
    OrderType::LimitMaker,
];

/// A NOTIONAL filter with both bounds off.
fn no_notional() -> Value {
    json!({"filterType":"NOTIONAL","minNotional":"0","applyMinToMarket":false,"maxNotional":"0","applyMaxToMarket":false,"avgPriceMins":5})
}

/// BTCUSDT with the given filters replacing those of the same type (or added).
fn symbol_with(filters: &[Value]) -> SymbolInfo {
    let mut symbol = btcusdt();
    for raw in filters {
        let filter = SymbolFilter::from_value(raw.clone());
        match symbol.filters.iter().position(|f| f.name() == filter.name()) {
            Some(i) => symbol.filters[i] = filter,
            None => symbol.filters.push(filter),
        }
    }
    symbol
}

/// Reference price 95,000 and no open orders.
fn run(order: &NewOrder, symbol: &SymbolInfo) -> Validation {
    run_with(order, symbol, Some(dec("95000")), Some(OpenOrderCounts::default()))
}

fn run_with(
    order: &NewOrder,
    symbol: &SymbolInfo,
    reference: Option<Decimal>,
    open: Option<OpenOrderCounts>,
) -> Validation {
    let prices = crate::PriceQuotes::average_only(reference, 5);
    validate(
        order,
        &ValidationContext {
            symbol,
            prices: &prices,
            open_orders: open,
            asset_filters: crate::AssetFilters::Known(&[]),
        },
    )
}

/// `(filter, value, nearest_valid)` of each violation.
/// An expected violation: `(filter, value, nearest_valid)`.
type Row<'a> = (&'a str, &'a str, &'a [&'a str]);

fn broken(validation: &Validation) -> Vec<(String, String, Vec<String>)> {
    validation
        .violations
        .iter()
        .map(|v| (v.filter.clone(), v.value.clone(), v.nearest_valid.clone()))
        .collect()
}

fn expect(rows: &[Row<'_>]) -> Vec<(String, String, Vec<String>)> {
    rows.iter()
        .map(|(f, v, n)| {
            (
                (*f).to_owned(),
                (*v).to_owned(),
                n.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect()
}

fn limit(side: Side, price: &str, quantity: &str) -> NewOrder {
    NewOrder {
        price: Some(dec(price)),
        quantity: Some(dec(quantity)),
        ..happy(OrderType::Limit, side)
    }
}

fn market(side: Side, quantity: &str) -> NewOrder {
    NewOrder {
        quantity: Some(dec(quantity)),
        ..happy(OrderType::Market, side)
    }
}

#[test]
fn every_order_type_passes_on_its_happy_path() {
    let symbol = btcusdt();
    for order_type in ALL_TYPES {
        for side in [Side::Buy, Side::Sell] {
            let validation = run(&happy(order_type, side), &symbol);
            assert!(
                validation.valid,
                "{} {}: {:?}",
                order_type.as_str(),
                side.as_str(),
                validation.violations
            );
            assert_eq!(validation.normalized, happy(order_type, side));
        }
    }
}

#[test]
fn issue_examples_for_the_lot_step() {
    let tenth = symbol_with(&[json!({"filterType":"LOT_SIZE","minQty":"0.1","maxQty":"1000","stepSize":"0.1"})]);
    for quantity in ["0.3", "1.1"] {
        let validation = run(&limit(Side::Buy, "95000", quantity), &tenth);
        assert!(validation.valid, "{quantity}: {:?}", validation.violations);
    }
    // BTCUSDT's LOT_SIZE (step "0.00001000"), without NOTIONAL so that tiny quantities pass it.
    let symbol = symbol_with(&[no_notional()]);
    let validation = run(&limit(Side::Buy, "95000", "0.000015"), &symbol);
    assert_eq!(
        broken(&validation),
        expect(&[("LOT_SIZE", "quantity=0.000015", &["0.00001"])])
    );
    assert_eq!(validation.violations[0].rule, "quantity % stepSize == 0");
    assert_eq!(validation.normalized.quantity, Some(dec("0.00001")));
    // A step written with trailing zeros (scale 8) accepts 0.00002.
    assert!(run(&limit(Side::Buy, "95000", "0.00002"), &symbol).valid);
}

#[test]
fn price_filter_rules() {
    let symbol = btcusdt();
    let cases: Vec<(NewOrder, Vec<Row<'_>>)> = vec![
        (
            limit(Side::Buy, "94999.995", "0.01"),
            vec![("PRICE_FILTER", "price=94999.995", &["94999.99", "95000.00"])],
        ),
        (
            limit(Side::Sell, "94999.995", "0.01"),
            vec![("PRICE_FILTER", "price=94999.995", &["94999.99", "95000.00"])],
        ),
        (limit(Side::Buy, "95000.10", "0.01"), vec![]),
        (
            // Below minPrice and off the tick; the only valid neighbour is minPrice itself.
            limit(Side::Buy, "0.005", "1000"),
            vec![
                ("PRICE_FILTER", "price=0.005", &["0.01"]),
                ("PRICE_FILTER", "price=0.005", &["0.01"]),
                ("PERCENT_PRICE_BY_SIDE", "price=0.005", &["19000.00"]),
            ],
        ),
        (
            limit(Side::Sell, "1000000.01", "0.00001"),
            vec![
                ("PRICE_FILTER", "price=1000000.01", &["1000000.00"]),
                ("PERCENT_PRICE_BY_SIDE", "price=1000000.01", &["475000.00"]),
            ],
        ),
        (
            NewOrder {
                stop_price: Some(dec("94000.001")),
                ..happy(OrderType::StopLoss, Side::Sell)
            },
            vec![("PRICE_FILTER", "stop_price=94000.001", &["94000.00", "94000.01"])],
        ),
        (
            NewOrder {
                stop_price: Some(dec("96000.5")),
                price: Some(dec("96000.555")),
                ..happy(OrderType::TakeProfitLimit, Side::Sell)
            },
            vec![("PRICE_FILTER", "price=96000.555", &["96000.55", "96000.56"])],
        ),
    ];
    for (order, expected) in cases {
        assert_eq!(broken(&run(&order, &symbol)), expect(&expected), "{order:?}");
    }
    let rules: Vec<String> = run(&limit(Side::Buy, "0.005", "1000"), &symbol)
        .violations
        .into_iter()
        .map(|v| v.rule)
        .collect();
    assert_eq!(rules[..2], ["price >= minPrice", "price % tickSize == 0"]);
}

#[test]
fn price_filter_zero_values_disable_their_rule() {
    let open = symbol_with(&[
        json!({"filterType":"PRICE_FILTER","minPrice":"0","maxPrice":"0","tickSize":"0"}),
        json!({"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"1000000","bidMultiplierDown":"0","askMultiplierUp":"1000000","askMultiplierDown":"0","avgPriceMins":5}),
        no_notional(),
    ]);
    for price in ["0.000001", "123456789.123456", "95000.001"] {
        let validation = run(&limit(Side::Buy, price, "1"), &open);
        assert!(validation.valid, "{price}: {:?}", validation.violations);
    }
}

#[test]
fn percent_price_by_side_uses_bid_for_buy_and_ask_for_sell() {
    // The docs' example: BUY within 0.2..1.2 × reference, SELL within 0.8..5 ×.
    let symbol = symbol_with(&[json!({
        "filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"1.2","bidMultiplierDown":"0.2",
        "askMultiplierUp":"5","askMultiplierDown":"0.8","avgPriceMins":1
    })]);
    let cases: Vec<(NewOrder, Vec<Row<'_>>)> = vec![
        (limit(Side::Buy, "114000.00", "0.01"), vec![]),
        (
            limit(Side::Buy, "114000.01", "0.01"),
            vec![("PERCENT_PRICE_BY_SIDE", "price=114000.01", &["114000.00"])],
        ),
        (limit(Side::Buy, "19000.00", "0.01"), vec![]),
        (
            limit(Side::Buy, "18999.99", "0.01"),
            vec![("PERCENT_PRICE_BY_SIDE", "price=18999.99", &["19000.00"])],
        ),
        (limit(Side::Sell, "114000.01", "0.01"), vec![]),
        (
            limit(Side::Sell, "75999.99", "0.01"),
            vec![("PERCENT_PRICE_BY_SIDE", "price=75999.99", &["76000.00"])],
        ),
        (
            limit(Side::Sell, "475000.01", "0.01"),
            vec![("PERCENT_PRICE_BY_SIDE", "price=475000.01", &["475000.00"])],
        ),
    ];
    for (order, expected) in cases {
        assert_eq!(broken(&run(&order, &symbol)), expect(&expected), "{order:?}");
    }
    let rule = &run(&limit(Side::Sell, "75999.99", "0.01"), &symbol).violations[0].rule;
    assert_eq!(rule, "price >= reference × askMultiplierDown");
}

#[test]
fn percent_price_checks_limit_prices_only_and_needs_a_reference() {
    let symbol = symbol_with(&[
        json!({"filterType":"PERCENT_PRICE","multiplierUp":"1.3000","multiplierDown":"0.7000","avgPriceMins":5}),
    ]);
    let high = limit(Side::Buy, "123500.01", "0.01");
    let got = broken(&run(&high, &symbol));
    assert_eq!(got, expect(&[("PERCENT_PRICE", "price=123500.01", &["123500.00"])]));
    assert!(run(&limit(Side::Buy, "123500.00", "0.01"), &symbol).valid);
    let low = limit(Side::Sell, "66499.99", "0.01");
    assert_eq!(
        broken(&run(&low, &symbol)),
        expect(&[("PERCENT_PRICE", "price=66499.99", &["66500.00"])])
    );

    let blind = run_with(&high, &symbol, None, Some(OpenOrderCounts::default()));
    assert!(blind.valid);
    assert!(blind.unchecked.iter().any(|u| u.starts_with("PERCENT_PRICE:")));
    assert!(blind.unchecked.iter().any(|u| u.starts_with("PERCENT_PRICE_BY_SIDE:")));
    // A stop price is not a limit price.
    let stop = NewOrder {
        stop_price: Some(dec("200000")),
        ..happy(OrderType::StopLoss, Side::Buy)
    };
    assert!(run(&stop, &symbol).valid);
}

#[test]
fn lot_size_applies_to_quantity_and_iceberg_qty_of_every_type() {
    let symbol = btcusdt();
    let cases: Vec<(NewOrder, Vec<Row<'_>>)> = vec![
        (
            limit(Side::Buy, "95000", "0.000005"),
            vec![
                ("LOT_SIZE", "quantity=0.000005", &["0.00001"]),
                ("LOT_SIZE", "quantity=0.000005", &["0.00001"]),
                ("NOTIONAL", "quantity=0.000005", &["0.00006"]),
            ],
        ),
        (
            limit(Side::Sell, "95000", "9000.00001"),
            vec![
                ("LOT_SIZE", "quantity=9000.00001", &["9000.00000"]),
                ("NOTIONAL", "quantity=9000.00001", &["94.73684"]),
            ],
        ),
        (
            market(Side::Sell, "0.000015"),
            vec![
                ("LOT_SIZE", "quantity=0.000015", &["0.00001"]),
                ("NOTIONAL", "quantity=0.000015", &["0.00006"]),
            ],
        ),
        (
            NewOrder {
                quantity: Some(dec("0.000015")),
                ..happy(OrderType::StopLoss, Side::Sell)
            },
            vec![("LOT_SIZE", "quantity=0.000015", &["0.00001"])],
        ),
        (
            NewOrder {
                iceberg_qty: Some(dec("0.0010001")),
                ..limit(Side::Buy, "95000", "0.01")
            },
            vec![("LOT_SIZE", "iceberg_qty=0.0010001", &["0.00100"])],
        ),
    ];
    for (order, expected) in cases {
        assert_eq!(broken(&run(&order, &symbol)), expect(&expected), "{order:?}");
    }
}

#[test]
fn market_lot_size_applies_to_market_quantity_only() {
    let symbol = btcusdt();
    let got = broken(&run(&market(Side::Buy, "98"), &symbol));
    assert_eq!(got, expect(&[("MARKET_LOT_SIZE", "quantity=98", &["97.9283642"])]));
    assert!(
        run(&market(Side::Buy, "97.9"), &symbol).valid,
        "zero minQty and stepSize are no rule"
    );
    assert!(run(&limit(Side::Buy, "90000", "98"), &symbol).valid);

    let stepped =
        symbol_with(&[json!({"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"100","stepSize":"0.001"})]);
    let got = broken(&run(&market(Side::Buy, "0.0015"), &stepped));
    assert_eq!(got, expect(&[("MARKET_LOT_SIZE", "quantity=0.0015", &["0.001"])]));
    let got = broken(&run(&market(Side::Buy, "0.0005"), &stepped));
    assert_eq!(
        got,
        expect(&[
            ("MARKET_LOT_SIZE", "quantity=0.0005", &["0.001"]),
            ("MARKET_LOT_SIZE", "quantity=0.0005", &["0.001"])
        ])
    );
    assert_eq!(
        run(&market(Side::Buy, "0.0015"), &stepped).normalized.quantity,
        Some(dec("0.001"))
    );
}

#[test]
fn notional_for_limit_types_is_price_times_quantity() {
    let symbol = btcusdt();
    let low = run(&limit(Side::Buy, "95000", "0.00005"), &symbol);
    assert_eq!(broken(&low), expect(&[("NOTIONAL", "quantity=0.00005", &["0.00006"])]));
    assert_eq!(low.violations[0].rule, "price × quantity >= minNotional");
    assert!(
        low.violations[0].message.contains("4.75"),
        "{}",
        low.violations[0].message
    );
    assert!(
        run(&limit(Side::Buy, "100000", "0.00005"), &symbol).valid,
        "exactly minNotional passes"
    );
    let high = run(&limit(Side::Sell, "100000", "90.00001"), &symbol);
    assert_eq!(
        broken(&high),
        expect(&[("NOTIONAL", "quantity=90.00001", &["90.00000"])])
    );
    let stop_limit = NewOrder {
        quantity: Some(dec("0.00005")),
        ..happy(OrderType::StopLossLimit, Side::Sell)
    };
    assert_eq!(
        broken(&run(&stop_limit, &symbol)),
        expect(&[("NOTIONAL", "quantity=0.00005", &["0.00006"])])
    );
}

#[test]
fn notional_for_market_orders_follows_the_apply_flags() {
    let symbol = btcusdt();
    // applyMinToMarket: valued at the reference price.
    let small = run(&market(Side::Sell, "0.00005"), &symbol);
    assert_eq!(
        broken(&small),
        expect(&[("NOTIONAL", "quantity=0.00005", &["0.00006"])])
    );
    assert_eq!(small.violations[0].rule, "reference price × quantity >= minNotional");
    // applyMaxToMarket false: 96 BTC is far above maxNotional at 100,000 but not checked.
    assert!(
        run_with(&market(Side::Buy, "96"), &symbol, Some(dec("100000")), None)
            .violations
            .is_empty()
    );
    // Quote-quantity MARKET orders: quoteOrderQty is the notional.
    let by_quote = |quote: &str| NewOrder {
        quantity: None,
        quote_order_qty: Some(dec(quote)),
        ..happy(OrderType::Market, Side::Buy)
    };
    assert_eq!(
        broken(&run(&by_quote("4.99"), &symbol)),
        expect(&[("NOTIONAL", "quote_order_qty=4.99", &["5"])])
    );
    assert!(run(&by_quote("5"), &symbol).valid);
    // No reference price: the quantity-based check is reported unchecked, the quote one is not.
    let blind = run_with(&market(Side::Sell, "0.00005"), &symbol, None, None);
    assert!(blind.valid);
    assert!(
        blind.unchecked.iter().any(|u| u.starts_with("NOTIONAL:")),
        "{:?}",
        blind.unchecked
    );
    let blind_quote = run_with(&by_quote("4.99"), &symbol, None, None);
    assert_eq!(
        broken(&blind_quote),
        expect(&[("NOTIONAL", "quote_order_qty=4.99", &["5"])])
    );

    let max_to_market = symbol_with(&[json!({
        "filterType":"NOTIONAL","minNotional":"5","applyMinToMarket":false,
        "maxNotional":"1000","applyMaxToMarket":true,"avgPriceMins":5
    })]);
    assert!(run(&market(Side::Sell, "0.00005"), &max_to_market).valid);
    let big = run(&market(Side::Sell, "0.011"), &max_to_market);
    assert_eq!(broken(&big), expect(&[("NOTIONAL", "quantity=0.011", &["0.01052"])]));
}

#[test]
fn legacy_min_notional_applies_to_market_only_with_apply_to_market() {
    let applied = symbol_with(&[
        no_notional(),
        json!({"filterType":"MIN_NOTIONAL","minNotional":"10","applyToMarket":true,"avgPriceMins":5}),
    ]);
    let got = broken(&run(&market(Side::Buy, "0.0001"), &applied));
    assert_eq!(got, expect(&[("MIN_NOTIONAL", "quantity=0.0001", &["0.00011"])]));
    let got = broken(&run(&limit(Side::Buy, "95000", "0.0001"), &applied));
    assert_eq!(got, expect(&[("MIN_NOTIONAL", "quantity=0.0001", &["0.00011"])]));
    let not_applied = symbol_with(&[
        no_notional(),
        json!({"filterType":"MIN_NOTIONAL","minNotional":"10","applyToMarket":false,"avgPriceMins":5}),
    ]);
    assert!(run(&market(Side::Buy, "0.0001"), &not_applied).valid);
    assert!(!run(&limit(Side::Buy, "95000", "0.0001"), &not_applied).valid);
}

#[test]
fn notional_of_stop_market_types_is_reported_unchecked() {
    let tiny = NewOrder {
        quantity: Some(dec("0.00001")),
        ..happy(OrderType::TakeProfit, Side::Buy)
    };
    let validation = run(&tiny, &btcusdt());
    assert!(validation.valid);
    assert!(
        validation
            .unchecked
            .iter()
            .any(|u| u.starts_with("NOTIONAL: TAKE_PROFIT")),
        "{:?}",
        validation.unchecked
    );
}

#[test]
fn iceberg_parts_is_ceil_of_quantity_over_iceberg_qty() {
    let symbol = btcusdt();
    let iceberg = |quantity: &str, iceberg_qty: &str| NewOrder {
        iceberg_qty: Some(dec(iceberg_qty)),
        ..limit(Side::Buy, "95000", quantity)
    };
    assert!(run(&iceberg("1", "0.01"), &symbol).valid, "exactly 100 parts");
    let got = run(&iceberg("1", "0.00999"), &symbol);
    assert_eq!(
        broken(&got),
        expect(&[("ICEBERG_PARTS", "iceberg_qty=0.00999", &["0.01000"])])
    );
    assert!(
        got.violations[0].message.contains("101 parts"),
        "{}",
        got.violations[0].message
    );
    let got = run(&iceberg("1.00001", "0.01"), &symbol);
    assert_eq!(
        broken(&got),
        expect(&[("ICEBERG_PARTS", "iceberg_qty=0.01", &["0.01001"])])
    );
}

#[test]
fn open_order_counts_gate_new_orders() {
    let symbol = symbol_with(&[json!({"filterType":"MAX_NUM_ICEBERG_ORDERS","maxNumIcebergOrders":5})]);
    let counts = |total, algo, iceberg| Some(OpenOrderCounts { total, algo, iceberg });
    let plain = happy(OrderType::Limit, Side::Buy);
    let stop = happy(OrderType::StopLossLimit, Side::Sell);
    let iceberg = NewOrder {
        iceberg_qty: Some(dec("0.001")),
        ..plain.clone()
    };
    let reference = Some(dec("95000"));
    let cases: Vec<(&NewOrder, Option<OpenOrderCounts>, Vec<Row<'_>>)> = vec![
        (&plain, counts(199, 5, 5), vec![]),
        (
            &plain,
            counts(200, 0, 0),
            vec![("MAX_NUM_ORDERS", "open_orders=200", &[])],
        ),
        (&stop, counts(10, 4, 0), vec![]),
        (
            &stop,
            counts(10, 5, 0),
            vec![("MAX_NUM_ALGO_ORDERS", "open_orders=5", &[])],
        ),
        (&iceberg, counts(10, 0, 4), vec![]),
        (
            &iceberg,
            counts(10, 0, 5),
            vec![("MAX_NUM_ICEBERG_ORDERS", "open_orders=5", &[])],
        ),
    ];
    for (order, open, expected) in cases {
        assert_eq!(
            broken(&run_with(order, &symbol, reference, open)),
            expect(&expected),
            "{open:?}"
        );
    }
    let blind = run_with(&stop, &symbol, reference, None);
    assert!(blind.valid);
    let lines: Vec<&str> = blind
        .unchecked
        .iter()
        .map(|u| u.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(lines, ["MAX_NUM_ORDERS", "MAX_NUM_ALGO_ORDERS"]);
}

#[test]
fn trailing_delta_bounds_follow_the_trigger_direction() {
    // Above 10..2000, below 50..500, so the side of the table matters.
    let symbol = symbol_with(&[json!({
        "filterType":"TRAILING_DELTA","minTrailingAboveDelta":10,"maxTrailingAboveDelta":2000,
        "minTrailingBelowDelta":50,"maxTrailingBelowDelta":500
    })]);
    let trailing = |order_type, side, delta| NewOrder {
        trailing_delta: Some(delta),
        ..happy(order_type, side)
    };
    let above = [
        (OrderType::StopLoss, Side::Buy),
        (OrderType::StopLossLimit, Side::Buy),
        (OrderType::TakeProfit, Side::Sell),
        (OrderType::TakeProfitLimit, Side::Sell),
    ];
    let below = [
        (OrderType::StopLoss, Side::Sell),
        (OrderType::StopLossLimit, Side::Sell),
        (OrderType::TakeProfit, Side::Buy),
        (OrderType::TakeProfitLimit, Side::Buy),
    ];
    for (order_type, side) in above {
        assert!(run(&trailing(order_type, side, 10), &symbol).valid);
        assert!(run(&trailing(order_type, side, 2000), &symbol).valid);
        let got = broken(&run(&trailing(order_type, side, 9), &symbol));
        assert_eq!(got, expect(&[("TRAILING_DELTA", "trailing_delta=9", &["10"])]));
    }
    for (order_type, side) in below {
        let got = broken(&run(&trailing(order_type, side, 10), &symbol));
        assert_eq!(got, expect(&[("TRAILING_DELTA", "trailing_delta=10", &["50"])]));
        let got = broken(&run(&trailing(order_type, side, 2000), &symbol));
        assert_eq!(got, expect(&[("TRAILING_DELTA", "trailing_delta=2000", &["500"])]));
        assert!(run(&trailing(order_type, side, 500), &symbol).valid);
    }
    let rule = &run(&trailing(OrderType::TakeProfit, Side::Buy, 10), &symbol).violations[0].rule;
    assert_eq!(rule, "trailing_delta >= minTrailingBelowDelta");
}

#[test]
fn account_and_unknown_filters_are_unchecked_and_unparsed_ones_refuse() {
    let symbol = symbol_with(&[
        json!({"filterType":"MAX_POSITION","maxPosition":"10.00000000"}),
        json!({"filterType":"SOMETHING_NEW","x":1}),
    ]);
    let buy = run(&happy(OrderType::Limit, Side::Buy), &symbol);
    assert!(buy.valid);
    assert!(buy.unchecked.iter().any(|u| u.starts_with("MAX_POSITION:")));
    assert!(buy.unchecked.iter().any(|u| u.starts_with("SOMETHING_NEW:")));
    let sell = run(&happy(OrderType::Limit, Side::Sell), &symbol);
    assert!(
        !sell.unchecked.iter().any(|u| u.starts_with("MAX_POSITION:")),
        "MAX_POSITION is for BUY orders"
    );

    let unreadable = symbol_with(&[json!({"filterType":"LOT_SIZE","minQty":"abc"})]);
    let validation = run(&happy(OrderType::Limit, Side::Buy), &unreadable);
    assert_eq!(broken(&validation), expect(&[("LOT_SIZE", "filterType=LOT_SIZE", &[])]));
    assert!(validation.violations[0].message.contains("cannot be checked locally"));
}

#[test]
fn normalize_rounds_prices_by_side_and_quantities_down() {
    let symbol = btcusdt();
    let buy = NewOrder {
        iceberg_qty: Some(dec("0.0012345")),
        time_in_force: Some(TimeInForce::Gtc),
        ..limit(Side::Buy, "94999.995", "0.0123456")
    };
    let normalized = normalize(&buy, &symbol);
    assert_eq!(normalized.price.map(|p| p.to_string()).as_deref(), Some("94999.99"));
    assert_eq!(normalized.quantity.map(|q| q.to_string()).as_deref(), Some("0.01234"));
    assert_eq!(
        normalized.iceberg_qty.map(|q| q.to_string()).as_deref(),
        Some("0.00123")
    );
    let sell = NewOrder {
        stop_price: Some(dec("94000.001")),
        ..happy(OrderType::StopLossLimit, Side::Sell)
    };
    let sell = NewOrder {
        price: Some(dec("93999.991")),
        ..sell
    };
    let normalized = normalize(&sell, &symbol);
    assert_eq!(normalized.price.map(|p| p.to_string()).as_deref(), Some("94000.00"));
    assert_eq!(
        normalized.stop_price.map(|p| p.to_string()).as_deref(),
        Some("94000.01")
    );
    let quote = NewOrder {
        quantity: None,
        quote_order_qty: Some(dec("100.123456789")),
        ..happy(OrderType::Market, Side::Buy)
    };
    assert_eq!(normalize(&quote, &symbol).quote_order_qty, Some(dec("100.12345678")));
    // Everything else is left alone, even a quantity below the minimum.
    let tiny = limit(Side::Buy, "95000", "0.000001");
    assert_eq!(
        normalize(&tiny, &symbol),
        NewOrder {
            quantity: Some(dec("0.00000")),
            ..tiny.clone()
        }
    );
}

#[test]
fn violations_carry_a_readable_message() {
    let validation = run(&limit(Side::Buy, "94999.995", "0.000015"), &btcusdt());
    let messages: Vec<&str> = validation.violations.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "price 94999.995 is not a multiple of tickSize 0.01",
            "quantity 0.000015 is not a multiple of stepSize 0.00001",
            "notional price 94999.995 × quantity 0.000015 = 1.424999925 is below minNotional 5",
        ]
    );
}

#[test]
fn order_rules_and_filters_report_together() {
    let halted = SymbolInfo {
        status: "HALT".into(),
        ..btcusdt()
    };
    let validation = run(&limit(Side::Buy, "94999.995", "0.01"), &halted);
    let filters: Vec<&str> = validation.violations.iter().map(|v| v.filter.as_str()).collect();
    assert_eq!(filters, ["SYMBOL_STATUS", "PRICE_FILTER"]);
    assert!(!validation.valid);
}

// ---- property tests: verdicts against an integer formulation --------------------------------

/// `mantissa × 10^-scale`.
fn fixed(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

/// Reference verdict of a min/max/step rule (each off when zero), on integers at scale 12.
fn reference_passes(value: (i64, u32), min: (i64, u32), max: (i64, u32), step: (i64, u32)) -> bool {
    let at12 = |(m, s): (i64, u32)| i128::from(m) * 10i128.pow(12 - s);
    let (v, lo, hi, st) = (at12(value), at12(min), at12(max), at12(step));
    (lo == 0 || v >= lo) && (hi == 0 || v <= hi) && (st == 0 || v % st == 0)
}

/// Whether any positive value passes the rule (random bounds may leave none).
fn admits_a_value(min: (i64, u32), max: (i64, u32), step: (i64, u32)) -> bool {
    let at12 = |(m, s): (i64, u32)| i128::from(m) * 10i128.pow(12 - s);
    let (lo, hi, st) = (at12(min), at12(max), at12(step));
    let floor = if lo == 0 { st.max(1) } else { lo };
    let lowest = if st == 0 { floor } else { (floor + st - 1) / st * st };
    hi == 0 || lowest <= hi
}

fn amount() -> impl Strategy<Value = (i64, u32)> {
    (1i64..=2_000_000_000, 0u32..=10)
}

fn step_amount() -> impl Strategy<Value = (i64, u32)> {
    prop_oneof![Just((0, 0)), (0u32..=8).prop_map(|s| (1, s)), (1i64..=500, 0u32..=8)]
}

fn bound() -> impl Strategy<Value = (i64, u32)> {
    prop_oneof![Just((0, 0)), (1i64..=2_000_000_000, 0u32..=8)]
}

fn filter_violations(validation: &Validation, filter: &str) -> usize {
    validation.violations.iter().filter(|v| v.filter == filter).count()
}

proptest! {
    #[test]
    fn lot_size_verdict_matches_integer_reference(qty in amount(), min in bound(), max in bound(), step in step_amount()) {
        let lot = json!({
            "filterType": "LOT_SIZE",
            "minQty": fixed(min.0, min.1).to_string(),
            "maxQty": fixed(max.0, max.1).to_string(),
            "stepSize": fixed(step.0, step.1).to_string(),
        });
        let symbol = symbol_with(&[lot]);
        let order = NewOrder { quantity: Some(fixed(qty.0, qty.1)), ..happy(OrderType::Limit, Side::Buy) };
        let validation = run(&order, &symbol);
        let passes = filter_violations(&validation, "LOT_SIZE") == 0;
        prop_assert_eq!(passes, reference_passes(qty, min, max, step));
    }

    #[test]
    fn price_filter_verdict_matches_integer_reference(
        price in amount(), min in bound(), max in bound(), tick in step_amount(), sell: bool, stop: bool,
    ) {
        let filter = json!({
            "filterType": "PRICE_FILTER",
            "minPrice": fixed(min.0, min.1).to_string(),
            "maxPrice": fixed(max.0, max.1).to_string(),
            "tickSize": fixed(tick.0, tick.1).to_string(),
        });
        let symbol = symbol_with(&[filter]);
        let side = if sell { Side::Sell } else { Side::Buy };
        let value = Some(fixed(price.0, price.1));
        let order = match stop {
            true => NewOrder { stop_price: value, ..happy(OrderType::StopLoss, side) },
            false => NewOrder { price: value, ..happy(OrderType::Limit, side) },
        };
        let validation = run(&order, &symbol);
        let passes = filter_violations(&validation, "PRICE_FILTER") == 0;
        prop_assert_eq!(passes, reference_passes(price, min, max, tick));
        // Every nearest value offered passes the filter itself, when any value can.
        let admits = admits_a_value(min, max, tick);
        for violation in validation.violations.iter().filter(|v| v.filter == "PRICE_FILTER") {
            for nearest in &violation.nearest_valid {
                let n = dec(nearest);
                let (m, s) = (n.mantissa(), n.scale());
                let as_pair = (i64::try_from(m).unwrap_or(i64::MAX), s);
                prop_assert!(!admits || s > 12 || reference_passes(as_pair, min, max, tick), "{} offered for {:?}", nearest, violation);
            }
        }
    }
}
