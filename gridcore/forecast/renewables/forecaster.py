"""What a renewable backtest forecasts with: the forecaster protocol.

A solar or wind file is read into one by :func:`gridcore.forecast.renewables.store.renewable_forecaster`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd


class Forecaster(Protocol):
    """What :func:`backtest_renewables` needs: a solar or wind forecaster."""

    kind: str
    capacity: float
    persistence: str

    @property
    def series(self) -> list[str]: ...  # noqa: D102

    @property
    def power(self) -> pd.DataFrame: ...  # noqa: D102

    def available(self) -> np.ndarray: ...  # noqa: D102

    def fit(self, before: pd.Timestamp) -> object: ...  # noqa: D102

    def predict(self, origin: pd.Timestamp, horizon: int) -> tuple[np.ndarray, np.ndarray]: ...  # noqa: D102

    def describe(self) -> dict[str, object]: ...  # noqa: D102
