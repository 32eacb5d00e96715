#!/usr/bin/env python3
"""Drive the binance-mcp emulator with the official Python connector, unchanged.

Usage: binance_connector_check.py BASE_URL API_KEY API_SECRET

Uses binance-connector==3.13.0 (`from binance.spot import Spot`) with only its base URL pointed
at the emulator. Prints one line per step; exits 1 with a clear message on the first failure,
3 when the package is missing.
"""

import sys
from decimal import ROUND_DOWN, Decimal

REQUIRED_VERSION = "3.13.0"
SYMBOL = "BTCUSDT"


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def floor_to(value, step):
    """`value` rounded down to a multiple of `step`, written with the step's decimals."""
    step = Decimal(step).normalize()
    return (Decimal(value) / step).to_integral_value(rounding=ROUND_DOWN) * step


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, api_key, api_secret = argv[1:]
    try:
        from binance.__version__ import __version__ as version
        from binance.error import ClientError
        from binance.spot import Spot
    except ImportError as error:
        print(
            f"FAIL import: {error}; run: pip install -r tests/third_party/requirements.txt",
            file=sys.stderr,
        )
        return 3
    if version != REQUIRED_VERSION:
        print(
            f"FAIL version: binance-connector {version} is installed, {REQUIRED_VERSION} is required; "
            "run: pip install -r tests/third_party/requirements.txt",
            file=sys.stderr,
        )
        return 3

    client = Spot(api_key=api_key, api_secret=api_secret, base_url=base_url, timeout=10)
    state = {}

    def ping():
        expect(client.ping() == {}, "ping did not answer {}")
        return "{}"

    def server_time():
        server = client.time()["serverTime"]
        expect(isinstance(server, int) and server > 1_700_000_000_000, f"bad serverTime {server!r}")
        return f"serverTime={server}"

    def exchange_info():
        info = client.exchange_info(symbol=SYMBOL)
        symbols = info["symbols"]
        expect(len(symbols) == 1 and symbols[0]["symbol"] == SYMBOL, f"unexpected symbols {symbols!r}")
        filters = {f["filterType"]: f for f in symbols[0]["filters"]}
        state["tick"] = filters["PRICE_FILTER"]["tickSize"]
        state["step"] = filters["LOT_SIZE"]["stepSize"]
        return f"tickSize={state['tick']} stepSize={state['step']} filters={len(filters)}"

    def ticker_price():
        ticker = client.ticker_price(SYMBOL)
        expect(ticker["symbol"] == SYMBOL, f"unexpected ticker {ticker!r}")
        state["price"] = Decimal(ticker["price"])
        state["limit"] = floor_to(state["price"] * Decimal("0.9"), state["tick"])
        return f"price={ticker['price']}"

    def limit_params():
        return dict(timeInForce="GTC", quantity="0.001", price=str(state["limit"]))

    def test_order():
        answer = client.new_order_test(SYMBOL, "BUY", "LIMIT", **limit_params())
        expect(answer == {}, f"test order answered {answer!r}")
        return "{}"

    def test_order_with_commission():
        answer = client.new_order_test(SYMBOL, "BUY", "LIMIT", computeCommissionRates=True, **limit_params())
        for key in ("standardCommissionForOrder", "specialCommissionForOrder", "taxCommissionForOrder", "discount"):
            expect(key in answer, f"{key} missing from {answer!r}")
        return f"taker={answer['standardCommissionForOrder']['taker']}"

    def limit_order():
        order = client.new_order(SYMBOL, "BUY", "LIMIT", newClientOrderId="connector-limit-1", **limit_params())
        expect(order["status"] == "NEW", f"a LIMIT below the market should rest: {order!r}")
        expect(order["clientOrderId"] == "connector-limit-1", f"client id lost: {order!r}")
        expect(order["fills"] == [], f"unexpected fills {order['fills']!r}")
        state["limit_id"] = order["orderId"]
        return f"orderId={order['orderId']} price={order['price']} status={order['status']}"

    def get_order():
        order = client.get_order(SYMBOL, orderId=state["limit_id"])
        expect(order["status"] == "NEW" and order["isWorking"] is True, f"unexpected order {order!r}")
        return f"status={order['status']} origQty={order['origQty']}"

    def open_orders():
        orders = client.get_open_orders(SYMBOL)
        ids = [o["orderId"] for o in orders]
        expect(ids == [state["limit_id"]], f"open orders {ids!r}, expected [{state['limit_id']}]")
        return f"open={ids}"

    def cancel_order():
        canceled = client.cancel_order(SYMBOL, orderId=state["limit_id"])
        expect(canceled["status"] == "CANCELED", f"cancel answered {canceled!r}")
        expect(canceled["origClientOrderId"] == "connector-limit-1", f"origClientOrderId {canceled!r}")
        return f"status={canceled['status']}"

    def unknown_order():
        try:
            client.get_order(SYMBOL, orderId=987654321)
        except ClientError as error:
            expect(error.status_code == 400 and error.error_code == -2013, f"unexpected error {error!r}")
            return f"ClientError {error.error_code} {error.error_message!r}"
        raise CheckFailed("querying an unknown order did not fail")

    def market_order():
        order = client.new_order(SYMBOL, "BUY", "MARKET", quantity="0.001")
        expect(order["status"] == "FILLED", f"MARKET order not filled: {order!r}")
        expect(len(order["fills"]) >= 1, f"no fills in {order!r}")
        expect(Decimal(order["executedQty"]) == Decimal("0.001"), f"executedQty {order['executedQty']}")
        state["market_id"] = order["orderId"]
        state["fills"] = len(order["fills"])
        return f"orderId={order['orderId']} fills={len(order['fills'])} quote={order['cummulativeQuoteQty']}"

    def account():
        info = client.account(omitZeroBalances="true")
        balances = {b["asset"]: b for b in info["balances"]}
        btc = Decimal(balances["BTC"]["free"])
        expect(btc > Decimal("1"), f"BTC free {btc} did not grow after the MARKET buy")
        expect(Decimal(balances["USDT"]["locked"]) == 0, f"USDT still locked: {balances['USDT']!r}")
        return f"BTC free={balances['BTC']['free']} USDT free={balances['USDT']['free']}"

    def my_trades():
        trades = client.my_trades(SYMBOL)
        mine = [t for t in trades if t["orderId"] == state["market_id"]]
        expect(len(mine) == state["fills"], f"{len(mine)} trades for the MARKET order, {state['fills']} fills")
        expect(all(t["isBuyer"] and not t["isMaker"] for t in mine), f"unexpected trades {mine!r}")
        return f"trades={len(trades)}"

    def all_orders():
        orders = client.get_orders(SYMBOL)
        statuses = [o["status"] for o in orders]
        expect(statuses == ["CANCELED", "FILLED"], f"allOrders statuses {statuses!r}")
        return f"statuses={statuses}"

    def rate_limit():
        limits = client.get_order_rate_limit()
        expect([l["interval"] for l in limits] == ["SECOND", "DAY"], f"unexpected {limits!r}")
        return f"counts={[l['count'] for l in limits]}"

    steps = [
        ("ping", ping),
        ("time", server_time),
        ("exchange_info", exchange_info),
        ("ticker_price", ticker_price),
        ("new_order_test", test_order),
        ("new_order_test computeCommissionRates", test_order_with_commission),
        ("new_order LIMIT GTC", limit_order),
        ("get_order", get_order),
        ("get_open_orders", open_orders),
        ("cancel_order", cancel_order),
        ("get_order unknown", unknown_order),
        ("new_order MARKET", market_order),
        ("account", account),
        ("my_trades", my_trades),
        ("get_orders", all_orders),
        ("get_order_rate_limit", rate_limit),
    ]
    for name, step in steps:
        try:
            summary = step()
        except Exception as error:  # any failure of the connector or of a check ends the run
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
            return 1
        print(f"ok {name}: {summary}", flush=True)
    print(f"all {len(steps)} steps passed with binance-connector {version}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
