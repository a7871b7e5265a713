"""AC power flow on a pandapower network, and the constraints it violates.

The reference engine is pandapower's Newton-Raphson (``pandapower.runpp``), always called with
``lightsim2grid=False``: pandapower silently hands the solve to lightsim2grid when that package is installed
(as it is here), and the reference must not change with the environment. Results are reported with the case
file's bus ids (see :mod:`gridcore.network.cases`) and, for branches read from a case, in the file's branch
order and orientation.

Constraints: a branch whose loading exceeds a limit (100 % by default), and a bus whose voltage leaves the
band of its voltage level (0.95-1.05 p.u. for LV and MV, 0.90-1.10 p.u. for HV and EHV by default). An
in-service bus the power flow cannot reach is reported as ``unsupplied``. The limits are defined once, in
:mod:`gridcore.network.limits`; ``DEFAULT_VOLTAGE_BANDS``, ``VOLTAGE_LEVELS``, ``DEFAULT_LOADING_LIMIT_PCT``
and ``voltage_level`` are re-exported here.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from dataclasses import asdict, dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.cases import CASE_BASE_KV, CASE_BRANCH, bus_ids
from gridcore.network.limits import (  # noqa: F401 (re-exported)
    DEFAULT_LOADING_LIMIT_PCT,
    DEFAULT_VOLTAGE_BANDS,
    VOLTAGE_LEVELS,
    voltage_level,
)
from gridcore.network.limits import voltage_bands as _voltage_bands

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.grid import GridModel

#: Violation kinds.
THERMAL, VOLTAGE_LOW, VOLTAGE_HIGH, UNSUPPLIED = "thermal", "voltage_low", "voltage_high", "unsupplied"

_BRANCH_COLUMNS = [
    "element",
    "id",
    "name",
    "from_bus",
    "to_bus",
    "p_from_mw",
    "q_from_mvar",
    "p_to_mw",
    "q_to_mvar",
    "loading_percent",
    "in_service",
]


class PowerFlowError(InputError):
    """The power flow has no solution for this network (it did not converge, or cannot be set up)."""


@dataclass(frozen=True)
class Violation:
    """One element outside its limit.

    Attributes
    ----------
    element : str
        ``bus``, ``line``, ``trafo`` or ``impedance``.
    id : int
        Bus id (as in the case file) or branch id (row in the case file, else the element's index).
    kind : str
        ``thermal`` (value and limit: loading [%]), ``voltage_low`` / ``voltage_high`` (voltage magnitude
        [p.u.]), ``unsupplied`` (an in-service bus without a solution: value and limit None).
    value : float or None
        The loading [%] or voltage [p.u.] found.
    limit : float or None
        The limit crossed, same unit.
    """

    element: str
    id: int
    kind: str
    value: float | None
    limit: float | None

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict (floats rounded to 6 decimals)."""
        out = asdict(self)
        for key in ("value", "limit"):
            out[key] = _json_float(out[key], 6)
        return out


@dataclass(frozen=True)
class PowerFlowResult:
    """The solved state of a network.

    Attributes
    ----------
    converged : bool
    iterations : int
        Newton-Raphson iterations.
    seconds : float
        Wall time of the solve, including pandapower's model build [s].
    buses : pd.DataFrame
        Index ``bus`` (case bus id); ``name``, ``vn_kv`` [kV] (NaN if the case gives none), ``vm_pu``
        [p.u.], ``va_degree`` [deg], ``p_mw`` [MW] and ``q_mvar`` [MVAr] drawn from the network at the bus
        (load positive, generation negative), ``in_service``. NaN for buses the flow does not reach.
    branches : pd.DataFrame
        One row per line, two-winding transformer and impedance: ``element``, ``id``, ``name``, ``from_bus``,
        ``to_bus`` (case bus ids), ``p_from_mw``, ``q_from_mvar``, ``p_to_mw``, ``q_to_mvar`` [MW, MVAr]
        flowing into the branch at each end, ``loading_percent`` [%] (NaN for impedances), ``in_service``.
        In the case file's branch order when the net was read from one.
    violations : list of Violation
    """

    converged: bool
    iterations: int
    seconds: float
    buses: pd.DataFrame
    branches: pd.DataFrame
    violations: list[Violation] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The result as JSON-ready plain data (NaN as None).

        Returns
        -------
        dict
            ``converged``, ``iterations``, ``seconds``, ``buses`` (``bus``, ``vm_pu``, ``va_degree``,
            ``p_mw``, ``q_mvar``), ``branches`` (``element``, ``id``, ``from_bus``, ``to_bus``, ``p_from_mw``,
            ``q_from_mvar``, ``p_to_mw``, ``q_to_mvar``, ``loading_percent``), ``violations``.
        """
        buses = [
            {
                "bus": int(b),
                "vm_pu": _json_float(r.vm_pu, 8),
                "va_degree": _json_float(r.va_degree, 6),
                "p_mw": _json_float(r.p_mw, 6),
                "q_mvar": _json_float(r.q_mvar, 6),
            }
            for b, r in zip(self.buses.index, self.buses.itertuples(index=False), strict=True)
        ]
        branches = [
            {
                "element": r.element,
                "id": int(r.id),
                "from_bus": int(r.from_bus),
                "to_bus": int(r.to_bus),
                "p_from_mw": _json_float(r.p_from_mw, 6),
                "q_from_mvar": _json_float(r.q_from_mvar, 6),
                "p_to_mw": _json_float(r.p_to_mw, 6),
                "q_to_mvar": _json_float(r.q_to_mvar, 6),
                "loading_percent": _json_float(r.loading_percent, 4),
            }
            for r in self.branches.itertuples(index=False)
        ]
        return {
            "converged": bool(self.converged),
            "iterations": int(self.iterations),
            "seconds": round(float(self.seconds), 4),
            "buses": buses,
            "branches": branches,
            "violations": [v.to_dict() for v in self.violations],
        }


def run_powerflow(
    net: pandapowerNet,
    *,
    loading_limit_pct: float = DEFAULT_LOADING_LIMIT_PCT,
    voltage_bands: dict[str, tuple[float, float]] | None = None,
    max_iteration: int | str = "auto",
    tolerance_mva: float = 1e-8,
    numba: bool = False,
) -> PowerFlowResult:
    """Solve the AC power flow with pandapower's Newton-Raphson and identify the violated constraints.

    pandapower writes its result tables (``net.res_bus``, ``net.res_line``, ...) into ``net``.

    Parameters
    ----------
    net : pandapowerNet
        The network; options stored in ``net.user_pf_options`` (e.g. ``trafo_model="pi"`` for MATPOWER
        cases) apply.
    loading_limit_pct : float
        Thermal limit of lines and transformers [%].
    voltage_bands : dict of str to (float, float), optional
        Band per voltage level [p.u.], merged over :data:`DEFAULT_VOLTAGE_BANDS` (keys ``LV``, ``MV``,
        ``HV``, ``EHV``, ``unknown``).
    max_iteration : int or "auto"
        Newton-Raphson iteration limit (pandapower's "auto": 10 for Newton-Raphson).
    tolerance_mva : float
        Convergence tolerance: largest bus power mismatch, in p.u. on the network's base ``net.sn_mva``
        (pandapower compares its ``tolerance_mva`` with the per-unit mismatch; MATPOWER's ``pf.tol``).
    numba : bool
        Let pandapower compile its Newton-Raphson with numba. The first solve in a process then spends
        several seconds compiling (measured 3-13 s here): worth it for many solves of a large grid, not for
        one solve.

    Returns
    -------
    PowerFlowResult

    Raises
    ------
    PowerFlowError
        When the power flow does not converge (with the iteration count, the load and the likely causes) or
        pandapower cannot build the problem (e.g. no slack).
    """
    import pandapower as pp
    from pandapower.auxiliary import LoadflowNotConverged

    t0 = perf_counter()
    try:
        with warnings.catch_warnings():
            # pandapower splits a bus's reactive power over its generators by their Q range; generators
            # with infinite limits (case1354pegase) give 0/0 there: a NumPy warning, harmless for the results
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning, "pandapower")
            pp.runpp(
                net,
                algorithm="nr",
                lightsim2grid=False,
                numba=numba and importlib.util.find_spec("numba") is not None,
                calculate_voltage_angles=True,
                max_iteration=max_iteration,
                tolerance_mva=tolerance_mva,
            )
    except LoadflowNotConverged:
        raise PowerFlowError(_not_converged_message(net, tolerance_mva)) from None
    except (KeyError, IndexError, TypeError, ValueError, UserWarning) as err:
        raise PowerFlowError(f"pandapower cannot solve this network: {type(err).__name__}: {err}") from None
    seconds = perf_counter() - t0
    buses = _bus_results(net)
    branches = _branch_results(net)
    violations = find_violations(buses, branches, loading_limit_pct, voltage_bands)
    return PowerFlowResult(
        converged=bool(net.converged),
        iterations=int(net._ppc.get("iterations", 0)),
        seconds=seconds,
        buses=buses,
        branches=branches,
        violations=violations,
    )


def find_violations(
    buses: pd.DataFrame,
    branches: pd.DataFrame,
    loading_limit_pct: float = DEFAULT_LOADING_LIMIT_PCT,
    voltage_bands: dict[str, tuple[float, float]] | None = None,
) -> list[Violation]:
    """Branches above the thermal limit and buses outside their voltage band.

    Parameters
    ----------
    buses : pd.DataFrame
        Index bus id; ``vn_kv`` [kV], ``vm_pu`` [p.u.], ``in_service`` (as :attr:`PowerFlowResult.buses`).
    branches : pd.DataFrame
        ``element``, ``id``, ``loading_percent`` [%], ``in_service`` (as :attr:`PowerFlowResult.branches`).
    loading_limit_pct : float
        Thermal limit [%].
    voltage_bands : dict of str to (float, float), optional
        Band per voltage level [p.u.], merged over :data:`DEFAULT_VOLTAGE_BANDS`.

    Returns
    -------
    list of Violation
        Thermal violations first (most loaded first), then voltage violations by bus id.

    Raises
    ------
    ValueError
        Naming a voltage level that does not exist or a band whose lower bound is not below its upper.
    """
    bands = _voltage_bands(voltage_bands)
    out: list[Violation] = []
    loading = branches["loading_percent"].to_numpy(dtype=np.float64)
    over = branches[branches["in_service"].astype(bool).to_numpy() & (loading > loading_limit_pct)]
    for r in over.sort_values("loading_percent", ascending=False).itertuples(index=False):
        out.append(
            Violation(r.element, int(r.id), THERMAL, float(r.loading_percent), float(loading_limit_pct))
        )
    for bus, r in zip(buses.index, buses.itertuples(index=False), strict=True):
        if not r.in_service:
            continue
        if math.isnan(r.vm_pu):
            out.append(Violation("bus", int(bus), UNSUPPLIED, None, None))
            continue
        low, high = bands[voltage_level(r.vn_kv)]
        if r.vm_pu < low:
            out.append(Violation("bus", int(bus), VOLTAGE_LOW, float(r.vm_pu), low))
        elif r.vm_pu > high:
            out.append(Violation("bus", int(bus), VOLTAGE_HIGH, float(r.vm_pu), high))
    return out


def set_loads_at(net: pandapowerNet, grid: GridModel, time: pd.Timestamp | str) -> int:
    """Put the grid's profile values at a time onto the net: load P and Q, static generator P.

    Parameters
    ----------
    net : pandapowerNet
        The pandapower network of ``grid`` (:func:`gridcore.network.grid.pandapower_net`); changed in place.
    grid : GridModel
        The grid and its yearly 15-minute profiles.
    time : pd.Timestamp or str
        UTC time (tz-aware, or an ISO 8601 string with an offset); the quarter hour starting at or before it
        is used (same day of year and time of day in the profile year).

    Returns
    -------
    int
        The profile row used.

    Raises
    ------
    ValueError
        When ``time`` has no time zone, or the net's loads or static generators are not those of ``grid``.
    """
    ts = pd.Timestamp(time)
    if ts.tzinfo is None:
        raise InputError(f"time {time!s} has no UTC offset; write it as {ts.isoformat()}Z", field="time")
    for element, table in (("load", grid.load), ("sgen", grid.sgen)):
        ours = net[element]
        if len(ours) != len(table) or not (ours.index == table.index).all():
            raise InputError(
                f"net.{element} ({len(ours)} rows) does not match the grid's {element} table "
                f"({len(table)} rows)",
                field=f"net.{element}",
            )
        if not (ours["name"].astype(str).to_numpy() == table["name"].astype(str).to_numpy()).all():
            raise InputError(
                f"net.{element} names differ from the grid's {element} table: another grid?",
                field=f"net.{element}",
            )
    row = int(grid.profile_index(pd.DatetimeIndex([ts.tz_convert("UTC")]))[0])
    net.load["p_mw"] = grid.load_p_mw[row]
    net.load["q_mvar"] = grid.load_q_mvar[row]
    net.sgen["p_mw"] = grid.sgen_p_mw[row]
    return row


def _bus_results(net: pandapowerNet) -> pd.DataFrame:
    """Bus results indexed by case bus id."""
    res = net.res_bus.reindex(net.bus.index)
    vn = net.bus[CASE_BASE_KV] if CASE_BASE_KV in net.bus else net.bus["vn_kv"]
    out = pd.DataFrame(
        {
            "name": net.bus["name"].to_numpy(dtype=object),
            "vn_kv": vn.to_numpy(dtype=np.float64),
            "vm_pu": res["vm_pu"].to_numpy(dtype=np.float64),
            "va_degree": res["va_degree"].to_numpy(dtype=np.float64),
            "p_mw": res["p_mw"].to_numpy(dtype=np.float64),
            "q_mvar": res["q_mvar"].to_numpy(dtype=np.float64),
            "in_service": net.bus["in_service"].astype(bool).to_numpy(),
        },
        index=pd.Index(bus_ids(net).to_numpy(), name="bus"),
    )
    return out


def _branch_results(net: pandapowerNet) -> pd.DataFrame:
    """Lines, two-winding transformers and impedances with their flows, in case order when known."""
    ids = bus_ids(net)
    frames = []
    for element, f, t, sides in (
        ("line", "from_bus", "to_bus", ("from", "to")),
        ("trafo", "hv_bus", "lv_bus", ("hv", "lv")),
        ("impedance", "from_bus", "to_bus", ("from", "to")),
    ):
        table = net[element]
        if table.empty:
            continue
        res = net[f"res_{element}"].reindex(table.index)
        a, b = sides
        frame = pd.DataFrame(
            {
                "element": element,
                "id": table[CASE_BRANCH].to_numpy() if CASE_BRANCH in table else table.index.to_numpy(),
                "name": table["name"].to_numpy(dtype=object),
                "from_bus": ids.loc[table[f]].to_numpy(),
                "to_bus": ids.loc[table[t]].to_numpy(),
                "p_from_mw": res[f"p_{a}_mw"].to_numpy(dtype=np.float64),
                "q_from_mvar": res[f"q_{a}_mvar"].to_numpy(dtype=np.float64),
                "p_to_mw": res[f"p_{b}_mw"].to_numpy(dtype=np.float64),
                "q_to_mvar": res[f"q_{b}_mvar"].to_numpy(dtype=np.float64),
                "loading_percent": (
                    res["loading_percent"].to_numpy(dtype=np.float64)
                    if "loading_percent" in res
                    else np.full(len(table), np.nan)
                ),
                "in_service": table["in_service"].astype(bool).to_numpy(),
            }
        )
        if element == "trafo" and "case_from_bus" in table:
            _orient_as_case(frame, ids.loc[table["case_from_bus"]].to_numpy())
            _add_charging(frame, net)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=_BRANCH_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[_BRANCH_COLUMNS]
    if all(CASE_BRANCH in net[e] for e in ("line", "trafo", "impedance") if not net[e].empty):
        out = out.sort_values("id", kind="stable", ignore_index=True)
    return out


def _add_charging(frame: pd.DataFrame, net: pandapowerNet) -> None:
    """Add the charging of MATPOWER transformer rows (bus shunts tagged with the branch) to their flows."""
    shunt = net.shunt
    if CASE_BRANCH not in shunt or shunt[CASE_BRANCH].isna().all():
        return
    tagged = shunt[shunt[CASE_BRANCH].notna()]
    q = net.res_shunt["q_mvar"].reindex(tagged.index).fillna(0.0)
    row = pd.Series(np.arange(len(frame)), index=frame["id"].to_numpy())
    for end, side in (("from", "q_from_mvar"), ("to", "q_to_mvar")):
        mine = tagged["case_end"] == end
        where = row.reindex(tagged.loc[mine, CASE_BRANCH].astype(np.int64)).to_numpy()
        ok = ~np.isnan(where)
        if ok.any():
            col = frame.columns.get_loc(side)
            frame.iloc[where[ok].astype(np.int64), col] += q[mine].to_numpy()[ok]


def _orient_as_case(frame: pd.DataFrame, case_from: np.ndarray) -> None:
    """Swap the sides of transformers whose case row runs from the low-voltage bus."""
    swap = frame["from_bus"].to_numpy() != case_from
    if not swap.any():
        return
    for a, b in (("from_bus", "to_bus"), ("p_from_mw", "p_to_mw"), ("q_from_mvar", "q_to_mvar")):
        left, right = frame.loc[swap, a].to_numpy(), frame.loc[swap, b].to_numpy()
        frame.loc[swap, a], frame.loc[swap, b] = right, left


def _not_converged_message(net: pandapowerNet, tolerance_mva: float) -> str:
    """Why the Newton-Raphson stopped: iterations, tolerance, and the load it was asked to carry."""
    iterations = int((getattr(net, "_ppc", None) or {}).get("iterations", 0) or 0)
    limit = net._options.get("max_iteration", iterations) if hasattr(net, "_options") else iterations
    on = net.load["in_service"].astype(bool)
    p = float((net.load["p_mw"] * net.load["scaling"])[on].sum())
    q = float((net.load["q_mvar"] * net.load["scaling"])[on].sum())
    return (
        f"power flow did not converge after {iterations} iterations (Newton-Raphson, limit {limit}, "
        f"tolerance {tolerance_mva:g} p.u.) with {p:.1f} MW / {q:.1f} MVAr of load: the load is beyond what "
        "the network can carry (voltage collapse) or the case data are inconsistent"
    )


def _json_float(value: object, digits: int) -> float | None:
    """A finite float rounded for JSON, None for NaN, infinity or None."""
    if value is None:
        return None
    x = float(value)  # type: ignore[arg-type]
    return round(x, digits) if math.isfinite(x) else None
