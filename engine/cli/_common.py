"""Helpers shared by CLI commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from engine.core import Engine
from engine.settings import Settings


def load_settings(ctx: click.Context, **overrides: Any) -> Settings:
    """Settings from the home folder chosen on the command line (or $LAMPWRIGHT_HOME)."""
    home = (ctx.find_root().obj or {}).get("home")
    return Settings.load(Path(home) if home else None, **overrides)


def open_cli_engine(ctx: click.Context, **overrides: Any) -> Engine:
    """An engine for one CLI command; closed when the command ends."""
    from engine.core import open_engine

    eng = open_engine(load_settings(ctx, **overrides))
    ctx.call_on_close(eng.close)
    return eng


def echo_json(data: Any) -> None:
    """Print JSON to stdout."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def stdin_text() -> str:
    """Text piped on standard input ('' when stdin is a terminal)."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.read()


def read_json_object(path: str, what: str = "a JSON object") -> dict[str, Any]:
    """Read a JSON file that must hold an object; a clear ConfigError otherwise."""
    from engine.errors import ConfigError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold {what}.")
    return data
