"""Date and time in any time zone (IANA names or a city in one, e.g. "Tokyo")."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from engine.errors import ToolError
from engine.tools.base import tool

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "local": "", "": ""}


@lru_cache(maxsize=1)
def _by_city() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in sorted(available_timezones()):
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        out.setdefault(city, name)
    return out


def resolve_zone(name: str) -> dt.tzinfo:
    """A tzinfo for an IANA name ("Asia/Tokyo"), a city in one ("Tokyo", "new york"), UTC or local."""
    key = name.strip()
    alias = _ALIASES.get(key.lower())
    if alias == "":
        return dt.datetime.now().astimezone().tzinfo or dt.UTC
    if alias:
        key = alias
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    city = _by_city().get(key.replace("_", " ").lower())
    if city:
        return ZoneInfo(city)
    raise ToolError(f"Unknown time zone {name!r}. Use an IANA name such as 'Europe/Paris' or 'Asia/Tokyo'.")


def now(timezone: str = "UTC") -> dt.datetime:
    """The current time in ``timezone``."""
    return dt.datetime.now(resolve_zone(timezone))


@tool(
    examples=[
        ("What time is it in Paris?", {"timezone": "Europe/Paris"}),
        ("What is the date today in Chicago?", {"timezone": "America/Chicago"}),
    ]
)
def current_time(timezone: str = "UTC") -> str:
    """Current date and time in a time zone.

    Use it for questions about the time, date or weekday somewhere.

    Args:
        timezone: IANA time zone like "Asia/Tokyo" or "America/New_York" (a city name also works).
    """
    t = now(timezone)
    zone = getattr(t.tzinfo, "key", None) or t.tzname()
    return f"{t:%A %d %B %Y, %H:%M:%S} ({zone}, UTC{t:%z}); ISO {t.isoformat(timespec='seconds')}"


@tool(examples=[("It is 9:00 in London; what time is it in Tokyo?", {"time": "09:00", "from_timezone": "Europe/London", "to_timezone": "Asia/Tokyo"})])
def convert_time(time: str, from_timezone: str, to_timezone: str) -> str:
    """Convert a time (today's date unless given) from one time zone to another.

    Args:
        time: "HH:MM" or an ISO date-time like "2025-03-01T09:30".
        from_timezone: the zone the time is in, e.g. "Europe/London".
        to_timezone: the zone to convert to, e.g. "Asia/Tokyo".
    """
    src, dst = resolve_zone(from_timezone), resolve_zone(to_timezone)
    try:
        if "T" in time or "-" in time:
            parsed = dt.datetime.fromisoformat(time)
        else:
            clock = dt.time.fromisoformat(time.strip())
            parsed = dt.datetime.combine(dt.datetime.now(src).date(), clock)
    except ValueError as exc:
        raise ToolError(f"Cannot read the time {time!r}; use HH:MM or YYYY-MM-DDTHH:MM.") from exc
    local = parsed.replace(tzinfo=src) if parsed.tzinfo is None else parsed
    out = local.astimezone(dst)
    return f"{local:%Y-%m-%d %H:%M} {from_timezone} = {out:%Y-%m-%d %H:%M} {to_timezone} ({out:%A})"
