"""Prefect task of the run's report: figures to the store, a Markdown artifact, image artifacts.

The report (:func:`gridcore.runreport.run_markdown`) is the steps table, the headline figures and the figures
that matter: the system's forecast band, the fleet's state of charge, the prices, the shedding planned and
the loading map at the worst hour of the constraints (each drawn when its product is in the store). The PNGs
and ``report.md`` go to ``<store>/reports/<run>/`` (the Markdown links them by relative path, so the folder
reads in any Markdown viewer); the Prefect UI gets the Markdown as the artifact ``<run>`` and each figure as
an image artifact ``<run>-<figure>`` whose address is the PNG inline (``data:image/png;base64,...``: the UI
shows it without a file server).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_image_artifact, create_markdown_artifact

from gridcore import runreport
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_REPORT_S, store_task

#: High-severity anomalies listed in the report's notes (the count covers all).
HIGH_LISTED = 10


def _facts(out: dict[str, object]) -> list[tuple[str, object]]:
    """The run's headline figures from its JSON (those present)."""
    facts: list[tuple[str, object]] = []

    def add(label: str, *path: str) -> None:
        value: object = out
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return
            value = value[key]
        if isinstance(value, dict):
            value = ", ".join(f"{v} {k}" for k, v in value.items() if v) or "none"
        facts.append((label, value))

    add("readings in", "readings_in")
    add("readings valid", "readings_valid")
    add("system load [MW]", "system_p_mw")
    add("lowest feeder coverage [%]", "coverage_pct_min")
    add("forecast error this hour [%]", "forecast_check", "error_pct")
    add("constraints found (before remedies)", "constraints_found", "counts")
    add("constraints remaining (after batteries)", "constraints", "counts")
    add("max line loading ahead [%]", "constraints", "max_line_loading_pct")
    add("batteries optimized", "batteries", "solved")
    add("renewable utilization [%]", "batteries", "utilization_pct")
    add("shedding events", "shedding", "events")
    add("shed [MW]", "shedding", "shed_mw")
    add("critical customers affected", "shedding", "critical_affected")
    add("unserved energy [MWh]", "shedding", "unserved_mwh")
    add("price mean [EUR/MWh]", "prices", "price_mean_per_mwh")
    add("price max [EUR/MWh]", "prices", "price_max_per_mwh")
    add("imbalance [MWh]", "prices", "imbalance_mwh")
    add("anomalies", "monitoring", "total")
    add("anomalies of high severity", "monitoring", "high")
    return facts


def _notes(out: dict[str, object]) -> list[str]:
    notes = []
    check = out.get("forecast_check")
    if isinstance(check, dict) and check.get("reason"):
        notes.append(f"forecast check: {check['reason']}")
    for key, what in (("constraints_found", "constraint.found"), ("shedding", "shedding.planned")):
        part = out.get(key)
        n = (
            part.get("events" if key == "constraints_found" else "events_emitted")
            if isinstance(part, dict)
            else None
        )
        if n:
            notes.append(f"{n} gridflow.{what} event(s) emitted")
    monitoring = out.get("monitoring")
    if isinstance(monitoring, dict) and monitoring.get("high"):
        listed = [a for a in monitoring.get("anomalies", []) if a.get("severity") == "high"]
        notes.append(
            f"{monitoring['high']} high-severity anomalies (a gridflow.anomaly.high event each)"
            + (f", the first {len(listed)}:" if listed else "")
        )
        notes += [
            f"anomaly {a['type']} at {a['place_kind']} {a['place']} ({a['start']} to {a['end']}): "
            + ", ".join(f"{k} {v}" for k, v in a["evidence"].items())
            for a in listed[:HIGH_LISTED]
        ]
    return notes


