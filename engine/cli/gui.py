"""``lampwright gui``: open the desktop app."""

from __future__ import annotations

import click

from engine.cli import main


@main.command()
@click.pass_context
def gui(ctx: click.Context) -> None:
    """Open the Lampwright window."""
    try:
        from desktop.app import run
    except ImportError as exc:
        raise click.ClickException(f"The desktop app needs PySide6 ({exc}). Install with: pip install 'lampwright[gui]'.") from exc
    home = (ctx.find_root().obj or {}).get("home")
    raise SystemExit(run(home=home))
