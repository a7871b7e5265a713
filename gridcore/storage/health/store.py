"""The health in the store, and the stored schedules it reads.

:func:`read_history` gives the schedules in force from ``<store>/storage_schedule/`` and :func:`history_end`
the end of the last hour they cover; :func:`write_health` and :func:`read_health` keep one run's health in
``<store>/storage_health/<at>.zarr`` (the layout of :mod:`gridcore.storage.health`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from gridcore.storage.health.config import _utc_naive
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
