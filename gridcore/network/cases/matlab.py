"""The MATLAB statements of MATPOWER case files, carried out by an arithmetic-only evaluator.

MATPOWER's distribution cases convert units after their tables (``mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD,
QD]) / 1e3;``, series impedances from ohms to per unit, a power factor), and some table entries are
expressions (``135/sqrt(3)``). Assignments to variables and to ``mpc`` table selections, and ``if`` blocks,
are carried out over numbers, variables, ``mpc`` tables, MATPOWER's named columns, + - * / ^ and a few
functions, by walking the parsed expression: nothing is imported or evaluated as code. Any other statement
(a loop, a call) is refused naming its line, never skipped.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

import numpy as np

from gridcore.errors import InputError

#: MATPOWER's named columns (idx_bus, idx_gen, idx_brch; 1-based) and bus types.
_MATPOWER_NAMES = {
    **dict(PQ=1, PV=2, REF=3, NONE=4),
    **dict(BUS_I=1, BUS_TYPE=2, PD=3, QD=4, GS=5, BS=6, BUS_AREA=7, VM=8, VA=9, BASE_KV=10, ZONE=11),
    **dict(VMAX=12, VMIN=13, GEN_BUS=1, PG=2, QG=3, QMAX=4, QMIN=5, VG=6, MBASE=7, GEN_STATUS=8, PMAX=9),
    **dict(PMIN=10, F_BUS=1, T_BUS=2, BR_R=3, BR_X=4, BR_B=5, RATE_A=6, RATE_B=7, RATE_C=8, TAP=9, SHIFT=10),
    **dict(BR_STATUS=11, ANGMIN=12, ANGMAX=13),
}
_FUNCTIONS = {
    name: getattr(np, alias)
    for name, alias in dict(
        sin="sin",
        cos="cos",
        tan="tan",
        asin="arcsin",
        acos="arccos",
        atan="arctan",
        sqrt="sqrt",
        abs="abs",
        exp="exp",
        log="log",
    ).items()
}
_SKIP = re.compile(r"^(function\b|define_constants$|mpc\.(version|baseMVA)\s*=|\[[\w\s,]*\]\s*=\s*idx_\w+$)")
_ASSIGN = re.compile(
    r"^(?:(?P<var>[A-Za-z]\w*)|mpc\.(?P<table>\w+)\s*\((?P<args>.*)\))\s*=(?!=)\s*(?P<expr>.+)$"
)


def _constant(text: str) -> float | None:
    """A constant arithmetic expression (``135/sqrt(3)``, ``Inf``) as a float, None if it is not one."""
    try:
        value = _eval_node(ast.parse(text.replace("^", "**"), mode="eval").body, {"pi": np.pi, "Inf": np.inf})
    except (SyntaxError, KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return float(value) if np.ndim(value) == 0 else None


def _run_statements(file: str, text: str, tables: dict[str, np.ndarray], base_mva: float) -> None:
    """Carry out the MATLAB statements after a case's tables (unit conversions); refuse any other code."""
    variables: dict[str, float] = {}
    blocks: list[bool | None] = []  # per open block: taken or not; None under a block not taken
    for number, stmt in _statement_lines(text):
        keyword = stmt.split(None, 1)[0]
        active = all(blocks)
        if keyword in ("if", "for", "while", "switch"):
            if not active:
                blocks.append(None)
            elif keyword != "if":
                raise InputError(
                    f"{file}: line {number}: cannot carry out a MATLAB {keyword} loop", row=number
                )
            else:
                blocks.append(bool(np.all(_evaluate(file, number, stmt[2:], variables, tables, base_mva))))
            continue
        if keyword == "else" and blocks:
            if blocks[-1] is not None:
                blocks[-1] = not blocks[-1]
            continue
        if keyword == "end" and blocks:
            blocks.pop()
            continue
        if not active or _SKIP.match(stmt):
            continue
        match = _ASSIGN.match(stmt)
        if match is None:
            raise InputError(
                f"{file}: line {number}: cannot carry out the MATLAB statement {stmt!r}; save the case "
                "without code (e.g. with MATPOWER's savecase) and try again",
                row=number,
            )
        value = _evaluate(file, number, match["expr"], variables, tables, base_mva)
        if match["var"]:
            variables[match["var"]] = value  # type: ignore[assignment]
            continue
        table = match["table"]
        if table not in tables:
            continue  # costs and other tables play no part in the power flow
        rows, cols = _selection(file, number, match["args"], variables, tables, base_mva)
        try:
            tables[table][rows, cols] = value  # type: ignore[index]
        except (IndexError, ValueError) as err:
            raise InputError(
                f"{file}: line {number}: cannot assign to mpc.{table}({match['args']}): {err}",
                field=f"mpc.{table}",
                row=number,
            ) from None


