"""``gridflow shed plan``: a plan for a shortfall, a constrained element, an event file or the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, check_input_file, emit, time_option
from cli.shed.base import MetersOpt, PrioritiesOpt, ReadStoreOpt, shed_app


@shed_app.command("plan")
def plan_command(
    shortfall_mw: Annotated[
        float | None, typer.Option("--shortfall-mw", help="Supply shortfall [MW] (negative: export surplus).")
    ] = None,
    at: Annotated[
        str | None, time_option("Event start, ISO 8601 UTC (e.g. 2016-07-01T18:00Z).", "--at")
    ] = None,
    hours: Annotated[
        float,
        typer.Option("--hours", help="Event duration [h]; rotates beyond the rotation period.", min=0.01),
    ] = 1.0,
    element: Annotated[
        list[str] | None,
        typer.Option("--element", help="Constrained element: line:12, trafo:0, bus:41 (repeatable)."),
    ] = None,
    study_case: Annotated[
        str | None,
        typer.Option(
            "--study-case", help="SimBench study case instead of the profiles: hL, n1, hW, hPV, lW, lPV."
        ),
    ] = None,
    event: Annotated[
        Path | None,
        typer.Option("--event", help="Event file (JSON; format in the README).", callback=check_input_file),
    ] = None,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store", help="Plan for the stored constraint periods (product constraint_periods)."
        ),
    ] = False,
    grid: GridOpt = None,
    priorities: PrioritiesOpt = None,
    meters: MetersOpt = None,
    loading_limit: Annotated[
        float, typer.Option("--loading-limit", help="Branch loading limit [%].", min=1.0)
    ] = 100.0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the plan (JSON) here, for `shed execute`.")
    ] = None,
    store: ReadStoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan shedding by priority: batteries, dimming, then cuts; network plans checked by power flow."""
    from gridcore.checks import default_store_path
    from gridcore.shedding.events import Event, parse_event, read_event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import make_plan, prepare, stored_events
    from gridcore.times import to_utc

    rules = load_priorities(priorities)
    store_path = Path(store) if store is not None else Path(default_store_path())
    when = None if at is None else to_utc(at, "--at", naive="error")
    if from_store:
        events, attrs = stored_events(store_path, when)
        grid = grid or (str(attrs["grid"]) if attrs.get("grid") else None)
    elif event is not None:
        ev = read_event(event)
        events = [
            Event(
                ev.start or when,
                ev.hours if hours == 1.0 else hours,
                ev.shortfall_mw,
                ev.elements,
                ev.export,
                study_case or ev.study_case,
            )
        ]
    else:
        if shortfall_mw is None and not element:
            raise typer.BadParameter("give --shortfall-mw, --element, --event or --from-store")
        constraints: list[dict[str, object]] = [{"element": e} for e in element or []]
        if shortfall_mw:
            constraints.append({"element": "supply", "relief_mw": shortfall_mw})
        events = [
            parse_event(
                {"hours": hours, "constraints": constraints or [{"element": "supply", "relief_mw": 0.0}]},
                "options",
            )
        ]
        events = [Event(when, e.hours, e.shortfall_mw, e.elements, e.export, study_case) for e in events]
    plans = []
    for ev in events:
        setting = prepare(ev, rules, grid, meters, store_path)
        plans.append(make_plan(setting, ev, rules, loading_limit))
    result: dict[str, object] = plans[0] if len(plans) == 1 else _many(plans)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, default=str, indent=1) + "\n")
        result["out"] = str(out)
    if as_json:
        emit(result, True, "")
        return
    emit(_summary(result), False, "gridflow shed plan")


def _many(plans: list[dict[str, object]]) -> dict[str, object]:
    """Several stored constraint periods: the plans and their totals."""
    keys = ("needed_mw", "shed_mw", "dimmed_mw", "battery_mw", "curtailed_mw", "unserved_mwh", "cost")
    total: dict[str, object] = {k: round(sum(float(p[k]) for p in plans), 6) for k in keys}  # type: ignore[arg-type]
    total["critical_affected"] = sum(int(p["critical_affected"]) for p in plans)  # type: ignore[call-overload]
    total["remaining_constraints"] = [c for p in plans for c in p["remaining_constraints"]]  # type: ignore[attr-defined]
    total["seconds"] = round(sum(float(p["seconds"]) for p in plans), 4)  # type: ignore[arg-type]
    total["commands"] = [c for p in plans for c in p["commands"]]  # type: ignore[attr-defined]
    classes = plans[0]["customers_affected"]
    total["customers_affected"] = {
        c: sum(int(p["customers_affected"][c]) for p in plans)  # type: ignore[index]
        for c in classes  # type: ignore[union-attr]
    }
    total["rotation"] = [p["rotation"] for p in plans]
    return {**total, "periods": len(plans), "plans": plans}


def _summary(plan: dict[str, object]) -> dict[str, object]:
    """The headline figures for the terminal."""
    keys = (
        "grid",
        "at",
        "study_case",
        "elements",
        "shortfall_mw",
        "needed_mw",
        "shed_mw",
        "dimmed_mw",
        "battery_mw",
        "battery_summary",
        "curtailed_mw",
        "uncovered_mw",
        "customers_affected",
        "critical_affected",
        "unserved_mwh",
        "cost",
        "fairness",
        "remaining_constraints",
        "power_flows",
        "per_hour",
        "seconds",
        "out",
    )
    out = {k: plan[k] for k in keys if k in plan}
    out["commands"] = len(plan.get("commands", []))  # type: ignore[arg-type]
    return out
