"""Start a real `lampwright serve` in a subprocess on 127.0.0.1 (random free port)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str
    token: str
    home: Path
    log: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)


def start_server(home: Path, *extra: str, token: str = TOKEN, timeout: float = 120.0) -> Served:
    """Start `lampwright serve` and wait for its READY line."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "LAMPWRIGHT_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    settings = home / "settings.json"
    if not settings.exists():
        settings.write_text('{"n_ctx": 2048}', encoding="utf-8")
    cmd = [sys.executable, "-c", "from engine.cli import main; main()", "serve", "--port", str(port), "--token", token, *extra]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    served = Served(proc, f"http://127.0.0.1:{port}", token, home)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            served.log.append(line)
            if line.startswith("READY "):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            served.stop()
            raise RuntimeError("lampwright serve did not start:\n" + "".join(served.log))
    return served
