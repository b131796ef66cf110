"""The guard in front of every route: Host allowlist, origin check, bearer token, body size limit.

A plain ASGI middleware, so a rejected request never reaches FastAPI's body parsing:

* Host header not in the allowlist -> 400 (a DNS-rebinding page reaches 127.0.0.1 under its own name);
* ``Origin`` header present but not an allowed origin -> 403 (browsers are not clients unless listed);
* missing or wrong ``Authorization: Bearer`` token -> 401 (compared in constant time);
* body larger than the limit -> 413, from ``Content-Length`` up front or while a chunked body streams in.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: paths answered without a token (liveness only; they reveal nothing)
PUBLIC_PATHS = frozenset({"/health"})


class BodyTooLarge(HTTPException):
    """Raised inside ``receive`` when a streamed body passes the limit (FastAPI turns it into a 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large (limit {limit:,} bytes).")


async def _reject(send: Send, status: int, message: str, *, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": status}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


def host_name(host_header: str) -> str:
    """The host part of a Host header, lower case, without port or IPv6 brackets."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class Guard:
    """ASGI middleware enforcing the server's security rules."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allowed_hosts: frozenset[str],
        allowed_origins: frozenset[str],
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self._token = token.encode()
        self.allowed_hosts = allowed_hosts
        self.allowed_origins = allowed_origins
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on (with a size-limited ``receive``)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host", ""))
        if host not in self.allowed_hosts:
            log.warning("Rejected a request with Host %r (not in the allowlist)", headers.get("host"))
            await _reject(send, 400, "Invalid Host header. Add the name with --allow-host if it is yours.")
            return
        origin = headers.get("origin")
        if origin and origin not in self.allowed_origins:
            await _reject(send, 403, f"Origin {origin} is not allowed. Add it with --cors-origin if you trust it.")
            return
        if scope.get("method") == "OPTIONS" and origin:
            await self.app(scope, receive, send)  # CORS preflight for an allowed origin (no credentials sent)
            return
        if scope.get("path") not in PUBLIC_PATHS and not self._authorized(headers.get("authorization", "")):
            await _reject(
                send,
                401,
                "Missing or wrong API token. Send 'Authorization: Bearer <token>' (shown by `lampwright serve`).",
                headers=[(b"www-authenticate", b"Bearer")],
            )
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _reject(send, 413, f"Request body too large (limit {self.max_body_bytes:,} bytes).")
            return
        await self._call_limited(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self._token)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reject(send, 413, f"Request body too large (limit {self.max_body_bytes:,} bytes).")
