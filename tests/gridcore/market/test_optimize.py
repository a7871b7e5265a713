"""The optimized signal: reaches the peak target with less bill impact than CPP; objectives and frontier."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.market.evaluate import evaluate_months, month_hours
from gridcore.market.metrics import bill_impact_pct
from gridcore.market.objectives import cpp_at_target, frontier
from gridcore.market.optimize import Weights, optimize_signal


def test_optimized_signal_reaches_10_pct_with_less_bill_impact_than_cpp(summer_week) -> None:
    cpp, reached = cpp_at_target(summer_week, 10.0)
    assert reached and cpp.metrics["net_peak_reduction_pct"] >= 10.0 - 1e-6
    p = cpp.signal.params
    opt = optimize_signal(summer_week, 10.0, extra_levels_per_kwh=(p["peak_per_kwh"], p["offpeak_per_kwh"]))
    m = opt.result.metrics
    assert opt.status == "optimal"
    assert m["net_peak_reduction_pct"] >= 10.0 - 1e-6
    ours = bill_impact_pct(m["bill_change_pct"])
    theirs = bill_impact_pct(cpp.metrics["bill_change_pct"])
    assert ours < theirs
    d = opt.to_dict()
    assert d["scheme"] == "optimized" and d["optimization"]["target_peak_reduction_pct"] == 10.0


def test_weights_trade_bill_impact_for_peak(two_days) -> None:
    table = frontier(two_days, (Weights(bill=1.0), Weights(bill=0.2, peak=0.8)))
    assert list(table.columns[:2]) == ["label", "w_bill"]
    bill_only, peak_heavy = table.iloc[0], table.iloc[1]
    assert bill_only.bill_impact_pct == pytest.approx(0.0, abs=1e-6)
    assert peak_heavy.peak_reduction_pct > bill_only.peak_reduction_pct + 1.0
    assert peak_heavy.bill_impact_pct > bill_only.bill_impact_pct
    assert (table.status == "optimal").all()


def test_unreachable_target_and_bad_target(two_days) -> None:
    cpp, reached = cpp_at_target(two_days, 60.0)
    assert not reached and cpp.metrics["net_peak_reduction_pct"] < 60.0
    with pytest.raises(InputError, match="target peak reduction"):
        optimize_signal(two_days, 120.0)


def test_evaluate_months_tabulates_every_strategy(two_days) -> None:
    grid = two_days.grid
    table = evaluate_months(grid, {"winter": "2016-02"}, 10.0)
    assert list(table.scheme) == ["flat", "tou", "cpp", "rtp", "cpp_at_target", "optimized"]
    assert table.attrs["months"] == {"winter": "2016-02"}
    row = table.set_index("scheme")
    assert row.loc["flat", "peak_reduction_pct"] == 0.0
    assert 3.0 <= row.loc["tou", "peak_reduction_pct"] <= 6.0
    assert 13.0 <= row.loc["cpp", "peak_reduction_pct"] <= 20.0
    assert row.loc["optimized", "reached"]
    assert row.loc["optimized", "bill_impact_pct"] <= row.loc["cpp_at_target", "bill_impact_pct"] + 1e-9
    assert month_hours("2016-02") == (pd.Timestamp("2016-02-01T00:00Z"), 29 * 24)
    with pytest.raises(InputError, match="YYYY-MM"):
        month_hours("Feb")
