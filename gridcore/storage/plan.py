"""A fleet schedule from end to end: inputs from the grid, batches, fall-backs, figures.

The flow fans :func:`gridcore.storage.schedule.schedule_batch` out over batches; everything before and after
is here: :func:`fleet_inputs` builds every site's hourly inputs from the grid's profiles,
:func:`batches` splits the fleet, :func:`assemble` merges the batch results and puts the rule schedule in
place of any unit whose LP failed (reported, never silently), and :func:`fleet_summary` computes the
figures against the no-storage and rule baselines on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import InputError
from gridcore.network.grid import GridModel
from gridcore.storage.fleet import hourly_profiles, site_profiles
from gridcore.storage.metrics import check_schedule, energy_figures, feeder_exchange, feeder_violations
from gridcore.storage.rule import no_storage, rule_based
from gridcore.storage.schedule import BatchResult, SiteInputs
from gridcore.storage.summary import FleetSummary, KindUtilization, PerBaseline

#: Default household import tariff [EUR/MWh] (0.30 EUR/kWh) and feed-in remuneration [EUR/MWh] (0.08 EUR/kWh).
PRICE_IMPORT_EUR_PER_MWH = 300.0
PRICE_EXPORT_EUR_PER_MWH = 80.0


def fleet_inputs(
    grid: GridModel,
    fleet: pd.DataFrame,
    issue_time: pd.Timestamp,
    horizon_h: int = 168,
    price_import: np.ndarray | float = PRICE_IMPORT_EUR_PER_MWH,
    price_export: np.ndarray | float = PRICE_EXPORT_EUR_PER_MWH,
) -> SiteInputs:
    """Hourly site inputs of every battery from the grid's profiles.

    Parameters
    ----------
    grid : GridModel
    fleet : pd.DataFrame
        The fleet table (:func:`gridcore.storage.fleet.build_fleet` or a fleet file).
    issue_time : pd.Timestamp
        First hour (UTC, on the hour).
    horizon_h : int
        Hours scheduled.
    price_import, price_export : float or np.ndarray
        Tariffs [EUR/MWh], scalars or hourly arrays (length ``horizon_h``).

    Returns
    -------
    SiteInputs
    """
    issue = pd.Timestamp(issue_time)
    if issue.tz is None:
        raise InputError(f"issue time {issue} must be timezone-aware (UTC)", field="issue_time")
    if issue != issue.floor("h"):
        raise InputError(f"issue time {issue} is not on the hour", field="issue_time")
    if not 1 <= horizon_h <= 24 * 14:
        raise InputError(f"horizon {horizon_h} h outside 1..336", field="horizon_h")
    times = pd.date_range(issue.tz_convert("UTC"), periods=horizon_h, freq="h")
    pv, load = site_profiles(grid, fleet, times)
    return SiteInputs(
        fleet, pv, load, np.asarray(price_import, float), np.asarray(price_export, float), times
    )


def batches(n_units: int, batch_size: int) -> list[slice]:
    """Consecutive slices of at most ``batch_size`` units covering ``n_units``."""
    if batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {batch_size}", field="batch_size")
    return [slice(i, min(i + batch_size, n_units)) for i in range(0, n_units, batch_size)]


@dataclass
class FleetSchedule:
    """The merged schedule of a fleet.

    Attributes
    ----------
    blocks : np.ndarray
        Shape (units, 6, hours) [MW, MWh], as :data:`gridcore.storage.schedule.BLOCKS`.
    method : np.ndarray of str
        ``optimized`` or ``rule`` (fall-back) per unit.
    status : list of str
        Solver status per unit.
    objective : np.ndarray
        Optimal cost per unit [EUR] (NaN for a fall-back).
    infeasible : list of dict
        ``battery``, ``status``, ``reason`` of every unit that fell back to the rule.
    solve_seconds : float
        Sum of the batches' build-and-solve times [s] (CPU-side work; the flow measures wall time).
    solver : str
    """

    blocks: np.ndarray
    method: np.ndarray
    status: list[str]
    objective: np.ndarray
    infeasible: list[dict[str, str]]
    solve_seconds: float
    solver: str


def assemble(site: SiteInputs, results: list[BatchResult], rule: np.ndarray | None = None) -> FleetSchedule:
    """Merge batch results in fleet order; units without an optimum get the rule schedule.

    Parameters
    ----------
    site : SiteInputs
        The whole fleet.
    results : list of BatchResult
        One per batch, any order; together they must cover every unit once.
    rule : np.ndarray, optional
        The rule schedule of the whole fleet (computed when omitted and needed).
    """
    pos = {b: i for i, b in enumerate(site.units.index)}
    n, t = len(site.units), site.hours
    blocks = np.full((n, 6, t), np.nan)
    status = [""] * n
    objective = np.full(n, np.nan)
    seen = np.zeros(n, dtype=int)
    for r in results:
        idx = np.array([pos[b] for b in r.battery])
        blocks[idx] = r.values
        objective[idx] = r.objective
        for i, s in zip(idx, r.status, strict=True):
            status[i] = s
        seen[idx] += 1
    if (seen != 1).any():
        # an internal invariant, not bad input: the batches come from batches() over this very fleet, so a
        # unit missed or solved twice is a bug in the fan-out; a RuntimeError keeps its traceback (the
        # command line prints one line only for a GridflowError)
        raise RuntimeError(
            f"batches cover {int((seen == 0).sum())} units not at all and {int((seen > 1).sum())} twice"
        )
    failed = np.array([s != "OPTIMAL" for s in status])
    method = np.where(failed, "rule", "optimized").astype("<U16")
    infeasible = []
    if failed.any():
        rule = rule_based(site) if rule is None else rule
        blocks[failed] = rule[failed]
        reasons = {k: v for r in results for k, v in r.reasons.items()}
        for i in np.flatnonzero(failed):
            b = str(site.units.index[i])
            infeasible.append({"battery": b, "status": status[i], "reason": reasons.get(b, status[i])})
    solver = results[0].solver if results else ""
    return FleetSchedule(
        blocks, method, status, objective, infeasible, float(sum(r.seconds for r in results)), solver
    )


def feeder_limits_mw(
    grid: GridModel, head_line: dict[str, int], bus_vn_kv: pd.Series | None = None
) -> pd.Series:
    """Thermal limit of each feeder's head line [MW] (sqrt(3) * V * I at unity power factor)."""
    vn = grid.bus["vn_kv"] if bus_vn_kv is None else bus_vn_kv
    out = {}
    for feeder, line in head_line.items():
        row = grid.line.loc[line]
        out[feeder] = float(np.sqrt(3.0) * vn.loc[row["from_bus"]] * row["max_i_ka"])
    return pd.Series(out, dtype=float)


