//! Order tools: validate locally, test at Binance, place through the gate, then reconcile;
//! cancel, status, open orders, history.

use std::time::Duration;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::amount::Amount;
use super::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use crate::binance::clock::local_now_ms;
use crate::binance::error::codes;
use crate::binance::model::{
    CommissionDiscount, CommissionRates, NewOrder, OrderReport, OrderType, Side, StpMode, SymbolInfo, TimeInForce,
};
use crate::binance::{BinanceError, HistoryQuery, OrderRef};
use crate::config::{Environment, TradeMode};
use crate::filters::{OpenOrderCounts, Validation, ValidationContext, validate};
use crate::guard::{self, TEST_VALIDITY};
use crate::memory::ledger::LedgerEvent;
use crate::memory::preferences::Preferences;

/// The order payload shared by order_validate, order_test and order_place: the identical
/// arguments go through all three.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderArgs {
    /// e.g. BTCUSDT
    pub symbol: String,
    pub side: Side,
    /// LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// GTC, IOC or FOK; required for LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT.
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Base-asset quantity as a decimal string, e.g. "0.001".
    #[serde(default)]
    pub quantity: Option<Amount>,
    /// MARKET only: quote amount to spend (BUY) or receive (SELL), instead of quantity.
    #[serde(default)]
    pub quote_order_qty: Option<Amount>,
    /// Limit price as a decimal string.
    #[serde(default)]
    pub price: Option<Amount>,
    /// Trigger price of stop-loss / take-profit orders.
    #[serde(default)]
    pub stop_price: Option<Amount>,
    /// Trailing stop in BIPS (100 = 1%).
    #[serde(default)]
    pub trailing_delta: Option<u32>,
    /// Visible quantity of an iceberg order.
    #[serde(default)]
    pub iceberg_qty: Option<Amount>,
    /// Your id for the order (^[a-zA-Z0-9-_]{1,36}$); generated when absent.
    #[serde(default)]
    pub client_order_id: Option<String>,
    #[serde(default)]
    pub self_trade_prevention_mode: Option<StpMode>,
    /// testnet (default), demo, production
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production only: true after the human agreed to this order
    #[serde(default)]
    pub confirm_production: bool,
}

impl OrderArgs {
    /// The order exactly as it would be sent (client id as given, possibly none).
    pub fn to_order(&self) -> Result<NewOrder, ToolError> {
        Ok(NewOrder {
            symbol: normalize_symbol(&self.symbol)?,
            side: self.side,
            order_type: self.order_type,
            time_in_force: self.time_in_force,
            quantity: self.quantity.map(|a| a.0),
            quote_order_qty: self.quote_order_qty.map(|a| a.0),
            price: self.price.map(|a| a.0),
            stop_price: self.stop_price.map(|a| a.0),
            trailing_delta: self.trailing_delta,
            iceberg_qty: self.iceberg_qty.map(|a| a.0),
            new_client_order_id: self.client_order_id.clone(),
            self_trade_prevention_mode: self.self_trade_prevention_mode,
        })
    }
}

/// A one-line description a human can approve, e.g. `BUY 0.001 BTCUSDT LIMIT GTC @ 95000`.
pub fn describe_order(order: &NewOrder) -> String {
    let mut s = format!("{} ", order.side.as_str());
    match (order.quantity, order.quote_order_qty) {
        (Some(q), _) => s.push_str(&format!("{} {}", q.normalize(), order.symbol)),
        (None, Some(q)) => s.push_str(&format!("{} worth of {}", q.normalize(), order.symbol)),
        (None, None) => s.push_str(&order.symbol),
    }
    s.push_str(&format!(" {}", order.order_type.as_str()));
    if let Some(t) = order.time_in_force {
        s.push_str(&format!(" {}", t.as_str()));
    }
    if let Some(p) = order.price {
        s.push_str(&format!(" @ {}", p.normalize()));
    }
    if let Some(p) = order.stop_price {
        s.push_str(&format!(" stop {}", p.normalize()));
    }
    if let Some(d) = order.trailing_delta {
        s.push_str(&format!(" trailing {d} bips"));
    }
    if let Some(q) = order.iceberg_qty {
        s.push_str(&format!(" iceberg {}", q.normalize()));
    }
    s
}

