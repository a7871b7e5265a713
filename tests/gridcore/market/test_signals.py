"""Price signals from the forecast net load: TOU periods, CPP events on peak days, RTP from scarcity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.market.signals import price_signal, revenue_neutral

TIMES = pd.date_range("2016-07-04T00:00Z", periods=72, freq="h")
#: evening peak at 18 UTC, the second day the highest
SHAPE = 3 + 2 * np.exp(-(((TIMES.hour.to_numpy() - 18) / 2.0) ** 2))
NET = pd.Series(SHAPE * np.r_[np.ones(24), 1.2 * np.ones(24), 0.9 * np.ones(24)], index=TIMES)


def bill(sig, demand: np.ndarray) -> float:
    return float((sig.price_per_kwh * demand).sum())


def test_tou_peak_period_sits_on_the_daily_peak_and_is_revenue_neutral() -> None:
    sig = price_signal(NET, "tou")
    assert sig.params["peak_start_hour_utc"] in (16, 17)
    assert set(TIMES.hour[sig.peak_hours]) == set(
        range(sig.params["peak_start_hour_utc"], sig.params["peak_start_hour_utc"] + 4)
    )
    assert sig.params["peak_per_kwh"] / sig.params["offpeak_per_kwh"] == pytest.approx(2.5, rel=1e-3)
    assert bill(sig, NET.to_numpy()) == pytest.approx(0.30 * NET.sum())
    assert (sig.salience < 1).all()
    fixed = price_signal(NET, "tou", peak_price_per_kwh=0.5)
    assert fixed.price_per_kwh.max() == 0.5 and bill(fixed, NET.to_numpy()) == pytest.approx(0.30 * NET.sum())


def test_cpp_events_fall_on_the_forecast_peak_day() -> None:
    sig = price_signal(NET, "cpp")
    assert sig.params["event_days"] == 1
    ev = sig.events()
    assert ev == [{"start": "2016-07-05T16:00Z", "end": "2016-07-05T20:00Z"}]
    assert sig.price_per_kwh[sig.peak_hours].min() == 0.60
    assert (sig.salience[sig.peak_hours] == 1).all()
    assert bill(sig, NET.to_numpy()) == pytest.approx(0.30 * NET.sum())
    two = price_signal(NET, "cpp", cpp_threshold=0.8, max_event_days=2)
    assert two.params["event_days"] == 2 and two.peak_hours.sum() == 8


def test_cpp_calls_an_event_where_a_feeder_is_over_its_limit() -> None:
    feeders = pd.DataFrame({"f1": NET * 0.5, "f2": NET * 0.5}, index=TIMES)
    feeders.loc[TIMES[60], "f2"] = 10.0  # day 3 overloads f2
    sig = price_signal(NET, "cpp", feeder_net_mw=feeders, feeder_limit_mw=pd.Series({"f1": 9.0, "f2": 9.0}))
    assert sig.params["event_days"] == 2
    assert sig.peak_hours[48:].any()


def test_rtp_follows_scarcity_and_stays_in_bounds() -> None:
    sig = price_signal(NET, "rtp")
    p = sig.price_per_kwh
    assert (np.diff(p[np.argsort(NET.to_numpy())]) >= -1e-12).all()  # rises with the net load
    assert p.min() >= 0.05 and p.max() <= 2.0
    assert bill(sig, NET.to_numpy()) == pytest.approx(0.30 * NET.sum(), rel=1e-3)
    assert sig.peak_hours.any() and (sig.price_per_kwh[sig.peak_hours] >= 0.45).all()
    # near a feeder's limit the price climbs steeply
    feeders = pd.DataFrame({"f1": NET}, index=TIMES)
    tight = price_signal(
        NET, "rtp", feeder_net_mw=feeders, feeder_limit_mw=pd.Series({"f1": NET.max() * 1.02})
    )
    assert tight.price_per_kwh.max() > p.max()
    assert tight.params["utilisation_max"] == pytest.approx(1 / 1.02, abs=1e-4)


def test_flat_and_to_dict() -> None:
    sig = price_signal(NET, "flat")
    assert (sig.price_per_kwh == 0.30).all() and not sig.peak_hours.any()
    d = price_signal(NET, "cpp").to_dict()
    assert d["scheme"] == "cpp" and d["price_max_per_kwh"] == 0.6 and d["events"]
    assert len(sig.series()) == 72


def test_revenue_neutral_floor_and_bad_input() -> None:
    peak = np.r_[np.ones(1, bool), np.zeros(1, bool)]
    assert revenue_neutral(100.0, peak, np.array([1.0, 1.0]), 0.3) == pytest.approx(0.03)
    assert revenue_neutral(1.0, np.ones(2, bool), np.ones(2), 0.3) == 0.3
    with pytest.raises(InputError, match="scheme must be"):
        price_signal(NET, "dynamic")
    with pytest.raises(InputError, match="no hours"):
        price_signal(NET.iloc[:0], "tou")
    with pytest.raises(InputError, match="positive"):
        price_signal(NET, "cpp", peak_price_per_kwh=-1)
    with pytest.raises(InputError, match="naive"):
        price_signal(NET.tz_localize(None), "cpp")
