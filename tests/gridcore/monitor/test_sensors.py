"""Sensor checks and feeder tampering on the default grid's registry with hand-made samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.data.scada import sensor_registry
from gridcore.monitor.sensors import expected_values, flatlines, operating_limits, sensor_anomalies
from gridcore.monitor.tampering import feeder_tampering

STARTS = pd.date_range("2016-07-04T00:00Z", periods=16, freq="15min")


@pytest.fixture(scope="module")
def setup(system):
    registry = sensor_registry(system.grid, system.feeders)
    feeders = [f for f in system.feeders.feeders if f != "busbar"]
    rng = np.random.default_rng(2)
    load = pd.DataFrame(1.0 + 0.1 * rng.random((16, len(feeders))), index=STARTS, columns=feeders)
    gen = 0.3 * load
    q = 0.2 * load
    vm = np.ones(16)
    expected = expected_values(registry, load, q, gen, vm)
    values = expected * (1 + 0.003 * rng.standard_normal(expected.shape))
    analog = registry["quantity"] != "closed"
    values[~analog.to_numpy()] = 1.0
    values[(registry["quantity"] == "vm_pu").to_numpy()] = 1.0 + 0.002 * rng.standard_normal((2, 16))
    return registry, operating_limits(registry, system.grid), expected, values


def test_limits_are_ratings(setup, system):
    registry, limits, _, _ = setup
    head = system.feeders.head_line["MV2.101 Line 1"]
    i_max = float(system.grid.line.at[head, "max_i_ka"])
    assert limits.loc["I:MV2.101 Line 1", "high"] == pytest.approx(i_max)
    assert limits.loc["P:MV2.101 Line 1", "high"] == pytest.approx(np.sqrt(3) * 20 * i_max)
    assert limits.loc["P:MV2.101 Line 1", "low"] == pytest.approx(-np.sqrt(3) * 20 * i_max)
    v = registry.index[registry["quantity"] == "vm_pu"][0]
    assert tuple(limits.loc[v]) == (0.9, 1.1)
    # the contract refuses beyond 3 times the rating; the operating range is the rating
    assert (registry["value_max"] >= limits["high"] - 1e-9).all()


def test_expected_flows_follow_the_power_balance(setup):
    registry, _, expected, _ = setup
    p = expected[list(registry.index).index("P:MV2.101 Line 1")]
    i = expected[list(registry.index).index("I:MV2.101 Line 1")]
    q = expected[list(registry.index).index("Q:MV2.101 Line 1")]
    np.testing.assert_allclose(i, np.hypot(p, q) / (np.sqrt(3) * 20))
    trafo = (registry["element_type"] == "trafo") & (registry["quantity"] == "p_mw")
    line_p = (registry["element_type"] == "line") & (registry["quantity"] == "p_mw")
    np.testing.assert_allclose(expected[trafo.to_numpy()].sum(0), expected[line_p.to_numpy()].sum(0))
    assert np.isnan(expected[(registry["quantity"] == "closed").to_numpy()]).all()


def test_clean_samples_give_nothing(setup):
    registry, limits, expected, values = setup
    assert sensor_anomalies(values, STARTS, registry, limits, expected).empty
    table, explained = feeder_tampering(values, STARTS, registry, expected)
    assert table.empty and not explained.any()


def test_flatline_out_of_range_and_disagreement(setup):
    registry, limits, expected, values = setup
    v = values.copy()
    ids = list(registry.index)
    v[ids.index("Q:MV2.101 Line 23"), 4:10] = v[ids.index("Q:MV2.101 Line 23"), 4]
    v[ids.index("V:MV2.101 busbar1.1"), 7] = 1.105  # 0.005 p.u. beyond the band: medium
    v[ids.index("I:MV2.101 Line 35"), 2:8] *= 1.4
    found = sensor_anomalies(v, STARTS, registry, limits, expected)
    got = {(r.type, r.place): r for r in found.itertuples()}
    assert set(got) == {
        ("sensor_flatline", "Q:MV2.101 Line 23"),
        ("sensor_out_of_range", "V:MV2.101 busbar1.1"),
        ("sensor_disagreement", "I:MV2.101 Line 35"),
    }
    assert got[("sensor_flatline", "Q:MV2.101 Line 23")].start == STARTS[4]  # the whole run
    assert got[("sensor_out_of_range", "V:MV2.101 busbar1.1")].severity == "medium"
    assert got[("sensor_disagreement", "I:MV2.101 Line 35")].evidence["deviation_pct"] == pytest.approx(
        40, abs=2
    )
    assert got[("sensor_disagreement", "I:MV2.101 Line 35")].severity == "high"
    # without an expectation, no disagreement check
    assert "sensor_disagreement" not in set(sensor_anomalies(v, STARTS, registry, limits)["type"])


def test_unmetered_load_is_tampering_not_a_sensor_fault(setup):
    registry, limits, expected, values = setup
    ids = list(registry.index)
    v = values.copy()
    p, q, i = (ids.index(f"{k}:MV2.101 Line 46") for k in "PQI")
    dp = 0.3
    s0 = np.hypot(v[p, 6:12], v[q, 6:12])
    v[p, 6:12] += dp
    v[q, 6:12] += 0.2 * dp
    v[i, 6:12] *= np.hypot(v[p, 6:12], v[q, 6:12]) / s0
    table, explained = feeder_tampering(v, STARTS, registry, expected)
    assert list(table["place"]) == ["MV2.101 Line 46"]
    assert table["evidence"][0]["unmetered_mw"] == pytest.approx(dp, abs=0.03)
    assert table["severity"][0] == "high"
    assert explained[p, 6:12].all() and not explained[p, :6].any()
    found = sensor_anomalies(v, STARTS, registry, limits, expected, explained)
    assert found.empty, found
    # the P sensor alone reading high is a faulty sensor, not theft
    w = values.copy()
    w[p, 6:12] += dp
    table, explained = feeder_tampering(w, STARTS, registry, expected)
    assert table.empty
    found = sensor_anomalies(w, STARTS, registry, limits, expected, explained)
    assert set(zip(found["type"], found["place"], strict=True)) == {
        ("sensor_disagreement", "P:MV2.101 Line 46")
    }


def test_flatlines_mark_the_whole_run():
    registry = pd.DataFrame({"quantity": ["p_mw", "closed"]})
    v = np.array([[1, 2, 2, 2, 2, 3, 3, 4.0], [1, 1, 1, 1, 1, 1, 1, 1.0]])
    run, flat = flatlines(v, registry)
    assert run[0].tolist() == [1, 1, 2, 3, 4, 1, 2, 1]
    assert flat[0].tolist() == [False, True, True, True, True, False, False, False]
    assert not flat[1].any()  # switch states do not flatline
