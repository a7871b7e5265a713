"""N-1 contingency analysis: each line and transformer out in turn, with islanding, overloads and voltages.

For every outage the analysis reports whether the post-contingency power flow converged, which buses it
cuts off from the slack (and the load lost with them, in MW: islanded load counts as lost, not as a
failed power flow), the branches loaded above a limit, the buses outside a voltage band per voltage level,
the maximum loading and the voltage range. A summary ranks the critical outages: those that diverge, lose
load, or cause a violation (one absent before the outage, or one that worsens by more than
:data:`WORSE_LOADING_PCT` / :data:`WORSE_VM_PU`).

Two engines give the same answers (a test compares them on every outage of three grids):

``"lightsim2grid"`` (default, fast)
    One batch of lightsim2grid's contingency analysis (``ContingencyAnalysisCPP``) on a copy of the grid
    that its importer can read: buses joined by closed bus-bus switches fused, a branch end behind an
    open switch moved to an auxiliary bus (as pandapower does), unsupplied buses switched off. Islanding
    is found on the graph before solving (bridges of a depth-first tree rooted at the slack); the batch
    solves the part still fed from the slack. An outage whose island is larger than what stays fed is
    skipped by the batch and solved alone.
``"pandapower"`` (reference)
    A plain loop: set the element out of service, ``pp.runpp(net, lightsim2grid=False)`` started from the
    base-case voltages (as the fast engine starts), restore.

Loading follows pandapower: lines ``max(i_from, i_to) / (max_i_ka * df * parallel)``, transformers
``max(i_hv * vn_hv_kv, i_lv * vn_lv_kv) * sqrt(3) / (sn_mva * df * parallel)``, both in %.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order

from gridcore.network.limits import band_per_bus, bands_by_kv

if TYPE_CHECKING:
    from lightsim2grid.lightsim2grid_cpp import LSGrid
    from pandapower.auxiliary import pandapowerNet

#: Voltage band per voltage level: {lowest nominal voltage [kV]: (vm_min, vm_max) [p.u.]}; a bus takes
#: the band of the highest level at or below its ``vn_kv``. The bands of :mod:`gridcore.network.limits`
#: (LV/MV 0.95-1.05, HV/EHV from 60 kV 0.90-1.10), in this form.
DEFAULT_VM_BAND: dict[float, tuple[float, float]] = bands_by_kv()
#: Newton-Raphson iterations per outage (pandapower's default for ``runpp``).
MAX_ITER = 10
#: Power mismatch tolerance [p.u.] of the fast engine (pandapower's default ``tolerance_mva`` is 1e-8).
TOL_PU = 1e-8
#: Outages x buses per lightsim2grid batch: keeps a batch's voltage matrix near 64 MB.
_CHUNK_CELLS = 1 << 22
#: Columns of ``ContingencyResult.outages``.
_OUTAGE_COLUMNS = [
    "name",
    "converged",
    "islanded",
    "n_islanded_buses",
    "load_lost_mw",
    "gen_lost_mw",
    "n_overloads",
    "n_voltage_violations",
    "n_new_violations",
    "max_loading_pct",
    "max_loading_element",
    "vm_min_pu",
    "vm_max_pu",
    "worst_overload_pct",
    "worst_vm_excess_pu",
    "critical",
    "rank",
    "islanded_buses",
]
#: pandapower tables the fast engine cannot model; their in-service rows raise.
_UNSUPPORTED = ("trafo3w", "impedance", "ward", "xward", "dcline", "motor", "asymmetric_load", "svc", "tcsc")

Engine = Literal["lightsim2grid", "pandapower"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ContingencyResult:
    """Outcome of an N-1 analysis.

    Attributes
    ----------
    outages : pd.DataFrame
        One row per outage, index (``outage_type``, ``outage_element``) = (``line``/``trafo``, pandapower
        index). Columns: ``name``; ``converged``; ``islanded`` (some bus cut off from every slack);
        ``n_islanded_buses``; ``load_lost_mw`` [MW] and ``gen_lost_mw`` [MW] (in-service load and
        generation on the islanded buses); ``n_overloads``; ``n_voltage_violations``;
        ``n_new_violations`` (those the outage causes: absent before it, or worse by more than
        :data:`WORSE_LOADING_PCT` / :data:`WORSE_VM_PU`); ``max_loading_pct`` [%] and
        ``max_loading_element`` (e.g. ``line 12``); ``vm_min_pu``, ``vm_max_pu`` [p.u.] over the
        energized buses; ``worst_overload_pct`` [%] (largest loading above the limit, 0 if none);
        ``worst_vm_excess_pu`` [p.u.] (largest distance outside the band, 0 if none); ``critical``
        (diverged, lost load or caused a violation); ``rank`` (1 = most critical, see :meth:`critical`);
        ``islanded_buses`` (tuple of bus ids). Metrics of a diverged outage are NaN, its counts 0.
    violations : pd.DataFrame
        One row per outage x violated element: ``outage_type``, ``outage_element``, ``kind``
        (``overload``/``undervoltage``/``overvoltage``), ``element_type`` (``line``/``trafo``/``bus``),
        ``element``, ``value`` (loading [%] or voltage [p.u.]), ``limit`` (same unit), ``base_value``
        (pre-contingency value), ``pre_existing`` (already violated before the outage).
    base_vm_pu : pd.Series
        Pre-contingency voltage per bus [p.u.]; NaN for buses not supplied.
    base_loading_pct : pd.Series
        Pre-contingency loading per branch [%], index (``element_type``, ``element``).
    engine : str
        ``lightsim2grid`` or ``pandapower``.
    seconds : float
        Wall-clock time of the analysis [s].
    loading_limit : float
        Thermal limit used [%].
    vm_pu : pd.DataFrame or None
        With ``keep_flows``: outage x bus voltage [p.u.], NaN where de-energized.
    loading_pct : pd.DataFrame or None
        With ``keep_flows``: outage x branch loading [%], 0 where out of service or de-energized.
    """

    outages: pd.DataFrame
    violations: pd.DataFrame
    base_vm_pu: pd.Series
    base_loading_pct: pd.Series
    engine: str
    seconds: float
    loading_limit: float
    vm_pu: pd.DataFrame | None = None
    loading_pct: pd.DataFrame | None = None

    @property
    def n_cases(self) -> int:
        """Number of outages analysed."""
        return len(self.outages)

    def critical(self) -> pd.DataFrame:
        """The critical outages, most critical first.

        An outage is critical when its power flow diverged, it lost load, or it caused a violation
        (``n_new_violations``; violations already there before the outage stay in :attr:`violations`
        with ``pre_existing``). Ranking: diverged first, then by number of overloads, load lost, worst
        overload, number of voltage violations and worst voltage excess (all descending).

        Returns
        -------
        pd.DataFrame
            Rows of :attr:`outages`, sorted by ``rank``.
        """
        return self.outages[self.outages["critical"]].sort_values("rank")

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready summary: counts, seconds taken and the ``top`` critical outages.

        Parameters
        ----------
        top : int
            Number of critical outages listed.

        Returns
        -------
        dict
            ``engine``, ``n_cases``, ``seconds`` [s], ``loading_limit_pct`` [%], ``n_diverged``,
            ``n_islanding``, ``load_lost_mw_max`` [MW], ``n_with_overloads``,
            ``n_with_voltage_violations``, ``n_critical`` and ``critical`` (records with ``outage_type``,
            ``outage_element``, ``name``, ``rank``, ``converged``, ``n_islanded_buses``, ``load_lost_mw``,
            ``gen_lost_mw``, ``n_overloads``, ``n_voltage_violations``, ``n_new_violations``,
            ``max_loading_pct``, ``max_loading_element``, ``vm_min_pu``, ``vm_max_pu``).
        """
        o = self.outages
        crit = self.critical().head(top).reset_index()
        cols = [
            "outage_type",
            "outage_element",
            "name",
            "rank",
            "converged",
            "n_islanded_buses",
            "load_lost_mw",
            "gen_lost_mw",
            "n_overloads",
            "n_voltage_violations",
            "n_new_violations",
            "max_loading_pct",
            "max_loading_element",
            "vm_min_pu",
            "vm_max_pu",
        ]
        records = [
            {k: _json_value(v) for k, v in row.items()} for row in crit[cols].to_dict(orient="records")
        ]
        return {
            "engine": self.engine,
            "n_cases": self.n_cases,
            "seconds": round(self.seconds, 4),
            "loading_limit_pct": self.loading_limit,
            "n_diverged": int((~o["converged"]).sum()),
            "n_islanding": int(o["islanded"].sum()),
            "load_lost_mw_max": _json_value(o["load_lost_mw"].max()) if len(o) else 0.0,
            "n_with_overloads": int((o["n_overloads"] > 0).sum()),
            "n_with_voltage_violations": int((o["n_voltage_violations"] > 0).sum()),
            "n_critical": int(o["critical"].sum()),
            "critical": records,
        }


