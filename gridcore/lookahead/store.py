"""Constraint periods in the store: ``<store>/constraint_periods/<issue>.zarr``, one folder per issue time.

A dataset has one dimension, ``period``, and per period the variables ``element`` (``line:12``, ``bus:41``,
``supply``), ``kind``, ``start``, ``end``, ``worst_time`` (UTC, naive in the file, attribute
``timezone = UTC``), ``worst`` (% or p.u. or MW, as the kind says), ``relief_mw`` [MW], ``hours`` and
``limit``. Attributes: ``grid``, ``issue_time`` (ISO 8601 UTC), ``horizon_h``, ``study_case``, ``source``
(JSON). The daily flow writes its 168-hour issue, the hourly flow a short one for the hours just ahead; the
latest issue is the freshest view. A rerun of an issue replaces its folder whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.lookahead.report import ConstraintReport
from gridcore.network.constraints import ConstraintPeriod
from gridcore.store import issue_path, issue_times, open_issue, write_whole

PRODUCT = "constraint_periods"
_TIMES = ("start", "end", "worst_time")
_NUMBERS = ("worst", "relief_mw", "limit")


def write_constraint_periods(root: str | Path, report: ConstraintReport) -> str:
    """Write one issue's constraint periods; returns the path written.

    Parameters
    ----------
    root : str or Path
        Store folder.
    report : ConstraintReport
        From :func:`gridcore.lookahead.report.constraint_lookahead`.

    Returns
    -------
    str
    """
    rows = report.periods
    data: dict[str, tuple] = {
        "element": (("period",), np.array([p.element for p in rows], dtype=str)),
        "kind": (("period",), np.array([p.kind for p in rows], dtype=str)),
        "hours": (("period",), np.array([p.hours for p in rows], dtype=np.int64)),
    }
    for name in _TIMES:
        stamps = pd.DatetimeIndex([getattr(p, name) for p in rows]).tz_convert(None) if rows else []
        data[name] = (("period",), np.array(stamps, dtype="datetime64[ns]"))
    for name in _NUMBERS:
        data[name] = (("period",), np.array([getattr(p, name) for p in rows], dtype=float))
    data["relief_mw"] = (*data["relief_mw"], {"units": "MW"})
    ds = xr.Dataset(
        data,
        coords={"period": np.arange(len(rows), dtype=np.int64)},
        attrs={
            "grid": report.grid,
            "issue_time": f"{report.issue_time:%Y-%m-%dT%H:%M:%SZ}",
            "horizon_h": int(report.horizon_h),
            "study_case": report.study_case or "",
            "source": json.dumps(report.source),
            "timezone": "UTC",
        },
    )
    return write_whole(ds, issue_path(root, PRODUCT, report.issue_time))


def list_constraint_periods(root: str | Path) -> list[pd.Timestamp]:
    """Issue times of the stored constraint periods, oldest first."""
    return issue_times(root, PRODUCT)


def read_constraint_periods(
    root: str | Path, issue_time: pd.Timestamp | None = None
) -> tuple[list[ConstraintPeriod], dict[str, object]]:
    """One issue's constraint periods (the latest when ``issue_time`` is omitted) and its attributes.

    Raises
    ------
    FileNotFoundError
        When the store holds none (for that issue).
    """
    ds = open_issue(root, PRODUCT, issue_time, "constraint periods", load=True)
    n = ds.sizes.get("period", 0)
    utc = {name: pd.DatetimeIndex(ds[name].values).tz_localize("UTC") for name in _TIMES} if n else {}
    periods = [
        ConstraintPeriod(
            element=str(ds["element"].values[k]),
            kind=str(ds["kind"].values[k]),
            start=utc["start"][k],
            end=utc["end"][k],
            worst=float(ds["worst"].values[k]),
            worst_time=utc["worst_time"][k],
            relief_mw=float(ds["relief_mw"].values[k]),
            hours=int(ds["hours"].values[k]),
            limit=float(ds["limit"].values[k]),
        )
        for k in range(n)
    ]
    attrs = dict(ds.attrs)
    attrs["source"] = json.loads(str(attrs.get("source", "{}")))
    return periods, attrs
