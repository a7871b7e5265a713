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
        Fleet CSV (see :func:`gridcore.storage.health.health_fleet`).
    fleet : pd.DataFrame, optional
        The fleet table itself (takes precedence over ``fleet_file``).
    write : bool
        Write the health to the store.

    Returns
    -------
    dict
        :meth:`gridcore.storage.health.HealthUpdate.to_dict` (the health's summary and ``written``) and
        ``seconds``.
    """
    import pandas as pd

    from gridcore.checks import parse_hour, store_path
    from gridcore.storage.health import HealthConfig, health_fleet, health_time, update_health

    t0 = time.perf_counter()
    root = store_path(store)
    config = HealthConfig(warn_soh=warn_soh, alarm_soh=alarm_soh)
    when = parse_hour(at) if at is not None else health_time(root, parse_hour(None) + pd.Timedelta(hours=1))
    table = fleet if fleet is not None else health_fleet(root, fleet_file)
    out = update_health(root, table, when, config, write).to_dict()
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
