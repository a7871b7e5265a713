"""Sensor (SCADA) anomalies: flatlines, values out of the operating range, disagreement with the flows.

The feeder-head flows a sensor should read follow from the meters below it (:func:`expected_values`): the
feeder's metered load minus its generation for active power, the load's reactive power at the metered
level, and the current of that apparent power at the measured busbar voltage (a lossless power balance
of each radial feeder; the transformers carry the sum). A sensor whose reading departs from that by more
than :data:`REL_TOL` (and the absolute floor of its quantity) disagrees, unless something else explains
it: a flatline, or unmetered energy seen by every sensor of the feeder (:mod:`gridcore.monitor.tampering`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.monitor.report import anomaly_table, concat, flagged, rounded, run_length

#: Identical consecutive samples of an analog sensor before it is a flatline.
FLAT_MIN_STEPS = 4
#: Consecutive samples a disagreement must last (a single sample is noise or a step of the load).
DISAGREE_MIN_STEPS = 2
#: Relative disagreement with the expected value that is flagged [-].
REL_TOL = 0.05
#: Absolute floor of the disagreement per quantity (MW, MVAr, kA, p.u.).
ABS_TOL = {"p_mw": 0.02, "q_mvar": 0.02, "i_ka": 0.0006, "vm_pu": 0.02}
#: Operating voltage band of a busbar [p.u.].
VOLTAGE_BAND = (0.9, 1.1)
ANALOG = ("p_mw", "q_mvar", "i_ka", "vm_pu")


def operating_limits(registry: pd.DataFrame, grid: object) -> pd.DataFrame:
    """The operating range of each sensor: ratings, not the physical bounds the contract refuses.

    Line sensors: current up to the line's ``max_i_ka``, active and reactive power up to the line's
    rating ``sqrt(3) * vn_kv * max_i_ka`` [MVA]; transformer sensors up to ``sn_mva``; busbar voltage in
    :data:`VOLTAGE_BAND`; switch states 0 or 1.

    Parameters
    ----------
    registry : pd.DataFrame
        From :func:`gridcore.data.scada.sensor_registry`.
    grid : GridModel
        ``line`` (``max_i_ka``, ``from_bus``), ``trafo`` (``sn_mva``), ``bus`` (``vn_kv``).

    Returns
    -------
    pd.DataFrame
        Index like ``registry``; ``low``, ``high`` in the sensor's quantity.
    """
    low = np.zeros(len(registry))
    high = np.ones(len(registry))
    for k, (quantity, etype, element) in enumerate(
        zip(registry["quantity"], registry["element_type"], registry["element"], strict=True)
    ):
        if etype == "line":
            i_max = float(grid.line.at[element, "max_i_ka"])  # type: ignore[attr-defined]
            vn = float(grid.bus.at[grid.line.at[element, "from_bus"], "vn_kv"])  # type: ignore[attr-defined]
            rating = i_max if quantity == "i_ka" else np.sqrt(3) * vn * i_max
        elif etype == "trafo":
            rating = float(grid.trafo.at[element, "sn_mva"])  # type: ignore[attr-defined]
        elif etype == "bus":
            low[k], high[k] = VOLTAGE_BAND
            continue
        else:
            continue
        low[k], high[k] = (0.0 if quantity == "i_ka" else -rating), rating
    return pd.DataFrame({"low": low, "high": high}, index=registry.index)


def expected_values(
    registry: pd.DataFrame,
    load_mw: pd.DataFrame,
    load_mvar: pd.DataFrame,
    gen_mw: pd.DataFrame,
    vm_pu: np.ndarray,
    vn_kv: float = 20.0,
) -> np.ndarray:
    """What each feeder-head and transformer sensor should read, from the metered load.

    Parameters
    ----------
    registry : pd.DataFrame
        ``quantity``, ``element_type``, ``feeder`` per sensor.
    load_mw, load_mvar, gen_mw : pd.DataFrame
        feeder (columns) x step: metered active load [MW], its reactive power [MVAr], generation [MW].
    vm_pu : np.ndarray
        Busbar voltage per step [p.u.].
    vn_kv : float
        Nominal voltage of the feeders [kV].

    Returns
    -------
    np.ndarray
        sensor x step, in the sensor's quantity; NaN for sensors without an expectation (voltage,
        switches).
    """
    p = load_mw - gen_mw
    q = load_mvar
    i = np.hypot(p, q) / (np.sqrt(3) * vn_kv * vm_pu[:, None])
    n_trafo = max(int((registry["element_type"] == "trafo").sum() // 2), 1)
    out = np.full((len(registry), len(load_mw)), np.nan)
    for k, (quantity, etype, feeder) in enumerate(
        zip(registry["quantity"], registry["element_type"], registry["feeder"], strict=True)
    ):
        if etype == "line" and feeder in p.columns:
            out[k] = {"p_mw": p, "q_mvar": q, "i_ka": i}[quantity][feeder].to_numpy()
        elif etype == "trafo":
            out[k] = (p if quantity == "p_mw" else q).sum(axis=1).to_numpy() / n_trafo
    return out


def tolerance(registry: pd.DataFrame, expected: np.ndarray) -> np.ndarray:
    """Disagreement tolerance per sensor and step: ``max(REL_TOL * |expected|, ABS_TOL[quantity])``."""
    floor = registry["quantity"].map(ABS_TOL).fillna(np.inf).to_numpy()
    return np.maximum(REL_TOL * np.abs(expected), floor[:, None])


def flatlines(values: np.ndarray, registry: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Runs of identical samples of the analog sensors.

    Returns
    -------
    run : np.ndarray
        int sensor x step: identical samples up to and including the step (1 for a fresh value).
    flat : np.ndarray
        bool sensor x step: the step is part of a run of at least :data:`FLAT_MIN_STEPS` samples
        (its first samples included, once the run is that long within the window).
    """
    analog = registry["quantity"].isin(ANALOG).to_numpy()[:, None]
    same = np.zeros(values.shape, dtype=bool)
    same[:, 1:] = (values[:, 1:] == values[:, :-1]) & analog
    run = run_length(same) + 1
    following = np.zeros_like(same)
    following[:, :-1] = same[:, 1:]  # the next sample equals this one
    after = run_length(following[:, ::-1])[:, ::-1]  # identical samples after the step
    flat = (run + after >= FLAT_MIN_STEPS) & analog
    return run, flat


