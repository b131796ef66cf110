"""The ``lampwright`` console script: every capability is reachable from here.

Each capability registers its commands from its own module (listed in ``_MODULES``) on :data:`main`.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from engine.errors import LampwrightError

_MODULES = ("chat", "models", "conversations", "gui", "bench", "telemetry", "serve", "retrieval", "prompts")


class _Group(click.Group):
    """Turns LampwrightError into a clear one-line message and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LampwrightError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option("--home", envvar="LAMPWRIGHT_HOME", type=click.Path(file_okay=False), help="Lampwright home folder.")
@click.option("-v", "--verbose", count=True, help="Log more (-vv for debug).")
@click.version_option(package_name="lampwright")
@click.pass_context
def main(ctx: click.Context, home: str | None, verbose: int) -> None:
    """Lampwright: a private LLM workbench that runs offline on a laptop."""
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)], stream=sys.stderr)
    ctx.obj = {"home": home}


for _name in _MODULES:
    importlib.import_module(f"engine.cli.{_name}")
