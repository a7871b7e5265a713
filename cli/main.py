"""The ``gridflow`` command line: the root command and its groups (each in its own module of cli/).

Every command takes ``--store`` (or GRIDFLOW_STORE; ./gridflow-store by default); commands that report
figures take ``--json`` and then print one JSON object on stdout. Arguments and input files are checked
before Prefect starts; any error exits 1 with one line on stderr (``gridflow --debug`` shows the
traceback). The shared machinery (errors, checks, starting Prefect) is :mod:`cli.common`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import common as cli_common
from cli.backfill import backfill_app
from cli.common import GridflowGroup
from cli.forecast import forecast_app
from cli.grid import grid_app
from cli.ingest import ingest_app
from cli.market import market_app
from cli.monitor import monitor
from cli.renewables import renewables_app
from cli.run import run_app
from cli.scenario import scenario_app
from cli.serve import serve
from cli.shed import shed_app
from cli.storage import storage_app

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


app.add_typer(run_app, name="run")
app.add_typer(backfill_app, name="backfill")
app.add_typer(ingest_app, name="ingest")
app.add_typer(forecast_app, name="forecast")
app.add_typer(grid_app, name="grid")
app.add_typer(renewables_app, name="renewables")
app.add_typer(storage_app, name="storage")
app.add_typer(shed_app, name="shed")
app.add_typer(market_app, name="market")
app.add_typer(scenario_app, name="scenario")
app.command("serve")(serve)
app.command("monitor")(monitor)


def main() -> None:
    """Entry point of the ``gridflow`` console script."""
    app()
