//! Wire shapes of order lists (`rest-api.md` Order lists and the order-list queries): the list
//! status object (`orderListId` ... `orders[]`), with `orderReports[]` on placement and cancel
//! answers; the mixed rows of `DELETE /api/v3/openOrders`; the `listStatus` of a keep-priority
//! amend.

use serde::Serialize;

use super::order_json::{Canceled, Placed};
use super::order_list_model::OrderList;
use super::order_model::Order;

/// One `orders[]` entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListLeg {
    symbol: String,
    order_id: u64,
    client_order_id: String,
}

/// The list status object of `GET /api/v3/orderList`, `openOrderList` and `allOrderList`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListStatus {
    order_list_id: u64,
    contingency_type: &'static str,
    list_status_type: &'static str,
    list_order_status: &'static str,
    list_client_order_id: String,
    transaction_time: i64,
    symbol: String,
    orders: Vec<ListLeg>,
}

/// A list status with the reports of its orders (placement: ACK/RESULT/FULL shapes; cancel:
/// cancel shapes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListWithReports<R> {
    #[serde(flatten)]
    status: ListStatus,
    order_reports: Vec<R>,
}

/// The answer of the list placement endpoints.
pub type PlacedListJson = ListWithReports<Placed>;
/// The answer of `DELETE /api/v3/orderList` (and of `DELETE /api/v3/order` on a list leg).
pub type CanceledList = ListWithReports<Canceled>;

/// `DELETE /api/v3/order` and `DELETE /api/v3/openOrders` rows: a single order, or a whole list.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CancelRow {
    Order(Box<Canceled>),
    List(CanceledList),
}

impl CancelRow {
    /// The orders this row canceled (a list: its legs that were still open).
    pub fn order_ids(&self) -> Vec<u64> {
        match self {
            CancelRow::Order(order) => vec![order.order_id()],
            CancelRow::List(list) => list.order_ids(),
        }
    }
}

impl CanceledList {
    /// The legs this cancel ended.
    pub fn order_ids(&self) -> Vec<u64> {
        self.order_reports.iter().map(Canceled::order_id).collect()
    }
}

/// The `listStatus` of an amended list leg (the documented sample has no `listStatusType` and
/// no `transactionTime`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmendListStatus {
    order_list_id: u64,
    contingency_type: &'static str,
    list_order_status: &'static str,
    list_client_order_id: String,
    symbol: String,
    orders: Vec<ListLeg>,
}

/// The `orders[]` of `list`, client order ids as the legs carry them now (`orders` holds the
/// account's orders; a leg that cannot be found is skipped).
fn legs(list: &OrderList, orders: &[Order]) -> Vec<ListLeg> {
    list.order_ids
        .iter()
        .filter_map(|id| orders.iter().find(|o| o.order_id == *id))
        .map(|o| ListLeg {
            symbol: o.symbol.clone(),
            order_id: o.order_id,
            client_order_id: o.client_order_id.clone(),
        })
        .collect()
}

/// The status object of `list`.
pub fn list_status(list: &OrderList, orders: &[Order]) -> ListStatus {
    ListStatus {
        order_list_id: list.order_list_id,
        contingency_type: list.kind.contingency_type().as_str(),
        list_status_type: list.list_status_type.as_str(),
        list_order_status: list.list_order_status.as_str(),
        list_client_order_id: list.list_client_order_id.clone(),
        transaction_time: list.transaction_time,
        symbol: list.symbol.clone(),
        orders: legs(list, orders),
    }
}

/// `list` with `reports`.
pub fn with_reports<R>(list: &OrderList, orders: &[Order], reports: Vec<R>) -> ListWithReports<R> {
    ListWithReports {
        status: list_status(list, orders),
        order_reports: reports,
    }
}

/// The `listStatus` of an amend answer.
pub fn amend_list_status(list: &OrderList, orders: &[Order]) -> AmendListStatus {
    AmendListStatus {
        order_list_id: list.order_list_id,
        contingency_type: list.kind.contingency_type().as_str(),
        list_order_status: list.list_order_status.as_str(),
        list_client_order_id: list.list_client_order_id.clone(),
        symbol: list.symbol.clone(),
        orders: legs(list, orders),
    }
}
