//! `order_validate` (local only) and `order_test` (Binance validates, nothing executes).

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use super::{
    Checked, OrderArgs, SignedReads, check_limits, describe_order, notional, validate_and_capture,
    validate_and_capture_with,
};
use crate::config::Environment;
use crate::guard::{self, TEST_VALIDITY};
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};
use spot_client::clock::local_now_ms;
use spot_filters::PriceQuotes;
use spot_filters::execution_rule::{BookSide, RangeCheck, assess};
use spot_types::model::{CommissionDiscount, CommissionRates, NewOrder, OrderType, Side};

// ---- order_validate -------------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidateOutput {
    pub environment: Environment,
    pub valid: bool,
    pub violations: Vec<spot_filters::Violation>,
    /// Rules that cannot be checked locally (Binance still checks them).
    pub unchecked: Vec<String>,
    /// The order as given.
    pub order: NewOrder,
    /// Price rounded to the tick (BUY down, SELL up), quantities down to the step. Use it only if you choose to.
    pub normalized: NewOrder,
    pub normalized_differs: bool,
    /// The price the percent-price and MARKET notional rules used: `source` reference_price
    /// (the symbol's, when it has one), average_price or last_trade.
    pub filter_price: Option<spot_filters::FilterPrice>,
    /// price × quantity (or the filter price for MARKET, or quote_order_qty).
    pub estimated_notional: Option<Decimal>,
    /// Price Range Execution Rule against the current book (MARKET and LIMIT orders); absent when it does not bind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_rule: Option<RangeCheck>,
    /// The symbol's filters (and the account's asset filters) in readable form.
    pub rules: Vec<String>,
    /// Rules that changed since the symbol was last seen (filter, old -> new); also in incidents.md.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_changes: Vec<String>,
}

/// A warning line for the summary when the execution rule would expire the order.
fn range_warning(check: Option<&RangeCheck>) -> String {
    match check {
        Some(c) if c.verdict == "would_expire" => format!("; WARNING: {}", c.message),
        _ => String::new(),
    }
}

impl ToolOutput for ValidateOutput {
    fn summary(&self) -> String {
        let changed = super::filter_change_note(&self.filter_changes);
        if self.valid {
            format!(
                "{}: {} passes every local filter{}{changed}",
                self.environment,
                describe_order(&self.order),
                range_warning(self.execution_rule.as_ref())
            )
        } else {
            let names: Vec<&str> = self.violations.iter().map(|v| v.filter.as_str()).collect();
            format!(
                "{}: {} is INVALID: {}{changed}",
                self.environment,
                describe_order(&self.order),
                names.join(", ")
            )
        }
    }
}

pub async fn order_validate(toolbox: &Toolbox, args: OrderArgs) -> Result<ValidateOutput, ToolError> {
    let env = args.target.environment(toolbox);
    let order = args.to_order()?;
    args.cancel_after()?;
    let reads = SignedReads {
        open_orders: false,
        account_filters: env != Environment::Production || args.target.confirm_production,
    };
    let mut c = validate_and_capture_with(toolbox, "order_validate", env, &order, reads).await?;
    let execution_rule = range_check(toolbox, env, &order, &mut c).await;
    let normalized = c.validation.normalized.clone();
    let mut rules: Vec<String> = c
        .symbol
        .filters
        .iter()
        .map(spot_filters::SymbolFilter::describe)
        .collect();
    rules.extend(
        c.asset_filters
            .iter()
            .flatten()
            .map(spot_filters::AssetFilter::describe),
    );
    Ok(ValidateOutput {
        environment: env,
        valid: c.validation.valid,
        estimated_notional: notional(&order, c.reference_price),
        normalized_differs: guard::order_identity(&normalized) != guard::order_identity(&order),
        violations: c.validation.violations,
        unchecked: c.validation.unchecked,
        order,
        normalized,
        filter_price: c.validation.filter_price,
        execution_rule,
        rules,
        filter_changes: c.filter_changes,
    })
}

/// The execution rule's verdict for a checked order; what could not be judged goes to unchecked.
async fn range_check(toolbox: &Toolbox, env: Environment, order: &NewOrder, c: &mut Checked) -> Option<RangeCheck> {
    match execution_rule_check(toolbox, env, order, &c.quotes).await {
        Ok(check) => check,
        Err(why) => {
            c.validation.unchecked.push(format!(
                "EXECUTION_RULE: the Price Range Execution Rule could not be checked ({why})"
            ));
            None
        }
    }
}

