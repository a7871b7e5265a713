"""Wind power forecasting from issued wind forecasts: the GEFCom2012 wind file format and a LightGBM model.

The file holds every forecast issue (one row per farm, hour and issue). A forecast from an origin reads
only forecasts issued at or before the origin: for each hour ahead the latest such issue is used, and the
age of that forecast (hours from its issue to the end of the hour) is a feature. Training rows are every
(farm, hour, issue) whose hour ended before the fit's origin, with the farm's power of the hour before
the issue (known at the issue) as the recent-power feature.

Wind components come in ``u<height>`` / ``v<height>`` column pairs (``u``/``v`` in GEFCom2012, whose height
the organisers do not give; ``u100_m_s``/``v100_m_s`` in a file with 100 m winds): each pair gives a speed
[m s-1] and the direction the wind comes *from* (meteorological, as sine and cosine), whatever the
file's own direction convention.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.renewables_model import fit_gbm, predict_gbm

#: Columns a wind file must have (plus at least one u/v pair).
REQUIRED = ("timestamp", "farm", "power", "issue_time", "horizon_h")


@dataclass
class WindData:
    """A wind file's power and issued forecasts per farm (:func:`wind_data`).

    Attributes
    ----------
    power : pd.DataFrame
        Hourly UTC index (interval start, complete), one column per farm: power [normalised, capacity 1].
    forecasts : pd.DataFrame
        One row per (farm, hour, issue): ``farm``, ``issue_time``, ``target`` (UTC hour start),
        ``age_h`` (issue to the end of the hour) [h] and the features of :data:`WindData.features`.
    features : list of str
        Forecast features: ``ws<h>`` [m s-1], ``wd<h>_sin``, ``wd<h>_cos`` [-], ``u<h>``, ``v<h>``
        [m s-1] per height ``<h>``, and ``ws_prev``, ``ws_next`` (same issue, hour before and after).
    heights : list of str
        Suffixes of the u/v pairs (``""`` for plain ``u``/``v``).
    source : str
    """

    power: pd.DataFrame
    forecasts: pd.DataFrame
    features: list[str]
    heights: list[str]
    source: str = ""

    @property
    def series(self) -> list[str]:
        """Farm ids."""
        return [str(c) for c in self.power.columns]


def _first(mask: pd.Series) -> int:
    """File row (1 = header) of the first true entry."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def wind_heights(columns: list[str]) -> list[str]:
    """Suffixes ``h`` for which both ``u<h>`` and ``v<h>`` are columns (``""`` for plain ``u``/``v``)."""
    return [c[1:] for c in columns if c.startswith("u") and "v" + c[1:] in columns]