fn notional(order: &NewOrder, reference: Option<Decimal>) -> Option<Decimal> {
    if let Some(q) = order.quote_order_qty {
        return Some(q);
    }
    let price = if order.order_type.has_limit_price() {
        order.price
    } else {
        reference
    };
    Some((order.quantity? * price?).normalize())
}

struct Checked {
    validation: Validation,
    symbol: SymbolInfo,
    reference_price: Option<Decimal>,
}

/// The human's limits from memory.md, checked against this order and today's orders.
fn check_limits(
    tb: &Toolbox,
    prefs: &Preferences,
    env: Environment,
    order: &NewOrder,
    c: &Checked,
) -> Result<(), ToolError> {
    let day_start = local_now_ms() - local_now_ms().rem_euclid(86_400_000);
    let quote = &c.symbol.quote_asset;
    let placed_today = tb.ledger().notional_since(env, quote, day_start)?;
    guard::require_within_limits(
        prefs,
        env,
        order,
        quote,
        notional(order, c.reference_price),
        placed_today,
    )?;
    Ok(())
}

/// Local filter validation, captured in snapshots/. `with_open_orders` adds the MAX_NUM_*
/// checks (a signed read).
async fn check(
    tb: &Toolbox,
    tool: &str,
    env: Environment,
    order: &NewOrder,
    with_open_orders: bool,
) -> Result<Checked, ToolError> {
    let mut fetch = tb.symbols(env, std::slice::from_ref(&order.symbol)).await?;
    let symbol = fetch
        .infos
        .pop()
        .ok_or_else(|| ToolError::internal("exchangeInfo returned no symbol"))?;
    let reference_price = match tb.reference_price(env, &order.symbol).await {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "no reference price; PERCENT_PRICE and MARKET notional stay unchecked");
            None
        }
    };
    let open_orders = if with_open_orders {
        let open = tb.client(env).open_orders(Some(&order.symbol)).await?;
        Some(OpenOrderCounts {
            total: open.len() as u32,
            algo: open
                .iter()
                .filter(|o| {
                    matches!(
                        o.order_type.as_deref(),
                        Some("STOP_LOSS" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT" | "TAKE_PROFIT_LIMIT")
                    )
                })
                .count() as u32,
            iceberg: open
                .iter()
                .filter(|o| o.iceberg_qty.is_some_and(|q| !q.is_zero()))
                .count() as u32,
        })
    } else {
        None
    };
    let validation = validate(
        order,
        &ValidationContext {
            symbol: &symbol,
            reference_price,
            open_orders,
        },
    );
    let capture = serde_json::json!({
        "tool": tool,
        "environment": env,
        "at": utc(local_now_ms()),
        "order": order,
        "verdict": if validation.valid { "valid" } else { "invalid" },
        "violations": validation.violations,
        "unchecked": validation.unchecked,
        "reference_price": reference_price,
        "open_orders": open_orders.map(|o| serde_json::json!({"total": o.total, "algo": o.algo, "iceberg": o.iceberg})),
        "filters_used": symbol.filters,
    });
    if let Err(e) = tb.snapshots().record_check(env, &order.symbol, tool, &capture) {
        tracing::warn!(error = %e, "could not write the validation capture");
    }
    Ok(Checked {
        validation,
        symbol,
        reference_price,
    })
}

fn refuse_invalid(validation: &Validation) -> ToolError {
    let lines: Vec<String> = validation
        .violations
        .iter()
        .map(|v| {
            if v.nearest_valid.is_empty() {
                format!("- {}: {} ({})", v.filter, v.message, v.value)
            } else {
                format!(
                    "- {}: {} ({}; nearest valid: {})",
                    v.filter,
                    v.message,
                    v.value,
                    v.nearest_valid.join(" or ")
                )
            }
        })
        .collect();
    ToolError::invalid(format!(
        "the order breaks the symbol's filters, so it was not sent:\n{}\nFix the values (order_validate shows a normalized payload) and try again.",
        lines.join("\n")
    ))
}

