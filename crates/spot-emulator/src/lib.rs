//! Local Binance Spot emulator (axum): the public API (`EmulatorConfig`, `spawn`, `router`,
//! `EmulatorState` with its read-only market view), the shared state and the route table.
//! Faithful to the official docs: same paths, parameters, JSON shapes, error codes and
//! messages, weights and signed-request checks; orders match against the seeded market (see
//! `matching`). Test hooks (request log, fault injection) live under `/emulator/` and are
//! described in `hooks`. The black-box tests are in `tests/emulator/`.
//!
//! On the same port as REST:
//! * `GET /ws-api/v3`: the WebSocket API (`ws_api`, `ws_methods`): `ping`, `time`,
//!   `session.logon` / `.status` / `.logout`, `userDataStream.subscribe`,
//!   `userDataStream.subscribe.signature`, `userDataStream.unsubscribe`,
//!   `session.subscriptions`; every order and balance change of a subscribed account arrives
//!   as `executionReport` / `outboundAccountPosition` events (`user_data`, `user_events`).
//! * `GET /ws/<stream>[/<stream>…]`, `GET /ws` and `GET /stream?streams=<a>/<b>`: market
//!   streams of the seeded market (`streams`, `stream_names`, `stream_feeds`).
//! * Every WebSocket gets a ping frame every `ws_ping_interval`, is closed without a pong within
//!   `ws_pong_timeout` and at `ws_max_lifetime` (`ws_conn`).
//! * REST requests with a SQL keyword in a parameter get the firewall's HTTP 403 (`waf`).

mod account;
mod amend;
mod auth;
mod candles;
mod clock;
mod commission;
mod connections;
mod contingency;
mod error;
mod exchange;
mod execution_rules;
mod fill_hook;
mod general;
mod hooks;
mod market;
mod market_data;
mod market_hooks;
mod market_view;
mod matching;
mod order_count;
mod order_json;
mod order_list_json;
mod order_list_model;
mod order_list_params;
mod order_list_placement;
mod order_list_queries;
mod order_list_trading;
mod order_model;
mod order_params;
mod order_queries;
mod order_rules;
mod order_trading;
mod params;
mod reference;
mod settlement;
mod stream_feeds;
mod stream_names;
mod streams;
mod symbol_param;
mod symbols;
mod ticker;
mod time_unit;
mod user_data;
mod user_events;
mod waf;
mod weight;
mod wire;
mod ws_api;
mod ws_conn;
mod ws_methods;

// The in-crate tests of the modules above share the request helpers of the black-box tests
// (`tests/emulator/`), so both kinds drive the router the same way; only the public API is used.
#[cfg(test)]
#[allow(clippy::unwrap_used, dead_code)]
#[path = "../tests/emulator/support/testkit.rs"]
mod testkit;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::serve::ListenerExt;
use market::Market;
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::AccountKey;
pub use clock::Clock;
pub use error::ApiError;
pub use exchange::{Account, Balance, Exchange};
pub use market::{Book, DEFAULT_MARKET_START_MS, Trade};
pub use market_view::MarketView;
pub use order_list_model::{ContingencyType, ListKind, ListOrderStatus, ListStatusType, OrderList};

/// Documented production weight limit per IP and minute.
pub const DEFAULT_WEIGHT_LIMIT_PER_MINUTE: u32 = 6000;
/// Production unfilled-order limit per account and 10 seconds.
pub const DEFAULT_ORDERS_PER_10S: u32 = 100;
/// Production unfilled-order limit per account and day.
pub const DEFAULT_ORDERS_PER_DAY: u32 = 200_000;
/// "The WebSocket server will send a ping frame every 20 seconds."
pub const DEFAULT_WS_PING_INTERVAL: Duration = Duration::from_secs(20);
/// "If the WebSocket server does not receive a pong frame back from the connection within a
/// minute the connection will be disconnected."
pub const DEFAULT_WS_PONG_TIMEOUT: Duration = Duration::from_secs(60);
/// "A single connection to the API is only valid for 24 hours."
pub const DEFAULT_WS_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How to run an emulator: market seed, accounts and limits.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Seed of the synthetic market: same seed, same prices at the same time since start.
    pub seed: u64,
    /// The market instant (ms since epoch) the emulator shows when it starts; its prices move
    /// on from there with server time, so they never depend on the calendar date.
    pub market_start_ms: i64,
    /// Server time (ms since epoch) at which the market shows `market_start_ms`; `None` = the
    /// moment the emulator starts. Two emulators given one anchor agree at every instant.
    pub market_anchor_ms: Option<i64>,
    /// Accounts reachable through signed endpoints.
    pub accounts: Vec<EmulatorAccount>,
    /// `REQUEST_WEIGHT` limit per IP and clock-aligned minute (default 6000).
    pub weight_limit_per_minute: u32,
    /// `ORDERS` (unfilled order count) limit per account and 10 seconds (default 100).
    pub orders_per_10s: u32,
    /// `ORDERS` limit per account and UTC day (default 200,000).
    pub orders_per_day: u32,
    /// How often the server pings every WebSocket (default 20 s).
    pub ws_ping_interval: Duration,
    /// How long a WebSocket may leave a ping unanswered before it is closed (default 60 s).
    pub ws_pong_timeout: Duration,
    /// Age at which a WebSocket is closed (default 24 h; short values let tests renew).
    pub ws_max_lifetime: Duration,
}

