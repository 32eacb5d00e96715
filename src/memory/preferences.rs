//! The human's trading limits: the front matter of `memory.md`, read by a small strict parser
//! (no YAML crate), and the template files the memory folder starts from.
//!
//! The front matter is the block between a first line `---` and the next line `---`. No tool
//! writes it; the guard reads it before every order. Anything this parser does not understand
//! is an error naming the line, never a silently dropped limit.
//!
//! Accepted syntax, and nothing else:
//!
//! - blank lines, before the opening `---` and inside the block;
//! - `# comments` on their own line, or after a value when the `#` follows a space or a tab;
//! - `key: value` at the start of a line for `profile`, `default_environment`, `allowed_symbols`;
//! - `allowed_symbols` as an inline list `[A, B]` (`[]` = any symbol), or as `key:` followed by
//!   block items `  - A`, each indented by exactly two spaces;
//! - `max_order_notional:` followed by `  ASSET: decimal` lines (two spaces);
//! - `max_daily_notional:` followed by `  environment:` lines (two spaces), each followed by
//!   `    ASSET: decimal` lines (four spaces);
//! - decimals written as digits with an optional fractional part (`100`, `0.05`), read exactly;
//! - symbols, assets, profile and environment names in any letter case.
//!
//! Errors: an unknown or repeated key, a repeated asset or environment, a tab in the
//! indentation, any other indentation, a number with a sign, exponent, separator or quotes, a
//! negative limit, an unknown profile or environment, an invalid symbol or asset, an empty
//! setting, a block that is never closed, and settings written at the top of a file without the
//! opening `---`.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::Environment;

/// The `memory.md` written into a new memory folder: conservative limits written out in full.
pub const TEMPLATE_MEMORY_MD: &str = include_str!("../../memory-template/memory.md");
/// The `runbooks.md` written into a new memory folder.
pub const TEMPLATE_RUNBOOKS_MD: &str = include_str!("../../memory-template/runbooks.md");
/// The `incidents.md` written into a new memory folder.
pub const TEMPLATE_INCIDENTS_MD: &str = include_str!("../../memory-template/incidents.md");

/// The settings a front matter may hold, in the order they are documented.
const KEYS: [&str; 5] = [
    "profile",
    "default_environment",
    "allowed_symbols",
    "max_order_notional",
    "max_daily_notional",
];

/// A set of default limits. Explicit limits in the front matter win over the profile's, asset
/// by asset.
///
/// | profile | per order, every environment | per UTC day, production |
/// |---|---|---|
/// | conservative | USDT, USDC, FDUSD 100; BTC 0.001; ETH 0.03; BNB 0.15 | USDT, USDC, FDUSD 500; BTC 0.005; ETH 0.15; BNB 0.75 |
/// | balanced | 10 × conservative | 10 × conservative |
/// | aggressive | 100 × conservative | 100 × conservative |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Conservative,
    Balanced,
    Aggressive,
}

impl Profile {
    /// All profiles, smallest limits first.
    pub const ALL: [Profile; 3] = [Profile::Conservative, Profile::Balanced, Profile::Aggressive];