// ---- order_validate -------------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidateOutput {
    pub environment: Environment,
    pub valid: bool,
    pub violations: Vec<crate::filters::Violation>,
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
}

impl ToolOutput for ValidateOutput {
    fn summary(&self) -> String {
        if self.valid {
            format!(
                "{}: {} passes every local filter",
                self.environment,
                describe_order(&self.order)
            )
        } else {
            let names: Vec<&str> = self.violations.iter().map(|v| v.filter.as_str()).collect();
            format!(
                "{}: {} is INVALID: {}",
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
            .map(crate::filters::SymbolFilter::describe)
            .collect(),
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
            "{}: test order PASSED for {}{fee}. order_place with the identical payload is allowed until {}",
            self.environment,
            describe_order(&self.order),
            self.valid_until_utc
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
    if let Some(id) = &order.new_client_order_id {
        guard::client_order_id(Some(id))?;
    }
    let prefs = tb.preferences()?;
    let c = check(tb, "order_test", env, &order, true).await?;
    if !c.validation.valid {
        return Err(refuse_invalid(&c.validation));
    }
    // A test the limits would refuse at placement is refused now, before anything is sent.
    check_limits(tb, &prefs, env, &order, &c)?;
    if env == Environment::Production {
        tb.audit()
            .confirmation(env, "order_test", "argument", &describe_order(&order));
    }
    let result = tb.client(env).test_order(&order, true).await?;
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::TestPassed {
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
    })
}

// ---- order_place ----------------------------------------------------------------------------

/// What is known about a placed order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlaceOutput {
    pub environment: Environment,
    /// `live` or `paper`.
    pub mode: String,
    pub client_order_id: String,
    pub order_id: Option<u64>,
    /// Binance status (NEW, PARTIALLY_FILLED, FILLED ...), `PAPER_FILLED`, or `UNKNOWN`.
    pub status: String,
    /// True when the status is not confirmed by a query: check order_status before acting on it.
    pub provisional: bool,
    /// `accepted`, `reconciled_after_unknown_outcome`, `absent_after_unknown_outcome`, `unknown`, `paper`.
    pub outcome: String,
    pub executed_qty: Option<Decimal>,
    /// Average fill price (cumulative quote / executed quantity).
    pub avg_price: Option<Decimal>,
    pub order: NewOrder,
    /// The latest report from Binance.
    pub report: Option<OrderReport>,
    pub next_step: String,
}

impl ToolOutput for PlaceOutput {
    fn summary(&self) -> String {
        format!(
            "{} ({}): {} -> {}{} [client id {}{}]",
            self.environment,
            self.mode,
            describe_order(&self.order),
            self.status,
            if self.provisional { " (provisional)" } else { "" },
            self.client_order_id,
            self.order_id.map(|id| format!(", order id {id}")).unwrap_or_default()
        )
    }
}

/// How the human confirmed a production order, for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Not production.
    NotNeeded,
    /// `confirm_production: true` (the client cannot ask the human, or BINANCE_CONFIRM=argument).
    Argument,
    /// The human approved the exact order in the client.
    Elicited,
}

/// A timeout, a 5XX, -1006 or -1007 after sending: the order may or may not exist.
pub fn is_unknown_outcome(e: &BinanceError) -> bool {
    match e {
        BinanceError::Transport { source, .. } => !source.is_connect() && !source.is_builder(),
        BinanceError::Api { status, code, .. } => {
            *status >= 500 || *code == codes::UNEXPECTED_RESP || *code == codes::TIMEOUT
        }
        BinanceError::Http { status, .. } => *status >= 500,
        BinanceError::Decode { .. } => true,
        BinanceError::MissingCredentials { .. } | BinanceError::EnvironmentDisabled { .. } => false,
    }
}

/// Delays between reconciliation queries after an unknown outcome (bounded: about 8 s in all).
const RECONCILE_BACKOFF_MS: [u64; 5] = [250, 500, 1000, 2000, 4000];

