from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from engine.core import Engine
from engine.errors import SchemaError, StructuredOutputError
from engine.prompts.structured import check_schema, generate_structured, grammar_schema, validate
from engine.types import ChatResult, GenerationParams, Message, Timing, TokenDelta, Usage

PARAMS = GenerationParams(temperature=0.0, max_tokens=160, seed=0)


class Person(BaseModel):
    name: str
    age: int


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, "patternProperties"),
        ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, "uniqueItems"),
        ({"not": {"type": "string"}}, "not"),
        ({"type": "object", "properties": {"p": {"$ref": "https://example.com/s.json"}}}, "$ref"),
        ({"type": "number", "minimum": 0.5}, "minimum"),
        ({"type": "object", "properties": {"a": {"type": "integer", "multipleOf": 3}}}, "multipleOf"),
    ],
)
def test_unsupported_schemas_get_a_clear_error(schema, keyword):
    with pytest.raises(SchemaError, match=f"'{keyword.replace('$', '[$]')}' at"):
        check_schema(schema)


def test_invalid_schema_and_pydantic_models():
    with pytest.raises(SchemaError, match="Not a valid JSON Schema"):
        check_schema({"type": "objekt"})
    schema = check_schema(Person)
    assert schema["required"] == ["name", "age"]
    # properties named like keywords are fine
    assert check_schema({"type": "object", "properties": {"not": {"type": "string"}, "if": {"type": "integer"}}})


def test_grammar_bounds_free_strings_only():
    s = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"enum": ["x"]}, "c": {"type": "string", "maxLength": 5}}}
    g = grammar_schema(s, 100)
    assert g["properties"]["a"]["maxLength"] == 100 and "maxLength" not in g["properties"]["b"]
    assert g["properties"]["c"]["maxLength"] == 5 and "maxLength" not in s["properties"]["a"]


class FixedTextBackend:
    """A backend that ignores the grammar (like an unconstrained remote model) and returns fixed text."""

    kind = "fixed"
    model_name = "fixed"
    context_length = 2048

    def __init__(self, text: str, finish: str = "stop") -> None:
        self.text, self.finish, self.calls = text, finish, 0

    def stream_chat(self, messages, params, *, response_format=None, tools=None, cancel=None) -> Iterator:
        self.calls += 1
        yield TokenDelta(self.text)
        yield ChatResult(Message("assistant", self.text), Usage(1, 1), Timing(), self.finish, "fixed")


def test_malformed_or_invalid_output_raises_structured_output_error():
    msgs = [Message("user", "Who?")]
    with pytest.raises(StructuredOutputError, match="not valid JSON"):
        generate_structured(FixedTextBackend('{"name": "Ada", "age": ').stream_chat, msgs, Person, PARAMS)
    with pytest.raises(StructuredOutputError, match="age: 'old' is not of type 'integer'"):
        generate_structured(FixedTextBackend('{"name": "Ada", "age": "old"}').stream_chat, msgs, Person, PARAMS)
    cut = FixedTextBackend('{"name": "Ad', finish="length")
    with pytest.raises(StructuredOutputError, match="raise max_tokens"):
        generate_structured(cut.stream_chat, msgs, Person, PARAMS)
    assert cut.calls == 3  # retried twice: more tokens, tighter bounds
    ok = generate_structured(FixedTextBackend('{"name": "Ada", "age": 36}').stream_chat, msgs, Person, PARAMS)
    assert ok.data == {"name": "Ada", "age": 36}


INVOICE = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total": {"type": "number"},
        "currency": {"enum": ["EUR", "USD", "GBP"]},
        "paid": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}, "required": ["name", "qty"]}, "maxItems": 3},
    },
    "required": ["invoice_number", "total", "currency", "paid", "items"],
    "additionalProperties": False,
}


@pytest.mark.slow
def test_real_model_output_validates_against_the_schema(engine: Engine):
    text = "Invoice INV-2024-017 from Acme GmbH. 2 x Widget, 1 x Gadget. Total due: 149.90 EUR. Status: unpaid."
    seen: list[dict] = []
    engine.observers.append(lambda r, e, ctx: seen.append(ctx))
    for schema in (INVOICE, Person):
        out = engine.structured([Message("user", f"Extract the fields as JSON:\n{text}")], schema, PARAMS)
        full = schema if isinstance(schema, dict) else Person.model_json_schema()
        assert validate(full, out.data) == []
        assert json.loads(out.text) == out.data
    assert seen and all(c["route"] == "structured" for c in seen)
