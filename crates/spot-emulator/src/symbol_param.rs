//! The `symbol` and `symbolStatus` parameters every symbol-scoped endpoint reads: the symbol
//! resolved to a listed instrument (-1102, -1100, -1121) and the status filter checked
//! against it (-1122, -1220).

use super::EmulatorState;
use super::error::{ApiError, code};
use super::market::Instrument;
use super::params::Params;
use super::symbols::STATUS_FILTERS;

/// Resolves the mandatory `symbol` to a listed instrument (-1102, -1100, -1121).
pub fn instrument<'a>(state: &'a EmulatorState, params: &Params) -> Result<&'a Instrument, ApiError> {
    let symbol = params.required_symbol()?;
    state.market.instrument(symbol).ok_or_else(ApiError::invalid_symbol)
}

/// Validates an optional `symbolStatus` (-1122) and whether `inst` matches it.
pub fn status_matches(params: &Params, inst: &Instrument) -> Result<bool, ApiError> {
    match params.optional("symbolStatus")? {
        None => Ok(true),
        Some(s) if STATUS_FILTERS.contains(&s) => Ok(inst.spec.status == s),
        Some(_) => Err(ApiError::bad_request(
            code::INVALID_SYMBOLSTATUS,
            "Invalid symbolStatus.",
        )),
    }
}

/// -1220 for a single symbol whose status differs from the requested `symbolStatus`.
pub fn require_status(params: &Params, inst: &Instrument) -> Result<(), ApiError> {
    if status_matches(params, inst)? {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            code::SYMBOL_DOES_NOT_MATCH_STATUS,
            "The symbol's status does not match the requested symbolStatus.",
        ))
    }
}