def contingency_analysis(
    net: pandapowerNet,
    elements: Iterable[tuple[str, int]] | None = None,
    loading_limit: float = 100.0,
    vm_band: Mapping[float, tuple[float, float]]
    | Mapping[str, tuple[float, float]]
    | tuple[float, float]
    | None = None,
    engine: Engine = "lightsim2grid",
    progress: Progress | None = None,
    keep_flows: bool = False,
    n_threads: int = 1,
) -> ContingencyResult:
    """N-1 contingency analysis of a pandapower network.

    Parameters
    ----------
    net : pandapowerNet
        The grid in its base state; not modified.
    elements : iterable of (str, int), optional
        Outages as (``"line"``/``"trafo"``, pandapower index). By default every in-service line and
        two-winding transformer that is energized in the base case and not opened by a switch (an open
        tie line carries no flow; list it explicitly to study it anyway).
    loading_limit : float
        Thermal limit [%] of ``loading_percent``; above it a branch is overloaded.
    vm_band : mapping or (float, float), optional
        Voltage band [p.u.]: one (vm_min, vm_max) for every bus; or per voltage level, either by level
        name, ``{"MV": (0.97, 1.03)}``, replacing the defaults of :mod:`gridcore.network.limits` for the
        levels named, or by nominal voltage, ``{lowest vn_kv [kV]: (vm_min, vm_max)}``. By default the
        bands of :mod:`gridcore.network.limits` (:data:`DEFAULT_VM_BAND`).
    engine : {"lightsim2grid", "pandapower"}
        Fast batch engine or the pandapower reference loop.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch (fast engine) or outage (pandapower).
    keep_flows : bool
        Also return the outage x bus voltages and outage x branch loadings (memory grows as outages x
        buses).
    n_threads : int
        Threads of the lightsim2grid batch (fast engine only).

    Returns
    -------
    ContingencyResult

    Raises
    ------
    ValueError
        Naming an outage that is not an in-service line or transformer of ``net``, an unknown engine or
        a malformed band.
    NotImplementedError
        The fast engine met an element lightsim2grid does not model (e.g. ``trafo3w``, several slacks);
        the message names it; ``engine="pandapower"`` handles it.
    RuntimeError
        The base case does not converge.
    """
    t0 = time.perf_counter()
    if engine not in ("lightsim2grid", "pandapower"):
        raise ValueError(f"engine: {engine!r} is not 'lightsim2grid' or 'pandapower'")
    band = _band_per_bus(net, vm_band)
    select = _OutageSelection(net, elements)
    if engine == "lightsim2grid":
        outages, batches, base_vm, base_loading = _run_lightsim2grid(net, select, progress, n_threads)
    else:
        outages, batches, base_vm, base_loading = _run_pandapower(net, select, progress)
    return _assemble(
        net, outages, batches, base_vm, base_loading, band, loading_limit, engine, keep_flows, t0
    )


# --------------------------------------------------------------------------------------------------
# shared: outage list, bands, evaluation


@dataclass
class _Batch:
    """Post-contingency state of some outages, in the reporting order of buses and branches."""

    rows: np.ndarray  # positions in the outage list
    converged: np.ndarray  # bool
    vm: np.ndarray  # outages x buses [p.u.], NaN where de-energized or diverged
    loading: np.ndarray  # outages x branches [%], 0 where de-energized, NaN where diverged
    islanded: list[tuple[int, ...]]
    load_lost_mw: np.ndarray
    gen_lost_mw: np.ndarray


def _branch_index(net: pandapowerNet) -> pd.MultiIndex:
    """Every line then every transformer of ``net``, as (``element_type``, ``element``)."""
    return pd.MultiIndex.from_arrays(
        [["line"] * len(net.line) + ["trafo"] * len(net.trafo), [*net.line.index, *net.trafo.index]],
        names=["element_type", "element"],
    )


def _switch_opened(net: pandapowerNet) -> set[tuple[str, int]]:
    """Branches with an open switch at one end or both: (``line``/``trafo``, index)."""
    sw = net.switch
    open_sw = sw[~sw["closed"].astype(bool)]
    kind = {"l": "line", "t": "trafo"}
    return {(kind[et], int(e)) for et, e in zip(open_sw["et"], open_sw["element"], strict=True) if et in kind}


