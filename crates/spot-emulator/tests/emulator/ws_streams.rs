//! Every emulator WebSocket against a served emulator: the `ws_down_ms` fault, raw and combined
//! market streams with their documented payloads, and the server's keepalive pings and lifetime
//! close. Every wait is bounded.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::support::ws::*;

#[tokio::test]
async fn ws_down_drops_every_websocket_and_refuses_upgrades() {
    let emu = Emu::start(config()).await;
    let mut api = emu.connect("/ws-api/v3").await;
    let mut stream = emu.connect("/ws/btcusdt@trade").await;
    emu.post_faults(json!({"ws_down_ms": 1_500})).await;
    assert!(ends(&mut api).await && ends(&mut stream).await);
    let refused = tokio_tungstenite::connect_async(emu.ws_url("/ws-api/v3")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    // REST is unaffected.
    assert!(emu.get("/api/v3/time").await["serverTime"].is_i64());
    let log = emu.get("/emulator/requests").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["method"] == "GET" && e["path"] == "/ws-api/v3" && e["status"] == 503),
        "{log}"
    );
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let mut back = emu.connect("/ws-api/v3").await;
    let (_, pong) = call(&mut back, "p", "ping", json!({})).await;
    assert_eq!(pong["status"], 200);

    emu.post_faults(json!({"ws_down_ms": 60_000})).await;
    assert!(ends(&mut back).await);
    let url = format!("{}/emulator/faults", emu.handle.base_url());
    emu.http.delete(url).send().await.unwrap();
    emu.connect("/stream?streams=btcusdt@trade").await;
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn raw_and_combined_streams_deliver_documented_payloads() {
    let emu = Emu::start(config()).await;
    let mut raw = emu.connect("/ws/btcusdt@trade").await;
    let trade = next_json(&mut raw).await;
    let keys: Vec<&str> = trade.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 9, "{trade}");
    for key in ["e", "E", "s", "t", "p", "q", "T", "m", "M"] {
        assert!(trade.get(key).is_some(), "{key} in {trade}");
    }
    assert_eq!(
        (trade["e"].as_str(), trade["s"].as_str()),
        (Some("trade"), Some("BTCUSDT"))
    );
    let rest = emu.get("/api/v3/trades?symbol=BTCUSDT&limit=1000").await;
    let same = rest
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == trade["t"])
        .expect("REST shows the trade");
    assert_eq!(
        (&same["price"], &same["qty"], &same["time"]),
        (&trade["p"], &trade["q"], &trade["T"])
    );
    assert_eq!(same["isBuyerMaker"], trade["m"]);

    raw.send(Message::text(
        r#"{"method":"SUBSCRIBE","params":["ethusdt@miniTicker"],"id":1}"#,
    ))
    .await
    .unwrap();
    let answer = until(&mut raw, |f| f.get("id").is_some()).await.pop().unwrap();
    assert_eq!(answer, json!({"result": null, "id": 1}));
    raw.send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#))
        .await
        .unwrap();
    let answer = until(&mut raw, |f| f.get("id").is_some()).await.pop().unwrap();
    assert_eq!(
        answer,
        json!({"result": ["btcusdt@trade", "ethusdt@miniTicker"], "id": 3})
    );
    let mini = until(&mut raw, |f| f["e"] == "24hrMiniTicker").await.pop().unwrap();
    assert_eq!(mini["s"], "ETHUSDT");
    for key in ["E", "c", "o", "h", "l", "v", "q"] {
        assert!(mini.get(key).is_some(), "{key} in {mini}");
    }

    let mut combined = emu
        .connect("/stream?streams=btcusdt@bookTicker/ethbtc@depth5/bnbusdt@kline_1s")
        .await;
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        let frame = next_json(&mut combined).await;
        let stream = frame["stream"].as_str().unwrap().to_owned();
        let data = &frame["data"];
        match stream.as_str() {
            "btcusdt@bookTicker" => {
                assert_eq!(data["s"], "BTCUSDT");
                for key in ["u", "b", "B", "a", "A"] {
                    assert!(data.get(key).is_some(), "{key} in {data}");
                }
            }
            "ethbtc@depth5" => {
                assert!(data["lastUpdateId"].is_u64());
                assert_eq!(data["bids"].as_array().unwrap().len(), 5);
                assert_eq!(data["asks"].as_array().unwrap().len(), 5);
            }
            "bnbusdt@kline_1s" => {
                assert_eq!(
                    (data["e"].as_str(), data["k"]["i"].as_str()),
                    (Some("kline"), Some("1s"))
                );
                assert_eq!(data["k"]["T"].as_i64().unwrap() - data["k"]["t"].as_i64().unwrap(), 999);
            }
            other => panic!("unexpected stream {other}"),
        }
        seen.insert(stream);
    }
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn server_pings_and_closes_at_the_configured_lifetime() {
    let mut config = config();
    config.ws_ping_interval = Duration::from_millis(100);
    config.ws_pong_timeout = Duration::from_millis(400);
    config.ws_max_lifetime = Duration::from_millis(1_200);
    let emu = Emu::start(config).await;

    // A client that reads (and so answers pings) lives until the lifetime ends.
    let mut socket = emu.connect("/ws-api/v3").await;
    let (mut pings, close) = tokio::time::timeout(WAIT, async {
        let mut pings = 0;
        loop {
            match socket.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Close(frame))) => return (pings, frame),
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(pings >= 5, "{pings} pings");
    assert_eq!(close.unwrap().code, CloseCode::Normal);

    emu.handle.shutdown().await;

    // A client that never reads never answers pings: closed after the pong timeout, long
    // before its lifetime. (The close frame may be lost: reading it, the client first tries
    // to answer the pings on a socket the server has already closed.)
    let mut config = self::config();
    config.ws_ping_interval = Duration::from_millis(100);
    config.ws_pong_timeout = Duration::from_millis(300);
    config.ws_max_lifetime = Duration::from_secs(600);
    let emu = Emu::start(config).await;
    let mut silent = emu.connect("/ws/btcusdt@trade").await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match silent.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                None | Some(Err(_)) => return Some(CloseCode::Policy),
                Some(Ok(_)) => pings += 1,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(ended, Some(CloseCode::Policy));
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn server_shutdown_is_announced_on_every_websocket_which_stays_open() {
    let emu = Emu::start(config()).await;
    let mut api = emu.connect("/ws-api/v3").await;
    let mut raw = emu.connect("/ws/btcusdt@trade").await;
    // A Unicode symbol's stream, its name percent-encoded in the URL as clients send it.
    let mut combined = emu
        .connect("/stream?streams=%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456@trade")
        .await;
    let first = next_json(&mut combined).await;
    assert_eq!(first["stream"], "这是测试币456@trade", "{first}");
    assert_eq!(first["data"]["s"], "这是测试币456");
    let before = emu.now();
    emu.post_faults(json!({"server_shutdown": true})).await;
    let notice = until(&mut api, |f| f.get("event").is_some()).await.pop().unwrap();
    assert_eq!(notice["event"]["e"], "serverShutdown", "{notice}");
    assert!(notice["event"]["E"].as_i64().unwrap() >= before);
    assert!(notice.get("subscriptionId").is_none(), "a connection event: {notice}");
    let notice = until(&mut raw, |f| f["e"] == "serverShutdown").await.pop().unwrap();
    assert!(notice["E"].is_i64(), "{notice}");
    let notice = until(&mut combined, |f| f["stream"] == "!serverShutdown")
        .await
        .pop()
        .unwrap();
    assert_eq!(notice["data"]["e"], "serverShutdown", "{notice}");
    // The connections stay open until the client moves: the API still answers.
    let (_, pong) = call(&mut api, "p", "ping", json!({})).await;
    assert_eq!(pong["status"], 200);
    emu.handle.shutdown().await;
}
