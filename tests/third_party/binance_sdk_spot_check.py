"""Binance's current official Python SDK (binance-sdk-spot, pinned in sdk_requirements.txt)
against `binance-mcp emulator`, unchanged: only its configuration points at the emulator, the
way the SDK documents it (`ConfigurationRestAPI(base_path=...)`,
`ConfigurationWebSocketAPI(stream_url=...)`).

Usage: binance_sdk_spot_check.py BASE_URL API_KEY API_SECRET MODE
  MODE `opo`: follows user-data events over the WebSocket API
  (`userDataStream.subscribe.signature`), places an OPO over REST, cancels it, and checks that
  the executionReport / listStatus events of both arrive.
  MODE `prices`: calls referencePrice, myFilters and executionRules over REST.

Prints one JSON line with what it saw; exits non-zero (with the reason) on any mismatch.
"""

import asyncio
import json
import sys
from decimal import Decimal

from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketAPI
from binance_sdk_spot.rest_api.models import (
    OrderListOpoPendingSideEnum,
    OrderListOpoPendingTypeEnum,
    OrderListOpoWorkingSideEnum,
    OrderListOpoWorkingTimeInForceEnum,
    OrderListOpoWorkingTypeEnum,
)
from binance_sdk_spot.spot import Spot

SYMBOL = "BTCUSDT"


def fail(why):
    print(json.dumps({"ok": False, "why": why}))
    sys.exit(1)


def as_dict(model):
    """A model (or a oneOf wrapper) as a plain dict of its wire names."""
    inner = getattr(model, "actual_instance", None) or model
    if hasattr(inner, "to_dict"):
        return inner.to_dict()
    if isinstance(inner, dict):
        return inner
    return json.loads(inner.to_json())


def event_dict(data):
    """A user-data event as a dict with its `e`: the SDK routes events to typed models by `e`
    and keeps the type in the model class (ExecutionReport -> executionReport)."""
    inner = getattr(data, "actual_instance", None) or data
    event = as_dict(inner)
    name = type(inner).__name__
    event.setdefault("e", name[:1].lower() + name[1:])
    return event


def client(base, key, secret):
    ws_base = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return Spot(
        config_rest_api=ConfigurationRestAPI(api_key=key, api_secret=secret, base_path=base, timeout=5000),
        config_ws_api=ConfigurationWebSocketAPI(
            api_key=key, api_secret=secret, stream_url=f"{ws_base}/ws-api/v3", timeout=5000
        ),
    )


async def wait_for(events, predicate, what, seconds=10.0):
    for _ in range(int(seconds * 20)):
        if any(predicate(e) for e in events):
            return
        await asyncio.sleep(0.05)
    fail(f"no {what} event in {seconds} s; saw {[e.get('e') for e in events]}")


async def opo(spot):
    ws = spot.websocket_api
    await ws.create_connection()
    try:
        await place_and_cancel(spot, ws)
    finally:
        await ws.close_connection(close_session=True)


async def place_and_cancel(spot, ws):
    events = []
    subscribed = await ws.user_data_stream_subscribe_signature()
    subscribed.stream.on("message", lambda data: events.append(event_dict(data)))

    # Decimals, which the SDK sends as plain decimal strings; prices on BTCUSDT's 0.01 tick.
    price = Decimal(str(as_dict(spot.rest_api.ticker_price(symbol=SYMBOL).data())["price"]))
    working_price = (price * Decimal("0.97")).quantize(Decimal("0.01"))
    pending_price = (price * Decimal("1.05")).quantize(Decimal("0.01"))
    placed = spot.rest_api.order_list_opo(
        symbol=SYMBOL,
        working_type=OrderListOpoWorkingTypeEnum.LIMIT,
        working_side=OrderListOpoWorkingSideEnum.BUY,
        working_price=working_price,
        working_quantity=Decimal("0.001"),
        working_time_in_force=OrderListOpoWorkingTimeInForceEnum.GTC,
        pending_type=OrderListOpoPendingTypeEnum.LIMIT_MAKER,
        pending_side=OrderListOpoPendingSideEnum.SELL,
        pending_price=pending_price,
        list_client_order_id="sdk-opo-1",
    ).data()
    if placed.contingency_type != "OTO" or placed.list_order_status != "EXECUTING":
        fail(f"unexpected OPO answer {placed}")
    statuses = [r.status for r in placed.order_reports]
    if statuses != ["NEW", "PENDING_NEW"]:
        fail(f"leg statuses {statuses}")
    working_id = placed.orders[0].order_id
    await wait_for(
        events,
        lambda e: e.get("e") == "executionReport" and e.get("i") == working_id and e.get("X") == "NEW",
        "working NEW",
    )
    await wait_for(events, lambda e: e.get("e") == "listStatus" and e.get("C") == "sdk-opo-1", "listStatus")

    canceled = spot.rest_api.delete_order_list(symbol=SYMBOL, order_list_id=placed.order_list_id).data()
    if canceled.list_order_status != "ALL_DONE":
        fail(f"unexpected cancel answer {canceled}")
    await wait_for(
        events,
        lambda e: e.get("e") == "executionReport" and e.get("i") == working_id and e.get("X") == "CANCELED",
        "working CANCELED",
    )
    kinds = sorted({e.get("e") for e in events})
    print(json.dumps({"ok": True, "orderListId": placed.order_list_id, "events": kinds}))


def prices(spot):
    reference = as_dict(spot.rest_api.reference_price(symbol=SYMBOL).data())
    filters = as_dict(spot.rest_api.my_filters(symbol=SYMBOL).data())
    rules = as_dict(spot.rest_api.execution_rules(symbol=SYMBOL).data())
    if reference.get("symbol") != SYMBOL:
        fail(f"referencePrice answered {reference}")
    if "assetFilters" not in filters and "asset_filters" not in filters:
        fail(f"myFilters answered {filters}")
    print(json.dumps({"ok": True, "referencePrice": reference, "myFilters": filters, "executionRules": rules}))


def main():
    base, key, secret, mode = sys.argv[1:5]
    spot = client(base, key, secret)
    if mode == "opo":
        asyncio.run(opo(spot))
    elif mode == "prices":
        prices(spot)
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
