"""Prefect tasks around the demand forecast's groups (no algorithm here).

The forecast's inputs from the store, the forecast written to it, the registry's champions looked up, the
model decisions published.

The per-group tasks (forecast, retraining) are in :mod:`tasks.forecast`.
"""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact

from gridcore.forecast.demand import DemandInputs, GroupForecast, demand_inputs
from gridcore.forecast.registry import ModelRegistry
from gridcore.forecast.store import write_demand_forecast
from gridcore.system import system_at
from tasks.cache import hour_key
from tasks.common import artifact_key
from tasks.policy import TIMEOUT_FEED_S, TIMEOUT_REPORT_S, store_task


@task(
    task_run_name="demand-inputs-{issue:%Y%m%dT%H}Z",
    **store_task(TIMEOUT_FEED_S, hour_key("issue", "horizon", "weather")),
)
def prepare_demand(
    store: str, issue: pd.Timestamp, horizon: int, weather: str = "forecast"
) -> tuple[DemandInputs, dict[str, object]]:
    """The forecast's inputs at ``issue`` in the topology then in force, and the system's provenance."""
    system = system_at(store, issue)
    return demand_inputs(system, issue, horizon, weather=weather), system.provenance


@task(task_run_name="write-demand-{issue:%Y%m%dT%H}Z", **store_task(key=hour_key("issue")))
def write_demand(
    store: str, issue: pd.Timestamp, results: list[GroupForecast], inputs: DemandInputs, provenance: dict
) -> str:
    """Write the groups' forecasts of ``issue`` to ``<store>/demand_forecast/<issue>.zarr``; the path."""
    return write_demand_forecast(store, results, inputs.catalog, provenance)


@task(task_run_name="champions-{issue:%Y%m%dT%H}Z", **store_task(TIMEOUT_REPORT_S, hour_key("issue")))
def has_champion(store: str, issue: pd.Timestamp) -> bool:
    """Whether the model registry holds a champion model of any group (at the run of ``issue``)."""
    return any(v["status"] == "champion" for v in ModelRegistry(store).versions())


@task(**store_task(TIMEOUT_REPORT_S, hour_key("day_end", freq="D")))
def publish_decisions(day_end: pd.Timestamp, decisions: list[dict[str, object]]) -> None:
    """Publish the day's retraining and promotion decisions, one row per group, as a markdown artifact."""
    table = "\n".join(
        f"| {d['group']} | {d['action']} | {'; '.join(d.get('reasons', []))} | "
        f"{d.get('champion_eval', d.get('recent', {})).get('mape_pct', '')} | "
        f"{d.get('challenger_eval', {}).get('mape_pct', '')} |"
        for d in decisions
    )
    create_markdown_artifact(
        f"# Model decisions {day_end:%Y-%m-%d}\n\n| group | action | reasons | champion MAPE % | "
        f"challenger MAPE % |\n|---|---|---|---|---|\n{table}\n",
        key=artifact_key(f"models-{day_end:%Y-%m-%d}"),
        description="Demand model retraining and promotion decisions",
    )