/// One account: its API key, how its signatures are verified, and opening balances.
#[derive(Clone, Debug)]
pub struct EmulatorAccount {
    /// Value expected in `X-MBX-APIKEY`.
    pub api_key: String,
    /// The HMAC secret the client signs with, or the Ed25519 public key of the client's private
    /// key. `Debug` shows a public key but never a secret.
    pub key: AccountKey,
    /// Opening balances: (asset, free amount).
    pub balances: Vec<(String, Decimal)>,
    /// `MAX_ASSET` asset filters (asset, most per order), shown by `GET /api/v3/myFilters` and
    /// enforced on new orders.
    pub max_assets: Vec<(String, Decimal)>,
}

/// Every testnet account's asset filter (testnet CHANGELOG 2025-09-29): at most 1,000,000 JPY
/// per order.
pub fn testnet_max_assets() -> Vec<(String, Decimal)> {
    vec![("JPY".to_owned(), Decimal::from(1_000_000))]
}

impl EmulatorConfig {
    /// No accounts, production limits (6000 weight per minute, 100 orders per 10 s, 200,000 per day).
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            market_start_ms: market::DEFAULT_MARKET_START_MS,
            market_anchor_ms: None,
            accounts: Vec::new(),
            weight_limit_per_minute: DEFAULT_WEIGHT_LIMIT_PER_MINUTE,
            orders_per_10s: DEFAULT_ORDERS_PER_10S,
            orders_per_day: DEFAULT_ORDERS_PER_DAY,
            ws_ping_interval: DEFAULT_WS_PING_INTERVAL,
            ws_pong_timeout: DEFAULT_WS_PONG_TIMEOUT,
            ws_max_lifetime: DEFAULT_WS_MAX_LIFETIME,
        }
    }

    /// Adds an account with the default balances: BTC 1, ETH 10, BNB 50, USDT 10000, XRP 5000,
    /// and, like every Spot Testnet account, the Unicode test assets `这是测试币` 1000 and `456` 1000, USDC 10000, BROCCOLI714 100000.
    pub fn with_account(self, api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        self.with_keyed_account(api_key, AccountKey::Hmac(api_secret.into()))
    }

    /// Adds an account verified with `key` (HMAC secret or Ed25519 public key), default balances
    /// and the testnet's MAX_ASSET filter ([`testnet_max_assets`]).
    pub fn with_keyed_account(mut self, api_key: impl Into<String>, key: AccountKey) -> Self {
        let balances = [
            ("BTC", 1),
            ("ETH", 10),
            ("BNB", 50),
            ("USDT", 10_000),
            ("XRP", 5_000),
            ("这是测试币", 1_000),
            ("456", 1_000),
            ("USDC", 10_000),
            ("BROCCOLI714", 100_000),
        ]
        .into_iter()
        .map(|(asset, free)| (asset.to_owned(), Decimal::from(free)))
        .collect();
        self.accounts.push(EmulatorAccount {
            api_key: api_key.into(),
            key,
            balances,
            max_assets: testnet_max_assets(),
        });
        self
    }
}

/// Everything the handlers share: configuration, clock, the immutable market model, the
/// mutable exchange (accounts, orders), the per-IP weight windows and the test hooks.
#[derive(Debug)]
pub struct EmulatorState {
    config: EmulatorConfig,
    /// Server clock (with adjustable skew).
    pub clock: Clock,
    market: Market,
    exchange: Mutex<Exchange>,
    weights: Mutex<weight::WeightWindows>,
    hooks: hooks::Hooks,
    /// Open connections of a served emulator (for the `drop_connections` fault).
    connections: Arc<connections::Connections>,
    /// WebSocket connection ids and the `ws_down_ms` fault.
    ws: ws_conn::WsHub,
    /// User Data Stream subscriptions and the event pump.
    user_data: user_data::UserData,
}

