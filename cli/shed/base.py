"""The ``gridflow shed`` group and its shared options (wiring only: the planner is gridcore.shedding)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import check_input_file, check_read_store

shed_app = typer.Typer(
    help="Load shedding by priority: plans checked by power flow, scenarios, commands, restore.",
    no_args_is_help=True,
)

PrioritiesOpt = Annotated[
    Path | None,
    typer.Option(
        "--priorities",
        help="Priority file (TOML; default: gridcore/shedding/default_priorities.toml).",
        callback=check_input_file,
    ),
]
ReadStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder read for battery schedules and constraint periods [env GRIDFLOW_STORE; default "
        "./gridflow-store].",
        callback=check_read_store,
    ),
]
MetersOpt = Annotated[
    int | None,
    typer.Option(
        "--meters", help="Meter fleet size (default 100,000; one per connection on LV grids).", min=1
    ),
]
