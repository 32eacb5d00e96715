//! The store's schema and its migrations, numbered by `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    at_ms           INTEGER NOT NULL,
    environment     TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    symbol          TEXT,
    order_id        INTEGER,
    client_order_id TEXT,
    status          TEXT,
    body            TEXT    NOT NULL
);
CREATE INDEX events_by_order  ON events(environment, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX events_by_client ON events(environment, client_order_id) WHERE client_order_id IS NOT NULL;
CREATE INDEX events_by_kind   ON events(environment, kind, id);

CREATE TABLE tests (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    environment TEXT    NOT NULL,
    identity    TEXT    NOT NULL,
    shape       TEXT    NOT NULL,
    symbol      TEXT    NOT NULL,
    consumed_by INTEGER
);
CREATE INDEX tests_by_identity ON tests(environment, identity, at_ms);
CREATE INDEX tests_by_shape    ON tests(shape, environment);

CREATE TABLE reservations (
    id              INTEGER PRIMARY KEY,
    at_ms           INTEGER NOT NULL,
    environment     TEXT    NOT NULL,
    client_order_id TEXT    NOT NULL,
    test_id         INTEGER,
    identity        TEXT    NOT NULL,
    shape           TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    quote_asset     TEXT,
    notional        TEXT,
    body            TEXT    NOT NULL,
    outcome         TEXT,
    UNIQUE (environment, client_order_id)
);
CREATE INDEX reservations_by_day ON reservations(environment, quote_asset, at_ms);

CREATE TABLE client_ids (
    environment     TEXT    NOT NULL,
    client_order_id TEXT    NOT NULL,
    reservation_id  INTEGER NOT NULL,
    PRIMARY KEY (environment, client_order_id)
);

CREATE TABLE orders (
    environment     TEXT    NOT NULL,
    order_id        INTEGER NOT NULL,
    client_order_id TEXT,
    symbol          TEXT,
    shape           TEXT,
    status          TEXT,
    open            INTEGER NOT NULL,
    PRIMARY KEY (environment, order_id)
);
CREATE INDEX orders_open     ON orders(environment, open);
CREATE INDEX orders_by_shape ON orders(environment, shape);

CREATE TABLE timers (
    environment     TEXT    NOT NULL,
    order_id        INTEGER NOT NULL,
    symbol          TEXT    NOT NULL,
    client_order_id TEXT    NOT NULL,
    due_ms          INTEGER NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (environment, order_id)
);
CREATE INDEX timers_pending ON timers(done, due_ms);
"#,
    // Paper mode (BINANCE_TRADE_MODE=paper): the paper account per environment, its balances,
    // and the paper orders and lists the paper matching engine keeps (`crate::tools::paper`). `id`
    // is the order's (list's) id less `paper_engine::PAPER_ID_BASE`; `body` the whole order.
    r#"
CREATE TABLE paper_accounts (
    environment TEXT    PRIMARY KEY,
    seeded_ms   INTEGER NOT NULL,
    seed        TEXT    NOT NULL
);

CREATE TABLE paper_balances (
    environment TEXT NOT NULL,
    asset       TEXT NOT NULL,
    total       TEXT NOT NULL,
    PRIMARY KEY (environment, asset)
);

CREATE TABLE paper_lists (
    id                   INTEGER PRIMARY KEY,
    environment          TEXT    NOT NULL,
    list_client_order_id TEXT    NOT NULL,
    symbol               TEXT    NOT NULL,
    open                 INTEGER NOT NULL,
    body                 TEXT    NOT NULL,
    UNIQUE (environment, list_client_order_id)
);

CREATE TABLE paper_orders (
    id              INTEGER PRIMARY KEY,
    environment     TEXT    NOT NULL,
    client_order_id TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    list_id         INTEGER,
    open            INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL,
    body            TEXT    NOT NULL,
    UNIQUE (environment, client_order_id)
);
CREATE INDEX paper_orders_open   ON paper_orders(environment, open, symbol);
CREATE INDEX paper_orders_symbol ON paper_orders(environment, symbol, id);
CREATE INDEX paper_orders_list   ON paper_orders(list_id) WHERE list_id IS NOT NULL;
"#,
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version of the open database.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies every migration past `from`; the caller holds the write transaction.
pub fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(from).unwrap_or(0)) {
        conn.execute_batch(sql)?;
        conn.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    Ok(())
}
