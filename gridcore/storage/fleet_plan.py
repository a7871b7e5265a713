"""The battery fleet's plan from one issue time: the inputs it is planned on, the LPs, the figures.

:func:`plan_fleet` is the whole decision of a schedule run: it plans on the grid's profiles (perfect
foresight) or on the forecasts stored for the issue time (:class:`PlanForecasts`, read by
:func:`gridcore.storage.store.read_plan_forecasts`), solves the fleet's LPs by batches, re-solves the
feeders whose limit the per-battery schedules break together, and, when planned on forecasts, settles the
plan on the profiles hour by hour so that the figures are what the plan achieves on what happened. The
batches are solved by a function passed in (the flow's fan-out over its task runner) or one after the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import xarray as xr

from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import GridModel
from gridcore.storage.fleet import default_fleet
from gridcore.storage.options import BATCH_SIZE
from gridcore.storage.plan import (
    FleetSchedule,
    assemble,
    batches,
    enforce_feeder_limits,
    feeder_limits_mw,
    fleet_inputs,
    fleet_summary,
    forecast_inputs,
    gap_pct,
    other_net_load,
    settle,
)
from gridcore.storage.schedule import BatchResult, SiteInputs, schedule_batch

#: Solves a list of batches with a solver name, returning one result per batch (any order).
SolveBatches = Callable[[list[SiteInputs], str], list[BatchResult]]


@dataclass(frozen=True)
class PlanForecasts:
    """The forecasts of one issue time a fleet is planned on.

    Attributes
    ----------
    issue_time : pd.Timestamp
        UTC.
    renewables : xr.Dataset
        The renewable forecast of the issue (:func:`gridcore.forecast.store.read_renewable_forecast`).
    demand : xr.Dataset or None
        The demand forecast of the issue (:func:`gridcore.forecast.store.read_demand_forecast`); None plans
        on the profiles' demand.
    """

    issue_time: pd.Timestamp
    renewables: xr.Dataset
    demand: xr.Dataset | None = None

    def used(self) -> dict[str, str]:
        """What the plan's renewables and demand come from: ``forecast <issue>`` or ``profiles``."""
        label = f"forecast {self.issue_time:%Y-%m-%dT%H:%MZ}"
        return {"renewables": label, "demand": label if self.demand is not None else "profiles"}


#: What a plan on the profiles is planned on.
PROFILES = {"renewables": "profiles", "demand": "profiles"}


@dataclass(frozen=True)
class FleetPlan:
    """A fleet's plan from one issue time and its figures.

    Attributes
    ----------
    issue_time : pd.Timestamp
        UTC, the first hour planned.
    horizon_h : int
        Hours planned [h].
    inputs : dict of str to str
        What the renewables and the demand came from (``profiles`` or ``forecast <issue>``).
    site : SiteInputs
        The inputs the plan was made on (what is written with the schedule).
    schedule : FleetSchedule
        The plan (LP optima, rule fall-backs, feeders re-solved together).
    figures : dict
        :func:`gridcore.storage.plan.fleet_summary` on the actual inputs (the profiles; the plan settled on
        them when planned on forecasts), with ``feeder_coupled`` (the feeders re-solved as one LP) and
        ``gap_pct`` of the plan on its own inputs.
    batches : int
        Batches the LPs were solved in.
    solve_wall_seconds : float
        Wall time from the start of the plan to the last batch solved [s].
    """

    issue_time: pd.Timestamp
    horizon_h: int
    inputs: dict[str, str]
    site: SiteInputs
    schedule: FleetSchedule
    figures: dict[str, object]
    batches: int
    solve_wall_seconds: float

    def to_dict(self) -> dict[str, object]:
        """The plan's figures as JSON-ready plain data.

        Returns
        -------
        dict
            ``issue_time`` (ISO 8601), ``horizon_h``, ``inputs``, the figures (``units``, ``solved``,
            ``infeasible``, ``utilization_pct``, ...), ``batches``, ``solve_wall_seconds``,
            ``solver_seconds_sum`` (the batches' solve times added up) [s].
        """
        return {
            "issue_time": self.issue_time.isoformat(),
            "horizon_h": self.horizon_h,
            "inputs": dict(self.inputs),
            **self.figures,
            "batches": self.batches,
            "solve_wall_seconds": self.solve_wall_seconds,
            "solver_seconds_sum": round(self.schedule.solve_seconds, 3),
        }


