"""A calculator that parses arithmetic with :mod:`ast` and evaluates only what it recognises (no eval)."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from engine.errors import ToolError
from engine.tools.base import tool

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": math.factorial,
}
_CONSTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
_MAX_EXPONENT = 10_000
_MAX_FACTORIAL = 1_000
_PERCENT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*of\s*", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalise(expression: str) -> str:
    """Accept everyday notation: ``2,340`` (thousands), ``x``/``×``/``÷``, ``^`` for powers, ``17% of``."""
    expr = _THOUSANDS.sub("", expression.strip())
    expr = expr.replace("×", "*").replace("÷", "/").replace("^", "**").replace("−", "-")
    expr = re.sub(r"(?<=\d)\s*[xX]\s*(?=\d)", "*", expr)
    expr = _PERCENT_OF.sub(lambda m: f"{m.group(1)}/100*", expr)
    expr = re.sub(r"(\d+(?:\.\d+)?)\s*%(?!\s*\d)", r"(\1/100)", expr)
    return expr.rstrip("=").strip()


def evaluate(expression: str) -> float | int:
    """Evaluate an arithmetic expression safely; :class:`ToolError` explains what is not allowed."""
    expr = normalise(expression)
    if not expr:
        raise ToolError("The expression is empty.")
    if len(expr) > 500:
        raise ToolError("The expression is too long (500 characters at most).")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"Cannot parse {expression!r} as arithmetic ({exc.msg}).") from exc
    try:
        return _eval(tree.body)
    except ZeroDivisionError as exc:
        raise ToolError("Division by zero.") from exc
    except (OverflowError, ValueError) as exc:
        raise ToolError(f"Cannot compute {expression!r}: {exc}.") from exc


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTS:
        return _CONSTS[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ToolError(f"Exponent {right} is too large.")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
        args = [_eval(a) for a in node.args]
        if node.func.id == "factorial" and args and args[0] > _MAX_FACTORIAL:
            raise ToolError(f"factorial({args[0]}) is too large.")
        return _FUNCS[node.func.id](*args)
    what = type(node).__name__
    if isinstance(node, ast.Name):
        what = f"the name {node.id!r}"
    allowed = ", ".join(sorted(_FUNCS))
    raise ToolError(f"Not allowed in a calculation: {what}. Use numbers, + - * / // % **, parentheses, pi, e and {allowed}.")


def format_number(value: float | int) -> str:
    """A readable number: integers without '.0', floats rounded to 10 significant digits."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    return str(value)


@tool(
    examples=[
        ("What is 15% of 80?", {"expression": "0.15 * 80"}),
        ("Multiply 32 by 18", {"expression": "32 * 18"}),
        ("What is the square root of 81?", {"expression": "sqrt(81)"}),
    ]
)
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the exact result.

    Use it for any arithmetic: sums, products, percentages, powers, square roots.

    Args:
        expression: the arithmetic, e.g. "0.17 * 2340" or "sqrt(2) ^ 3".
    """
    return f"{expression} = {format_number(evaluate(expression))}"
