"""Storage allocation study: sites, equal-energy allocations, strategy ranking, the year's SoC carried."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import GridModel, load_grid
from gridcore.storage.degradation import throughput_cost_eur_per_mwh
from gridcore.storage.fleet import peak_output_frac, site_profiles
from gridcore.storage.metrics import check_schedule
from gridcore.storage.study import (
    STRATEGIES,
    TABLE_COLUMNS,
    StudyConfig,
    allocate,
    fade_per_year,
    no_storage_curtailment_mwh,
    period_figures,
    run_study,
    run_year,
    simulate,
    strategy_gains,
    study_periods,
    study_sites,
    study_steps,
    utc_hour,
    week_inputs,
    with_storage,
    write_study,
)

STORAGE = [s for s in STRATEGIES if s != "none"]
YEAR = pd.date_range("2016-01-01", periods=8760, freq="h", tz="UTC")


@pytest.fixture(scope="module")
def grid() -> GridModel:
    return load_grid(
        demand="simbench"
    )  # the references were measured on SimBench's published profiles, not the weather-driven world


@pytest.fixture(scope="module")
def sites(grid: GridModel) -> pd.DataFrame:
    return study_sites(grid, derive_feeders(grid).bus_feeder)


@pytest.fixture(scope="module")
def curtailment(grid: GridModel, sites: pd.DataFrame) -> pd.Series:
    return no_storage_curtailment_mwh(grid, sites, YEAR)


@pytest.fixture(scope="module")
def study(grid: GridModel) -> tuple[object, list[tuple[int, int, str]]]:
    """The default grid's weeks at the base size only (no year), with two trade-off points."""
    calls: list[tuple[int, int, str]] = []
    config = StudyConfig(year=False, size_factors=(1.0,), cost_multipliers=(0.0, 1.0))
    result = run_study(grid, derive_feeders(grid).bus_feeder, config, lambda *a: calls.append(a))
    return result, calls


def test_study_sites_are_whole_areas_and_plants_with_the_fleet_cap(
    grid: GridModel, sites: pd.DataFrame
) -> None:
    kinds = sites["kind"].value_counts()
    assert kinds["community"] == 110 and kinds["grid"] == 4  # the 110 LV areas, the 4 MV PV plants
    area, plant = sites.loc["area-2"], sites.loc["plant-118"]
    assert area["load"] >= 0 and area["pv_share"] == 1.0 and area["load_share"] == 1.0
    assert plant["load"] == -1 and plant["load_share"] == 0.0 and plant["import_limit_mw"] == 0.0
    peak = peak_output_frac(grid)
    assert plant["export_limit_mw"] == pytest.approx(0.3 * 1.42 * peak[118])
    assert area["export_limit_mw"] == pytest.approx(0.3 * grid.sgen.at[2, "p_mw"] * peak[2])
    assert (sites["energy_mwh"] == 0).all() and (sites["feeder"] != "").all()
    # the fleet-table format: the profiles of the whole area
    pv, load = site_profiles(grid, sites, pd.date_range("2016-07-01", periods=24, freq="h", tz="UTC"))
    assert pv.shape == (114, 24) and load[sites.index.get_loc("plant-118")].sum() == 0.0
    assert 0 < pv[sites.index.get_loc("area-2")].max() <= grid.sgen.at[2, "p_mw"] * peak[2] + 1e-12
    assert study_sites(grid)["feeder"].eq("").all()  # without a feeder map


def test_study_sites_need_pv(grid: GridModel) -> None:
    bare = dataclasses.replace(grid, sgen=grid.sgen[grid.sgen["type"] == "Wind_MV"])
    with pytest.raises(ValueError, match="no lv_RES generator"):
        study_sites(bare)


def test_allocations_have_equal_total_energy(sites: pd.DataFrame, curtailment: pd.Series) -> None:
    total = 13.239
    alloc = {s: allocate(sites, s, total, curtailment) for s in STRATEGIES}
    assert alloc["none"].sum() == 0.0
    for s in STORAGE:
        assert alloc[s].sum() == pytest.approx(total, rel=1e-12) and (alloc[s] >= 0).all()
    np.testing.assert_allclose(alloc["uniform"], total / 114)
    np.testing.assert_allclose(alloc["proportional_pv"], total * sites["pv_mw"] / sites["pv_mw"].sum())
    # central: everything at the site that curtails most (the 1.42 MW plant: 329 MWh a year)
    assert alloc["central"].idxmax() == curtailment.idxmax() == "plant-118"
    assert (alloc["central"] > 0).sum() == 1 and curtailment.max() == pytest.approx(329.2, abs=0.1)
    # constrained feeders: the top third (3 of 9) feeders by curtailment, split by curtailment
    used = sites.loc[alloc["constrained_feeders"] > 0, "feeder"].unique()
    by_feeder = curtailment.groupby(sites["feeder"]).sum().sort_values(ascending=False)
    assert sorted(used) == sorted(by_feeder.index[:3])
    chosen = alloc["constrained_feeders"] > 0
    np.testing.assert_allclose(
        alloc["constrained_feeders"][chosen], total * curtailment[chosen] / curtailment[chosen].sum()
    )
    one = allocate(sites, "constrained_feeders", total, curtailment, top_feeder_frac=0.01)
    assert sites.loc[one > 0, "feeder"].nunique() == 1


