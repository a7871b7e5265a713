"""Prefect tasks of the chain's shedding step: a plan per constraint event that remains (no algorithm here).

The events come from the stored constraint periods (:func:`gridcore.shedding.lookahead.shedding_events`:
what is constrained in the same hours is relieved together, in every grid segment it lies in); each event is
planned by :func:`gridcore.shedding.request.make_plan` on the loads the periods were found on (the stored
forecasts and schedules of the issue; network plan checked by power flow, priorities from the default file),
one task per event on the flow's task runner. The plans go to ``<store>/shedding_plan/<issue>.json``
(:func:`gridcore.shedding.store.write_plans`) and each one emits ``gridflow.shedding.planned``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from prefect import get_run_logger, task

from gridcore.lookahead import read_constraint_periods
from gridcore.lookahead.inputs import forecast_injections
from gridcore.network.constraints import Injections
from gridcore.network.grid_spec import grid_model
from gridcore.shedding.events import Event
from gridcore.shedding.lookahead import on_forecasts, plan_totals, shedding_events
from gridcore.shedding.priorities import load_priorities
from gridcore.shedding.request import make_plan, prepare
from gridcore.shedding.store import PRODUCT, write_plans
from tasks.cache import hour_key
from tasks.events import emit
from tasks.policy import TIMEOUT_REPORT_S, TIMEOUT_SOLVE_S, compute_task, store_task

#: Event emitted per shedding plan (an automation can act on it).
SHEDDING_PLANNED = "gridflow.shedding.planned"
__all__ = ["PRODUCT", "SHEDDING_PLANNED", "plan_event", "plan_shedding", "shedding_inputs", "write_shedding"]


@task(
    task_run_name="shed-events-{issue:%Y%m%dT%H}Z",
    **store_task(TIMEOUT_REPORT_S, hour_key("issue", "window_h", "grid")),
)
def shedding_inputs(
    store: str, issue: pd.Timestamp, window_h: float, grid: str | None = None
) -> tuple[list[Event], Injections, pd.DatetimeIndex]:
    """The events to plan and the look-ahead's injections of their hours.

    The events: the stored constraint periods of ``issue`` within ``window_h`` hours; the injections: the
    stored forecasts and schedules of ``issue`` (:func:`gridcore.lookahead.inputs.forecast_injections`).
    """
    periods, _ = read_constraint_periods(store, issue)
    times = pd.date_range(issue, periods=max(int(np.ceil(window_h)), 1), freq="h")
    injections, _ = forecast_injections(grid_model(grid), times, store)
    return shedding_events(periods, issue, window_h), injections, times


@task(
    task_run_name="shed-plan-{event.start:%Y%m%dT%H}Z",
    **compute_task(TIMEOUT_SOLVE_S, hour_key("event.start", "loading_limit_pct", "grid")),
)
def plan_event(
    store: str,
    event: Event,
    injections: Injections,
    times: pd.DatetimeIndex,
    grid: str | None = None,
    loading_limit_pct: float = 100.0,
) -> dict[str, object]:
    """The shedding plan of one event on the look-ahead's injections.

    :func:`gridcore.shedding.request.make_plan` with the default priorities, on the grid put at the
    injections by :func:`gridcore.shedding.lookahead.on_forecasts`.
    """
    rules = load_priorities()
    setting = on_forecasts(prepare(event, rules, grid, None, store), injections, times)
    plan = make_plan(setting, event, rules, loading_limit_pct)
    get_run_logger().info(
        "shedding plan %s (%s): shed %s MW, batteries %s MW, %s critical, %d constraint(s) left",
        plan["at"],
        ", ".join(plan["elements"]),  # type: ignore[arg-type]
        plan["shed_mw"],
        plan["battery_mw"],
        plan["critical_affected"],
        len(plan["remaining_constraints"]),  # type: ignore[arg-type]
    )
    return plan


@task(task_run_name="write-shedding-{issue:%Y%m%dT%H}Z", **store_task(key=hour_key("issue")))
def write_shedding(store: str, issue: pd.Timestamp, plans: list[dict[str, object]]) -> dict[str, object]:
    """Write the plans of ``issue`` (``<store>/shedding_plan/<issue>.json``), emit one event per plan.

    Returns :func:`gridcore.shedding.lookahead.plan_totals` with ``written`` and ``events_emitted``.
    """
    totals = plan_totals(plans)
    totals["written"] = str(write_plans(store, issue, plans, dict(totals)))
    totals["events_emitted"] = sum(
        emit(SHEDDING_PLANNED, f"gridflow.element.{'+'.join(p['elements']) or 'supply'}", _headline(p))  # type: ignore[arg-type]
        for p in plans
    )
    return totals


def _headline(plan: dict[str, object]) -> dict[str, object]:
    keys = (
        "at",
        "hours",
        "elements",
        "shed_mw",
        "battery_mw",
        "dimmed_mw",
        "critical_affected",
        "unserved_mwh",
    )
    return {k: plan.get(k) for k in keys} | {"commands": len(plan.get("commands", []))}  # type: ignore[arg-type]


def plan_shedding(
    store: str,
    issue: pd.Timestamp,
    window_h: float,
    grid: str | None = None,
    loading_limit_pct: float = 100.0,
) -> dict[str, object]:
    """The shedding step, called inside a flow: events, one plan task per event, the plans written.

    ``skipped`` with the reason when no constraint period starts within the window.
    """
    events, injections, times = shedding_inputs(store, issue, window_h, grid)
    if not events:
        return {"skipped": f"no constraint remains in the {window_h:g} h from {issue:%Y-%m-%dT%H:%MZ}"}
    futures = [plan_event.submit(store, e, injections, times, grid, loading_limit_pct) for e in events]
    plans = [f.result() for f in futures]
    out = write_shedding(store, issue, plans)
    out["plans"] = [_headline(p) for p in plans]
    return out
