"""A forecast that was wrong: the check against the metered hour and the correction that fades with lead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.errors import InputError
from gridcore.lookahead.replan import check_forecast, correct_forecast

ISSUE = pd.Timestamp("2016-07-02T00:00Z")
QUANTILES = (0.05, 0.1, 0.5, 0.9, 0.95)


def _forecast(horizon: int = 24) -> xr.Dataset:
    """system 6 MW = feeder A 4 MW (with its load point) + feeder B 2 MW; bands +-10 % / +-5 %."""
    series = ["system", "feeder:A", "load:a1", "feeder:B"]
    level = np.array([6.0, 4.0, 4.0, 2.0])
    point = np.repeat(level[:, None], horizon, axis=1)
    spread = np.array([-0.10, -0.05, 0.0, 0.05, 0.10])
    quant = point[:, :, None] * (1 + spread[None, None, :])
    target = pd.date_range(ISSUE, periods=horizon, freq="h").tz_convert(None)
    return xr.Dataset(
        {
            "point_mw": (("series", "issue_time", "lead"), point[:, None, :].astype("float32")),
            "quantile_mw": (("series", "issue_time", "lead", "quantile"), quant[:, None].astype("float32")),
        },
        coords={
            "series": series,
            "issue_time": [ISSUE.tz_convert(None)],
            "lead": np.arange(1, horizon + 1),
            "quantile": list(QUANTILES),
            "target_time": (("issue_time", "lead"), target.values[None, :]),
            "feeder": ("series", ["", "A", "A", "B"]),
        },
        attrs={"grid": "test"},
    )


def test_actuals_15_pct_above_the_forecast_call_for_a_replan() -> None:
    hour = ISSUE + pd.Timedelta(hours=5)
    check = check_forecast(pd.Series({"A": 4.6, "B": 2.3}), _forecast(), hour)
    assert check.actual_mw == pytest.approx(6.9) and check.forecast_mw == pytest.approx(6.0)
    assert check.error_pct == pytest.approx(15.0, abs=1e-4)
    assert check.ratios["A"] == pytest.approx(1.15) and check.ratios["system"] == pytest.approx(1.15)
    assert check.outside_band and check.band_mw == pytest.approx((5.4, 6.6), abs=1e-5)
    assert check.replan
    out = check.to_dict()
    assert out["replan"] is True and out["hour"] == "2016-07-02T05:00Z"
    assert "15.0 % above" in out["reason"] and "re-planned" in out["reason"]


def test_a_small_error_keeps_the_plan_and_says_so() -> None:
    check = check_forecast(pd.Series({"A": 3.9, "B": 1.95}), _forecast(), ISSUE)
    assert check.error_pct == pytest.approx(-2.5, abs=1e-4) and not check.replan and not check.outside_band
    assert "below" in check.reason() and "plan kept" in check.reason()


def test_the_correction_scales_each_feeder_and_fades_with_lead() -> None:
    ds = _forecast(12)
    out = correct_forecast(ds, {"A": 1.2, "system": 1.1}, decay_h=3.0)
    point = out["point_mw"].isel(issue_time=0)
    # lead 1 takes the whole ratio, lead 4 exp(-1) of it; feeder B has none of its own: the system's
    assert float(point.sel(series="feeder:A", lead=1)) == pytest.approx(4.8, rel=1e-6)
    assert float(point.sel(series="load:a1", lead=4)) == pytest.approx(4 * (1 + 0.2 * np.exp(-1)), rel=1e-6)
    assert float(point.sel(series="feeder:B", lead=1)) == pytest.approx(2.2, rel=1e-6)
    assert float(point.sel(series="system", lead=12)) == pytest.approx(
        6 * (1 + 0.1 * np.exp(-11 / 3)), rel=1e-6
    )
    q = out["quantile_mw"].isel(issue_time=0).sel(series="feeder:A", lead=1).values
    np.testing.assert_allclose(q, 4.8 * (1 + np.array([-0.1, -0.05, 0, 0.05, 0.1])), rtol=1e-6)
    assert "A x1.2000" in out.attrs["corrected"] and out.attrs["grid"] == "test"
    xr.testing.assert_identical(ds, _forecast(12))  # the input is not changed


def test_bad_input_names_the_field() -> None:
    ds = _forecast()
    with pytest.raises(InputError, match="does not cover"):
        check_forecast(pd.Series({"A": 1.0}), ds, ISSUE + pd.Timedelta(days=3))
    with pytest.raises(InputError, match="UTC offset"):
        check_forecast(pd.Series({"A": 1.0}), ds, pd.Timestamp("2016-07-02T00:00"))
    with pytest.raises(InputError, match="no metered"):
        check_forecast(pd.Series({"A": np.nan}), ds, ISSUE)
    with pytest.raises(InputError, match="system"):
        check_forecast(pd.Series({"A": 1.0}), ds.sel(series=["feeder:A"]), ISSUE)
    with pytest.raises(InputError, match="no system ratio"):
        correct_forecast(ds, {"A": 1.1})
    with pytest.raises(InputError, match="positive"):
        correct_forecast(ds, {"system": -1.0})
    with pytest.raises(InputError, match="decay"):
        correct_forecast(ds, {"system": 1.1}, decay_h=0)
