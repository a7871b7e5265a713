"""Battery schedules in the store: ``<store>/storage_schedule/<issue>.zarr``, one folder per issue time.

A schedule dataset has dimensions ``battery`` x ``time`` (UTC hour starts, naive in the file, attribute
``timezone = UTC``) and the variables ``charge_mw``, ``discharge_mw``, ``soc_mwh`` (state of charge at the
*end* of the hour), ``import_mw``, ``export_mw``, ``curtail_mw`` [MW, MWh], plus the site inputs ``pv_mw``
and ``load_mw``; per battery the fleet columns ``kind``, ``bus``, ``feeder``, ``power_mw``, ``energy_mwh``,
``chemistry``, ``method`` (``optimized`` or ``rule`` for a unit whose LP failed) and ``status``. Attribute
``issue_time`` (ISO 8601 UTC) and the run's figures (``summary``, JSON). A rerun of the same issue replaces
its folder whole (:func:`gridcore.store.write_whole`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import InputError
from gridcore.storage.fleet_plan import PlanForecasts
from gridcore.storage.options import INPUTS
from gridcore.storage.schedule import BLOCKS, SiteInputs
from gridcore.store import issue_path, issue_times, open_issue, write_whole

PRODUCT = "storage_schedule"
_FLEET_COLUMNS = (
    "kind",
    "bus",
    "feeder",
    "power_mw",
    "energy_mwh",
    "chemistry",
    "soc_min_frac",
    "soc_max_frac",
    "eta_charge",
    "eta_discharge",
    "commissioned",
    "export_limit_mw",
    "import_limit_mw",
)


def schedule_path(root: str | Path, issue_time: pd.Timestamp) -> Path:
    """Folder of one issue's schedule."""
    return issue_path(root, PRODUCT, issue_time)


def write_schedule(
    root: str | Path,
    site: SiteInputs,
    blocks: np.ndarray,
    method: np.ndarray,
    status: list[str],
    summary: dict[str, object] | None = None,
) -> str:
    """Write one issue's fleet schedule.

    Parameters
    ----------
    root : str or Path
        Store folder.
    site : SiteInputs
        The batteries and their hourly site inputs (``site.time[0]`` is the issue time).
    blocks : np.ndarray
        Shape (units, 6, hours), as :data:`gridcore.storage.schedule.BLOCKS`.
    method : np.ndarray of str
        ``optimized`` or ``rule`` per unit.
    status : list of str
        Solver status per unit.
    summary : dict, optional
        Run figures, stored as JSON in the attributes.

    Returns
    -------
    str
        Path written.
    """
    fleet = site.units
    dims = ("battery", "time")
    data = {
        name: (dims, blocks[:, k].astype("float64"), {"units": name.rsplit("_", 1)[1]})
        for k, name in enumerate(BLOCKS)
    }
    data["pv_mw"] = (dims, site.pv_mw, {"units": "MW"})
    data["load_mw"] = (dims, site.load_mw, {"units": "MW"})
    coords: dict[str, object] = {
        "battery": np.asarray(fleet.index, dtype=str),
        "time": site.time.tz_convert("UTC").tz_localize(None).as_unit("ns"),
        "method": ("battery", np.asarray(method, dtype=str)),
        "status": ("battery", np.asarray(status, dtype=str)),
    }
    for col in _FLEET_COLUMNS:
        if col in fleet.columns:
            values = fleet[col]
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            values = values.to_numpy()
            coords[col] = ("battery", values.astype(str) if values.dtype == object else values)
    issue = site.time[0]
    ds = xr.Dataset(
        data,
        coords=coords,
        attrs={
            "issue_time": issue.isoformat(),
            "timezone": "UTC",
            "soc_label": "end of hour",
            "summary": json.dumps(summary or {}, default=str),
        },
    )
    return write_whole(ds, schedule_path(root, issue))


def list_schedules(root: str | Path) -> list[pd.Timestamp]:
    """Issue times of the stored schedules, oldest first."""
    return issue_times(root, PRODUCT)


def read_schedule(root: str | Path, issue_time: pd.Timestamp | None = None) -> xr.Dataset:
    """One issue's schedule (the latest when ``issue_time`` is omitted), loaded.

    Raises
    ------
    FileNotFoundError
        No schedule for that issue (or none at all).
    """
    if not list_schedules(root):
        raise FileNotFoundError(
            f"no battery schedules in {Path(root) / PRODUCT}; run `gridflow storage schedule`"
        )
    return open_issue(root, PRODUCT, issue_time, "battery schedule", load=True)


def fleet_from_schedule(ds: xr.Dataset, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """The fleet table a stored schedule carries (index ``battery``), or None if it lacks one of ``columns``.

    ``commissioned`` comes back tz-aware UTC.
    """
    if not all(c in ds.coords for c in columns):
        return None
    table = pd.DataFrame(
        {c: ds[c].values for c in columns},
        index=pd.Index(ds["battery"].values.astype(str), name="battery"),
    )
    if "commissioned" in table:
        table["commissioned"] = pd.DatetimeIndex(table["commissioned"]).tz_localize("UTC")
    return table


def read_plan_forecasts(root: str | Path, issue_time: pd.Timestamp, inputs: str) -> PlanForecasts | None:
    """The forecasts a fleet plan from ``issue_time`` is planned on (:func:`~.fleet_plan.plan_fleet`).

    Parameters
    ----------
    root : str or Path
        Store folder.
    issue_time : pd.Timestamp
        Issue time of the plan (tz-aware UTC).
    inputs : str
        ``profiles`` (None: plan on the grid's profiles) or ``forecast`` (the renewable forecast stored for
        the issue, and its demand forecast when stored).

    Returns
    -------
    PlanForecasts or None

    Raises
    ------
    gridcore.errors.InputError
        ``inputs`` is neither, or no renewable forecast of that issue is stored (naming the command that
        makes it).
    """
    from gridcore.forecast.store import read_demand_forecast, read_renewable_forecast

    if inputs not in INPUTS:
        raise InputError(f"inputs must be 'profiles' or 'forecast', got {inputs!r}", field="inputs")
    if inputs == "profiles":
        return None
    try:
        renewables = read_renewable_forecast(str(root), issue_time)
    except (FileNotFoundError, KeyError, ValueError) as err:
        raise InputError(
            f"no renewable forecast issued {issue_time.isoformat()} in {root} ({err}); run "
            f"`gridflow forecast renewables --at {issue_time:%Y-%m-%dT%H:%MZ}` first",
            field="inputs",
        ) from err
    try:
        demand = read_demand_forecast(str(root), issue_time)
    except (FileNotFoundError, KeyError, ValueError):
        demand = None
    return PlanForecasts(issue_time, renewables, demand)
