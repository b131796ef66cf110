"""Per-call telemetry: rows in a DuckDB file, one background writer, dashboard queries, a cost model.

Importing this package is cheap: DuckDB is imported by the writer thread and by queries, not here.
"""

from engine.telemetry.cost import CostModel, TelemetryConfig
from engine.telemetry.queries import CallFilter
from engine.telemetry.record import COLUMN_NAMES, CallRecord, new_call_id, record_from_call, utcnow
from engine.telemetry.service import Telemetry

__all__ = [
    "COLUMN_NAMES",
    "CallFilter",
    "CallRecord",
    "CostModel",
    "Telemetry",
    "TelemetryConfig",
    "new_call_id",
    "record_from_call",
    "utcnow",
]