pub async fn order_place(tb: &Toolbox, args: OrderArgs, approval: Approval) -> Result<PlaceOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_place")?;
    guard::require_trading_allowed(tb.config(), tb.memory())?;
    let mut order = args.to_order()?;
    let client_order_id = guard::client_order_id(order.new_client_order_id.as_deref())?;
    let prefs = tb.preferences()?;
    let c = check(tb, "order_place", env, &order, true).await?;
    if !c.validation.valid {
        return Err(refuse_invalid(&c.validation));
    }
    guard::require_recent_test(tb.ledger(), env, &order, local_now_ms())?;
    let order_notional = notional(&order, c.reference_price);
    let quote_asset = c.symbol.quote_asset.clone();
    check_limits(tb, &prefs, env, &order, &c)?;
    if env == Environment::Production {
        let listed = listed_on_a_rehearsal_environment(tb, &order.symbol).await?;
        guard::require_rehearsed_shape(tb.ledger(), &order, listed)?;
        let how = if approval == Approval::Elicited {
            "elicitation_accepted"
        } else {
            "argument"
        };
        tb.audit()
            .confirmation(env, "order_place", how, &describe_order(&order));
    }
    order.new_client_order_id = Some(client_order_id.clone());
    if tb.config().trade_mode == TradeMode::Paper {
        return paper_fill(tb, env, order, client_order_id).await;
    }
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::OrderReserved {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.clone(),
        identity: guard::order_identity(&order),
        shape: guard::order_shape(&order),
        order: serde_json::to_value(&order).unwrap_or_default(),
        notional: order_notional,
        quote_asset: Some(quote_asset),
    })?;
    match tb.client(env).place_order(&order).await {
        Ok(report) => {
            let now = local_now_ms();
            let shape = guard::order_shape(&order);
            let first_of_shape = env == Environment::Production && !tb.ledger().shape_accepted(env, &shape)?;
            tb.ledger().record(&LedgerEvent::OrderAccepted {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id: client_order_id.clone(),
                order_id: report.order_id,
                status: report.status.clone().unwrap_or_default(),
                shape: Some(shape),
            })?;
            // The placement answer is provisional; a query confirms the state.
            let confirmed = tb
                .client(env)
                .query_order(&order.symbol, &OrderRef::ClientId(client_order_id.clone()))
                .await;
            let (report, provisional) = match confirmed {
                Ok(q) => (merge_fills(q, &report), false),
                Err(e) => {
                    tracing::warn!(error = %e, "could not confirm the placed order");
                    (report, true)
                }
            };
            let out = placed(env, order, client_order_id, report, provisional, "accepted");
            if first_of_shape {
                write_runbook(tb, &out, &c.symbol);
            }
            Ok(out)
        }
        Err(e) if is_unknown_outcome(&e) => {
            let now = local_now_ms();
            tb.ledger().record(&LedgerEvent::OrderUnknown {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id: client_order_id.clone(),
                error: e.to_string(),
            })?;
            let out = reconcile(tb, env, order, client_order_id, e.to_string()).await;
            if let Some(mut incident) = crate::memory::incidents::Incident::from_error(&e, "") {
                incident.action = match &out {
                    Ok(o) => format!(
                        "did NOT resend; queried the order by client id: outcome {}, status {}",
                        o.outcome, o.status
                    ),
                    Err(err) => format!("did NOT resend; reconciliation failed: {err}"),
                };
                if let Err(err) = crate::memory::incidents::Incidents::new(tb.memory().clone()).record(&incident) {
                    tracing::warn!(error = %err, "could not write incidents.md");
                }
            }
            out
        }
        Err(e) => {
            if let Some(incident) =
                crate::memory::incidents::Incident::from_error(&e, "order not placed; returned the error to the agent")
                && let Err(err) = crate::memory::incidents::Incidents::new(tb.memory().clone()).record(&incident)
            {
                tracing::warn!(error = %err, "could not write incidents.md");
            }
            let now = local_now_ms();
            tb.ledger().record(&LedgerEvent::OrderRejected {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id,
                code: e.code(),
                message: e.to_string(),
            })?;
            Err(e.into())
        }
    }
}

