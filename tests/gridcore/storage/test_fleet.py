"""The default fleet on the default grid, fleet files, site inputs, baselines, the schedule store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid
from gridcore.storage.fleet import (
    FleetSpec,
    build_fleet,
    peak_output_frac,
    read_fleet,
    site_profiles,
    with_throughput_cost,
)
from gridcore.storage.plan import (
    assemble,
    feeder_limits_mw,
    fleet_inputs,
    fleet_summary,
    other_net_load,
)
from gridcore.storage.rule import no_storage, rule_based
from gridcore.storage.schedule import schedule_batch
from gridcore.storage.store import list_schedules, read_schedule, write_schedule


@pytest.fixture(scope="module")
def grid():
    return load_grid()


@pytest.fixture(scope="module")
def fleet(grid):
    return build_fleet(grid, bus_feeder=derive_feeders(grid).bus_feeder)


def test_default_fleet_size_and_no_double_counting(grid, fleet) -> None:
    assert len(fleet) == 1200 and fleet.index.is_unique
    assert fleet["kind"].value_counts().to_dict() == {"home": 1150, "community": 46, "grid": 4}
    lv = fleet[fleet["kind"] != "grid"]
    # the homes' and the community site's shares of an area never exceed the whole area
    assert (lv.groupby("sgen")["pv_share"].sum() <= 1 + 1e-9).all()
    assert (lv.groupby("load")["load_share"].sum() <= 1 + 1e-9).all()
    homes = fleet[fleet["kind"] == "home"]
    assert homes["pv_mw"].between(0.0005, 0.010).all()
    assert (homes.groupby("sgen")["pv_share"].sum() <= FleetSpec().max_home_pv_share + 1e-9).all()
    assert set(fleet.loc[fleet["kind"] == "grid", "sgen"]) <= set(
        grid.sgen.index[grid.sgen["type"] == "PV_MV"]
    )
    assert (fleet["feeder"] != "").all() and fleet["commissioned"].dt.tz is not None
    # the same seed gives the same fleet
    pd.testing.assert_frame_equal(fleet, build_fleet(grid, bus_feeder=derive_feeders(grid).bus_feeder))


def test_default_fleet_has_feeders_and_degradation_costs(grid, fleet) -> None:
    from gridcore.storage.fleet import default_fleet

    full = default_fleet(grid)
    pd.testing.assert_frame_equal(full, with_throughput_cost(fleet))
    assert (full["throughput_cost_eur_per_mwh"] > 0).all()


def test_export_cap_is_a_share_of_the_peak(grid, fleet) -> None:
    peak = peak_output_frac(grid)
    assert ((peak > 0) & (peak <= 1.0 + 1e-9)).all()
    home = fleet[fleet["kind"] == "home"].iloc[0]
    assert home["export_limit_mw"] == pytest.approx(0.3 * home["pv_mw"] * peak[home["sgen"]])


def test_site_inputs_follow_the_profiles(grid, fleet) -> None:
    times = pd.date_range("2016-07-01", periods=48, freq="h", tz="UTC")
    pv, load = site_profiles(grid, fleet, times)
    assert pv.shape == load.shape == (1200, 48)
    assert (pv[:, 0] == 0).all()  # 02:00 local in Germany: night
    assert (load[fleet["kind"].to_numpy() == "grid"] == 0).all()
    # PV of an area's sites is exactly their shares of the area's generator, at most all of it
    from gridcore.storage.fleet import hourly_profiles

    sgen_mw, _ = hourly_profiles(grid, times)
    sgen = fleet["sgen"].iloc[0]
    rows = (fleet["sgen"] == sgen).to_numpy()
    area = sgen_mw[:, grid.sgen.index.get_loc(sgen)]
    np.testing.assert_allclose(pv[rows].sum(0), area * fleet.loc[rows, "pv_share"].sum(), rtol=1e-12)
    assert (pv[rows].sum(0) <= area + 1e-12).all() and area.max() > 0


def test_schedule_small_part_of_the_fleet_and_store_round_trip(grid, fleet, tmp_path) -> None:
    part = with_throughput_cost(fleet.iloc[::40])
    assert (part["throughput_cost_eur_per_mwh"] > 0).all()
    site = fleet_inputs(grid, part, pd.Timestamp("2016-07-01", tz="UTC"), 72)
    schedule = assemble(site, [schedule_batch(site)])
    feeders = derive_feeders(grid)
    limits = feeder_limits_mw(grid, feeders.head_line)
    assert (limits > 1).all() and set(limits.index) == set(feeders.head_line)
    other = other_net_load(grid, feeders.bus_feeder, site)
    summary = fleet_summary(site, schedule, limits, other)
    assert summary["feeder_violations"] == {"none": 0, "rule": 0, "optimized": 0}
    # with a tiny limit every feeder-hour is a violation: the count is real
    tight = fleet_summary(site, schedule, limits * 0 + 1e-6, other)["feeder_violations"]["none"]
    assert tight == 72 * len(limits)  # the busbar has no head line, so no limit
    path = write_schedule(tmp_path, site, schedule.blocks, schedule.method, schedule.status, summary)
    ds = read_schedule(tmp_path)
    assert list_schedules(tmp_path) == [pd.Timestamp("2016-07-01", tz="UTC")]
    assert path.endswith("20160701T0000Z.zarr")
    np.testing.assert_allclose(ds["soc_mwh"].values, schedule.blocks[:, 2])
    assert list(ds["battery"].values) == list(part.index)
    assert set(ds["kind"].values) <= {"home", "community", "grid"}
    from gridcore.storage.health import FLEET_COLUMNS
    from gridcore.storage.plot import plot_schedule
    from gridcore.storage.store import fleet_from_schedule

    table = fleet_from_schedule(ds, FLEET_COLUMNS)
    pd.testing.assert_index_equal(table.index, part.index)
    assert (table["commissioned"] == part["commissioned"]).all()
    np.testing.assert_allclose(table["energy_mwh"], part["energy_mwh"])
    assert fleet_from_schedule(ds.drop_vars("chemistry"), FLEET_COLUMNS) is None

    png = plot_schedule(ds, tmp_path / "schedule.png")
    assert (tmp_path / "schedule.png").stat().st_size > 20_000 and png.endswith(".png")
    assert np.allclose(ds["export_limit_mw"].values, part["export_limit_mw"].to_numpy())
    plot_schedule(ds.drop_vars("export_limit_mw"), tmp_path / "b.png", battery=str(part.index[0]))
    with pytest.raises(FileNotFoundError, match="no battery schedule in .* issued 2016-07-02"):
        read_schedule(tmp_path, pd.Timestamp("2016-07-02", tz="UTC"))
    with pytest.raises(FileNotFoundError, match="run `gridflow storage schedule`"):
        read_schedule(tmp_path / "empty")


def test_inputs_refuse_bad_times(grid, fleet) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fleet_inputs(grid, fleet, pd.Timestamp("2016-07-01"), 24)
    with pytest.raises(ValueError, match="not on the hour"):
        fleet_inputs(grid, fleet, pd.Timestamp("2016-07-01T00:30Z"), 24)
    with pytest.raises(ValueError, match="horizon"):
        fleet_inputs(grid, fleet, pd.Timestamp("2016-07-01T00:00Z"), 0)


def test_fleet_file_round_trip_and_errors(grid, fleet, tmp_path) -> None:
    path = tmp_path / "fleet.csv"
    cols = ["kind", "sgen", "load", "pv_share", "load_share", "power_mw", "energy_mwh", "export_limit_mw"]
    fleet.iloc[:5][cols].reset_index().to_csv(path, index=False)
    back = read_fleet(str(path), grid)
    assert list(back.index) == list(fleet.index[:5])
    np.testing.assert_allclose(back["soc_min_frac"], fleet["soc_min_frac"].iloc[:5])
    assert (back["bus"].to_numpy() == fleet["bus"].iloc[:5].to_numpy()).all()
    assert (back["feeder"] == fleet["feeder"].iloc[:5]).all()

    def bad(edit, match: str) -> None:
        df = fleet.iloc[:3][cols].reset_index()
        df = edit(df)
        df.to_csv(path, index=False)
        with pytest.raises(ValueError, match=match):
            read_fleet(str(path), grid)

    bad(lambda d: d.drop(columns="energy_mwh"), r"lacks column\(s\) \['energy_mwh'\]")
    bad(lambda d: d.assign(battery=["X", "X", "Y"]), "'X' appears more than once")
    bad(lambda d: d.assign(kind=["home", "boat", "home"]), "unknown kind 'boat'")
    bad(lambda d: d.assign(power_mw=[0.1, -1, 0.1]), "invalid power_mw")
    bad(lambda d: d.assign(pv_share=[0.1, 1.5, 0.1]), "invalid pv_share")
    bad(lambda d: d.assign(sgen=[1, 99999, 1]), "unknown generator 99999")
    bad(lambda d: d.assign(load=[1, 99999, 1]), "unknown load 99999")
    (tmp_path / "junk.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="junk.csv"):
        read_fleet(str(tmp_path / "junk.csv"), grid)


def test_baselines_on_the_default_fleet(grid, fleet) -> None:
    part = pd.concat([fleet.iloc[::10], fleet[fleet["kind"] == "grid"]])
    site = fleet_inputs(grid, part, pd.Timestamp("2016-07-01", tz="UTC"), 48)
    none, rule = no_storage(site), rule_based(site)
    surplus = np.maximum(site.pv_mw - site.load_mw, 0)
    cap = site.units["export_limit_mw"].to_numpy()[:, None]
    np.testing.assert_allclose(none[:, 5], np.maximum(surplus - cap, 0))  # curtailment: surplus over the cap
    plants = (site.units["kind"] == "grid").to_numpy()
    # a plant's rule battery clips the peak: it never charges below the cap
    assert (rule[plants, 0][site.pv_mw[plants] < cap[plants]] == 0).all()
    assert rule[plants, 0].sum() > 0


def _forecast_like(grid, fleet, issue: pd.Timestamp, hours: int, factor: float):  # noqa: ANN001, ANN202
    """A renewable forecast dataset in the store's layout: the profiles scaled by ``factor``."""
    import xarray as xr

    from gridcore.storage.fleet import hourly_profiles

    times = pd.date_range(issue, periods=hours, freq="h")
    sgen_mw, _ = hourly_profiles(grid, times)
    series = [f"sgen:{n}" for n in grid.sgen["name"]]
    return xr.Dataset(
        {"point_mw": (("series", "issue_time", "lead"), (factor * sgen_mw.T)[:, None, :])},
        coords={"series": series, "issue_time": [issue.tz_convert(None)], "lead": np.arange(1, hours + 1)},
    )