/// The Price Range Execution Rule against the current book, for an order that takes liquidity
/// now (MARKET, or a crossing LIMIT): `Ok(None)` when the rule does not bind the order (no rule,
/// no reference price, a type that does not take now), `Err` with why it could not be judged.
async fn execution_rule_check(
    toolbox: &Toolbox,
    env: Environment,
    order: &NewOrder,
    quotes: &PriceQuotes,
) -> Result<Option<RangeCheck>, String> {
    if !matches!(order.order_type, OrderType::Market | OrderType::Limit) {
        return Ok(None);
    }
    let Some(reference) = quotes.reference.price() else {
        return Ok(None);
    };
    let rule = toolbox
        .price_range_rule(env, &order.symbol)
        .await
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_owned())?;
    let Some(rule) = rule else { return Ok(None) };
    // A LIMIT priced inside the range only takes levels at or better than its price: no need
    // to read the book (it would leave the range only if the book had already left it).
    if let Some(price) = order.price.filter(|_| order.order_type == OrderType::Limit)
        && rule.range(order.side, reference).contains(price)
    {
        return Ok(None);
    }
    let mut verdict = None;
    for limit in [100u32, 1000] {
        let book = toolbox
            .client(env)
            .depth(&order.symbol, Some(limit))
            .await
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_owned())?;
        let side = match order.side {
            Side::Buy => book.asks,
            Side::Sell => book.bids,
        };
        let levels: Vec<(Decimal, Decimal)> = side.iter().map(|l| (l.0, l.1)).collect();
        let truncated = levels.len() >= limit as usize;
        verdict = assess(
            order,
            &rule,
            reference,
            BookSide {
                levels: &levels,
                truncated,
            },
        );
        if verdict.as_ref().is_none_or(|v| v.verdict != "unknown") {
            break;
        }
    }
    // An order that does not take now is not bound by the rule: nothing to report.
    Ok(verdict.filter(|v| v.verdict != "does_not_take"))
}

// ---- order_test -----------------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct FeeEstimate {
    /// The asset the fee is charged in (base asset for BUY, quote asset for SELL).
    pub asset: String,
    /// Fee if the order fills as maker (standard + tax + special rates).
    pub if_maker: Decimal,
    /// Fee if the order fills as taker.
    pub if_taker: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TestOutput {
    pub environment: Environment,
    pub passed: bool,
    pub order: NewOrder,
    /// order_place with the identical payload is allowed until then.
    pub valid_until_utc: String,
    pub standard_commission: Option<CommissionRates>,
    pub special_commission: Option<CommissionRates>,
    pub tax_commission: Option<CommissionRates>,
    pub discount: Option<CommissionDiscount>,
    pub estimated_fee: Option<FeeEstimate>,
    pub unchecked: Vec<String>,
    /// Rules that changed since the symbol was last seen (filter, old -> new); also in incidents.md.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_changes: Vec<String>,
    /// As in order_validate: whether Binance would expire it at a price outside the execution price range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_rule: Option<RangeCheck>,
}

impl ToolOutput for TestOutput {
    fn summary(&self) -> String {
        let fee = self
            .estimated_fee
            .as_ref()
            .map(|f| {
                format!(
                    "; estimated fee {} (maker) / {} (taker) {}",
                    f.if_maker, f.if_taker, f.asset
                )
            })
            .unwrap_or_default();
        format!(
            "{}: test order PASSED for {}{fee}. order_place with the identical payload is allowed until {}{}{}",
            self.environment,
            describe_order(&self.order),
            self.valid_until_utc,
            range_warning(self.execution_rule.as_ref()),
            super::filter_change_note(&self.filter_changes)
        )
    }
}

fn rate_sum(rates: &[Option<&CommissionRates>], maker: bool) -> Decimal {
    rates
        .iter()
        .flatten()
        .map(|r| if maker { r.maker } else { r.taker })
        .sum()
}

pub async fn order_test(toolbox: &Toolbox, args: OrderArgs) -> Result<TestOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_test")?;
    let order = args.to_order()?;
    args.cancel_after()?;
    if let Some(id) = &order.new_client_order_id {
        guard::client_order_id(Some(id))?;
        toolbox.store()?.require_new_client_id(env, id)??;
    }
    let prefs = toolbox.preferences()?;
    let mut c = validate_and_capture(toolbox, "order_test", env, &order, true).await?;
    if !c.validation.valid {
        return Err(super::refuse_checked(&c));
    }
    // A test the limits would refuse at placement is refused now, before anything is sent.
    check_limits(toolbox, &prefs, env, &c.symbol, notional(&order, c.reference_price))?;
    if env == Environment::Production {
        toolbox
            .audit()
            .confirmation(env, "order_test", "argument", &describe_order(&order));
    }
    let result = toolbox.client(env).test_order(&order, true).await?;
    let execution_rule = range_check(toolbox, env, &order, &mut c).await;
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::TestPassed {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: order.symbol.clone(),
        identity: guard::order_identity(&order),
        shape: guard::order_shape(&order),
    })?;
    let rates = [
        result.standard_commission_for_order.as_ref(),
        result.special_commission_for_order.as_ref(),
        result.tax_commission_for_order.as_ref(),
    ];
    // Fees are charged on what is received: base quantity on BUY, quote notional on SELL.
    let estimated_fee = match order.side {
        Side::Buy => order
            .quantity
            .or_else(|| Some(order.quote_order_qty? / c.reference_price?))
            .map(|q| (c.symbol.base_asset.clone(), q)),
        Side::Sell => notional(&order, c.reference_price).map(|n| (c.symbol.quote_asset.clone(), n)),
    }
    .map(|(asset, received)| FeeEstimate {
        asset,
        if_maker: (received * rate_sum(&rates, true)).round_dp(8).normalize(),
        if_taker: (received * rate_sum(&rates, false)).round_dp(8).normalize(),
    });
    Ok(TestOutput {
        environment: env,
        passed: true,
        valid_until_utc: utc(now + TEST_VALIDITY.as_millis() as i64),
        order,
        standard_commission: result.standard_commission_for_order,
        special_commission: result.special_commission_for_order,
        tax_commission: result.tax_commission_for_order,
        discount: result.discount,
        estimated_fee,
        unchecked: c.validation.unchecked,
        filter_changes: c.filter_changes,
        execution_rule,
    })
}
