"""The synthetic fleet and AMI feed: deterministic, consistent with the grid's profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.data.fleet import CLASSES, PRIORITY, build_fleet
from gridcore.data.synthetic import FaultRates, load_power, meter_readings, quarter_hours


def test_fleet_is_deterministic_and_shares_sum_to_one_per_load(system) -> None:
    fleet = system.fleet
    again = build_fleet(system.grid, len(fleet), system.seed)
    pd.testing.assert_frame_equal(fleet, again)
    assert fleet.index.is_unique
    np.testing.assert_allclose(fleet.groupby("load")["share"].sum(), 1.0, rtol=1e-12)
    assert set(fleet["load"]) == set(system.grid.load.index)  # every load metered
    assert set(fleet["customer_class"]) == set(CLASSES)
    crit = fleet[fleet["customer_class"] == "critical"]
    assert (crit["priority"] == PRIORITY["critical"]).all() and (crit["critical_kind"] != "").all()
    assert (fleet.loc[fleet["customer_class"] != "critical", "critical_kind"] == "").all()


def test_small_fleets_and_other_seeds(system) -> None:
    tiny = build_fleet(system.grid, 10, 1)
    assert len(tiny) == 10 and tiny["load"].nunique() <= 10
    other = build_fleet(system.grid, len(system.fleet), system.seed + 1)
    assert not other["share"].equals(system.fleet["share"])


def test_clean_readings_sum_back_to_the_load_profiles(system, hour) -> None:
    raw = meter_readings(system.grid, system.fleet, hour, faults=FaultRates.none())
    assert len(raw) == 4 * len(system.fleet)
    starts = quarter_hours(hour, hour + pd.Timedelta(hours=1))
    per_load = (
        raw.assign(load=system.fleet["load"].to_numpy()[raw["meter_id"].cat.codes])
        .groupby(["timestamp", "load"])["kwh"]
        .sum()
        .unstack()
        .to_numpy()
        / 250.0
    )
    expected = load_power(system.grid, starts)
    # 5 % RMS noise per reading, ~17 meters per load: a load's sum within 10 %, the total within 1 %
    np.testing.assert_allclose(per_load, expected, rtol=0.10)
    np.testing.assert_allclose(per_load.sum(axis=1), expected.sum(axis=1), rtol=0.01)


def test_the_feed_is_reproducible_per_hour(system, hour) -> None:
    a = meter_readings(system.grid, system.fleet, hour)
    b = meter_readings(system.grid, system.fleet, hour)
    pd.testing.assert_frame_equal(a, b)
    c = meter_readings(system.grid, system.fleet, hour + pd.Timedelta(hours=1))
    assert not np.allclose(a["kwh"].fillna(0).to_numpy()[:100], c["kwh"].fillna(0).to_numpy()[:100])


def test_profiles_map_any_year_onto_the_world(system) -> None:
    t = pd.DatetimeIndex(["2016-03-01T00:00Z", "2023-03-01T00:00Z", "2016-12-31T23:45Z", "2015-01-01T00:15Z"])
    idx = system.grid.profile_index(t)
    assert idx[3] == 1 and idx[2] == 731 * 96 - 1  # the world: 2015-01-01 .. 2016-12-31
    assert idx[0] == (365 + 31 + 29) * 96
    # 2023-03-01 is a Wednesday: 2015's Wednesday nearest 1 March, 2015-03-04
    assert idx[1] == (31 + 28 + 3) * 96
