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

from gridcore.network.grid import GridModel
from gridcore.storage.fleet import hourly_profiles, site_profiles
from gridcore.storage.metrics import check_schedule, energy_figures, feeder_exchange, feeder_violations
from gridcore.storage.rule import no_storage, rule_based
from gridcore.storage.schedule import BatchResult, SiteInputs

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
        raise ValueError(f"issue time {issue} must be timezone-aware (UTC)")
    if issue != issue.floor("h"):
        raise ValueError(f"issue time {issue} is not on the hour")
    if not 1 <= horizon_h <= 24 * 14:
        raise ValueError(f"horizon {horizon_h} h outside 1..336")
    times = pd.date_range(issue.tz_convert("UTC"), periods=horizon_h, freq="h")
    pv, load = site_profiles(grid, fleet, times)
    return SiteInputs(
        fleet, pv, load, np.asarray(price_import, float), np.asarray(price_export, float), times
    )


def batches(n_units: int, batch_size: int) -> list[slice]:
    """Consecutive slices of at most ``batch_size`` units covering ``n_units``."""
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
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
        raise ValueError(
            f"batches cover {int((seen == 0).sum())} units not at all and {int((seen > 1).sum())} twice"
        )
    failed = np.array([s != "OPTIMAL" for s in status])
    method = np.where(failed, "rule", "optimized")
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


def fleet_summary(
    site: SiteInputs,
    schedule: FleetSchedule,
    limits_mw: pd.Series | None = None,
    other_net_mw: pd.DataFrame | None = None,
) -> dict[str, object]:
    """Figures of a fleet schedule beside the no-storage and rule baselines (same inputs).

    Returns
    -------
    dict
        ``units``, ``solved``, ``infeasible``, ``objective`` [EUR], ``gap_pct`` (delivered cost above the
        joint bound, see below), ``utilization_pct`` / ``curtailment_mwh`` / ``self_sufficiency_pct`` /
        ``losses_mwh`` for ``none``, ``rule``, ``optimized``; the same utilization per kind
        (``by_kind``); ``feeder_violations`` (feeder-hours above the head line's limit) for ``none``,
        ``rule`` and ``optimized``; ``checks`` (constraint violations in the delivered schedule, all 0).

    Notes
    -----
    The per-unit LPs share no constraint, so the joint problem of the solved units is their sum and the sum
    of the per-unit optima is its optimum (the joint bound). ``gap_pct`` is the cost of the delivered
    schedules of those units, recomputed from the schedule values, above that bound, relative to its
    magnitude (numerical noise only, ~1e-9 %). Rule fall-backs are outside the bound (their LP has no
    solution) and listed in ``infeasible``; ``delivered_cost_eur`` includes them.
    """
    none, rule = no_storage(site), rule_based(site)
    figures = {
        name: energy_figures(site, b)
        for name, b in (("none", none), ("rule", rule), ("optimized", schedule.blocks))
    }
    kinds = {}
    for kind in sorted(site.units["kind"].unique()) if "kind" in site.units else []:
        rows = np.flatnonzero(site.units["kind"].to_numpy() == kind)
        sub = site.subset(rows)
        kinds[kind] = {
            "units": int(len(rows)),
            **{
                name: round(energy_figures(sub, b[rows])["utilization_pct"], 2)
                for name, b in (("none", none), ("rule", rule), ("optimized", schedule.blocks))
            },
        }
    cost = _cost(site, schedule.blocks)
    solved = schedule.method == "optimized"
    bound = float(np.nansum(schedule.objective[solved]))
    delivered = float(cost[solved].sum())
    violations = {}
    if limits_mw is not None and "feeder" in site.units:
        for name, b in (("none", none), ("rule", rule), ("optimized", schedule.blocks)):
            violations[name] = feeder_violations(feeder_exchange(site.units, b, other_net_mw), limits_mw)
    out: dict[str, object] = {
        "units": int(len(site.units)),
        "hours": int(site.hours),
        "solved": int(solved.sum()),
        "infeasible": schedule.infeasible,
        "objective": round(float(np.nansum(schedule.objective)), 2),
        "delivered_cost_eur": round(float(cost.sum()), 2),
        "gap_pct": round(100.0 * (delivered - bound) / max(abs(bound), 1e-9), 6),
        "utilization_pct": {k: round(v["utilization_pct"], 2) for k, v in figures.items()},
        "curtailment_mwh": {k: round(v["curtailment_mwh"], 4) for k, v in figures.items()},
        "renewable_mwh": round(figures["none"]["renewable_mwh"], 4),
        "self_sufficiency_pct": {k: round(v["self_sufficiency_pct"], 2) for k, v in figures.items()},
        "losses_mwh": {k: round(v["losses_mwh"], 3) for k, v in figures.items()},
        "by_kind": kinds,
        "feeder_violations": violations,
        "checks": check_schedule(site, schedule.blocks),
        "solver": schedule.solver,
    }
    return out


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
