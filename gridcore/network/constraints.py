"""Constraint periods: when and where the grid will be short, and how much must come off to clear it.

From an hourly power-flow time series (:mod:`gridcore.network.timeseries`) and the injections it was run
with, every element and every contiguous run of hours in violation becomes one :class:`ConstraintPeriod`:

``overload``
    A line or transformer above its thermal limit. ``worst`` is the highest loading [%].
``undervoltage`` / ``overvoltage``
    A bus outside its voltage band (:mod:`gridcore.network.limits`). ``worst`` is the lowest / highest
    voltage [p.u.].
``shortfall``
    The grid's net demand (loads minus generation, at the slack) above a supply capacity (an import or
    plant limit) [MW]; element ``supply``. ``worst`` is the highest net demand [MW].

``relief_mw`` is the active power that must come off *downstream* of the element (the loads fed through
it, :mod:`gridcore.network.downstream`) to clear every hour of the period: load to shed when positive,
generation to curtail when negative (an export-side constraint). It is computed per hour and the largest
is kept:

* **Branch**: the branch carries the downstream net injection ``S = P + jQ`` (loads ``P_L + jQ_L`` minus
  generation ``P_G``). Loading is current, so the apparent power the branch may carry is
  ``S_max = S * limit / loading`` (the power flow's own loading calibrates voltage and losses in). Shedding
  ``x`` MW of downstream load at the loads' power factor (``Q_L / P_L``) leaves
  ``|P - x + j(Q - x Q_L/P_L)| = S_max``; ``x`` is the smaller root of that quadratic. For a reversed flow
  (export) ``y`` MW of generation (at unity power factor) is curtailed: ``|P + y + jQ| = S_max``, relief
  ``-y``. Shedding also lowers losses and raises the voltage, which lowers the current further: the
  figure is on the safe side.
* **Voltage**: a linear voltage-drop sensitivity (LinDistFlow): shedding ``dP`` at load ``j`` raises the
  voltage of bus ``b`` by ``(R_bj dP + X_bj dQ) / V^2`` [p.u.], ``R_bj``, ``X_bj`` the resistance and
  reactance the two share on their paths from the slack (lines, and transformers referred to a common
  1 MVA base). The loads that share the bus's path (:meth:`RadialTree.loads` of ``bus:<i>``) are taken
  the most sensitive first, which needs the least MW (:func:`voltage_relief_mw`); for overvoltage, the
  generation. The sensitivities are calibrated per hour by the bus's actual voltage change from the slack
  over the linear model's (losses, reactive losses, voltage level), only ever downwards (``k`` in
  [0.3, 1]): the figure errs on the safe side. Where even all of them fall short, the relief is all of
  them.
* **Supply**: net demand minus capacity.

Periods are half-open: ``start`` is the first hour in violation, ``end`` the end of the last (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.downstream import RadialTree
from gridcore.network.timeseries import Limits, TimeSeriesResult, constraint_flags

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: Kinds of constraint, in report order.
KINDS = ("shortfall", "overload", "undervoltage", "overvoltage")


@dataclass(frozen=True)
class ConstraintPeriod:
    """One element in violation over a contiguous run of hours.

    Attributes
    ----------
    element : str
        ``line:<i>``, ``trafo:<i>``, ``bus:<i>`` (pandapower index) or ``supply``.
    kind : str
        ``overload``, ``undervoltage``, ``overvoltage`` or ``shortfall``.
    start, end : pd.Timestamp
        UTC: the first hour in violation and the end of the last.
    worst : float
        Highest loading [%], lowest / highest voltage [p.u.], or highest net demand [MW].
    worst_time : pd.Timestamp
        UTC hour of ``worst``.
    relief_mw : float
        Load to take off downstream to clear every hour [MW]; negative: generation to curtail.
    hours : int
        Hours in violation.
    limit : float
        The limit broken: loading [%], voltage bound [p.u.] or supply capacity [MW].
    """

    element: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    worst: float
    worst_time: pd.Timestamp
    relief_mw: float
    hours: int
    limit: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: times ISO 8601 UTC (``2016-07-01T18:00:00Z``), figures rounded (None if not finite)."""
        out = asdict(self)
        for key in ("start", "end", "worst_time"):
            out[key] = f"{pd.Timestamp(out[key]):%Y-%m-%dT%H:%M:%SZ}"
        for key in ("worst", "relief_mw", "limit"):
            value = float(getattr(self, key))
            out[key] = round(value, 4) if np.isfinite(value) else None  # strict JSON: no NaN
        return out


