"""``gridflow renewables backtest`` and ``gridflow forecast renewables`` (wiring only, no Prefect).

The forecasters, the backtest and the grid forecast live in ``gridcore.forecast`` (``solar``, ``wind``,
``renewables``); the store writers in ``gridcore.forecast.store``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, StoreOpt, check_given_store, check_input_file, time_option
from cli.grid.base import _emit, _guard
from gridcore.errors import InputError

renewables_app = typer.Typer(
    help="Renewable forecasts (PV, wind): backtests on real data files.", no_args_is_help=True
)

GivenStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder: the backtest is written there when given [env GRIDFLOW_STORE].",
        callback=check_given_store,
    ),
]


@renewables_app.command("backtest")
def renewables_backtest(
    csv: Annotated[
        Path,
        typer.Option(
            "--csv",
            help="Solar (GEFCom2014) or wind (GEFCom2012) long-format file.",
            callback=check_input_file,
        ),
    ],
    kind: Annotated[
        str | None, typer.Option(help="solar or wind (default: detected from the columns).")
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(help="Hours ahead, 1-168 (default: 24 for solar, 48 for wind).", min=1, max=168),
    ] = None,
    test_days: Annotated[
        int, typer.Option(help="Daily 00:00 UTC origins scored (the last ones).", min=1)
    ] = 28,
    calibration_days: Annotated[int, typer.Option(help="Origins calibrating the intervals.", min=2)] = 21,
    refit_days: Annotated[int, typer.Option(help="Days between refits.", min=1)] = 7,
    train_days: Annotated[int, typer.Option(help="Days of history per fit.", min=7)] = 365,
    lat: Annotated[float | None, typer.Option(help="Solar: site latitude [deg] (default: inferred).")] = None,
    lon: Annotated[
        float | None, typer.Option(help="Solar: site longitude [deg] (default: inferred).")
    ] = None,
    store: GivenStoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rolling-origin backtest: nMAE, nRMSE, coverage and pinball beside persistence and climatology."""
    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        from gridcore.forecast.renewables import backtest_renewables, detect_kind, renewable_forecaster

        if not csv.exists():
            raise FileNotFoundError(f"--csv {csv}: no such file")
        if kind is not None and kind not in {"solar", "wind"}:
            raise InputError(f"--kind must be solar or wind, not {kind!r}", field="--kind")
        which = kind or detect_kind(csv)
        if (lat is None) != (lon is None):
            raise InputError("give both --lat and --lon, or neither", field="--lat")
        location = (lat, lon) if lat is not None and lon is not None else None
        forecaster = renewable_forecaster(csv, which, location, train_days=train_days)
        h = horizon or (24 if which == "solar" else 48)
        result = _with_progress(
            as_json,
            test_days + calibration_days,
            lambda progress: backtest_renewables(
                forecaster,
                horizon=h,
                test_days=test_days,
                calibration_days=calibration_days,
                refit_days=refit_days,
                progress=progress,
            ),
        )
        out: dict[str, object] = {"source": str(csv), **result.summary}
        if store is not None or _env_store():
            from gridcore.checks import store_path
            from gridcore.forecast.store import write_renewable_backtest

            name = csv.name.split(".")[0]
            out["written"] = write_renewable_backtest(
                store_path(str(store) if store else None), result.forecasts, result.summary, name
            )
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    figures = _guard(call)
    if as_json:
        _emit(figures, True, "")
        return
    _emit(
        {k: v for k, v in figures.items() if k not in {"per_lead", "model"}},
        False,
        f"gridflow renewables backtest {csv.name}",
    )


def forecast_renewables(
    at: Annotated[
        str | None,
        time_option("Issue time, ISO 8601 UTC (e.g. 2016-07-01T00:00Z); default: the next hour."),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 168,
    store: StoreOpt = None,
    grid: GridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast PV and wind (every generator, type and the system) of the grid, with quantiles."""
    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        import pandas as pd

        from gridcore.checks import store_path
        from gridcore.forecast.renewables import forecast_grid_renewables, forecast_summary
        from gridcore.forecast.store import write_renewable_forecast
        from gridcore.network.grid_spec import grid_model
        from gridcore.times import to_utc

        issue = to_utc(at, "--at", naive="error") if at else pd.Timestamp.now(tz="UTC").ceil("h")
        model = grid_model(grid)
        ds = forecast_grid_renewables(model, issue, horizon_h=horizon)
        ds.attrs["grid"] = model.code
        written = write_renewable_forecast(store_path(str(store) if store else None), ds)
        return {
            **forecast_summary(ds).to_dict(),
            "written": written,
            "command_seconds": round(time.perf_counter() - t0, 3),
        }

    _emit(_guard(call), as_json, "gridflow forecast renewables: results in the store")


def _env_store() -> bool:
    import os

    return bool(os.environ.get("GRIDFLOW_STORE"))


def _with_progress(quiet: bool, total: int, run):  # noqa: ANN001, ANN202
    """Run ``run(progress)`` with a rich progress bar on stderr unless ``quiet``."""
    if quiet:
        return run(None)
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("backtest", total=total)
    bar.start()
    try:
        return run(lambda label: bar.update(task, advance=1, description=label))
    finally:
        bar.stop()
