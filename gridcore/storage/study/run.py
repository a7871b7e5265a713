"""The whole study: every strategy and size in each week (and the year), the trade-off, the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.network.grid import GridModel
from gridcore.storage.fleet import site_profiles
from gridcore.storage.study.allocation import allocate, with_storage
from gridcore.storage.study.config import (
    STRATEGIES,
    Progress,
    StudyConfig,
    study_periods,
    study_steps,
    utc_hour,
)
from gridcore.storage.study.simulation import period_figures, simulate, week_inputs
from gridcore.storage.study.sites import no_storage_curtailment_mwh, study_sites
from gridcore.storage.study.tradeoff import degradation_tradeoff
from gridcore.storage.study.year import run_year


@dataclass
class StudyResult:
    """The figures of a study.

    Attributes
    ----------
    table : pd.DataFrame
        One row per period, strategy and size (see :func:`run_study`).
    tradeoff : pd.DataFrame
        One row per period and cost multiplier (see :func:`degradation_tradeoff`).
    allocation : pd.DataFrame
        Energy per site and strategy at the base size [MWh] (sites x storage strategies).
    sites : pd.DataFrame
        The study's site table (:func:`study_sites`) with ``curtailment_mwh`` (no storage, profile year).
    best : dict
        Per period, the storage strategy of highest utilization at the base size (periods without renewable
        energy, whose utilization is NaN, have none).
    year_soc_mwh : dict
        Per strategy, the year's SoC of the sites with storage [MWh] (sites x hours), when the year ran.
    """

    table: pd.DataFrame
    tradeoff: pd.DataFrame
    allocation: pd.DataFrame
    sites: pd.DataFrame
    best: dict[str, str]
    year_soc_mwh: dict[str, pd.DataFrame] = field(default_factory=dict)


#: Columns of :attr:`StudyResult.table`.
TABLE_COLUMNS = (
    "period",
    "strategy",
    "size_factor",
    "total_mwh",
    "sites_with_storage",
    "renewable_mwh",
    "curtailment_mwh",
    "utilization_pct",
    "losses_mwh",
    "efc",
    "efc_per_year",
    "fade_pct_per_year",
    "cycle_fade_pct_per_year",
    "fallbacks",
)


def run_study(
    grid: GridModel,
    bus_feeder: pd.Series | None = None,
    config: StudyConfig = StudyConfig(),  # noqa: B008 (frozen, so a safe default)
    progress: Progress | None = None,
) -> StudyResult:
    """Compare the allocation strategies at equal total energy over the weeks (and the year).

    Parameters
    ----------
    grid : GridModel
    bus_feeder : pd.Series, optional
        Feeder id per bus; without it every site is on one feeder "".
    config : StudyConfig
    progress : callable, optional
        ``progress(done, total, label)`` after each step (:func:`study_steps` in all).

    Returns
    -------
    StudyResult
        ``table`` has the columns :data:`TABLE_COLUMNS`: ``period`` (``summer_week``, ``winter_week``,
        ``year``), ``strategy``, ``size_factor`` (0 for ``none``) [-], ``total_mwh`` [MWh],
        ``sites_with_storage``, ``renewable_mwh``, ``curtailment_mwh``, ``losses_mwh`` [MWh],
        ``utilization_pct`` [%], ``efc`` [-], ``efc_per_year`` [1/year], ``fade_pct_per_year``,
        ``cycle_fade_pct_per_year`` [%/year], ``fallbacks`` (site LPs on the rule fall-back).
    """
    total_steps = study_steps(config)
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_steps, label)

    periods = study_periods(config)
    sites = study_sites(grid, bus_feeder)
    year_start = utc_hour("year start", config.year_start)
    year_hours = pd.date_range(year_start, periods=8760, freq="h")
    curtailment = no_storage_curtailment_mwh(grid, sites, year_hours)
    base_mwh = config.base_mwh_per_mw * float(sites["pv_mw"].sum())
    storage = [s for s in STRATEGIES if s != "none"]

    def units_for(strategy: str, factor: float) -> pd.DataFrame:
        energy = allocate(sites, strategy, factor * base_mwh, curtailment, config.top_feeder_frac)
        return with_storage(sites, energy, config.duration_h)

    rows = []
    runs = [("none", 0.0)] + [(s, f) for s in storage for f in config.size_factors]
    for period, start in periods.items():
        times = pd.date_range(start, periods=config.horizon_h, freq="h")
        profiles = site_profiles(grid, sites, times)
        for strategy, factor in runs:
            site = week_inputs(grid, units_for(strategy, factor), start, config, profiles)
            blocks, failed = simulate(site, config.solver)
            rows.append(
                {"period": period, "strategy": strategy, "size_factor": factor}
                | period_figures(site, blocks)
                | {"fallbacks": failed}
            )
            step(f"{period} {strategy} x{factor:g}")
    year_soc: dict[str, pd.DataFrame] = {}
    if config.year:
        hours = pd.date_range(year_start, periods=config.weeks * config.horizon_h, freq="h")
        profiles = site_profiles(grid, sites, hours)
        for strategy in STRATEGIES:
            factor = 0.0 if strategy == "none" else 1.0
            run = run_year(grid, units_for(strategy, factor), config, step, profiles)
            year_soc[strategy] = run.soc_mwh
            rows.append({"period": "year", "strategy": strategy, "size_factor": factor} | run.figures)
    tradeoff = degradation_tradeoff(grid, units_for("uniform", 1.0), config, step)
    table = pd.DataFrame(rows)[list(TABLE_COLUMNS)]
    base = table[(table["strategy"] != "none") & np.isclose(table["size_factor"], 1.0)]
    best = {
        str(p): str(g.loc[g["utilization_pct"].idxmax(), "strategy"])
        for p, g in base.dropna(subset=["utilization_pct"]).groupby("period", sort=False)
    }
    allocation = pd.DataFrame(
        {s: allocate(sites, s, base_mwh, curtailment, config.top_feeder_frac) for s in storage}
    )
    return StudyResult(
        table,
        tradeoff,
        allocation,
        sites.assign(curtailment_mwh=curtailment),
        best,
        {k: v for k, v in year_soc.items() if k != "none"},
    )


def strategy_gains(table: pd.DataFrame, strategies: Sequence[str] = STRATEGIES) -> pd.DataFrame:
    """Utilization per period (rows) and strategy (columns) at the base size [%] (``none`` beside them).

    Parameters
    ----------
    table : pd.DataFrame
        :attr:`StudyResult.table`.
    strategies : sequence of str
        Column order.

    Returns
    -------
    pd.DataFrame
        [%], periods x strategies.
    """
    rows = table[(table["strategy"] == "none") | np.isclose(table["size_factor"], 1.0)]
    wide = rows.pivot_table(index="period", columns="strategy", values="utilization_pct", sort=False)
    return wide.reindex(columns=[s for s in strategies if s in wide.columns])