def test_plan_on_forecasts_settled_on_actuals(grid, fleet) -> None:
    from gridcore.storage.metrics import check_schedule, energy_figures
    from gridcore.storage.plan import forecast_inputs, settle

    issue = pd.Timestamp("2016-07-01", tz="UTC")
    part = with_throughput_cost(pd.concat([fleet.iloc[::25], fleet[fleet["kind"] == "grid"]]))
    actual = fleet_inputs(grid, part, issue, 48)
    # a perfect forecast: the plan settles to itself
    perfect = forecast_inputs(grid, part, _forecast_like(grid, part, issue, 48, 1.0))
    np.testing.assert_allclose(perfect.pv_mw, actual.pv_mw, rtol=1e-9, atol=1e-12)
    plan = schedule_batch(perfect).values
    settled = settle(actual, plan)
    assert not any(check_schedule(actual, settled).values())
    u_plan = energy_figures(actual, plan)["utilization_pct"]
    assert energy_figures(actual, settled)["utilization_pct"] == pytest.approx(u_plan, abs=0.5)
    # a forecast 30 % low: the plan under-prepares, real-time charging of the excess saves most of it
    low = forecast_inputs(grid, part, _forecast_like(grid, part, issue, 48, 0.7))
    settled_low = settle(actual, schedule_batch(low).values)
    assert not any(check_schedule(actual, settled_low).values())
    u = {
        "none": energy_figures(actual, no_storage(actual))["utilization_pct"],
        "low": energy_figures(actual, settled_low)["utilization_pct"],
    }
    assert u["none"] < u["low"] <= u_plan + 1e-6
    # errors: a horizon longer than the forecast, a forecast without the fleet's generators
    with pytest.raises(ValueError, match="covers 48 h, not 72 h"):
        forecast_inputs(grid, part, _forecast_like(grid, part, issue, 48, 1.0), horizon_h=72)
    with pytest.raises(ValueError, match="has no series"):
        forecast_inputs(grid, part, _forecast_like(grid, part, issue, 48, 1.0).isel(series=slice(0, 3)))