def _statement_lines(text: str) -> list[tuple[int, str]]:
    """Statements outside the data tables with the line they start on (comments and tables removed)."""

    def blank(m: re.Match[str]) -> str:
        return "\n" * m.group(0).count("\n")

    code = "\n".join(line.split("%", 1)[0] for line in text.splitlines())
    code = re.sub(r"mpc\.[\w.]+\s*=\s*(\[.*?\]|\{.*?\})\s*;", blank, code, flags=re.DOTALL)
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(code.splitlines(), start=1):
        if not pending:
            start = number
        if "..." in line:  # continued on the next line
            pending += line.split("...", 1)[0] + " "
            continue
        for stmt in (pending + line).split(";"):
            stmt = stmt.strip().strip(",").strip()
            if stmt:
                out.append((start, stmt))
        pending = ""
    return out


def _evaluate(
    file: str, number: int, expr: str, variables: dict, tables: dict[str, np.ndarray], base_mva: float
) -> np.ndarray | float:
    """Evaluate a MATLAB arithmetic expression over numbers, variables and ``mpc`` table selections."""
    refs: list[np.ndarray] = []

    def ref(m: re.Match[str]) -> str:
        table = m.group(1)
        if table not in tables:
            raise InputError(
                f"{file}: line {number}: mpc.{table} is not a table this reader knows",
                field=f"mpc.{table}",
                row=number,
            )
        rows, cols = _selection(file, number, m.group(2), variables, tables, base_mva)
        refs.append(np.array(tables[table][rows, cols], dtype=np.float64))
        return f"__ref{len(refs) - 1}"

    py = re.sub(r"mpc\.baseMVA", "__base", expr)
    py = _replace_refs(py, ref)
    py = py.replace(".*", "*").replace("./", "/").replace(".^", "**").replace("^", "**")
    names = {**_MATPOWER_NAMES, **variables, "__base": base_mva, "pi": np.pi, "Inf": np.inf, "inf": np.inf}
    names.update({f"__ref{i}": v for i, v in enumerate(refs)})
    try:
        return _eval_node(ast.parse(py.strip(), mode="eval").body, names)
    except (SyntaxError, KeyError, TypeError, ValueError, ArithmeticError) as err:
        raise InputError(
            f"{file}: line {number}: cannot evaluate {expr.strip()!r} ({err})", row=number
        ) from None


def _replace_refs(expr: str, ref: Callable[[re.Match[str]], str]) -> str:
    """Replace ``mpc.<table>(<args>)`` (arguments may hold brackets, not parentheses) by ``ref``'s name."""
    return re.sub(r"mpc\.(\w+)\s*\(([^()]*)\)", ref, expr)


def _selection(
    file: str, number: int, args: str, variables: dict, tables: dict[str, np.ndarray], base_mva: float
) -> tuple[object, object]:
    """Rows and columns of ``(rows, cols)`` in numpy form (MATLAB's 1-based indices, ``:`` and lists)."""
    depth, split = 0, -1
    for i, ch in enumerate(args):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            split = i
            break
    if split < 0:
        raise InputError(f"{file}: line {number}: expected (rows, columns) in ({args})", row=number)
    return tuple(
        _index(file, number, part.strip(), variables, tables, base_mva)
        for part in (args[:split], args[split + 1 :])
    )  # type: ignore[return-value]


def _index(
    file: str, number: int, part: str, variables: dict, tables: dict[str, np.ndarray], base_mva: float
) -> object:
    if part == ":":
        return slice(None)
    if part.startswith("[") and part.endswith("]"):
        items = [p for p in re.split(r"[\s,]+", part[1:-1].strip()) if p]
        return [int(_evaluate(file, number, p, variables, tables, base_mva)) - 1 for p in items]
    return int(_evaluate(file, number, part, variables, tables, base_mva)) - 1


def _eval_node(node: ast.AST, names: dict) -> np.ndarray | float:
    """Arithmetic only: numbers, names, + - * / **, unary minus and a few numpy functions."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval_node(node.operand, names)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_eval_node(node.left, names), _eval_node(node.right, names))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        return _FUNCTIONS[node.func.id](*[_eval_node(a, names) for a in node.args])
    raise InputError(f"unsupported expression {ast.unparse(node)!r}")


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
