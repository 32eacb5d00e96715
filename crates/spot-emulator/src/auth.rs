//! Signed-request checks (the emulator's own, sharing nothing with the client): API key,
//! `timestamp`/`recvWindow` timing security and the signature: over the raw query string + raw
//! body for REST, over the WebSocket API's `params` sorted by name for the WebSocket API;
//! HMAC-SHA256 (hex) or Ed25519 (base64) depending on the account's key. [`Signed`] is the
//! extractor every signed REST handler takes, so a handler's preamble is one `allow_only`.

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sha2::Sha256;

use super::EmulatorState;
use super::error::{ApiError, DECIMAL_RANGE, code};
use super::params::{Params, parse_u64};

/// Header carrying the API key.
pub const API_KEY_HEADER: &str = "x-mbx-apikey";
const DEFAULT_RECV_WINDOW_US: i64 = 5_000_000;
const MAX_RECV_WINDOW_MS: i64 = 60_000;
const MICROS_THRESHOLD: u64 = 100_000_000_000_000;
/// The parameters any signed request may send besides its endpoint's own.
const SIGNED_PARAMS: [&str; 3] = ["recvWindow", "timestamp", "signature"];

/// How an account's requests are verified: the HMAC secret it shares with the client, or the
/// Ed25519 public key registered for it.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountKey {
    /// HMAC-SHA256 secret; signatures are hex.
    Hmac(String),
    /// Ed25519 public key; signatures are base64 of 64 bytes.
    Ed25519(VerifyingKey),
}

impl AccountKey {
    /// An Ed25519 key from a PEM `-----BEGIN PUBLIC KEY-----` (SPKI) block.
    pub fn ed25519_from_pem(pem: &str) -> Result<AccountKey, String> {
        VerifyingKey::from_public_key_pem(pem.trim())
            .map(AccountKey::Ed25519)
            .map_err(|e| format!("not an Ed25519 public key PEM (BEGIN PUBLIC KEY): {e}"))
    }

    /// `HMAC` or `Ed25519`.
    pub fn kind(&self) -> &'static str {
        match self {
            AccountKey::Hmac(_) => "HMAC",
            AccountKey::Ed25519(_) => "Ed25519",
        }
    }

    /// True when `signature` (the decoded `signature` parameter) signs `payload`.
    pub fn verify(&self, payload: &[u8], signature: &str) -> bool {
        match self {
            AccountKey::Hmac(secret) => verify_hmac(secret, payload, signature),
            AccountKey::Ed25519(public_key) => verify_ed25519(public_key, payload, signature),
        }
    }
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountKey::Hmac(_) => f.write_str("Hmac(REDACTED)"),
            // A public key is not a secret.
            AccountKey::Ed25519(key) => write!(f, "Ed25519({})", BASE64.encode(key.as_bytes())),
        }
    }
}

/// A request that passed every signed-endpoint check.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The caller's API key (the account key in [`super::exchange::Exchange`]).
    pub api_key: String,
    /// Query parameters, then body parameters not also in the query (the query wins).
    pub params: Params,
}

impl Signed {
    /// -1104 unless every parameter sent is one of `names` (the endpoint's own) or a
    /// signed-request one (`recvWindow`, `timestamp`, `signature`).
    pub fn allow_only(&self, names: &[&str]) -> Result<(), ApiError> {
        let mut allowed = names.to_vec();
        allowed.extend(SIGNED_PARAMS);
        self.params.allow_only(&allowed)
    }
}

/// A signed REST handler's first step, run before its body: [`authenticate`] over the raw
/// query and, except for a GET (whose body is neither read nor signed), the raw body.
impl FromRequest<Arc<EmulatorState>> for Signed {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<EmulatorState>) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let query = request.uri().query().map(str::to_owned);
        let body = if request.method() == Method::GET {
            Bytes::new()
        } else {
            Bytes::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?
        };
        authenticate(state, &headers, query.as_deref(), &body).map_err(IntoResponse::into_response)
    }
}

/// Authenticates a SIGNED request: `X-MBX-APIKEY` (401 -2014/-2015), `timestamp` and `signature`
/// present (-1102), `recvWindow` (≤ 60000 ms, up to 3 decimals), the two receipt-time
/// timestamp checks (-1021), then the HMAC over `query + body` minus the `signature` pair (-1022).
fn authenticate(
    state: &EmulatorState,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    raw_body: &[u8],
) -> Result<Signed, ApiError> {
    let api_key = api_key(headers)?;
    let key = state
        .exchange()
        .account(&api_key)
        .map(|a| a.key.clone())
        .ok_or_else(unknown_key)?;

    let raw_query = raw_query.unwrap_or("");
    let raw_body = std::str::from_utf8(raw_body).map_err(|_| ApiError::illegal_chars("body", "UTF-8"))?;
    let query = Params::parse(Some(raw_query))?;
    let body = Params::parse(Some(raw_body))?;
    let params = query.merged_with(body);

    params.required("timestamp")?;
    let signature = params.required("signature")?;
    check_request_time(state, &params)?;

    let payload = format!("{}{}", without_signature(raw_query), without_signature(raw_body));
    if !key.verify(payload.as_bytes(), signature) {
        return Err(invalid_signature());
    }
    Ok(Signed { api_key, params })
}

