//! The Spot REST client: one method per endpoint, typed parameters and models.
//!
//! Nothing here knows about MCP. Public endpoints are sent unsigned with no API key; signed
//! endpoints get `recvWindow`, `timestamp` and `signature` (last) over the exact bytes sent.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use super::alert::{Alert, AlertKind, AlertLevel, Alerts};
use super::circuit::Circuit;
use super::clock::{Clock, local_now_ms};
use super::error::{BinanceError, codes};
use super::governor::{Budget, Governor};
use super::limits::{Cost, Limits};
use super::resilience::Resilience;
use super::sign::Credentials;
use crate::endpoint::{CredentialNames, EnvironmentConfig};
use spot_types::Environment;
use spot_types::model::*;

pub use super::metrics::Usage;

/// Query of `GET /api/v3/klines`.
#[derive(Clone, Debug, Default)]
pub struct KlineQuery {
    pub symbol: String,
    pub interval: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub time_zone: Option<String>,
    pub limit: Option<u32>,
}

/// How an existing order is named: by Binance's id or by our client order id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderRef {
    Id(u64),
    ClientId(String),
}

impl OrderRef {
    pub(super) fn params(&self) -> (&'static str, String) {
        match self {
            OrderRef::Id(id) => ("orderId", id.to_string()),
            OrderRef::ClientId(id) => ("origClientOrderId", id.clone()),
        }
    }
}

/// How an existing order list is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderListRef {
    Id(i64),
    ClientId(String),
}

/// Filters of `GET /api/v3/allOrders` and `GET /api/v3/myTrades`.
#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    pub order_id: Option<u64>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub from_id: Option<u64>,
    pub limit: Option<u32>,
}

/// One signed request as it went out and came back, for the audit log (never the signature).
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignedRequestRecord {
    pub environment: Environment,
    pub method: String,
    pub path: String,
    /// The parameters sent, without `signature`.
    pub params: String,
    pub http_status: Option<u16>,
    pub binance_code: Option<i64>,
    pub latency_ms: u64,
}

/// Receives every signed request's record and every failed request (binance-mcp writes them
/// to audit.jsonl and incidents.md).
pub trait RequestObserver: Send + Sync + std::fmt::Debug {
    fn signed_request(&self, record: &SignedRequestRecord);
    /// A request failed; `action` says what the client did about it.
    fn failure(&self, error: &BinanceError, action: &str);
}

/// Order placement failures are reported by the order tool, which knows how it reconciled.
const SELF_REPORTED: &str = "POST /api/v3/order";

/// A client for one environment. Transport (limits, retries, the circuit breaker) is in
/// `transport`; the fields are shared with it.
#[derive(Debug)]
pub struct BinanceClient {
    pub(super) environment: Environment,
    pub(super) base_url: String,
    credentials: Option<Credentials>,
    credential_names: CredentialNames,
    pub(super) enabled: bool,
    pub(super) recv_window_ms: u64,
    timeout: Duration,
    http: OnceLock<reqwest::Client>,
    pub(super) clock: Clock,
    pub(super) usage: Mutex<Usage>,
    pub(super) observer: Option<Arc<dyn RequestObserver>>,
    pub(super) resilience: Resilience,
    pub(super) governor: Governor,
    pub(super) circuit: Circuit,
    pub(super) alerts: Alerts,
}

impl BinanceClient {
    /// A client with the default [`Resilience`] (rate-limit state kept in this process).
    pub fn new(config: &EnvironmentConfig, recv_window_ms: u64, timeout: Duration) -> BinanceClient {
        let resilience = Resilience::default();
        BinanceClient {
            environment: config.environment,
            base_url: config.base_url.clone(),
            credentials: config.credentials.clone(),
            credential_names: config.credential_names,
            enabled: config.enabled,
            recv_window_ms,
            timeout,
            http: OnceLock::new(),
            clock: Clock::default(),
            usage: Mutex::new(Usage::default()),
            observer: None,
            governor: Governor::new(config.environment, &config.base_url, None, resilience.max_wait),
            circuit: Circuit::new(resilience.circuit_threshold, resilience.circuit_cooldown),
            resilience,
            alerts: Alerts::default(),
        }
    }

