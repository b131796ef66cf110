"""Tool calling and structured output: how often small local models call the right tool, correctly.

Each tool case is one request with the expected tool and arguments (``tools_cases.json``). The model
makes one decision (grammar-constrained JSON, the protocol of ``engine.tools.protocol``); the call is
then executed for real (a local HTTP server stands in for the weather/stock APIs, a temporary folder
for the user's files and a CSV for their data).

Rates, per model and prompt variant:
  valid_call_rate    decision is a well-formed call of a known tool with schema-valid arguments (or final_answer)
  right_tool_rate    the expected tool was chosen
  args_match_rate    right tool and arguments equivalent to the expected ones (expressions by value, zones
                     and units by meaning, SQL by result)
  task_success_rate  the executed call returned the expected data
  schema_valid_rate  structured-extraction output validates against its JSON schema
  field_accuracy     extracted fields equal to the expected ones

``--variant baseline`` shows tool summaries only; ``fewshot`` adds fuller descriptions and a worked
example per tool. ``--raw`` adds the same few-shot prompt decoded WITHOUT the grammar: the raw
library's output, for comparison (how often free decoding gives a valid call).
"""

from __future__ import annotations

import argparse
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.inference.base import collect  # noqa: E402
from engine.prompts.structured import generate_structured, validate  # noqa: E402
from engine.tools import ToolConfig, ToolRegistry, execute, protocol  # noqa: E402
from engine.tools.builtin import builtin_tools  # noqa: E402
from engine.tools.builtin.calculator import evaluate  # noqa: E402
from engine.tools.builtin.clock import resolve_zone  # noqa: E402
from engine.tools.builtin.units import _key as unit_key  # noqa: E402
from engine.tools.executor import validate_arguments  # noqa: E402
from engine.tools.loop import prepare_messages  # noqa: E402
from engine.types import GenerationParams, Message, ToolCall  # noqa: E402

CASES = json.loads((Path(__file__).parent / "tools_cases.json").read_text(encoding="utf-8"))
SYSTEM = "You are a helpful assistant."
CITIES = {"bangkok": (13.75, 100.5, "Thailand"), "london": (51.5, -0.12, "United Kingdom"), "cairo": (30.0, 31.2, "Egypt"),
          "oslo": (59.9, 10.7, "Norway"), "lima": (-12.0, -77.0, "Peru")}


