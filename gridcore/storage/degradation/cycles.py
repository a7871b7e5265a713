"""Cycle counting: rainflow cycles (ASTM E1049-85) and equivalent full cycles of a battery's use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import rainflow
from numpy.typing import ArrayLike


def rainflow_cycles(soc_frac: ArrayLike) -> pd.DataFrame:
    """Rainflow cycles of a state-of-charge series (ASTM E1049-85, the ``rainflow`` package).

    Parameters
    ----------
    soc_frac : array_like
        State of charge over time [fraction of nominal capacity]; NaN values are dropped.

    Returns
    -------
    pd.DataFrame
        One row per cycle or half cycle: ``depth_frac`` (range) [fraction of capacity], ``mean_frac``
        [fraction], ``count`` (1.0 full, 0.5 half cycle), ``i_start``, ``i_end`` (positions in the series
        without NaN).

    Examples
    --------
    >>> rainflow_cycles([0.1, 0.9, 0.1, 0.9, 0.1])["count"].sum()
    np.float64(2.0)
    """
    x = np.asarray(soc_frac, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 2:  # one rise or fall: a half cycle (the package counts none for two values, one for three)
        rows = [(abs(x[1] - x[0]), (x[0] + x[1]) / 2, 0.5, 0, 1)] if x[0] != x[1] else []
    else:
        rows = list(rainflow.extract_cycles(x)) if x.size > 2 else []
    return pd.DataFrame(rows, columns=["depth_frac", "mean_frac", "count", "i_start", "i_end"]).astype(
        {"depth_frac": float, "mean_frac": float, "count": float, "i_start": int, "i_end": int}
    )


def rainflow_totals(soc_frac: ArrayLike) -> tuple[float, float]:
    """Rainflow cycle count and EFC of one series, without building a table (fast path for fleets).

    The series is first reduced to its turning points with numpy (what the ASTM counting reads anyway).

    Parameters
    ----------
    soc_frac : array_like
        State of charge over time [fraction of nominal capacity]; NaN values are dropped.

    Returns
    -------
    tuple of float
        Cycles (full cycles count 1, half cycles 0.5) [-] and equivalent full cycles ``sum(count * depth)``
        [-], as :func:`rainflow_cycles` and :func:`efc_from_rainflow`.
    """
    x = np.asarray(soc_frac, dtype=float)
    x = x[~np.isnan(x)]
    if x.size:
        x = x[np.concatenate([[True], np.diff(x) != 0])]
    if x.size > 2:
        d = np.diff(x)
        turn = np.concatenate([[True], d[1:] * d[:-1] < 0, [True]])
        x = x[turn]
    if x.size < 2:
        return 0.0, 0.0
    if x.size == 2:  # one rise or fall: a half cycle (the package counts none for two values)
        return 0.5, 0.5 * abs(float(x[1] - x[0]))
    cycles = np.array([(c[0], c[2]) for c in rainflow.extract_cycles(x)])
    return float(cycles[:, 1].sum()), float((cycles[:, 0] * cycles[:, 1]).sum())


def efc_from_rainflow(cycles: pd.DataFrame) -> float:
    """Equivalent full cycles from rainflow cycles: ``sum(count * depth)``.

    A full cycle of depth ``d`` moves ``2 d`` of capacity (down and up), a half cycle ``d``; one EFC is
    two capacities moved, so both count ``count * d``. This equals :func:`efc_from_soc` on the same series.

    Parameters
    ----------
    cycles : pd.DataFrame
        From :func:`rainflow_cycles` (``depth_frac`` [fraction], ``count``).

    Returns
    -------
    float
        Equivalent full cycles [-].
    """
    return float((cycles["count"] * cycles["depth_frac"]).sum())


def efc_from_soc(
    soc_mwh: ArrayLike, energy_mwh: ArrayLike, soc_start_mwh: ArrayLike | None = None
) -> np.ndarray:
    """Equivalent full cycles from a state-of-charge series: cell throughput / 2 / nominal capacity.

    Parameters
    ----------
    soc_mwh : array_like
        SoC at the end of each step [MWh], shape (hours,) or (units, hours); NaN steps add nothing.
    energy_mwh : array_like
        Nominal capacity [MWh], scalar or one per unit.
    soc_start_mwh : array_like, optional
        SoC before the first step [MWh] (default: the first value, i.e. the first step moves nothing).

    Returns
    -------
    np.ndarray
        EFC per unit [-] (a 0-d array for one series).
    """
    soc = np.atleast_2d(np.asarray(soc_mwh, dtype=float))
    start = soc[:, :1] if soc_start_mwh is None else np.asarray(soc_start_mwh, dtype=float).reshape(-1, 1)
    moved = np.nansum(np.abs(np.diff(np.concatenate([np.broadcast_to(start, (len(soc), 1)), soc], 1))), 1)
    out = moved / 2.0 / np.asarray(energy_mwh, dtype=float)
    return out.reshape(np.shape(soc_mwh)[:-1])


def efc_from_throughput(charge_mwh: ArrayLike, discharge_mwh: ArrayLike, energy_mwh: ArrayLike) -> np.ndarray:
    """Equivalent full cycles from energy throughput: ``(charge + discharge) / 2 / capacity``.

    Parameters
    ----------
    charge_mwh, discharge_mwh : array_like
        Energy charged and discharged per step [MWh] (a 1 h step of ``x`` MW moves ``x`` MWh), shape
        (hours,) or (units, hours); NaN steps add nothing.
    energy_mwh : array_like
        Nominal capacity [MWh], scalar or one per unit.

    Returns
    -------
    np.ndarray
        EFC per unit [-].
    """
    moved = np.nansum(np.asarray(charge_mwh, dtype=float), -1) + np.nansum(
        np.asarray(discharge_mwh, float), -1
    )
    return moved / 2.0 / np.asarray(energy_mwh, dtype=float)
