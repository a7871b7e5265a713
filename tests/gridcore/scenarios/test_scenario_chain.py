"""The scenario chain end to end on short windows, and the issue's edge cases.

Each run is a day (24 h) of a shipped scenario or a variant of one, so the module runs in well under a
minute; the figures asserted are ones that can fail: constraints found and resolved by the power flow's
re-check, critical customers, energy balances, the forecaster's extrapolation.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.network.feeders import derive_feeders
from gridcore.network.grid import load_grid
from gridcore.scenarios import load_scenario, run_scenario
from gridcore.scenarios.compare import compare
from gridcore.scenarios.spec import Objectives, ScenarioSpec

DAY2 = pd.Timedelta(hours=24)


def _day(name: str, **changes: object) -> ScenarioSpec:
    spec = load_scenario(name)
    return dataclasses.replace(spec, **{"hours": 24, **changes})


@pytest.fixture(scope="module")
def heat(tmp_path_factory: pytest.TempPathFactory):
    spec = _day("heat-wave", start=load_scenario("heat-wave").start + DAY2)
    return run_scenario(spec, out_dir=tmp_path_factory.mktemp("heat"))


@pytest.fixture(scope="module")
def outage():
    return run_scenario(load_scenario("plant-outage"))


def test_heat_wave_forecast_extrapolates_and_heat_derates(heat) -> None:
    fc = heat.forecast
    # +4 °C above an observed heat already hotter than the year it was fitted on
    assert fc.extrapolated_hours >= 10
    assert np.nanmax(fc.scenario_temperature_c) == pytest.approx(np.nanmax(fc.temperature_c) + 4.0)
    assert fc.scenario_mw.max() > fc.observed_mw.max() * 1.03
    assert 0 < fc.mape_pct < 25
    before = heat.before.hourly
    assert before["max_line_loading_pct"].max() > 100.0
    out = heat.to_dict()
    assert out["constraints_found"] >= 1 and out["constraints_resolved"] == out["constraints_found"]
    assert heat.after.hourly["max_line_loading_pct"].max() <= 100.0 + 1e-6
    assert out["critical_affected"] == 0


def test_prices_come_first_and_move_load_out_of_the_dearest_hours(heat) -> None:
    prices = heat.steps[0]
    assert prices.name == "prices" and prices.figures["scheme"] == "rtp"
    price, change = prices.series["price_eur_per_mwh"], prices.series["response_mw"]
    dear = price >= np.quantile(price, 0.9)
    assert change[dear].mean() < 0 < change[~dear].max()
    assert prices.figures["constraints_after"] < len(heat.before.periods)


def test_report_and_summary_are_written(heat) -> None:
    folder = Path(heat.report).parent
    for name in ("report.md", "demand.png", "grid.png", "remedies.png", "summary.json", "hourly.csv"):
        assert (folder / name).stat().st_size > 0
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    keys = {
        "scenario",
        "constraints_found",
        "constraints_resolved",
        "critical_affected",
        "unserved_mwh",
        "peak_reduction_pct",
        "renewable_utilization_pct",
        "report",
        "seconds",
    }
    assert keys <= set(summary) and summary["scenario"] == "heat-wave"
    from gridcore.scenarios.result import HEADLINE

    assert set(HEADLINE) == keys and list(summary)[: len(HEADLINE)] == list(HEADLINE)  # headline first
    net = heat.before.hourly["net_demand_mw"].to_numpy()
    assert summary["ramp_before_mw_per_h"] == pytest.approx(np.diff(net).max(), abs=1e-3)
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "![grid](grid.png)" in text and "line:0" in text
    hourly = pd.read_csv(folder / "hourly.csv", index_col="time")
    assert len(hourly) == 24


def test_plant_outage_spares_critical_customers(outage) -> None:
    out = outage.to_dict()
    assert out["constraints_before"]["shortfall"] >= 1
    assert out["constraints_resolved"] == out["constraints_found"]
    assert out["critical_affected"] == 0
    assert out["unserved_mwh"] > 0
    # the re-check: in every hour of the event the import is within the limit
    limit = outage.spec.import_limit_mw
    event = outage.spec.event_mask.to_numpy()
    assert (outage.after.hourly["net_demand_mw"].to_numpy()[event] <= limit + 1e-6).all()
    shed = outage.shedding
    assert shed["customers_affected"]["residential"] > 0
    assert shed["shed_mwh"] == pytest.approx(out["unserved_mwh"])
    bat = out["steps"]["batteries"]
    assert bat["discharged_mwh"] > 0 and bat["peak_discharge_mw"] <= bat["power_mw"] + 1e-6


def test_maintenance_switches_the_neighbouring_feeder_in() -> None:
    result = run_scenario(load_scenario("maintenance"))
    topo = result.topology
    assert topo["out_of_service"] == ["line:5", "trafo:0"]
    assert topo["islanded_load_mw_before_switching"] > 5 and topo["islanded_load_mw"] == 0.0
    assert topo["switches_closed"] == ["MV2.101 loop_line_switch 3.2"]
    out = result.to_dict()
    assert out["constraints_before"]["undervoltage"] > 0
    assert out["constraints_resolved"] == out["constraints_found"] and out["critical_affected"] == 0
    assert result.after.hourly["vm_min_pu"].min() >= 0.95 - 1e-6


def test_extreme_weather_hits_demand_and_generation_at_once() -> None:
    spec = _day(
        "cloudy-solar",
        temperature_shift_c=6.0,
        cloud_swing=0.9,
        outage_types=("Wind",),
        event_from_h=0,
        event_hours=24,
        design_load_pct=60.0,
    )
    calm = dataclasses.replace(spec, temperature_shift_c=0.0, cloud_swing=0.0, outage_types=())
    hot, base = run_scenario(spec), run_scenario(calm)
    assert hot.forecast.scenario_mw.max() > base.forecast.scenario_mw.max()
    # demand up and generation down together: the net import peak is higher than on the calm day
    assert hot.before.hourly["net_demand_mw"].max() > base.before.hourly["net_demand_mw"].max() + 1.0
    assert hot.available_mwh < 0.8 * base.available_mwh
    assert hot.to_dict()["constraints_resolved"] == hot.to_dict()["constraints_found"]


def test_constraints_in_several_segments_at_the_same_hour() -> None:
    spec = _day("heat-wave", start=load_scenario("heat-wave").start + DAY2, design_load_pct=125.0)
    result = run_scenario(spec)
    feeders = derive_feeders(load_grid(spec.grid)).bus_feeder
    grid = load_grid(spec.grid)
    by_hour: dict[pd.Timestamp, set[str]] = {}
    for p in result.before.periods:
        line = int(p.element.removeprefix("line:"))
        feeder = feeders[int(grid.line.loc[line, "to_bus"])]
        for t in pd.date_range(p.start, p.end, freq="1h", inclusive="left"):
            by_hour.setdefault(t, set()).add(feeder)
    assert max(len(f) for f in by_hour.values()) >= 2
    out = result.to_dict()
    assert out["constraints_resolved"] == out["constraints_found"] >= 5
    assert out["critical_affected"] == 0


def test_conflicting_objectives_trade_off(tmp_path: Path) -> None:
    start = load_scenario("cloudy-solar").start
    green = run_scenario(_day("cloudy-solar", start=start, objectives=Objectives(cost=0.2, renewables=5.0)))
    cheap = run_scenario(_day("cloudy-solar", start=start, objectives=Objectives(cost=20.0, renewables=0.2)))
    g, c = green.tradeoff(), cheap.tradeoff()
    assert g["weights"]["renewables"] == 5.0 and c["weights"]["cost"] == 20.0
    assert g["renewable_utilization_pct"] > c["renewable_utilization_pct"]
    assert g["cost_eur"] > c["cost_eur"]
    table = compare(green, cheap, tmp_path)
    assert table["difference"]["renewable_utilization_pct"] < 0
    assert "| renewable utilization [%] |" in Path(table["report"]).read_text(encoding="utf-8")


def test_a_grid_without_profiles_is_refused() -> None:
    case = Path(__file__).parents[2] / "data" / "power_flow" / "matpower_case9" / "case9.m"
    with pytest.raises(InputError, match="SimBench grid"):
        run_scenario(load_scenario("heat-wave"), grid=str(case))


def test_bad_elements_are_named() -> None:
    with pytest.raises(InputError) as err:
        run_scenario(_day("maintenance", maintenance_lines=(9999,)))
    assert err.value.field == "maintenance.lines" and err.value.element == "line:9999"
    with pytest.raises(InputError) as err:
        run_scenario(_day("plant-outage", outage_types=("Nuclear",)))
    assert err.value.field == "generation.outage_types"


def test_critical_customers_are_spared_even_when_supply_is_almost_gone() -> None:
    harsh = dataclasses.replace(load_scenario("plant-outage"), import_limit_mw=1.0)
    spared, ruled = run_scenario(harsh), run_scenario(dataclasses.replace(harsh, spare_critical=False))
    s, r = spared.to_dict(), ruled.to_dict()
    assert s["critical_affected"] == 0 and r["critical_affected"] > 0
    # what only critical customers could have covered is left unserved, and said so
    assert s["constraints_after"]["shortfall"] == 1 and s["constraints_resolved"] == 0
    assert s["unserved_mwh"] > spared.shedding["shed_mwh"] + 0.1


def test_no_remedy_draws_without_a_warning(heat, tmp_path: Path) -> None:
    import warnings

    from gridcore.scenarios.report import plot_remedies

    bare = dataclasses.replace(heat, spec=dataclasses.replace(heat.spec, order=()), steps=[])
    png = tmp_path / "remedies.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels" would be one
        plot_remedies(bare, png)
    assert png.read_bytes()[:4] == b"\x89PNG"