def wind_data(raw: pd.DataFrame, heights: list[str], source: str = "") -> WindData:
    """Hourly power and the issued forecasts' features per farm from the rows of a wind file.

    Parameters
    ----------
    raw : pd.DataFrame
        Checked rows in the GEFCom2012 long format (:func:`gridcore.forecast.renewables_store.read_wind`
        reads a file into them): ``timestamp`` (tz-aware UTC, interval start of the power hour), ``farm``
        (text), ``power`` [normalised to capacity], ``issue_time`` (tz-aware UTC; NaT for an hour without
        forecast), ``horizon_h`` [h] and the wind components ``u<h>``, ``v<h>`` [m s-1] of ``heights``;
        one row per farm, hour and issue.
    heights : list of str
        Suffixes of the u/v pairs (:func:`wind_heights`), at least one.
    source : str
        Where the rows came from (a file name), kept with the data.

    Returns
    -------
    WindData

    Raises
    ------
    ValueError
        Naming the row whose ``horizon_h`` is empty or does not match its times
        (``issue_time + horizon_h`` must be ``timestamp + 1 h``).
    """
    has = raw["issue_time"].notna()
    if (has & raw["horizon_h"].isna()).any():
        row = _first(has & raw["horizon_h"].isna())
        raise InputError(f"wind file: horizon_h is empty at row {row}", field="horizon_h", row=row)
    valid = raw["issue_time"] + pd.to_timedelta(raw["horizon_h"], unit="h")
    bad = has & (valid != raw["timestamp"] + pd.Timedelta(hours=1))
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"wind file: horizon_h at row {r + 2} does not match the times "
            f"(issue_time + horizon_h must be timestamp + 1 h)",
            field="horizon_h",
            row=r + 2,
        )
    index = pd.date_range(raw["timestamp"].min(), raw["timestamp"].max(), freq="1h")
    hours = raw.drop_duplicates(["farm", "timestamp"])
    power = hours.pivot(index="timestamp", columns="farm", values="power").reindex(index)
    power.columns = [str(c) for c in power.columns]
    power.columns.name = None
    fc = raw[has].rename(columns={"timestamp": "target"})
    fc = fc.sort_values(["farm", "issue_time", "target"], kind="stable").reset_index(drop=True)
    fc["age_h"] = fc["horizon_h"].astype(float)
    features: list[str] = []
    for h in heights:
        u, v = fc[f"u{h}"].to_numpy(dtype=float), fc[f"v{h}"].to_numpy(dtype=float)
        direction = np.arctan2(-u, -v)  # where the wind comes from, clockwise from north
        fc[f"ws{h}"] = np.hypot(u, v)
        fc[f"wd{h}_sin"] = np.sin(direction)
        fc[f"wd{h}_cos"] = np.cos(direction)
        features += [f"ws{h}", f"wd{h}_sin", f"wd{h}_cos", f"u{h}", f"v{h}"]
    run = fc.groupby(["farm", "issue_time"], sort=False)[f"ws{heights[0]}"]
    fc["ws_prev"] = run.shift(1)
    fc["ws_next"] = run.shift(-1)
    features += ["ws_prev", "ws_next"]
    keep = ["farm", "issue_time", "target", "age_h", *features]
    return WindData(power, fc[keep], features, heights, source)


