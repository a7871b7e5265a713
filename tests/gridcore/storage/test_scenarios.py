"""Operating scenarios for the battery fleet, on the default grid's real profiles; each asserts an outcome.

The days and weeks are found in the profiles by what makes them the scenario (the fastest PV swings of a
summer day, the least wind of a winter week), not hard-coded, so the tests keep their meaning if the
profiles change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid
from gridcore.storage.fleet import build_fleet, hourly_profiles, with_throughput_cost
from gridcore.storage.metrics import check_schedule, energy_figures
from gridcore.storage.plan import fleet_inputs
from gridcore.storage.rule import no_storage, rule_based
from gridcore.storage.schedule import schedule_batch

YEAR = pd.date_range("2016-01-01", periods=366 * 24, freq="h", tz="UTC")


@pytest.fixture(scope="module")
def grid():
    return load_grid(
        demand="simbench"
    )  # the references were measured on SimBench's published profiles, not the weather-driven world


@pytest.fixture(scope="module")
def fleet(grid):
    full = with_throughput_cost(build_fleet(grid, bus_feeder=derive_feeders(grid).bus_feeder))
    # every 8th home, every community battery and the plants: ~200 units, all kinds
    homes = full[full["kind"] == "home"].iloc[::8]
    return pd.concat([homes, full[full["kind"] != "home"]])


@pytest.fixture(scope="module")
def year(grid) -> pd.DataFrame:
    sgen, load = hourly_profiles(grid, YEAR)
    kind = grid.sgen["type"].to_numpy()
    return pd.DataFrame(
        {
            "pv": sgen[:, kind == "lv_RES"].sum(1),
            "wind": sgen[:, kind == "Wind_MV"].sum(1),
            "load": load.sum(1),
        },
        index=YEAR,
    )


def run(grid, fleet, start: pd.Timestamp, hours: int, price_import=300.0, price_export=80.0):  # noqa: ANN001, ANN201
    site = fleet_inputs(grid, fleet, start, hours, price_import, price_export)
    opt = schedule_batch(site)
    assert opt.solved.all()
    assert not any(check_schedule(site, opt.values).values())
    return site, {"none": no_storage(site), "rule": rule_based(site), "optimized": opt.values}


def test_sunny_week_with_export_limits(grid, fleet, year) -> None:
    """The sunniest summer week: the feed-in cap binds, the batteries recover most of the curtailment."""
    weekly = year["pv"].resample("7D").sum()
    start = weekly[(weekly.index.month >= 5) & (weekly.index.month <= 8)].idxmax()
    site, s = run(grid, fleet, start, 168)
    u = {k: energy_figures(site, b)["utilization_pct"] for k, b in s.items()}
    c = {k: energy_figures(site, b)["curtailment_mwh"] for k, b in s.items()}
    assert u["none"] < 90  # the cap really binds
    assert (
        u["optimized"] / u["none"] - 1 >= 0.12
    )  # storage raises utilization by 12 %+ (issue: 15 % fleet-wide)
    assert c["optimized"] < 0.6 * c["rule"]  # looking ahead beats charging from the first surplus
    export = s["optimized"][:, 4]
    assert (export <= site.units["export_limit_mw"].to_numpy()[:, None] + 1e-7).all()


def test_partly_cloudy_day(grid, fleet, year) -> None:
    """The summer day with the fastest PV swings (of days with median energy or more)."""
    daily = year["pv"].resample("D").sum()
    swing = year["pv"].diff().abs().resample("D").sum() / daily
    summer = (
        (daily.index.month >= 5)
        & (daily.index.month <= 8)
        & (daily >= daily[daily.index.month == 7].median())
    )
    day = swing[summer].idxmax()
    site, s = run(grid, fleet, day, 24)
    pv = site.pv_mw.sum(0)
    assert np.abs(np.diff(pv)).max() > 0.25 * pv.max()  # it is a swinging day
    u = {k: energy_figures(site, b)["utilization_pct"] for k, b in s.items()}
    c = {k: energy_figures(site, b)["curtailment_mwh"] for k, b in s.items()}
    assert u["none"] < u["rule"] <= u["optimized"]
    # the rule fills up on the first surplus and curtails in the later peaks; the LP keeps room for them
    assert c["optimized"] < 0.5 * c["rule"] and c["rule"] < c["none"]


def test_windless_cold_week(grid, fleet, year) -> None:
    """Little wind and PV in winter: no surplus to store. With a flat tariff the LP does not cycle for
    nothing; with a time-of-use tariff it shifts imports out of the evening peak when the spread pays
    for losses and wear."""
    weekly = year[["wind", "pv"]].resample("7D").sum()
    winter = weekly[(weekly.index.month <= 2) | (weekly.index.month == 12)]
    start = winter["wind"].idxmin()
    assert winter.loc[start, "wind"] < 0.5 * weekly["wind"].median()
    site, flat = run(grid, fleet, start, 168)
    # flat tariff: charging from the grid only loses (efficiency, wear), so every charged MWh is surplus PV
    surplus = np.maximum(site.pv_mw - site.load_mw, 0.0)
    assert (flat["optimized"][:, 0] <= surplus + 1e-7).all()
    assert flat["optimized"][:, 0].sum() <= flat["rule"][:, 0].sum() + 1e-6
    hours = pd.date_range(start, periods=168, freq="h").hour
    peak = (hours >= 17) & (hours < 21)
    tou = np.where(peak, 450.0, 200.0)
    site, shifted = run(grid, fleet, start, 168, price_import=tou)
    homes = (site.units["kind"] == "home").to_numpy()
    peak_import = {k: b[homes][:, 3][:, peak].sum() for k, b in shifted.items()}
    assert peak_import["optimized"] < 0.6 * peak_import["none"]


def test_evening_ramp_is_carried_by_the_batteries(grid, fleet) -> None:
    """Solar falls in the evening as demand rises. With a demand charge (a price on each site's peak
    import) the batteries flatten the homes' import and the ramp the grid sees is cut by more than half.
    A peak-hour tariff alone does the opposite: every battery stops at the end of the peak window at once
    and the import rebounds harder than without storage. Both are measured here."""
    start = pd.Timestamp("2016-06-20", tz="UTC")
    hours = pd.date_range(start, periods=72, freq="h").hour

    def worst_ramp(site, b: np.ndarray) -> float:  # noqa: ANN001
        homes = (site.units["kind"] == "home").to_numpy()
        imp = b[homes][:, 3].sum(0)  # MW the homes draw from the grid
        return float(np.max(imp[3:] - imp[:-3]))  # largest rise over 3 hours

    charged = fleet.assign(demand_charge_eur_per_mw=500.0)
    site, s = run(grid, charged, start, 72)
    assert worst_ramp(site, s["optimized"]) < 0.5 * worst_ramp(site, s["none"])
    peak_import = {k: b[:, 3].max(axis=1).sum() for k, b in s.items()}
    assert peak_import["optimized"] < 0.8 * peak_import["none"]  # measured 0.72
    tou = np.where((hours >= 16) & (hours < 21), 420.0, 260.0)
    site, s = run(grid, fleet, start, 72, price_import=tou)
    assert worst_ramp(site, s["optimized"]) > worst_ramp(site, s["none"])  # the rebound
