"""Battery LPs: a hand-solved optimum, per-unit optima against one joint model, constraints, fall-backs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.storage.metrics import check_schedule, energy_figures
from gridcore.storage.plan import assemble, batches, fleet_summary
from gridcore.storage.rule import no_storage, rule_based
from gridcore.storage.schedule import (
    CURTAILMENT_COST_EUR_PER_MWH,
    ScheduleError,
    SiteInputs,
    lp_arrays,
    schedule_batch,
    schedule_joint,
    solve_lp,
)


def units(n: int, **over: float) -> pd.DataFrame:
    base = {
        "kind": "home",
        "power_mw": 0.005,
        "energy_mwh": 0.010,
        "soc_min_frac": 0.1,
        "soc_max_frac": 0.95,
        "soc_init_frac": 0.5,
        "eta_charge": 0.95,
        "eta_discharge": 0.95,
        "import_limit_mw": 0.05,
        "export_limit_mw": 0.002,
        "throughput_cost_eur_per_mwh": 30.0,
        "feeder": "F1",
    }
    base.update(over)
    return pd.DataFrame(base, index=pd.Index([f"B{i:03d}" for i in range(n)], name="battery"))


def sunny_site(n: int = 12, hours: int = 72, seed: int = 3, **over: float) -> SiteInputs:
    """Homes with a PV day shape, clouds, and a binding feed-in cap."""
    rng = np.random.default_rng(seed)
    h = np.arange(hours) % 24
    bell = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None)
    pv = 0.008 * bell * rng.uniform(0.4, 1.0, size=(n, hours))
    load = 0.0004 + 0.0008 * rng.random((n, hours)) + 0.0006 * ((h >= 17) & (h <= 21))
    u = units(n, **over)
    u["energy_mwh"] = rng.uniform(0.006, 0.014, n)
    u["eta_charge"] = rng.uniform(0.9, 0.97, n)
    times = pd.date_range("2016-07-01", periods=hours, freq="h", tz="UTC")
    return SiteInputs(u, pv, load, 300.0, 80.0, times)


def test_hand_solved_two_hour_case() -> None:
    """1 MW surplus that cannot be exported, then 1 MW demand: store it, use it; cost = throughput only."""
    u = units(
        1,
        power_mw=1.0,
        energy_mwh=2.0,
        soc_min_frac=0.0,
        soc_max_frac=1.0,
        soc_init_frac=0.0,
        eta_charge=1.0,
        eta_discharge=1.0,
        import_limit_mw=5.0,
        export_limit_mw=0.0,
        throughput_cost_eur_per_mwh=10.0,
    )
    times = pd.date_range("2016-07-01", periods=2, freq="h", tz="UTC")
    site = SiteInputs(u, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 300.0, 80.0, times)
    r = schedule_batch(site)
    assert r.status == ["OPTIMAL"]
    charge, discharge, soc, imp, exp, curt = r.values[0]
    np.testing.assert_allclose(charge, [1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(discharge, [0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(soc, [1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(imp + exp + curt, 0.0, atol=1e-9)
    assert r.objective[0] == pytest.approx(2 * 10.0, abs=1e-9)  # 1 MWh in + 1 MWh out at 10 EUR/MWh


@pytest.mark.parametrize("demand_charge", [0.0, 800.0])
def test_per_battery_optima_equal_one_joint_model(demand_charge: float) -> None:
    site = sunny_site(n=15, hours=48)
    site.units["demand_charge_eur_per_mw"] = demand_charge
    batch = schedule_batch(site)
    status, joint, values, _ = schedule_joint(site)
    assert status == "OPTIMAL" and batch.solved.all()
    assert batch.objective.sum() == pytest.approx(joint, rel=1e-6)
    # and the joint model's schedule is as valid as the decomposed one
    assert not any(check_schedule(site, values).values())
    # the delivered cost recomputed from the values (peak import priced by the demand charge) is the optimum
    assert abs(fleet_summary(site, assemble(site, [batch]))["gap_pct"]) < 1e-6


def test_demand_charge_lowers_the_peak_import() -> None:
    site = sunny_site(n=8, hours=72)
    plain = schedule_batch(site).values[:, 3].max(axis=1)
    site.units["demand_charge_eur_per_mw"] = 2000.0
    charged = schedule_batch(site).values[:, 3].max(axis=1)
    assert (charged <= plain + 1e-9).all() and charged.sum() < 0.8 * plain.sum()


def test_glop_and_highs_agree() -> None:
    site = sunny_site(n=5, hours=48)
    a, b = schedule_batch(site, solver="glop"), schedule_batch(site, solver="highs")
    assert a.solver == "glop" and b.solver == "highs"
    np.testing.assert_allclose(a.objective, b.objective, rtol=1e-6)
    with pytest.raises(ScheduleError, match="no LP solver"):
        schedule_batch(site, solver="no-such-solver")


def test_constraints_hold_and_no_simultaneous_charge_discharge() -> None:
    site = sunny_site(n=20, hours=96, seed=11)
    r = schedule_batch(site)
    counts = check_schedule(site, r.values)
    assert counts == dict.fromkeys(counts, 0)
    soc = r.values[:, 2]
    e = site.units["energy_mwh"].to_numpy()[:, None]
    assert (soc >= 0.1 * e - 1e-7).all() and (soc <= 0.95 * e + 1e-7).all()
    assert (soc[:, -1] >= 0.5 * e[:, 0] - 1e-7).all()  # end-of-horizon SoC at least the start


def test_optimized_beats_rule_beats_none_when_the_cap_binds() -> None:
    site = sunny_site(n=30, hours=96)
    r = schedule_batch(site)
    u = {
        name: energy_figures(site, b)["utilization_pct"]
        for name, b in (("none", no_storage(site)), ("rule", rule_based(site)), ("opt", r.values))
    }
    assert u["none"] < u["rule"] < u["opt"]
    assert u["opt"] - u["none"] > 10  # a binding cap: storage recovers most of the curtailment
    for blocks in (no_storage(site), rule_based(site)):
        assert not any(check_schedule(site, blocks).values())


def test_infeasible_unit_reported_and_falls_back_to_rule() -> None:
    site = sunny_site(n=6, hours=24)
    site.units.iloc[2, site.units.columns.get_loc("import_limit_mw")] = 0.0  # demand at night cannot be met
    site.units.iloc[2, site.units.columns.get_loc("energy_mwh")] = 0.0005
    r = schedule_batch(site)
    assert r.status[2] != "OPTIMAL" and sum(r.solved) == 5
    assert "exceeds" in r.reasons["B002"] and "import limit" in r.reasons["B002"]
    schedule = assemble(site, [r])
    assert list(schedule.method) == ["optimized"] * 2 + ["rule"] + ["optimized"] * 3
    assert schedule.infeasible[0]["battery"] == "B002"
    np.testing.assert_allclose(schedule.blocks[2], rule_based(site)[2])
    summary = fleet_summary(site, schedule)
    assert summary["solved"] == 5 and len(summary["infeasible"]) == 1
    assert abs(summary["gap_pct"]) < 1e-6


def test_summary_figures_and_gap() -> None:
    site = sunny_site(n=10, hours=48)
    results = [schedule_batch(site.subset(s)) for s in batches(10, 4)]
    summary = fleet_summary(site, assemble(site, results[::-1]))  # any batch order
    assert summary["units"] == 10 and summary["solved"] == 10 and summary["infeasible"] == []
    assert abs(summary["gap_pct"]) < 1e-6
    u = summary["utilization_pct"]
    assert u["none"] < u["optimized"] <= 100.0
    assert summary["by_kind"]["home"]["units"] == 10
    assert summary["checks"] == dict.fromkeys(summary["checks"], 0)
    c = summary["curtailment_mwh"]
    assert c["optimized"] < c["none"]
    # curtailment is what is not used: utilization and curtailment agree
    assert u["none"] == pytest.approx(100 * (1 - c["none"] / summary["renewable_mwh"]), abs=0.05)


def test_batches_and_assemble_errors() -> None:
    assert batches(5, 2) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    with pytest.raises(ValueError, match="at least 1"):
        batches(5, 0)
    site = sunny_site(n=4, hours=24)
    r = schedule_batch(site.subset(slice(0, 2)))
    # batches that miss or repeat a unit are a bug in the fan-out, not bad input: no InputError
    with pytest.raises(RuntimeError, match="not at all"):
        assemble(site, [r])
    with pytest.raises(RuntimeError, match="twice"):
        assemble(site, [r, r, schedule_batch(site.subset(slice(2, 4)))])


def test_bad_inputs_get_clear_errors() -> None:
    times = pd.date_range("2016-07-01", periods=3, freq="h", tz="UTC")
    good = np.zeros((1, 3))
    with pytest.raises(ScheduleError, match="export_limit_mw"):
        SiteInputs(units(1).drop(columns="export_limit_mw"), good, good, 300.0, 80.0, times)
    with pytest.raises(ScheduleError, match=r"pv_mw has shape \(1, 2\)"):
        SiteInputs(units(1), np.zeros((1, 2)), good, 300.0, 80.0, times)
    with pytest.raises(
        ScheduleError, match="load_mw is NaN or negative for battery B000 at 2016-07-01 01:00"
    ):
        SiteInputs(units(1), good, np.array([[0.0, -1.0, 0.0]]), 300.0, 80.0, times)
    with pytest.raises(ScheduleError, match="price_import has NaN"):
        SiteInputs(units(1), good, good, np.array([1.0, np.nan, 1.0]), 80.0, times)
    with pytest.raises(ScheduleError, match="NaN in power_mw"):
        SiteInputs(units(1, power_mw=np.nan), good, good, 300.0, 80.0, times)


def test_lp_arrays_shape_and_solve_lp_status() -> None:
    site = sunny_site(n=3, hours=10)
    a = lp_arrays(site)
    assert a["A"].shape == (3 * 2 * 10, 3 * 6 * 10)
    assert a["A"].nnz == 3 * (9 * 10 - 1)
    assert a["c"][5 * 10] == CURTAILMENT_COST_EUR_PER_MWH  # first unit's first curtailment variable
    a["ub"][2 * 10 : 3 * 10] = -1.0  # SoC upper bound below its lower bound: infeasible
    status, objective, x = solve_lp(a)
    assert status != "OPTIMAL" and np.isnan(objective) and np.isnan(x).all()


def test_feeder_limit_couples_the_batteries_of_a_feeder() -> None:
    from gridcore.storage.metrics import feeder_exchange
    from gridcore.storage.plan import enforce_feeder_limits

    site = sunny_site(n=12, hours=48, export_limit_mw=0.004)
    site.units["feeder"] = ["F1"] * 8 + ["F2"] * 4
    results = [schedule_batch(site)]
    schedule = assemble(site, results)
    uncoupled = schedule.objective.copy()
    other = pd.DataFrame({"F1": np.zeros(48), "F2": np.zeros(48)})
    exchange = feeder_exchange(site.units, schedule.blocks, other)
    limit = 0.5 * float(exchange["F1"].abs().max())  # F1's reverse flow must be halved; F2 stays free
    limits = pd.Series({"F1": limit, "F2": 1.0})
    report = enforce_feeder_limits(site, schedule, limits, other)
    assert [r["feeder"] for r in report] == ["F1"]
    r = report[0]
    assert r["status"] == "OPTIMAL" and r["violations_before"] > 0 and r["violations_after"] == 0
    assert r["cost_increase_eur"] >= -1e-6  # the per-battery optima are a lower bound
    after = feeder_exchange(site.units, schedule.blocks, other)
    assert (after["F1"].abs() <= limit + 1e-6).all()
    assert (
        list(schedule.method[:8]) == ["optimized-feeder"] * 8
        and list(schedule.method[8:]) == ["optimized"] * 4
    )
    np.testing.assert_allclose(schedule.objective[8:], uncoupled[8:])
    assert not any(check_schedule(site, schedule.blocks).values())
    assert fleet_summary(site, schedule)["solved"] == 12
    # a feeder whose other demand alone breaks the limit beyond what storage can absorb: reported, kept
    heavy = pd.DataFrame({"F1": np.full(48, 10.0), "F2": np.zeros(48)})
    kept = schedule.blocks.copy()
    report = enforce_feeder_limits(site, schedule, limits, heavy)
    assert report[0]["status"] != "OPTIMAL" and report[0]["violations_after"] > 0
    np.testing.assert_allclose(schedule.blocks, kept)
    with pytest.raises(ScheduleError, match="other_net_mw must be 48"):
        from gridcore.storage.schedule import schedule_feeder

        schedule_feeder(site, np.zeros(3), 1.0)


def test_the_typed_report_is_the_json_summary() -> None:
    """``fleet_report`` is typed; ``fleet_summary`` is its JSON with the keys, order and rounding it had."""
    from gridcore.storage.plan import FleetSummary, KindUtilization, PerBaseline, fleet_report

    site = sunny_site(n=6, hours=48)
    site.units.iloc[2, site.units.columns.get_loc("import_limit_mw")] = 0.0  # one unit on the rule
    site.units.iloc[2, site.units.columns.get_loc("energy_mwh")] = 0.0005
    schedule = assemble(site, [schedule_batch(site)])
    report = fleet_report(site, schedule)
    assert isinstance(report, FleetSummary) and isinstance(report.utilization_pct, PerBaseline)
    figures = {
        name: energy_figures(site, b) for name, b in (("none", no_storage(site)), ("rule", rule_based(site)))
    }
    assert report.utilization_pct.none == round(figures["none"]["utilization_pct"], 2)
    assert report.utilization_pct.rule == round(figures["rule"]["utilization_pct"], 2)
    assert report.curtailment_mwh.none == round(figures["none"]["curtailment_mwh"], 4)
    assert report.utilization_pct.optimized > report.utilization_pct.none
    assert report.by_kind == {"home": KindUtilization(6, report.utilization_pct)}
    assert report.feeder_violations is None and report.solved == 5
    assert [r["battery"] for r in report.infeasible] == ["B002"]
    d = report.to_dict()
    assert d == fleet_summary(site, schedule)
    assert list(d) == [
        "units",
        "hours",
        "solved",
        "infeasible",
        "objective",
        "delivered_cost_eur",
        "gap_pct",
        "utilization_pct",
        "curtailment_mwh",
        "renewable_mwh",
        "self_sufficiency_pct",
        "losses_mwh",
        "by_kind",
        "feeder_violations",
        "checks",
        "solver",
    ]
    assert list(d["utilization_pct"]) == ["none", "rule", "optimized"]
    assert d["by_kind"] == {"home": {"units": 6, **d["utilization_pct"]}}
    assert d["feeder_violations"] == {} and d["infeasible"] == list(schedule.infeasible)
    assert d["checks"] == check_schedule(site, schedule.blocks) and d["checks"]["balance"] == 0
