"""Features for direct multi-horizon demand forecasts, anchored at the forecast origin.

A forecast issued at origin ``o`` for target hour ``t = o + lead - 1 h`` may use only what is known at
``o``: load up to ``o`` and weather as the provider gives it at ``o`` (observed before ``o``, forecast
after). The rows of the design matrix are (origin, lead) pairs, so one model serves every lead and the
lead is a feature. Load features are divided by the origin's level (the mean load of the 24 hours before
the origin) and the target is the ratio to that level, so trees need not extrapolate a trend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

#: Base temperature of heating and cooling degree hours [°C].
BALANCE_TEMP_C = 18.0


def calendar(times: pd.DatetimeIndex, tz: str) -> dict[str, np.ndarray]:
    """Calendar features in local time.

    Parameters
    ----------
    times : pd.DatetimeIndex
        UTC target hours.
    tz : str
        IANA time zone of the load (e.g. ``America/New_York``); demand follows the local clock.

    Returns
    -------
    dict of str to np.ndarray
        ``hour``, ``dow`` (0 = Monday), ``doy``, ``holiday`` (1 on US federal holidays), ``special``
        (the day after Thanksgiving, 24, 26 and 31 December), ``offday`` (weekend, holiday or special).
    """
    local = times.tz_convert(tz)
    days = local.normalize().tz_localize(None)
    holidays = USFederalHolidayCalendar().holidays(days.min() - pd.Timedelta(days=1), days.max())
    holiday = days.isin(holidays)
    thanksgiving = holidays[(holidays.month == 11) & (holidays.day >= 22)]
    special = days.isin(thanksgiving + pd.Timedelta(days=1)) | (
        (days.month == 12) & np.isin(days.day, [24, 26, 31])
    )
    dow = local.dayofweek.to_numpy()
    return {
        "hour": local.hour.to_numpy(),
        "dow": dow,
        "doy": local.dayofyear.to_numpy(),
        "holiday": holiday.astype(np.int8),
        "special": np.asarray(special, dtype=np.int8),
        "offday": ((dow >= 5) | holiday | special).astype(np.int8),
    }


_CALENDARS: dict[tuple[int, int, int, str], dict[str, np.ndarray]] = {}


def _calendar_of(index: pd.DatetimeIndex, tz: str) -> dict[str, np.ndarray]:
    """:func:`calendar` of a whole index, memoised (many series share one index; the holidays are slow)."""
    key = (int(index[0].value), int(index[-1].value), len(index), tz)
    if key not in _CALENDARS:
        if len(_CALENDARS) > 32:
            _CALENDARS.clear()
        _CALENDARS[key] = calendar(index, tz)
    return _CALENDARS[key]


def design(
    load: np.ndarray,
    temperature: np.ndarray,
    index: pd.DatetimeIndex,
    origins: np.ndarray,
    horizon: int,
    tz: str,
    weather_at_origin: dict[int, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The design matrix of (origin, lead) rows.

    Parameters
    ----------
    load : np.ndarray
        Hourly load [MW] on ``index`` (NaN in gaps).
    temperature : np.ndarray
        Hourly observed temperature [°C] on ``index`` (mean of the stations when several).
    index : pd.DatetimeIndex
        Regular hourly UTC index of ``load``.
    origins : np.ndarray of int
        Positions in ``index`` of the forecast origins (the first forecast hour).
    horizon : int
        Leads 1..horizon [h].
    tz : str
        Local time zone for the calendar.
    weather_at_origin : dict of int to np.ndarray, optional
        For an origin position, the temperature as known at that origin (observed before it, forecast
        after) over positions ``origin - WEATHER_LOOKBACK_H`` to ``origin + horizon``; the observed
        series is used for origins not in the mapping.

    Returns
    -------
    pd.DataFrame
        One row per (origin, lead), origin-major: ``origin`` and ``target`` (positions), ``level`` [MW],
        ``y`` (target load / level, NaN if unknown) and the features.
    """
    n_o = len(origins)
    lead = np.tile(np.arange(1, horizon + 1), n_o)
    o = np.repeat(origins, horizon)
    t = o + lead - 1
    n = len(load)
    ok = t < n
    t_c = np.minimum(t, n - 1)

    csum = np.concatenate([[0.0], np.nancumsum(load)])
    cnt = np.concatenate([[0], np.cumsum(np.isfinite(load))])

    def mean_before(hours: int) -> np.ndarray:
        lo = np.maximum(o - hours, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (csum[o] - csum[lo]) / (cnt[o] - cnt[lo])

    def at(pos: np.ndarray) -> np.ndarray:
        good = (pos >= 0) & (pos < n)
        out = np.full(pos.shape, np.nan)
        out[good] = load[pos[good]]
        return out

    level = mean_before(168)
    last_day = t - 24 * np.ceil(lead / 24.0).astype(np.int64)  # latest same clock hour known at o
    last_week = t - 168 * np.ceil(lead / 168.0).astype(np.int64)
    prev_day = np.stack([at(o - k) for k in range(1, 25)])
    feats: dict[str, np.ndarray] = {
        "origin": o,
        "target": t,
        "lead": lead,
        "level": level,
        "same_hour_last_day": at(last_day) / level,
        "same_hour_2_days": at(last_day - 24) / level,
        "same_hour_3_days": at(last_day - 48) / level,
        "same_hour_last_week": at(last_week) / level,
        "same_hour_2_weeks": at(last_week - 168) / level,
        "same_hour_mean7": np.nanmean(np.stack([at(last_day - 24 * k) for k in range(7)]), axis=0) / level,
        "same_hour_mean4w": np.nanmean(np.stack([at(last_week - 168 * k) for k in range(4)]), axis=0) / level,
        "last_hour": at(o - 1) / level,
        "last24_mean": mean_before(24) / level,
        "prev_day_max": np.nanmax(prev_day, axis=0) / level,
        "prev_day_min": np.nanmin(prev_day, axis=0) / level,
    }
    temp = _temperature_rows(temperature, origins, horizon, t_c, weather_at_origin)
    feats.update(temp)
    feats["dtemp_last_day"] = temp["temp"] - _temp_at(temperature, last_day)
    feats["dtemp_last_week"] = temp["temp"] - _temp_at(temperature, last_week)
    feats.update(_level_degree_hours(np.asarray(temperature, dtype=float), o))
    cal_index = _calendar_of(index, tz)
    feats.update({k: v[t_c] for k, v in cal_index.items()})
    cal_all = cal_index["offday"]
    feats["offday_last_day"] = cal_all[np.clip(last_day, 0, n - 1)]
    feats["offday_last_week"] = cal_all[np.clip(last_week, 0, n - 1)]
    y = np.where(ok, at(t_c), np.nan) / level
    feats["y"] = y
    return pd.DataFrame(feats)


#: Hours of temperature history a row's features reach back (the 48 h EWM is truncated there).
WEATHER_LOOKBACK_H = 240


def _temp_at(temperature: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Observed temperature at positions (known: they are before the origin)."""
    out = np.full(pos.shape, np.nan)
    good = (pos >= 0) & (pos < len(temperature))
    out[good] = temperature[pos[good]]
    return out


def _level_degree_hours(temperature: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
    """Mean heating and cooling degree hours of the week before each row's origin [°C].

    The week the ``level`` is the mean load of: a row's temperature against these says how much warmer
    or colder the target is than the days its level was made of (observed weather, known at the origin).
    """
    n = len(temperature)
    out = {}
    for name, dh in (
        ("hdh_level", np.maximum(BALANCE_TEMP_C - temperature, 0.0)),
        ("cdh_level", np.maximum(temperature - BALANCE_TEMP_C, 0.0)),
    ):
        csum = np.concatenate([[0.0], np.nancumsum(dh)])
        cnt = np.concatenate([[0], np.cumsum(np.isfinite(dh))])
        hi = np.clip(o, 0, n)
        lo = np.clip(o - 168, 0, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = (csum[hi] - csum[lo]) / (cnt[hi] - cnt[lo])
    return out


def _temp_features(temp: np.ndarray) -> dict[str, np.ndarray]:
    """Temperature features of a series (1-D) or of the columns of an array (2-D, time along axis 0).

    Columns are computed one by one by the same pandas kernels, so a column gives exactly the figures
    of the 1-D series alone.
    """
    s = pd.DataFrame(temp) if temp.ndim == 2 else pd.Series(temp)
    hdh = np.maximum(BALANCE_TEMP_C - temp, 0.0)
    cdh = np.maximum(temp - BALANCE_TEMP_C, 0.0)
    frame = pd.DataFrame if temp.ndim == 2 else pd.Series
    return {
        "temp": temp,
        "temp_lag1": s.shift(1).to_numpy(),
        "temp_lag2": s.shift(2).to_numpy(),
        "temp_lag3": s.shift(3).to_numpy(),
        "temp_lag24": s.shift(24).to_numpy(),
        "temp_ma6": s.rolling(6, min_periods=3).mean().to_numpy(),
        "temp_ma24": s.rolling(24, min_periods=12).mean().to_numpy(),
        "temp_ewm12": s.ewm(halflife=12).mean().to_numpy(),
        "temp_ewm48": s.ewm(halflife=48).mean().to_numpy(),
        "temp_max24": s.rolling(24, min_periods=12).max().to_numpy(),
        "temp_min24": s.rolling(24, min_periods=12).min().to_numpy(),
        "hdh": hdh,
        "cdh": cdh,
        "hdh_ma24": frame(hdh).rolling(24, min_periods=12).mean().to_numpy(),
        "cdh_ma24": frame(cdh).rolling(24, min_periods=12).mean().to_numpy(),
    }


def _temperature_rows(
    temperature: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    t: np.ndarray,
    weather_at_origin: dict[int, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Temperature features per row, from the series known at each row's origin.

    ``weather_at_origin[o]`` covers positions ``o - WEATHER_LOOKBACK_H`` to ``o + horizon`` (exclusive).
    The last result is memoised on the identity of the inputs: the series of a group share one
    temperature and one set of origins, and these features are most of the cost of a design.
    """
    key = (temperature, weather_at_origin, origins.tobytes(), horizon, len(t))
    last = _TEMP_ROWS.get("last")
    same_objects = last is not None and last[0][0] is key[0] and last[0][1] is key[1]
    if same_objects and last[0][2:] == key[2:]:
        return {k: v.copy() for k, v in last[1].items()}
    out = {k: v[t].copy() for k, v in _temp_features(temperature).items()}
    # the origins with their own weather, by length of that series: one 2-D computation per length
    groups: dict[int, list[int]] = {}
    for i, origin in enumerate(origins):
        known = (weather_at_origin or {}).get(int(origin))
        if known is not None:
            groups.setdefault(len(known), []).append(i)
    for members in groups.values():
        idx = np.array(members)
        known = np.stack([np.asarray(weather_at_origin[int(origins[i])], dtype=float) for i in idx], axis=1)
        rows = (idx[:, None] * horizon + np.arange(horizon)).reshape(-1)
        local = t[rows] - (np.repeat(origins[idx], horizon) - WEATHER_LOOKBACK_H)
        column = np.repeat(np.arange(len(idx)), horizon)
        for k, v in _temp_features(known).items():
            out[k][rows] = v[local, column]
    _TEMP_ROWS["last"] = (key, out)
    return {k: v.copy() for k, v in out.items()}


_TEMP_ROWS: dict[str, tuple] = {}


#: Feature columns of the gradient-boosted model.
FEATURES = [
    "lead",
    "level",
    "same_hour_last_day",
    "same_hour_2_days",
    "same_hour_3_days",
    "same_hour_last_week",
    "same_hour_2_weeks",
    "same_hour_mean7",
    "same_hour_mean4w",
    "last_hour",
    "last24_mean",
    "prev_day_max",
    "prev_day_min",
    "temp",
    "temp_lag1",
    "temp_lag2",
    "temp_lag3",
    "temp_lag24",
    "temp_ma6",
    "temp_ma24",
    "temp_ewm12",
    "temp_ewm48",
    "temp_max24",
    "temp_min24",
    "hdh",
    "cdh",
    "hdh_ma24",
    "cdh_ma24",
    "dtemp_last_day",
    "dtemp_last_week",
    "hour",
    "dow",
    "doy",
    "holiday",
    "special",
    "offday",
    "offday_last_day",
    "offday_last_week",
]

#: The temperature features of :data:`FEATURES` (all derived from the temperature series).
WEATHER_FEATURES = [
    f for f in FEATURES if f.startswith(("temp", "dtemp")) or f in {"hdh", "cdh", "hdh_ma24", "cdh_ma24"}
]

#: The features of a load series without weather: load history and calendar only.
LOAD_CALENDAR_FEATURES = [f for f in FEATURES if f not in WEATHER_FEATURES]
