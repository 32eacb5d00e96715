//! Account tools: balances, trades, commission rates, unfilled-order counts. All signed reads.

use crate::tools::target::SignedTarget;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::order::history_query;
use super::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use crate::config::Environment;
use spot_types::model::{AccountTrade, CommissionDiscount, CommissionRates, OrderRateLimit};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BalancesArgs {
    #[serde(default)]
    pub include_zero: bool,
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AssetBalance {
    pub asset: String,
    pub free: Decimal,
    pub locked: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BalancesOutput {
    pub environment: Environment,
    pub can_trade: bool,
    pub can_withdraw: bool,
    pub can_deposit: bool,
    pub account_type: String,
    pub balances: Vec<AssetBalance>,
    /// Set when something about the key deserves the human's attention.
    pub warning: Option<String>,
    /// Paper mode: the environment's paper account (BINANCE_PAPER_BALANCE), which paper orders
    /// trade; `locked` is what open paper orders hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paper_balances: Option<Vec<AssetBalance>>,
}

impl ToolOutput for BalancesOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .balances
            .iter()
            .take(8)
            .map(|b| format!("{} {}", b.asset, b.total))
            .collect();
        let paper = self
            .paper_balances
            .as_ref()
            .map(|p| {
                let shown: Vec<String> = p.iter().take(8).map(|b| format!("{} {}", b.asset, b.total)).collect();
                format!("PAPER account: {}; exchange account ", shown.join(", "))
            })
            .unwrap_or_default();
        format!(
            "{}: {paper}{} assets{}{}{}",
            self.environment,
            self.balances.len(),
            if shown.is_empty() { "" } else { ": " },
            shown.join(", "),
            self.warning
                .as_ref()
                .map(|w| format!(". WARNING: {w}"))
                .unwrap_or_default()
        )
    }
}

pub async fn account_balances(toolbox: &Toolbox, args: BalancesArgs) -> Result<BalancesOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "account_balances")?;
    let account = toolbox.client(env).account(!args.include_zero).await?;
    let warning = (env == Environment::Production && account.can_withdraw).then(|| {
        "this production API key can WITHDRAW funds. An agent never needs that: ask the human to disable withdrawals on the key (API management) and restrict it to their IP.".to_owned()
    });
    Ok(BalancesOutput {
        environment: env,
        can_trade: account.can_trade,
        can_withdraw: account.can_withdraw,
        can_deposit: account.can_deposit,
        account_type: account.account_type,
        balances: account
            .balances
            .into_iter()
            .filter(|b| args.include_zero || !(b.free + b.locked).is_zero())
            .map(|b| AssetBalance {
                total: (b.free + b.locked).normalize(),
                asset: b.asset,
                free: b.free.normalize(),
                locked: b.locked.normalize(),
            })
            .collect(),
        warning,
        paper_balances: paper_balances(toolbox, env).await?,
    })
}

/// The paper account in paper mode (or once paper mode used it), after a look at the market.
async fn paper_balances(toolbox: &Toolbox, env: Environment) -> Result<Option<Vec<AssetBalance>>, ToolError> {
    if toolbox.config().trade_mode != crate::config::TradeMode::Paper && toolbox.store()?.paper_balances(env)?.is_none()
    {
        return Ok(None);
    }
    let rows = match crate::tools::paper::balances(toolbox, env).await? {
        Some(rows) => rows,
        // Not used yet: what it will start with.
        None => toolbox
            .config()
            .paper_balance
            .iter()
            .map(|(asset, amount)| (asset.clone(), *amount, Decimal::ZERO, *amount))
            .collect(),
    };
    Ok(Some(
        rows.into_iter()
            .filter(|(_, _, _, total)| !total.is_zero())
            .map(|(asset, free, locked, total)| AssetBalance {
                asset,
                free,
                locked,
                total,
            })
            .collect(),
    ))
}