/// A WebSocket API request whose signature verified.
#[derive(Debug, Clone)]
pub struct WsSigned {
    /// The `apiKey` parameter (the account key in [`super::exchange::Exchange`]).
    pub api_key: String,
    /// `HMAC` or `Ed25519`: the kind of key that verified the signature.
    pub key_kind: &'static str,
    /// The account's key, for callers that accept only some kinds (`session.logon`: Ed25519).
    pub key: AccountKey,
}

/// Authenticates a signed WebSocket API request (`web-socket-api.md`, SIGNED request security):
/// `apiKey` (-1102 missing, 401 -2015 unknown), `timestamp` and `signature` present (-1102),
/// `recvWindow` and the receipt-time checks (-1021), then the signature over every parameter
/// but `signature`, sorted by name, joined `name=value` with `&`, not percent-encoded (-1022).
pub fn authenticate_ws(state: &EmulatorState, params: &Params) -> Result<WsSigned, ApiError> {
    let api_key = params.required("apiKey")?.to_owned();
    let key = state
        .exchange()
        .account(&api_key)
        .map(|a| a.key.clone())
        .ok_or_else(unknown_key)?;
    params.required("timestamp")?;
    let signature = params.required("signature")?;
    check_request_time(state, params)?;
    if !key.verify(ws_signature_payload(params).as_bytes(), signature) {
        return Err(invalid_signature());
    }
    Ok(WsSigned {
        api_key,
        key_kind: key.kind(),
        key,
    })
}

/// The WebSocket API's signature payload: every parameter except `signature`, sorted by name,
/// `name=value` joined with `&`, values as sent (no percent encoding).
pub fn ws_signature_payload(params: &Params) -> String {
    let mut pairs: Vec<&(String, String)> = params.pairs().iter().filter(|(n, _)| n != "signature").collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Timing security shared by REST and the WebSocket API: `timestamp` in ms or µs, `recvWindow`
/// (default 5000 ms, at most 60000, up to 3 decimals), then the two receipt-time checks (-1021).
pub fn check_request_time(state: &EmulatorState, params: &Params) -> Result<(), ApiError> {
    let timestamp_us = timestamp_us(params.required("timestamp")?)?;
    let recv_window_us = match params.get("recvWindow") {
        None => DEFAULT_RECV_WINDOW_US,
        Some(v) => recv_window_us(v)?,
    };
    check_timing(state.clock.now_us(), timestamp_us, recv_window_us)
}

/// -2015 for an API key without an account.
pub fn unknown_key() -> ApiError {
    ApiError::unauthorized(
        code::REJECTED_MBX_KEY,
        "Invalid API-key, IP, or permissions for action.",
    )
}

fn invalid_signature() -> ApiError {
    ApiError::bad_request(code::INVALID_SIGNATURE, "Signature for this request is not valid.")
}

/// True when `signature_hex` (either case) is HMAC-SHA256(`secret`, `payload`).
pub fn verify_hmac(secret: &str, payload: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(payload);
    mac.verify_slice(&signature).is_ok()
}

/// True when `signature_b64` (already percent-decoded from the query or body) is the standard
/// padded base64 of an Ed25519 signature of `payload` by `public_key`.
pub fn verify_ed25519(public_key: &VerifyingKey, payload: &[u8], signature_b64: &str) -> bool {
    let Ok(bytes) = BASE64.decode(signature_b64) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return false;
    };
    public_key.verify_strict(payload, &signature).is_ok()
}

/// The raw `k=v&...` text without its `signature=` pair(s), every other byte untouched.
pub fn without_signature(raw: &str) -> String {
    if !raw.split('&').any(|p| p.starts_with("signature=")) {
        return raw.to_owned();
    }
    raw.split('&')
        .filter(|p| !p.starts_with("signature="))
        .collect::<Vec<_>>()
        .join("&")
}

fn api_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let bad_format = || ApiError::unauthorized(code::BAD_API_KEY_FMT, "API-key format invalid.");
    let value = headers.get(API_KEY_HEADER).ok_or_else(bad_format)?;
    let key = value.to_str().map_err(|_| bad_format())?;
    let well_formed = !key.is_empty() && key.len() <= 256 && key.bytes().all(|b| b.is_ascii_graphic());
    if well_formed {
        Ok(key.to_owned())
    } else {
        Err(bad_format())
    }
}