# ---- a sandbox: files, data, and a local HTTP server for the web tools ------------------------------
class _API(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        from urllib.parse import parse_qs, urlsplit

        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/geo":
            c = CITIES.get(q.get("name", "").lower())
            body = {"results": [{"name": q["name"].title(), "latitude": c[0], "longitude": c[1], "country": c[2]}] if c else []}
            self._send("application/json", json.dumps(body))
        elif url.path == "/forecast":
            cur = {"time": "2025-05-01T14:00", "temperature_2m": 24.5, "relative_humidity_2m": 60, "wind_speed_10m": 8.0, "weather_code": 61}
            self._send("application/json", json.dumps({"current": cur, "current_units": {}}))
        elif url.path.startswith("/quote/"):
            sym = url.path.rsplit("/", 1)[1].upper()
            self._send("text/csv", f"Symbol,Date,Time,Open,High,Low,Close,Volume\n{sym},2025-05-01,22:00:00,100,110,95,105.5,1000\n")
        else:
            self.send_response(404)
            self.end_headers()

    def _send(self, ctype: str, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def sandbox(tmp: Path) -> tuple[ToolRegistry, http.server.ThreadingHTTPServer]:
    files = tmp / "files"
    (files / "notes").mkdir(parents=True)
    (files / "recipes").mkdir()
    (files / "notes" / "todo.txt").write_text("buy milk\ncall the bank\n")
    (files / "meeting.md").write_text("# Meeting\nWe agreed the budget for Q3.\n")
    (files / "recipes" / "pancakes.txt").write_text("200 g flour, 2 eggs, 300 ml milk\n")
    data = tmp / "data"
    data.mkdir()
    (data / "sales.csv").write_text("region,amount\nnorth,400\nsouth,150\nnorth,300\neast,200\nsouth,250\neast,150\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _API)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cfg = ToolConfig(
        allowed_folders=(str(files),), data_files=(str(data),), weather_geocode_url=f"{base}/geo",
        weather_forecast_url=f"{base}/forecast", stock_quote_url=f"{base}/quote/{{symbol}}",
    )
    tools = [t for t in builtin_tools(cfg) if not t.side_effects]
    return ToolRegistry(tools), server


# ---- matching ---------------------------------------------------------------------------------------
def arg_matches(name: str, got: Any, want: Any, reg: ToolRegistry) -> bool:
    try:
        if name == "expression":
            return abs(float(evaluate(str(got))) - float(evaluate(str(want)))) < 1e-6
        if name.endswith("timezone"):
            return getattr(resolve_zone(str(got)), "key", str(got)) == getattr(resolve_zone(str(want)), "key", str(want))
        if name.endswith("_unit"):
            return unit_key(str(got)) == unit_key(str(want))
        if name == "sql":
            def rows(q: str) -> str:
                return execute(reg, ToolCall("b", "sql_query", json.dumps({"sql": q}))).content.split("\n", 1)[-1]
            return rows(str(got)) == rows(str(want))
        if name in ("path", "folder"):
            return str(got).strip("./ ") == str(want).strip("./ ")
    except Exception:
        return False
    if isinstance(want, int | float) and not isinstance(want, bool):
        try:
            return abs(float(got) - float(want)) < 1e-6
        except (TypeError, ValueError):
            return False
    return str(got).strip().lower() == str(want).strip().lower()


def field_matches(got: Any, want: Any) -> bool:
    if isinstance(want, int | float):
        try:
            return abs(float(got) - float(want)) < 1e-6
        except (TypeError, ValueError):
            return False
    return str(got).strip().lower() == str(want).strip().lower()


# ---- runs ---------------------------------------------------------------------------------------------
def run_tools(backend: Any, reg: ToolRegistry, variant: str, limit: int, max_tokens: int) -> dict[str, Any]:
    raw = variant == "raw"
    fewshot = variant in ("fewshot", "raw")
    params = GenerationParams(temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.0)  # as the loop decides
    schema = protocol.call_schema(reg)
    valid = right = args_ok = success = 0
    latencies: list[float] = []
    cases = CASES["tool_cases"][:limit] if limit else CASES["tool_cases"]
    for case in cases:
        msgs = prepare_messages([Message("system", SYSTEM), Message("user", case["request"])], reg, native=False, fewshot=fewshot)
        t0 = time.perf_counter()
        fmt = None if raw else {"type": "json_object", "schema": schema}
        result = collect(backend.stream_chat(msgs, params, response_format=fmt))
        latencies.append(time.perf_counter() - t0)
        parsed = protocol.parse_constrained(result.text.strip())
        call = parsed.calls[0] if parsed.calls else None
        if parsed.error:
            continue
        if call is not None:
            tool = reg.get(call.name)
            args = json.loads(call.arguments)
            if tool is None or validate_arguments(tool, args):
                continue
        valid += 1
        if call is None or call.name != case["tool"]:
            continue
        right += 1
        if all(k in args and arg_matches(k, args[k], v, reg) for k, v in case["args"].items()):
            args_ok += 1
        out = execute(reg, call)
        if out.ok and case["result_has"].lower() in out.content.lower():
            success += 1
    n = len(cases)
    return {
        "cases": n,
        "valid_call_rate": round(valid / n, 3),
        "right_tool_rate": round(right / n, 3),
        "args_match_rate": round(args_ok / n, 3),
        "task_success_rate": round(success / n, 3),
        "median_latency_ms": round(statistics.median(latencies) * 1000, 1),
    }


def run_extraction(backend: Any, limit: int, max_tokens: int, raw: bool = False) -> dict[str, Any]:
    params = GenerationParams(temperature=0.0, max_tokens=max_tokens)  # greedy; no seed: keeps the prompt-prefix cache
    valid = fields = total_fields = 0
    latencies: list[float] = []
    cases = CASES["extraction_cases"][:limit] if limit else CASES["extraction_cases"]
    for case in cases:
        schema = CASES["schemas"][case["schema"]]
        msgs = [Message("system", "You extract data as JSON."), Message("user", f"Extract the fields from this text:\n{case['text']}")]
        t0 = time.perf_counter()
        data: Any = None
        if raw:  # the same instruction, decoded freely
            from engine.prompts.structured import schema_instruction

            msgs[0] = Message("system", f"You extract data as JSON.\n\n{schema_instruction(schema)}")
            text = collect(backend.stream_chat(msgs, params)).text
            try:
                data = json.loads(text.strip().removeprefix("```json").removesuffix("```").strip())
                ok = not validate(schema, data)
            except ValueError:
                ok = False
        else:
            try:
                data = generate_structured(backend.stream_chat, msgs, schema, params).data
                ok = True
            except Exception:
                ok = False
        latencies.append(time.perf_counter() - t0)
        valid += ok
        for k, want in case["expected"].items():
            total_fields += 1
            fields += bool(ok and isinstance(data, dict) and field_matches(data.get(k), want))
    n = len(cases)
    return {
        "cases": n,
        "schema_valid_rate": round(valid / n, 3),
        "field_accuracy": round(fields / max(1, total_fields), 3),
        "median_latency_ms": round(statistics.median(latencies) * 1000, 1),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lampwright bench tools", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--model", action="append", default=[], help="extra GGUF file (repeatable)")
    ap.add_argument("--models", default="smollm2-135m-instruct,gemma3-270m", help="bundled models to run ('' for none)")
    ap.add_argument("--variant", choices=["baseline", "fewshot", "both"], default="both")
    ap.add_argument("--raw", action="store_true", help="also decode without the grammar (raw llama.cpp output) for comparison")
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases of each suite (quick runs)")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--no-extraction", action="store_true", help="skip the structured-extraction suite")
    ap.add_argument("--no-tools", action="store_true", help="skip the tool-choice suite")
    args = ap.parse_args(argv)

    from engine.inference.llamacpp import LlamaCppBackend
    from engine.models import bundled_path

    models = [(m, bundled_path(m)) for m in args.models.split(",") if m] + [(Path(p).stem, Path(p)) for p in args.model]
    variants = ["baseline", "fewshot"] if args.variant == "both" else [args.variant]
    if args.raw:
        variants.append("raw")
    report: dict[str, Any] = {"tool_cases": len(CASES["tool_cases"]), "extraction_cases": len(CASES["extraction_cases"]), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        reg, server = sandbox(Path(tmp))
        try:
            for name, path in models:
                backend = LlamaCppBackend(path, n_ctx=4096, name=name)
                print(f"[bench tools] {name}: variants {', '.join(variants)}", file=sys.stderr, flush=True)
                try:
                    entry: dict[str, Any] = {}
                    if not args.no_tools:
                        entry["tools"] = {v: run_tools(backend, reg, v, args.limit, args.max_tokens) for v in variants}
                    if not args.no_extraction:
                        entry["extraction"] = {"constrained": run_extraction(backend, args.limit, 160)}
                        if args.raw:
                            entry["extraction"]["raw"] = run_extraction(backend, args.limit, 160, raw=True)
                    report["models"][name] = entry
                finally:
                    backend.close()
        finally:
            server.shutdown()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'model':<24} {'variant':<9} {'valid':>6} {'tool':>6} {'args':>6} {'task':>6} {'p50 ms':>8}")
    for name, entry in report["models"].items():
        for v, r in entry.get("tools", {}).items():
            print(f"{name:<24} {v:<9} {r['valid_call_rate']:>6.3f} {r['right_tool_rate']:>6.3f} {r['args_match_rate']:>6.3f} "
                  f"{r['task_success_rate']:>6.3f} {r['median_latency_ms']:>8.0f}")
    print(f"\n{'model':<24} {'decoding':<12} {'schema_valid':>12} {'fields':>7} {'p50 ms':>8}")
    for name, entry in report["models"].items():
        for v, r in entry.get("extraction", {}).items():
            print(f"{name:<24} {v:<12} {r['schema_valid_rate']:>12.3f} {r['field_accuracy']:>7.3f} {r['median_latency_ms']:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
