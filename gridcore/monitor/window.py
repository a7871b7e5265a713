"""A monitoring window and the detection over it: every meter and sensor check in one pass.

A :class:`MonitorWindow` holds what the checks read over consecutive quarter hours: the valid meter
readings, the sensor samples, the readings refused as negative, and what the grid model says about each
feeder (generation, reactive power per active power). :func:`detect` runs the meter, tampering and sensor
checks on it and returns one anomaly table. The hour the monitor looks at is the window's tail; the head
is look-back (runs that started earlier, the spread of each meter).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.data.synthetic import KWH_PER_MW_QUARTER
from gridcore.monitor.meters import JUMP_MIN_RATIO, expected_kwh, meter_anomalies
from gridcore.monitor.report import concat
from gridcore.monitor.sensors import expected_values, sensor_anomalies
from gridcore.monitor.tampering import TAMPER_RATIO, feeder_tampering, meter_tampering


@dataclass
class MonitorWindow:
    """Inputs of the meter and sensor checks over consecutive quarter hours.

    Attributes
    ----------
    starts : pd.DatetimeIndex
        UTC quarter-hour starts (the columns).
    kwh : np.ndarray
        meter x step valid readings [kWh], NaN where none; rows in ``fleet`` order.
    fleet : pd.DataFrame
        Index meter id; ``load``, ``bus``, ``share``, ``customer_class``, optionally ``pv``.
    meter_feeder : np.ndarray
        Feeder id per meter ("" when not on a feeder).
    sensors : np.ndarray or None
        sensor x step samples in each sensor's quantity (None: no sensor checks).
    registry : pd.DataFrame or None
        Sensor registry (:func:`gridcore.data.scada.sensor_registry`).
    limits : pd.DataFrame or None
        Operating range per sensor (:func:`gridcore.monitor.sensors.operating_limits`).
    gen_mw : pd.DataFrame or None
        step x feeder generation [MW].
    q_per_p : pd.DataFrame or None
        step x feeder reactive per active load [MVAr/MW].
    negative : pd.DataFrame or None
        Readings refused as negative: ``code``, ``timestamp`` (UTC interval start), ``kwh``.
    vn_kv : float
        Nominal voltage of the feeders [kV].
    """

    starts: pd.DatetimeIndex
    kwh: np.ndarray
    fleet: pd.DataFrame
    meter_feeder: np.ndarray
    sensors: np.ndarray | None = None
    registry: pd.DataFrame | None = None
    limits: pd.DataFrame | None = None
    gen_mw: pd.DataFrame | None = None
    q_per_p: pd.DataFrame | None = None
    negative: pd.DataFrame | None = None
    vn_kv: float = 20.0


def metered_load(
    kwh: np.ndarray, expected: np.ndarray, meter_feeder: np.ndarray, feeders: list[str]
) -> np.ndarray:
    """Active load per feeder that the meters account for [MW], step x feeder.

    A meter's reading counts where it is plausible (between :data:`TAMPER_RATIO` and
    :data:`JUMP_MIN_RATIO` times its expected reading); a missing, zero, stuck, jumping or under-registering
    reading counts as its expected value, since the customer behind it still draws power and the meter
    checks report the meter. What is left between the feeder head and this sum is energy no meter
    accounts for. A feeder with a load none of whose meters reported is NaN at that step (unknown, not 0).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = kwh / expected
    plausible = (ratio > TAMPER_RATIO) & (ratio < JUMP_MIN_RATIO)
    value = np.where(plausible, kwh, expected)  # NaN where the meter's whole load is silent
    code = pd.Index(feeders).get_indexer(meter_feeder)
    on = code >= 0
    out = np.zeros((kwh.shape[1], len(feeders)))
    for k in range(len(feeders)):
        out[:, k] = value[on & (code == k)].sum(axis=0)
    return out / KWH_PER_MW_QUARTER