impl EmulatorState {
    /// State for `config`, accounts opened now, the default symbol listing.
    pub fn new(config: EmulatorConfig) -> Self {
        let clock = Clock::default();
        let started_at = clock.now_ms();
        let exchange = Exchange::new(&config.accounts, started_at);
        let anchor = config.market_anchor_ms.unwrap_or(started_at);
        Self {
            market: Market::anchored(config.seed, symbols::default_symbols(), anchor, config.market_start_ms),
            exchange: Mutex::new(exchange),
            weights: Mutex::new(weight::WeightWindows::default()),
            hooks: hooks::Hooks::default(),
            connections: Arc::default(),
            ws: ws_conn::WsHub::default(),
            user_data: user_data::UserData::default(),
            clock,
            config,
        }
    }

    /// The configuration this emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// The seeded market, read-only: what the emulator shows at any server instant.
    pub fn market(&self) -> MarketView<'_> {
        MarketView::new(&self.market)
    }

    /// The mutable exchange state. Never hold the guard across an `.await`.
    pub fn exchange(&self) -> MutexGuard<'_, Exchange> {
        self.exchange.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The exchange with `api_key`'s resting orders settled against the market up to `now_ms`
    /// (see `settlement`). Never hold the guard across an `.await`.
    fn settled(&self, api_key: &str, now_ms: i64) -> MutexGuard<'_, Exchange> {
        let mut exchange = self.exchange();
        exchange.advance(api_key, &self.market, now_ms);
        exchange
    }

    fn order_limits(&self) -> order_count::OrderLimits {
        order_count::OrderLimits {
            per_10s: self.config.orders_per_10s,
            per_day: self.config.orders_per_day,
        }
    }

    fn weights(&self) -> MutexGuard<'_, weight::WeightWindows> {
        self.weights.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The emulator's routes under `/api/v3`, the WebSocket API and market streams, the test hooks
/// under `/emulator/`, weight accounting on every request, User Data Stream events after every
/// request of a subscribed account, and an empty 404 for anything else. For in-process tests
/// (`tower::ServiceExt::oneshot`); the client IP comes from `ConnectInfo` when served by
/// [`spawn`], else 127.0.0.1. WebSockets need a served emulator ([`spawn`]), which also runs
/// the background event pump.
pub fn router(state: Arc<EmulatorState>) -> Router {
    Router::new()
        .route("/api/v3/ping", get(general::ping))
        .route("/api/v3/time", get(general::time))
        .route("/api/v3/exchangeInfo", get(general::exchange_info))
        .route("/api/v3/depth", get(market_data::depth))
        .route("/api/v3/trades", get(market_data::trades))
        .route("/api/v3/klines", get(market_data::klines))
        .route("/api/v3/uiKlines", get(market_data::klines))
        .route("/api/v3/avgPrice", get(market_data::avg_price))
        .route("/api/v3/referencePrice", get(reference::reference_price))
        .route(
            "/api/v3/referencePrice/calculation",
            get(reference::reference_price_calculation),
        )
        .route("/api/v3/executionRules", get(execution_rules::execution_rules))
        .route("/api/v3/ticker/24hr", get(ticker::ticker_24hr))
        .route("/api/v3/ticker/price", get(ticker::ticker_price))
        .route("/api/v3/ticker/bookTicker", get(ticker::ticker_book))
        .route("/api/v3/ticker", get(ticker::ticker_rolling))
        .route("/api/v3/account", get(account::account))
        .route("/api/v3/account/commission", get(commission::account_commission))
        .route("/api/v3/myFilters", get(account::my_filters))
        .route(
            "/api/v3/order",
            post(order_trading::new_order)
                .get(order_queries::query_order)
                .delete(order_trading::cancel_order),
        )
        .route("/api/v3/order/test", post(order_trading::test_order))
        .route("/api/v3/order/amend/keepPriority", put(amend::amend_keep_priority))
        .route(
            "/api/v3/openOrders",
            get(order_queries::open_orders).delete(order_trading::cancel_open_orders),
        )
        .route("/api/v3/allOrders", get(order_queries::all_orders))
        .route("/api/v3/myTrades", get(order_queries::my_trades))
        .route("/api/v3/rateLimit/order", get(order_queries::rate_limit_order))
        .route(weight::WS_API_PATH, get(ws_api::upgrade))
        .route("/ws", get(streams::raw_empty))
        .route("/ws/{*streams}", get(streams::raw))
        .route("/stream", get(streams::combined))
        .route("/api/v3/orderList/oco", post(order_list_trading::place_oco))
        .route("/api/v3/orderList/oto", post(order_list_trading::place_oto))
        .route("/api/v3/orderList/otoco", post(order_list_trading::place_otoco))
        .route("/api/v3/orderList/opo", post(order_list_trading::place_opo))
        .route("/api/v3/orderList/opoco", post(order_list_trading::place_opoco))
        .route(
            "/api/v3/orderList",
            delete(order_list_trading::cancel_order_list).get(order_list_queries::query_order_list),
        )
        .route("/api/v3/openOrderList", get(order_list_queries::open_order_lists))
        .route("/api/v3/allOrderList", get(order_list_queries::all_order_lists))
        .merge(hooks::routes())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            user_data::after_request,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), weight::middleware))
        // In front of the API, behind the request log: a blocked request is logged, never charged.
        .layer(axum::middleware::from_fn(waf::middleware))
        .layer(axum::middleware::from_fn_with_state(state.clone(), hooks::middleware))
        .with_state(state)
}

