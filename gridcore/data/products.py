"""The data products of the store and how a validated batch lands in them.

===================== ======================= ===============================================
product               dimensions              variables [units]
===================== ======================= ===============================================
readings              meter x time (15 min)   ``kwh`` [kWh] (NaN: no valid reading)
feeder_load           feeder x time (15 min)  ``p_mw``, ``p_mw_measured`` [MW], ``coverage_pct`` [%],
                                              ``meters_reporting``, ``meters_expected``
feeder_load_hourly    feeder x time (1 h)     the same, hourly means
sensors               sensor x time (15 min)  ``value`` in the sensor's ``quantity`` (MW, MVAr, kA, p.u., 0/1)
weather               station x time (1 h)    ``temperature_c`` [°C]
quality               run x reason            ``quarantined``, ``readings_in``, ``readings_valid``, ...
quarantine            record                  one row per refused row, fields as received
===================== ======================= ===============================================

``time`` is the UTC interval start; a reading stamped with its interval end ``t`` lands at ``t - 15 min``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.data.aggregate import feeder_load, hourly
from gridcore.data.contracts import ValidationResult
from gridcore.data.quality import quality_table, quarantine_table
from gridcore.network.grid import STEP
from gridcore.store import Store

QUARTER_CHUNK = {"time": 96}
HOURLY_CHUNK = {"time": 24}
READINGS_CHUNK = {"time": 4}


def dense_readings(valid: pd.DataFrame, n_meters: int, starts: pd.DatetimeIndex) -> np.ndarray:
    """Valid readings as a meter x quarter-hour array [kWh], NaN where no valid reading.

    Parameters
    ----------
    valid : pd.DataFrame
        ``code``, ``timestamp`` (interval end), ``kwh`` from :func:`gridcore.data.meters.validate_readings`.
    n_meters : int
    starts : pd.DatetimeIndex
        UTC interval starts of the array's columns.

    Returns
    -------
    np.ndarray
        float32, ``(n_meters, len(starts))``.
    """
    out = np.full((n_meters, len(starts)), np.nan, dtype=np.float32)
    t = pd.Index(starts.tz_convert(None).as_unit("ns")).get_indexer(
        valid["timestamp"].to_numpy() - STEP.to_timedelta64()
    )
    keep = t >= 0
    out[valid["code"].to_numpy()[keep], t[keep]] = valid["kwh"].to_numpy()[keep]
    return out


def sparse_readings(kwh: np.ndarray, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """The inverse of :func:`dense_readings`: the non-NaN cells as ``code``, ``timestamp``, ``kwh``."""
    code, t = np.nonzero(~np.isnan(kwh))
    ends = (starts.tz_convert(None).as_unit("ns") + STEP).to_numpy()
    return pd.DataFrame({"code": code, "timestamp": ends[t], "kwh": kwh[code, t].astype(np.float64)})


def readings_dataset(kwh: np.ndarray, fleet: pd.DataFrame, starts: pd.DatetimeIndex) -> xr.Dataset:
    """A ``readings`` region: meter x time [kWh]."""
    return xr.Dataset(
        {"kwh": (("meter", "time"), kwh, {"units": "kWh", "long_name": "energy in the 15-minute interval"})},
        coords={"meter": fleet.index.to_numpy().astype(str), "time": starts.tz_convert(None).as_unit("ns")},
    )


def write_feeder_products(store: Store, loads: xr.Dataset, attrs: dict[str, str | int | float]) -> None:
    """Write a quarter-hour feeder-load region and its hourly means.

    Parameters
    ----------
    store : Store
    loads : xr.Dataset
        From :func:`gridcore.data.aggregate.feeder_load`, covering whole hours.
    attrs : dict
        Provenance (grid, fleet, topology fingerprint), recorded when the product is laid out.
    """
    store.write_time_region("feeder_load", loads, "15min", QUARTER_CHUNK, attrs)
    store.write_time_region("feeder_load_hourly", hourly(loads), "1h", HOURLY_CHUNK, attrs)


def write_quality(
    store: Store, result: ValidationResult, run_id: str, source: str, hour: pd.Timestamp | None
) -> None:
    """Record one run's quality counts and quarantine rows (see :func:`write_quality_batch`)."""
    write_quality_batch(store, [(result, run_id, source, hour)])