def test_allocate_errors(sites: pd.DataFrame, curtailment: pd.Series) -> None:
    with pytest.raises(ValueError, match="'random' is not one of none, uniform"):
        allocate(sites, "random", 1.0, curtailment)
    with pytest.raises(ValueError, match="no site curtails"):
        allocate(sites, "central", 1.0, curtailment * 0)


def test_with_storage_sizes_power_and_throughput_cost(sites: pd.DataFrame) -> None:
    energy = pd.Series(0.4, index=sites.index)
    units = with_storage(sites, energy, duration_h=4.0, cost_multiplier=2.0)
    assert (units["power_mw"] == 0.1).all() and (units["energy_mwh"] == 0.4).all()
    np.testing.assert_allclose(units["throughput_cost_eur_per_mwh"], 2.0 * throughput_cost_eur_per_mwh(units))
    assert (sites["energy_mwh"] == 0).all()  # the input is not modified


def test_study_ranks_the_strategies(study: tuple[object, list]) -> None:
    result, _ = study
    table = result.table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert set(table["period"]) == {"summer_week", "winter_week"}
    for _, rows in table.groupby("period"):
        none = rows[rows["strategy"] == "none"].iloc[0]
        assert none["total_mwh"] == 0.0 and none["sites_with_storage"] == 0 and none["efc"] == 0.0
        storage = rows[rows["strategy"] != "none"]
        # equal total energy across strategies: the base of 1 MWh per MW of PV (13.239 MW)
        np.testing.assert_allclose(storage["total_mwh"], 13.239, rtol=1e-9)
        # storage never lowers utilization below none, and every battery schedule is an LP optimum
        assert (storage["utilization_pct"] >= none["utilization_pct"] - 1e-9).all()
        assert (storage["curtailment_mwh"] <= none["curtailment_mwh"] + 1e-9).all()
        assert (rows["fallbacks"] == 0).all()
    u = strategy_gains(table)
    assert list(u.columns) == list(STRATEGIES)
    summer = u.loc["summer_week"]
    # measured (default grid, summer week, 13.2 MWh): none 94.26, uniform 97.20, proportional_pv 99.63,
    # constrained_feeders 98.67, central 97.28 [%]
    assert summer["none"] == pytest.approx(94.26, abs=0.05)
    assert summer["central"] > summer["none"] + 2.5  # the worst site's cap binds most: a large gain
    # ... but 72 of 110 areas are capped too: distributing the same MWh over them does better
    assert summer["central"] < summer["proportional_pv"] - 2.0
    assert summer["central"] < summer["constrained_feeders"] - 1.0
    assert result.best == {"summer_week": "proportional_pv", "winter_week": "proportional_pv"}
    # the central battery recovers everything its site curtails: more energy at one site does nothing
    central_site = result.allocation["central"].idxmax()
    assert central_site == "plant-118" and result.sites.loc[central_site, "curtailment_mwh"] > 300


def test_central_wins_when_only_its_site_is_capped(grid: GridModel, sites: pd.DataFrame) -> None:
    """The ranking assertion above can fail: lift every other site's cap and central does best."""
    curt = no_storage_curtailment_mwh(grid, sites, YEAR)
    lifted = sites.copy()
    other = lifted.index != curt.idxmax()
    lifted.loc[other, "export_limit_mw"] = 100.0
    config = StudyConfig(horizon_h=72)
    start = study_periods(config)["summer_week"]
    util = {}
    for s in ("none", "uniform", "central"):
        units = with_storage(lifted, allocate(lifted, s, 13.239, curt), config.duration_h)
        site = week_inputs(grid, units, start, config)
        util[s] = period_figures(site, simulate(site)[0])["utilization_pct"]
    assert util["none"] < util["uniform"] < util["central"]


def test_progress_reports_every_step(study: tuple[object, list]) -> None:
    result, calls = study
    config = StudyConfig(year=False, size_factors=(1.0,), cost_multipliers=(0.0, 1.0))
    assert len(calls) == study_steps(config) == 2 * (1 + 4) + 2 * 2
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1)) and calls[-1][1] == len(calls)
    assert study_steps(StudyConfig()) == 2 * (1 + 4 * 5) + 5 * 52 + 2 * 7


