"""Typed backtest summaries: the JSON they give is the JSON the untyped dicts gave, key for key.

The references in ``tests/data/summaries`` were written by the dict-returning code before the change
(``seconds`` left out: it is a wall time); run this module as a script to write them again.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.backtest import BacktestScores, BacktestSummary, backtest
from gridcore.forecast.models import GradientBoosted
from gridcore.forecast.renewables import RenewableBacktestSummary, RenewableScores, backtest_renewables
from gridcore.forecast.renewables_store import read_solar
from gridcore.forecast.solar import SolarForecaster

DATA = Path(__file__).parents[2] / "data"
REFERENCES = DATA / "summaries"


def _load(days: int = 40) -> pd.DataFrame:
    """A daily cycle with noise and a temperature (UTC)."""
    idx = pd.date_range("2012-01-01", periods=24 * days, freq="1h", tz="UTC")
    rng = np.random.default_rng(3)
    temp = 10 + 5 * np.sin(2 * np.pi * (idx.hour.to_numpy() - 9) / 24) + rng.normal(0, 1, len(idx))
    load = 1000 + 250 * ((idx.hour >= 6) & (idx.hour < 22)) + 6 * np.maximum(12 - temp, 0)
    return pd.DataFrame({"load_mw": load + rng.normal(0, 15, len(idx)), "temperature_c": temp}, index=idx)


def _demand(flagged: bool):
    df = _load()
    marks = None
    if flagged:
        marks = np.zeros(len(df), dtype=bool)
        marks[[24 * 20 + 12, 24 * 38 + 3]] = True
    kw = {"horizon": 24, "test_days": 3, "calibration_days": 3, "train_days": 20, "refit_days": 7}
    return backtest(df, GradientBoosted(n_estimators=15), tz="UTC", workers=1, flagged=marks, **kw)


def _solar():
    solar = read_solar(DATA / "renewables" / "gefcom2014_solar_slice.csv.gz")
    places = {"1": (-22.0, 157.0), "2": (-22.0, 142.0)}
    f = SolarForecaster(solar, places, train_days=30, params={"n_estimators": 20})
    until = pd.Timestamp("2013-04-20T00:00Z")
    return backtest_renewables(f, horizon=6, test_days=2, calibration_days=3, until=until)


RUNS = {"demand": lambda: _demand(False), "demand-flagged": lambda: _demand(True), "solar": _solar}


def _json(summary: object) -> str:
    plain = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)  # type: ignore[call-overload]
    plain.pop("seconds")
    return json.dumps(plain, default=str, indent=1)


@pytest.fixture(scope="module", params=list(RUNS))
def run(request: pytest.FixtureRequest):
    return request.param, RUNS[request.param]()


def test_the_json_is_the_json_the_dict_gave(run) -> None:
    name, result = run
    reference = (REFERENCES / f"{name}.json").read_text()
    assert _json(result.summary) + "\n" == reference  # keys, order and values, digit for digit


def test_the_summary_is_typed_and_still_reads_as_its_dict(run) -> None:
    name, result = run
    s = result.summary
    kind = RenewableBacktestSummary if name == "solar" else BacktestSummary
    assert isinstance(s, kind) and dataclasses.is_dataclass(s)
    d = s.to_dict()
    assert dict(s) == d and list(s) == list(d) and len(s) == len(d)
    assert {**s} == d and json.loads(json.dumps(d)) == d  # plain JSON data all through
    assert isinstance(s.seconds, float) and d["seconds"] == s.seconds >= 0
    assert d["n_origins"] == s.n_origins == (2 if name == "solar" else 3)
    if name == "solar":
        assert isinstance(s.scores, RenewableScores) and s["nmae_pct"] == s.scores.nmae_pct
        assert s.kind == "solar" and s.series == ["1", "2"] and s.horizon_h == 6
    else:
        assert isinstance(s.scores, BacktestScores) and s["mape_pct"] == s.scores.mape_pct
        flagged = name == "demand-flagged"
        assert ("flagged_hours_in_test" in s) is flagged
        assert s.flagged_hours_in_test == (1 if flagged else None)
        assert s.flagged_hours_excluded_from_fits == (2 if flagged else None)


def test_the_stores_keep_the_json(run, tmp_path: Path) -> None:
    import xarray as xr

    from gridcore.forecast.store import write_backtest, write_renewable_backtest

    name, result = run
    if name == "solar":
        path = write_renewable_backtest(str(tmp_path), result.forecasts, result.summary, name)
    else:
        path = write_backtest(str(tmp_path), result, name)
    with xr.open_zarr(path) as ds:
        assert json.loads(ds.attrs["summary"]) == result.summary.to_dict()


if __name__ == "__main__":
    for name, make in RUNS.items():
        (REFERENCES / f"{name}.json").write_text(_json(make().summary) + "\n")
