from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from engine.errors import ToolError
from engine.tools import ToolConfig, ToolRegistry, execute
from engine.tools.builtin import builtin_tools
from engine.tools.builtin.calculator import calculator, evaluate
from engine.tools.builtin.clock import convert_time, current_time, resolve_zone
from engine.tools.builtin.files import file_tools
from engine.tools.builtin.sql import sql_tools
from engine.tools.builtin.units import convert
from engine.types import ToolCall


def run(reg: ToolRegistry, name: str, **args):
    return execute(reg, ToolCall("c", name, json.dumps(args)), confirm=lambda r: True)


# ---- calculator ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "value"),
    [("0.17 * 2340", 397.8), ("17% of 2,340", 397.8), ("2^10", 1024), ("sqrt(16) + 3 x 2", 10), ("(1+2)*3 - 4/2", 7),
     ("-2 ** 2", -4), ("round(pi, 2)", 3.14), ("10 // 3 + 10 % 3", 4)],
)
def test_calculator_evaluates(expr, value):
    assert evaluate(expr) == pytest.approx(value)


@pytest.mark.parametrize(
    "expr",
    ["__import__('os').system('id')", "().__class__", "open('/etc/passwd')", "x + 1", "9 ** 99999", "factorial(5000)", "1/0", "lambda: 1", "[1,2]"],
)
def test_calculator_refuses_anything_but_arithmetic(expr):
    with pytest.raises(ToolError):
        evaluate(expr)


def test_calculator_tool_output():
    assert calculator(expression="0.17 * 2340") == "0.17 * 2340 = 397.8"


# ---- time and units ------------------------------------------------------------------------------
def test_time_zones_by_name_and_city():
    assert getattr(resolve_zone("Asia/Tokyo"), "key", "") == "Asia/Tokyo"
    assert getattr(resolve_zone("tokyo"), "key", "") == "Asia/Tokyo"
    assert getattr(resolve_zone("New York"), "key", "") == "America/New_York"
    with pytest.raises(ToolError, match="Unknown time zone"):
        resolve_zone("Atlantis")
    assert "(Asia/Tokyo, UTC+0900)" in current_time(timezone="Tokyo")
    out = convert_time(time="2025-01-15T09:00", from_timezone="Europe/London", to_timezone="Asia/Tokyo")
    assert out.startswith("2025-01-15 09:00 Europe/London = 2025-01-15 18:00 Asia/Tokyo")


def test_unit_conversion():
    assert convert(5, "miles", "km") == pytest.approx(8.04672)
    assert convert(100, "C", "F") == pytest.approx(212)
    assert convert(1, "gib", "mb") == pytest.approx(1073.741824)
    assert convert(2, "lbs", "kg") == pytest.approx(0.90718474)
    with pytest.raises(ToolError, match="different things"):
        convert(1, "kg", "km")
    with pytest.raises(ToolError, match="Unknown unit 'furlongz'"):
        convert(1, "furlongz", "km")


# ---- files ---------------------------------------------------------------------------------------
@pytest.fixture
def allowed(tmp_path: Path) -> tuple[ToolRegistry, Path, Path]:
    root = tmp_path / "allowed"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("the password is hunter2", encoding="utf-8")
    os.symlink(secret, root / "link.txt")
    os.symlink(tmp_path, root / "up")
    return ToolRegistry(file_tools([root])), root, secret


def test_read_file_inside_allowed_folder(allowed):
    reg, root, _ = allowed
    assert run(reg, "read_file", path="notes/todo.txt").content == "buy milk\n"
    assert run(reg, "read_file", path=str(root / "notes" / "todo.txt")).content == "buy milk\n"
    assert "todo.txt" in run(reg, "list_files", folder="notes").content


@pytest.mark.parametrize("path", ["../secret.txt", "notes/../../secret.txt", "link.txt", "up/secret.txt", "/etc/passwd"])
def test_read_file_refuses_traversal_and_symlink_escapes(allowed, path):
    reg, _, _ = allowed
    out = run(reg, "read_file", path=path)
    assert out.status == "error"
    assert "outside the folders the user allowed" in out.content
    assert "hunter2" not in out.content