    /// Reports every signed request to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn RequestObserver>) -> BinanceClient {
        self.observer = Some(observer);
        self
    }

    /// Limits, timeouts and the circuit breaker as configured; the rate-limit state is shared
    /// through `resilience.state_dir`.
    pub fn with_resilience(mut self, resilience: Resilience) -> BinanceClient {
        self.governor = Governor::new(
            self.environment,
            &self.base_url,
            resilience.state_dir.as_deref(),
            resilience.max_wait,
        );
        self.circuit = Circuit::new(resilience.circuit_threshold, resilience.circuit_cooldown);
        self.resilience = resilience;
        self
    }

    /// Raises critical events on `alerts` (shared with the other environments' clients).
    pub fn with_alerts(mut self, alerts: Alerts) -> BinanceClient {
        self.alerts = alerts;
        self
    }

    /// The alert hub: subscribe to forward alerts, or raise one (e.g. an unknown order outcome).
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// The shared rate-limit budget now (read from the state file).
    pub fn budget(&self) -> Budget {
        self.governor.budget(self.clock.now_ms())
    }

    /// The circuit breaker: state, consecutive failures, end of the cool-down (ms since epoch,
    /// Binance's clock, like the budget's times).
    pub fn circuit(&self) -> (super::circuit::CircuitState, u32, Option<i64>) {
        self.circuit.status(self.clock.now_ms())
    }

    pub fn environment(&self) -> Environment {
        self.environment
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Charges `weight` for a WebSocket API step (connecting costs 2, `session.logon` and the
    /// subscriptions 2 each) to this environment's budget, which REST and every server process
    /// share: the same limits, bans and `Retry-After` apply, and a refusal sends nothing.
    pub async fn charge_websocket(&self, weight: u64) -> Result<(), super::Unavailable> {
        let cost = Cost {
            weight,
            orders: 0,
            free_on_success: false,
        };
        let ticket = self.governor.admit(cost, || self.clock.now_ms()).await?;
        self.governor.settle(&ticket, &[], true, self.clock.now_ms());
        Ok(())
    }

    pub fn recv_window_ms(&self) -> u64 {
        self.recv_window_ms
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn usage(&self) -> Usage {
        self.usage.lock().map(|u| u.clone()).unwrap_or_default()
    }

    // The TLS stack is built on first use, so starting the server costs nothing.
    pub(super) fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("binance-mcp/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(self.resilience.connect_timeout.min(self.timeout))
                .timeout(self.timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new())
        })
    }

    // ---- general -------------------------------------------------------------------------

    /// `GET /api/v3/ping` (weight 1).
    pub async fn ping(&self) -> Result<(), BinanceError> {
        self.public::<serde_json::Value>("/api/v3/ping", &[]).await.map(|_| ())
    }

    /// `GET /api/v3/time` (weight 1); also records the clock offset, and warns (log, alert,
    /// incident) when it exceeds 1 s.
    pub async fn server_time(&self) -> Result<ServerTime, BinanceError> {
        let sent = local_now_ms();
        let time: ServerTime = self.public("/api/v3/time", &[]).await?;
        let sample = self.clock.record(time.server_time, sent, local_now_ms());
        if self.clock.drift_started(&sample)
            && let Some(warning) = self.clock.drift_warning()
        {
            self.alerts.raise(
                Alert::new(
                    AlertLevel::Warning,
                    self.environment,
                    AlertKind::ClockDrift,
                    format!("clock drift on {}: {warning}", self.environment),
                )
                .with_endpoint("GET /api/v3/time")
                .with_incident(),
            );
        }
        Ok(time)
    }

    /// `GET /api/v3/exchangeInfo` (weight 20) for the given symbols (all when empty). Its
    /// `rateLimits` become the limits of this environment.
    pub async fn exchange_info(&self, symbols: &[String]) -> Result<ExchangeInfo, BinanceError> {
        let info: ExchangeInfo = self.public("/api/v3/exchangeInfo", &symbol_params(symbols)).await?;
        self.learn_limits(&info.rate_limits);
        Ok(info)
    }

    /// `GET /api/v3/exchangeInfo` as Binance sent it, for snapshots that keep every field.
    pub async fn exchange_info_value(&self, symbols: &[String]) -> Result<serde_json::Value, BinanceError> {
        let value: serde_json::Value = self.public("/api/v3/exchangeInfo", &symbol_params(symbols)).await?;
        if let Some(limits) = value
            .get("rateLimits")
            .and_then(|v| serde_json::from_value::<Vec<RateLimit>>(v.clone()).ok())
        {
            self.learn_limits(&limits);
        }
        Ok(value)
    }

    fn learn_limits(&self, rate_limits: &[RateLimit]) {
        if let Some(limits) = Limits::from_rate_limits(rate_limits) {
            self.governor.set_limits(limits);
        }
    }

    // ---- market data ---------------------------------------------------------------------

    /// `GET /api/v3/depth`.
    pub async fn depth(&self, symbol: &str, limit: Option<u32>) -> Result<OrderBook, BinanceError> {
        let mut params = vec![("symbol", symbol.to_owned())];
        push_opt(&mut params, "limit", limit);
        self.public("/api/v3/depth", &params).await
    }

    /// `GET /api/v3/trades`.
    pub async fn recent_trades(&self, symbol: &str, limit: Option<u32>) -> Result<Vec<Trade>, BinanceError> {
        let mut params = vec![("symbol", symbol.to_owned())];
        push_opt(&mut params, "limit", limit);
        self.public("/api/v3/trades", &params).await
    }

    /// `GET /api/v3/klines`.
    pub async fn klines(&self, query: &KlineQuery) -> Result<Vec<Kline>, BinanceError> {
        let mut params = vec![("symbol", query.symbol.clone()), ("interval", query.interval.clone())];
        push_opt(&mut params, "startTime", query.start_time);
        push_opt(&mut params, "endTime", query.end_time);
        push_opt(&mut params, "timeZone", query.time_zone.clone());
        push_opt(&mut params, "limit", query.limit);
        self.public("/api/v3/klines", &params).await
    }

    /// `GET /api/v3/avgPrice`.
    pub async fn avg_price(&self, symbol: &str) -> Result<AvgPrice, BinanceError> {
        self.public("/api/v3/avgPrice", &[("symbol", symbol.to_owned())]).await
    }

    /// `GET /api/v3/referencePrice` (weight 2); -2043 for a symbol that never had one.
    pub async fn reference_price(&self, symbol: &str) -> Result<ReferencePrice, BinanceError> {
        self.public("/api/v3/referencePrice", &[("symbol", symbol.to_owned())])
            .await
    }

    /// `GET /api/v3/executionRules` for the given symbols (weight 2 per symbol).
    pub async fn execution_rules(&self, symbols: &[String]) -> Result<ExecutionRules, BinanceError> {
        self.public("/api/v3/executionRules", &symbol_params(symbols)).await
    }

    /// `GET /api/v3/ticker/24hr` (all symbols when empty).
    pub async fn ticker_24h(&self, symbols: &[String], mini: bool) -> Result<Vec<Ticker24h>, BinanceError> {
        let mut params = symbol_params(symbols);
        if mini {
            params.push(("type", "MINI".into()));
        }
        self.public::<OneOrMany<Ticker24h>>("/api/v3/ticker/24hr", &params)
            .await
            .map(OneOrMany::into_vec)
    }

    /// `GET /api/v3/ticker`: rolling-window statistics (`window_size` like `1h`, `4h`, `7d`).
    pub async fn ticker_rolling(
        &self,
        symbols: &[String],
        window_size: &str,
        mini: bool,
    ) -> Result<Vec<Ticker24h>, BinanceError> {
        let mut params = symbol_params(symbols);
        params.push(("windowSize", window_size.to_owned()));
        if mini {
            params.push(("type", "MINI".into()));
        }
        self.public::<OneOrMany<Ticker24h>>("/api/v3/ticker", &params)
            .await
            .map(OneOrMany::into_vec)
    }

    /// `GET /api/v3/ticker/price` (all symbols when empty).
    pub async fn ticker_price(&self, symbols: &[String]) -> Result<Vec<TickerPrice>, BinanceError> {
        self.public::<OneOrMany<TickerPrice>>("/api/v3/ticker/price", &symbol_params(symbols))
            .await
            .map(OneOrMany::into_vec)
    }

    /// `GET /api/v3/ticker/bookTicker` (all symbols when empty).
    pub async fn book_ticker(&self, symbols: &[String]) -> Result<Vec<BookTicker>, BinanceError> {
        self.public::<OneOrMany<BookTicker>>("/api/v3/ticker/bookTicker", &symbol_params(symbols))
            .await
            .map(OneOrMany::into_vec)
    }

    // ---- account ---------------------------------------------------------------------------

    /// `GET /api/v3/account` (signed, weight 20).
    pub async fn account(&self, omit_zero_balances: bool) -> Result<Account, BinanceError> {
        let mut params = Vec::new();
        if omit_zero_balances {
            params.push(("omitZeroBalances", "true".to_owned()));
        }
        self.signed(Method::GET, "/api/v3/account", params).await
    }

    /// `GET /api/v3/myFilters` (signed, weight 40): the account's filters on `symbol`, among
    /// them the asset filters (`MAX_ASSET`) no other endpoint shows.
    pub async fn my_filters(&self, symbol: &str) -> Result<MyFilters, BinanceError> {
        self.signed(Method::GET, "/api/v3/myFilters", vec![("symbol", symbol.to_owned())])
            .await
    }

    // ---- orders ----------------------------------------------------------------------------

    /// `POST /api/v3/order/test`: validates without reaching the matching engine.
    pub async fn test_order(
        &self,
        order: &NewOrder,
        compute_commission_rates: bool,
    ) -> Result<TestOrderResult, BinanceError> {
        let mut params = order_params(order);
        if compute_commission_rates {
            params.push(("computeCommissionRates", "true".into()));
        }
        self.signed(Method::POST, "/api/v3/order/test", params).await
    }

    /// `GET /api/v3/order`.
    pub async fn query_order(&self, symbol: &str, order: &OrderRef) -> Result<OrderReport, BinanceError> {
        self.signed(
            Method::GET,
            "/api/v3/order",
            vec![("symbol", symbol.to_owned()), order.params()],
        )
        .await
    }

    /// `GET /api/v3/orderList` by list client id (weight 4).
    pub async fn query_order_list(&self, list: &OrderListRef) -> Result<OrderListReport, BinanceError> {
        let param = match list {
            OrderListRef::Id(id) => ("orderListId", id.to_string()),
            OrderListRef::ClientId(id) => ("origClientOrderId", id.clone()),
        };
        self.signed(Method::GET, "/api/v3/orderList", vec![param]).await
    }

    /// `GET /api/v3/openOrders` (weight 6 with a symbol, 80 without).
    pub async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderReport>, BinanceError> {
        let params = symbol.map(|s| vec![("symbol", s.to_owned())]).unwrap_or_default();
        self.signed(Method::GET, "/api/v3/openOrders", params).await
    }

    /// `GET /api/v3/allOrders`.
    pub async fn all_orders(&self, symbol: &str, query: &HistoryQuery) -> Result<Vec<OrderReport>, BinanceError> {
        let mut params = vec![("symbol", symbol.to_owned())];
        push_opt(&mut params, "orderId", query.order_id);
        push_opt(&mut params, "startTime", query.start_time);
        push_opt(&mut params, "endTime", query.end_time);
        push_opt(&mut params, "limit", query.limit);
        self.signed(Method::GET, "/api/v3/allOrders", params).await
    }

    /// `GET /api/v3/myTrades`.
    pub async fn my_trades(&self, symbol: &str, query: &HistoryQuery) -> Result<Vec<AccountTrade>, BinanceError> {
        let mut params = vec![("symbol", symbol.to_owned())];
        push_opt(&mut params, "orderId", query.order_id);
        push_opt(&mut params, "startTime", query.start_time);
        push_opt(&mut params, "endTime", query.end_time);
        push_opt(&mut params, "fromId", query.from_id);
        push_opt(&mut params, "limit", query.limit);
        self.signed(Method::GET, "/api/v3/myTrades", params).await
    }

    /// `GET /api/v3/account/commission`.
    pub async fn account_commission(&self, symbol: &str) -> Result<AccountCommission, BinanceError> {
        self.signed(
            Method::GET,
            "/api/v3/account/commission",
            vec![("symbol", symbol.to_owned())],
        )
        .await
    }

    /// `GET /api/v3/rateLimit/order`: unfilled-order counts per interval.
    pub async fn order_rate_limits(&self) -> Result<Vec<OrderRateLimit>, BinanceError> {
        self.signed(Method::GET, "/api/v3/rateLimit/order", Vec::new()).await
    }

    // ---- transport -------------------------------------------------------------------------

    async fn public<T: DeserializeOwned>(&self, path: &str, params: &[(&str, String)]) -> Result<T, BinanceError> {
        let result = self.request(Method::GET, path, params, None).await;
        if let Err(e) = &result {
            self.report_failure(e, &self.action_for(e));
        }
        result
    }

    pub(super) fn report_failure(&self, error: &BinanceError, action: &str) {
        let endpoint = match error {
            BinanceError::Api { endpoint, .. }
            | BinanceError::Http { endpoint, .. }
            | BinanceError::Waf { endpoint, .. }
            | BinanceError::Transport { endpoint, .. }
            | BinanceError::Decode { endpoint, .. } => endpoint.as_str(),
            // Nothing was sent: configuration problems and local refusals are not incidents.
            BinanceError::MissingCredentials { .. } | BinanceError::EnvironmentDisabled { .. } => return,
        };
        if endpoint == SELF_REPORTED {
            return;
        }
        // Cancel-all on a symbol with nothing open answers -2011; the tool treats that as done.
        if endpoint == "DELETE /api/v3/openOrders" && error.code() == Some(codes::CANCEL_REJECTED) {
            return;
        }
        // A symbol that never had a reference price answers -2043: an answer, not a failure.
        if endpoint == "GET /api/v3/referencePrice" && error.code() == Some(codes::NO_REFERENCE_PRICE) {
            return;
        }
        if let Some(observer) = &self.observer {
            observer.failure(error, action);
        }
    }

    /// Sends a signed request. A -1021 (timestamp outside recvWindow) means Binance rejected it
    /// before acting, so re-measuring the clock and sending once more is safe.
    pub(super) async fn signed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: Vec<(&str, String)>,
    ) -> Result<T, BinanceError> {
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            let names = self.credential_names;
            BinanceError::MissingCredentials {
                environment: self.environment,
                key_var: names.api_key,
                secret_var: names.api_secret,
                key_path_var: names.private_key_path,
            }
        })?;
        let mut retried = false;
        loop {
            if self.clock.needs_sync() {
                // A failed sync still lets the request go out with the local clock; Binance decides.
                if let Err(e) = self.server_time().await {
                    tracing::warn!(environment = %self.environment, error = %e, "clock sync failed");
                }
            }
            match self.request(method.clone(), path, &params, Some(credentials)).await {
                Err(e) if e.code() == Some(codes::INVALID_TIMESTAMP) && !retried => {
                    tracing::warn!(environment = %self.environment, "-1021 from Binance: re-syncing the clock and retrying once");
                    self.report_failure(
                        &e,
                        "re-synced the clock and retried once (the request was rejected, so the retry is safe)",
                    );
                    self.clock.invalidate();
                    retried = true;
                }
                Err(e) => {
                    self.report_failure(&e, &self.action_for(&e));
                    return Err(e);
                }
                ok => return ok,
            }
        }
    }
}

