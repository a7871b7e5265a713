"""``gridflow backfill``: the hourly flow over a past range, with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import common as cli_common
from cli.common import JsonOpt, MetersOpt, PipelineGridOpt, StoreOpt, time_option

backfill_app = typer.Typer(help="Rerun a flow over a past range.", no_args_is_help=True)

_quiet_prefect = cli_common.start_prefect
_run = cli_common.run
_fail = cli_common.fail
_emit = cli_common.emit


@backfill_app.command("hourly")
def backfill_hourly(
    start: Annotated[str, time_option("First hour, ISO 8601 UTC.")],
    end: Annotated[str, time_option("End (exclusive), ISO 8601 UTC.")],
    store: StoreOpt = None,
    meters: MetersOpt = 100_000,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rerun the hourly cycle for every hour in [start, end), with a progress bar."""
    from gridcore.checks import utc_time

    if utc_time(end) <= utc_time(start):
        _fail(f"--end {end} is not after --start {start}")
    _quiet_prefect(as_json)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.backfill import backfill_hourly as flow
    from gridcore.checks import parse_hour
    from tasks import progress

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


def _hour():  # noqa: ANN202
    import pandas as pd

    return pd.Timedelta(hours=1)


def _stderr_console():  # noqa: ANN202
    from rich.console import Console

    return Console(stderr=True)
