"""A forecast that was wrong: measure the hour's error, correct the next forecast, say why.

Each hourly run lands the hour's metered feeder load. :func:`check_forecast` compares it with what the
stored demand forecast said for that hour: per feeder and for the system, the error [%] and whether the
actual falls outside the forecast's 90 % band. When the system's error reaches a threshold the run
re-plans: :func:`correct_forecast` scales the next forecast by the observed ratio actual / forecast
(per feeder, the system's ratio for a series without its own), fading towards 1 with the lead time
(forecast errors persist for some hours, then the weather and the calendar take over again), and
the constraint look-ahead and the battery schedules after it are planned on the corrected forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import InputError

#: Error of the system's forecast from which an hourly run re-plans [%].
REPLAN_THRESHOLD_PCT = 10.0
#: e-folding time of the correction over the lead time [h].
CORRECTION_DECAY_H = 6.0
#: Quantiles bounding the band an actual is checked against.
BAND = (0.05, 0.95)


@dataclass(frozen=True)
class ForecastCheck:
    """The hour's actual load against its forecast.

    Attributes
    ----------
    hour : pd.Timestamp
        UTC hour start checked.
    issue_time : pd.Timestamp
        UTC issue time of the forecast checked.
    actual_mw : float
        System load metered in the hour [MW].
    forecast_mw : float
        System load forecast for the hour (median) [MW].
    band_mw : tuple of float
        The forecast's 5 % and 95 % quantiles for the hour [MW].
    error_pct : float
        ``100 * (actual / forecast - 1)`` [%]: positive when the load came in above the forecast.
    threshold_pct : float
        Error from which the run re-plans [%].
    ratios : dict of str to float
        Actual / forecast per feeder with a forecast series, and ``system``.
    outside_band : bool
        Whether the actual lies outside ``band_mw``.
    """

    hour: pd.Timestamp
    issue_time: pd.Timestamp
    actual_mw: float
    forecast_mw: float
    band_mw: tuple[float, float]
    error_pct: float
    threshold_pct: float
    ratios: dict[str, float] = field(default_factory=dict)
    outside_band: bool = False

    @property
    def replan(self) -> bool:
        """Whether the error is large enough to re-plan the hours ahead."""
        return abs(self.error_pct) >= self.threshold_pct

    def reason(self) -> str:
        """One line: the error, and what it means for the hours ahead."""
        side = "above" if self.error_pct >= 0 else "below"
        what = (
            f"actual {self.actual_mw:.3f} MW at {self.hour:%Y-%m-%dT%H:%MZ} is {abs(self.error_pct):.1f} % "
            f"{side} the forecast {self.forecast_mw:.3f} MW (issued {self.issue_time:%Y-%m-%dT%H:%MZ}, "
            f"90 % band {self.band_mw[0]:.3f}-{self.band_mw[1]:.3f} MW)"
        )
        if self.replan:
            return f"{what}: re-planned on the forecast corrected by x{self.ratios['system']:.3f}"
        return f"{what}: within {self.threshold_pct:g} %, plan kept"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: times ISO 8601 UTC, MW and % rounded, ``replan`` and ``reason``."""
        return {
            "hour": f"{self.hour:%Y-%m-%dT%H:%MZ}",
            "issue_time": f"{self.issue_time:%Y-%m-%dT%H:%MZ}",
            "actual_mw": round(self.actual_mw, 4),
            "forecast_mw": round(self.forecast_mw, 4),
            "band_mw": [round(b, 4) for b in self.band_mw],
            "error_pct": round(self.error_pct, 2),
            "outside_band": self.outside_band,
            "threshold_pct": self.threshold_pct,
            "replan": self.replan,
            "ratios": {k: round(v, 4) for k, v in self.ratios.items()},
            "reason": self.reason(),
        }


def _at_hour(forecast: xr.Dataset, hour: pd.Timestamp) -> xr.Dataset:
    """The forecast's values for one target hour (series x quantile), or InputError if it has none."""
    target = pd.DatetimeIndex(np.asarray(forecast["target_time"].values).ravel())
    naive = hour.tz_convert(None)
    hits = np.flatnonzero(target == naive)
    if len(hits) == 0:
        raise InputError(f"the demand forecast does not cover {hour:%Y-%m-%dT%H:%MZ}", field="target_time")
    return forecast.isel(issue_time=0, lead=int(hits[0]))


