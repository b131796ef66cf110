"""Sparse retrieval with SQLite FTS5's BM25: persistent, incremental, nothing rebuilt per query.

We measured rank-bm25 (rebuilds its index in RAM, ~30 ms/query on SciFact), bm25s (fast, but its index
is rebuilt from the whole corpus on every change) and FTS5 (updated by triggers inside each document's
transaction). FTS5 is the only one of the three that is persistent and incremental, so it is the one we ship;
see tests/bench/bench_search.py for the figures.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the query's words, quoted, OR-ed (stopwords dropped when others remain)."""
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOPWORDS] or words
    seen: dict[str, None] = dict.fromkeys(kept)
    return " OR ".join(f'"{w}"' for w in seen)


def bm25_search(
    db: Any, query: str, k: int, *, allowed_sql: str = "", allowed_args: tuple[Any, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, BM25 scores, higher is better) of the best ``k`` chunks for ``query``.

    ``allowed_sql`` is an optional ``SELECT id FROM chunks ...`` restricting the candidates (filters).
    """
    match = fts_query(query)
    if not match:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    sql = "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts WHERE chunks_fts MATCH ?"
    args: tuple[Any, ...] = (match,)
    if allowed_sql:
        sql += f" AND rowid IN ({allowed_sql})"
        args += allowed_args
    sql += " ORDER BY s LIMIT ?"
    rows = db.execute(sql, (*args, k)).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    scores = np.fromiter((-r[1] for r in rows), dtype=np.float32, count=len(rows))
    return ids, scores
