"""Serving and telemetry: Lampwright's API vs llama-cpp-python's own server, overhead, telemetry costs.

1. Throughput: concurrency 1, 4 and 8 against ``/v1/chat/completions`` (streamed, greedy, same prompts)
   on ``lampwright serve`` and ``python -m llama_cpp.server``, same GGUF, context and threads, run
   interleaved level by level: requests/s, completion tokens/s, p50/p95 latency, p50 TTFT; ratio
   Lampwright / llama_cpp.server of requests/s.
2. Server overhead at concurrency 1: HTTP (non-streamed) latency vs the in-process engine on the same
   model, calls interleaved; overhead = median HTTP / median in-process - 1.
3. Telemetry: time a call spends in the telemetry observer (p50/p95), rows/s of the appender vs
   single-row INSERTs, and dashboard queries over N synthetic rows (default 1,000,000).

    lampwright bench serve [--json] [--requests N] [--max-tokens N] [--rows N] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PROMPTS = [
    "Explain what a transformer is in two sentences.",
    "Write a short poem about the sea.",
    "List three uses of a hash table.",
    "What is the difference between a list and a tuple in Python?",
]
TOKEN = "bench-token-0123456789"
N_CTX = 2048


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], headers: dict[str, str], timeout: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/v1/models", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _start_lampwright(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"n_ctx": N_CTX}), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "LAMPWRIGHT_HOME": str(home)}
    cmd = [sys.executable, "-c", "from engine.cli import main; main()", "serve", "--port", str(port), "--token", TOKEN]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, proc, {"Authorization": f"Bearer {TOKEN}"})
    return proc, url


def _start_peer(model: Path) -> tuple[subprocess.Popen[bytes], str]:
    from engine.inference.llamacpp import default_threads

    threads, batch_threads = default_threads()  # the same thread counts Lampwright's backend uses
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", str(N_CTX), "--model_alias", "smollm2-135m-instruct", "--verbose", "False",
           # queue concurrent requests like Lampwright does (by default a new request interrupts the running one)
           "--interrupt_requests", "False", "--n_threads", str(threads), "--n_threads_batch", str(batch_threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, proc, {})
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _one(client: Any, url: str, prompt: str, max_tokens: int) -> dict[str, float]:
    body = {
        "model": "smollm2-135m-instruct",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "stream": True,
    }
    t0 = time.perf_counter()
    first = 0.0
    n = 0
    with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if data.get("choices") and data["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter()
                n += 1
    total = time.perf_counter() - t0
    return {"latency": total, "ttft": (first or time.perf_counter()) - t0, "tokens": n}


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _round(client: Any, url: str, concurrency: int, max_tokens: int, offset: int) -> tuple[float, list[dict[str, float]]]:
    """``concurrency`` requests at once; (wall time, per-request figures)."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        runs = list(pool.map(lambda i: _one(client, url, PROMPTS[(offset + i) % len(PROMPTS)], max_tokens), range(concurrency)))
    return time.perf_counter() - t0, runs


def _figures(wall: float, runs: list[dict[str, float]]) -> dict[str, float]:
    lat = [r["latency"] for r in runs]
    return {
        "requests": len(runs),
        "requests_per_s": round(len(runs) / wall, 3),
        "tokens_per_s": round(sum(r["tokens"] for r in runs) / wall, 1),
        "latency_p50_ms": round(statistics.median(lat) * 1000, 1),
        "latency_p95_ms": round(_pct(lat, 0.95) * 1000, 1),
        "ttft_p50_ms": round(statistics.median(r["ttft"] for r in runs) * 1000, 1),
        "completion_tokens": sum(r["tokens"] for r in runs),
    }


