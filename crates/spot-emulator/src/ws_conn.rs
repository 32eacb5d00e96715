//! What every emulator WebSocket (WebSocket API and market streams) shares: the server's ping
//! frame every `ws_ping_interval` and the disconnect of a client whose pong does not come back
//! within `ws_pong_timeout` (a pong counts only when it carries the payload of a ping the
//! server sent; unsolicited pongs do not keep a connection alive), the end of a connection at
//! `ws_max_lifetime`, and the `ws_down_ms` fault: every open WebSocket is dropped at once (no
//! close frame, like a network outage) and upgrades are refused with HTTP 503 until it ends;
//! and the `serverShutdown` notice every open WebSocket gets before a restart
//! (`web-socket-api.md` / `web-socket-streams.md`, Connection events; the connection stays open:
//! the client is expected to reconnect on its own).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::EmulatorConfig;

/// Close code sent when the connection reached its maximum lifetime (1000, normal closure).
const CLOSE_LIFETIME: u16 = 1000;
/// Close code sent to a client that did not answer pings (1008, policy violation).
const CLOSE_NO_PONG: u16 = 1008;

/// About thirty years: "never" for deadlines a configuration or a fault sets out of range.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `base + by`, saturating at [`FAR`] from `base` (huge settings must not overflow the clock).
fn later(base: Instant, by: Duration) -> Instant {
    base + by.min(FAR)
}

/// The emulator-wide WebSocket switchboard: the `ws_down_ms` fault and connection ids.
#[derive(Debug)]
pub struct WsHub {
    /// Bumped to drop every open WebSocket (fault or emulator shutdown).
    severed: watch::Sender<u64>,
    /// Upgrades are refused until then.
    down_until: Mutex<Option<Instant>>,
    /// Server time (ms) of the latest `serverShutdown` notice; every change is one notice.
    notices: watch::Sender<i64>,
    next_connection: AtomicU64,
}

impl Default for WsHub {
    fn default() -> Self {
        Self {
            severed: watch::Sender::new(0),
            down_until: Mutex::new(None),
            notices: watch::Sender::new(0),
            next_connection: AtomicU64::new(1),
        }
    }
}

impl WsHub {
    /// Drops every open WebSocket now and refuses upgrades for `duration` (zero lifts a refusal
    /// still in force and drops nothing).
    pub fn take_down(&self, duration: Duration) {
        if duration.is_zero() {
            *self.down() = None;
            return;
        }
        *self.down() = Some(later(Instant::now(), duration));
        self.sever_all();
    }

    /// Lifts the refusal of upgrades.
    pub fn bring_up(&self) {
        *self.down() = None;
    }

    /// Sends every open WebSocket a `serverShutdown` event stamped `at_ms` (server time).
    pub fn announce_shutdown(&self, at_ms: i64) {
        self.notices.send_replace(at_ms);
    }

    /// Drops every open WebSocket (the connections end without a close frame).
    pub fn sever_all(&self) {
        self.severed.send_modify(|generation| *generation += 1);
    }

    /// True while upgrades are refused.
    pub fn is_down(&self) -> bool {
        let mut down = self.down();
        match *down {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *down = None;
                false
            }
            None => false,
        }
    }

    /// A fresh id for a new connection (ids are never reused).
    pub fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    fn down(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.down_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The HTTP 503 answer to an upgrade while `ws_down_ms` is in force, if it is.
pub fn refusal_while_down(hub: &WsHub) -> Option<Response> {
    hub.is_down().then(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "emulator: WebSockets are down (ws_down_ms)",
        )
            .into_response()
    })
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client closed it or went away.
    Client,
    /// No pong to a ping within the pong timeout.
    NoPong,
    /// The connection reached its maximum lifetime.
    Lifetime,
    /// The `ws_down_ms` fault or the emulator's shutdown.
    Severed,
    /// The server ended it for a protocol reason (rate of incoming messages, IP ban).
    Server,
}

/// What the connection's timers ask for next.
#[derive(Debug)]
pub enum Timer {
    /// Send this ping frame.
    Ping(Bytes),
    /// End the connection.
    End(Ending),
    /// Send the `serverShutdown` event, stamped this server time (ms).
    ServerShutdown(i64),
}

/// The timers of one connection: ping schedule, outstanding pings, lifetime, fault switch.
#[derive(Debug)]
pub struct Keepalive {
    ping: Interval,
    /// Pings not yet answered, oldest first: (payload, sent at).
    outstanding: VecDeque<(Bytes, Instant)>,
    pong_timeout: Duration,
    lifetime_end: Instant,
    severed: watch::Receiver<u64>,
    notices: watch::Receiver<i64>,
    sequence: u64,
}

