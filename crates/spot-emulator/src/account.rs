//! Account endpoints (SIGNED): `GET /api/v3/account` (resting orders are settled first, so
//! balances reflect fills up to now) and `GET /api/v3/myFilters` (the filters relevant to the
//! account on a symbol, the only place MAX_ASSET shows).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::error::ApiError;
use super::wire::fixed8;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    maker_commission: u32,
    taker_commission: u32,
    buyer_commission: u32,
    seller_commission: u32,
    commission_rates: CommissionRates,
    can_trade: bool,
    can_withdraw: bool,
    can_deposit: bool,
    brokered: bool,
    require_self_trade_prevention: bool,
    prevent_sor: bool,
    update_time: i64,
    account_type: &'static str,
    balances: Vec<BalanceRow>,
    permissions: [&'static str; 1],
    uid: u64,
}

#[derive(Serialize)]
struct CommissionRates {
    maker: String,
    taker: String,
    buyer: String,
    seller: String,
}

#[derive(Serialize)]
struct BalanceRow {
    asset: String,
    free: String,
    locked: String,
}

/// `GET /api/v3/account` (weight 20): `omitZeroBalances` (default false) plus the signed-request
/// parameters.
pub async fn account(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Json<AccountInfo>, ApiError> {
    signed.allow_only(&["omitZeroBalances"])?;
    let omit_zero = signed.params.optional_bool("omitZeroBalances")?.unwrap_or(false);

    let exchange = state.settled(&signed.api_key, state.clock.now_ms());
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    let bps = |rate: Decimal| (rate * Decimal::from(10_000)).to_u32().unwrap_or(0);
    let balances = account
        .balances
        .iter()
        .filter(|b| !(omit_zero && b.free.is_zero() && b.locked.is_zero()))
        .map(|b| BalanceRow {
            asset: b.asset.clone(),
            free: fixed8(b.free),
            locked: fixed8(b.locked),
        })
        .collect();
    Ok(Json(AccountInfo {
        maker_commission: bps(account.maker_rate),
        taker_commission: bps(account.taker_rate),
        buyer_commission: 0,
        seller_commission: 0,
        commission_rates: CommissionRates {
            maker: fixed8(account.maker_rate),
            taker: fixed8(account.taker_rate),
            buyer: fixed8(Decimal::ZERO),
            seller: fixed8(Decimal::ZERO),
        },
        can_trade: true,
        can_withdraw: false,
        can_deposit: true,
        brokered: false,
        require_self_trade_prevention: false,
        prevent_sor: false,
        update_time: account.update_time,
        account_type: "SPOT",
        balances,
        permissions: ["SPOT"],
        uid: account.uid,
    }))
}

/// `GET /api/v3/myFilters` answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyFilters {
    exchange_filters: [(); 0],
    symbol_filters: Vec<serde_json::Value>,
    asset_filters: Vec<serde_json::Value>,
}