def test_forecast_inputs_take_the_demand_forecast(grid, fleet) -> None:
    import xarray as xr

    from gridcore.storage.fleet import hourly_profiles
    from gridcore.storage.plan import forecast_inputs

    issue = pd.Timestamp("2016-07-01", tz="UTC")
    part = fleet.iloc[::100]
    _, load_mw = hourly_profiles(grid, pd.date_range(issue, periods=24, freq="h"))
    demand = xr.Dataset(
        {"point_mw": (("series", "issue_time", "lead"), (1.1 * load_mw.T)[:, None, :])},
        coords={
            "series": [f"load:{n}" for n in grid.load["name"]],
            "issue_time": [issue.tz_convert(None)],
            "lead": np.arange(1, 25),
        },
    )
    site = forecast_inputs(grid, part, _forecast_like(grid, part, issue, 24, 1.0), demand)
    np.testing.assert_allclose(site.load_mw, 1.1 * fleet_inputs(grid, part, issue, 24).load_mw, rtol=1e-6)
    other_issue = demand.assign_coords(issue_time=[pd.Timestamp("2016-07-02")])
    with pytest.raises(ValueError, match="demand forecast issued 2016-07-02"):
        forecast_inputs(grid, part, _forecast_like(grid, part, issue, 24, 1.0), other_issue)
    with pytest.raises(ValueError, match="demand forecast .* has no series"):
        forecast_inputs(
            grid, part, _forecast_like(grid, part, issue, 24, 1.0), demand.isel(series=slice(0, 2))
        )
