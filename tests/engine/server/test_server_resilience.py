"""Telemetry under a running server: kill -9 and restart, and the file locked by another process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import duckdb
import httpx
import pytest
from serve_helpers import TOKEN, start_server

CHAT = {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def api_rows(path) -> int:
    for _ in range(100):  # the server may hold the file for a moment while it writes a batch
        try:
            con = duckdb.connect(str(path))
        except duckdb.IOException:
            time.sleep(0.1)
            continue
        try:
            return int(con.execute("SELECT count(*) FROM calls WHERE source = 'api'").fetchall()[0][0])
        finally:
            con.close()
    raise AssertionError("telemetry file stayed locked")


def wait_rows(path, n: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while (got := api_rows(path) if path.exists() else 0) < n and time.monotonic() < deadline:
        time.sleep(0.3)
    return got


@pytest.mark.slow
def test_kill_9_then_restart_keeps_flushed_rows(tmp_path):
    home = tmp_path / "home"
    served = start_server(home)
    db = home / "telemetry.duckdb"
    try:
        for _ in range(3):
            assert httpx.post(served.url + "/v1/chat/completions", headers=AUTH, json=CHAT, timeout=120).status_code == 200
        assert wait_rows(db, 3) == 3  # flushed in the background
    finally:
        served.stop(signal.SIGKILL)
    assert served.proc.returncode == -signal.SIGKILL
    again = start_server(home)
    try:
        assert api_rows(db) == 3  # the file opens and the earlier rows are intact
        assert httpx.post(again.url + "/v1/chat/completions", headers=AUTH, json=CHAT, timeout=120).status_code == 200
        assert wait_rows(db, 4) == 4
    finally:
        again.stop()


HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
con.close()
"""


@pytest.mark.slow
def test_locked_telemetry_file_does_not_break_serving(tmp_path):
    home = tmp_path / "home"
    served = start_server(home)
    db = home / "telemetry.duckdb"
    try:
        assert httpx.post(served.url + "/v1/chat/completions", headers=AUTH, json=CHAT, timeout=120).status_code == 200
        assert wait_rows(db, 1) == 1
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        try:
            for _ in range(3):  # calls keep working while telemetry cannot be written
                r = httpx.post(served.url + "/v1/chat/completions", headers=AUTH, json=CHAT, timeout=120)
                assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] is not None
            time.sleep(1.5)  # let the writer try (and fail) at least once
        finally:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(20)
        assert wait_rows(db, 4, timeout=60) == 4  # buffered rows land once the file is free
        assert served.proc.poll() is None
    finally:
        served.stop()
    assert any("in use by another process" in line for line in served.log)
