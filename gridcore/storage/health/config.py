"""What a health run assumes and checks: thresholds, the fleet columns it needs, the use assumed unscheduled.

Where no schedule is known a unit is assumed to do
:data:`~gridcore.storage.degradation.aging.EFC_PER_YEAR` equivalent full cycles a year by kind, as one daily
cycle around the middle of its SoC window (:func:`assumed_use`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.storage.degradation import EFC_PER_YEAR, EOL_SOH, check_fleet_columns

#: Fleet columns the health needs.
FLEET_COLUMNS = (
    "kind",
    "chemistry",
    "energy_mwh",
    "soc_min_frac",
    "soc_max_frac",
    "eta_charge",
    "eta_discharge",
    "commissioned",
)
#: Status of a unit: ``alarm`` below :attr:`HealthConfig.alarm_soh`; ``warn`` below ``warn_soh`` or within
#: ``warn_years`` of end of life at its recent use; else ``ok``.
STATUSES = ("ok", "warn", "alarm")


@dataclass(frozen=True)
class HealthConfig:
    """Thresholds and assumptions of a fleet health run.

    Attributes
    ----------
    warn_soh : float
        A unit below this SoH is near end of life (``warn``) [fraction].
    warn_years : float
        A unit expected to reach end of life within this time at its recent use is near end of life too
        (``warn``) [years].
    alarm_soh : float
        A unit below this SoH raises an alarm (``alarm``) [fraction].
    eol_soh : float
        End of life, for the years-to-end-of-life projection [fraction].
    temp_c : float
        Cell temperature where the fleet has no ``temp_c`` column [°C].
    efc_per_year : Mapping[str, float]
        Assumed use by kind where no schedule is known [EFC/year].
    recent_days : int
        Days of history whose use is projected forward [days].
    horizon_years : float
        Projection horizon; a unit not at end of life by then gets ``inf`` [years].
    prehistory_steps : int
        Integration steps of the period before the history (per unit).
    """

    warn_soh: float = 0.85
    warn_years: float = 1.0
    alarm_soh: float = EOL_SOH
    eol_soh: float = EOL_SOH
    temp_c: float = 25.0
    efc_per_year: Mapping[str, float] = field(default_factory=lambda: dict(EFC_PER_YEAR))
    recent_days: int = 28
    horizon_years: float = 50.0
    prehistory_steps: int = 48

    def __post_init__(self) -> None:
        """Check that ``0 < alarm_soh <= warn_soh <= 1``."""
        if not 0.0 < self.alarm_soh <= self.warn_soh <= 1.0:
            raise InputError(
                f"health thresholds: need 0 < alarm_soh ({self.alarm_soh}) <= warn_soh ({self.warn_soh}) "
                "<= 1",
                field="alarm_soh",
            )


def _utc_naive(ts: pd.Timestamp | str, name: str) -> pd.Timestamp:
    """A UTC timestamp as naive UTC (the store's convention); a naive input is an error."""
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        raise InputError(
            f"{name}: {t} has no time zone; give it in UTC (e.g. {t:%Y-%m-%dT%H:%M}Z)", field=name
        )
    return t.tz_convert("UTC").tz_localize(None)


def check_fleet(fleet: pd.DataFrame) -> None:
    """Raise a ValueError naming the field and battery of the first fleet row health cannot use.

    Parameters
    ----------
    fleet : pd.DataFrame
        The fleet table (:data:`FLEET_COLUMNS` needed; ``commissioned`` tz-aware UTC).
    """
    check_fleet_columns(fleet, FLEET_COLUMNS)
    when = fleet["commissioned"]
    if not isinstance(when.dtype, pd.DatetimeTZDtype):
        raise InputError(
            "fleet.commissioned: timestamps must be tz-aware UTC (e.g. 2014-05-01T00:00Z)",
            field="commissioned",
        )
    for col in ("energy_mwh", "eta_charge", "eta_discharge"):
        bad = ~(fleet[col].astype(float) > 0)
        if bad.any():
            b = fleet.index[bad][0]
            raise InputError(
                f"fleet.{col}: {fleet.at[b, col]} of battery {b} must be > 0",
                field=col,
                element=f"battery:{b}",
            )


def assumed_use(fleet: pd.DataFrame, config: HealthConfig = HealthConfig()) -> pd.DataFrame:
    """Use assumed where no schedule is known: a daily cycle by kind.

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table with ``kind``, ``soc_min_frac``, ``soc_max_frac``.
    config : HealthConfig

    Returns
    -------
    pd.DataFrame
        Per battery: ``efc_per_day`` [EFC/day], ``dod`` (the cycle's depth: the daily EFC, at most the SoC
        window) [fraction], ``soc_mean`` (middle of the SoC window) [fraction].

    Raises
    ------
    ValueError
        Naming the battery of a kind without an assumed use.
    """
    unknown = ~fleet["kind"].isin(list(config.efc_per_year))
    if unknown.any():
        b = fleet.index[unknown][0]
        raise InputError(
            f"fleet.kind: {fleet.at[b, 'kind']!r} of battery {b} has no assumed EFC per year",
            field="kind",
            element=f"battery:{b}",
        )
    per_day = fleet["kind"].map(config.efc_per_year).astype(float) / 365.25
    lo = fleet["soc_min_frac"].astype(float)
    hi = fleet["soc_max_frac"].astype(float)
    return pd.DataFrame(
        {"efc_per_day": per_day, "dod": np.minimum(per_day, hi - lo), "soc_mean": (hi + lo) / 2},
        index=fleet.index,
    )
