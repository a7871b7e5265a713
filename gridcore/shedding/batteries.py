"""Battery headroom for a shedding plan, from a stored battery schedule.

Where the store holds a fleet schedule (``gridflow storage schedule``) covering the event's hour, each
battery can add to what it is scheduled to do: discharge up to its power rating on top of its scheduled
net output (stop charging, then discharge), for as long as its energy above the minimum state of charge
lasts; on the export side, charge up to its rating for as long as its room below the maximum lasts.
Without a stored schedule no battery is counted: a plan never relies on a battery whose state it does not
know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Headroom:
    """What the batteries can add at an hour.

    Attributes
    ----------
    bus : np.ndarray of int
        Bus of each battery.
    discharge_mw, charge_mw : np.ndarray
        Extra discharge and extra charge each can give [MW].
    discharge_mwh, charge_mwh : np.ndarray
        Energy available for the extra discharge, room for the extra charge [MWh].
    source : str
        The schedule's issue time, or ``none``.
    battery : np.ndarray, optional
        Battery ids (positions when None).
    scheduled_mw : np.ndarray, optional
        Scheduled net output at the hour [MW], positive discharging (0 when None).
    schedule : pd.DataFrame, optional
        The whole stored schedule's net output [MW], positive discharging: UTC hours x battery ids
        (what a battery returns to when a plan restores it).
    """

    bus: np.ndarray
    discharge_mw: np.ndarray
    charge_mw: np.ndarray
    discharge_mwh: np.ndarray
    charge_mwh: np.ndarray
    source: str
    battery: np.ndarray | None = None
    scheduled_mw: np.ndarray | None = None
    schedule: pd.DataFrame | None = None

    def scheduled_at(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Scheduled net output of each battery in the hours of ``times`` [MW]; NaN where unknown.

        Returns
        -------
        np.ndarray, shape (times, batteries)
        """
        out = np.full((len(times), len(self.bus)), np.nan)
        if self.schedule is None or self.battery is None:
            return out
        hours = pd.DatetimeIndex(times).tz_convert("UTC").floor("h")
        table = self.schedule.reindex(index=hours, columns=[str(b) for b in self.battery])
        return table.to_numpy(dtype=np.float64)

    def total(self, buses: np.ndarray | None = None) -> tuple[float, float, float, float]:
        """Sums over batteries at ``buses`` (all by default): discharge MW, MWh, charge MW, MWh."""
        m = np.ones(len(self.bus), dtype=bool) if buses is None else np.isin(self.bus, buses)
        return (
            float(self.discharge_mw[m].sum()),
            float(self.discharge_mwh[m].sum()),
            float(self.charge_mw[m].sum()),
            float(self.charge_mwh[m].sum()),
        )


NONE = Headroom(*(np.zeros(0) for _ in range(5)), source="none")


def headroom_from_schedule(ds: object, at: pd.Timestamp) -> Headroom:
    """Battery headroom at ``at`` from a stored fleet schedule (an ``xarray.Dataset``).

    Parameters
    ----------
    ds : xarray.Dataset
        As :func:`gridcore.storage.store.read_schedule` returns: ``charge_mw``, ``discharge_mw``,
        ``soc_mwh`` (end of hour) per ``battery`` and ``time``; coordinates ``bus``, ``power_mw``,
        ``energy_mwh``, ``soc_min_frac``, ``soc_max_frac``, ``eta_charge``, ``eta_discharge``.
    at : pd.Timestamp
        UTC time.

    Returns
    -------
    Headroom
        :data:`NONE` when the schedule does not cover ``at`` or lacks a column.
    """
    need = ("bus", "power_mw", "energy_mwh", "soc_min_frac", "soc_max_frac")
    if not all(c in ds.coords for c in need):  # type: ignore[attr-defined]
        return NONE
    times = pd.DatetimeIndex(ds["time"].values).tz_localize("UTC")  # type: ignore[index]
    hour = pd.Timestamp(at).tz_convert("UTC").floor("h")
    if hour not in times:
        return NONE
    t = times.get_loc(hour)
    charge = ds["charge_mw"].values[:, t]  # type: ignore[index]
    discharge = ds["discharge_mw"].values[:, t]  # type: ignore[index]
    soc = ds["soc_mwh"].values[:, t - 1] if t > 0 else ds["soc_mwh"].values[:, t]  # type: ignore[index]
    power = ds["power_mw"].values  # type: ignore[index]
    energy = ds["energy_mwh"].values  # type: ignore[index]
    eta_d = ds["eta_discharge"].values if "eta_discharge" in ds.coords else np.ones(len(power))  # type: ignore[attr-defined,index]
    eta_c = ds["eta_charge"].values if "eta_charge" in ds.coords else np.ones(len(power))  # type: ignore[attr-defined,index]
    lo = ds["soc_min_frac"].values * energy  # type: ignore[index]
    hi = ds["soc_max_frac"].values * energy  # type: ignore[index]
    return Headroom(
        bus=np.asarray(ds["bus"].values, dtype=np.int64),  # type: ignore[index]
        discharge_mw=np.maximum(power - discharge + charge, 0.0),
        charge_mw=np.maximum(power - charge + discharge, 0.0),
        discharge_mwh=np.maximum(soc - lo, 0.0) * eta_d,
        charge_mwh=np.maximum(hi - soc, 0.0) / eta_c,
        source=str(ds.attrs.get("issue_time", "stored")),  # type: ignore[attr-defined]
        battery=np.asarray(ds["battery"].values).astype(str),  # type: ignore[index]
        scheduled_mw=discharge - charge,
        schedule=net_output(ds),
    )


def net_output(ds: object) -> pd.DataFrame:
    """A stored fleet schedule's net output per hour and battery [MW], positive discharging.

    Parameters
    ----------
    ds : xarray.Dataset
        As :func:`gridcore.storage.store.read_schedule` returns (``charge_mw``, ``discharge_mw`` per
        ``battery`` and ``time``).

    Returns
    -------
    pd.DataFrame
        Index UTC hours, columns battery ids (str).
    """
    net = ds["discharge_mw"].values - ds["charge_mw"].values  # type: ignore[index]
    return pd.DataFrame(
        net.T,
        index=pd.DatetimeIndex(ds["time"].values).tz_localize("UTC"),  # type: ignore[index]
        columns=np.asarray(ds["battery"].values).astype(str),  # type: ignore[index]
    )


def stored_setpoints(store: str | Path) -> Callable[[str, pd.Timestamp], tuple[float, str] | None]:
    """A look-up of each battery's stored set point: ``(device, time) -> (kW, source)`` or None.

    The latest stored schedule issued at or before ``time`` that covers its hour gives the battery's net
    output there [kW], positive discharging; ``device`` is ``battery:<id>`` or the id. None when no stored
    schedule covers the hour or names the battery.

    Parameters
    ----------
    store : str or Path
        Store root (``storage_schedule`` product).
    """
    from gridcore.storage.store import list_schedules, read_schedule

    root = Path(store)
    cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def lookup(device: str, at: pd.Timestamp) -> tuple[float, str] | None:
        hour = pd.Timestamp(at).tz_convert("UTC").floor("h")
        issues = [t for t in (list_schedules(root) if root.is_dir() else []) if t <= hour]
        battery = device.removeprefix("battery:")
        for issue in reversed(issues):
            if issue not in cache:
                cache[issue] = net_output(read_schedule(root, issue))
            table = cache[issue]
            if hour in table.index and battery in table.columns:
                return float(table.at[hour, battery]) * 1000.0, f"stored schedule {issue:%Y-%m-%dT%H:%MZ}"
        return None

    return lookup
