//! `incidents.md`: every Binance error and transport failure, as a readable entry. A repeat of
//! the same code on the same endpoint and environment within [`REPEAT_WINDOW`] is counted on
//! the existing entry instead of appended again.

use std::time::Duration;

use super::{Memory, MemoryError};
use crate::config::Environment;
use spot_client::clock::local_now_ms;
use spot_client::{Alert, BinanceError};

pub const INCIDENTS_FILE: &str = "incidents.md";
/// Repeats closer together than this are counted, not appended.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// What happened, for one entry.
#[derive(Clone, Debug)]
pub struct Incident {
    /// The tool whose call caused it, when one did (the caller knows; memory does not).
    pub tool: Option<String>,
    /// The cause in a few words (`cancel timer failed`, `IP banned`) for events that are not one
    /// failed request; `None` for a request's failure, which its code or status names.
    pub cause: Option<String>,
    pub environment: Environment,
    /// e.g. `GET /api/v3/exchangeInfo`; empty when no request or channel is concerned.
    pub endpoint: String,
    pub http_status: Option<u16>,
    /// The Binance code, when Binance sent one.
    pub code: Option<i64>,
    pub message: String,
    /// What the server did: retried, backed off, reconciled, halted, returned the error.
    pub action: String,
    pub hint: String,
}

impl Incident {
    fn key(&self) -> String {
        let code = match (self.code, self.http_status) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => format!("http{s}"),
            (None, None) => "transport".to_owned(),
        };
        match &self.cause {
            // An event is counted with its own kind: a failed timer is not a failed read.
            Some(cause) => format!("{}|{cause}|{code}|{}", self.environment, self.endpoint),
            None => format!("{}|{code}|{}", self.environment, self.endpoint),
        }
    }
}

/// Writes incident entries.
#[derive(Clone, Debug)]
pub struct Incidents {
    memory: Memory,
}

impl Incidents {
    pub fn new(memory: Memory) -> Incidents {
        Incidents { memory }
    }

    /// Appends an entry, or counts a repeat on the latest entry with the same key.
    pub fn record(&self, incident: &Incident) -> Result<(), MemoryError> {
        let now = local_now_ms();
        let key = incident.key();
        let mut counted = false;
        self.memory.rewrite_text(INCIDENTS_FILE, |text| {
            let updated = count_repeat(text, &key, now, &lasting(&incident.action))?;
            counted = true;
            Some(updated)
        })?;
        if counted {
            return Ok(());
        }
        self.memory.append_text(INCIDENTS_FILE, &entry(incident, &key, now))
    }
}

const MARK: &str = "<!-- incident ";

fn entry(i: &Incident, key: &str, now: i64) -> String {
    let at = human_time(now);
    let answer = match (i.code, i.http_status) {
        (Some(code), _) => Some(format!("Binance {code}")),
        (None, Some(status)) => Some(format!("HTTP {status}")),
        (None, None) => None,
    };
    let what = match (&i.cause, answer) {
        (Some(cause), Some(answer)) => format!("{cause} · {answer}"),
        (Some(cause), None) => cause.clone(),
        (None, Some(answer)) => answer,
        (None, None) => "transport failure".to_owned(),
    };
    let endpoint = if i.endpoint.is_empty() { "(none)" } else { &i.endpoint };
    let tool = i.tool.as_deref().unwrap_or("(none)");
    let status = i.http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    format!(
        "\n## {at} · {env} · {what}\n{MARK}key=\"{key}\" last_ms={now} count=1 -->\n- tool: {tool}\n- endpoint: {endpoint}{status}\n- message: {message}\n- server action: {action}\n- fix hint: {hint}\n- occurrences: 1 (last {at})\n",
        env = i.environment,
        message = one_line(&i.message),
        action = lasting(&i.action),
        hint = i.hint,
    )
}

