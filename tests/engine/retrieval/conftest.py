from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # files.py (test file makers)


@pytest.fixture(scope="session")
def minilm():
    """The packaged MiniLM on the default runtime (ONNX Runtime; exported once into the cache)."""
    from engine.retrieval.embedder import open_embedder

    return open_embedder()


@pytest.fixture
def library(tmp_path: Path, minilm):
    from engine.retrieval.library import Library

    lib = Library(tmp_path / "libs" / "test.sqlite", embedder=minilm)
    yield lib
    lib.close()


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A small folder of real documents of every supported kind."""
    from files import make_docx, make_pdf

    d = tmp_path / "docs"
    d.mkdir()
    make_pdf(
        d / "lease.pdf",
        [
            ["Commercial lease agreement.", "The tenant pays rent monthly in advance."],
            ["Renewal terms: the lease renews for five years unless either party gives notice."],
        ],
    )
    make_docx(
        d / "handbook.docx",
        title="Staff handbook",
        sections=[("Holidays", ["Employees receive twenty-five days of paid holiday each year."]),
                  ("Expenses", ["Travel expenses are reimbursed within thirty days."])],
        table=[["Grade", "Allowance"], ["Junior", "40 EUR"], ["Senior", "60 EUR"]],
    )
    (d / "notes.md").write_text(
        "# Garden notes\n\nTomatoes need six hours of sun.\n\n## Watering\n\nWater the basil every morning.\n",
        encoding="utf-8",
    )
    (d / "page.html").write_text(
        "<html><head><title>Bread</title></head><body><nav>Home | About</nav><main><h1>Sourdough bread</h1>"
        "<p>A sourdough starter ferments flour and water for several days.</p></main>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    (d / "script.py").write_text("def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n")
    (d / "readme.txt").write_text("Lighthouses guide ships along rocky coasts at night.\n", encoding="utf-8")
    return d