// ---- account_trades -------------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct TradesOutput {
    pub environment: Environment,
    pub symbol: String,
    pub count: usize,
    pub trades: Vec<AccountTrade>,
    /// Commission paid, per asset.
    pub commission_by_asset: Vec<(String, Decimal)>,
    pub first_time_utc: Option<String>,
    pub last_time_utc: Option<String>,
}

impl ToolOutput for TradesOutput {
    fn summary(&self) -> String {
        format!(
            "{} {}: {} trades{}",
            self.environment,
            self.symbol,
            self.count,
            self.last_time_utc
                .as_ref()
                .map(|t| format!(", latest {t}"))
                .unwrap_or_default()
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TradesArgs {
    pub symbol: String,
    #[serde(default)]
    pub order_id: Option<u64>,
    /// ms since epoch; at most 24 h before end_time
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub from_id: Option<u64>,
    /// 1..1000, default 100
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(flatten)]
    pub target: SignedTarget,
}

pub async fn account_trades(toolbox: &Toolbox, args: TradesArgs) -> Result<TradesOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "account_trades")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let trades = toolbox
        .client(env)
        .my_trades(
            &symbol,
            &history_query(args.order_id, args.start_time, args.end_time, args.from_id, args.limit)?,
        )
        .await?;
    let mut commission: Vec<(String, Decimal)> = Vec::new();
    for t in &trades {
        match commission.iter_mut().find(|(a, _)| *a == t.commission_asset) {
            Some((_, sum)) => *sum += t.commission,
            None => commission.push((t.commission_asset.clone(), t.commission)),
        }
    }
    Ok(TradesOutput {
        environment: env,
        symbol,
        count: trades.len(),
        first_time_utc: trades.first().map(|t| utc(t.time)),
        last_time_utc: trades.last().map(|t| utc(t.time)),
        commission_by_asset: commission.into_iter().map(|(a, s)| (a, s.normalize())).collect(),
        trades,
    })
}

// ---- account_commission ---------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionArgs {
    pub symbol: String,
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CommissionOutput {
    pub environment: Environment,
    pub symbol: String,
    /// Rates are fractions: 0.001 = 0.1%.
    pub standard: CommissionRates,
    pub special: Option<CommissionRates>,
    pub tax: Option<CommissionRates>,
    pub discount: Option<CommissionDiscount>,
}

impl ToolOutput for CommissionOutput {
    fn summary(&self) -> String {
        format!(
            "{} {}: maker {} / taker {} (standard)",
            self.environment,
            self.symbol,
            self.standard.maker.normalize(),
            self.standard.taker.normalize()
        )
    }
}

pub async fn account_commission(toolbox: &Toolbox, args: CommissionArgs) -> Result<CommissionOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "account_commission")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let c = toolbox.client(env).account_commission(&symbol).await?;
    Ok(CommissionOutput {
        environment: env,
        symbol: c.symbol,
        standard: c.standard_commission,
        special: c.special_commission,
        tax: c.tax_commission,
        discount: c.discount,
    })
}

// ---- account_rate_limits --------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsArgs {
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RateLimitsOutput {
    pub environment: Environment,
    /// Unfilled-order counts per interval, with their limits.
    pub order_limits: Vec<OrderRateLimit>,
}

impl ToolOutput for RateLimitsOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .order_limits
            .iter()
            .map(|l| {
                format!(
                    "{}/{} per {}{}",
                    l.count,
                    l.limit,
                    l.interval_num,
                    l.interval.to_lowercase()
                )
            })
            .collect();
        format!("{}: unfilled orders {}", self.environment, shown.join(", "))
    }
}

pub async fn account_rate_limits(toolbox: &Toolbox, args: RateLimitsArgs) -> Result<RateLimitsOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "account_rate_limits")?;
    Ok(RateLimitsOutput {
        environment: env,
        order_limits: toolbox.client(env).order_rate_limits().await?,
    })
}