/// Updates the latest entry with `key` when it was last seen within the window.
/// Text that stays true when read later: relative times like " (in 23 s)" are dropped (the
/// absolute time before them stays).
fn lasting(action: &str) -> String {
    let mut out = String::with_capacity(action.len());
    let mut rest = action;
    while let Some(i) = rest.find(" (in ") {
        let tail = &rest[i + 5..];
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(" s)") {
            out.push_str(&rest[..i]);
            rest = &tail[digits + 3..];
        } else {
            out.push_str(&rest[..i + 5]);
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Counts a repeat on the latest entry with `key`, when it was last seen within the window; the
/// entry's server action becomes the latest one, since what the server did can change (a
/// backoff becomes a refusal).
fn count_repeat(text: &str, key: &str, now: i64, action: &str) -> Option<String> {
    let needle = format!("{MARK}key=\"{key}\" ");
    let start = text.rfind(&needle)?;
    let line_end = start + text[start..].find('\n')?;
    let marker = &text[start..line_end];
    let last_ms: i64 = field(marker, "last_ms=")?.parse().ok()?;
    let count: u64 = field(marker, "count=")?.parse().ok()?;
    if now - last_ms > REPEAT_WINDOW.as_millis() as i64 {
        return None;
    }
    let count = count + 1;
    let new_marker = format!("{MARK}key=\"{key}\" last_ms={now} count={count} -->");
    let rest = &text[line_end..];
    // The entry's occurrences line is the first one after the marker.
    let occ_rel = rest.find("\n- occurrences: ")?;
    let occ_start = line_end + occ_rel + 1;
    let occ_end = occ_start + text[occ_start..].find('\n').unwrap_or(text.len() - occ_start);
    let mut body = text[line_end..occ_start].to_owned();
    if let Some(a) = body.find("\n- server action: ") {
        let from = a + 1;
        let to = from + body[from..].find('\n').unwrap_or(body.len() - from);
        body.replace_range(from..to, &format!("- server action (latest): {action}"));
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    out.push_str(&new_marker);
    out.push_str(&body);
    out.push_str(&format!("- occurrences: {count} (last {})", human_time(now)));
    out.push_str(&text[occ_end..]);
    Some(out)
}

fn field<'a>(marker: &'a str, name: &str) -> Option<&'a str> {
    let from = marker.find(name)? + name.len();
    let rest = &marker[from..];
    Some(rest.split_whitespace().next().unwrap_or(rest))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `2026-11-25 10:00:00 UTC`.
pub fn human_time(ms: i64) -> String {
    let t = spot_types::time::utc(ms);
    let date = t.get(..10).unwrap_or(&t);
    let clock = t.get(11..19).unwrap_or("");
    format!("{date} {clock} UTC")
}

impl Incident {
    /// The entry for an alert that asked for one: filed under the alert's own kind, endpoint,
    /// status, code and hint, never under a stand-in.
    pub fn from_alert(alert: &Alert) -> Incident {
        Incident {
            tool: None,
            cause: Some(alert.kind.title().to_owned()),
            environment: alert.environment,
            endpoint: alert.endpoint.clone().unwrap_or_default(),
            http_status: alert.http_status,
            code: alert.code,
            message: alert.message.clone(),
            action: alert.action.clone(),
            hint: alert.hint.clone(),
        }
    }

    /// The entry for a client error (none for configuration problems: nothing was sent).
    pub fn from_error(error: &BinanceError, action: &str) -> Option<Incident> {
        let (environment, endpoint, http_status, code, message) = match error {
            BinanceError::Api {
                environment,
                endpoint,
                status,
                code,
                msg,
                ..
            } => (*environment, endpoint.clone(), Some(*status), Some(*code), msg.clone()),
            BinanceError::Http {
                environment,
                endpoint,
                status,
                body,
                ..
            } => (*environment, endpoint.clone(), Some(*status), None, body.clone()),
            BinanceError::Waf {
                environment, endpoint, ..
            } => (*environment, endpoint.clone(), Some(403), None, error.to_string()),
            BinanceError::Transport {
                environment,
                endpoint,
                source,
                ..
            } => (*environment, endpoint.clone(), None, None, source.to_string()),
            BinanceError::Decode {
                environment,
                endpoint,
                source,
            } => (
                *environment,
                endpoint.clone(),
                None,
                None,
                format!("unexpected response: {source}"),
            ),
            BinanceError::MissingCredentials { .. } | BinanceError::EnvironmentDisabled { .. } => return None,
        };
        Some(Incident {
            tool: None,
            cause: None,
            environment,
            endpoint,
            http_status,
            code,
            message,
            action: action.to_owned(),
            hint: crate::remedy::for_error(error),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(code: i64) -> Incident {
        Incident {
            tool: None,
            cause: None,
            environment: Environment::Testnet,
            endpoint: "GET /api/v3/ticker/price".into(),
            http_status: Some(400),
            code: Some(code),
            message: "Invalid symbol.".into(),
            action: "returned the error to the agent".into(),
            hint: "check the symbol".into(),
        }
    }

    #[test]
    fn repeats_are_counted_on_one_entry() {
        let dir = tempfile::tempdir().expect("dir");
        let incidents = Incidents::new(Memory::new(dir.path()));
        for _ in 0..3 {
            incidents.record(&incident(-1121)).expect("record");
        }
        incidents.record(&incident(-1100)).expect("record");
        let text = std::fs::read_to_string(dir.path().join(INCIDENTS_FILE)).expect("read");
        assert_eq!(text.matches("· Binance -1121").count(), 1, "{text}");
        assert!(text.contains("- occurrences: 3 (last "), "{text}");
        assert_eq!(text.matches("· Binance -1100").count(), 1);
        assert!(text.contains("- endpoint: GET /api/v3/ticker/price (HTTP 400)"));
        assert!(text.contains("- fix hint: check the symbol"));
    }

    #[test]
    fn repeats_show_the_latest_action_and_no_relative_times() {
        let dir = tempfile::tempdir().expect("dir");
        let incidents = Incidents::new(Memory::new(dir.path()));
        let mut i = incident(-1003);
        i.action = "backed off 2 s and retried".into();
        incidents.record(&i).expect("record");
        i.action = "refused further requests until 12:34:56 UTC (in 23 s)".into();
        incidents.record(&i).expect("record");
        let text = std::fs::read_to_string(dir.path().join(INCIDENTS_FILE)).expect("read");
        assert!(
            text.contains("- server action (latest): refused further requests until 12:34:56 UTC\n"),
            "{text}"
        );
        assert!(!text.contains("(in 23 s)"), "{text}");
        assert!(text.contains("- occurrences: 2"), "{text}");
    }

    #[test]
    fn alerts_are_filed_under_their_own_cause_endpoint_code_and_hint() {
        use spot_client::{AlertKind, AlertLevel};
        let dir = tempfile::tempdir().expect("dir");
        let incidents = Incidents::new(Memory::new(dir.path()));
        let timer = Alert::new(
            AlertLevel::Error,
            Environment::Testnet,
            AlertKind::CancelTimerFailed,
            "cancel timer FAILED: BTCUSDT order 7 may still be open",
        )
        .with_endpoint("DELETE /api/v3/order")
        .with_answer(Some(401), Some(-2015));
        let drift = Alert::new(
            AlertLevel::Warning,
            Environment::Testnet,
            AlertKind::ClockDrift,
            "clock drift on testnet",
        )
        .with_endpoint("GET /api/v3/time");
        incidents.record(&Incident::from_alert(&timer)).expect("record");
        incidents.record(&Incident::from_alert(&drift)).expect("record");
        let text = std::fs::read_to_string(dir.path().join(INCIDENTS_FILE)).expect("read");
        let (timer_entry, drift_entry) = text.split_at(text.find("· clock drift").expect("drift entry"));
        assert!(
            timer_entry.contains("· testnet · cancel timer failed · Binance -2015\n"),
            "{text}"
        );
        assert!(
            timer_entry.contains("- endpoint: DELETE /api/v3/order (HTTP 401)"),
            "{text}"
        );
        assert!(timer_entry.contains("query it and cancel it"), "{text}");
        assert!(
            !timer_entry.contains("-1021") && !timer_entry.contains("system clock"),
            "{text}"
        );
        assert!(drift_entry.contains("- endpoint: GET /api/v3/time\n"), "{text}");
        assert!(drift_entry.contains("Sync the system clock"), "{text}");
    }

    #[test]
    fn old_repeats_start_a_new_entry() {
        let text = format!("\n## x\n{MARK}key=\"k\" last_ms=1000 count=2 -->\n- occurrences: 2 (last x)\n");
        assert!(count_repeat(&text, "k", 1000 + REPEAT_WINDOW.as_millis() as i64 + 1, "x").is_none());
        let updated = count_repeat(&text, "k", 2000, "x").expect("counted");
        assert!(
            updated.contains("count=3") && updated.contains("- occurrences: 3"),
            "{updated}"
        );
    }
}
