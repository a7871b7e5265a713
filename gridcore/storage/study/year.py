"""The year of one allocation: weekly LPs in sequence, each week's start SoC the previous week's end SoC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.network.grid import GridModel
from gridcore.storage.fleet import site_profiles
from gridcore.storage.schedule import SiteInputs
from gridcore.storage.study.config import StudyConfig, utc_hour
from gridcore.storage.study.simulation import period_figures, simulate, week_inputs


@dataclass
class YearRun:
    """The year of one allocation, week after week.

    Attributes
    ----------
    figures : dict
        As :func:`period_figures` over the whole year, plus ``fallbacks`` (site-weeks on the rule).
    soc_mwh : pd.DataFrame
        SoC at the end of each hour of the sites with storage [MWh] (sites x UTC hours).
    site : SiteInputs
        The year's inputs (units with the first week's initial SoC).
    blocks : np.ndarray
        The weeks' schedules end to end, shape (sites, 6, hours) [MW, MWh].
    """

    figures: dict[str, float]
    soc_mwh: pd.DataFrame
    site: SiteInputs
    blocks: np.ndarray


def run_year(
    grid: GridModel,
    units: pd.DataFrame,
    config: StudyConfig = StudyConfig(),  # noqa: B008 (frozen, so a safe default)
    progress: Callable[[str], None] | None = None,
    profiles: tuple[np.ndarray, np.ndarray] | None = None,
) -> YearRun:
    """A year as weekly LPs in sequence, the SoC carried from each week's end to the next week's start.

    Each week is one LP per site with perfect foresight within the week and none beyond it (a rolling weekly
    horizon); its start SoC is the previous week's end SoC (the kind's initial SoC in the first week), and,
    as in the schedule command, it must end at least at its start SoC. Stored energy has no value at the end
    of a week, so a week ends above its start only where storing the last hours' surplus costs less than
    curtailing it (a throughput cost below the 1 EUR/MWh curtailment tie-break); with the degradation
    model's cost every week of the default grid ends at its start SoC (50 %), and the carried SoC equals a
    weekly reset.

    Parameters
    ----------
    grid : GridModel
    units : pd.DataFrame
        Sites with their batteries (:func:`with_storage`).
    config : StudyConfig
        ``year_start``, ``weeks``, ``horizon_h`` (the week length), solver and tariffs.
    progress : callable, optional
        Called with a label after each week.
    profiles : tuple of np.ndarray, optional
        ``pv_mw``, ``load_mw`` of the sites over all the weeks [MW], shape (sites, weeks * horizon_h)
        (read from the grid when omitted).

    Returns
    -------
    YearRun
    """
    start = utc_hour("year start", config.year_start)
    e = units["energy_mwh"].to_numpy(float)
    first_soc = (units["soc_init_frac"] * units["energy_mwh"]).to_numpy(float)
    h = config.horizon_h
    if profiles is None:
        profiles = site_profiles(grid, units, pd.date_range(start, periods=config.weeks * h, freq="h"))
    week_blocks, week_sites, fallbacks = [], [], 0
    for k in range(config.weeks):
        week = (profiles[0][:, k * h : (k + 1) * h], profiles[1][:, k * h : (k + 1) * h])
        site = week_inputs(grid, units, start + pd.Timedelta(hours=k * h), config, week)
        blocks, failed = simulate(site, config.solver)
        fallbacks += failed
        week_blocks.append(blocks)
        week_sites.append(site)
        end = blocks[:, 2, -1]
        lo, hi = units["soc_min_frac"].to_numpy(float), units["soc_max_frac"].to_numpy(float)
        # a new table: each week's inputs keep the start SoC they were solved with
        units = units.assign(
            soc_init_frac=np.where(e > 0, np.clip(end / np.where(e > 0, e, 1.0), lo, hi), lo)
        )
        if progress is not None:
            progress(f"year week {k + 1}/{config.weeks}")
    blocks = np.concatenate(week_blocks, axis=2)
    times = pd.date_range(start, periods=config.weeks * h, freq="h")
    first = week_sites[0]
    year = SiteInputs(
        first.units,
        np.concatenate([s.pv_mw for s in week_sites], axis=1),
        np.concatenate([s.load_mw for s in week_sites], axis=1),
        np.concatenate([s.price_import for s in week_sites], axis=1),
        np.concatenate([s.price_export for s in week_sites], axis=1),
        times,
    )
    figures = period_figures(year, blocks, first_soc)
    figures["fallbacks"] = fallbacks
    rows = e > 0
    soc = pd.DataFrame(blocks[rows, 2], index=units.index[rows], columns=times)
    return YearRun(figures, soc, year, blocks)
