"""``gridflow storage ...``: the command line of the battery fleet (flows in flows.storage_schedule)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonOpt, PipelineGridOpt, StoreOpt, check_input_file, time_option
from gridcore.storage.options import BATCH_SIZE, INPUTS, SOLVERS

storage_app = typer.Typer(help="Battery fleet: schedules, allocation study, health.", no_args_is_help=True)

__all__ = ["BATCH_SIZE", "JsonOpt", "StoreOpt", "storage_app"]


@storage_app.command("schedule")
def schedule_command(
    at: Annotated[str | None, time_option("First hour, ISO 8601 UTC (e.g. 2016-07-01T00:00Z).")] = None,
    horizon: Annotated[int, typer.Option(help="Hours scheduled (1-336).", min=1, max=336)] = 168,
    fleet: Annotated[
        Path | None,
        typer.Option(help="Fleet CSV (default: the embedded 1,200-unit fleet).", callback=check_input_file),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Batteries per Prefect task.", min=1)] = BATCH_SIZE,
    solver: Annotated[str, typer.Option(help="glop, highs or auto.")] = "auto",
    inputs: Annotated[
        str,
        typer.Option(
            help="profiles (perfect foresight) or forecast (the stored forecasts of that issue, settled on "
            "the profiles)."
        ),
    ] = "profiles",
    png: Annotated[
        Path | None, typer.Option(help="Also draw the schedule (fleet SoC, curtailment, one home).")
    ] = None,
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule every battery (one LP each, OR-Tools) against no-storage and rule baselines; store it."""
    from cli.common import fail, run, start_prefect

    if inputs not in INPUTS:
        fail(f"--inputs must be profiles or forecast, not {inputs!r}")
    if solver not in SOLVERS:
        fail(f"--solver must be glop, highs or auto, not {solver!r}")
    start_prefect(as_json)  # before Prefect is imported (flows.storage_schedule imports it)
    t0 = time.perf_counter()
    from flows.storage_schedule import storage_schedule

    def call() -> dict[str, object]:
        out = storage_schedule(
            at=at,
            horizon=horizon,
            store=str(store) if store else None,
            fleet_file=str(fleet) if fleet else None,
            batch_size=batch_size,
            solver=solver,
            inputs=inputs,
        )
        if png is not None:
            from gridcore.storage.plot import plot_schedule
            from gridcore.storage.store import read_schedule

            out["png"] = plot_schedule(read_schedule(Path(out["written"]).parents[1]), png)
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    run(call, as_json, "gridflow storage schedule: schedules in the store")
