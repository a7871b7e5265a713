"""Meter anomalies: zero readings, stuck readings, reverse flow without PV, sudden jumps.

Each meter is judged against its peers: the meters of the same grid load see the same weather and the same
daily rhythm, so the load's level at a quarter hour is the median over its meters of ``kwh / share``
(robust: a few faulty meters do not move it) and a meter's expected reading is its share of that level
(:func:`expected_kwh`). The ratio ``kwh / expected`` is about 1 for a healthy meter; its spread, the
meter's median absolute deviation over the window, scales the call (a robust z-score). Everything is
arrays over meter x quarter hour, so 100,000 meters over a day take seconds.

Readings before ``evaluate_from`` are the look-back: they count for runs (a reading stuck since yesterday)
and spreads, but only anomalies flagged at or after it are reported.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from gridcore.monitor.report import anomaly_table, concat, flagged, rounded, run_length

#: Quarter hours of zero readings (while the peers draw power) before a meter is flagged.
ZERO_MIN_STEPS = 4
#: Identical consecutive non-zero readings before a meter is flagged as stuck.
STUCK_MIN_STEPS = 4
#: A jump: a reading at least this many times the expected one [-] ...
JUMP_MIN_RATIO = 2.0
#: ... and this many robust standard deviations above it [-].
JUMP_Z = 8.0
#: Smallest spread of a meter's ratio used in its z-score [-] (the floor of the MAD scale).
SCALE_FLOOR = 0.02
#: Largest spread of a meter's ratio, in spreads of its load's meters [-].
SCALE_CAP = 3.0
#: An expected reading below this is "no consumption" [kWh] (no zero or stuck call there).
MIN_EXPECTED_KWH = 1e-3
#: Zero readings of a day or more are high severity [quarter hours].
LONG_ZERO_STEPS = 96
#: MAD to standard deviation of a normal distribution.
MAD_SCALE = 1.4826


def expected_kwh(kwh: np.ndarray, fleet: pd.DataFrame) -> np.ndarray:
    """Each meter's expected reading from its peers: its share of the median level of its load.

    Parameters
    ----------
    kwh : np.ndarray
        meter x quarter hour [kWh], NaN where no valid reading; rows in the order of ``fleet``.
    fleet : pd.DataFrame
        ``load`` (grid load id) and ``share`` (fraction of the load's power) per meter.

    Returns
    -------
    np.ndarray
        meter x quarter hour [kWh]; NaN where none of the load's meters reported.
    """
    share = fleet["share"].to_numpy(dtype=float)
    codes, _ = pd.factorize(fleet["load"])
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        level_of = kwh / np.where(share > 0, share, np.nan)[:, None]
    level = np.empty((codes.max() + 1, kwh.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a load whose meters all miss a step: NaN
        for rows in np.split(order, bounds):
            level[codes[rows[0]]] = np.nanmedian(level_of[rows], axis=0)
    return share[:, None] * level[codes]


def ratio_and_z(
    kwh: np.ndarray, expected: np.ndarray, fleet: pd.DataFrame | None = None, peers_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The ratio ``kwh / expected`` and its robust z-score per meter over the window.

    A meter's spread is 1.4826 times the median absolute deviation of its ratio from 1, at least
    :data:`SCALE_FLOOR` and (with ``fleet``) at most :data:`SCALE_CAP` times the median spread of its
    load's meters: a window short enough for a fault to fill half of it cannot hide the fault. With
    ``peers_only`` the spread is that median of its peers' (for faults that last long enough to fill most of
    a meter's own window).

    Returns
    -------
    ratio, z : np.ndarray
        meter x quarter hour [-].
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > MIN_EXPECTED_KWH, kwh / expected, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = MAD_SCALE * np.nanmedian(np.abs(ratio - 1.0), axis=1)
    scale = np.maximum(np.nan_to_num(mad, nan=SCALE_FLOOR), SCALE_FLOOR)
    if fleet is not None:
        peers = pd.Series(scale).groupby(pd.factorize(fleet["load"])[0]).transform("median").to_numpy()
        scale = (
            np.maximum(peers, SCALE_FLOOR)
            if peers_only
            else np.minimum(scale, np.maximum(SCALE_CAP * peers, SCALE_FLOOR))
        )
    return ratio, (ratio - 1.0) / scale[:, None]


def meter_anomalies(
    kwh: np.ndarray,
    starts: pd.DatetimeIndex,
    fleet: pd.DataFrame,
    evaluate_from: int = 0,
    negative: pd.DataFrame | None = None,
    expected: np.ndarray | None = None,
) -> pd.DataFrame:
    """Zero, stuck, reverse-flow and jump anomalies of a fleet over a window of quarter hours.

    Parameters
    ----------
    kwh : np.ndarray
        meter x quarter hour [kWh] (valid readings, NaN where none), rows in ``fleet`` order.
    starts : pd.DatetimeIndex
        UTC interval start of each column.
    fleet : pd.DataFrame
        Index meter id; ``load``, ``share``, ``customer_class``, optionally ``pv`` (bool: the meter has
        generation behind it, so reverse flow is normal). Without ``pv`` no meter has generation (the
        synthetic fleet's customers only consume; the grid's generators are separate).
    evaluate_from : int
        First column reported; earlier ones are the look-back.
    negative : pd.DataFrame, optional
        Readings refused as negative (the quarantine's ``kwh_negative``): ``code`` (fleet position),
        ``timestamp`` (UTC interval start), ``kwh`` [kWh].
    expected : np.ndarray, optional
        From :func:`expected_kwh` (computed when omitted).

    Returns
    -------
    pd.DataFrame
        Anomaly table (:mod:`gridcore.monitor.report`) of types ``zero_reading``, ``stuck_reading``,
        ``reverse_flow``, ``sudden_jump``; place: the meter id.
    """
    if expected is None:
        expected = expected_kwh(kwh, fleet)
    ids = fleet.index.to_numpy().astype(str)
    critical = (fleet["customer_class"].astype(str) == "critical").to_numpy()
    active = expected > MIN_EXPECTED_KWH
    zero_run = run_length((kwh == 0) & active)
    same = np.zeros_like(active)
    same[:, 1:] = (kwh[:, 1:] == kwh[:, :-1]) & (kwh[:, 1:] > 0)
    stuck_run = run_length(same) + 1
    zero = zero_run >= ZERO_MIN_STEPS
    stuck = (stuck_run >= STUCK_MIN_STEPS) & active
    ratio, z = ratio_and_z(kwh, expected, fleet)
    jump = (ratio >= JUMP_MIN_RATIO) & (z >= JUMP_Z) & ~stuck
    e = slice(evaluate_from, None)
    t = starts[evaluate_from:]
    tables = []

    rows, first, last, worst = flagged(zero[:, e], zero_run[:, e])
    run = zero_run[:, e][rows, last]
    tables.append(
        anomaly_table(
            "zero_reading",
            np.where(critical[rows] | (run >= LONG_ZERO_STEPS), "high", "medium"),
            "meter",
            ids[rows],
            t[first],
            t[last],
            [
                {"zero_readings": int(n), "expected_kwh": rounded(x), "customer_class": str(c)}
                for n, x, c in zip(
                    run,
                    expected[:, e][rows, worst],
                    fleet["customer_class"].to_numpy()[rows],
                    strict=True,
                )
            ],
        )
    )
    rows, first, last, worst = flagged(stuck[:, e], stuck_run[:, e])
    tables.append(
        anomaly_table(
            "stuck_reading",
            np.where(critical[rows], "high", "medium"),
            "meter",
            ids[rows],
            t[first],
            t[last],
            [
                {"value_kwh": rounded(v), "identical_readings": int(n), "expected_kwh": rounded(x)}
                for v, n, x in zip(
                    kwh[:, e][rows, last],
                    stuck_run[:, e][rows, last],
                    expected[:, e][rows, last],
                    strict=True,
                )
            ],
        )
    )
    rows, first, last, worst = flagged(jump[:, e], z[:, e])
    r = ratio[:, e][rows, worst]
    tables.append(
        anomaly_table(
            "sudden_jump",
            np.select([r >= 10, r >= 4], ["high", "medium"], "low"),
            "meter",
            ids[rows],
            t[first],
            t[last],
            [
                {
                    "kwh": rounded(k),
                    "expected_kwh": rounded(x),
                    "ratio": rounded(q, 2),
                    "robust_z": rounded(s, 1),
                }
                for k, x, q, s in zip(
                    kwh[:, e][rows, worst], expected[:, e][rows, worst], r, z[:, e][rows, worst], strict=True
                )
            ],
        )
    )
    tables.append(_reverse_flow(negative, fleet, t, ids))
    return concat(tables)


def _reverse_flow(
    negative: pd.DataFrame | None, fleet: pd.DataFrame, t: pd.DatetimeIndex, ids: np.ndarray
) -> pd.DataFrame:
    """Negative readings of meters without generation, within the evaluated steps, one row per meter."""
    if negative is None or negative.empty:
        return concat([])
    pv = fleet["pv"].to_numpy(dtype=bool) if "pv" in fleet.columns else np.zeros(len(fleet), dtype=bool)
    when = pd.DatetimeIndex(negative["timestamp"])
    when = when.tz_localize("UTC") if when.tz is None else when.tz_convert("UTC")
    code = negative["code"].to_numpy(dtype=np.int64)
    keep = (when >= t[0]) & (when <= t[-1]) & ~pv[code]
    if not keep.any():
        return concat([])
    neg = pd.DataFrame({"code": code[keep], "when": when[keep], "kwh": negative["kwh"].to_numpy(float)[keep]})
    g = neg.groupby("code").agg(
        first=("when", "min"), last=("when", "max"), kwh=("kwh", "min"), n=("kwh", "size")
    )
    return anomaly_table(
        "reverse_flow",
        np.where(g["n"].to_numpy() >= 4, "high", "medium"),
        "meter",
        ids[g.index.to_numpy()],
        pd.DatetimeIndex(g["first"]),
        pd.DatetimeIndex(g["last"]),
        [
            {"kwh": rounded(k), "negative_readings": int(n), "pv": False}
            for k, n in zip(g["kwh"], g["n"], strict=True)
        ],
    )
