"""Chat templates from GGUF files, rendered only inside Jinja's immutable sandbox.

A GGUF carries its chat template as Jinja source. A hostile file could try to reach Python internals
through it, so templates are compiled in :class:`ImmutableSandboxedEnvironment`: attribute access to
private/dunder names and mutation of objects are refused and surface as :class:`InvalidModelError`.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from engine.errors import InvalidModelError
from engine.types import Message

#: used when a GGUF has no template (ChatML, the most common format among small open models)
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _raise(message: str) -> None:
    raise ValueError(message)


@lru_cache(maxsize=16)
def _compile(source: str) -> Any:
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: _dt.datetime.now().strftime(fmt)
    env.filters["tojson"] = lambda v, indent=None, **_: json.dumps(v, indent=indent, ensure_ascii=False)
    try:
        return env.from_string(source)
    except TemplateError as exc:
        raise InvalidModelError(f"The model's chat template does not compile ({exc}).") from exc


class ChatTemplate:
    """A compiled, sandboxed chat template plus the special tokens it refers to."""

    def __init__(self, source: str | None, bos_token: str | None = None, eos_token: str | None = None) -> None:
        self.source = source or CHATML
        self.is_fallback = source is None
        self.bos_token = bos_token or ""
        self.eos_token = eos_token or ""
        self._template = _compile(self.source)

    @property
    def supports_tools(self) -> bool:
        """Whether the template itself renders a ``tools`` list (native tool calling)."""
        return "tools" in self.source

    def render(
        self,
        messages: Sequence[Message],
        *,
        add_generation_prompt: bool = True,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> str:
        """Render messages into the model's prompt text."""
        from jinja2 import TemplateError
        from jinja2.exceptions import SecurityError

        payload = [m.to_openai() for m in messages]
        for m in payload:  # templates index message['content'] as a string
            m["content"] = m.get("content") or ""
        try:
            return str(
                self._template.render(
                    messages=payload,
                    add_generation_prompt=add_generation_prompt,
                    bos_token=self.bos_token,
                    eos_token=self.eos_token,
                    tools=list(tools) if tools else None,
                )
            )
        except SecurityError as exc:
            raise InvalidModelError(
                f"The model's chat template tried an unsafe operation and was stopped ({exc}). "
                "The GGUF file may be malicious: do not use it."
            ) from exc
        except (TemplateError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise InvalidModelError(
                f"The model's chat template failed to render these messages ({exc}). Some templates "
                "require alternating user/assistant turns or refuse system messages."
            ) from exc
