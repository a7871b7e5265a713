"""The demand-forecast flow: every series of the grid, groups fanned out on Dask (no algorithm here).

The wiring of the model cycle that the daily flow runs (:func:`retrain_and_forecast`) and of the hourly
update from the registry's champions (:func:`forecast_from_champions`) is here too: every step a task.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import flow

from tasks.cache import drop_cached_results
from tasks.common import artifact_key, parse_hour, store_path
from tasks.meters import publish_report
from tasks.runner import dask_runner


def submit_demand_forecast(inputs, store: str, fit: bool = True) -> list:  # noqa: ANN001
    """Submit one forecast task per group to the flow's task runner and collect the groups' forecasts.

    The system first: the feeder groups get its forecasts for their top-down candidate. Called inside a
    flow (the demand-forecast flow, the hourly flow and the daily flow all use it).
    """
    from gridcore.forecast.demand import SYSTEM, TopDown
    from tasks.forecast import forecast_feeder

    first = forecast_feeder.submit(SYSTEM, inputs.subset(SYSTEM), store, fit).result()
    top = TopDown.of(first, inputs.history[SYSTEM]) if first is not None else None
    futures = [
        forecast_feeder.submit(g, inputs.subset(g), store, fit, top) for g in inputs.groups if g != SYSTEM
    ]
    return [r for r in [first, *(f.result() for f in futures)] if r is not None]


@flow(name="demand-forecast", task_runner=dask_runner(), log_prints=True, on_completion=[drop_cached_results])
def demand_forecast(
    at: str | None = None, horizon: int = 168, store: str | None = None, weather: str = "forecast"
) -> dict[str, object]:
    """Forecast every series of the default grid from the hour ``at`` and write it to the store.

    Parameters
    ----------
    at : str, optional
        ISO 8601 issue time with offset (the next hour when omitted).
    horizon : int
        Hours ahead (1..168).
    store : str, optional
        Store root.
    weather : str
        ``forecast`` (temperature forecast after the issue) or ``none`` (load and calendar only).

    Returns
    -------
    dict
        :meth:`gridcore.forecast.demand_summary.DemandSummary.to_dict`.
    """
    from gridcore.forecast.demand_summary import demand_summary
    from tasks.demand import prepare_demand, write_demand

    t0 = time.perf_counter()
    issue = parse_hour(at) if at else parse_hour(None) + pd.Timedelta(hours=2)
    root = store_path(store)
    inputs, provenance = prepare_demand(root, issue, horizon, weather)
    results = submit_demand_forecast(inputs, root)
    written = write_demand(root, issue, results, inputs, provenance)
    summary = demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3))
    publish_report(
        f"Demand forecast {issue:%Y-%m-%dT%H:%MZ}",
        artifact_key(f"demand-{issue:%Y%m%dT%H}"),
        summary.to_dict(peaks=False),
    )
    return summary.to_dict()


def retrain_and_forecast(day_end: pd.Timestamp, store: str, horizon: int = 168) -> dict[str, object]:
    """The daily model cycle, called inside a flow.

    Check, retrain and promote each group's model, then issue the forecast from ``day_end`` with the
    champions. Groups fan out on the flow's task runner.
    """
    from gridcore.forecast.demand_summary import demand_summary
    from gridcore.forecast.retrain import RetrainPolicy
    from tasks.demand import prepare_demand, publish_decisions, write_demand
    from tasks.forecast import retrain_feeder

    t0 = time.perf_counter()
    inputs, provenance = prepare_demand(store, day_end, horizon)
    policy = RetrainPolicy()
    futures = [retrain_feeder.submit(g, inputs.subset(g), store, policy) for g in inputs.groups]
    decisions = [f.result() for f in futures]
    results = submit_demand_forecast(inputs, store)
    written = write_demand(store, day_end, results, inputs, provenance)
    forecast = demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3))
    actions: dict[str, int] = {}
    for d in decisions:
        actions[d["action"]] = actions.get(d["action"], 0) + 1
    publish_decisions(day_end, decisions)
    return {
        "model_actions": actions,
        "decisions": decisions,
        "forecast": forecast.to_dict(peaks=False),
    }


def forecast_from_champions(issue: pd.Timestamp, store: str, horizon: int = 168) -> dict[str, object]:
    """The hourly forecast update (inside a flow): every group with a champion in the registry, no fitting.

    Returns the summary (``skipped`` with the reason when the registry has no champion yet: the daily flow
    or ``gridflow forecast demand`` trains them).
    """
    from gridcore.forecast.demand_summary import demand_summary
    from tasks.demand import has_champion, prepare_demand, write_demand

    if not has_champion(store, issue):
        return {"skipped": "no champion model in the registry yet (run the daily flow or forecast demand)"}
    t0 = time.perf_counter()
    inputs, provenance = prepare_demand(store, issue, horizon)
    results = submit_demand_forecast(inputs, store, fit=False)
    if not results:
        return {"skipped": "no group has a usable champion"}
    written = write_demand(store, issue, results, inputs, provenance)
    return demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3)).to_dict(peaks=False)
