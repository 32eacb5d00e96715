"""Smoke test of binance-mcp with the official Python MCP SDK (a client no one here wrote).

Usage: python3 tests/clients/python_smoke.py /path/to/binance-mcp

Starts `binance-mcp serve --emulator` (an offline playground), then in both connection modes of
the SDK ("legacy" = initialize handshake, "auto" = 2026-07-28 discovery): lists tools, resources
and prompts, reads the market, runs a testnet order workflow (validate, test, place, status,
cancel), and checks the production gate with the SDK's elicitation callback (decline refuses,
accept places). Exits non-zero with a message on the first failure.
"""

import asyncio
import json
import sys
import tempfile

from mcp import Client, StdioServerParameters
import mcp.types as types


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def structured(result):
    check(not result.is_error, f"tool failed: {result.content}")
    return result.structured_content


def text_of(result):
    return " ".join(getattr(c, "text", "") for c in result.content)


async def run(binary, mode):
    home = tempfile.mkdtemp(prefix="binance-mcp-py-")
    answers = []

    async def approve(context, params):
        # The server shows the human the exact order; answer as the test says.
        check("PRODUCTION" in params.message, f"approval message: {params.message}")
        answer = answers.pop(0)
        return types.ElicitResult(action=answer, content={"approve": True} if answer == "accept" else None)

    server = StdioServerParameters(command=binary, args=["serve", "--emulator"], env={"BINANCE_HOME": home, "RUST_LOG": "warn"})
    async with Client(server, mode=mode, elicitation_callback=approve, read_timeout_seconds=30) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        for name in ["market_ticker_price", "order_validate", "order_test", "order_place", "order_status", "order_cancel", "server_status"]:
            check(name in tools, f"{name} not listed")
        print(f"[{mode}] {len(tools)} tools listed")
        resources = {r.uri for r in (await client.list_resources()).resources}
        check("binance://memory" in {str(u) for u in resources}, f"resources: {resources}")
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        check("safe_order" in prompts, f"prompts: {prompts}")
        print(f"[{mode}] resources and prompts listed")

        price = structured(await client.call_tool("market_ticker_price", {"symbols": ["BTCUSDT"]}))
        check(price["environment"] == "production", f"{price}")
        print(f"[{mode}] market: BTCUSDT {price['prices'][0]['price']}")

        book = structured(await client.call_tool("market_book_ticker", {"symbols": ["BTCUSDT"], "environment": "testnet"}))
        bid = float(book["books"][0]["bid_price"])
        price = f"{int(bid * 0.98)}.00"
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
                 "quantity": "0.001", "price": price, "environment": "testnet"}
        check(structured(await client.call_tool("order_validate", order))["valid"], "order_validate")
        check(structured(await client.call_tool("order_test", order))["passed"], "order_test")
        placed = structured(await client.call_tool("order_place", order))
        check(placed["status"] == "NEW" and not placed["provisional"], f"order_place: {placed}")
        ref = {"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"], "environment": "testnet"}
        check(structured(await client.call_tool("order_status", ref))["order"]["status"] == "NEW", "order_status")
        check(structured(await client.call_tool("order_cancel", ref))["order"]["status"] == "CANCELED", "order_cancel")
        print(f"[{mode}] testnet workflow: validate, test, place, status, cancel")

        # The production gate: refused without the argument; with it, the human is asked.
        prod = dict(order, environment="production")
        refused = await client.call_tool("order_test", prod)
        check(refused.is_error and "confirm_production" in text_of(refused), "production without confirmation")
        prod["confirm_production"] = True
        structured(await client.call_tool("order_test", prod))
        answers.append("decline")
        declined = await client.call_tool("order_place", prod)
        check(declined.is_error and "human_approval" in text_of(declined), f"declined: {text_of(declined)}")
        answers.append("accept")
        accepted = structured(await client.call_tool("order_place", prod))
        check(accepted["environment"] == "production" and accepted["status"] in ("NEW", "FILLED"), f"accepted: {accepted}")
        print(f"[{mode}] production gate: refused, declined, approved")


async def main():
    binary = sys.argv[1]
    for mode in ["legacy", "auto"]:
        await run(binary, mode)
    print("python MCP SDK smoke: passed")


if __name__ == "__main__":
    asyncio.run(main())
