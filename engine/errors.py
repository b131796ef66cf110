"""User-facing errors: one subclass per failure a user can act on.

Every message says what happened and what to do next. Third-party exceptions are translated into
these at the adapter (``raise ModelLoadError(...) from exc``).
"""

from __future__ import annotations


class LampwrightError(Exception):
    """Base class of every error Lampwright shows to a user."""

    #: short machine-readable code, used by the CLI exit status and the HTTP API
    code = "error"


class ModelNotFoundError(LampwrightError):
    """The model file or name does not exist."""

    code = "model_not_found"


class InvalidModelError(LampwrightError):
    """The file is not a readable GGUF model (wrong format, truncated or malformed)."""

    code = "invalid_model"


class ModelLoadError(LampwrightError):
    """llama.cpp (or another runtime) failed to load a model file that looked valid."""

    code = "model_load_failed"


class ContextOverflowError(LampwrightError):
    """The prompt does not fit in the model's context window."""

    code = "context_overflow"


class BackendUnavailableError(LampwrightError):
    """A remote backend (OpenAI-compatible server, Ollama) cannot be reached."""

    code = "backend_unavailable"


class GenerationError(LampwrightError):
    """The backend failed while generating."""

    code = "generation_failed"


class CancelledError(LampwrightError):
    """A long operation was cancelled by the user."""

    code = "cancelled"


class ConfigError(LampwrightError):
    """A setting or argument is invalid."""

    code = "invalid_config"


class NotFoundError(LampwrightError):
    """A named object (conversation, library, prompt, call) does not exist."""

    code = "not_found"


class SchemaError(LampwrightError):
    """A JSON schema is invalid or uses features that constrained decoding cannot express."""

    code = "unsupported_schema"


class StructuredOutputError(LampwrightError):
    """The model's output did not validate against the requested JSON schema."""

    code = "invalid_structured_output"


class ToolError(LampwrightError):
    """A tool refused or failed its work (the message goes back to the model as the tool result)."""

    code = "tool_failed"


class NetworkUnavailableError(ToolError):
    """A tool needs the network and none is reachable (Lampwright works offline)."""

    code = "offline"


class TelemetryUnavailableError(LampwrightError):
    """The telemetry file cannot be opened (held by another process, or damaged)."""

    code = "telemetry_unavailable"

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        #: True when another process holds the file (retrying later helps)
        self.locked = locked


class MissingDependencyError(LampwrightError):
    """An optional package needed for this capability is not installed."""

    code = "missing_dependency"


class LibraryError(LampwrightError):
    """A document library cannot be opened or used as asked (newer schema, other embedding model ...)."""

    code = "library_error"
