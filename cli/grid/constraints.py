"""``gridflow grid constraints``: the constraint periods ahead, or at a SimBench study case (wiring only)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, check_read_store, time_option
from cli.grid.base import BandOpt, LoadingOpt, grid_app

StudyCaseOpt = Annotated[
    str | None,
    typer.Option(
        "--study-case",
        help="SimBench study case instead of the forecast: hL, n1, hW, hPV, lW, lPV (one snapshot; SimBench "
        "grids only).",
    ),
]


@grid_app.command("constraints")
def grid_constraints(
    grid: GridOpt = None,
    at: Annotated[
        str | None, time_option("First hour, ISO 8601 UTC (default: the next hour).", "--at")
    ] = None,
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-8784).", min=1, max=8784)] = 168,
    study_case: StudyCaseOpt = None,
    supply_mw: Annotated[
        float | None,
        typer.Option(
            "--supply-mw", help="Supply capacity (import or plant limit) [MW] for shortfalls.", min=0.0
        ),
    ] = None,
    loading_limit: LoadingOpt = 100.0,
    voltage_band: BandOpt = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Store folder: forecasts, battery schedules and topology changes are read from it, the "
            "periods written to it (not a study case's) [env GRIDFLOW_STORE; default ./gridflow-store].",
            callback=check_read_store,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Constraint periods: overloads, voltage-band and supply violations with the MW to relieve them.

    Loads, generation and batteries come from the stored forecasts and schedules of that issue time where
    there are some, else from the grid's SimBench profiles ("source" says which); --study-case puts them
    at one of SimBench's study cases instead.
    """
    from cli.grid.base import _bands, _emit, _guard

    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        import logging

        import pandas as pd

        from gridcore.checks import parse_hour, store_path
        from gridcore.lookahead.report import constraint_lookahead
        from gridcore.lookahead.store import write_constraint_periods
        from gridcore.network.timeseries import Limits

        logging.getLogger("pandapower").setLevel(logging.ERROR)
        if at is not None:
            issue = parse_hour(at, "--at")
        else:
            now = pd.Timestamp.now(tz="UTC")
            issue = now.floor("h") if study_case else now.ceil("h")
        root = store_path(str(store) if store else None)
        readable = root if Path(root).is_dir() else None
        limits = Limits(loading_pct=loading_limit, voltage_bands=_bands(voltage_band))
        report = constraint_lookahead(
            grid, issue, horizon, root=readable, limits=limits, supply_mw=supply_mw, study_case=study_case
        )
        out = report.to_dict()
        out["written"] = None if study_case else write_constraint_periods(root, report)
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out

    figures = _guard(call)
    if as_json:
        _emit(figures, True, "")
        return
    periods = figures.pop("periods")
    assert isinstance(periods, list)
    head = dict(figures)
    for p in periods[:30]:
        head[f"  {p['element']} {p['kind']}"] = (
            f"{p['start']} .. {p['end']}: worst {p['worst']}, relief {p['relief_mw']} MW"
        )
    if len(periods) > 30:
        head["  ..."] = f"{len(periods) - 30} more (--json lists all)"
    _emit(head, False, f"gridflow grid constraints: {figures['grid']}")