def test_degradation_tradeoff(study: tuple[object, list]) -> None:
    result, _ = study
    t = result.tradeoff.set_index(["period", "cost_multiplier"])
    assert list(t.index.get_level_values(0).unique()) == ["summer_week", "winter_week"]
    base = result.table.query("period == 'summer_week' and strategy == 'uniform'").iloc[0]
    assert t.loc[("summer_week", 1.0), "utilization_pct"] == pytest.approx(base["utilization_pct"])
    assert t.loc[("summer_week", 0.0), "throughput_cost_eur_per_mwh"] == 0.0
    assert t.loc[("summer_week", 1.0), "throughput_cost_eur_per_mwh"] == pytest.approx(13.75, abs=0.05)
    # a free battery cycles at least as much and curtails no more
    assert t.loc[("summer_week", 0.0), "efc"] >= t.loc[("summer_week", 1.0), "efc"] - 1e-9
    assert t.loc[("summer_week", 0.0), "curtailment_mwh"] <= t.loc[("summer_week", 1.0), "curtailment_mwh"]
    assert (t["fade_pct_per_year"] > 1.0).all()  # calendar fade alone is about 1.1 %/year at 25 °C
    assert (t["simultaneous_hours"] >= 0).all()


def test_write_study_tables_and_plots(study: tuple[object, list], tmp_path: Path) -> None:
    result, _ = study
    written = write_study(tmp_path / "study", result)
    assert set(written) == {"table", "tradeoff", "allocation", "plot", "tradeoff_plot"}
    assert {Path(p).parent for p in written.values()} == {tmp_path / "study"}
    table = pd.read_csv(written["table"])
    assert list(table.columns) == list(TABLE_COLUMNS) and len(table) == len(result.table)
    assert len(pd.read_csv(written["tradeoff"])) == len(result.tradeoff)
    allocation = pd.read_csv(written["allocation"], index_col=0)
    assert {"kind", "feeder", "pv_mw", "curtailment_mwh", *STORAGE} <= set(allocation.columns)
    for plot in ("plot", "tradeoff_plot"):
        assert Path(written[plot]).read_bytes()[:4] == b"\x89PNG"


def test_costly_throughput_stops_the_batteries(
    grid: GridModel, sites: pd.DataFrame, curtailment: pd.Series
) -> None:
    units = with_storage(sites, allocate(sites, "uniform", 13.239, curtailment), 2.0, cost_multiplier=16.0)
    config = StudyConfig()
    site = week_inputs(grid, units, study_periods(config)["summer_week"], config)
    blocks, _ = simulate(site)
    fig = period_figures(site, blocks)
    assert fig["efc"] == pytest.approx(0.0, abs=1e-6) and fig["cycle_fade_pct_per_year"] < 1e-3


def test_year_carries_the_soc_from_week_to_week(
    grid: GridModel, sites: pd.DataFrame, curtailment: pd.Series
) -> None:
    keep = ["plant-118", "plant-115", "area-61", "area-2", "area-80"]
    few = sites.loc[keep]
    # nearly free cycling (below the 1 EUR/MWh curtailment tie-break) and "weeks" of 36 h ending at noon: a
    # battery stores the last hours' surplus rather than curtail it, ends above its start, and the next week
    # must start (and end) there
    units = with_storage(few, allocate(few, "proportional_pv", 3.0, curtailment), 2.0, cost_multiplier=0.05)
    config = StudyConfig(year_start="2016-06-27T00:00Z", weeks=4, horizon_h=36)
    labels: list[str] = []
    run = run_year(grid, units, config, labels.append)
    assert labels[-1] == "year week 4/4" and run.blocks.shape == (5, 6, 4 * 36)
    # one continuous schedule: the SoC dynamics hold across every week boundary (and all other limits)
    counts = check_schedule(run.site, run.blocks)
    assert counts == dict.fromkeys(counts, 0)
    soc = run.soc_mwh.to_numpy()
    e = units["energy_mwh"].to_numpy()[:, None]
    ends = soc[:, 35::36]
    starts = np.concatenate([0.5 * e, ends[:, :-1]], axis=1)
    assert (ends >= starts - 1e-7).all()  # each week ends at least at its start SoC
    assert np.abs(ends[:, :-1] - 0.5 * e).max() > 0.05 * e.max()  # and the carried SoC is not a reset
    assert run.figures["fallbacks"] == 0 and run.figures["total_mwh"] == pytest.approx(3.0)
    assert run.figures["efc"] > 0 and run.figures["efc_per_year"] == pytest.approx(
        run.figures["efc"] * 8766 / (4 * 36)
    )
    assert list(run.soc_mwh.columns[:2]) == list(pd.date_range("2016-06-27", periods=2, freq="h", tz="UTC"))
    # profiles given or read give the same year
    again = run_year(grid, units, config, profiles=site_profiles(grid, units, run.site.time))
    np.testing.assert_allclose(again.blocks, run.blocks)


