//! The emulator's listed symbols: typed filters (checked by `order_rules`, shown by `general`'s
//! exchangeInfo), how each one's reference price is set and its execution rules (2026), and
//! market-model parameters.

use rust_decimal::Decimal;

/// Every order type, in the order exchangeInfo lists them.
pub const ORDER_TYPES: [&str; 7] = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
];

/// Self-trade-prevention modes allowed on every emulated symbol (2026 majors).
pub const ALLOWED_STP_MODES: [&str; 5] = ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"];

/// Values `symbolStatus` may take as a request filter.
pub const STATUS_FILTERS: [&str; 3] = ["TRADING", "HALT", "BREAK"];

/// `PRICE_FILTER`: decimal strings on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceFilter {
    pub min_price: Decimal,
    pub max_price: Decimal,
    pub tick_size: Decimal,
}

/// `LOT_SIZE` and `MARKET_LOT_SIZE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotSize {
    pub min_qty: Decimal,
    pub max_qty: Decimal,
    pub step_size: Decimal,
}

/// `TRAILING_DELTA`, in BIPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailingDelta {
    pub min_above: u32,
    pub max_above: u32,
    pub min_below: u32,
    pub max_below: u32,
}

/// `PERCENT_PRICE_BY_SIDE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PercentPriceBySide {
    pub bid_multiplier_up: Decimal,
    pub bid_multiplier_down: Decimal,
    pub ask_multiplier_up: Decimal,
    pub ask_multiplier_down: Decimal,
    pub avg_price_mins: u32,
}

/// `NOTIONAL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notional {
    pub min_notional: Decimal,
    pub apply_min_to_market: bool,
    pub max_notional: Decimal,
    pub apply_max_to_market: bool,
    pub avg_price_mins: u32,
}

/// Open-order count filters (`MAX_NUM_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCountLimits {
    pub max_num_orders: u32,
    pub max_num_order_lists: u32,
    pub max_num_algo_orders: u32,
    pub max_num_order_amends: u32,
}

/// How a symbol's reference price is set (`GET /api/v3/referencePrice/calculation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceCalc {
    /// The symbol never had a reference price: -2043 from both endpoints.
    Never,
    /// It had one and has none now: `"referencePrice": null`, and the calculation answers -2043
    /// ("reference price is not being calculated").
    Stopped,
    /// The matching engine's simple moving average of trade prices over `bucket_count` buckets
    /// of `bucket_width_ms`.
    ArithmeticMean { bucket_count: u32, bucket_width_ms: i64 },
    /// Computed outside the engine; method 3 is the 5-minute SMA of the mid-spread price.
    External { id: u32 },
}

/// The `PRICE_RANGE` execution rule: multipliers of the reference price a taker may execute
/// within (bid for BUY, ask for SELL); a missing one is not enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRange {
    pub bid_up: Option<Decimal>,
    pub bid_down: Option<Decimal>,
    pub ask_up: Option<Decimal>,
    pub ask_down: Option<Decimal>,
}

impl PriceRange {
    /// The same band `down..up` on both sides.
    fn both(down: Decimal, up: Decimal) -> Self {
        Self {
            bid_up: Some(up),
            bid_down: Some(down),
            ask_up: Some(up),
            ask_down: Some(down),
        }
    }
}

/// The seeded book beyond its best prices: levels `gap_ticks` apart, at most `levels` per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookShape {
    pub gap_ticks: u32,
    pub levels: usize,
}

impl BookShape {
    /// A level on every tick, as deep as asked (5000 at most).
    const DEEP: Self = Self {
        gap_ticks: 1,
        levels: 5000,
    };
}

/// Per-symbol feature flags from exchangeInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFlags {
    pub iceberg_allowed: bool,
    pub oco_allowed: bool,
    pub oto_allowed: bool,
    pub opo_allowed: bool,
    pub quote_order_qty_market_allowed: bool,
    pub allow_trailing_stop: bool,
    pub cancel_replace_allowed: bool,
    pub amend_allowed: bool,
    pub peg_instructions_allowed: bool,
    pub is_spot_trading_allowed: bool,
    pub is_margin_trading_allowed: bool,
}

