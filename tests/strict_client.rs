//! A strict MCP client of our own against the real binary (`serve --emulator`), in raw JSON-RPC
//! lines over stdio. It behaves like a careful client: it reads the server's capabilities first
//! and asks only for what they advertise; every message it sends or receives is checked against
//! the official MCP schema of the negotiated revision (vendored in tests/schemas/), and every
//! tool's `structuredContent` against that tool's own `outputSchema`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{BIN, STEP, qty_within_limit};
use jsonschema::ValidatorMap;
use serde_json::{Value, json};

/// The revision every client speaks today (initialize handshake).
const V2025: &str = "2025-11-25";
/// The stateless revision: no initialize, `server/discover` and per-request `_meta`.
const V2026: &str = "2026-07-28";

// ---------------------------------------------------------------------------------------------
// The official schema of one revision.

/// The MCP schema of one revision with every `$defs` entry compiled.
struct Spec {
    version: &'static str,
    defs: ValidatorMap,
}

impl Spec {
    fn load(version: &'static str) -> Spec {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schemas")
            .join(version)
            .join("schema.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).expect("the vendored schema is JSON");
        let defs = jsonschema::options()
            .should_validate_formats(true)
            .build_map(&schema)
            .unwrap_or_else(|e| panic!("the MCP {version} schema does not compile: {e}"));
        Spec { version, defs }
    }

    fn has(&self, def: &str) -> bool {
        self.defs.contains_key(&format!("#/$defs/{def}"))
    }

    /// Every way `instance` breaks the schema's definition `def`, with where in the instance.
    fn violations(&self, def: &str, instance: &Value) -> Vec<String> {
        let validator = self
            .defs
            .get(&format!("#/$defs/{def}"))
            .unwrap_or_else(|| panic!("MCP {} defines no {def}", self.version));
        validator
            .iter_errors(instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path()))
            .collect()
    }

    /// Panics with every violation when `instance` is not a valid `def`.
    fn check(&self, def: &str, what: &str, instance: &Value) {
        let errors = self.violations(def, instance);
        assert!(
            errors.is_empty(),
            "{what} is not a valid {def} of MCP {}:\n  {}\n{}",
            self.version,
            errors.join("\n  "),
            shorten(instance)
        );
    }
}

