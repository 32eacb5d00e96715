//! Rate-limit arithmetic: what each request costs, the limits (from `exchangeInfo.rateLimits`,
//! production defaults until then), clock-aligned windows, the `X-MBX-USED-WEIGHT-*` /
//! `X-MBX-ORDER-COUNT-*` headers and the ban time in a 418 message. Pure functions; the shared
//! budget that uses them is `governor`.

use serde::{Deserialize, Serialize};

use spot_types::model::RateLimit;

/// Milliseconds in a second, minute, hour and day.
const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// `REQUEST_WEIGHT`, per IP.
    Weight,
    /// `ORDERS` (unfilled order count), per account.
    Orders,
}

/// One limit: at most `limit` per fixed, clock-aligned window of `interval_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub counter: Counter,
    pub interval_ms: i64,
    pub limit: u64,
}

impl Window {
    /// `1M`, `10S`, `1D`: the suffix Binance uses in header names.
    pub fn label(&self) -> String {
        interval_label(self.interval_ms)
    }
}

/// The limits of one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub windows: Vec<Window>,
    /// True when read from `exchangeInfo.rateLimits`, false for the built-in defaults.
    pub from_exchange: bool,
}

impl Default for Limits {
    /// Production values (real exchangeInfo captures 2024-2025): 6000 weight per minute,
    /// 100 orders per 10 s and 200,000 per day.
    fn default() -> Limits {
        Limits {
            windows: vec![
                Window {
                    counter: Counter::Weight,
                    interval_ms: MINUTE_MS,
                    limit: 6000,
                },
                Window {
                    counter: Counter::Orders,
                    interval_ms: 10 * SECOND_MS,
                    limit: 100,
                },
                Window {
                    counter: Counter::Orders,
                    interval_ms: DAY_MS,
                    limit: 200_000,
                },
            ],
            from_exchange: false,
        }
    }
}

impl Limits {
    /// The `REQUEST_WEIGHT` and `ORDERS` limits of an exchangeInfo answer (`RAW_REQUESTS` is
    /// not tracked); `None` when it lists neither.
    pub fn from_rate_limits(rate_limits: &[RateLimit]) -> Option<Limits> {
        let windows: Vec<Window> = rate_limits
            .iter()
            .filter_map(|r| {
                let counter = match r.rate_limit_type.as_str() {
                    "REQUEST_WEIGHT" => Counter::Weight,
                    "ORDERS" => Counter::Orders,
                    _ => return None,
                };
                let unit = match r.interval.as_str() {
                    "SECOND" => SECOND_MS,
                    "MINUTE" => MINUTE_MS,
                    "HOUR" => HOUR_MS,
                    "DAY" => DAY_MS,
                    _ => return None,
                };
                Some(Window {
                    counter,
                    interval_ms: unit * i64::from(r.interval_num.max(1)),
                    limit: r.limit,
                })
            })
            .collect();
        (!windows.is_empty()).then_some(Limits {
            windows,
            from_exchange: true,
        })
    }
}

/// What one request uses of the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cost {
    /// Request weight reserved before sending.
    pub weight: u64,
    /// Unfilled-order count reserved before sending (1 for a new order).
    pub orders: u64,
    /// Order and cancel endpoints cost no weight when they succeed (since 2026-04-02): the
    /// reserved weight is handed back on success.
    pub free_on_success: bool,
}

