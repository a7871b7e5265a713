"""``gridflow storage health``: state of health of the battery fleet (algorithms in gridcore.storage)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import PipelineGridOpt, check_input_file, time_option
from cli.storage.base import JsonOpt, StoreOpt, storage_app

if TYPE_CHECKING:
    import pandas as pd


def load_fleet(root: str, fleet_file: str | None = None) -> pd.DataFrame:
    """The fleet of the health run: a fleet file, else the latest schedule's, else the default fleet.

    A stored schedule carries the fleet columns per battery; when it has all of
    :data:`gridcore.storage.health.FLEET_COLUMNS` the grid need not be built (about 10 s).
    """
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet, read_fleet
    from gridcore.storage.health import FLEET_COLUMNS
    from gridcore.storage.store import fleet_from_schedule, list_schedules, read_schedule

    if fleet_file is None and list_schedules(root):
        table = fleet_from_schedule(read_schedule(root), FLEET_COLUMNS)
        if table is not None:
            return table
    grid = load_grid()
    return read_fleet(fleet_file, grid) if fleet_file else default_fleet(grid)


def storage_health(
    store: str | None = None,
    at: str | None = None,
    warn_soh: float = 0.85,
    alarm_soh: float = 0.80,
    fleet_file: str | None = None,
    fleet: pd.DataFrame | None = None,
    write: bool = True,
) -> dict[str, object]:
    """Fleet health at ``at`` from the stored schedules; written to ``<store>/storage_health/``.

    Parameters
    ----------
    store : str, optional
        Store folder (GRIDFLOW_STORE, else ./gridflow-store).
    at : str, optional
        ISO 8601 UTC; default: the end of the stored schedules, or the current hour if earlier (or if there
        are none).
    warn_soh, alarm_soh : float
        Thresholds [fraction of nominal capacity].
    fleet_file : str, optional
        Fleet CSV (see :func:`load_fleet`).
    fleet : pd.DataFrame, optional
        The fleet table itself (takes precedence over ``fleet_file``).
    write : bool
        Write the health to the store.

    Returns
    -------
    dict
        :meth:`gridcore.storage.health.FleetHealth.summary` plus ``written`` and ``seconds``.
    """
    import pandas as pd

    from gridcore.checks import parse_hour, store_path
    from gridcore.storage.health import (
        HealthConfig,
        fleet_health,
        history_end,
        read_history,
        write_health,
    )

    t0 = time.perf_counter()
    root = store_path(store)
    config = HealthConfig(warn_soh=warn_soh, alarm_soh=alarm_soh)
    if at is not None:
        when = parse_hour(at)
    else:
        now = parse_hour(None) + pd.Timedelta(hours=1)
        end = history_end(root)
        when = now if end is None else min(now, end)
    table = fleet if fleet is not None else load_fleet(root, fleet_file)
    health = fleet_health(table, read_history(root, end=when), when, config)
    out = health.summary()
    out["written"] = write_health(root, health) if write else None
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


@storage_app.command("health")
def health_command(
    at: Annotated[
        str | None,
        time_option("Time of the health, ISO 8601 UTC (default: end of the stored schedules)."),
    ] = None,
    warn: Annotated[
        float, typer.Option(help="SoH below which a unit is near end of life [%].", min=0, max=100)
    ] = 85.0,
    alarm: Annotated[
        float, typer.Option(help="SoH below which a unit raises an alarm [%].", min=0, max=100)
    ] = 80.0,
    fleet: Annotated[
        Path | None,
        typer.Option(
            help="Fleet CSV (default: the fleet of the stored schedules, or the default).",
            callback=check_input_file,
        ),
    ] = None,
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """State of health per battery: SoH, equivalent full cycles, calendar and cycle fade, years to EoL."""
    from cli.common import emit

    figures = storage_health(
        store=str(store) if store else None,
        at=at,
        warn_soh=warn / 100,
        alarm_soh=alarm / 100,
        fleet_file=str(fleet) if fleet else None,
    )
    emit(figures, as_json, "gridflow storage health")
