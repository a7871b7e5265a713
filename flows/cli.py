"""The ``gridflow`` command line: run, backfill, ingest and serve the flows.

Every command takes ``--store`` (or GRIDFLOW_STORE; ./gridflow-store by default); commands that report
figures take ``--json`` and then print one JSON object on stdout. Arguments and input files are checked
before Prefect starts; any error exits 1 with one line on stderr (``gridflow --debug`` shows the
traceback). The shared machinery (errors, checks, starting Prefect) is :mod:`flows.cli_common`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from flows import cli_common
from flows.cli_common import GridflowGroup, check_input_file, time_option

app = typer.Typer(
    help="gridflow: operations pipeline for distribution grids.",
    no_args_is_help=True,
    add_completion=False,
    cls=GridflowGroup,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="On error, print the traceback and Prefect's full logs.")
    ] = False,
) -> None:
    """gridflow: operations pipeline for distribution grids."""
    cli_common.set_debug(debug)


run_app = typer.Typer(help="Run a flow once.", no_args_is_help=True)
backfill_app = typer.Typer(help="Rerun a flow over a past range.", no_args_is_help=True)
ingest_app = typer.Typer(help="Import data files through validation into the store.", no_args_is_help=True)
app.add_typer(run_app, name="run")
app.add_typer(backfill_app, name="backfill")
app.add_typer(ingest_app, name="ingest")
forecast_app = typer.Typer(help="Demand forecasts: backtests, grid forecasts, models.", no_args_is_help=True)
app.add_typer(forecast_app, name="forecast")
import flows.grid_contingency  # noqa: E402, F401 (registers grid contingency on grid_app)
import flows.grid_timeseries  # noqa: E402, F401 (registers grid timeseries on grid_app)
import flows.topology_cli  # noqa: E402, F401 (registers grid switch/outage/topology on grid_app)
from flows.grid import grid_app  # noqa: E402 (sub-app defined in its own module)

app.add_typer(grid_app, name="grid")
from flows.renewables import forecast_renewables, renewables_app  # noqa: E402 (renewable forecasts)

app.add_typer(renewables_app, name="renewables")
forecast_app.command("renewables")(forecast_renewables)
import flows.storage_health  # noqa: E402, F401 (registers storage health on storage_app)
import flows.storage_study  # noqa: E402, F401 (registers storage study on storage_app)
from flows.storage import storage_app  # noqa: E402 (sub-app defined in its own module)

app.add_typer(storage_app, name="storage")

StoreOpt = cli_common.StoreOpt
JsonOpt = cli_common.JsonOpt
MetersOpt = Annotated[int, typer.Option("--meters", help="Size of the meter fleet.", min=1)]

#: The shared machinery under the names the command modules import (see flows.cli_common).
_quiet_prefect = cli_common.start_prefect
_api_ready = cli_common.api_ready
_fail = cli_common.fail
_emit = cli_common.emit
_run = cli_common.run


@run_app.command("hourly")
def run_hourly(
    at: Annotated[
        str | None,
        time_option("Hour to run, ISO 8601 UTC (e.g. 2016-07-01T14:00Z); default: the last complete hour."),
    ] = None,
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    forecast: Annotated[
        bool, typer.Option(help="Update the 168 h demand forecast with the registry's champion models.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """One hourly operations cycle: AMI feed -> validation -> feeder loads -> store -> forecast update."""
    _quiet_prefect(as_json)
    t0 = time.perf_counter()
    from flows.hourly import hourly

    def call() -> dict[str, object]:
        out = hourly(at=at, store=str(store) if store else None, meters=meters, forecast=forecast)
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    _run(call, as_json, "gridflow run hourly: results in the store")


@run_app.command("daily")
def run_daily(
    at: Annotated[
        str | None, time_option("A time within the UTC day to run, ISO 8601 UTC (default: yesterday).")
    ] = None,
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    forecast: Annotated[
        bool, typer.Option(help="Retrain/promote the demand models and forecast the next 168 h.")
    ] = True,
    storage: Annotated[
        bool, typer.Option(help="Schedule the battery fleet for the next 168 h and update its health.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """The daily flow: catch up hours, report, retrain, forecast 7 days, schedule the batteries.

    Catches up the hours missing in the store, reports per feeder, retrains the demand models, forecasts
    7 days, schedules the batteries and updates their health.
    """
    _quiet_prefect(as_json)
    from flows.daily import daily

    _run(
        lambda: daily(
            at=at, store=str(store) if store else None, meters=meters, forecast=forecast, storage=storage
        ),
        as_json,
        "gridflow run daily",
    )


@backfill_app.command("hourly")
def backfill_hourly(
    start: Annotated[str, time_option("First hour, ISO 8601 UTC.")],
    end: Annotated[str, time_option("End (exclusive), ISO 8601 UTC.")],
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """Rerun the hourly cycle for every hour in [start, end), with a progress bar."""
    from flows.checks import utc_time

    if utc_time(end) <= utc_time(start):
        _fail(f"--end {end} is not after --start {start}")
    _quiet_prefect(as_json)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows import progress
    from flows.backfill import backfill_hourly as flow
    from flows.common import parse_hour

    def call() -> dict[str, object]:
        n = max(int((parse_hour(end) - parse_hour(start)) / _hour()), 0)
        with Progress(
            TextColumn("backfill"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=as_json,
            console=_stderr_console(),
        ) as bar:
            task = bar.add_task("", total=n)
            progress.listen(lambda label: bar.update(task, advance=1, description=label))
            return flow(start=start, end=end, store=str(store) if store else None, meters=meters)

    _run(call, as_json, "gridflow backfill hourly")


@ingest_app.command("meters")
def ingest_meters(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV or Parquet file: meter_id, timestamp (interval end, UTC), kwh.",
            callback=check_input_file,
        ),
    ],
    store: StoreOpt = None,
    as_of: Annotated[
        str | None,
        time_option("Reference time of the stale check, ISO 8601 UTC (default: newest reading in the file)."),
    ] = None,
    meters: MetersOpt = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """Import a utility's meter-data file through the meter_readings suite into the store."""
    _quiet_prefect(as_json)
    from flows.ingest import ingest_meters as flow

    _run(
        lambda: flow(path=str(path), store=str(store) if store else None, as_of=as_of, meters=meters),
        as_json,
        f"gridflow ingest meters {path.name}",
    )


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
    from flows.forecast import run_backtest

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
    at: Annotated[str, typer.Option(help="Forecast origin / issue time, ISO 8601 UTC.")],
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
    from flows.forecast import run_grid_plot, run_plot

    def call() -> dict[str, object]:
        if csv is not None:
            return run_plot(csv, at, horizon, model, weather, tz, train_days, out)
        if series is None:
            raise ValueError("give --csv FILE, or --series SERIES for a stored grid forecast")
        from flows.common import store_path

        return run_grid_plot(series, at, store_path(str(store) if store else None), out)

    _run(call, as_json, "gridflow forecast plot")