def solve_in_turn(parts: list[SiteInputs], solver: str) -> list[BatchResult]:
    """Solve the batches one after the other in this process (the default of :func:`plan_fleet`)."""
    return [schedule_batch(site, solver=solver) for site in parts]


def plan_fleet(
    grid: GridModel,
    issue_time: pd.Timestamp,
    horizon_h: int = 168,
    fleet: pd.DataFrame | None = None,
    forecasts: PlanForecasts | None = None,
    batch_size: int = BATCH_SIZE,
    solver: str = "auto",
    solve: SolveBatches = solve_in_turn,
) -> FleetPlan:
    """Plan every battery of the fleet from ``issue_time`` and compute the plan's figures.

    Parameters
    ----------
    grid : GridModel
        The grid (profiles, feeders, head-line limits).
    issue_time : pd.Timestamp
        First hour planned (tz-aware UTC).
    horizon_h : int
        Hours planned (1..336) [h].
    fleet : pd.DataFrame, optional
        The fleet table (:func:`gridcore.storage.fleet.read_fleet`); the grid's default fleet when omitted.
    forecasts : PlanForecasts, optional
        Plan on these forecasts and settle the plan on the profiles; without, plan on the profiles (perfect
        foresight: the figures are the plan's own).
    batch_size : int
        Batteries per batch of LPs.
    solver : str
        ``glop``, ``highs`` or ``auto``.
    solve : callable
        ``solve(batches, solver) -> results`` (:data:`SolveBatches`); the flow passes its fan-out over the
        task runner. One batch after the other in this process by default.

    Returns
    -------
    FleetPlan
        A unit whose LP has no optimum keeps the rule schedule and is listed in ``figures["infeasible"]``.

    Raises
    ------
    gridcore.errors.InputError
        A horizon outside 1..336 h, a batch size below 1, a fleet table or forecast that does not fit the
        grid.
    """
    t0 = time.perf_counter()
    feeders = derive_feeders(grid)
    if fleet is None:
        fleet = default_fleet(grid, bus_feeder=feeders.bus_feeder)
    actual = fleet_inputs(grid, fleet, issue_time, horizon_h)
    site, used = actual, dict(PROFILES)
    if forecasts is not None:
        site = forecast_inputs(grid, fleet, forecasts.renewables, forecasts.demand, horizon_h)
        used = forecasts.used()
    parts = batches(len(fleet), batch_size)
    results = solve([site.subset(s) for s in parts], solver)
    solved = time.perf_counter()
    schedule = assemble(site, results)
    limits = feeder_limits_mw(grid, feeders.head_line)
    # where the per-battery schedules together break a feeder's limit, that feeder is re-solved as one LP
    other = other_net_load(grid, feeders.bus_feeder, site)
    coupled = enforce_feeder_limits(site, schedule, limits, other, solver)
    if forecasts is not None:  # the figures: what the plan achieves on what happened
        schedule_on_actual = replace(schedule, blocks=settle(actual, schedule.blocks))
        other = other_net_load(grid, feeders.bus_feeder, actual)
    else:
        schedule_on_actual = schedule
    figures = fleet_summary(actual, schedule_on_actual, limits, other)
    figures["feeder_coupled"] = coupled
    if forecasts is not None:  # the plan's optimality is a property of the plan, on its own inputs
        figures["gap_pct"] = gap_pct(site, schedule)
    return FleetPlan(
        issue_time=issue_time,
        horizon_h=horizon_h,
        inputs=used,
        site=site,
        schedule=schedule,
        figures=figures,
        batches=len(parts),
        solve_wall_seconds=round(solved - t0, 3),
    )
