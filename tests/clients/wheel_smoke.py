"""The installed wheel, driven by the official Python MCP SDK (tests/wheel.rs).

Usage: python3 tests/clients/wheel_smoke.py <venv>/bin/binance-mcp

Starts `binance-mcp serve --emulator` from the wheel's install, lists the tools and asks
`market_ticker_price` for BTCUSDT. Exits non-zero with a message on the first failure.
"""

import asyncio
import sys
import tempfile

from mcp import Client, StdioServerParameters


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


async def main(binary):
    home = tempfile.mkdtemp(prefix="binance-mcp-wheel-")
    server = StdioServerParameters(command=binary, args=["serve", "--emulator"], env={"BINANCE_HOME": home, "RUST_LOG": "warn"})
    async with Client(server, read_timeout_seconds=30) as client:
        tools = sorted(t.name for t in (await client.list_tools()).tools)
        check("market_ticker_price" in tools and "order_place" in tools, f"tools: {tools}")
        result = await client.call_tool("market_ticker_price", {"symbols": ["BTCUSDT"]})
        check(not result.is_error, f"market_ticker_price failed: {result.content}")
        price = result.structured_content["prices"][0]
        check(price["symbol"] == "BTCUSDT" and float(price["price"]) > 0, f"{price}")
        print(f"wheel: {len(tools)} tools; BTCUSDT {price['price']}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
