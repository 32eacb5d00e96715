//! The price PERCENT_PRICE, PERCENT_PRICE_BY_SIDE, MIN_NOTIONAL and NOTIONAL value an order at
//! (filters.md, since 2026-05-08): the symbol's reference price when it has a non-null one
//! (`GET /api/v3/referencePrice`), else the volume-weighted average price over the filter's
//! `avgPriceMins` (`GET /api/v3/avgPrice`), else, when `avgPriceMins` is 0, the last trade.
//!
//! Pure: the caller fetches the quotes ([`PriceQuotes`]) and this module only chooses.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use super::SymbolFilter;
use spot_types::model::SymbolInfo;

/// What `GET /api/v3/referencePrice` said about a symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceQuote {
    /// A non-null reference price, valid at `at_ms` (ms since epoch).
    Set { price: Decimal, at_ms: i64 },
    /// `"referencePrice": null`: the symbol had one, but has none now.
    Null,
    /// -2043: the symbol never had a reference price.
    NeverSet,
    /// The answer is missing (the request failed, or nobody asked); the text says why.
    Unknown(String),
}

impl ReferenceQuote {
    /// The reference price, when the symbol has a usable (positive) one.
    pub fn price(&self) -> Option<Decimal> {
        match self {
            ReferenceQuote::Set { price, .. } if *price > Decimal::ZERO => Some(*price),
            _ => None,
        }
    }

    /// Why there is no reference price to use, in words.
    fn absence(&self) -> String {
        match self {
            ReferenceQuote::Set { .. } => "not positive".into(),
            ReferenceQuote::Null => "null".into(),
            ReferenceQuote::NeverSet => "never set".into(),
            ReferenceQuote::Unknown(why) => format!("unknown: {why}"),
        }
    }
}

/// The quotes the caller fetched for one symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceQuotes {
    pub reference: ReferenceQuote,
    /// `GET /api/v3/avgPrice`: the price and its window in minutes (`mins`).
    pub average: Option<(Decimal, u32)>,
    /// The last trade price (`GET /api/v3/ticker/price`).
    pub last_trade: Option<Decimal>,
}

/// Where a filter's price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// `GET /api/v3/referencePrice`.
    ReferencePrice,
    /// `GET /api/v3/avgPrice` over `avgPriceMins`.
    AveragePrice,
    /// The last trade (`avgPriceMins` 0).
    LastTrade,
}

impl PriceSource {
    /// The words a message uses, e.g. `reference price`.
    pub fn label(self) -> &'static str {
        match self {
            PriceSource::ReferencePrice => "reference price",
            PriceSource::AveragePrice => "average price",
            PriceSource::LastTrade => "last trade price",
        }
    }
}

/// The price a filter valued the order at, and why that one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FilterPrice {
    pub price: Decimal,
    pub source: PriceSource,
    /// e.g. `avgPrice over 5 min (reference price: never set)`.
    pub why: String,
}

/// Which quotes the caller must fetch after the reference price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceNeeds {
    pub average: bool,
    pub last_trade: bool,
}

impl PriceQuotes {
    /// Quotes with only an average price over `mins` (no reference price ever set).
    pub fn average_only(average: Option<Decimal>, mins: u32) -> PriceQuotes {
        PriceQuotes {
            reference: ReferenceQuote::NeverSet,
            average: average.map(|p| (p, mins)),
            last_trade: None,
        }
    }

    /// The price a filter with `avg_price_mins` uses; `None` when the quote its rule needs is
    /// missing (the rules that need it are then unchecked).
    pub fn for_filter(&self, avg_price_mins: u32) -> Option<FilterPrice> {
        if let (Some(price), ReferenceQuote::Set { at_ms, .. }) = (self.reference.price(), &self.reference) {
            return Some(FilterPrice {
                price,
                source: PriceSource::ReferencePrice,
                why: format!("referencePrice, valid at {}", spot_types::time::utc(*at_ms)),
            });
        }
        let absence = self.reference.absence();
        if avg_price_mins == 0 {
            let price = self.last_trade.filter(|p| *p > Decimal::ZERO)?;
            return Some(FilterPrice {
                price,
                source: PriceSource::LastTrade,
                why: format!("last trade, avgPriceMins 0 (reference price: {absence})"),
            });
        }
        let (price, mins) = self.average.filter(|(p, _)| *p > Decimal::ZERO)?;
        Some(FilterPrice {
            price,
            source: PriceSource::AveragePrice,
            why: format!("avgPrice over {mins} min (reference price: {absence})"),
        })
    }

    /// The price for the symbol as a whole (its first price or notional filter's rule): the
    /// one `order_validate` reports and the worst-case notional of MARKET and stop orders uses.
    pub fn for_symbol(&self, symbol: &SymbolInfo) -> Option<FilterPrice> {
        self.for_filter(avg_price_mins(symbol).unwrap_or(DEFAULT_AVG_PRICE_MINS))
    }

