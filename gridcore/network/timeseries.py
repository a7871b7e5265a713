"""Power flow over many hours at once: the grid's bus voltages and branch loadings per time step.

Two engines, which a test keeps in agreement:

* ``power-grid-model`` (default): the pandapower net is converted once with power-grid-model-io's
  ``PandaPowerConverter`` (bus-bus switches become links, open line switches open line ends) and all time
  steps are solved as one batch (Newton-Raphson, C++). The external grid is an ideal voltage source, as in
  pandapower (the converter's short-circuit power is set to 1e20 VA).
* ``pandapower``: the reference, ``pp.runpp`` per step, with ``lightsim2grid=False`` so the reference is
  really pandapower's own solver (pandapower otherwise switches to lightsim2grid silently when installed).

Constraint flags use :class:`Limits`; :func:`bottlenecks` ranks the branches that bind most often and
gives the headroom per feeder.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.limits import DEFAULT_LOADING_LIMIT_PCT, band_per_bus, voltage_bands
from gridcore.network.powerflow import PowerFlowError


@dataclass(frozen=True)
class Limits:
    """Operating limits of the constraint flags.

    The bands come from :mod:`gridcore.network.limits`, the same definition the power flow and N-1 use.

    Attributes
    ----------
    loading_pct : float
        Thermal limit of lines and transformers [% of rating].
    voltage_bands : mapping of str to (float, float), optional
        Bands [p.u.] that replace the defaults of some voltage levels, e.g. ``{"MV": (0.97, 1.03)}``
        (levels ``LV``, ``MV``, ``HV``, ``EHV``, ``unknown``; see
        :data:`gridcore.network.limits.DEFAULT_VOLTAGE_BANDS`).

    Raises
    ------
    ValueError
        At construction, naming an unknown level or a band whose lower bound is not below its upper.
    """

    loading_pct: float = DEFAULT_LOADING_LIMIT_PCT
    voltage_bands: Mapping[str, tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        """Refuse an unknown level or an inverted band now, not at the first flag."""
        voltage_bands(self.voltage_bands)

    def band(self, vn_kv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper voltage limits [p.u.] per bus from its nominal voltage [kV]."""
        return band_per_bus(vn_kv, self.voltage_bands)


@dataclass
class TimeSeriesResult:
    """Results per time step.

    Attributes
    ----------
    vm_pu : pd.DataFrame
        time x bus (pandapower bus index) [p.u.]; NaN for de-energised buses.
    va_degree : pd.DataFrame
        time x bus, voltage angle [deg] against the external grid, transformer phase shifts included
        (as pandapower's ``res_bus.va_degree``); NaN for de-energised buses.
    line_loading_pct, trafo_loading_pct : pd.DataFrame
        time x line / trafo [% of rating].
    line_p_from_mw : pd.DataFrame
        time x line, active power into the line at its from bus [MW].
    converged : np.ndarray of bool
        Per time step.
    engine : str
    seconds : float
        Solve time (conversion included).
    """

    vm_pu: pd.DataFrame
    va_degree: pd.DataFrame
    line_loading_pct: pd.DataFrame
    trafo_loading_pct: pd.DataFrame
    line_p_from_mw: pd.DataFrame
    converged: np.ndarray
    engine: str
    seconds: float


