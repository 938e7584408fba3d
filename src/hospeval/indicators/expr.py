"""A small, safe expression language for indicator filters and fields, compiled to Ibis.

Indicator files write filters and fields as Python-like expressions over the columns of a base table::

    discharge_disposition == '5' and risk_grade == 1
    cost_total / drg_mean_cost
    in_codelist(code, 'complications') and admission_condition == '4'

Only a whitelist of syntax is accepted (names, literals, arithmetic, comparisons, ``in`` with a literal
tuple, ``and`` / ``or`` / ``not`` and the functions in :data:`FUNCTIONS`); anything else raises
:class:`~hospeval.errors.SchemaError` naming the expression. Nothing is ever passed to ``eval``.

Examples
--------
>>> import ibis
>>> t = ibis.table({"los_days": "int32", "discharge_disposition": "string"}, name="stays")
>>> names(parse("los_days > 30 and discharge_disposition == '5'"))
{'discharge_disposition', 'los_days'}
>>> e = compile_expr("los_days * 2", t)
>>> e.type().is_integer()
True
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import cache

import ibis
import ibis.expr.types as ir

from hospeval.errors import SchemaError

CodelistLookup = Callable[[str], Mapping[int, tuple[str, ...]]]

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_CMPOPS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge}
FUNCTIONS = ("in_codelist", "startswith", "isnull", "notnull", "coalesce", "year", "month")


@cache
def parse(text: str) -> ast.expr:
    """Parse and validate an expression; raise :class:`SchemaError` on anything outside the whitelist."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise SchemaError(f"cannot parse expression {text!r}: {exc.msg}") from exc
    for node in ast.walk(tree):
        allowed = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
                   ast.Tuple, ast.List, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.In, ast.NotIn,
                   *_BINOPS, *_CMPOPS)
        if not isinstance(node, allowed):
            raise SchemaError(f"expression {text!r} uses unsupported syntax {type(node).__name__}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
            raise SchemaError(f"expression {text!r} calls an unknown function; allowed: {', '.join(FUNCTIONS)}")
    return tree


def names(tree: ast.expr) -> set[str]:
    """Column names an expression refers to (function names excluded)."""
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


def compile_expr(text: str, table: ir.Table, codelists: CodelistLookup | None = None) -> ir.Value:
    """Compile expression ``text`` against the columns of ``table``.

    Parameters
    ----------
    text
        The expression.
    table
        Ibis table whose columns the names refer to.
    codelists
        Function returning a code list as ``{prefix length: codes}`` (for ``in_codelist``).
    """
    return _Compiler(text, table, codelists).visit(parse(text))


class _Compiler:
    def __init__(self, text: str, table: ir.Table, codelists: CodelistLookup | None) -> None:
        self.text, self.table, self.codelists = text, table, codelists

    def fail(self, message: str) -> SchemaError:
        return SchemaError(f"expression {self.text!r}: {message}")

    def visit(self, node: ast.expr) -> ir.Value:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Name):
            if node.id not in self.table.columns:
                raise self.fail(f"unknown field {node.id!r}")
            return self.table[node.id]
        if isinstance(node, ast.Constant):
            return ibis.literal(node.value) if node.value is not None else ibis.null()
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            return ~operand if isinstance(node.op, ast.Not) else -operand
        if isinstance(node, ast.BoolOp):
            values = [self.visit(v) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"unsupported node {type(node).__name__}")

    def compare(self, node: ast.Compare) -> ir.Value:
        left, out = self.visit(node.left), None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right_node, ast.Tuple | ast.List):
                    raise self.fail("'in' needs a literal tuple, e.g. x in ('1', '4')")
                values = [self.literal(v) for v in right_node.elts]
                term = left.isin(values) if isinstance(op, ast.In) else ~left.isin(values)
                right = None
            else:
                right = self.visit(right_node)
                term = _CMPOPS[type(op)](left, right)
            out = term if out is None else (out & term)
            left = right if right is not None else left
        return out

    def literal(self, node: ast.expr) -> object:
        if not isinstance(node, ast.Constant):
            raise self.fail("'in' lists hold literals only")
        return node.value

    def call(self, node: ast.Call) -> ir.Value:
        name = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if name == "in_codelist":
            if len(args) != 2 or not isinstance(args[1], ast.Constant):
                raise self.fail("in_codelist(field, 'list_name')")
            if self.codelists is None:
                raise self.fail("no code lists available here")
            return codelist_match(self.visit(args[0]), self.codelists(args[1].value))
        if name == "startswith":
            if len(args) < 2:
                raise self.fail("startswith(field, 'A', 'B', ...)")
            field = self.visit(args[0])
            prefixes = [self.literal(a) for a in args[1:]]
            return codelist_match(field, _by_length(prefixes))
        if name in ("isnull", "notnull"):
            value = self.visit(args[0])
            return value.isnull() if name == "isnull" else value.notnull()
        if name == "coalesce":
            return ibis.coalesce(*[self.visit(a) for a in args])
        if name in ("year", "month"):
            value = self.visit(args[0])
            return value.year() if name == "year" else value.month()
        raise self.fail(f"unknown function {name}")


def _by_length(codes: list[object]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for code in codes:
        out.setdefault(len(str(code)), []).append(str(code))
    return {k: tuple(v) for k, v in out.items()}


def codelist_match(field: ir.StringValue, by_length: Mapping[int, tuple[str, ...]]) -> ir.BooleanValue:
    """Return True where ``field`` starts with one of the codes (a prefix match, one ``isin`` per code length).

    Codes are compared in upper case with spaces removed; ``T81.0`` matches ``T81.001``.
    """
    if not by_length:
        return ibis.literal(False)
    norm = field.upper().replace(" ", "")
    out = None
    for length, codes in sorted(by_length.items()):
        term = norm.substr(0, length).isin(list(codes))
        out = term if out is None else (out | term)
    return out.fill_null(False)