def other_net_load(grid: GridModel, bus_feeder: pd.Series, site: SiteInputs) -> pd.DataFrame:
    """Net demand on each feeder that is not a battery site's (hours x feeders) [MW].

    The feeder's loads minus its generators, hourly, minus the battery sites' own demand and renewable
    output (which the schedules account for).
    """
    sgen_mw, load_mw = hourly_profiles(grid, site.time)
    lf = bus_feeder.reindex(grid.load["bus"]).fillna("").to_numpy()
    sf = bus_feeder.reindex(grid.sgen["bus"]).fillna("").to_numpy()
    loads = pd.DataFrame(load_mw, columns=lf).T.groupby(level=0).sum().T
    gens = pd.DataFrame(sgen_mw, columns=sf).T.groupby(level=0).sum().T
    total = loads.sub(gens, fill_value=0.0)
    sites = (
        pd.DataFrame((site.load_mw - site.pv_mw).T, columns=site.units["feeder"].to_numpy())
        .T.groupby(level=0)
        .sum()
        .T
    )
    out = total.sub(sites, fill_value=0.0)
    return out.drop(columns=[""], errors="ignore")


def fleet_report(
    site: SiteInputs,
    schedule: FleetSchedule,
    limits_mw: pd.Series | None = None,
    other_net_mw: pd.DataFrame | None = None,
) -> FleetSummary:
    """Figures of a fleet schedule beside the no-storage and rule baselines (same inputs).

    Parameters
    ----------
    site : SiteInputs
    schedule : FleetSchedule
    limits_mw : pd.Series, optional
        Limit per feeder [MW] (:func:`feeder_limits_mw`); with it the feeder violations are counted.
    other_net_mw : pd.DataFrame, optional
        Net demand on each feeder that is not a battery site's (:func:`other_net_load`) [MW].

    Returns
    -------
    FleetSummary

    Notes
    -----
    The per-unit LPs share no constraint, so the joint problem of the solved units is their sum and the sum
    of the per-unit optima is its optimum (the joint bound). ``gap_pct`` is the cost of the delivered
    schedules of those units, recomputed from the schedule values, above that bound, relative to its
    magnitude (numerical noise only, ~1e-9 %). Rule fall-backs are outside the bound (their LP has no
    solution) and listed in ``infeasible``; ``delivered_cost_eur`` includes them.
    """
    none, rule = no_storage(site), rule_based(site)
    runs = (("none", none), ("rule", rule), ("optimized", schedule.blocks))
    figures = {name: energy_figures(site, b) for name, b in runs}

    def per_baseline(key: str, ndigits: int) -> PerBaseline:
        return PerBaseline(*(round(figures[name][key], ndigits) for name, _ in runs))

    kinds = {}
    for kind in sorted(site.units["kind"].unique()) if "kind" in site.units else []:
        rows = np.flatnonzero(site.units["kind"].to_numpy() == kind)
        sub = site.subset(rows)
        kinds[kind] = KindUtilization(
            units=int(len(rows)),
            utilization_pct=PerBaseline(
                *(round(energy_figures(sub, b[rows])["utilization_pct"], 2) for _, b in runs)
            ),
        )
    cost = _cost(site, schedule.blocks)
    solved = np.char.startswith(schedule.method.astype(str), "optimized")
    violations = None
    if limits_mw is not None and "feeder" in site.units:
        violations = PerBaseline(
            *(feeder_violations(feeder_exchange(site.units, b, other_net_mw), limits_mw) for _, b in runs)
        )
    return FleetSummary(
        units=int(len(site.units)),
        hours=int(site.hours),
        solved=int(solved.sum()),
        infeasible=tuple(schedule.infeasible),
        objective=round(float(np.nansum(schedule.objective)), 2),
        delivered_cost_eur=round(float(cost.sum()), 2),
        gap_pct=gap_pct(site, schedule, cost),
        utilization_pct=per_baseline("utilization_pct", 2),
        curtailment_mwh=per_baseline("curtailment_mwh", 4),
        renewable_mwh=round(figures["none"]["renewable_mwh"], 4),
        self_sufficiency_pct=per_baseline("self_sufficiency_pct", 2),
        losses_mwh=per_baseline("losses_mwh", 3),
        by_kind=kinds,
        feeder_violations=violations,
        checks=check_schedule(site, schedule.blocks),
        solver=schedule.solver,
    )