/// The documented weight of `method path` with `params` (rest-api.md, 2026-07); unknown
/// endpoints count 1.
pub fn request_cost(method: &str, path: &str, params: &[(&str, String)]) -> Cost {
    let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str());
    let symbols = get("symbols").map(symbol_count);
    let one_or_list = |single: u64, list: u64| if get("symbol").is_some() { single } else { list };
    let fixed = |weight| Cost {
        weight,
        ..Cost::default()
    };
    let route = path.strip_prefix("/api/v3/").unwrap_or(path);
    match (method, route) {
        ("POST", "order") => Cost {
            weight: 1,
            orders: 1,
            free_on_success: true,
        },
        // Order lists: weight 1, and each leg counts as an unfilled order (rest-api.md).
        ("POST", "orderList/oco" | "orderList/oto" | "orderList/opo") => Cost {
            weight: 1,
            orders: 2,
            free_on_success: true,
        },
        ("POST", "orderList/otoco" | "orderList/opoco") => Cost {
            weight: 1,
            orders: 3,
            free_on_success: true,
        },
        ("DELETE", "order" | "openOrders" | "orderList") => Cost {
            weight: 1,
            orders: 0,
            free_on_success: true,
        },
        ("POST", "order/test") => fixed(if get("computeCommissionRates") == Some("true") {
            20
        } else {
            1
        }),
        ("GET", "ping" | "time") => fixed(1),
        ("GET", "exchangeInfo") => fixed(20),
        ("GET", "depth") => fixed(match get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(100) {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        }),
        ("GET", "trades" | "historicalTrades") => fixed(25),
        ("GET", "aggTrades") => fixed(4),
        ("GET", "klines" | "uiKlines" | "avgPrice") => fixed(2),
        ("GET", "ticker/24hr") => fixed(match (get("symbol"), symbols) {
            (Some(_), _) => 2,
            (None, Some(0..=20)) => 2,
            (None, Some(21..=100)) => 40,
            _ => 80,
        }),
        ("GET", "ticker/price" | "ticker/bookTicker") => fixed(one_or_list(2, 4)),
        ("GET", "ticker" | "ticker/tradingDay") => {
            let n = if get("symbol").is_some() {
                1
            } else {
                symbols.unwrap_or(1).max(1)
            };
            fixed(if n > 50 { 200 } else { 4 * n })
        }
        ("GET", "account" | "allOrders" | "account/commission" | "allOrderList") => fixed(20),
        ("GET", "order" | "orderList") => fixed(4),
        ("PUT", "order/amend/keepPriority") => fixed(4),
        ("GET", "openOrders") => fixed(one_or_list(6, 80)),
        ("GET", "openOrderList") => fixed(6),
        ("GET", "myTrades") => fixed(if get("orderId").is_some() { 5 } else { 20 }),
        ("GET", "rateLimit/order" | "myFilters") => fixed(40),
        ("GET", "referencePrice" | "referencePrice/calculation") => fixed(2),
        ("GET", "executionRules") => fixed(match (get("symbol"), symbols) {
            (Some(_), _) => 2,
            (None, Some(n)) => (2 * n).min(40),
            (None, None) => 40,
        }),
        _ => fixed(1),
    }
}

/// Entries of a `symbols=["A","B"]` parameter.
fn symbol_count(list: &str) -> u64 {
    serde_json::from_str::<Vec<String>>(list).map_or(1, |v| v.len() as u64)
}

/// Start of the fixed window of `interval_ms` containing `now_ms` (windows are aligned to the
/// epoch: a minute starts at :00, a day at 00:00 UTC).
pub fn window_start(now_ms: i64, interval_ms: i64) -> i64 {
    now_ms.div_euclid(interval_ms.max(1)) * interval_ms.max(1)
}

/// `60000` → `1M`, `10000` → `10S`, `86400000` → `1D`.
pub fn interval_label(interval_ms: i64) -> String {
    for (unit, letter) in [(DAY_MS, 'D'), (HOUR_MS, 'H'), (MINUTE_MS, 'M'), (SECOND_MS, 'S')] {
        if interval_ms >= unit && interval_ms % unit == 0 {
            return format!("{}{letter}", interval_ms / unit);
        }
    }
    format!("{interval_ms}MS")
}