impl SymbolFlags {
    const ALL: Self = Self {
        iceberg_allowed: true,
        oco_allowed: true,
        oto_allowed: true,
        opo_allowed: true,
        quote_order_qty_market_allowed: true,
        allow_trailing_stop: true,
        cancel_replace_allowed: true,
        amend_allowed: true,
        // Pegged orders are not emulated (rejected with "Pegged orders are not supported for this symbol.").
        peg_instructions_allowed: false,
        is_spot_trading_allowed: true,
        is_margin_trading_allowed: true,
    };
}

/// One listed symbol: exchange rules plus the parameters of its synthetic market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolSpec {
    pub symbol: String,
    /// `TRADING`, `HALT`, `BREAK`, `END_OF_DAY` or `CANCEL_ONLY`.
    pub status: &'static str,
    pub base_asset: String,
    pub quote_asset: String,
    pub base_asset_precision: u32,
    pub quote_asset_precision: u32,
    pub flags: SymbolFlags,
    pub price_filter: PriceFilter,
    pub lot_size: LotSize,
    pub market_lot_size: LotSize,
    pub iceberg_parts: u32,
    pub trailing_delta: TrailingDelta,
    pub percent_price_by_side: PercentPriceBySide,
    pub notional: Notional,
    pub order_counts: OrderCountLimits,
    /// Outer list AND, inner lists OR.
    pub permission_sets: Vec<Vec<String>>,
    pub default_stp_mode: &'static str,
    /// How its reference price is set.
    pub reference: ReferenceCalc,
    /// Its `PRICE_RANGE` execution rule, if any.
    pub price_range: Option<PriceRange>,
    /// How deep and dense its seeded book is.
    pub book: BookShape,
    /// Centre of the synthetic price (quote per base).
    pub base_price: Decimal,
    /// Synthetic trades per second (divides 1000).
    pub trades_per_second: u32,
    /// Mean synthetic trade size, in base asset.
    pub mean_trade_qty: Decimal,
}

/// The market knobs of one fixture row.
struct Row {
    symbol: &'static str,
    base: &'static str,
    quote: &'static str,
    base_price: Decimal,
    tick: Decimal,
    max_price: Decimal,
    step: Decimal,
    max_qty: Decimal,
    market_max_qty: Decimal,
    min_notional: Decimal,
    trades_per_second: u32,
    mean_trade_qty: Decimal,
}

