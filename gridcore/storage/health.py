"""State of health of the battery fleet, from commissioning through the stored schedule history.

How a unit's fade is built up (capacity fade model: :mod:`gridcore.storage.degradation`):

1. **Before the stored schedules** (from ``commissioned`` to the first day of the history) the use is not
   known: each unit is assumed to do :data:`~gridcore.storage.degradation.EFC_PER_YEAR` equivalent full cycles
   a year by kind (home 250, community 300, grid 365), as one daily cycle of that depth (at most its SoC
   window) around the middle of its SoC window, at ``temp_c``. A unit commissioned within the history has no
   such part, and does not age before its commissioning.
2. **The stored schedules**, day by day: for each hour the schedule *in force* is the one of the latest issue
   that covers the hour (a newer issue replaces the rest of an older one). The cell throughput of an hour is
   ``eta_charge * charge_mw + discharge_mw / eta_discharge`` [MWh in 1 h], its SoC ``soc_mwh`` (end of the
   hour) / ``energy_mwh``; a day's stress is its EFC, its depth (max - min SoC) and its hourly SoC samples.
   An hour without a schedule for the unit (a gap, a unit missing from the issue) takes the assumed use of 1.
3. **Ahead**: years to end of life with the use of the last ``recent_days`` days of history going on
   (the assumed use when there is none).

The health of one run is written to ``<store>/storage_health/<at>.zarr`` (``at`` as ``%Y%m%dT%H%MZ``, like the
demand forecast and schedule issues): ``soh`` (battery x time) per UTC day of the history, labelled by the
day's start and holding the SoH at the end of that day (or at ``at`` for the last, partial day; one point
when there is no history), and per battery ``soh``, ``efc``, ``efc_stored``, ``cycles_rainflow``,
``efc_rainflow``, ``fade_calendar``, ``fade_cycle``, ``years_to_eol``, ``status``, ``kind``, ``chemistry``,
``age_years``. Rainflow counting (ASTM E1049-85) runs on the stored SoC of the last ``recent_days`` days only
(the counting is a Python loop per unit: a year of 1,200 units would take about 15 s, a month 1 s).
A rerun of the same ``at`` replaces its folder whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.storage.degradation import (
    EFC_PER_YEAR,
    EOL_SOH,
    FadeState,
    age_constant,
    calendar_rate,
    check_fleet_columns,
    daily_cycle_soc,
    rainflow_totals,
    step_fade,
    years_to_eol,
)
from gridcore.store import issue_path, open_issue, write_whole

#: Store product of the fleet health.
PRODUCT = "storage_health"
#: Fleet columns the health needs.
FLEET_COLUMNS = (
    "kind",
    "chemistry",
    "energy_mwh",
    "soc_min_frac",
    "soc_max_frac",
    "eta_charge",
    "eta_discharge",
    "commissioned",
)
#: Status of a unit: ``alarm`` below :attr:`HealthConfig.alarm_soh`; ``warn`` below ``warn_soh`` or within
#: ``warn_years`` of end of life at its recent use; else ``ok``.
STATUSES = ("ok", "warn", "alarm")
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class HealthConfig:
    """Thresholds and assumptions of a fleet health run.

    Attributes
    ----------
    warn_soh : float
        A unit below this SoH is near end of life (``warn``) [fraction].
    warn_years : float
        A unit expected to reach end of life within this time at its recent use is near end of life too
        (``warn``) [years].
    alarm_soh : float
        A unit below this SoH raises an alarm (``alarm``) [fraction].
    eol_soh : float
        End of life, for the years-to-end-of-life projection [fraction].
    temp_c : float
        Cell temperature where the fleet has no ``temp_c`` column [°C].
    efc_per_year : Mapping[str, float]
        Assumed use by kind where no schedule is known [EFC/year].
    recent_days : int
        Days of history whose use is projected forward [days].
    horizon_years : float
        Projection horizon; a unit not at end of life by then gets ``inf`` [years].
    prehistory_steps : int
        Integration steps of the period before the history (per unit).
    """

    warn_soh: float = 0.85
    warn_years: float = 1.0
    alarm_soh: float = EOL_SOH
    eol_soh: float = EOL_SOH
    temp_c: float = 25.0
    efc_per_year: Mapping[str, float] = field(default_factory=lambda: dict(EFC_PER_YEAR))
    recent_days: int = 28
    horizon_years: float = 50.0
    prehistory_steps: int = 48

    def __post_init__(self) -> None:
        """Check that ``0 < alarm_soh <= warn_soh <= 1``."""
        if not 0.0 < self.alarm_soh <= self.warn_soh <= 1.0:
            raise ValueError(
                f"health thresholds: need 0 < alarm_soh ({self.alarm_soh}) <= warn_soh ({self.warn_soh}) <= 1"
            )


@dataclass
class FleetHealth:
    """The health of every unit at one time, and its SoH history.

    Attributes
    ----------
    units : pd.DataFrame
        Index ``battery``; columns ``kind``, ``chemistry``, ``age_years`` [years], ``soh`` [fraction],
        ``efc`` (since commissioning) [-], ``efc_stored`` (from the stored schedules) [-],
        ``cycles_rainflow`` and ``efc_rainflow`` (rainflow on the stored SoC of the last ``recent_days``
        days: cycles, half cycles counting 0.5, and ``sum(count * depth)``) [-], ``fade_calendar``,
        ``fade_cycle`` [fraction of nominal capacity], ``years_to_eol`` [years], ``status``
        (``ok``/``warn``/``alarm``).
    soh : xr.DataArray
        SoH (battery x time), one value per UTC day of the history (see the module docstring) [fraction].
    at : pd.Timestamp
        Time of the health (UTC).
    start : pd.Timestamp or None
        First day of the stored history used (UTC), None without history.
    config : HealthConfig
    """

    units: pd.DataFrame
    soh: xr.DataArray
    at: pd.Timestamp
    start: pd.Timestamp | None
    config: HealthConfig

    def near_end_of_life(self) -> pd.DataFrame:
        """Units in ``warn`` or ``alarm``, lowest SoH first."""
        return self.units[self.units["status"] != "ok"].sort_values("soh")

    def summary(self) -> dict[str, object]:
        """Figures for the command line and the daily report.

        Returns
        -------
        dict
            ``units``, ``at``, ``history_start``, ``soh_mean_pct``, ``soh_min_pct``, ``efc_mean``,
            ``efc_stored_mean``, ``fade_calendar_mean_pct``, ``fade_cycle_mean_pct``,
            ``years_to_eol_min``, ``warn_soh_pct``, ``alarm_soh_pct``, ``near_end_of_life`` and ``alarms``
            (lists of ``{"battery", "kind", "soh_pct", "efc", "years_to_eol"}``, lowest SoH first).
        """
        u = self.units
        near = self.near_end_of_life()

        def rows(frame: pd.DataFrame) -> list[dict[str, object]]:
            return [
                {
                    "battery": str(b),
                    "kind": str(r.kind),
                    "soh_pct": round(100 * float(r.soh), 2),
                    "efc": round(float(r.efc), 1),
                    "years_to_eol": _finite(r.years_to_eol, 2),
                }
                for b, r in frame.iterrows()
            ]

        return {
            "units": len(u),
            "at": f"{self.at:%Y-%m-%dT%H:%M}Z",
            "history_start": None if self.start is None else f"{self.start:%Y-%m-%dT%H:%M}Z",
            "soh_mean_pct": round(100 * float(u["soh"].mean()), 2) if len(u) else None,
            "soh_min_pct": round(100 * float(u["soh"].min()), 2) if len(u) else None,
            "efc_mean": round(float(u["efc"].mean()), 1) if len(u) else None,
            "efc_stored_mean": round(float(u["efc_stored"].mean()), 2) if len(u) else None,
            "fade_calendar_mean_pct": round(100 * float(u["fade_calendar"].mean()), 2) if len(u) else None,
            "fade_cycle_mean_pct": round(100 * float(u["fade_cycle"].mean()), 2) if len(u) else None,
            "years_to_eol_min": _finite(u["years_to_eol"].min(), 2) if len(u) else None,
            "warn_soh_pct": round(100 * self.config.warn_soh, 2),
            "alarm_soh_pct": round(100 * self.config.alarm_soh, 2),
            "near_end_of_life": rows(near),
            "alarms": rows(near[near["status"] == "alarm"]),
        }

    def to_dataset(self) -> xr.Dataset:
        """The health as one dataset (the layout of the module docstring)."""
        u = self.units
        data: dict[str, object] = {"soh_daily": self.soh.rename(None).variable}
        units = {
            "soh": "1",
            "efc": "1",
            "efc_stored": "1",
            "efc_rainflow": "1",
            "cycles_rainflow": "1",
            "fade_calendar": "1",
            "fade_cycle": "1",
            "years_to_eol": "years",
            "age_years": "years",
        }
        for col, unit in units.items():
            data[col] = ("battery", u[col].to_numpy(dtype=float), {"units": unit})
        for col in ("status", "kind", "chemistry"):
            data[col] = ("battery", u[col].to_numpy(dtype=str))
        ds = xr.Dataset(
            data,
            coords={"battery": np.asarray(u.index, dtype=str), "time": self.soh["time"].values},
            attrs={
                "at": self.at.isoformat(),
                "history_start": "" if self.start is None else self.start.isoformat(),
                "timezone": "UTC",
                "time_label": "day start; soh_daily holds the SoH at the end of the day (or at `at`)",
                "model": "gridcore.storage.degradation (BLAST-Lite 1.1.1 NMC Kokam 2017 / LFP 250Ah 2019)",
                "config": repr(asdict(self.config)),
            },
        )
        ds["soh_daily"].attrs["units"] = "1"
        return ds


def _finite(value: float, ndigits: int) -> float | None:
    """A rounded float, or None for inf/NaN (JSON has no infinity)."""
    return round(float(value), ndigits) if np.isfinite(value) else None


def _utc_naive(ts: pd.Timestamp | str, name: str) -> pd.Timestamp:
    """A UTC timestamp as naive UTC (the store's convention); a naive input is an error."""
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        raise ValueError(f"{name}: {t} has no time zone; give it in UTC (e.g. {t:%Y-%m-%dT%H:%M}Z)")
    return t.tz_convert("UTC").tz_localize(None)


def check_fleet(fleet: pd.DataFrame) -> None:
    """Raise a ValueError naming the field and battery of the first fleet row health cannot use.

    Parameters
    ----------
    fleet : pd.DataFrame
        The fleet table (:data:`FLEET_COLUMNS` needed; ``commissioned`` tz-aware UTC).
    """
    check_fleet_columns(fleet, FLEET_COLUMNS)
    when = fleet["commissioned"]
    if not isinstance(when.dtype, pd.DatetimeTZDtype):
        raise ValueError("fleet.commissioned: timestamps must be tz-aware UTC (e.g. 2014-05-01T00:00Z)")
    for col in ("energy_mwh", "eta_charge", "eta_discharge"):
        bad = ~(fleet[col].astype(float) > 0)
        if bad.any():
            b = fleet.index[bad][0]
            raise ValueError(f"fleet.{col}: {fleet.at[b, col]} of battery {b} must be > 0")


def assumed_use(fleet: pd.DataFrame, config: HealthConfig = HealthConfig()) -> pd.DataFrame:
    """Use assumed where no schedule is known: a daily cycle by kind.

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table with ``kind``, ``soc_min_frac``, ``soc_max_frac``.
    config : HealthConfig

    Returns
    -------
    pd.DataFrame
        Per battery: ``efc_per_day`` [EFC/day], ``dod`` (the cycle's depth: the daily EFC, at most the SoC
        window) [fraction], ``soc_mean`` (middle of the SoC window) [fraction].

    Raises
    ------
    ValueError
        Naming the battery of a kind without an assumed use.
    """
    unknown = ~fleet["kind"].isin(list(config.efc_per_year))
    if unknown.any():
        b = fleet.index[unknown][0]
        raise ValueError(f"fleet.kind: {fleet.at[b, 'kind']!r} of battery {b} has no assumed EFC per year")
    per_day = fleet["kind"].map(config.efc_per_year).astype(float) / 365.25
    lo = fleet["soc_min_frac"].astype(float)
    hi = fleet["soc_max_frac"].astype(float)
    return pd.DataFrame(
        {"efc_per_day": per_day, "dod": np.minimum(per_day, hi - lo), "soc_mean": (hi + lo) / 2},
        index=fleet.index,
    )


# -- the schedule in force ----------------------------------------------------------------------------------


def in_force(
    schedules: Sequence[xr.Dataset], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> xr.Dataset | None:
    """Stitch schedules into one history: each hour from the latest issue that covers it.

    Parameters
    ----------
    schedules : sequence of xr.Dataset
        Schedules (``battery`` x ``time``, naive UTC hours; ``charge_mw``, ``discharge_mw`` [MW],
        ``soc_mwh`` [MWh]; attribute ``issue_time``), possibly lazy: only the hours in force are loaded.
    start, end : pd.Timestamp, optional
        Keep the hours in ``[start, end)`` (UTC).

    Returns
    -------
    xr.Dataset or None
        ``charge_mw``, ``discharge_mw``, ``soc_mwh`` over the union of the batteries (NaN where an issue
        lacks one) and of the hours, and ``issue_time`` per hour; None when no hour is left.
    """
    ordered = sorted(schedules, key=lambda ds: pd.Timestamp(ds.attrs["issue_time"]))
    if not ordered:
        return None
    axis = pd.DatetimeIndex(np.unique(np.concatenate([ds["time"].values for ds in ordered])))
    keep = np.ones(len(axis), dtype=bool)
    if start is not None:
        keep &= axis >= _utc_naive(start, "start")
    if end is not None:
        keep &= axis < _utc_naive(end, "end")
    owner = np.full(len(axis), -1)
    for k, ds in enumerate(ordered):
        owner[axis.get_indexer(pd.DatetimeIndex(ds["time"].values))] = k
    owner[~keep] = -1
    if (owner < 0).all():
        return None
    batteries = pd.Index(
        pd.unique(np.concatenate([np.asarray(ds["battery"].values, dtype=str) for ds in ordered]))
    )
    used = owner >= 0
    hours = axis[used]
    owner = owner[used]
    names = ("charge_mw", "discharge_mw", "soc_mwh")
    out = {v: np.full((len(batteries), len(hours)), np.nan) for v in names}
    issue_of_hour = np.empty(len(hours), dtype="datetime64[ns]")
    for k, ds in enumerate(ordered):
        cols = np.flatnonzero(owner == k)
        if len(cols) == 0:
            continue
        at_k = pd.DatetimeIndex(ds["time"].values).get_indexer(hours[cols])
        rows = batteries.get_indexer(np.asarray(ds["battery"].values, dtype=str))
        for v in names:
            out[v][np.ix_(rows, cols)] = ds[v].transpose("battery", "time").isel(time=at_k).values
        issue = pd.Timestamp(ds.attrs["issue_time"])
        issue_of_hour[cols] = (
            issue.tz_convert("UTC").tz_localize(None) if issue.tzinfo else issue
        ).to_datetime64()
    units = {"charge_mw": "MW", "discharge_mw": "MW", "soc_mwh": "MWh"}
    return xr.Dataset(
        {v: (("battery", "time"), out[v], {"units": units[v]}) for v in names}
        | {"issue_time": ("time", issue_of_hour)},
        coords={"battery": np.asarray(batteries, dtype=str), "time": hours.as_unit("ns")},
    )


def read_history(
    root: str | Path, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> xr.Dataset | None:
    """The stored schedules in force over ``[start, end)`` (see :func:`in_force`).

    Parameters
    ----------
    root : str or Path
        Store folder (schedules under ``<root>/storage_schedule/``).
    start, end : pd.Timestamp, optional
        UTC bounds.

    Returns
    -------
    xr.Dataset or None
        None when the store holds no schedule hour in the range.
    """
    from gridcore.storage.store import list_schedules, schedule_path

    opened = [xr.open_zarr(schedule_path(root, issue)) for issue in list_schedules(root)]
    try:
        return in_force(opened, start, end)
    finally:
        for ds in opened:
            ds.close()


def history_end(root: str | Path) -> pd.Timestamp | None:
    """End of the last hour covered by the stored schedules (UTC), None without schedules."""
    from gridcore.storage.store import list_schedules, schedule_path

    issues = list_schedules(root)
    if not issues:
        return None
    with xr.open_zarr(schedule_path(root, issues[-1])) as ds:
        last = pd.Timestamp(ds["time"].values.max())
    return (last + pd.Timedelta(hours=1)).tz_localize("UTC")


# -- the health ----------------------------------------------------------------------------------------------


def fleet_health(
    fleet: pd.DataFrame,
    history: xr.Dataset | None,
    at: pd.Timestamp | str,
    config: HealthConfig = HealthConfig(),
) -> FleetHealth:
    """State of health of every unit at ``at``: commissioning, then the schedules in force.

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table (index ``battery``) with :data:`FLEET_COLUMNS` and optionally ``temp_c`` [°C].
    history : xr.Dataset or None
        Schedules in force (:func:`in_force` / :func:`read_history`); hours at or after ``at`` are ignored.
    at : pd.Timestamp or str
        Time of the health (tz-aware UTC).
    config : HealthConfig

    Returns
    -------
    FleetHealth

    Raises
    ------
    ValueError
        Naming the field and battery of an unusable fleet row, or a naive ``at``.
    """
    check_fleet(fleet)
    at_n = _utc_naive(at, "at")
    ids = np.asarray(fleet.index, dtype=str)
    n = len(ids)
    use = assumed_use(fleet, config)
    temp = fleet["temp_c"].to_numpy(dtype=float) if "temp_c" in fleet else np.full(n, config.temp_c)
    commissioned = pd.DatetimeIndex(fleet["commissioned"]).tz_convert("UTC").tz_localize(None)
    profile = daily_cycle_soc(use["dod"].to_numpy(), use["soc_mean"].to_numpy())
    if history is not None:
        history = history.sel(time=history["time"] < np.datetime64(at_n))
        if history.sizes["time"] == 0 or not np.isfinite(history["soc_mwh"].values).any():
            history = None
    start = pd.Timestamp(history["time"].values.min()).floor("D") if history is not None else None

    pre_end = at_n if start is None else min(start, at_n)
    pre_days = np.clip((pre_end - commissioned) / _DAY, 0.0, None)
    state = age_constant(
        FadeState.new(fleet["chemistry"].to_numpy(dtype=str)),
        pre_days,
        use["efc_per_day"].to_numpy(),
        use["dod"].to_numpy(),
        profile,
        temp,
        steps=config.prehistory_steps,
    )
    efc_stored = np.zeros(n)
    rf_efc = np.zeros(n)
    rf_cycles = np.zeros(n)
    recent = use.copy()
    if start is None:
        days = pd.DatetimeIndex([at_n.floor("D")])
        soh_daily = state.soh[:, None]
    else:
        state, soh_daily, days, stored = _age_history(
            fleet, history, start, at_n, state, use, profile, temp, config.recent_days
        )
        efc_stored = stored["efc"]
        recent = _recent_use(stored, use, config.recent_days)
        for i in range(n):
            rf_cycles[i], rf_efc[i] = rainflow_totals(stored["soc_recent"][i])
    soh = state.soh
    years = years_to_eol(
        state,
        recent["efc_per_day"].to_numpy(),
        recent["dod"].to_numpy(),
        daily_cycle_soc(recent["dod"].to_numpy(), recent["soc_mean"].to_numpy()),
        temp,
        eol_soh=config.eol_soh,
        horizon_years=config.horizon_years,
    )
    near = (soh < config.warn_soh) | (years < config.warn_years)
    status = np.where(soh < config.alarm_soh, "alarm", np.where(near, "warn", "ok"))
    units = pd.DataFrame(
        {
            "kind": fleet["kind"].to_numpy(dtype=str),
            "chemistry": fleet["chemistry"].to_numpy(dtype=str),
            "age_years": np.clip((at_n - commissioned) / _DAY, 0.0, None) / 365.25,
            "soh": soh,
            "efc": state.efc,
            "efc_stored": efc_stored,
            "efc_rainflow": rf_efc,
            "cycles_rainflow": rf_cycles,
            "fade_calendar": state.calendar_fade,
            "fade_cycle": state.cycle_fade,
            "years_to_eol": years,
            "status": status,
        },
        index=pd.Index(ids, name="battery"),
    )
    da = xr.DataArray(
        soh_daily,
        dims=("battery", "time"),
        coords={"battery": ids, "time": days.as_unit("ns")},
        name="soh",
        attrs={"units": "1"},
    )
    return FleetHealth(
        units, da, at_n.tz_localize("UTC"), None if start is None else start.tz_localize("UTC"), config
    )


def _age_history(
    fleet: pd.DataFrame,
    history: xr.Dataset,
    start: pd.Timestamp,
    at_n: pd.Timestamp,
    state: FadeState,
    use: pd.DataFrame,
    profile: np.ndarray,
    temp: np.ndarray,
    recent_days: int,
) -> tuple[FadeState, np.ndarray, pd.DatetimeIndex, dict[str, np.ndarray]]:
    """Integrate the fade day by day over the stored history; hourly stressors, vectorised over units."""
    n = len(fleet)
    days = pd.date_range(
        start, at_n.ceil("D") if at_n.ceil("D") > start else start + _DAY, freq="D", inclusive="left"
    )
    hours = pd.date_range(days[0], periods=24 * len(days), freq="h")
    ids = np.asarray(fleet.index, dtype=str)
    rows = pd.Index(np.asarray(history["battery"].values, dtype=str)).get_indexer(ids)
    cols = pd.DatetimeIndex(history["time"].values).get_indexer(hours)

    def grid(name: str) -> np.ndarray:
        values = history[name].transpose("battery", "time").values
        out = np.full((n, len(hours)), np.nan)
        r, c = rows >= 0, cols >= 0
        out[np.ix_(r, c)] = values[np.ix_(rows[r], cols[c])]
        return out

    energy = fleet["energy_mwh"].to_numpy(dtype=float)[:, None]
    eta_c = fleet["eta_charge"].to_numpy(dtype=float)[:, None]
    eta_d = fleet["eta_discharge"].to_numpy(dtype=float)[:, None]
    soc = grid("soc_mwh") / energy
    efc_h = (eta_c * grid("charge_mw") + grid("discharge_mw") / eta_d) / 2.0 / energy
    commissioned = pd.DatetimeIndex(fleet["commissioned"]).tz_convert("UTC").tz_localize(None)
    active = (hours.values[None, :] < np.datetime64(at_n)) & (
        hours.values[None, :] >= commissioned.values[:, None]
    )
    covered = active & np.isfinite(soc) & np.isfinite(efc_h)
    assumed_soc = profile[:, hours.hour]
    soc_s = np.where(covered, soc, np.where(active, assumed_soc, np.nan)).reshape(n, len(days), 24)
    per_hour = use["efc_per_day"].to_numpy()[:, None] / 24.0
    efc_s = np.where(covered, efc_h, np.where(active, per_hour, 0.0)).reshape(n, len(days), 24)
    act = active.reshape(n, len(days), 24)
    day_len = act.sum(axis=2) / 24.0
    day_efc = efc_s.sum(axis=2)
    hi = np.where(act, soc_s, -np.inf).max(axis=2)
    lo = np.where(act, soc_s, np.inf).min(axis=2)
    day_dod = np.where(act.any(axis=2), hi - lo, 0.0)
    idle = use["soc_mean"].to_numpy()[:, None, None]
    samples = np.where(act.any(axis=2)[:, :, None], soc_s, idle).reshape(n * len(days), 24)
    k_cal, soc_mean = calendar_rate(
        np.repeat(state.chemistry, len(days)), np.repeat(temp, len(days)), samples
    )
    k_cal, soc_mean = k_cal.reshape(n, len(days)), soc_mean.reshape(n, len(days))
    soh_daily = np.empty((n, len(days)))
    for d in range(len(days)):
        calendar = (k_cal[:, d], soc_mean[:, d])
        state = step_fade(state, day_len[:, d], day_efc[:, d], day_dod[:, d], None, temp, calendar=calendar)
        soh_daily[:, d] = state.soh
    cov = covered.reshape(n, len(days), 24)
    recent_hours = 24 * recent_days
    stored = {
        "efc": np.where(covered, efc_h, 0.0).sum(axis=1),
        "soc_recent": [soc[i, -recent_hours:][covered[i, -recent_hours:]] for i in range(n)],
        "covered_hours": cov.sum(axis=2),
        "day_efc": np.where(cov, efc_s, 0.0).sum(axis=2),
        "day_dod": day_dod,
        "soc_sum": np.where(covered, soc, 0.0).sum(axis=1),
    }
    return state, soh_daily, days, stored


def _recent_use(stored: dict[str, np.ndarray], use: pd.DataFrame, recent_days: int) -> pd.DataFrame:
    """Use of the last ``recent_days`` days of stored history (fully scheduled days), else the assumption."""
    full = stored["covered_hours"][:, -recent_days:] == 24
    n_full = full.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        efc = np.where(full, stored["day_efc"][:, -recent_days:], 0.0).sum(axis=1) / n_full
        dod = np.where(full, stored["day_dod"][:, -recent_days:], 0.0).sum(axis=1) / n_full
        soc_mean = stored["soc_sum"] / stored["covered_hours"].sum(axis=1)
    has = n_full > 0
    out = use.copy()
    out["efc_per_day"] = np.where(has, efc, use["efc_per_day"])
    out["dod"] = np.where(has, dod, use["dod"])
    out["soc_mean"] = np.where(has, soc_mean, use["soc_mean"])
    return out


# -- the store -----------------------------------------------------------------------------------------------


def health_path(root: str | Path, at: pd.Timestamp) -> Path:
    """Folder of one run's health: ``<root>/storage_health/<at:%Y%m%dT%H%MZ>.zarr``."""
    return issue_path(root, PRODUCT, at)


def write_health(root: str | Path, health: FleetHealth) -> str:
    """Write a run's health (replacing a run of the same ``at``); returns the path written."""
    return write_whole(health.to_dataset(), health_path(root, health.at))


def read_health(root: str | Path, at: pd.Timestamp | str | None = None) -> xr.Dataset:
    """The stored health of one run (the latest when ``at`` is omitted).

    Raises
    ------
    FileNotFoundError
        No health in the store (for that ``at``).
    """
    when = None if at is None else _utc_naive(at, "at").tz_localize("UTC")
    return open_issue(root, PRODUCT, when, "battery health", load=True)
