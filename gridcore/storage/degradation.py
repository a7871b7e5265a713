"""Battery degradation: cycle counting, equivalent full cycles, calendar and cycle capacity fade, cost.

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

Degradation cost
----------------
The cost of one MWh moved through a battery (charge or discharge) is the replacement cost spread over the
throughput of its cycle life [5]_: ``c = C_repl / (2 * N_EFC)`` [EUR/MWh], where ``C_repl`` [EUR/MWh of
nominal capacity] buys a new battery and ``N_EFC`` is the number of equivalent full cycles that cycle fade
alone takes to reach end of life at the battery's SoC window (the datasheet "cycle life"; calendar fade
happens whatever the schedule does, so it is not charged to throughput).

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
.. [5] B. Xu, J. Zhao, T. Zheng, E. Litvinov, D. S. Kirschen, "Factoring the cycle aging cost of batteries
   participating in electricity markets", IEEE Trans. Power Syst. 33(2), 2248-2259 (2018),
   doi:10.1109/TPWRS.2017.2733339.
.. [6] BloombergNEF, Lithium-ion battery price survey, December 2024: volume-weighted average pack price
   115 USD/kWh, stationary-storage packs 125 USD/kWh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
import rainflow
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

#: Cost of replacing a battery's cells and modules, by fleet ``kind`` [EUR per kWh of nominal capacity].
#: Assumptions anchored on BNEF 2024 [6]_ (stationary-storage packs 125 USD/kWh, about 115 EUR/kWh at
#: 0.92 EUR/USD): grid-scale = pack price plus 30 % for installation, commissioning and disposal (150);
#: community = pack price roughly doubled for smaller lots and on-site work (250); home = retail battery
#: modules plus an installer's visit (450). Override per unit with a fleet column
#: ``replacement_cost_eur_per_kwh`` or the ``replacement_cost_eur_per_kwh`` argument.
REPLACEMENT_COST_EUR_PER_KWH: Mapping[str, float] = MappingProxyType(
    {"home": 450.0, "community": 250.0, "grid": 150.0}
)

#: Assumed use before the stored schedules: equivalent full cycles per year by fleet ``kind`` [EFC/year].
#: Home PV batteries cycle once on most days outside winter (about 250/year, in line with the German
#: home-storage monitoring of Figgener et al., "The development of stationary battery storage systems in
#: Germany", J. Energy Storage 29 (2020) 101153, which reports about 250 EFC/year); community and grid units
#: are assumed to do 300 and 365.
EFC_PER_YEAR: Mapping[str, float] = MappingProxyType({"home": 250.0, "community": 300.0, "grid": 365.0})

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


# -- cycle counting ----------------------------------------------------------------------------------------


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
    rows = list(rainflow.extract_cycles(x)) if x.size >= 2 else []
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


# -- capacity fade -----------------------------------------------------------------------------------------


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
            raise ValueError(f"chemistry: {str(chem[i])!r} at row {i} is not one of {', '.join(CHEMISTRIES)}")
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


def throughput_cost_eur_per_mwh(
    fleet: pd.DataFrame,
    replacement_cost_eur_per_kwh: Mapping[str, float] | pd.Series | None = None,
    eol_soh: float = EOL_SOH,
    temp_c: float = 25.0,
) -> pd.Series:
    """Degradation cost per MWh charged or discharged, for the scheduler's linear throughput cost.

    ``cost = C_repl / (2 * N_EFC)`` [5]_, with ``C_repl`` the replacement cost [EUR/MWh of nominal
    capacity] and ``N_EFC`` the :func:`cycle_life_efc` of the unit cycling its whole SoC window
    (``soc_max_frac - soc_min_frac``) once a day around the window's middle. One EFC moves two capacities
    (in and out), hence the 2. The LP charges it on ``charge_mw + discharge_mw`` [MWh per 1 h step].

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table (index ``battery``) with ``kind``, ``chemistry``, ``soc_min_frac``, ``soc_max_frac``;
        an optional ``replacement_cost_eur_per_kwh`` column overrides the defaults per unit.
    replacement_cost_eur_per_kwh : mapping of kind to float, or pd.Series by battery, optional
        Replacement cost [EUR/kWh]; default :data:`REPLACEMENT_COST_EUR_PER_KWH` by ``kind``.
    eol_soh : float
        End-of-life state of health [fraction].
    temp_c : float
        Cell temperature [°C].

    Returns
    -------
    pd.Series
        ``throughput_cost_eur_per_mwh`` [EUR/MWh] indexed like ``fleet``.

    Raises
    ------
    ValueError
        Naming the battery and field of a missing column, unknown kind or chemistry, or a SoC window that
        is not 0 <= soc_min_frac < soc_max_frac <= 1.
    """
    check_fleet_columns(fleet, ("kind", "chemistry", "soc_min_frac", "soc_max_frac"))
    lo = fleet["soc_min_frac"].to_numpy(dtype=float)
    hi = fleet["soc_max_frac"].to_numpy(dtype=float)
    bad = ~((lo >= 0) & (lo < hi) & (hi <= 1))
    if bad.any():
        b = fleet.index[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"fleet.soc_min_frac/soc_max_frac: window {fleet.at[b, 'soc_min_frac']}-"
            f"{fleet.at[b, 'soc_max_frac']} of battery {b} is not within 0-1"
        )
    cost = replacement_costs(fleet, replacement_cost_eur_per_kwh) * 1000.0  # EUR/MWh of capacity
    life = cycle_life_efc(
        fleet["chemistry"].to_numpy(dtype=str), hi - lo, temp_c, (hi + lo) / 2, eol_soh=eol_soh
    )
    return pd.Series(cost.to_numpy() / (2.0 * life), index=fleet.index, name="throughput_cost_eur_per_mwh")


def replacement_costs(
    fleet: pd.DataFrame, replacement_cost_eur_per_kwh: Mapping[str, float] | pd.Series | None = None
) -> pd.Series:
    """Replacement cost of each unit [EUR per kWh of nominal capacity].

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table with ``kind`` (and optionally ``replacement_cost_eur_per_kwh``).
    replacement_cost_eur_per_kwh : mapping of kind to float, or pd.Series by battery, optional
        Overrides; default :data:`REPLACEMENT_COST_EUR_PER_KWH`.

    Returns
    -------
    pd.Series
        [EUR/kWh] indexed like ``fleet``.
    """
    if isinstance(replacement_cost_eur_per_kwh, pd.Series):
        out = replacement_cost_eur_per_kwh.reindex(fleet.index).astype(float)
    else:
        table = {**REPLACEMENT_COST_EUR_PER_KWH, **(replacement_cost_eur_per_kwh or {})}
        unknown = ~fleet["kind"].isin(list(table))
        if unknown.any():
            b = fleet.index[unknown][0]
            raise ValueError(f"fleet.kind: {fleet.at[b, 'kind']!r} of battery {b} has no replacement cost")
        out = fleet["kind"].map(table).astype(float)
    if "replacement_cost_eur_per_kwh" in fleet and replacement_cost_eur_per_kwh is None:
        out = fleet["replacement_cost_eur_per_kwh"].astype(float).fillna(out)
    missing = out.isna()
    if missing.any():
        raise ValueError(f"replacement_cost_eur_per_kwh: no value for battery {out.index[missing][0]}")
    return out


def check_fleet_columns(fleet: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise a ValueError naming the first missing column, or the battery of an unknown chemistry.

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table (index ``battery``).
    columns : tuple of str
        Columns that must be present (``chemistry``, when listed, is also checked against
        :data:`CHEMISTRIES`).
    """
    missing = [c for c in columns if c not in fleet.columns]
    if missing:
        raise ValueError(f"fleet: missing column {missing[0]!r} (have {', '.join(map(str, fleet.columns))})")
    if "chemistry" in columns:
        bad = ~fleet["chemistry"].isin(CHEMISTRIES)
        if bad.any():
            b = fleet.index[bad][0]
            raise ValueError(
                f"fleet.chemistry: {fleet.at[b, 'chemistry']!r} of battery {b} is not one of "
                f"{', '.join(CHEMISTRIES)}"
            )
