"""The ``gridflow`` command line: run, backfill, ingest and serve the flows.

Every command takes ``--store`` (or GRIDFLOW_STORE; ./gridflow-store by default); commands that report
figures take ``--json`` and then print one JSON object on stdout. Bad input exits 1 with one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="gridflow: operations pipeline for distribution grids.", no_args_is_help=True, add_completion=False
)
run_app = typer.Typer(help="Run a flow once.", no_args_is_help=True)
backfill_app = typer.Typer(help="Rerun a flow over a past range.", no_args_is_help=True)
ingest_app = typer.Typer(help="Import data files through validation into the store.", no_args_is_help=True)
app.add_typer(run_app, name="run")
app.add_typer(backfill_app, name="backfill")
app.add_typer(ingest_app, name="ingest")
forecast_app = typer.Typer(help="Demand forecasts: backtests on real load data.", no_args_is_help=True)
app.add_typer(forecast_app, name="forecast")

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="Store folder [env GRIDFLOW_STORE; default ./gridflow-store].")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
MetersOpt = Annotated[int, typer.Option("--meters", help="Size of the meter fleet.", min=1)]


def _quiet_prefect(as_json: bool) -> None:
    """Start the temporary API early; keep Prefect's and Dask's logs short (warnings only under --json)."""
    from flows.server import start_temporary_api

    start_temporary_api()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if as_json else "INFO")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    os.environ.setdefault("DASK_DISTRIBUTED__LOGGING__DISTRIBUTED", "warning")


def _api_ready() -> None:
    from flows.server import wait_for_api

    wait_for_api()


def _fail(message: str) -> None:
    typer.echo(f"gridflow: {message}", err=True)
    raise typer.Exit(1)


def _emit(figures: dict[str, object], as_json: bool, headline: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(figures, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=headline, show_header=False)
    for key, value in figures.items():
        table.add_row(key, json.dumps(value, default=str) if isinstance(value, dict | list) else str(value))
    Console().print(table)


def _run(call, as_json: bool, headline: str) -> None:  # noqa: ANN001
    from gridcore.data.validation import ContractError
    from gridcore.store import StoreError

    try:
        _api_ready()
        figures = call()
    except (ContractError, StoreError, ValueError, FileNotFoundError) as err:
        _fail(str(err))
    _emit(figures, as_json, headline)


@run_app.command("hourly")
def run_hourly(
    at: Annotated[
        str | None,
        typer.Option(
            help="Hour to run, ISO 8601 UTC (e.g. 2016-07-01T14:00Z); default: the last complete hour."
        ),
    ] = None,
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """One hourly operations cycle: AMI feed -> validation -> feeder loads -> store."""
    _quiet_prefect(as_json)
    t0 = time.perf_counter()
    from flows.hourly import hourly

    def call() -> dict[str, object]:
        out = hourly(at=at, store=str(store) if store else None, meters=meters)
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    _run(call, as_json, "gridflow run hourly: results in the store")


@run_app.command("daily")
def run_daily(
    at: Annotated[
        str | None, typer.Option(help="A time within the UTC day to run (default: yesterday).")
    ] = None,
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """The daily flow: catch up missing hours of the day, report energy, peak and coverage per feeder."""
    _quiet_prefect(as_json)
    from flows.daily import daily

    _run(
        lambda: daily(at=at, store=str(store) if store else None, meters=meters),
        as_json,
        "gridflow run daily",
    )


@backfill_app.command("hourly")
def backfill_hourly(
    start: Annotated[str, typer.Option(help="First hour, ISO 8601 UTC.")],
    end: Annotated[str, typer.Option(help="End (exclusive), ISO 8601 UTC.")],
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """Rerun the hourly cycle for every hour in [start, end), with a progress bar."""
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
        Path, typer.Argument(help="CSV or Parquet file: meter_id, timestamp (interval end, UTC), kwh.")
    ],
    store: StoreOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Reference time for the stale check (default: newest reading in the file)."),
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
    model: Annotated[str, typer.Option(help="lightgbm (default) or seasonal_naive.")] = "lightgbm",
    weather: Annotated[
        str, typer.Option(help="observed (ex-post) or forecast (observed + error growing with lead).")
    ] = "forecast",
    weather_forecasts: Annotated[
        Path | None, typer.Option(help="CSV archive of real weather forecasts (timestamp = target hour).")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(help="Local time zone of the load (default: inferred from the daily profile)."),
    ] = None,
    train_days: Annotated[int, typer.Option(help="Days of history per fit.")] = 6 * 365,
    refit_days: Annotated[int, typer.Option(help="Days between refits.")] = 7,
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
        )

    _run(call, as_json, f"gridflow forecast backtest {csv.name}")


@forecast_app.command("plot")
def forecast_plot(
    csv: Annotated[Path, typer.Option("--csv", help="Hourly load file (the backtest format).")],
    at: Annotated[str, typer.Option(help="Forecast origin, ISO 8601 UTC (its day's 00:00 is used).")],
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("forecast.png"),
    horizon: Annotated[int, typer.Option(help="Hours ahead (1-168).", min=1, max=168)] = 168,
    model: Annotated[str, typer.Option(help="lightgbm or seasonal_naive.")] = "lightgbm",
    weather: Annotated[str, typer.Option(help="observed or forecast.")] = "forecast",
    tz: Annotated[str | None, typer.Option(help="Local time zone of the load (default: inferred).")] = None,
    train_days: Annotated[int, typer.Option(help="Days of history for the fit.")] = 6 * 365,
    as_json: JsonOpt = False,
) -> None:
    """Draw a forecast: the week before the origin, the forecast with 80/90 % bands, actuals if known."""
    from flows.forecast import run_plot

    _run(
        lambda: run_plot(csv, at, horizon, model, weather, tz, train_days, out),
        as_json,
        "gridflow forecast plot",
    )


@app.command("serve")
def serve(
    api: Annotated[
        str | None,
        typer.Option(help="Prefect API URL [env PREFECT_API_URL; default http://127.0.0.1:4200/api]."),
    ] = None,
) -> None:
    """Serve the hourly, daily and backfill deployments to a Prefect server (`prefect server start`)."""
    url = api or os.environ.get("PREFECT_API_URL") or "http://127.0.0.1:4200/api"
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5):
            pass
    except OSError:
        _fail(f"no Prefect server answers at {url}; start one with `uv run prefect server start` and retry")
    os.environ["PREFECT_API_URL"] = url
    from deployments.serve import serve_all

    typer.echo(f"serving hourly, daily and backfill deployments to {url} (Ctrl-C to stop)", err=True)
    serve_all()


def _hour():  # noqa: ANN202
    import pandas as pd

    return pd.Timedelta(hours=1)


def _stderr_console():  # noqa: ANN202
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    """Entry point of the ``gridflow`` console script."""
    app()