@dataclass(frozen=True)
class TimeSeriesSummary:
    """The figures of a power-flow time series: what ``gridflow grid timeseries`` reports.

    Attributes
    ----------
    start : str
        First hour, ISO 8601 UTC (``%Y-%m-%dT%H:%MZ``, interval start).
    hours : int
        Hours solved.
    engine : str
        Power-flow engine.
    load_source : str
        Where the loads came from (the stored forecast or the profiles).
    pv_source : str
        Where the generation came from.
    converged_hours : int
        Hours whose power flow converged.
    topologies : tuple of dict
        ``from`` (UTC), ``hours``, ``changes`` (ids in force), ``fingerprint`` of each topology in force.
    violation_hours : dict of str to int
        Per constraint kind (:func:`constraint_flags`): hours with at least one violation.
    max_line_loading_pct : float
        Highest line loading [%] (3 decimals).
    vm_min_pu, vm_max_pu : float
        Voltage extremes [p.u.] (5 decimals).
    bottlenecks : tuple of dict
        The 10 most binding branches (:func:`bottlenecks`).
    headroom : tuple of dict
        Per feeder: loading headroom (:func:`bottlenecks`).
    written : str
        The store folder written.
    solve_seconds : float
        Power-flow time [s] (3 decimals).
    seconds : float
        Whole run [s] (3 decimals).
    """

    start: str
    hours: int
    engine: str
    load_source: str
    pv_source: str
    converged_hours: int
    topologies: tuple[dict[str, object], ...]
    violation_hours: dict[str, int]
    max_line_loading_pct: float
    vm_min_pu: float
    vm_max_pu: float
    bottlenecks: tuple[dict[str, object], ...]
    headroom: tuple[dict[str, object], ...]
    written: str
    solve_seconds: float
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures, keys in the order of the attributes (tuples as lists)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("topologies", "bottlenecks", "headroom"):
            out[name] = list(out[name])
        return out


def timeseries_summary(
    result: TimeSeriesResult,
    flags: Mapping[str, pd.DataFrame],
    ranking: pd.DataFrame,
    headroom: pd.DataFrame,
    *,
    start: pd.Timestamp,
    load_source: str,
    topologies: list[dict[str, object]],
    written: str,
    seconds: float,
) -> TimeSeriesSummary:
    """The summary of a time series run.

    Parameters
    ----------
    result : TimeSeriesResult
        All hours.
    flags : mapping of str to pd.DataFrame
        From :func:`constraint_flags` (time x element, True where violated).
    ranking, headroom : pd.DataFrame
        From :func:`bottlenecks`.
    start : pd.Timestamp
        First hour (UTC).
    load_source : str
        Where the loads came from.
    topologies : list of dict
        The topologies in force (:func:`gridcore.network.timeseries_store.run_in_force`).
    written : str
        The store folder written.
    seconds : float
        Whole run [s].

    Returns
    -------
    TimeSeriesSummary
    """
    return TimeSeriesSummary(
        start=f"{start:%Y-%m-%dT%H:%MZ}",
        hours=len(result.converged),
        engine=result.engine,
        load_source=load_source,
        pv_source="profiles",
        converged_hours=int(result.converged.sum()),
        topologies=tuple(topologies),
        violation_hours={k: int(v.any(axis=1).sum()) for k, v in flags.items()},
        max_line_loading_pct=round(float(result.line_loading_pct.max().max()), 3),
        vm_min_pu=round(float(result.vm_pu.min().min()), 5),
        vm_max_pu=round(float(result.vm_pu.max().max()), 5),
        bottlenecks=tuple(ranking.head(10).to_dict(orient="records")),
        headroom=tuple(headroom.to_dict(orient="records")),
        written=written,
        solve_seconds=round(result.seconds, 3),
        seconds=round(seconds, 3),
    )


def _check_inputs(net, times, load_p_mw, load_q_mvar, sgen_p_mw) -> None:  # noqa: ANN001
    n = len(times)
    for name, arr, width in (
        ("load_p_mw", load_p_mw, len(net.load)),
        ("load_q_mvar", load_q_mvar, len(net.load)),
        ("sgen_p_mw", sgen_p_mw, len(net.sgen)),
    ):
        if arr.shape != (n, width):
            raise InputError(
                f"{name} must be (time steps, elements) = ({n}, {width}); got {arr.shape}", field=name
            )
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise InputError(
                f"{name} is not finite at step {bad[0]}, element {bad[1]}",
                field=name,
                row=int(bad[0]),
                element=f"{name.split('_')[0]}:{bad[1]}",
            )


