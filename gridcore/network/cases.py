"""Power-flow case files: MATPOWER ``.m`` cases and pandapower JSON networks, read into pandapower.

A MATPOWER case (format version 2, see MATPOWER's ``caseformat``) is parsed with ``matpowercaseframes``,
checked table by table (a bad row is named with its table, row and bus) and converted with pandapower's
``from_ppc``, the converter behind ``pandapower.converter.from_mpc``. Bus numbers are kept as they are in
the file: the pandapower bus index *is* the MATPOWER bus number (``from_mpc`` would shift them by one), and
the column ``case_bus_id`` of ``net.bus`` records it for every bus. Branches keep their row in the file in
``case_branch`` (1-based, on ``net.line``, ``net.trafo`` and ``net.impedance``), so results can be reported
in the file's branch order and orientation.

Two MATPOWER conventions are carried over explicitly: transformers use the pi model (``trafo_model="pi"``
in the net's ``user_pf_options``, as MATPOWER), and a bus without a base voltage (``baseKV`` 0, as in
MATPOWER's ``case14`` and ``case57``) is given 1 kV internally, which leaves every per-unit result and every
loading unchanged; its nominal voltage is reported as unknown (``case_base_kv`` NaN).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: Column of ``net.bus`` holding the bus id as written in the case file.
CASE_BUS_ID = "case_bus_id"
#: Column of ``net.line`` / ``net.trafo`` / ``net.impedance`` holding the branch's row in the case file.
CASE_BRANCH = "case_branch"
#: Column of ``net.bus`` holding the case's base voltage [kV] (NaN where the case gives none).
CASE_BASE_KV = "case_base_kv"

#: MATPOWER columns each table needs (format version 2), in order.
_COLUMNS = {
    "bus": ("bus_i", "type", "Pd", "Qd", "Gs", "Bs", "area", "Vm", "Va", "baseKV", "zone", "Vmax", "Vmin"),
    "gen": ("bus", "Pg", "Qg", "Qmax", "Qmin", "Vg", "mBase", "status", "Pmax", "Pmin"),
    "branch": ("fbus", "tbus", "r", "x", "b", "rateA", "rateB", "rateC", "ratio", "angle", "status"),
}
_BUS_TYPES = {1, 2, 3, 4}


def read_case(path: str | Path) -> pandapowerNet:
    """Read a power-flow case: a MATPOWER ``.m`` file or a pandapower ``.json`` network.

    Parameters
    ----------
    path : str or Path
        ``*.m`` (MATPOWER case format version 2) or ``*.json`` (``pandapower.to_json``).

    Returns
    -------
    pandapowerNet
        With ``net.bus["case_bus_id"]``: the bus id as in the file (MATPOWER bus number; for a pandapower
        network, its bus index).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a case of a supported format, naming the table, row and field at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"case file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".m":
        return read_matpower(path)
    if suffix == ".json":
        return read_pandapower_json(path)
    raise ValueError(
        f"{path.name}: unsupported case format {suffix or '(no extension)'!r}; "
        "give a MATPOWER .m file or a pandapower .json network"
    )


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
    from matpowercaseframes.reader import parse_file

    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path.name}: not a text file ({err})") from None
    tables: dict[str, np.ndarray] = {}
    for name, columns in _COLUMNS.items():
        rows = parse_file(name, text)
        if not rows:
            raise ValueError(
                f"{path.name}: no mpc.{name} table found; a MATPOWER case defines "
                f"mpc.{name} = [ ... ]; (is this a MATPOWER case file?)"
            )
        tables[name] = _numeric_table(path.name, name, rows, columns)
    base_mva = _base_mva(path.name, parse_file("baseMVA", text))
    bus, gen, branch = _checked(path.name, tables["bus"], tables["gen"], tables["branch"])
    bus_names = parse_file("bus_name", text)
    return _to_pandapower(bus, gen, branch, base_mva, bus_names)


def read_pandapower_json(path: str | Path) -> pandapowerNet:
    """Read a pandapower network saved with ``pandapower.to_json``.

    Parameters
    ----------
    path : str or Path
        The JSON file.

    Returns
    -------
    pandapowerNet
        With ``net.bus["case_bus_id"]`` equal to the bus index.

    Raises
    ------
    ValueError
        When the file is not a pandapower network, has no bus, or no slack (external grid or slack
        generator) in service.
    """
    import pandapower as pp

    path = Path(path)
    try:
        net = pp.from_json(str(path))
    except Exception as err:  # noqa: BLE001 (pandapower raises anything from JSON errors to KeyError)
        raise ValueError(f"{path.name}: not a pandapower JSON network ({type(err).__name__}: {err})") from None
    if not isinstance(net, pp.pandapowerNet):
        raise ValueError(f"{path.name}: the JSON holds a {type(net).__name__}, not a pandapower network")
    if net.bus.empty:
        raise ValueError(f"{path.name}: the network has no bus")
    slack_gen = net.gen["slack"].astype(bool) if "slack" in net.gen else pd.Series(False, index=net.gen.index)
    has_slack = net.ext_grid["in_service"].astype(bool).any() or (
        slack_gen & net.gen["in_service"].astype(bool)
    ).any()
    if not has_slack:
        raise ValueError(f"{path.name}: no slack: no external grid or slack generator is in service")
    net.bus[CASE_BUS_ID] = net.bus.index.to_numpy()
    return net


def bus_ids(net: pandapowerNet) -> pd.Series:
    """Case bus id per pandapower bus index (the index itself when the net was not read from a case).

    Parameters
    ----------
    net : pandapowerNet

    Returns
    -------
    pd.Series
        Integer bus id, indexed by pandapower bus index.
    """
    if CASE_BUS_ID in net.bus:
        return net.bus[CASE_BUS_ID].astype(np.int64)
    return pd.Series(net.bus.index.to_numpy(dtype=np.int64), index=net.bus.index, name=CASE_BUS_ID)


