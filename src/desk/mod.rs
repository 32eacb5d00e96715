//! The order desk: the one holder of the endpoints that write to an exchange. An order or a
//! list goes out only with a [`Reservation`] from the store's gate (DESIGN §4 step 3), which
//! the send consumes: no reservation, no order; one reservation, one order, under the
//! reservation's own client order id. Cancels and amends (which only take risk off the book)
//! go through here too, so every write has one home.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::config::Environment;
use crate::store::Reservation;
use spot_client::{BinanceClient, BinanceError, OrderListRef, OrderRef, TradeClient};
use spot_types::model::{AmendResult, NewOrder, OrderListReport, OrderReport};

/// The write endpoints of every environment.
#[derive(Debug)]
pub struct Desk {
    production: TradeClient,
    testnet: TradeClient,
    demo: TradeClient,
}

impl Desk {
    /// A desk over the environments' clients (sharing their transport, budget and clock).
    pub fn new(production: Arc<BinanceClient>, testnet: Arc<BinanceClient>, demo: Arc<BinanceClient>) -> Desk {
        Desk {
            production: TradeClient::new(production),
            testnet: TradeClient::new(testnet),
            demo: TradeClient::new(demo),
        }
    }

    fn trade(&self, env: Environment) -> &TradeClient {
        match env {
            Environment::Production => &self.production,
            Environment::Testnet => &self.testnet,
            Environment::Demo => &self.demo,
        }
    }

    /// Sends the order `reservation` licensed, once, in its environment and under its client
    /// order id (whatever `order` carried).
    pub async fn place_order(
        &self,
        reservation: Reservation,
        mut order: NewOrder,
    ) -> Result<OrderReport, BinanceError> {
        order.new_client_order_id = Some(reservation.client_order_id().to_owned());
        self.trade(reservation.environment()).place_order(&order).await
    }

    /// Sends the list `reservation` licensed, once; `params` gets the reservation's list
    /// client order id.
    pub async fn place_order_list(
        &self,
        reservation: Reservation,
        list_type: &str,
        params: impl FnOnce(&str) -> Vec<(&'static str, String)>,
    ) -> Result<OrderListReport, BinanceError> {
        let params = params(reservation.client_order_id());
        self.trade(reservation.environment())
            .place_order_list(list_type, params)
            .await
    }

    /// Cancels one order (a list's leg cancels the list).
    pub async fn cancel_order(
        &self,
        env: Environment,
        symbol: &str,
        order: &OrderRef,
    ) -> Result<OrderReport, BinanceError> {
        self.trade(env).cancel_order(symbol, order).await
    }

    /// Cancels every open order and list on a symbol.
    pub async fn cancel_all(&self, env: Environment, symbol: &str) -> Result<Vec<OrderReport>, BinanceError> {
        self.trade(env).cancel_all(symbol).await
    }

    /// Cancels a whole order list.
    pub async fn cancel_order_list(
        &self,
        env: Environment,
        symbol: &str,
        list: &OrderListRef,
    ) -> Result<OrderListReport, BinanceError> {
        self.trade(env).cancel_order_list(symbol, list).await
    }

    /// Lowers an open order's quantity in place (keep priority).
    pub async fn amend_order(
        &self,
        env: Environment,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
        new_client_order_id: Option<&str>,
    ) -> Result<AmendResult, BinanceError> {
        self.trade(env)
            .amend_order(symbol, order, new_qty, new_client_order_id)
            .await
    }
}

#[cfg(test)]
mod tests {
    /// The compiler keeps the write endpoints off `BinanceClient`; this keeps the one way to
    /// reach them, `TradeClient::new`, inside the desk.
    #[test]
    fn only_the_desk_constructs_a_trade_client() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("source");
                    if text.contains("TradeClient::new(") {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        visit(&src, &mut found);
        let outside: Vec<&String> = found.iter().filter(|p| !p.ends_with("src/desk/mod.rs")).collect();
        assert!(outside.is_empty(), "a trade client built outside the desk: {outside:?}");
    }
}
