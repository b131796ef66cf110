"""Document libraries: parsing, chunking, embedding, incremental ingestion and hybrid search.

Import :class:`Library` from :mod:`engine.retrieval.library`; this package's import is kept light
(no torch, no onnxruntime) so that the GUI and CLI start fast.
"""

from engine.retrieval.types import (
    SEARCH_MODES,
    DocumentInfo,
    FileEvent,
    IngestReport,
    LibraryInfo,
    SearchFilters,
    SearchHit,
)

__all__ = ["SEARCH_MODES", "DocumentInfo", "FileEvent", "IngestReport", "LibraryInfo", "SearchFilters", "SearchHit"]
