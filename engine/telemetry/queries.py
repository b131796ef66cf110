"""Read-side SQL for dashboards and the CLI: summaries, time series, call lists, one call, export.

Every function takes an open DuckDB connection and a :class:`CallFilter`; values travel as parameters,
column names only from fixed allowlists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, NotFoundError
from engine.telemetry.record import COLUMN_NAMES

#: columns a summary or series can be grouped by
GROUPABLE = ("model", "adapter", "prompt_id", "prompt_version", "source", "route", "backend", "status")
#: the columns shown in call lists
LIST_COLUMNS = (
    "call_id",
    "ts",
    "source",
    "route",
    "model",
    "adapter",
    "prompt_id",
    "prompt_version",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "latency_ms",
    "tokens_per_s",
    "status",
    "error",
    "cost_usd",
)
_BUCKETS = (
    ("1 minute", timedelta(minutes=1)),
    ("5 minutes", timedelta(minutes=5)),
    ("15 minutes", timedelta(minutes=15)),
    ("1 hour", timedelta(hours=1)),
    ("6 hours", timedelta(hours=6)),
    ("1 day", timedelta(days=1)),
    ("7 days", timedelta(days=7)),
)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls a query covers; None means any."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    route: str | None = None
    backend: str | None = None
    model: str | None = None
    adapter: str | None = None
    prompt_id: str | None = None
    prompt_version: str | None = None
    status: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """SQL ``WHERE`` clause (or '') and its parameters."""
        parts: list[str] = []
        params: list[Any] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "since":
                parts.append("ts >= ?")
            elif f.name == "until":
                parts.append("ts < ?")
            else:
                parts.append(f"{f.name} = ?")
            params.append(value)
        return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _group_cols(group_by: tuple[str, ...] | list[str]) -> list[str]:
    bad = [g for g in group_by if g not in GROUPABLE]
    if bad:
        raise ConfigError(f"Cannot group telemetry by {', '.join(bad)}; choose from {', '.join(GROUPABLE)}.")
    return list(group_by)


_STATS = """
    count(*) AS calls,
    count(*) FILTER (WHERE status = 'error') AS errors,
    count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
    coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
    coalesce(sum(completion_tokens), 0) AS completion_tokens,
    avg(tokens_per_s) FILTER (WHERE tokens_per_s > 0) AS tokens_per_s,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    coalesce(sum(energy_wh), 0) AS energy_wh,
    coalesce(sum(cloud_equiv_usd), 0) AS cloud_equiv_usd,
    min(ts) AS first_ts,
    max(ts) AS last_ts
