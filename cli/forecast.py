"""``gridflow forecast``: backtests on load files, the grid's demand forecast, plots, the model registry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli import common as cli_common
from cli.common import JsonOpt, PipelineGridOpt, StoreOpt, time_option
from cli.renewables import forecast_renewables
from gridcore.errors import InputError

forecast_app = typer.Typer(help="Demand forecasts: backtests, grid forecasts, models.", no_args_is_help=True)

_quiet_prefect = cli_common.start_prefect
_run = cli_common.run
_fail = cli_common.fail
_emit = cli_common.emit


@forecast_app.command("backtest")
def forecast_backtest(
    csv: Annotated[
        Path,
        typer.Option("--csv", help="Hourly load file: timestamp (UTC), load_mw, temperature_c[_<station>]."),
    ],
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 24,
    test_days: Annotated[int, typer.Option(help="Daily 00:00 UTC origins on the last N days.", min=1)] = 56,
    model: Annotated[str, typer.Option(help="lightgbm (default), mstl or seasonal_naive.")] = "lightgbm",
    weather: Annotated[
        str,
        typer.Option(
            help="observed (ex-post), forecast (observed + error growing with lead) or none (load and "
            "calendar only; also what a file without temperature gets)."
        ),
    ] = "forecast",
    weather_forecasts: Annotated[
        Path | None, typer.Option(help="CSV archive of real weather forecasts (timestamp = target hour).")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(help="Local time zone of the load (default: inferred from the daily profile)."),
    ] = None,
    train_days: Annotated[int, typer.Option(help="Days of history per fit (at most).")] = 6 * 365,
    refit_days: Annotated[int, typer.Option(help="Days between refits.")] = 7,
    load_column: Annotated[
        str | None, typer.Option(help="Load column when not load_mw (e.g. zone_1_mw of a wide file).")
    ] = None,
    weather_csv: Annotated[
        Path | None, typer.Option(help="Separate observed weather table (timestamp + columns in °C).")
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rolling-origin backtest on any hourly load file, beside the seasonal naive."""
    from cli.forecast_wiring import run_backtest

    def call() -> dict[str, object]:
        return run_backtest(
            csv,
            horizon,
            test_days,
            model,
            weather,
            weather_forecasts,
            tz,
            train_days,
            refit_days,
            str(store) if store else None,
            progress=not as_json,
            load_column=load_column,
            weather_csv=weather_csv,
        )

    _run(call, as_json, f"gridflow forecast backtest {csv.name}")


@forecast_app.command("plot")
def forecast_plot(
    at: Annotated[str, time_option("Forecast origin / issue time, ISO 8601 UTC.")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Hourly load file (the backtest format): fit and draw.")
    ] = None,
    series: Annotated[
        str | None,
        typer.Option(
            help="Without --csv: a series of the stored grid forecast (system, feeder:<id>, load:<name>)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("forecast.png"),
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 168,
    model: Annotated[str, typer.Option(help="lightgbm, mstl or seasonal_naive.")] = "lightgbm",
    weather: Annotated[
        str, typer.Option(help="observed, forecast or none (load and calendar only).")
    ] = "forecast",
    tz: Annotated[str | None, typer.Option(help="Local time zone of the load (default: inferred).")] = None,
    train_days: Annotated[int, typer.Option(help="Days of history for the fit (at most).")] = 6 * 365,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a forecast: the week before the origin, the forecast with 80/90 % bands, actuals if known.

    With --csv the file is forecast from the origin (its day's 00:00); otherwise --series names a series
    of the grid forecast issued at --at in the store (see `forecast demand`).
    """
    from cli.forecast_wiring import run_grid_plot, run_plot

    def call() -> dict[str, object]:
        if csv is not None:
            return run_plot(csv, at, horizon, model, weather, tz, train_days, out)
        if series is None:
            raise InputError(
                "give --csv FILE, or --series SERIES for a stored grid forecast", field="--series"
            )
        from gridcore.checks import store_path

        return run_grid_plot(series, at, store_path(str(store) if store else None), out)

    _run(call, as_json, "gridflow forecast plot")


@forecast_app.command("demand")
def forecast_demand(
    at: Annotated[
        str | None,
        time_option("Issue time, ISO 8601 UTC (e.g. 2016-07-01T00:00Z); default: next hour."),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 168,
    weather: Annotated[
        str, typer.Option(help="forecast (temperature forecast after the issue) or none (load and calendar).")
    ] = "forecast",
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast the system, every feeder and every load point of the default grid, with quantiles."""
    _quiet_prefect(as_json)
    t0 = time.perf_counter()
    from flows.demand import demand_forecast

    def call() -> dict[str, object]:
        out = demand_forecast(at=at, horizon=horizon, store=str(store) if store else None, weather=weather)
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    _run(call, as_json, "gridflow forecast demand: results in the store")


@forecast_app.command("models")
def forecast_models(
    group: Annotated[str | None, typer.Option(help="Only this group (feeder id or system).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the registered demand models: group, version, training window, metrics, status."""
    from gridcore.checks import store_path
    from gridcore.forecast.registry import ModelRegistry

    versions = ModelRegistry(store_path(str(store) if store else None)).versions(group)
    figures = {
        "models": versions,
        "champions": sum(v["status"] == "champion" for v in versions),
        "challengers": sum(v["status"] == "challenger" for v in versions),
        "retired": sum(v["status"] == "retired" for v in versions),
    }
    if as_json:
        _emit(figures, True, "")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="gridflow forecast models")
    for col in ("group", "version", "status", "train window", "day-ahead MAPE %", "naive %", "created"):
        table.add_column(col)
    for v in versions:
        m = v.get("metrics", {})
        table.add_row(
            str(v["group"]),
            str(v["version"]),
            str(v["status"]),
            f"{v['train_start']} - {v['train_end']}",
            str(m.get("mape_pct")),
            str(m.get("naive_mape_pct")),
            str(v["created"]),
        )
    Console().print(table)


forecast_app.command("renewables")(forecast_renewables)
