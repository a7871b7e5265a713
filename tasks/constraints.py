"""Prefect task of the constraint look-ahead: periods to the store, a log line, an artifact, events."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gridcore.lookahead import constraint_lookahead, write_constraint_periods
from gridcore.network.timeseries import Limits
from tasks.cache import hour_key
from tasks.events import emit
from tasks.policy import store_task

#: Event emitted per constraint period found (an automation can act on it).
CONSTRAINT_FOUND = "gridflow.constraint.found"
#: Most events emitted by one look-ahead (the periods with the most relief first).
MAX_EVENTS = 200


@task(
    task_run_name="constraints-{issue:%Y%m%dT%H}Z-{horizon_h}h",
    **store_task(
        key=hour_key("issue", "horizon_h", "grid", "supply_mw", "loading_limit_pct", "batteries", "write")
    ),
)
def update_constraints(
    store: str,
    issue: pd.Timestamp,
    horizon_h: int,
    grid: str | None = None,
    supply_mw: float | None = None,
    artifact: bool = True,
    loading_limit_pct: float = 100.0,
    batteries: bool = True,
    write: bool = True,
) -> dict[str, object]:
    """Constraint periods for ``horizon_h`` hours from ``issue`` (UTC), written to the store.

    Uses the stored forecasts and battery schedules of that issue where present (see
    :func:`gridcore.lookahead.constraint_lookahead`; ``batteries=False`` leaves the schedule out: the grid
    before its batteries act). Logs the counts per kind; with ``artifact``, publishes a markdown table (key
    ``constraint-periods``); with ``write``, writes the periods (``written``: the path). Emits one
    ``gridflow.constraint.found`` event per period (at most :data:`MAX_EVENTS`, the most relief first;
    resource ``gridflow.element.<element>``; payload: kind, start, end, worst, relief [MW], issue).
    Returns the report's figures without the list of periods, plus the five with the most relief (``top``).
    """
    limits = Limits(loading_pct=loading_limit_pct)
    report = constraint_lookahead(
        grid, issue, horizon_h, root=store, supply_mw=supply_mw, limits=limits, batteries=batteries
    )
    figures = report.to_dict()
    periods = figures.pop("periods")
    assert isinstance(periods, list)
    if write:
        figures["written"] = write_constraint_periods(store, report)
    figures["loading_limit_pct"] = loading_limit_pct
    figures["top"] = sorted(periods, key=lambda p: -abs(p["relief_mw"] or 0.0))[:5]  # for the loading map
    figures["elements"] = sorted({p["element"] for p in periods})
    ranked = sorted(periods, key=lambda p: -abs(p["relief_mw"] or 0.0))
    figures["events"] = sum(
        emit(CONSTRAINT_FOUND, f"gridflow.element.{p['element']}", {**p, "issue_time": figures["issue_time"]})
        for p in ranked[:MAX_EVENTS]
    )
    get_run_logger().info(
        "constraint periods %s +%d h on %s%s: %s (loads from %s)",
        figures["issue_time"],
        horizon_h,
        figures["grid"],
        "" if batteries else " before the batteries",
        ", ".join(f"{n} {k}" for k, n in figures["counts"].items() if n) or "none",  # type: ignore[union-attr]
        report.source.get("load"),
    )
    if artifact:
        lines = [
            f"# Constraint periods from {figures['issue_time']} ({horizon_h} h, {figures['grid']})",
            f"Sources: {report.source}. Counts: {figures['counts']}.",
            "",
            "| element | kind | start | end | worst | relief MW |",
            "|---|---|---|---|---:|---:|",
            *(
                "| "
                + " | ".join(str(p[k]) for k in ("element", "kind", "start", "end", "worst", "relief_mw"))
                + " |"
                for p in periods[:50]
            ),
        ]
        create_markdown_artifact(
            key="constraint-periods", markdown="\n".join(lines), description="Constraint periods ahead"
        )
    return figures