def fleet_summary(
    site: SiteInputs,
    schedule: FleetSchedule,
    limits_mw: pd.Series | None = None,
    other_net_mw: pd.DataFrame | None = None,
) -> dict[str, object]:
    """The JSON of :func:`fleet_report` (the figures of ``gridflow storage schedule --json``).

    Returns
    -------
    dict
        ``units``, ``hours``, ``solved``, ``infeasible``, ``objective`` [EUR], ``delivered_cost_eur``,
        ``gap_pct``, ``utilization_pct`` / ``curtailment_mwh`` / ``self_sufficiency_pct`` / ``losses_mwh``
        for ``none``, ``rule``, ``optimized``; ``renewable_mwh``; the same utilization per kind
        (``by_kind``); ``feeder_violations`` (feeder-hours above the head line's limit) for ``none``,
        ``rule`` and ``optimized``; ``checks`` (constraint violations in the delivered schedule, all 0);
        ``solver`` (see :class:`FleetSummary`).
    """
    return fleet_report(site, schedule, limits_mw, other_net_mw).to_dict()


def gap_pct(site: SiteInputs, schedule: FleetSchedule, cost: np.ndarray | None = None) -> float:
    """Cost of the optimized units' delivered schedules above the sum of their LP optima [% of it].

    ``cost`` is each unit's cost recomputed from the schedule values (:func:`_cost`; computed when
    omitted). See :func:`fleet_summary`.
    """
    cost = _cost(site, schedule.blocks) if cost is None else cost
    solved = np.char.startswith(schedule.method.astype(str), "optimized")
    bound = float(np.nansum(schedule.objective[solved]))
    delivered = float(cost[solved].sum())
    return round(100.0 * (delivered - bound) / max(abs(bound), 1e-9), 6)


def _cost(site: SiteInputs, blocks: np.ndarray) -> np.ndarray:
    """Cost of each unit's schedule under the LP's objective [EUR] (curtailment tie-break included)."""
    from gridcore.storage.schedule import CURTAILMENT_COST_EUR_PER_MWH, demand_charges, throughput_costs

    deg = throughput_costs(site.units)[:, None]
    return (
        (site.price_import * blocks[:, 3]).sum(axis=1)
        - (site.price_export * blocks[:, 4]).sum(axis=1)
        + (deg * (blocks[:, 0] + blocks[:, 1])).sum(axis=1)
        + CURTAILMENT_COST_EUR_PER_MWH * blocks[:, 5].sum(axis=1)
        + demand_charges(site.units) * blocks[:, 3].max(axis=1)
    )


