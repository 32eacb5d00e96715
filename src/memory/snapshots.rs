//! `snapshots/`: each symbol's exchangeInfo entry, written only when its filters or status
//! changed (with the account's filters from `myFilters` and the symbol's execution rules beside
//! it, see [`SnapshotPart`]), and pre-trade validation captures. Names are built only from validated parts:
//! `<environment>/<SYMBOL>/<UTC stamp>.json` and `<environment>/<SYMBOL>/checks/<UTC stamp>-<tool>.json`.
//! A symbol of ASCII capitals and digits is its own folder name; any other (Unicode symbols
//! exist since 2025-12, e.g. testnet's `这是测试币456`) is stored under `x-` and the lowercase
//! hex of its UTF-8 bytes: reversible, and safe on every file system.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Memory, MemoryError, write_atomic};
use crate::config::Environment;
use spot_client::clock::local_now_ms;

pub const SNAPSHOT_DIR: &str = "snapshots";

/// How many validation captures are kept per environment and symbol (`checks/`); older ones are
/// removed as new ones are written, so the folder cannot grow without limit.
pub const CHECKS_KEPT: usize = 200;

/// What a filters snapshot keeps beside the exchangeInfo entry, each with its own fetch time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotPart {
    /// `GET /api/v3/myFilters` of the account on the symbol (MAX_ASSET lives only there).
    AccountFilters,
    /// The symbol's entry of `GET /api/v3/executionRules`.
    ExecutionRules,
}

impl SnapshotPart {
    fn key(self) -> &'static str {
        match self {
            SnapshotPart::AccountFilters => "my_filters",
            SnapshotPart::ExecutionRules => "execution_rules",
        }
    }
}

const PARTS: [SnapshotPart; 2] = [SnapshotPart::AccountFilters, SnapshotPart::ExecutionRules];

/// One listed snapshot.
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq, Eq)]
pub struct SnapshotEntry {
    /// The name to pass to snapshot_read.
    pub name: String,
    pub environment: String,
    pub symbol: String,
    /// `filters` or `check`.
    pub kind: String,
    /// UTC time in the name.
    pub at: String,
    pub bytes: u64,
}

/// The snapshot store.
#[derive(Clone, Debug)]
pub struct Snapshots {
    memory: Memory,
}

