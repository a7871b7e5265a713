"""``gridflow shed ...``: the load-shedding group's app (plan, scenarios, execute, restore)."""

from __future__ import annotations

import typer

shed_app = typer.Typer(
    help="Load shedding: plans, scenarios, sending commands to controllable loads, restoring.",
    no_args_is_help=True,
)

__all__ = ["shed_app"]
