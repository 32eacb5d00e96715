//! Money safety at the edges (issue 12): configurations that would send keys to the wrong
//! exchange refuse to start, and `BINANCE_PRODUCTION_APPROVAL` decides when the human must
//! approve a production write, through the real binary.

mod common;

use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, ErrorData, FormElicitationCapability, Implementation, ProtocolVersion,
};
use rmcp::service::{RequestContext, RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};

use common::*;

/// The binary with a clean environment plus `env`, stdin closed; waits for it to exit.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("BINANCE_HOME", home.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run binance-mcp")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_testnet_url_on_production_binance_stops_the_server_and_doctor() {
    let env = [("BINANCE_TESTNET_BASE_URL", "https://api.binance.com")];
    // `serve` is the default command: it must refuse before speaking MCP or contacting anything.
    for args in [&[][..], &["serve"], &["doctor"]] {
        let out = run(args, &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let text = stderr(&out);
        for needle in [
            "BINANCE_TESTNET_BASE_URL",
            "api.binance.com",
            "production host",
            "Unset BINANCE_TESTNET_BASE_URL to use https://testnet.binance.vision",
        ] {
            assert!(text.contains(needle), "{args:?}: {needle:?} not in {text}");
        }
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    }
    let out = run(
        &["doctor"],
        &[("BINANCE_DEMO_STREAM_URL", "wss://stream.binance.com:9443")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("BINANCE_DEMO_STREAM_URL"), "{}", stderr(&out));
}

#[test]
fn production_over_plain_http_is_loopback_only_and_the_old_confirm_variable_is_refused() {
    let out = run(&["doctor"], &[("BINANCE_BASE_URL", "http://proxy.example:8080")]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("BINANCE_BASE_URL") && text.contains("unencrypted"),
        "{text}"
    );

    let out = run(&["doctor"], &[("BINANCE_CONFIRM", "argument")]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("BINANCE_CONFIRM") && text.contains("BINANCE_PRODUCTION_APPROVAL"),
        "{text}"
    );
}

#[tokio::test]
async fn call_refuses_production_writes_without_a_terminal() {
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": "1000", "environment": "production", "confirm_production": true});
    let cancel = json!({"symbol": "BTCUSDT", "order_id": 1, "environment": "production", "confirm_production": true});
    for (tool, args) in [("order_place", order.to_string()), ("order_cancel", cancel.to_string())] {
        let out = tokio::task::spawn_blocking(move || run(&["call", "--emulator", tool, &args], &[]))
            .await
            .expect("join");
        assert_eq!(out.status.code(), Some(1), "{tool}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.contains("not a terminal") && text.contains("nothing was sent"),
            "{tool}: {text}"
        );
        assert!(out.stdout.is_empty(), "{tool}: call wrote to stdout without a result");
    }
    // A production read, and a write elsewhere, are not held up.
    let out = tokio::task::spawn_blocking(|| {
        run(
            &[
                "call",
                "--emulator",
                "account_balances",
                r#"{"environment":"production","confirm_production":true}"#,
            ],
            &[],
        )
    })
    .await
    .expect("join");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON result");
    assert_eq!(v["environment"], "production");
}

/// A production limit buy of half the per-order limit, well below the bid (it rests).
async fn production_order(mcp: &Mcp) -> Value {
    let (bid, _) = mcp.book("BTCUSDT", "production").await;
    let price = price_near(&bid, "0.98", "0.01");
    let qty = qty_within_limit(&price, "0.5", "0.00001");
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty, "price": price, "environment": "production", "confirm_production": true})
}

/// The same shape on testnet (with the fields of `extra`), so that production's rehearsal rule is met.
async fn rehearse(mcp: &Mcp, extra: Value) {
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.97", "0.01");
    let qty = qty_within_limit(&price, "0.25", "0.00001");
    let mut order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty, "price": price, "environment": "testnet"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        order[k] = v.clone();
    }
    mcp.ok("order_test", order).await;
}

#[tokio::test]
async fn required_refuses_production_writes_when_the_client_cannot_ask_and_auto_does_not() {
    let ex = Exchanges::start().await;
    let mut env = ex.env_with_production_keys();
    env.push(("BINANCE_PRODUCTION_APPROVAL".into(), "required".into()));
    // rmcp's client in tests/common declares no elicitation capability.
    let mcp = connect(&env, &[]).await;
    rehearse(&mcp, json!({})).await;
    let order = production_order(&mcp).await;
    mcp.ok("order_test", order.clone()).await;
    let text = mcp.err("order_place", order.clone()).await;
    assert!(text.contains("human_approval_unavailable"), "{text}");
    assert!(
        text.contains("BINANCE_PRODUCTION_APPROVAL=required") && text.contains("binance-mcp call"),
        "{text}"
    );
    let text = mcp
        .err(
            "order_cancel",
            json!({"symbol": "BTCUSDT", "order_id": 1, "environment": "production", "confirm_production": true}),
        )
        .await;
    assert!(text.contains("human_approval_unavailable"), "{text}");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        0
    );
    assert_eq!(
        count_requests(&ex.production.base_url, "DELETE", "/api/v3/order").await,
        0
    );
    let _ = mcp.client.cancel().await;

    // The same exchanges, the default policy: confirm_production: true is enough for this client.
    let mut env = ex.env_with_production_keys();
    env.push(("BINANCE_PRODUCTION_APPROVAL".into(), "auto".into()));
    let mcp = connect(&env, &[]).await;
    rehearse(&mcp, json!({})).await;
    let order = production_order(&mcp).await;
    mcp.ok("order_test", order.clone()).await;
    let placed = mcp.ok("order_place", order).await;
    assert_eq!(placed["environment"], "production");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        1
    );
}