def run_timeseries(
    net,  # noqa: ANN001 (pandapowerNet)
    times: pd.DatetimeIndex,
    load_p_mw: np.ndarray,
    load_q_mvar: np.ndarray,
    sgen_p_mw: np.ndarray,
    engine: str = "power-grid-model",
    numba: bool = False,
) -> TimeSeriesResult:
    """AC power flow for every time step.

    Parameters
    ----------
    net : pandapowerNet
        The network in the topology in force (switch states, elements in service).
    times : pd.DatetimeIndex
        UTC time steps.
    load_p_mw, load_q_mvar : np.ndarray
        (time, load) in the order of ``net.load`` [MW], [MVAr].
    sgen_p_mw : np.ndarray
        (time, sgen) in the order of ``net.sgen`` [MW] (reactive power as in the net).
    engine : str
        ``power-grid-model`` (batch) or ``pandapower`` (reference loop).
    numba : bool
        Let the pandapower loop use numba (a JIT compile of ~20 s on first use in a process, faster steps
        after; worth it for long loops only).

    Returns
    -------
    TimeSeriesResult
        A step that does not converge has ``converged`` False and NaN results; the others are kept.

    Raises
    ------
    ValueError
        Naming the array, step and element of a malformed input, an unknown engine, or why
        power-grid-model cannot build the model.
    """
    _check_inputs(net, times, load_p_mw, load_q_mvar, sgen_p_mw)
    if engine == "power-grid-model":
        return _run_pgm(net, times, load_p_mw, load_q_mvar, sgen_p_mw)
    if engine == "pandapower":
        return _run_pandapower(net, times, load_p_mw, load_q_mvar, sgen_p_mw, numba)
    raise InputError(f"unknown engine {engine!r}; power-grid-model or pandapower", field="engine")


def _run_pandapower(net, times, load_p_mw, load_q_mvar, sgen_p_mw, numba) -> TimeSeriesResult:  # noqa: ANN001
    import pandapower as pp

    t0 = time.perf_counter()
    work = copy.deepcopy(net)
    n = len(times)
    vm = np.full((n, len(work.bus)), np.nan)
    va = np.full((n, len(work.bus)), np.nan)
    ll = np.full((n, len(work.line)), np.nan)
    pf = np.full((n, len(work.line)), np.nan)
    tl = np.full((n, len(work.trafo)), np.nan)
    ok = np.zeros(n, dtype=bool)
    for k in range(n):
        work.load["p_mw"] = load_p_mw[k]
        work.load["q_mvar"] = load_q_mvar[k]
        work.sgen["p_mw"] = sgen_p_mw[k]
        try:
            pp.runpp(work, lightsim2grid=False, numba=numba, calculate_voltage_angles=True)
        except pp.LoadflowNotConverged:
            continue
        ok[k] = True
        vm[k] = work.res_bus["vm_pu"].to_numpy()
        va[k] = work.res_bus["va_degree"].to_numpy()
        ll[k] = work.res_line["loading_percent"].to_numpy()
        pf[k] = work.res_line["p_from_mw"].to_numpy()
        tl[k] = work.res_trafo["loading_percent"].to_numpy()
    return _result(net, times, vm, va, ll, tl, pf, ok, "pandapower", time.perf_counter() - t0)


def _result(net, times, vm, va, ll, tl, pf, ok, engine, seconds) -> TimeSeriesResult:  # noqa: ANN001
    idx = pd.DatetimeIndex(times, name="time")
    return TimeSeriesResult(
        vm_pu=pd.DataFrame(vm, index=idx, columns=net.bus.index),
        va_degree=pd.DataFrame(va, index=idx, columns=net.bus.index),
        line_loading_pct=pd.DataFrame(ll, index=idx, columns=net.line.index),
        trafo_loading_pct=pd.DataFrame(tl, index=idx, columns=net.trafo.index),
        line_p_from_mw=pd.DataFrame(pf, index=idx, columns=net.line.index),
        converged=ok,
        engine=engine,
        seconds=round(seconds, 4),
    )