def bench_throughput(args: argparse.Namespace, model: Path, tmp: Path) -> dict[str, Any]:
    """Rounds of ``c`` simultaneous requests, alternating between the servers round by round.

    The machine is shared, so its speed drifts; alternating rounds (and who goes first) exposes both
    servers to the same drift. Throughput = requests / summed wall time of that server's rounds.
    """
    import httpx

    lw, lw_url = _start_lampwright(tmp / "home")
    peer = peer_url = None
    try:
        servers = [("lampwright", lw_url, {"Authorization": f"Bearer {TOKEN}"})]
        if not args.no_peer:
            peer, peer_url = _start_peer(model)
            servers.append(("llama_cpp_server", peer_url, {}))
        clients = {name: httpx.Client(headers=h, timeout=900) for name, _, h in servers}
        for name, url, _ in servers:  # warm up: first decode allocations, prompt cache
            for q in PROMPTS:
                _one(clients[name], url, q, 4)
        out: dict[str, Any] = {name: {} for name, _, _ in servers}
        out["ratio_requests_per_s"] = {}
        for c in args.concurrency:
            rounds = max(2, -(-args.requests // c))
            walls = {name: 0.0 for name, _, _ in servers}
            runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in servers}
            for r in range(rounds):
                order = servers if r % 2 == 0 else servers[::-1]
                for name, url, _ in order:
                    wall, got = _round(clients[name], url, c, args.max_tokens, r * c)
                    walls[name] += wall
                    runs[name].extend(got)
            for name, _, _ in servers:
                out[name][c] = _figures(walls[name], runs[name])
            if peer_url:
                ratio = out["lampwright"][c]["requests_per_s"] / out["llama_cpp_server"][c]["requests_per_s"]
                out["ratio_requests_per_s"][c] = round(ratio, 3)
        for cl in clients.values():
            cl.close()
        return out
    finally:
        _stop(lw)
        if peer is not None:
            _stop(peer)


def bench_overhead(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import httpx

    from engine.core import Engine
    from engine.settings import Settings
    from engine.types import GenerationParams, Message

    lw, url = _start_lampwright(tmp / "home-overhead")
    eng = Engine(Settings(home=tmp / "home-inproc", n_ctx=N_CTX))
    params = GenerationParams(temperature=0.0, max_tokens=args.max_tokens)
    inproc: list[float] = []
    http: list[float] = []
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=600) as client:
            eng.chat([Message("user", "hi")], GenerationParams(max_tokens=2))
            client.post(url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
            for i in range(args.requests * 2):
                prompt = PROMPTS[i % len(PROMPTS)]
                t0 = time.perf_counter()
                eng.chat([Message("user", prompt)], params)
                inproc.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                r = client.post(
                    url + "/v1/chat/completions",
                    json={"messages": [{"role": "user", "content": prompt}], "max_tokens": args.max_tokens, "temperature": 0.0},
                )
                r.raise_for_status()
                http.append(time.perf_counter() - t0)
    finally:
        eng.close()
        _stop(lw)
    a, b = statistics.median(inproc), statistics.median(http)
    return {
        "calls": len(http),
        "inprocess_p50_ms": round(a * 1000, 1),
        "http_p50_ms": round(b * 1000, 1),
        "overhead_pct": round((b / a - 1) * 100, 2),
    }


def bench_telemetry(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from engine.telemetry import CallRecord, Telemetry, new_call_id, utcnow
    from engine.telemetry.record import COLUMN_NAMES
    from engine.telemetry.schema import append_rows, open_db
    from engine.types import ChatResult, GenerationParams, Message, Timing, Usage

    out: dict[str, Any] = {}
    # 1. time on the call path: the observer builds the row and queues it
    tel = Telemetry(tmp / "observer.duckdb")
    result = ChatResult(Message("assistant", "A reply of a few words."), Usage(40, 32), Timing(0.05, 0.8, 32), "stop", "m")
    ctx = {
        "source": "api", "route": "/v1/chat/completions", "backend": "llamacpp", "model_path": "",
        "messages": [Message("system", "Be brief."), Message("user", PROMPTS[0])], "params": GenerationParams(seed=1),
        "started": time.perf_counter(),
    }
    times = []
    for _ in range(5000):
        t0 = time.perf_counter()
        tel.observe(result, None, dict(ctx))
        times.append(time.perf_counter() - t0)
    tel.close()
    out["observer_p50_ms"] = round(statistics.median(times) * 1000, 4)
    out["observer_p95_ms"] = round(_pct(times, 0.95) * 1000, 4)
    # 2. appender vs single-row INSERTs
    con = open_db(tmp / "append.duckdb")
    rows = [CallRecord(call_id=new_call_id(), ts=utcnow(), model="m", source="api").as_row() for _ in range(100_000)]
    t0 = time.perf_counter()
    append_rows(con, rows)
    out["appender_rows_per_s"] = round(len(rows) / (time.perf_counter() - t0))
    placeholders = ", ".join("?" for _ in COLUMN_NAMES)
    t0 = time.perf_counter()
    for r in rows[:1000]:
        con.execute(f"INSERT INTO calls VALUES ({placeholders})", list(r))
    out["single_insert_rows_per_s"] = round(1000 / (time.perf_counter() - t0))
    con.close()
    # 3. dashboard queries over synthetic rows
    path = tmp / "big.duckdb"
    con = open_db(path)
    con.execute(
        f"""
        INSERT INTO calls (call_id, ts, source, route, backend, model, adapter, prompt_id, prompt_version,
            prompt_tokens, completion_tokens, ttft_ms, latency_ms, tokens_per_s, status, cost_usd, energy_wh, cloud_equiv_usd)
        SELECT printf('%020d', i), TIMESTAMP '2026-01-01' + to_seconds(i * 2), ['gui','cli','api'][1 + i % 3],
            'chat', 'llamacpp', ['smollm2','gemma3','qwen'][1 + i % 3], ['', 'lora-a'][1 + i % 2], 'p', 'v' || (i % 4),
            20 + i % 50, 10 + i % 90, 30 + random() * 50, 300 + random() * 900, 20 + random() * 40,
            CASE WHEN i % 97 = 0 THEN 'error' ELSE 'ok' END, 1e-6, 0.005, 2e-5
        FROM range({args.rows}) t(i)
        """
    )
    con.close()
    big = Telemetry(path)
    timings: dict[str, list[float]] = {"summary": [], "summary_by_model_adapter_version": [], "series": [], "list_100": []}
    for _ in range(5):
        for name, fn in (
            ("summary", lambda: big.summary()),
            ("summary_by_model_adapter_version", lambda: big.summary(group_by=("model", "adapter", "prompt_version"))),
            ("series", lambda: big.series()),
            ("list_100", lambda: big.calls(limit=100)),
        ):
            t0 = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - t0)
    big.close()
    out["rows"] = args.rows
    out["queries_ms"] = {k: round(statistics.median(v) * 1000, 1) for k, v in timings.items()}
    # the same queries on an open connection (what a long-lived dashboard connection would pay)
    from engine.telemetry import queries as q

    con = open_db(path)
    raw: dict[str, list[float]] = {"summary": [], "summary_by_model_adapter_version": [], "series": []}
    for _ in range(5):
        for name, fn in (
            ("summary", lambda: q.summary(con)),
            ("summary_by_model_adapter_version", lambda: q.summary(con, group_by=("model", "adapter", "prompt_version"))),
            ("series", lambda: q.series(con)),
        ):
            t0 = time.perf_counter()
            fn()
            raw[name].append(time.perf_counter() - t0)
    con.close()
    out["queries_open_connection_ms"] = {k: round(statistics.median(v) * 1000, 1) for k, v in raw.items()}
    return out


def main(argv: list[str]) -> int:
    """Run the serving benchmark; JSON with --json, else a table."""
    p = argparse.ArgumentParser(prog="lampwright bench serve", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true")
    p.add_argument("--requests", type=int, default=8, help="requests per concurrency level (at least 2x the level)")
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 8])
    p.add_argument("--rows", type=int, default=1_000_000, help="synthetic telemetry rows for the query timings")
    p.add_argument("--no-peer", action="store_true", help="skip llama_cpp.server")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,overhead,telemetry")
    args = p.parse_args(argv)
    from engine.models import bundled_path

    model = bundled_path("smollm2-135m-instruct")
    skip = set(filter(None, args.skip.split(",")))
    report: dict[str, Any] = {"model": model.name, "max_tokens": args.max_tokens, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="lw-bench-serve-") as d:
        tmp = Path(d)
        if "throughput" not in skip:
            report["throughput"] = bench_throughput(args, model, tmp)
        if "overhead" not in skip:
            report["overhead"] = bench_overhead(args, tmp)
        if "telemetry" not in skip:
            report["telemetry"] = bench_telemetry(args, tmp)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    _table(report)
    return 0


def _table(report: dict[str, Any]) -> None:
    print(f"model {report['model']} · max_tokens {report['max_tokens']} · {report['cpus']} CPUs")
    th = report.get("throughput")
    if th:
        print(f"{'server':<18}{'conc':>5}{'req/s':>8}{'tok/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'TTFT p50':>10}")
        for name in ("lampwright", "llama_cpp_server"):
            for c, r in th[name].items():
                print(f"{name:<18}{c:>5}{r['requests_per_s']:>8}{r['tokens_per_s']:>8}{r['latency_p50_ms']:>9}"
                      f"{r['latency_p95_ms']:>9}{r['ttft_p50_ms']:>10}")
        for c, ratio in th["ratio_requests_per_s"].items():
            print(f"ratio lampwright/llama_cpp.server at concurrency {c}: {ratio:.3f}x")
    ov = report.get("overhead")
    if ov:
        print(f"server overhead at concurrency 1: {ov['overhead_pct']:+.2f}% "
              f"(in-process p50 {ov['inprocess_p50_ms']} ms, HTTP p50 {ov['http_p50_ms']} ms, {ov['calls']} calls)")
    te = report.get("telemetry")
    if te:
        print(f"telemetry per call: p50 {te['observer_p50_ms']} ms, p95 {te['observer_p95_ms']} ms")
        print(f"appender {te['appender_rows_per_s']:,} rows/s vs single INSERT {te['single_insert_rows_per_s']:,} rows/s")
        for k, v in te["queries_ms"].items():
            held = te["queries_open_connection_ms"].get(k)
            print(f"{k} over {te['rows']:,} rows: {v} ms" + (f" ({held} ms on an open connection)" if held else ""))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