/// An MCP client whose human types `answer` into every approval form, and what it was shown.
#[derive(Clone)]
struct Typist {
    answer: Arc<Mutex<String>>,
    shown: Arc<Mutex<Vec<String>>>,
    /// The protocol version the client offers.
    protocol: ProtocolVersion,
}

impl ClientHandler for Typist {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        assert!(
            requested_schema.properties.contains_key("confirmation"),
            "typed asks for a typed confirmation"
        );
        self.shown.lock().expect("shown").push(message);
        let answer = self.answer.lock().expect("answer").clone();
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirmation": answer})))
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        ClientConfig::new(capabilities, Implementation::new("typist", "1")).with_protocol_version(self.protocol.clone())
    }
}

async fn call(client: &RunningService<RoleClient, Typist>, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("arguments must be an object")
    };
    tokio::time::timeout(
        STEP,
        client.call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map)),
    )
    .await
    .expect("tool answered in time")
    .expect("tool call transported")
}

/// Through `elicitation/create` (2025-11-25). rmcp's stdio client negotiates 2025-11-25 through
/// `initialize`, so the 2026-07-28 input-required round trip is not reached from here.
#[tokio::test]
async fn typed_needs_the_side_and_symbol_typed_by_the_human() {
    let protocol = ProtocolVersion::V_2025_11_25;
    let ex = Exchanges::start().await;
    let mut env = ex.env_with_production_keys();
    env.push(("BINANCE_PRODUCTION_APPROVAL".into(), "typed".into()));
    // The plain client prepares the order; the typist's server shares the memory folder.
    let mcp = connect(&env, &[]).await;
    rehearse(&mcp, json!({"self_trade_prevention_mode": "EXPIRE_MAKER"})).await;
    let mut order = production_order(&mcp).await;
    order["self_trade_prevention_mode"] = json!("EXPIRE_MAKER");
    order["cancel_after_seconds"] = json!(600);
    mcp.ok("order_test", order.clone()).await;

    let typist = Typist {
        answer: Arc::default(),
        shown: Arc::default(),
        protocol: protocol.clone(),
    };
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.env_clear()
        .env("BINANCE_HOME", mcp.home.path())
        .env("RUST_LOG", "warn");
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let client = tokio::time::timeout(
        STEP,
        typist.clone().serve(TokioChildProcess::new(cmd).expect("spawn server")),
    )
    .await
    .expect("initialize in time")
    .expect("initialize");
    assert_eq!(
        client.peer_info().map(|i| i.protocol_version.clone()),
        Some(protocol),
        "the protocol under test was negotiated"
    );

    *typist.answer.lock().expect("answer") = "SELL BTCUSDT".into();
    let refused = call(&client, "order_place", order.clone()).await;
    assert_eq!(refused.is_error, Some(true), "{}", text(&refused));
    assert!(
        text(&refused).contains("human_approval") && text(&refused).contains("SELL BTCUSDT"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        0
    );
    let shown = typist.shown.lock().expect("shown").clone();
    let message = shown.last().expect("the human was asked");
    for needle in [
        "PRODUCTION",
        "BUY",
        "BTCUSDT",
        "Self-trade prevention: EXPIRE_MAKER",
        "600 s",
        "type exactly: BUY BTCUSDT",
        // The money at stake, from the desk: the worst case and the day's total against the limit.
        "Worst case: up to ",
        " USDT committed",
        "Today's production total after this: ",
        "(daily limit 500 USDT)",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }

    // Case and spacing aside, the side and symbol approve it: the refused answer used no test.
    *typist.answer.lock().expect("answer") = "  buy btcusdt ".into();
    let placed = call(&client, "order_place", order.clone()).await;
    assert_ne!(placed.is_error, Some(true), "{}", text(&placed));
    let placed = placed.structured_content.expect("structured");
    assert_eq!(placed["environment"], "production");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        1
    );

    // Cancels are asked too under typed: the verb and symbol.
    let cancel = json!({"symbol": "BTCUSDT", "order_id": placed["order_id"], "environment": "production", "confirm_production": true});
    let refused = call(&client, "order_cancel", cancel.clone()).await;
    assert_eq!(
        refused.is_error,
        Some(true),
        "answered BUY to a cancel: {}",
        text(&refused)
    );
    *typist.answer.lock().expect("answer") = "cancel BTCUSDT".into();
    let cancelled = call(&client, "order_cancel", cancel).await;
    assert_ne!(cancelled.is_error, Some(true), "{}", text(&cancelled));
    assert_eq!(
        count_requests(&ex.production.base_url, "DELETE", "/api/v3/order").await,
        1
    );
    let audit = std::fs::read_to_string(mcp.home.path().join("audit.jsonl")).expect("audit");
    assert!(
        audit.contains("elicitation_refused") && audit.contains("elicitation_accepted"),
        "{audit}"
    );
    let _ = client.cancel().await;
}