@forecast_app.command("demand")
def forecast_demand(
    at: Annotated[
        str | None,
        typer.Option(help="Issue time, ISO 8601 UTC (e.g. 2016-07-01T00:00Z); default: next hour."),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 168,
    weather: Annotated[
        str, typer.Option(help="forecast (temperature forecast after the issue) or none (load and calendar).")
    ] = "forecast",
    store: StoreOpt = None,
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
    from flows.common import store_path
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


@app.command("serve")
def serve(
    api: Annotated[
        str | None,
        typer.Option(help="Prefect API URL [env PREFECT_API_URL; default http://127.0.0.1:4200/api]."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(help="Flow runs served at once by this process [env GRIDFLOW_SERVE_LIMIT].", min=1),
    ] = int(os.environ.get("GRIDFLOW_SERVE_LIMIT", "4")),
    notify: Annotated[
        str | None,
        typer.Option(
            help="Notification block (type/name, e.g. slack-webhook/grid-ops) told of a failed scheduled "
            "run [env GRIDFLOW_NOTIFY]."
        ),
    ] = None,
) -> None:
    """Serve the hourly, daily and backfill deployments to a Prefect server (`prefect server start`).

    Registers the deployments (tagged, versioned, with concurrency limits) and the automation for a
    failed scheduled run, then runs what the server schedules until stopped.
    """
    url = api or os.environ.get("PREFECT_API_URL") or "http://127.0.0.1:4200/api"
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5):  # noqa: S310
            pass
    except OSError:
        _fail(f"no Prefect server answers at {url}; start one with `uv run prefect server start` and retry")
    os.environ["PREFECT_API_URL"] = url
    from flows.server import refresh_prefect_settings

    refresh_prefect_settings()
    from deployments.serve import serve_all

    typer.echo(f"serving hourly, daily and backfill deployments to {url} (Ctrl-C to stop)", err=True)
    serve_all(limit=limit, notify=notify)


def _hour():  # noqa: ANN202
    import pandas as pd

    return pd.Timedelta(hours=1)


def _stderr_console():  # noqa: ANN202
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    """Entry point of the ``gridflow`` console script."""
    app()
