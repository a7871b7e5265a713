"""The health in the store, and the stored schedules it reads.

:func:`update_health` is the one way a health run goes, from the command line and from the daily flow: the
schedules in force up to ``at`` read from the store, the fleet's health assessed on them
(:func:`gridcore.storage.health.assessment.fleet_health`) and written. :func:`read_history` gives the
schedules in force from ``<store>/storage_schedule/`` and :func:`history_end` the end of the last hour they
cover; :func:`health_fleet` the fleet a run assesses; :func:`write_health` and :func:`read_health` keep one
run's health in ``<store>/storage_health/<at>.zarr`` (the layout of :mod:`gridcore.storage.health`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from gridcore.storage.health.assessment import fleet_health
from gridcore.storage.health.config import FLEET_COLUMNS, HealthConfig, _utc_naive
from gridcore.storage.health.history import in_force
from gridcore.storage.health.result import FleetHealth
from gridcore.store import issue_path, open_issue, write_whole

#: Store product of the fleet health.
PRODUCT = "storage_health"


def read_history(
    root: str | Path, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> xr.Dataset | None:
    """The stored schedules in force over ``[start, end)`` (see :func:`in_force`).

    Parameters
    ----------
    root : str or Path
        Store folder (schedules under ``<root>/storage_schedule/``).
    start, end : pd.Timestamp, optional
        UTC bounds.

    Returns
    -------
    xr.Dataset or None
        None when the store holds no schedule hour in the range.
    """
    from gridcore.storage.store import list_schedules, schedule_path

    opened = [xr.open_zarr(schedule_path(root, issue)) for issue in list_schedules(root)]
    try:
        return in_force(opened, start, end)
    finally:
        for ds in opened:
            ds.close()


def history_end(root: str | Path) -> pd.Timestamp | None:
    """End of the last hour covered by the stored schedules (UTC), None without schedules."""
    from gridcore.storage.store import list_schedules, schedule_path

    issues = list_schedules(root)
    if not issues:
        return None
    with xr.open_zarr(schedule_path(root, issues[-1])) as ds:
        last = pd.Timestamp(ds["time"].values.max())
    return (last + pd.Timedelta(hours=1)).tz_localize("UTC")


def health_path(root: str | Path, at: pd.Timestamp) -> Path:
    """Folder of one run's health: ``<root>/storage_health/<at:%Y%m%dT%H%MZ>.zarr``."""
    return issue_path(root, PRODUCT, at)


def write_health(root: str | Path, health: FleetHealth) -> str:
    """Write a run's health (replacing a run of the same ``at``); returns the path written."""
    return write_whole(health.to_dataset(), health_path(root, health.at))


def read_health(root: str | Path, at: pd.Timestamp | str | None = None) -> xr.Dataset:
    """The stored health of one run (the latest when ``at`` is omitted).

    Raises
    ------
    FileNotFoundError
        No health in the store (for that ``at``).
    """
    when = None if at is None else _utc_naive(at, "at").tz_localize("UTC")
    return open_issue(root, PRODUCT, when, "battery health", load=True)


@dataclass(frozen=True)
class HealthUpdate:
    """One health run: the fleet's health and where it was written.

    Attributes
    ----------
    health : FleetHealth
    written : str or None
        The folder written (None when not written).
    """

    health: FleetHealth
    written: str | None

    def to_dict(self) -> dict[str, object]:
        """:meth:`FleetHealth.summary` and ``written``, JSON-ready."""
        return {**self.health.summary(), "written": self.written}


def health_time(root: str | Path, now: pd.Timestamp) -> pd.Timestamp:
    """The default time of a health run: the end of the stored schedules, or ``now`` if earlier or none."""
    end = history_end(root)
    return now if end is None else min(now, end)


def health_fleet(root: str | Path, fleet_file: str | Path | None = None) -> pd.DataFrame:
    """The fleet of a health run: a fleet file, else the latest schedule's, else the default fleet.

    A stored schedule carries the fleet columns per battery; when it has all of :data:`FLEET_COLUMNS` the
    grid need not be built (about 10 s).
    """
    from gridcore.network.grid import load_grid
    from gridcore.storage.fleet import default_fleet, read_fleet
    from gridcore.storage.store import fleet_from_schedule, list_schedules, read_schedule

    if fleet_file is None and list_schedules(root):
        table = fleet_from_schedule(read_schedule(root), FLEET_COLUMNS)
        if table is not None:
            return table
    grid = load_grid()
    return read_fleet(str(fleet_file), grid) if fleet_file else default_fleet(grid)


def update_health(
    root: str | Path,
    fleet: pd.DataFrame,
    at: pd.Timestamp,
    config: HealthConfig | None = None,
    write: bool = True,
) -> HealthUpdate:
    """The fleet's health at ``at`` from the schedules stored before it, written to the store.

    Parameters
    ----------
    root : str or Path
        Store folder.
    fleet : pd.DataFrame
        The fleet (:func:`health_fleet`).
    at : pd.Timestamp
        Time of the health (tz-aware UTC); schedule hours at or after it are ignored.
    config : HealthConfig, optional
        Thresholds and assumed use (the defaults when omitted).
    write : bool
        Write the health to ``<root>/storage_health/<at>.zarr``.

    Returns
    -------
    HealthUpdate
    """
    health = fleet_health(fleet, read_history(root, end=at), at, config or HealthConfig())
    return HealthUpdate(health, write_health(root, health) if write else None)
