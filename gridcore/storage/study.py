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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.network.grid import GridModel
from gridcore.storage.degradation import FadeState, efc_from_soc, step_fade, throughput_cost_eur_per_mwh
from gridcore.storage.fleet import KIND_PARAMETERS, FleetSpec, peak_output_frac, site_profiles
from gridcore.storage.metrics import check_schedule, energy_figures
from gridcore.storage.plan import PRICE_EXPORT_EUR_PER_MWH, PRICE_IMPORT_EUR_PER_MWH, assemble
from gridcore.storage.rule import no_storage
from gridcore.storage.schedule import SiteInputs, schedule_batch

#: Allocation strategies, in the order of the tables.
STRATEGIES = ("none", "uniform", "proportional_pv", "constrained_feeders", "central")
#: Import limit of an LV area at its MV/LV transformer [MW] (as the fleet's community sites).
AREA_IMPORT_LIMIT_MW = 0.63
#: Hours of a mean year, for scaling a period's cycles and fade to a year [h].
HOURS_PER_YEAR = 8766.0
#: Progress callback: ``progress(done, total, label)``.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class StudyConfig:
    """What the study runs.

    Attributes
    ----------
    summer_start, winter_start : str
        First hour of the summer and winter weeks (UTC).
    year : bool
        Run the year (52 weekly LPs per site with the SoC carried; the slow part).
    year_start : str
        First hour of the year (UTC).
    weeks : int
        Weeks of the year [-].
    size_factors : tuple of float
        Total energies of the week sweep as multiples of the base size [-].
    base_mwh_per_mw : float
        Base total energy per MW of installed PV over all sites [MWh/MW].
    duration_h : float
        Energy-to-power ratio of every battery [h] (power = energy / duration).
    cost_multipliers : tuple of float
        Multipliers of the degradation model's throughput cost in the trade-off [-].
    top_feeder_frac : float
        Share of the feeders (ranked by no-storage curtailment) that ``constrained_feeders`` uses [-].
    horizon_h : int
        Length of a week's LP [h].
    solver : str
        LP solver (``glop``, ``highs``, ``auto``).
    price_import, price_export : float
        Tariffs [EUR/MWh].
    """

    summer_start: str = "2016-07-01T00:00Z"
    winter_start: str = "2016-01-11T00:00Z"
    year: bool = True
    year_start: str = "2016-01-01T00:00Z"
    weeks: int = 52
    size_factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    base_mwh_per_mw: float = 1.0
    duration_h: float = 2.0
    cost_multipliers: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
    top_feeder_frac: float = 1.0 / 3.0
    horizon_h: int = 168
    solver: str = "auto"
    price_import: float = PRICE_IMPORT_EUR_PER_MWH
    price_export: float = PRICE_EXPORT_EUR_PER_MWH

    def __post_init__(self) -> None:
        """Check sizes, duration, weeks and multipliers."""
        if not self.size_factors or min(self.size_factors) <= 0:
            raise ValueError(f"size_factors: need at least one size, all > 0 (got {self.size_factors})")
        if self.duration_h <= 0 or self.base_mwh_per_mw <= 0:
            raise ValueError(
                f"duration_h ({self.duration_h}) and base_mwh_per_mw ({self.base_mwh_per_mw}) must be > 0"
            )
        if self.weeks < 1:
            raise ValueError(f"weeks: need at least 1 (got {self.weeks})")
        if min(self.cost_multipliers, default=0.0) < 0:
            raise ValueError(f"cost_multipliers: must be >= 0 (got {self.cost_multipliers})")
        if not 0 < self.top_feeder_frac <= 1:
            raise ValueError(f"top_feeder_frac: must be in (0, 1] (got {self.top_feeder_frac})")


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


