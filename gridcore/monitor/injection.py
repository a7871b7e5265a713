"""The labelled injection test: known faults put into a clean week of the synthetic feeds, and the score.

:func:`clean_week` draws the synthetic AMI and SCADA feeds (:mod:`gridcore.data.synthetic`,
:mod:`gridcore.data.scada`) without their transmission defects; :func:`inject` puts faults into a copy at
random places and times drawn from a seed and returns their labels; :func:`score` compares the anomalies
found with the labels: per type, precision (found anomalies that match an injected fault of the same type
and place, overlapping it in time) and recall (injected faults found). ``docs/monitor-injection.md`` lists
what is injected, how many and where.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gridcore.data.scada import sensor_readings, sensor_registry
from gridcore.data.synthetic import FaultRates, meter_readings
from gridcore.monitor.report import concat
from gridcore.monitor.sensors import operating_limits
from gridcore.monitor.window import MonitorWindow, detect, feeder_kv, grid_profiles

#: Share of meters given generation behind the meter (their negative readings are normal).
PV_SHARE = 0.05
#: Faults per meter type per 1,000 meters (at least :data:`MIN_FAULTS`).
METER_FAULTS_PER_1000 = 1.0
MIN_FAULTS = 10
#: Faults per sensor type and week.
SENSOR_FAULTS = 4
#: Feeders given an unmetered connection per week.
FEEDER_FAULTS = 2
#: A detection counts for a fault it overlaps, or that ended at most this long before it.
SLACK = pd.Timedelta(hours=2)


def clean_week(system: object, start: pd.Timestamp, hours: int = 168, seed: int = 1) -> MonitorWindow:
    """The synthetic feeds of ``hours`` hours from ``start`` without defects, as a monitoring window.

    Parameters
    ----------
    system : gridcore.system.System
        Grid, feeders and fleet.
    start : pd.Timestamp
        UTC hour.
    hours : int
        Length [h].
    seed : int
        Seed of the feeds.

    Returns
    -------
    MonitorWindow
        Every meter and sensor at every quarter hour; a ``pv`` column in the fleet (:data:`PV_SHARE` of the
        meters, drawn from ``seed``).
    """
    grid, feeders, fleet = system.grid, system.feeders, system.fleet  # type: ignore[attr-defined]
    start = pd.Timestamp(start).tz_convert("UTC").floor("h")
    n = len(fleet)
    starts = pd.date_range(start, periods=4 * hours, freq="15min")
    kwh = np.empty((n, 4 * hours), dtype=np.float32)
    registry = sensor_registry(grid, feeders)
    values = np.empty((len(registry), 4 * hours))
    for h in range(hours):
        hour = start + pd.Timedelta(hours=h)
        feed = meter_readings(grid, fleet, hour, seed=seed, faults=FaultRates.none())
        kwh[:, 4 * h : 4 * h + 4] = feed["kwh"].to_numpy().reshape(n, 4)
        scada = sensor_readings(grid, feeders, registry, hour, seed=seed, faults=FaultRates.none())
        values[:, 4 * h : 4 * h + 4] = scada["value"].to_numpy().reshape(len(registry), 4)
    rng = np.random.default_rng([seed, 99])
    fleet = fleet.assign(pv=rng.random(n) < PV_SHARE)
    gen, q_per_p = grid_profiles(grid, feeders.bus_feeder, list(feeders.feeders), starts)
    return MonitorWindow(
        starts=starts,
        kwh=kwh,
        fleet=fleet,
        meter_feeder=fleet["bus"].map(feeders.bus_feeder).fillna("").to_numpy().astype(str),
        sensors=values,
        registry=registry,
        limits=operating_limits(registry, grid),
        gen_mw=gen,
        q_per_p=q_per_p,
        negative=None,
        vn_kv=feeder_kv(grid, feeders),
    )


@dataclass
class Injected:
    """A faulty window and its labels.

    Attributes
    ----------
    window : MonitorWindow
    labels : pd.DataFrame
        ``type``, ``place``, ``start``, ``end`` (UTC, first and last faulty step), ``detail``.
    """

    window: MonitorWindow
    labels: pd.DataFrame


def inject(clean: MonitorWindow, seed: int = 7) -> Injected:
    """Put labelled faults into a copy of a clean window (see ``docs/monitor-injection.md``).

    Meter faults (each on its own meter, :data:`METER_FAULTS_PER_1000` per 1,000 meters and type, at least
    :data:`MIN_FAULTS`): ``zero_reading`` (zeros for 2-12 h), ``stuck_reading`` (one reading repeated for
    2-12 h), ``reverse_flow`` (1-4 negative readings of a meter without PV; as many decoys on meters with PV,
    which must not be flagged), ``sudden_jump`` (1-4 readings times 3-8), ``tampering`` (readings times
    0.2-0.5 for 4-24 h). Feeder faults: ``tampering`` (an unmetered load of 15-30 % of the feeder's flow on
    its head sensors for 3-12 h, :data:`FEEDER_FAULTS`). Sensor faults (:data:`SENSOR_FAULTS` each):
    ``sensor_flatline`` (a feeder-head P, Q or I sensor holds its value for 2-8 h),
    ``sensor_out_of_range`` (a busbar voltage of 1.12-1.2 p.u. or a head current of 1.1-1.5 times the line
    rating, 1-4 samples),
    ``sensor_disagreement`` (a head P or I sensor reads 0.6-0.8 or 1.2-1.5 times the truth for 2-8 h).
    Faults on one feeder's sensors never overlap in time (compound faults are not scored); a sensor has
    at most one fault.

    Parameters
    ----------
    clean : MonitorWindow
        From :func:`clean_week` (needs sensors).
    seed : int
        Seed of places, times and sizes.

    Returns
    -------
    Injected
    """
    rng = np.random.default_rng(seed)
    kwh = clean.kwh.copy()
    values = clean.sensors.copy()  # type: ignore[union-attr]
    steps = kwh.shape[1]
    starts = clean.starts
    labels: list[dict[str, object]] = []
    n_faults = max(MIN_FAULTS, int(round(METER_FAULTS_PER_1000 * kwh.shape[0] / 1000)))
    pv = clean.fleet["pv"].to_numpy(dtype=bool)
    ids = clean.fleet.index.to_numpy().astype(str)
    active = np.nanmin(kwh, axis=1) > 1e-3
    candidates = rng.permutation(np.flatnonzero(~pv & active))
    take = iter(candidates)

    def span(lo_h: float, hi_h: float) -> tuple[int, int]:
        length = int(rng.integers(int(lo_h * 4), int(hi_h * 4) + 1))
        t0 = int(rng.integers(0, steps - length))
        return t0, t0 + length

    def label(kind: str, place: str, t0: int, t1: int, detail: str) -> None:
        labels.append(
            {"type": kind, "place": place, "start": starts[t0], "end": starts[t1 - 1], "detail": detail}
        )

    for _ in range(n_faults):
        m = next(take)
        t0, t1 = span(2, 12)
        kwh[m, t0:t1] = 0.0
        label("zero_reading", ids[m], t0, t1, "zeros")
        m = next(take)
        t0, t1 = span(2, 12)
        kwh[m, t0:t1] = kwh[m, t0]
        label("stuck_reading", ids[m], t0, t1, f"stuck at {kwh[m, t0]:.4f} kWh")
        m = next(take)
        t0, t1 = span(0.25, 1)
        kwh[m, t0:t1] *= (factor := rng.uniform(3, 8))
        label("sudden_jump", ids[m], t0, t1, f"x{factor:.2f}")
        m = next(take)
        t0, t1 = span(4, 24)
        kwh[m, t0:t1] *= (factor := rng.uniform(0.2, 0.5))
        label("tampering", ids[m], t0, t1, f"x{factor:.2f}")
    negative = []
    pv_meters = rng.permutation(np.flatnonzero(pv & active))
    for k in range(n_faults):
        for m, real in ((next(take), True), (pv_meters[k % len(pv_meters)], False)):
            t0, t1 = span(0.25, 1)
            for t in range(t0, t1):
                negative.append({"code": int(m), "timestamp": starts[t], "kwh": -float(kwh[m, t])})
            kwh[m, t0:t1] = np.nan  # refused by validation: no valid reading
            if real:
                label("reverse_flow", ids[m], t0, t1, "negative readings, no PV")

    reg = clean.registry
    assert reg is not None
    quantity = reg["quantity"].to_numpy()
    line = (reg["element_type"] == "line").to_numpy()
    feeder = reg["feeder"].to_numpy().astype(str)
    busy: dict[str, list[tuple[int, int]]] = {}  # faults per feeder (or sensor): never overlapping in time

    def free(group: str, t0: int, t1: int) -> bool:
        return all(t1 <= a or t0 >= b for a, b in busy.get(group, []))

    def place(pool: np.ndarray, lo_h: float, hi_h: float) -> tuple[int, int, int]:
        for _ in range(1000):
            s = int(rng.choice(pool))
            t0, t1 = span(lo_h, hi_h)
            group = feeder[s] if line[s] else str(reg.index[s])
            if str(reg.index[s]) not in used and free(group, t0, t1):
                used.add(str(reg.index[s]))
                busy.setdefault(group, []).append((t0, t1))
                return s, t0, t1
        raise RuntimeError("no room left for another sensor fault")  # pragma: no cover

    used: set[str] = set()
    heads = np.flatnonzero(line & (quantity == "p_mw"))
    for _ in range(FEEDER_FAULTS):
        s, t0, t1 = place(heads, 3, 12)
        f = feeder[s]
        rows = {
            q: np.flatnonzero(line & (feeder == f) & (quantity == q))[0] for q in ("p_mw", "q_mvar", "i_ka")
        }
        share = rng.uniform(0.15, 0.3)
        load = np.hypot(values[rows["p_mw"], t0:t1], values[rows["q_mvar"], t0:t1])
        dp = share * np.maximum(load, 0.5)
        p = values[rows["p_mw"], t0:t1] + dp
        q = values[rows["q_mvar"], t0:t1] + 0.2 * dp
        scale = np.hypot(p, q) / np.maximum(load, 1e-6)
        values[rows["p_mw"], t0:t1] = p
        values[rows["q_mvar"], t0:t1] = q
        values[rows["i_ka"], t0:t1] *= scale
        used.difference_update({str(reg.index[r]) for r in rows.values()})
        label("tampering", str(f), t0, t1, f"unmetered {share:.0%} of the flow")
    analog = np.flatnonzero(line & np.isin(quantity, ("p_mw", "q_mvar", "i_ka")))
    for _ in range(SENSOR_FAULTS):
        s, t0, t1 = place(analog, 2, 8)
        values[s, t0:t1] = values[s, t0]
        label("sensor_flatline", str(reg.index[s]), t0, t1, "held")
    for k in range(SENSOR_FAULTS):
        if k % 2 == 0:
            s, t0, t1 = place(np.flatnonzero(quantity == "vm_pu"), 0.25, 1)
            value = rng.uniform(1.12, 1.2)
        else:
            s, t0, t1 = place(np.flatnonzero(line & (quantity == "i_ka")), 0.25, 1)
            value = rng.uniform(1.1, 1.5) * float(clean.limits["high"].iloc[s])  # type: ignore[union-attr]
        values[s, t0:t1] = value * (1 + 0.005 * rng.standard_normal(t1 - t0))
        label("sensor_out_of_range", str(reg.index[s]), t0, t1, f"{value:.3f}")
    for _ in range(SENSOR_FAULTS):
        s, t0, t1 = place(np.flatnonzero(line & np.isin(quantity, ("p_mw", "i_ka"))), 2, 8)
        gain = rng.uniform(0.6, 0.8) if rng.random() < 0.5 else rng.uniform(1.2, 1.5)
        values[s, t0:t1] *= gain
        label("sensor_disagreement", str(reg.index[s]), t0, t1, f"gain {gain:.2f}")

    window = replace(clean, kwh=kwh, sensors=values, negative=pd.DataFrame(negative))
    return Injected(window, pd.DataFrame(labels))


def detect_in_days(window: MonitorWindow, lookback_steps: int = 32, day_steps: int = 96) -> pd.DataFrame:
    """:func:`gridcore.monitor.window.detect` day by day over a long window, each day with its look-back.

    Keeps memory to a day (plus look-back) of meters at a time; anomalies of one place and type on
    consecutive days are merged (first start, last end).
    """
    tables = []
    for d0 in range(0, len(window.starts), day_steps):
        lo = max(0, d0 - lookback_steps)
        hi = min(len(window.starts), d0 + day_steps)
        part = replace(
            window,
            starts=window.starts[lo:hi],
            kwh=window.kwh[:, lo:hi],
            sensors=None if window.sensors is None else window.sensors[:, lo:hi],
            gen_mw=None if window.gen_mw is None else window.gen_mw.iloc[lo:hi],
            q_per_p=None if window.q_per_p is None else window.q_per_p.iloc[lo:hi],
        )
        tables.append(detect(part, d0 - lo))
    found = concat(tables)
    if found.empty:
        return found
    return (
        found.groupby(["type", "place"], sort=False)
        .agg(
            severity=("severity", "first"),
            place_kind=("place_kind", "first"),
            start=("start", "min"),
            end=("end", "max"),
            evidence=("evidence", "first"),
        )
        .reset_index()
    )


def score(found: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per anomaly type.

    A found anomaly matches a label of the same type and place when it overlaps the label's time span
    (extended by :data:`SLACK` at the end).

    Parameters
    ----------
    found : pd.DataFrame
        Anomalies (``type``, ``place``, ``start``, ``end``), one per type and place.
    labels : pd.DataFrame
        From :func:`inject`.

    Returns
    -------
    pd.DataFrame
        Index type; ``injected``, ``found``, ``true_positives``, ``precision``, ``recall``.
    """
    types = sorted(set(labels["type"]) | set(found["type"]))
    merged = found.merge(labels, on=["type", "place"], how="left", suffixes=("", "_label"))
    hit = (merged["start"] <= merged["end_label"] + SLACK) & (merged["end"] >= merged["start_label"])
    merged["hit"] = hit.fillna(False).astype(bool)
    rows = []
    for kind in types:
        f = merged[merged["type"] == kind]
        n_found = int(f.drop_duplicates(["place"]).shape[0])
        tp_found = int(f[f["hit"]].drop_duplicates(["place"]).shape[0])
        lab = labels[labels["type"] == kind]
        tp_labels = int(lab.merge(f[f["hit"]][["place"]].drop_duplicates(), on="place").shape[0])
        rows.append(
            {
                "type": kind,
                "injected": len(lab),
                "found": n_found,
                "true_positives": tp_found,
                "precision": tp_found / n_found if n_found else float("nan"),
                "recall": tp_labels / len(lab) if len(lab) else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("type")