def sensor_anomalies(
    values: np.ndarray,
    starts: pd.DatetimeIndex,
    registry: pd.DataFrame,
    limits: pd.DataFrame,
    expected: np.ndarray | None = None,
    explained: np.ndarray | None = None,
    evaluate_from: int = 0,
) -> pd.DataFrame:
    """Flatline, out-of-range and disagreement anomalies of the sensors over a window.

    Parameters
    ----------
    values : np.ndarray
        sensor x step (quarter hours), in the sensor's quantity; NaN where no valid sample.
    starts : pd.DatetimeIndex
        UTC sample times.
    registry : pd.DataFrame
        Index sensor id; ``quantity``.
    limits : pd.DataFrame
        ``low``, ``high`` per sensor (:func:`operating_limits`).
    expected : np.ndarray, optional
        sensor x step (:func:`expected_values`); no disagreement check without it.
    explained : np.ndarray, optional
        bool sensor x step: deviations explained otherwise (unmetered energy), not reported here.
    evaluate_from : int
        First column reported; earlier ones are the look-back.

    Returns
    -------
    pd.DataFrame
        Anomaly table of types ``sensor_flatline``, ``sensor_out_of_range``, ``sensor_disagreement``;
        place: the sensor id.
    """
    ids = registry.index.to_numpy().astype(str)
    quantity = registry["quantity"].to_numpy().astype(str)
    flat_run, flat = flatlines(values, registry)
    low = limits["low"].to_numpy()[:, None]
    high = limits["high"].to_numpy()[:, None]
    beyond = np.maximum(low - values, values - high)
    out_range = np.nan_to_num(beyond, nan=-1.0) > 0
    flat &= ~out_range
    e = slice(evaluate_from, None)
    t = starts[evaluate_from:]
    tables = []

    rows, first, last, worst = flagged(flat[:, e], flat_run[:, e])
    tables.append(
        anomaly_table(
            "sensor_flatline",
            np.where(flat_run[:, e][rows, last] >= 4 * FLAT_MIN_STEPS, "high", "medium"),
            "sensor",
            ids[rows],
            t[first],
            t[last],
            [
                {"value": rounded(v), "quantity": str(q), "identical_samples": int(n)}
                for v, q, n in zip(
                    values[:, e][rows, last], quantity[rows], flat_run[:, e][rows, last], strict=True
                )
            ],
        )
    )
    rows, first, last, worst = flagged(out_range[:, e], beyond[:, e])
    span = (high - low)[rows, 0]
    excess = beyond[:, e][rows, worst]
    tables.append(
        anomaly_table(
            "sensor_out_of_range",
            np.where(excess > 0.1 * span, "high", "medium"),
            "sensor",
            ids[rows],
            t[first],
            t[last],
            [
                {
                    "value": rounded(v),
                    "quantity": str(q),
                    "low": rounded(lo),
                    "high": rounded(hi),
                    "beyond": rounded(x),
                }
                for v, q, lo, hi, x in zip(
                    values[:, e][rows, worst],
                    quantity[rows],
                    low[rows, 0],
                    high[rows, 0],
                    excess,
                    strict=True,
                )
            ],
        )
    )
    if expected is not None:
        tol = tolerance(registry, expected)
        dev = values - expected
        off = np.nan_to_num(np.abs(dev) - tol, nan=-1.0) > 0
        off &= ~flat & ~out_range & ~(flat_run > 1)  # a sample repeating the one before is a holding sensor
        if explained is not None:
            off &= ~explained
        off &= run_length(off) + run_length(off[:, ::-1])[:, ::-1] > DISAGREE_MIN_STEPS
        rel = np.abs(dev) / np.maximum(np.abs(expected), tol / REL_TOL)
        rows, first, last, worst = flagged(off[:, e], rel[:, e])
        r = rel[:, e][rows, worst]
        tables.append(
            anomaly_table(
                "sensor_disagreement",
                np.where(r >= 0.25, "high", "medium"),
                "sensor",
                ids[rows],
                t[first],
                t[last],
                [
                    {
                        "value": rounded(v),
                        "expected": rounded(x),
                        "quantity": str(q),
                        "deviation_pct": rounded(100 * d, 1),
                    }
                    for v, x, q, d in zip(
                        values[:, e][rows, worst], expected[:, e][rows, worst], quantity[rows], r, strict=True
                    )
                ],
            )
        )
    return concat(tables)
