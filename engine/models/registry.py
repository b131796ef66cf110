"""Model discovery: bundled models, ``$LAMPWRIGHT_HOME/models`` and user-added folders."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from engine.errors import LampwrightError, ModelNotFoundError
from engine.models.bundled import BUNDLED, bundled_path
from engine.models.gguf_meta import GGUFInfo, read_gguf_info
from engine.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model a user can pick: its name, file and where it was found."""

    name: str
    path: Path
    source: str  # "bundled" | "home" | "folder"

    def info(self) -> GGUFInfo:
        """Read (and validate) this model's GGUF metadata."""
        return cached_info(self.path)


_INFO_CACHE: dict[tuple[str, int, int], GGUFInfo] = {}


def cached_info(path: Path) -> GGUFInfo:
    """``read_gguf_info`` memoised on (path, size, mtime)."""
    try:
        st = path.stat()
    except OSError:
        return read_gguf_info(path)  # raises the clear not-found error
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _INFO_CACHE:
        _INFO_CACHE[key] = read_gguf_info(path)
    return _INFO_CACHE[key]


def list_models(settings: Settings) -> list[ModelEntry]:
    """Every model Lampwright can offer, bundled first."""
    out: list[ModelEntry] = []
    for m in BUNDLED:
        try:
            out.append(ModelEntry(m.name, bundled_path(m.name, assemble=False), "bundled"))
        except LampwrightError as exc:
            log.warning("%s", exc)
    folders = [(settings.models_dir, "home")] + [(Path(d).expanduser(), "folder") for d in settings.model_dirs]
    seen = {e.path.resolve() for e in out}
    for folder, source in folders:
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*.gguf")):
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append(ModelEntry(p.stem, p, source))
    return out


def resolve_model(settings: Settings, model: str | None = None) -> ModelEntry:
    """Turn a bundled name, a file name in the model folders, or a path into a model entry."""
    spec = model or settings.model
    if any(m.name == spec for m in BUNDLED):
        return ModelEntry(spec, bundled_path(spec), "bundled")
    p = Path(spec).expanduser()
    if p.suffix == ".gguf" or p.exists() or "/" in spec or "\\" in spec:
        if not p.exists():
            raise ModelNotFoundError(
                f"Model file not found: {p}. Check the path, or run `lampwright models list` to see "
                "the models Lampwright knows."
            )
        return ModelEntry(p.stem, p.resolve(), "folder")
    for entry in list_models(settings):
        if spec in (entry.name, entry.path.name):
            return entry
    names = ", ".join(e.name for e in list_models(settings))
    raise ModelNotFoundError(f"No model named {spec!r}. Available: {names}. Or pass a path to a .gguf file.")
