"""Capacity fade of a set of units, integrated step by step over their stress (vectorised over units).

:class:`FadeState` holds the calendar and cycle fade reached so far; :func:`step_fade` advances it by one
step of stress with the rates of :mod:`~gridcore.storage.degradation.chemistry`, by the "virtual time"
rule: each step continues the trajectory of the new rate from the point that gives the fade reached so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gridcore.errors import InputError
from gridcore.storage.degradation.chemistry import (
    CHEMISTRIES,
    LAM_INITIAL,
    LFP_PRISMATIC_2019,
    NMC_KOKAM_2017,
    _cycle_rates,
    calendar_rate,
)


@dataclass
class FadeState:
    """Accumulated capacity fade of a set of units (arrays of one value per unit).

    Attributes
    ----------
    chemistry : np.ndarray
        ``NMC`` or ``LFP`` per unit.
    calendar : np.ndarray
        Calendar capacity loss (LLI by time) [fraction of nominal capacity].
    cycle : np.ndarray
        Cycling capacity loss by lithium inventory (NMC) or the whole cycling loss (LFP) [fraction].
    lam : np.ndarray
        Loss of active material (NMC; 0 for LFP) [fraction].
    days : np.ndarray
        Calendar age integrated so far [days].
    efc : np.ndarray
        Equivalent full cycles integrated so far [-].
    """

    chemistry: np.ndarray
    calendar: np.ndarray
    cycle: np.ndarray
    lam: np.ndarray
    days: np.ndarray
    efc: np.ndarray

    @classmethod
    def new(cls, chemistry: ArrayLike) -> FadeState:
        """A fleet of new units (SoH 1).

        Parameters
        ----------
        chemistry : array_like of str
            ``NMC`` or ``LFP`` per unit.

        Raises
        ------
        ValueError
            Naming the position and value of an unknown chemistry.
        """
        chem = np.asarray(chemistry, dtype=str)
        bad = ~np.isin(chem, CHEMISTRIES)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"chemistry: {str(chem[i])!r} at row {i} is not one of {', '.join(CHEMISTRIES)}",
                field="chemistry",
                row=i,
            )
        zero = np.zeros(chem.shape)
        lam = np.where(chem == "NMC", LAM_INITIAL, 0.0)
        return cls(chem, zero.copy(), zero.copy(), lam, zero.copy(), zero.copy())

    @property
    def soh(self) -> np.ndarray:
        """State of health: remaining capacity / nominal capacity [fraction]."""
        lli = 1.0 - self.calendar - self.cycle
        return np.where(self.chemistry == "NMC", np.minimum(lli, 1.01 - self.lam), lli)

    @property
    def calendar_fade(self) -> np.ndarray:
        """Capacity lost to calendar aging [fraction of nominal capacity]."""
        return self.calendar.copy()

    @property
    def cycle_fade(self) -> np.ndarray:
        """Capacity lost to cycling (the rest of the fade) [fraction of nominal capacity]."""
        return 1.0 - self.soh - self.calendar


def _power_step(y0: np.ndarray, k: np.ndarray, p: float, dx: np.ndarray) -> np.ndarray:
    """Continue ``y = k x^p`` from ``y0`` by ``dx`` (virtual time ``x0 = (y0 / k)^(1 / p)``)."""
    return k * ((y0 / k) ** (1.0 / p) + dx) ** p


def _sigmoid_step(y0: np.ndarray, knee: np.ndarray, p: float, dx: np.ndarray) -> np.ndarray:
    """Continue ``y = tanh((x / knee)^p / 2)`` from ``y0`` by ``dx``."""
    x0 = knee * (2.0 * np.arctanh(np.minimum(y0, 1.0 - 1e-15))) ** (1.0 / p)
    return np.tanh(((x0 + dx) / knee) ** p / 2.0)


def _soc_samples(soc_frac: ArrayLike, n: int) -> np.ndarray:
    """SoC as (units, samples), clipped to 0-1."""
    soc = np.clip(np.asarray(soc_frac, dtype=float), 0.0, 1.0)
    return np.broadcast_to(soc.reshape(-1, 1) if soc.ndim < 2 else soc, (n, max(soc.shape[1:] or (1,))))


def step_fade(
    state: FadeState,
    days: ArrayLike,
    efc: ArrayLike,
    dod: ArrayLike,
    soc_frac: ArrayLike,
    temp_c: ArrayLike = 25.0,
    crate: ArrayLike | None = None,
    calendar: tuple[np.ndarray, np.ndarray] | None = None,
) -> FadeState:
    """Advance the fade of every unit over one step of stress (vectorised over units).

    Parameters
    ----------
    state : FadeState
        Fade reached so far.
    days : array_like
        Length of the step [days], per unit or scalar (0 leaves a unit unchanged).
    efc : array_like
        Equivalent full cycles done in the step [-] (cell throughput / 2 / nominal capacity).
    dod : array_like
        Depth of discharge of the step (max - min SoC) [fraction of nominal capacity]; divided by the
        current SoH, since a fixed MWh swing is a deeper cycle of an aged battery.
    soc_frac : array_like
        State of charge during the step [fraction of nominal capacity]: scalar, one value per unit, or
        samples over the step, shape (units, samples) (e.g. the 24 hourly values of a day; NaN skipped;
        clipped to 0-1). The calendar rate is averaged over the samples, the LAM knee uses their mean.
    temp_c : array_like
        Cell temperature [°C], scalar or per unit.
    crate : array_like, optional
        Mean absolute C-rate over the step [1/h] (default: ``2 * efc / (24 * days)``).
    calendar : tuple of np.ndarray, optional
        :func:`calendar_rate` of the step, when already computed (``soc_frac`` is then not read).

    Returns
    -------
    FadeState
        The new state (``state`` is not modified).
    """
    shape = state.soh.shape
    temp = np.broadcast_to(np.asarray(temp_c, dtype=float), shape)
    if calendar is None:
        calendar = calendar_rate(state.chemistry, temp, _soc_samples(soc_frac, shape[0]))
    k_cal, soc_mean = calendar
    return _advance(state, days, efc, dod, k_cal, soc_mean, temp, crate)


def _advance(
    state: FadeState,
    days: ArrayLike,
    efc: ArrayLike,
    dod: ArrayLike,
    k_cal: np.ndarray,
    soc_mean: np.ndarray,
    temp: np.ndarray,
    crate: ArrayLike | None = None,
) -> FadeState:
    """:func:`step_fade` with the calendar rate already computed."""
    shape = state.soh.shape
    days_a = np.broadcast_to(np.asarray(days, dtype=float), shape)
    efc_a = np.broadcast_to(np.asarray(efc, dtype=float), shape)
    soh = np.maximum(state.soh, 0.05)
    dod_a = np.clip(np.broadcast_to(np.asarray(dod, dtype=float), shape) / soh, 0.0, 1.0)
    if crate is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            crate_a = np.where(days_a > 0, 2.0 * efc_a / (24.0 * days_a), 0.0)
    else:
        crate_a = np.broadcast_to(np.asarray(crate, dtype=float), shape)
    k_cyc, knee = _cycle_rates(state.chemistry, temp, dod_a, soc_mean, crate_a)
    is_nmc = state.chemistry == "NMC"
    p_cal = np.where(is_nmc, NMC_KOKAM_2017["q2"], LFP_PRISMATIC_2019["p_cal"])
    p_cyc = np.where(is_nmc, NMC_KOKAM_2017["q4"], LFP_PRISMATIC_2019["p_cyc"])
    lam = np.where(is_nmc, _sigmoid_step(state.lam, knee, NMC_KOKAM_2017["p_lam"], efc_a), 0.0)
    return FadeState(
        state.chemistry,
        _power_step(state.calendar, k_cal, p_cal, days_a),
        _power_step(state.cycle, k_cyc, p_cyc, efc_a),
        lam,
        state.days + days_a,
        state.efc + efc_a,
    )
