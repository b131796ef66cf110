"""SHA-256 of model files, computed once and cached by (path, size, mtime) in the home folder.

A telemetry row names the exact model file by its hash, so a past answer can be replayed on the same
weights even after the file was renamed or replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_FILE = "model-hashes.json"


class HashCache:
    """Model file hashes, persisted as JSON (``{path: [size, mtime_ns, sha256]}``)."""

    def __init__(self, cache_path: Path) -> None:
        self.cache_path = cache_path
        self._lock = threading.Lock()
        self._data: dict[str, list[object]] | None = None

    def _load(self) -> dict[str, list[object]]:
        if self._data is None:
            try:
                self._data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def cached(self, path: str | Path) -> str | None:
        """The hash if it is known for the file as it is now (no hashing)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        with self._lock:
            entry = self._load().get(str(Path(path).resolve()))
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            return str(entry[2])
        return None

    def sha256(self, path: str | Path) -> str:
        """The file's SHA-256 (hex); '' when it cannot be read. Hashes at most once per file version."""
        hit = self.cached(path)
        if hit is not None:
            return hit
        p = Path(path).resolve()
        try:
            st = p.stat()
            digest = hashlib.sha256()
            with p.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            log.warning("Cannot hash model file %s: %s", p, exc)
            return ""
        value = digest.hexdigest()
        with self._lock:
            data = self._load()
            data[str(p)] = [st.st_size, st.st_mtime_ns, value]
            try:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.cache_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.replace(tmp, self.cache_path)
            except OSError as exc:
                log.warning("Cannot save the model hash cache %s: %s", self.cache_path, exc)
        return value