@task(task_run_name="report-{key}", **store_task(TIMEOUT_REPORT_S, hour_key("issue", "key")))
def publish_run_report(
    store: str,
    key: str,
    title: str,
    issue: pd.Timestamp,
    out: dict[str, object],
    grid: str | None = None,
    loading_limit_pct: float = 100.0,
    figures: bool = True,
) -> dict[str, object]:
    """Draw the run's figures, write ``report.md`` and publish the artifacts; the paths.

    Parameters
    ----------
    store : str
    key : str
        Artifact key of the run (lowercase, digits, dashes): the folder ``<store>/reports/<key>/``.
    title : str
    issue : pd.Timestamp
        UTC issue time of the run's forecasts, schedules and constraint periods.
    out : dict
        The flow's JSON so far (``steps`` and the steps' figures).
    grid : str, optional
    loading_limit_pct : float
        Thermal limit of the loading map [%].
    figures : bool
        Draw the figures (False: the tables only).

    Returns
    -------
    dict
        ``markdown`` (path), ``figures`` (name -> PNG path).
    """
    folder = Path(store) / "reports" / key
    folder.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, str] = {}
    failed: list[str] = []
    if figures:
        for name, draw in _drawings(store, issue, out, grid, loading_limit_pct).items():
            try:
                drawn[name] = draw(folder / f"{name}.png")
            except FileNotFoundError:
                continue  # the product is not in the store (its step was skipped): no figure
            except Exception as exc:  # a figure that cannot be drawn leaves the report without it
                failed.append(f"figure {name} not drawn: {type(exc).__name__}: {exc}")
    captions = {
        "forecast_band": "System demand forecast with its 80 % and 90 % bands [MW]",
        "soc": "Battery fleet state of charge [%]",
        "prices": "Prices [EUR/MWh]",
        "shed": "Shedding planned per event [MW]",
        "loading_map": "Loading map at the worst hour ahead [%]",
    }
    steps = out.get("steps", {})
    assert isinstance(steps, dict)
    markdown = runreport.run_markdown(
        title,
        steps,
        _facts(out),
        [(captions[n], Path(p).name) for n, p in drawn.items()],
        [*_notes(out), *failed],
    )
    path = folder / "report.md"
    path.write_text(markdown)
    create_markdown_artifact(markdown, key=key, description=title)
    for name, png in drawn.items():
        data = base64.b64encode(Path(png).read_bytes()).decode()
        create_image_artifact(
            f"data:image/png;base64,{data}", key=f"{key}-{name.replace('_', '-')}", description=captions[name]
        )
    get_run_logger().info("run report: %s (%d figures)", path, len(drawn))
    return {"markdown": str(path), "figures": drawn}


def _drawings(
    store: str, issue: pd.Timestamp, out: dict[str, object], grid: str | None, limit: float
) -> dict:
    """The figures this run can draw: name -> ``draw(path) -> path`` (FileNotFoundError when no product)."""
    from gridcore.forecast.store import read_demand_forecast
    from gridcore.storage.store import read_schedule

    def band(p: Path) -> str:
        return runreport.forecast_band_figure(read_demand_forecast(store, issue), p)

    def soc(p: Path) -> str:
        return runreport.soc_figure(read_schedule(store, issue), p)

    def shed(p: Path) -> str:
        plans = json.loads((Path(store) / "shedding_plan" / f"{issue:%Y%m%dT%H%MZ}.json").read_text())[
            "plans"
        ]
        return runreport.shed_figure(plans, p)

    def prices(p: Path) -> str:
        market = out.get("prices")
        series = market.get("price_per_mwh_by_hour") if isinstance(market, dict) else None
        if not isinstance(series, dict) or not series:
            raise FileNotFoundError("no prices in this run")
        values = pd.Series({pd.Timestamp(k): float(v) for k, v in series.items()})
        return runreport.series_figure(values, p, "price [EUR/MWh]", f"Prices from {issue:%Y-%m-%d %H:%M}Z")

    def loading_map(p: Path) -> str:
        constraints = out.get("constraints")
        top = constraints.get("top") if isinstance(constraints, dict) else None
        if not isinstance(constraints, dict) or "counts" not in constraints:
            raise FileNotFoundError("no constraint look-ahead in this run")
        at = pd.Timestamp(top[0]["worst_time"]) if top else issue
        return runreport.loading_map_figure(grid, at, p, limit)

    return {"forecast_band": band, "soc": soc, "prices": prices, "shed": shed, "loading_map": loading_map}