def write_quality_batch(
    store: Store, entries: list[tuple[ValidationResult, str, str, pd.Timestamp | None]]
) -> None:
    """Record the quality counts and quarantine rows of several runs, replacing earlier rows of the same runs.

    Rows are keyed ``<run_id>/<contract>`` so the meter, sensor and weather parts of one run each have
    their own. Each table is rewritten once per call, so batching the hours of a backfill keeps its cost
    linear in the number of hours.

    Parameters
    ----------
    store : Store
    entries : list of (ValidationResult, run_id, source, hour)
    """
    if not entries:
        return
    keys = [f"{run_id}/{result.contract}" for result, run_id, _, _ in entries]
    quality = xr.concat(
        [quality_table(r, k, source, hour) for (r, _, source, hour), k in zip(entries, keys, strict=True)],
        dim="run",
    )
    quarantine = xr.concat(
        [quarantine_table(r, k, source) for (r, _, source, _), k in zip(entries, keys, strict=True)],
        dim="record",
    )
    store.replace_run_rows("quality", "run", quality, keys)
    store.replace_run_rows("quarantine", "record", quarantine, keys)


def _stored_readings(store: Store, starts: pd.DatetimeIndex) -> np.ndarray | None:
    """Stored readings of ``starts``: meter x time [kWh], NaN where none or unfinished; None if none."""
    steps = store.read_steps("readings", starts, "kwh", "meter")
    return None if steps is None else steps.astype(np.float32)


def _land(
    store: Store,
    kwh: np.ndarray,
    fleet: pd.DataFrame,
    bus_feeder: pd.Series,
    feeders: list[str],
    starts: pd.DatetimeIndex,
    attrs: dict[str, str | int | float],
) -> xr.Dataset:
    """Merge ``kwh`` over the stored readings of ``starts`` and rewrite them and their feeder loads.

    A cell without a new reading keeps the stored one; a new reading replaces it. Call with the readings
    lock held, so the read, merge and the feeder loads computed from the result are one step for other
    writers (lock order: readings, then the feeder products).
    """
    old = _stored_readings(store, starts)
    if old is not None and old.shape == kwh.shape:
        kwh = np.where(np.isnan(kwh), old, kwh).astype(np.float32)
    store.write_time_region("readings", readings_dataset(kwh, fleet, starts), "15min", READINGS_CHUNK, attrs)
    loads = feeder_load(sparse_readings(kwh, starts), fleet, bus_feeder, feeders, starts)
    write_feeder_products(store, loads, attrs)
    return loads


def land_hour(
    store: Store,
    result: ValidationResult,
    fleet: pd.DataFrame,
    bus_feeder: pd.Series,
    feeders: list[str],
    hour: pd.Timestamp,
    attrs: dict[str, str | int | float],
) -> xr.Dataset:
    """Persist a full hour of the AMI feed: readings and the hour's feeder loads.

    A meter and interval with a valid reading in the feed gets it; one without (quarantined, missing)
    keeps what the store holds (e.g. an imported reading), so nothing valid is lost by a rerun.

    Parameters
    ----------
    store : Store
    result : ValidationResult
        Validated readings of the hour.
    fleet : pd.DataFrame
    bus_feeder : pd.Series
        Feeder per bus.
    feeders : list of str
    hour : pd.Timestamp
        UTC start of the hour.
    attrs : dict
        Provenance.

    Returns
    -------
    xr.Dataset
        The quarter-hour feeder loads written.
    """
    starts = pd.date_range(hour, periods=4, freq=STEP)
    kwh = dense_readings(result.valid, len(fleet), starts)
    with store.lock("readings"):
        return _land(store, kwh, fleet, bus_feeder, feeders, starts, attrs)


def merge_import(
    store: Store,
    result: ValidationResult,
    fleet: pd.DataFrame,
    bus_feeder: pd.Series,
    feeders: list[str],
    attrs: dict[str, str | int | float],
) -> list[pd.Timestamp]:
    """Merge imported readings into the store and refresh the feeder loads of the hours they touch.

    Only the hours holding an imported reading are written (so an hour the import did not touch stays
    absent for the daily catch-up); readings already in the store for other meters or intervals are kept;
    an imported reading replaces the stored one of the same meter and interval. Each day's merge holds the
    readings lock, so imports and hourly runs writing at once each keep their readings.

    Parameters
    ----------
    store : Store
    result : ValidationResult
        Validated readings of the import.
    fleet, bus_feeder, feeders, attrs
        As for :func:`land_hour`.

    Returns
    -------
    list of pd.Timestamp
        UTC days whose readings and feeder loads were rewritten.
    """
    if result.valid.empty:
        return []
    start_ns = result.valid["timestamp"].to_numpy() - STEP.to_timedelta64()
    hours = pd.DatetimeIndex(np.unique(start_ns.astype("datetime64[h]"))).as_unit("ns").tz_localize("UTC")
    days = sorted(set(hours.floor("D")))
    for day in days:
        in_day = hours[hours.floor("D") == day]
        # contiguous runs of touched hours: one region write each
        breaks = np.flatnonzero(np.diff(in_day.asi8) != pd.Timedelta(hours=1).value) + 1
        for run in np.split(np.arange(len(in_day)), breaks):
            starts = pd.date_range(in_day[run[0]], periods=4 * len(run), freq=STEP)
            kwh = dense_readings(result.valid, len(fleet), starts)
            with store.lock("readings"):
                _land(store, kwh, fleet, bus_feeder, feeders, starts, attrs)
    return list(days)