class _OutageSelection:
    """The outages to study, checked against the base case of an engine.

    By default every in-service branch not opened by a switch and energized in the base case (an end on a
    supplied bus); listed elements must be in-service lines or transformers, energized too.
    """

    def __init__(self, net: pandapowerNet, elements: Iterable[tuple[str, int]] | None) -> None:
        self.net = net
        self.explicit = elements is not None
        if elements is None:
            opened = _switch_opened(net)
            cand = [("line", int(i)) for i in net.line.index[net.line["in_service"].astype(bool)]]
            cand += [("trafo", int(i)) for i in net.trafo.index[net.trafo["in_service"].astype(bool)]]
            self.candidates = [c for c in cand if c not in opened]
            return
        self.candidates = []
        for kind, idx in elements:
            if kind not in ("line", "trafo"):
                raise ValueError(f"elements: {kind!r} is not 'line' or 'trafo' (outage {kind} {idx})")
            if idx not in net[kind].index:
                raise ValueError(f"elements: {kind} {idx} is not in net.{kind}")
            if not bool(net[kind].at[idx, "in_service"]):
                raise ValueError(f"elements: {kind} {idx} is already out of service in the base case")
            self.candidates.append((kind, int(idx)))

    def __call__(self, base_vm: np.ndarray) -> list[tuple[str, int]]:
        """The outages, given the base-case voltage per bus [p.u.] (NaN where not supplied)."""
        net = self.net
        supplied = pd.Series(~np.isnan(base_vm), index=net.bus.index)
        energized = np.zeros(len(self.candidates), bool)
        for kind, ends in (("line", ("from_bus", "to_bus")), ("trafo", ("hv_bus", "lv_bus"))):
            k = np.array([i for i, (t, _) in enumerate(self.candidates) if t == kind], dtype=np.int64)
            if len(k):
                rows = net[kind].loc[[self.candidates[i][1] for i in k]]
                energized[k] = supplied[rows[ends[0]]].to_numpy() | supplied[rows[ends[1]]].to_numpy()
        if self.explicit and not energized.all():
            kind, idx = self.candidates[int(np.flatnonzero(~energized)[0])]
            raise ValueError(f"elements: {kind} {idx} is not energized in the base case")
        return [c for c, e in zip(self.candidates, energized, strict=True) if e]


