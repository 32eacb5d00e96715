//! Commission rates: `GET /api/v3/account/commission` and the `computeCommissionRates` answer of
//! `POST /api/v3/order/test`. The emulator charges the account's maker/taker rate on the received
//! asset (no buyer/seller, special or tax part, no BNB discount).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::error::ApiError;
use super::exchange::Account;
use super::symbol_param::instrument;
use super::wire::fixed8;

#[derive(Debug, Serialize)]
pub struct FourRates {
    maker: String,
    taker: String,
    buyer: String,
    seller: String,
}

#[derive(Debug, Serialize)]
pub struct TwoRates {
    maker: String,
    taker: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    enabled_for_account: bool,
    enabled_for_symbol: bool,
    discount_asset: &'static str,
    discount: String,
}

/// `GET /api/v3/account/commission` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolCommission {
    symbol: String,
    standard_commission: FourRates,
    special_commission: FourRates,
    tax_commission: FourRates,
    discount: Discount,
}

/// `POST /api/v3/order/test?computeCommissionRates=true` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCommission {
    standard_commission_for_order: TwoRates,
    special_commission_for_order: TwoRates,
    tax_commission_for_order: TwoRates,
    discount: Discount,
}

fn discount() -> Discount {
    Discount {
        enabled_for_account: false,
        enabled_for_symbol: true,
        discount_asset: "BNB",
        discount: fixed8(Decimal::new(25, 2)),
    }
}

fn zero4() -> FourRates {
    let z = fixed8(Decimal::ZERO);
    FourRates {
        maker: z.clone(),
        taker: z.clone(),
        buyer: z.clone(),
        seller: z,
    }
}

fn zero2() -> TwoRates {
    TwoRates {
        maker: fixed8(Decimal::ZERO),
        taker: fixed8(Decimal::ZERO),
    }
}

/// The rates an order of `account` would pay (buyer/seller rates are zero, so maker/taker stand).
pub fn for_order(account: &Account) -> OrderCommission {
    OrderCommission {
        standard_commission_for_order: TwoRates {
            maker: fixed8(account.maker_rate),
            taker: fixed8(account.taker_rate),
        },
        special_commission_for_order: zero2(),
        tax_commission_for_order: zero2(),
        discount: discount(),
    }
}

/// `GET /api/v3/account/commission` (weight 20): **symbol**.
pub async fn account_commission(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<SymbolCommission>, ApiError> {
    signed.allow_only(&["symbol"])?;
    let inst = instrument(&state, &signed.params)?;
    let exchange = state.exchange();
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    Ok(Json(SymbolCommission {
        symbol: inst.spec.symbol.clone(),
        standard_commission: FourRates {
            maker: fixed8(account.maker_rate),
            taker: fixed8(account.taker_rate),
            buyer: fixed8(Decimal::ZERO),
            seller: fixed8(Decimal::ZERO),
        },
        special_commission: zero4(),
        tax_commission: zero4(),
        discount: discount(),
    }))
}
