"""Generation speed: raw llama-cpp-python vs Lampwright's engine path vs transformers (Step 1 path).

Same GGUF, same prompts, greedy decoding, runs interleaved; medians reported. ``engine_vs_raw`` is the
median of paired ratios (engine and raw run back to back on the same prompt). Throughput is
end-to-end (completion tokens / wall time of the call, prompt included) so all three paths are
measured the same way; decode-only rates are reported for the two llama.cpp paths as well.

    lampwright bench generate [--json] [--reps N] [--max-tokens N] [--no-hf]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

PROMPTS = [
    "Explain what a transformer is in two sentences.",
    "Write a short poem about the sea.",
    "List three uses of a hash table.",
    "What is the difference between a list and a tuple in Python?",
]
SYSTEM = "You are a helpful assistant."


def _raw_run(llm, prompt: str, max_tokens: int) -> dict[str, float]:
    t0 = time.perf_counter()
    first = last = 0.0
    n = 0
    for chunk in llm.create_chat_completion(
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        temperature=0.0, max_tokens=max_tokens, stream=True,
    ):
        delta = chunk["choices"][0]["delta"]
        if delta.get("content"):
            now = time.perf_counter()
            first = first or now
            last = now
            n += 1
    total = time.perf_counter() - t0
    # llama-cpp-python streams one chunk per generated token
    return {"tokens": n, "total": total, "ttft": first - t0, "decode_tok_s": (n - 1) / (last - first) if n > 1 and last > first else 0.0}


def _engine_run(backend, prompt: str, max_tokens: int) -> dict[str, float]:
    from engine.inference.base import collect
    from engine.types import GenerationParams, Message

    params = GenerationParams(temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.0)
    t0 = time.perf_counter()
    r = collect(backend.stream_chat([Message("system", SYSTEM), Message("user", prompt)], params))
    total = time.perf_counter() - t0
    return {"tokens": r.usage.completion_tokens, "total": total, "ttft": r.timing.ttft_s, "decode_tok_s": r.timing.tokens_per_s}


class _HF:
    def __init__(self, gguf_path: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(os.cpu_count() or 1)
        t0 = time.perf_counter()
        self.tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        self.model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        self.model.eval()
        self.load_s = time.perf_counter() - t0
        self.torch = torch

    def run(self, prompt: str, max_tokens: int) -> dict[str, float]:
        msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        ids = self.tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        t0 = time.perf_counter()
        with self.torch.inference_mode():
            out = self.model.generate(**ids, max_new_tokens=max_tokens, do_sample=False, pad_token_id=self.tok.eos_token_id)
        total = time.perf_counter() - t0
        n = int(out.shape[1] - ids["input_ids"].shape[1])
        return {"tokens": n, "total": total, "ttft": float("nan"), "decode_tok_s": float("nan")}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_rate(runs: list[dict[str, float]]) -> float:
    return statistics.median(r["tokens"] / r["total"] for r in runs if r["total"] > 0)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lampwright bench generate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--reps", type=int, default=3, help="runs per prompt and path")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--model", default="smollm2-135m-instruct", help="bundled model name or GGUF path")
    ap.add_argument("--no-hf", action="store_true", help="skip the transformers path")
    args = ap.parse_args(argv)

    from llama_cpp import Llama

    from engine.inference.llamacpp import LlamaCppBackend
    from engine.models import resolve_model
    from engine.settings import Settings

    path = resolve_model(Settings.load(), args.model).path
    from engine.inference.llamacpp import default_threads

    threads, threads_batch = default_threads()  # same threads for both llama.cpp paths
    rss0 = _rss_mb()
    raw = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads_batch, verbose=False)
    rss_raw = _rss_mb() - rss0
    rss1 = _rss_mb()
    backend = LlamaCppBackend(path, n_ctx=2048)
    rss_engine = _rss_mb() - rss1
    hf = None if args.no_hf else _HF(path)

    runs: dict[str, list[dict[str, float]]] = {"raw": [], "engine": [], "hf": []}
    for p in PROMPTS[:1]:  # warm-up
        _raw_run(raw, p, 8)
        _engine_run(backend, p, 8)
    # Interleaved, with raw and engine taking turns to go first, so that neither always runs right
    # after the transformers call (whose thread pool keeps the cores busy for a moment).
    for rep in range(args.reps):
        for i, p in enumerate(PROMPTS):
            pair = [("raw", lambda p=p: _raw_run(raw, p, args.max_tokens)),
                    ("engine", lambda p=p: _engine_run(backend, p, args.max_tokens))]
            for name, fn in pair if (rep + i) % 2 == 0 else pair[::-1]:
                runs[name].append(fn())
            if hf is not None:
                runs["hf"].append(hf.run(p, args.max_tokens))

    engine_tok_s = _median_rate(runs["engine"])
    raw_tok_s = _median_rate(runs["raw"])
    # raw and engine run back to back on the same prompt: the median of the paired ratios is far less
    # sensitive to load drift on a shared machine than the ratio of the two medians
    paired = statistics.median(
        (e["tokens"] / e["total"]) / (r["tokens"] / r["total"]) for e, r in zip(runs["engine"], runs["raw"], strict=True)
    )
    hf_tok_s = _median_rate(runs["hf"]) if runs["hf"] else None
    out = {
        "model": str(path.name),
        "prompts": len(PROMPTS),
        "reps": args.reps,
        "max_tokens": args.max_tokens,
        "threads": [threads, threads_batch],
        "engine_tok_s": round(engine_tok_s, 1),
        "raw_tok_s": round(raw_tok_s, 1),
        "hf_tok_s": round(hf_tok_s, 1) if hf_tok_s else None,
        "engine_vs_raw": round(paired, 3),
        "engine_vs_raw_of_medians": round(engine_tok_s / raw_tok_s, 3),
        "raw_vs_hf": round(raw_tok_s / hf_tok_s, 2) if hf_tok_s else None,
        "ttft_ms": round(statistics.median(r["ttft"] for r in runs["engine"]) * 1000, 1),
        "raw_ttft_ms": round(statistics.median(r["ttft"] for r in runs["raw"]) * 1000, 1),
        "engine_decode_tok_s": round(statistics.median(r["decode_tok_s"] for r in runs["engine"]), 1),
        "raw_decode_tok_s": round(statistics.median(r["decode_tok_s"] for r in runs["raw"]), 1),
        "engine_model_rss_mb": round(rss_engine, 1),
        "raw_model_rss_mb": round(rss_raw, 1),
        "hf_load_s": round(hf.load_s, 1) if hf else None,
        "process_rss_mb": round(_rss_mb(), 1),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{'path':<28}{'tok/s (e2e)':>12}{'decode tok/s':>14}{'TTFT ms':>10}")
        print(f"{'raw llama-cpp-python':<28}{out['raw_tok_s']:>12}{out['raw_decode_tok_s']:>14}{out['raw_ttft_ms']:>10}")
        print(f"{'lampwright engine':<28}{out['engine_tok_s']:>12}{out['engine_decode_tok_s']:>14}{out['ttft_ms']:>10}")
        if hf_tok_s:
            print(f"{'transformers (dequantized)':<28}{out['hf_tok_s']:>12}{'-':>14}{'-':>10}")
        print(json.dumps(out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