@dataclass
class WindForecaster:
    """Hourly wind power forecasts from the latest forecast issued before the origin, for every farm.

    Parameters
    ----------
    data : WindData
    capacity : float
        Capacity in the unit of the power (1 for normalised data).
    train_days : int
        Days of history per fit [days].
    max_rows : int
        Cap on training rows (a fixed-seed sample of the rows before the origin).
    params : dict, optional
        LightGBM settings for :class:`gridcore.forecast.models.GradientBoosted`.
    """

    data: WindData
    capacity: float = 1.0
    train_days: int = 365
    max_rows: int = 60_000
    params: dict[str, object] = field(default_factory=dict)
    _model: object = field(default=None, repr=False)

    kind = "wind"
    persistence = "last"

    @property
    def series(self) -> list[str]:
        """Farm ids."""
        return self.data.series

    @property
    def power(self) -> pd.DataFrame:
        """Hourly power per farm [unit of the power]."""
        return self.data.power

    def available(self) -> np.ndarray:
        """Hours of the power index for which every farm has at least one issued forecast."""
        fc = self.data.forecasts
        counts = fc.drop_duplicates(["farm", "target"]).groupby("target").size()
        return (counts.reindex(self.power.index, fill_value=0) >= len(self.series)).to_numpy()

    def _rows(self, fc: pd.DataFrame, p_last: np.ndarray, lead: np.ndarray) -> pd.DataFrame:
        doy = 2 * np.pi * fc["target"].dt.dayofyear.to_numpy() / 366.0
        x = fc[self.data.features].reset_index(drop=True)
        x["age_h"] = fc["age_h"].to_numpy()
        x["lead_h"] = lead
        x["p_last"] = p_last
        x["hour"] = fc["target"].dt.hour.to_numpy().astype(float)
        x["doy_sin"] = np.sin(doy)
        x["doy_cos"] = np.cos(doy)
        x["farm_id"] = fc["farm"].map({s: i for i, s in enumerate(self.series)}).to_numpy(dtype=float)
        return x

    def _power_at(self, farms: pd.Series, times: pd.Series) -> np.ndarray:
        """Power of each (farm, UTC hour start) [unit of the power]; NaN outside the data."""
        index = self.power.index
        pos = ((times - index[0]) // pd.Timedelta(hours=1)).to_numpy().astype(np.int64)
        col = farms.map({s: i for i, s in enumerate(self.series)}).to_numpy().astype(np.int64)
        ok = (pos >= 0) & (pos < len(index))
        out = np.full(len(pos), np.nan)
        out[ok] = self.power.to_numpy(dtype=float)[pos[ok], col[ok]]
        return out

    def fit(self, before: pd.Timestamp) -> WindForecaster:
        """Fit on the forecasts of hours before ``before`` (the last ``train_days``) with known power.

        Parameters
        ----------
        before : pd.Timestamp
            UTC; no power from it on and no forecast issued from it on is read.

        Returns
        -------
        WindForecaster
        """
        fc = self.data.forecasts
        first = before - pd.Timedelta(days=self.train_days)
        part = fc[(fc["target"] < before) & (fc["target"] >= first)]
        y = self._power_at(part["farm"], part["target"]) / self.capacity
        part, y = part[np.isfinite(y)], y[np.isfinite(y)]
        if len(y) < 100:
            raise InputError(
                "wind: fewer than 100 forecast hours with power before the origin", field="power"
            )
        if len(y) > self.max_rows:
            pick = np.sort(np.random.default_rng(0).choice(len(y), self.max_rows, replace=False))
            part, y = part.iloc[pick], y[pick]
        p_last = self._power_at(part["farm"], part["issue_time"] - pd.Timedelta(hours=1)) / self.capacity
        self._model = fit_gbm(self._rows(part, p_last, part["age_h"].to_numpy()), y, self.params)
        return self

    def predict(self, origin: pd.Timestamp, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Point forecast from ``origin`` for the next ``horizon`` hours, with the interval scale.

        Parameters
        ----------
        origin : pd.Timestamp
            UTC hour start of the first forecast hour; only forecasts issued at or before it are read.
        horizon : int
            Hours ahead.

        Returns
        -------
        (np.ndarray, np.ndarray)
            Forecast (farms, horizon) within [0, capacity] [unit of the power], and the error scale
            (farms, horizon) [-] (1: errors are in the unit of the power). An hour no issued forecast
            covers is forecast from the recent power and the calendar alone.
        """
        if self._model is None:
            raise RuntimeError("WindForecaster.predict before fit")
        fc = self.data.forecasts
        end = origin + pd.Timedelta(hours=horizon)
        part = fc[(fc["issue_time"] <= origin) & (fc["target"] >= origin) & (fc["target"] < end)]
        latest = part.drop_duplicates(["farm", "target"], keep="last")  # sorted by issue within a farm
        targets = pd.date_range(origin, periods=horizon, freq="1h")
        grid = pd.MultiIndex.from_product([self.series, targets], names=["farm", "target"])
        full = latest.set_index(["farm", "target"]).reindex(grid).reset_index()
        full["age_h"] = full["age_h"].astype(float)
        last = self._power_at(
            pd.Series(self.series), pd.Series([origin - pd.Timedelta(hours=1)] * len(self.series))
        )
        p_last = np.repeat(last / self.capacity, horizon)
        lead = np.tile(np.arange(1, horizon + 1), len(self.series)).astype(float)
        y = predict_gbm(self._model, self._rows(full, p_last, lead))
        point = np.clip(y, 0.0, 1.0).reshape(len(self.series), horizon) * self.capacity
        return point, np.ones_like(point)

    def describe(self) -> dict[str, object]:
        """Model name and settings, for reports."""
        return {
            "name": "lightgbm_issued_wind_forecasts",
            "heights": self.data.heights,
            "features": list(self.data.features),
            "train_days": self.train_days,
            "max_rows": self.max_rows,
            "issue_rule": "latest forecast issued at or before the origin",
        }
