//! The write half of the Spot REST API: placing, amending and canceling orders and order
//! lists. Only the order desk (binance-mcp's `desk`) holds a [`TradeClient`]; everything else reads
//! through [`BinanceClient`], which has no method that can change an order. Writes are sent
//! once and never retried: a failure without an answer is an unknown outcome for the caller
//! to reconcile.

use std::sync::Arc;

use reqwest::Method;
use rust_decimal::Decimal;

use super::client::{BinanceClient, OrderListRef, OrderRef, order_params, push_opt};
use super::error::BinanceError;
use spot_types::Environment;
use spot_types::model::{AmendResult, NewOrder, OrderListReport, OrderReport};

/// The endpoints that place, amend or cancel orders, over the same transport, budget, clock
/// and circuit as the environment's read client.
#[derive(Debug, Clone)]
pub struct TradeClient {
    client: Arc<BinanceClient>,
}

impl TradeClient {
    /// The write endpoints of `client`'s environment. Only the desk constructs one.
    pub fn new(client: Arc<BinanceClient>) -> TradeClient {
        TradeClient { client }
    }

    /// The environment this client writes to.
    pub fn environment(&self) -> Environment {
        self.client.environment()
    }

    /// `POST /api/v3/order` with a FULL response. Never retried: a failure without an answer
    /// leaves the outcome unknown and the caller must reconcile by client order id.
    pub async fn place_order(&self, order: &NewOrder) -> Result<OrderReport, BinanceError> {
        let mut params = order_params(order);
        params.push(("newOrderRespType", "FULL".into()));
        self.client.signed(Method::POST, "/api/v3/order", params).await
    }

    /// `DELETE /api/v3/order`. Canceling a leg of an order list cancels the whole list and
    /// Binance answers with the list: the named leg's report is returned, with its
    /// `orderListId` telling that the others went too.
    pub async fn cancel_order(&self, symbol: &str, order: &OrderRef) -> Result<OrderReport, BinanceError> {
        let raw: serde_json::Value = self
            .client
            .signed(
                Method::DELETE,
                "/api/v3/order",
                vec![("symbol", symbol.to_owned()), order.params()],
            )
            .await?;
        let report = match raw.get("orderReports").and_then(|r| r.as_array()) {
            Some(legs) => legs
                .iter()
                .find(|leg| match order {
                    OrderRef::Id(id) => leg.get("orderId").and_then(|v| v.as_u64()) == Some(*id),
                    OrderRef::ClientId(c) => {
                        let named = |key: &str| leg.get(key).and_then(|v| v.as_str()) == Some(c.as_str());
                        named("origClientOrderId") || named("clientOrderId")
                    }
                })
                .or(legs.first())
                .cloned()
                .unwrap_or(raw),
            None => raw,
        };
        serde_json::from_value(report).map_err(|source| BinanceError::Decode {
            environment: self.client.environment,
            endpoint: "DELETE /api/v3/order".into(),
            source,
        })
    }

    /// `PUT /api/v3/order/amend/keepPriority` (weight 4): lowers an open order's quantity to
    /// `new_qty`, keeping its `orderId` and queue position. Sent once, never retried.
    pub async fn amend_order(
        &self,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
        new_client_order_id: Option<&str>,
    ) -> Result<AmendResult, BinanceError> {
        let mut params = vec![("symbol", symbol.to_owned()), order.params()];
        push_opt(&mut params, "newClientOrderId", new_client_order_id);
        params.push(("newQty", new_qty.normalize().to_string()));
        self.client
            .signed(Method::PUT, "/api/v3/order/amend/keepPriority", params)
            .await
    }

    /// `POST /api/v3/orderList/{oco,oto,otoco,opo,opoco}` with FULL order reports. Never retried, like
    /// a single order: a lost answer is reconciled by the list client id.
    pub async fn place_order_list(
        &self,
        kind: &str,
        mut params: Vec<(&'static str, String)>,
    ) -> Result<OrderListReport, BinanceError> {
        params.push(("newOrderRespType", "FULL".into()));
        let path = match kind {
            "oco" => "/api/v3/orderList/oco",
            "oto" => "/api/v3/orderList/oto",
            "opo" => "/api/v3/orderList/opo",
            "opoco" => "/api/v3/orderList/opoco",
            _ => "/api/v3/orderList/otoco",
        };
        self.client.signed(Method::POST, path, params).await
    }

    /// `DELETE /api/v3/orderList`: cancels every order of the list.
    pub async fn cancel_order_list(&self, symbol: &str, list: &OrderListRef) -> Result<OrderListReport, BinanceError> {
        let param = match list {
            OrderListRef::Id(id) => ("orderListId", id.to_string()),
            OrderListRef::ClientId(id) => ("listClientOrderId", id.clone()),
        };
        self.client
            .signed(
                Method::DELETE,
                "/api/v3/orderList",
                vec![("symbol", symbol.to_owned()), param],
            )
            .await
    }

    /// `DELETE /api/v3/openOrders`: cancels every open order (and order list) on a symbol.
    /// Order lists come back as list objects; only the plain orders are returned typed.
    pub async fn cancel_all(&self, symbol: &str) -> Result<Vec<OrderReport>, BinanceError> {
        let raw: Vec<serde_json::Value> = self
            .client
            .signed(
                Method::DELETE,
                "/api/v3/openOrders",
                vec![("symbol", symbol.to_owned())],
            )
            .await?;
        let mut orders = Vec::new();
        for item in raw {
            if let Some(reports) = item.get("orderReports").and_then(|r| r.as_array()) {
                orders.extend(reports.iter().filter_map(|r| serde_json::from_value(r.clone()).ok()));
            } else if let Ok(order) = serde_json::from_value(item) {
                orders.push(order);
            }
        }
        Ok(orders)
    }
}
