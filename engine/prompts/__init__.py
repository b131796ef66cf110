"""Prompt templates with content-hash versions, the prompt library, and structured (JSON) output."""

from __future__ import annotations

from engine.prompts.library import PromptLibrary, PromptVersion
from engine.prompts.template import Example, PromptTemplate

__all__ = ["Example", "PromptLibrary", "PromptTemplate", "PromptVersion", "call_context"]


def call_context(version: PromptVersion) -> dict[str, str]:
    """What each call records about its prompt (observers such as telemetry read these keys)."""
    return {"prompt_id": version.name, "prompt_version": version.version}
