"""State of health of every unit: the fade built up from commissioning through the schedules in force.

Before the stored schedules the assumed use (:func:`~gridcore.storage.health.config.assumed_use`), then the
schedules in force day by day (hourly stress, vectorised over units), then the years to end of life at the
use of the last ``recent_days`` days; the status follows from the SoH and those years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.storage.degradation import (
    FadeState,
    age_constant,
    calendar_rate,
    daily_cycle_soc,
    rainflow_totals,
    step_fade,
    years_to_eol,
)
from gridcore.storage.health.config import HealthConfig, _utc_naive, assumed_use, check_fleet
from gridcore.storage.health.result import FleetHealth

_DAY = pd.Timedelta(days=1)


def fleet_health(
    fleet: pd.DataFrame,
    history: xr.Dataset | None,
    at: pd.Timestamp | str,
    config: HealthConfig = HealthConfig(),  # noqa: B008 (frozen, so a safe default)
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