    /// The lowercase name used in the front matter and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Conservative => "conservative",
            Profile::Balanced => "balanced",
            Profile::Aggressive => "aggressive",
        }
    }

    /// The factor applied to the conservative table.
    fn multiplier(self) -> Decimal {
        match self {
            Profile::Conservative => Decimal::ONE,
            Profile::Balanced => Decimal::TEN,
            Profile::Aggressive => Decimal::ONE_HUNDRED,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Conservative per-order limits: (quote asset, mantissa, scale), e.g. 0.001 BTC = (1, 3).
const CONSERVATIVE_ORDER: [(&str, i64, u32); 6] = [
    ("USDT", 100, 0),
    ("USDC", 100, 0),
    ("FDUSD", 100, 0),
    ("BTC", 1, 3),
    ("ETH", 3, 2),
    ("BNB", 15, 2),
];

/// Conservative per-day limits in production, same layout.
const CONSERVATIVE_DAILY_PRODUCTION: [(&str, i64, u32); 6] = [
    ("USDT", 500, 0),
    ("USDC", 500, 0),
    ("FDUSD", 500, 0),
    ("BTC", 5, 3),
    ("ETH", 15, 2),
    ("BNB", 75, 2),
];

fn scaled_table(table: &[(&str, i64, u32)], profile: Profile) -> BTreeMap<String, Decimal> {
    table
        .iter()
        .map(|&(asset, mantissa, scale)| {
            (
                asset.to_owned(),
                (Decimal::new(mantissa, scale) * profile.multiplier()).normalize(),
            )
        })
        .collect()
}

/// The effective trading limits: the profile's defaults with the front matter's explicit
/// values laid over them. Notionals are in the quote asset (decimal strings in JSON).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Preferences {
    pub profile: Profile,
    /// The environment a signed call uses when it names none.
    pub default_environment: Environment,
    /// Uppercase symbols the agent may trade; empty means any symbol.
    pub allowed_symbols: Vec<String>,
    /// Largest notional (price × quantity) of one order, per quote asset, in every environment.
    /// An asset without an entry is refused: the gate cannot keep such an order within limits.
    pub max_order_notional: BTreeMap<String, Decimal>,
    /// Largest sum of order notionals placed per UTC day, per environment and quote asset.
    /// An environment or asset without an entry has no daily limit.
    pub max_daily_notional: BTreeMap<Environment, BTreeMap<String, Decimal>>,
    /// False when the file has no front matter and these are the conservative defaults.
    pub from_front_matter: bool,
}

impl Preferences {
    /// The profile's limits alone (see [`Profile`] for the table), testnet by default, any
    /// symbol, `from_front_matter: false`.
    pub fn defaults(profile: Profile) -> Preferences {
        Preferences {
            profile,
            default_environment: Environment::Testnet,
            allowed_symbols: Vec::new(),
            max_order_notional: scaled_table(&CONSERVATIVE_ORDER, profile),
            max_daily_notional: BTreeMap::from([(
                Environment::Production,
                scaled_table(&CONSERVATIVE_DAILY_PRODUCTION, profile),
            )]),
            from_front_matter: false,
        }
    }

    /// True when the list is empty or holds `symbol` (compared in uppercase).
    pub fn symbol_allowed(&self, symbol: &str) -> bool {
        self.allowed_symbols.is_empty() || self.allowed_symbols.iter().any(|s| s.eq_ignore_ascii_case(symbol))
    }

    /// The largest notional of one order quoted in `quote_asset`, or `None` for no limit.
    pub fn order_limit(&self, quote_asset: &str) -> Option<Decimal> {
        self.max_order_notional.get(&quote_asset.to_uppercase()).copied()
    }

    /// The largest notional placed per UTC day in `env` for `quote_asset`, or `None` for no limit.
    pub fn daily_limit(&self, env: Environment, quote_asset: &str) -> Option<Decimal> {
        self.max_daily_notional
            .get(&env)?
            .get(&quote_asset.to_uppercase())
            .copied()
    }
}

/// A front matter the server cannot read: orders are refused until the human fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("memory.md line {line}: {message}")]
pub struct FrontMatterError {
    /// 1-based line number in the file.
    pub line: usize,
    /// The offending line as written (without its line ending).
    pub text: String,
    /// What is wrong and what is expected.
    pub message: String,
}

/// Reads the front matter of `memory.md`. A file without one (including an empty file) gives
/// the conservative defaults with `from_front_matter: false`.
pub fn parse_preferences(text: &str) -> Result<Preferences, FrontMatterError> {
    match locate(text) {
        Located::None { first } => {
            if let Some(line) = first
                && let Some((key, _)) = strip_comment(line.text).trim().split_once(':')
                && KEYS.contains(&key.trim())
            {
                return Err(line.error(
                    "settings must sit between two lines `---` at the top of the file; \
                     add a line `---` before the first setting and after the last one",
                ));
            }
            Ok(Preferences::defaults(Profile::Conservative))
        }
        Located::Unclosed { open } => Err(open.error(
            "the front matter opened on this line is never closed; \
             add a line with just `---` after the last setting",
        )),
        Located::Closed { body, .. } => parse_body(&body),
    }
}

/// Byte offset where the free notes start (just after the closing `---` line and its
/// newline), or 0 when there is no front matter. When a front matter is opened but never
/// closed, the whole file counts as front matter and this is `text.len()`.
///
/// Appends go at the end of the file, which is always at or after this offset; this exists so
/// a caller can check that an edit never touches bytes before it. When the closing `---` is the
/// last line without a newline, a writer must add the newline before appending (as
/// `Memory::append_text` does), or the appended text would break the closing line.
pub fn notes_offset(text: &str) -> usize {
    match locate(text) {
        Located::None { .. } => 0,
        Located::Unclosed { .. } => text.len(),
        Located::Closed { notes, .. } => notes,
    }
}

/// True when appending `addition` to `existing` leaves the preferences (or the error) exactly
/// as they were. The text is joined as `Memory::append_text` joins it: a newline first when
/// `existing` is not empty and does not end with one. This refuses, for example, a note that
/// would create a front matter in an empty file or close one left open.
pub fn append_keeps_preferences(existing: &str, addition: &str) -> bool {
    let mut joined = String::with_capacity(existing.len() + addition.len() + 1);
    joined.push_str(existing);
    if !existing.is_empty() && !existing.ends_with('\n') {
        joined.push('\n');
    }
    joined.push_str(addition);
    parse_preferences(existing) == parse_preferences(&joined)
}

/// One line of the file, without its line ending.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    /// 1-based.
    number: usize,
    text: &'a str,
}

