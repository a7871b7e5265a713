"""Grid time series in the store, and topology applied to a pandapower net."""

from __future__ import annotations

import copy
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.network.timeseries import TimeSeriesResult
from gridcore.store import TIME_ENCODING


def apply_topology(net, grid):  # noqa: ANN001, ANN201 (pandapowerNet, GridModel)
    """A copy of ``net`` with the switch states and services of ``grid`` (the topology in force).

    The grid's tables were read from this net, so their indices are the net's.
    """
    out = copy.deepcopy(net)
    out.switch.loc[grid.switch.index, "closed"] = grid.switch["closed"].astype(bool).to_numpy()
    out.line.loc[grid.line.index, "in_service"] = grid.line["in_service"].astype(bool).to_numpy()
    if "in_service" in grid.trafo.columns:
        out.trafo.loc[grid.trafo.index, "in_service"] = grid.trafo["in_service"].astype(bool).to_numpy()
    return out


def write_grid_timeseries(
    root: str, result: TimeSeriesResult, flags: dict[str, pd.DataFrame], attrs: dict[str, object]
) -> str:
    """Write ``<root>/grid_timeseries/<first hour>.zarr``: bus and branch results per hour.

    Variables: ``vm_pu`` (time x bus) [p.u.], ``line_loading_pct`` and ``line_p_from_mw`` (time x line)
    [%], [MW], ``trafo_loading_pct`` (time x trafo) [%], ``converged`` (time), and the constraint flags
    as int8 (``undervoltage``, ``overvoltage`` per bus; ``line_overload``; ``trafo_overload``). Written
    under a temporary name and renamed; a rerun replaces it.

    Returns
    -------
    str
        Path written.
    """
    times = result.vm_pu.index.tz_convert(None)
    ds = xr.Dataset(
        {
            "vm_pu": (("time", "bus"), result.vm_pu.to_numpy(dtype="float32"), {"units": "p.u."}),
            "line_loading_pct": (
                ("time", "line"),
                result.line_loading_pct.to_numpy(dtype="float32"),
                {"units": "%"},
            ),
            "line_p_from_mw": (
                ("time", "line"),
                result.line_p_from_mw.to_numpy(dtype="float32"),
                {"units": "MW"},
            ),
            "trafo_loading_pct": (
                ("time", "trafo"),
                result.trafo_loading_pct.to_numpy(dtype="float32"),
                {"units": "%"},
            ),
            "converged": (("time",), result.converged.astype(np.int8)),
            "undervoltage": (("time", "bus"), flags["undervoltage"].to_numpy(dtype=np.int8)),
            "overvoltage": (("time", "bus"), flags["overvoltage"].to_numpy(dtype=np.int8)),
            "line_overload": (("time", "line"), flags["line_overload"].to_numpy(dtype=np.int8)),
            "trafo_overload": (("time", "trafo"), flags["trafo_overload"].to_numpy(dtype=np.int8)),
        },
        coords={
            "time": times.values,
            "bus": result.vm_pu.columns.to_numpy(dtype=np.int64),
            "line": result.line_loading_pct.columns.to_numpy(dtype=np.int64),
            "trafo": result.trafo_loading_pct.columns.to_numpy(dtype=np.int64),
        },
        attrs={**{k: str(v) for k, v in attrs.items()}, "engine": result.engine, "timezone": "UTC"},
    )
    folder = Path(root) / "grid_timeseries"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.vm_pu.index[0]:%Y%m%dT%H%MZ}.zarr"
    tmp = folder / f".{path.name}.{uuid.uuid4().hex}"
    ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True, encoding={"time": dict(TIME_ENCODING)})
    if path.exists():
        old = folder / f".{path.name}.old.{uuid.uuid4().hex}"
        path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(path)
    return str(path)
