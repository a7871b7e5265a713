"""Backtest scores: a hand-worked frame, and the JSON shape the CLI prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.backtest_scores import summarise


def test_summarise_scores_a_hand_worked_frame() -> None:
    # two leads, two origins: forecast errors 10 %, 10 %, 0, 0; the naive 20 % everywhere
    t = pd.date_range("2016-07-01", periods=4, freq="1h", tz="UTC")
    f = pd.DataFrame(
        {
            "origin": t[[0, 0, 2, 2]],
            "target": t,
            "lead": [1, 2, 1, 2],
            "actual": [100.0, 100.0, 100.0, 100.0],
            "forecast": [110.0, 90.0, 100.0, 100.0],
            "naive": [120.0, 80.0, 120.0, 80.0],
            "q0.05": 85.0,
            "q0.1": [95.0, 95.0, 101.0, 95.0],  # the third actual below its 80 % band
            "q0.5": 100.0,
            "q0.9": 105.0,
            "q0.95": 115.0,
        }
    )
    s = summarise(f, (0.05, 0.1, 0.5, 0.9, 0.95))
    assert s.mape_pct == 5.0 and s.mae_mw == 5.0 and s.rmse_mw == pytest.approx(np.sqrt(50), abs=1e-3)
    assert s.coverage_80_pct == 75.0 and s.coverage_90_pct == 100.0 and s.n_scored == 4
    assert s.baseline.mape_pct == 20.0 and s.skill_mape == 0.75  # 1 - 5 / 20
    assert [(p.lead_h, p.mape_pct, p.naive_mape_pct) for p in s.per_lead] == [(1, 5.0, 20.0), (2, 5.0, 20.0)]
    d = s.to_dict()  # the JSON shape: keys in the order the CLI prints them
    assert list(d)[:3] == ["mape_pct", "rmse_mw", "mae_mw"] and list(d)[-3:] == [
        "baseline",
        "skill_mape",
        "per_lead",
    ]
    assert d["baseline"] == {"name": "seasonal_naive_7d", "mape_pct": 20.0, "rmse_mw": 20.0, "mae_mw": 20.0}
    assert d["per_lead"][0] == {
        "lead_h": 1,
        "mape_pct": 5.0,
        "rmse_mw": 7.071,
        "coverage_80_pct": 50.0,
        "naive_mape_pct": 20.0,
    }
