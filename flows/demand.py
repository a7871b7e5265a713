"""The demand-forecast flow: every series of the grid, groups fanned out on Dask (no algorithm here)."""

from __future__ import annotations

import pandas as pd
from prefect import flow
from prefect.artifacts import create_markdown_artifact

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


def _counts(names: list[str]) -> dict[str, int]:
    """How many times each name occurs, most frequent first."""
    return {n: names.count(n) for n in sorted(set(names), key=lambda n: (-names.count(n), n))}


def demand_summary(inputs, results: list, written: str | None, seconds: float) -> dict[str, object]:  # noqa: ANN001
    """The figures a forecast run reports: per feeder and for the system, peak and interval at the peak."""
    import numpy as np

    from gridcore.forecast.demand import DEMAND_QUANTILES

    lo, hi = DEMAND_QUANTILES.index(0.1), DEMAND_QUANTILES.index(0.9)
    catalog = inputs.catalog
    rows = []
    for r in results:
        for s, sid in enumerate(r.series):
            if catalog.at[sid, "kind"] == "load":
                continue
            k = int(np.nanargmax(r.point[s]))
            sc = r.scores.loc[sid]
            rows.append(
                {
                    "series": sid,
                    "peak_mw": round(float(r.point[s, k]), 4),
                    "peak_time": f"{inputs.issue_time + pd.Timedelta(hours=k):%Y-%m-%dT%H:%MZ}",
                    "peak_p10_mw": round(float(r.quantiles[s, k, lo]), 4),
                    "peak_p90_mw": round(float(r.quantiles[s, k, hi]), 4),
                    "energy_mwh": round(float(np.nansum(r.point[s])), 3),
                    "day_ahead_mape_pct": sc["day_ahead_mape_pct"],
                    "day_ahead_naive_mape_pct": sc["day_ahead_naive_mape_pct"],
                    "coverage_80_pct": sc["coverage_80_pct"],
                }
            )
    scores = pd.concat([r.scores for r in results])
    kinds = catalog.loc[scores.index, "kind"]
    by_kind = {
        kind: {
            "series": int((kinds == kind).sum()),
            "day_ahead_mape_pct": round(float(scores.loc[kinds == kind, "day_ahead_mape_pct"].mean()), 3),
            "day_ahead_naive_mape_pct": round(
                float(scores.loc[kinds == kind, "day_ahead_naive_mape_pct"].mean()), 3
            ),
            "mape_pct": round(float(scores.loc[kinds == kind, "mape_pct"].mean()), 3),
            "naive_mape_pct": round(float(scores.loc[kinds == kind, "naive_mape_pct"].mean()), 3),
            "coverage_80_pct": round(float(scores.loc[kinds == kind, "coverage_80_pct"].mean()), 2),
        }
        for kind in ("system", "feeder", "load")
    }
    info = [r.info for r in results]
    issues = inputs.issues
    return {
        "issue_time": f"{inputs.issue_time:%Y-%m-%dT%H:%MZ}",
        "horizon_h": inputs.horizon,
        "series": int(len(scores)),
        "groups": len(results),
        "quantiles": list(DEMAND_QUANTILES),
        "weather": results[0].info.get("weather") if results else None,
        "models": {
            "fitted": sum(r.fitted for r in results),
            "from_registry": sum(not r.fitted for r in results),
        },
        "accuracy_out_of_sample": by_kind,
        "champions": {
            r.group: {**r.choice.to_dict(), "series_champions": _counts(r.series_champions)}
            for r in results
            if r.choice is not None
        },
        "calibration": {
            "origins_min": min((int(i.get("calibration_origins", 0)) for i in info), default=0),
            "origins_max": max((int(i.get("calibration_origins", 0)) for i in info), default=0),
            "evaluation_origins_min": min((int(i.get("evaluation_origins", 0)) for i in info), default=0),
            "history_days_min": min((float(i.get("history_days", 0)) for i in info), default=0.0),
            "method": "split-conformal per series and lead day on out-of-sample errors; coverage "
            "cross-conformal over the evaluation origins",
        },
        "history_issues": {k: int(v) for k, v in issues["issue"].value_counts().items()},
        "peaks": rows,
        "written": written,
        "seconds": seconds,
    }


@flow(name="demand-forecast", task_runner=dask_runner(), log_prints=True)
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
        See :func:`demand_summary`.
    """
    import time

    from gridcore.forecast.demand import demand_inputs
    from gridcore.forecast.store import write_demand_forecast
    from gridcore.system import system_at

    t0 = time.perf_counter()
    issue = parse_hour(at) if at else parse_hour(None) + pd.Timedelta(hours=2)
    root = store_path(store)
    system = system_at(root, issue)
    inputs = demand_inputs(system, issue, horizon, weather=weather)
    results = submit_demand_forecast(inputs, root)
    written = write_demand_forecast(root, results, inputs.catalog, system.provenance)
    out = demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3))
    publish_report(
        f"Demand forecast {issue:%Y-%m-%dT%H:%MZ}",
        artifact_key(f"demand-{issue:%Y%m%dT%H}"),
        {k: v for k, v in out.items() if k != "peaks"},
    )
    return out


def retrain_and_forecast(day_end: pd.Timestamp, store: str, horizon: int = 168) -> dict[str, object]:
    """The daily model cycle, called inside a flow.

    Check, retrain and promote each group's model, then issue the forecast from ``day_end`` with the
    champions. Groups fan out on the flow's task runner.
    """
    import time

    from gridcore.forecast.demand import demand_inputs
    from gridcore.forecast.retrain import RetrainPolicy
    from gridcore.forecast.store import write_demand_forecast
    from gridcore.system import system_at
    from tasks.forecast import retrain_feeder

    t0 = time.perf_counter()
    system = system_at(store, day_end)
    inputs = demand_inputs(system, day_end, horizon)
    policy = RetrainPolicy()
    futures = [retrain_feeder.submit(g, inputs.subset(g), store, policy) for g in inputs.groups]
    decisions = [f.result() for f in futures]
    results = submit_demand_forecast(inputs, store)
    written = write_demand_forecast(store, results, inputs.catalog, system.provenance)
    forecast = demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3))
    actions: dict[str, int] = {}
    for d in decisions:
        actions[d["action"]] = actions.get(d["action"], 0) + 1
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
    return {
        "model_actions": actions,
        "decisions": decisions,
        "forecast": {k: v for k, v in forecast.items() if k != "peaks"},
    }


def forecast_from_champions(issue: pd.Timestamp, store: str, horizon: int = 168) -> dict[str, object]:
    """The hourly forecast update (inside a flow): every group with a champion in the registry, no fitting.

    Returns the summary (``skipped`` with the reason when the registry has no champion yet: the daily flow
    or ``gridflow forecast demand`` trains them).
    """
    import time

    from gridcore.forecast.demand import demand_inputs
    from gridcore.forecast.registry import ModelRegistry
    from gridcore.forecast.store import write_demand_forecast
    from gridcore.system import system_at

    if not any(v["status"] == "champion" for v in ModelRegistry(store).versions()):
        return {"skipped": "no champion model in the registry yet (run the daily flow or forecast demand)"}
    t0 = time.perf_counter()
    system = system_at(store, issue)
    inputs = demand_inputs(system, issue, horizon)
    results = submit_demand_forecast(inputs, store, fit=False)
    if not results:
        return {"skipped": "no group has a usable champion"}
    written = write_demand_forecast(store, results, inputs.catalog, system.provenance)
    out = demand_summary(inputs, results, written, round(time.perf_counter() - t0, 3))
    return {k: v for k, v in out.items() if k != "peaks"}
