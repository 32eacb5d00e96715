//! The request budget of one environment, shared by every server process on the machine (two
//! agents on one IP share one Binance budget): used weight and order counts per clock-aligned
//! window, a `Retry-After` in force and any ban, in `ratelimit.json` in the caller's state folder, one
//! entry per environment and base URL (`"testnet https://testnet.binance.vision"`: a ban is a
//! host's), read-modify-written under an exclusive file lock. Times are ms since epoch on
//! Binance's clock. The file is advisory and tiny, so it is
//! never fsynced; if it cannot be used, the process keeps the same state in memory. Each
//! governor opens the file once and keeps it open: an update is one lock, one positioned read
//! (parsed again only when another process changed it), one positioned write when the state
//! changed, and the unlock; the file is opened again when it was deleted or replaced.
//!
//! Before a request: refuse while banned, wait (at most `max_wait`) or refuse inside a
//! `Retry-After`, and wait or refuse when the request would cross 90% of a limit. Windows are
//! aligned to Binance's time as the client's clock measures it; the 10% margin and the headers
//! absorb what that measurement misses. After it: the
//! `X-MBX-*` headers raise the counts (the server is authoritative), and order endpoints hand
//! back the weight they reserved when they succeed (they cost 0 since 2026-04-02).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::Unavailable;
use super::limits::{Cost, Counter, Limits, interval_label, window_start};
use spot_types::Environment;

/// The state file in the state folder.
pub const STATE_FILE: &str = "ratelimit.json";
/// A request may use a limit up to this share, in percent; the rest absorbs other users of
/// the IP and clock differences.
pub const SAFETY_MARGIN_PERCENT: u64 = 90;
/// The longest a request waits for a window to free before it is refused instead.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);
/// A 418 without a time bans for the documented minimum, 2 minutes.
const DEFAULT_BAN_MS: i64 = 2 * 60 * 1000;

/// Used amount of one counter in its current window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Used {
    counter: Counter,
    interval_ms: i64,
    window_start_ms: i64,
    used: u64,
    /// Already charged to the next window: requests sent in the tail of this one.
    #[serde(default)]
    next: u64,
}

/// A request sent this close to the end of a window may be counted in the next one by Binance
/// (it arrives late, or the clocks differ a little), so it is charged to both.
fn tail_ms(interval_ms: i64) -> i64 {
    (interval_ms / 10).min(1_000)
}

fn in_tail(at_ms: i64, interval_ms: i64) -> bool {
    at_ms >= window_start(at_ms, interval_ms) + interval_ms - tail_ms(interval_ms)
}

impl Cost {
    fn of(&self, counter: Counter) -> u64 {
        match counter {
            Counter::Weight => self.weight,
            Counter::Orders => self.orders,
        }
    }
}

/// Everything known about one environment's budget.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct EnvState {
    #[serde(default)]
    base_url: String,
    /// Limits from exchangeInfo, once any process has read them.
    #[serde(default)]
    limits: Option<Limits>,
    #[serde(default)]
    used: Vec<Used>,
    /// No request before this (a 429's `Retry-After`), ms since epoch.
    #[serde(default)]
    retry_after_until_ms: i64,
    /// No new order before this (a -1015's `Retry-After`).
    #[serde(default)]
    orders_until_ms: i64,
    /// Banned by Binance (418) until this.
    #[serde(default)]
    banned_until_ms: i64,
}

/// Why a request cannot go now.
enum Block {
    Banned(i64),
    Wait { until_ms: i64, why: String },
}

impl EnvState {
    fn limits(&self) -> Limits {
        self.limits.clone().unwrap_or_default()
    }

    /// Starts a new window for every counter whose window has passed.
    fn roll(&mut self, now_ms: i64) {
        for u in &mut self.used {
            let current = window_start(now_ms, u.interval_ms);
            if u.window_start_ms != current {
                u.used = if current == u.window_start_ms + u.interval_ms {
                    u.next
                } else {
                    0
                };
                u.next = 0;
                u.window_start_ms = current;
            }
        }
    }

