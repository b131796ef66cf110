"""``lampwright chat``: one prompt, a streamed reply; optionally with tools, a JSON schema or a saved prompt."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from engine.cli import main
from engine.cli._common import echo_json, open_cli_engine, read_json_object, stdin_text
from engine.core import Engine
from engine.types import ChatResult, GenerationParams, Message, TokenDelta


@main.command()
@click.argument("prompt", nargs=-1)
@click.option("-m", "--model", help="Bundled model name or path to a .gguf file.")
@click.option("-s", "--system", "system_prompt", help="System prompt.")
@click.option("--max-tokens", type=int, default=None, help="Longest reply, in tokens.")
@click.option("--temperature", type=float, default=None)
@click.option("--top-p", type=float, default=None)
@click.option("--seed", type=int, default=None, help="Fixed seed for reproducible sampling.")
@click.option("-c", "--conversation", help="Continue (and store into) this conversation id.")
@click.option("--save", is_flag=True, help="Store this exchange as a new conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of streaming text.")
@click.option("--tools", "use_tools", is_flag=True, help="Let the model call the built-in and your own tools.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Allow tools with side effects without asking.")
@click.option("--max-steps", type=int, default=None, help="Most tool-calling rounds (with --tools).")
@click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False), help="Reply with JSON valid against this JSON Schema file.")
@click.option("--prompt", "prompt_name", help="Use a saved prompt (NAME or NAME@VERSION); see `lampwright prompts list`.")
@click.option("--var", "variables", multiple=True, metavar="KEY=VALUE", help="A variable of --prompt (repeatable).")
@click.pass_context
def chat(
    ctx: click.Context,
    prompt: tuple[str, ...],
    model: str | None,
    system_prompt: str | None,
    max_tokens: int | None,
    temperature: float | None,
    top_p: float | None,
    seed: int | None,
    conversation: str | None,
    save: bool,
    as_json: bool,
    use_tools: bool,
    assume_yes: bool,
    max_steps: int | None,
    schema_file: str | None,
    prompt_name: str | None,
    variables: tuple[str, ...],
) -> None:
    """Send PROMPT to the model and stream the reply. Text piped on stdin is appended to PROMPT.

    With --prompt, PROMPT (and stdin) fill the saved prompt's one variable that --var left unset.
    """
    text = " ".join(prompt)
    piped = stdin_text()
    if piped:
        text = f"{text}\n\n{piped}" if text else piped
    if not text and not prompt_name:
        raise click.UsageError("Give a PROMPT (or pipe text on stdin, or use --prompt).")
    if use_tools and schema_file:
        raise click.UsageError("--tools and --schema cannot be combined; use one per call.")
    if (conversation or save) and (use_tools or schema_file or prompt_name):
        raise click.UsageError("--tools, --schema and --prompt work on single calls, not with --conversation/--save.")
    eng = open_cli_engine(ctx)
    base = eng.default_params()
    params = GenerationParams(
        temperature=base.temperature if temperature is None else temperature,
        top_p=base.top_p if top_p is None else top_p,
        max_tokens=base.max_tokens if max_tokens is None else max_tokens,
        seed=seed,
    )
    context: dict[str, Any] = {"source": "cli", "route": "chat"}
    schema: dict[str, Any] | None = read_json_object(schema_file, "a JSON Schema object") if schema_file else None
    if prompt_name:
        msgs, prompt_ctx, prompt_schema = _render_prompt(eng, prompt_name, variables, text, system_prompt)
        context.update(prompt_ctx)
        schema = schema or prompt_schema
    else:
        system = system_prompt or eng.settings.system_prompt
        msgs = ([Message("system", system)] if system else []) + [Message("user", text)]
    if schema is not None:
        _structured(eng, msgs, schema, params, model, context, as_json)
        return
    if use_tools:
        _with_tools(eng, msgs, params, model, context, as_json, assume_yes, max_steps)
        return
    if conversation or save:
        if conversation:
            cid = eng.conversations.get(conversation).id
        else:
            cid = eng.conversations.create(
                system_prompt=system_prompt or eng.settings.system_prompt, params=params, model=model or ""
            ).id
        events = eng.send(cid, text, context=context)
    else:
        events = eng.stream_chat(msgs, params, model=model, context=context)
    result: ChatResult | None = None
    for ev in events:
        if isinstance(ev, TokenDelta) and not as_json:
            click.echo(ev.text, nl=False)
        elif isinstance(ev, ChatResult):
            result = ev
    assert result is not None
    if as_json:
        echo_json(_result_json(result))
    else:
        click.echo()
        _footer(result)


def _result_json(result: ChatResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "model": result.model,
        "finish_reason": result.finish_reason,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "ttft_ms": round(result.timing.ttft_s * 1000, 1),
        "tokens_per_s": round(result.timing.tokens_per_s, 1),
    }


def _footer(result: ChatResult, extra: str = "") -> None:
    t = result.timing
    click.secho(
        f"[{result.model} · {result.usage.prompt_tokens}+{result.usage.completion_tokens} tokens · "
        f"TTFT {t.ttft_s * 1000:.0f} ms · {t.tokens_per_s:.1f} tok/s{extra}]",
        dim=True,
        err=True,
    )



def _render_prompt(
    eng: Engine, name: str, variables: tuple[str, ...], text: str, system_prompt: str | None
) -> tuple[list[Message], dict[str, str], dict[str, Any] | None]:
    from engine.prompts import call_context

    version = eng.prompts.get(name)
    values: dict[str, str] = {}
    for item in variables:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--var needs KEY=VALUE (got {item!r}).")
        values[key.strip()] = value
    missing = [v for v in version.prompt.variables if v not in values and v not in version.prompt.defaults]
    if text:
        if len(missing) != 1:
            raise click.UsageError(
                f"Prompt {version.name!r} has variables {', '.join(version.prompt.variables) or 'none'}; "
                "PROMPT text fills exactly one unset variable, so pass the others with --var."
            )
        values[missing[0]] = text
    msgs = version.prompt.render(values)
    if system_prompt:
        msgs = [Message("system", system_prompt)] + [m for m in msgs if m.role != "system"]
    return msgs, call_context(version), version.prompt.schema


def _structured(
    eng: Engine, msgs: list[Message], schema: dict[str, Any], params: GenerationParams, model: str | None,
    context: dict[str, Any], as_json: bool,
) -> None:
    out = eng.structured(msgs, schema, params, model=model, context=context)
    if as_json:
        echo_json({"data": out.data, **_result_json(out.result), "attempts": out.attempts})
    else:
        click.echo(json.dumps(out.data, indent=2, ensure_ascii=False))
        _footer(out.result)


def _with_tools(
    eng: Engine, msgs: list[Message], params: GenerationParams, model: str | None, context: dict[str, Any],
    as_json: bool, assume_yes: bool, max_steps: int | None,
) -> None:
    from engine.tools import ConfirmRequest, ToolCallFinished, ToolCallStarted, ToolLoopResult

    def confirm(req: ConfirmRequest) -> bool:
        args = json.dumps(req.arguments, ensure_ascii=False)
        if assume_yes:
            click.secho(f"  allowing {req.tool}({args}) (--yes)", fg="yellow", err=True)
            return True
        if sys.stdin is None or not sys.stdin.isatty():
            click.secho(f"  refused {req.tool}({args}): it has side effects; pass --yes to allow.", fg="yellow", err=True)
            return False
        return click.confirm(f"Allow {req.tool} to run with {args}? It has side effects", default=False, err=True)

    final: ToolLoopResult | None = None
    for ev in eng.run_tools(msgs, params, model=model, confirm=confirm, max_steps=max_steps, context=context):
        if isinstance(ev, ToolCallStarted) and not as_json:
            click.secho(f"→ {ev.call.name}({ev.call.arguments})", fg="cyan", err=True)
        elif isinstance(ev, ToolCallFinished) and not as_json:
            o = ev.outcome
            colour = "green" if o.ok else "yellow" if o.status == "offline" else "red"
            shown = o.content if len(o.content) <= 300 else o.content[:300] + "…"
            click.secho(f"  {o.status} in {o.duration_s * 1000:.0f} ms: {shown}", fg=colour, err=True)
            if o.status == "offline":
                click.secho("  There is no network: live data is unavailable.", fg="yellow", err=True)
        elif isinstance(ev, TokenDelta) and not as_json:
            click.echo(ev.text, nl=False)
        elif isinstance(ev, ToolLoopResult):
            final = ev
    assert final is not None
    if as_json:
        last = final.results[-1] if final.results else None
        echo_json(
            {
                "text": final.text,
                "model": last.model if last else "",
                "finish_reason": final.finish_reason,
                "mode": final.mode,
                "steps": final.steps,
                "tool_calls": [o.to_dict() for o in final.outcomes],
            }
        )
        return
    if final.mode == "native" and final.text:
        click.echo(final.text, nl=False)
    click.echo()
    if final.results:
        _footer(final.results[-1], f" · {final.steps} model calls, {len(final.outcomes)} tool calls")
