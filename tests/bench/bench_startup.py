"""Desktop start-up: time from launching `lampwright gui` to the window shown, and memory with the model loaded.

Each run starts `lampwright gui` in a fresh process on a fresh home with ``LAMPWRIGHT_STARTUP_PROBE``
set: the app writes ``time.time()`` when its window is shown and again when the bundled model is
loaded (with its resident memory from /proc), then quits. The launch time is taken here with
``time.time()`` just before the process starts, so both ends use the same wall clock.

Peers in the same run, interleaved: a bare PySide6 window (the floor any Qt app pays) and raw
llama-cpp-python loading the same GGUF with the same context size (the floor for the model's memory).

    lampwright bench startup [--json] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_STARTUP_S = 2.5

_BARE_QT = """
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.resize(1180, 760); w.show()
def shown():
    open(sys.argv[1], "w").write(json.dumps({"shown_at": time.time()}))
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""

_RAW_LLAMA = """
import json, sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), verbose=False)
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(json.dumps({"rss_kb": rss}))
"""


def _gui_command() -> list[str]:
    script = Path(sys.executable).with_name("lampwright")
    if script.exists():
        return [str(script), "gui"]
    exe = shutil.which("lampwright")
    return [exe, "gui"] if exe else [sys.executable, "-c", "from engine.cli import main; main()", "gui"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display here; set a real one to measure on a desktop
    return env


def _run_gui(timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lw-bench-startup-") as tmp:
        probe = Path(tmp) / "probe.json"
        env = _env(LAMPWRIGHT_HOME=str(Path(tmp) / "home"), LAMPWRIGHT_STARTUP_PROBE=str(probe))
        t0 = time.time()
        proc = subprocess.run(_gui_command(), env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not probe.exists():
            raise RuntimeError(f"lampwright gui failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        data = json.loads(probe.read_text())
    return {
        "startup_s": data["shown_at"] - t0,
        "model_ready_s": data.get("model_loaded_at", float("nan")) - t0,
        "rss_mb_shown": data.get("rss_kb_shown", 0) / 1024,
        "rss_mb_model": data.get("rss_kb_model", 0) / 1024,
        "torch_imported": bool(data.get("torch_imported_shown") or data.get("torch_imported_model")),
        "model": data.get("model", ""),
    }


def _run_bare_qt(timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="lw-bench-qt-") as tmp:
        probe = Path(tmp) / "probe.json"
        t0 = time.time()
        subprocess.run([sys.executable, "-c", _BARE_QT, str(probe)], env=_env(), check=True, timeout=timeout,
                       capture_output=True)
        return float(json.loads(probe.read_text())["shown_at"]) - t0


def _raw_llama_rss_mb(timeout: float) -> float:
    from engine.inference.llamacpp import LlamaCppBackend  # noqa: F401  (same llama_cpp install)
    from engine.models import bundled_path
    from engine.models.registry import cached_info
    from engine.settings import Settings

    path = bundled_path(Settings().model)
    n_ctx = min(Settings().n_ctx, cached_info(path).context_length or Settings().n_ctx)  # what the app uses
    out = subprocess.run([sys.executable, "-c", _RAW_LLAMA, str(path), str(n_ctx)], env=_env(), check=True,
                         capture_output=True, text=True, timeout=timeout)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["rss_kb"]) / 1024


def main(argv: list[str]) -> int:
    """Run the benchmark; print a table, or one JSON object with ``--json``."""
    ap = argparse.ArgumentParser(prog="lampwright bench startup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--runs", type=int, default=3, help="launches of each kind (medians are reported)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per launch")
    args = ap.parse_args(argv)

    gui: list[dict[str, Any]] = []
    bare: list[float] = []
    raw_rss: list[float] = []
    _run_bare_qt(args.timeout)  # warm the page cache for Qt's libraries, so run 1 is not a cold start
    for i in range(args.runs):
        steps = [lambda: gui.append(_run_gui(args.timeout)), lambda: bare.append(_run_bare_qt(args.timeout))]
        for step in steps if i % 2 == 0 else steps[::-1]:
            step()
        raw_rss.append(_raw_llama_rss_mb(args.timeout))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in gui)

    startup = med("startup_s")
    bare_s = statistics.median(bare)
    rss_model = med("rss_mb_model")
    raw_mb = statistics.median(raw_rss)
    result = {
        "runs": args.runs,
        "gui_startup_s": round(startup, 3),
        "gui_startup_max_s": round(max(r["startup_s"] for r in gui), 3),
        "bare_qt_startup_s": round(bare_s, 3),
        "startup_vs_bare_qt": round(startup / bare_s, 2) if bare_s else None,
        "model_ready_s": round(med("model_ready_s"), 3),
        "rss_mb_shown": round(med("rss_mb_shown"), 1),
        "rss_mb_model": round(rss_model, 1),
        "raw_llama_rss_mb": round(raw_mb, 1),
        "rss_vs_raw_llama": round(rss_model / raw_mb, 2) if raw_mb else None,
        "torch_imported": any(r["torch_imported"] for r in gui),
        "model": gui[0]["model"] if gui else "",
        "target_startup_s": TARGET_STARTUP_S,
        "meets_target": startup < TARGET_STARTUP_S,
        "qt_platform": _env()["QT_QPA_PLATFORM"],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [
        ("window shown after launch (median)", f"{result['gui_startup_s']:.2f} s",
         f"target < {TARGET_STARTUP_S} s; bare PySide6 window {result['bare_qt_startup_s']:.2f} s"),
        ("window shown, slowest run", f"{result['gui_startup_max_s']:.2f} s", ""),
        ("model loaded after launch", f"{result['model_ready_s']:.2f} s", result["model"]),
        ("resident memory, window shown", f"{result['rss_mb_shown']:.0f} MB", ""),
        ("resident memory, model loaded", f"{result['rss_mb_model']:.0f} MB",
         f"raw llama-cpp-python with the same model: {result['raw_llama_rss_mb']:.0f} MB"),
        ("torch imported", str(result["torch_imported"]), "must be False"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