/// `timestamp` in ms or µs (by magnitude), returned in µs.
fn timestamp_us(text: &str) -> Result<i64, ApiError> {
    let value = parse_u64("timestamp", text)?;
    let micros = if value >= MICROS_THRESHOLD {
        value
    } else {
        value.saturating_mul(1000)
    };
    Ok(i64::try_from(micros).unwrap_or(i64::MAX))
}

/// `recvWindow`: decimal ms with up to 3 decimals, at most 60000; returned in µs.
fn recv_window_us(text: &str) -> Result<i64, ApiError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let shape_ok = !whole.is_empty()
        && whole.len() <= 20
        && digits(whole)
        && fraction.len() <= 20
        && digits(fraction)
        && (fraction.is_empty() != text.contains('.'));
    if !shape_ok {
        return Err(ApiError::illegal_chars("recvWindow", DECIMAL_RANGE));
    }
    if fraction.trim_end_matches('0').len() > 3 {
        return Err(ApiError::bad_request(
            code::BAD_PRECISION,
            "Parameter 'recvWindow' has too much precision.",
        ));
    }
    let ms: Decimal = text
        .parse()
        .map_err(|_| ApiError::illegal_chars("recvWindow", DECIMAL_RANGE))?;
    if ms > Decimal::from(MAX_RECV_WINDOW_MS) {
        return Err(ApiError::bad_request(
            code::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            format!("'recvWindow' contains unexpected value. Cannot be greater than {MAX_RECV_WINDOW_MS}."),
        ));
    }
    let micros = (ms * Decimal::from(1000)).trunc();
    Ok(micros.to_i64().unwrap_or(i64::MAX))
}