/// The default listing: BTCUSDT, ETHUSDT, BNBUSDT, ETHBTC, XRPUSDT, BTCEUR (no OPO), BTCJPY,
/// BROCCOLI714USDC and the Unicode `这是测试币456` (2026 exchangeInfo layout; see
/// [`apply_2026_rules`] for their reference prices and execution rules).
pub fn default_symbols() -> Vec<SymbolSpec> {
    let d = Decimal::new;
    let rows = [
        Row {
            symbol: "BTCUSDT",
            base: "BTC",
            quote: "USDT",
            base_price: d(95_000, 0),
            tick: d(1, 2),
            max_price: d(1_000_000, 0),
            step: d(1, 5),
            max_qty: d(9_000, 0),
            market_max_qty: d(9_792_836_420, 8),
            min_notional: d(5, 0),
            trades_per_second: 4,
            mean_trade_qty: d(1, 2),
        },
        Row {
            symbol: "ETHUSDT",
            base: "ETH",
            quote: "USDT",
            base_price: d(3_500, 0),
            tick: d(1, 2),
            max_price: d(1_000_000, 0),
            step: d(1, 4),
            max_qty: d(9_000, 0),
            market_max_qty: d(276_248_466_194, 8),
            min_notional: d(5, 0),
            trades_per_second: 4,
            mean_trade_qty: d(2, 1),
        },
        Row {
            symbol: "BNBUSDT",
            base: "BNB",
            quote: "USDT",
            base_price: d(650, 0),
            tick: d(1, 2),
            max_price: d(100_000, 0),
            step: d(1, 3),
            max_qty: d(9_000, 0),
            market_max_qty: d(112_036_577_300, 8),
            min_notional: d(5, 0),
            trades_per_second: 2,
            mean_trade_qty: d(5, 1),
        },
        Row {
            symbol: "ETHBTC",
            base: "ETH",
            quote: "BTC",
            base_price: d(36, 3),
            tick: d(1, 5),
            max_price: d(922_327, 0),
            step: d(1, 4),
            max_qty: d(100_000, 0),
            market_max_qty: d(98_533_449_583, 8),
            min_notional: d(1, 4),
            trades_per_second: 1,
            mean_trade_qty: d(3, 1),
        },
        Row {
            symbol: "XRPUSDT",
            base: "XRP",
            quote: "USDT",
            base_price: d(22, 1),
            tick: d(1, 4),
            max_price: d(1_000, 0),
            step: d(1, 1),
            max_qty: d(9_222_449, 0),
            market_max_qty: d(171_264_512_500_000, 8),
            min_notional: d(5, 0),
            trades_per_second: 2,
            mean_trade_qty: d(500, 0),
        },
        // A quote asset the memory template's profile does not name: the gate's refusal of an
        // unlimited quote asset is tested against it.
        Row {
            symbol: "BTCEUR",
            base: "BTC",
            quote: "EUR",
            base_price: d(88_000, 0),
            tick: d(1, 2),
            max_price: d(1_000_000, 0),
            step: d(1, 5),
            max_qty: d(9_000, 0),
            market_max_qty: d(1_523_871_250, 8),
            min_notional: d(5, 0),
            trades_per_second: 2,
            mean_trade_qty: d(1, 2),
        },
        // Quoted in JPY, the asset of the testnet's MAX_ASSET filter (1,000,000 per order).
        Row {
            symbol: "BTCJPY",
            base: "BTC",
            quote: "JPY",
            base_price: d(14_000_000, 0),
            tick: d(1, 0),
            max_price: d(1_000_000_000, 0),
            step: d(1, 5),
            max_qty: d(9_000, 0),
            market_max_qty: d(1_000_000_000, 8),
            min_notional: d(1_000, 0),
            trades_per_second: 1,
            mean_trade_qty: d(1, 2),
        },
        // A thin book with the Price Range Execution Rule, like testnet's (2026-03-16).
        Row {
            symbol: "BROCCOLI714USDC",
            base: "BROCCOLI714",
            quote: "USDC",
            base_price: d(2, 2),
            tick: d(1, 5),
            max_price: d(1_000, 0),
            step: d(1, 0),
            max_qty: d(90_000_000, 0),
            market_max_qty: d(5_000_000, 0),
            min_notional: d(1, 0),
            trades_per_second: 1,
            mean_trade_qty: d(50, 0),
        },
        // The Unicode symbol Spot Testnet lists since 2025-12-18 (assets `这是测试币` and `456`),
        // so non-ASCII symbols are exercised end to end.
        Row {
            symbol: UNICODE_SYMBOL,
            base: "这是测试币",
            quote: "456",
            base_price: d(125, 2),
            tick: d(1, 4),
            max_price: d(10_000, 0),
            step: d(1, 2),
            max_qty: d(9_000_000, 0),
            market_max_qty: d(1_000_000, 0),
            min_notional: d(1, 0),
            trades_per_second: 2,
            mean_trade_qty: d(40, 0),
        },
    ];
    let mut specs: Vec<SymbolSpec> = rows.into_iter().map(spec_from_row).map(apply_2026_rules).collect();
    // One symbol without One-Pays-the-Other, so its refusal can be seen.
    if let Some(btceur) = specs.iter_mut().find(|s| s.symbol == "BTCEUR") {
        btceur.flags.opo_allowed = false;
    }
    specs
}

/// Reference prices and execution rules of the listing: BTCUSDT's reference price is the
/// engine's 10-second moving average and its takers must stay within 5% of it (testnet enables
/// the rule on BTCUSDT and BROCCOLI714USDC); ETHUSDT's is computed externally (method 3);
/// BNBUSDT had one and has none now; BROCCOLI714USDC is thin (20 levels a side, 1% apart) under
/// the same rule; the others never had one (-2043).
fn apply_2026_rules(mut spec: SymbolSpec) -> SymbolSpec {
    let d = Decimal::new;
    let sma_10s = ReferenceCalc::ArithmeticMean {
        bucket_count: 10,
        bucket_width_ms: 1000,
    };
    match spec.symbol.as_str() {
        "BTCUSDT" => {
            spec.reference = sma_10s;
            spec.price_range = Some(PriceRange::both(d(95, 2), d(105, 2)));
        }
        "ETHUSDT" => spec.reference = ReferenceCalc::External { id: 3 },
        "BNBUSDT" => spec.reference = ReferenceCalc::Stopped,
        "BROCCOLI714USDC" => {
            spec.reference = sma_10s;
            spec.price_range = Some(PriceRange::both(d(95, 2), d(105, 2)));
            spec.book = BookShape {
                gap_ticks: 20,
                levels: 20,
            };
        }
        _ => {}
    }
    spec
}

