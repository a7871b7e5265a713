"""Capacity fade model of each chemistry: calendar and cycle fade rates, parameters, end of life.

Capacity fade model
-------------------
Semi-empirical calendar + cycle fade models of NREL's Battery Lifetime Analysis and Simulation Toolsuite
(BLAST-Lite 1.1.1, BSD-3 licence) [1]_, one per chemistry of the fleet, re-implemented here vectorised over
units (BLAST-Lite simulates one cell at a time in Python, 6-14 s per cell lifetime, and pins ``numpy<2``,
which this project cannot install):

* ``NMC``: NMC-graphite Kokam 75 Ah pouch cell, the grid-storage life model of Smith et al. 2017 [2]_
  (BLAST-Lite ``Nmc111_Gr_Kokam75Ah_Battery``). Loss of lithium inventory (LLI) by calendar time and by
  charge throughput, and loss of active material (LAM) as a sigmoid in throughput; the capacity is limited by
  whichever is lower::

      q_LLI = 1 - q1 * t^q2 - q3 * EFC^q4
      q_LAM = 1.01 - tanh((EFC / q5)^p_LAM / 2)
      SoH   = min(q_LLI, q_LAM)

      q1 = q1_0 * exp(q1_1 / T_N) * exp(q1_2 * Ua_N / T_N)           T_N = T / 308.15 K, Ua_N = Ua / 0.123 V
      q3 = q3_0 * exp(q3_1 / T_N) * exp(q3_2 * exp(DoD^2))
      q5 = q5_0 + q5_1 * (T - 55 °C) * DoD * (SoC_mean / 0.6)

  with q1_0 = 2.66e7, q1_1 = -17.8, q1_2 = -5.21, q2 = 0.357, q3_0 = 3.80e3, q3_1 = -18.4, q3_2 = 1.04,
  q4 = 0.778, q5_0 = 1e4, q5_1 = 153, p_LAM = 10 (``t`` in days).
* ``LFP``: large-format (> 250 Ah) prismatic LFP-graphite cell for stationary storage, aging data of [3]_
  (BLAST-Lite ``Lfp_Gr_250AhPrismatic``)::

      SoH  = 1 - k_cal * t^p_cal - k_cyc * EFC^p_cyc
      k_cal = |p1| * exp(p2 / T) * exp(p3 * Ua / T)
      k_cyc = (p4 + p5 * DoD + p6 * C_rate) * (exp(p7 / T) + exp(-p8 / T))

  with p1 = 8.37e4, p2 = -5.21e3 K, p3 = -3.56e3 K/V, p_cal = 0.526, p4 = 4.38e-8, p5 = 1.55e-8,
  p6 = 1.68e-7 h, p7 = 2.19e3 K, p8 = 1.55e5 K, p_cyc = 0.828.

``T`` is the cell temperature [K], ``Ua`` the graphite anode potential against lithium [V] at the state of
charge (Safari and Delacourt 2011 [4]_, lithiation ``x = 0.0085 + SoC * (0.78 - 0.0085)`` as in BLAST-Lite),
``DoD`` the depth of discharge of the step [fraction of the current capacity], ``EFC`` the equivalent full
cycles (cell throughput / 2 / nominal capacity) and ``C_rate`` the mean absolute charge rate over the step
[1/h]. Time-varying stress is integrated with the "virtual time" rule: each step continues the trajectory of
the new rate from the point that gives the fade reached so far (exact for constant stress; BLAST-Lite uses a
forward-Euler form of the same rule). The DoD stress is taken relative to the current capacity, as in
BLAST-Lite's energy-throughput-conserving mode: a fixed MWh schedule cycles an aged battery deeper.

Validity (per BLAST-Lite): NMC cycling 0-45 °C at DoD 0.8-1 and <= 1C; LFP cycling 10-45 °C at DoD 0.8-1,
charge <= 0.65C. Outside these ranges the models extrapolate.

References
----------
.. [1] P. Gasper, K. Smith et al., "BLAST-Lite: Battery Lifetime Analysis and Simulation Toolsuite",
   NREL, version 1.1.1 (2024), https://github.com/NREL/BLAST-Lite (model files
   ``nmc111_gr_Kokam75Ah_2017.py`` and ``lfp_gr_250AhPrismatic_2019.py``).
.. [2] K. Smith, A. Saxon, M. Keyser, B. Lundstrom, Z. Cao, A. Roc, "Life prediction model for
   grid-connected Li-ion battery energy storage system", 2017 American Control Conference (ACC),
   pp. 4062-4068, doi:10.23919/ACC.2017.7963578.
.. [3] Aging test data of large-format prismatic LFP-graphite cells, J. Energy Storage (2024),
   doi:10.1016/j.est.2023.109042 (as cited by BLAST-Lite for ``Lfp_Gr_250AhPrismatic``).
.. [4] M. Safari, C. Delacourt, "Modeling of a commercial graphite/LiFePO4 cell", J. Electrochem. Soc.
   158(5), A562 (2011), doi:10.1149/1.3567007.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

#: Chemistries with a fade model.
CHEMISTRIES = ("NMC", "LFP")


#: NMC-graphite (Kokam 75 Ah) life-model parameters, Smith et al. 2017 via BLAST-Lite 1.1.1 [1]_ [2]_.
#: ``q1_*``: calendar LLI rate [day^-q2]; ``q3_*``: cycling LLI rate [EFC^-q4]; ``q5_*``: LAM knee [EFC].
NMC_KOKAM_2017: Mapping[str, float] = MappingProxyType(
    {
        "q1_0": 2.66e7,
        "q1_1": -17.8,
        "q1_2": -5.21,
        "q2": 0.357,
        "q3_0": 3.80e3,
        "q3_1": -18.4,
        "q3_2": 1.04,
        "q4": 0.778,
        "q5_0": 1e4,
        "q5_1": 153.0,
        "p_lam": 10.0,
    }
)


#: LFP-graphite (> 250 Ah prismatic) life-model parameters via BLAST-Lite 1.1.1 [1]_ [3]_.
#: ``p1..p3``: calendar rate [day^-p_cal]; ``p4..p8``: cycling rate [EFC^-p_cyc] (``p6`` per C-rate [h]).
LFP_PRISMATIC_2019: Mapping[str, float] = MappingProxyType(
    {
        "p1": 8.37e4,
        "p2": -5.21e3,
        "p3": -3.56e3,
        "p_cal": 0.526,
        "p4": 4.38e-8,
        "p5": 1.55e-8,
        "p6": 1.68e-7,
        "p7": 2.19e3,
        "p8": 1.55e5,
        "p_cyc": 0.828,
    }
)


#: End of life: state of health at which a battery is replaced [fraction of nominal capacity].
EOL_SOH = 0.80


#: Initial NMC loss-of-active-material state, as in BLAST-Lite [1]_ (``qLoss_LAM = 1e-8``): the virtual
#: throughput of the sigmoid starts at ``q5 * (2 * artanh(1e-8))^(1/10)``, about 0.17 ``q5``.
LAM_INITIAL = 1e-8

_T0_K = 273.15


def anode_potential_v(soc_frac: ArrayLike) -> np.ndarray:
    """Graphite anode potential against lithium at a state of charge.

    Parameters
    ----------
    soc_frac : array_like
        State of charge [fraction of capacity, 0-1].

    Returns
    -------
    np.ndarray
        Anode potential ``Ua`` [V], from the graphite open-circuit potential of Safari and Delacourt 2011
        [4]_ with lithiation ``x = 0.0085 + SoC * (0.78 - 0.0085)``, as in BLAST-Lite [1]_.
    """
    x = 8.5e-3 + np.clip(np.asarray(soc_frac, dtype=float), 0.0, 1.0) * (0.78 - 8.5e-3)
    return (
        0.6379
        + 0.5416 * np.exp(-305.5309 * x)
        + 0.044 * np.tanh(-(x - 0.1958) / 0.1088)
        - 0.1978 * np.tanh((x - 1.0571) / 0.0854)
        - 0.6875 * np.tanh((x + 0.0117) / 0.0529)
        - 0.0175 * np.tanh((x - 0.5692) / 0.0875)
    )


#: :func:`anode_potential_v` tabulated every 0.0001 of SoC (linear interpolation is within 3e-6 V of
#: the formula and 30x faster on a fleet-year of hourly samples).
_UA_GRID = np.linspace(0.0, 1.0, 10_001)
_UA_TABLE = anode_potential_v(_UA_GRID)


def calendar_rate(
    chemistry: np.ndarray, temp_c: np.ndarray, soc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Calendar fade rate of each unit and its mean SoC, from SoC samples.

    Parameters
    ----------
    chemistry : np.ndarray of str
        ``NMC`` or ``LFP`` per unit (or per unit-step row).
    temp_c : np.ndarray
        Cell temperature per row [°C].
    soc : np.ndarray
        SoC samples, shape (rows, samples) [fraction of nominal capacity, clipped to 0-1]; NaN skipped.

    Returns
    -------
    tuple of np.ndarray
        The rate ``q1`` (NMC) or ``k_cal`` (LFP) [day^-q2 or day^-p_cal], the time mean of the rate at each
        sample (as BLAST-Lite integrates it; it is strongly convex in the anode potential), and the mean
        SoC [fraction].
    """
    chem = np.asarray(chemistry, dtype=str)
    soc = np.clip(soc, 0.0, 1.0)
    n, f = NMC_KOKAM_2017, LFP_PRISMATIC_2019
    t_k = temp_c + _T0_K
    tn = t_k / (_T0_K + 35.0)
    ua = np.interp(soc, _UA_GRID, _UA_TABLE)
    is_nmc = chem == "NMC"
    coef = np.where(is_nmc, n["q1_2"] / 0.123 / tn, f["p3"] / t_k)
    pre = np.where(is_nmc, n["q1_0"] * np.exp(n["q1_1"] / tn), abs(f["p1"]) * np.exp(f["p2"] / t_k))
    return pre * np.nanmean(np.exp(coef[:, None] * ua), axis=1), np.nanmean(soc, axis=1)


def _cycle_rates(
    chem: np.ndarray, temp_c: np.ndarray, dod: np.ndarray, soc_mean: np.ndarray, crate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cycling rate and (NMC) LAM knee of each unit under one step's stress."""
    n, f = NMC_KOKAM_2017, LFP_PRISMATIC_2019
    t_k = temp_c + _T0_K
    tn = t_k / (_T0_K + 35.0)
    nmc_cyc = n["q3_0"] * np.exp(n["q3_1"] / tn) * np.exp(n["q3_2"] * np.exp(dod**2))
    knee = n["q5_0"] + n["q5_1"] * (temp_c - 55.0) * dod * (soc_mean / 0.6)
    lfp_cyc = (f["p4"] + f["p5"] * dod + f["p6"] * crate) * (np.exp(f["p7"] / t_k) + np.exp(-f["p8"] / t_k))
    return np.where(chem == "NMC", nmc_cyc, lfp_cyc), np.maximum(knee, 1.0)
