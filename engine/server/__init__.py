"""The local HTTP API: OpenAI- and Ollama-compatible routes over the engine, secure by default.

FastAPI and uvicorn are imported only by :mod:`engine.server.app` and :mod:`engine.server.runner`.
"""

from engine.server.config import ServerConfig, load_or_create_token

__all__ = ["ServerConfig", "load_or_create_token"]