def test_year_in_the_study(grid: GridModel) -> None:
    config = StudyConfig(
        weeks=1, size_factors=(1.0,), cost_multipliers=(1.0,), horizon_h=24, year_start="2016-06-01T00:00Z"
    )
    result = run_study(grid, derive_feeders(grid).bus_feeder, config)
    year = result.table[result.table["period"] == "year"].set_index("strategy")
    assert list(year.index) == list(STRATEGIES)
    assert year.loc["none", "total_mwh"] == 0.0 and "none" not in result.year_soc_mwh
    assert set(result.year_soc_mwh) == set(STORAGE)
    assert result.year_soc_mwh["central"].shape == (1, 24)
    assert (year["utilization_pct"] >= year.loc["none", "utilization_pct"] - 1e-9).all()
    # the 24 h winter "week" from 2016-01-11 has no PV: utilization NaN and no best strategy
    assert "winter_week" not in result.best and set(result.best) == {"summer_week", "year"}


def test_fade_per_year_of_a_daily_cycle() -> None:
    units = pd.DataFrame({"energy_mwh": [2.0], "chemistry": ["LFP"]})
    day = np.concatenate([np.linspace(1.8, 0.2, 12), np.linspace(0.2, 1.8, 12)])
    soc = np.tile(day, 7)[None, :]
    out = fade_per_year(units, soc, np.array([1.8]))
    moved = np.abs(np.diff(np.concatenate([[1.8], soc[0]]))).sum()
    assert out["efc"] == pytest.approx(moved / 2 / 2.0)
    assert out["efc_per_year"] == pytest.approx(out["efc"] * 8766 / 168)
    assert 0 < out["cycle_fade_pct_per_year"] < out["fade_pct_per_year"] < 10
    short = fade_per_year(units, soc[:, :6], np.array([1.8]))  # under a day: one partial day
    assert short["efc"] > 0


def test_config_and_time_errors() -> None:
    with pytest.raises(ValueError, match="size_factors"):
        StudyConfig(size_factors=())
    with pytest.raises(ValueError, match="duration_h"):
        StudyConfig(duration_h=0)
    with pytest.raises(ValueError, match="weeks"):
        StudyConfig(weeks=0)
    with pytest.raises(ValueError, match="cost_multipliers"):
        StudyConfig(cost_multipliers=(-1.0,))
    with pytest.raises(ValueError, match="top_feeder_frac"):
        StudyConfig(top_feeder_frac=0.0)
    with pytest.raises(ValueError, match="summer start '2016-07-01' must be timezone-aware"):
        study_periods(StudyConfig(summer_start="2016-07-01"))
    with pytest.raises(ValueError, match="not on the hour"):
        utc_hour("winter start", "2016-01-11T00:30Z")
    assert utc_hour("x", "2016-01-11T01:00+01:00") == pd.Timestamp("2016-01-11", tz="UTC")


def test_the_study_summary_is_typed_and_is_the_json(study: tuple[object, list]) -> None:
    import json

    from gridcore.storage.study import TABLE_COLUMNS, StudyConfig, StudySummary, study_summary

    result, _ = study
    config = StudyConfig(year=False, size_factors=(1.0,), cost_multipliers=(0.0, 1.0))
    s = study_summary(result, config, {"table": "study/table.csv"})
    assert isinstance(s, StudySummary)
    assert s.periods == ("summer_week", "winter_week") and s.strategies[0] == "none"
    assert s.sites == len(result.sites)
    assert s.base_mwh == round(float(result.sites["pv_mw"].sum()) * config.base_mwh_per_mw, 3)
    assert s.best == result.best
    for period, best in s.best.items():  # the best storage strategy has the highest utilization
        at_base = s.utilization_pct_at_base[period]
        assert at_base[best] == max(v for k, v in at_base.items() if k != "none") > at_base["none"]
    assert len(s.table) == len(result.table) and list(s.table[0]) == list(TABLE_COLUMNS)
    first = result.table.iloc[0]
    assert s.table[0]["renewable_mwh"] == round(float(first["renewable_mwh"]), 4)
    assert len(s.degradation_tradeoff) == len(result.tradeoff)
    d = s.to_dict()
    assert list(d) == [
        "strategies",
        "periods",
        "sites",
        "base_mwh",
        "utilization_pct_at_base",
        "best",
        "table",
        "degradation_tradeoff",
        "written",
    ]
    assert d["periods"] == ["summer_week", "winter_week"] and d["written"] == {"table": "study/table.csv"}
    json.dumps(d, allow_nan=False)  # NaN written as null
