from __future__ import annotations

import pytest

from engine.errors import InvalidModelError
from engine.inference.template import ChatTemplate
from engine.types import Message


def test_chatml_fallback_renders() -> None:
    t = ChatTemplate(None)
    out = t.render([Message("system", "be brief"), Message("user", "hi")])
    assert out == "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert t.is_fallback


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ messages.__class__.__init__.__globals__ }}",
        "{% set x = messages.append({'role': 'user'}) %}{{ x }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_hostile_template_cannot_run_code(hostile: str) -> None:
    t = ChatTemplate(hostile)
    with pytest.raises(InvalidModelError):
        t.render([Message("user", "hi")])


def test_template_raise_exception_is_reported() -> None:
    t = ChatTemplate("{{ raise_exception('Conversation roles must alternate') }}")
    with pytest.raises(InvalidModelError, match="alternate"):
        t.render([Message("user", "hi")])


def test_broken_template_source() -> None:
    with pytest.raises(InvalidModelError, match="does not compile"):
        ChatTemplate("{% for x in %}")
