"""``gridflow storage ...``: the command line of the battery fleet (flows in flows.storage_flows)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

storage_app = typer.Typer(help="Battery fleet: schedules, allocation study, health.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
StoreOpt = Annotated[Path | None, typer.Option(help="Results store [env GRIDFLOW_STORE].")]
#: Batteries per Prefect task: enough work per task that the orchestration overhead stays small.
BATCH_SIZE = 150


@storage_app.command("schedule")
def schedule_command(
    at: Annotated[str | None, typer.Option(help="First hour, ISO 8601 UTC (e.g. 2016-07-01T00:00Z).")] = None,
    horizon: Annotated[int, typer.Option(help="Hours scheduled (1-336).", min=1, max=336)] = 168,
    fleet: Annotated[
        Path | None, typer.Option(help="Fleet CSV (default: the embedded 1,200-unit fleet).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Batteries per Prefect task.", min=1)] = BATCH_SIZE,
    solver: Annotated[str, typer.Option(help="glop, highs or auto.")] = "auto",
    inputs: Annotated[
        str,
        typer.Option(
            help="profiles (perfect foresight) or forecast (the stored forecasts of that issue, settled on the "
            "profiles)."
        ),
    ] = "profiles",
    png: Annotated[
        Path | None, typer.Option(help="Also draw the schedule (fleet SoC, curtailment, one home).")
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule every battery (one LP each, OR-Tools), against no-storage and rule baselines; store the result."""
    from flows.cli import _quiet_prefect, _run
    from flows.storage_flows import storage_schedule

    _quiet_prefect(as_json)
    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        from flows.common import parse_hour

        parse_hour(at)  # a bad time is refused here, before a flow run is created
        if fleet is not None and not fleet.is_file():
            raise ValueError(f"{fleet}: fleet file not found")
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

    _run(call, as_json, "gridflow storage schedule: schedules in the store")


import flows.storage_study  # noqa: E402, F401 (registers `storage study` on storage_app)