impl Keepalive {
    /// Timers for a connection opened now.
    pub fn new(config: &EmulatorConfig, hub: &WsHub) -> Self {
        let now = Instant::now();
        let period = config.ws_ping_interval.max(Duration::from_millis(1));
        let period = period.min(FAR);
        let mut ping = tokio::time::interval_at(later(now, period), period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut severed = hub.severed.subscribe();
        severed.mark_unchanged();
        let mut notices = hub.notices.subscribe();
        notices.mark_unchanged();
        Self {
            ping,
            outstanding: VecDeque::new(),
            pong_timeout: config.ws_pong_timeout,
            lifetime_end: later(now, config.ws_max_lifetime),
            severed,
            notices,
            sequence: 0,
        }
    }

    /// Waits for the next thing the timers ask for. Cancel-safe (for `tokio::select!`).
    pub async fn next(&mut self) -> Timer {
        let pong_deadline = self.outstanding.front().map_or(self.lifetime_end, |(_, sent)| {
            later(*sent, self.pong_timeout).min(self.lifetime_end)
        });
        // Biased: an ending due at the same instant as a ping wins, so timing is deterministic.
        tokio::select! {
            biased;
            changed = self.severed.changed() => {
                // A closed channel means the emulator is gone: end too.
                let _ = changed;
                Timer::End(Ending::Severed)
            }
            _ = tokio::time::sleep_until(pong_deadline) => {
                if Instant::now() >= self.lifetime_end {
                    Timer::End(Ending::Lifetime)
                } else {
                    Timer::End(Ending::NoPong)
                }
            }
            changed = self.notices.changed() => match changed {
                Ok(()) => Timer::ServerShutdown(*self.notices.borrow_and_update()),
                Err(_) => Timer::End(Ending::Severed),
            },
            _ = self.ping.tick() => {
                self.sequence += 1;
                let payload = Bytes::from(self.sequence.to_string());
                self.outstanding.push_back((payload.clone(), Instant::now()));
                Timer::Ping(payload)
            }
        }
    }

    /// A pong arrived: it answers the ping with the same payload and every older one.
    pub fn on_pong(&mut self, payload: &[u8]) {
        if let Some(index) = self.outstanding.iter().position(|(p, _)| p.as_ref() == payload) {
            self.outstanding.drain(..=index);
        }
    }
}

/// The `serverShutdown` event's payload, `{"e":"serverShutdown","E":<event time>}`; each kind
/// of connection wraps it its own way.
pub fn server_shutdown_event(event_time: i64) -> String {
    format!(r#"{{"e":"serverShutdown","E":{event_time}}}"#)
}

/// Carries out `timer` on `socket`: sends the ping or the text `notice` makes of a
/// `serverShutdown` (given its server time in ms), or closes for the reason given (a close
/// frame for the lifetime and a missing pong; nothing for a severed connection, which is just
/// dropped). `Err` means the connection is over.
pub async fn act(socket: &mut WebSocket, timer: Timer, notice: impl FnOnce(i64) -> String) -> Result<(), Ending> {
    match timer {
        Timer::Ping(payload) => socket.send(Message::Ping(payload)).await.map_err(|_| Ending::Client),
        Timer::ServerShutdown(at_ms) => socket
            .send(Message::Text(notice(at_ms).into()))
            .await
            .map_err(|_| Ending::Client),
        Timer::End(Ending::Lifetime) => {
            close(socket, CLOSE_LIFETIME, "connection lifetime reached").await;
            Err(Ending::Lifetime)
        }
        Timer::End(Ending::NoPong) => {
            close(socket, CLOSE_NO_PONG, "pong timeout").await;
            Err(Ending::NoPong)
        }
        Timer::End(ending) => Err(ending),
    }
}

/// Sends a close frame (best effort: the peer may already be gone).
pub async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(ping_ms: u64, pong_ms: u64, lifetime_ms: u64) -> EmulatorConfig {
        let mut config = EmulatorConfig::new(1);
        config.ws_ping_interval = Duration::from_millis(ping_ms);
        config.ws_pong_timeout = Duration::from_millis(pong_ms);
        config.ws_max_lifetime = Duration::from_millis(lifetime_ms);
        config
    }

    #[tokio::test(start_paused = true)]
    async fn pings_then_ends_without_the_matching_pong() {
        let hub = WsHub::default();
        let mut keepalive = Keepalive::new(&config(20_000, 60_000, 86_400_000), &hub);
        let Timer::Ping(first) = keepalive.next().await else {
            panic!("a ping first")
        };
        keepalive.on_pong(b"unsolicited");
        let Timer::Ping(second) = keepalive.next().await else {
            panic!("a second ping")
        };
        assert_ne!(first, second);
        keepalive.on_pong(&second); // answers both
        assert!(keepalive.outstanding.is_empty());
        let mut pings = 0;
        let ending = loop {
            match keepalive.next().await {
                Timer::Ping(_) => pings += 1,
                Timer::End(ending) => break ending,
                Timer::ServerShutdown(_) => panic!("no notice was sent"),
            }
        };
        assert_eq!(
            (ending, pings),
            (Ending::NoPong, 3),
            "ends 60 s after an unanswered ping"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lifetime_and_fault_end_connections() {
        let hub = WsHub::default();
        let mut keepalive = Keepalive::new(&config(1_000, 60_000, 2_500), &hub);
        let mut timers = Vec::new();
        loop {
            match keepalive.next().await {
                Timer::Ping(payload) => {
                    keepalive.on_pong(&payload);
                    timers.push("ping");
                }
                Timer::End(ending) => {
                    assert_eq!(ending, Ending::Lifetime);
                    break;
                }
                Timer::ServerShutdown(_) => panic!("no notice was sent"),
            }
        }
        assert_eq!(timers, ["ping", "ping"]);

        let mut keepalive = Keepalive::new(&config(20_000, 60_000, 86_400_000), &hub);
        assert!(!hub.is_down());
        hub.take_down(Duration::from_millis(500));
        assert!(matches!(keepalive.next().await, Timer::End(Ending::Severed)));
        assert!(hub.is_down() && refusal_while_down(&hub).is_some());
        tokio::time::advance(Duration::from_millis(501)).await;
        assert!(!hub.is_down() && refusal_while_down(&hub).is_none());
        assert!(hub.next_connection_id() < hub.next_connection_id());
        // Out-of-range settings saturate instead of overflowing the clock.
        hub.take_down(Duration::from_millis(u64::MAX));
        assert!(hub.is_down());
        let forever = Keepalive::new(&config(u64::MAX, u64::MAX, u64::MAX), &hub);
        assert!(forever.lifetime_end > Instant::now() + Duration::from_secs(86_400 * 365));
    }
}