def test_read_file_without_allowed_folders_says_so():
    reg = ToolRegistry(file_tools([]))
    assert "No folders are allowed" in run(reg, "read_file", path="x.txt").content


def test_write_file_is_a_side_effect_tool(allowed):
    reg, root, _ = allowed
    assert reg.require("write_file").side_effects and not reg.require("read_file").side_effects
    denied = execute(reg, ToolCall("c", "write_file", json.dumps({"path": "new.txt", "content": "hi"})))
    assert denied.status == "denied" and not (root / "new.txt").exists()
    assert run(reg, "write_file", path="new.txt", content="hi").ok
    assert (root / "new.txt").read_text() == "hi"
    assert "never overwrites" in run(reg, "write_file", path="new.txt", content="again").content
    assert run(reg, "write_file", path="../evil.txt", content="x").status == "error"


# ---- SQL -----------------------------------------------------------------------------------------
@pytest.fixture
def data(tmp_path: Path) -> tuple[ToolRegistry, Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "sales.csv").write_text("region,amount\nnorth,10\nsouth,25\nnorth,5\n", encoding="utf-8")
    con = duckdb.connect(str(folder / "shop.duckdb"))
    con.execute("CREATE TABLE customers(id INTEGER, name VARCHAR)")
    con.execute("INSERT INTO customers VALUES (1, 'Ada'), (2, 'Linus')")
    con.close()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS id, 'widget' AS product) TO '{folder / 'products.parquet'}' (FORMAT parquet)")
    con.close()
    (tmp_path / "private.csv").write_text("secret\nhunter2\n", encoding="utf-8")
    return ToolRegistry(sql_tools([folder])), folder


def test_sql_query_reads_csv_parquet_and_duckdb(data):
    reg, _ = data
    desc = reg.require("sql_query").description
    assert "sales(region VARCHAR, amount BIGINT)" in desc and "shop.customers" in desc and "products(" in desc
    out = run(reg, "sql_query", sql="SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region")
    assert out.ok and out.content.splitlines() == ["region | total", "north | 15", "south | 25"]
    assert "Linus" in run(reg, "sql_query", sql="SELECT name FROM shop.customers WHERE id = 2").content
    assert "widget" in run(reg, "sql_query", sql="SELECT product FROM products").content


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO shop.customers VALUES (3, 'Eve')",
        "DELETE FROM shop.customers",
        "DROP VIEW sales",
        "CREATE TABLE t AS SELECT 1",
        "COPY sales TO '/tmp/leak.csv'",
        "UPDATE shop.customers SET name = 'x'",
        "ATTACH '/tmp/other.duckdb' AS o",
        "SET enable_external_access = true",
        "SELECT 1; DELETE FROM shop.customers",
    ],
)
def test_sql_query_refuses_writes(data, sql):
    reg, folder = data
    out = run(reg, "sql_query", sql=sql)
    assert out.status == "error"
    assert "read-only" in out.content or "exactly one" in out.content
    con = duckdb.connect(str(folder / "shop.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM customers").fetchone() == (2,)
    con.close()


def test_sql_query_cannot_read_other_files(data, tmp_path: Path):
    reg, _ = data
    out = run(reg, "sql_query", sql=f"SELECT * FROM read_csv_auto('{tmp_path / 'private.csv'}')")
    assert out.status == "error" and "hunter2" not in out.content


def test_builtin_set_depends_on_config(tmp_path: Path):
    names = [t.name for t in builtin_tools(ToolConfig())]
    assert names == ["calculator", "current_time", "convert_time", "convert_units", "get_weather", "stock_quote"]
    (tmp_path / "d.csv").write_text("a\n1\n")
    cfg = ToolConfig(allowed_folders=(str(tmp_path),), data_files=(str(tmp_path / "d.csv"),))
    names = [t.name for t in builtin_tools(cfg)]
    assert {"read_file", "list_files", "write_file", "sql_query"} <= set(names)
    assert [t.name for t in builtin_tools(cfg) if t.side_effects] == ["write_file"]