fn shorten(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    match text.char_indices().nth(4000) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The request and result definitions the schema gives a method.
fn defs_of(method: &str) -> (&'static str, &'static str) {
    match method {
        "initialize" => ("InitializeRequest", "InitializeResult"),
        "server/discover" => ("DiscoverRequest", "DiscoverResult"),
        "ping" => ("PingRequest", "EmptyResult"),
        "logging/setLevel" => ("SetLevelRequest", "EmptyResult"),
        "tools/list" => ("ListToolsRequest", "ListToolsResult"),
        "tools/call" => ("CallToolRequest", "CallToolResult"),
        "prompts/list" => ("ListPromptsRequest", "ListPromptsResult"),
        "prompts/get" => ("GetPromptRequest", "GetPromptResult"),
        "resources/list" => ("ListResourcesRequest", "ListResourcesResult"),
        "resources/templates/list" => ("ListResourceTemplatesRequest", "ListResourceTemplatesResult"),
        "resources/read" => ("ReadResourceRequest", "ReadResourceResult"),
        "completion/complete" => ("CompleteRequest", "CompleteResult"),
        "subscriptions/listen" => ("SubscriptionsListenRequest", "SubscriptionsListenResult"),
        other => panic!("the strict client does not send {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The session: the binary as a child process, one JSON-RPC line at a time.

struct Session {
    spec: Spec,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// `_meta` every request carries on 2026-07-28 (empty on 2025-11-25).
    request_meta: Option<Value>,
    /// Notifications received so far, by method (each one schema-checked on arrival).
    notifications: BTreeMap<String, usize>,
    /// Open `subscriptions/listen` requests: their final result may come at any time.
    listening: Vec<u64>,
    _home: tempfile::TempDir,
}

impl Session {
    fn start(spec: Spec) -> Session {
        let home = tempfile::tempdir().expect("temp home");
        let mut child = Command::new(BIN)
            .args(["serve", "--emulator"])
            .env_clear()
            .env("BINANCE_HOME", home.path())
            .env("HOME", home.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn binance-mcp serve --emulator");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Session {
            spec,
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 0,
            request_meta: None,
            notifications: BTreeMap::new(),
            listening: Vec::new(),
            _home: home,
        }
    }

    fn write(&mut self, message: &Value) {
        let line = serde_json::to_string(message).expect("serialise");
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .expect("write to the server");
    }

    /// Sends one request (checked against the schema first: the client is strict with itself
    /// too) and returns its `result`, checked against the method's result definition. A JSON-RPC
    /// error panics with the error.
    fn request(&mut self, method: &str, params: Value) -> Value {
        match self.try_request(method, params) {
            Ok(result) => result,
            Err(error) => panic!("{method} answered a JSON-RPC error: {error}"),
        }
    }

    fn try_request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        let response = self.response_to(id, method);
        self.answer(method, &response)
    }

    /// Writes a request (schema-checked: the client is strict with itself too); returns its id.
    fn send_request(&mut self, method: &str, mut params: Value) -> u64 {
        if let Some(meta) = &self.request_meta {
            params["_meta"] = meta.clone();
        }
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let (request_def, _) = defs_of(method);
        self.spec
            .check(request_def, &format!("our own {method} request"), &message);
        self.write(&message);
        id
    }

    /// The result of a response, checked against the method's result definition; or its error.
    fn answer(&self, method: &str, response: &Value) -> Result<Value, Value> {
        let (_, result_def) = defs_of(method);
        self.spec
            .check("JSONRPCResponse", &format!("the response to {method}"), response);
        if let Some(error) = response.get("error") {
            return Err(error.clone());
        }
        let result = response["result"].clone();
        self.spec.check(result_def, &format!("the result of {method}"), &result);
        Ok(result)
    }

    /// Reads lines until the response with `id`.
    fn response_to(&mut self, id: u64, method: &str) -> Value {
        self.next_message(method, |m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// Reads lines until one that `wanted` picks, and returns it. On the way every message is
    /// schema-checked, notifications are counted, the final result of an open subscription is
    /// checked; anything else (an answer to another id, a request from the server to a client
    /// that declared no capabilities) fails.
    fn next_message(&mut self, method: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + STEP * 3;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => panic!("no answer to {method} within {:?}", STEP * 3),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed stdout before answering {method}")
                }
            };
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a line that is not JSON ({e}): {line}"));
            self.spec.check("JSONRPCMessage", "a message from the server", &message);
            if let Some(m) = message.get("method").and_then(Value::as_str)
                && message.get("id").is_none()
            {
                let m = m.to_owned();
                self.spec
                    .check("ServerNotification", &format!("the notification {m}"), &message);
                *self.notifications.entry(m).or_default() += 1;
            }
            if wanted(&message) {
                return message;
            }
            match (message.get("id"), message.get("method")) {
                (None, Some(_)) => {}
                (Some(got), None) if got.as_u64().is_some_and(|id| self.listening.contains(&id)) => {
                    if let Err(error) = self.answer("subscriptions/listen", &message) {
                        panic!("the subscription {got} ended with an error: {error}");
                    }
                }
                (Some(got), None) => panic!("an answer to id {got} while waiting for {method}: {line}"),
                _ => panic!("the server sent a request to a client that declared no capabilities: {line}"),
            }
        }
    }

    fn notify(&mut self, method: &str, params: Option<Value>) {
        let mut message = json!({"jsonrpc": "2.0", "method": method});
        if let Some(params) = params {
            message["params"] = params;
        }
        self.spec
            .check("ClientNotification", &format!("our {method}"), &message);
        self.write(&message);
    }

    /// Every page of a paginated list.
    fn list_all(&mut self, method: &str, key: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let page = self.request(method, params);
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
        panic!("{method}: more than 100 pages");
    }

    /// Closes stdin and waits for the server to leave on its own.
    fn finish(mut self) {
        drop(self.stdin.take());
        let started = Instant::now();
        while started.elapsed() < STEP {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the server exited with {status} after stdin closed");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit within {STEP:?} of stdin closing");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// What a strict client does once connected: capabilities first, then only what they advertise.

/// What the strict walk found, for the version-specific assertions of each test.
struct Walk {
    tools: Vec<Value>,
    prompts: Option<Vec<Value>>,
    resources: Option<Vec<Value>>,
    completions_asked: usize,
}

fn walk(session: &mut Session, capabilities: &Value) -> Walk {
    assert!(
        capabilities.get("tools").is_some(),
        "the server does not advertise tools: {capabilities}"
    );
    let tools = session.list_all("tools/list", "tools");
    assert!(tools.len() >= 20, "{} tools", tools.len());
    check_tool_definitions(&tools);

    let prompts = capabilities.get("prompts").map(|_| {
        let prompts = session.list_all("prompts/list", "prompts");
        for prompt in &prompts {
            let name = prompt["name"].as_str().expect("prompt name").to_owned();
            let arguments = prompt_arguments(prompt);
            session.request("prompts/get", json!({"name": name, "arguments": arguments}));
        }
        prompts
    });

    let resources = capabilities.get("resources").map(|_| {
        let resources = session.list_all("resources/list", "resources");
        for resource in &resources {
            let uri = resource["uri"].as_str().expect("resource uri").to_owned();
            let read = session.request("resources/read", json!({"uri": uri}));
            assert!(
                read["contents"].as_array().is_some_and(|c| !c.is_empty()),
                "{uri} read empty: {read}"
            );
        }
        session.list_all("resources/templates/list", "resourceTemplates");
        resources
    });

    let mut completions_asked = 0;
    if capabilities.get("completions").is_some() {
        for prompt in prompts.iter().flatten() {
            for argument in prompt["arguments"].as_array().into_iter().flatten() {
                let params = json!({
                    "ref": {"type": "ref/prompt", "name": prompt["name"]},
                    "argument": {"name": argument["name"], "value": ""},
                });
                session.request("completion/complete", params);
                completions_asked += 1;
            }
        }
    }
    Walk {
        tools,
        prompts,
        resources,
        completions_asked,
    }
}

/// Values for a prompt's required arguments.
fn prompt_arguments(prompt: &Value) -> Value {
    let mut arguments = serde_json::Map::new();
    for argument in prompt["arguments"].as_array().into_iter().flatten() {
        if argument["required"] != true {
            continue;
        }
        let name = argument["name"].as_str().expect("argument name");
        let value = match name {
            "symbol" => "BTCUSDT",
            "environment" => "testnet",
            _ => "buy 0.001 BTCUSDT limit at 50000 on testnet",
        };
        arguments.insert(name.to_owned(), json!(value));
    }
    Value::Object(arguments)
}

/// Every inputSchema and outputSchema is itself a valid JSON Schema with an object root.
///
/// Note: today's output schemas are `{"type": "object", "additionalProperties": true}`
/// (`open_output` in src/tools/schema.rs keeps tools/list small), so the structuredContent
/// check below can only catch a result that is not an object.
fn check_tool_definitions(tools: &[Value]) {
    for tool in tools {
        let name = tool["name"].as_str().unwrap_or("?");
        if let Err(e) = jsonschema::meta::validate(&tool["inputSchema"]) {
            panic!("{name}: its inputSchema is not a valid JSON Schema: {e}");
        }
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}: inputSchema root");
        if let Some(schema) = tool.get("outputSchema") {
            if let Err(e) = jsonschema::meta::validate(schema) {
                panic!("{name}: its outputSchema is not a valid JSON Schema: {e}");
            }
            assert_eq!(schema["type"], "object", "{name}: outputSchema root");
        }
    }
}

/// The safe calls: market data from the emulated production market, validation, a test order on
/// testnet, the server's status and the memory. Nothing here places, cancels or amends.
fn safe_calls(session: &mut Session, tools: &[Value]) -> Vec<String> {
    let mut called = Vec::new();
    let book = call_checked(
        session,
        tools,
        "market_book_ticker",
        json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
    );
    called.push("market_book_ticker".to_owned());
    let bid = find_str(&book, "bid_price")
        .or_else(|| find_str(&book, "bidPrice"))
        .unwrap_or_else(|| panic!("no bid price in the book ticker: {book}"));
    let price = below(&bid, "0.9");
    let order = json!({
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty_within_limit(&price, "0.3", "0.00001"), "price": price,
        "environment": "testnet",
    });
    let plan: Vec<(&str, Value)> = vec![
        ("market_server_time", json!({})),
        ("market_exchange_info", json!({"symbols": ["BTCUSDT", "ETHUSDT"]})),
        ("market_ticker_price", json!({"symbols": ["BTCUSDT", "ETHUSDT"]})),
        ("market_ticker_24h", json!({"symbols": ["BTCUSDT"]})),
        ("market_avg_price", json!({"symbol": "BTCUSDT"})),
        ("market_order_book", json!({"symbol": "BTCUSDT", "limit": 5})),
        ("market_recent_trades", json!({"symbol": "BTCUSDT", "limit": 5})),
        (
            "market_klines",
            json!({"symbol": "BTCUSDT", "interval": "1m", "limit": 3}),
        ),
        (
            "market_stream_sample",
            json!({"streams": ["btcusdt@bookTicker"], "seconds": 1, "last": 2}),
        ),
        ("order_validate", order.clone()),
        ("order_test", order),
        ("server_status", json!({})),
        ("memory_read", json!({"file": "memory"})),
        ("memory_read", json!({"file": "incidents", "tail": 5})),
    ];
    for (name, arguments) in plan {
        call_checked(session, tools, name, arguments);
        called.push(name.to_owned());
    }
    called
}

/// One tools/call of an advertised tool: a successful result whose structuredContent matches
/// the tool's outputSchema. Returns the structuredContent.
fn call_checked(session: &mut Session, tools: &[Value], name: &str, arguments: Value) -> Value {
    let tool = tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in tools/list"));
    let result = session.request("tools/call", json!({"name": name, "arguments": arguments}));
    assert_ne!(
        result["isError"], true,
        "{name} {arguments} failed: {}",
        result["content"]
    );
    let Some(schema) = tool.get("outputSchema") else {
        return result.get("structuredContent").cloned().unwrap_or(Value::Null);
    };
    let structured = result
        .get("structuredContent")
        .unwrap_or_else(|| panic!("{name} declares an outputSchema but returned no structuredContent"));
    if let Err(failure) = check_structured(name, schema, structured) {
        panic!("{failure}");
    }
    structured.clone()
}

/// `structured` against the tool's `outputSchema`: every violation, with the tool's name. Then
/// our own stricter rule: every top-level field the result carries is one the schema declares
/// (a client that trusts the schema would otherwise meet fields it was never told of).
fn check_structured(name: &str, schema: &Value, structured: &Value) -> Result<(), String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| format!("{name}: its outputSchema does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(structured)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "{name}: structuredContent does not match its outputSchema:\n  {}\n{}",
            errors.join("\n  "),
            shorten(structured)
        ));
    }
    let declared = schema.get("properties").and_then(Value::as_object);
    let undeclared: Vec<&String> = structured
        .as_object()
        .into_iter()
        .flat_map(|fields| fields.keys())
        .filter(|field| declared.is_none_or(|d| !d.contains_key(*field)))
        .collect();
    if !undeclared.is_empty() && schema.get("additionalProperties") != Some(&json!(true)) {
        return Err(format!(
            "{name}: structuredContent carries fields its outputSchema does not declare: {undeclared:?}"
        ));
    }
    Ok(())
}

