"""Prefect tasks of the demand forecast, one per forecast group.

A group is a feeder and its load points, or the system, so the groups fan out on the flow's Dask runner;
the daily retraining check runs per group too.
"""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.forecast.champion import registry_status, screen_mstl
from gridcore.forecast.demand import DemandInputs, GroupForecast, TopDown, forecast_group, registry_metrics
from gridcore.forecast.registry import ModelRegistry
from gridcore.forecast.retrain import RetrainPolicy, retrain_group
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_FIT_S, store_task


@task(
    task_run_name="forecast-{group}",
    **store_task(TIMEOUT_FIT_S, hour_key("inputs.issue_time", "group", "inputs.horizon", "fit")),
)
def forecast_feeder(
    group: str, inputs: DemandInputs, store: str, fit: bool = True, top: TopDown | None = None
) -> GroupForecast | None:
    """Forecast one group from the issue time, with the registry's champion when it can be used.

    A champion is usable when it was fitted for at least the requested horizon. Without one the model is
    fitted here (``fit``) and, when the group has no champion yet, registered as its first.
    With ``fit=False`` a group without a usable champion is skipped (None). ``top``: the system's
    forecasts, for a feeder group's top-down candidate. MSTL is scored as
    :func:`gridcore.forecast.champion.screen_mstl` decides from the registry's last choice, and a choice
    that scored it is kept there.
    """
    registry = ModelRegistry(store)
    champion = registry.champion(group)
    usable = champion is not None and int(champion.get("horizon_h") or 0) >= inputs.horizon
    model = registry.load(champion) if usable else None
    if model is None and not fit:
        return None
    # a model fitted here is a fresh choice; a champion's forecast keeps the day's verdict on MSTL
    mstl = model is None or screen_mstl(registry.last_choice(group), inputs.issue_time)
    result = forecast_group(
        group,
        inputs.group(group),
        inputs.temperature,
        inputs.issue_time,
        inputs.horizon,
        model=model,
        train_start=pd.Timestamp(champion["train_start"]) if usable else None,
        train_end=pd.Timestamp(champion["train_end"]) if usable else None,
        top=top,
        mstl=mstl,
    )
    if mstl and result.choice is not None:
        registry.record_choice(group, inputs.issue_time, result.choice.to_dict())
    result.info["model_version"] = int(champion["version"]) if usable and not result.fitted else None
    status = registry_status(result.choice, champion is not None) if result.fitted else None
    if status is not None:
        meta = registry.register(
            group,
            result.model,
            result.series,
            result.train_start,
            result.train_end,
            registry_metrics(result),
            inputs.issue_time,
            status=status[0],
            reason=status[1],
            horizon_h=inputs.horizon,
        )
        result.info["model_version"] = int(meta["version"])
    get_run_logger().info(
        "forecast %s: %d series, %d h from %s, champion %s, model version %s (%s)%s",
        group,
        len(result.series),
        inputs.horizon,
        f"{inputs.issue_time:%Y-%m-%dT%H:%M}Z",
        result.choice.champion,
        result.info["model_version"],
        "fitted here" if result.fitted else "from the registry",
        "" if mstl else ", MSTL not scored (the last verdict holds)",
    )
    return result


@task(
    task_run_name="retrain-{group}",
    **store_task(TIMEOUT_FIT_S, hour_key("inputs.issue_time", "group", "inputs.horizon")),
)
def retrain_feeder(group: str, inputs: DemandInputs, store: str, policy: RetrainPolicy) -> dict[str, object]:
    """The group's daily retraining check (see :func:`gridcore.forecast.retrain.retrain_group`), as a dict."""
    return retrain_group(
        group, inputs.group(group), inputs.temperature, inputs.issue_time, ModelRegistry(store), policy
    ).to_dict()
