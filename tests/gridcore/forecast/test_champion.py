"""The champion policy: the best candidate on the out-of-sample window, never one that loses to the naive."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gridcore.errors import InputError
from gridcore.forecast.champion import (
    NAIVE,
    CandidateScore,
    choose_model,
    mape_pct,
    mean_of_weeks,
    promotion,
    registry_status,
    score,
    screen_mstl,
    shares_of_weeks,
)


def _c(name: str, mape: float, naive: float = 4.0) -> CandidateScore:
    return CandidateScore(name, mape, naive, 672, "window")


def test_the_best_ratio_wins_and_every_candidate_is_reported() -> None:
    choice = choose_model([_c(NAIVE, 4.0), _c("mean_4w", 3.8), _c("lightgbm", 2.0), _c("mstl", 2.6)])
    assert choice.champion == "lightgbm" and choice.beats_naive
    d = choice.to_dict()
    assert [c["name"] for c in d["candidates"]] == ["lightgbm", "mstl", "mean_4w", NAIVE]
    assert d["candidates"][0]["ratio_to_naive"] == 0.5 and d["overall"] == []
    # candidates scored on other hours compare by their ratio to the naive on their own hours
    other = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 2.2), _c("mstl", 1.5, naive=2.0)])
    assert other.champion == "lightgbm"


def test_a_series_no_model_beats_is_reported_as_such() -> None:
    choice = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 4.4), _c("mean_4w", float("nan"))])
    assert choice.champion == NAIVE and not choice.beats_naive
    assert choice.to_dict()["candidates"][-1]["day_ahead_mape_pct"] is None
    tie = choose_model([_c("lightgbm", 4.0), _c(NAIVE, 4.0)])
    assert tie.champion == NAIVE and not tie.beats_naive
    with pytest.raises(InputError, match="must include"):
        choose_model([_c("lightgbm", 1.0)])


def test_the_registry_never_crowns_a_loser() -> None:
    won = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 2.0)])
    lost = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 3.0), _c("mean_4w", 2.8), _c("top_down", 2.5)])
    status, reason = registry_status(won, has_champion=False)
    assert status == "champion" and "2.00 %" in reason and NAIVE in reason
    status, reason = registry_status(lost, has_champion=False)
    assert status == "challenger" and reason.startswith("loses to mean_4w")
    # the top-down forecast is built on the system's model, not a simpler one: no reason to refuse
    above = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 3.0), _c("top_down", 2.5)])
    assert above.champion == "top_down" and registry_status(above, has_champion=False)[0] == "champion"
    assert registry_status(won, has_champion=True) is None
    assert promotion(2.0, 4.0) == (True, "MAPE 2.00 % < seasonal naive's 4.00 %")
    assert promotion(4.5, 4.0)[0] is False
    ok, why = promotion(2.0, 4.0, 1.5)
    assert not ok and "champion's 1.50 %" in why
    assert promotion(1.0, 4.0, 1.5)[0]


def test_scores_and_simple_candidates() -> None:
    assert mape_pct(np.array([100.0, 200.0, np.nan, 0.0]), np.array([110.0, 180.0, 1.0, 5.0])) == (10.0, 2)
    assert np.isnan(mape_pct(np.array([np.nan]), np.array([1.0]))[0])
    s = score("m", np.array([100.0, 100.0]), np.array([90.0, np.nan]), np.array([80.0, 70.0]), "x")
    assert (s.day_ahead_mape_pct, s.naive_mape_pct, s.n_hours) == (10.0, 20.0, 1)  # the same hours only
    assert s.ratio == 0.5 and _c("x", float("nan")).ratio == float("inf")
    load = np.arange(5 * 168, dtype=float)
    origin = np.array([4 * 168])
    # the mean of the same hour 1..4 weeks before: 2.5 weeks back on a ramp
    assert_allclose(mean_of_weeks(load, origin, 3)[0], 4 * 168 + np.arange(3) - 2.5 * 168)
    assert np.isnan(mean_of_weeks(load, np.array([0]), 2)).all()
    total = 2.0 * load + 1.0
    assert_allclose(
        shares_of_weeks(load, total, origin, 2)[0], load[3 * 168 : 3 * 168 + 2] / total[3 * 168 : 3 * 168 + 2]
    )


def test_the_verdict_on_mstl_holds_for_a_day_unless_mstl_won() -> None:
    import pandas as pd

    lost = {"issue_time": "2016-07-02T00:00Z", "champion": "lightgbm"}
    at = pd.Timestamp("2016-07-02T00:00Z")
    assert screen_mstl(None, at) and screen_mstl({}, at)  # no verdict yet
    assert not screen_mstl(lost, at)  # the same hour: held
    assert not screen_mstl(lost, at + pd.Timedelta(hours=23))
    assert screen_mstl(lost, at + pd.Timedelta(hours=24))  # a day old: screened afresh
    assert screen_mstl(lost, at - pd.Timedelta(hours=1))  # an earlier hour is not judged by a later verdict
    assert screen_mstl({**lost, "champion": "mstl"}, at + pd.Timedelta(hours=5))  # the winner stays in


def test_the_registry_keeps_the_latest_choice(tmp_path) -> None:
    import pandas as pd

    from gridcore.forecast.registry import ModelRegistry

    reg = ModelRegistry(tmp_path)
    assert reg.last_choice("MV2.101 Line 1") is None
    choice = choose_model([_c(NAIVE, 4.0), _c("lightgbm", 2.0), _c("mstl", 3.0)]).to_dict()
    assert reg.record_choice("MV2.101 Line 1", pd.Timestamp("2016-07-02T00:00Z"), choice)
    kept = reg.last_choice("MV2.101 Line 1")
    assert kept["issue_time"] == "2016-07-02T00:00Z" and kept["champion"] == "lightgbm"
    assert [c["name"] for c in kept["candidates"]] == ["lightgbm", "mstl", NAIVE]
    earlier = {**choice, "champion": "mstl"}
    assert not reg.record_choice("MV2.101 Line 1", pd.Timestamp("2016-07-01T05:00Z"), earlier)  # a backfill
    assert reg.last_choice("MV2.101 Line 1")["champion"] == "lightgbm"
    assert reg.record_choice("MV2.101 Line 1", pd.Timestamp("2016-07-03T00:00Z"), earlier)
    assert reg.last_choice("MV2.101 Line 1")["issue_time"] == "2016-07-03T00:00Z"
    assert reg.versions() == []  # a choice is no model version
