"""``lampwright prompts``: the prompt library (list, show, save, versions)."""

from __future__ import annotations

import json
from typing import Any

import click

from engine.cli import main
from engine.cli._common import echo_json, open_cli_engine, read_json_object
from engine.errors import ConfigError


@main.group()
def prompts() -> None:
    """Prompt templates: shipped defaults and your saved, immutable versions."""


@prompts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_prompts(ctx: click.Context, as_json: bool) -> None:
    """The latest version of every prompt."""
    eng = open_cli_engine(ctx)
    items = eng.prompts.list()
    if as_json:
        echo_json([{**v.to_dict(), "versions": len(eng.prompts.versions(v.name))} for v in items])
        return
    for v in items:
        count = len(eng.prompts.versions(v.name))
        extra = " · JSON schema" if v.prompt.schema else ""
        click.echo(f"{v.name:<20} {v.version}  {v.source:<7} {count} version(s){extra}  {v.prompt.description}")


@prompts.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the full definition as JSON.")
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a prompt (NAME or NAME@VERSION; the latest version by default)."""
    v = open_cli_engine(ctx).prompts.get(name)
    if as_json:
        echo_json(v.to_dict())
        return
    p = v.prompt
    click.secho(f"{v.name}@{v.version}  ({v.source}{', saved ' + v.saved_at if v.saved_at else ''})", bold=True)
    if p.description:
        click.echo(p.description)
    click.echo(f"variables: {', '.join(p.variables) or 'none'}" + (f"  defaults: {dict(p.defaults)}" if p.defaults else ""))
    if p.system:
        click.secho("system:", dim=True)
        click.echo(p.system)
    for i, e in enumerate(p.examples, 1):
        click.secho(f"example {i} ({p.placement}):", dim=True)
        click.echo(f"  user: {e.user}\n  assistant: {e.assistant}")
    click.secho("template:", dim=True)
    click.echo(p.template)
    if p.schema:
        click.secho("schema:", dim=True)
        click.echo(json.dumps(p.schema, indent=2))


@prompts.command("save")
@click.argument("name")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False), help="A JSON definition (template, system, examples, defaults, schema).")
@click.option("--template", help="The user message, with {{ variables }}.")
@click.option("--system", help="The system message.")
@click.option("--description", help="One line for the list.")
@click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False), help="JSON Schema file for structured output.")
@click.pass_context
def save_prompt(
    ctx: click.Context, name: str, file: str | None, template: str | None, system: str | None,
    description: str | None, schema_file: str | None,
) -> None:
    """Save a new version of prompt NAME (options change the latest version; unchanged content keeps its version)."""
    from engine.errors import NotFoundError
    from engine.prompts import PromptTemplate

    eng = open_cli_engine(ctx)
    data: dict[str, Any] = {}
    try:
        data = eng.prompts.get(name).prompt.to_dict()
    except NotFoundError:
        pass
    if file:
        data.update(read_json_object(file))
    for key, value in (("template", template), ("system", system), ("description", description)):
        if value is not None:
            data[key] = value
    if schema_file:
        data["schema"] = read_json_object(schema_file)
    if "template" not in data:
        raise click.UsageError(f"{name!r} is a new prompt: give --template or --file.")
    data["name"] = name
    prompt = PromptTemplate.from_dict(data)
    if prompt.schema:
        from engine.prompts.structured import check_schema

        check_schema(prompt.schema)
    v = eng.prompts.save(prompt)
    click.echo(f"{v.name}@{v.version}" + (f" (from {v.parent})" if v.parent else ""))


@prompts.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def versions(ctx: click.Context, name: str, as_json: bool) -> None:
    """Every version of prompt NAME, oldest first."""
    items = open_cli_engine(ctx).prompts.versions(name)
    if not items:
        raise ConfigError(f"No prompt named {name!r}.")
    if as_json:
        echo_json([v.to_dict() for v in items])
        return
    for v in items:
        click.echo(f"{v.version}  {v.source:<7} {v.saved_at or '(shipped)':<34} parent={v.parent or '-'}")


