"""Run the API with uvicorn: blocking (``lampwright serve``) or on a background thread (the GUI's switch)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from engine.core import Engine
from engine.errors import ConfigError
from engine.server.config import ServerConfig

log = logging.getLogger(__name__)


def _bind(config: ServerConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"Cannot listen on {config.host}:{config.port} ({exc.strerror}). Pick another port with --port."
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(engine: Engine, config: ServerConfig) -> Any:
    import uvicorn

    from engine.server.app import create_app

    uv_config = uvicorn.Config(
        create_app(engine, config),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        lifespan="on",
    )
    return uvicorn.Server(uv_config)


def serve(engine: Engine, config: ServerConfig, *, on_ready: Any = None) -> None:
    """Serve until interrupted (Ctrl+C). ``on_ready(url)`` is called once the socket accepts connections."""
    sock = _bind(config)
    port = sock.getsockname()[1]
    server = _server(engine, config)
    if on_ready is not None:
        threading.Thread(target=_announce, args=(server, config, port, on_ready), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _announce(server: Any, config: ServerConfig, port: int, on_ready: Any) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.02)
    if server.started:
        on_ready(_url(config, port))


def _url(config: ServerConfig, port: int) -> str:
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class ServerThread:
    """The API on a background thread of this process (for the GUI): start, stop, URL and token."""

    def __init__(self, engine: Engine, config: ServerConfig) -> None:
        self.engine = engine
        self.config = config
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 30.0) -> str:
        """Start serving; returns the base URL once the server accepts connections."""
        if self.running:
            return self.url
        self._sock = _bind(self.config)
        port = self._sock.getsockname()[1]
        self._server = _server(self.engine, self.config)
        sock = self._sock
        self._thread = threading.Thread(
            target=lambda: self._server.run(sockets=[sock]), name="lampwright-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigError("The API server did not start; see the log for details.")
            time.sleep(0.02)
        self.url = _url(self.config, port)
        log.info("API server listening on %s", self.url)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (running generations are cancelled when their clients drop)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None
        self.url = ""
