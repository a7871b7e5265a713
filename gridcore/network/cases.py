"""Power-flow case files: MATPOWER ``.m`` cases and pandapower JSON networks, read into pandapower.

A MATPOWER case (format version 2, see MATPOWER's ``caseformat``) is parsed with ``matpowercaseframes``,
checked table by table (a bad row is named with its table, row and bus) and converted with pandapower's
``from_ppc``, the converter behind ``pandapower.converter.from_mpc``. Bus numbers are kept as they are in
the file: the pandapower bus index *is* the MATPOWER bus number (``from_mpc`` would shift them by one), and
the column ``case_bus_id`` of ``net.bus`` records it for every bus. Branches keep their row in the file in
``case_branch`` (1-based, on ``net.line``, ``net.trafo`` and ``net.impedance``), so results can be reported
in the file's branch order and orientation.

MATPOWER's model is kept exactly, which ``from_ppc`` alone does not do: transformers are set to
MATPOWER's branch model (tap at the from bus, also when that is the low-voltage side; charging as bus
shunts; see :func:`_matpower_transformers`), out-of-service generators are dropped (``from_ppc`` may make
one the slack), and the pi model is used (``trafo_model="pi"`` in the net's ``user_pf_options``). A bus
without a base voltage (``baseKV`` 0, as in MATPOWER's ``case14`` and ``case57``) is given 1 kV internally,
which leaves every per-unit result and every loading unchanged; its nominal voltage is reported as unknown
(``case_base_kv`` NaN). A test checks every solution against MATPOWER's own equations (``makeYbus``),
independently of pandapower; the unit conversions of MATPOWER's distribution cases are carried out (see
:func:`matpower_tables`).

Reading a case runs none of its code. A MATPOWER file is parsed as text, and the few MATLAB statements
MATPOWER's cases hold are carried out by an arithmetic-only evaluator (numbers, ``mpc`` tables, + - * / ^
and a few functions). A pandapower JSON file names Python classes (``_module``/``_class``) that
pandapower's loader imports; every one is checked first against the types pandapower itself writes
(pandapower's network, controllers and characteristics; pandas frames, series and indexes; numpy arrays
and scalars; tuples, sets, complex numbers; networkx graphs; shapely and geopandas geometry), and a file
naming anything else is refused before pandapower sees it. Other formats (MATPOWER ``.mat``, pickles) are
not read.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import operator
import re
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

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
    _run_statements(path.name, text, tables, base_mva)
    bus, gen, branch = _checked(path.name, tables["bus"], tables["gen"], tables["branch"])
    return MatpowerCase(base_mva, bus, gen, branch, parse_file("bus_name", text))


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
        text = path.read_text()
        doc = json.loads(text)
    except (UnicodeDecodeError, RecursionError, ValueError) as err:
        raise ValueError(
            f"{path.name}: not a pandapower JSON network ({type(err).__name__}: {err})"
        ) from None
    if not (
        isinstance(doc, dict)
        and doc.get("_module") == "pandapower.auxiliary"
        and doc.get("_class") == "pandapowerNet"
    ):
        raise ValueError(
            f"{path.name}: not a pandapower JSON network (no pandapowerNet at its top; save the network "
            "with pandapower.to_json)"
        )
    _refuse_foreign_types(path.name, doc)
    try:
        net = pp.from_json_string(text)  # the text checked, not the file again
    except Exception as err:  # noqa: BLE001 (pandapower raises anything from JSON errors to KeyError)
        raise ValueError(
            f"{path.name}: not a pandapower JSON network ({type(err).__name__}: {err})"
        ) from None
    if net.bus.empty:
        raise ValueError(f"{path.name}: the network has no bus")
    slack_gen = net.gen["slack"].astype(bool) if "slack" in net.gen else pd.Series(False, index=net.gen.index)
    has_slack = (
        net.ext_grid["in_service"].astype(bool).any()
        or (slack_gen & net.gen["in_service"].astype(bool)).any()
    )
    if not has_slack:
        raise ValueError(f"{path.name}: no slack: no external grid or slack generator is in service")
    net.bus[CASE_BUS_ID] = net.bus.index.to_numpy()
    return net


#: Top-level packages whose classes a pandapower JSON file may name (checked further by :func:`_foreign`).
_TRUSTED_PACKAGES = ("pandapower", "pandas", "numpy")
#: Types pandapower's loader decodes by name alone, without importing anything.
_DECODED_BY_NAME = {("networkx", "MultiGraph"), ("geopandas.geodataframe", "GeoDataFrame")}
_SHAPELY = {"Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}
#: Builtins pandapower writes (its loader allows no others either).
_BUILTINS = {"complex", "tuple", "set", "frozenset"}


def _refuse_foreign_types(file: str, doc: object) -> None:
    """Raise naming the first ``_module``/``_class`` of a parsed pandapower JSON that is not pandapower's.

    pandapower's loader (``pp_hook``) turns every JSON object holding both keys into an instance of the class
    named, importing its module; objects whose ``_object`` is JSON text (frames, series, controllers, a
    network) are decoded again. This walks the same objects, the nested texts included, without importing
    anything but the modules of pandapower, pandas and numpy.
    """
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        stack.extend(item.values())
        if "_module" not in item or "_class" not in item:
            continue
        module, name = item["_module"], item["_class"]
        why = _foreign(module, name) if isinstance(module, str) and isinstance(name, str) else "not a name"
        if why:
            raise ValueError(
                f"{file}: refused: it names the Python class {name!r} of module {module!r} ({why}); "
                "a case may hold only the types pandapower itself writes, and nothing else is imported"
            )
        inner = item.get("_object")
        if isinstance(inner, str) and module.partition(".")[0] not in ("numpy", "builtins"):
            try:
                stack.append(json.loads(inner))
            except (RecursionError, ValueError):
                raise ValueError(
                    f"{file}: refused: the {module}.{name} object holds text that is not JSON, "
                    "which pandapower's loader would read as a file name or a network"
                ) from None


@cache
def _foreign(module: str, name: str) -> str | None:
    """Why ``module.name`` is not a type pandapower writes into its JSON files; None when it is one."""
    if name in ("function", "method"):
        return "a function reference"
    if module == "builtins":
        return None if name in _BUILTINS else "not a builtin pandapower writes"
    if (module, name) in _DECODED_BY_NAME or (module == "shapely" and name in _SHAPELY):
        return None
    if module.partition(".")[0] not in _TRUSTED_PACKAGES or not re.fullmatch(r"\w+(\.\w+)*", module):
        return "not pandapower, pandas or numpy"
    if module == "numpy" and name == "array":
        return None
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return "no such class"
    import pandapower as pp
    from pandapower.io_utils import JSONSerializableClass

    bases = (pp.pandapowerNet, JSONSerializableClass, pd.DataFrame, pd.Series, pd.Index, np.generic)
    if inspect.isclass(value) and issubclass(value, bases):
        return None
    return "not a network, controller, table or number type"


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
    width = len(rows[0])
    for i, row in enumerate(rows, start=1):
        if len(row) < len(columns):
            raise ValueError(
                f"{file}: mpc.{name} row {i} has {len(row)} columns; a {name} row needs at least "
                f"{len(columns)} ({', '.join(columns)})"
            )
        if len(row) != width:
            raise ValueError(f"{file}: mpc.{name} row {i} has {len(row)} columns, row 1 has {width}")
        for j, value in enumerate(row):
            if isinstance(value, str):
                row[j] = _constant(value)  # MATPOWER files may write 135/sqrt(3)
                if row[j] is None:
                    col = columns[j] if j < len(columns) else f"column {j + 1}"
                    raise ValueError(f"{file}: mpc.{name} row {i}, {col}: {value!r} is not a number")
    table = np.asarray(rows, dtype=np.float64)
    bad = np.argwhere(np.isnan(table[:, : len(columns)]))
    if len(bad):
        i, j = bad[0]
        raise ValueError(f"{file}: mpc.{name} row {i + 1}, {columns[j]}: NaN is not a valid value")
    return table


def _constant(text: str) -> float | None:
    """A constant arithmetic expression (``135/sqrt(3)``, ``Inf``) as a float, None if it is not one."""
    try:
        value = _eval_node(ast.parse(text.replace("^", "**"), mode="eval").body, {"pi": np.pi, "Inf": np.inf})
    except (SyntaxError, KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return float(value) if np.ndim(value) == 0 else None


def _base_mva(file: str, parsed: object) -> float:
    """The system base [MVA] from ``mpc.baseMVA``."""
    try:
        value = parsed[0][0]  # type: ignore[index]  (parsed as [[value]])
    except (TypeError, IndexError):
        value = None
    if isinstance(value, str):
        value = _constant(value)
    if not isinstance(value, int | float):
        raise ValueError(f"{file}: mpc.baseMVA is missing or not a number ({parsed!r})")
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
            raise ValueError(
                f"{file}: mpc.bus row {i} (bus {int(ids[i - 1])}): type {t:g} is not 1, 2, 3 or 4"
            )
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
    gen = _in_service_generators(gen)
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
        _matpower_transformers(net, bus, branch, base_mva)
    pp.set_user_pf_options(net, trafo_model="pi")
    return net


def _matpower_transformers(net: pandapowerNet, bus: np.ndarray, branch: np.ndarray, base_mva: float) -> None:
    """Set every transformer to MATPOWER's branch model exactly, replacing ``from_ppc``'s parameters.

    MATPOWER's transformer is an ideal transformer of ratio ``t`` and shift ``theta`` at the from bus, then
    the series impedance ``z`` (p.u. on the system base), with half the charging ``b`` at each end
    (``Yff = (y + jb/2) / t**2``, ``Yft = -y / conj(tau)``, ``Ytf = -y / tau``, ``Ytt = y + jb/2``). A
    pandapower transformer has its tap at the high-voltage side. Written from its high-voltage bus, the
    row maps directly: tap ``t``, shift ``theta``, impedance ``z``. Written from its low-voltage bus (as in
    MATPOWER's case300 or case24_ieee_rts, which ``from_ppc`` gets wrong), the same two-port is a tap of
    ``1/t`` and a shift of ``-theta`` at the high-voltage (to) bus with the impedance ``z * t**2``. The
    charging becomes two bus shunts, ``jb/2 / t**2`` at the from bus and ``jb/2`` at the to bus
    (``from_ppc`` would model it as an always inductive magnetizing current), tagged with the branch
    (``case_branch``) and end (``case_end``) they belong to.
    """
    import pandapower as pp

    kv = dict(zip(bus[:, 0].astype(np.int64), bus[:, 9], strict=True))
    trafo = net.trafo
    rows = branch[trafo[CASE_BRANCH].to_numpy() - 1]
    f, t = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    r, x, b, ratio, shift = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 8], rows[:, 9]
    kv_f, kv_t = np.array([kv[i] for i in f]), np.array([kv[i] for i in t])
    swap = kv_t > kv_f
    scale = np.where(swap, ratio**2, 1.0)
    tap = np.where(swap, 1.0 / ratio, ratio)
    trafo["hv_bus"] = np.where(swap, t, f)
    trafo["lv_bus"] = np.where(swap, f, t)
    trafo["vn_hv_kv"] = np.where(swap, kv_t, kv_f)
    trafo["vn_lv_kv"] = np.where(swap, kv_f, kv_t)
    rating = np.where(rows[:, 5] > 0, rows[:, 5], 99999.0)  # rateA [MVA]; 0 means unlimited
    trafo["sn_mva"] = rating
    per_rating = scale * rating / base_mva * 100.0  # p.u. on the system base -> % on the rating
    trafo["vkr_percent"] = r * per_rating
    trafo["vk_percent"] = np.sign(x) * np.hypot(r, x) * per_rating
    trafo["pfe_kw"] = 0.0
    trafo["i0_percent"] = 0.0
    trafo["shift_degree"] = np.where(swap, -shift, shift)
    trafo["tap_side"] = "hv"
    trafo["tap_neutral"] = 0
    trafo["tap_min"] = -1
    trafo["tap_max"] = 1
    trafo["tap_pos"] = np.sign(tap - 1.0)
    trafo["tap_step_percent"] = np.abs(tap - 1.0) * 100.0
    trafo["tap_step_degree"] = 0.0
    trafo["tap_changer_type"] = np.where(tap != 1.0, "Ratio", None)
    trafo["parallel"] = 1
    charged = (b != 0) & trafo["in_service"].to_numpy()
    if charged.any():
        half = b[charged] / 2.0
        index = pp.create_shunts(
            net,
            np.concatenate([f[charged], t[charged]]),
            q_mvar=-np.concatenate([half / ratio[charged] ** 2, half]) * base_mva,
            p_mw=0.0,
            name="transformer charging",
        )
        # the branch it belongs to and its end, so that results report the flow as MATPOWER does
        net.shunt.loc[index, CASE_BRANCH] = np.tile(trafo[CASE_BRANCH].to_numpy()[charged], 2)
        net.shunt.loc[index, "case_end"] = np.repeat(["from", "to"], charged.sum())


def _in_service_generators(gen: np.ndarray) -> np.ndarray:
    """The in-service generators, each bus's voltage setpoint taken from its last one, as MATPOWER does.

    An out-of-service generator has no part in MATPOWER's power flow, but ``from_ppc`` would make the first
    generator of the reference bus the slack even when it is out of service (MATPOWER's case2746wop), and
    take a bus's setpoint from its first generator.
    """
    gen = gen[gen[:, 7] > 0].copy()
    last_vg = {bus: vg for bus, vg in zip(gen[:, 0], gen[:, 5], strict=True)}
    gen[:, 5] = [last_vg[b] for b in gen[:, 0]]
    return gen


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
                raise ValueError(f"{file}: line {number}: cannot carry out a MATLAB {keyword} loop")
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
            raise ValueError(
                f"{file}: line {number}: cannot carry out the MATLAB statement {stmt!r}; save the case "
                "without code (e.g. with MATPOWER's savecase) and try again"
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
            raise ValueError(
                f"{file}: line {number}: cannot assign to mpc.{table}({match['args']}): {err}"
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
            raise ValueError(f"{file}: line {number}: mpc.{table} is not a table this reader knows")
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
        raise ValueError(f"{file}: line {number}: cannot evaluate {expr.strip()!r} ({err})") from None


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
        raise ValueError(f"{file}: line {number}: expected (rows, columns) in ({args})")
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
    raise ValueError(f"unsupported expression {ast.unparse(node)!r}")


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
