"""Response models: the elasticity model's closed form, the saturating arc, published ranges, limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gridcore.errors import InputError
from gridcore.market.fit import PILOT_POINTS, fit_saturating, read_points, saturating
from gridcore.market.response import (
    DEFAULT_PARAMS,
    ClassResponse,
    elasticity_shift,
    fitted_params,
    respond,
)

TIMES = pd.date_range("2016-07-04T00:00Z", periods=48, freq="h")


def test_elasticity_two_periods_match_prism_closed_form() -> None:
    # one day: 20 h off-peak at 1 MW, 4 h peak at 2 MW; peak price 3x the off-peak
    base = np.r_[np.ones(20), 2 * np.ones(4)][:, None]
    ratio = np.r_[np.ones(20), 3 * np.ones(4)][:, None]
    sigma = -0.1
    out = elasticity_shift(base, ratio, np.zeros(24, dtype=int), sigma)
    # PRISM: ln(Qp/Qo) moves by sigma * ln(rp/ro), energy conserved
    qp, qo = out[20:].sum(), out[:20].sum()
    assert np.log(qp / qo) - np.log(8 / 20) == pytest.approx(sigma * np.log(3.0), abs=1e-12)
    assert out.sum() == pytest.approx(base.sum(), abs=1e-12)
    # closed form of the peak energy: E * s_p r^sigma / (s_o + s_p r^sigma)
    sp = 8 / 28
    assert qp == pytest.approx(28 * sp * 3**sigma / (1 - sp + sp * 3**sigma), abs=1e-12)


def test_elasticity_daily_elasticity_changes_energy_by_its_power_law() -> None:
    base = np.ones((24, 1))
    out = elasticity_shift(base, 2 * np.ones((24, 1)), np.zeros(24, dtype=int), -0.1, eta=-0.05)
    assert out.sum() == pytest.approx(24 * 2**-0.05)


def test_elasticity_model_conserves_energy_per_day_through_respond() -> None:
    base = 1 + 0.5 * np.sin(np.arange(48) / 24 * 2 * np.pi)
    price = np.where(TIMES.hour.isin([17, 18, 19, 20]), 0.9, 0.25)
    r = respond(base, price, TIMES, model="elasticity")
    for d in range(2):
        assert r.system_after_mw[24 * d : 24 * d + 24].sum() == pytest.approx(
            base[24 * d : 24 * d + 24].sum()
        )
    assert (r.system_after_mw[TIMES.hour == 18] < base[TIMES.hour == 18]).all()


def test_saturating_arc_matches_the_pilot_points() -> None:
    p = DEFAULT_PARAMS["residential"]
    price_only = ClassResponse(r_max=p.r_max, k=p.k, tech_share=0.0, optout=0.0)
    assert 100 * price_only.reduction(1.31) == pytest.approx(11.0, abs=0.5)  # 31 % rise: about 11 %
    assert 100 * price_only.reduction(19.75) == pytest.approx(13.0, abs=0.6)  # 1875 %: about 13 %
    # saturation: a 15-fold larger rise adds less than 3 points; a linear elasticity would add 15x
    assert price_only.reduction(19.75) - price_only.reduction(1.31) < 0.03
    assert price_only.reduction(1.0) == 0.0
    assert price_only.reduction(0.5) < 0  # a lower price adds load


def _cpp_event(peak_price: float) -> float:
    base = np.ones(48)
    event = (TIMES.hour >= 16) & (TIMES.hour < 20) & (TIMES.day == 4)
    price = np.where(event, peak_price, 0.28)
    sal = np.where(event, 1.0, 0.35)
    r = respond(base, price, TIMES, salience=sal)
    return 100 * (1 - r.system_after_mw[event].sum() / base[event].sum())


def test_default_cpp_and_tou_land_in_the_published_ranges() -> None:
    assert 13.0 <= _cpp_event(0.60) <= 20.0  # Faruqui & Sergici 2010: CPP 13-20 %
    base = np.ones(48)
    peak = (TIMES.hour >= 16) & (TIMES.hour < 20)
    r = respond(base, np.where(peak, 0.58, 0.23), TIMES, salience=np.full(48, 0.35))
    tou = 100 * (1 - r.system_after_mw[peak].sum() / base[peak].sum())
    assert 3.0 <= tou <= 6.0  # TOU 3-6 %


def test_response_saturates_at_extreme_prices() -> None:
    assert _cpp_event(0.30 * 19.75) - _cpp_event(0.30 * 2.0) < 1.0
    assert _cpp_event(0.30 * 1.31) < _cpp_event(0.60)


def test_automated_customers_reach_the_enabling_technology_band() -> None:
    p = DEFAULT_PARAMS["residential"]
    tech = ClassResponse(r_max=p.r_max, k=p.k, tech_share=1.0, optout=0.0)
    assert 27.0 <= 100 * tech.reduction(2.0) <= 44.0


def test_rebound_follows_the_event_and_limits_hold() -> None:
    base = np.ones(48)
    event = (TIMES.hour >= 16) & (TIMES.hour < 20) & (TIMES.day == 4)
    r = respond(base, np.where(event, 6.0, 0.30), TIMES, class_shares=np.array([[1.0, 0, 0, 0]]))
    after = r.system_after_mw
    assert (after[np.flatnonzero(event)[-1] + 1 : np.flatnonzero(event)[-1] + 5] > 1.0).all()
    assert r.rebound_mw.sum() == pytest.approx(0.5 * (1 - after[event]).sum(), rel=1e-9)
    assert (after >= 0).all()
    # flexible share bounds the change in every hour, whatever the model proposes
    r2 = respond(
        base, np.where(event, 50.0, 0.01), TIMES, model="elasticity", class_shares=np.array([[1.0, 0, 0, 0]])
    )
    assert (np.abs(r2.system_after_mw - 1.0) <= DEFAULT_PARAMS["residential"].flex_share + 1e-9).all()
    assert r2.system_after_mw.sum() == pytest.approx(48.0)


def test_critical_customers_do_not_respond() -> None:
    r = respond(np.ones(48), np.full(48, 3.0), TIMES, class_shares=np.array([[0, 0, 0, 1.0]]))
    assert_allclose(r.system_after_mw, 1.0)


def test_fitted_model_passes_through_the_pilot_points() -> None:
    r_max, k = fit_saturating(PILOT_POINTS)
    for ratio, pct in PILOT_POINTS:
        assert 100 * saturating(ratio, r_max, k) == pytest.approx(pct, abs=0.05)
    params = fitted_params()
    assert params["residential"].r_max == pytest.approx(r_max)
    r = respond(np.ones(48), np.full(48, 0.6), TIMES, model="fitted")
    assert r.model == "fitted" and (r.system_after_mw < 1).all()


def test_fit_on_more_points_is_least_squares(tmp_path) -> None:
    pts = pd.DataFrame({"price_ratio": [1.2, 1.5, 2, 4, 10], "reduction_pct": [6, 9, 11, 12.5, 13]})
    path = tmp_path / "pilots.csv"
    pts.to_csv(path, index=False)
    r_max, k = fit_saturating(read_points(path))
    resid = saturating(pts.price_ratio.to_numpy(), r_max, k) * 100 - pts.reduction_pct.to_numpy()
    assert np.sqrt((resid**2).mean()) < 1.0
    with pytest.raises(InputError, match="at least 2"):
        fit_saturating(((2.0, 10.0),))
    with pytest.raises(InputError, match="above 1"):
        fit_saturating(((0.5, 10.0), (2.0, 12.0)))
    path.write_text("price_ratio,reduction_pct\n2,x\n")
    with pytest.raises(InputError, match="row 0"):
        read_points(path)
    path.write_text("ratio,reduction_pct\n2,1\n")
    with pytest.raises(InputError, match="no column price_ratio"):
        read_points(path)


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="model must be"):
        respond(np.ones(48), np.ones(48), TIMES, model="linear")
    with pytest.raises(InputError, match="do not match"):
        respond(np.ones(48), np.ones(47), TIMES)
    with pytest.raises(InputError, match="positive") as err:
        respond(np.ones(48), np.r_[np.ones(5), 0, np.ones(42)], TIMES)
    assert err.value.row == 5
    with pytest.raises(InputError, match="not a finite number at row 2"):
        respond(np.r_[1, 1, np.nan, np.ones(45)], np.ones(48), TIMES)
    with pytest.raises(InputError, match="naive"):
        respond(np.ones(48), np.ones(48), TIMES.tz_localize(None))
    with pytest.raises(InputError, match="salience"):
        respond(np.ones(48), np.ones(48), TIMES, salience=np.ones(3))
    with pytest.raises(InputError, match="class_shares"):
        respond(np.ones(48), np.ones(48), TIMES, class_shares=np.ones((2, 4)))
    with pytest.raises(InputError, match="negative"):
        respond(np.ones(48), np.ones(48), TIMES, class_shares=-np.ones((1, 4)))
    with pytest.raises(InputError, match="reference"):
        respond(np.ones(48), np.ones(48), TIMES, reference_per_kwh=0)
    with pytest.raises(InputError, match="expected"):
        respond(np.ones((2, 2, 2)), np.ones(48), TIMES)
