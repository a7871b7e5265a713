"""SCADA and weather feeds: registry, power balance, validation, datasets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridcore.data.quality import FeedSummary, feed_summary
from gridcore.data.scada import sensor_dataset, sensor_readings, sensor_registry, validate_sensors
from gridcore.data.synthetic import FaultRates, load_power, quarter_hours
from gridcore.data.weather import (
    STATION,
    observed_temperature,
    validate_weather,
    weather_dataset,
    weather_observations,
)


def test_registry_covers_feeder_heads_trafos_busbar_and_switches(system) -> None:
    reg = sensor_registry(system.grid, system.feeders)
    assert reg.index.is_unique
    heads = len(system.feeders.head_line)
    assert (reg["quantity"] == "i_ka").sum() == heads
    assert (reg["element_type"] == "switch").sum() == len(system.grid.switch)
    assert (reg["value_max"] > reg["value_min"]).all()


def test_feeder_flows_balance_the_grid_load_and_validate_clean(system, hour) -> None:
    reg = sensor_registry(system.grid, system.feeders)
    raw = sensor_readings(system.grid, system.feeders, reg, hour, faults=FaultRates.none())
    end = hour + pd.Timedelta(hours=1)
    res = validate_sensors(raw, reg, end, end)
    assert res.readings_valid == res.readings_in == 4 * len(reg)
    starts = quarter_hours(hour, end)
    ds = sensor_dataset(res, reg, starts)
    p_heads = ds["value"].sel(sensor=[f"P:{f}" for f in system.feeders.head_line]).sum("sensor")
    p_trafo = (
        ds["value"]
        .sel(sensor=ds["sensor"][(ds["quantity"] == "p_mw") & ds["sensor"].str.contains("Trafo")])
        .sum("sensor")
    )
    busbar_loads = system.grid.load["bus"].map(system.feeders.bus_feeder) == "busbar"
    net_sgen = system.grid.sgen_p_mw[system.grid.profile_index(starts)].sum(1)
    total = load_power(system.grid, starts).sum(1) - net_sgen
    # the transformers carry the whole grid; the feeder heads all of it but the busbar's own loads
    np.testing.assert_allclose(p_trafo, total, rtol=0.02)
    busbar_p = load_power(system.grid, starts)[:, busbar_loads.to_numpy()].sum(1)
    np.testing.assert_allclose(p_heads, total - busbar_p + _busbar_sgen(system, starts), rtol=0.02)
    i = ds["value"].sel(sensor=f"I:{system.feeders.feeders[1]}")
    assert (i > 0).all()


def _busbar_sgen(system, starts):
    on_busbar = (system.grid.sgen["bus"].map(system.feeders.bus_feeder) == "busbar").to_numpy()
    return system.grid.sgen_p_mw[system.grid.profile_index(starts)][:, on_busbar].sum(1)


def test_sensor_faults_are_quarantined(system, hour) -> None:
    reg = sensor_registry(system.grid, system.feeders)
    raw = sensor_readings(system.grid, system.feeders, reg, hour, faults=FaultRates(missing=0.05, spike=0.05))
    raw = pd.concat(
        [raw, pd.DataFrame({"sensor_id": ["NOPE"], "timestamp": [hour], "value": [1.0]})], ignore_index=True
    )
    end = hour + pd.Timedelta(hours=1)
    res = validate_sensors(raw, reg, end, end)
    q = res.quarantined
    assert q["value_missing"] > 0 and q["value_above_physical_max"] > 0 and q["unknown_sensor"] == 1
    assert res.readings_valid + sum(q.values()) == res.readings_in
    # the typed feed summary gives the JSON the hourly flow gave as a dict, key for key
    fs = feed_summary(res)
    old = {"readings_in": res.readings_in, "readings_valid": res.readings_valid, "quarantined": q}
    assert isinstance(fs, FeedSummary) and json.dumps(fs.to_dict()) == json.dumps(old)
    assert (fs.readings_valid, fs.quarantined["unknown_sensor"]) == (len(res.valid), 1)


def test_weather_is_the_worlds_observed_series(hour) -> None:
    raw = weather_observations(hour, hours=3)
    obs = observed_temperature()
    # the world's 2016-07-01 14:00Z (15:00 on the grid's clock) is 15:00 EST of 2011-07-01 in the source
    expected = obs.loc[pd.Timestamp("2011-07-01T20:00Z") : pd.Timestamp("2011-07-01T22:00Z")].to_numpy()
    np.testing.assert_array_equal(raw["temperature_c"].to_numpy(), expected)
    leap = weather_observations(pd.Timestamp("2016-02-29T12:00Z"))
    assert leap["temperature_c"].notna().all()
    end = hour + pd.Timedelta(hours=3)
    res = validate_weather(raw, end, end)
    assert res.readings_valid == 3
    ds = weather_dataset(res, raw, pd.date_range(hour, periods=3, freq="1h"))
    assert ds["station"].values.tolist() == [STATION]
    np.testing.assert_array_equal(ds["temperature_c"].values[0], expected)


def test_bad_weather_rows(hour) -> None:
    raw = pd.DataFrame(
        {
            "station_id": ["A", "A", "A", "B", "B"],
            "timestamp": [
                "2016-07-01T14:00Z",
                "2016-07-01T14:30Z",
                "2016-07-01T15:00Z",
                "2016-07-01T14:00Z",
                "2016-07-01T14:00Z",
            ],
            "temperature_c": ["21.5", "20", "85", "10", "11"],
        }
    )
    res = validate_weather(raw, hour + pd.Timedelta(hours=2))
    assert res.quarantined == {
        "conflicting_duplicate": 2,
        "timestamp_off_hour_grid": 1,
        "temperature_out_of_range": 1,
    }
    assert res.readings_valid == 1


def test_lv_feeder_currents_use_the_head_bus_voltage() -> None:
    from gridcore.data.scada import head_kv
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid_spec import grid_model

    grid = grid_model("1-LV-rural2--2-sw")
    feeders = derive_feeders(grid)
    reg = sensor_registry(grid, feeders)
    hour = pd.Timestamp("2016-01-15T17:00Z")
    raw = sensor_readings(grid, feeders, reg, hour, noise=0.0, faults=FaultRates.none())
    end = hour + pd.Timedelta(hours=1)
    res = validate_sensors(raw, reg, end, end)
    assert res.readings_valid == res.readings_in
    first = raw[raw["timestamp"] == hour].set_index("sensor_id")["value"]
    for feeder, line in feeders.head_line.items():
        assert head_kv(grid, line) == pytest.approx(0.4)
        s_mva = np.hypot(first[f"P:{feeder}"], first[f"Q:{feeder}"])
        # |S| = sqrt(3) V I at 0.4 kV (busbar at 1 +- 0.01 p.u.); at 20 kV the current would be 50x smaller
        assert first[f"I:{feeder}"] == pytest.approx(s_mva / (np.sqrt(3) * 0.4), rel=0.01)
        p_max = reg.at[f"P:{feeder}", "value_max"]
        assert p_max == pytest.approx(np.sqrt(3) * 0.4 * reg.at[f"I:{feeder}", "value_max"])
    # the largest feeder's head current is tens of amperes, as an LV feeder at winter peak carries
    assert 0.01 < first.filter(like="I:").max() < 1.0
