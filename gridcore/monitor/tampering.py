"""Likely tampering: energy that the meters do not see.

Two views of the same theft:

* **A meter that under-registers** (a bypass, a manipulated register): its readings fall well below its
  share of its peers' level and stay there (:func:`meter_tampering`); a zero or a stuck register is a
  different anomaly (:mod:`gridcore.monitor.meters`).
* **A feeder that carries more than its meters add up to** (an unmetered connection): the head's active
  power reads above what the metered load minus generation implies, beyond the tolerance of the sensors,
  while the head's current agrees with its active and reactive power (or, while the current sensor is
  held, the reactive power reads high too) (:func:`feeder_tampering`). The sensors agreeing with each
  other and not with the meters is what tells theft from one faulty sensor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.monitor.meters import MIN_EXPECTED_KWH, expected_kwh, ratio_and_z
from gridcore.monitor.report import anomaly_table, concat, flagged, rounded
from gridcore.monitor.sensors import flatlines, tolerance

#: A reading below this fraction of the expected one is under-registered [-] ...
TAMPER_RATIO = 0.65
#: ... and this many robust standard deviations of its peers below it (where meters swing widely, deeper) ...
TAMPER_Z = 4.0
#: ... and at least TAMPER_MIN of the last TAMPER_WINDOW quarter hours must be so.
TAMPER_WINDOW = 8
TAMPER_MIN = 6
#: Unmetered power must reach this share of the feeder's metered load [-].
MIN_UNMETERED_SHARE = 0.05
#: A head current agrees with its active and reactive power within this share [-] or current [kA].
CONSISTENT_TOL = 0.02
CONSISTENT_KA = 0.0002
#: Missing energy per hour above which a meter's tampering is high severity [kWh/h].
HIGH_MISSING_KWH_H = 5.0
#: Unmetered share of a feeder's flow above which its tampering is high severity [-].
HIGH_UNMETERED_SHARE = 0.10


def meter_tampering(
    kwh: np.ndarray,
    starts: pd.DatetimeIndex,
    fleet: pd.DataFrame,
    evaluate_from: int = 0,
    expected: np.ndarray | None = None,
) -> pd.DataFrame:
    """Meters that under-register for most of the last two hours.

    A reading under-registers when it is below :data:`TAMPER_RATIO` times its expected reading and
    :data:`TAMPER_Z` robust standard deviations below it, the spread of its load's meters
    (:func:`gridcore.monitor.meters.ratio_and_z`; a bypass of a day fills most of the meter's own window).

    Parameters
    ----------
    kwh : np.ndarray
        meter x quarter hour [kWh], rows in ``fleet`` order.
    starts : pd.DatetimeIndex
        UTC interval starts.
    fleet : pd.DataFrame
        ``load``, ``share`` per meter.
    evaluate_from : int
        First column reported.
    expected : np.ndarray, optional
        From :func:`gridcore.monitor.meters.expected_kwh`.

    Returns
    -------
    pd.DataFrame
        Anomaly table of type ``tampering``, place the meter id; evidence: the median ratio of the
        flagged steps, the energy missing over them [kWh].
    """
    if expected is None:
        expected = expected_kwh(kwh, fleet)
    ratio, z = ratio_and_z(kwh, expected, fleet, peers_only=True)
    same = np.zeros(kwh.shape, dtype=bool)
    same[:, 1:] = kwh[:, 1:] == kwh[:, :-1]
    low = (ratio < TAMPER_RATIO) & (z < -TAMPER_Z) & (ratio > 0.0) & ~same
    count = np.cumsum(low, axis=1)
    count[:, TAMPER_WINDOW:] -= count[:, :-TAMPER_WINDOW].copy()
    flag = (count >= TAMPER_MIN) & low
    e = slice(evaluate_from, None)
    t = starts[evaluate_from:]
    rows, first, last, _ = flagged(flag[:, e], -ratio[:, e])
    f = flag[:, e][rows]
    gap = np.where(f, expected[:, e][rows] - kwh[:, e][rows], 0.0)
    missing = np.nansum(gap, axis=1)
    hours = f.sum(axis=1) / 4.0
    med = np.array([np.median(r[m]) for r, m in zip(ratio[:, e][rows], f, strict=True)])
    ids = fleet.index.to_numpy().astype(str)
    return anomaly_table(
        "tampering",
        np.where(missing / np.maximum(hours, 0.25) >= HIGH_MISSING_KWH_H, "high", "medium"),
        "meter",
        ids[rows],
        t[first],
        t[last],
        [
            {"ratio_median": rounded(m, 3), "missing_kwh": rounded(x, 3), "hours": float(h)}
            for m, x, h in zip(med, missing, hours, strict=True)
        ],
    )


def feeder_tampering(
    values: np.ndarray,
    starts: pd.DatetimeIndex,
    registry: pd.DataFrame,
    expected: np.ndarray,
    evaluate_from: int = 0,
    load_mw: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Feeders whose head sees more active power and current than their meters account for.

    Parameters
    ----------
    values : np.ndarray
        sensor x step, in each sensor's quantity.
    starts : pd.DatetimeIndex
        UTC sample times.
    registry : pd.DataFrame
        ``quantity``, ``element_type``, ``feeder`` per sensor.
    expected : np.ndarray
        sensor x step (:func:`gridcore.monitor.sensors.expected_values`).
    evaluate_from : int
        First column reported.
    load_mw : pd.DataFrame, optional
        step x feeder metered load [MW]: the unmetered power must also reach :data:`MIN_UNMETERED_SHARE`
        of it (where generation nearly cancels the load, the net flow is small and a faulty active-power
        sensor barely moves the current, so the net flow alone cannot tell).

    Returns
    -------
    table : pd.DataFrame
        Anomaly table of type ``tampering``, place the feeder; evidence: ``unmetered_mw`` [MW], the head's
        ``p_sensor_mw`` and ``p_metered_mw`` [MW], ``i_sensor_ka`` and ``i_from_pq_ka`` (the current its P
        and Q sensors imply) [kA].
    explained : np.ndarray
        bool sensor x step: the deviations this accounts for (the feeder's head sensors and the
        transformers' at the flagged steps), for :func:`gridcore.monitor.sensors.sensor_anomalies`.
    """
    tol = tolerance(registry, expected)
    line = (registry["element_type"] == "line").to_numpy()
    feeder = registry["feeder"].to_numpy().astype(str)
    quantity = registry["quantity"].to_numpy().astype(str)
    rows = {
        f: [np.flatnonzero(line & (feeder == f) & (quantity == q)) for q in ("p_mw", "q_mvar", "i_ka")]
        for f in pd.unique(feeder[line])
    }
    feeders = [f for f, r in rows.items() if all(len(x) for x in r)]
    explained = np.zeros(values.shape, dtype=bool)
    if not feeders:
        return concat([]), explained
    p, q, i = (np.array([rows[f][k][0] for f in feeders]) for k in range(3))
    floor = tol[p]
    if load_mw is not None:
        gross = load_mw.reindex(columns=feeders).to_numpy().T
        floor = np.maximum(floor, MIN_UNMETERED_SHARE * np.nan_to_num(np.abs(gross)))
    over = np.nan_to_num(values[p] - expected[p] - floor, nan=-1.0) > 0
    i_from_pq = np.hypot(values[p], values[q]) * (
        expected[i] / np.maximum(np.hypot(expected[p], expected[q]), 1e-9)
    )
    consistent = np.abs(values[i] - i_from_pq) <= np.maximum(
        CONSISTENT_TOL * np.abs(i_from_pq), CONSISTENT_KA
    )
    _, flat = flatlines(values, registry)
    q_over = np.nan_to_num(values[q] - expected[q] - tol[q], nan=-1.0) > 0
    # the current corroborates the active power; a held current sensor cannot, the reactive power then must
    corroborated = (consistent & ~flat[i]) | (flat[i] & q_over)
    flag = over & corroborated & ~(flat[p] | flat[q])
    for k, f in enumerate(feeders):
        explained[line & (feeder == f)] |= flag[k]
    explained[(registry["element_type"] == "trafo").to_numpy()] |= flag.any(axis=0)
    unmetered = values[p] - expected[p]
    e = slice(evaluate_from, None)
    t = starts[evaluate_from:]
    rows, first, last, worst = flagged(flag[:, e], unmetered[:, e])
    u = unmetered[:, e][rows, worst]
    share = u / np.maximum(np.abs(values[p][:, e][rows, worst]), MIN_EXPECTED_KWH)
    table = anomaly_table(
        "tampering",
        np.where(share >= HIGH_UNMETERED_SHARE, "high", "medium"),
        "feeder",
        np.asarray(feeders)[rows],
        t[first],
        t[last],
        [
            {
                "unmetered_mw": rounded(x),
                "p_sensor_mw": rounded(ps),
                "p_metered_mw": rounded(pm),
                "i_sensor_ka": rounded(isn),
                "i_from_pq_ka": rounded(ie),
            }
            for x, ps, pm, isn, ie in zip(
                u,
                values[p][:, e][rows, worst],
                expected[p][:, e][rows, worst],
                values[i][:, e][rows, worst],
                i_from_pq[:, e][rows, worst],
                strict=True,
            )
        ],
    )
    return table, explained