/// One usage header: `X-MBX-USED-WEIGHT-1M: 321` → (Weight, 60000, 321). The legacy
/// un-suffixed `X-MBX-USED-WEIGHT` counts as the 1-minute window. Names are case-insensitive.
pub fn parse_usage_header(name: &str, value: &str) -> Option<(Counter, i64, u64)> {
    let name = name.to_ascii_lowercase();
    let value: u64 = value.trim().parse().ok()?;
    if name == "x-mbx-used-weight" {
        return Some((Counter::Weight, MINUTE_MS, value));
    }
    let (counter, interval) = if let Some(i) = name.strip_prefix("x-mbx-used-weight-") {
        (Counter::Weight, i)
    } else {
        (Counter::Orders, name.strip_prefix("x-mbx-order-count-")?)
    };
    let split = interval.find(|c: char| !c.is_ascii_digit())?;
    let (num, letter) = interval.split_at(split);
    let num: i64 = num.parse().ok()?;
    let unit = match letter {
        "s" => SECOND_MS,
        "m" => MINUTE_MS,
        "h" => HOUR_MS,
        "d" => DAY_MS,
        _ => return None,
    };
    Some((counter, num * unit, value))
}

/// The end of a ban from the 418 message, "Way too much request weight used; IP banned until
/// 1659146400000. ..." (ms since epoch).
pub fn banned_until_ms(msg: &str) -> Option<i64> {
    let rest = &msg[msg.find("banned until")? + "banned until".len()..];
    let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
    let until: i64 = digits.parse().ok()?;
    // A µs timestamp (the docs allow both units) is scaled down.
    Some(if until > 100_000_000_000_000 {
        until / 1000
    } else {
        until
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(method: &str, path: &str, params: &[(&str, &str)]) -> u64 {
        let owned: Vec<(&str, String)> = params.iter().map(|(k, v)| (*k, v.to_string())).collect();
        request_cost(method, path, &owned).weight
    }

    type Case = (&'static str, &'static str, &'static [(&'static str, &'static str)], u64);

    #[test]
    fn documented_weights() {
        let cases: &[Case] = &[
            ("GET", "/api/v3/exchangeInfo", &[("symbol", "BTCUSDT")], 20),
            ("GET", "/api/v3/depth", &[("symbol", "X")], 5),
            ("GET", "/api/v3/depth", &[("limit", "500")], 25),
            ("GET", "/api/v3/depth", &[("limit", "1000")], 50),
            ("GET", "/api/v3/depth", &[("limit", "5000")], 250),
            ("GET", "/api/v3/ticker/24hr", &[("symbol", "X")], 2),
            ("GET", "/api/v3/ticker/24hr", &[], 80),
            ("GET", "/api/v3/ticker/24hr", &[("symbols", r#"["A","B"]"#)], 2),
            ("GET", "/api/v3/ticker/price", &[("symbol", "X")], 2),
            ("GET", "/api/v3/ticker/price", &[("symbols", r#"["A","B"]"#)], 4),
            ("GET", "/api/v3/ticker/bookTicker", &[], 4),
            ("GET", "/api/v3/ticker", &[("symbols", r#"["A","B","C"]"#)], 12),
            ("GET", "/api/v3/openOrders", &[("symbol", "X")], 6),
            ("GET", "/api/v3/openOrders", &[], 80),
            ("GET", "/api/v3/myTrades", &[("symbol", "X")], 20),
            ("GET", "/api/v3/myTrades", &[("symbol", "X"), ("orderId", "1")], 5),
            ("GET", "/api/v3/account", &[], 20),
            ("GET", "/api/v3/klines", &[], 2),
            ("GET", "/api/v3/trades", &[], 25),
            ("GET", "/api/v3/avgPrice", &[], 2),
            ("GET", "/api/v3/order", &[], 4),
            ("PUT", "/api/v3/order/amend/keepPriority", &[], 4),
            ("POST", "/api/v3/order/test", &[], 1),
            ("POST", "/api/v3/order/test", &[("computeCommissionRates", "true")], 20),
            ("GET", "/api/v3/referencePrice", &[("symbol", "X")], 2),
            ("GET", "/api/v3/referencePrice/calculation", &[("symbol", "X")], 2),
            ("GET", "/api/v3/executionRules", &[("symbol", "X")], 2),
            ("GET", "/api/v3/executionRules", &[("symbols", r#"["A","B","C"]"#)], 6),
            ("GET", "/api/v3/executionRules", &[], 40),
            ("GET", "/api/v3/myFilters", &[("symbol", "X")], 40),
        ];
        for (method, path, params, weight) in cases {
            assert_eq!(cost(method, path, params), *weight, "{method} {path} {params:?}");
        }
        let order = request_cost("POST", "/api/v3/order", &[]);
        assert_eq!((order.weight, order.orders, order.free_on_success), (1, 1, true));
        let cancel = request_cost("DELETE", "/api/v3/order", &[]);
        assert_eq!((cancel.weight, cancel.orders, cancel.free_on_success), (1, 0, true));
    }

    #[test]
    fn windows_are_fixed_and_clock_aligned() {
        assert_eq!(window_start(120_000, MINUTE_MS), 120_000);
        assert_eq!(window_start(179_999, MINUTE_MS), 120_000);
        assert_eq!(window_start(180_000, MINUTE_MS), 180_000);
        assert_eq!(window_start(25_001, 10 * SECOND_MS), 20_000);
        // 2026-11-25 10:00:00 UTC belongs to the day that started at midnight UTC.
        assert_eq!(window_start(1_795_600_800_000, DAY_MS), 1_795_564_800_000);
        assert_eq!(interval_label(MINUTE_MS), "1M");
        assert_eq!(interval_label(10 * SECOND_MS), "10S");
        assert_eq!(interval_label(DAY_MS), "1D");
    }

    #[test]
    fn usage_headers_parse_case_insensitively() {
        assert_eq!(
            parse_usage_header("X-MBX-USED-WEIGHT-1M", "321"),
            Some((Counter::Weight, MINUTE_MS, 321))
        );
        assert_eq!(
            parse_usage_header("x-mbx-order-count-10s", " 12 "),
            Some((Counter::Orders, 10_000, 12))
        );
        assert_eq!(
            parse_usage_header("x-mbx-order-count-1d", "4043"),
            Some((Counter::Orders, DAY_MS, 4043))
        );
        assert_eq!(
            parse_usage_header("x-mbx-used-weight", "7"),
            Some((Counter::Weight, MINUTE_MS, 7))
        );
        assert_eq!(parse_usage_header("x-mbx-used-weight-1x", "7"), None);
        assert_eq!(parse_usage_header("x-mbx-used-weight-1m", "lots"), None);
        assert_eq!(parse_usage_header("retry-after", "7"), None);
    }

    #[test]
    fn ban_end_comes_from_the_message() {
        let msg = "Way too much request weight used; IP banned until 1659146400000. Please use WebSocket Streams for live updates to avoid bans.";
        assert_eq!(banned_until_ms(msg), Some(1_659_146_400_000));
        assert_eq!(
            banned_until_ms("IP banned until 1659146400000000."),
            Some(1_659_146_400_000)
        );
        assert_eq!(banned_until_ms("Too much request weight used"), None);
        assert_eq!(banned_until_ms("IP banned until %s."), None);
    }

    #[test]
    fn limits_come_from_exchange_info() {
        let rl = |t: &str, i: &str, n: u32, limit: u64| RateLimit {
            rate_limit_type: t.into(),
            interval: i.into(),
            interval_num: n,
            limit,
        };
        let limits = Limits::from_rate_limits(&[
            rl("REQUEST_WEIGHT", "MINUTE", 1, 300),
            rl("ORDERS", "SECOND", 10, 50),
            rl("RAW_REQUESTS", "MINUTE", 5, 300_000),
        ])
        .expect("limits");
        assert!(limits.from_exchange);
        assert_eq!(limits.windows.len(), 2);
        assert_eq!(
            limits.windows[0],
            Window {
                counter: Counter::Weight,
                interval_ms: MINUTE_MS,
                limit: 300
            }
        );
        assert_eq!(limits.windows[1].label(), "10S");
        assert!(Limits::from_rate_limits(&[rl("RAW_REQUESTS", "MINUTE", 5, 1)]).is_none());
        assert_eq!(Limits::default().windows[0].limit, 6000);
    }
}
