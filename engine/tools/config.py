"""Tool settings, kept in ``$LAMPWRIGHT_HOME/tools.json`` (folders the user allowed, data files, APIs)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

CONFIG_FILE = "tools.json"


@dataclass(frozen=True)
class ToolConfig:
    """What the built-in tools may touch. Nothing is reachable unless the user lists it here.

    Attributes:
        allowed_folders: folders ``read_file`` may read from (and ``write_file`` may write to).
        data_files: CSV, Parquet or DuckDB files ``sql_query`` exposes as tables (folders: every such file).
        weather_geocode_url: geocoding endpoint (Open-Meteo format) used to find a city.
        weather_forecast_url: forecast endpoint (Open-Meteo format).
        stock_quote_url: quote endpoint; ``{symbol}`` is replaced (Stooq CSV format).
        http_timeout_s: timeout of one HTTP request.
        max_steps: default step limit of the tool loop.
    """

    allowed_folders: tuple[str, ...] = ()
    data_files: tuple[str, ...] = ()
    weather_geocode_url: str = "https://geocoding-api.open-meteo.com/v1/search"
    weather_forecast_url: str = "https://api.open-meteo.com/v1/forecast"
    stock_quote_url: str = "https://stooq.com/q/l/?s={symbol}&f=sd2t2ohlcv&h&e=csv"
    http_timeout_s: float = 8.0
    max_steps: int = 4

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1 (got {self.max_steps}).")
        if self.http_timeout_s <= 0:
            raise ConfigError(f"http_timeout_s must be positive (got {self.http_timeout_s}).")

    def updated(self, **changes: Any) -> ToolConfig:
        """A copy with ``changes`` applied."""
        for key in ("allowed_folders", "data_files"):
            if key in changes:
                changes[key] = tuple(str(p) for p in changes[key])
        return replace(self, **changes)

    @classmethod
    def load(cls, home: Path) -> ToolConfig:
        """Read ``tools.json`` in ``home`` (defaults when absent)."""
        path = Path(home) / CONFIG_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Cannot read {path}: {exc}. Fix or delete the file to use defaults.") from exc
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known}
        for key in ("allowed_folders", "data_files"):
            if key in clean:
                clean[key] = tuple(str(p) for p in clean[key])
        return cls(**clean)

    def save(self, home: Path) -> Path:
        """Write ``tools.json`` atomically."""
        Path(home).mkdir(parents=True, exist_ok=True)
        path = Path(home) / CONFIG_FILE
        data = asdict(self)
        data["allowed_folders"] = list(self.allowed_folders)
        data["data_files"] = list(self.data_files)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path
