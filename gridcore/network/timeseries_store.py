"""Grid time series in the store, and topology applied to a pandapower net."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.network.timeseries import TimeSeriesResult
from gridcore.store import write_whole


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

    Variables: ``vm_pu`` and ``va_degree`` (time x bus) [p.u.], [deg], ``line_loading_pct`` and
    ``line_p_from_mw`` (time x line) [%], [MW], ``trafo_loading_pct`` (time x trafo) [%], ``converged``
    (time), and the constraint flags as int8 (``undervoltage``, ``overvoltage`` per bus;
    ``line_overload``; ``trafo_overload``). Written under a temporary name and renamed; a rerun replaces
    it.

    Returns
    -------
    str
        Path written.
    """
    times = result.vm_pu.index.tz_convert(None)
    ds = xr.Dataset(
        {
            "vm_pu": (("time", "bus"), result.vm_pu.to_numpy(dtype="float32"), {"units": "p.u."}),
            "va_degree": (("time", "bus"), result.va_degree.to_numpy(dtype="float32"), {"units": "deg"}),
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
    return write_whole(ds, Path(root) / "grid_timeseries" / f"{result.vm_pu.index[0]:%Y%m%dT%H%MZ}.zarr")


def run_in_force(
    net,  # noqa: ANN001 (pandapowerNet of the base topology)
    grid,  # noqa: ANN001 (GridModel of the base topology)
    changes_at,  # noqa: ANN001 (callable: time -> list of change records in force)
    times: pd.DatetimeIndex,
    load_p_mw: np.ndarray,
    load_q_mvar: np.ndarray,
    sgen_p_mw: np.ndarray,
) -> tuple[TimeSeriesResult, list[dict[str, object]]]:
    """Power flow per hour, each hour in the topology in force then.

    Consecutive hours with the same changes in force are solved as one batch.

    Returns
    -------
    result : TimeSeriesResult
        All hours, in order.
    segments : list of dict
        ``from`` (UTC), ``hours``, ``changes`` (ids in force), ``fingerprint`` of each topology.
    """
    from gridcore.network.timeseries import run_timeseries
    from gridcore.network.topology import topology_at

    in_force = [changes_at(t) for t in times]
    keys = [tuple(r["id"] for r in c) for c in in_force]
    parts, segments = [], []
    k = 0
    while k < len(times):
        j = k
        while j < len(times) and keys[j] == keys[k]:
            j += 1
        topo = topology_at(grid, in_force[k])
        parts.append(
            run_timeseries(
                apply_topology(net, topo), times[k:j], load_p_mw[k:j], load_q_mvar[k:j], sgen_p_mw[k:j]
            )
        )
        segments.append(
            {
                "from": f"{times[k]:%Y-%m-%dT%H:%MZ}",
                "hours": j - k,
                "changes": list(keys[k]),
                "fingerprint": topo.fingerprint,
            }
        )
        k = j
    if len(parts) == 1:
        return parts[0], segments
    result = TimeSeriesResult(
        vm_pu=pd.concat([r.vm_pu for r in parts]),
        va_degree=pd.concat([r.va_degree for r in parts]),
        line_loading_pct=pd.concat([r.line_loading_pct for r in parts]),
        trafo_loading_pct=pd.concat([r.trafo_loading_pct for r in parts]),
        line_p_from_mw=pd.concat([r.line_p_from_mw for r in parts]),
        converged=np.concatenate([r.converged for r in parts]),
        engine=parts[0].engine,
        seconds=sum(r.seconds for r in parts),
    )
    return result, segments