@dataclass(frozen=True)
class Injections:
    """Hourly injections a time series was run with, in the order of ``net.load`` / ``net.sgen``.

    Attributes
    ----------
    load_p_mw, load_q_mvar : np.ndarray
        (time, load) [MW], [MVAr].
    sgen_p_mw : np.ndarray
        (time, sgen) [MW].
    storage_p_mw : np.ndarray, optional
        (time, storage) [MW], positive charging, in the order of ``net.storage``; none when omitted. Part
        of the flows, never taken off.
    """

    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray
    sgen_p_mw: np.ndarray
    storage_p_mw: np.ndarray | None = None

    def net_demand_mw(self) -> np.ndarray:
        """Loads and charging minus generation and discharging per hour [MW] (losses not included)."""
        out = self.load_p_mw.sum(axis=1) - self.sgen_p_mw.sum(axis=1)
        if self.storage_p_mw is not None:
            out = out + self.storage_p_mw.sum(axis=1)
        return out

    def part(self, rows: slice) -> Injections:
        """The injections of some hours."""
        st = None if self.storage_p_mw is None else self.storage_p_mw[rows]
        return Injections(self.load_p_mw[rows], self.load_q_mvar[rows], self.sgen_p_mw[rows], st)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of True as half-open ``(first, stop)`` positions.

    Parameters
    ----------
    mask : np.ndarray of bool
        One flag per time step.

    Returns
    -------
    list of (int, int)
    """
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def branch_relief_mw(
    p_mw: np.ndarray,
    q_mvar: np.ndarray,
    load_p_mw: np.ndarray,
    load_q_mvar: np.ndarray,
    loading_pct: np.ndarray,
    limit_pct: float,
    vm_pu: np.ndarray | None = None,
    r_pu: float = 0.0,
    x_pu: float = 0.0,
) -> np.ndarray:
    """Load to shed (positive) or generation to curtail (negative) below a branch to bring it to its limit.

    With the voltage at the branch's downstream end and the path impedance to it, the limit in MVA is
    moved with the voltage the relief brings (the current limit is fixed: ``S_max`` scales with ``V``):
    shedding load raises the voltage (more MVA allowed), curtailing generation lowers it (fewer); three
    fixed-point steps.

    Parameters
    ----------
    p_mw, q_mvar : np.ndarray
        Downstream net injection per hour: loads minus generation [MW], [MVAr].
    load_p_mw, load_q_mvar : np.ndarray
        Downstream load per hour [MW], [MVAr] (its power factor is the one shed).
    loading_pct : np.ndarray
        The branch's loading per hour [%].
    limit_pct : float
        Thermal limit [%].
    vm_pu : np.ndarray, optional
        Voltage at the branch's downstream end per hour [p.u.]; no voltage correction when omitted.
    r_pu, x_pu : float
        Resistance and reactance from the slack to that end [p.u. on 1 MVA].

    Returns
    -------
    np.ndarray
        Per hour [MW]; 0 where the branch is within its limit.
    """
    p, q = np.asarray(p_mw, float), np.asarray(q_mvar, float)
    loading = np.asarray(loading_pct, float)
    over = np.isfinite(loading) & (loading > limit_pct)
    s = np.hypot(p, q)
    s_lim = s * np.where(over, limit_pct / np.where(over, loading, 1.0), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(np.abs(load_p_mw) > 1e-12, load_q_mvar / load_p_mw, 0.0)
    a = 1.0 + r**2
    b = p + q * r

    def solve(s_max: np.ndarray) -> np.ndarray:
        # import side: (p - x)^2 + (q - r x)^2 = s_max^2 -> (1 + r^2) x^2 - 2 (p + q r) x + s^2 - s_max^2 = 0
        shed = (b - np.sqrt(np.maximum(b**2 - a * (s**2 - s_max**2), 0.0))) / a
        # export side (p < 0): (p + y)^2 + q^2 = s_max^2 -> y = -p - sqrt(s_max^2 - q^2)
        curtail = -p - np.sqrt(np.maximum(s_max**2 - q**2, 0.0))
        return np.where(p >= 0, shed, -curtail)

    relief = solve(s_lim)
    if vm_pu is not None:
        vm = np.where(np.isfinite(vm_pu) & (vm_pu > 0), vm_pu, 1.0)
        for _ in range(3):
            dv = r_pu * relief + x_pu * np.where(relief > 0, r * relief, 0.0)
            relief = solve(s_lim * np.maximum(vm + dv, 1e-3) / vm)
    return np.where(over, relief, 0.0)


class PathImpedance:
    """Resistance and reactance from the slack to every bus along the radial tree [p.u. on 1 MVA].

    Lines: ``r_ohm_per_km * length_km / parallel`` over ``vn_kv**2``; transformers: ``vkr_percent`` and
    ``vk_percent`` over 100 and ``sn_mva``; bus-bus switches: none.

    Parameters
    ----------
    net : pandapowerNet
    tree : RadialTree
        Of the same network.
    """

    def __init__(self, net: pandapowerNet, tree: RadialTree) -> None:
        self.tree = tree
        vn = net.bus["vn_kv"].astype(float)
        line = net.line
        par = line["parallel"].astype(float) if "parallel" in line else 1.0
        z_base = vn.reindex(line["from_bus"]).to_numpy() ** 2
        line_r = (line["r_ohm_per_km"] * line["length_km"] / par).to_numpy() / z_base
        line_x = (line["x_ohm_per_km"] * line["length_km"] / par).to_numpy() / z_base
        self._line = {int(i): (line_r[k], line_x[k]) for k, i in enumerate(line.index)}
        tr = net.trafo
        tpar = tr["parallel"].astype(float) if "parallel" in tr else 1.0
        sn = (tr["sn_mva"] * tpar).to_numpy(dtype=float)
        vk, vkr = tr["vk_percent"].to_numpy(dtype=float), tr["vkr_percent"].to_numpy(dtype=float)
        tr_r = vkr / 100.0 / sn
        tr_x = np.sqrt(np.maximum(vk**2 - vkr**2, 0.0)) / 100.0 / sn
        self._trafo = {int(i): (tr_r[k], tr_x[k]) for k, i in enumerate(tr.index)}
        self.r: dict[int, float] = {}
        self.x: dict[int, float] = {}
        for bus in sorted(tree.depth, key=tree.depth.get):  # type: ignore[arg-type]
            par_bus = tree.parent[bus]
            if par_bus is None:
                self.r[bus], self.x[bus] = 0.0, 0.0
                continue
            kind, idx = tree.branch[bus]
            dr, dx = {"line": self._line, "trafo": self._trafo}.get(kind, {}).get(idx, (0.0, 0.0))
            self.r[bus] = self.r[par_bus] + dr
            self.x[bus] = self.x[par_bus] + dx

    def shared(self, bus: int, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Resistance and reactance the path of ``bus`` shares with each of ``others`` [p.u. on 1 MVA]."""
        on_path = set(self.tree.path(bus))
        r, x = np.zeros(len(others)), np.zeros(len(others))
        for k, other in enumerate(others):
            b: int | None = int(other)
            while b is not None and b not in on_path:
                b = self.tree.parent.get(b)
            if b is not None:
                r[k], x[k] = self.r[b], self.x[b]
        return r, x