def check_forecast(
    actual_mw: pd.Series,
    forecast: xr.Dataset,
    hour: pd.Timestamp,
    threshold_pct: float = REPLAN_THRESHOLD_PCT,
) -> ForecastCheck:
    """Compare an hour's metered feeder load with its stored demand forecast.

    Parameters
    ----------
    actual_mw : pd.Series
        Mean active power per feeder in the hour [MW], indexed by feeder id.
    forecast : xr.Dataset
        A stored demand forecast (:func:`gridcore.forecast.store.read_demand_forecast`): ``point_mw``,
        ``quantile_mw``, ``target_time``; series ``system`` and ``feeder:<id>``.
    hour : pd.Timestamp
        The hour checked (tz-aware UTC, hour start).
    threshold_pct : float
        Error of the system's forecast from which to re-plan [%].

    Returns
    -------
    ForecastCheck

    Raises
    ------
    InputError
        A naive ``hour``, a forecast that does not cover it or has no ``system`` series, or no finite
        actual load.
    """
    if hour.tzinfo is None:
        raise InputError(f"hour {hour} has no UTC offset", field="hour")
    hour = hour.tz_convert("UTC")
    at = _at_hour(forecast, hour)
    series = [str(s) for s in at["series"].values]
    if "system" not in series:
        raise InputError("the demand forecast has no 'system' series", field="series")
    actual = actual_mw.astype(float).dropna()
    if actual.empty:
        raise InputError(f"no metered feeder load at {hour:%Y-%m-%dT%H:%MZ}", field="p_mw")
    point = pd.Series(at["point_mw"].values.astype(float), index=series)
    system_mw = float(actual.sum())
    ratios = {
        str(f): float(v / point[f"feeder:{f}"])
        for f, v in actual.items()
        if f"feeder:{f}" in point.index and point[f"feeder:{f}"] > 0
    }
    ratios["system"] = system_mw / float(point["system"])
    quantiles = at["quantile_mw"].sel(series="system")
    lo = float(quantiles.sel(quantile=BAND[0], method="nearest"))
    hi = float(quantiles.sel(quantile=BAND[1], method="nearest"))
    issue = pd.Timestamp(forecast["issue_time"].values[0]).tz_localize("UTC")
    return ForecastCheck(
        hour=hour,
        issue_time=issue,
        actual_mw=system_mw,
        forecast_mw=float(point["system"]),
        band_mw=(lo, hi),
        error_pct=100.0 * (ratios["system"] - 1.0),
        threshold_pct=threshold_pct,
        ratios=ratios,
        outside_band=not lo <= system_mw <= hi,
    )


def correct_forecast(
    forecast: xr.Dataset, ratios: dict[str, float], decay_h: float = CORRECTION_DECAY_H
) -> xr.Dataset:
    """A demand forecast scaled by observed actual / forecast ratios, fading with the lead time.

    Every series of a feeder (its head ``feeder:<id>`` and its load points) is multiplied at lead ``h`` by
    ``1 + (r - 1) * exp(-(h - 1) / decay_h)``, ``r`` the feeder's ratio (the system's for a series whose
    feeder has none, and for ``system`` itself); medians and quantiles alike.

    Parameters
    ----------
    forecast : xr.Dataset
        As :func:`check_forecast` takes it; coordinate ``feeder`` per series.
    ratios : dict of str to float
        :attr:`ForecastCheck.ratios`: per feeder id and ``system``.
    decay_h : float
        e-folding time of the correction [h] (> 0).

    Returns
    -------
    xr.Dataset
        A copy, with attribute ``corrected`` naming the ratio applied per feeder.

    Raises
    ------
    InputError
        No ``system`` ratio, a ratio that is not positive, or ``decay_h`` not above 0.
    """
    if "system" not in ratios:
        raise InputError("no system ratio to correct the forecast with", field="ratios")
    bad = [k for k, r in ratios.items() if not (np.isfinite(r) and r > 0)]
    if bad:
        raise InputError(f"ratio of {bad[0]} is {ratios[bad[0]]}: give a positive ratio", field="ratios")
    if not decay_h > 0:
        raise InputError(f"decay {decay_h} h: give more than 0 h", field="decay_h")
    feeders = [str(f) for f in forecast["feeder"].values]
    r = np.array([ratios.get(f, ratios["system"]) if f else ratios["system"] for f in feeders])
    lead = forecast["lead"].values.astype(float)
    fade = np.exp(-(lead - 1.0) / decay_h)
    factor = xr.DataArray(1.0 + (r[:, None] - 1.0) * fade[None, :], dims=("series", "lead"))
    out = forecast.copy()
    for name in ("point_mw", "quantile_mw"):
        out[name] = (forecast[name] * factor).astype(forecast[name].dtype)
        out[name].attrs = dict(forecast[name].attrs)
    out.attrs = {
        **forecast.attrs,
        "corrected": ", ".join(f"{k} x{v:.4f}" for k, v in sorted(ratios.items()))
        + f", fading over {decay_h:g} h",
    }
    return out
