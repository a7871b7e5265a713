"""Meter checks on hand-made readings: each anomaly where it was put, nothing elsewhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.monitor.meters import expected_kwh, meter_anomalies
from gridcore.monitor.tampering import meter_tampering

STARTS = pd.date_range("2016-07-04T00:00Z", periods=24, freq="15min")


def fleet(n=20, critical=()):
    f = pd.DataFrame(
        {
            "load": ["A"] * (n // 2) + ["B"] * (n - n // 2),
            "share": np.full(n, 1 / (n // 2)),
            "customer_class": ["critical" if i in critical else "residential" for i in range(n)],
        },
        index=pd.Index([f"M{i:03d}" for i in range(n)], name="meter_id"),
    )
    return f


def readings(n=20, seed=1):
    rng = np.random.default_rng(seed)
    level = 10.0 + 5 * np.sin(np.arange(len(STARTS)) / 4)  # kWh per quarter hour of a load
    share = 1 / (n // 2)
    return share * level[None, :] * (1 + 0.05 * rng.standard_normal((n, len(STARTS))))


def test_expected_is_the_share_of_the_peer_median():
    kwh = readings()
    f = fleet()
    kwh[0] *= 5  # one faulty meter does not move its load's median
    e = expected_kwh(kwh, f)
    assert e.shape == kwh.shape
    np.testing.assert_allclose(e[1], np.median(kwh[1:10] / 0.1, axis=0) * 0.1, rtol=0.05)
    np.testing.assert_allclose(e[1], e[2])  # same load, same share


def test_clean_readings_give_nothing():
    assert meter_anomalies(readings(), STARTS, fleet()).empty
    assert meter_tampering(readings(), STARTS, fleet()).empty


def test_each_fault_type_found_at_its_meter():
    kwh = readings()
    kwh[1, 10:16] = 0.0  # zeros for 1.5 h
    kwh[2, 8:14] = kwh[2, 8]  # stuck
    kwh[3, 20] *= 12  # jump x12
    kwh[4, 6:] *= 0.3  # under-registers from step 6
    kwh[5, 12:14] = 0.0  # two zeros: too short
    negative = pd.DataFrame(
        {"code": [6, 6, 7], "timestamp": [STARTS[3], STARTS[4], STARTS[5]], "kwh": [-0.2, -0.3, -0.1]}
    )
    f = fleet(critical={2}).assign(pv=np.arange(20) == 7)  # meter 7 has PV: its negative reading is normal
    found = meter_anomalies(kwh, STARTS, f, negative=negative)
    got = {(r.type, r.place): r for r in found.itertuples()}
    assert set(got) == {
        ("zero_reading", "M001"),
        ("stuck_reading", "M002"),
        ("sudden_jump", "M003"),
        ("reverse_flow", "M006"),
    }
    assert got[("zero_reading", "M001")].start == STARTS[13]  # the fourth zero
    assert got[("zero_reading", "M001")].evidence["zero_readings"] == 6
    assert got[("stuck_reading", "M002")].severity == "high"  # a critical customer
    assert got[("stuck_reading", "M002")].evidence["identical_readings"] == 6
    assert got[("sudden_jump", "M003")].severity == "high"
    assert got[("sudden_jump", "M003")].evidence["ratio"] == pytest.approx(12, rel=0.2)
    assert got[("reverse_flow", "M006")].evidence == {"kwh": -0.3, "negative_readings": 2, "pv": False}
    tamper = meter_tampering(kwh, STARTS, f)
    assert list(tamper["place"]) == ["M004"]
    assert tamper["evidence"][0]["ratio_median"] == pytest.approx(0.3, abs=0.05)
    assert tamper["start"][0] == STARTS[11]  # six low readings in the last eight


def test_lookback_is_not_reported():
    kwh = readings()
    kwh[1, 2:8] = 0.0
    assert not meter_anomalies(kwh, STARTS, fleet()).empty
    assert meter_anomalies(kwh, STARTS, fleet(), evaluate_from=8).empty
    negative = pd.DataFrame({"code": [6], "timestamp": [STARTS[0]], "kwh": [-0.2]})
    assert meter_anomalies(readings(), STARTS, fleet(), evaluate_from=8, negative=negative).empty


def test_long_zero_run_is_high():
    starts = pd.date_range("2016-07-04T00:00Z", periods=100, freq="15min")
    kwh = np.full((20, 100), 1.0)
    kwh += 0.01 * np.random.default_rng(0).standard_normal(kwh.shape)
    kwh[0] = 0.0
    found = meter_anomalies(kwh, starts, fleet())
    assert found.loc[0, "severity"] == "high"
    assert found.loc[0, "evidence"]["zero_readings"] == 100