/// True for a symbol name that is safe as a path component as it is.
pub fn is_safe_symbol(symbol: &str) -> bool {
    (1..=32).contains(&symbol.len()) && symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Marks a folder that holds a hex-encoded symbol (a plain one never contains '-').
const ENCODED_PREFIX: &str = "x-";

/// The folder of `symbol`: itself when safe as it is, else `x-<hex of its UTF-8>`; None for a
/// string that is not a symbol name (1 to 32 letters, digits, '_', '-' or '.', starting with a
/// letter or digit).
pub fn symbol_folder(symbol: &str) -> Option<String> {
    if is_safe_symbol(symbol) {
        return Some(symbol.to_owned());
    }
    let symbol_like = (1..=32).contains(&symbol.chars().count())
        && symbol.chars().next().is_some_and(char::is_alphanumeric)
        && symbol
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    symbol_like.then(|| format!("{ENCODED_PREFIX}{}", hex::encode(symbol.as_bytes())))
}

/// The symbol stored in `folder`, when `folder` is exactly what [`symbol_folder`] makes of it.
pub fn symbol_of_folder(folder: &str) -> Option<String> {
    let symbol = match folder.strip_prefix(ENCODED_PREFIX) {
        Some(hex_text) => String::from_utf8(hex::decode(hex_text).ok()?).ok()?,
        None => folder.to_owned(),
    };
    (symbol_folder(&symbol).as_deref() == Some(folder)).then_some(symbol)
}

/// `2026-11-25T10-00-00.120Z`: fixed width (so names sort by time) and no ':' (so they work on
/// every file system).
pub fn stamp(ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]-[minute]-[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

impl Snapshots {
    pub fn new(memory: Memory) -> Snapshots {
        Snapshots { memory }
    }

    fn root(&self) -> PathBuf {
        self.memory.home().join(SNAPSHOT_DIR)
    }

    fn symbol_dir(&self, env: Environment, symbol: &str) -> Result<PathBuf, MemoryError> {
        let folder = symbol_folder(symbol)
            .ok_or_else(|| MemoryError::Invalid(format!("{symbol:?} is not a symbol name that can be stored")))?;
        Ok(self.root().join(env.as_str()).join(folder))
    }

    /// The latest filters snapshot of a symbol: its raw exchangeInfo entry and age.
    pub fn latest_symbol(&self, env: Environment, symbol: &str) -> Option<(Value, Duration)> {
        let doc = self.latest_doc(env, symbol)?;
        let at_ms = doc.get("fetched_at_ms")?.as_i64()?;
        Some((doc.get("symbol_info")?.clone(), age_of(at_ms)))
    }

    /// A part of the latest filters snapshot of a symbol, as Binance sent it, and its age.
    pub fn latest_part(&self, env: Environment, symbol: &str, part: SnapshotPart) -> Option<(Value, Duration)> {
        let doc = self.latest_doc(env, symbol)?;
        let entry = doc.get(part.key())?;
        let at_ms = entry.get("fetched_at_ms")?.as_i64()?;
        Some((entry.get("value")?.clone(), age_of(at_ms)))
    }

    /// Keeps `raw` as `part` of the symbol's filters snapshot: a new snapshot (the same
    /// exchangeInfo entry, this part changed) when it differs from the latest one. Returns the
    /// change; nothing is written for a symbol without a snapshot yet.
    pub fn record_part(
        &self,
        env: Environment,
        symbol: &str,
        part: SnapshotPart,
        raw: &Value,
    ) -> Result<Vec<String>, MemoryError> {
        let Some(mut doc) = self.latest_doc(env, symbol) else {
            return Ok(Vec::new());
        };
        let previous = doc.get(part.key()).and_then(|e| e.get("value")).cloned();
        if previous.as_ref() == Some(raw) {
            return Ok(Vec::new());
        }
        let changes = match &previous {
            Some(old) => vec![format!("{}: {} -> {}", part.key(), old, raw)],
            None => Vec::new(),
        };
        let now = local_now_ms();
        if let Value::Object(map) = &mut doc {
            map.insert(
                part.key().into(),
                serde_json::json!({"fetched_at": spot_types::time::utc(now), "fetched_at_ms": now, "value": raw}),
            );
            map.insert("changes_since_previous".into(), serde_json::json!(changes));
        }
        let dir = self.symbol_dir(env, symbol)?;
        write_atomic(&self.memory, &dir, &format!("{}.json", stamp(now)), &pretty(&doc))?;
        Ok(changes)
    }

    /// The latest filters snapshot document of a symbol.
    fn latest_doc(&self, env: Environment, symbol: &str) -> Option<Value> {
        let dir = self.symbol_dir(env, symbol).ok()?;
        let mut names: Vec<String> = fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        let latest = names.pop()?;
        let text = fs::read_to_string(dir.join(&latest)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes a filters snapshot when the symbol's filters or status differ from the latest one.
    /// Returns the changes (empty when nothing changed or this is the first snapshot).
    pub fn record_symbol(&self, env: Environment, symbol: &str, raw: &Value) -> Result<Vec<String>, MemoryError> {
        let previous_doc = self.latest_doc(env, symbol);
        let previous = previous_doc.as_ref().and_then(|d| d.get("symbol_info"));
        let changes = match previous {
            Some(prev) => diff_symbol(prev, raw),
            None => Vec::new(),
        };
        if previous.is_some() && changes.is_empty() {
            return Ok(changes);
        }
        let dir = self.symbol_dir(env, symbol)?;
        let now = local_now_ms();
        let mut doc = serde_json::json!({
            "environment": env.as_str(),
            "symbol": symbol,
            "fetched_at": spot_types::time::utc(now),
            "fetched_at_ms": now,
            "changes_since_previous": changes,
            "symbol_info": raw,
        });
        // The parts fetched beside the entry stay with it.
        for part in PARTS {
            if let (Some(kept), Value::Object(map)) = (previous_doc.as_ref().and_then(|d| d.get(part.key())), &mut doc)
            {
                map.insert(part.key().into(), kept.clone());
            }
        }
        write_atomic(&self.memory, &dir, &format!("{}.json", stamp(now)), &pretty(&doc))?;
        Ok(changes)
    }

    /// Writes a pre-trade validation capture; returns its name.
    pub fn record_check(
        &self,
        env: Environment,
        symbol: &str,
        tool: &str,
        capture: &Value,
    ) -> Result<String, MemoryError> {
        let dir = self.symbol_dir(env, symbol)?.join("checks");
        let tool: String = tool
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let file = format!("{}-{tool}.json", stamp(local_now_ms()));
        write_atomic(&self.memory, &dir, &file, &pretty(capture))?;
        prune_oldest(&dir, CHECKS_KEPT);
        let folder = symbol_folder(symbol).unwrap_or_default();
        Ok(format!("{}/{folder}/checks/{file}", env.as_str()))
    }

    /// Every snapshot, newest first, optionally for one environment and symbol.
    pub fn list(&self, env: Option<Environment>, symbol: Option<&str>) -> Vec<SnapshotEntry> {
        let mut out = Vec::new();
        for e in Environment::ALL {
            if env.is_some_and(|want| want != e) {
                continue;
            }
            let Ok(symbols) = fs::read_dir(self.root().join(e.as_str())) else {
                continue;
            };
            for s in symbols.filter_map(|d| d.ok()) {
                let Ok(folder) = s.file_name().into_string() else {
                    continue;
                };
                let Some(sym) = symbol_of_folder(&folder) else { continue };
                if symbol.is_some_and(|want| want != sym) {
                    continue;
                }
                let at = Location {
                    env: e,
                    symbol: &sym,
                    folder: &folder,
                };
                collect(&s.path(), &at, "filters", "", &mut out);
                collect(&s.path().join("checks"), &at, "check", "checks/", &mut out);
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then(a.name.cmp(&b.name)));
        out
    }

    /// Reads a snapshot by the name `list` gave. Anything else (absolute paths, `..`, other
    /// folders) is refused.
    pub fn read(&self, name: &str) -> Result<String, MemoryError> {
        let path = self.resolve(name)?;
        fs::read_to_string(&path).map_err(|e| MemoryError::io(&path, e))
    }

    fn resolve(&self, name: &str) -> Result<PathBuf, MemoryError> {
        let refuse = || {
            MemoryError::Invalid(format!(
                "{name:?} is not a snapshot name; use a name from snapshot_list"
            ))
        };
        let parts: Vec<&str> = name.split('/').collect();
        let (env, symbol, rest) = match parts.as_slice() {
            [env, symbol, file] => (*env, *symbol, vec![*file]),
            [env, symbol, "checks", file] => (*env, *symbol, vec!["checks", *file]),
            _ => return Err(refuse()),
        };
        let env_ok = Environment::ALL.iter().any(|e| e.as_str() == env);
        let file = rest.last().copied().unwrap_or_default();
        let file_ok = file.ends_with(".json")
            && file.len() <= 96
            && file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !file.starts_with('.');
        if !env_ok || symbol_of_folder(symbol).is_none() || !file_ok {
            return Err(refuse());
        }
        let mut path = self.root().join(env).join(symbol);
        for p in rest {
            path.push(p);
        }
        Ok(path)
    }
}

/// Where a symbol's snapshots live: its environment, the symbol, and its folder name.
struct Location<'a> {
    env: Environment,
    symbol: &'a str,
    folder: &'a str,
}

fn collect(dir: &Path, at_location: &Location<'_>, kind: &str, prefix: &str, out: &mut Vec<SnapshotEntry>) {
    let Location { env, symbol, folder } = *at_location;
    let Ok(entries) = fs::read_dir(dir) else { return };
    for f in entries.filter_map(|d| d.ok()) {
        let Ok(file) = f.file_name().into_string() else {
            continue;
        };
        if !file.ends_with(".json") || !f.path().is_file() {
            continue;
        }
        let at = file.get(..24).unwrap_or(&file).to_owned();
        out.push(SnapshotEntry {
            name: format!("{}/{folder}/{prefix}{file}", env.as_str()),
            environment: env.as_str().to_owned(),
            symbol: symbol.to_owned(),
            kind: kind.to_owned(),
            at,
            bytes: f.metadata().map(|m| m.len()).unwrap_or(0),
        });
    }
}

fn age_of(at_ms: i64) -> Duration {
    Duration::from_millis((local_now_ms() - at_ms).max(0) as u64)
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// What changed between two exchangeInfo symbol entries: status, order types, and every filter field.
pub fn diff_symbol(old: &Value, new: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    for key in ["status", "orderTypes"] {
        if old.get(key) != new.get(key) {
            changes.push(format!("{key}: {} -> {}", show(old.get(key)), show(new.get(key))));
        }
    }
    let filters = |v: &Value| -> Vec<(String, Value)> {
        v.get("filters")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|f| {
                        (
                            f.get("filterType").and_then(Value::as_str).unwrap_or("?").to_owned(),
                            f.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_f, new_f) = (filters(old), filters(new));
    for (name, nf) in &new_f {
        match old_f.iter().find(|(n, _)| n == name) {
            None => changes.push(format!("{name}: added {nf}")),
            Some((_, of)) if of != nf => {
                if let (Some(om), Some(nm)) = (of.as_object(), nf.as_object()) {
                    for (field, nv) in nm {
                        if om.get(field) != Some(nv) {
                            changes.push(format!("{name}.{field}: {} -> {}", show(om.get(field)), show(Some(nv))));
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
    for (name, _) in &old_f {
        if !new_f.iter().any(|(n, _)| n == name) {
            changes.push(format!("{name}: removed"));
        }
    }
    changes
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Removes all but the newest `keep` captures in `dir` (names start with their UTC stamp, so
/// they sort by age). Best effort: a capture that cannot be removed stays.
fn prune_oldest(dir: &std::path::Path, keep: usize) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut names: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    if names.len() <= keep {
        return;
    }
    names.sort();
    for old in &names[..names.len() - keep] {
        if let Err(e) = fs::remove_file(old) {
            tracing::debug!(file = %old.display(), error = %e, "could not prune an old capture");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_checks_are_kept() {
        let dir = tempfile::tempdir().expect("dir");
        for i in 0..12 {
            fs::write(
                dir.path().join(format!("2026-12-05T10-00-{i:02}Z-order_test.json")),
                b"{}",
            )
            .expect("write");
        }
        prune_oldest(dir.path(), 5);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("read")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        left.sort();
        assert_eq!(left.len(), 5);
        assert!(left[0].starts_with("2026-12-05T10-00-07Z"), "{left:?}");
    }
    use serde_json::json;

    fn symbol(tick: &str) -> Value {
        json!({"symbol": "BTCUSDT", "status": "TRADING", "orderTypes": ["LIMIT"],
               "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": tick}]})
    }

    #[test]
    fn snapshots_are_written_only_on_change_and_say_what_changed() {
        let dir = tempfile::tempdir().expect("dir");
        let snaps = Snapshots::new(Memory::new(dir.path()));
        assert!(
            snaps
                .record_symbol(Environment::Testnet, "BTCUSDT", &symbol("0.01"))
                .expect("first")
                .is_empty()
        );
        assert!(
            snaps
                .record_symbol(Environment::Testnet, "BTCUSDT", &symbol("0.01"))
                .expect("same")
                .is_empty()
        );
        assert_eq!(snaps.list(None, None).len(), 1);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let changes = snaps
            .record_symbol(Environment::Testnet, "BTCUSDT", &symbol("0.1"))
            .expect("changed");
        assert_eq!(changes, vec!["PRICE_FILTER.tickSize: 0.01 -> 0.1".to_owned()]);
        let list = snaps.list(Some(Environment::Testnet), Some("BTCUSDT"));
        assert_eq!(list.len(), 2);
        let (latest, _) = snaps.latest_symbol(Environment::Testnet, "BTCUSDT").expect("latest");
        assert_eq!(latest, symbol("0.1"));
        assert!(snaps.read(&list[0].name).expect("read").contains("0.1"));
    }

    #[test]
    fn account_filters_and_execution_rules_live_beside_the_entry() {
        let dir = tempfile::tempdir().expect("dir");
        let snaps = Snapshots::new(Memory::new(dir.path()));
        let env = Environment::Testnet;
        let max_asset =
            json!({"assetFilters": [{"filterType": "MAX_ASSET", "asset": "JPY", "limit": "1000000.00000000"}]});
        // Nothing to attach to before the symbol's own snapshot.
        assert!(
            snaps
                .record_part(env, "BTCJPY", SnapshotPart::AccountFilters, &max_asset)
                .expect("none")
                .is_empty()
        );
        assert!(snaps.latest_part(env, "BTCJPY", SnapshotPart::AccountFilters).is_none());
        snaps.record_symbol(env, "BTCJPY", &symbol("1")).expect("symbol");
        snaps
            .record_part(env, "BTCJPY", SnapshotPart::AccountFilters, &max_asset)
            .expect("part");
        let (kept, _) = snaps
            .latest_part(env, "BTCJPY", SnapshotPart::AccountFilters)
            .expect("kept");
        assert_eq!(kept, max_asset);
        // Unchanged: no new file; the symbol's own age is untouched.
        let files = snaps.list(Some(env), Some("BTCJPY")).len();
        snaps
            .record_part(env, "BTCJPY", SnapshotPart::AccountFilters, &max_asset)
            .expect("same");
        assert_eq!(snaps.list(Some(env), Some("BTCJPY")).len(), files);
        assert_eq!(snaps.latest_symbol(env, "BTCJPY").expect("entry").0, symbol("1"));
        // A changed entry keeps the parts beside it.
        std::thread::sleep(std::time::Duration::from_millis(5));
        snaps.record_symbol(env, "BTCJPY", &symbol("2")).expect("changed");
        assert_eq!(
            snaps
                .latest_part(env, "BTCJPY", SnapshotPart::AccountFilters)
                .expect("kept")
                .0,
            max_asset
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        let lower = json!({"assetFilters": [{"filterType": "MAX_ASSET", "asset": "JPY", "limit": "500000.00000000"}]});
        let changes = snaps
            .record_part(env, "BTCJPY", SnapshotPart::AccountFilters, &lower)
            .expect("lower");
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(
            changes[0].starts_with("my_filters:") && changes[0].contains("500000"),
            "{changes:?}"
        );
    }

    #[test]
    fn names_that_escape_the_folder_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let snaps = Snapshots::new(Memory::new(dir.path()));
        for bad in [
            "../memory.md",
            "/etc/passwd",
            "testnet/../../x.json",
            "testnet/BTCUSDT/../../../x.json",
            "mainnet/BTCUSDT/a.json",
            "testnet/btc/a.json",
            "testnet/BTCUSDT/a.txt",
            "testnet/BTCUSDT/.hidden.json",
        ] {
            assert!(snaps.read(bad).is_err(), "{bad} accepted");
        }
        assert!(
            snaps
                .record_check(Environment::Testnet, "../X", "order_test", &json!({}))
                .is_err()
        );
    }

    #[test]
    fn checks_are_listed_separately() {
        let dir = tempfile::tempdir().expect("dir");
        let snaps = Snapshots::new(Memory::new(dir.path()));
        let name = snaps
            .record_check(Environment::Demo, "ETHUSDT", "order_validate", &json!({"valid": true}))
            .expect("check");
        assert!(
            name.starts_with("demo/ETHUSDT/checks/") && name.ends_with("-order_validate.json"),
            "{name}"
        );
        let list = snaps.list(None, Some("ETHUSDT"));
        assert_eq!(list[0].kind, "check");
        assert_eq!(list[0].name, name);
        assert!(snaps.read(&name).expect("read").contains("valid"));
    }

    #[test]
    fn unicode_symbols_get_a_reversible_ascii_folder() {
        let unicode = "这是测试币456";
        let folder = symbol_folder(unicode).expect("a symbol");
        assert_eq!(folder, "x-e8bf99e698afe6b58be8af95e5b881343536");
        assert!(folder.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert_eq!(symbol_of_folder(&folder).as_deref(), Some(unicode));
        assert_eq!(symbol_folder("BTCUSDT").as_deref(), Some("BTCUSDT"));
        for bad in ["../X", "a/b", "", "x-zz", "x-2e2e", "btc"] {
            assert!(symbol_folder(bad).is_none() || symbol_of_folder(bad).is_none(), "{bad}");
        }
        let dir = tempfile::tempdir().expect("dir");
        let snaps = Snapshots::new(Memory::new(dir.path()));
        let name = snaps
            .record_check(Environment::Testnet, unicode, "order_validate", &json!({"valid": true}))
            .expect("check");
        assert!(name.starts_with(&format!("testnet/{folder}/checks/")), "{name}");
        let list = snaps.list(None, Some(unicode));
        assert_eq!((list.len(), list[0].symbol.as_str()), (1, unicode));
        assert!(snaps.read(&name).expect("read").contains("valid"));
    }
}
