"""The DuckDB telemetry sink and queries, on real DuckDB files (and a real second process holding the lock)."""

from __future__ import annotations

import csv
import json
import logging
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from engine.telemetry import (
    CallFilter,
    CallRecord,
    CostModel,
    Telemetry,
    TelemetryConfig,
    new_call_id,
    utcnow,
)


def rec(**kw) -> CallRecord:
    base = dict(
        call_id=new_call_id(),
        ts=utcnow(),
        source="cli",
        route="chat",
        backend="llamacpp",
        model="m1",
        prompt_tokens=10,
        completion_tokens=20,
        ttft_ms=50.0,
        latency_ms=500.0,
        tokens_per_s=40.0,
    )
    base.update(kw)
    return CallRecord(**base)


def count_rows(path: Path) -> int:
    con = duckdb.connect(str(path))
    try:
        return int(con.execute("SELECT count(*) FROM calls").fetchall()[0][0])
    finally:
        con.close()


@pytest.fixture
def tel(tmp_path: Path):
    t = Telemetry(tmp_path / "telemetry.duckdb", flush_interval=0.05)
    yield t
    t.close()


def test_rows_round_trip_with_costs(tel):
    ids = [rec(model="m1").call_id for _ in range(3)]
    for i, cid in enumerate(ids):
        tel.record(rec(call_id=cid, model="m1" if i < 2 else "m2", latency_ms=100.0 * (i + 1)))
    tel.record(rec(status="error", error="boom", error_code="generation_failed", completion_tokens=0))
    s = tel.summary(group_by=("model",))
    assert s["calls"] == 4 and s["errors"] == 1
    assert s["prompt_tokens"] == 40 and s["completion_tokens"] == 60
    assert s["latency_ms_p50"] == pytest.approx(200.0)
    # energy cost: 30 W for the call's latency at 0.30 per kWh (defaults)
    expected_energy = 30 * (0.1 + 0.2 + 0.3 + 0.5) / 3600
    assert s["energy_wh"] == pytest.approx(expected_energy, rel=1e-4)
    assert s["cost_usd"] == pytest.approx(expected_energy / 1000 * 0.30, rel=1e-3)
    assert s["cloud_equiv_usd"] > 0
    by_model = {g["model"]: g["calls"] for g in s["groups"]}
    assert by_model == {"m1": 3, "m2": 1}
    row = tel.call(ids[0][:14])
    assert row["call_id"] == ids[0] and row["latency_ms"] == 100.0


def test_remote_backend_uses_token_prices(tmp_path):
    cost = CostModel(token_prices={"openai": (1.0, 2.0)}, reference_prices={"ref": (10.0, 10.0)}, reference_model="ref")
    t = Telemetry(tmp_path / "t.duckdb", TelemetryConfig(cost=cost))
    t.record(rec(backend="openai", prompt_tokens=1_000_000, completion_tokens=500_000))
    row = t.calls()[0]
    full = t.call(row["call_id"])
    assert full["cost_usd"] == pytest.approx(1.0 + 1.0)
    assert full["energy_wh"] == 0
    assert full["cloud_equiv_usd"] == pytest.approx(15.0)
    t.close()


def test_config_file_is_read_and_broken_file_falls_back(tmp_path, caplog):
    TelemetryConfig(store_content=False, cost=CostModel(local_watts=60.0)).save(tmp_path)
    cfg = TelemetryConfig.load(tmp_path)
    assert cfg.store_content is False and cfg.cost.local_watts == 60.0
    (tmp_path / "telemetry.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert TelemetryConfig.load(tmp_path) == TelemetryConfig()
    assert "telemetry.json" in caplog.text


def test_series_buckets_and_filters(tel):
    now = utcnow()
    for h in range(5):
        tel.record(rec(ts=now - timedelta(hours=h), model="a", prompt_version="v1", latency_ms=100.0 + h))
        tel.record(rec(ts=now - timedelta(hours=h), model="b", adapter="lora1", latency_ms=300.0))
    bucket, rows = tel.series()
    assert bucket == "5 minutes"  # 4 hours in at most 60 buckets
    groups = {r["group"] for r in rows}
    assert groups == {"a · v1", "b · lora1"}
    assert sum(r["calls"] for r in rows) == 10
    bucket, rows = tel.series(CallFilter(model="a", since=now - timedelta(minutes=90)), bucket="1 hour")
    assert {r["group"] for r in rows} == {"a · v1"}
    assert sum(r["calls"] for r in rows) == 2
    assert tel.distinct("model") == ["a", "b"]


def test_export_csv_and_parquet(tel, tmp_path):
    for i in range(7):
        tel.record(rec(model=f"m{i % 2}"))
    n = tel.export(tmp_path / "out.csv", "csv", CallFilter(model="m0"))
    assert n == 4
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {r["model"] for r in rows} == {"m0"}
    assert tel.export(tmp_path / "out.parquet", "parquet") == 7
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path / 'out.parquet'}')").fetchall()[0][0] == 7


