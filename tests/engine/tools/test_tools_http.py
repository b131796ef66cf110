from __future__ import annotations

import json
import socket

from engine.tools import ToolConfig, ToolRegistry, execute
from engine.tools.builtin.web import web_tools
from engine.types import ToolCall


def registry(base: str, **kw) -> ToolRegistry:
    cfg = ToolConfig(
        weather_geocode_url=f"{base}/geo", weather_forecast_url=f"{base}/forecast",
        stock_quote_url=f"{base}/quote/{{symbol}}", http_timeout_s=2.0, **kw,
    )
    return ToolRegistry(web_tools(cfg))


def call(reg, name, **args):
    return execute(reg, ToolCall("c", name, json.dumps(args)))


def test_weather_from_a_real_http_server(api_server):
    base, handler = api_server
    out = call(registry(base), "get_weather", city="Bangkok")
    assert out.ok, out.content
    assert out.content == "Bangkok, Thailand at 2025-05-01T14:00: 34.2°C, partly cloudy, humidity 61%, wind 9.5 km/h"
    assert any(h.startswith("/geo?name=Bangkok") for h in handler.hits)
    assert any("latitude=13.75" in h for h in handler.hits)


def test_unknown_city_and_stock_quotes(api_server):
    base, _ = api_server
    cfg_empty = ToolConfig(weather_geocode_url=f"{base}/geo-empty", weather_forecast_url=f"{base}/forecast")
    out = call(ToolRegistry(web_tools(cfg_empty)), "get_weather", city="Atlantis")
    assert out.status == "error" and "No place called 'Atlantis'" in out.content
    reg = registry(base)
    quote = call(reg, "stock_quote", symbol="aapl")
    assert quote.ok and quote.content.startswith("AAPL: 213.32 (open 210.1")
    assert "No quote for 'ZZZZ'" in call(reg, "stock_quote", symbol="ZZZZ").content
    assert call(reg, "stock_quote", symbol="../etc").status == "error"


def test_offline_is_said_plainly():
    with socket.socket() as s:  # a port nobody listens on: connection refused, like no network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reg = registry(f"http://127.0.0.1:{port}")
    for name, args in (("get_weather", {"city": "Bangkok"}), ("stock_quote", {"symbol": "MSFT"})):
        out = call(reg, name, **args)
        assert out.status == "offline"
        assert out.content.startswith("No network: cannot reach 127.0.0.1")
        assert "tell the user plainly that there is no network" in out.content
