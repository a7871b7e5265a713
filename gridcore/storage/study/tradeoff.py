"""The degradation trade-off: utilization against cycling and fade as the throughput cost is scaled."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from gridcore.network.grid import GridModel
from gridcore.storage.fleet import site_profiles
from gridcore.storage.metrics import check_schedule
from gridcore.storage.study.config import StudyConfig, study_periods
from gridcore.storage.study.simulation import period_figures, simulate, week_inputs


def degradation_tradeoff(
    grid: GridModel,
    units: pd.DataFrame,
    config: StudyConfig = StudyConfig(),  # noqa: B008 (frozen, so a safe default)
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Utilization against cycling and fade as the throughput cost is scaled, in each week.

    Parameters
    ----------
    grid : GridModel
    units : pd.DataFrame
        Sites with their batteries at cost multiplier 1 (:func:`with_storage`).
    config : StudyConfig
        Weeks, ``cost_multipliers``, solver, tariffs.
    progress : callable, optional
        Called with a label after each run.

    Returns
    -------
    pd.DataFrame
        One row per week and multiplier: ``period``, ``cost_multiplier`` [-], ``throughput_cost_eur_per_mwh``
        (energy-weighted mean) [EUR/MWh], ``utilization_pct``, ``curtailment_mwh``, ``losses_mwh``, ``efc``,
        ``efc_per_year``, ``fade_pct_per_year``, ``cycle_fade_pct_per_year``, ``simultaneous_hours``
        (site-hours charging and discharging at once: with no throughput cost the LP may burn surplus in
        conversion losses instead of curtailing it, which the utilization metric counts as used).
    """
    base = units["throughput_cost_eur_per_mwh"].to_numpy(float)
    e = units["energy_mwh"].to_numpy(float)
    rows = []
    for period, start in study_periods(config).items():
        times = pd.date_range(start, periods=config.horizon_h, freq="h")
        profiles = site_profiles(grid, units, times)
        for m in config.cost_multipliers:
            scaled = units.assign(throughput_cost_eur_per_mwh=m * base)
            site = week_inputs(grid, scaled, start, config, profiles)
            blocks, _ = simulate(site, config.solver)
            fig = period_figures(site, blocks)
            rows.append(
                {
                    "period": period,
                    "cost_multiplier": float(m),
                    "throughput_cost_eur_per_mwh": float(m * (base @ e) / e.sum()),
                    **{k: fig[k] for k in _TRADEOFF_FIGURES},
                    "simultaneous_hours": check_schedule(site, blocks)["simultaneous"],
                }
            )
            if progress is not None:
                progress(f"trade-off {period} x{m:g}")
    return pd.DataFrame(rows)


_TRADEOFF_FIGURES = (
    "utilization_pct",
    "curtailment_mwh",
    "losses_mwh",
    "efc",
    "efc_per_year",
    "fade_pct_per_year",
    "cycle_fade_pct_per_year",
)
