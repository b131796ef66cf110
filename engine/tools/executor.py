"""Run one tool call safely: arguments validated, confirmation for side effects, a timeout, a size cap.

Every failure the model caused (unknown tool, invalid JSON, wrong arguments) and every failure of
the tool itself becomes a :class:`ToolOutcome` whose ``content`` goes back to the model as the tool
result; nothing here raises for them.

Confirmation depends only on :attr:`Tool.side_effects`, which is set in code. Nothing a model
writes, nothing inside a tool result and nothing inside a document reaches that decision.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import NetworkUnavailableError, ToolError
from engine.jobs import CancelToken
from engine.tools.base import Tool
from engine.tools.registry import ToolRegistry
from engine.types import ToolCall

log = logging.getLogger(__name__)

#: outcome statuses
OK, ERROR, INVALID, UNKNOWN, TIMEOUT, DENIED, OFFLINE, CANCELLED = (
    "ok",
    "error",
    "invalid_arguments",
    "unknown_tool",
    "timeout",
    "denied",
    "offline",
    "cancelled",
)


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    """What a confirmation callback is shown before a side-effect tool runs."""

    tool: str
    description: str
    arguments: dict[str, Any]


#: returns True to allow the call; supplied by the caller (GUI dialog, CLI prompt, ``--yes``)
Confirm = Callable[[ConfirmRequest], bool]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of one tool call, as shown to the model and to the user."""

    call_id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    status: str
    content: str
    duration_s: float = 0.0
    truncated: bool = False
    confirmed: bool | None = None  # None: no confirmation was needed

    @property
    def ok(self) -> bool:
        """True when the tool ran and returned."""
        return self.status == OK

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (CLI JSON, telemetry, GUI)."""
        return {
            "id": self.call_id,
            "name": self.name,
            "arguments": self.arguments if self.arguments is not None else self.raw_arguments,
            "status": self.status,
            "result": self.content,
            "duration_ms": round(self.duration_s * 1000, 1),
            "truncated": self.truncated,
            "confirmed": self.confirmed,
        }


def result_text(value: Any) -> str:
    """A tool's return value as the text the model reads."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def cap(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text, False
    note = f"\n[... result truncated: {len(text) - limit:,} more characters not shown]"
    return text[: max(0, limit - len(note))] + note, True


def validate_arguments(tool: Tool, arguments: Any) -> list[str]:
    """Messages describing how ``arguments`` break the tool's schema (empty when valid)."""
    from jsonschema import Draft202012Validator

    if not isinstance(arguments, dict):
        return [f"arguments must be a JSON object, got {type(arguments).__name__}"]
    validator = Draft202012Validator(tool.parameters)
    errors = []
    for err in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path)
        errors.append(f"{where}: {err.message}" if where else err.message)
    return errors


def execute(
    registry: ToolRegistry,
    call: ToolCall,
    *,
    confirm: Confirm | None = None,
    cancel: CancelToken | None = None,
) -> ToolOutcome:
    """Run ``call`` and describe what happened; never raises for the model's or the tool's faults."""
    t0 = time.perf_counter()

    def done(status: str, content: str, args: dict[str, Any] | None = None, **kw: Any) -> ToolOutcome:
        return ToolOutcome(call.id, call.name, call.arguments, args, status, content, time.perf_counter() - t0, **kw)

    tool = registry.get(call.name)
    if tool is None:
        valid = ", ".join(registry.names) or "none"
        return done(UNKNOWN, f"Error: there is no tool named {call.name!r}. Valid tools: {valid}.")
    try:
        args = json.loads(call.arguments or "{}", strict=False)
    except ValueError as exc:
        return done(
            INVALID,
            f"Error: the arguments for {tool.name} are not valid JSON ({exc}). Send a JSON object "
            f"matching this schema: {json.dumps(tool.parameters)}",
        )
    problems = validate_arguments(tool, args)
    if problems:
        return done(
            INVALID,
            f"Error: invalid arguments for {tool.name}: {'; '.join(problems)}. "
            f"Expected a JSON object matching: {json.dumps(tool.parameters)}",
            args if isinstance(args, dict) else None,
        )
    confirmed: bool | None = None
    if tool.side_effects:
        confirmed = _ask(confirm, ConfirmRequest(tool.name, tool.description, dict(args)))
        if not confirmed:
            return done(
                DENIED,
                f"The user did not allow {tool.name} to run. Do not try it again; tell the user it was not done.",
                args,
                confirmed=False,
            )
    status, text = _run_with_timeout(tool, args, cancel)
    content, truncated = cap(text, tool.max_result_chars)
    return done(status, content, args, truncated=truncated, confirmed=confirmed)


def _ask(confirm: Confirm | None, request: ConfirmRequest) -> bool:
    if confirm is None:  # no one to ask: side effects are refused
        return False
    try:
        return confirm(request) is True
    except Exception:
        log.exception("confirmation callback failed; treating it as a refusal")
        return False


def _run_with_timeout(tool: Tool, args: dict[str, Any], cancel: CancelToken | None) -> tuple[str, str]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = tool.fn(**args)
        except BaseException as exc:  # contained: reported to the model
            box["error"] = exc

    # A daemon thread: Python cannot kill a thread, so a hung tool is abandoned (it keeps no lock).
    worker = threading.Thread(target=target, name=f"tool-{tool.name}", daemon=True)
    worker.start()
    deadline = time.monotonic() + tool.timeout_s
    while worker.is_alive():
        left = deadline - time.monotonic()
        if left <= 0:
            log.warning("tool %s timed out after %.1f s", tool.name, tool.timeout_s)
            return TIMEOUT, f"Error: {tool.name} did not finish within {tool.timeout_s:g} s and was abandoned."
        if cancel is not None and cancel.cancelled:
            return CANCELLED, f"{tool.name} was cancelled by the user."
        worker.join(min(left, 0.05))
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, NetworkUnavailableError):
            return OFFLINE, f"No network: {exc} Answer without live data and tell the user plainly that there is no network."
        if isinstance(exc, ToolError):
            return ERROR, f"Error: {exc}"
        log.warning("tool %s raised %s: %s", tool.name, type(exc).__name__, exc)
        return ERROR, f"Error: {tool.name} failed ({type(exc).__name__}: {exc})."
    return OK, result_text(box.get("value"))
