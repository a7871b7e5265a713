"""Prefect tasks of the demand forecast, one per forecast group.

A group is a feeder and its load points, or the system, so the groups fan out on the flow's Dask runner;
the daily retraining check runs per group too.
"""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.forecast.demand import DemandInputs, GroupForecast, forecast_group, registry_metrics
from gridcore.forecast.registry import ModelRegistry
from gridcore.forecast.retrain import RetrainPolicy, retrain_group
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_FIT_S, store_task


@task(
    task_run_name="forecast-{group}",
    **store_task(TIMEOUT_FIT_S, hour_key("inputs.issue_time", "group", "inputs.horizon", "fit")),
)
def forecast_feeder(group: str, inputs: DemandInputs, store: str, fit: bool = True) -> GroupForecast | None:
    """Forecast one group from the issue time, with the registry's champion when it can be used.

    A champion is usable when it was fitted for at least the requested horizon. Without one the model is
    fitted here (``fit``) and, when the group has no champion yet, registered as its first.
    With ``fit=False`` a group without a usable champion is skipped (None).
    """
    registry = ModelRegistry(store)
    champion = registry.champion(group)
    usable = champion is not None and int(champion.get("horizon_h") or 0) >= inputs.horizon
    model = registry.load(champion) if usable else None
    if model is None and not fit:
        return None
    result = forecast_group(
        group,
        inputs.group(group),
        inputs.temperature,
        inputs.issue_time,
        inputs.horizon,
        model=model,
        train_start=pd.Timestamp(champion["train_start"]) if usable else None,
        train_end=pd.Timestamp(champion["train_end"]) if usable else None,
    )
    result.info["model_version"] = int(champion["version"]) if usable and not result.fitted else None
    if result.fitted and champion is None:
        meta = registry.register(
            group,
            result.model,
            result.series,
            result.train_start,
            result.train_end,
            registry_metrics(result),
            inputs.issue_time,
            status="champion",
            reason="first model of the group (fitted by a forecast run)",
            horizon_h=inputs.horizon,
        )
        result.info["model_version"] = int(meta["version"])
    get_run_logger().info(
        "forecast %s: %d series, %d h from %s, model version %s (%s)",
        group,
        len(result.series),
        inputs.horizon,
        f"{inputs.issue_time:%Y-%m-%dT%H:%M}Z",
        result.info["model_version"],
        "fitted here" if result.fitted else "from the registry",
    )
    return result


@task(
    task_run_name="retrain-{group}",
    **store_task(TIMEOUT_FIT_S, hour_key("inputs.issue_time", "group", "inputs.horizon")),
)
def retrain_feeder(group: str, inputs: DemandInputs, store: str, policy: RetrainPolicy) -> dict[str, object]:
    """The group's daily retraining check (see :func:`gridcore.forecast.retrain.retrain_group`)."""
    return retrain_group(
        group, inputs.group(group), inputs.temperature, inputs.issue_time, ModelRegistry(store), policy
    )
