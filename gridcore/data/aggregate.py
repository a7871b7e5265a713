"""Aggregation of valid meter readings to feeder load, with coverage and an estimate for missing meters.

The meter -> load -> bus -> feeder map comes from the fleet and the topology in force. For every feeder
and quarter hour the result gives the measured sum of the valid readings (``p_mw_measured``), the share of
meters that reported (``coverage_pct``), and ``p_mw``: the measured power scaled up, load by load, by the
share of the load the reporting meters stand for (a ratio estimator, the usual "estimate" step of
validation, estimation and editing). A load with no reporting meter makes its feeder's ``p_mw`` NaN:
missing meters are never taken for zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.data.synthetic import KWH_PER_MW_QUARTER
from gridcore.network.grid import STEP


def feeder_load(
    valid: pd.DataFrame,
    fleet: pd.DataFrame,
    bus_feeder: pd.Series,
    feeders: list[str],
    starts: pd.DatetimeIndex,
) -> xr.Dataset:
    """Feeder load per quarter hour from valid readings.

    Parameters
    ----------
    valid : pd.DataFrame
        ``code`` (fleet position), ``end`` (UTC end of interval), ``kwh`` [kWh]; one row per meter and
        interval (validated: no duplicates).
    fleet : pd.DataFrame
        The meter fleet (``load``, ``bus``, ``share``).
    bus_feeder : pd.Series
        Feeder id per bus id.
    feeders : list of str
        Feeder ids, the order of the result.
    starts : pd.DatetimeIndex
        UTC quarter-hour interval starts to aggregate; readings outside are ignored.

    Returns
    -------
    xr.Dataset
        Dims ``feeder`` x ``time`` (interval start): ``p_mw`` [MW] (estimated total), ``p_mw_measured``
        [MW], ``coverage_pct`` [%], ``meters_expected``, ``meters_reporting``.
    """
    n_t = len(starts)
    loads, load_pos = np.unique(fleet["load"].to_numpy(), return_inverse=True)
    n_l = len(loads)
    load_bus = pd.Series(fleet["bus"].to_numpy(), index=load_pos).groupby(level=0).first()
    load_feeder = load_bus.map(bus_feeder).map({f: i for i, f in enumerate(feeders)})
    load_feeder_code = load_feeder.fillna(-1).astype(np.int64).to_numpy()

    code = valid["code"].to_numpy()
    t = (valid["timestamp"].to_numpy().astype("datetime64[ns]") - STEP.to_timedelta64()).astype(
        "datetime64[ns]"
    )
    t_pos = pd.Index(starts.tz_convert(None).as_unit("ns")).get_indexer(t)
    keep = t_pos >= 0
    code, t_pos, kwh = code[keep], t_pos[keep], valid["kwh"].to_numpy()[keep]
    lp = load_pos[code]
    cell = t_pos * n_l + lp
    measured = np.bincount(cell, weights=kwh, minlength=n_t * n_l).reshape(n_t, n_l)
    share = np.bincount(cell, weights=fleet["share"].to_numpy()[code], minlength=n_t * n_l)
    share = share.reshape(n_t, n_l)
    reporting = np.bincount(cell, minlength=n_t * n_l).reshape(n_t, n_l)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(share > 0, measured / share, np.nan)
    expected = np.bincount(load_pos, minlength=n_l)

    n_f = len(feeders)
    on = load_feeder_code >= 0
    to_f = np.zeros((n_l, n_f))
    to_f[np.flatnonzero(on), load_feeder_code[on]] = 1.0
    measured_f = measured @ to_f / KWH_PER_MW_QUARTER
    reporting_f = reporting @ to_f
    expected_f = expected @ to_f
    est = np.where(np.isnan(estimate), 0.0, estimate) @ to_f / KWH_PER_MW_QUARTER
    missing_load = np.isnan(estimate).astype(float) @ to_f > 0
    est[missing_load] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(expected_f > 0, 100.0 * reporting_f / expected_f, np.nan)
    time = starts.tz_convert(None).as_unit("ns")
    ds = xr.Dataset(
        {
            "p_mw": (("feeder", "time"), est.T, {"units": "MW", "long_name": "feeder load, estimated total"}),
            "p_mw_measured": (
                ("feeder", "time"),
                measured_f.T,
                {"units": "MW", "long_name": "sum of valid meter readings"},
            ),
            "coverage_pct": (
                ("feeder", "time"),
                coverage.T,
                {"units": "%", "long_name": "share of the feeder's meters with a valid reading"},
            ),
            "meters_reporting": (("feeder", "time"), reporting_f.T.astype(np.int32)),
            "meters_expected": (
                ("feeder", "time"),
                np.broadcast_to(expected_f[:, None], (n_f, n_t)).astype(np.int32),
                {"long_name": "meters of the feeder in the fleet"},
            ),
        },
        coords={"feeder": np.asarray(feeders, dtype=object), "time": time},
    )
    return ds


def hourly(ds: xr.Dataset) -> xr.Dataset:
    """Hourly means of a quarter-hour feeder-load dataset (interval start labels).

    Parameters
    ----------
    ds : xr.Dataset
        Output of :func:`feeder_load`.

    Returns
    -------
    xr.Dataset
        Same variables, hourly: ``p_mw``, ``p_mw_measured`` [MW] and ``coverage_pct`` [%] are means of
        the quarter hours (NaN if any quarter hour is NaN); the counts are the minimum.
    """
    r = ds.resample(time="1h")
    out = r.mean(skipna=False)
    low = r.min()
    for v in ("meters_reporting", "meters_expected"):
        out[v] = low[v].astype(np.int32)
    for v in out.data_vars:
        out[v].attrs = ds[v].attrs
    return out