impl Line<'_> {
    fn error(&self, message: impl Into<String>) -> FrontMatterError {
        FrontMatterError {
            line: self.number,
            text: self.text.to_owned(),
            message: message.into(),
        }
    }
}

/// Where the front matter is.
enum Located<'a> {
    /// No opening `---`; `first` is the first non-blank line, if any.
    None {
        first: Option<Line<'a>>,
    },
    Unclosed {
        open: Line<'a>,
    },
    /// `body` are the lines between the delimiters; `notes` the byte offset after the closing line.
    Closed {
        body: Vec<Line<'a>>,
        notes: usize,
    },
}

fn locate(text: &str) -> Located<'_> {
    // An editor may save a byte order mark; it is not part of the first line.
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut offset = start;
    let mut lines = text[start..].split_inclusive('\n').enumerate().map(|(i, raw)| {
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (
            Line {
                number: i + 1,
                text: line,
            },
            offset,
        )
    });
    let Some((open, _)) = lines.by_ref().find(|(line, _)| !line.text.trim().is_empty()) else {
        return Located::None { first: None };
    };
    if open.text.trim() != "---" {
        return Located::None { first: Some(open) };
    }
    let mut body = Vec::new();
    for (line, end) in lines {
        if line.text.trim() == "---" {
            return Located::Closed { body, notes: end };
        }
        body.push(line);
    }
    Located::Unclosed { open }
}

/// A line of the block that holds something: its indentation in spaces and its content
/// without the comment, trimmed.
#[derive(Clone, Copy, Debug)]
struct Entry<'a> {
    line: Line<'a>,
    indent: usize,
    content: &'a str,
}

impl Entry<'_> {
    fn error(&self, message: impl Into<String>) -> FrontMatterError {
        self.line.error(message)
    }

    /// Splits `key: value` into the trimmed key and value.
    fn key_value(&self) -> Result<(&str, &str), FrontMatterError> {
        match self.content.split_once(':') {
            Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value.trim())),
            _ => Err(self.error(format!("expected `key: value`, found `{}`", self.content))),
        }
    }
}

/// Removes a `#` comment: one at the start of the content or after a space or tab.
fn strip_comment(line: &str) -> &str {
    line.match_indices('#')
        .find(|&(i, _)| i == 0 || line[..i].ends_with([' ', '\t']))
        .map_or(line, |(i, _)| &line[..i])
}

fn entries<'a>(body: &[Line<'a>]) -> Result<Vec<Entry<'a>>, FrontMatterError> {
    let mut out = Vec::new();
    for &line in body {
        let content = strip_comment(line.text);
        if content.trim().is_empty() {
            continue;
        }
        let rest = content.trim_start_matches(' ');
        if rest.starts_with('\t') {
            return Err(line.error("tab in the indentation; indent with spaces (two per level)"));
        }
        out.push(Entry {
            line,
            indent: content.len() - rest.len(),
            content: rest.trim(),
        });
    }
    Ok(out)
}

/// Explicit settings, before the profile's defaults are laid under them.
#[derive(Default)]
struct Explicit {
    profile: Option<Profile>,
    default_environment: Option<Environment>,
    allowed_symbols: Option<Vec<String>>,
    max_order_notional: BTreeMap<String, Decimal>,
    max_daily_notional: BTreeMap<Environment, BTreeMap<String, Decimal>>,
}