def test_record_never_blocks_and_is_batched(tel):
    t0 = time.perf_counter()
    for _ in range(5000):
        tel.record(rec())
    per_call = (time.perf_counter() - t0) / 5000
    assert tel.flush()
    assert tel.summary()["calls"] == 5000
    assert tel.sink.written == 5000
    # generous bound: only proves record() does no I/O per call (the benchmark measures it)
    assert per_call < 0.01


def test_nothing_lost_on_clean_close(tmp_path):
    path = tmp_path / "telemetry.duckdb"
    t = Telemetry(path, flush_interval=30.0)  # would not flush by itself during the test
    for _ in range(300):
        t.record(rec())
    t.close()
    assert count_rows(path) == 300


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS other (x INTEGER)")
print("held", flush=True)
sys.stdin.readline()
con.close()
"""


def hold_lock(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(20)


def test_locked_file_degrades_then_recovers(tmp_path, caplog):
    path = tmp_path / "telemetry.duckdb"
    t = Telemetry(path, flush_interval=0.05)
    t.record(rec())
    assert t.flush()
    holder = hold_lock(path)
    try:
        with caplog.at_level(logging.WARNING, logger="engine.telemetry"):
            for _ in range(10):
                t.record(rec())  # must not raise or block
            assert t.flush(timeout=5) is False
        assert "in use by another process" in caplog.text
        assert t.sink.pending == 10
    finally:
        release(holder)
    deadline = time.monotonic() + 60
    while not t.flush(timeout=5) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert t.sink.pending == 0
    t.close()
    assert count_rows(path) == 11


def test_locked_at_shutdown_spills_and_next_start_imports(tmp_path):
    path = tmp_path / "telemetry.duckdb"
    Telemetry(path).close()  # create the file
    holder = hold_lock(path)
    try:
        t = Telemetry(path, flush_interval=0.05)
        ids = [rec().call_id for _ in range(5)]
        for cid in ids:
            t.record(rec(call_id=cid))
        t.close()  # cannot write: spills to disk instead of losing the rows
        spill = path.with_name(path.name + ".pending.jsonl")
        assert len(spill.read_text().splitlines()) == 5
    finally:
        release(holder)
    t2 = Telemetry(path, flush_interval=0.05)
    assert t2.flush()
    assert not spill.exists()
    assert {r["call_id"] for r in t2.calls(limit=10)} == set(ids)
    t2.close()


def test_damaged_file_keeps_app_working(tmp_path, caplog):
    path = tmp_path / "telemetry.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    t = Telemetry(path, flush_interval=0.05)
    with caplog.at_level(logging.WARNING, logger="engine.telemetry"):
        t.record(rec())
        assert t.flush(timeout=5) is False
    assert "damaged" in caplog.text
    from engine.errors import TelemetryUnavailableError

    with pytest.raises(TelemetryUnavailableError):
        t.summary()
    t.close()
    assert path.with_name(path.name + ".pending.jsonl").exists()  # kept for when the file is replaced


def test_spill_file_round_trip_keeps_all_fields(tmp_path):
    r = rec(retrieval_library="docs", retrieval_k=5, retrieval_top_score=0.8, retrieval_rewritten=True, seed=42)
    back = CallRecord.from_json(json.loads(json.dumps(r.to_json())))
    assert back == r


def test_large_summaries_use_histogram_percentiles_within_one_percent(tmp_path):
    from engine.telemetry import queries
    from engine.telemetry.schema import open_db

    con = open_db(tmp_path / "big.duckdb")
    con.execute(
        """INSERT INTO calls (call_id, ts, model, status, latency_ms, ttft_ms)
           SELECT i::VARCHAR, TIMESTAMP '2026-01-01' + to_seconds(i), ['a', 'b'][1 + i % 2], 'ok',
                  100 + (i * 7919 % 5000), 10 + (i * 104729 % 900)
           FROM range(150000) t(i)"""
    )
    s = queries.summary(con, group_by=("model",))
    assert s["percentiles"] == "histogram" and s["calls"] == 150000
    exact = con.execute(
        "SELECT quantile_cont(latency_ms, [0.5, 0.95]), quantile_cont(ttft_ms, [0.5, 0.95]) FROM calls"
    ).fetchall()[0]
    assert s["latency_ms_p50"] == pytest.approx(exact[0][0], rel=0.01)
    assert s["latency_ms_p95"] == pytest.approx(exact[0][1], rel=0.01)
    assert s["ttft_ms_p50"] == pytest.approx(exact[1][0], rel=0.01)
    assert {g["model"] for g in s["groups"]} == {"a", "b"}
    assert all(g["latency_ms_p95"] > g["latency_ms_p50"] > 0 for g in s["groups"])
    con.close()
