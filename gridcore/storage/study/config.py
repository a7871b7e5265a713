"""What a storage allocation study runs: strategies, weeks, sizes, the year, the trade-off; its periods.

:class:`StudyConfig` holds the settings, :func:`study_periods` the first hour of each week and
:func:`study_steps` the number of progress steps a run reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from gridcore.errors import InputError
from gridcore.storage.plan import PRICE_EXPORT_EUR_PER_MWH, PRICE_IMPORT_EUR_PER_MWH

#: Allocation strategies, in the order of the tables.
STRATEGIES = ("none", "uniform", "proportional_pv", "constrained_feeders", "central")
#: Progress callback: ``progress(done, total, label)``.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class StudyConfig:
    """What the study runs.

    Attributes
    ----------
    summer_start, winter_start : str
        First hour of the summer and winter weeks (UTC).
    year : bool
        Run the year (52 weekly LPs per site with the SoC carried; the slow part).
    year_start : str
        First hour of the year (UTC).
    weeks : int
        Weeks of the year [-].
    size_factors : tuple of float
        Total energies of the week sweep as multiples of the base size [-].
    base_mwh_per_mw : float
        Base total energy per MW of installed PV over all sites [MWh/MW].
    duration_h : float
        Energy-to-power ratio of every battery [h] (power = energy / duration).
    cost_multipliers : tuple of float
        Multipliers of the degradation model's throughput cost in the trade-off [-].
    top_feeder_frac : float
        Share of the feeders (ranked by no-storage curtailment) that ``constrained_feeders`` uses [-].
    horizon_h : int
        Length of a week's LP [h].
    solver : str
        LP solver (``glop``, ``highs``, ``auto``).
    price_import, price_export : float
        Tariffs [EUR/MWh].
    """

    summer_start: str = "2016-07-01T00:00Z"
    winter_start: str = "2016-01-11T00:00Z"
    year: bool = True
    year_start: str = "2016-01-01T00:00Z"
    weeks: int = 52
    size_factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    base_mwh_per_mw: float = 1.0
    duration_h: float = 2.0
    cost_multipliers: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
    top_feeder_frac: float = 1.0 / 3.0
    horizon_h: int = 168
    solver: str = "auto"
    price_import: float = PRICE_IMPORT_EUR_PER_MWH
    price_export: float = PRICE_EXPORT_EUR_PER_MWH

    def __post_init__(self) -> None:
        """Check sizes, duration, weeks and multipliers."""
        if not self.size_factors or min(self.size_factors) <= 0:
            raise InputError(
                f"size_factors: need at least one size, all > 0 (got {self.size_factors})",
                field="size_factors",
            )
        if self.duration_h <= 0 or self.base_mwh_per_mw <= 0:
            raise InputError(
                f"duration_h ({self.duration_h}) and base_mwh_per_mw ({self.base_mwh_per_mw}) must be > 0",
                field="duration_h",
            )
        if self.weeks < 1:
            raise InputError(f"weeks: need at least 1 (got {self.weeks})", field="weeks")
        if min(self.cost_multipliers, default=0.0) < 0:
            raise InputError(
                f"cost_multipliers: must be >= 0 (got {self.cost_multipliers})", field="cost_multipliers"
            )
        if not 0 < self.top_feeder_frac <= 1:
            raise InputError(
                f"top_feeder_frac: must be in (0, 1] (got {self.top_feeder_frac})", field="top_feeder_frac"
            )


def utc_hour(name: str, value: str | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a UTC hour; a naive or off-the-hour time is an error naming ``name``."""
    ts = pd.Timestamp(value)
    if ts.tz is None:
        raise InputError(f"{name} {value!r} must be timezone-aware (UTC), e.g. 2016-07-01T00:00Z", field=name)
    if ts != ts.floor("h"):
        raise InputError(f"{name} {value!r} is not on the hour", field=name)
    return ts.tz_convert("UTC")


def study_periods(config: StudyConfig) -> dict[str, pd.Timestamp]:
    """First hour (UTC) of each week of the study: ``summer_week``, ``winter_week``."""
    return {
        "summer_week": utc_hour("summer start", config.summer_start),
        "winter_week": utc_hour("winter start", config.winter_start),
    }


def study_steps(config: StudyConfig) -> int:
    """Number of progress steps :func:`run_study` reports (for a progress bar's total)."""
    storage = len(STRATEGIES) - 1
    weeks = 2 * (1 + storage * len(config.size_factors))
    year = len(STRATEGIES) * config.weeks if config.year else 0
    return weeks + year + 2 * len(config.cost_multipliers)
