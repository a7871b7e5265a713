"""MATPOWER case files (``.m``, format version 2): the power-flow tables, parsed and checked.

The tables ``baseMVA``, ``bus``, ``gen`` and ``branch`` are parsed as text with ``matpowercaseframes`` and
checked table by table (a bad row is named with its table, row and bus). The MATLAB statements after them
(unit conversions) are carried out by :mod:`~gridcore.network.cases.matlab`, and the checked tables are
converted to pandapower by :mod:`~gridcore.network.cases.conversion`. Generator cost data are not read
(power flow only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from gridcore.errors import InputError
from gridcore.network.cases.conversion import _to_pandapower
from gridcore.network.cases.matlab import _constant, _run_statements

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: MATPOWER columns each table needs (format version 2), in order.
_COLUMNS = {
    "bus": ("bus_i", "type", "Pd", "Qd", "Gs", "Bs", "area", "Vm", "Va", "baseKV", "zone", "Vmax", "Vmin"),
    "gen": ("bus", "Pg", "Qg", "Qmax", "Qmin", "Vg", "mBase", "status", "Pmax", "Pmin"),
    "branch": ("fbus", "tbus", "r", "x", "b", "rateA", "rateB", "rateC", "ratio", "angle", "status"),
}
_BUS_TYPES = {1, 2, 3, 4}


def read_matpower(path: str | Path) -> pandapowerNet:
    """Read a MATPOWER case file (``.m``, format version 2) into pandapower.

    Parameters
    ----------
    path : str or Path
        The case file.

    Returns
    -------
    pandapowerNet
        Bus index = MATPOWER bus number; lines, transformers and impedances carry ``case_branch`` (row in
        ``mpc.branch``, from 1) and transformers ``case_from_bus`` (the ``fbus`` of their row). Generator
        cost data are not read (power flow only).

    Raises
    ------
    ValueError
        Naming the table, row and field of the first problem found.
    """
    case = matpower_tables(path)
    return _to_pandapower(case.bus, case.gen, case.branch, case.base_mva, case.bus_names)


class MatpowerCase(NamedTuple):
    """The power-flow tables of a MATPOWER case, as MATPOWER sees them after loading the file."""

    base_mva: float
    bus: np.ndarray
    gen: np.ndarray
    branch: np.ndarray
    bus_names: list | None


def matpower_tables(path: str | Path) -> MatpowerCase:
    """Parse and check a MATPOWER case file's ``baseMVA``, ``bus``, ``gen`` and ``branch`` tables.

    The unit conversions MATPOWER's distribution cases make after their tables (``mpc.bus(:, [PD, QD]) =
    mpc.bus(:, [PD, QD]) / 1e3;``, series impedances from ohms to per unit, a power factor) are carried out;
    any other MATLAB statement is refused, never skipped.

    Parameters
    ----------
    path : str or Path
        The case file.

    Returns
    -------
    MatpowerCase
        ``base_mva`` [MVA]; ``bus``, ``gen``, ``branch`` as float arrays in MATPOWER's column order and units
        (MW, MVAr, p.u., degrees); ``bus_names`` when the file has ``mpc.bus_name``.

    Raises
    ------
    ValueError
        Naming the table, row and field (or the line of a MATLAB statement) at fault.
    """
    from matpowercaseframes.reader import parse_file

    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: not a text file ({err})") from None
    tables: dict[str, np.ndarray] = {}
    for name, columns in _COLUMNS.items():
        rows = parse_file(name, text)
        if not rows:
            raise InputError(
                f"{path.name}: no mpc.{name} table found; a MATPOWER case defines "
                f"mpc.{name} = [ ... ]; (is this a MATPOWER case file?)",
                field=f"mpc.{name}",
            )
        tables[name] = _numeric_table(path.name, name, rows, columns)
    base_mva = _base_mva(path.name, parse_file("baseMVA", text))
    _run_statements(path.name, text, tables, base_mva)
    bus, gen, branch = _checked(path.name, tables["bus"], tables["gen"], tables["branch"])
    return MatpowerCase(base_mva, bus, gen, branch, parse_file("bus_name", text))


def _numeric_table(file: str, name: str, rows: list, columns: tuple[str, ...]) -> np.ndarray:
    """Rows parsed by matpowercaseframes as a float array; names the first short or non-numeric row."""
    width = len(rows[0])
    for i, row in enumerate(rows, start=1):
        if len(row) < len(columns):
            raise InputError(
                f"{file}: mpc.{name} row {i} has {len(row)} columns; a {name} row needs at least "
                f"{len(columns)} ({', '.join(columns)})",
                field=f"mpc.{name}",
                row=i,
            )
        if len(row) != width:
            raise InputError(
                f"{file}: mpc.{name} row {i} has {len(row)} columns, row 1 has {width}",
                field=f"mpc.{name}",
                row=i,
            )
        for j, value in enumerate(row):
            if isinstance(value, str):
                row[j] = _constant(value)  # MATPOWER files may write 135/sqrt(3)
                if row[j] is None:
                    col = columns[j] if j < len(columns) else f"column {j + 1}"
                    raise InputError(
                        f"{file}: mpc.{name} row {i}, {col}: {value!r} is not a number",
                        field=f"mpc.{name}.{col}",
                        row=i,
                    )
    table = np.asarray(rows, dtype=np.float64)
    bad = np.argwhere(np.isnan(table[:, : len(columns)]))
    if len(bad):
        i, j = bad[0]
        raise InputError(
            f"{file}: mpc.{name} row {i + 1}, {columns[j]}: NaN is not a valid value",
            field=f"mpc.{name}.{columns[j]}",
            row=int(i) + 1,
        )
    return table


def _base_mva(file: str, parsed: object) -> float:
    """The system base [MVA] from ``mpc.baseMVA``."""
    try:
        value = parsed[0][0]  # type: ignore[index]  (parsed as [[value]])
    except (TypeError, IndexError):
        value = None
    if isinstance(value, str):
        value = _constant(value)
    if not isinstance(value, int | float):
        raise InputError(f"{file}: mpc.baseMVA is missing or not a number ({parsed!r})", field="mpc.baseMVA")
    if not value > 0:
        raise InputError(f"{file}: mpc.baseMVA is {value}; it must be positive [MVA]", field="mpc.baseMVA")
    return value


def _checked(
    file: str, bus: np.ndarray, gen: np.ndarray, branch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check ids, references and types; raise naming the first bad row."""
    ids = bus[:, 0]
    for i, b in enumerate(ids, start=1):
        if b != int(b) or b < 0:
            raise InputError(
                f"{file}: mpc.bus row {i}: bus_i {b:g} is not a non-negative integer",
                field="mpc.bus.bus_i",
                row=i,
                element=f"bus:{b:g}",
            )
    seen: dict[int, int] = {}
    for i, b in enumerate(ids.astype(np.int64), start=1):
        if b in seen:
            raise InputError(
                f"{file}: mpc.bus rows {seen[b]} and {i} both define bus {b}",
                field="mpc.bus.bus_i",
                row=i,
                element=f"bus:{b}",
            )
        seen[b] = i
    for i, t in enumerate(bus[:, 1], start=1):
        if t not in _BUS_TYPES:
            raise InputError(
                f"{file}: mpc.bus row {i} (bus {int(ids[i - 1])}): type {t:g} is not 1, 2, 3 or 4",
                field="mpc.bus.type",
                row=i,
                element=f"bus:{int(ids[i - 1])}",
            )
    known = set(seen)
    for i, (f, t) in enumerate(branch[:, :2], start=1):
        for side, b in (("fbus", f), ("tbus", t)):
            if b not in known:
                raise InputError(
                    f"{file}: mpc.branch row {i}: {side} {b:g} is not a bus of mpc.bus",
                    field=f"mpc.branch.{side}",
                    row=i,
                    element=f"bus:{b:g}",
                )
    for i, b in enumerate(gen[:, 0], start=1):
        if b not in known:
            raise InputError(
                f"{file}: mpc.gen row {i}: bus {b:g} is not a bus of mpc.bus",
                field="mpc.gen.bus",
                row=i,
                element=f"bus:{b:g}",
            )
    ref = ids[bus[:, 1] == 3]
    if len(ref) == 0:
        raise InputError(f"{file}: no reference bus: no row of mpc.bus has type 3", field="mpc.bus.type")
    live_gen_buses = set(gen[gen[:, 7] > 0, 0])
    for b in ref:
        if b not in live_gen_buses:
            raise InputError(
                f"{file}: reference bus {b:g} (type 3) has no in-service generator in mpc.gen",
                field="mpc.gen",
                element=f"bus:{b:g}",
            )
    return bus, gen, branch
