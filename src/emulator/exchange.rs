//! The emulator's mutable exchange state: accounts by API key and their balances (orders and
//! matching will live here too), guarded by one `Mutex` in [`super::EmulatorState`].

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;

use super::EmulatorAccount;

/// One asset balance of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub asset: String,
    pub free: Decimal,
    pub locked: Decimal,
}

/// A spot account reachable through one API key.
#[derive(Clone)]
pub struct Account {
    /// HMAC-SHA256 key for signature verification.
    pub api_secret: String,
    /// Stable account id derived from the API key.
    pub uid: u64,
    /// Balances in the configured order.
    pub balances: Vec<Balance>,
    /// Last balance change, ms since epoch.
    pub update_time: i64,
    /// Maker / taker commission rates (fractions, e.g. 0.001 = 0.1 %).
    pub maker_rate: Decimal,
    pub taker_rate: Decimal,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("api_secret", &"REDACTED")
            .field("uid", &self.uid)
            .field("balances", &self.balances)
            .field("update_time", &self.update_time)
            .finish()
    }
}

/// Everything that changes while the emulator runs.
#[derive(Debug, Default)]
pub struct Exchange {
    accounts: HashMap<String, Account>,
}

impl Exchange {
    /// Opens the configured accounts at `now_ms`.
    pub fn new(accounts: &[EmulatorAccount], now_ms: i64) -> Self {
        let accounts = accounts
            .iter()
            .map(|a| {
                let balances = a
                    .balances
                    .iter()
                    .map(|(asset, free)| Balance {
                        asset: asset.clone(),
                        free: *free,
                        locked: Decimal::ZERO,
                    })
                    .collect();
                let account = Account {
                    api_secret: a.api_secret.clone(),
                    uid: uid_for(&a.api_key),
                    balances,
                    update_time: now_ms,
                    maker_rate: Decimal::new(1, 3),
                    taker_rate: Decimal::new(1, 3),
                };
                (a.api_key.clone(), account)
            })
            .collect();
        Self { accounts }
    }

    /// The account behind `api_key`.
    pub fn account(&self, api_key: &str) -> Option<&Account> {
        self.accounts.get(api_key)
    }

    /// The account behind `api_key`, for changes.
    pub fn account_mut(&mut self, api_key: &str) -> Option<&mut Account> {
        self.accounts.get_mut(api_key)
    }
}

/// A 9-digit uid that is stable for a key (FNV-1a).
fn uid_for(api_key: &str) -> u64 {
    let hash = api_key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    100_000_000 + hash % 900_000_000
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accounts_open_with_configured_balances() {
        let config = crate::emulator::EmulatorConfig::new(1).with_account("k", "s");
        let exchange = Exchange::new(&config.accounts, 5);
        let account = exchange.account("k").unwrap();
        assert_eq!(account.balances.len(), config.accounts[0].balances.len());
        assert!(account.balances.iter().all(|b| b.locked.is_zero()));
        assert_eq!(account.uid, uid_for("k"));
        assert!(!format!("{account:?}").contains("\"s\""));
        assert!(exchange.account("other").is_none());
    }
}