    fn used_mut(&mut self, counter: Counter, interval_ms: i64, now_ms: i64) -> &mut Used {
        let index = match self
            .used
            .iter()
            .position(|u| u.counter == counter && u.interval_ms == interval_ms)
        {
            Some(i) => i,
            None => {
                self.used.push(Used {
                    counter,
                    interval_ms,
                    window_start_ms: window_start(now_ms, interval_ms),
                    used: 0,
                    next: 0,
                });
                self.used.len() - 1
            }
        };
        &mut self.used[index]
    }

    /// Reserves `cost` at `now_ms`, or says why not.
    fn reserve(&mut self, cost: Cost, now_ms: i64) -> Result<(), Block> {
        if self.banned_until_ms > now_ms {
            return Err(Block::Banned(self.banned_until_ms));
        }
        if self.retry_after_until_ms > now_ms {
            return Err(Block::Wait {
                until_ms: self.retry_after_until_ms,
                why: "Binance answered 429 and asked for no request before then (Retry-After)".into(),
            });
        }
        if cost.orders > 0 && self.orders_until_ms > now_ms {
            return Err(Block::Wait {
                until_ms: self.orders_until_ms,
                why: "Binance answered -1015 (too many new orders) and asked for no order before then".into(),
            });
        }
        self.roll(now_ms);
        let windows = self.limits().windows;
        for w in &windows {
            let amount = cost.of(w.counter);
            if amount == 0 {
                continue;
            }
            let margin = (w.limit * SAFETY_MARGIN_PERCENT / 100).max(1);
            let tail = in_tail(now_ms, w.interval_ms);
            let used = self.used_mut(w.counter, w.interval_ms, now_ms);
            let (over_now, over_next) = (used.used + amount > margin, tail && used.next + amount > margin);
            if over_now || over_next {
                let what = match w.counter {
                    Counter::Weight => "request weight",
                    Counter::Orders => "new orders",
                };
                let (count, windows_ahead) = if over_now { (used.used, 1) } else { (used.next, 2) };
                return Err(Block::Wait {
                    until_ms: used.window_start_ms + windows_ahead * w.interval_ms,
                    why: format!(
                        "{count} of {} {what} per {} used in this window, and this request ({amount}) would cross the {SAFETY_MARGIN_PERCENT}% safety margin",
                        w.limit,
                        interval_label(w.interval_ms)
                    ),
                });
            }
        }
        for w in &windows {
            let amount = cost.of(w.counter);
            if amount > 0 {
                let tail = in_tail(now_ms, w.interval_ms);
                let used = self.used_mut(w.counter, w.interval_ms, now_ms);
                used.used += amount;
                if tail {
                    used.next += amount;
                }
            }
        }
        Ok(())
    }

    /// Takes back what `ticket` reserved of `counter`, wherever it is counted now.
    fn refund(&mut self, ticket: &Ticket, counter: Counter) {
        let amount = ticket.cost.of(counter);
        for u in self.used.iter_mut().filter(|u| u.counter == counter) {
            let sent_window = window_start(ticket.sent_ms, u.interval_ms);
            let tail = in_tail(ticket.sent_ms, u.interval_ms);
            if u.window_start_ms == sent_window {
                u.used = u.used.saturating_sub(amount);
                if tail {
                    u.next = u.next.saturating_sub(amount);
                }
            } else if tail && u.window_start_ms == sent_window + u.interval_ms {
                u.used = u.used.saturating_sub(amount);
            }
        }
    }

    /// Settles a request sent at `sent_ms`: refunds a free-on-success reservation and takes the
    /// server's counts, for windows that did not change while the request was out.
    fn settle(&mut self, ticket: &Ticket, usage: &[(Counter, i64, u64)], success: bool, now_ms: i64) {
        self.roll(now_ms);
        let same_window = |interval: i64| window_start(ticket.sent_ms, interval) == window_start(now_ms, interval);
        if success && ticket.cost.free_on_success {
            self.refund(ticket, Counter::Weight);
        }
        for &(counter, interval_ms, value) in usage {
            if same_window(interval_ms) {
                let used = self.used_mut(counter, interval_ms, now_ms);
                used.used = used.used.max(value);
            }
        }
    }
}

