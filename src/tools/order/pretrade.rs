//! `order_validate` (local only) and `order_test` (Binance validates, nothing executes).

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use super::{OrderArgs, check, check_limits, describe_order, notional};
use crate::config::Environment;
use crate::guard::{self, TEST_VALIDITY};
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};
use spot_client::clock::local_now_ms;
use spot_types::model::{CommissionDiscount, CommissionRates, NewOrder, Side};

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
    /// Reference (average) price used for percent-price and MARKET notional rules.
    pub reference_price: Option<Decimal>,
    /// price × quantity (or the reference price for MARKET, or quote_order_qty).
    pub estimated_notional: Option<Decimal>,
    /// The symbol's filters in readable form.
    pub rules: Vec<String>,
    /// Rules that changed since the symbol was last seen (filter, old -> new); also in incidents.md.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_changes: Vec<String>,
}

impl ToolOutput for ValidateOutput {
    fn summary(&self) -> String {
        let changed = super::filter_change_note(&self.filter_changes);
        if self.valid {
            format!(
                "{}: {} passes every local filter{changed}",
                self.environment,
                describe_order(&self.order)
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

pub async fn order_validate(tb: &Toolbox, args: OrderArgs) -> Result<ValidateOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    let order = args.to_order()?;
    args.cancel_after()?;
    let c = check(tb, "order_validate", env, &order, false).await?;
    let normalized = c.validation.normalized.clone();
    Ok(ValidateOutput {
        environment: env,
        valid: c.validation.valid,
        estimated_notional: notional(&order, c.reference_price),
        normalized_differs: guard::order_identity(&normalized) != guard::order_identity(&order),
        violations: c.validation.violations,
        unchecked: c.validation.unchecked,
        order,
        normalized,
        reference_price: c.reference_price.map(|p| p.normalize()),
        rules: c
            .symbol
            .filters
            .iter()
            .map(spot_filters::SymbolFilter::describe)
            .collect(),
        filter_changes: c.filter_changes,
    })
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
            "{}: test order PASSED for {}{fee}. order_place with the identical payload is allowed until {}{}",
            self.environment,
            describe_order(&self.order),
            self.valid_until_utc,
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

pub async fn order_test(tb: &Toolbox, args: OrderArgs) -> Result<TestOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_test")?;
    let order = args.to_order()?;
    args.cancel_after()?;
    if let Some(id) = &order.new_client_order_id {
        guard::client_order_id(Some(id))?;
        tb.store()?.require_new_client_id(env, id)??;
    }
    let prefs = tb.preferences()?;
    let c = check(tb, "order_test", env, &order, true).await?;
    if !c.validation.valid {
        return Err(super::refuse_checked(&c));
    }
    // A test the limits would refuse at placement is refused now, before anything is sent.
    check_limits(tb, &prefs, env, &c.symbol, notional(&order, c.reference_price))?;
    if env == Environment::Production {
        tb.audit()
            .confirmation(env, "order_test", "argument", &describe_order(&order));
    }
    let result = tb.client(env).test_order(&order, true).await?;
    let now = local_now_ms();
    tb.store()?.record(&LedgerEvent::TestPassed {
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
    })
}
