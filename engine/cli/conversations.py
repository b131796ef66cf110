"""``lampwright conversations``: list, show, rename, delete, export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from engine.cli import main
from engine.cli._common import echo_json, open_cli_engine


@main.group()
def conversations() -> None:
    """Manage stored conversations."""


@conversations.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Conversations, newest first."""
    convs = open_cli_engine(ctx).conversations.list()
    if as_json:
        echo_json([{"id": c.id, "title": c.title, "updated": c.updated, "messages": c.message_count} for c in convs])
        return
    for c in convs:
        when = dt.datetime.fromtimestamp(c.updated).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{c.id}  {when}  {c.message_count:>3} msgs  {c.title}")


@conversations.command()
@click.argument("conversation_id")
@click.pass_context
def show(ctx: click.Context, conversation_id: str) -> None:
    """Print a conversation as Markdown."""
    click.echo(open_cli_engine(ctx).conversations.export_markdown(conversation_id))


@conversations.command()
@click.argument("conversation_id")
@click.argument("title")
@click.pass_context
def rename(ctx: click.Context, conversation_id: str, title: str) -> None:
    """Rename a conversation."""
    c = open_cli_engine(ctx).conversations.rename(conversation_id, title)
    click.echo(f"{c.id}  {c.title}")


@conversations.command()
@click.argument("conversation_id")
@click.pass_context
def delete(ctx: click.Context, conversation_id: str) -> None:
    """Delete a conversation."""
    open_cli_engine(ctx).conversations.delete(conversation_id)
    click.echo("deleted")


@conversations.command()
@click.argument("conversation_id")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.pass_context
def export(ctx: click.Context, conversation_id: str, fmt: str, output: str | None) -> None:
    """Export a conversation as Markdown or JSON."""
    store = open_cli_engine(ctx).conversations
    if fmt == "json":
        text = json.dumps(store.export_json(conversation_id), indent=2, ensure_ascii=False)
    else:
        text = store.export_markdown(conversation_id)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)