/// A reservation made by [`Governor::admit`], settled by [`Governor::settle`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    sent_ms: i64,
    cost: Cost,
}

/// One window's use, for a status report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowUse {
    pub counter: Counter,
    /// `1M`, `10S`, `1D`.
    pub interval: String,
    pub used: u64,
    pub limit: u64,
}

/// The budget of an environment at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub windows: Vec<WindowUse>,
    /// True when the limits came from exchangeInfo (else the production defaults).
    pub limits_from_exchange: bool,
    /// A `Retry-After` in force until then.
    pub retry_after_until_ms: Option<i64>,
    /// Banned by Binance until then.
    pub banned_until_ms: Option<i64>,
}

/// The shared budget of one environment.
#[derive(Debug)]
pub struct Governor {
    environment: Environment,
    base_url: String,
    /// This environment's entry in the file (see `key`).
    key: String,
    path: Option<PathBuf>,
    max_wait: Duration,
    /// Used when there is no state file, or it cannot be used.
    fallback: Mutex<BTreeMap<String, EnvState>>,
    /// The state file, opened on first use and kept open.
    file: Mutex<Option<StateFile>>,
    warned: AtomicBool,
}

impl Governor {
    /// A governor keeping its state in `state_dir/ratelimit.json`, or only in memory when `None`.
    pub fn new(environment: Environment, base_url: &str, state_dir: Option<&Path>, max_wait: Duration) -> Governor {
        Governor {
            environment,
            base_url: base_url.to_owned(),
            key: format!("{environment} {base_url}"),
            path: state_dir.map(|d| d.join(STATE_FILE)),
            max_wait,
            fallback: Mutex::default(),
            file: Mutex::default(),
            warned: AtomicBool::new(false),
        }
    }

    /// Runs `f` on this environment's state, read and written back under the file lock.
    fn update<R>(&self, f: impl FnOnce(&mut EnvState) -> R) -> R {
        if let Some(path) = &self.path {
            // One update at a time in this process; the file lock orders the processes.
            let mut slot = self.file.lock().unwrap_or_else(|p| p.into_inner());
            match StateFile::lock(&mut slot, path) {
                Ok(state) => {
                    let existed = state.all.contains_key(&self.key);
                    let entry = self.entry(&mut state.all);
                    let before = existed.then(|| entry.clone());
                    let result = f(entry);
                    // Written back only when this entry changed (or was created or moved now).
                    let changed = before.as_ref() != state.all.get(&self.key);
                    let written = if changed { state.write_back() } else { Ok(()) };
                    state.unlock();
                    if let Err(e) = written {
                        // What is on disk is unknown now: read it again next time.
                        *slot = None;
                        self.warn_once(path, &e);
                    }
                    return result;
                }
                Err(e) => {
                    *slot = None;
                    self.warn_once(path, &e);
                }
            }
        }
        let mut all = self.fallback.lock().unwrap_or_else(|p| p.into_inner());
        f(self.entry(&mut all))
    }

