//! The emulator's order-list state (`enums.md`: ContingencyType, listStatusType,
//! listOrderStatus): one [`OrderList`] per placed OCO/OTO/OTOCO/OPO/OPOCO, kept per account next to its
//! orders. The fields are public and hold only ids and statuses, so other modules (queries, an
//! event pump diffing state) read a list without knowing the engine; leg details live on the
//! orders themselves (found by `order_id`).

/// `contingencyType`: OTOCO, OPO and OPOCO lists report `OTO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContingencyType {
    Oco,
    Oto,
}

impl ContingencyType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oco => "OCO",
            Self::Oto => "OTO",
        }
    }
}

/// `listStatusType`. `RESPONSE` (an answer to a failed action) never describes a stored list:
/// REST answers a failed action with an error body; `UPDATED` is only an event (a leg's
/// client order id changed), so a stored list is `EXEC_STARTED` or `ALL_DONE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStatusType {
    ExecStarted,
    AllDone,
}

impl ListStatusType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExecStarted => "EXEC_STARTED",
            Self::AllDone => "ALL_DONE",
        }
    }
}

/// `listOrderStatus`. `REJECT` only answers a failed action, like `RESPONSE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrderStatus {
    Executing,
    AllDone,
}

impl ListOrderStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executing => "EXECUTING",
            Self::AllDone => "ALL_DONE",
        }
    }
}

/// Which endpoint made the list, and so which contingency rules bind its legs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `POST /api/v3/orderList/oco`: two legs, one cancels the other.
    Oco,
    /// `POST /api/v3/orderList/oto`: a working leg, then one pending leg.
    Oto,
    /// `POST /api/v3/orderList/otoco`: a working leg, then a pending OCO pair.
    Otoco,
    /// `POST /api/v3/orderList/opo` (`faqs/opo.md`): an OTO whose pending SELL leg has no
    /// quantity of its own: it sells what the BUY working leg received.
    Opo,
    /// `POST /api/v3/orderList/opoco`: an OTOCO whose pending SELL pair sells what the BUY
    /// working leg received.
    Opoco,
}

impl ListKind {
    /// The reported `contingencyType`.
    pub fn contingency_type(self) -> ContingencyType {
        match self {
            Self::Oco => ContingencyType::Oco,
            Self::Oto | Self::Otoco | Self::Opo | Self::Opoco => ContingencyType::Oto,
        }
    }

    /// One Pays the Other: the pending legs' quantity is what the working leg receives.
    pub fn pays_the_other(self) -> bool {
        matches!(self, Self::Opo | Self::Opoco)
    }

    /// Orders the list adds to the unfilled order count and the `MAX_NUM_ORDERS` filter.
    pub fn leg_count(self) -> u32 {
        match self {
            Self::Oco | Self::Oto | Self::Opo => 2,
            Self::Otoco | Self::Opoco => 3,
        }
    }
}

/// One order list of an account, open or done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderList {
    /// `orderListId` (shared sequence across accounts and symbols).
    pub order_list_id: u64,
    pub kind: ListKind,
    pub list_status_type: ListStatusType,
    pub list_order_status: ListOrderStatus,
    pub list_client_order_id: String,
    /// ms since epoch of the latest list status change (placement, a pending leg going live,
    /// ALL_DONE); `transactionTime` on the wire.
    pub transaction_time: i64,
    /// ms since epoch of the placement (what `allOrderList`'s time range selects on).
    pub created_ms: i64,
    pub symbol: String,
    /// Every leg's `orderId`, in the order the list reports them (`orders[]`).
    pub order_ids: Vec<u64>,
    /// OTO/OTOCO: the working leg.
    pub working: Option<u64>,
    /// The legs that cancel each other: the OCO's two legs, or an OTOCO's pending pair
    /// (stop-loss leg first, as Binance reports them).
    pub oco_pair: Option<(u64, u64)>,
}

impl OrderList {
    /// Still executing (`listOrderStatus` EXECUTING): listed by `openOrderList`, its
    /// `listClientOrderId` is taken, and canceling any leg cancels the whole list.
    pub fn is_open(&self) -> bool {
        self.list_order_status == ListOrderStatus::Executing
    }

    /// The other leg of the OCO pair containing `order_id`, if any.
    pub fn oco_sibling(&self, order_id: u64) -> Option<u64> {
        match self.oco_pair {
            Some((a, b)) if a == order_id => Some(b),
            Some((a, b)) if b == order_id => Some(a),
            _ => None,
        }
    }

    /// The legs that wait for the working leg (`PENDING_NEW` until it fills).
    pub fn pending_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.order_ids
            .iter()
            .copied()
            .filter(move |id| Some(*id) != self.working)
    }

    /// Marks the list finished at `t_ms`.
    pub fn finish(&mut self, t_ms: i64) {
        self.list_status_type = ListStatusType::AllDone;
        self.list_order_status = ListOrderStatus::AllDone;
        self.transaction_time = t_ms;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn otoco() -> OrderList {
        OrderList {
            order_list_id: 4,
            kind: ListKind::Otoco,
            list_status_type: ListStatusType::ExecStarted,
            list_order_status: ListOrderStatus::Executing,
            list_client_order_id: "list-1".into(),
            transaction_time: 10,
            created_ms: 10,
            symbol: "BTCUSDT".into(),
            order_ids: vec![7, 8, 9],
            working: Some(7),
            oco_pair: Some((8, 9)),
        }
    }

    #[test]
    fn roles_and_finish() {
        let mut list = otoco();
        assert_eq!(list.kind.contingency_type().as_str(), "OTO");
        assert_eq!(list.kind.leg_count(), 3);
        assert_eq!(list.pending_ids().collect::<Vec<_>>(), [8, 9]);
        assert_eq!(list.oco_sibling(9), Some(8));
        assert_eq!(list.oco_sibling(7), None);
        assert!(list.is_open());
        list.finish(20);
        assert!(!list.is_open());
        assert_eq!(
            (
                list.list_status_type.as_str(),
                list.list_order_status.as_str(),
                list.transaction_time
            ),
            ("ALL_DONE", "ALL_DONE", 20)
        );
    }
}
