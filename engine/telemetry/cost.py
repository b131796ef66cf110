"""Estimated cost of a call, and the telemetry settings file (``$LAMPWRIGHT_HOME/telemetry.json``).

Three figures per call:

* ``cost_usd``: what the call cost. Remote APIs: token prices configured per backend (or per
  ``backend:model``). Local runs (llama.cpp, Ollama): the energy used, ``watts x latency``, at the
  configured price per kWh.
* ``energy_wh``: that energy estimate (0 for remote APIs).
* ``cloud_equiv_usd``: what the same tokens would cost on a reference cloud model, from a configurable
  price table, so a user can see what running locally saves.

The default prices are illustrative placeholders, not quotes: set your own in ``telemetry.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_FILE = "telemetry.json"
LOCAL_BACKENDS = frozenset({"llamacpp", "ollama", "sentence-transformers"})

#: USD per million (input, output) tokens; edit in telemetry.json
DEFAULT_REFERENCE_PRICES: dict[str, tuple[float, float]] = {
    "small-cloud-model": (0.15, 0.60),
    "large-cloud-model": (2.50, 10.00),
}


def _pair(value: Any, where: str) -> tuple[float, float]:
    try:
        a, b = value
        pair = (float(a), float(b))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} must be [input_price, output_price] in USD per million tokens.") from exc
    if pair[0] < 0 or pair[1] < 0:
        raise ConfigError(f"{where} must not be negative.")
    return pair


@dataclass(frozen=True)
class CostModel:
    """Prices used to estimate what each call cost."""

    #: "openai" or "openai:gpt-4o-mini" -> USD per million (input, output) tokens
    token_prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: average power drawn by the machine while generating locally
    local_watts: float = 30.0
    price_per_kwh: float = 0.30
    #: the cloud model the "cloud-equivalent" price refers to (a key of ``reference_prices``)
    reference_model: str = "small-cloud-model"
    reference_prices: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_REFERENCE_PRICES))

    def __post_init__(self) -> None:
        if self.local_watts < 0 or self.price_per_kwh < 0:
            raise ConfigError("local_watts and price_per_kwh must not be negative.")
        if self.reference_model and self.reference_model not in self.reference_prices:
            raise ConfigError(
                f"reference_model {self.reference_model!r} is not in reference_prices "
                f"({', '.join(self.reference_prices) or 'empty'})."
            )

    def estimate(
        self, backend: str, model: str, prompt_tokens: int, completion_tokens: int, latency_s: float
    ) -> tuple[float, float, float]:
        """(cost_usd, energy_wh, cloud_equiv_usd) of one call."""
        energy_wh = 0.0
        if backend in LOCAL_BACKENDS or not backend:
            energy_wh = self.local_watts * max(latency_s, 0.0) / 3600.0
            cost = energy_wh / 1000.0 * self.price_per_kwh
        else:
            price = self.token_prices.get(f"{backend}:{model}") or self.token_prices.get(backend) or (0.0, 0.0)
            cost = (prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6
        ref = self.reference_prices.get(self.reference_model, (0.0, 0.0))
        cloud = (prompt_tokens * ref[0] + completion_tokens * ref[1]) / 1e6
        return cost, energy_wh, cloud

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (the shape of the ``cost`` key in telemetry.json)."""
        return {
            "token_prices": {k: list(v) for k, v in self.token_prices.items()},
            "local_watts": self.local_watts,
            "price_per_kwh": self.price_per_kwh,
            "reference_model": self.reference_model,
            "reference_prices": {k: list(v) for k, v in self.reference_prices.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CostModel:
        """Build from the ``cost`` key of telemetry.json (missing keys keep their defaults)."""
        kwargs: dict[str, Any] = {}
        if "token_prices" in data:
            kwargs["token_prices"] = {k: _pair(v, f"token_prices[{k!r}]") for k, v in data["token_prices"].items()}
        if "reference_prices" in data:
            kwargs["reference_prices"] = {
                k: _pair(v, f"reference_prices[{k!r}]") for k, v in data["reference_prices"].items()
            }
        for key in ("local_watts", "price_per_kwh"):
            if key in data:
                kwargs[key] = float(data[key])
        if "reference_model" in data:
            kwargs["reference_model"] = str(data["reference_model"])
        return cls(**kwargs)


@dataclass(frozen=True)
class TelemetryConfig:
    """The telemetry settings file."""

    enabled: bool = True
    #: store messages and replies (needed to replay a call); off keeps only figures and ids
    store_content: bool = True
    cost: CostModel = field(default_factory=CostModel)

    @classmethod
    def load(cls, home: Path) -> TelemetryConfig:
        """Read ``telemetry.json`` from ``home``; defaults when absent, a warning and defaults when broken."""
        path = Path(home) / CONFIG_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                enabled=bool(data.get("enabled", True)),
                store_content=bool(data.get("store_content", True)),
                cost=CostModel.from_json(data.get("cost") or {}),
            )
        except (OSError, ValueError, ConfigError, AttributeError) as exc:
            log.warning("Ignoring %s (%s); using default telemetry settings. Fix or delete the file.", path, exc)
            return cls()

    def save(self, home: Path) -> Path:
        """Write ``telemetry.json`` into ``home``."""
        path = Path(home) / CONFIG_FILE
        data = {"enabled": self.enabled, "store_content": self.store_content, "cost": self.cost.to_json()}
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path
