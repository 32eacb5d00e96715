//! The WebSocket API methods the emulator serves (`web-socket-api.md`): `ping`, `time`,
//! `session.logon` / `session.status` / `session.logout`, `userDataStream.subscribe`,
//! `userDataStream.subscribe.signature`, `userDataStream.unsubscribe`, `session.subscriptions`.
//!
//! Errors where the docs name none (inferred, not documented):
//! `session.logon` with an HMAC key answers -1022 "Signature for this request is not valid."
//! (what Binance users report: only Ed25519 keys can log on); `userDataStream.subscribe` on a
//! connection that is not logged on answers 401 -1002; a second subscription for an account
//! already subscribed on the connection -2035; `userDataStream.unsubscribe` of a subscription
//! that is not active (or with none active) -2036; more than 1,000 active subscriptions -1191;
//! more than 65,535 over the connection's life -2042.

use serde_json::{Value, json};

use super::auth::{AccountKey, authenticate_ws};
use super::error::{ApiError, code};
use super::params::Params;
use super::ws_api::{Answer, Logon, Reply, Session, Subscription, read_only};

/// Active subscriptions a session may hold.
const MAX_ACTIVE_SUBSCRIPTIONS: usize = 1_000;
/// Subscriptions a session may start over its life.
const MAX_SUBSCRIPTIONS_EVER: u32 = 65_535;

const SIGNED_PARAMS: [&str; 4] = ["apiKey", "signature", "timestamp", "recvWindow"];

impl Session {
    /// Runs `method`.
    pub fn dispatch(&mut self, method: &str, params: &Params, reply: &Reply) -> Result<Answer, ApiError> {
        match method {
            "ping" => {
                read_only(params, &[])?;
                Ok(Answer::Result(json!({})))
            }
            "time" => {
                read_only(params, &[])?;
                Ok(Answer::Result(json!({ "serverTime": self.now() })))
            }
            "session.logon" => self.logon(params),
            "session.status" => {
                read_only(params, &[])?;
                Ok(Answer::Result(self.status()))
            }
            "session.logout" => self.logout(params),
            "session.subscriptions" => {
                read_only(params, &[])?;
                let list: Vec<Value> = self
                    .subscriptions
                    .iter()
                    .map(|s| json!({ "subscriptionId": s.id }))
                    .collect();
                Ok(Answer::Result(Value::Array(list)))
            }
            "userDataStream.subscribe" => self.subscribe_logged_on(params, reply),
            "userDataStream.subscribe.signature" => self.subscribe_signed(params, reply),
            "userDataStream.unsubscribe" => self.unsubscribe(params),
            _ => Err(ApiError::bad_request(
                code::UNSUPPORTED_OPERATION,
                "This operation is not supported.",
            )),
        }
    }

    /// Server time in the connection's unit.
    fn now(&self) -> i64 {
        self.unit.stamp(self.state.clock.now_ms())
    }

    /// `session.logon`: authenticates the connection with an Ed25519 key (a second logon
    /// changes the key).
    fn logon(&mut self, params: &Params) -> Result<Answer, ApiError> {
        read_only(params, &SIGNED_PARAMS)?;
        let signed = authenticate_ws(&self.state, params)?;
        if !matches!(signed.key, AccountKey::Ed25519(_)) {
            // Only Ed25519 keys can log on; Binance answers an HMAC signature as invalid.
            return Err(ApiError::bad_request(
                code::INVALID_SIGNATURE,
                "Signature for this request is not valid.",
            ));
        }
        self.verified = Some(signed.key_kind);
        self.logon = Some(Logon {
            api_key: signed.api_key,
            authorized_since_ms: self.state.clock.now_ms(),
        });
        Ok(Answer::Result(self.status()))
    }

    /// `session.logout`: forgets the key; ends the subscription `userDataStream.subscribe`
    /// started (not those of `.signature`).
    fn logout(&mut self, params: &Params) -> Result<Answer, ApiError> {
        read_only(params, &[])?;
        let ended: Vec<Subscription> = self.subscriptions.iter().filter(|s| s.via_logon).cloned().collect();
        for subscription in ended {
            self.end(&subscription);
        }
        self.logon = None;
        Ok(Answer::Result(self.status()))
    }