/// A running emulator: its address, its state, and the means to stop it.
#[derive(Debug)]
pub struct EmulatorHandle {
    local_addr: SocketAddr,
    state: Arc<EmulatorState>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// The background User Data Stream pump.
    pump: JoinHandle<()>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash); an unspecified bind address is shown as loopback.
    pub fn base_url(&self) -> String {
        let ip = match self.local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// The bound socket address (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state (clock skew, accounts) of the running emulator.
    pub fn state(&self) -> &Arc<EmulatorState> {
        &self.state
    }

    /// Stops accepting connections, drops every WebSocket, lets in-flight requests finish, and
    /// waits for the server task.
    pub async fn shutdown(self) {
        self.pump.abort();
        // Upgraded connections are not the server's to wait for: drop them.
        self.state.ws.sever_all();
        let _ = self.shutdown.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "emulator task ended abnormally");
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves the emulator in a tokio task.
pub async fn spawn(addr: SocketAddr, config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let state = Arc::new(EmulatorState::new(config));
    let listener = connections::SeverableListener::new(listener, state.connections.clone()).tap_io(|_| {});
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "emulator server failed");
        }
    });
    let pump = tokio::spawn(user_data::run_ticker(state.clone()));
    tracing::info!(%local_addr, "binance emulator listening");
    Ok(EmulatorHandle {
        local_addr,
        state,
        shutdown,
        task,
        pump,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::testkit::{get, new_router, router_with, send};
    use super::*;
    use axum::http::Method;
    use serde_json::json;

    #[tokio::test]
    async fn unknown_path_is_404() {
        let app = new_router(1);
        let (status, headers, _) = get(&app, "/api/v3/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(headers.contains_key("x-mbx-used-weight-1m"));
        let (status, _, _) = get(&app, "/sapi/v1/system/status").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn weight_header_increments() {
        let app = new_router(1);
        let (_, h1, _) = get(&app, "/api/v3/exchangeInfo").await;
        let (_, h2, _) = get(&app, "/api/v3/ping").await;
        let first: u32 = h1["x-mbx-used-weight-1m"].to_str().unwrap().parse().unwrap();
        let second: u32 = h2["x-mbx-used-weight-1m"].to_str().unwrap().parse().unwrap();
        assert_eq!(first, 20);
        // A new clock-aligned minute may start between the two requests.
        assert!(second == 21 || second == 1, "{second}");
    }

    #[tokio::test]
    async fn weight_limit_gives_429_with_retry_after() {
        let mut config = EmulatorConfig::new(1);
        config.weight_limit_per_minute = 30;
        let app = router_with(config);
        let (status, _, _) = get(&app, "/api/v3/exchangeInfo").await;
        assert_eq!(status, StatusCode::OK);
        let (status, headers, body) = get(&app, "/api/v3/exchangeInfo").await;
        if status == StatusCode::OK {
            return; // the minute rolled over between the two requests
        }
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            body,
            json!({"code":-1003,"msg":"Too much request weight used; current limit is 30 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."})
        );
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert_eq!(headers["x-mbx-used-weight-1m"], "40");
    }

    #[tokio::test]
    async fn a_client_that_keeps_sending_after_429_gets_banned() {
        let mut config = EmulatorConfig::new(1);
        config.weight_limit_per_minute = 30;
        let app = router_with(config);
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(get(&app, "/api/v3/exchangeInfo").await);
        }
        let codes: Vec<u16> = statuses.iter().map(|(s, _, _)| s.as_u16()).collect();
        if codes.iter().filter(|c| **c == 200).count() > 1 {
            return; // the minute rolled over in between
        }
        assert_eq!(codes, [200, 429, 429, 429, 418, 418], "{codes:?}");
        let (_, headers, body) = &statuses[4];
        assert_eq!(body["code"], -1003);
        let msg = body["msg"].as_str().unwrap();
        let until: i64 = msg
            .strip_prefix("Way too much request weight used; IP banned until ")
            .and_then(|rest| rest.split('.').next())
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{msg}"));
        assert!(until > clock::Clock::default().now_ms() + 100_000, "a 2-minute ban");
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((110..=120).contains(&retry), "{retry}");
    }

    #[tokio::test]
    async fn status_once_answers_the_next_requests_then_stops() {
        let app = new_router(1);
        let faults = r#"{"status_once": {"status": 429, "retry_after_secs": 7, "count": 2}}"#;
        let json = [("content-type", "application/json")];
        let (status, _, _) = send(&app, Method::POST, "/emulator/faults", &json, Some(faults)).await;
        assert_eq!(status, StatusCode::OK);
        for _ in 0..2 {
            let (status, headers, body) = get(&app, "/api/v3/ping").await;
            assert_eq!(
                (status, body["code"].as_i64()),
                (StatusCode::TOO_MANY_REQUESTS, Some(-1003))
            );
            assert_eq!(headers["retry-after"], "7");
        }
        assert_eq!(get(&app, "/api/v3/ping").await.0, StatusCode::OK);
        let faults = r#"{"status_once": {"status": 418, "retry_after_secs": 90}}"#;
        send(&app, Method::POST, "/emulator/faults", &json, Some(faults)).await;
        let (status, headers, body) = get(&app, "/api/v3/ping").await;
        assert_eq!(status, StatusCode::IM_A_TEAPOT);
        assert_eq!(headers["retry-after"], "90");
        let msg = body["msg"].as_str().unwrap();
        let until: i64 = msg
            .strip_prefix("Way too much request weight used; IP banned until ")
            .and_then(|rest| rest.split('.').next())
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{msg}"));
        assert!(until > clock::Clock::default().now_ms() + 80_000);
        let bad = r#"{"status_once": {"status": 200}}"#;
        assert_eq!(
            send(&app, Method::POST, "/emulator/faults", &json, Some(bad)).await.0,
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn dropped_connections_get_no_answer() {
        let handle = spawn("127.0.0.1:0".parse().unwrap(), EmulatorConfig::new(3))
            .await
            .unwrap();
        let base = handle.base_url();
        let http = reqwest::Client::new();
        http.post(format!("{base}/emulator/faults"))
            .json(&json!({"drop_connections": 1}))
            .send()
            .await
            .unwrap();
        let dropped = http.get(format!("{base}/api/v3/ping")).send().await;
        let error = dropped.expect_err("no answer");
        assert!(!error.is_connect() && !error.is_timeout(), "{error:?}");
        assert_eq!(
            http.get(format!("{base}/api/v3/ping")).send().await.unwrap().status(),
            200
        );
        let log: Vec<serde_json::Value> = http
            .get(format!("{base}/emulator/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let statuses: Vec<&serde_json::Value> = log.iter().map(|r| &r["status"]).collect();
        assert_eq!(statuses, [&json!(null), &json!(200)]);
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn same_seed_same_answers_at_the_same_moment() {
        let (a, b) = (new_router(5), new_router(5));
        let uri = "/api/v3/klines?symbol=XRPUSDT&interval=1d&endTime=1767225600000&limit=30";
        assert_eq!(get(&a, uri).await.2, get(&b, uri).await.2);
    }

    #[tokio::test]
    async fn serves_over_loopback_and_shuts_down() {
        let config = EmulatorConfig::new(3);
        let handle = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
        let base = handle.base_url();
        assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
        assert_ne!(handle.local_addr().port(), 0);
        let response = reqwest::get(format!("{base}/api/v3/ticker/price?symbol=BTCUSDT"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-mbx-used-weight-1m"], "2");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["symbol"], "BTCUSDT");
        let symbols = reqwest::get(format!(
            "{base}/api/v3/exchangeInfo?symbols=[%22ETHBTC%22,%22XRPUSDT%22]"
        ))
        .await
        .unwrap();
        assert_eq!(symbols.status(), 200);
        handle.shutdown().await;
    }
}