def _band_per_bus(
    net: pandapowerNet,
    vm_band: Mapping[float, tuple[float, float]]
    | Mapping[str, tuple[float, float]]
    | tuple[float, float]
    | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(vm_min, vm_max) [p.u.] for every bus of ``net``, in ``net.bus`` order."""
    vn = net.bus["vn_kv"].to_numpy(dtype=float)
    if vm_band is None or (isinstance(vm_band, Mapping) and all(isinstance(k, str) for k in vm_band)):
        return band_per_bus(vn, vm_band)  # type: ignore[arg-type]
    if isinstance(vm_band, Mapping):
        levels = sorted((float(k), (float(lo), float(hi))) for k, (lo, hi) in vm_band.items())
        if not levels or levels[0][0] > vn.min():
            raise ValueError(
                f"vm_band: no band for buses below {levels[0][0] if levels else 0} kV "
                f"(lowest bus vn_kv {vn.min()} kV); add a level at 0.0"
            )
        lows = np.array([lv for lv, _ in levels])
        which = np.searchsorted(lows, vn, side="right") - 1
        lo = np.array([b[0] for _, b in levels])[which]
        hi = np.array([b[1] for _, b in levels])[which]
    else:
        lo_v, hi_v = (float(v) for v in vm_band)
        lo, hi = np.full(len(vn), lo_v), np.full(len(vn), hi_v)
    if np.any(lo >= hi):
        raise ValueError(f"vm_band: vm_min must be below vm_max, got {vm_band}")
    return lo, hi


#: Violation kinds and element types, as the categories of ``ContingencyResult.violations``.
_KINDS = ["overload", "undervoltage", "overvoltage"]
_ELEMENT_TYPES = ["line", "trafo", "bus"]
#: A pre-existing violation counts as caused by the outage when it worsens by more than this:
#: loading [percentage points], voltage [p.u.].
WORSE_LOADING_PCT = 1.0
WORSE_VM_PU = 0.005


def _assemble(
    net: pandapowerNet,
    outages: list[tuple[str, int]],
    batches: list[_Batch],
    base_vm: np.ndarray,
    base_loading: np.ndarray,
    band: tuple[np.ndarray, np.ndarray],
    limit: float,
    engine: str,
    keep_flows: bool,
    t0: float,
) -> ContingencyResult:
    """Evaluate the batches against the limits and build the result tables."""
    n = len(outages)
    lo, hi = band
    bus_ids = net.bus.index.to_numpy()
    branches = _branch_index(net)
    br_code = np.asarray(branches.get_level_values(0) == "trafo", dtype=np.int8)
    br_id = branches.get_level_values(1).to_numpy()
    br_label = np.array(
        [f"{_ELEMENT_TYPES[t]} {i}" for t, i in zip(br_code, br_id, strict=True)], dtype=object
    )
    bus_code = np.full(len(bus_ids), 2, np.int8)
    # per kind: code, per-element limit, base value, base violated, sign and margin of "worse", elements
    checks = (
        (0, np.full(len(br_id), float(limit)), base_loading, base_loading > limit, 1.0, WORSE_LOADING_PCT),
        (1, lo, base_vm, base_vm < lo, -1.0, WORSE_VM_PU),
        (2, hi, base_vm, base_vm > hi, 1.0, WORSE_VM_PU),
    )
    elements = ((br_code, br_id), (bus_code, bus_ids), (bus_code, bus_ids))

    cols: dict[str, np.ndarray] = {
        "converged": np.zeros(n, bool),
        "n_islanded_buses": np.zeros(n, np.int64),
        "load_lost_mw": np.zeros(n),
        "gen_lost_mw": np.zeros(n),
        "n_overloads": np.zeros(n, np.int64),
        "n_voltage_violations": np.zeros(n, np.int64),
        "n_new_violations": np.zeros(n, np.int64),
        "max_loading_pct": np.full(n, np.nan),
        "max_loading_element": np.full(n, None, dtype=object),
        "vm_min_pu": np.full(n, np.nan),
        "vm_max_pu": np.full(n, np.nan),
        "worst_overload_pct": np.zeros(n),
        "worst_vm_excess_pu": np.zeros(n),
    }
    islanded: list[tuple[int, ...]] = [()] * n
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int8), np.zeros(0, np.int64))
    viol: list[tuple[np.ndarray, ...]] = [(*empty, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, bool))]
    vm_all = np.full((n, len(bus_ids)), np.nan) if keep_flows else None
    loading_all = np.full((n, len(br_id)), np.nan) if keep_flows else None
    for b in batches:
        r = b.rows
        cols["converged"][r] = b.converged
        cols["load_lost_mw"][r] = b.load_lost_mw
        cols["gen_lost_mw"][r] = b.gen_lost_mw
        for k, isl in zip(r, b.islanded, strict=True):
            islanded[k] = isl
            cols["n_islanded_buses"][k] = len(isl)
        if vm_all is not None and loading_all is not None:
            vm_all[r] = b.vm
            loading_all[r] = b.loading
        with np.errstate(invalid="ignore"):
            masks = (b.loading > limit, b.vm < lo, b.vm > hi)
        cols["n_overloads"][r] = masks[0].sum(axis=1)
        cols["n_voltage_violations"][r] = masks[1].sum(axis=1) + masks[2].sum(axis=1)
        if b.loading.shape[1]:
            cols["max_loading_pct"][r] = np.fmax.reduce(b.loading, axis=1)
            arg = np.where(np.isnan(b.loading), -np.inf, b.loading).argmax(axis=1)
            cols["max_loading_element"][r] = np.where(b.converged, br_label[arg], None)
            cols["worst_overload_pct"][r] = np.fmax.reduce(
                np.where(masks[0], b.loading - limit, 0.0), axis=1, initial=0.0
            )
        if b.vm.shape[1]:
            cols["vm_min_pu"][r] = np.fmin.reduce(b.vm, axis=1)
            cols["vm_max_pu"][r] = np.fmax.reduce(b.vm, axis=1)
            excess = np.where(masks[1], lo - b.vm, 0.0) + np.where(masks[2], b.vm - hi, 0.0)
            cols["worst_vm_excess_pu"][r] = np.fmax.reduce(excess, axis=1, initial=0.0)
        for (code, limits, base, pre, sign, margin), (etype, eid), mask in zip(
            checks, elements, masks, strict=True
        ):
            i, j = np.nonzero(mask)
            values = (b.loading if code == 0 else b.vm)[i, j]
            caused = ~pre[j] | (sign * (values - base[j]) > margin)
            cols["n_new_violations"][r] += np.bincount(i[caused], minlength=len(r))
            viol.append(
                (r[i], np.full(len(i), code, np.int8), etype[j], eid[j], values, limits[j], base[j], pre[j])
            )

    index = pd.MultiIndex.from_arrays(
        [[t for t, _ in outages], [i for _, i in outages]], names=["outage_type", "outage_element"]
    )
    frame = pd.DataFrame(cols, index=index)
    frame.insert(0, "name", _names(net, outages))
    frame.insert(2, "islanded", frame["n_islanded_buses"] > 0)
    diverged = ~frame["converged"]
    for c in ("worst_overload_pct", "worst_vm_excess_pu"):
        frame.loc[diverged, c] = np.nan
    frame["critical"] = diverged | (frame["load_lost_mw"] > 0) | (frame["n_new_violations"] > 0)
    # severities rounded to well above solver noise, so that ties fall back to the outage order
    order = np.lexsort(
        [
            -frame["worst_vm_excess_pu"].fillna(0).round(5).to_numpy(),
            -frame["n_voltage_violations"].to_numpy(),
            -frame["worst_overload_pct"].fillna(0).round(2).to_numpy(),
            -frame["load_lost_mw"].round(6).to_numpy(),
            -frame["n_overloads"].to_numpy(),
            frame["converged"].to_numpy(),
        ]
    )
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    frame["rank"] = rank
    frame["islanded_buses"] = pd.Series(islanded, index=frame.index, dtype=object)
    frame = frame[_OUTAGE_COLUMNS]

    violations = _violation_frame(viol, outages)
    base_vm_s = pd.Series(base_vm, index=pd.Index(bus_ids, name="bus"), name="vm_pu")
    base_loading_s = pd.Series(base_loading, index=branches, name="loading_pct")
    vm_df = loading_df = None
    if vm_all is not None and loading_all is not None:
        vm_df = pd.DataFrame(vm_all, index=frame.index, columns=base_vm_s.index)
        loading_df = pd.DataFrame(loading_all, index=frame.index, columns=branches)
    return ContingencyResult(
        outages=frame,
        violations=violations,
        base_vm_pu=base_vm_s,
        base_loading_pct=base_loading_s,
        engine=engine,
        seconds=time.perf_counter() - t0,
        loading_limit=float(limit),
        vm_pu=vm_df,
        loading_pct=loading_df,
    )


def _violation_frame(viol: list[tuple[np.ndarray, ...]], outages: list[tuple[str, int]]) -> pd.DataFrame:
    """One row per outage x violated element, ordered by outage, kind, then element."""
    row, kind, etype, element, value, limit, base, pre = (np.concatenate(p) for p in zip(*viol, strict=True))
    order = np.lexsort((kind, row))  # stable: elements stay in table order within (outage, kind)
    row = row[order]
    out_type = np.array([t for t, _ in outages] or [""], dtype=object)
    out_id = np.array([i for _, i in outages] or [0], dtype=np.int64)
    return pd.DataFrame(
        {
            "outage_type": out_type[row],
            "outage_element": out_id[row],
            "kind": pd.Categorical.from_codes(kind[order], categories=_KINDS),
            "element_type": pd.Categorical.from_codes(etype[order], categories=_ELEMENT_TYPES),
            "element": element[order].astype(np.int64),
            "value": value[order],
            "limit": limit[order],
            "base_value": base[order],
            "pre_existing": pre[order],
        }
    )


def _names(net: pandapowerNet, outages: list[tuple[str, int]]) -> list[str]:
    """The elements' names, or ``line 12`` where a name is missing."""
    names = {
        kind: net[kind]["name"].to_dict() if "name" in net[kind].columns else {} for kind in ("line", "trafo")
    }
    out = []
    for kind, idx in outages:
        name = names[kind].get(idx)
        out.append(name if isinstance(name, str) and name else f"{kind} {idx}")
    return out


def _json_value(v: Any) -> Any:
    """A plain JSON value: numpy scalars unwrapped, NaN as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _injection_mw(net: pandapowerNet, table: str) -> pd.DataFrame:
    """In-service active power per row of a load/sgen/gen table [MW] (``p_mw * scaling``), with its bus."""
    t = net[table]
    scaling = t["scaling"].to_numpy(dtype=float) if "scaling" in t.columns else 1.0
    p = t["p_mw"].to_numpy(dtype=float) * scaling * t["in_service"].to_numpy(dtype=bool)
    return pd.DataFrame({"bus": t["bus"].to_numpy(), "p_mw": p})


def _per_bus_mw(net: pandapowerNet, tables: Sequence[str]) -> np.ndarray:
    """In-service active power of ``tables`` summed per bus [MW], in ``net.bus`` order."""
    pos = net.bus.index
    out = np.zeros(len(pos))
    for table in tables:
        inj = _injection_mw(net, table)
        np.add.at(out, pos.get_indexer(inj["bus"]), inj["p_mw"].to_numpy())
    return out


# --------------------------------------------------------------------------------------------------
# reference engine: pandapower loop


def _numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def _runpp(net: pandapowerNet, start: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Run pandapower's Newton-Raphson, never delegated to lightsim2grid.

    ``start`` is (vm [p.u.], va [deg]) per bus to start from; pandapower's default (a DC power flow)
    otherwise.
    """
    import pandapower as pp

    kwargs = {} if start is None else {"init_vm_pu": start[0], "init_va_degree": start[1]}
    pp.runpp(net, lightsim2grid=False, numba=_numba_available(), max_iteration=MAX_ITER, **kwargs)


def _pp_state(net: pandapowerNet) -> tuple[np.ndarray, np.ndarray]:
    """(vm per bus [p.u.], loading per branch [%]) of the last pandapower power flow."""
    vm = net.res_bus["vm_pu"].reindex(net.bus.index).to_numpy(dtype=float)
    loading = np.concatenate(
        [
            net.res_line["loading_percent"].reindex(net.line.index).to_numpy(dtype=float),
            net.res_trafo["loading_percent"].reindex(net.trafo.index).to_numpy(dtype=float),
        ]
    )
    return vm, np.where(np.isnan(loading), 0.0, loading)


def _run_pandapower(
    net: pandapowerNet, select: _OutageSelection, progress: Progress | None
) -> tuple[list[tuple[str, int]], list[_Batch], np.ndarray, np.ndarray]:
    """The reference loop: one ``runpp`` per outage on a copy of ``net``.

    Islanded buses: those supplied in the base case that the outage leaves without voltage, or, when the
    power flow diverges, without a path to the slack (``pandapower.topology.unsupplied_buses``).
    """
    import pandapower as pp
    from pandapower.topology import unsupplied_buses

    work = copy.deepcopy(net)
    try:
        _runpp(work)
    except pp.LoadflowNotConverged as err:
        raise RuntimeError("the base case does not converge (pandapower)") from err
    base_vm, base_loading = _pp_state(work)
    outages = select(base_vm)
    # every outage starts from the base case, as the fast engine does (a third fewer iterations)
    start = (
        np.nan_to_num(base_vm, nan=1.0),
        np.nan_to_num(work.res_bus["va_degree"].reindex(work.bus.index).to_numpy(dtype=float), nan=0.0),
    )
    supplied = ~np.isnan(base_vm)
    load_mw = _per_bus_mw(work, ["load"])
    gen_mw = _per_bus_mw(work, ["sgen", "gen"])
    bus_ids = work.bus.index.to_numpy()
    n, nb, nbr = len(outages), len(bus_ids), len(base_loading)
    vm = np.full((n, nb), np.nan)
    loading = np.full((n, nbr), np.nan)
    converged = np.zeros(n, bool)
    islanded: list[tuple[int, ...]] = []
    lost = np.zeros(n)
    gen_lost = np.zeros(n)
    for k, (kind, idx) in enumerate(outages):
        work[kind].at[idx, "in_service"] = False
        try:
            _runpp(work, start)
            converged[k] = True
            vm[k], loading[k] = _pp_state(work)
            cut = supplied & np.isnan(vm[k])
        except pp.LoadflowNotConverged:
            cut = supplied & work.bus.index.isin(list(unsupplied_buses(work)))
        finally:
            work[kind].at[idx, "in_service"] = True
        islanded.append(tuple(int(b) for b in bus_ids[cut]))
        lost[k] = load_mw[cut].sum()
        gen_lost[k] = gen_mw[cut].sum()
        if progress is not None:
            progress(k + 1, n)
    batch = _Batch(np.arange(n), converged, vm, loading, islanded, lost, gen_lost)
    return outages, [batch], base_vm, base_loading


# --------------------------------------------------------------------------------------------------
# fast engine: lightsim2grid


@dataclass
class _LsModel:
    """A pandapower net rewritten for lightsim2grid's importer, and the maps back to the original.

    Model buses are the fused groups of in-service original buses, then one auxiliary bus per branch end
    behind an open switch. Model branches are the original lines then transformers, in table order.
    """

    grid: LSGrid
    bus_map: np.ndarray  # original bus position -> model bus, -1 if out of service
    vn_kv: np.ndarray  # per model bus [kV]
    supplied: np.ndarray  # per model bus: connected to the slack in the base case
    slack: int  # model bus of the slack
    br_from: np.ndarray  # per branch: model bus of side 1 (line from / trafo hv)
    br_to: np.ndarray
    br_on: np.ndarray  # per branch: in service in the model
    load_mw: np.ndarray  # per model bus, supplied buses only [MW]
    gen_mw: np.ndarray


def _prepare(net: pandapowerNet) -> _LsModel:
    """Rewrite ``net`` into a lightsim2grid grid (see :class:`_LsModel`)."""
    from lightsim2grid.network import init_from_pandapower
    from pandapower.auxiliary import pandapowerNet

    for table in _UNSUPPORTED:
        if table in net and len(net[table]) and net[table]["in_service"].astype(bool).any():
            raise NotImplementedError(
                f"engine='lightsim2grid': net.{table} has in-service rows, which lightsim2grid does not "
                "model; use engine='pandapower'"
            )
    for table in ("load", "sgen"):
        const = [c for c in net[table].columns if c.startswith("const_") and net[table][c].abs().sum() > 0]
        if const:
            raise NotImplementedError(
                f"engine='lightsim2grid': net.{table}.{const[0]} is non-zero (voltage-dependent load), "
                "which lightsim2grid does not model; use engine='pandapower'"
            )
    if "slack" in net.gen.columns and (net.gen["slack"].astype(bool) & net.gen["in_service"]).any():
        raise NotImplementedError(
            "engine='lightsim2grid': gens with slack=True are not supported; use engine='pandapower'"
        )
    ext = net.ext_grid[net.ext_grid["in_service"].astype(bool)]
    if len(ext) != 1:
        raise NotImplementedError(
            f"engine='lightsim2grid': needs exactly one in-service ext_grid, found {len(ext)} "
            "(lightsim2grid distributes several slacks); use engine='pandapower'"
        )

    # 1. fuse buses joined by closed bus-bus switches (only between in-service buses)
    pos = net.bus.index
    nb = len(pos)
    bus_on = net.bus["in_service"].to_numpy(dtype=bool)
    sw = net.switch
    bb = sw[(sw["et"] == "b") & sw["closed"].astype(bool)]
    if "z_ohm" in bb.columns and (bb["z_ohm"] > 0).any():
        sid = bb.index[(bb["z_ohm"] > 0).to_numpy()][0]
        raise NotImplementedError(
            f"engine='lightsim2grid': closed bus-bus switch {sid} has z_ohm > 0 (an impedance); "
            "use engine='pandapower'"
        )
    i, j = pos.get_indexer(bb["bus"]), pos.get_indexer(bb["element"])
    keep = bus_on[i] & bus_on[j]
    adj = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(nb, nb))
    _, labels = connected_components(adj, directed=False)
    bus_map = np.full(nb, -1, dtype=np.int64)
    groups, bus_map[bus_on] = np.unique(labels[bus_on], return_inverse=True)
    n_fused = len(groups)
    vn_orig = net.bus["vn_kv"].to_numpy(dtype=float)
    vn = np.empty(n_fused)
    vn[bus_map[bus_on]] = vn_orig[bus_on]

    # 2. branch ends: an end behind an open switch or on an out-of-service bus hangs on an auxiliary bus
    opened = sw[~sw["closed"].astype(bool)]
    aux_vn: list[float] = []
    ends: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for table, et, cols in (("line", "l", ("from_bus", "to_bus")), ("trafo", "t", ("hv_bus", "lv_bus"))):
        t = net[table]
        on = t["in_service"].to_numpy(dtype=bool, copy=True)
        sides = []
        sw_here = opened[opened["et"] == et]
        open_pairs = set(zip(sw_here["element"].astype(int), sw_here["bus"].astype(int), strict=True))
        for col in cols:
            orig = pos.get_indexer(t[col])
            mapped = bus_map[orig]
            is_open = np.array(
                [(int(e), int(b)) in open_pairs for e, b in zip(t.index, t[col], strict=True)], dtype=bool
            ) | (mapped < 0)
            sides.append((mapped, is_open, vn_orig[orig]))
        (m1, o1, v1), (m2, o2, v2) = sides
        on &= ~(o1 & o2)
        for mapped, is_open, vend in ((m1, o1 & on, v1), (m2, o2 & on, v2)):
            k = np.flatnonzero(is_open)
            mapped[k] = n_fused + len(aux_vn) + np.arange(len(k))
            aux_vn.extend(vend[k])
        m1[m1 < 0], m2[m2 < 0] = 0, 0
        ends[table] = (m1, m2, on)
    vn = np.concatenate([vn, np.asarray(aux_vn, dtype=float)])
    n_bus = len(vn)
    br_from = np.concatenate([ends["line"][0], ends["trafo"][0]])
    br_to = np.concatenate([ends["line"][1], ends["trafo"][1]])
    br_on = np.concatenate([ends["line"][2], ends["trafo"][2]])

    # 3. buses with no path to the slack are switched off (pandapower leaves them unsupplied)
    slack = int(bus_map[pos.get_indexer(ext["bus"])[0]])
    if slack < 0:
        raise RuntimeError(f"ext_grid {ext.index[0]} sits on an out-of-service bus")
    adj = coo_matrix((np.ones(int(br_on.sum())), (br_from[br_on], br_to[br_on])), shape=(n_bus, n_bus))
    _, comp = connected_components(adj, directed=False)
    supplied = comp == comp[slack]
    br_on &= supplied[br_from] & supplied[br_to]

    # 4. the rewritten net
    # only the tables the importer reads (pp.create_empty_network costs 0.7 s)
    pnet = pandapowerNet({"sn_mva": float(net.sn_mva), "f_hz": float(net.f_hz), "dcline": pd.DataFrame()})
    pnet.bus = pd.DataFrame(
        {"name": None, "vn_kv": vn, "type": "b", "zone": None, "in_service": supplied},
        index=pd.RangeIndex(n_bus),
    )
    line = net.line.copy()
    line["from_bus"], line["to_bus"] = ends["line"][0], ends["line"][1]
    line["in_service"] = br_on[: len(line)]
    par = line["parallel"].to_numpy(dtype=float)
    for c in ("r_ohm_per_km", "x_ohm_per_km"):
        line[c] = line[c].to_numpy(dtype=float) / par
    for c in ("c_nf_per_km", "g_us_per_km"):
        line[c] = line[c].to_numpy(dtype=float) * par
    line["parallel"] = 1
    pnet.line = line.reset_index(drop=True)
    pnet.trafo = _trafo_for_lightsim(net.trafo, ends["trafo"], br_on[len(line) :])

    def elements(table: str, cols: Sequence[str]) -> pd.DataFrame:
        t = net[table]
        out = t[[c for c in cols if c in t.columns]].copy().reset_index(drop=True)
        mapped = bus_map[pos.get_indexer(t["bus"])]
        out["bus"] = np.where(mapped >= 0, mapped, 0)
        out["in_service"] = t["in_service"].to_numpy(dtype=bool) & (mapped >= 0) & supplied[out["bus"]]
        return out

    for table in ("load", "sgen"):
        inj = elements(table, ["name", "p_mw", "q_mvar", "scaling"])
        for c in ("p_mw", "q_mvar", "scaling"):
            inj[c] = inj[c].astype(float) if c in inj.columns else 1.0
        pnet[table] = inj
    gen = elements("gen", ["name", "vm_pu", "min_q_mvar", "max_q_mvar"])
    gen["p_mw"] = _injection_mw(net, "gen")["p_mw"].to_numpy()
    for c in ("vm_pu", "min_q_mvar", "max_q_mvar"):
        gen[c] = gen[c].astype(float)
    # a generator on the slack bus becomes lightsim2grid's slack: it holds the ext_grid's voltage
    gen.loc[gen["bus"] == slack, "vm_pu"] = float(ext["vm_pu"].iloc[0])
    gen["slack"], gen["slack_weight"] = False, 1.0
    pnet.gen = gen
    storage = elements("storage", ["name", "p_mw", "q_mvar"])
    if len(storage):
        scaling = net.storage["scaling"].to_numpy(dtype=float)
        storage["p_mw"] *= scaling
        storage["q_mvar"] *= scaling
    pnet.storage = storage
    shunt = elements("shunt", ["name", "p_mw", "q_mvar"])
    if len(shunt):
        s = net.shunt
        vn_sh = s["vn_kv"].to_numpy(dtype=float)
        vn_bus = vn[shunt["bus"].to_numpy()]
        step = s["step"].to_numpy(dtype=float) if "step" in s.columns else 1.0
        ratio = (vn_bus / np.where(np.isnan(vn_sh), vn_bus, vn_sh)) ** 2 * step
        shunt["p_mw"] *= ratio
        shunt["q_mvar"] *= ratio
    pnet.shunt = shunt
    ext_grid = elements("ext_grid", ["name", "vm_pu", "va_degree", "slack_weight"])
    pnet.ext_grid = ext_grid[ext_grid["in_service"]].reset_index(drop=True)

    with warnings.catch_warnings():
        # the importer warns about defaults it fills in (slack from ext_grid, leakage ratio 0.5)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"lightsim2grid\.")
        # measured against pandapower 3.5: the "pandapower_v2" transformer formulas agree to 1e-11 p.u.,
        # "pandapower_v3" is off by 2e-5 p.u. once a transformer has iron losses (pfe_kw, i0_percent)
        grid = init_from_pandapower(pnet, pp_orig_file="pandapower_v2")

    load_mw = np.zeros(n_bus)
    gen_mw = np.zeros(n_bus)
    for table, acc in (("load", load_mw), ("sgen", gen_mw), ("gen", gen_mw)):
        inj = _injection_mw(net, table)
        mapped = bus_map[pos.get_indexer(inj["bus"])]
        ok = (mapped >= 0) & supplied[np.maximum(mapped, 0)]
        np.add.at(acc, mapped[ok], inj["p_mw"].to_numpy()[ok])
    return _LsModel(grid, bus_map, vn, supplied, slack, br_from, br_to, br_on, load_mw, gen_mw)


