//! The signed REST client against the emulator: the right secret passes, a wrong one is -1022.

mod common;

use std::time::Duration;

use binance_mcp::config::{Environment, EnvironmentConfig, credential_names};
use common::*;
use spot_client::BinanceClient;
use spot_client::sign::Credentials;

fn client(base_url: &str, secret: &str) -> BinanceClient {
    let config = EnvironmentConfig {
        environment: Environment::Testnet,
        base_url: base_url.to_owned(),
        ws_api_url: String::new(),
        stream_url: String::new(),
        credentials: Some(Credentials::new(TEST_KEY, secret)),
        credentials_incomplete: false,
        credential_names: credential_names(Environment::Testnet),
        enabled: true,
    };
    BinanceClient::new(&config, 5000, Duration::from_secs(5))
}

#[tokio::test]
async fn signed_account_call_passes_with_the_right_secret() {
    let emu = start_emulator(7).await;
    let account = client(&emu.base_url, TEST_SECRET)
        .account(false)
        .await
        .expect("account");
    assert!(account.can_trade);
    assert!(account.balances.iter().any(|b| b.asset == "USDT" && !b.free.is_zero()));
    let usage = client(&emu.base_url, TEST_SECRET);
    usage.ping().await.expect("ping");
    assert!(
        usage.usage().used_weight.contains_key("1M"),
        "X-MBX-USED-WEIGHT-1M recorded"
    );
}

#[tokio::test]
async fn wrong_secret_is_rejected_with_1022_and_a_hint() {
    let emu = start_emulator(7).await;
    let err = client(&emu.base_url, "not-the-secret")
        .account(false)
        .await
        .expect_err("must fail");
    assert_eq!(err.code(), Some(-1022), "{err}");
    assert_eq!(err.status(), Some(400));
    assert!(
        err.to_string().contains("Signature for this request is not valid."),
        "{err}"
    );
    assert!(err.hint().contains("secret"), "{}", err.hint());
}

#[tokio::test]
async fn unknown_key_is_rejected_with_2015() {
    let emu = start_emulator(7).await;
    let config = EnvironmentConfig {
        environment: Environment::Testnet,
        base_url: emu.base_url.clone(),
        ws_api_url: String::new(),
        stream_url: String::new(),
        credentials: Some(Credentials::new("someoneelse", TEST_SECRET)),
        credentials_incomplete: false,
        credential_names: credential_names(Environment::Testnet),
        enabled: true,
    };
    let err = BinanceClient::new(&config, 5000, Duration::from_secs(5))
        .account(false)
        .await
        .expect_err("must fail");
    assert_eq!(err.code(), Some(-2015), "{err}");
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn missing_keys_name_the_variables() {
    let emu = start_emulator(7).await;
    let config = EnvironmentConfig {
        environment: Environment::Demo,
        base_url: emu.base_url.clone(),
        ws_api_url: String::new(),
        stream_url: String::new(),
        credentials: None,
        credentials_incomplete: false,
        credential_names: credential_names(Environment::Demo),
        enabled: true,
    };
    let err = BinanceClient::new(&config, 5000, Duration::from_secs(5))
        .account(false)
        .await
        .expect_err("no keys");
    assert!(err.to_string().contains("BINANCE_DEMO_API_KEY"), "{err}");
}

#[tokio::test]
async fn unreachable_exchange_is_a_transport_error_with_a_hint() {
    // Port 9 on loopback: nothing listens there.
    let err = client("http://127.0.0.1:9", TEST_SECRET)
        .ping()
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("could not reach testnet"), "{err}");
    assert!(binance_mcp::remedy::for_error(&err).contains("serve --emulator"));
}
