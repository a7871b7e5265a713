"""The health of a fleet at one time: per unit figures, the SoH history, the summary and the dataset."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.storage.health.config import HealthConfig


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
