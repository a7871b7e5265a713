"""The demand-forecast summary: peaks with their interval, accuracy per kind, calibration, its JSON shape."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.demand import DEMAND_QUANTILES, DemandInputs, GroupForecast
from gridcore.forecast.demand_summary import (
    CALIBRATION_METHOD,
    DemandSummary,
    SeriesPeak,
    demand_summary,
)

ISSUE = pd.Timestamp("2016-07-01T00:00Z")
HORIZON = 6
SCORE_COLUMNS = (
    "day_ahead_mape_pct",
    "day_ahead_naive_mape_pct",
    "mape_pct",
    "naive_mape_pct",
    "coverage_80_pct",
)


def _scores(rows: dict[str, tuple[float, ...]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(SCORE_COLUMNS))


def _group(group: str, series: list[str], point: np.ndarray, scores: pd.DataFrame, **info) -> GroupForecast:
    spread = np.array(DEMAND_QUANTILES) - 0.5  # quantile q at point + (q - 0.5) MW
    quantiles = point[:, :, None] + spread[None, None, :]
    return GroupForecast(
        group=group,
        series=series,
        issue_time=ISSUE,
        point=point,
        quantiles=quantiles,
        scores=scores,
        model=None,
        train_start=ISSUE - pd.Timedelta(days=60),
        train_end=ISSUE,
        fitted=group == "system",
        info=info,
    )


@pytest.fixture
def case() -> tuple[DemandInputs, list[GroupForecast]]:
    catalog = pd.DataFrame(
        {"kind": ["system", "feeder", "load", "load"], "group": ["system", "f1", "f1", "f1"]},
        index=["system", "feeder:f1", "load:a", "load:b"],
    )
    issues = pd.DataFrame({"issue": ["ok"] * 5 + ["gap"] * 2})
    inputs = DemandInputs(catalog, pd.DataFrame(), pd.Series(dtype=float), issues, ISSUE, HORIZON)
    system = _group(
        "system",
        ["system"],
        np.array([[1.0, 3.0, 2.0, 5.0, 4.0, 1.0]]),
        _scores({"system": (2.0, 4.0, 3.0, 6.0, 80.0)}),
        weather="forecast",
        calibration_origins=28,
        evaluation_origins=40,
        history_days=120.0,
    )
    feeder = _group(
        "f1",
        ["feeder:f1", "load:a", "load:b"],
        np.array(
            [[0.5, 0.7, 0.9, 0.6, 0.4, 0.2], [9.0, 9.0, 9.0, 9.0, 9.0, 9.0], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]
        ),
        _scores(
            {
                "feeder:f1": (4.0, 8.0, 5.0, 10.0, 70.0),
                "load:a": (10.0, 20.0, 12.0, 22.0, 60.0),
                "load:b": (20.0, 30.0, 22.0, 32.0, 90.0),
            }
        ),
        weather="forecast",
        calibration_origins=21,
        evaluation_origins=33,
        history_days=90.5,
    )
    return inputs, [system, feeder]


def test_peaks_are_the_system_and_feeders_with_the_interval_at_the_peak(case) -> None:
    inputs, results = case
    s = demand_summary(inputs, results, "/store/demand_forecast/20160701T0000Z.zarr", 1.5)
    assert [p.series for p in s.peaks] == ["system", "feeder:f1"]  # load points left out
    system, feeder = s.peaks
    assert system == SeriesPeak(
        series="system",
        peak_mw=5.0,
        peak_time="2016-07-01T03:00Z",
        peak_p10_mw=4.6,
        peak_p90_mw=5.4,
        energy_mwh=16.0,
        day_ahead_mape_pct=2.0,
        day_ahead_naive_mape_pct=4.0,
        coverage_80_pct=80.0,
    )
    assert feeder.peak_time == "2016-07-01T02:00Z" and feeder.peak_mw == pytest.approx(0.9)
    assert feeder.energy_mwh == pytest.approx(3.3)


def test_accuracy_is_the_mean_per_kind_and_models_are_counted(case) -> None:
    inputs, results = case
    s = demand_summary(inputs, results, None, 1.5)
    assert s.series == 4 and s.groups == 2 and s.fitted == 1 and s.from_registry == 1
    load = s.accuracy["load"]
    assert load.series == 2
    assert (load.day_ahead_mape_pct, load.day_ahead_naive_mape_pct) == (15.0, 25.0)
    assert (load.mape_pct, load.naive_mape_pct, load.coverage_80_pct) == (17.0, 27.0, 75.0)
    assert s.accuracy["system"].mape_pct == 3.0 and s.accuracy["feeder"].coverage_80_pct == 70.0
    assert (s.calibration.origins_min, s.calibration.origins_max) == (21, 28)
    assert s.calibration.evaluation_origins_min == 33 and s.calibration.history_days_min == 90.5
    assert s.history_issues == {"ok": 5, "gap": 2} and s.weather == "forecast"


def test_to_dict_is_the_commands_json_shape(case) -> None:
    inputs, results = case
    s = demand_summary(inputs, results, "/w", 1.5)
    out = s.to_dict()
    assert list(out) == [
        "issue_time",
        "horizon_h",
        "series",
        "groups",
        "quantiles",
        "weather",
        "models",
        "accuracy_out_of_sample",
        "calibration",
        "history_issues",
        "champions",
        "peaks",
        "written",
        "seconds",
    ]
    assert out["issue_time"] == "2016-07-01T00:00Z" and out["horizon_h"] == HORIZON
    assert out["quantiles"] == list(DEMAND_QUANTILES) and out["models"] == {"fitted": 1, "from_registry": 1}
    assert out["accuracy_out_of_sample"]["system"] == {
        "series": 1,
        "day_ahead_mape_pct": 2.0,
        "day_ahead_naive_mape_pct": 4.0,
        "mape_pct": 3.0,
        "naive_mape_pct": 6.0,
        "coverage_80_pct": 80.0,
    }
    assert out["calibration"]["method"] == CALIBRATION_METHOD
    assert out["peaks"][0]["peak_mw"] == 5.0 and (out["written"], out["seconds"]) == ("/w", 1.5)
    assert "peaks" not in s.to_dict(peaks=False)
    assert json.loads(json.dumps(out)) == out  # plain JSON, nothing lost
    with pytest.raises(AttributeError):
        s.seconds = 2.0  # frozen


def test_a_summary_without_group_info_has_empty_calibration(case) -> None:
    inputs, results = case
    bare = [
        GroupForecast(**{**r.__dict__, "info": {}})  # forecasts whose run reported nothing about calibration
        for r in results
    ]
    s = demand_summary(inputs, bare, None, 0.0)
    assert isinstance(s, DemandSummary) and s.weather is None
    assert (s.calibration.origins_min, s.calibration.history_days_min) == (0, 0.0)
