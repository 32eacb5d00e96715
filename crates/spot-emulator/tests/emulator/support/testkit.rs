//! Test helpers: build a router and send one in-process request with `oneshot` (no socket),
//! and sign a payload with the hmac crate. Shared by the black-box tests of `tests/emulator/`
//! and the in-crate tests of `src/` (which include this file as `crate::testkit`): in both the
//! parent module provides `EmulatorConfig`, `EmulatorState` and `router`, all public API.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tower::ServiceExt;

use super::{EmulatorConfig, EmulatorState, router};

/// A router over a fresh state with `config`.
pub fn router_with(config: EmulatorConfig) -> Router {
    router(Arc::new(EmulatorState::new(config)))
}

/// A router over a fresh state with `seed` and no accounts.
pub fn new_router(seed: u64) -> Router {
    router_with(fixed_market(EmulatorConfig::new(seed)))
}

/// `config` with its market anchored so that market time is server time: prices at a given
/// instant are the same in every test, whenever it runs.
pub fn fixed_market(mut config: EmulatorConfig) -> EmulatorConfig {
    config.market_anchor_ms = Some(config.market_start_ms);
    config
}

/// `GET uri`: status, headers and the body as JSON (`Null` when empty).
pub async fn get(app: &Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
    get_with_headers(app, uri, &[]).await
}

/// `GET uri` with extra request headers.
pub async fn get_with_headers(app: &Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Value) {
    send(app, Method::GET, uri, headers, None).await
}

/// `method uri` with extra headers and an optional form body: status, headers and the body as
/// JSON (`Null` when empty, a JSON string when it is not JSON).
pub async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match form {
        Some(text) => {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            Body::from(text.to_owned())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, headers, body)
}

/// `payload&signature=HMAC-SHA256(secret, payload)`, signed with the hmac crate directly.
pub fn sign(payload: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    format!("{payload}&signature={}", hex::encode(mac.finalize().into_bytes()))
}