fn parse_body(body: &[Line<'_>]) -> Result<Preferences, FrontMatterError> {
    let entries = entries(body)?;
    if let Some(item) = entries.iter().find(|e| e.indent == 0 && e.content.starts_with('-')) {
        return Err(item.error("a list item must be indented by two spaces under its setting, like `  - BTCUSDT`"));
    }
    let mut explicit = Explicit::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let entry = entries[i];
        if entry.indent != 0 {
            return Err(entry.error(
                "unexpected indentation; settings start at the beginning of the line, and only \
                 allowed_symbols, max_order_notional and max_daily_notional take indented lines",
            ));
        }
        let (key, value) = entry.key_value()?;
        let Some(&key) = KEYS.iter().find(|k| **k == key) else {
            return Err(entry.error(unknown_key(key)));
        };
        if seen.contains(&key) {
            return Err(entry.error(format!("`{key}` is set twice; keep one")));
        }
        seen.push(key);
        let children_end = entries[i + 1..]
            .iter()
            .position(|e| e.indent == 0)
            .map_or(entries.len(), |p| i + 1 + p);
        let children = &entries[i + 1..children_end];
        match key {
            "profile" => explicit.profile = Some(parse_profile(&entry, value)?),
            "default_environment" => explicit.default_environment = Some(parse_environment(&entry, value)?),
            "allowed_symbols" => explicit.allowed_symbols = Some(parse_symbols(&entry, value, children)?),
            "max_order_notional" => {
                explicit.max_order_notional = parse_limits(&entry, value, children, 2)?;
            }
            _ => explicit.max_daily_notional = parse_daily(&entry, value, children)?,
        }
        // Scalar settings take no indented lines: leave them for the indentation error above.
        i = if matches!(key, "profile" | "default_environment") {
            i + 1
        } else {
            children_end
        };
    }
    let mut preferences = Preferences::defaults(explicit.profile.unwrap_or_default());
    preferences.from_front_matter = true;
    if let Some(environment) = explicit.default_environment {
        preferences.default_environment = environment;
    }
    if let Some(symbols) = explicit.allowed_symbols {
        preferences.allowed_symbols = symbols;
    }
    preferences.max_order_notional.extend(explicit.max_order_notional);
    for (environment, limits) in explicit.max_daily_notional {
        preferences
            .max_daily_notional
            .entry(environment)
            .or_default()
            .extend(limits);
    }
    Ok(preferences)
}

fn unknown_key(key: &str) -> String {
    let mut message = format!("unknown setting `{key}`");
    if let Some(near) = KEYS.iter().find(|k| edit_distance(k, key) <= 3) {
        message.push_str(&format!(" (did you mean `{near}`?)"));
    }
    message.push_str(&format!("; the settings are {}", KEYS.join(", ")));
    message
}

/// Levenshtein distance, for suggesting the setting a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn parse_profile(entry: &Entry<'_>, value: &str) -> Result<Profile, FrontMatterError> {
    Profile::ALL
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            entry.error(format!(
                "unknown profile `{value}`; expected conservative, balanced or aggressive"
            ))
        })
}

fn parse_environment(entry: &Entry<'_>, value: &str) -> Result<Environment, FrontMatterError> {
    Environment::ALL
        .into_iter()
        .find(|e| e.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            entry.error(format!(
                "unknown environment `{value}`; expected testnet, demo or production"
            ))
        })
}

/// Uppercases and checks a symbol or asset name: 1 to 20 letters or digits (Unicode ones too:
/// Binance lists symbols like `这是测试币456` since 2025-12).
fn parse_name(entry: &Entry<'_>, name: &str, what: &str) -> Result<String, FrontMatterError> {
    let upper = name.to_uppercase();
    if (1..=20).contains(&upper.chars().count()) && upper.chars().all(|c| c.is_alphanumeric() && !c.is_lowercase()) {
        return Ok(upper);
    }
    let hint = if name.contains(['"', '\'']) {
        " (write it without quotes)"
    } else {
        ""
    };
    Err(entry.error(format!(
        "invalid {what} `{name}`; expected 1 to 20 letters or digits{hint}"
    )))
}

fn parse_symbols(entry: &Entry<'_>, value: &str, children: &[Entry<'_>]) -> Result<Vec<String>, FrontMatterError> {
    let mut symbols = Vec::new();
    let mut push = |entry: &Entry<'_>, item: &str| -> Result<(), FrontMatterError> {
        let symbol = parse_name(entry, item, "symbol")?;
        if !symbols.contains(&symbol) {
            symbols.push(symbol);
        }
        Ok(())
    };
    if !value.is_empty() {
        let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) else {
            return Err(entry.error(format!(
                "expected a list like [BTCUSDT, ETHUSDT], or [] for any symbol; found `{value}`"
            )));
        };
        if !inner.trim().is_empty() {
            for item in inner.split(',') {
                if item.trim().is_empty() {
                    return Err(entry.error("empty item in the list; separate symbols with one comma"));
                }
                push(entry, item.trim())?;
            }
        }
        if let Some(child) = children.first() {
            return Err(child.error("unexpected indented line after an inline list"));
        }
        return Ok(symbols);
    }
    if children.is_empty() {
        return Err(entry.error("expected a list: [BTCUSDT, ETHUSDT] or [] for any symbol"));
    }
    for child in children {
        let item = child.content.strip_prefix('-').filter(|_| child.indent == 2);
        match item {
            Some(item) if item.is_empty() || item.starts_with([' ', '\t']) => {
                if item.trim().is_empty() {
                    return Err(child.error("empty list item; write a symbol after `- `"));
                }
                push(child, item.trim())?;
            }
            _ => return Err(child.error("expected a list item indented by two spaces, like `  - BTCUSDT`")),
        }
    }
    Ok(symbols)
}