/// `GET /api/v3/myFilters` (weight 40): **symbol**. `exchangeFilters` is empty, as in this
/// emulator's exchangeInfo; `symbolFilters` holds the symbol's open-order count filters (the
/// docs' example shows MAX_NUM_ORDER_LISTS); `assetFilters` the account's MAX_ASSET filters on
/// the symbol's base and quote assets (which ones count as "relevant" is not documented; these
/// are the ones that can apply to its orders).
pub async fn my_filters(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Json<MyFilters>, ApiError> {
    signed.allow_only(&["symbol"])?;
    let inst = super::symbol_param::instrument(&state, &signed.params)?;
    let spec = &inst.spec;
    let exchange = state.exchange();
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    let counts = &spec.order_counts;
    let symbol_filters = vec![
        serde_json::json!({"filterType": "MAX_NUM_ORDERS", "maxNumOrders": counts.max_num_orders}),
        serde_json::json!({"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": counts.max_num_order_lists}),
        serde_json::json!({"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": counts.max_num_algo_orders}),
    ];
    let asset_filters = account
        .max_assets
        .iter()
        .filter(|(asset, _)| *asset == spec.base_asset || *asset == spec.quote_asset)
        .map(|(asset, limit)| serde_json::json!({"filterType": "MAX_ASSET", "asset": asset, "limit": fixed8(*limit)}))
        .collect();
    Ok(Json(MyFilters {
        exchange_filters: [],
        symbol_filters,
        asset_filters,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use super::super::testkit::{get_with_headers, router_with};
    use super::super::{EmulatorConfig, router};
    use axum::http::StatusCode;
    use hmac::{Hmac, Mac};
    use rust_decimal::Decimal;
    use serde_json::json;
    use sha2::Sha256;

    const KEY: &str = "emulatorTestKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
    const SECRET: &str = "emulatorTestSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";

    fn now_ms() -> u128 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()
    }

    /// Signs `query` independently of the emulator (hmac crate directly).
    fn signed_uri(query: &str, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(query.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        format!("/api/v3/account?{query}&signature={signature}")
    }

    fn app() -> axum::Router {
        let mut config = EmulatorConfig::new(1).with_account(KEY, SECRET);
        config.accounts[0].balances.push(("LTC".into(), Decimal::ZERO));
        router_with(config)
    }

    #[tokio::test]
    async fn signed_account_request_passes() {
        let app = app();
        let uri = signed_uri(&format!("recvWindow=5000&timestamp={}", now_ms()), SECRET);
        let (status, headers, body) = get_with_headers(&app, &uri, &[("X-MBX-APIKEY", KEY)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers["x-mbx-used-weight-1m"], "20");
        assert_eq!(body["accountType"], "SPOT");
        assert_eq!(body["canTrade"], true);
        assert_eq!(body["canWithdraw"], false);
        assert_eq!(body["canDeposit"], true);
        assert_eq!(body["permissions"], json!(["SPOT"]));
        assert_eq!(body["commissionRates"]["maker"], "0.00100000");
        assert_eq!(body["makerCommission"], 10);
        assert!(body["uid"].as_u64().unwrap() > 0);
        let balances = body["balances"].as_array().unwrap();
        assert_eq!(
            balances[0],
            json!({"asset":"BTC","free":"1.00000000","locked":"0.00000000"})
        );
        assert!(balances.iter().any(|b| b["asset"] == "LTC"));

        let uri = signed_uri(&format!("omitZeroBalances=true&timestamp={}", now_ms()), SECRET);
        let (_, _, body) = get_with_headers(&app, &uri, &[("X-MBX-APIKEY", KEY)]).await;
        assert!(!body["balances"].as_array().unwrap().iter().any(|b| b["asset"] == "LTC"));
    }

    #[tokio::test]
    async fn microsecond_timestamp_and_upper_case_signature_are_accepted() {
        let app = app();
        let uri = signed_uri(&format!("timestamp={}", now_ms() * 1000 + 123), SECRET);
        let (base, signature) = uri.split_once("signature=").unwrap();
        let uri = format!("{base}signature={}", signature.to_uppercase());
        let (status, _, body) = get_with_headers(&app, &uri, &[("X-MBX-APIKEY", KEY)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[tokio::test]
    async fn signed_request_failures() {
        let app = app();
        let ts = now_ms();
        type Case<'a> = (String, Vec<(&'a str, &'a str)>, StatusCode, serde_json::Value);
        let cases: Vec<Case> = vec![
            (
                signed_uri(&format!("timestamp={ts}"), "wrong-secret"),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1022,"msg":"Signature for this request is not valid."}),
            ),
            (
                signed_uri(&format!("timestamp={ts}"), SECRET),
                vec![("X-MBX-APIKEY", "unknownKey")],
                StatusCode::UNAUTHORIZED,
                json!({"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}),
            ),
            (
                signed_uri(&format!("timestamp={ts}"), SECRET),
                vec![],
                StatusCode::UNAUTHORIZED,
                json!({"code":-2014,"msg":"API-key format invalid."}),
            ),
            (
                signed_uri(&format!("timestamp={}", ts - 10_000), SECRET),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}),
            ),
            (
                signed_uri(&format!("timestamp={}", ts + 5_000), SECRET),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1021,"msg":"Timestamp for this request was 1000ms ahead of the server's time."}),
            ),
            (
                "/api/v3/account?recvWindow=5000".to_owned(),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1102,"msg":"Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."}),
            ),
            (
                format!("/api/v3/account?timestamp={ts}"),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1102,"msg":"Mandatory parameter 'signature' was not sent, was empty/null, or malformed."}),
            ),
            (
                signed_uri(&format!("recvWindow=60001&timestamp={ts}"), SECRET),
                vec![("X-MBX-APIKEY", KEY)],
                StatusCode::BAD_REQUEST,
                json!({"code":-1102,"msg":"'recvWindow' contains unexpected value. Cannot be greater than 60000."}),
            ),
        ];
        for (uri, headers, status, body) in cases {
            let (got_status, got_headers, got_body) = get_with_headers(&app, &uri, &headers).await;
            assert_eq!((got_status, &got_body), (status, &body), "{uri}");
            assert!(got_headers.contains_key("x-mbx-used-weight-1m"));
        }
    }

    #[tokio::test]
    async fn old_timestamp_passes_with_a_wide_recv_window() {
        let app = router(std::sync::Arc::new(super::super::EmulatorState::new(
            EmulatorConfig::new(1).with_account(KEY, SECRET),
        )));
        let uri = signed_uri(&format!("timestamp={}&recvWindow=30000.5", now_ms() - 10_000), SECRET);
        let (status, _, body) = get_with_headers(&app, &uri, &[("X-MBX-APIKEY", KEY)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
