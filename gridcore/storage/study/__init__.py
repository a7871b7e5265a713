"""Storage allocation study: the same total battery energy placed by different strategies.

Every strategy places the same total energy ``E`` [MWh] on the same sites, and every site is scheduled with
the same per-battery LP as ``gridflow storage schedule`` (:func:`gridcore.storage.schedule.schedule_batch`,
one LP per site; a site without storage gets the no-storage baseline, a site whose LP has no optimum the
rule fall-back of :func:`gridcore.storage.plan.assemble`). Only the allocation differs.

Sites
-----
The default grid's low-voltage areas as whole sites (each ``lv_RES`` generator with the load at its bus: the
area's whole PV and demand, kind ``community``) and the MV PV plants (no demand, kind ``grid``). Each site's
export is capped at :attr:`FleetSpec.export_cap_frac <gridcore.storage.fleet.FleetSpec>` (30 %) of its PV
peak (:func:`gridcore.storage.fleet.peak_output_frac`), the binding cap of the schedule command; the areas'
import limit is their transformer's (0.63 MW), the plants import nothing. :func:`study_sites` returns them in
the fleet-table format, so :func:`gridcore.storage.fleet.site_profiles` and the scheduler take them unchanged.

Strategies (:data:`STRATEGIES`)
-------------------------------
``none``
    No storage (the baseline; total 0 MWh).
``uniform``
    ``E`` split equally over all sites.
``proportional_pv``
    ``E`` split in proportion to each site's installed PV.
``constrained_feeders``
    ``E`` at the sites of the feeders with the most no-storage curtailment (the top third of the feeders by
    default), split in proportion to each of those sites' curtailment.
``central``
    All of ``E`` in one battery at the site with the most no-storage curtailment. A battery elsewhere on the
    grid cannot relieve a *local* feed-in cap (the cap limits what crosses that site's connection, so
    only storage behind the same connection can absorb the surplus above it); that is why the "central"
    battery is placed at the worst site rather than at the substation, where it would recover nothing.

The curtailment that ranks sites and feeders is the no-storage curtailment of the whole profile year (a
planner sites batteries once, for every season), so one strategy has one allocation in every period.

Each battery gets power ``energy / duration_h`` (2 h by default: a C-rate of 0.5) [MW], the SoC window and
efficiencies of its kind (:data:`gridcore.storage.fleet.KIND_PARAMETERS`), and the degradation model's
throughput cost (:func:`gridcore.storage.degradation.throughput_cost_eur_per_mwh`) times a multiplier (1 by
default).

Periods and sizes
-----------------
A summer week (default from 2016-07-01) and a winter week (from 2016-01-11), each one 168 h LP per site with
the start SoC at the kind's initial SoC, and a year: 52 weekly LPs in sequence from 2016-01-01, each week's
start SoC the previous week's end SoC (a rolling weekly horizon with perfect foresight within the week and
none beyond it; each week must end at least at its start SoC, as in the schedule command). Total energy
sizes are multiples (:attr:`StudyConfig.size_factors`) of a base of :attr:`StudyConfig.base_mwh_per_mw`
= 1 MWh per MW of installed PV over all sites (13.2 MWh on the default grid); the year is run at the base
size only.

Figures
-------
Per period, strategy and size: ``utilization_pct``, ``curtailment_mwh`` and ``losses_mwh``
(:func:`gridcore.storage.metrics.energy_figures`), equivalent full cycles (``efc``, the energy-weighted mean
over the batteries of :func:`gridcore.storage.degradation.efc_from_soc`, and ``efc_per_year`` scaled to
8,766 h) and the capacity fade a year of such use would cause (``fade_pct_per_year``, calendar + cycle fade
of :func:`gridcore.storage.degradation.step_fade` from new, energy-weighted; the weeks stand for a year made
of that week). The degradation trade-off (:func:`degradation_tradeoff`) runs the ``uniform`` strategy at the
base size with the throughput cost scaled by :attr:`StudyConfig.cost_multipliers` in each week.

Modules
-------
:mod:`~gridcore.storage.study.config` (what a study runs), :mod:`~gridcore.storage.study.sites` (the sites
and their no-storage curtailment), :mod:`~gridcore.storage.study.allocation` (the strategies),
:mod:`~gridcore.storage.study.simulation` (a period scheduled and its figures),
:mod:`~gridcore.storage.study.year` (the year, week after week), :mod:`~gridcore.storage.study.tradeoff`
(the degradation trade-off), :mod:`~gridcore.storage.study.run` (the whole study and its result) and
:mod:`~gridcore.storage.study.store` (its tables and plots on disk).
"""

from gridcore.storage.study.allocation import allocate, with_storage
from gridcore.storage.study.config import (
    STRATEGIES,
    Progress,
    StudyConfig,
    study_periods,
    study_steps,
    utc_hour,
)
from gridcore.storage.study.run import TABLE_COLUMNS, StudyResult, run_study, strategy_gains
from gridcore.storage.study.simulation import (
    HOURS_PER_YEAR,
    fade_per_year,
    period_figures,
    simulate,
    week_inputs,
)
from gridcore.storage.study.sites import AREA_IMPORT_LIMIT_MW, no_storage_curtailment_mwh, study_sites
from gridcore.storage.study.store import write_study
from gridcore.storage.study.summary import StudySummary, study_summary
from gridcore.storage.study.tradeoff import degradation_tradeoff
from gridcore.storage.study.year import YearRun, run_year

__all__ = [
    "AREA_IMPORT_LIMIT_MW",
    "HOURS_PER_YEAR",
    "STRATEGIES",
    "TABLE_COLUMNS",
    "Progress",
    "StudyConfig",
    "StudyResult",
    "StudySummary",
    "YearRun",
    "allocate",
    "degradation_tradeoff",
    "fade_per_year",
    "no_storage_curtailment_mwh",
    "period_figures",
    "run_study",
    "run_year",
    "simulate",
    "strategy_gains",
    "study_periods",
    "study_sites",
    "study_steps",
    "study_summary",
    "utc_hour",
    "week_inputs",
    "with_storage",
    "write_study",
]