/// Reads `ASSET: decimal` lines indented by `indent` spaces under `entry` (a key with no value).
fn parse_limits(
    entry: &Entry<'_>,
    value: &str,
    children: &[Entry<'_>],
    indent: usize,
) -> Result<BTreeMap<String, Decimal>, FrontMatterError> {
    let pad = " ".repeat(indent);
    let spaces = if indent == 2 { "two spaces" } else { "four spaces" };
    if !value.is_empty() {
        return Err(entry.error(format!(
            "put each limit on its own line below, indented by {spaces}, like `{pad}USDT: 100`"
        )));
    }
    if children.is_empty() {
        return Err(entry.error(format!(
            "expected limits on the lines below, indented by {spaces}, like `{pad}USDT: 100`"
        )));
    }
    let mut limits = BTreeMap::new();
    for child in children {
        if child.indent != indent {
            return Err(child.error(format!(
                "expected `ASSET: limit` indented by {spaces}, like `{pad}USDT: 100`"
            )));
        }
        let (asset, limit) = child.key_value()?;
        let asset = parse_name(child, asset, "asset")?;
        let limit = parse_decimal(child, &asset, limit)?;
        if limits.insert(asset.clone(), limit).is_some() {
            return Err(child.error(format!("{asset} is given twice; keep one")));
        }
    }
    Ok(limits)
}

fn parse_daily(
    entry: &Entry<'_>,
    value: &str,
    children: &[Entry<'_>],
) -> Result<BTreeMap<Environment, BTreeMap<String, Decimal>>, FrontMatterError> {
    if !value.is_empty() || children.is_empty() {
        return Err(entry.error(
            "expected an environment on the next line, indented by two spaces (`  production:`), \
             with its limits below it indented by four spaces (`    USDT: 500`)",
        ));
    }
    let mut daily = BTreeMap::new();
    let mut i = 0;
    while i < children.len() {
        let child = &children[i];
        if child.indent != 2 {
            return Err(child.error("expected an environment indented by two spaces, like `  production:`"));
        }
        let (name, value) = child.key_value()?;
        let environment = parse_environment(child, name)?;
        let end = children[i + 1..]
            .iter()
            .position(|e| e.indent <= 2)
            .map_or(children.len(), |p| i + 1 + p);
        let limits = parse_limits(child, value, &children[i + 1..end], 4)?;
        if daily.insert(environment, limits).is_some() {
            return Err(child.error(format!("{environment} is given twice; keep one")));
        }
        i = end;
    }
    Ok(daily)
}

/// A limit: digits with an optional fractional part, read exactly, never through a float.
fn parse_decimal(entry: &Entry<'_>, asset: &str, text: &str) -> Result<Decimal, FrontMatterError> {
    let plain = |s: &str| {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
        !whole.is_empty()
            && !fraction.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    if text.is_empty() {
        return Err(entry.error(format!("expected a number after `{asset}:`, like `{asset}: 100`")));
    }
    if text.strip_prefix('-').is_some_and(plain) {
        return Err(entry.error(format!(
            "limit `{text}` is negative; limits are 0 or more (0 refuses every order)"
        )));
    }
    if !plain(text) {
        return Err(entry.error(format!(
            "`{text}` is not a plain decimal; write digits with an optional fraction, like 100 or 0.05 \
             (no sign, exponent, separators or quotes)"
        )));
    }
    Decimal::from_str_exact(text).map_err(|_| {
        entry.error(format!(
            "`{text}` has too many digits to be stored exactly (28 at most)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, Decimal> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), dec(v))).collect()
    }

    fn conservative_order() -> BTreeMap<String, Decimal> {
        map(&[
            ("USDT", "100"),
            ("USDC", "100"),
            ("FDUSD", "100"),
            ("BTC", "0.001"),
            ("ETH", "0.03"),
            ("BNB", "0.15"),
        ])
    }

    fn conservative_daily() -> BTreeMap<String, Decimal> {
        map(&[
            ("USDT", "500"),
            ("USDC", "500"),
            ("FDUSD", "500"),
            ("BTC", "0.005"),
            ("ETH", "0.15"),
            ("BNB", "0.75"),
        ])
    }

    fn err(text: &str) -> FrontMatterError {
        parse_preferences(text).unwrap_err()
    }

    #[test]
    fn template_parses_to_conservative_defaults() {
        let p = parse_preferences(TEMPLATE_MEMORY_MD).unwrap();
        assert!(p.from_front_matter);
        assert_eq!(p.profile, Profile::Conservative);
        assert_eq!(p.default_environment, Environment::Testnet);
        assert!(p.allowed_symbols.is_empty());
        assert_eq!(p.max_order_notional, conservative_order());
        assert_eq!(
            p.max_daily_notional,
            BTreeMap::from([(Environment::Production, conservative_daily())])
        );
        assert_eq!(
            p,
            Preferences {
                from_front_matter: true,
                ..Preferences::defaults(Profile::Conservative)
            }
        );
    }

    #[test]
    fn template_notes_come_last_and_hold_no_delimiter() {
        let notes = &TEMPLATE_MEMORY_MD[notes_offset(TEMPLATE_MEMORY_MD)..];
        assert!(notes.starts_with("\n# Memory"));
        assert!(notes.contains("\n## Notes\n"));
        assert!(!notes.lines().any(|l| l.trim() == "---"));
        for other in [TEMPLATE_RUNBOOKS_MD, TEMPLATE_INCIDENTS_MD] {
            assert_eq!(notes_offset(other), 0);
            assert!(!parse_preferences(other).unwrap().from_front_matter);
        }
    }

    #[test]
    fn no_front_matter_or_empty_file_gives_defaults() {
        for text in [
            "",
            "\n\n",
            "# My notes\nprofile: aggressive\n",
            "Some text\n---\nprofile: aggressive\n---\n",
        ] {
            let p = parse_preferences(text).unwrap();
            assert_eq!(p, Preferences::defaults(Profile::Conservative), "{text:?}");
            assert!(!p.from_front_matter);
            assert_eq!(notes_offset(text), 0);
        }
    }

    #[test]
    fn settings_without_delimiters_are_an_error() {
        let e = err("\nprofile: aggressive\nmax_order_notional:\n  USDT: 1\n");
        assert_eq!(e.line, 2);
        assert_eq!(e.text, "profile: aggressive");
        assert!(e.message.contains("`---`"), "{}", e.message);
    }

    #[test]
    fn empty_front_matter_is_the_conservative_profile() {
        let p = parse_preferences("---\n---\nnotes\n").unwrap();
        assert_eq!(
            p,
            Preferences {
                from_front_matter: true,
                ..Preferences::defaults(Profile::Conservative)
            }
        );
    }

    #[test]
    fn profile_multipliers() {
        let balanced = Preferences::defaults(Profile::Balanced);
        assert_eq!(
            balanced.max_order_notional,
            map(&[
                ("USDT", "1000"),
                ("USDC", "1000"),
                ("FDUSD", "1000"),
                ("BTC", "0.01"),
                ("ETH", "0.3"),
                ("BNB", "1.5")
            ])
        );
        assert_eq!(
            balanced.max_daily_notional[&Environment::Production],
            map(&[
                ("USDT", "5000"),
                ("USDC", "5000"),
                ("FDUSD", "5000"),
                ("BTC", "0.05"),
                ("ETH", "1.5"),
                ("BNB", "7.5")
            ])
        );
        let aggressive = parse_preferences("---\nprofile: aggressive\n---\n").unwrap();
        assert_eq!(
            aggressive.max_order_notional,
            map(&[
                ("USDT", "10000"),
                ("USDC", "10000"),
                ("FDUSD", "10000"),
                ("BTC", "0.1"),
                ("ETH", "3"),
                ("BNB", "15")
            ])
        );
        assert_eq!(
            aggressive.max_daily_notional[&Environment::Production],
            map(&[
                ("USDT", "50000"),
                ("USDC", "50000"),
                ("FDUSD", "50000"),
                ("BTC", "0.5"),
                ("ETH", "15"),
                ("BNB", "75")
            ])
        );
        // Shown to the human as written in the table, not as 0.100.
        assert_eq!(aggressive.order_limit("BTC").unwrap().to_string(), "0.1");
    }

    #[test]
    fn explicit_limits_win_asset_by_asset() {
        let text = "---\nprofile: balanced\nmax_order_notional:\n  USDT: 50\n  EUR: 20\nmax_daily_notional:\n  \
                    production:\n    USDT: 60\n  testnet:\n    USDT: 1000000\n---\n";
        let p = parse_preferences(text).unwrap();
        assert_eq!(p.profile, Profile::Balanced);
        assert_eq!(p.order_limit("USDT"), Some(dec("50")));
        assert_eq!(p.order_limit("eur"), Some(dec("20")));
        assert_eq!(p.order_limit("USDC"), Some(dec("1000")));
        assert_eq!(p.order_limit("TRY"), None);
        assert_eq!(p.daily_limit(Environment::Production, "USDT"), Some(dec("60")));
        assert_eq!(p.daily_limit(Environment::Production, "BTC"), Some(dec("0.05")));
        assert_eq!(p.daily_limit(Environment::Testnet, "USDT"), Some(dec("1000000")));
        assert_eq!(p.daily_limit(Environment::Testnet, "BTC"), None);
        assert_eq!(p.daily_limit(Environment::Demo, "USDT"), None);
    }

    #[test]
    fn every_syntax_form() {
        // A byte order mark, blank lines before the block, CRLF line endings, both kinds of comment.
        let text = "\u{feff}\n---\r\n# a whole-line comment\r\n\r\nprofile: Balanced   # trailing\r\n---\r\nnotes\r\n";
        let p = parse_preferences(text).unwrap();
        assert_eq!(p.profile, Profile::Balanced);
        assert!(text[notes_offset(text)..].starts_with("notes"));

        let text = "---\n\
                    default_environment: DEMO\t# tab before a comment is fine\n\
                    allowed_symbols: [btcusdt,ETHUSDT , BTCUSDT]\n\
                    max_order_notional:   # comment after a map key\n  \
                      usdt: 0.1\n  \
                      # a comment inside the map\n\n  \
                      BTC: 0\n  \
                      ETH: 007.50\n\
                    ---\n";
        let p = parse_preferences(text).unwrap();
        assert_eq!(p.default_environment, Environment::Demo);
        assert_eq!(p.allowed_symbols, vec!["BTCUSDT".to_owned(), "ETHUSDT".to_owned()]);
        assert_eq!(p.order_limit("USDT"), Some(dec("0.1")));
        assert_eq!(p.order_limit("BTC"), Some(Decimal::ZERO));
        assert_eq!(p.order_limit("ETH"), Some(dec("7.5")));

        let p = parse_preferences("---\nallowed_symbols:\n  - BTCUSDT   # first\n  - ethusdt\n---\n").unwrap();
        assert_eq!(p.allowed_symbols, vec!["BTCUSDT".to_owned(), "ETHUSDT".to_owned()]);
        let p = parse_preferences("---\nallowed_symbols: [ ]\n---\n").unwrap();
        assert!(p.allowed_symbols.is_empty());
    }

    #[test]
    fn decimals_are_exact() {
        let p = parse_preferences("---\nmax_order_notional:\n  USDT: 0.1\n  BTC: 0.30000000000000004\n---\n").unwrap();
        let tenth = p.order_limit("USDT").unwrap();
        assert_eq!(tenth, Decimal::new(1, 1));
        assert_eq!(tenth.to_string(), "0.1");
        assert_eq!(p.order_limit("BTC").unwrap().to_string(), "0.30000000000000004");
    }

    /// (front matter body, line of the error, a word the message must hold)
    #[test]
    fn errors_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "max_order_notionl:\n  USDT: 100\n",
                2,
                "did you mean `max_order_notional`",
            ),
            ("profile: risky\n", 2, "conservative, balanced or aggressive"),
            ("default_environment: mainnet\n", 2, "testnet, demo or production"),
            ("max_order_notional:\n  USDT: 1e3\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT: -5\n", 3, "negative"),
            ("max_order_notional:\n  USDT: +5\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT: 1_000\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT: 1,000\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT: .5\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT: \"100\"\n", 3, "not a plain decimal"),
            ("max_order_notional:\n  USDT:\n", 3, "expected a number"),
            ("max_order_notional:\n  USDT: 100#no space\n", 3, "not a plain decimal"),
            (
                "max_order_notional:\n  USDT: 0.00000000000000000000000000001\n",
                3,
                "too many digits",
            ),
            ("max_order_notional:\n\tUSDT: 100\n", 3, "tab"),
            ("max_order_notional:\n    USDT: 100\n", 3, "two spaces"),
            ("max_order_notional: 100\n", 2, "own line"),
            ("max_order_notional:\nprofile: balanced\n", 2, "lines below"),
            ("max_order_notional:\n  USDT: 1\n  usdt: 2\n", 4, "twice"),
            ("max_order_notional:\n  US-DT: 1\n", 3, "invalid asset"),
            (
                "max_daily_notional:\n  mainnet:\n    USDT: 1\n",
                3,
                "testnet, demo or production",
            ),
            (
                "max_daily_notional:\n  production:\n  testnet:\n    USDT: 1\n",
                3,
                "indented by four spaces",
            ),
            (
                "max_daily_notional:\n    USDT: 1\n",
                3,
                "environment indented by two spaces",
            ),
            ("max_daily_notional:\n  production: 5\n", 3, "own line"),
            (
                "max_daily_notional:\n  demo:\n    USDT: 1\n  demo:\n    USDT: 2\n",
                5,
                "twice",
            ),
            ("allowed_symbols: BTCUSDT\n", 2, "expected a list"),
            ("allowed_symbols: [BTCUSDT,, ETHUSDT]\n", 2, "empty item"),
            ("allowed_symbols: [\"BTCUSDT\"]\n", 2, "without quotes"),
            ("allowed_symbols: [BTC/USDT]\n", 2, "invalid symbol"),
            ("allowed_symbols: [ABCDEFGHIJKLMNOPQRSTU]\n", 2, "invalid symbol"),
            ("allowed_symbols:\n", 2, "expected a list"),
            (
                "allowed_symbols:\n- BTCUSDT\n",
                3,
                "indented by two spaces under its setting",
            ),
            ("allowed_symbols:\n  -BTCUSDT\n", 3, "list item"),
            ("allowed_symbols:\n  BTCUSDT\n", 3, "list item"),
            ("allowed_symbols: []\n  - BTCUSDT\n", 3, "inline list"),
            ("profile: balanced\n  extra: 1\n", 3, "unexpected indentation"),
            ("  profile: balanced\n", 2, "unexpected indentation"),
            ("profile: balanced\nprofile: aggressive\n", 3, "twice"),
            ("just some words\n", 2, "expected `key: value`"),
        ];
        for &(body, line, needle) in cases {
            let text = format!("---\n{body}---\nnotes\n");
            let e = err(&text);
            assert_eq!(e.line, line, "{body:?}: {e}");
            assert_eq!(e.text, text.lines().nth(line - 1).unwrap(), "{body:?}");
            assert!(e.message.contains(needle), "{body:?}: {e}");
            assert!(e.to_string().starts_with(&format!("memory.md line {line}: ")));
        }
    }

    #[test]
    fn unclosed_front_matter_names_the_opening_line() {
        let text = "\n---\nprofile: balanced\nmax_order_notional:\n  USDT: 100\n";
        let e = err(text);
        assert_eq!((e.line, e.text.as_str()), (2, "---"));
        assert!(e.message.contains("never closed"));
        assert_eq!(notes_offset(text), text.len());
    }

    #[test]
    fn notes_offset_is_just_after_the_closing_line() {
        let text = "---\nprofile: balanced\n---\n## Notes\n";
        assert_eq!(notes_offset(text), "---\nprofile: balanced\n---\n".len());
        let crlf = "---\r\nprofile: balanced\r\n--- \r\nrest";
        assert_eq!(&crlf[notes_offset(crlf)..], "rest");
        let last = "---\nprofile: balanced\n---";
        assert_eq!(notes_offset(last), last.len());
        assert_eq!(notes_offset("# Notes only\n"), 0);
    }

    #[test]
    fn symbol_allowed() {
        let any = Preferences::defaults(Profile::Conservative);
        assert!(any.symbol_allowed("DOGEUSDT"));
        let some = parse_preferences("---\nallowed_symbols: [BTCUSDT, ETHUSDT]\n---\n").unwrap();
        assert!(some.symbol_allowed("BTCUSDT"));
        assert!(some.symbol_allowed("ethusdt"));
        assert!(!some.symbol_allowed("DOGEUSDT"));
        assert!(!some.symbol_allowed("BTCUSD"));
        // Unicode symbols and assets are names like any other.
        let unicode =
            parse_preferences("---\nallowed_symbols: [这是测试币456]\nmax_order_notional:\n  456: 50\n---\n").unwrap();
        assert!(unicode.symbol_allowed("这是测试币456"));
        assert_eq!(unicode.order_limit("456"), Some(Decimal::from(50)));
    }

    #[test]
    fn appends_cannot_change_the_limits() {
        let closed = "---\nprofile: conservative\n---\n## Notes\n";
        assert!(append_keeps_preferences(closed, "- prefer limit orders\n"));
        assert!(append_keeps_preferences(closed, "---\nprofile: aggressive\n---\n"));
        assert!(append_keeps_preferences(TEMPLATE_MEMORY_MD, "A note.\n"));
        // An empty file, or one with only blank lines, would gain a front matter.
        assert!(!append_keeps_preferences("", "---\nprofile: aggressive\n---\n"));
        assert!(!append_keeps_preferences(
            "\n\n",
            "---\nmax_order_notional:\n  USDT: 1000000\n---\n"
        ));
        // A front matter left open would be closed with the agent's limits.
        let open = "---\nallowed_symbols: [BTCUSDT]\n";
        assert!(!append_keeps_preferences(
            open,
            "max_order_notional:\n  USDT: 1000000\n---\n"
        ));
        // A missing final newline is added first, as the writer does.
        assert!(append_keeps_preferences("---\nprofile: balanced\n---", "note\n"));
    }

    #[test]
    fn serializes_for_a_tool_result() {
        let p = Preferences::defaults(Profile::Balanced);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["profile"], "balanced");
        assert_eq!(json["default_environment"], "testnet");
        assert_eq!(json["max_order_notional"]["BTC"], "0.01");
        assert_eq!(json["max_daily_notional"]["production"]["USDT"], "5000");
        assert_eq!(json["from_front_matter"], false);
    }
}
