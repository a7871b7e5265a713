"""Aging under steady use: a day's cycle, aging over a period, years to end of life, cycle life.

Also the use assumed where no schedule is known (:data:`EFC_PER_YEAR`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from gridcore.storage.degradation.chemistry import (
    EOL_SOH,
    LFP_PRISMATIC_2019,
    NMC_KOKAM_2017,
    _cycle_rates,
    calendar_rate,
)
from gridcore.storage.degradation.fade import FadeState, _advance, _soc_samples

#: Assumed use before the stored schedules: equivalent full cycles per year by fleet ``kind`` [EFC/year].
#: Home PV batteries cycle once on most days outside winter (about 250/year, in line with the German
#: home-storage monitoring of Figgener et al., "The development of stationary battery storage systems in
#: Germany", J. Energy Storage 29 (2020) 101153, which reports about 250 EFC/year); community and grid units
#: are assumed to do 300 and 365.
EFC_PER_YEAR: Mapping[str, float] = MappingProxyType({"home": 250.0, "community": 300.0, "grid": 365.0})


def daily_cycle_soc(dod: ArrayLike, soc_mean: ArrayLike, samples: int = 24) -> np.ndarray:
    """SoC samples of one cycle a day: a linear discharge of depth ``dod`` and the recharge, around a mean.

    Parameters
    ----------
    dod : array_like
        Depth of the cycle, per unit [fraction of nominal capacity].
    soc_mean : array_like
        Mean SoC, per unit [fraction].
    samples : int
        Samples over the day (an even number; 24 = hourly).

    Returns
    -------
    np.ndarray
        SoC [fraction], shape (units, samples): from ``soc_mean + dod/2`` down to ``soc_mean - dod/2`` and
        back.
    """
    half = samples // 2
    shape = np.linspace(0.5, -0.5, half + 1)
    wave = np.concatenate([shape, shape[1:-1][::-1]])
    dod_a, mean_a = np.broadcast_arrays(
        np.atleast_1d(np.asarray(dod, float)), np.atleast_1d(np.asarray(soc_mean, float))
    )
    return mean_a[:, None] + dod_a[:, None] * wave[None, :]


def age_constant(
    state: FadeState,
    days: ArrayLike,
    efc_per_day: ArrayLike,
    dod: ArrayLike,
    soc_frac: ArrayLike,
    temp_c: ArrayLike = 25.0,
    steps: int = 48,
) -> FadeState:
    """Age every unit over a period of constant use, in ``steps`` equal steps per unit.

    Parameters
    ----------
    state : FadeState
        Fade at the start.
    days : array_like
        Length of the period per unit [days] (0 for a unit not yet in service).
    efc_per_day : array_like
        Use [EFC/day].
    dod : array_like
        Depth of each daily cycle [fraction of nominal capacity].
    soc_frac : array_like
        SoC during the use [fraction of nominal capacity], as in :func:`step_fade`: per unit, or samples
        of a typical day, shape (units, samples) (see :func:`daily_cycle_soc`).
    temp_c : array_like
        Cell temperature [°C].
    steps : int
        Steps per unit; they only matter through the DoD's dependence on the SoH (the power laws are
        integrated exactly at constant stress).

    Returns
    -------
    FadeState
    """
    step_days = np.asarray(days, dtype=float) / steps
    step_efc = step_days * np.asarray(efc_per_day, dtype=float)
    temp = np.broadcast_to(np.asarray(temp_c, dtype=float), state.soh.shape)
    k_cal, soc_mean = calendar_rate(state.chemistry, temp, _soc_samples(soc_frac, len(temp)))
    for _ in range(steps):
        state = _advance(state, step_days, step_efc, dod, k_cal, soc_mean, temp)
    return state


def years_to_eol(
    state: FadeState,
    efc_per_day: ArrayLike,
    dod: ArrayLike,
    soc_frac: ArrayLike,
    temp_c: ArrayLike = 25.0,
    eol_soh: float = EOL_SOH,
    horizon_years: float = 50.0,
    step_days: float = 30.0,
) -> np.ndarray:
    """Years until each unit reaches end of life if its use goes on as given.

    Parameters
    ----------
    state : FadeState
        Fade now.
    efc_per_day : array_like
        Expected use [EFC/day].
    dod : array_like
        Depth of the daily cycles [fraction of nominal capacity].
    soc_frac : array_like
        SoC during the use [fraction of nominal capacity], as in :func:`step_fade`: per unit, or samples
        of a typical day, shape (units, samples) (see :func:`daily_cycle_soc`).
    temp_c : array_like
        Cell temperature [°C].
    eol_soh : float
        End-of-life state of health [fraction].
    horizon_years : float
        Look this far ahead [years].
    step_days : float
        Projection step [days]; the crossing is interpolated linearly within a step.

    Returns
    -------
    np.ndarray
        Years to end of life [years]: 0 for a unit already at or below ``eol_soh``, ``inf`` for one that
        does not reach it within ``horizon_years``.
    """
    soh0 = state.soh
    out = np.where(soh0 <= eol_soh, 0.0, np.inf)
    efc_step = np.asarray(efc_per_day, dtype=float) * step_days
    prev = soh0
    temp = np.broadcast_to(np.asarray(temp_c, dtype=float), soh0.shape)
    k_cal, soc_mean = calendar_rate(state.chemistry, temp, _soc_samples(soc_frac, len(temp)))
    for i in range(int(np.ceil(horizon_years * 365.25 / step_days))):
        state = _advance(state, step_days, efc_step, dod, k_cal, soc_mean, temp)
        now = state.soh
        hit = np.isinf(out) & (now <= eol_soh)
        frac = np.clip((prev - eol_soh) / np.maximum(prev - now, 1e-15), 0.0, 1.0)
        out = np.where(hit, (i + frac) * step_days / 365.25, out)
        prev = now
        if not np.isinf(out).any():
            break
    return out


def cycle_life_efc(
    chemistry: ArrayLike,
    dod: ArrayLike,
    temp_c: ArrayLike = 25.0,
    soc_mean: ArrayLike = 0.5,
    crate: ArrayLike | None = None,
    eol_soh: float = EOL_SOH,
) -> np.ndarray:
    """Cycle life: equivalent full cycles for cycle fade alone to reach end of life.

    Parameters
    ----------
    chemistry : array_like of str
        ``NMC`` or ``LFP`` per unit.
    dod : array_like
        Depth of each cycle [fraction of nominal capacity].
    temp_c : array_like
        Cell temperature [°C].
    soc_mean : array_like
        Mean SoC of the cycles [fraction] (NMC LAM knee).
    crate : array_like, optional
        Mean absolute C-rate [1/h] (LFP); default one cycle of ``dod`` per day, ``2 * dod / 24``.
    eol_soh : float
        End-of-life state of health [fraction].

    Returns
    -------
    np.ndarray
        Cycle life [EFC]; for NMC the sooner of the lithium-inventory and active-material limits.
    """
    state = FadeState.new(np.atleast_1d(np.asarray(chemistry, dtype=str)))
    shape = state.chemistry.shape
    dod_a = np.broadcast_to(np.asarray(dod, dtype=float), shape)
    rate = 2.0 * dod_a / 24.0 if crate is None else np.broadcast_to(np.asarray(crate, dtype=float), shape)
    soc_a = np.broadcast_to(np.asarray(soc_mean, dtype=float), shape)
    temp = np.broadcast_to(np.asarray(temp_c, dtype=float), shape)
    k_cyc, knee = _cycle_rates(state.chemistry, temp, dod_a, soc_a, rate)
    is_nmc = state.chemistry == "NMC"
    p_cyc = np.where(is_nmc, NMC_KOKAM_2017["q4"], LFP_PRISMATIC_2019["p_cyc"])
    by_lli = ((1.0 - eol_soh) / k_cyc) ** (1.0 / p_cyc)
    by_lam = knee * (2.0 * np.arctanh(min(1.01 - eol_soh, 1.0 - 1e-15))) ** (1.0 / NMC_KOKAM_2017["p_lam"])
    return np.where(is_nmc, np.minimum(by_lli, by_lam), by_lli)
