//! The 2026 rules in `validate`: which price the percent-price and notional filters use (the
//! reference price first, filters.md since 2026-05-08), and the account's MAX_ASSET filter.

use super::super::fixtures::{btcusdt, dec, happy};
use super::*;
use crate::{AssetFilter, AssetFilters, PriceSource};
use spot_types::model::TimeInForce;

fn quotes(reference: ReferenceQuote) -> PriceQuotes {
    PriceQuotes {
        reference,
        average: Some((dec("95000"), 5)),
        last_trade: Some(dec("95010")),
    }
}

fn set(price: &str) -> ReferenceQuote {
    ReferenceQuote::Set {
        price: dec(price),
        at_ms: 1_770_736_694_138,
    }
}

fn run(order: &NewOrder, prices: &PriceQuotes, assets: AssetFilters<'_>) -> Validation {
    validate(
        order,
        &ValidationContext {
            symbol: &btcusdt(),
            prices,
            open_orders: Some(OpenOrderCounts::default()),
            asset_filters: assets,
        },
    )
}

fn limit(side: Side, price: &str, quantity: &str) -> NewOrder {
    NewOrder {
        time_in_force: Some(TimeInForce::Gtc),
        price: Some(dec(price)),
        quantity: Some(dec(quantity)),
        ..happy(OrderType::Limit, side)
    }
}

const NONE: AssetFilters<'static> = AssetFilters::Known(&[]);

#[test]
fn an_order_that_passes_on_the_average_breaks_on_the_reference_price() {
    // BTCUSDT's PERCENT_PRICE_BY_SIDE: BUY within 0.2..5 × the filter price. On the average
    // (95,000) the floor is 19,000; on a reference price of 100,000 it is 20,000.
    let order = limit(Side::Buy, "19500.00", "0.001");
    let on_average = run(&order, &quotes(ReferenceQuote::NeverSet), NONE);
    assert!(on_average.valid, "{:?}", on_average.violations);
    let used = on_average.filter_price.expect("a price");
    assert_eq!((used.price, used.source), (dec("95000"), PriceSource::AveragePrice));

    let on_reference = run(&order, &quotes(set("100000")), NONE);
    assert!(!on_reference.valid);
    let v = &on_reference.violations[0];
    assert_eq!(v.filter, "PERCENT_PRICE_BY_SIDE");
    assert_eq!(v.nearest_valid, ["20000.00"]);
    assert!(v.message.contains("reference price 100000"), "{}", v.message);
    let used = on_reference.filter_price.expect("a price");
    assert_eq!((used.price, used.source), (dec("100000"), PriceSource::ReferencePrice));
    // A null reference price falls back to the average, like one never set.
    assert!(run(&order, &quotes(ReferenceQuote::Null), NONE).valid);
}

#[test]
fn market_notional_is_valued_at_the_reference_price_when_there_is_one() {
    let market = NewOrder {
        quantity: Some(dec("0.00005")),
        ..happy(OrderType::Market, Side::Sell)
    };
    // 0.00005 × 95,000 = 4.75 < 5 on the average; × 120,000 = 6 on the reference price.
    let low = run(&market, &quotes(ReferenceQuote::NeverSet), NONE);
    assert_eq!(low.violations[0].filter, "NOTIONAL");
    assert!(
        low.violations[0].message.contains("average price 95000"),
        "{}",
        low.violations[0].message
    );
    assert!(run(&market, &quotes(set("120000")), NONE).valid);
}

#[test]
fn an_unreadable_reference_price_is_said_not_hidden() {
    let order = limit(Side::Buy, "95000.00", "0.001");
    let v = run(&order, &quotes(ReferenceQuote::Unknown("timeout".into())), NONE);
    assert!(v.valid);
    assert!(
        v.unchecked
            .iter()
            .any(|u| u.starts_with("REFERENCE_PRICE:") && u.contains("timeout")),
        "{:?}",
        v.unchecked
    );
    assert!(
        !run(&order, &quotes(ReferenceQuote::NeverSet), NONE)
            .unchecked
            .iter()
            .any(|u| u.starts_with("REFERENCE_PRICE"))
    );
}

#[test]
fn max_asset_caps_the_base_quantity_and_the_quote_notional() {
    let filters = [
        AssetFilter::MaxAsset {
            asset: "BTC".into(),
            limit: dec("0.5"),
        },
        AssetFilter::MaxAsset {
            asset: "USDT".into(),
            limit: dec("1000"),
        },
    ];
    let known = AssetFilters::Known(&filters);
    let prices = quotes(ReferenceQuote::NeverSet);
    let names = |v: &Validation| -> Vec<(String, String, Vec<String>)> {
        v.violations
            .iter()
            .map(|x| (x.filter.clone(), x.rule.clone(), x.nearest_valid.clone()))
            .collect()
    };
    // 0.01 × 95,000 = 950: within both.
    assert!(run(&limit(Side::Buy, "95000.00", "0.01"), &prices, known).valid);
    // 0.011 × 95,000 = 1045 USDT: the quote limit, nearest 0.01052 BTC.
    let quote = run(&limit(Side::Buy, "95000.00", "0.011"), &prices, known);
    assert_eq!(
        names(&quote),
        [(
            "MAX_ASSET".to_owned(),
            "price × quantity <= limit".to_owned(),
            vec!["0.01052".to_owned()]
        )]
    );
    assert!(
        quote.violations[0].message.contains("1000 USDT"),
        "{}",
        quote.violations[0].message
    );
    // 0.6 BTC with only the BTC filter: the base limit, nearest 0.5 on the step.
    let base = run(
        &limit(Side::Sell, "95000.00", "0.6"),
        &prices,
        AssetFilters::Known(&filters[..1]),
    );
    assert_eq!(
        names(&base),
        [(
            "MAX_ASSET".to_owned(),
            "quantity <= limit".to_owned(),
            vec!["0.50000".to_owned()]
        )]
    );
    // A MARKET order's notional uses the filter price (the reference price here).
    let market = NewOrder {
        quantity: Some(dec("0.01")),
        ..happy(OrderType::Market, Side::Buy)
    };
    let valued = run(&market, &quotes(set("110000")), known);
    assert_eq!(valued.violations[0].rule, "reference price × quantity <= limit");
    // A quote amount is the notional itself.
    let by_quote = NewOrder {
        quantity: None,
        quote_order_qty: Some(dec("1000.01")),
        ..happy(OrderType::Market, Side::Buy)
    };
    assert_eq!(run(&by_quote, &prices, known).violations[0].nearest_valid, ["1000"]);
    // Other assets' filters do not apply.
    let jpy = [AssetFilter::MaxAsset {
        asset: "JPY".into(),
        limit: dec("1"),
    }];
    assert!(run(&limit(Side::Buy, "95000.00", "1"), &prices, AssetFilters::Known(&jpy)).valid);
}

#[test]
fn unknown_asset_filters_are_unchecked_with_the_reason() {
    let v = run(
        &limit(Side::Buy, "95000.00", "0.01"),
        &quotes(ReferenceQuote::NeverSet),
        AssetFilters::Unknown("no API key for testnet"),
    );
    assert!(v.valid);
    assert!(
        v.unchecked
            .iter()
            .any(|u| u.starts_with("MAX_ASSET:") && u.contains("no API key")),
        "{:?}",
        v.unchecked
    );
}