def _trafo_for_lightsim(
    trafo: pd.DataFrame, ends: tuple[np.ndarray, np.ndarray, np.ndarray], on: np.ndarray
) -> pd.DataFrame:
    """Transformers with model buses, taps without NaN and ``tap_neutral`` 0, ``parallel`` 1."""
    t = trafo.copy().reset_index(drop=True)
    t["hv_bus"], t["lv_bus"], t["in_service"] = ends[0], ends[1], on
    if len(t) == 0:
        return t
    if "tap_dependency_table" in t.columns and t["tap_dependency_table"].fillna(False).astype(bool).any():
        raise NotImplementedError(
            "engine='lightsim2grid': trafos with tap_dependency_table are not supported; "
            "use engine='pandapower'"
        )
    if "tap2_pos" in t.columns and t["tap2_pos"].notna().any():
        raise NotImplementedError(
            "engine='lightsim2grid': trafos with a second tap changer (tap2_pos) are not supported; "
            "use engine='pandapower'"
        )
    for c in ("tap_pos", "tap_neutral", "tap_step_percent", "tap_step_degree", "shift_degree"):
        t[c] = t[c].astype(float).fillna(0.0) if c in t.columns else 0.0
    t["tap_pos"] = t["tap_pos"] - t["tap_neutral"]
    t["tap_neutral"] = 0.0
    if "tap_changer_type" in t.columns:
        kind = t["tap_changer_type"]
        if (kind == "Ideal").any():
            raise NotImplementedError(
                "engine='lightsim2grid': ideal phase shifters (tap_changer_type 'Ideal') are not "
                "supported; use engine='pandapower'"
            )
        # pandapower 3 applies a tap only for the 'Ratio' and 'Symmetrical' changer types
        t.loc[~kind.isin(["Ratio", "Symmetrical"]), "tap_pos"] = 0.0
    t["tap_side"] = t["tap_side"].where(t["tap_side"].isin(["hv", "lv"]), "hv")
    par = t["parallel"].to_numpy(dtype=float)
    t["sn_mva"] = t["sn_mva"].to_numpy(dtype=float) * par
    t["pfe_kw"] = t["pfe_kw"].to_numpy(dtype=float) * par
    t["parallel"] = 1
    return t