fn find_str(v: &Value, key: &str) -> Option<String> {
    match v {
        Value::Object(map) => map
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| map.values().find_map(|x| find_str(x, key))),
        Value::Array(items) => items.iter().find_map(|x| find_str(x, key)),
        _ => None,
    }
}

/// `share` of `price`, down to BTCUSDT's 0.01 tick.
fn below(price: &str, share: &str) -> String {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let p = Decimal::from_str(price).expect("price") * Decimal::from_str(share).expect("share");
    let tick = Decimal::from_str("0.01").expect("tick");
    ((p / tick).floor() * tick).normalize().to_string()
}

/// On 2026-07-28 list-changed notifications come only on a `subscriptions/listen` stream, which a
/// client opens for every `listChanged` the server advertises; the server acknowledges it with
/// the subset it honours. The stream is then cancelled.
fn listen_for_list_changes(session: &mut Session, capabilities: &Value) {
    let mut filter = serde_json::Map::new();
    for (capability, key) in [
        ("tools", "toolsListChanged"),
        ("prompts", "promptsListChanged"),
        ("resources", "resourcesListChanged"),
    ] {
        if capabilities[capability]["listChanged"] == true {
            filter.insert(key.to_owned(), json!(true));
        }
    }
    if filter.is_empty() {
        return;
    }
    let id = session.send_request("subscriptions/listen", json!({"notifications": filter}));
    let first = session.next_message("subscriptions/listen", |m| {
        m.get("id") == Some(&json!(id))
            || (m["method"] == "notifications/subscriptions/acknowledged"
                && m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == json!(id))
    });
    assert!(first.get("error").is_none(), "subscriptions/listen failed: {first}");
    assert!(
        first.get("id").is_none(),
        "subscriptions/listen ended before it was acknowledged: {first}"
    );
    let honoured = first["params"]["notifications"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for key in honoured.keys() {
        assert!(
            filter.contains_key(key),
            "acknowledged {key}, which was not asked for: {first}"
        );
    }
    if filter.contains_key("resourcesListChanged") {
        assert_eq!(
            honoured.get("resourcesListChanged"),
            Some(&json!(true)),
            "the advertised resources.listChanged is not honoured: {first}"
        );
    }
    session.listening.push(id);
    session.notify(
        "notifications/cancelled",
        Some(json!({"requestId": id, "reason": "the strict client is done"})),
    );
}

const CLIENT_INFO: &str = r#"{"name": "binance-mcp-strict-client", "version": "1.0.0"}"#;

fn client_info() -> Value {
    serde_json::from_str(CLIENT_INFO).expect("client info")
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn a_strict_2025_11_25_client_finds_every_result_valid() {
    let mut session = Session::start(Spec::load(V2025));
    let init = session.request(
        "initialize",
        json!({"protocolVersion": V2025, "capabilities": {}, "clientInfo": client_info()}),
    );
    assert_eq!(init["protocolVersion"], V2025, "{init}");
    session.notify("notifications/initialized", None);
    let capabilities = init["capabilities"].clone();
    if capabilities.get("logging").is_some() {
        session.request("logging/setLevel", json!({"level": "warning"}));
    }
    session.request("ping", json!({}));

    let walk = walk(&mut session, &capabilities);
    let called = safe_calls(&mut session, &walk.tools);
    eprintln!(
        "strict client on {V2025}: capabilities {capabilities}; {} tools, prompts {:?}, resources {:?}, \
         {} completions, called {called:?}, notifications {:?}",
        walk.tools.len(),
        walk.prompts.as_ref().map(Vec::len),
        walk.resources.as_ref().map(Vec::len),
        walk.completions_asked,
        session.notifications,
    );
    session.finish();
}

#[test]
fn a_strict_2026_07_28_client_finds_every_result_valid() {
    let mut session = Session::start(Spec::load(V2026));
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientInfo": client_info(),
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    session.request_meta = Some(meta);
    let discovered = session.request("server/discover", json!({}));
    let versions = discovered["supportedVersions"].as_array().cloned().unwrap_or_default();
    assert!(
        versions.contains(&json!(V2026)),
        "the server does not offer {V2026}: {discovered}"
    );
    let capabilities = discovered["capabilities"].clone();
    assert!(session.spec.has("DiscoverResult"));
    // 2026-07-28 has no logging/setLevel: a request opts in to log messages through its `_meta`.
    if capabilities.get("logging").is_some()
        && let Some(meta) = session.request_meta.as_mut()
    {
        meta["io.modelcontextprotocol/logLevel"] = json!("info");
    }

    let walk = walk(&mut session, &capabilities);
    listen_for_list_changes(&mut session, &capabilities);
    let called = safe_calls(&mut session, &walk.tools);
    eprintln!(
        "strict client on {V2026}: capabilities {capabilities}; {} tools, prompts {:?}, resources {:?}, \
         {} completions, called {called:?}, notifications {:?}",
        walk.tools.len(),
        walk.prompts.as_ref().map(Vec::len),
        walk.resources.as_ref().map(Vec::len),
        walk.completions_asked,
        session.notifications,
    );
    session.finish();
}

/// The checks above can fail: each meets an instance it must refuse, and says why.
#[test]
fn the_strict_checks_refuse_what_they_should() {
    let v2025 = Spec::load(V2025);
    let v2026 = Spec::load(V2026);
    let tools = json!({"tools": [{"name": "t", "inputSchema": {"type": "object"}}]});
    assert!(v2025.violations("ListToolsResult", &tools).is_empty());
    // 2026-07-28 results carry resultType, and cacheable ones ttlMs and cacheScope.
    let missing = v2026.violations("ListToolsResult", &tools).join("\n");
    for field in ["resultType", "ttlMs", "cacheScope"] {
        assert!(missing.contains(field), "{missing}");
    }
    let mut cacheable = tools.clone();
    cacheable["resultType"] = json!("complete");
    cacheable["ttlMs"] = json!(0);
    cacheable["cacheScope"] = json!("everyone");
    assert!(!v2026.violations("ListToolsResult", &cacheable).is_empty());
    cacheable["cacheScope"] = json!("public");
    assert!(v2026.violations("ListToolsResult", &cacheable).is_empty());
    // An outputSchema root that is not an object breaks the 2025-11-25 Tool.
    let bad_tool = json!({"tools": [{"name": "t", "inputSchema": {"type": "object"},
        "outputSchema": {"type": "array"}}]});
    assert!(!v2025.violations("ListToolsResult", &bad_tool).is_empty());
    assert!(
        !v2025
            .violations("CallToolResult", &json!({"content": "text"}))
            .is_empty()
    );

    let schema = json!({"type": "object", "properties": {"price": {"type": "string"}}, "required": ["price"]});
    assert!(check_structured("market_x", &schema, &json!({"price": "1.5"})).is_ok());
    let wrong = check_structured("market_x", &schema, &json!({"price": 1.5})).expect_err("a number");
    assert!(
        wrong.starts_with("market_x: structuredContent does not match"),
        "{wrong}"
    );
    assert!(wrong.contains("at `/price`"), "{wrong}");
    let extra = check_structured("market_x", &schema, &json!({"price": "1", "secret": 1})).expect_err("extra");
    assert!(extra.contains("\"secret\""), "{extra}");
}