def forecast_inputs(
    grid: GridModel,
    fleet: pd.DataFrame,
    renewables: xr.Dataset,
    demand: xr.Dataset | None = None,
    horizon_h: int | None = None,
    price_import: np.ndarray | float = PRICE_IMPORT_EUR_PER_MWH,
    price_export: np.ndarray | float = PRICE_EXPORT_EUR_PER_MWH,
) -> SiteInputs:
    """Site inputs from stored forecasts: what a schedule made at the issue time can know.

    Parameters
    ----------
    grid : GridModel
    fleet : pd.DataFrame
    renewables : xr.Dataset
        One issue of the renewable forecast (:func:`gridcore.forecast.store.read_renewable_forecast`): the
        median (``point_mw``) of each ``sgen:<name>`` series, scaled by the site's ``pv_share``.
    demand : xr.Dataset, optional
        The demand forecast of the same issue (:func:`gridcore.forecast.store.read_demand_forecast`): the
        ``load:<name>`` series scaled by ``load_share``. Without it the demand is the profiles'.
    horizon_h : int, optional
        Hours (at most the forecasts'); default the renewable forecast's.

    Raises
    ------
    ValueError
        A generator or load of the fleet without a forecast series, or forecasts of different issues.
    """
    issue = pd.Timestamp(renewables["issue_time"].values[0]).tz_localize("UTC")
    lead = renewables.sizes["lead"]
    horizon = lead if horizon_h is None else int(horizon_h)
    if horizon > lead:
        raise InputError(
            f"the renewable forecast of {issue.isoformat()} covers {lead} h, not {horizon} h",
            field="horizon_h",
        )
    site = fleet_inputs(grid, fleet, issue, horizon, price_import, price_export)
    names = grid.sgen.loc[fleet["sgen"].to_numpy(), "name"].to_numpy()
    series = [f"sgen:{n}" for n in names]
    missing = sorted(set(series) - set(renewables["series"].values.astype(str)))
    if missing:
        raise InputError(
            f"the renewable forecast of {issue.isoformat()} has no series {missing[:3]}",
            field="renewables",
            element=missing[0],
        )
    point = renewables["point_mw"].sel(series=series).values[:, 0, :horizon].astype(float)
    pv = np.maximum(point, 0.0) * fleet["pv_share"].to_numpy()[:, None]
    load = site.load_mw
    if demand is not None:
        d_issue = pd.Timestamp(demand["issue_time"].values[0]).tz_localize("UTC")
        if d_issue != issue:
            raise InputError(
                f"demand forecast issued {d_issue.isoformat()}, renewables {issue.isoformat()}",
                field="demand.issue_time",
            )
        has = fleet["load"].to_numpy() >= 0
        lnames = grid.load.loc[fleet["load"].to_numpy()[has], "name"].to_numpy()
        lseries = [f"load:{n}" for n in lnames]
        lmissing = sorted(set(lseries) - set(demand["series"].values.astype(str)))
        if lmissing:
            raise InputError(
                f"the demand forecast of {issue.isoformat()} has no series {lmissing[:3]}",
                field="demand",
                element=lmissing[0],
            )
        load = np.zeros_like(pv)
        values = demand["point_mw"].sel(series=lseries).values[:, 0, :horizon].astype(float)
        load[has] = np.maximum(values, 0.0) * fleet["load_share"].to_numpy()[has, None]
    return SiteInputs(fleet, pv, load, site.price_import, site.price_export, site.time)


