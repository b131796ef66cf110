"""``lampwright models``: list and inspect GGUF models."""

from __future__ import annotations

from typing import Any

import click

from engine.cli import main
from engine.cli._common import echo_json, load_settings
from engine.errors import LampwrightError
from engine.models import list_models, read_gguf_info


@main.group()
def models() -> None:
    """List and inspect models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Bundled models, then GGUF files in the home and user-added folders."""
    from rich.console import Console
    from rich.table import Table

    settings = load_settings(ctx)
    rows = []
    for entry in list_models(settings):
        row: dict[str, Any] = {"name": entry.name, "source": entry.source, "path": str(entry.path)}
        if entry.path.exists():
            try:
                info = entry.info()
                row.update(info.summary())
                row["name"] = entry.name
            except LampwrightError as exc:
                row["error"] = str(exc)
        else:
            row["note"] = "assembled on first use"
        rows.append(row)
    if as_json:
        echo_json(rows)
        return
    table = Table("name", "source", "arch", "params", "quant", "context", "size")
    for r in rows:
        size = f"{r['size_bytes'] / 1e6:.0f} MB" if "size_bytes" in r else "-"
        table.add_row(
            r["name"], r["source"], r.get("architecture", r.get("error", r.get("note", ""))),
            r.get("size_label", "-"), r.get("quantization", "-"), str(r.get("context_length", "-")), size,
        )
    Console().print(table)


@models.command("info")
@click.argument("model")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def info_cmd(ctx: click.Context, model: str, as_json: bool) -> None:
    """Metadata of MODEL (a bundled name or a path to a .gguf file)."""
    from engine.models import resolve_model

    entry = resolve_model(load_settings(ctx), model)
    info = read_gguf_info(entry.path)
    data = info.summary()
    data["chat_template"] = info.chat_template
    data["bos_token"], data["eos_token"] = info.bos_token, info.eos_token
    if as_json:
        echo_json(data)
        return
    for k, v in data.items():
        if k == "chat_template" and v:
            v = (v[:200] + "…") if len(v) > 200 else v
        click.echo(f"{k:>18}: {v}")