def _numeric_table(file: str, name: str, rows: list, columns: tuple[str, ...]) -> np.ndarray:
    """Rows parsed by matpowercaseframes as a float array; names the first short or non-numeric row."""
    width = max(len(r) for r in rows)
    for i, row in enumerate(rows, start=1):
        if len(row) < len(columns):
            raise ValueError(
                f"{file}: mpc.{name} row {i} has {len(row)} columns; a {name} row needs at least "
                f"{len(columns)} ({', '.join(columns)})"
            )
        if len(row) != width:
            raise ValueError(f"{file}: mpc.{name} row {i} has {len(row)} columns, other rows {width}")
        for j, value in enumerate(row):
            if isinstance(value, str):
                col = columns[j] if j < len(columns) else f"column {j + 1}"
                raise ValueError(f"{file}: mpc.{name} row {i}, {col}: {value!r} is not a number")
    table = np.asarray(rows, dtype=np.float64)
    bad = np.argwhere(np.isnan(table[:, : len(columns)]))
    if len(bad):
        i, j = bad[0]
        raise ValueError(f"{file}: mpc.{name} row {i + 1}, {columns[j]}: NaN is not a valid value")
    return table


def _base_mva(file: str, parsed: object) -> float:
    """The system base [MVA] from ``mpc.baseMVA``."""
    try:
        value = float(parsed[0][0])  # type: ignore[index]  (parsed as [[value]])
    except (TypeError, IndexError, ValueError):
        raise ValueError(f"{file}: mpc.baseMVA is missing or not a number ({parsed!r})") from None
    if not value > 0:
        raise ValueError(f"{file}: mpc.baseMVA is {value}; it must be positive [MVA]")
    return value


def _checked(
    file: str, bus: np.ndarray, gen: np.ndarray, branch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check ids, references and types; raise naming the first bad row."""
    ids = bus[:, 0]
    for i, b in enumerate(ids, start=1):
        if b != int(b) or b < 0:
            raise ValueError(f"{file}: mpc.bus row {i}: bus_i {b:g} is not a non-negative integer")
    seen: dict[int, int] = {}
    for i, b in enumerate(ids.astype(np.int64), start=1):
        if b in seen:
            raise ValueError(f"{file}: mpc.bus rows {seen[b]} and {i} both define bus {b}")
        seen[b] = i
    for i, t in enumerate(bus[:, 1], start=1):
        if t not in _BUS_TYPES:
            raise ValueError(f"{file}: mpc.bus row {i} (bus {int(ids[i - 1])}): type {t:g} is not 1, 2, 3 or 4")
    known = set(seen)
    for i, (f, t) in enumerate(branch[:, :2], start=1):
        for side, b in (("fbus", f), ("tbus", t)):
            if b not in known:
                raise ValueError(f"{file}: mpc.branch row {i}: {side} {b:g} is not a bus of mpc.bus")
    for i, b in enumerate(gen[:, 0], start=1):
        if b not in known:
            raise ValueError(f"{file}: mpc.gen row {i}: bus {b:g} is not a bus of mpc.bus")
    ref = ids[bus[:, 1] == 3]
    if len(ref) == 0:
        raise ValueError(f"{file}: no reference bus: no row of mpc.bus has type 3")
    live_gen_buses = set(gen[gen[:, 7] > 0, 0])
    for b in ref:
        if b not in live_gen_buses:
            raise ValueError(f"{file}: reference bus {b:g} (type 3) has no in-service generator in mpc.gen")
    return bus, gen, branch


def _to_pandapower(
    bus: np.ndarray, gen: np.ndarray, branch: np.ndarray, base_mva: float, bus_names: list | None
) -> pandapowerNet:
    """Convert checked MATPOWER tables with pandapower's ``from_ppc``, keeping the file's ids."""
    import pandapower as pp
    from pandapower.converter.pypower import from_ppc

    bus = bus[:, :13].copy()
    base_kv = bus[:, 9].copy()
    unknown_kv = ~(base_kv > 0)
    bus[unknown_kv, 9] = 1.0
    branch = branch.copy()
    branch[branch[:, 8] == 0, 8] = 1.0  # MATPOWER: ratio 0 means no transformer (ratio 1)
    ppc: dict[str, object] = {"version": "2", "baseMVA": base_mva, "bus": bus, "gen": gen, "branch": branch}
    if bus_names and len(bus_names) == len(bus):
        ppc["bus_name"] = np.array([str(n[0]) for n in bus_names], dtype=object)
    with warnings.catch_warnings():
        # pandapower 3.5's from_ppc assigns an empty index when a case has no transformer (a FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        net = from_ppc(ppc, f_hz=50, check_costs=False)
    net.bus[CASE_BUS_ID] = bus[:, 0].astype(np.int64)
    net.bus[CASE_BASE_KV] = np.where(unknown_kv, np.nan, base_kv)
    lookup = net._from_ppc_lookups["branch"]
    for element in ("line", "trafo", "impedance"):
        rows = lookup.index[lookup["element_type"] == element]
        if len(rows):
            net[element].loc[lookup.loc[rows, "element"].astype(np.int64).to_numpy(), CASE_BRANCH] = rows + 1
            net[element][CASE_BRANCH] = net[element][CASE_BRANCH].astype(np.int64)
    if len(net.trafo):
        net.trafo["case_from_bus"] = branch[net.trafo[CASE_BRANCH].to_numpy() - 1, 0].astype(np.int64)
    pp.set_user_pf_options(net, trafo_model="pi")
    return net
