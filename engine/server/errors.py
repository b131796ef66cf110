"""Engine errors as HTTP answers (OpenAI's error shape; the Ollama routes use ``{"error": text}``)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from engine.errors import LampwrightError

#: error code -> HTTP status
STATUS = {
    "model_not_found": 404,
    "not_found": 404,
    "invalid_model": 400,
    "context_overflow": 400,
    "invalid_config": 400,
    "unsupported_schema": 400,
    "invalid_structured_output": 422,
    "backend_unavailable": 502,
    "cancelled": 499,
}


def status_of(exc: Exception) -> tuple[int, str]:
    """(HTTP status, error code) for an exception raised while handling a request."""
    if isinstance(exc, LampwrightError):
        return STATUS.get(exc.code, 500), exc.code
    return 400, "invalid_request_error"  # KeyError/TypeError/ValueError from a malformed body


def error_response(exc: Exception, *, ollama: bool = False) -> JSONResponse:
    """A JSON error reply for ``exc``."""
    status, code = status_of(exc)
    message = str(exc) if isinstance(exc, LampwrightError) else f"Malformed request: {exc!r}"
    if ollama:
        return JSONResponse({"error": message}, status_code=status)
    return JSONResponse({"error": {"message": message, "type": code, "code": code}}, status_code=status)


def busy_response(capacity: int, *, ollama: bool = False) -> JSONResponse:
    """429: the bounded queue is full."""
    message = f"The server is busy ({capacity} requests running or queued). Retry shortly."
    body: dict[str, object] = (
        {"error": message} if ollama else {"error": {"message": message, "type": "rate_limit_exceeded", "code": 429}}
    )
    return JSONResponse(body, status_code=429, headers={"Retry-After": "1"})
