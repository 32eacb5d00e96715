//! How one REST request goes out: the shared budget (`governor`) and the circuit breaker decide
//! whether it may, the answer's headers settle the budget, 429/418 are remembered, and reads
//! (GET) are retried with exponential backoff and jitter, bounded in count and time. Requests
//! that change state (order POSTs, cancels) are sent once: a failure without an answer leaves
//! their outcome unknown, and only the caller can reconcile it.

use std::time::{Duration, Instant};

// backon: a small, maintained retry combinator (exponential backoff with jitter, bounded by
// count and total delay, and a hook to stretch a delay to a Retry-After) instead of a
// hand-written loop.
use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::alert::{Alert, AlertKind, AlertLevel};
use super::client::{BinanceClient, SignedRequestRecord, error_from_body};
use super::error::{BinanceError, Unavailable, codes, plain_time};
use super::limits::{banned_until_ms, parse_usage_header, request_cost};
pub use super::resilience::{DEFAULT_CONNECT_TIMEOUT_MS, Resilience};
use super::sign::{Credentials, encode_params, signed_query};

/// What came back from the wire.
struct Answer {
    status: StatusCode,
    retry_after_secs: Option<u64>,
    usage: Vec<(super::limits::Counter, i64, u64)>,
    body: Vec<u8>,
}

