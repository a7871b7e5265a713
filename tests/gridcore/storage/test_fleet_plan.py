"""The fleet plan from end to end (plan_fleet) and the forecasts it is planned on, read from the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.errors import InputError
from gridcore.forecast.store import write_demand_forecast, write_renewable_forecast
from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid
from gridcore.storage.fleet import build_fleet, hourly_profiles, with_throughput_cost
from gridcore.storage.fleet_plan import PROFILES, FleetPlan, PlanForecasts, plan_fleet, solve_in_turn
from gridcore.storage.plan import fleet_inputs, fleet_summary
from gridcore.storage.schedule import schedule_batch
from gridcore.storage.store import read_plan_forecasts

ISSUE = pd.Timestamp("2016-07-01", tz="UTC")


@pytest.fixture(scope="module")
def grid():
    return load_grid()


@pytest.fixture(scope="module")
def part(grid):
    fleet = build_fleet(grid, bus_feeder=derive_feeders(grid).bus_feeder)
    return with_throughput_cost(pd.concat([fleet.iloc[::40], fleet[fleet["kind"] == "grid"]]))


def _renewables(grid, hours: int, factor: float) -> xr.Dataset:
    sgen_mw, _ = hourly_profiles(grid, pd.date_range(ISSUE, periods=hours, freq="h"))
    return xr.Dataset(
        {"point_mw": (("series", "issue_time", "lead"), (factor * sgen_mw.T)[:, None, :])},
        coords={
            "series": [f"sgen:{n}" for n in grid.sgen["name"]],
            "issue_time": [ISSUE.tz_convert(None)],
            "lead": np.arange(1, hours + 1),
        },
    )


def test_a_plan_on_the_profiles_is_the_batches_solved_and_assembled(grid, part) -> None:
    calls = []

    def solve(parts, solver):
        calls.append([len(p.units) for p in parts])
        return solve_in_turn(parts, solver)

    plan = plan_fleet(grid, ISSUE, 24, part, batch_size=10, solve=solve)
    assert isinstance(plan, FleetPlan) and plan.inputs == PROFILES
    assert calls == [[10, 10, 10, 4]] and plan.batches == 4  # 34 units, batches of 10
    # the same schedule as one LP batch of the whole fleet, the same figures as computed by hand
    site = fleet_inputs(grid, part, ISSUE, 24)
    np.testing.assert_allclose(plan.schedule.blocks, schedule_batch(site).values, atol=1e-6)
    out = plan.to_dict()
    assert out["units"] == 34 and out["solved"] == 34 and out["infeasible"] == [] and out["hours"] == 24
    assert out["issue_time"] == "2016-07-01T00:00:00+00:00" and out["horizon_h"] == 24
    assert out["feeder_coupled"] == [] and abs(out["gap_pct"]) < 1e-6
    assert out["utilization_pct"] == fleet_summary(site, plan.schedule)["utilization_pct"]
    assert out["utilization_pct"]["none"] < out["utilization_pct"]["optimized"]
    assert list(out)[:3] == ["issue_time", "horizon_h", "inputs"]
    assert list(out)[-3:] == ["batches", "solve_wall_seconds", "solver_seconds_sum"]


def test_a_plan_on_forecasts_is_settled_on_the_profiles(grid, part) -> None:
    low = PlanForecasts(ISSUE, _renewables(grid, 24, 0.7))
    plan = plan_fleet(grid, ISSUE, 24, part, low)
    assert plan.inputs == {"renewables": "forecast 2016-07-01T00:00Z", "demand": "profiles"}
    # planned on the low forecast, figured on what happened: the plan's own pv is 70 % of the profiles'
    actual = fleet_inputs(grid, part, ISSUE, 24)
    np.testing.assert_allclose(plan.site.pv_mw, 0.7 * actual.pv_mw, rtol=1e-6, atol=1e-12)
    out = plan.to_dict()
    assert out["checks"] == dict.fromkeys(out["checks"], 0)
    assert out["renewable_mwh"] == pytest.approx(float(actual.pv_mw.sum()), rel=1e-3)
    perfect = plan_fleet(grid, ISSUE, 24, part).to_dict()
    assert out["utilization_pct"]["none"] == perfect["utilization_pct"]["none"]
    assert out["utilization_pct"]["none"] < out["utilization_pct"]["optimized"]
    assert out["utilization_pct"]["optimized"] <= perfect["utilization_pct"]["optimized"] + 1e-6


def test_plan_refuses_bad_horizons_and_batches(grid, part) -> None:
    with pytest.raises(ValueError, match="outside 1..336"):
        plan_fleet(grid, ISSUE, 400, part)
    with pytest.raises(ValueError, match="batch size"):
        plan_fleet(grid, ISSUE, 24, part, batch_size=0)


def test_the_forecasts_of_a_plan_come_from_the_store(grid, tmp_path) -> None:
    root = str(tmp_path)
    assert read_plan_forecasts(root, ISSUE, "profiles") is None
    with pytest.raises(InputError, match="inputs must be 'profiles' or 'forecast'") as err:
        read_plan_forecasts(root, ISSUE, "crystal-ball")
    assert err.value.field == "inputs"
    with pytest.raises(InputError, match="run `gridflow forecast renewables --at 2016-07-01T00:00Z` first"):
        read_plan_forecasts(root, ISSUE, "forecast")
    write_renewable_forecast(root, _renewables(grid, 24, 1.0))
    got = read_plan_forecasts(root, ISSUE, "forecast")
    assert got.demand is None
    assert got.used() == {"renewables": "forecast 2016-07-01T00:00Z", "demand": "profiles"}
    assert float(got.renewables["point_mw"].sum()) == pytest.approx(
        float(_renewables(grid, 24, 1.0)["point_mw"].sum()), rel=1e-6
    )
    _, load_mw = hourly_profiles(grid, pd.date_range(ISSUE, periods=24, freq="h"))
    loads = [f"load:{n}" for n in grid.load["name"]]
    catalog = pd.DataFrame({"kind": "load", "feeder": "f", "group": "f"}, index=loads)
    write_demand_forecast(root, [_demand_like(catalog.index, load_mw)], catalog, {})
    both = read_plan_forecasts(root, ISSUE, "forecast")
    assert both.demand is not None and both.used()["demand"] == "forecast 2016-07-01T00:00Z"


def _demand_like(series, load_mw: np.ndarray):  # noqa: ANN001, ANN202
    from gridcore.forecast.demand import DEMAND_QUANTILES, GroupForecast

    point = load_mw.T
    return GroupForecast(
        group="f",
        series=list(series),
        issue_time=ISSUE,
        point=point,
        quantiles=np.repeat(point[:, :, None], len(DEMAND_QUANTILES), axis=2),
        scores=pd.DataFrame(index=list(series)),
        model=None,
        train_start=ISSUE,
        train_end=ISSUE,
        fitted=False,
    )