@dataclass
class _Islands:
    """Per branch: the buses its outage cuts off from the slack (a slice of a depth-first order)."""

    order: np.ndarray  # model buses in depth-first preorder from the slack
    start: np.ndarray  # per branch: start of its island in ``order``, -1 if none
    size: np.ndarray  # per branch: number of model buses in its island

    def buses(self, branch: int) -> np.ndarray:
        s = self.start[branch]
        return self.order[s : s + self.size[branch]] if s >= 0 else self.order[:0]


def _islands(m: _LsModel) -> _Islands:
    """Find, for every in-service branch, the part of the grid its outage separates from the slack.

    Bridges of the supplied graph are the edges of a depth-first tree rooted at the slack whose subtree
    has no back edge above it; the island of a bridge is the subtree below it (contiguous in preorder).
    A branch in parallel with another is never a bridge.
    """
    n = len(m.vn_kv)
    on = np.flatnonzero(m.br_on)
    f, t = m.br_from[on], m.br_to[on]
    adj = coo_matrix((np.ones(len(on)), (f, t)), shape=(n, n)).tocsr()
    order, pred = depth_first_order(adj + adj.T, m.slack, directed=True, return_predecessors=True)
    pos = np.full(n, n, dtype=np.int64)
    pos[order] = np.arange(len(order))
    size = np.zeros(n, dtype=np.int64)
    size[order] = 1
    low = pos.copy()
    # branches that are not the tree edge of their child: back edges (incl. parallel copies)
    child = np.where(pred[t] == f, t, np.where(pred[f] == t, f, -1))
    pair = np.minimum(f, t) * n + np.maximum(f, t)
    _, first, counts = np.unique(pair, return_index=True, return_counts=True)
    is_tree = np.zeros(len(on), bool)
    is_tree[first] = child[first] >= 0
    back = ~is_tree
    np.minimum.at(low, f[back], pos[t[back]])
    np.minimum.at(low, t[back], pos[f[back]])
    for v in order[:0:-1]:
        p = pred[v]
        size[p] += size[v]
        if low[v] < low[p]:
            low[p] = low[v]
    multiplicity = dict(zip(pair[first], counts, strict=True))
    start = np.full(len(m.br_on), -1, dtype=np.int64)
    sizes = np.zeros(len(m.br_on), dtype=np.int64)
    for k in np.flatnonzero(is_tree):
        c = child[k]
        if low[c] >= pos[c] and multiplicity[pair[k]] == 1:
            start[on[k]] = pos[c]
            sizes[on[k]] = size[c]
    return _Islands(order, start, sizes)


