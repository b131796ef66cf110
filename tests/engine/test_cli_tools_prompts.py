"""CLI: ``chat --tools/--schema/--prompt`` and the ``prompts`` group, run through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main


@pytest.fixture
def run(lampwright_home: Path):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, ["--home", str(lampwright_home), *args], input=input, catch_exceptions=False)

    return invoke


def test_prompts_list_show_save_versions(run):
    out = run("prompts", "list")
    assert out.exit_code == 0 and "extract-invoice" in out.output and "JSON schema" in out.output
    out = run("prompts", "save", "greet", "--template", "Say hi to {{ who }}.")
    v1 = out.output.strip()
    assert out.exit_code == 0 and v1.startswith("greet@")
    v2 = run("prompts", "save", "greet", "--system", "Be brief.").output.strip()
    assert v2 != v1 and v1.split("@")[1] in v2  # "(from <v1>)"
    assert run("prompts", "save", "greet", "--system", "Be brief.").output.strip() == v2  # same content, same version
    versions = json.loads(run("prompts", "versions", "greet", "--json").output)
    assert [v["version"] for v in versions] == [v1.split("@")[1], v2.split()[0].split("@")[1]]
    shown = json.loads(run("prompts", "show", v1, "--json").output)
    assert shown["prompt"]["system"] == "" and shown["content_hash"].startswith(shown["version"])
    bad = run("prompts", "save", "new-one", "--system", "x")
    assert bad.exit_code != 0 and "give --template" in bad.output


def test_chat_prompt_requires_its_variables(run):
    out = run("chat", "--prompt", "translate", "--var", "language=German")
    assert out.exit_code == 2 and "needs a value for text" in out.output
    out = run("chat", "--prompt", "summarize", "--var", "bullets", "x")
    assert out.exit_code == 2 and "KEY=VALUE" in out.output


def test_unsupported_schema_is_a_clear_cli_error(run, tmp_path: Path):
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object", "patternProperties": {"^a": {"type": "string"}}}))
    out = run("chat", "hi", "--schema", str(schema))
    assert out.exit_code == 2 and "patternProperties" in out.output and "cannot enforce" in out.output


@pytest.mark.slow
def test_chat_schema_and_prompt_with_the_real_model(run, lampwright_home: Path, tmp_path: Path):
    schema = tmp_path / "invoice.schema.json"
    schema.write_text(json.dumps({
        "type": "object",
        "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}, "currency": {"enum": ["EUR", "USD"]}},
        "required": ["invoice_number", "total", "currency"], "additionalProperties": False,
    }))
    out = run("chat", "Extract the invoice fields", "--schema", str(schema), "--temperature", "0", "--max-tokens", "100",
              input="Invoice INV-77 from Bolt Ltd, total 1,250.00 USD.")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) == {"invoice_number", "total", "currency"} and data["currency"] in ("EUR", "USD")
    # a saved prompt with a schema; the call records prompt id and version in telemetry context
    out = run("chat", "--prompt", "sentiment", "It broke after one day.", "--json", "--temperature", "0", "--max-tokens", "20")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["data"]["sentiment"] in ("positive", "negative", "neutral")


@pytest.mark.slow
def test_chat_tools_json_reports_calls(run):
    out = run("chat", "What is 15% of 80?", "--tools", "--json", "--temperature", "0", "--max-tokens", "40", "--max-steps", "2")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["mode"] == "constrained" and body["steps"] >= 2
    for call in body["tool_calls"]:
        assert set(call) >= {"name", "arguments", "status", "result", "duration_ms"}