/// The first time an order shape succeeds in production, its steps go to runbooks.md.
fn write_runbook(tb: &Toolbox, out: &PlaceOutput, symbol: &SymbolInfo) {
    let at = crate::memory::incidents::human_time(local_now_ms());
    let rules: Vec<String> = symbol
        .filters
        .iter()
        .map(crate::filters::SymbolFilter::describe)
        .map(|r| format!("  - {r}"))
        .collect();
    let text = format!(
        "\n## {at} · first production order of this shape: {shape}\n_Written automatically by binance-mcp._\n\n1. order_validate: passed the local filters\n2. order_test: passed on production (and this shape was rehearsed on testnet or demo before)\n3. order_place: {desc}, client order id {id}\n4. reconcile: order_status says {status}{prov}\n\nFilters used:\n{rules}\n",
        shape = guard::order_shape(&out.order),
        desc = describe_order(&out.order),
        id = out.client_order_id,
        status = out.status,
        prov = if out.provisional {
            " (provisional: not yet confirmed by a query)"
        } else {
            ""
        },
        rules = rules.join("\n"),
    );
    if let Err(e) = tb.memory().append_text("runbooks.md", &text) {
        tracing::warn!(error = %e, "could not write runbooks.md");
    }
}

/// Queries by client order id until Binance says whether the order exists; never re-sends.
async fn reconcile(
    tb: &Toolbox,
    env: Environment,
    order: NewOrder,
    client_order_id: String,
    cause: String,
) -> Result<PlaceOutput, ToolError> {
    let mut absent = false;
    for delay in RECONCILE_BACKOFF_MS {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        match tb
            .client(env)
            .query_order(&order.symbol, &OrderRef::ClientId(client_order_id.clone()))
            .await
        {
            Ok(report) => {
                record_reconciled(tb, env, &client_order_id, "exists", Some(&report))?;
                let mut out = placed(
                    env,
                    order,
                    client_order_id,
                    report,
                    false,
                    "reconciled_after_unknown_outcome",
                );
                out.next_step = format!(
                    "The placement answer was lost ({cause}); the order was found by its client id. Do not place it again. {}",
                    out.next_step
                );
                return Ok(out);
            }
            Err(e) if e.code() == Some(codes::NO_SUCH_ORDER) => absent = true,
            Err(e) => tracing::warn!(error = %e, "reconciliation query failed"),
        }
    }
    let outcome = if absent { "absent" } else { "still_unknown" };
    record_reconciled(tb, env, &client_order_id, outcome, None)?;
    Ok(PlaceOutput {
        environment: env,
        mode: "live".into(),
        client_order_id: client_order_id.clone(),
        order_id: None,
        status: if absent { "NOT_FOUND".into() } else { "UNKNOWN".into() },
        provisional: true,
        outcome: if absent {
            "absent_after_unknown_outcome".into()
        } else {
            "unknown".into()
        },
        executed_qty: None,
        avg_price: None,
        order,
        report: None,
        next_step: format!(
            "The placement answer was lost ({cause}) and Binance {} this client id. Do NOT send the order again: check order_status with client_order_id {client_order_id} and order_open_list first, and tell the human.",
            if absent {
                "does not (yet) know"
            } else {
                "could not be asked about"
            }
        ),
    })
}

fn record_reconciled(
    tb: &Toolbox,
    env: Environment,
    client_order_id: &str,
    outcome: &str,
    report: Option<&OrderReport>,
) -> Result<(), ToolError> {
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::Reconciled {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.to_owned(),
        outcome: outcome.to_owned(),
        order_id: report.map(|r| r.order_id),
        status: report.and_then(|r| r.status.clone()),
    })?;
    Ok(())
}

/// A query answer has no fills; keep the placement's fills next to the confirmed status.
fn merge_fills(mut query: OrderReport, placement: &OrderReport) -> OrderReport {
    if query.fills.is_empty() {
        query.fills = placement.fills.clone();
    }
    query
}

