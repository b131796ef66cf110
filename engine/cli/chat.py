"""``lampwright chat``: one prompt, a streamed reply."""

from __future__ import annotations

import click

from engine.cli import main
from engine.cli._common import echo_json, open_cli_engine, stdin_text
from engine.types import ChatResult, GenerationParams, Message, TokenDelta


@main.command()
@click.argument("prompt", nargs=-1, required=True)
@click.option("-m", "--model", help="Bundled model name or path to a .gguf file.")
@click.option("-s", "--system", "system_prompt", help="System prompt.")
@click.option("--max-tokens", type=int, default=None, help="Longest reply, in tokens.")
@click.option("--temperature", type=float, default=None)
@click.option("--top-p", type=float, default=None)
@click.option("--seed", type=int, default=None, help="Fixed seed for reproducible sampling.")
@click.option("-c", "--conversation", help="Continue (and store into) this conversation id.")
@click.option("--save", is_flag=True, help="Store this exchange as a new conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of streaming text.")
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
) -> None:
    """Send PROMPT to the model and stream the reply. Text piped on stdin is appended to PROMPT."""
    eng = open_cli_engine(ctx)
    text = " ".join(prompt)
    piped = stdin_text()
    if piped:
        text = f"{text}\n\n{piped}"
    base = eng.default_params()
    params = GenerationParams(
        temperature=base.temperature if temperature is None else temperature,
        top_p=base.top_p if top_p is None else top_p,
        max_tokens=base.max_tokens if max_tokens is None else max_tokens,
        seed=seed,
    )
    context = {"source": "cli", "route": "chat"}
    if conversation or save:
        if conversation:
            cid = eng.conversations.get(conversation).id
        else:
            cid = eng.conversations.create(
                system_prompt=system_prompt or eng.settings.system_prompt, params=params, model=model or ""
            ).id
        events = eng.send(cid, text, context=context)
    else:
        system = system_prompt or eng.settings.system_prompt
        msgs = ([Message("system", system)] if system else []) + [Message("user", text)]
        events = eng.stream_chat(msgs, params, model=model, context=context)
    result: ChatResult | None = None
    for ev in events:
        if isinstance(ev, TokenDelta) and not as_json:
            click.echo(ev.text, nl=False)
        elif isinstance(ev, ChatResult):
            result = ev
    assert result is not None
    if as_json:
        echo_json(
            {
                "text": result.text,
                "model": result.model,
                "finish_reason": result.finish_reason,
                "prompt_tokens": result.usage.prompt_tokens,
                "completion_tokens": result.usage.completion_tokens,
                "ttft_ms": round(result.timing.ttft_s * 1000, 1),
                "tokens_per_s": round(result.timing.tokens_per_s, 1),
            }
        )
    else:
        click.echo()
        t = result.timing
        click.secho(
            f"[{result.model} · {result.usage.prompt_tokens}+{result.usage.completion_tokens} tokens · "
            f"TTFT {t.ttft_s * 1000:.0f} ms · {t.tokens_per_s:.1f} tok/s]",
            dim=True,
            err=True,
        )