/// The testnet's Unicode symbol (`testnet/CHANGELOG.md`, 2025-12-18).
pub const UNICODE_SYMBOL: &str = "这是测试币456";

fn spec_from_row(row: Row) -> SymbolSpec {
    let d = Decimal::new;
    let mut permissions = vec!["SPOT".to_owned(), "MARGIN".to_owned()];
    permissions.extend(
        [
            4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
        ]
        .iter()
        .map(|n| format!("TRD_GRP_{n:03}")),
    );
    SymbolSpec {
        symbol: row.symbol.to_owned(),
        status: "TRADING",
        base_asset: row.base.to_owned(),
        quote_asset: row.quote.to_owned(),
        base_asset_precision: 8,
        quote_asset_precision: 8,
        flags: SymbolFlags::ALL,
        price_filter: PriceFilter {
            min_price: row.tick,
            max_price: row.max_price,
            tick_size: row.tick,
        },
        lot_size: LotSize {
            min_qty: row.step,
            max_qty: row.max_qty,
            step_size: row.step,
        },
        market_lot_size: LotSize {
            min_qty: Decimal::ZERO,
            max_qty: row.market_max_qty,
            step_size: Decimal::ZERO,
        },
        iceberg_parts: 100,
        trailing_delta: TrailingDelta {
            min_above: 10,
            max_above: 2000,
            min_below: 10,
            max_below: 2000,
        },
        percent_price_by_side: PercentPriceBySide {
            bid_multiplier_up: d(5, 0),
            bid_multiplier_down: d(2, 1),
            ask_multiplier_up: d(5, 0),
            ask_multiplier_down: d(2, 1),
            avg_price_mins: 5,
        },
        notional: Notional {
            min_notional: row.min_notional,
            apply_min_to_market: true,
            max_notional: d(9_000_000, 0),
            apply_max_to_market: false,
            avg_price_mins: 5,
        },
        order_counts: OrderCountLimits {
            max_num_orders: 200,
            max_num_order_lists: 20,
            max_num_algo_orders: 5,
            max_num_order_amends: 10,
        },
        permission_sets: vec![permissions],
        default_stp_mode: "EXPIRE_MAKER",
        reference: ReferenceCalc::Never,
        price_range: None,
        book: BookShape::DEEP,
        base_price: row.base_price,
        trades_per_second: row.trades_per_second,
        mean_trade_qty: row.mean_trade_qty,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_consistent() {
        let specs = default_symbols();
        let names: Vec<&str> = specs.iter().map(|s| s.symbol.as_str()).collect();
        assert_eq!(
            names,
            [
                "BTCUSDT",
                "ETHUSDT",
                "BNBUSDT",
                "ETHBTC",
                "XRPUSDT",
                "BTCEUR",
                "BTCJPY",
                "BROCCOLI714USDC",
                UNICODE_SYMBOL
            ]
        );
        for s in &specs {
            let tick = s.price_filter.tick_size;
            assert!((s.base_price % tick).is_zero(), "{} base price on tick", s.symbol);
            assert_eq!(1000 % s.trades_per_second, 0);
            assert!(s.mean_trade_qty >= s.lot_size.step_size);
            assert!(s.permission_sets[0].len() == 22);
        }
        // Some symbols never had a reference price, some have a rule on a thin book.
        assert!(specs.iter().any(|s| s.reference == ReferenceCalc::Never));
        let thin = specs.iter().find(|s| s.symbol == "BROCCOLI714USDC").unwrap();
        assert!(thin.price_range.is_some() && thin.book.levels < 100);
    }
}