/// A read worth trying again: no answer, a 5XX, or a 429 (after its Retry-After).
fn retryable_read(e: &BinanceError) -> bool {
    match e {
        BinanceError::Transport { .. } => true,
        BinanceError::Api { status, .. } | BinanceError::Http { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

/// `1.5 s`, `200 ms`.
fn human_duration(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let tenths = d.as_millis().div_ceil(100);
        if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} ms", d.as_millis())
    }
}

impl BinanceClient {
    /// Sends a request (signed when `credentials` is given), retrying reads.
    pub(super) async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        credentials: Option<&Credentials>,
    ) -> Result<T, BinanceError> {
        let attempt = || self.attempt::<T>(&method, path, params, credentials);
        if method != Method::GET {
            return attempt().await;
        }
        let policy = &self.resilience;
        let started = Instant::now();
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(4))
            .with_max_times(policy.read_retries)
            .with_total_delay(Some(policy.read_budget));
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(retryable_read)
            .adjust(|e, delay| {
                let mut wait = delay?;
                if e.status() == Some(429) {
                    // Never inside the Retry-After window: wait until it ends, or give up.
                    let until = self.governor.budget(self.clock.now_ms()).retry_after_until_ms;
                    let left = until.map_or(0, |u| u - self.clock.now_ms());
                    wait = wait.max(Duration::from_millis(u64::try_from(left).unwrap_or(0)));
                }
                (started.elapsed() + wait <= policy.read_budget && self.circuit_closed()).then_some(wait)
            })
            .notify(|e, wait| {
                if let Ok(mut usage) = self.usage.lock() {
                    usage.retries += 1;
                }
                self.report_failure(e, &format!("backed off {} and retried", human_duration(wait)));
            })
            .await
    }

    fn circuit_closed(&self) -> bool {
        self.circuit.status(self.clock.now_ms()).0 != super::circuit::CircuitState::Open
    }

    /// A refusal before sending; its times are on Binance's clock, like the governor's and the
    /// circuit's.
    fn refusal(&self, reason: Unavailable) -> BinanceError {
        BinanceError::EnvironmentDisabled {
            environment: self.environment,
            reason,
            now_ms: self.clock.now_ms(),
        }
    }

    /// One attempt: admission, the wire, then bookkeeping.
    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, String)],
        credentials: Option<&Credentials>,
    ) -> Result<T, BinanceError> {
        if !self.enabled {
            return Err(self.refusal(Unavailable::TestnetOnly));
        }
        let cost = request_cost(method.as_str(), path, params);
        let ticket = self
            .governor
            .admit(cost, || self.clock.now_ms())
            .await
            .map_err(|r| self.refusal(r))?;
        // The circuit keeps Binance's time too, so its cool-down shows on the same clock as a ban.
        let permit = self.circuit.admit(self.clock.now_ms()).map_err(|r| self.refusal(r))?;
        let endpoint = format!("{method} {path}");
        let (query, unsigned) = match credentials {
            Some(c) => {
                let mut all = params.to_vec();
                all.push(("recvWindow", self.recv_window_ms.to_string()));
                all.push(("timestamp", self.clock.now_ms().to_string()));
                let unsigned = encode_params(&all);
                (signed_query(c, &unsigned), Some(unsigned))
            }
            None => (encode_params(params), None),
        };
        // The query is already percent-encoded; the URL parser keeps it byte for byte, so the
        // signed bytes are exactly the bytes on the wire.
        let url = if query.is_empty() {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}{path}?{query}", self.base_url)
        };
        let mut request = self.http().request(method.clone(), &url);
        if let Some(c) = credentials {
            request = request.header("X-MBX-APIKEY", c.api_key());
        }
        let started = Instant::now();
        let answer = self.exchange(request).await;
        let elapsed = started.elapsed();
        let now = self.clock.now_ms();
        let result = match answer {
            Err(source) => {
                if source.is_connect() {
                    self.governor.release(&ticket, now);
                } else {
                    // It may have arrived: keep the weight counted.
                    self.governor.settle(&ticket, &[], false, now);
                }
                self.circuit_failure(permit.failure(self.clock.now_ms()), &endpoint);
                self.record_attempt(elapsed, false, &[]);
                Err(BinanceError::Transport {
                    environment: self.environment,
                    base_url: self.base_url.clone(),
                    endpoint: endpoint.clone(),
                    source,
                })
            }
            Ok(answer) => {
                let ok = answer.status.is_success();
                self.governor.settle(&ticket, &answer.usage, ok, now);
                if answer.status.is_server_error() {
                    self.circuit_failure(permit.failure(self.clock.now_ms()), &endpoint);
                } else {
                    permit.success();
                }
                self.record_attempt(elapsed, ok, &answer.usage);
                tracing::debug!(environment = %self.environment, %endpoint, status = answer.status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "binance response");
                if ok {
                    serde_json::from_slice(&answer.body).map_err(|source| BinanceError::Decode {
                        environment: self.environment,
                        endpoint: endpoint.clone(),
                        source,
                    })
                } else {
                    let mut error = error_from_body(
                        self.environment,
                        endpoint.clone(),
                        answer.status,
                        &answer.body,
                        answer.retry_after_secs,
                    );
                    if let BinanceError::Waf { suspect, .. } = &mut error {
                        *suspect = super::waf::suspect_parameter(params)
                            .map(|(name, keyword)| format!("{name} contains the SQL keyword {keyword}"));
                    }
                    self.penalize(&error, now);
                    Err(error)
                }
            }
        };
        if let (Some(observer), Some(params)) = (&self.observer, unsigned) {
            let (http_status, binance_code) = match &result {
                Ok(_) => (Some(200), None),
                Err(e) => (e.status(), e.code()),
            };
            observer.signed_request(&SignedRequestRecord {
                environment: self.environment,
                method: method.to_string(),
                path: path.to_owned(),
                params,
                http_status,
                binance_code,
                latency_ms: elapsed.as_millis() as u64,
            });
        }
        result
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers();
        let retry_after_secs = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let usage = headers
            .iter()
            .filter_map(|(name, value)| parse_usage_header(name.as_str(), value.to_str().ok()?))
            .collect();
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            retry_after_secs,
            usage,
            body,
        })
    }

    fn record_attempt(&self, elapsed: Duration, ok: bool, headers: &[(super::limits::Counter, i64, u64)]) {
        let Ok(mut usage) = self.usage.lock() else { return };
        usage.record(elapsed, ok);
        if !headers.is_empty() {
            usage.last_response_at = Some(Instant::now());
        }
        for &(counter, interval_ms, value) in headers {
            let label = super::limits::interval_label(interval_ms);
            match counter {
                super::limits::Counter::Weight => usage.used_weight.insert(label, value),
                super::limits::Counter::Orders => usage.order_count.insert(label, value),
            };
        }
    }

    fn circuit_failure(&self, opened_until: Option<i64>, endpoint: &str) {
        if let Some(until) = opened_until {
            let now = self.clock.now_ms();
            let (_, failures, _) = self.circuit.status(now);
            self.alerts.raise(
                Alert::new(
                    AlertLevel::Error,
                    self.environment,
                    AlertKind::CircuitOpen,
                    format!(
                        "binance {} unreachable {failures} times in a row; not trying again until {}",
                        self.environment,
                        plain_time(until, now)
                    ),
                )
                .with_endpoint(endpoint),
            );
        }
    }

    /// Remembers a 429 (no request inside its Retry-After) or a 418 ban (persisted). `now_ms`
    /// is Binance's time: a ban's end in the 418 message is on Binance's clock, and a
    /// `Retry-After` counts from Binance's now, so every time kept and shown is on that clock.
    fn penalize(&self, error: &BinanceError, now_ms: i64) {
        let code = error.code();
        let limited = matches!(code, Some(codes::TOO_MANY_REQUESTS | codes::TOO_MANY_ORDERS));
        let env = self.environment;
        let endpoint = error.endpoint().unwrap_or_default().to_owned();
        let rate_limited = |until: i64, orders_only: bool| {
            self.governor.retry_after(until, orders_only);
            self.count_rate_limited();
            self.alerts.raise(
                Alert::new(
                    AlertLevel::Warning,
                    env,
                    AlertKind::RateLimit,
                    format!(
                        "Binance rate-limited {env} (HTTP {}{}): no {} to {env} before {}",
                        error.status().unwrap_or_default(),
                        code.map(|c| format!(", {c}")).unwrap_or_default(),
                        if orders_only { "new order" } else { "request" },
                        plain_time(until, now_ms)
                    ),
                )
                .with_endpoint(endpoint.clone())
                .with_answer(error.status(), code)
                .with_action(format!(
                    "refused further requests to {env} until {}",
                    plain_time(until, now_ms)
                )),
            );
        };
        match error.status() {
            Some(418) => {
                let from_message = match error {
                    BinanceError::Api { msg, .. } => banned_until_ms(msg),
                    _ => None,
                };
                let from_header = error.retry_after_secs().map(|s| now_ms + s as i64 * 1000);
                let until = self.governor.ban(from_message.or(from_header), now_ms);
                self.count_rate_limited();
                self.alerts.raise(
                    Alert::new(
                        AlertLevel::Error,
                        env,
                        AlertKind::Ban,
                        format!(
                            "Binance banned this IP on {env} (HTTP 418) until {}: the server sends nothing to {env} until then, also after a restart",
                            plain_time(until, now_ms)
                        ),
                    )
                    .with_endpoint(endpoint.clone())
                    .with_answer(error.status(), code)
                    .with_action(format!("refused further requests to {env} until {}", plain_time(until, now_ms))),
                );
            }
            Some(429) => {
                let until = match error.retry_after_secs() {
                    Some(s) => now_ms + s as i64 * 1000,
                    // No Retry-After: the minute window has to pass.
                    None => super::limits::window_start(now_ms, 60_000) + 60_000,
                };
                rate_limited(until, code == Some(codes::TOO_MANY_ORDERS));
            }
            _ if limited => {
                let until = now_ms + error.retry_after_secs().unwrap_or(10) as i64 * 1000;
                rate_limited(until, code == Some(codes::TOO_MANY_ORDERS));
            }
            _ => {}
        }
    }

    fn count_rate_limited(&self) {
        if let Ok(mut usage) = self.usage.lock() {
            usage.rate_limited += 1;
        }
    }

    /// What the server did about a failed request, for incidents.md.
    pub(super) fn action_for(&self, error: &BinanceError) -> String {
        let env = self.environment;
        let now = self.clock.now_ms();
        let budget = self.governor.budget(now);
        match (error.status(), budget.banned_until_ms, budget.retry_after_until_ms) {
            (Some(418), Some(until), _) => {
                format!("refused further requests to {env} until {}", plain_time(until, now))
            }
            (Some(429), _, Some(until)) => {
                format!(
                    "returned the error to the caller; no request to {env} until {}",
                    plain_time(until, now)
                )
            }
            _ => match self.circuit.status(now) {
                (super::circuit::CircuitState::Open, failures, Some(until)) => format!(
                    "returned the error to the caller; {env} failed {failures} times in a row, so no request until {}",
                    plain_time(until, now)
                ),
                _ => "returned the error to the caller".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spot_types::Environment;

    #[test]
    fn only_transport_failures_5xx_and_429_are_retried() {
        let api = |status: u16, code: i64| BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: "GET /api/v3/time".into(),
            status,
            code,
            msg: String::new(),
            retry_after_secs: None,
        };
        assert!(retryable_read(&api(503, -1000)));
        assert!(retryable_read(&api(429, -1003)));
        assert!(!retryable_read(&api(418, -1003)));
        assert!(!retryable_read(&api(400, -1121)));
        let refused = BinanceError::EnvironmentDisabled {
            environment: Environment::Testnet,
            reason: Unavailable::Banned { until_ms: 0 },
            now_ms: 0,
        };
        assert!(!retryable_read(&refused));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(human_duration(Duration::from_secs(2)), "2 s");
        assert_eq!(human_duration(Duration::from_millis(2_340)), "2.4 s");
    }
}
