"""Monitoring one hour from the store: read what the checks need, run them, say what is missing.

:func:`monitor_store_hour` reads a window ending with the hour (:data:`LOOKBACK_H` hours of look-back) of
the ``readings`` and ``sensors`` products, the readings refused as negative and the sensor samples refused
beyond their physical bounds (the quarantine: both are anomalies, not only bad data), the
constraint periods covering the hour (or a power flow of the hour on the stored forecasts or the grid's
profiles when no stored look-ahead covers it), and the demand forecasts of the last week with the
feeder loads they forecast. Whatever the store lacks is listed in the report's ``missing``, with the
command that makes it; the checks that can run still run.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import InputError
from gridcore.monitor.forecasts import forecast_errors, model_drift
from gridcore.monitor.network import excursions
from gridcore.monitor.report import MonitorReport, concat
from gridcore.monitor.sensors import operating_limits
from gridcore.monitor.window import MonitorWindow, detect, feeder_kv, grid_profiles
from gridcore.store import Store, issue_times

#: Hours of look-back before the monitored hour (runs, spreads, tampering windows).
LOOKBACK_H = 8
#: Quarantine reasons of sensor samples beyond their physical bounds (out of range, not merely invalid).
SENSOR_BOUND_REASONS = ("value_below_physical_min", "value_above_physical_max")
#: Days of stored forecasts the drift check reads.
DRIFT_DAYS = 7
#: Longest lead of a forecast counted in the drift check [h] (day-ahead).
DRIFT_LEAD_H = 24


def readings_present(root: str | Path, at: pd.Timestamp) -> bool:
    """Whether the store holds finished meter readings of the hour starting at ``at`` (UTC)."""
    at = pd.Timestamp(at).tz_convert("UTC").floor("h")
    store = Store(root)
    if not store.exists("readings"):
        return False
    ds = store.open("readings")
    where = pd.DatetimeIndex(ds["time"].values).get_indexer(
        pd.date_range(at.tz_convert(None), periods=4, freq="15min")
    )
    return bool((where >= 0).all() and (ds["complete"].isel(time=where).values == 1).all())


def monitor_store_hour(
    root: str | Path,
    at: pd.Timestamp,
    system: object | None = None,
    powerflow: bool = False,
    grid: str | None = None,
) -> MonitorReport:
    """Every anomaly of the hour starting at ``at`` (UTC) in a store.

    Parameters
    ----------
    root : str or Path
        Store folder.
    at : pd.Timestamp
        UTC hour.
    system : gridcore.system.System, optional
        Grid, feeders and fleet the store was written with; from the ``readings`` product's provenance
        (fleet size and seed, grid) when omitted.
    grid : str, optional
        SimBench code of the grid, when ``system`` is omitted (else the one the readings were made on).
    powerflow : bool
        When no stored constraint periods cover the hour, run a power flow of the hour (on the stored
        forecasts or the grid's profiles) instead of listing them as missing.

    Returns
    -------
    MonitorReport
    """
    t0 = time.perf_counter()
    at = pd.Timestamp(at).tz_convert("UTC").floor("h")
    store = Store(root)
    missing: list[str] = []
    checked: dict[str, int] = {}
    sources: dict[str, str] = {}
    stamp = f"{at:%Y-%m-%dT%H:%MZ}"
    if system is None:
        system = _system(store, grid)
    starts = pd.date_range(at - pd.Timedelta(hours=LOOKBACK_H), periods=4 * (LOOKBACK_H + 1), freq="15min")
    tables = []
    window = _window(store, system, starts, missing, stamp)
    if window is not None:
        tables.append(detect(window, 4 * LOOKBACK_H))
        checked["meters"] = int(window.kwh.shape[0])
        checked["sensors"] = 0 if window.sensors is None else int(window.sensors.shape[0])
    periods, how = _periods(root, at, system, powerflow)
    if how:
        checked["network_elements"] = len(system.grid.line) + len(system.grid.trafo) + len(system.grid.bus)  # type: ignore[attr-defined]
        tables.append(excursions(periods, at))
        sources["network"] = how
    else:
        missing.append(
            f"constraint periods covering {stamp}: none in the store; run "
            f"`gridflow grid constraints --at {stamp}` (or `gridflow monitor --powerflow`)"
        )
    tables += _forecast_checks(root, store, at, missing, stamp, checked)
    return MonitorReport(at, concat(tables), checked, missing, time.perf_counter() - t0, sources)


def store_grid(root: str | Path) -> str | None:
    """The SimBench code the store's meter readings were made on (None: no readings, or not recorded)."""
    store = Store(root)
    if not store.exists("readings"):
        return None
    grid = xr.open_zarr(store.path("readings"), consolidated=True).attrs.get("grid")
    return str(grid) if grid else None


def check_store_grid(root: str | Path, grid: str, field: str = "--grid") -> None:
    """Refuse to read or write ``grid``'s meters in a store laid out for another grid.

    Raises
    ------
    InputError
        When the store holds meter readings made on another grid (naming both and the way out).
    """
    made_on = store_grid(root)
    if made_on and grid != made_on:
        # another grid's fleet in the same meter rows, or its loads as the meters' peers: every figure off
        raise InputError(
            f"{field} {grid}: the store {root} holds meter readings made on {made_on} "
            f"(use {field} {made_on}, or another store for {grid}: one store per grid)",
            field=field,
            element=grid,
        )


def _system(store: Store, grid: str | None) -> object:
    from gridcore.system import DEFAULT_METERS, DEFAULT_SEED, default_system

    if store.exists("readings"):
        attrs = xr.open_zarr(store.path("readings"), consolidated=True).attrs
        if grid:
            check_store_grid(store.root, grid)
        return default_system(
            int(attrs.get("meters", DEFAULT_METERS)),
            int(attrs.get("fleet_seed", DEFAULT_SEED)),
            grid or (str(attrs["grid"]) if attrs.get("grid") else None),
        )
    return default_system(grid_code=grid)


def _window(
    store: Store, system: object, starts: pd.DatetimeIndex, missing: list[str], stamp: str
) -> MonitorWindow | None:
    grid, feeders, fleet = system.grid, system.feeders, system.fleet  # type: ignore[attr-defined]
    kwh = store.read_steps("readings", starts, "kwh", "meter")
    hint = f"run `gridflow run hourly --at {stamp}` (and the hours before it for the look-back)"
    if kwh is None or np.isnan(kwh[:, -4:]).all():
        missing.append(f"meter readings of {stamp}: none in the store; {hint}")
        return None
    if kwh.shape[0] != len(fleet):
        missing.append(
            f"meter readings of {stamp}: {kwh.shape[0]} meters in the store, the fleet has {len(fleet)}"
        )
        return None
    from gridcore.data.scada import sensor_registry

    registry = sensor_registry(grid, feeders)
    values = store.read_steps("sensors", starts, "value", "sensor")
    if values is None or values.shape[0] != len(registry) or np.isnan(values[:, -4:]).all():
        missing.append(f"sensor readings of {stamp}: none in the store; {hint}")
        values = None
    if values is not None:  # samples refused beyond the physical bounds are out of range: put them back
        spikes = _refused(store, "sensor_readings", SENSOR_BOUND_REASONS, registry.index, starts, False)
        if spikes is not None:
            step = starts.get_indexer(pd.DatetimeIndex(spikes["timestamp"]))
            values[spikes["code"].to_numpy(), step] = spikes["value"].to_numpy()
    negative = _refused(store, "meter_readings", ("kwh_negative",), fleet.index, starts, True)
    gen, q_per_p = grid_profiles(grid, feeders.bus_feeder, list(feeders.feeders), starts)
    return MonitorWindow(
        starts=starts,
        kwh=kwh,
        fleet=fleet,
        meter_feeder=fleet["bus"].map(feeders.bus_feeder).fillna("").to_numpy().astype(str),
        sensors=values,
        registry=registry if values is not None else None,
        limits=operating_limits(registry, grid) if values is not None else None,
        gen_mw=gen,
        q_per_p=q_per_p,
        negative=None if negative is None else negative.rename(columns={"value": "kwh"}),
        vn_kv=feeder_kv(grid, feeders),
    )


def _refused(
    store: Store,
    contract: str,
    reasons: tuple[str, ...],
    ids: pd.Index,
    starts: pd.DatetimeIndex,
    stamp_is_end: bool,
) -> pd.DataFrame | None:
    """Readings of the window the validation refused for ``reasons`` (from the quarantine).

    Returns ``code`` (position in ``ids``), ``timestamp`` (UTC interval start) and ``value`` (as received,
    numeric); None when there are none.
    """
    if not store.exists("quarantine"):
        return None
    table = store.open("quarantine")
    keep = np.isin(table["reason"].values.astype(str), reasons)
    keep &= table["contract"].values.astype(str) == contract
    if not keep.any():
        return None
    q = table[["id", "timestamp", "value"]].isel(record=np.flatnonzero(keep)).load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        when = pd.to_datetime(
            pd.Series(q["timestamp"].values.astype(str)), utc=True, errors="coerce", format="ISO8601"
        )
    if stamp_is_end:
        when = when - pd.Timedelta(minutes=15)
    code = ids.get_indexer(q["id"].values.astype(str))
    value = pd.to_numeric(pd.Series(q["value"].values.astype(str)), errors="coerce")
    ok = (code >= 0) & when.between(starts[0], starts[-1]).to_numpy() & value.notna().to_numpy()
    return pd.DataFrame({"code": code[ok], "timestamp": when[ok].to_numpy(), "value": value[ok].to_numpy()})


def _periods(root: str | Path, at: pd.Timestamp, system: object, powerflow: bool) -> tuple[list[object], str]:
    """Constraint periods covering ``at`` and where they came from.

    The latest stored issue that covers it, else a power flow of the hour (with ``powerflow``), else none
    (source ``""``).
    """
    from gridcore.lookahead import constraint_lookahead, list_constraint_periods, read_constraint_periods

    for issue in reversed(list_constraint_periods(root)):
        if issue > at:
            continue
        periods, attrs = read_constraint_periods(root, issue)
        if issue + pd.Timedelta(hours=int(attrs.get("horizon_h", 0))) > at:  # type: ignore[call-overload]
            return list(periods), f"constraint periods issued {issue:%Y-%m-%dT%H:%MZ}"
    if not powerflow:
        return [], ""
    import logging

    logging.getLogger("pandapower").setLevel(logging.ERROR)
    code = system.grid.code  # type: ignore[attr-defined]
    report = constraint_lookahead(code, at, 1, root=str(root) if Path(root).is_dir() else None)
    return list(report.periods), f"power flow of the hour (loads: {report.source.get('load', 'profiles')})"


def _forecast_checks(
    root: str | Path, store: Store, at: pd.Timestamp, missing: list[str], stamp: str, checked: dict[str, int]
) -> list[pd.DataFrame]:
    """Forecast errors of the hour and drift over the last week, from the stored demand forecasts."""
    issues = [
        t for t in issue_times(root, "demand_forecast") if at - pd.Timedelta(days=DRIFT_DAYS) <= t <= at
    ]
    actual = _actuals(store, at)
    if not issues:
        missing.append(
            f"demand forecast covering {stamp}: none in the store; "
            f"run `gridflow forecast demand --at {stamp}`"
        )
        return []
    if actual is None:
        missing.append(f"feeder load of {stamp}: none in the store; run `gridflow run hourly --at {stamp}`")
        return []
    from gridcore.store import open_issue

    rows = []
    latest = None
    for issue in issues:
        ds = open_issue(root, "demand_forecast", issue, "demand forecast", dask=False)
        target = pd.DatetimeIndex(ds["target_time"].values[0]).tz_localize("UTC")
        lead = ds["lead"].values
        use = (target <= at) & (lead <= DRIFT_LEAD_H)
        if use.any():
            point = ds["point_mw"].isel(issue_time=0, lead=np.flatnonzero(use)).values  # series x lead
            names = ds["series"].values.astype(str)
            rows.append(
                pd.DataFrame(
                    {
                        "series": np.repeat(names, point.shape[1]),
                        "target": np.tile(target[use], len(names)),
                        "point_mw": point.reshape(-1),
                    }
                )
            )
        if (target == at).any():
            latest = (ds, int(np.flatnonzero(target == at)[0]))
    out = []
    if latest is not None:
        ds, k = latest
        q = list(np.round(ds["quantile"].values, 3))
        series = ds["series"].values.astype(str)
        frame = pd.DataFrame(
            {
                "actual_mw": [actual.get(s, np.nan) for s in series],
                "point_mw": ds["point_mw"].isel(issue_time=0, lead=k).values,
                "low_mw": ds["quantile_mw"].isel(issue_time=0, lead=k, quantile=q.index(min(q))).values,
                "high_mw": ds["quantile_mw"].isel(issue_time=0, lead=k, quantile=q.index(max(q))).values,
                "lead_h": int(ds["lead"].values[k]),
            },
            index=series,
        )
        checked["forecast_series"] = int(frame["actual_mw"].notna().sum())
        out.append(forecast_errors(frame, at))
        registered, reference = _registered(root, ds, series)
    else:
        missing.append(f"demand forecast covering {stamp}: none issued before it in the store")
        registered, reference = pd.Series(dtype=float), pd.Series(dtype=str)
    if rows and len(registered):
        errors = pd.concat(rows, ignore_index=True)
        history = _actual_history(store, at)
        errors["actual_mw"] = [
            history.get((s, t), np.nan) for s, t in zip(errors["series"], errors["target"], strict=True)
        ]
        out.append(model_drift(errors, registered, at, reference))
    return out


def _registered(root: str | Path, ds: xr.Dataset, series: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """The MAPE each series' model was registered with [%], and where it comes from.

    The champion of the series' forecast group in the model registry (its day-ahead ``mape_pct``) where
    there is one, else the series' own out-of-sample day-ahead MAPE recorded with the forecast.
    """
    own = ds["day_ahead_mape_pct"].values if "day_ahead_mape_pct" in ds else np.full(len(series), np.nan)
    mape = pd.Series(np.asarray(own, dtype=float), index=series)
    source = pd.Series("forecast", index=series, dtype=object)
    if "group" in ds.coords and (Path(root) / "models").is_dir():
        from gridcore.forecast.registry import ModelRegistry

        registry = ModelRegistry(root)
        for group in set(ds["group"].values.astype(str)):
            champion = registry.champion(group)
            value = (champion or {}).get("metrics", {}).get("mape_pct")  # type: ignore[union-attr]
            if isinstance(value, int | float) and np.isfinite(value):
                members = series[ds["group"].values.astype(str) == group]
                mape[members] = float(value)
                source[members] = f"registry {group} v{champion['version']}"  # type: ignore[index]
    return mape, source


def _actuals(store: Store, at: pd.Timestamp) -> dict[str, float] | None:
    """Actual load per forecast series at ``at`` [MW]: ``feeder:<id>`` and ``system``."""
    hist = _actual_history(store, at, hours=1)
    if not hist:
        return None
    return {s: v for (s, _), v in hist.items()}


def _actual_history(
    store: Store, at: pd.Timestamp, hours: int = 24 * DRIFT_DAYS
) -> dict[tuple[str, pd.Timestamp], float]:
    """Hourly feeder load per forecast series and hour up to ``at`` [MW].

    Only the ``hours`` steps up to ``at`` are read (with their completeness flags; unfinished ones left
    out), not the whole masked axis.
    """
    starts = pd.date_range(at - pd.Timedelta(hours=hours - 1), at, freq="h")
    p = store.read_steps("feeder_load_hourly", starts, "p_mw", "feeder")
    if p is None:
        return {}
    feeders = store.open("feeder_load_hourly")["feeder"].values
    frame = pd.DataFrame(p.T, index=starts, columns=[f"feeder:{c}" for c in feeders])
    frame = frame.dropna(how="all").dropna(axis=1, how="all")
    if frame.empty:
        return {}
    frame["system"] = frame.sum(axis=1, min_count=len(frame.columns))
    return {(s, t): float(v) for s in frame.columns for t, v in frame[s].items() if np.isfinite(v)}
