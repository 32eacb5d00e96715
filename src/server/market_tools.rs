//! The market and diagnostics toolsets: public market data, and the server's own status.

use super::*;

/// Public market data (`BINANCE_TOOLSETS` group `market`).
#[tool_router(router = market_tools, vis = "pub(super)")]
impl BinanceServer {
    #[tool(
        title = "Binance server time",
        description = "Binance time and this clock's offset (a large one causes -1021).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_server_time(&self, Parameters(args): Parameters<ServerTimeArgs>) -> CallToolResult {
        self.run(server_time(&self.toolbox, args)).await
    }

    #[tool(
        title = "Symbol trading rules",
        description = "Trading rules of 1-20 symbols: status, order types, every filter with exact values. Cached 10 min.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_exchange_info(&self, Parameters(args): Parameters<ExchangeInfoArgs>) -> CallToolResult {
        self.run(exchange_info(&self.toolbox, args)).await
    }

    #[tool(
        title = "Latest prices",
        description = "Latest prices (none given: all, first 100 listed).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_ticker_price(&self, Parameters(args): Parameters<SymbolsArgs>) -> CallToolResult {
        self.run(ticker_price(&self.toolbox, args)).await
    }

    #[tool(
        title = "24h or rolling statistics",
        description = "Change, high, low, volume and trade count over 24h or a rolling window_size.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_ticker_24h(&self, Parameters(args): Parameters<Ticker24hArgs>) -> CallToolResult {
        self.run(ticker_24h(&self.toolbox, args)).await
    }

    #[tool(
        title = "Best bid and ask",
        description = "Best bid/ask, their quantities and the spread.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_book_ticker(&self, Parameters(args): Parameters<SymbolsArgs>) -> CallToolResult {
        self.run(book_ticker(&self.toolbox, args)).await
    }

    #[tool(
        title = "Order book depth",
        description = "Order book: best bid/ask, spread, depth totals, up to 50 levels per side.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_order_book(&self, Parameters(args): Parameters<OrderBookArgs>) -> CallToolResult {
        self.run(order_book(&self.toolbox, args)).await
    }

    #[tool(
        title = "Recent trades",
        description = "Recent public trades with VWAP, range and taker buy/sell volume.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_recent_trades(&self, Parameters(args): Parameters<RecentTradesArgs>) -> CallToolResult {
        self.run(recent_trades(&self.toolbox, args)).await
    }

    #[tool(
        title = "Candlesticks",
        description = "OHLCV candles, with a summary (open, high, low, close, change %, volume).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_klines(&self, Parameters(args): Parameters<KlinesArgs>) -> CallToolResult {
        self.run(klines(&self.toolbox, args)).await
    }

    #[tool(
        title = "Average price",
        description = "Average price: the reference of the PERCENT_PRICE and NOTIONAL filters.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_avg_price(&self, Parameters(args): Parameters<AvgPriceArgs>) -> CallToolResult {
        self.run(avg_price(&self.toolbox, args)).await
    }

    #[tool(
        title = "Sample market streams",
        description = "Listen to 1-5 market streams up to 30 s: counts, price range, volume, best bid/ask, last events. No weight.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn market_stream_sample(&self, Parameters(args): Parameters<StreamSampleArgs>) -> CallToolResult {
        self.run(market_stream_sample(&self.toolbox, args)).await
    }
}

/// The server's own state (group `diagnostics`).

#[tool_router(router = diagnostics_tools, vis = "pub(super)")]
impl BinanceServer {
    #[tool(
        title = "Server status",
        description = "Configuration: environments, base URLs, which keys are set, clock offsets, request counts, modes, version.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn server_status(&self, Parameters(args): Parameters<ServerStatusArgs>) -> CallToolResult {
        self.run(async { server_status(&self.toolbox, args) }).await
    }
}