def study_sites(
    grid: GridModel,
    bus_feeder: pd.Series | None = None,
    spec: FleetSpec | None = None,
) -> pd.DataFrame:
    """The study's sites in the fleet-table format, with no storage yet.

    Parameters
    ----------
    grid : GridModel
        The grid: its ``lv_RES`` generators with the load at the same bus are the LV areas, its ``PV_MV``
        generators the plants.
    bus_feeder : pd.Series, optional
        Feeder id per bus (``derive_feeders(grid).bus_feeder``); "" when omitted.
    spec : FleetSpec, optional
        Feed-in caps: ``export_cap_frac`` of the areas' and ``plant_export_cap_frac`` of the plants' PV peak
        (default :class:`~gridcore.storage.fleet.FleetSpec`: 30 % of each).

    Returns
    -------
    pd.DataFrame
        Index ``battery`` (``area-<sgen>``, ``plant-<sgen>``); the columns of
        :mod:`gridcore.storage.fleet` with ``kind`` ``community`` (areas) or ``grid`` (plants),
        ``pv_share`` and ``load_share`` 1 (the whole area), ``power_mw`` and ``energy_mwh`` 0 [MW, MWh],
        ``export_limit_mw`` [MW] and ``import_limit_mw`` (:data:`AREA_IMPORT_LIMIT_MW` for areas, 0 for
        plants) [MW], ``chemistry`` LFP.

    Raises
    ------
    ValueError
        When the grid has neither LV areas nor MV PV plants.
    """
    spec = spec or FleetSpec()
    sgen = grid.sgen
    load_at = grid.load.reset_index().drop_duplicates("bus").set_index("bus")["index"]
    area = sgen[(sgen["type"] == "lv_RES") & sgen["bus"].isin(load_at.index)]
    plants = sgen[sgen["type"] == "PV_MV"]
    if not len(area) and not len(plants):
        raise ValueError("grid.sgen: no lv_RES generator at a load bus and no PV_MV plant to study")
    peak = peak_output_frac(grid)
    frames = [
        pd.DataFrame(
            {
                "kind": "community",
                "bus": area["bus"].to_numpy(),
                "sgen": area.index.to_numpy(),
                "load": load_at.loc[area["bus"].to_numpy()].to_numpy(),
                "pv_mw": area["p_mw"].to_numpy(float),
                "export_limit_mw": spec.export_cap_frac
                * area["p_mw"].to_numpy(float)
                * peak.loc[area.index].to_numpy(),
                "import_limit_mw": AREA_IMPORT_LIMIT_MW,
            },
            index=[f"area-{i}" for i in area.index],
        ),
        pd.DataFrame(
            {
                "kind": "grid",
                "bus": plants["bus"].to_numpy(),
                "sgen": plants.index.to_numpy(),
                "load": -1,
                "pv_mw": plants["p_mw"].to_numpy(float),
                "export_limit_mw": spec.plant_export_cap_frac
                * plants["p_mw"].to_numpy(float)
                * peak.loc[plants.index].to_numpy(),
                "import_limit_mw": 0.0,
            },
            index=[f"plant-{i}" for i in plants.index],
        ),
    ]
    sites = pd.concat([f for f in frames if len(f)])
    sites.index.name = "battery"
    sites = sites.astype({"bus": int, "sgen": int, "load": int})
    sites["pv_share"] = 1.0
    sites["load_share"] = 1.0
    sites.loc[sites["load"] < 0, "load_share"] = 0.0
    sites["power_mw"] = 0.0
    sites["energy_mwh"] = 0.0
    params = pd.DataFrame(KIND_PARAMETERS).T.loc[sites["kind"]].set_axis(sites.index).astype(float)
    sites = pd.concat([sites, params], axis=1)
    sites["chemistry"] = "LFP"
    feeder = bus_feeder if bus_feeder is not None else pd.Series(dtype=str)
    sites["feeder"] = feeder.reindex(sites["bus"]).fillna("").astype(str).to_numpy()
    sites["commissioned"] = pd.Timestamp("2016-01-01", tz="UTC")
    return sites


def no_storage_curtailment_mwh(grid: GridModel, sites: pd.DataFrame, times: pd.DatetimeIndex) -> pd.Series:
    """Curtailment of each site without storage over ``times`` [MWh] (1 h steps).

    Parameters
    ----------
    grid : GridModel
    sites : pd.DataFrame
        Site table (:func:`study_sites`).
    times : pd.DatetimeIndex
        Hour starts (UTC).

    Returns
    -------
    pd.Series
        [MWh] indexed like ``sites``.
    """
    pv, load = site_profiles(grid, sites, times)
    surplus = np.maximum(pv - load, 0.0)
    cap = sites["export_limit_mw"].to_numpy(float)[:, None]
    return pd.Series(np.maximum(surplus - cap, 0.0).sum(axis=1), index=sites.index, name="curtailment_mwh")


