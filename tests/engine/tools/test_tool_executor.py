from __future__ import annotations

import json
import threading
import time

from engine.errors import ToolError
from engine.tools import ConfirmRequest, ToolRegistry, execute, tool
from engine.types import ToolCall

release = threading.Event()


@tool(timeout_s=0.5)
def hang(seconds: float) -> str:
    """Sleep (hangs)."""
    release.wait(seconds)
    return "woke"


@tool
def boom(message: str) -> str:
    """Raise."""
    raise RuntimeError(message)


@tool
def refuse() -> str:
    """Refuse politely."""
    raise ToolError("the vault is closed")


@tool(max_result_chars=1000)
def huge(megabytes: int) -> str:
    """Return a lot of text."""
    return "x" * (megabytes * 1024 * 1024)


@tool
def add(a: int, b: int = 1) -> int:
    """Add two integers."""
    return a + b


effects: list[str] = []


@tool(side_effects=True)
def delete_everything(folder: str) -> str:
    """Delete a folder."""
    effects.append(folder)
    return f"deleted {folder}"


REG = ToolRegistry([hang, boom, refuse, huge, add, delete_everything])


def call(name: str, args: object) -> ToolCall:
    return ToolCall("c1", name, args if isinstance(args, str) else json.dumps(args))


def test_hanging_tool_times_out_and_the_caller_is_free():
    t0 = time.perf_counter()
    out = execute(REG, call("hang", {"seconds": 30}))
    elapsed = time.perf_counter() - t0
    release.set()
    assert out.status == "timeout"
    assert "did not finish within 0.5 s" in out.content
    assert elapsed < 5


def test_exceptions_are_contained_and_reported():
    out = execute(REG, call("boom", {"message": "disk on fire"}))
    assert out.status == "error" and "RuntimeError: disk on fire" in out.content
    out = execute(REG, call("refuse", {}))
    assert out.status == "error" and out.content == "Error: the vault is closed"


def test_ten_megabyte_result_is_capped():
    out = execute(REG, call("huge", {"megabytes": 10}))
    assert out.ok and out.truncated
    assert len(out.content) <= 1000
    assert "more characters not shown" in out.content


def test_unknown_tool_gets_the_valid_names():
    out = execute(REG, call("rm_rf", {}))
    assert out.status == "unknown_tool"
    assert "rm_rf" in out.content
    for name in REG.names:
        assert name in out.content


def test_invalid_json_and_invalid_arguments_go_back_as_results():
    bad_json = execute(REG, call("add", '{"a": 1,'))
    assert bad_json.status == "invalid_arguments" and "not valid JSON" in bad_json.content
    assert '"required": ["a"]' in bad_json.content  # the schema is shown to the model
    wrong = execute(REG, call("add", {"a": "one", "c": 2}))
    assert wrong.status == "invalid_arguments"
    assert "'one' is not of type 'integer'" in wrong.content
    assert "Additional properties are not allowed" in wrong.content
    not_object = execute(REG, call("add", "[1, 2]"))
    assert not_object.status == "invalid_arguments"
    ok = execute(REG, call("add", {"a": 2}))
    assert ok.ok and ok.content == "3" and ok.arguments == {"a": 2}


def test_side_effect_tool_needs_confirmation():
    effects.clear()
    refused = execute(REG, call("delete_everything", {"folder": "/data"}))  # nobody to ask
    assert refused.status == "denied" and refused.confirmed is False and effects == []
    asked: list[ConfirmRequest] = []

    def no(req: ConfirmRequest) -> bool:
        asked.append(req)
        return False

    assert execute(REG, call("delete_everything", {"folder": "/data"}), confirm=no).status == "denied"
    assert asked[0].tool == "delete_everything" and asked[0].arguments == {"folder": "/data"}

    def broken(req: ConfirmRequest) -> bool:
        raise RuntimeError("dialog crashed")

    assert execute(REG, call("delete_everything", {"folder": "/data"}), confirm=broken).status == "denied"
    assert execute(REG, call("delete_everything", {"folder": "/data"}), confirm=lambda r: "yes").status == "denied"  # type: ignore[arg-type,return-value]
    assert effects == []
    yes = execute(REG, call("delete_everything", {"folder": "/data"}), confirm=lambda r: True)
    assert yes.ok and yes.confirmed is True and effects == ["/data"]
