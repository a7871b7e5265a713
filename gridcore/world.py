"""The default world: a SimBench grid whose demand follows real, weather-driven load.

SimBench's load profiles are standard German load shapes; nothing in them answers to weather. The default
world therefore takes its system total from a real load series with its own observed temperature,
GEFCom2014-E (New England, hourly, 2006-2014; ``data/README.md``), and spreads it over the grid's loads by
the SimBench profiles' shares:

``p_i(t) = S(t) * w_i(t)`` [MW], ``w_i`` load i's share ``p_i^SB / sum_j p_j^SB`` of SimBench's profiles
averaged over the same quarter hour of the same weekday in the five weeks around (:func:`smooth_shares`),
so the loads sum to ``S(t)`` at every quarter hour and keep SimBench's diversity (households, trade,
agriculture peak at different hours and seasons) without the profiles' day-to-day noise, which no weather
or calendar explains.

``S(t) = k * L(s(t))``: ``L`` is GEFCom2014-E's load [MW], ``k`` scales it to the grid (the world's 2016
energy equals SimBench's 2016 energy), and ``s(t)`` maps a world hour to a source hour with the same
calendar: the world's years 2015 and 2016 are source years with the same weekdays on the same dates
(2015 is 2009, whose calendar is 2015's; 1 January - 29 February 2016 is 1 January - 1 March 2010;
1 March - 31 December 2016 is 2011, whose 1 March was a Tuesday as in 2016), so the source's US federal
holidays fall on 2015's and 2016's US federal holidays. The local clock is kept, not the absolute time:
17:00 in New England (EST, UTC-5) becomes 17:00 on the grid's clock (CET, UTC+1, SimBench's time zone), so
the evening peak, the morning ramp, the PV noon and the calendar all sit where the grid's local time says.
The world's temperature is the source's temperature of the same source hour: load and weather are one real
observation.

Reactive power follows each load's SimBench power factor (annual ``sum q / sum p``). Days that are public
holidays in Germany but not in the US (Good Friday, Easter Monday, 1 May, Ascension, Whit Monday, 3 October,
26 December when a weekday) take their shares from the same weekday a week before,
so the world has one country's holidays, the US ones of its load. Generators (PV, wind, ...) keep SimBench's
profiles: GEFCom2014-E has no irradiance or wind, so they do not follow the world's weather.

A time outside 2015-2016 maps onto the world's year of the same kind (2015 for a common year, 2016 for a
leap year), to the date of the same weekday nearest the same month and day (at most 3 days off, or 4 at
the ends of the span): weekdays are kept, holidays of other years may fall a few days off.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

#: The bundled real load and temperature.
GEFCOM2014E = Path(__file__).resolve().parents[1] / "data" / "gefcom2014e.csv.gz"
#: UTC start and length of the world [days] (2015-01-01 .. 2016-12-31).
WORLD_START = pd.Timestamp("2015-01-01T00:00Z")
WORLD_DAYS = 731
#: Quarter hours per day.
QUARTERS_PER_DAY = 96
#: (first world day, source day of it): each segment runs to the next one's first day.
SEGMENTS = (
    (pd.Timestamp("2015-01-01T00:00Z"), pd.Timestamp("2009-01-01T00:00Z")),
    (pd.Timestamp("2016-03-01T00:00Z"), pd.Timestamp("2011-03-01T00:00Z")),
)
#: Source hour minus world hour at the same local clock time, beyond the day shift: EST (UTC-5) for CET
#: (UTC+1) [h].
CLOCK_SHIFT_H = 6
#: German public holidays of 2016 on weekdays that are not US federal holidays (federal ones only).
GERMAN_ONLY_HOLIDAYS_2016 = (
    "2016-03-25",  # Good Friday
    "2016-03-28",  # Easter Monday
    "2016-05-05",  # Ascension
    "2016-05-16",  # Whit Monday
    "2016-10-03",  # German Unity Day
    "2016-12-26",  # St Stephen's Day (also the US observed Christmas: shares from a week before)
)
#: Weeks on each side over which a load's share of the system is averaged (:func:`smooth_shares`).
SHARE_WEEKS = 2
#: The SimBench profile year.
SIMBENCH_START = pd.Timestamp("2016-01-01T00:00Z")


def day_rows(times: pd.DatetimeIndex, start: pd.Timestamp, n_days: int) -> np.ndarray:
    """Profile row of each UTC quarter-hour start in a profile of ``n_days`` days from ``start``.

    A time inside the profile maps to itself. Any other maps to the profile year of the same kind (leap
    or common; the first year of the profile when it has none of that kind), to the date of the same
    weekday nearest the same month and day, kept inside the profile.

    Parameters
    ----------
    times : pd.DatetimeIndex
        tz-aware UTC interval starts on the 15-minute grid.
    start : pd.Timestamp
        UTC midnight of the first profile day.
    n_days : int
        Days in the profile.

    Returns
    -------
    np.ndarray of int64
    """
    times = pd.DatetimeIndex(times).tz_convert("UTC")
    days = times.normalize()
    quarter = ((times - days) // pd.Timedelta(minutes=15)).to_numpy().astype(np.int64)
    unique, inverse = np.unique(days.asi8, return_inverse=True)
    offset = np.array([_day_offset(pd.Timestamp(d, tz="UTC"), start, n_days) for d in unique], dtype=np.int64)
    return offset[inverse.reshape(-1)] * QUARTERS_PER_DAY + quarter


def _day_offset(day: pd.Timestamp, start: pd.Timestamp, n_days: int) -> int:
    """Profile day of one UTC day (see :func:`day_rows`)."""
    k = (day - start).days
    if 0 <= k < n_days:
        return k
    years = sorted({(start + pd.Timedelta(days=i)).year for i in range(0, n_days, 28)})
    same = [y for y in years if pd.Timestamp(year=y, month=1, day=1).is_leap_year == day.is_leap_year]
    year = same[0] if same else years[0]
    month_day = (2, 28) if (day.month, day.day) == (2, 29) and not same else (day.month, day.day)
    ref = pd.Timestamp(year=year, month=month_day[0], day=month_day[1], tz="UTC")
    d = (day.dayofweek - ref.dayofweek) % 7
    for shift in sorted((d, d - 7), key=abs):
        k = (ref - start).days + shift
        if 0 <= k < n_days:
            return k
    return min(max((ref - start).days, 0), n_days - 1)


def source_hours(start: pd.Timestamp = WORLD_START, n_days: int = WORLD_DAYS) -> pd.DatetimeIndex:
    """The source (GEFCom2014-E) hour of each world hour from ``start``, UTC.

    Parameters
    ----------
    start : pd.Timestamp
        UTC midnight inside the world.
    n_days : int
        Days.

    Returns
    -------
    pd.DatetimeIndex
        One source hour per world hour (see the module docstring).
    """
    hours = pd.date_range(start, periods=24 * n_days, freq="1h")
    shift = pd.TimedeltaIndex(np.zeros(len(hours), dtype="int64"))
    for first, source in SEGMENTS:
        shift = shift.where(hours < first, pd.Timedelta(first - source))
    return hours - shift + pd.Timedelta(hours=CLOCK_SHIFT_H)


@cache
def _source(path: Path = GEFCOM2014E) -> pd.DataFrame:
    """GEFCom2014-E on its UTC hour index: ``load_mw`` [MW], ``temperature_c`` [°C]."""
    df = pd.read_csv(path, usecols=["timestamp", "load_mw", "temperature_c"], parse_dates=["timestamp"])
    return df.set_index("timestamp")


@cache
def world_source() -> pd.DataFrame:
    """The world's hours with their real load and temperature, before scaling.

    Returns
    -------
    pd.DataFrame
        UTC hourly index over the world (2015-2016); ``source_time`` (UTC), ``load_mw`` [MW] (the one
        missing hour of each fall-back day interpolated linearly), ``temperature_c`` [°C] (gaps kept).
    """
    src = _source()
    hours = pd.date_range(WORLD_START, periods=24 * WORLD_DAYS, freq="1h")
    source = source_hours()
    load = src["load_mw"].reindex(source).to_numpy(dtype=float)
    load = pd.Series(load).interpolate(limit=3, limit_direction="both").to_numpy()
    temp = src["temperature_c"].reindex(source).to_numpy(dtype=float)
    return pd.DataFrame({"source_time": source, "load_mw": load, "temperature_c": temp}, index=hours)


def world_temperature(times: pd.DatetimeIndex) -> np.ndarray:
    """The world's observed temperature at UTC hour starts [°C] (NaN where the source has none).

    Any time maps onto the world as the loads do (:func:`day_rows`), so load and weather stay one
    observation in every year.
    """
    rows = day_rows(pd.DatetimeIndex(times), WORLD_START, WORLD_DAYS) // 4
    return world_source()["temperature_c"].to_numpy()[rows]


def simbench_rows(
    start: pd.Timestamp = WORLD_START, n_days: int = WORLD_DAYS, holidays: bool = True
) -> np.ndarray:
    """Row of the SimBench 2016 profile each world quarter hour takes.

    2016 takes its own row, 2015 the row 364 days later (same weekday); with ``holidays``, a day that is
    a German-only holiday (:data:`GERMAN_ONLY_HOLIDAYS_2016`) takes the same weekday a week before.
    """
    times = pd.date_range(start, periods=QUARTERS_PER_DAY * n_days, freq="15min")
    days = times.normalize()
    ref = days.where(days >= SIMBENCH_START, days + pd.Timedelta(days=364))
    holiday = pd.DatetimeIndex(pd.to_datetime(list(GERMAN_ONLY_HOLIDAYS_2016), utc=True))
    week = pd.Timedelta(days=7)
    if holidays:
        ref = ref.where(~ref.isin(holiday), ref - week)
    quarter = ((times - days) // pd.Timedelta(minutes=15)).to_numpy().astype(np.int64)
    return ((ref - SIMBENCH_START).days.to_numpy() * QUARTERS_PER_DAY + quarter).astype(np.int64)


def smooth_shares(shares: np.ndarray, weeks: int = SHARE_WEEKS) -> np.ndarray:
    """Each quarter hour's shares averaged with the same quarter hour of the same weekday nearby.

    The mean over the ``weeks`` weeks before and after and the week itself (fewer at the ends of the
    world): SimBench's day-to-day noise of one profile relative to the others is averaged out, its daily,
    weekly and seasonal shapes are kept. Rows still sum to 1.

    Parameters
    ----------
    shares : np.ndarray
        World quarter hour x load, rows summing to 1 [-].
    weeks : int
        Weeks on each side.

    Returns
    -------
    np.ndarray
    """
    step = 7 * QUARTERS_PER_DAY
    total = shares.copy()
    count = np.ones((len(shares), 1))
    for k in range(1, weeks + 1):
        lag = k * step
        total[lag:] += shares[:-lag]
        count[lag:] += 1.0
        total[:-lag] += shares[lag:]
        count[:-lag] += 1.0
    return total / count


def world_loads(
    load_p_mw: np.ndarray, load_q_mvar: np.ndarray, sgen_p_mw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The world's load and generator profiles from SimBench's 2016 profiles.

    Parameters
    ----------
    load_p_mw, load_q_mvar : np.ndarray
        SimBench load profiles, 2016 quarter hour x load [MW], [MVAr].
    sgen_p_mw : np.ndarray
        SimBench generator profiles, 2016 quarter hour x generator [MW].

    Returns
    -------
    p_mw, q_mvar, sgen_mw : np.ndarray
        World quarter hour (2015-01-01 .. 2016-12-31, UTC) x element [MW], [MVAr], [MW].
    scale : float
        ``k``: world MW per source MW [-].
    """
    rows = simbench_rows()
    total = load_p_mw.sum(axis=1)
    shares = smooth_shares(load_p_mw[rows] / np.where(total[rows] > 0, total[rows], 1.0)[:, None])
    source = world_source()["load_mw"].to_numpy()
    in_2016 = world_source().index >= SIMBENCH_START
    scale = float(total.mean() / np.nanmean(source[in_2016]))
    system = np.repeat(scale * source, 4)
    p = shares * system[:, None]
    energy = load_p_mw.sum(axis=0)
    tan_phi = np.divide(load_q_mvar.sum(axis=0), energy, out=np.zeros_like(energy), where=energy != 0)
    return p, p * tan_phi[None, :], sgen_p_mw[simbench_rows(holidays=False)], scale