def _run_pgm(net, times, load_p_mw, load_q_mvar, sgen_p_mw) -> TimeSeriesResult:  # noqa: ANN001
    from power_grid_model import CalculationMethod, ComponentType, PowerGridModel, initialize_array
    from power_grid_model.errors import PowerGridError
    from power_grid_model_io.converters import PandaPowerConverter

    t0 = time.perf_counter()
    work = copy.deepcopy(net)
    # the converter needs a vector group; it only sets the phase shift, which pandapower's
    # shift_degree carries anyway for a balanced power flow
    work.trafo["vector_group"] = work.trafo["vector_group"].fillna("Dyn5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, extra = PandaPowerConverter().load_input_data(work, make_extra_info=True)
    data[ComponentType.source]["sk"] = 1e20  # an ideal voltage source, like pandapower's ext_grid
    model = PowerGridModel(data)
    n = len(times)

    def rows_of(component: ComponentType, table: str) -> tuple[np.ndarray, np.ndarray]:
        ids = data[component]["id"]
        ref = [extra[int(i)]["id_reference"] for i in ids]
        keep = np.array([r["table"] == table for r in ref])
        return ids[keep], np.array([r["index"] for r, k in zip(ref, keep, strict=True) if k])

    load_ids, load_index = rows_of(ComponentType.sym_load, "load")
    part = np.array(
        [extra[int(i)]["id_reference"].get("name", "const_power") for i in load_ids], dtype=object
    )
    share = np.ones(len(load_ids))
    z = work.load["const_z_p_percent"].reindex(load_index).to_numpy() / 100.0
    i_ = work.load["const_i_p_percent"].reindex(load_index).to_numpy() / 100.0
    share[part == "const_impedance"] = z[part == "const_impedance"]
    share[part == "const_current"] = i_[part == "const_current"]
    share[part == "const_power"] = (1 - z - i_)[part == "const_power"]
    pos_load = work.load.index.get_indexer(load_index)
    load_update = initialize_array("update", ComponentType.sym_load, (n, len(load_ids)))
    load_update["id"] = load_ids
    load_update["p_specified"] = load_p_mw[:, pos_load] * share * 1e6
    load_update["q_specified"] = load_q_mvar[:, pos_load] * share * 1e6
    gen_ids, gen_index = rows_of(ComponentType.sym_gen, "sgen")
    pos_gen = work.sgen.index.get_indexer(gen_index)
    scale = work.sgen["scaling"].reindex(gen_index).to_numpy() if "scaling" in work.sgen else 1.0
    gen_update = initialize_array("update", ComponentType.sym_gen, (n, len(gen_ids)))
    gen_update["id"] = gen_ids
    gen_update["p_specified"] = sgen_p_mw[:, pos_gen] * scale * 1e6
    update = {ComponentType.sym_load: load_update, ComponentType.sym_gen: gen_update}
    try:
        out = model.calculate_power_flow(
            update_data=update,
            calculation_method=CalculationMethod.newton_raphson,
            error_tolerance=1e-8,
            max_iterations=30,
            continue_on_batch_error=True,
        )
    except PowerGridError as err:
        raise PowerFlowError(f"power flow time series failed: {err}") from err
    # with continue_on_batch_error the steps that failed (e.g. did not converge) are not raised: they are
    # named in model.batch_error, and their rows of the output are not a solution
    ok = np.ones(n, dtype=bool)
    if model.batch_error is not None:
        ok[np.asarray(model.batch_error.failed_scenarios, dtype=int)] = False
    _, node_index = rows_of(ComponentType.node, "bus")
    nodes = out[ComponentType.node]
    energized = nodes["energized"].astype(bool)
    bus_cols = work.bus.index.get_indexer(node_index)
    vm = np.full((n, len(work.bus)), np.nan)
    va = np.full((n, len(work.bus)), np.nan)
    vm[:, bus_cols] = np.where(energized, nodes["u_pu"], np.nan)
    va[:, bus_cols] = np.where(energized, np.degrees(nodes["u_angle"]), np.nan)
    _, line_index = rows_of(ComponentType.line, "line")
    ll = np.full((n, len(work.line)), np.nan)
    pf = np.full((n, len(work.line)), np.nan)
    cols = work.line.index.get_indexer(line_index)
    line_out = out[ComponentType.line]
    # pandapower rates a line at max_i_ka * df * parallel; power-grid-model's loading uses i_n (set from it)
    ll[:, cols] = line_out["loading"] * 100.0
    pf[:, cols] = line_out["p_from"] / 1e6
    tl = np.full((n, len(work.trafo)), np.nan)
    if ComponentType.transformer in out:
        _, t_index = rows_of(ComponentType.transformer, "trafo")
        # pandapower's trafo loading is by current: max over both sides of I / (S_n / (sqrt(3) V_n))
        tr = work.trafo.loc[t_index]
        sn = tr["sn_mva"].to_numpy() * 1e6 * (tr["parallel"].to_numpy() if "parallel" in tr else 1.0)
        i_hv = sn / (np.sqrt(3) * tr["vn_hv_kv"].to_numpy() * 1e3)
        i_lv = sn / (np.sqrt(3) * tr["vn_lv_kv"].to_numpy() * 1e3)
        t_out = out[ComponentType.transformer]
        tl[:, work.trafo.index.get_indexer(t_index)] = (
            np.maximum(t_out["i_from"] / i_hv, t_out["i_to"] / i_lv) * 100.0
        )
    for arr in (vm, va, ll, tl, pf):
        arr[~ok] = np.nan
    return _result(net, times, vm, va, ll, tl, pf, ok, "power-grid-model", time.perf_counter() - t0)


def constraint_flags(result: TimeSeriesResult, vn_kv: pd.Series, limits: Limits | None = None) -> dict:
    """Violations per time step.

    Parameters
    ----------
    result : TimeSeriesResult
    vn_kv : pd.Series
        Nominal voltage per bus [kV].
    limits : Limits, optional

    Returns
    -------
    dict of str to pd.DataFrame
        ``undervoltage``, ``overvoltage`` (time x bus), ``line_overload`` (time x line),
        ``trafo_overload`` (time x trafo): booleans.
    """
    limits = limits or Limits()
    lo, hi = limits.band(vn_kv.reindex(result.vm_pu.columns).to_numpy(dtype=float))
    vm = result.vm_pu
    return {
        "undervoltage": vm.lt(lo, axis=1) & vm.notna(),
        "overvoltage": vm.gt(hi, axis=1) & vm.notna(),
        "line_overload": result.line_loading_pct > limits.loading_pct,
        "trafo_overload": result.trafo_loading_pct > limits.loading_pct,
    }


def bottlenecks(
    result: TimeSeriesResult,
    line_feeder: pd.Series,
    limits: Limits | None = None,
    watch_pct: float = 80.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which branches bind most often over the horizon, and the headroom per feeder.

    Parameters
    ----------
    result : TimeSeriesResult
    line_feeder : pd.Series
        Feeder id per line id.
    limits : Limits, optional
    watch_pct : float
        Loading counted as "near the limit" [%].

    Returns
    -------
    ranking : pd.DataFrame
        Per branch (``element`` line/trafo, ``id``): ``hours_over_limit``, ``hours_over_watch``,
        ``max_loading_pct``, ``time_of_max``; sorted, the most binding first.
    headroom : pd.DataFrame
        Per feeder: ``max_loading_pct`` of its lines, ``headroom_pct`` (limit minus it), the binding
        ``line`` and ``time`` (UTC).
    """
    limits = limits or Limits()
    rows = []
    for element, table in (("line", result.line_loading_pct), ("trafo", result.trafo_loading_pct)):
        for col in table.columns:
            s = table[col]
            if s.notna().sum() == 0:
                continue
            rows.append(
                {
                    "element": element,
                    "id": int(col),
                    "hours_over_limit": int((s > limits.loading_pct).sum()),
                    "hours_over_watch": int((s > watch_pct).sum()),
                    "max_loading_pct": round(float(s.max()), 3),
                    "time_of_max": f"{s.idxmax():%Y-%m-%dT%H:%MZ}",
                }
            )
    ranking = pd.DataFrame(rows).sort_values(
        ["hours_over_limit", "hours_over_watch", "max_loading_pct"], ascending=False, kind="stable"
    )
    heads = []
    lines = result.line_loading_pct
    for feeder, ids in line_feeder.groupby(line_feeder).groups.items():
        part = lines[[i for i in ids if i in lines.columns]]
        if part.empty or part.notna().sum().sum() == 0:
            continue
        peak = part.max()
        worst = int(peak.idxmax())
        heads.append(
            {
                "feeder": feeder,
                "max_loading_pct": round(float(peak.max()), 3),
                "headroom_pct": round(limits.loading_pct - float(peak.max()), 3),
                "line": worst,
                "time": f"{part[worst].idxmax():%Y-%m-%dT%H:%MZ}",
            }
        )
    headroom = pd.DataFrame(heads).sort_values("headroom_pct", kind="stable").reset_index(drop=True)
    return ranking.reset_index(drop=True), headroom


def hourly_injections(
    grid,  # noqa: ANN001 (GridModel)
    times: pd.DatetimeIndex,
    load_forecast_mw: pd.DataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Load and PV injections per hour for a time series.

    Parameters
    ----------
    grid : GridModel
    times : pd.DatetimeIndex
        UTC hour starts.
    load_forecast_mw : pd.DataFrame, optional
        time x load name: forecast active load [MW] (e.g. the ``load:<name>`` series of the stored demand
        forecast, median); the profiles' hourly means are used where it has no value.

    Returns
    -------
    load_p_mw, load_q_mvar, sgen_p_mw : np.ndarray
        (time, element) in the order of ``grid.load`` / ``grid.sgen``; reactive load keeps the profile's
        power factor.
    source : str
        ``forecast`` (every value from the forecast), ``forecast+profiles`` or ``profiles``.
    """
    quarters = pd.DatetimeIndex(
        np.repeat(times.values, 4) + np.tile(np.arange(4) * np.timedelta64(15, "m"), len(times))
    ).tz_localize("UTC")
    rows = grid.profile_index(quarters)
    n = len(times)
    p = grid.load_p_mw[rows].reshape(n, 4, -1).mean(axis=1)
    q = grid.load_q_mvar[rows].reshape(n, 4, -1).mean(axis=1)
    sgen = grid.sgen_p_mw[rows].reshape(n, 4, -1).mean(axis=1)
    source = "profiles"
    if load_forecast_mw is not None:
        fc = load_forecast_mw.reindex(index=times, columns=grid.load["name"].astype(str)).to_numpy(
            dtype=float
        )
        known = np.isfinite(fc)
        if known.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(np.abs(p) > 1e-9, q / p, 0.0)
            p = np.where(known, fc, p)
            q = np.where(known, fc * ratio, q)
            source = "forecast" if known.all() else "forecast+profiles"
    return p, q, sgen, source


def line_feeders(grid, feeders) -> pd.Series:  # noqa: ANN001 (GridModel, FeederMap)
    """Feeder id per line: the feeder of its buses.

    A feeder's head line belongs to that feeder, not to the busbar it leaves.
    """
    from gridcore.network.feeders import BUSBAR

    bf = feeders.bus_feeder
    f_from = grid.line["from_bus"].map(bf)
    f_to = grid.line["to_bus"].map(bf)
    out = f_from.where((f_from != BUSBAR) | f_to.isna() | (f_to == BUSBAR), f_to)
    return out.dropna()
