from __future__ import annotations

import pytest

from engine.errors import NotFoundError
from engine.jobs import Progress


def test_sample_library_is_indexed_once(engine) -> None:
    seen: list[Progress] = []
    report = engine.ensure_sample_library(progress=seen.append)
    assert report is not None and report.indexed == 4 and report.failed == 0 and report.skipped == 0
    assert seen and seen[-1].done == seen[-1].total
    assert engine.libraries() == ["sample"]
    lib = engine.library("sample")
    hit = lib.search("how long is the notice period before the lease renews", k=1)[0]
    assert hit.path.endswith("harbour-street-lease.pdf") and hit.page == 2
    hit = lib.search("paid holiday days", k=1)[0]
    assert hit.path.endswith("staff-handbook.docx")
    assert engine.ensure_sample_library() is None  # second start: nothing to do


def test_missing_library_and_delete(engine, tmp_path) -> None:
    with pytest.raises(NotFoundError):
        engine.library("nope")
    (tmp_path / "a.txt").write_text("alpha beta gamma", encoding="utf-8")
    events = list(engine.ingest("scratch", [str(tmp_path / "a.txt")]))
    assert events[-1].indexed == 1
    engine.delete_library("scratch")
    assert "scratch" not in engine.libraries()