def settle(actual: SiteInputs, plan: np.ndarray) -> np.ndarray:
    """Run a plan made on forecasts against what happened: a battery controller's hour-by-hour dispatch.

    Each hour the battery follows the plan's charge or discharge, with real-time corrections: it charges
    at least the surplus that would otherwise be curtailed (above the export limit), never more than the
    surplus plus the import limit allows, and it discharges no more than the site's deficit plus the export
    room (it never discharges into curtailment). Power and SoC limits always hold; the site's balance takes
    the rest (export within the limit, curtailment, import).

    Parameters
    ----------
    actual : SiteInputs
        The actual site inputs over the plan's hours.
    plan : np.ndarray
        Shape (units, 6, hours): the schedule made on forecasts.

    Returns
    -------
    np.ndarray
        Shape (units, 6, hours): the settled blocks [MW, MWh].
    """
    lim = actual.limits
    p, smin, smax, soc = lim.power_mw, lim.soc_min_mwh, lim.soc_max_mwh, lim.soc_init_mwh
    eta_c, eta_d = lim.eta_charge, lim.eta_discharge
    cap, imp = lim.export_limit_mw, lim.import_limit_mw
    out = np.zeros((len(actual.units), 6, actual.hours))
    for t in range(actual.hours):
        net = actual.pv_mw[:, t] - actual.load_mw[:, t]
        over_cap = np.maximum(net - cap, 0.0)
        room = np.minimum(
            np.maximum(smax - soc, 0.0) / eta_c, np.maximum(net + imp, 0.0)
        )  # within the import limit
        stored = np.maximum(soc - smin, 0.0) * eta_d
        want_c = np.maximum(plan[:, 0, t], over_cap)
        want_d = np.minimum(plan[:, 1, t], np.maximum(cap - net, 0.0))
        charge = np.minimum.reduce([want_c, p, room])
        discharge = np.where(charge > 0, 0.0, np.minimum.reduce([want_d, p, stored]))
        soc = soc + eta_c * charge - discharge / eta_d
        balance = net + discharge - charge
        export = np.clip(balance, 0.0, cap)
        out[:, 0, t], out[:, 1, t], out[:, 2, t] = charge, discharge, soc
        out[:, 3, t] = np.maximum(-balance, 0.0)
        out[:, 4, t] = export
        out[:, 5, t] = np.maximum(balance - export, 0.0)
    return out


def enforce_feeder_limits(
    site: SiteInputs,
    schedule: FleetSchedule,
    limits_mw: pd.Series,
    other_net_mw: pd.DataFrame,
    solver: str = "auto",
) -> list[dict[str, object]]:
    """Re-solve, as one LP per feeder, the batteries of every feeder whose limit the schedule breaks.

    The per-battery schedules ignore each other; where their sum pushes a feeder's head beyond its limit,
    the feeder's batteries are scheduled together with :func:`gridcore.storage.schedule.schedule_feeder`
    and their blocks and costs replaced in ``schedule`` (in place). A feeder whose coupled LP has no
    solution (the rest of the feeder alone breaks the limit beyond what its batteries can absorb) keeps its
    per-battery schedules and is reported.

    Returns
    -------
    list of dict
        Per feeder re-solved: ``feeder``, ``units``, ``status``, ``violations_before``,
        ``violations_after`` (feeder-hours over the limit), ``cost_increase_eur`` (over the per-battery
        optima), ``seconds``.
    """
    from gridcore.storage.schedule import schedule_feeder

    exchange = feeder_exchange(site.units, schedule.blocks, other_net_mw)
    out = []
    for feeder in exchange.columns:
        if feeder not in limits_mw.index or not np.isfinite(limits_mw[feeder]):
            continue
        before = int((exchange[feeder].abs() > limits_mw[feeder]).sum())
        rows = np.flatnonzero(site.units["feeder"].to_numpy() == feeder)
        if before == 0 or len(rows) == 0:
            continue
        ok = np.char.startswith(schedule.method[rows].astype(str), "optimized")
        fixed = rows[~ok]  # rule fall-backs stay as they are: part of the rest of the feeder
        other = other_net_mw[feeder].to_numpy(dtype=float) + (
            schedule.blocks[fixed, 3] - schedule.blocks[fixed, 4]
        ).sum(axis=0)
        rows = rows[ok]
        if len(rows) == 0:
            out.append(
                {"feeder": feeder, "units": 0, "status": "NO_OPTIMIZED_UNITS", "violations_before": before}
            )
            continue
        sub = site.subset(rows)
        status, objective, values, seconds = schedule_feeder(sub, other, float(limits_mw[feeder]), solver)
        record: dict[str, object] = {
            "feeder": feeder,
            "units": int(len(rows)),
            "status": status,
            "violations_before": before,
            "seconds": round(seconds, 3),
        }
        if status == "OPTIMAL":
            record["cost_increase_eur"] = round(objective - float(np.nansum(schedule.objective[rows])), 3)
            schedule.blocks[rows] = values
            schedule.method[rows] = "optimized-feeder"
            schedule.objective[rows] = _cost(sub, values)
        after = feeder_exchange(site.units, schedule.blocks, other_net_mw)[feeder]
        record["violations_after"] = int((after.abs() > limits_mw[feeder] + 1e-6).sum())
        out.append(record)
    return out