def voltage_relief_mw(
    dv_pu: np.ndarray,
    r_shared: np.ndarray,
    x_shared: np.ndarray,
    p_mw: np.ndarray,
    q_mvar: np.ndarray,
    factor: np.ndarray | None = None,
) -> np.ndarray:
    """Least active power to take off a set of injections to move a bus's voltage by ``dv_pu``.

    Linear (LinDistFlow) sensitivities: taking ``dP`` (with its ``dQ``) off injection ``j`` moves the bus
    by ``k (R_j dP + X_j dQ)`` [p.u., on a 1 MVA base], ``k`` a calibration per hour (``factor``). The
    least power for a given change takes the most sensitive injections first (per MW), whole, and a part
    of the last: the continuous knapsack's greedy optimum. Where even all of them fall short, the result
    is all of them.

    Parameters
    ----------
    dv_pu : np.ndarray
        Voltage change wanted per hour [p.u.] (its magnitude is used).
    r_shared, x_shared : np.ndarray
        Per injection: the resistance and reactance its path shares with the bus [p.u. on 1 MVA].
    p_mw, q_mvar : np.ndarray
        (time, injection): what can be taken off [MW], [MVAr] (for generation: its output, positive; the
        result is then MW to curtail).
    factor : np.ndarray, optional
        ``k`` per hour [-]; 1 when omitted.

    Returns
    -------
    relief_mw : np.ndarray
        Per hour [MW].
    enough : np.ndarray of bool
        Per hour: whether taking off the whole set reaches ``dv_pu``.
    """
    p = np.maximum(np.asarray(p_mw, float), 0.0)
    q = np.asarray(q_mvar, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_mw = np.where(p > 1e-12, r_shared[None, :] + x_shared[None, :] * q / p, 0.0)
    if factor is not None:
        per_mw = per_mw * np.asarray(factor, float)[:, None]
    order = np.argsort(-per_mw, axis=1, kind="stable")
    s = np.take_along_axis(per_mw, order, axis=1)
    mw = np.take_along_axis(p, order, axis=1)
    gain = np.cumsum(s * mw, axis=1)  # voltage change after taking off the first k injections [p.u.]
    need = np.abs(np.asarray(dv_pu, float))
    n_hours, n = p.shape
    relief = np.zeros(n_hours)
    enough = np.ones(n_hours, dtype=bool)
    for t in range(n_hours):
        if not need[t] > 0 or n == 0:
            enough[t] = need[t] <= 0 or not np.isfinite(need[t])
            continue
        k = int(np.searchsorted(gain[t], need[t]))
        if k >= n:
            relief[t], enough[t] = mw[t].sum(), False
            continue
        before = gain[t, k - 1] if k else 0.0
        relief[t] = mw[t, :k].sum() + (need[t] - before) / s[t, k]
    return relief, enough


def constraint_periods(
    net: pandapowerNet,
    result: TimeSeriesResult,
    injections: Injections,
    limits: Limits | None = None,
    supply_mw: float | None = None,
    tree: RadialTree | None = None,
) -> list[ConstraintPeriod]:
    """Constraint periods of an hourly time series: overloads, voltage bands, supply shortfall.

    Parameters
    ----------
    net : pandapowerNet
        The network the series was run on (topology in force).
    result : TimeSeriesResult
        Its hourly results.
    injections : Injections
        The injections it was run with (same hours).
    limits : Limits, optional
        Thermal limit and voltage bands.
    supply_mw : float, optional
        Supply capacity (import or plant limit) [MW]; no shortfall check when None.
    tree : RadialTree, optional
        Of ``net``, when already built.

    Returns
    -------
    list of ConstraintPeriod
        Sorted by start, kind and element.

    Raises
    ------
    InputError
        When the injections do not match the result's hours or the network's elements.
    """
    limits = limits or Limits()
    times = result.vm_pu.index
    n = len(times)
    if injections.load_p_mw.shape != (n, len(net.load)) or injections.sgen_p_mw.shape != (n, len(net.sgen)):
        raise InputError(
            f"injections {injections.load_p_mw.shape} / {injections.sgen_p_mw.shape} do not match "
            f"{n} hours x {len(net.load)} loads / {len(net.sgen)} sgens",
            field="injections",
        )
    step = pd.Timedelta(times[1] - times[0]) if n > 1 else pd.Timedelta(hours=1)
    tree = tree or RadialTree(net)
    flags = constraint_flags(result, net.bus["vn_kv"], limits)
    periods: list[ConstraintPeriod] = []
    load_bus = net.load["bus"].to_numpy()
    sgen_bus = net.sgen["bus"].to_numpy()
    load_pos = {int(i): k for k, i in enumerate(net.load.index)}
    sgen_pos = {int(i): k for k, i in enumerate(net.sgen.index)}
    storage = injections.storage_p_mw
    if storage is not None and storage.shape != (n, len(net.storage)):
        raise InputError(
            f"storage injections {storage.shape} do not match {n} hours x {len(net.storage)} storage units",
            field="injections",
        )
    storage_pos = {int(i): k for k, i in enumerate(net.storage.index)} if storage is not None else {}
    imp: PathImpedance | None = None

    def add(
        element: str,
        kind: str,
        mask: np.ndarray,
        value: np.ndarray,
        relief: np.ndarray,
        limit: float,
        worst_is_max: bool = True,
    ) -> None:
        for a, b in runs(mask):
            seg = value[a:b]
            k = int(np.nanargmax(seg) if worst_is_max else np.nanargmin(seg))
            rel = relief[a:b]
            pick = rel[np.isfinite(rel)]
            r = float(pick[np.argmax(np.abs(pick))]) if len(pick) else float("nan")
            periods.append(
                ConstraintPeriod(
                    element=element,
                    kind=kind,
                    start=times[a],
                    end=times[b - 1] + step,
                    worst=float(seg[k]),
                    worst_time=times[a + k],
                    relief_mw=r,
                    hours=b - a,
                    limit=float(limit),
                )
            )

    def downstream(element: str) -> tuple[np.ndarray, np.ndarray]:
        loads = [load_pos[int(i)] for i in tree.loads(element)]
        sgens = [sgen_pos[int(i)] for i in tree.sgens(element)]
        return np.array(loads, dtype=np.int64), np.array(sgens, dtype=np.int64)

    for table, frame, flag in (
        ("line", result.line_loading_pct, flags["line_overload"]),
        ("trafo", result.trafo_loading_pct, flags["trafo_overload"]),
    ):
        for col in frame.columns[flag.any(axis=0).to_numpy()]:
            element = f"{table}:{int(col)}"
            li, si = downstream(element)
            lp = injections.load_p_mw[:, li].sum(axis=1)
            lq = injections.load_q_mvar[:, li].sum(axis=1)
            gp = injections.sgen_p_mw[:, si].sum(axis=1)
            if storage is not None:
                gp = gp - storage[:, [storage_pos[int(i)] for i in tree.storages(element)]].sum(axis=1)
            loading = frame[col].to_numpy(dtype=float)
            imp = imp or PathImpedance(net, tree)
            end = _downstream_end(net, table, int(col), tree)
            vm_end = result.vm_pu[end].to_numpy(dtype=float) if end is not None else None
            r_end, x_end = (imp.r[end], imp.x[end]) if end is not None else (0.0, 0.0)
            relief = branch_relief_mw(lp - gp, lq, lp, lq, loading, limits.loading_pct, vm_end, r_end, x_end)
            add(element, "overload", flag[col].to_numpy(), loading, relief, limits.loading_pct)

    slack_vm = float(net.ext_grid.loc[net.ext_grid["in_service"], "vm_pu"].mean())
    buses_all = np.concatenate(
        [load_bus, sgen_bus, net.storage["bus"].to_numpy() if storage is not None else []]
    )
    rise_p = np.hstack(
        [-injections.load_p_mw, injections.sgen_p_mw, -(storage if storage is not None else np.zeros((n, 0)))]
    )
    rise_q = np.hstack([-injections.load_q_mvar, np.zeros((n, len(sgen_bus) + len(storage_pos)))])

    def calibration(bus: int, vm: np.ndarray) -> np.ndarray:
        """Actual over linear voltage rise from the slack to ``bus`` per hour, in [0.3, 1] (1 if unknown)."""
        assert imp is not None
        r_all, x_all = imp.shared(bus, buses_all.astype(np.int64))
        linear = rise_p @ r_all + rise_q @ x_all
        actual = vm - slack_vm
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where((np.abs(linear) > 1e-6) & (linear * actual > 0), actual / linear, 1.0)
        return np.clip(np.where(np.isfinite(k), k, 1.0), 0.3, 1.0)

    lo, hi = limits.band(net.bus["vn_kv"].reindex(result.vm_pu.columns).to_numpy(dtype=float))
    lo_of = dict(zip(result.vm_pu.columns, lo, strict=True))
    hi_of = dict(zip(result.vm_pu.columns, hi, strict=True))
    for kind, flag in (("undervoltage", flags["undervoltage"]), ("overvoltage", flags["overvoltage"])):
        for col in flag.columns[flag.any(axis=0).to_numpy()]:
            imp = imp or PathImpedance(net, tree)
            element = f"bus:{int(col)}"
            vm = result.vm_pu[col].to_numpy(dtype=float)
            li, si = downstream(element)
            if kind == "undervoltage":
                r, x = imp.shared(int(col), load_bus[li])
                dv = lo_of[col] - vm
                k = calibration(int(col), vm)
                relief, _ = voltage_relief_mw(
                    dv, r, x, injections.load_p_mw[:, li], injections.load_q_mvar[:, li], k
                )
                add(element, kind, flag[col].to_numpy(), vm, relief, lo_of[col], worst_is_max=False)
            else:
                r, x = imp.shared(int(col), sgen_bus[si])
                dv = vm - hi_of[col]
                gp = injections.sgen_p_mw[:, si]
                k = calibration(int(col), vm)
                relief = -voltage_relief_mw(dv, r, x, gp, np.zeros_like(gp), k)[0]
                add(element, kind, flag[col].to_numpy(), vm, relief, hi_of[col])

    if supply_mw is not None:
        demand = injections.net_demand_mw()
        add("supply", "shortfall", demand > supply_mw, demand, demand - supply_mw, supply_mw)

    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(periods, key=lambda c: (c.start, order[c.kind], c.element))


def periods_frame(periods: list[ConstraintPeriod]) -> pd.DataFrame:
    """The periods as a table (one row each; times UTC), for the store and for reports."""
    columns = ["element", "kind", "start", "end", "worst", "worst_time", "relief_mw", "hours", "limit"]
    return pd.DataFrame([p.__dict__ for p in periods], columns=columns)


def summary(periods: list[ConstraintPeriod]) -> Mapping[str, int]:
    """Number of periods per kind."""
    counts = {k: 0 for k in KINDS}
    for p in periods:
        counts[p.kind] += 1
    return counts


def _downstream_end(net: pandapowerNet, table: str, index: int, tree: RadialTree) -> int | None:
    """The end of a branch farther from the slack (None when the branch is not energized)."""
    ends = ("from_bus", "to_bus") if table == "line" else ("hv_bus", "lv_bus")
    buses = [int(net[table].at[index, e]) for e in ends]
    live = [b for b in buses if b in tree.depth]
    return max(live, key=lambda b: tree.depth[b]) if live else None


def snapshot_injections(net: pandapowerNet) -> Injections:
    """The network's own load, generation and storage values as one hour of :class:`Injections`."""
    return Injections(
        load_p_mw=net.load["p_mw"].to_numpy(dtype=float)[None, :] * _in_service(net.load),
        load_q_mvar=net.load["q_mvar"].to_numpy(dtype=float)[None, :] * _in_service(net.load),
        sgen_p_mw=net.sgen["p_mw"].to_numpy(dtype=float)[None, :] * _in_service(net.sgen),
        storage_p_mw=net.storage["p_mw"].to_numpy(dtype=float)[None, :] * _in_service(net.storage),
    )


def _in_service(table: pd.DataFrame) -> np.ndarray:
    return table["in_service"].to_numpy(dtype=float) if "in_service" in table else np.ones(len(table))


def snapshot_periods(
    net: pandapowerNet,
    time: pd.Timestamp,
    limits: Limits | None = None,
    supply_mw: float | None = None,
    engine: str = "pandapower",
) -> tuple[list[ConstraintPeriod], TimeSeriesResult]:
    """Constraint periods of one hour at the network's own values (e.g. a SimBench study case).

    Parameters
    ----------
    net : pandapowerNet
        Loads and generation as they are (see :func:`gridcore.network.study_case.apply_study_case`).
    time : pd.Timestamp
        UTC hour the snapshot stands for (the periods run from it for one hour).
    limits : Limits, optional
    supply_mw : float, optional
        Supply capacity [MW].
    engine : str
        Power-flow engine (:func:`gridcore.network.timeseries.run_timeseries`).

    Returns
    -------
    periods : list of ConstraintPeriod
    result : TimeSeriesResult
    """
    from gridcore.network.timeseries import run_timeseries

    inj = snapshot_injections(net)
    times = pd.DatetimeIndex([pd.Timestamp(time)], name="time")
    result = run_timeseries(net, times, inj.load_p_mw, inj.load_q_mvar, inj.sgen_p_mw, engine=engine)
    return constraint_periods(net, result, inj, limits, supply_mw), result