fn placed(
    env: Environment,
    order: NewOrder,
    client_order_id: String,
    report: OrderReport,
    provisional: bool,
    outcome: &str,
) -> PlaceOutput {
    let executed = report.executed_qty;
    let avg_price = match (report.cummulative_quote_qty, executed) {
        (Some(quote), Some(qty)) if !qty.is_zero() && quote >= Decimal::ZERO => {
            Some((quote / qty).round_dp(8).normalize())
        }
        _ => None,
    };
    let status = report.status.clone().unwrap_or_else(|| "UNKNOWN".into());
    let next_step = if report.is_final() {
        format!("The order is {status}. Check balances with account_balances if needed.")
    } else {
        format!(
            "The order is {status}. Follow it with order_status (client_order_id {client_order_id}); cancel with order_cancel."
        )
    };
    PlaceOutput {
        environment: env,
        mode: "live".into(),
        client_order_id,
        order_id: Some(report.order_id),
        status,
        provisional,
        outcome: outcome.into(),
        executed_qty: executed.map(|q| q.normalize()),
        avg_price,
        order,
        report: Some(report),
        next_step,
    }
}

async fn listed_on_a_rehearsal_environment(tb: &Toolbox, symbol: &str) -> Result<bool, ToolError> {
    for env in [Environment::Testnet, Environment::Demo] {
        match tb.symbols(env, &[symbol.to_owned()]).await {
            Ok(_) => return Ok(true),
            Err(ToolError::Binance(e)) if e.code() == Some(codes::BAD_SYMBOL) => continue,
            Err(ToolError::InvalidArgument(_)) => continue,
            Err(e) => {
                return Err(ToolError::Refused(guard::Refusal {
                    rule: "rehearse_on_testnet",
                    reason: format!("cannot check whether {symbol} is listed on {env}: {e}"),
                    what_to_do: "Retry when testnet is reachable; production orders need a rehearsal of their shape there first.".into(),
                }));
            }
        }
    }
    Ok(false)
}

async fn paper_fill(
    tb: &Toolbox,
    env: Environment,
    order: NewOrder,
    client_order_id: String,
) -> Result<PlaceOutput, ToolError> {
    let mut books = tb.client(env).book_ticker(std::slice::from_ref(&order.symbol)).await?;
    let book = books
        .pop()
        .ok_or_else(|| ToolError::internal("no book ticker for the symbol"))?;
    let touch = match order.side {
        Side::Buy => book.ask_price,
        Side::Sell => book.bid_price,
    };
    // A limit that does not reach the book would rest; paper mode does not simulate resting orders.
    let marketable = match (order.order_type.has_limit_price(), order.price, order.side) {
        (false, _, _) | (true, None, _) => true,
        (true, Some(limit), Side::Buy) => limit >= touch,
        (true, Some(limit), Side::Sell) => limit <= touch,
    };
    if !marketable
        || order.order_type == OrderType::LimitMaker
        || order.stop_price.is_some()
        || order.trailing_delta.is_some()
    {
        return Err(ToolError::invalid(format!(
            "paper mode fills only orders that would execute now at the book ({} {touch}); this {} order would rest or wait for a trigger, which paper mode does not simulate",
            if order.side == Side::Buy {
                "best ask"
            } else {
                "best bid"
            },
            order.order_type.as_str()
        )));
    }
    let price = touch;
    let quantity = match (order.quantity, order.quote_order_qty) {
        (Some(q), _) => q,
        (None, Some(quote)) if !price.is_zero() => (quote / price).round_dp(8),
        _ => Decimal::ZERO,
    };
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::PaperFill {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.clone(),
        symbol: order.symbol.clone(),
        side: order.side.as_str().into(),
        quantity: quantity.normalize().to_string(),
        price: price.normalize().to_string(),
    })?;
    Ok(PlaceOutput {
        environment: env,
        mode: "paper".into(),
        client_order_id,
        order_id: None,
        status: "PAPER_FILLED".into(),
        provisional: false,
        outcome: "paper".into(),
        executed_qty: Some(quantity.normalize()),
        avg_price: Some(price.normalize()),
        order,
        report: None,
        next_step: "Paper mode (BINANCE_TRADE_MODE=paper): nothing was sent to the matching engine; the simulated fill is in ledger.jsonl.".into(),
    })
}