def detect(window: MonitorWindow, evaluate_from: int = 0) -> pd.DataFrame:
    """Every meter and sensor anomaly of the window's steps from ``evaluate_from`` on.

    Parameters
    ----------
    window : MonitorWindow
    evaluate_from : int
        First step reported (the ones before are look-back).

    Returns
    -------
    pd.DataFrame
        Anomaly table (:mod:`gridcore.monitor.report`), high severity first.
    """
    w = window
    expected = expected_kwh(w.kwh, w.fleet)
    tables = [
        meter_anomalies(w.kwh, w.starts, w.fleet, evaluate_from, w.negative, expected),
        meter_tampering(w.kwh, w.starts, w.fleet, evaluate_from, expected),
    ]
    if w.sensors is not None and w.registry is not None and w.limits is not None:
        exp = None
        explained = None
        if w.gen_mw is not None and w.q_per_p is not None:
            feeders = list(w.gen_mw.columns)
            load = pd.DataFrame(
                metered_load(w.kwh, expected, w.meter_feeder, feeders), columns=feeders, index=w.starts
            )
            vm = _busbar_voltage(w.sensors, w.registry)
            gen = w.gen_mw.set_axis(w.starts)
            exp = expected_values(w.registry, load, load * w.q_per_p.set_axis(w.starts), gen, vm, w.vn_kv)
            table, explained = feeder_tampering(w.sensors, w.starts, w.registry, exp, evaluate_from, load)
            tables.append(table)
        tables.append(
            sensor_anomalies(w.sensors, w.starts, w.registry, w.limits, exp, explained, evaluate_from)
        )
    return concat(tables)


def _busbar_voltage(values: np.ndarray, registry: pd.DataFrame) -> np.ndarray:
    """Median of the busbar voltage sensors per step [p.u.] (1.0 where none is in its band)."""
    rows = (registry["quantity"] == "vm_pu").to_numpy()
    vm = np.where((values[rows] > 0.9) & (values[rows] < 1.1), values[rows], np.nan)
    if not rows.any() or np.isnan(vm).all():
        return np.ones(values.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(np.nanmedian(vm, axis=0), nan=1.0)


def grid_profiles(
    grid: object, bus_feeder: pd.Series, feeders: list[str], starts: pd.DatetimeIndex
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generation [MW] and reactive per active load [MVAr/MW] per feeder, from the grid's profiles.

    Parameters
    ----------
    grid : GridModel
        ``load``, ``sgen`` (``bus``), ``load_p_mw``, ``load_q_mvar``, ``sgen_p_mw``, ``profile_index``.
    bus_feeder : pd.Series
        Feeder per bus.
    feeders : list of str
        Feeders (columns of the result).
    starts : pd.DatetimeIndex
        UTC quarter hours.

    Returns
    -------
    gen_mw, q_per_p : pd.DataFrame
        step x feeder.
    """
    idx = grid.profile_index(starts)  # type: ignore[attr-defined]
    load_f = grid.load["bus"].map(bus_feeder).to_numpy()  # type: ignore[attr-defined]
    sgen_f = grid.sgen["bus"].map(bus_feeder).to_numpy()  # type: ignore[attr-defined]
    p = grid.load_p_mw[idx]  # type: ignore[attr-defined]
    q = grid.load_q_mvar[idx]  # type: ignore[attr-defined]
    g = grid.sgen_p_mw[idx]  # type: ignore[attr-defined]
    gen = np.stack([g[:, sgen_f == f].sum(axis=1) for f in feeders], axis=1)
    ps = np.stack([p[:, load_f == f].sum(axis=1) for f in feeders], axis=1)
    qs = np.stack([q[:, load_f == f].sum(axis=1) for f in feeders], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ps > 0, qs / ps, 0.0)
    return pd.DataFrame(gen, index=starts, columns=feeders), pd.DataFrame(
        ratio, index=starts, columns=feeders
    )


def feeder_kv(grid: object, feeders: object) -> float:
    """Nominal voltage of the busbar the feeders leave from [kV] (20 kV without a feeder)."""
    heads = list(feeders.head_line.values())  # type: ignore[attr-defined]
    if not heads:
        return 20.0
    return float(grid.bus.at[grid.line.at[heads[0], "from_bus"], "vn_kv"])  # type: ignore[attr-defined]
