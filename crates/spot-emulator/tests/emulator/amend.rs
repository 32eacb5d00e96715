//! `PUT /api/v3/order/amend/keepPriority` through the router: a lowered quantity keeps the
//! order id and releases exactly, and the documented refusals.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;

use super::support::trading::*;

const AMEND: &str = "/api/v3/order/amend/keepPriority";

/// A resting LIMIT BUY of 0.01 BTC, 10% under the bid: (orderId, price).
async fn resting(ex: &Ex) -> (u64, Decimal) {
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let (status, _, placed) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=amend-1"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    (placed["orderId"].as_u64().unwrap(), price)
}

#[tokio::test]
async fn amend_reduces_quantity_keeps_the_id_and_releases_exactly() {
    let ex = Ex::new();
    let (id, price) = resting(&ex).await;
    let (status, headers, body) = ex
        .signed(
            Method::PUT,
            AMEND,
            &format!("symbol=BTCUSDT&orderId={id}&newQty=0.004&newClientOrderId=amend-2"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-mbx-used-weight-1m"], "4");
    assert_keys(&body, &["transactTime", "executionId", "amendedOrder"]);
    let order = &body["amendedOrder"];
    assert_eq!(order["orderId"], id);
    assert_eq!(order["qty"], "0.00400000");
    assert_eq!(order["status"], "NEW");
    assert_eq!(order["origClientOrderId"], "amend-1");
    assert_eq!(order["clientOrderId"], "amend-2");
    assert_eq!(order["cumulativeQuoteQty"], "0.00000000");
    let locked = price * d("0.004");
    assert_eq!(ex.balance("USDT").await, (d("10000") - locked, locked));
    let (_, _, queried) = ex.get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={id}")).await;
    assert_eq!(queried["origQty"], "0.00400000");
    assert_eq!(queried["clientOrderId"], "amend-2");
}

#[tokio::test]
async fn documented_rejections() {
    let ex = Ex::new();
    let (id, _) = resting(&ex).await;
    let amend = |qty: &str| format!("symbol=BTCUSDT&orderId={id}&newQty={qty}");
    let (status, _, body) = ex.signed(Method::PUT, AMEND, &amend("0.02")).await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::BAD_REQUEST,
            (-2038, "Order amend (quantity increase) is not supported.")
        )
    );
    let (_, _, body) = ex.signed(Method::PUT, AMEND, &amend("0.01")).await;
    assert_eq!(
        error(&body),
        (-2038, "The requested action would change no state; rejecting")
    );
    let (_, _, body) = ex.signed(Method::PUT, AMEND, &amend("0.0000001")).await;
    assert_eq!(error(&body), (-1013, "Filter failure: LOT_SIZE"));
    let (_, _, body) = ex
        .signed(Method::PUT, AMEND, "symbol=BTCUSDT&orderId=999999&newQty=0.001")
        .await;
    assert_eq!(error(&body), (-2013, "Order does not exist."));
    let (_, _, body) = ex.signed(Method::PUT, AMEND, "symbol=BTCUSDT&newQty=0.001").await;
    assert_eq!(error(&body).0, -1102);
    let (_, _, body) = ex
        .signed(Method::PUT, AMEND, &format!("symbol=BTCUSDT&orderId={id}"))
        .await;
    assert_eq!(error(&body).0, -1102);
}

#[tokio::test]
async fn at_most_ten_amendments_per_order() {
    let ex = Ex::new();
    let (id, _) = resting(&ex).await;
    for n in 0..10 {
        let qty = d("0.01") - d("0.0005") * Decimal::from(n + 1);
        let (status, _, body) = ex
            .signed(Method::PUT, AMEND, &format!("symbol=BTCUSDT&orderId={id}&newQty={qty}"))
            .await;
        assert_eq!(status, StatusCode::OK, "amend {n}: {body}");
    }
    let (status, _, body) = ex
        .signed(Method::PUT, AMEND, &format!("symbol=BTCUSDT&orderId={id}&newQty=0.001"))
        .await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, (-2038, "Filter failure: MAX_NUM_ORDER_AMENDS"))
    );
}

#[tokio::test]
async fn closed_orders_cannot_be_amended() {
    let ex = Ex::new();
    let (id, _) = resting(&ex).await;
    let (status, _, _) = ex
        .signed(Method::DELETE, "/api/v3/order", &format!("symbol=BTCUSDT&orderId={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, body) = ex
        .signed(Method::PUT, AMEND, &format!("symbol=BTCUSDT&orderId={id}&newQty=0.001"))
        .await;
    assert_eq!(error(&body), (-2038, "Unknown order sent."));
}
