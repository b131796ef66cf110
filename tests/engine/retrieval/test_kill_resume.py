"""A real `lampwright ingest` process killed with SIGKILL mid-ingest, then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.retrieval.ingest import IngestOptions
from engine.retrieval.types import IngestReport

N_FILES = 120


def _indexed_count(db_path: Path) -> int:
    import apsw

    if not db_path.exists():
        return 0
    try:
        db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
        db.set_busy_timeout(2000)
        n = db.execute("SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone()[0]
        db.close()
        return int(n)
    except apsw.Error:
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_mid_ingest_then_resume(tmp_path: Path, lampwright_home: Path, minilm) -> None:
    from engine.retrieval.library import Library

    docs = tmp_path / "corpus"
    docs.mkdir()
    topics = ["rivers", "volcanoes", "glaciers", "deserts", "forests", "coral reefs"]
    for i in range(N_FILES):
        t = topics[i % len(topics)]
        (docs / f"doc{i:03d}.txt").write_text(
            f"Document {i} is about {t}. " + " ".join(f"Fact {j} about {t} number {i}." for j in range(30)),
            encoding="utf-8",
        )
    db_path = lampwright_home / "libraries" / "kill.sqlite"
    env = {**os.environ, "LAMPWRIGHT_HOME": str(lampwright_home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from engine.cli import main; main()", "ingest", str(docs), "--library", "kill",
         "--flush-chunks", "2", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    try:
        while _indexed_count(db_path) < 5:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "ingest made no progress"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = _indexed_count(db_path)
    assert 5 <= before < N_FILES, "the process finished before it could be killed"

    with Library(db_path, embedder=minilm) as lib:
        check = lib.integrity()
        assert check == {
            "integrity_check": "ok", "fts": "ok", "orphan_chunks": 0, "chunks_without_vector": 0,
            "vectors_without_chunk": 0, "chunk_count_mismatch": 0, "duplicate_paths": 0,
        }
        report = list(lib.ingest([docs], options=IngestOptions(isolate_parsing=False)))[-1]
        assert isinstance(report, IngestReport)
        assert report.unchanged >= before and report.indexed + report.unchanged == N_FILES
        assert report.failed == 0
        info = lib.info()
        assert info.documents == N_FILES and info.by_status == {"indexed": N_FILES}
        assert lib.integrity()["chunk_count_mismatch"] == 0
        hits = lib.search("Document 77 volcanoes", k=1, mode="bm25")
        assert hits and hits[0].path.endswith("doc077.txt")