/// The documented receipt checks: `timestamp < serverTime + 1s` and `serverTime - timestamp <= recvWindow`.
fn check_timing(server_us: i64, timestamp_us: i64, recv_window_us: i64) -> Result<(), ApiError> {
    if timestamp_us >= server_us.saturating_add(1_000_000) {
        return Err(ApiError::bad_request(
            code::INVALID_TIMESTAMP,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if server_us.saturating_sub(timestamp_us) > recv_window_us {
        return Err(ApiError::bad_request(
            code::INVALID_TIMESTAMP,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const DOC_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    const DOC_SIGNATURE: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

    #[test]
    fn official_hmac_vector() {
        assert!(verify_hmac(DOC_SECRET, DOC_PAYLOAD.as_bytes(), DOC_SIGNATURE));
        assert!(verify_hmac(
            DOC_SECRET,
            DOC_PAYLOAD.as_bytes(),
            &DOC_SIGNATURE.to_uppercase()
        ));
        assert!(!verify_hmac("wrong", DOC_PAYLOAD.as_bytes(), DOC_SIGNATURE));
        assert!(!verify_hmac(DOC_SECRET, DOC_PAYLOAD.as_bytes(), "zz"));
    }

    #[test]
    fn official_non_ascii_and_query_plus_body_vectors() {
        let encoded = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert!(verify_hmac(
            DOC_SECRET,
            encoded.as_bytes(),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        ));
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
        let body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let payload = format!("{}{}", without_signature(query), without_signature(body));
        assert!(verify_hmac(
            DOC_SECRET,
            payload.as_bytes(),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        ));
    }

    #[test]
    fn signature_pair_is_cut_from_the_raw_bytes() {
        assert_eq!(without_signature("a=1&signature=ff"), "a=1");
        assert_eq!(without_signature("signature=ff&a=%2B1"), "a=%2B1");
        assert_eq!(without_signature("a=1&signature=ff&b=2"), "a=1&b=2");
        assert_eq!(without_signature("a=1"), "a=1");
        assert_eq!(without_signature(""), "");
    }

    #[test]
    fn official_websocket_api_hmac_vectors() {
        let pairs = |symbol: &str, price: &str, quantity: &str, side: &str, recv: &str| {
            [
                ("symbol", symbol),
                ("side", side),
                ("type", "LIMIT"),
                ("timeInForce", "GTC"),
                ("quantity", quantity),
                ("price", price),
                ("recvWindow", recv),
                ("timestamp", "1645423376532"),
                (
                    "apiKey",
                    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                ),
                ("signature", "ignored"),
            ]
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
        };
        let ascii = Params::from_pairs(pairs("BTCUSDT", "52000.00", "0.01000000", "SELL", "100")).unwrap();
        let payload = ws_signature_payload(&ascii);
        assert_eq!(
            payload,
            "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        );
        assert!(verify_hmac(
            DOC_SECRET,
            payload.as_bytes(),
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        ));
        let non_ascii = Params::from_pairs(pairs("１２３４５６", "0.10000000", "1.00000000", "BUY", "5000")).unwrap();
        assert!(verify_hmac(
            DOC_SECRET,
            ws_signature_payload(&non_ascii).as_bytes(),
            "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"
        ));
    }

    #[test]
    fn recv_window_rules() {
        assert_eq!(recv_window_us("5000").unwrap(), 5_000_000);
        assert_eq!(recv_window_us("6000.346").unwrap(), 6_000_346);
        assert_eq!(recv_window_us("60000").unwrap(), 60_000_000);
        assert_eq!(recv_window_us("60000.001").unwrap_err().code, -1102);
        assert_eq!(recv_window_us("1.2345").unwrap_err().code, -1111);
        assert_eq!(recv_window_us("-1").unwrap_err().code, -1100);
        assert_eq!(recv_window_us("1.").unwrap_err().code, -1100);
    }

    #[test]
    fn timing_checks() {
        let now = 1_700_000_000_000_000;
        assert!(check_timing(now, now - 4_999_000, 5_000_000).is_ok());
        let old = check_timing(now, now - 5_001_000, 5_000_000).unwrap_err();
        assert_eq!(old.msg, "Timestamp for this request is outside of the recvWindow.");
        let ahead = check_timing(now, now + 1_000_000, 5_000_000).unwrap_err();
        assert_eq!(ahead.code, -1021);
        assert!(ahead.msg.contains("1000ms ahead"));
        assert!(check_timing(now, now + 999_000, 5_000_000).is_ok());
        assert_eq!(timestamp_us("1700000000000").unwrap(), now);
        assert_eq!(timestamp_us("1700000000000000").unwrap(), now);
    }
    // Public key of the Ed25519 key published in the FIX API docs (reference §2.5).
    const DOC_ED25519_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn ed25519_rest_vectors_verify() {
        let key = AccountKey::ed25519_from_pem(DOC_ED25519_PUBLIC_PEM).unwrap();
        assert_eq!(key.kind(), "Ed25519");
        let ascii = "WfzGnDebxAC6/SQQ8IgxO2A8zV0I3v3OTWs0IkFAqkrVzaUtwtzJI7VQf3QCKbPbYawE7LohsWhJm55b7ZPBAQ==";
        assert!(key.verify(DOC_PAYLOAD.as_bytes(), ascii));
        let encoded = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let non_ascii = "k5QNXt6rcJ68tOWoxhnl2ay2jkxe0/mK3Ci17szQxF6xGy9ZYcE6dXRSSlUWK/LXDPU0/bqWoOu98pxYZbXHAA==";
        assert!(key.verify(encoded.as_bytes(), non_ascii));
        // Wrong payload, a signature whose `+` became a space (not percent-encoded on the wire),
        // an HMAC hex signature, garbage: all refused.
        assert!(!key.verify(encoded.as_bytes(), ascii));
        let fix = "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==";
        let fix_payload = ["A", "EXAMPLE", "SPOT", "1", "20240627-11:17:25.223"].join("\u{1}");
        assert!(key.verify(fix_payload.as_bytes(), fix));
        assert!(!key.verify(fix_payload.as_bytes(), &fix.replace('+', " ")));
        assert!(!key.verify(DOC_PAYLOAD.as_bytes(), DOC_SIGNATURE));
        assert!(!key.verify(DOC_PAYLOAD.as_bytes(), "not base64!"));
        assert!(!key.verify(DOC_PAYLOAD.as_bytes(), ""));
    }

    #[test]
    fn the_signature_parameter_is_percent_decoded_before_base64() {
        let raw = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=WfzGnDebxAC6%2FSQQ8IgxO2A8zV0I3v3OTWs0IkFAqkrVzaUtwtzJI7VQf3QCKbPbYawE7LohsWhJm55b7ZPBAQ%3D%3D";
        let params = Params::parse(Some(raw)).unwrap();
        let key = AccountKey::ed25519_from_pem(DOC_ED25519_PUBLIC_PEM).unwrap();
        assert!(key.verify(without_signature(raw).as_bytes(), params.required("signature").unwrap()));
    }

    #[test]
    fn account_keys_are_typed_and_secrets_redacted() {
        assert!(AccountKey::ed25519_from_pem("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n").is_err());
        let hmac = AccountKey::Hmac(DOC_SECRET.into());
        assert_eq!(hmac.kind(), "HMAC");
        assert!(hmac.verify(DOC_PAYLOAD.as_bytes(), DOC_SIGNATURE));
        assert!(!format!("{hmac:?}").contains(DOC_SECRET));
    }
}
