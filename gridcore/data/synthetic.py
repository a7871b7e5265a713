"""Synthetic AMI feed for the default grid: 15-minute meter readings, vectorised and seeded.

The reading of meter m for the quarter hour ending at t is its share of its load's SimBench profile,
``kwh = share_m * P_load(t) [MW] * 250 [kWh/MW per 15 min] * (1 + e)``, with ``e`` a small zero-mean
multiplicative noise (default 5 % RMS per reading). Summed over a load's meters, the readings give back
the load profile within a fraction of a percent. The noise and any injected faults are drawn from
``(seed, hour)``, so any window is reproducible and independent of the windows generated before it.

A real head-end sends imperfect data; :class:`FaultRates` injects the usual defects at stated rates (empty
readings, retransmitted duplicates, conflicting corrections, negative values, spikes) so the validation
path is exercised on every run. ``FaultRates.none()`` gives a clean feed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.network.grid import STEP, GridModel

#: kWh in one quarter hour at 1 MW.
KWH_PER_MW_QUARTER = 250.0


@dataclass(frozen=True)
class FaultRates:
    """Fraction of readings affected by each defect.

    Attributes
    ----------
    missing : float
        Readings sent with an empty value (meter did not report).
    duplicate : float
        Readings retransmitted as identical copies.
    conflicting : float
        Readings sent twice with different values.
    negative : float
        Readings with a negative value (a register fault).
    spike : float
        Readings far above anything the meter's class can draw.
    """

    missing: float = 0.002
    duplicate: float = 0.0005
    conflicting: float = 0.0001
    negative: float = 0.0001
    spike: float = 0.00005

    @classmethod
    def none(cls) -> FaultRates:
        """A clean feed."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0)


def quarter_hours(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Quarter-hour interval starts in ``[start, end)`` (UTC)."""
    return pd.date_range(start, end, freq=STEP, inclusive="left", tz="UTC")


def load_power(grid: GridModel, starts: pd.DatetimeIndex) -> np.ndarray:
    """Active power of every load for each quarter hour [MW], time x load."""
    return grid.load_p_mw[grid.profile_index(starts)]


def meter_readings(
    grid: GridModel,
    fleet: pd.DataFrame,
    hour: pd.Timestamp,
    seed: int = 1,
    noise: float = 0.05,
    faults: FaultRates | None = None,
    block: int = 0,
    meter_ids: pd.Index | None = None,
) -> pd.DataFrame:
    """The AMI feed for one hour: every meter's four 15-minute readings.

    Parameters
    ----------
    grid : GridModel
    fleet : pd.DataFrame
        From :func:`gridcore.data.fleet.build_fleet`.
    hour : pd.Timestamp
        UTC start of the hour.
    seed : int
        Random seed of the feed.
    noise : float
        RMS of the multiplicative reading noise [-].
    faults : FaultRates, optional
        Defects to inject; the defaults of :class:`FaultRates` when omitted.
    block : int
        Which block of the fleet ``fleet`` is (see :func:`fleet_blocks`); part of the random stream, so a
        block's readings do not depend on how the fleet is split among workers.
    meter_ids : pd.Index, optional
        All meter ids of the fleet (categories of ``meter_id``); ``fleet.index`` by default.

    Returns
    -------
    pd.DataFrame
        Columns ``meter_id`` (categorical over the fleet's ids), ``timestamp`` (UTC end of the
        interval), ``kwh`` [kWh]; meter-major order.
    """
    faults = FaultRates() if faults is None else faults
    hour = pd.Timestamp(hour).tz_convert("UTC").floor("h")
    starts = quarter_hours(hour, hour + pd.Timedelta(hours=1))
    rng = np.random.default_rng([seed, int(hour.value // 3_600_000_000_000), block])
    n, t = len(fleet), len(starts)
    power = load_power(grid, starts)[:, fleet["load"].map(_load_position(grid)).to_numpy()]
    kwh = fleet["share"].to_numpy()[None, :] * power * KWH_PER_MW_QUARTER
    kwh *= np.clip(1.0 + noise * rng.standard_normal((t, n)), 0.0, None)
    kwh = kwh.T.reshape(-1)
    local = np.repeat(np.arange(n), t)
    ends = np.tile((starts + STEP).as_unit("ns").asi8, n)

    m = kwh.size
    kwh[rng.random(m) < faults.missing] = np.nan
    kwh[rng.random(m) < faults.negative] *= -1.0
    spike = rng.random(m) < faults.spike
    kwh[spike] = fleet["kwh_max"].to_numpy()[local[spike]] * 10.0
    dup = np.flatnonzero(rng.random(m) < faults.duplicate)
    con = np.flatnonzero(rng.random(m) < faults.conflicting)
    extra = np.concatenate([dup, con])
    extra_kwh = np.concatenate([kwh[dup], kwh[con] * 1.1 + 0.01])
    order = np.argsort(np.concatenate([np.arange(m), extra]), kind="stable")
    codes = fleet["code"].to_numpy()[np.concatenate([local, local[extra]])[order]]
    ends = np.concatenate([ends, ends[extra]])[order]
    kwh = np.concatenate([kwh, extra_kwh])[order]
    return pd.DataFrame(
        {
            "meter_id": pd.Categorical.from_codes(
                codes, categories=fleet.index if meter_ids is None else meter_ids
            ),
            "timestamp": pd.to_datetime(ends, utc=True),
            "kwh": kwh,
        }
    )


def _load_position(grid: GridModel) -> pd.Series:
    return pd.Series(np.arange(len(grid.load)), index=grid.load.index)


#: Meters per block of the synthetic feed (the unit of random streams and of parallel work).
BLOCK_METERS = 25_000


def fleet_blocks(n_meters: int, block_meters: int = BLOCK_METERS) -> list[slice]:
    """Consecutive slices of the fleet, ``block_meters`` each (the last may be shorter)."""
    return [slice(i, min(i + block_meters, n_meters)) for i in range(0, n_meters, block_meters)]
