//! Black-box tests of the emulator through its public API only: in-process requests to
//! [`spot_emulator::router`] (orders, order lists, amend, order life after placement) and a
//! served emulator with a real WebSocket client (WebSocket API, market streams). One test binary
//! (one link on a small machine); shared helpers in `support`. Tests that need a module's private
//! internals stay beside that module in `src/`.

#![allow(clippy::unwrap_used)]

mod support;

mod amend;
mod opo;
mod order_flow;
mod order_list_cancels;
mod order_lists;
mod orders;
mod price_rules;
mod ws_api;
mod ws_streams;