"""
#: up to this many calls, percentiles are exact; above, they come from a log-scale histogram
EXACT_LIMIT = 100_000
#: histogram bins per unit of ln(value): bin width 1.6%, so a percentile is off by at most ~0.8%
BINS_PER_E = 64
_PCT = ("latency_ms", "ttft_ms")


def _rows(cur: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, float):
            v = float(f"{v:.6g}")  # six significant digits: costs are tiny, latencies large
        out[k] = v
    return out


def _from_histogram(bins: list[tuple[int, int]], q: float) -> float | None:
    total = sum(n for _, n in bins)
    if not total:
        return None
    seen = 0
    for b, n in sorted(bins):
        seen += n
        if seen >= q * total:
            return math.exp(b / BINS_PER_E)
    return math.exp(sorted(bins)[-1][0] / BINS_PER_E)


def _percentiles(
    con: Any, where: str, params: list[Any], cols: list[str], exact: bool
) -> dict[tuple[Any, ...], dict[str, float | None]]:
    """p50/p95 of latency and TTFT over successful calls, per group (key () without grouping)."""
    ok = f"{where} AND status = 'ok'" if where else " WHERE status = 'ok'"
    sel = "".join(f"{c}, " for c in cols)
    group = f" GROUP BY {', '.join(cols)}" if cols else ""
    n = len(cols)
    out: dict[tuple[Any, ...], dict[str, float | None]] = {}
    if exact:
        aggs = ", ".join(f"quantile_cont({m}, [0.5, 0.95])" for m in _PCT)
        for row in con.execute(f"SELECT {sel}{aggs} FROM calls{ok}{group}", params).fetchall():
            d = out.setdefault(tuple(row[:n]), {})
            for i, m in enumerate(_PCT):
                qs = row[n + i] or [None, None]
                d[f"{m}_p50"], d[f"{m}_p95"] = qs[0], qs[1]
        return out
    for m in _PCT:
        hist: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
        sql = f"SELECT {sel}round(ln(greatest({m}, 0.001)) * {BINS_PER_E})::INTEGER AS bin, count(*) FROM calls{ok} GROUP BY ALL"
        for row in con.execute(sql, params).fetchall():
            hist.setdefault(tuple(row[:n]), []).append((row[n], row[n + 1]))
        for key, bins in hist.items():
            d = out.setdefault(key, {})
            d[f"{m}_p50"], d[f"{m}_p95"] = _from_histogram(bins, 0.5), _from_histogram(bins, 0.95)
    return out


def summary(con: Any, flt: CallFilter | None = None, group_by: tuple[str, ...] = ()) -> dict[str, Any]:
    """Totals, and latency/TTFT percentiles; with ``group_by``, the same per group under ``groups``.

    Percentiles are exact up to :data:`EXACT_LIMIT` calls and histogram estimates (within ~1%) above,
    which keeps a summary over a million calls fast; ``percentiles`` says which.
    """
    where, params = (flt or CallFilter()).where()
    cols = _group_cols(group_by)
    total = _rows(con.execute(f"SELECT {_STATS} FROM calls{where}", params))[0]
    exact = total["calls"] <= EXACT_LIMIT
    empty = {f"{m}_{p}": None for m in _PCT for p in ("p50", "p95")}
    pct = _percentiles(con, where, params, [], exact)
    out = _clean({**total, **pct.get((), empty)})
    out["percentiles"] = "exact" if exact else "histogram"
    if cols:
        keys = ", ".join(cols)
        groups = _rows(con.execute(f"SELECT {keys}, {_STATS} FROM calls{where} GROUP BY {keys} ORDER BY calls DESC", params))
        per = _percentiles(con, where, params, cols, exact)
        out["groups"] = [_clean({**g, **per.get(tuple(g[c] for c in cols), empty)}) for g in groups]
    return out


def pick_bucket(first: datetime | None, last: datetime | None, max_buckets: int = 60) -> str:
    """The smallest bucket width that keeps the span under ``max_buckets`` buckets."""
    if first is None or last is None:
        return _BUCKETS[0][0]
    span = last - first
    for name, width in _BUCKETS:
        if span / width <= max_buckets:
            return name
    return _BUCKETS[-1][0]


def series(
    con: Any,
    flt: CallFilter | None = None,
    *,
    bucket: str | None = None,
    group_by: tuple[str, ...] = ("model", "adapter", "prompt_version"),
) -> tuple[str, list[dict[str, Any]]]:
    """Per time bucket and group: calls, mean latency/TTFT/tokens-per-second, tokens, cost.

    Returns the bucket width used and rows ordered by bucket; each row has ``bucket``, ``group`` (the
    group values joined by " · ", empty parts dropped) and the figures.
    """
    where, params = (flt or CallFilter()).where()
    if bucket is None:
        first, last = con.execute(f"SELECT min(ts), max(ts) FROM calls{where}", params).fetchall()[0]
        bucket = pick_bucket(first, last)
    if bucket not in {name for name, _ in _BUCKETS}:
        raise ConfigError(f"Unknown bucket {bucket!r}; choose from {', '.join(n for n, _ in _BUCKETS)}.")
    cols = _group_cols(group_by)
    keys = "".join(f", {c}" for c in cols)
    sql = f"""
        SELECT time_bucket(INTERVAL '{bucket}', ts) AS bucket{keys},
            count(*) AS calls,
            avg(latency_ms) FILTER (WHERE status = 'ok') AS latency_ms,
            avg(ttft_ms) FILTER (WHERE status = 'ok') AS ttft_ms,
            avg(tokens_per_s) FILTER (WHERE tokens_per_s > 0) AS tokens_per_s,
            sum(prompt_tokens + completion_tokens) AS tokens,
            sum(cost_usd) AS cost_usd,
            sum(cloud_equiv_usd) AS cloud_equiv_usd
        FROM calls{where}
        GROUP BY ALL
    """
    rows = []
    for r in _rows(con.execute(sql, params)):
        label = " · ".join(str(r.pop(c)) for c in cols if r.get(c))
        for c in cols:
            r.pop(c, None)
        rows.append(_clean({"bucket": r.pop("bucket"), "group": label, **r}))
    rows.sort(key=lambda r: (r["bucket"], r["group"]))
    return bucket, rows


def list_calls(con: Any, flt: CallFilter | None = None, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """The most recent calls first, with the list columns."""
    where, params = (flt or CallFilter()).where()
    sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM calls{where} ORDER BY ts DESC, call_id DESC LIMIT ? OFFSET ?"
    return _rows(con.execute(sql, [*params, int(limit), int(offset)]))


def get_call(con: Any, call_id: str) -> dict[str, Any]:
    """Every column of one call; ``call_id`` may be a unique prefix."""
    rows = _rows(
        con.execute(f"SELECT {', '.join(COLUMN_NAMES)} FROM calls WHERE starts_with(call_id, ?) LIMIT 2", [call_id])
    )
    if not rows:
        raise NotFoundError(f"No call {call_id!r} in telemetry. `lampwright telemetry list` shows recent calls.")
    if len(rows) > 1:
        raise NotFoundError(f"{call_id!r} matches several calls; give more of the id.")
    return rows[0]


def distinct(con: Any, column: str, flt: CallFilter | None = None) -> list[str]:
    """Distinct non-empty values of a groupable column (for filter menus)."""
    _group_cols([column])
    where, params = (flt or CallFilter()).where()
    cond = f"{where} AND" if where else " WHERE"
    sql = f"SELECT DISTINCT {column} FROM calls{cond} {column} <> '' ORDER BY 1"
    return [r[0] for r in con.execute(sql, params).fetchall()]


def export(con: Any, path: Path, fmt: str = "csv", flt: CallFilter | None = None) -> int:
    """Write the matching calls to CSV or Parquet (DuckDB's own writers); returns the row count."""
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"Unknown export format {fmt!r}; use csv or parquet.")
    where, params = (flt or CallFilter()).where()
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    # COPY cannot take a parameterised target, so the path is quoted as an SQL string literal
    target = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"COPY (SELECT * FROM calls{where} ORDER BY ts) TO {target} ({options})", params)
    count = con.execute(f"SELECT count(*) FROM calls{where}", params).fetchall()[0][0]
    return int(count)
