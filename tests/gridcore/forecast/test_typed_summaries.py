"""Typed backtest summaries: the JSON they give is the JSON the untyped dicts gave, key for key.

The references in ``tests/data/summaries`` were written by the dict-returning code before the change
(``seconds`` left out: it is a wall time); run this module as a script to write them again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.forecast.backtest import backtest
from gridcore.forecast.models import GradientBoosted
from gridcore.forecast.renewables import backtest_renewables
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
    return backtest_renewables(f, horizon=6, test_days=2, calibration_days=3, until=pd.Timestamp("2013-04-20T00:00Z"))


RUNS = {"demand": lambda: _demand(False), "demand-flagged": lambda: _demand(True), "solar": _solar}


def _json(summary: object) -> str:
    plain = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)  # type: ignore[call-overload]
    plain.pop("seconds")
    return json.dumps(plain, default=str, indent=1)


if __name__ == "__main__":
    for name, run in RUNS.items():
        (REFERENCES / f"{name}.json").write_text(_json(run().summary) + "\n")
        print(name, file=sys.stderr)
