"""What a recorded call needs to be replayed: exact model file, adapter, prompt version, messages, params, seed."""

from __future__ import annotations

import json
from typing import Any


def replay_spec(row: dict[str, Any]) -> dict[str, Any]:
    """What is needed to replay a call: exact model file, adapter, prompt version, messages, params, seed."""
    request = json.loads(row.get("request") or "{}")
    return {
        "call_id": row["call_id"],
        "time_utc": str(row["ts"]),
        "source": row["source"],
        "route": row["route"],
        "backend": row["backend"],
        "model": row["model"],
        "model_path": row["model_path"],
        "model_sha256": row["model_sha256"],
        "adapter": row["adapter"],
        "prompt_id": row["prompt_id"],
        "prompt_version": row["prompt_version"],
        "params": json.loads(row.get("params") or "{}"),
        "seed": row["seed"],
        "messages": json.loads(row.get("messages") or "[]"),
        "response_format": request.get("response_format"),
        "tools": request.get("tools"),
        "reply": row["reply"],
        "outcome": {
            k: row[k]
            for k in (
                "status",
                "error",
                "finish_reason",
                "prompt_tokens",
                "completion_tokens",
                "ttft_ms",
                "latency_ms",
                "tokens_per_s",
                "cost_usd",
                "energy_wh",
                "cloud_equiv_usd",
                "tool_names",
                "retrieval_library",
                "retrieval_k",
                "retrieval_top_score",
                "retrieval_rewritten",
            )
        },
    }
