//! Shared support of the emulator's black-box tests: in-process requests (`testkit`), the
//! trading harness (`trading`), the served-emulator WebSocket client (`ws`) and the tests' own
//! decimal formatting (`decimals`). Everything goes through the crate's public API.

// `testkit` is also compiled into the crate's own tests, where it names these through `super`.
use spot_emulator::{EmulatorConfig, EmulatorState, router};

pub mod decimals;
// Some of its helpers (`new_router`, `get`, ...) serve only the in-crate tests today.
#[allow(dead_code)]
pub mod testkit;
pub mod trading;
pub mod ws;
