"""One definition of the operating limits: the power flow, the time series and N-1 use the same bands."""

from __future__ import annotations

import math

import numpy as np
import pandapower as pp
import pytest

from gridcore.network import contingency, limits, powerflow
from gridcore.network.contingency import screening
from gridcore.network.limits import (
    DEFAULT_VOLTAGE_BANDS,
    band_per_bus,
    bands_by_kv,
    voltage_bands,
    voltage_level,
)
from gridcore.network.timeseries import Limits

#: Nominal voltages on both sides of every level boundary [kV], and buses without one.
VN = np.array([0.23, 0.4, 0.999, 1.0, 10.0, 20.0, 59.9, 60.0, 110.0, 219.0, 220.0, 380.0, np.nan, 0.0])
LEVELS = ["LV", "LV", "LV", "MV", "MV", "MV", "MV", "HV", "HV", "HV", "EHV", "EHV", "unknown", "unknown"]


def test_levels_and_default_bands() -> None:
    assert [voltage_level(v) for v in VN] == LEVELS
    lo, hi = band_per_bus(VN)
    expected = np.array([DEFAULT_VOLTAGE_BANDS[level] for level in LEVELS])
    np.testing.assert_array_equal(np.c_[lo, hi], expected)
    assert DEFAULT_VOLTAGE_BANDS["MV"] == (0.95, 1.05) and DEFAULT_VOLTAGE_BANDS["HV"] == (0.90, 1.10)


def test_every_consumer_takes_its_bands_from_limits() -> None:
    """The names the power flow exports, the time-series Limits and N-1's default are the same table."""
    assert powerflow.DEFAULT_VOLTAGE_BANDS is limits.DEFAULT_VOLTAGE_BANDS
    assert powerflow.VOLTAGE_LEVELS is limits.VOLTAGE_LEVELS
    assert powerflow.voltage_level is limits.voltage_level
    assert powerflow.DEFAULT_LOADING_LIMIT_PCT == Limits().loading_pct == limits.DEFAULT_LOADING_LIMIT_PCT
    known = VN[VN > 0]
    ts = np.vstack(Limits().band(known))
    n1_default = np.vstack(screening._band_per_bus(bus_net(known), None))
    n1_by_kv = np.vstack(screening._band_per_bus(bus_net(known), contingency.DEFAULT_VM_BAND))
    pf = np.array([DEFAULT_VOLTAGE_BANDS[voltage_level(v)] for v in known]).T
    for other in (n1_default, n1_by_kv):
        np.testing.assert_array_equal(ts, other)
    np.testing.assert_array_equal(ts, pf)


def test_overrides_apply_everywhere() -> None:
    mv = {"MV": (0.97, 1.03)}
    known = VN[VN > 0]
    expected = np.array([mv.get(voltage_level(v), DEFAULT_VOLTAGE_BANDS[voltage_level(v)]) for v in known]).T
    np.testing.assert_array_equal(np.vstack(Limits(voltage_bands=mv).band(known)), expected)
    np.testing.assert_array_equal(np.vstack(screening._band_per_bus(bus_net(known), mv)), expected)
    by_kv = bands_by_kv(mv)
    assert by_kv == {0.0: (0.95, 1.05), 1.0: (0.97, 1.03), 60.0: (0.90, 1.10), 220.0: (0.90, 1.10)}
    np.testing.assert_array_equal(np.vstack(screening._band_per_bus(bus_net(known), by_kv)), expected)


def test_bad_bands_name_the_level() -> None:
    with pytest.raises(ValueError, match="unknown level 'mv'; use one of LV, MV, HV, EHV, unknown"):
        voltage_bands({"mv": (0.9, 1.1)})
    with pytest.raises(ValueError, match="voltage band HV: lower bound 1.2 p.u. is not below upper"):
        voltage_bands({"HV": (1.2, 1.0)})
    assert voltage_bands() == DEFAULT_VOLTAGE_BANDS and voltage_bands() is not DEFAULT_VOLTAGE_BANDS
    assert math.isinf(limits.VOLTAGE_LEVELS[-1][1])


def bus_net(vn_kv: np.ndarray) -> pp.pandapowerNet:
    net = pp.create_empty_network()
    for v in vn_kv:
        pp.create_bus(net, vn_kv=float(v))
    return net
