"""``lampwright bench NAME``: run a benchmark from ``tests/bench/bench_NAME.py``.

Benchmarks live with the tests (they compare against peers and raw libraries); each module has a
``main(argv) -> int`` that prints a table, or JSON with ``--json``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from engine.cli import main

BENCH_DIR = Path(__file__).resolve().parents[2] / "tests" / "bench"


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(name: str, args: tuple[str, ...]) -> None:
    """Run benchmark NAME (generate, ingest, search, tools, serve ...); pass --help after NAME for its options."""
    path = BENCH_DIR / f"bench_{name}.py"
    if not path.exists():
        names = sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
        raise click.ClickException(f"No benchmark {name!r}. Available: {', '.join(names) or 'none'} (in {BENCH_DIR}).")
    spec = importlib.util.spec_from_file_location(f"lampwright_bench_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    raise SystemExit(module.main(list(args)))
