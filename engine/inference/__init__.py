"""Inference backends behind one protocol."""

from engine.inference.base import Backend, collect, schema_of

__all__ = ["Backend", "collect", "open_backend", "schema_of"]


def open_backend(settings, model: str | None = None, *, lora_path=None) -> Backend:  # type: ignore[no-untyped-def]
    """Build the backend the settings ask for (lazy imports keep start-up light)."""
    if settings.backend == "openai":
        from engine.inference.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(settings.backend_url, model=model, api_key=settings.backend_api_key)
    if settings.backend == "ollama":
        from engine.inference.ollama import OllamaBackend

        return OllamaBackend(settings.backend_url, model=model, api_key=settings.backend_api_key)
    from engine.inference.llamacpp import LlamaCppBackend
    from engine.models.registry import resolve_model

    entry = resolve_model(settings, model)
    return LlamaCppBackend(
        entry.path,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        n_batch=settings.n_batch,
        lora_path=lora_path,
        name=entry.name,
    )
