"""The default world: its demand follows real weather-driven load, on one calendar, summing everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gridcore import world
from gridcore.data.weather import weather_observations
from gridcore.errors import InputError
from gridcore.forecast.sensitivity import temperature_sensitivity
from gridcore.network.grid import load_grid


@pytest.fixture(scope="module")
def grid():
    return load_grid()


@pytest.fixture(scope="module")
def raw():
    return load_grid(demand="simbench")


def _system_hourly(grid, start: str, end: str) -> pd.Series:
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    p = grid.load_p_mw[grid.profile_index(quarters)].sum(axis=1)
    return pd.Series(p.reshape(-1, 4).mean(axis=1), index=quarters[::4])


def test_the_world_sums_to_the_scaled_real_load(grid, raw) -> None:
    assert grid.demand == "world" and grid.load_p_mw.shape == (731 * 96, len(grid.load))
    # 2016-07-01 14:00 UTC is 15:00 CET on the grid's clock: 15:00 EST, 20:00 UTC, of 2011-07-01 in the source
    src = world._source()
    load = _system_hourly(grid, "2016-07-01T14:00Z", "2016-07-01T15:00Z")
    assert_allclose(load.iloc[0], grid.world_scale * src.at[pd.Timestamp("2011-07-01T20:00Z"), "load_mw"])
    # the same energy as SimBench's year, spread with SimBench's shares, reactive power at each load's ratio
    year = grid.load_p_mw[
        grid.profile_index(pd.date_range("2016-01-01", "2017-01-01", freq="15min", tz="UTC"))[:-1]
    ]
    assert_allclose(year.sum(), raw.load_p_mw.sum(), rtol=1e-9)
    tan = raw.load_q_mvar.sum(0) / raw.load_p_mw.sum(0)
    assert_allclose(grid.load_q_mvar[100], grid.load_p_mw[100] * tan)
    # shares: SimBench's of the same quarter hour and weekday, averaged over the five weeks around
    row = 365 * 96 + 17528
    raw_shares = raw.load_p_mw / raw.load_p_mw.sum(axis=1, keepdims=True)
    expected = np.mean([raw_shares[17528 + k * 672] for k in range(-2, 3)], axis=0)
    assert_allclose(grid.load_p_mw[row] / grid.load_p_mw[row].sum(), expected)
    smooth = world.smooth_shares(raw_shares[:2000], weeks=1)
    assert_allclose(smooth[0], (raw_shares[0] + raw_shares[672]) / 2)  # fewer weeks at the ends
    assert_allclose(smooth.sum(axis=1), 1.0)


def test_weather_is_the_same_observation_as_the_load() -> None:
    obs = weather_observations(pd.Timestamp("2016-07-01T14:00Z"), 2)
    src = world._source()
    expected = src.loc["2011-07-01T20:00Z":"2011-07-01T21:00Z", "temperature_c"].to_numpy()
    assert_allclose(obs["temperature_c"].to_numpy(), expected)


def test_one_calendar_weekdays_and_us_holidays_kept() -> None:
    source = world.source_hours()
    hours = pd.date_range(world.WORLD_START, periods=len(source), freq="1h")
    local_world = hours.tz_convert("Europe/Berlin")
    local_source = source.tz_convert("America/New_York")
    # same weekday and same date on the local clocks (outside the weeks the two DST rules differ)
    assert (local_world.dayofweek == local_source.dayofweek).mean() > 0.99
    same_date = (local_world.month == local_source.month) & (local_world.day == local_source.day)
    assert same_date.mean() > 0.99  # all but 29 February 2016 (1 March 2010) and the DST weeks
    # world dates outside 2015-2016 keep their weekday
    times = pd.DatetimeIndex(["2026-07-01T12:00Z", "2017-12-31T00:00Z", "2024-02-29T00:00Z"])
    rows = world.day_rows(times, world.WORLD_START, world.WORLD_DAYS)
    mapped = world.WORLD_START + pd.to_timedelta(rows // 96, unit="D")
    assert list(mapped.dayofweek) == list(times.dayofweek)
    assert mapped[0] == pd.Timestamp("2015-07-01T00:00Z")  # 2026 has 2015's calendar


def test_german_only_holidays_take_a_normal_weeks_shares() -> None:
    rows = world.simbench_rows()
    easter_monday = (365 + 87) * 96  # 2016-03-28
    assert rows[easter_monday] == (87 - 7) * 96
    assert rows[(365 + 10) * 96] == 10 * 96  # an ordinary day takes its own shares


def test_the_fitted_sensitivity_is_the_one_the_world_was_built_with(grid) -> None:
    """Fitted on the world's system total and weather, the heat response is the real data's, scaled."""
    load = _system_hourly(grid, "2016-05-01T00:00Z", "2016-10-01T00:00Z")
    temp = weather_observations(pd.Timestamp("2016-05-01T00:00Z"), len(load)).set_index("timestamp")
    fitted = temperature_sensitivity(load, temp["temperature_c"], "Europe/Berlin")
    src = world._source().loc["2011-05-01T05:00Z":"2011-10-01T03:00Z"]
    real = temperature_sensitivity(
        src["load_mw"] * grid.world_scale, src["temperature_c"], "America/New_York"
    )
    assert fitted.mw_per_c > 0 and fitted.r2 > 0.6
    assert_allclose(fitted.mw_per_c, real.mw_per_c, rtol=0.03)
    assert abs(fitted.n_days - real.n_days) <= 2
    heating = temperature_sensitivity(
        _system_hourly(grid, "2016-01-01T00:00Z", "2016-03-01T00:00Z"),
        weather_observations(pd.Timestamp("2016-01-01T00:00Z"), 60 * 24).set_index("timestamp")[
            "temperature_c"
        ],
        "Europe/Berlin",
        side="heating",
    )
    assert heating.mw_per_c < 0 and heating.to_dict()["side"] == "heating"


def test_sensitivity_refuses_what_it_cannot_fit() -> None:
    idx = pd.date_range("2016-07-04", periods=48, freq="1h", tz="UTC")
    with pytest.raises(InputError, match="side"):
        temperature_sensitivity(pd.Series(1.0, idx), pd.Series(25.0, idx), "UTC", side="both")
    with pytest.raises(InputError, match="needs 10"):
        temperature_sensitivity(pd.Series(1.0, idx), pd.Series(25.0, idx), "UTC")


def test_the_meters_and_feeders_still_sum_to_the_world(grid) -> None:
    from gridcore.data.fleet import build_fleet
    from gridcore.data.synthetic import FaultRates, meter_readings

    fleet = build_fleet(grid, 5000, 1)
    hour = pd.Timestamp("2016-07-01T14:00Z")
    r = meter_readings(grid, fleet, hour, noise=0.0, faults=FaultRates.none())
    total_mwh = r["kwh"].sum() / 1000.0
    assert_allclose(
        total_mwh, _system_hourly(grid, "2016-07-01T14:00Z", "2016-07-01T15:00Z").iloc[0], rtol=1e-9
    )
    assert np.isfinite(grid.load_p_mw).all()
