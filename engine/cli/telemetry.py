"""``lampwright telemetry``: summaries, call lists, one call (with what is needed to replay it), export."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from engine.cli import main
from engine.cli._common import echo_json, load_settings
from engine.errors import ConfigError
from engine.telemetry import CallFilter, Telemetry, utcnow
from engine.telemetry.replay import replay_spec

_AGO = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(text: str | None) -> datetime | None:
    """'30m', '24h', '7d', '2w' (before now), or an ISO date/time (UTC)."""
    if not text:
        return None
    m = _AGO.match(text.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}
        return utcnow() - delta[unit]
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"Cannot read --since {text!r}; use e.g. 30m, 24h, 7d or 2026-01-31.") from exc


def _filter_options(fn: Any) -> Any:
    for opt in reversed(
        [
            click.option("--since", help="Only calls after this: 30m, 24h, 7d, or an ISO date (UTC)."),
            click.option("--source", type=click.Choice(["gui", "cli", "api"]), help="Only calls from here."),
            click.option("--model", help="Only this model."),
            click.option("--adapter", help="Only this adapter."),
            click.option("--prompt-id", help="Only this prompt."),
            click.option("--prompt-version", help="Only this prompt version."),
            click.option("--route", help="Only this route (chat, /v1/chat/completions ...)."),
            click.option("--status", type=click.Choice(["ok", "error", "cancelled"]), help="Only this outcome."),
        ]
    ):
        fn = opt(fn)
    return fn


def _filter(kw: dict[str, Any]) -> CallFilter:
    return CallFilter(
        since=parse_since(kw.pop("since", None)),
        source=kw.pop("source", None),
        model=kw.pop("model", None),
        adapter=kw.pop("adapter", None),
        prompt_id=kw.pop("prompt_id", None),
        prompt_version=kw.pop("prompt_version", None),
        route=kw.pop("route", None),
        status=kw.pop("status", None),
    )


def _open(ctx: click.Context) -> Telemetry:
    tel = Telemetry.for_home(load_settings(ctx).home)
    ctx.call_on_close(tel.close)
    return tel


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


@main.group()
def telemetry() -> None:
    """Per-call telemetry: tokens, latency, time to first token and estimated cost of every call."""


@telemetry.command()
@_filter_options
@click.option("--by", "group_by", default="", help="Group by columns, comma separated: model,adapter,prompt_version ...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def summary(ctx: click.Context, group_by: str, as_json: bool, **kw: Any) -> None:
    """Totals and percentiles over the recorded calls."""
    tel = _open(ctx)
    groups = tuple(g.strip() for g in group_by.split(",") if g.strip())
    data = tel.summary(_filter(kw), group_by=groups)
    if as_json:
        echo_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Telemetry · {tel.path}")
    keys = list(groups) + ["calls", "errors", "prompt", "completion", "p50 ms", "p95 ms", "TTFT p50", "tok/s", "cost $"]
    for k in keys:
        table.add_column(k, justify="left" if k in groups else "right")
    rows = data.get("groups") or []
    for r in [*rows, {**data, **{g: "all" for g in groups}}]:
        table.add_row(
            *[str(r.get(g) or "-") for g in groups],
            _fmt(r["calls"]),
            _fmt(r["errors"]),
            _fmt(r["prompt_tokens"]),
            _fmt(r["completion_tokens"]),
            _fmt(r["latency_ms_p50"]),
            _fmt(r["latency_ms_p95"]),
            _fmt(r["ttft_ms_p50"]),
            _fmt(r["tokens_per_s"]),
            _fmt(r["cost_usd"], 6),
        )
    Console().print(table)


@telemetry.command("list")
@_filter_options
@click.option("-n", "--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, limit: int, as_json: bool, **kw: Any) -> None:
    """The most recent calls."""
    rows = _open(ctx).calls(_filter(kw), limit=limit)
    if as_json:
        echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("call id", "time (UTC)", "source", "route", "model", "tokens", "TTFT ms", "ms", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["call_id"],
            r["ts"].strftime("%Y-%m-%d %H:%M:%S"),
            r["source"],
            r["route"],
            r["model"] + (f" + {r['adapter']}" if r["adapter"] else ""),
            f"{r['prompt_tokens']}+{r['completion_tokens']}",
            _fmt(r["ttft_ms"], 0),
            _fmt(r["latency_ms"], 0),
            r["status"] + (f": {r['error'][:40]}" if r["error"] else ""),
        )
    Console().print(table)


@telemetry.command()
@click.argument("call_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, call_id: str, as_json: bool) -> None:
    """One call with everything needed to replay it (CALL_ID may be a unique prefix)."""
    spec = replay_spec(_open(ctx).call(call_id))
    if as_json:
        echo_json(spec)
        return
    click.secho(f"Call {spec['call_id']}  ({spec['time_utc']} UTC, {spec['source']} {spec['route']})", bold=True)
    for key in ("backend", "model", "model_path", "model_sha256", "adapter", "prompt_id", "prompt_version", "seed"):
        click.echo(f"  {key:15} {spec[key] if spec[key] not in (None, '') else '-'}")
    click.echo(f"  {'params':15} {json.dumps(spec['params'])}")
    if spec["response_format"]:
        click.echo(f"  {'response_format':15} {json.dumps(spec['response_format'])}")
    if spec["tools"]:
        click.echo(f"  {'tools':15} {', '.join(t.get('function', {}).get('name', '?') for t in spec['tools'])}")
    click.secho("Messages:", bold=True)
    if not spec["messages"]:
        click.echo("  (not stored: content storage is off in telemetry.json)")
    for m in spec["messages"]:
        click.echo(f"  [{m.get('role')}] {m.get('content')}")
    click.secho("Reply:", bold=True)
    click.echo(f"  {spec['reply']}")
    o = spec["outcome"]
    click.secho(
        f"[{o['status']} · {o['prompt_tokens']}+{o['completion_tokens']} tokens · TTFT {_fmt(o['ttft_ms'], 0)} ms · "
        f"{_fmt(o['latency_ms'], 0)} ms · ${_fmt(o['cost_usd'], 6)}]",
        dim=True,
    )
    click.echo(f"Replay: lampwright telemetry replay {spec['call_id']}")


@telemetry.command()
@click.argument("call_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def replay(ctx: click.Context, call_id: str, as_json: bool) -> None:
    """Run a recorded call again on the same model file, messages, params and seed; compare the reply."""
    from engine.cli._common import open_cli_engine
    from engine.types import GenerationParams, Message

    spec = replay_spec(_open(ctx).call(call_id))
    if not spec["messages"]:
        raise ConfigError("This call's messages were not stored (content storage is off), so it cannot be replayed.")
    eng = open_cli_engine(ctx)
    model = spec["model_path"] or spec["model"] or None
    if spec["model_path"] and spec["model_sha256"] and Path(spec["model_path"]).is_file():
        now = eng.telemetry.hashes.sha256(spec["model_path"])
        if now != spec["model_sha256"]:
            click.secho("Warning: the model file changed since this call (different SHA-256).", fg="yellow", err=True)
    result = eng.chat(
        [Message.from_openai(m) for m in spec["messages"]],
        GenerationParams.from_dict(spec["params"]),
        model=model,
        response_format=spec["response_format"],
        tools=spec["tools"],
        context={"source": "cli", "route": "replay", "prompt_id": spec["prompt_id"], "prompt_version": spec["prompt_version"]},
    )
    same = result.text == spec["reply"]
    if as_json:
        echo_json({"call_id": spec["call_id"], "reply": result.text, "original_reply": spec["reply"], "identical": same})
        return
    click.echo(result.text)
    click.secho("[identical to the recorded reply]" if same else "[differs from the recorded reply]", dim=True, err=True)


@telemetry.command()
@_filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default telemetry-<time>.<format>).")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None, **kw: Any) -> None:
    """Write the matching calls to CSV or Parquet."""
    path = Path(output or f"telemetry-{utcnow():%Y%m%d-%H%M%S}.{fmt}")
    n = _open(ctx).export(path, fmt, _filter(kw))
    click.echo(f"Wrote {n} calls to {path}")