def allocate(
    sites: pd.DataFrame,
    strategy: str,
    total_mwh: float,
    curtailment_mwh: pd.Series,
    top_feeder_frac: float = 1.0 / 3.0,
) -> pd.Series:
    """Split a total battery energy over the sites by one strategy.

    Parameters
    ----------
    sites : pd.DataFrame
        Site table with ``pv_mw`` [MW] and ``feeder``.
    strategy : str
        One of :data:`STRATEGIES` (see the module docstring).
    total_mwh : float
        Total energy [MWh] (ignored by ``none``).
    curtailment_mwh : pd.Series
        No-storage curtailment per site [MWh], ranks sites and feeders.
    top_feeder_frac : float
        Share of the feeders that ``constrained_feeders`` uses [-] (at least one feeder).

    Returns
    -------
    pd.Series
        Energy per site [MWh], summing to ``total_mwh`` (0 for ``none``).

    Raises
    ------
    ValueError
        An unknown strategy, or a curtailment-based strategy when no site curtails.
    """
    n = len(sites)
    curt = curtailment_mwh.reindex(sites.index).fillna(0.0).to_numpy(float)
    if strategy == "none":
        share = np.zeros(n)
    elif strategy == "uniform":
        share = np.full(n, 1.0 / n)
    elif strategy == "proportional_pv":
        pv = sites["pv_mw"].to_numpy(float)
        share = pv / pv.sum()
    elif strategy in ("constrained_feeders", "central"):
        if curt.sum() <= 0:
            raise ValueError(f"strategy {strategy!r}: no site curtails without storage, nothing to rank")
        if strategy == "central":
            share = np.zeros(n)
            share[int(np.argmax(curt))] = 1.0
        else:
            by_feeder = pd.Series(curt, index=sites["feeder"].to_numpy()).groupby(level=0).sum()
            top = by_feeder.sort_values(ascending=False, kind="stable")
            top = top[top > 0].index[: max(1, int(np.ceil(top_feeder_frac * len(by_feeder))))]
            weight = np.where(sites["feeder"].isin(top).to_numpy(), curt, 0.0)
            share = weight / weight.sum()
    else:
        raise ValueError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    return pd.Series(share * total_mwh, index=sites.index, name="energy_mwh")


def with_storage(
    sites: pd.DataFrame, energy_mwh: pd.Series, duration_h: float = 2.0, cost_multiplier: float = 1.0
) -> pd.DataFrame:
    """The site table with batteries of the given energies.

    Parameters
    ----------
    sites : pd.DataFrame
        Site table (:func:`study_sites`).
    energy_mwh : pd.Series
        Energy per site [MWh] (:func:`allocate`).
    duration_h : float
        Energy-to-power ratio [h]: ``power_mw = energy_mwh / duration_h``.
    cost_multiplier : float
        Factor on the degradation model's throughput cost [-].

    Returns
    -------
    pd.DataFrame
        A copy with ``energy_mwh`` [MWh], ``power_mw`` [MW] and ``throughput_cost_eur_per_mwh`` [EUR/MWh].
    """
    out = sites.copy()
    out["energy_mwh"] = energy_mwh.reindex(out.index).fillna(0.0).to_numpy(float)
    out["power_mw"] = out["energy_mwh"] / duration_h
    out["throughput_cost_eur_per_mwh"] = cost_multiplier * throughput_cost_eur_per_mwh(out)
    return out


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
    config: StudyConfig = StudyConfig(),
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


def utc_hour(name: str, value: str | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a UTC hour; a naive or off-the-hour time is an error naming ``name``."""
    ts = pd.Timestamp(value)
    if ts.tz is None:
        raise ValueError(f"{name} {value!r} must be timezone-aware (UTC), e.g. 2016-07-01T00:00Z")
    if ts != ts.floor("h"):
        raise ValueError(f"{name} {value!r} is not on the hour")
    return ts.tz_convert("UTC")


def study_periods(config: StudyConfig) -> dict[str, pd.Timestamp]:
    """First hour (UTC) of each week of the study: ``summer_week``, ``winter_week``."""
    return {
        "summer_week": utc_hour("summer start", config.summer_start),
        "winter_week": utc_hour("winter start", config.winter_start),
    }


def degradation_tradeoff(
    grid: GridModel,
    units: pd.DataFrame,
    config: StudyConfig = StudyConfig(),
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


def study_steps(config: StudyConfig) -> int:
    """Number of progress steps :func:`run_study` reports (for a progress bar's total)."""
    storage = len(STRATEGIES) - 1
    weeks = 2 * (1 + storage * len(config.size_factors))
    year = len(STRATEGIES) * config.weeks if config.year else 0
    return weeks + year + 2 * len(config.cost_multipliers)


def run_study(
    grid: GridModel,
    bus_feeder: pd.Series | None = None,
    config: StudyConfig = StudyConfig(),
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


def write_study(folder: Path, result: StudyResult) -> dict[str, str]:
    """Write the CSV tables and the PNG plots of a study; their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "table": folder / "study.csv",
        "tradeoff": folder / "tradeoff.csv",
        "allocation": folder / "allocation.csv",
        "plot": folder / "study.png",
        "tradeoff_plot": folder / "tradeoff.png",
    }
    result.table.to_csv(paths["table"], index=False, float_format="%.6g")
    result.tradeoff.to_csv(paths["tradeoff"], index=False, float_format="%.6g")
    result.allocation.join(result.sites[["kind", "feeder", "pv_mw", "curtailment_mwh"]]).to_csv(
        paths["allocation"], float_format="%.6g"
    )
    from gridcore.storage.plot import plot_study, plot_tradeoff

    plot_study(result.table, paths["plot"])
    plot_tradeoff(result.tradeoff, paths["tradeoff_plot"])
    return {k: str(v) for k, v in paths.items()}
