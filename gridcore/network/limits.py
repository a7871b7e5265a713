"""Operating limits: the voltage levels, the voltage band of each level and the thermal loading limit.

The one definition of the limits that every check uses: the violations of a power flow
(:mod:`gridcore.network.powerflow`), the constraint flags of a time series
(:mod:`gridcore.network.timeseries`) and the post-contingency violations of N-1
(:mod:`gridcore.network.contingency`). A bus takes the band of its voltage level, found from its nominal
voltage; a caller may override the band of any level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from gridcore.errors import InputError

#: Upper bounds of the voltage levels [kV] (nominal voltage below the bound): LV < 1 kV <= MV < 60 kV <=
#: HV < 220 kV <= EHV.
VOLTAGE_LEVELS: tuple[tuple[str, float], ...] = (("LV", 1.0), ("MV", 60.0), ("HV", 220.0), ("EHV", math.inf))
#: Default voltage band per level [p.u.]; ``unknown`` is for buses whose case gives no nominal voltage.
DEFAULT_VOLTAGE_BANDS: dict[str, tuple[float, float]] = {
    "LV": (0.95, 1.05),
    "MV": (0.95, 1.05),
    "HV": (0.90, 1.10),
    "EHV": (0.90, 1.10),
    "unknown": (0.90, 1.10),
}
#: Default thermal limit: loading of a line or transformer [%].
DEFAULT_LOADING_LIMIT_PCT = 100.0


def voltage_level(vn_kv: float) -> str:
    """Voltage level of a nominal voltage: ``LV``, ``MV``, ``HV``, ``EHV`` (see :data:`VOLTAGE_LEVELS`).

    Parameters
    ----------
    vn_kv : float
        Nominal voltage [kV]; NaN or non-positive gives ``unknown``.

    Returns
    -------
    str
    """
    if not vn_kv > 0:
        return "unknown"
    return next(name for name, upper in VOLTAGE_LEVELS if vn_kv < upper)


def voltage_bands(
    overrides: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, tuple[float, float]]:
    """The band of every voltage level: :data:`DEFAULT_VOLTAGE_BANDS` with ``overrides`` applied.

    Parameters
    ----------
    overrides : mapping of str to (float, float), optional
        ``{level: (vm_min, vm_max)}`` [p.u.] for some of ``LV``, ``MV``, ``HV``, ``EHV``, ``unknown``.

    Returns
    -------
    dict of str to (float, float)
        Every level's (vm_min, vm_max) [p.u.].

    Raises
    ------
    ValueError
        Naming a level that does not exist, or a band whose lower bound is not below its upper bound.
    """
    bands = dict(DEFAULT_VOLTAGE_BANDS)
    for level, band in (overrides or {}).items():
        if level not in DEFAULT_VOLTAGE_BANDS:
            raise InputError(
                f"voltage band: unknown level {level!r}; use one of {', '.join(DEFAULT_VOLTAGE_BANDS)}",
                field="voltage_band",
            )
        low, high = (float(v) for v in band)
        bands[level] = (low, high)
    for level, (low, high) in bands.items():
        if not low < high:
            raise InputError(
                f"voltage band {level}: lower bound {low} p.u. is not below upper bound {high} p.u.",
                field="voltage_band",
            )
    return bands


def band_per_bus(
    vn_kv: np.ndarray, overrides: Mapping[str, tuple[float, float]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper voltage limit of each bus from its nominal voltage.

    Parameters
    ----------
    vn_kv : np.ndarray
        Nominal voltage per bus [kV]; NaN or non-positive takes the ``unknown`` band.
    overrides : mapping of str to (float, float), optional
        Bands per level [p.u.] that replace the defaults (see :func:`voltage_bands`).

    Returns
    -------
    vm_min, vm_max : np.ndarray
        Per bus [p.u.].
    """
    bands = voltage_bands(overrides)
    vn = np.asarray(vn_kv, dtype=np.float64)
    lo = np.full(len(vn), bands["unknown"][0])
    hi = np.full(len(vn), bands["unknown"][1])
    lower = 0.0
    for level, upper in VOLTAGE_LEVELS:
        inside = (vn > lower) & (vn < upper) if lower == 0.0 else (vn >= lower) & (vn < upper)
        lo[inside], hi[inside] = bands[level]
        lower = upper
    return lo, hi


def bands_by_kv(
    overrides: Mapping[str, tuple[float, float]] | None = None,
) -> dict[float, tuple[float, float]]:
    """The bands keyed by the lowest nominal voltage of each level: ``{0.0: LV, 1.0: MV, 60.0: HV, ...}``.

    The form :func:`gridcore.network.contingency.contingency_analysis` also accepts as ``vm_band``.

    Parameters
    ----------
    overrides : mapping of str to (float, float), optional
        Bands per level [p.u.] that replace the defaults.

    Returns
    -------
    dict of float to (float, float)
        ``{lowest vn_kv [kV]: (vm_min, vm_max) [p.u.]}``.
    """
    bands = voltage_bands(overrides)
    out: dict[float, tuple[float, float]] = {}
    lower = 0.0
    for level, upper in VOLTAGE_LEVELS:
        out[lower] = bands[level]
        lower = upper
    return out
