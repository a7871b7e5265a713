"""``gridflow ingest``: a utility's meter-data file through validation into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import common as cli_common
from cli.common import JsonOpt, MetersOpt, PipelineGridOpt, StoreOpt, check_input_file, time_option

ingest_app = typer.Typer(help="Import data files through validation into the store.", no_args_is_help=True)

_quiet_prefect = cli_common.start_prefect
_run = cli_common.run
_fail = cli_common.fail
_emit = cli_common.emit


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
    grid: PipelineGridOpt = None,
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