pub(super) fn error_from_body(
    environment: Environment,
    endpoint: String,
    status: StatusCode,
    body: &[u8],
    retry_after_secs: Option<u64>,
) -> BinanceError {
    match serde_json::from_slice::<ApiErrorBody>(body) {
        Ok(err) => BinanceError::Api {
            environment,
            endpoint,
            status: status.as_u16(),
            code: err.code,
            msg: err.msg,
            retry_after_secs,
        },
        Err(_) if status == StatusCode::FORBIDDEN => BinanceError::Waf {
            environment,
            endpoint,
            body: String::from_utf8_lossy(body).chars().take(300).collect(),
            suspect: None,
        },
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let snippet: String = text.chars().take(300).collect();
            BinanceError::Http {
                environment,
                endpoint,
                status: status.as_u16(),
                body: if snippet.trim().is_empty() {
                    status.canonical_reason().unwrap_or("").to_owned()
                } else {
                    snippet
                },
                retry_after_secs,
            }
        }
    }
}

/// `symbol=X` for one symbol, `symbols=["A","B"]` for several, nothing for all.
fn symbol_params(symbols: &[String]) -> Vec<(&'static str, String)> {
    match symbols {
        [] => Vec::new(),
        [one] => vec![("symbol", one.clone())],
        many => {
            let list = many.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(",");
            vec![("symbols", format!("[{list}]"))]
        }
    }
}