// ---- order_cancel / order_status ------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRefArgs {
    /// e.g. BTCUSDT
    pub symbol: String,
    /// Binance order id (give this or client_order_id).
    #[serde(default)]
    pub order_id: Option<u64>,
    /// Your client order id (give this or order_id).
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// testnet (default), demo, production
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production only: true after the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

impl OrderRefArgs {
    fn order_ref(&self) -> Result<OrderRef, ToolError> {
        match (self.order_id, &self.client_order_id) {
            (Some(id), None) => Ok(OrderRef::Id(id)),
            (None, Some(c)) => Ok(OrderRef::ClientId(guard::client_order_id(Some(c))?)),
            (Some(_), Some(_)) => Err(ToolError::invalid("give order_id or client_order_id, not both")),
            (None, None) => Err(ToolError::invalid("give order_id or client_order_id")),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderOutput {
    pub environment: Environment,
    pub order: OrderReport,
    /// Executed quantity / original quantity, in percent.
    pub filled_percent: Option<Decimal>,
    pub avg_price: Option<Decimal>,
    pub is_final: bool,
}

impl ToolOutput for OrderOutput {
    fn summary(&self) -> String {
        format!(
            "{} {} order {} ({}): {} {} of {}",
            self.environment,
            self.order.symbol,
            self.order.order_id,
            self.order.client_order_id,
            self.order.status.as_deref().unwrap_or("?"),
            self.order
                .executed_qty
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            self.order
                .orig_qty
                .map(|q| q.normalize().to_string())
                .unwrap_or_default()
        )
    }
}

fn order_output(env: Environment, order: OrderReport) -> OrderOutput {
    let filled_percent = match (order.executed_qty, order.orig_qty) {
        (Some(e), Some(o)) if !o.is_zero() => Some((e / o * Decimal::ONE_HUNDRED).round_dp(2).normalize()),
        _ => None,
    };
    let avg_price = match (order.cummulative_quote_qty, order.executed_qty) {
        (Some(q), Some(e)) if !e.is_zero() && q >= Decimal::ZERO => Some((q / e).round_dp(8).normalize()),
        _ => None,
    };
    OrderOutput {
        environment: env,
        is_final: order.is_final(),
        filled_percent,
        avg_price,
        order,
    }
}

pub async fn order_cancel(tb: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_cancel")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let order_ref = args.order_ref()?;
    if env == Environment::Production {
        tb.audit().confirmation(
            env,
            "order_cancel",
            "argument",
            &format!("cancel {symbol} {order_ref:?}"),
        );
    }
    let report = tb.client(env).cancel_order(&symbol, &order_ref).await?;
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::OrderCanceled {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: symbol.clone(),
        order_id: report.order_id,
        client_order_id: report
            .orig_client_order_id
            .clone()
            .unwrap_or_else(|| report.client_order_id.clone()),
    })?;
    Ok(order_output(env, report))
}

pub async fn order_status(tb: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_status")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let report = tb.client(env).query_order(&symbol, &args.order_ref()?).await?;
    Ok(order_output(env, report))
}

// ---- order_cancel_all / order_open_list / order_history -------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolScopeArgs {
    /// e.g. BTCUSDT
    pub symbol: String,
    /// testnet (default), demo, production
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production only: true after the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenOrdersArgs {
    /// Symbol; absent lists every symbol (costs 80 request weight instead of 6).
    #[serde(default)]
    pub symbol: Option<String>,
    /// testnet (default), demo, production
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production only: true after the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrdersOutput {
    pub environment: Environment,
    pub count: usize,
    pub orders: Vec<OrderReport>,
    /// True when only the latest 100 are listed.
    pub truncated: bool,
}

impl ToolOutput for OrdersOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .orders
            .iter()
            .take(5)
            .map(|o| format!("{} {} {}", o.symbol, o.order_id, o.status.as_deref().unwrap_or("?")))
            .collect();
        format!(
            "{}: {} orders{}{}",
            self.environment,
            self.count,
            if shown.is_empty() { "" } else { ": " },
            shown.join(", ")
        )
    }
}

const MAX_ORDERS_LISTED: usize = 100;

fn orders_output(env: Environment, mut orders: Vec<OrderReport>) -> OrdersOutput {
    let count = orders.len();
    let skip = count.saturating_sub(MAX_ORDERS_LISTED);
    let orders = orders.split_off(skip);
    OrdersOutput {
        environment: env,
        count,
        orders,
        truncated: skip > 0,
    }
}

pub async fn order_cancel_all(tb: &Toolbox, args: SymbolScopeArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_cancel_all")?;
    let symbol = normalize_symbol(&args.symbol)?;
    if env == Environment::Production {
        tb.audit()
            .confirmation(env, "order_cancel_all", "argument", &format!("cancel all {symbol}"));
    }
    let canceled = match tb.client(env).cancel_all(&symbol).await {
        Ok(c) => c,
        // Binance answers "Unknown order sent." when there is nothing to cancel.
        Err(e) if e.code() == Some(codes::CANCEL_REJECTED) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let now = local_now_ms();
    for report in &canceled {
        tb.ledger().record(&LedgerEvent::OrderCanceled {
            at: utc(now),
            at_ms: now,
            environment: env,
            symbol: symbol.clone(),
            order_id: report.order_id,
            client_order_id: report
                .orig_client_order_id
                .clone()
                .unwrap_or_else(|| report.client_order_id.clone()),
        })?;
    }
    Ok(orders_output(env, canceled))
}

pub async fn order_open_list(tb: &Toolbox, args: OpenOrdersArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_open_list")?;
    let symbol = args.symbol.as_deref().map(normalize_symbol).transpose()?;
    let orders = tb.client(env).open_orders(symbol.as_deref()).await?;
    Ok(orders_output(env, orders))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryArgs {
    /// e.g. BTCUSDT
    pub symbol: String,
    /// Orders with this id and newer.
    #[serde(default)]
    pub order_id: Option<u64>,
    /// ms since epoch; start and end at most 24 h apart.
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    /// 1..1000 (default 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// testnet (default), demo, production
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production only: true after the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

impl HistoryArgs {
    pub fn query(&self, from_id: Option<u64>) -> Result<HistoryQuery, ToolError> {
        if let Some(l) = self.limit
            && !(1..=1000).contains(&l)
        {
            return Err(ToolError::invalid(format!("limit must be between 1 and 1000, got {l}")));
        }
        if let (Some(s), Some(e)) = (self.start_time, self.end_time) {
            if s > e {
                return Err(ToolError::invalid("start_time is after end_time"));
            }
            if e - s > 24 * 3600 * 1000 {
                return Err(ToolError::invalid(
                    "start_time and end_time may be at most 24 hours apart",
                ));
            }
        }
        Ok(HistoryQuery {
            order_id: self.order_id,
            start_time: self.start_time,
            end_time: self.end_time,
            from_id,
            limit: Some(self.limit.unwrap_or(100)),
        })
    }
}

pub async fn order_history(tb: &Toolbox, args: HistoryArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_history")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let orders = tb.client(env).all_orders(&symbol, &args.query(None)?).await?;
    Ok(orders_output(env, orders))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_outcomes_are_classified() {
        let api = |status: u16, code: i64| BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: "POST /api/v3/order".into(),
            status,
            code,
            msg: String::new(),
            retry_after_secs: None,
        };
        assert!(is_unknown_outcome(&api(503, -1000)));
        assert!(is_unknown_outcome(&api(400, -1007)));
        assert!(is_unknown_outcome(&api(400, -1006)));
        assert!(!is_unknown_outcome(&api(400, -2010)));
        assert!(!is_unknown_outcome(&api(400, -1013)));
    }

    #[test]
    fn orders_read_like_a_trader_says_them() {
        let args: OrderArgs = serde_json::from_value(serde_json::json!({
            "symbol": "btcusdt", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "quantity": "0.0010", "price": "95000.00"
        }))
        .expect("args");
        assert_eq!(
            describe_order(&args.to_order().expect("order")),
            "BUY 0.001 BTCUSDT LIMIT GTC @ 95000"
        );
    }
}
