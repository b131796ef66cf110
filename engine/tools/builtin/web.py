"""Weather and stock quotes over configurable HTTP APIs (Open-Meteo and Stooq formats by default).

Without a network these tools say so plainly (:class:`NetworkUnavailableError`), and the loop tells
the model to answer without live data and to tell the user.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

from engine.errors import NetworkUnavailableError, ToolError
from engine.tools.base import Tool, tool
from engine.tools.config import ToolConfig

WEATHER_CODES = {
    0: "clear sky", 1: "mainly clear", 2: "partly cloudy", 3: "overcast", 45: "fog", 48: "rime fog",
    51: "light drizzle", 53: "drizzle", 55: "dense drizzle", 61: "light rain", 63: "rain", 65: "heavy rain",
    71: "light snow", 73: "snow", 75: "heavy snow", 80: "rain showers", 81: "rain showers",
    82: "violent rain showers", 95: "thunderstorm", 96: "thunderstorm with hail", 99: "thunderstorm with hail",
}


def _get(url: str, params: dict[str, Any] | None, timeout: float) -> Any:
    import httpx

    host = urlsplit(url).netloc or url
    try:
        resp = httpx.get(url, params=params, timeout=timeout, follow_redirects=True)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise NetworkUnavailableError(f"cannot reach {host} ({exc}).") from exc
    except httpx.TimeoutException as exc:
        raise NetworkUnavailableError(f"{host} did not answer in {timeout:g} s.") from exc
    except httpx.HTTPError as exc:
        raise ToolError(f"The request to {host} failed ({exc}).") from exc
    if resp.status_code >= 400:
        raise ToolError(f"{host} answered HTTP {resp.status_code}.")
    return resp


def web_tools(config: ToolConfig) -> list[Tool]:
    """``get_weather`` and ``stock_quote`` using the endpoints in ``config``."""
    timeout = config.http_timeout_s

    @tool(timeout_s=timeout * 2 + 2, examples=[("Is it raining in Dublin?", {"city": "Dublin"}), ("What is the temperature in Madrid?", {"city": "Madrid"})])
    def get_weather(city: str) -> str:
        """Current weather (temperature, wind, conditions) in a city. Needs the network.

        Args:
            city: city name, e.g. "Bangkok".
        """
        geo = _get(config.weather_geocode_url, {"name": city, "count": 1, "format": "json"}, timeout).json()
        results = geo.get("results") or []
        if not results:
            raise ToolError(f"No place called {city!r} was found.")
        place = results[0]
        fc = _get(
            config.weather_forecast_url,
            {
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "current": "temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code",
                "timezone": "auto",
            },
            timeout,
        ).json()
        cur, units = fc.get("current") or {}, fc.get("current_units") or {}
        if not cur:
            raise ToolError("The weather service returned no current conditions.")
        sky = WEATHER_CODES.get(int(cur.get("weather_code", -1)), "unknown conditions")
        where = ", ".join(str(x) for x in (place.get("name"), place.get("country")) if x)
        return (
            f"{where} at {cur.get('time', '?')}: {cur.get('temperature_2m')}{units.get('temperature_2m', '°C')}, {sky}, "
            f"humidity {cur.get('relative_humidity_2m')}{units.get('relative_humidity_2m', '%')}, "
            f"wind {cur.get('wind_speed_10m')} {units.get('wind_speed_10m', 'km/h')}"
        )

    @tool(timeout_s=timeout + 2, examples=[("What is Amazon's share price?", {"symbol": "AMZN"}), ("Stock quote for GOOG", {"symbol": "GOOG"})])
    def stock_quote(symbol: str) -> str:
        """Latest stock price for a ticker symbol. Needs the network.

        Args:
            symbol: ticker such as "AAPL" or "MSFT" (US by default; "7203.JP" for other markets).
        """
        sym = symbol.strip().lower()
        if not sym or not all(c.isalnum() or c in ".-^" for c in sym):
            raise ToolError(f"{symbol!r} is not a ticker symbol.")
        if "." not in sym and not sym.startswith("^"):
            sym += ".us"
        text = _get(config.stock_quote_url.replace("{symbol}", sym), None, timeout).text
        rows = list(csv.DictReader(io.StringIO(text)))
        if not rows or rows[0].get("Close") in (None, "", "N/D"):
            raise ToolError(f"No quote for {symbol!r}.")
        r = rows[0]
        return f"{symbol.upper()}: {r['Close']} (open {r.get('Open')}, high {r.get('High')}, low {r.get('Low')}) at {r.get('Date')} {r.get('Time', '')}".strip()

    return [get_weather, stock_quote]
