"""python-binance 1.0.37 (unchanged) against the emulator's WebSockets: its user data socket
(WebSocket API, userDataStream.subscribe.signature), a trade stream, a combined stream and its
depth cache (diff depth stream + REST snapshot). Only the base URLs point at the emulator.

Usage: python_binance_ws_check.py BASE_URL API_KEY API_SECRET
"""

import asyncio
import json
import sys
import urllib.request

from binance import AsyncClient, BinanceSocketManager, DepthCacheManager

BASE, KEY, SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
WS = BASE.replace("http://", "ws://")
AsyncClient.API_URL = BASE + "/api"
AsyncClient.WS_API_URL = WS + "/ws-api/v3"
BinanceSocketManager.STREAM_URL = WS + "/"
WAIT = 10
steps = 0


def step(name):
    global steps
    steps += 1
    print(f"ok {steps} {name}", flush=True)


def rest(path):
    with urllib.request.urlopen(BASE + path, timeout=WAIT) as response:
        return json.load(response)


async def main():
    client = await AsyncClient.create(KEY, SECRET)
    sockets = BinanceSocketManager(client)

    async with sockets.user_socket() as user:
        step("user data subscription")
        order = await client.create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001", newClientOrderId="py-ws-1"
        )
        reports = []
        while True:
            event = await asyncio.wait_for(user.recv(), WAIT)
            if event["e"] == "outboundAccountPosition":
                break
            assert event["e"] == "executionReport", event
            assert event["i"] == order["orderId"] and event["c"] == "py-ws-1", event
            reports.append((event["x"], event["X"]))
        assert reports[0] == ("NEW", "NEW"), reports
        assert reports[-1] == ("TRADE", "FILLED"), reports
        step("executionReport NEW then TRADE FILLED")
        assets = {b["a"] for b in event["B"]}
        assert {"BTC", "USDT"} <= assets, event
        step("outboundAccountPosition")

    async with sockets.trade_socket("BTCUSDT") as trades:
        trade = await asyncio.wait_for(trades.recv(), WAIT)
        assert trade["e"] == "trade" and trade["s"] == "BTCUSDT", trade
        recent = rest("/api/v3/trades?symbol=BTCUSDT&limit=1000")
        same = [t for t in recent if t["id"] == trade["t"]]
        assert same and same[0]["price"] == trade["p"] and same[0]["qty"] == trade["q"], (trade, same)
        step("trade stream matches REST trades")

    async with sockets.multiplex_socket(["btcusdt@bookTicker", "ethusdt@miniTicker"]) as combined:
        seen = set()
        while len(seen) < 2:
            message = await asyncio.wait_for(combined.recv(), WAIT)
            seen.add(message["stream"])
            assert "data" in message, message
        step("combined stream")

    async with DepthCacheManager(client, "ETHBTC", limit=1000) as depth_cache:
        # The cache and a REST snapshot can straddle a book change: a few tries.
        for _ in range(10):
            cache = await asyncio.wait_for(depth_cache.recv(), WAIT)
            snapshot = rest("/api/v3/depth?symbol=ETHBTC&limit=5")
            cached = [[f"{p:.8f}", f"{q:.8f}"] for p, q in cache.get_bids()[:5]]
            if cached == snapshot["bids"]:
                break
        else:
            raise AssertionError(f"depth cache {cached} never matched REST {snapshot['bids']}")
        step("depth cache from the diff depth stream matches REST depth")

    await client.close_connection()
    print(f"all {steps} steps passed", flush=True)


asyncio.run(main())
