//! Asset filters (filters.md "Asset Filters"), only visible through the signed
//! `GET /api/v3/myFilters`: `MAX_ASSET` caps what one order may transact of an asset, the
//! quantity when it is the symbol's base asset, the notional when it is the quote asset.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::step::{round_to_step_down, show};
use super::validate::Check;
use super::{Findings, Violation};
use spot_types::model::{MyFilters, OrderType};

/// One entry of `assetFilters`, in Binance's field names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetFilter {
    /// At most `limit` of `asset` in a single order.
    MaxAsset { asset: String, limit: Decimal },
    /// A filter type this server does not know yet (or a MAX_ASSET that did not parse), kept as sent.
    #[serde(rename = "UNKNOWN")]
    Unknown { name: String, raw: serde_json::Value },
}

impl AssetFilter {
    /// Parses one `assetFilters` entry; never fails.
    pub fn from_value(raw: serde_json::Value) -> AssetFilter {
        let name = raw.get("filterType").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        if name == "MAX_ASSET"
            && let Ok(filter) = serde_json::from_value::<AssetFilter>(raw.clone())
        {
            return filter;
        }
        AssetFilter::Unknown { name, raw }
    }

    /// One readable line, e.g. `MAX_ASSET: at most 1000000 JPY per order`.
    pub fn describe(&self) -> String {
        match self {
            AssetFilter::MaxAsset { asset, limit } => {
                format!("MAX_ASSET: at most {} {asset} per order", limit.normalize())
            }
            AssetFilter::Unknown { name, raw } => format!("{name}: an asset filter not known to this server: {raw}"),
        }
    }
}

/// The account's asset filters as the validator gets them.
#[derive(Clone, Copy, Debug)]
pub enum AssetFilters<'a> {
    /// `assetFilters` of `GET /api/v3/myFilters` (empty: none apply).
    Known(&'a [AssetFilter]),
    /// Not read; the text says why (no API key, production without confirmation, a failed read).
    Unknown(&'a str),
}

impl Check<'_> {
    /// MAX_ASSET on the base asset (quantity) and on the quote asset (notional).
    pub(super) fn asset_filters(&self, filters: AssetFilters<'_>, out: &mut Findings) {
        let filters = match filters {
            AssetFilters::Known(filters) => filters,
            AssetFilters::Unknown(why) => {
                out.unchecked(format!(
                    "MAX_ASSET: the account's asset filters (GET /api/v3/myFilters) are unknown ({why}); not checked locally"
                ));
                return;
            }
        };
        for filter in filters {
            match filter {
                AssetFilter::MaxAsset { asset, limit } => {
                    if *asset == self.symbol.base_asset {
                        self.max_base(asset, *limit, out);
                    }
                    if *asset == self.symbol.quote_asset {
                        self.max_quote(asset, *limit, out);
                    }
                }
                AssetFilter::Unknown { name, .. } => out.unchecked(format!(
                    "{name}: an asset filter this server does not know; not checked locally"
                )),
            }
        }
    }

    fn max_base(&self, asset: &str, limit: Decimal, out: &mut Findings) {
        let order = self.order;
        let Some(quantity) = order.quantity else {
            if order.quote_order_qty.is_some() {
                out.unchecked(format!(
                    "MAX_ASSET: a quote_order_qty order's {asset} quantity is known only once it executes; not checked locally"
                ));
            }
            return;
        };
        if quantity <= limit {
            return;
        }
        let step = self.steps.lot;
        let message = format!(
            "quantity {quantity} {asset} is above the account's MAX_ASSET limit of {} {asset} per order (GET /api/v3/myFilters): split the order",
            limit.normalize()
        );
        let violation = Violation::new(
            "MAX_ASSET",
            "quantity <= limit",
            format!("quantity={quantity}"),
            message,
        );
        out.violation(violation.nearest(vec![show(round_to_step_down(limit, step), step)]));
    }

    fn max_quote(&self, asset: &str, limit: Decimal, out: &mut Findings) {
        let order = self.order;
        let (notional, price) = match (order.order_type, order.quote_order_qty, order.quantity) {
            (OrderType::Market, Some(quote), _) => (quote, None),
            (t, _, Some(quantity)) if t.has_limit_price() => match order.price {
                Some(price) => (price * quantity, Some((price, "price"))),
                None => return,
            },
            (OrderType::Market, None, Some(quantity)) => match self.symbol_price() {
                Some(p) => (p.price * quantity, Some((p.price, p.source.label()))),
                None => {
                    out.unchecked("MAX_ASSET: no price to value a MARKET order at; not checked locally".into());
                    return;
                }
            },
            (t, _, Some(_)) => {
                out.unchecked(format!(
                    "MAX_ASSET: {} orders have no limit price and the docs do not say what they are valued at; not checked locally",
                    t.as_str()
                ));
                return;
            }
            _ => return,
        };
        if notional <= limit {
            return;
        }
        let message = format!(
            "notional {} {asset} is above the account's MAX_ASSET limit of {} {asset} per order (GET /api/v3/myFilters): split the order",
            notional.normalize(),
            limit.normalize()
        );
        let Some((price, basis)) = price else {
            let violation = Violation::new(
                "MAX_ASSET",
                "quote_order_qty <= limit",
                format!("quote_order_qty={notional}"),
                message,
            );
            out.violation(violation.nearest(vec![limit.normalize().to_string()]));
            return;
        };
        let step = self.steps.lot;
        let nearest = limit
            .checked_div(price)
            .map(|q| round_to_step_down(q, step))
            .filter(|q| *q > Decimal::ZERO)
            .map(|q| vec![show(q, step)])
            .unwrap_or_default();
        let sent = format!("quantity={}", order.quantity.unwrap_or_default());
        let violation = Violation::new("MAX_ASSET", format!("{basis} × quantity <= limit"), sent, message);
        out.violation(violation.nearest(nearest));
    }
}

/// The account's asset filters from `myFilters`, typed (unknown ones kept).
pub fn asset_filters_of(filters: &MyFilters) -> Vec<AssetFilter> {
    filters
        .asset_filters
        .iter()
        .cloned()
        .map(AssetFilter::from_value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_max_asset_parses_and_others_are_kept() {
        let f = AssetFilter::from_value(json!({"filterType":"MAX_ASSET","asset":"JPY","limit":"1000000.00000000"}));
        assert_eq!(
            f,
            AssetFilter::MaxAsset {
                asset: "JPY".into(),
                limit: Decimal::from(1_000_000)
            }
        );
        assert_eq!(f.describe(), "MAX_ASSET: at most 1000000 JPY per order");
        let other = AssetFilter::from_value(json!({"filterType":"MAX_SOMETHING","asset":"JPY"}));
        assert!(matches!(other, AssetFilter::Unknown { ref name, .. } if name == "MAX_SOMETHING"));
        let broken = AssetFilter::from_value(json!({"filterType":"MAX_ASSET","asset":"JPY","limit":"lots"}));
        assert!(matches!(broken, AssetFilter::Unknown { .. }));
    }
}