    /// The entry's key in the file: the environment and its base URL. A budget and a ban belong
    /// to a host, so a process pointed at another URL for the same environment (an emulator, a
    /// proxy) keeps its own entry instead of resetting this one.
    fn entry<'a>(&self, all: &'a mut BTreeMap<String, EnvState>) -> &'a mut EnvState {
        let key = &self.key;
        // Files written before the key named the URL kept one entry per environment: this URL
        // takes it over when it was written for it (a ban survives the upgrade).
        if !all.contains_key(key)
            && all
                .get(self.environment.as_str())
                .is_some_and(|old| old.base_url == self.base_url)
            && let Some(old) = all.remove(self.environment.as_str())
        {
            all.insert(key.clone(), old);
        }
        all.entry(key.clone()).or_insert_with(|| EnvState {
            base_url: self.base_url.clone(),
            ..EnvState::default()
        })
    }

    fn warn_once(&self, path: &Path, error: &std::io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(path = %path.display(), %error, "rate-limit state file unusable; keeping the budget in this process only");
        }
    }

    /// Reserves `cost` before a request: waits up to `max_wait` for a window or a `Retry-After`
    /// to pass, else refuses with the time to retry. `now` is Binance's time in ms.
    pub async fn admit(&self, cost: Cost, now: impl Fn() -> i64) -> Result<Ticket, Unavailable> {
        loop {
            let now_ms = now();
            let (until_ms, refusal) = match self.update(|s| s.reserve(cost, now_ms)) {
                Ok(()) => return Ok(Ticket { sent_ms: now_ms, cost }),
                Err(Block::Banned(until_ms)) => (until_ms, Unavailable::Banned { until_ms }),
                Err(Block::Wait { until_ms, why }) => (
                    until_ms,
                    Unavailable::RateLimited {
                        retry_at_ms: until_ms,
                        why,
                    },
                ),
            };
            let wait = Duration::from_millis(u64::try_from(until_ms - now_ms).unwrap_or(0));
            if wait > self.max_wait {
                return Err(refusal);
            }
            tracing::debug!(environment = %self.environment, wait_ms = wait.as_millis() as u64, "waiting for the rate-limit window");
            tokio::time::sleep(wait).await;
        }
    }

    /// Settles a request: `usage` from the response headers (`limits::parse_usage_header`).
    pub fn settle(&self, ticket: &Ticket, usage: &[(Counter, i64, u64)], success: bool, now_ms: i64) {
        self.update(|s| s.settle(ticket, usage, success, now_ms));
    }

    /// Hands a reservation back: the request never reached Binance (the connection failed).
    pub fn release(&self, ticket: &Ticket, now_ms: i64) {
        self.update(|s| {
            s.roll(now_ms);
            s.refund(ticket, Counter::Weight);
            s.refund(ticket, Counter::Orders);
        });
    }

    /// A 429: no request (or, for -1015, no order) before `until_ms`.
    pub fn retry_after(&self, until_ms: i64, orders_only: bool) {
        self.update(|s| {
            let slot = if orders_only {
                &mut s.orders_until_ms
            } else {
                &mut s.retry_after_until_ms
            };
            *slot = (*slot).max(until_ms);
        });
    }

    /// A 418: banned until `until_ms` (from the message or `Retry-After`; 2 minutes when
    /// neither says). Returns the end of the ban.
    pub fn ban(&self, until_ms: Option<i64>, now_ms: i64) -> i64 {
        let until = until_ms.unwrap_or(now_ms + DEFAULT_BAN_MS);
        self.update(|s| {
            s.banned_until_ms = s.banned_until_ms.max(until);
            s.banned_until_ms
        })
    }

    /// Limits read from exchangeInfo, shared with the other processes from now on.
    pub fn set_limits(&self, limits: Limits) {
        self.update(|s| {
            if s.limits.as_ref() != Some(&limits) {
                s.limits = Some(limits);
            }
        });
    }

    /// The budget at `now_ms`.
    pub fn budget(&self, now_ms: i64) -> Budget {
        // A report must not create the state file (status reports only look).
        let mut state = match &self.path {
            Some(path) if !path.exists() => {
                let mut all = self.fallback.lock().unwrap_or_else(|p| p.into_inner());
                self.entry(&mut all).clone()
            }
            _ => self.update(|s| s.clone()),
        };
        state.roll(now_ms);
        let limits = state.limits();
        let mut windows: Vec<WindowUse> = limits
            .windows
            .iter()
            .map(|w| WindowUse {
                counter: w.counter,
                interval: interval_label(w.interval_ms),
                used: state.used_mut(w.counter, w.interval_ms, now_ms).used,
                limit: w.limit,
            })
            .collect();
        windows.sort_by_key(|w| w.counter == Counter::Orders);
        Budget {
            windows,
            limits_from_exchange: limits.from_exchange,
            retry_after_until_ms: (state.retry_after_until_ms > now_ms).then_some(state.retry_after_until_ms),
            banned_until_ms: (state.banned_until_ms > now_ms).then_some(state.banned_until_ms),
        }
    }
}

