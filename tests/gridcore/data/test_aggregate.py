"""Feeder aggregation: measured sums, coverage and the estimate for missing meters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.data.aggregate import feeder_load, hourly
from gridcore.data.meters import validate_readings
from gridcore.data.synthetic import FaultRates, load_power, meter_readings, quarter_hours


def _loads(system, hour, drop=None):
    raw = meter_readings(system.grid, system.fleet, hour, faults=FaultRates.none())
    if drop is not None:
        raw = raw[~raw["meter_id"].isin(drop)]
    res = validate_readings(raw, system.fleet, hour + pd.Timedelta(hours=1))
    starts = quarter_hours(hour, hour + pd.Timedelta(hours=1))
    return feeder_load(
        res.valid, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, starts
    ), starts


def test_full_coverage_gives_the_grid_load(system, hour) -> None:
    ds, starts = _loads(system, hour)
    assert (ds["coverage_pct"] == 100.0).all()
    np.testing.assert_allclose(ds["p_mw"], ds["p_mw_measured"])
    np.testing.assert_allclose(
        ds["p_mw"].sum("feeder"), load_power(system.grid, starts).sum(axis=1), rtol=0.01
    )
    assert ds["p_mw"].attrs["units"] == "MW"


def test_missing_meters_lower_coverage_and_are_estimated_not_zeroed(system, hour) -> None:
    full, _ = _loads(system, hour)
    feeder = system.feeders.feeders[1]
    on_feeder = system.fleet.index[system.fleet["bus"].map(system.feeders.bus_feeder) == feeder]
    drop = on_feeder[::4]  # every fourth meter: each load keeps most of its meters
    part, _ = _loads(system, hour, drop=drop)
    f = part.sel(feeder=feeder)
    np.testing.assert_allclose(f["coverage_pct"], 100.0 * (len(on_feeder) - len(drop)) / len(on_feeder))
    assert (f["p_mw_measured"] < full.sel(feeder=feeder)["p_mw_measured"]).all()
    # the ratio estimate recovers the feeder load within a few percent
    np.testing.assert_allclose(f["p_mw"], full.sel(feeder=feeder)["p_mw"], rtol=0.05)
    other = system.feeders.feeders[2]
    np.testing.assert_allclose(part.sel(feeder=other)["p_mw"], full.sel(feeder=other)["p_mw"])


def test_a_load_with_no_reporting_meter_makes_its_feeder_unknown(system, hour) -> None:
    load = system.fleet["load"].iloc[0]
    drop = system.fleet.index[system.fleet["load"] == load]
    part, _ = _loads(system, hour, drop=drop)
    feeder = system.feeders.bus_feeder[system.grid.load.at[load, "bus"]]
    assert part.sel(feeder=feeder)["p_mw"].isnull().all()
    assert part.sel(feeder=feeder)["p_mw_measured"].notnull().all()


def test_hourly_means(system, hour) -> None:
    ds, _ = _loads(system, hour)
    h = hourly(ds)
    assert h.sizes["time"] == 1
    np.testing.assert_allclose(h["p_mw"].isel(time=0), ds["p_mw"].mean("time"))
    assert h["p_mw"].attrs["units"] == "MW"