def incomplete_hours(store: Store, day: pd.Timestamp) -> list[pd.Timestamp]:
    """UTC hours of ``day`` to (re)compute: absent, unfinished, or short of their expected meters.

    An hour is complete when its hourly feeder load finished writing and either the hourly cycle
    processed the hour's feed (its quality row exists: what it refused is in the quarantine, and a rerun
    reads the same feed) or every expected meter reported in it (e.g. an import of every meter). An hour
    that only an import of some meters wrote is short, so the catch-up runs the cycle for it, which keeps
    the imported readings.

    Parameters
    ----------
    store : Store
    day : pd.Timestamp
        UTC midnight.

    Returns
    -------
    list of pd.Timestamp
    """
    hours = pd.date_range(day, periods=24, freq="1h")
    if not store.exists("feeder_load_hourly"):
        return list(hours)
    ds = store.read("feeder_load_hourly", complete_only=False)
    axis = pd.DatetimeIndex(ds["time"].values)
    present = axis.get_indexer(hours.tz_convert(None))
    ok = present >= 0
    done = np.zeros(24, dtype=bool)
    sel = ds[["complete", "meters_reporting", "meters_expected"]].isel(time=present[ok]).load()
    finished = sel["complete"].values == 1
    whole = sel["meters_reporting"].sum("feeder").values >= sel["meters_expected"].sum("feeder").values
    done[ok] = finished & (whole | hours[ok].tz_convert(None).isin(_cycle_hours(store)))
    return list(hours[~done])


def _cycle_hours(store: Store) -> pd.DatetimeIndex:
    """UTC hours (naive) whose AMI feed the hourly cycle processed (from the quality table)."""
    if not store.exists("quality"):
        return pd.DatetimeIndex([])
    q = store.read("quality")[["hour", "source"]].load()
    hours = pd.DatetimeIndex(q["hour"].values[q["source"].values.astype(str) == "ami"])
    return hours.dropna()


def feeder_day_report(store: Store, day: pd.Timestamp) -> dict[str, object]:
    """Energy, peak and coverage per feeder over one UTC day, from the hourly feeder load.

    Parameters
    ----------
    store : Store
    day : pd.Timestamp
        UTC midnight.

    Returns
    -------
    dict
        ``hours_complete``, ``energy_mwh`` (per feeder and ``system``) [MWh], ``peak_mw`` [MW],
        ``coverage_pct_min`` [%].
    """
    ds = (
        store.read("feeder_load_hourly")
        .sel(time=slice(day.tz_convert(None), (day + pd.Timedelta(hours=23)).tz_convert(None)))
        .load()
    )
    hours_complete = int(ds["p_mw"].notnull().all("feeder").sum())
    energy = ds["p_mw"].sum("time")
    return {
        "hours_complete": hours_complete,
        "energy_mwh": {
            str(f): round(float(v), 3) for f, v in zip(ds["feeder"].values, energy.values, strict=True)
        }
        | {"system": round(float(energy.sum()), 3)},
        "peak_mw": round(float(ds["p_mw"].sum("feeder").max()), 3) if hours_complete else None,
        "coverage_pct_min": round(float(ds["coverage_pct"].min()), 3) if hours_complete else None,
    }


def land_sensors(
    store: Store,
    result: ValidationResult,
    registry: pd.DataFrame,
    hour: pd.Timestamp,
    attrs: dict[str, str | int | float],
) -> None:
    """Write an hour of validated SCADA readings to ``sensors`` (sensor x time, 15 min)."""
    from gridcore.data.scada import sensor_dataset

    starts = pd.date_range(hour, periods=4, freq=STEP)
    store.write_time_region(
        "sensors", sensor_dataset(result, registry, starts), "15min", QUARTER_CHUNK, attrs
    )


def land_weather(
    store: Store,
    result: ValidationResult,
    raw: pd.DataFrame,
    hour: pd.Timestamp,
    attrs: dict[str, str | int | float],
) -> None:
    """Write an hour of validated weather observations to ``weather`` (station x time, hourly)."""
    from gridcore.data.weather import weather_dataset

    hours = pd.date_range(hour, periods=1, freq="1h")
    store.write_time_region("weather", weather_dataset(result, raw, hours), "1h", HOURLY_CHUNK, attrs)