    /// What the filters of `symbol` still need once `reference` is known: nothing when it is
    /// set; otherwise the average price, and the last trade for a filter with `avgPriceMins` 0.
    pub fn needs(symbol: &SymbolInfo, reference: &ReferenceQuote) -> PriceNeeds {
        if reference.price().is_some() {
            return PriceNeeds::default();
        }
        let mins: Vec<u32> = price_filters_mins(symbol).collect();
        PriceNeeds {
            average: mins.is_empty() || mins.iter().any(|m| *m > 0),
            last_trade: mins.contains(&0),
        }
    }
}

/// Binance's usual window (every listed symbol in the captures uses 5).
const DEFAULT_AVG_PRICE_MINS: u32 = 5;

/// `avgPriceMins` of the symbol's first price or notional filter.
pub fn avg_price_mins(symbol: &SymbolInfo) -> Option<u32> {
    price_filters_mins(symbol).next()
}

fn price_filters_mins(symbol: &SymbolInfo) -> impl Iterator<Item = u32> + '_ {
    symbol.filters.iter().filter_map(|f| match f {
        SymbolFilter::PercentPrice { avg_price_mins, .. }
        | SymbolFilter::PercentPriceBySide { avg_price_mins, .. }
        | SymbolFilter::MinNotional { avg_price_mins, .. }
        | SymbolFilter::Notional { avg_price_mins, .. } => Some(*avg_price_mins),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{btcusdt, dec};
    use super::*;

    fn quotes(reference: ReferenceQuote) -> PriceQuotes {
        PriceQuotes {
            reference,
            average: Some((dec("95000"), 5)),
            last_trade: Some(dec("95010")),
        }
    }

    /// filters.md: the reference price when non-null, else the average over avgPriceMins, else
    /// (avgPriceMins 0) the last trade.
    #[test]
    fn the_reference_price_wins_then_the_average_then_the_last_trade() {
        let set = ReferenceQuote::Set {
            price: dec("94000"),
            at_ms: 1_770_736_694_138,
        };
        let cases = [
            (set.clone(), 5, Some((dec("94000"), PriceSource::ReferencePrice))),
            (set.clone(), 0, Some((dec("94000"), PriceSource::ReferencePrice))),
            (ReferenceQuote::Null, 5, Some((dec("95000"), PriceSource::AveragePrice))),
            (
                ReferenceQuote::NeverSet,
                5,
                Some((dec("95000"), PriceSource::AveragePrice)),
            ),
            (
                ReferenceQuote::NeverSet,
                0,
                Some((dec("95010"), PriceSource::LastTrade)),
            ),
            (ReferenceQuote::Null, 0, Some((dec("95010"), PriceSource::LastTrade))),
            // A failed read falls back like an absent one (the caller says so).
            (
                ReferenceQuote::Unknown("timeout".into()),
                5,
                Some((dec("95000"), PriceSource::AveragePrice)),
            ),
            // A zero reference price cannot value anything.
            (
                ReferenceQuote::Set {
                    price: Decimal::ZERO,
                    at_ms: 1,
                },
                5,
                Some((dec("95000"), PriceSource::AveragePrice)),
            ),
        ];
        for (reference, mins, expected) in cases {
            let got = quotes(reference.clone()).for_filter(mins).map(|p| (p.price, p.source));
            assert_eq!(got, expected, "{reference:?} avgPriceMins {mins}");
        }
        let why = quotes(ReferenceQuote::NeverSet).for_filter(5).expect("average").why;
        assert_eq!(why, "avgPrice over 5 min (reference price: never set)");
        let why = quotes(set).for_filter(5).expect("reference").why;
        assert_eq!(why, "referencePrice, valid at 2026-02-10T15:18:14.138Z");
    }

    #[test]
    fn a_missing_quote_leaves_the_price_unknown() {
        let none = PriceQuotes {
            reference: ReferenceQuote::NeverSet,
            average: None,
            last_trade: None,
        };
        assert_eq!(none.for_filter(5), None);
        assert_eq!(none.for_filter(0), None);
        // The reference price needs nothing else.
        let set = PriceQuotes {
            reference: ReferenceQuote::Set {
                price: dec("1"),
                at_ms: 0,
            },
            ..none
        };
        assert_eq!(set.for_filter(0).map(|p| p.source), Some(PriceSource::ReferencePrice));
    }

    #[test]
    fn what_to_fetch_follows_the_symbol_filters() {
        let symbol = btcusdt();
        let set = ReferenceQuote::Set {
            price: dec("1"),
            at_ms: 0,
        };
        assert_eq!(PriceQuotes::needs(&symbol, &set), PriceNeeds::default());
        assert_eq!(
            PriceQuotes::needs(&symbol, &ReferenceQuote::NeverSet),
            PriceNeeds {
                average: true,
                last_trade: false
            }
        );
        let mut last_only = symbol.clone();
        for f in &mut last_only.filters {
            match f {
                SymbolFilter::PercentPriceBySide { avg_price_mins, .. }
                | SymbolFilter::Notional { avg_price_mins, .. } => *avg_price_mins = 0,
                _ => {}
            }
        }
        assert_eq!(
            PriceQuotes::needs(&last_only, &ReferenceQuote::Null),
            PriceNeeds {
                average: false,
                last_trade: true
            }
        );
        assert_eq!(avg_price_mins(&symbol), Some(5));
    }
}
