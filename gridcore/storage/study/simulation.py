"""One period of a study: every site scheduled, and the period's energy, cycle and fade figures.

A site with storage gets the per-battery LP of ``gridflow storage schedule``, a site without the no-storage
baseline; cycles and fade are scaled to a year of such use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.network.grid import GridModel
from gridcore.storage.degradation import FadeState, efc_from_soc, step_fade
from gridcore.storage.fleet import site_profiles
from gridcore.storage.metrics import energy_figures
from gridcore.storage.plan import assemble
from gridcore.storage.rule import no_storage
from gridcore.storage.schedule import SiteInputs, schedule_batch
from gridcore.storage.study.config import StudyConfig

#: Hours of a mean year, for scaling a period's cycles and fade to a year [h].
HOURS_PER_YEAR = 8766.0


def simulate(site: SiteInputs, solver: str = "auto") -> tuple[np.ndarray, int]:
    """Schedule a period: the LP at every site with storage, the no-storage baseline elsewhere.

    Parameters
    ----------
    site : SiteInputs
        All sites and their hourly inputs.
    solver : str
        LP solver.

    Returns
    -------
    blocks : np.ndarray
        Shape (sites, 6, hours), as :data:`gridcore.storage.schedule.BLOCKS` [MW, MWh].
    fallbacks : int
        Sites whose LP had no optimum and got the rule schedule.
    """
    blocks = no_storage(site)
    rows = np.flatnonzero(site.units["energy_mwh"].to_numpy(float) > 0)
    if not len(rows):
        return blocks, 0
    sub = site.subset(rows)
    schedule = assemble(sub, [schedule_batch(sub, solver=solver)])
    blocks[rows] = schedule.blocks
    return blocks, len(schedule.infeasible)


def fade_per_year(units: pd.DataFrame, soc_mwh: np.ndarray, soc_start_mwh: np.ndarray) -> dict[str, float]:
    """Cycles and capacity fade of a year of the given use, energy-weighted over the batteries.

    Parameters
    ----------
    units : pd.DataFrame
        Batteries with ``energy_mwh`` > 0 [MWh] and ``chemistry``.
    soc_mwh : np.ndarray
        SoC at the end of each hour [MWh], shape (units, hours).
    soc_start_mwh : np.ndarray
        SoC before the first hour [MWh], shape (units,).

    Returns
    -------
    dict
        ``efc`` (over the period) [-], ``efc_per_year`` [1/year], ``fade_pct_per_year`` (calendar + cycle)
        and ``cycle_fade_pct_per_year`` [% of nominal capacity per year] of new batteries at 25 °C; the
        period's hourly SoC stands for the year (daily depth: the mean over the period's days of max - min
        SoC).
    """
    e = units["energy_mwh"].to_numpy(float)
    hours = soc_mwh.shape[1]
    efc = efc_from_soc(soc_mwh, e, soc_start_mwh)
    per_year = efc * HOURS_PER_YEAR / hours
    frac = soc_mwh / e[:, None]
    days = max(hours // 24, 1)
    daily = frac[:, : days * 24].reshape(len(e), days, -1) if hours >= 24 else frac[:, None, :]
    dod = (daily.max(axis=2) - daily.min(axis=2)).mean(axis=1)
    state = step_fade(FadeState.new(units["chemistry"].to_numpy(str)), 365.25, per_year, dod, frac)
    w = e / e.sum()
    return {
        "efc": float(w @ efc),
        "efc_per_year": float(w @ per_year),
        "fade_pct_per_year": float(100.0 * w @ (1.0 - state.soh)),
        "cycle_fade_pct_per_year": float(100.0 * w @ state.cycle_fade),
    }


def period_figures(site: SiteInputs, blocks: np.ndarray, soc_start_mwh: np.ndarray | None = None) -> dict:
    """Energy, cycle and fade figures of one period's schedule of all sites.

    Parameters
    ----------
    site : SiteInputs
    blocks : np.ndarray
        Shape (sites, 6, hours).
    soc_start_mwh : np.ndarray, optional
        SoC before the first hour per site [MWh] (default: the sites' initial SoC).

    Returns
    -------
    dict
        :func:`gridcore.storage.metrics.energy_figures` plus ``total_mwh`` [MWh], ``sites_with_storage`` and
        the figures of :func:`fade_per_year` (0 without storage).
    """
    u = site.units
    e = u["energy_mwh"].to_numpy(float)
    start = (u["soc_init_frac"] * u["energy_mwh"]).to_numpy(float) if soc_start_mwh is None else soc_start_mwh
    out: dict[str, float] = dict(energy_figures(site, blocks))
    out["total_mwh"] = float(e.sum())
    rows = np.flatnonzero(e > 0)
    out["sites_with_storage"] = int(len(rows))
    zero = {"efc": 0.0, "efc_per_year": 0.0, "fade_pct_per_year": 0.0, "cycle_fade_pct_per_year": 0.0}
    out.update(fade_per_year(u.iloc[rows], blocks[rows, 2], start[rows]) if len(rows) else zero)
    return out


def week_inputs(
    grid: GridModel,
    units: pd.DataFrame,
    start: pd.Timestamp,
    config: StudyConfig,
    profiles: tuple[np.ndarray, np.ndarray] | None = None,
) -> SiteInputs:
    """Hourly inputs of all sites over ``config.horizon_h`` hours from ``start`` (UTC).

    ``profiles`` (``pv_mw``, ``load_mw`` of these hours [MW], shape (sites, hours)) skips reading the grid's
    profiles again when several strategies share the period.
    """
    times = pd.date_range(pd.Timestamp(start).tz_convert("UTC"), periods=config.horizon_h, freq="h")
    pv, load = site_profiles(grid, units, times) if profiles is None else profiles
    return SiteInputs(
        units, pv, load, np.asarray(config.price_import), np.asarray(config.price_export), times
    )
