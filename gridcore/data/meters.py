"""Meter readings: the AMI contract.

Readings arrive as ``meter_id``, ``timestamp`` (end of the 15-minute interval) and ``kwh`` (energy in
the interval [kWh]). The registry is the meter fleet; each meter's bound is what its customer class can
draw in 15 minutes (``kwh_max``). Valid readings come back as ``code`` (fleet position), ``timestamp``
(interval end, UTC) and ``kwh``.
"""

from __future__ import annotations

import pandas as pd

from gridcore.data.contracts import Contract, ValidationResult, prepare, validate

QUARTER = pd.Timedelta(minutes=15)


def meter_contract(fleet: pd.DataFrame) -> Contract:
    """The ``meter_readings`` contract for a fleet (index ``meter_id``, column ``kwh_max`` [kWh])."""
    return Contract(
        suite="meter_readings",
        id_column="meter_id",
        value_column="kwh",
        registry=fleet,
        known_column="meter_known",
        bound_columns=("kwh_max",),
        grid=QUARTER,
    )


def prepare_readings(
    raw: pd.DataFrame,
    fleet: pd.DataFrame,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
) -> pd.DataFrame:
    """Meter readings with the derived columns of the ``meter_readings`` suite (see :func:`prepare`)."""
    return prepare(raw, meter_contract(fleet), now, as_of, source)


def validate_readings(
    raw: pd.DataFrame,
    fleet: pd.DataFrame,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
) -> ValidationResult:
    """Validate meter readings against the ``meter_readings`` suite.

    Parameters
    ----------
    raw : pd.DataFrame
        ``meter_id``, ``timestamp`` (end of interval), ``kwh`` [kWh] as received.
    fleet : pd.DataFrame
        The meter fleet.
    now : pd.Timestamp
        Time of the run (UTC); later readings are in the future.
    as_of : pd.Timestamp, optional
        Reference for staleness (UTC); the newest reading not in the future by default.
    source : str
        Name of the input, for messages.

    Returns
    -------
    ValidationResult
        ``valid`` has ``code``, ``timestamp`` (interval end), ``kwh``.
    """
    return validate(raw, meter_contract(fleet), now, as_of, source)