def _branch_admittance(m: _LsModel) -> tuple[np.ndarray, ...]:
    """Per branch: (y11, y12, y21, y22) [p.u.] from lightsim2grid, zero when out of service."""
    rows = [*m.grid.get_lines(), *m.grid.get_trafos()]
    y = np.array([(b.yac_11, b.yac_12, b.yac_21, b.yac_22) for b in rows], dtype=complex).reshape(-1, 4)
    y[~m.br_on] = 0.0
    return y[:, 0], y[:, 1], y[:, 2], y[:, 3]


def _loading_factors(net: pandapowerNet, m: _LsModel) -> tuple[np.ndarray, np.ndarray]:
    """Per branch: factors turning |I| [p.u.] at side 1 and side 2 into loading [%] (pandapower's rule)."""
    sn = float(net.sn_mva)
    i_base_1 = sn / (math.sqrt(3) * m.vn_kv[m.br_from])  # [kA] per p.u. current
    i_base_2 = sn / (math.sqrt(3) * m.vn_kv[m.br_to])
    line, trafo = net.line, net.trafo
    i_max = (line["max_i_ka"] * line["df"] * line["parallel"]).to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        f_line = 100.0 / i_max
    s_rated = (trafo["sn_mva"] * trafo["df"] * trafo["parallel"]).to_numpy(dtype=float)
    f1 = np.concatenate([f_line, 100.0 * math.sqrt(3) * trafo["vn_hv_kv"].to_numpy(dtype=float) / s_rated])
    f2 = np.concatenate([f_line, 100.0 * math.sqrt(3) * trafo["vn_lv_kv"].to_numpy(dtype=float) / s_rated])
    return f1 * i_base_1, f2 * i_base_2


