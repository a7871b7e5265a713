"""The synthetic smart-meter fleet tied to the grid's loads.

Each grid load (in SimBench an MV/LV substation or a large customer) is split into many customers. A
meter has a customer class (residential, commercial, industrial, critical), for critical customers a kind
(hospital, water, telecom, emergency services), a shedding priority (1 = shed last) and a share of its
load, so the readings of a load's meters sum back to the load's profile. Everything is drawn from one seed,
vectorised: the same arguments give the same fleet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.grid import GridModel

CLASSES = ("residential", "commercial", "industrial", "critical")
CRITICAL_KINDS = ("hospital", "water", "telecom", "emergency_services")
#: Shedding priority per class: 1 is shed last.
PRIORITY = {"critical": 1, "industrial": 2, "commercial": 3, "residential": 4}
#: Relative size of a customer of each class (mean share weight).
CLASS_WEIGHT = {"residential": 1.0, "commercial": 6.0, "industrial": 30.0, "critical": 15.0}
#: Largest demand a service of each class can draw [kW]; 15-minute energy above it is absurd.
CLASS_MAX_KW = {"residential": 43.0, "commercial": 400.0, "industrial": 5000.0, "critical": 2000.0}
#: Class mix by SimBench profile family (H0 household, G commercial, L agriculture, lv_* mixed LV grids).
_MIX = {
    "G": (0.10, 0.85, 0.03, 0.02),
    "L": (0.30, 0.20, 0.49, 0.01),
    "H": (0.97, 0.02, 0.00, 0.01),
    "other": (0.88, 0.095, 0.015, 0.01),
}


def build_fleet(grid: GridModel, n_meters: int = 100_000, seed: int = 20160701) -> pd.DataFrame:
    """Assign ``n_meters`` meters to the grid's loads.

    Meters are allocated to loads in proportion to each load's annual energy (largest remainder; every
    load gets one meter when ``n_meters`` allows).

    Parameters
    ----------
    grid : GridModel
    n_meters : int
        Fleet size.
    seed : int
        Random seed.

    Returns
    -------
    pd.DataFrame
        Index ``meter_id`` (``M000001`` ...); columns ``code`` (position), ``load`` (load id), ``bus``,
        ``customer_class``, ``critical_kind`` ("" unless critical), ``priority``, ``share`` (fraction of its
        load's power, summing to 1 per load), ``kwh_max`` (class limit over 15 minutes [kWh]).
    """
    if n_meters < 1:
        raise InputError(f"n_meters must be at least 1, got {n_meters}", field="n_meters")
    rng = np.random.default_rng(seed)
    energy = grid.load_p_mw.mean(axis=0)
    counts = _allocate(np.maximum(energy, 0), n_meters)
    load_pos = np.repeat(np.arange(len(grid.load)), counts)
    family = (
        grid.load["profile"]
        .astype(str)
        .str[0]
        .where(~grid.load["profile"].astype(str).str.startswith("lv"), "other")
    )
    mix = np.array([_MIX.get(f, _MIX["other"]) for f in family])[load_pos]
    u = rng.random(n_meters)
    cls_code = (u[:, None] > np.cumsum(mix, axis=1)).sum(axis=1).clip(0, len(CLASSES) - 1)
    classes = np.asarray(CLASSES)[cls_code]
    weight = np.array([CLASS_WEIGHT[c] for c in CLASSES])[cls_code] * rng.lognormal(0, 0.5, n_meters)
    share = weight / np.bincount(load_pos, weights=weight, minlength=len(grid.load))[load_pos]
    kinds = np.where(classes == "critical", np.asarray(CRITICAL_KINDS)[rng.integers(0, 4, n_meters)], "")
    fleet = pd.DataFrame(
        {
            "code": np.arange(n_meters, dtype=np.int64),
            "load": grid.load.index.to_numpy()[load_pos],
            "bus": grid.load["bus"].to_numpy()[load_pos],
            "customer_class": pd.Categorical(classes, categories=CLASSES),
            "critical_kind": kinds,
            "priority": np.array([PRIORITY[c] for c in CLASSES], dtype=np.int8)[cls_code],
            "share": share,
            "kwh_max": np.array([CLASS_MAX_KW[c] for c in CLASSES])[cls_code] * 0.25,
        },
        index=pd.Index(meter_ids(n_meters), name="meter_id"),
    )
    return fleet


def _allocate(weights: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``weights``, one each first when ``n`` allows."""
    k = len(weights)
    base = np.ones(k, dtype=np.int64) if n >= k else np.zeros(k, dtype=np.int64)
    rest = n - base.sum()
    w = weights / weights.sum() if weights.sum() > 0 else np.full(k, 1.0 / k)
    exact = w * rest
    counts = np.floor(exact).astype(np.int64)
    short = rest - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return base + counts


def meter_ids(n_meters: int) -> np.ndarray:
    """Meter ids ``M000001`` ... of a fleet of ``n_meters`` (vectorised)."""
    digits = max(6, len(str(n_meters)))
    return np.char.add("M", np.char.zfill(np.arange(1, n_meters + 1).astype(str), digits)).astype(object)