/// The order's parameters in Binance's names, decimals in plain notation without trailing zeros.
pub fn order_params(order: &NewOrder) -> Vec<(&'static str, String)> {
    let dec = |d: Decimal| d.normalize().to_string();
    let mut params = vec![
        ("symbol", order.symbol.clone()),
        ("side", order.side.as_str().to_owned()),
        ("type", order.order_type.as_str().to_owned()),
    ];
    push_opt(&mut params, "timeInForce", order.time_in_force.map(|t| t.as_str()));
    push_opt(&mut params, "quantity", order.quantity.map(dec));
    push_opt(&mut params, "quoteOrderQty", order.quote_order_qty.map(dec));
    push_opt(&mut params, "price", order.price.map(dec));
    push_opt(&mut params, "stopPrice", order.stop_price.map(dec));
    push_opt(&mut params, "trailingDelta", order.trailing_delta);
    push_opt(&mut params, "icebergQty", order.iceberg_qty.map(dec));
    push_opt(&mut params, "newClientOrderId", order.new_client_order_id.clone());
    push_opt(
        &mut params,
        "selfTradePreventionMode",
        order.self_trade_prevention_mode.map(|m| m.as_str()),
    );
    params
}

pub(super) fn push_opt<T: ToString>(params: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<T>) {
    if let Some(v) = value {
        params.push((name, v.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_sent_as_binance_expects() {
        assert!(symbol_params(&[]).is_empty());
        assert_eq!(
            symbol_params(&["BTCUSDT".into()]),
            vec![("symbol", "BTCUSDT".to_owned())]
        );
        assert_eq!(
            symbol_params(&["BTCUSDT".into(), "ETHUSDT".into()]),
            vec![("symbols", "[\"BTCUSDT\",\"ETHUSDT\"]".to_owned())]
        );
    }

    #[test]
    fn non_json_error_bodies_are_kept_readable() {
        let e = error_from_body(
            Environment::Production,
            "GET /x".into(),
            StatusCode::FORBIDDEN,
            b"<html>blocked</html>",
            None,
        );
        assert_eq!(e.status(), Some(403));
        assert!(matches!(e, BinanceError::Waf { .. }), "{e:?}");
        assert!(e.to_string().contains("web application firewall"), "{e}");
        assert!(e.hint().contains("SQL keyword"), "{}", e.hint());
        let e = error_from_body(
            Environment::Production,
            "GET /x".into(),
            StatusCode::BAD_REQUEST,
            br#"{"code":-1121,"msg":"Invalid symbol."}"#,
            None,
        );
        assert_eq!(e.code(), Some(-1121));
    }
}
