"""``gridflow run``: one run of the hourly or the daily flow."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cli import common as cli_common
from cli.common import JsonOpt, MetersOpt, PipelineGridOpt, StoreOpt, time_option

run_app = typer.Typer(help="Run a flow once.", no_args_is_help=True)

_quiet_prefect = cli_common.start_prefect
_run = cli_common.run
_fail = cli_common.fail
_emit = cli_common.emit


#: Thermal limit of lines and transformers the chain's constraints and shedding use [% of rating].
LoadingLimitOpt = Annotated[
    float,
    typer.Option(
        "--loading-limit",
        help="Thermal limit of lines and transformers for constraints and shedding [% of rating].",
        min=1.0,
    ),
]


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
    loading_limit: LoadingLimitOpt = 100.0,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The hourly chain: meters, validation, feeder loads, forecasts, constraints, batteries, shedding."""
    _quiet_prefect(as_json)
    t0 = time.perf_counter()
    from flows.hourly import hourly

    def call() -> dict[str, object]:
        out = hourly(
            at=at,
            store=str(store) if store else None,
            meters=meters,
            forecast=forecast,
            loading_limit_pct=loading_limit,
        )
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
    loading_limit: LoadingLimitOpt = 100.0,
    grid: PipelineGridOpt = None,
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
            at=at,
            store=str(store) if store else None,
            meters=meters,
            forecast=forecast,
            storage=storage,
            loading_limit_pct=loading_limit,
        ),
        as_json,
        "gridflow run daily",
    )
