"""``lampwright serve``: the OpenAI- and Ollama-compatible API on 127.0.0.1, with a bearer token."""

from __future__ import annotations

import click

from engine.cli import main
from engine.cli._common import open_cli_engine


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 exposes it to the network).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option("--token", envvar="LAMPWRIGHT_API_TOKEN", help="API token (default: generated once and stored in the home).")
@click.option("-m", "--model", default="", help="Model served when a request names none (default: the configured one).")
@click.option("--allow-host", "allow_hosts", multiple=True, help="Extra Host header name to accept (repeatable).")
@click.option("--cors-origin", "cors_origins", multiple=True, help="Browser origin allowed to call the API (repeatable).")
@click.option("--max-body", type=int, default=4 * 1024 * 1024, show_default=True, help="Largest request body, bytes.")
@click.option("--max-queue", type=int, default=16, show_default=True, help="Requests waiting behind the running one.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    token: str | None,
    model: str,
    allow_hosts: tuple[str, ...],
    cors_origins: tuple[str, ...],
    max_body: int,
    max_queue: int,
) -> None:
    """Serve the engine over HTTP: /v1 (OpenAI), /api (Ollama) and /query. Every call is recorded in telemetry."""
    from engine.server.config import ServerConfig, load_or_create_token
    from engine.server.runner import serve as run

    eng = open_cli_engine(ctx)
    config = ServerConfig(
        host=host,
        port=port,
        token=token or load_or_create_token(eng.settings.home),
        allowed_hosts=allow_hosts,
        cors_origins=cors_origins,
        max_body_bytes=max_body,
        max_queue=max_queue,
        model=model,
    )
    if model:
        eng.resolve_model(model)  # fail now, not at the first request
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(f"Warning: listening on {host} makes the API reachable from other machines.", fg="yellow", err=True)

    def ready(url: str) -> None:
        click.echo(f"Lampwright API on {url}  (OpenAI: {url}/v1 · Ollama: {url})", err=True)
        click.echo(f"Token: {config.token}", err=True)
        click.echo(f"READY {url}", err=True)

    run(eng, config, on_ready=ready)
