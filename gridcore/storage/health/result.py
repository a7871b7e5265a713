"""The health of a fleet at one time: per unit figures, the SoH history, the summary and the dataset."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.storage.health.config import HealthConfig


@dataclass(frozen=True)
class UnitHealth:
    """A unit near its end of life, as the summary lists it.

    Attributes
    ----------
    battery : str
    kind : str
    soh_pct : float
        State of health [% of nominal capacity] (2 decimals).
    efc : float
        Equivalent full cycles since commissioning [-] (1 decimal).
    years_to_eol : float or None
        Years until the end-of-life SoH at the assumed use [years] (2 decimals; None if never).
    """

    battery: str
    kind: str
    soh_pct: float
    efc: float
    years_to_eol: float | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready record, keys in the order of the attributes."""
        return {
            "battery": self.battery,
            "kind": self.kind,
            "soh_pct": self.soh_pct,
            "efc": self.efc,
            "years_to_eol": self.years_to_eol,
        }


@dataclass(frozen=True)
class HealthSummary:
    """The figures of a fleet's health at one time: what ``gridflow storage health`` reports.

    The means and extremes are None for a fleet without units.

    Attributes
    ----------
    units : int
        Number of units.
    at : str
        Time of the health, ISO 8601 UTC (``%Y-%m-%dT%H:%MZ``).
    history_start : str or None
        First day of the stored history used (ISO 8601 UTC), None without history.
    soh_mean_pct, soh_min_pct : float or None
        Mean and lowest state of health [% of nominal capacity].
    efc_mean : float or None
        Mean equivalent full cycles since commissioning [-].
    efc_stored_mean : float or None
        Mean equivalent full cycles in the stored schedules [-].
    fade_calendar_mean_pct, fade_cycle_mean_pct : float or None
        Mean calendar and cycle fade [% of nominal capacity].
    years_to_eol_min : float or None
        Fewest years to end of life [years] (None if no unit reaches it).
    warn_soh_pct, alarm_soh_pct : float
        The thresholds [% of nominal capacity].
    near_end_of_life : tuple of UnitHealth
        Units in warn or alarm, lowest SoH first.
    alarms : tuple of UnitHealth
        Units in alarm, lowest SoH first.
    """

    units: int
    at: str
    history_start: str | None
    soh_mean_pct: float | None
    soh_min_pct: float | None
    efc_mean: float | None
    efc_stored_mean: float | None
    fade_calendar_mean_pct: float | None
    fade_cycle_mean_pct: float | None
    years_to_eol_min: float | None
    warn_soh_pct: float
    alarm_soh_pct: float
    near_end_of_life: tuple[UnitHealth, ...]
    alarms: tuple[UnitHealth, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures, keys in the order of the attributes (unit lists as lists of records)."""
        return {
            "units": self.units,
            "at": self.at,
            "history_start": self.history_start,
            "soh_mean_pct": self.soh_mean_pct,
            "soh_min_pct": self.soh_min_pct,
            "efc_mean": self.efc_mean,
            "efc_stored_mean": self.efc_stored_mean,
            "fade_calendar_mean_pct": self.fade_calendar_mean_pct,
            "fade_cycle_mean_pct": self.fade_cycle_mean_pct,
            "years_to_eol_min": self.years_to_eol_min,
            "warn_soh_pct": self.warn_soh_pct,
            "alarm_soh_pct": self.alarm_soh_pct,
            "near_end_of_life": [u.to_dict() for u in self.near_end_of_life],
            "alarms": [u.to_dict() for u in self.alarms],
        }


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

    def report(self) -> HealthSummary:
        """The figures for the command line and the daily report (:meth:`summary` is their JSON)."""
        u = self.units
        near = self.near_end_of_life()
        some = len(u) > 0

        def rows(frame: pd.DataFrame) -> tuple[UnitHealth, ...]:
            return tuple(
                UnitHealth(
                    battery=str(b),
                    kind=str(r.kind),
                    soh_pct=round(100 * float(r.soh), 2),
                    efc=round(float(r.efc), 1),
                    years_to_eol=_finite(r.years_to_eol, 2),
                )
                for b, r in frame.iterrows()
            )

        return HealthSummary(
            units=len(u),
            at=f"{self.at:%Y-%m-%dT%H:%M}Z",
            history_start=None if self.start is None else f"{self.start:%Y-%m-%dT%H:%M}Z",
            soh_mean_pct=round(100 * float(u["soh"].mean()), 2) if some else None,
            soh_min_pct=round(100 * float(u["soh"].min()), 2) if some else None,
            efc_mean=round(float(u["efc"].mean()), 1) if some else None,
            efc_stored_mean=round(float(u["efc_stored"].mean()), 2) if some else None,
            fade_calendar_mean_pct=round(100 * float(u["fade_calendar"].mean()), 2) if some else None,
            fade_cycle_mean_pct=round(100 * float(u["fade_cycle"].mean()), 2) if some else None,
            years_to_eol_min=_finite(u["years_to_eol"].min(), 2) if some else None,
            warn_soh_pct=round(100 * self.config.warn_soh, 2),
            alarm_soh_pct=round(100 * self.config.alarm_soh, 2),
            near_end_of_life=rows(near),
            alarms=rows(near[near["status"] == "alarm"]),
        )

    def summary(self) -> dict[str, object]:
        """The JSON of :meth:`report`: ``gridflow storage health --json`` but ``written`` and ``seconds``."""
        return self.report().to_dict()

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