/// The open state file of one governor, with the text last read from or written to it and
/// that text parsed: an update parses the file again only when another process changed it.
#[derive(Debug)]
struct StateFile {
    file: File,
    /// Device and inode of the file when it was opened, to notice it was replaced.
    #[cfg(unix)]
    id: (u64, u64),
    text: Vec<u8>,
    all: BTreeMap<String, EnvState>,
}

impl StateFile {
    /// Opens the file on first use (creating the folder 0700 and the file if needed), or again
    /// when it was deleted or replaced since; takes the exclusive lock and reads the state.
    fn lock<'a>(slot: &'a mut Option<StateFile>, path: &Path) -> std::io::Result<&'a mut StateFile> {
        if let Some(open) = slot.as_mut() {
            open.file.lock()?;
            if open.is_at(path) {
                open.read()?;
                return slot.as_mut().ok_or_else(|| std::io::Error::other("state file closed"));
            }
            open.unlock();
        }
        let file = open_state_file(path)?;
        file.lock()?;
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            let meta = file.metadata()?;
            (meta.dev(), meta.ino())
        };
        let open = slot.insert(StateFile {
            file,
            #[cfg(unix)]
            id,
            text: Vec::new(),
            all: BTreeMap::new(),
        });
        open.read()?;
        Ok(open)
    }

    /// Whether the open file is still the one at `path` (not deleted, renamed over or moved).
    #[cfg(unix)]
    fn is_at(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).is_ok_and(|named| (named.dev(), named.ino()) == self.id)
    }

    #[cfg(not(unix))]
    fn is_at(&self, path: &Path) -> bool {
        path.exists()
    }

    /// Reads the whole file (under the lock) and parses it when it differs from the last text.
    fn read(&mut self) -> std::io::Result<()> {
        // One read when the file is smaller than the buffer, which it is unless it grew.
        let mut text = vec![0u8; (self.text.len() * 2).max(4096)];
        let mut len = 0;
        loop {
            let n = read_at(&self.file, &mut text[len..], len as u64)?;
            len += n;
            if n == 0 || len < text.len() {
                break;
            }
            text.resize(text.len() * 2, 0);
        }
        text.truncate(len);
        if text != self.text {
            self.all = serde_json::from_slice(&text).unwrap_or_default();
            self.text = text;
        }
        Ok(())
    }

    /// Writes the state back when it changed: over the old text from the start, then cut to
    /// its length when it got shorter.
    fn write_back(&mut self) -> std::io::Result<()> {
        let mut text = serde_json::to_vec(&self.all).map_err(std::io::Error::other)?;
        text.push(b'\n');
        if text == self.text {
            return Ok(());
        }
        write_all_at(&self.file, &text, 0)?;
        if text.len() < self.text.len() {
            self.file.set_len(text.len() as u64)?;
        }
        self.text = text;
        Ok(())
    }

    fn unlock(&self) {
        let _ = self.file.unlock();
    }
}