class _Flows:
    """Turns complex bus voltages of the model into reported voltages and loadings."""

    def __init__(self, net: pandapowerNet, m: _LsModel) -> None:
        y11, y12, y21, y22 = _branch_admittance(m)
        f1, f2 = _loading_factors(net, m)
        n, nbr = len(m.vn_kv), len(m.br_on)
        cols = np.concatenate([np.arange(nbr), np.arange(nbr)])
        buses = np.concatenate([m.br_from, m.br_to])
        # branch currents I1 = V @ y_side1, I2 = V @ y_side2 (buses x branches, two entries per column)
        self.y_side1 = coo_matrix((np.concatenate([y11, y12]), (buses, cols)), shape=(n, nbr)).tocsc()
        self.y_side2 = coo_matrix((np.concatenate([y21, y22]), (buses, cols)), shape=(n, nbr)).tocsc()
        self.f1, self.f2 = f1, f2
        self.bus_col = np.where(m.bus_map >= 0, m.bus_map, 0)
        # switched-off buses keep their start value in lightsim2grid's voltage vector
        self.bus_on = (m.bus_map >= 0) & m.supplied[self.bus_col]

    def vm(self, v: np.ndarray) -> np.ndarray:
        """|V| per original bus [p.u.], NaN where de-energized."""
        vm = np.abs(v[:, self.bus_col])
        vm[:, ~self.bus_on] = np.nan
        vm[vm == 0.0] = np.nan
        return vm

    def loading(self, v: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Loading per branch [%]; ``out[k]`` is the branch out in row k (-1 for none)."""
        a1 = np.abs((self.y_side1.T @ v.T).T) * self.f1
        a2 = np.abs((self.y_side2.T @ v.T).T) * self.f2
        with np.errstate(invalid="ignore"):
            loading = np.fmax(a1, a2)
        rows = np.flatnonzero(out >= 0)
        loading[rows, out[rows]] = 0.0
        loading[np.isnan(loading)] = 0.0
        return loading


def _run_lightsim2grid(
    net: pandapowerNet, select: _OutageSelection, progress: Progress | None, n_threads: int
) -> tuple[list[tuple[str, int]], list[_Batch], np.ndarray, np.ndarray]:
    """The fast engine: lightsim2grid batches, islanding from the graph, loading as pandapower."""
    from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP

    m = _prepare(net)
    n_bus = len(m.vn_kv)
    v_flat = np.ones(n_bus, dtype=complex)
    # a DC power flow first: phase-shifting transformers (e.g. 150 deg Yd5) defeat a flat start
    v_dc = m.grid.dc_pf(v_flat, MAX_ITER, TOL_PU)
    v0 = m.grid.ac_pf(v_dc if v_dc.size else v_flat, MAX_ITER * 2, TOL_PU)
    if v0.size == 0:
        raise RuntimeError("the base case does not converge (lightsim2grid)")
    flows = _Flows(net, m)
    base_vm = flows.vm(v0[None, :])[0]
    base_loading = flows.loading(v0[None, :], np.array([-1]))[0]
    outages = select(base_vm)

    nl = len(net.line)
    branch = np.array(
        [net.line.index.get_loc(i) if t == "line" else nl + net.trafo.index.get_loc(i) for t, i in outages],
        dtype=np.int64,
    )
    islands = _islands(m)
    orig_of_model = _original_buses(m, net)

    n = len(outages)
    width = max(n_bus, len(m.br_on), 1)
    n_chunks = max(math.ceil(n * width / _CHUNK_CELLS), 10 if progress is not None else 1)
    chunks = [c for c in np.array_split(np.arange(n), min(n_chunks, max(n, 1))) if len(c)]
    batches = []
    done = 0
    for rows in chunks:
        v = np.repeat(v0[None, :], len(rows), axis=0)
        converged = np.ones(len(rows), bool)
        # a branch already open at both ends (listed explicitly) leaves the base case as it is
        live = np.flatnonzero(m.br_on[branch[rows]])
        if len(live):
            sa = ContingencyAnalysisCPP(m.grid, False)
            sa.handle_disconnected_grid = True
            sa.nb_thread = n_threads
            sa.add_multiple_n1([int(b) for b in branch[rows][live]])
            sa.compute(v0, MAX_ITER, TOL_PU)
            row_of = {int(d[0]): r for r, d in enumerate(sa.my_defaults())}
            take = np.array([row_of[int(b)] for b in branch[rows][live]], dtype=np.int64)
            v[live] = sa.get_voltages()[take]
            converged[live] = np.asarray(sa.converged_mask(), dtype=bool)[take]
            sa.close()
        for k in np.flatnonzero(~converged & (islands.start[branch[rows]] >= 0)):
            solved = _solve_alone(m, int(branch[rows][k]), v0)
            if solved is not None:
                solved[islands.buses(int(branch[rows][k]))] = 0.0
                v[k], converged[k] = solved, True
        batches.append(_evaluate_rows(rows, branch[rows], v, converged, flows, islands, m, orig_of_model))
        done += len(rows)
        if progress is not None:
            progress(done, n)
    return outages, batches, base_vm, base_loading


def _solve_alone(m: _LsModel, branch: int, v0: np.ndarray) -> np.ndarray | None:
    """One outage whose island outweighs the fed part: solve the slack's component on its own."""
    grid = m.grid.copy()
    nl = len(grid.get_lines())
    if branch < nl:
        grid.deactivate_powerline(branch)
    else:
        grid.deactivate_trafo(branch - nl)
    grid.consider_only_main_component(redistribute_slack=False)
    v = grid.ac_pf(v0.copy(), MAX_ITER, TOL_PU)
    return v if v.size else None


def _original_buses(m: _LsModel, net: pandapowerNet) -> list[np.ndarray]:
    """Original bus ids per model bus (empty for auxiliary buses)."""
    ids = net.bus.index.to_numpy()
    on = np.flatnonzero(m.bus_map >= 0)
    order = on[np.argsort(m.bus_map[on], kind="stable")]
    bounds = np.searchsorted(m.bus_map[order], np.arange(len(m.vn_kv) + 1))
    return [ids[order[bounds[k] : bounds[k + 1]]] for k in range(len(m.vn_kv))]


def _evaluate_rows(
    rows: np.ndarray,
    branch: np.ndarray,
    v: np.ndarray,
    converged: np.ndarray,
    flows: _Flows,
    islands: _Islands,
    m: _LsModel,
    orig_of_model: list[np.ndarray],
) -> _Batch:
    """Reported voltages, loadings and islanding of a chunk of outages."""
    vm = flows.vm(v)
    loading = flows.loading(v, branch)
    vm[~converged] = np.nan
    loading[~converged] = np.nan
    islanded: list[tuple[int, ...]] = []
    lost = np.zeros(len(rows))
    gen_lost = np.zeros(len(rows))
    for k, b in enumerate(branch):
        cut = islands.buses(int(b))
        if len(cut):
            lost[k] = m.load_mw[cut].sum()
            gen_lost[k] = m.gen_mw[cut].sum()
            islanded.append(tuple(sorted(int(x) for c in cut for x in orig_of_model[c])))
        else:
            islanded.append(())
    return _Batch(rows, converged, vm, loading, islanded, lost, gen_lost)
