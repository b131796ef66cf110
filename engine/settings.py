"""Settings: one dataclass, stored as JSON in the home folder.

The home folder is ``$LAMPWRIGHT_HOME`` when set, else the platform's user data directory.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

SETTINGS_FILE = "settings.json"
BACKENDS = ("llamacpp", "openai", "ollama")


def default_home() -> Path:
    """``$LAMPWRIGHT_HOME`` or the platform's user data dir."""
    env = os.environ.get("LAMPWRIGHT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("Lampwright", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that work offline on a laptop."""

    home: Path = field(default_factory=default_home)
    #: model path, or a bundled model's name ("smollm2-135m-instruct", "gemma3-270m")
    model: str = "smollm2-135m-instruct"
    #: where generation runs: in-process llama.cpp, an OpenAI-compatible server, or Ollama
    backend: str = "llamacpp"
    backend_url: str = ""
    backend_api_key: str = ""
    n_ctx: int = 4096
    n_threads: int = 0  # 0 = half the cores for decoding, all but one for prompt batches
    n_batch: int = 512
    #: extra folders scanned for GGUF files (besides $home/models and the bundled models)
    model_dirs: tuple[str, ...] = ()
    #: default sampling for new conversations
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    #: empty: the model's own default (its chat template may add one)
    system_prompt: str = ""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"Unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}.")
        if self.n_ctx < 256:
            raise ConfigError(f"n_ctx must be at least 256 (got {self.n_ctx}).")
        if self.backend != "llamacpp" and not self.backend_url:
            raise ConfigError(f"The {self.backend} backend needs backend_url (e.g. http://127.0.0.1:8080/v1).")

    # ---- paths -------------------------------------------------------------------------------------
    @property
    def models_dir(self) -> Path:
        """Folder scanned for the user's GGUF files."""
        return self.home / "models"

    @property
    def libraries_dir(self) -> Path:
        """Folder holding one SQLite file per document library."""
        return self.home / "libraries"

    @property
    def adapters_dir(self) -> Path:
        """Folder holding LoRA adapters."""
        return self.home / "adapters"

    @property
    def conversations_db(self) -> Path:
        """SQLite file of chat conversations."""
        return self.home / "conversations.sqlite"

    @property
    def telemetry_db(self) -> Path:
        """DuckDB file of per-call telemetry."""
        return self.home / "telemetry.duckdb"

    def ensure_dirs(self) -> None:
        """Create the home folder layout."""
        for d in (self.home, self.models_dir, self.libraries_dir, self.adapters_dir):
            d.mkdir(parents=True, exist_ok=True)

    # ---- persistence -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """JSON-able dict, without ``home`` (the file lives in it)."""
        d = asdict(self)
        d.pop("home")
        d["model_dirs"] = list(self.model_dirs)
        return d

    def save(self) -> Path:
        """Write the settings file atomically."""
        self.ensure_dirs()
        path = self.home / SETTINGS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def updated(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (validated)."""
        return replace(self, **changes)

    @classmethod
    def load(cls, home: Path | None = None, **overrides: Any) -> Settings:
        """Read ``settings.json`` from the home folder (defaults when absent), then apply overrides."""
        home = Path(home) if home else default_home()
        data: dict[str, Any] = {}
        path = home / SETTINGS_FILE
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"Cannot read {path}: {exc}. Fix or delete the file to use defaults.") from exc
        known = {f.name for f in fields(cls)} - {"home"}
        clean = {k: v for k, v in data.items() if k in known}
        clean.update({k: v for k, v in overrides.items() if v is not None})
        if "model_dirs" in clean:
            clean["model_dirs"] = tuple(clean["model_dirs"])
        return cls(home=home, **clean)