/// Opens (creating the folder 0700 and the file if needed) the state file.
fn open_state_file(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent()
        && !dir.is_dir()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Window;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_800_000_000_000; // a minute boundary

    fn small(limit: u64) -> Limits {
        Limits {
            windows: vec![Window {
                counter: Counter::Weight,
                interval_ms: MIN,
                limit,
            }],
            from_exchange: true,
        }
    }

    fn weight(w: u64) -> Cost {
        Cost {
            weight: w,
            ..Cost::default()
        }
    }

    #[test]
    fn reservations_stop_at_the_margin_and_free_with_the_next_window() {
        let mut s = EnvState {
            limits: Some(small(100)),
            ..EnvState::default()
        };
        let now = T0 + 1_000;
        for _ in 0..45 {
            assert!(s.reserve(weight(2), now).is_ok());
        }
        // 90 of 100 used: the next 2 would cross the 90% margin.
        match s.reserve(weight(2), now) {
            Err(Block::Wait { until_ms, why }) => {
                assert_eq!(until_ms, T0 + MIN);
                assert!(why.contains("90 of 100 request weight per 1M"), "{why}");
            }
            _ => panic!("must block"),
        }
        assert!(s.reserve(weight(2), T0 + MIN).is_ok(), "a new window");
    }

    #[test]
    fn requests_at_the_end_of_a_window_count_in_the_next_one_too() {
        let mut s = EnvState {
            limits: Some(small(100)),
            ..EnvState::default()
        };
        let tail = T0 + MIN - 500;
        for _ in 0..40 {
            assert!(s.reserve(weight(2), tail).is_ok());
        }
        // Binance may count those 80 in the next window: only 10 are left there.
        for _ in 0..5 {
            assert!(s.reserve(weight(2), T0 + MIN + 10).is_ok());
        }
        assert!(s.reserve(weight(2), T0 + MIN + 10).is_err());
        // A free order sent in the tail is refunded in the window it ended up in.
        let mut s = EnvState {
            limits: Some(small(100)),
            ..EnvState::default()
        };
        let order = Cost {
            weight: 1,
            orders: 1,
            free_on_success: true,
        };
        s.reserve(order, tail).ok();
        s.settle(
            &Ticket {
                sent_ms: tail,
                cost: order,
            },
            &[],
            true,
            T0 + MIN + 5,
        );
        assert_eq!(s.used[0].used, 0);
    }

    #[test]
    fn headers_raise_the_count_and_successful_orders_are_refunded() {
        let mut s = EnvState {
            limits: Some(small(100)),
            ..EnvState::default()
        };
        let now = T0 + 1_000;
        s.reserve(weight(2), now).ok();
        let ticket = Ticket {
            sent_ms: now,
            cost: weight(2),
        };
        s.settle(&ticket, &[(Counter::Weight, MIN, 50)], true, now + 10);
        assert_eq!(s.used[0].used, 50, "another user of the IP is counted");
        s.settle(&ticket, &[(Counter::Weight, MIN, 20)], true, now + 20);
        assert_eq!(s.used[0].used, 50, "in-flight reservations are kept");
        let order = Cost {
            weight: 1,
            orders: 1,
            free_on_success: true,
        };
        s.reserve(order, now).ok();
        s.settle(
            &Ticket {
                sent_ms: now,
                cost: order,
            },
            &[],
            true,
            now + 30,
        );
        assert_eq!(s.used[0].used, 50, "a successful order costs no weight");
        // A header from a request that straddled a window boundary is ignored.
        s.settle(
            &Ticket {
                sent_ms: T0 + MIN - 100,
                cost: weight(2),
            },
            &[(Counter::Weight, MIN, 99)],
            false,
            T0 + MIN + 50,
        );
        assert_eq!(s.used[0].used, 0);
    }

    #[test]
    fn bans_and_retry_after_block_everything() {
        let mut s = EnvState {
            retry_after_until_ms: T0 + 30_000,
            ..EnvState::default()
        };
        assert!(matches!(s.reserve(weight(1), T0), Err(Block::Wait { until_ms, .. }) if until_ms == T0 + 30_000));
        assert!(s.reserve(weight(1), T0 + 30_000).is_ok());
        s.banned_until_ms = T0 + 99_000;
        assert!(matches!(s.reserve(weight(1), T0 + 40_000), Err(Block::Banned(t)) if t == T0 + 99_000));
        s.orders_until_ms = T0 + 200_000;
        assert!(s.reserve(weight(1), T0 + 100_000).is_ok());
        assert!(
            s.reserve(
                Cost {
                    weight: 1,
                    orders: 1,
                    free_on_success: true
                },
                T0 + 100_000
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn processes_share_the_budget_through_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let a = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        let b = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        a.set_limits(small(10));
        let now = || T0 + 1_000;
        for _ in 0..4 {
            a.admit(weight(2), now).await.expect("a");
        }
        // b learned the limit and sees a's 8: one more would cross 9.
        let refused = b.admit(weight(2), now).await.expect_err("shared");
        assert!(matches!(refused, Unavailable::RateLimited { .. }), "{refused:?}");
        let ticket = b.admit(weight(1), now).await.expect("the last unit");
        assert!(a.admit(weight(1), now).await.is_err(), "full");
        b.release(&ticket, T0 + 1_100);
        assert!(
            a.admit(weight(1), now).await.is_ok(),
            "a request that never left is handed back"
        );
        let until = a.ban(None, T0);
        assert_eq!(until, T0 + DEFAULT_BAN_MS);
        let c = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        assert_eq!(
            c.admit(weight(1), now).await.expect_err("banned"),
            Unavailable::Banned { until_ms: until }
        );
        assert_eq!(c.budget(T0 + 2_000).banned_until_ms, Some(until));
        // Another environment, another host: another budget.
        let other = Governor::new(Environment::Demo, "http://x", Some(dir.path()), Duration::ZERO);
        assert!(other.admit(weight(1), now).await.is_ok());
        let moved = Governor::new(Environment::Testnet, "http://y", Some(dir.path()), Duration::ZERO);
        assert!(moved.admit(weight(1), now).await.is_ok());
    }

    #[tokio::test]
    async fn each_base_url_keeps_its_own_entry_and_processes_on_one_url_share_it() {
        let dir = tempfile::tempdir().expect("dir");
        let now = || T0 + 1_000;
        let official = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        let until = official.ban(Some(T0 + 600_000), T0);
        // A second process for the same environment on another host: its own budget...
        let proxy = Governor::new(Environment::Testnet, "http://y", Some(dir.path()), Duration::ZERO);
        proxy.admit(weight(1), now).await.expect("not banned on another host");
        proxy.retry_after(T0 + 30_000, false);
        // ...which neither resets the first host's ban nor takes it.
        let official_again = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        assert_eq!(
            official_again.admit(weight(1), now).await.expect_err("still banned"),
            Unavailable::Banned { until_ms: until }
        );
        assert_eq!(official_again.budget(T0 + 2_000).retry_after_until_ms, None);
        let proxy_again = Governor::new(Environment::Testnet, "http://y", Some(dir.path()), Duration::ZERO);
        assert_eq!(proxy_again.budget(T0 + 2_000).retry_after_until_ms, Some(T0 + 30_000));
        assert_eq!(proxy_again.budget(T0 + 2_000).banned_until_ms, None);
        let text = std::fs::read_to_string(dir.path().join(STATE_FILE)).expect("state");
        let all: BTreeMap<String, EnvState> = serde_json::from_str(&text).expect("json");
        assert_eq!(
            all.keys().map(String::as_str).collect::<Vec<_>>(),
            ["testnet http://x", "testnet http://y"]
        );
    }

    #[tokio::test]
    async fn an_entry_keyed_by_environment_alone_is_taken_over_by_its_url() {
        let dir = tempfile::tempdir().expect("dir");
        let old = BTreeMap::from([(
            "testnet".to_owned(),
            EnvState {
                base_url: "http://x".into(),
                banned_until_ms: T0 + 600_000,
                ..EnvState::default()
            },
        )]);
        std::fs::write(dir.path().join(STATE_FILE), serde_json::to_string(&old).expect("json")).expect("write");
        let other = Governor::new(Environment::Testnet, "http://y", Some(dir.path()), Duration::ZERO);
        assert!(other.admit(weight(1), || T0).await.is_ok());
        let same = Governor::new(Environment::Testnet, "http://x", Some(dir.path()), Duration::ZERO);
        assert!(matches!(
            same.admit(weight(1), || T0).await,
            Err(Unavailable::Banned { .. })
        ));
    }

    #[tokio::test]
    async fn a_short_wait_is_waited_out() {
        let g = Governor::new(Environment::Testnet, "http://x", None, Duration::from_secs(1));
        let start = crate::clock::local_now_ms();
        g.retry_after(start + 300, false);
        g.admit(weight(1), crate::clock::local_now_ms).await.expect("waited");
        assert!(crate::clock::local_now_ms() - start >= 300);
    }
}
