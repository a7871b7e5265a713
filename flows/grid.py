"""The ``gridflow grid`` commands: power flow, contingency, time series, topology changes and maps."""

from __future__ import annotations

import typer

grid_app = typer.Typer(
    help="The network: power flow, N-1, time series, switching, maps.", no_args_is_help=True
)
