"""Server settings and the bearer token stored in the home folder."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ConfigError

log = logging.getLogger(__name__)

TOKEN_FILE = "server-token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerConfig:
    """How ``lampwright serve`` listens and what it accepts."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str = ""
    #: Host header values accepted besides loopback names and the bind address (DNS-rebinding defence)
    allowed_hosts: tuple[str, ...] = ()
    #: exact browser origins allowed by CORS (never "*"); none by default
    cors_origins: tuple[str, ...] = ()
    #: largest request body, in bytes (413 above it)
    max_body_bytes: int = 4 * 1024 * 1024
    #: requests that may wait behind the running one (429 beyond)
    max_queue: int = 16
    #: the model served when a request names none ("" = the engine's default)
    model: str = ""

    def __post_init__(self) -> None:
        if not self.token:
            raise ConfigError("The server needs a token; use load_or_create_token(home) or pass --token.")
        if len(self.token) < 8:
            raise ConfigError("The server token must be at least 8 characters long.")
        if "*" in self.cors_origins:
            raise ConfigError("A wildcard CORS origin would let any web page use the API; list exact origins.")
        if "*" in self.allowed_hosts:
            raise ConfigError("A wildcard Host allowlist disables the DNS-rebinding defence; list exact host names.")
        if self.max_body_bytes < 1024:
            raise ConfigError("max_body_bytes must be at least 1024.")
        if self.max_queue < 0:
            raise ConfigError("max_queue must not be negative.")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"Invalid port {self.port}.")

    def host_allowlist(self) -> frozenset[str]:
        """Lower-case host names (no port) a request's Host header may carry."""
        names = set(LOOPBACK_HOSTS) | {h.lower() for h in self.allowed_hosts}
        if self.host not in ("0.0.0.0", "::"):
            names.add(self.host.lower().strip("[]"))
        return frozenset(names)

    @property
    def url(self) -> str:
        """Base URL clients use."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def load_or_create_token(home: Path) -> str:
    """The token stored in ``home``; a new random one is generated (and stored, owner-only) on first start."""
    path = Path(home) / TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"Cannot read the server token {path} ({exc}). Fix its permissions or delete it.") from exc
    token = "lw-" + secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    log.info("Generated a new API token in %s", path)
    return token