    /// The `session.status` / `session.logon` / `session.logout` result.
    fn status(&self) -> Value {
        json!({
            "apiKey": self.logon.as_ref().map(|l| l.api_key.clone()),
            "authorizedSince": self.logon.as_ref().map(|l| self.unit.stamp(l.authorized_since_ms)),
            "connectedSince": self.unit.stamp(self.connected_since_ms),
            "returnRateLimits": self.return_rate_limits,
            "serverTime": self.now(),
            "userDataStream": !self.subscriptions.is_empty(),
        })
    }

    /// `userDataStream.subscribe`: the logged-on account's events.
    fn subscribe_logged_on(&mut self, params: &Params, reply: &Reply) -> Result<Answer, ApiError> {
        read_only(params, &[])?;
        let Some(logon) = self.logon.clone() else {
            return Err(ApiError::unauthorized(
                code::UNAUTHORIZED,
                "You are not authorized to execute this request.",
            ));
        };
        self.start(logon.api_key, true, reply)
    }

    /// `userDataStream.subscribe.signature`: any key type, no logon needed.
    fn subscribe_signed(&mut self, params: &Params, reply: &Reply) -> Result<Answer, ApiError> {
        read_only(params, &SIGNED_PARAMS)?;
        let signed = authenticate_ws(&self.state, params)?;
        self.verified = Some(signed.key_kind);
        self.start(signed.api_key, false, reply)
    }

    /// Starts a subscription to `api_key`'s events; the answer is queued before its first event.
    fn start(&mut self, api_key: String, via_logon: bool, reply: &Reply) -> Result<Answer, ApiError> {
        if self.subscriptions.iter().any(|s| s.api_key == api_key) {
            return Err(ApiError::bad_request(
                code::SUBSCRIPTION_ACTIVE,
                "User Data Stream subscription already active.",
            ));
        }
        if self.subscriptions.len() >= MAX_ACTIVE_SUBSCRIPTIONS {
            return Err(ApiError::bad_request(
                code::TOO_MANY_SUBSCRIPTIONS,
                format!(
                    "Too many subscriptions. Connection may create up to '{MAX_ACTIVE_SUBSCRIPTIONS}' subscriptions at a time."
                ),
            ));
        }
        if self.subscriptions_started >= MAX_SUBSCRIPTIONS_EVER {
            return Err(ApiError::bad_request(
                code::MAXIMUM_SUBSCRIPTION_IDS,
                "Maximum subscription ID reached for this connection.",
            ));
        }
        let id = self.subscriptions_started;
        self.subscriptions_started += 1;
        let answer = reply.success(&json!({ "subscriptionId": id }));
        let outbox = self.outbox.clone();
        let confirm_to = self.outbox.clone();
        self.state
            .user_data
            .subscribe(&self.state, &api_key, id, outbox, move || confirm_to.push(answer));
        self.subscriptions.push(Subscription { id, api_key, via_logon });
        Ok(Answer::Queued)
    }

    /// `userDataStream.unsubscribe`: one subscription (`subscriptionId`) or all of them; each
    /// ends with `eventStreamTerminated`.
    fn unsubscribe(&mut self, params: &Params) -> Result<Answer, ApiError> {
        read_only(params, &["subscriptionId"])?;
        let inactive =
            || ApiError::bad_request(code::SUBSCRIPTION_INACTIVE, "User Data Stream subscription not active.");
        let ended: Vec<Subscription> = match params.optional_u64("subscriptionId")? {
            Some(id) => {
                let found = self.subscriptions.iter().find(|s| u64::from(s.id) == id);
                vec![found.cloned().ok_or_else(inactive)?]
            }
            None if self.subscriptions.is_empty() => return Err(inactive()),
            None => self.subscriptions.clone(),
        };
        for subscription in &ended {
            self.end(subscription);
        }
        Ok(Answer::Result(json!({})))
    }

    /// Ends one subscription: its owed events, `eventStreamTerminated`, then it is gone.
    fn end(&mut self, subscription: &Subscription) {
        self.state
            .user_data
            .unsubscribe(&self.state, &subscription.api_key, self.connection, subscription.id);
        self.subscriptions.retain(|s| s.id != subscription.id);
    }
}
