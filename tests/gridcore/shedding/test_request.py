"""From a grid and an event to a plan on the default grid (profiles), and the scenario sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.shedding.events import Event
from gridcore.shedding.priorities import load_priorities
from gridcore.shedding.request import make_plan, prepare
from gridcore.shedding.scenarios import plot_scenarios, run_scenarios

AT = pd.Timestamp("2016-07-01T18:00Z")


@pytest.fixture(scope="module")
def rules():
    return load_priorities()


def test_supply_shortfall_on_the_default_grid(rules):
    s = prepare(Event(AT, 1.0, 1.0), rules, meters=5000)
    assert s.net is None  # no pandapower network for a supply shortfall
    plan = make_plan(s, Event(AT, 1.0, 1.0), rules)
    assert plan["grid"] == "1-MV-semiurb--0-sw" and plan["at"] == "2016-07-01T18:00Z"
    assert plan["shed_mw"] >= plan["needed_mw"] == 1.0
    assert plan["critical_affected"] == 0
    assert plan["customers_affected"]["residential"] > 0
    assert plan["seconds"] < 1.0
    assert plan["batteries_from"] == "none" and plan["battery_mw"] == 0.0


def test_six_hour_event_rotates(rules):
    ev = Event(AT, 6.0, 1.0)
    plan = make_plan(prepare(ev, rules, meters=5000), ev, rules)
    rot = plan["rotation"]
    assert rot["period_h"] == 2.0 and len(rot["slots"]) == 3
    assert plan["fairness"]["max_outage_h"] <= 4.0
    assert plan["unserved_mwh"] == pytest.approx(sum(s["shed_mw"] * 2 for s in rot["slots"]), rel=1e-6)
    assert not rot["max_outage_exceeded"]


def test_export_surplus_curtails(rules):
    ev = Event(pd.Timestamp("2016-06-21T11:00Z"), 1.0, -0.5)
    plan = make_plan(prepare(ev, rules, meters=2000), ev, rules)
    assert plan["curtailed_mw"] == pytest.approx(0.5)
    assert plan["shed_mw"] == 0.0 and plan["export"]["uncovered_mw"] == 0.0


def test_batteries_from_a_stored_schedule_go_first(rules, tmp_path, monkeypatch):
    import gridcore.shedding.request as request
    from gridcore.shedding.batteries import Headroom

    h = Headroom(np.array([1]), np.array([0.4]), np.array([0.4]), np.array([10.0]), np.array([10.0]), "x")
    monkeypatch.setattr(request, "_stored_headroom", lambda store, at: h)
    ev = Event(AT, 1.0, 1.0)
    plan = make_plan(prepare(ev, rules, meters=2000, store=tmp_path), ev, rules)
    assert plan["battery_mw"] == pytest.approx(0.4) and plan["batteries_from"] == "x"
    assert plan["needed_mw"] == pytest.approx(0.6) and plan["shed_mw"] >= 0.6 - 1e-6
    bat = [c for c in plan["commands"] if c["device"] == "battery:0"]
    assert [c["action"] for c in bat] == ["discharge", "restore"]
    assert bat[0]["setpoint_kw"] == pytest.approx(400.0) and bat[0]["end"] == "2016-07-01T19:00:00Z"
    assert [(b["battery"], b["covered_mwh"], b["relieves"]) for b in plan["batteries"]] == [
        ("0", pytest.approx(0.4), ["supply"])
    ]
    assert plan["battery_summary"]["used"] == 1 and plan["battery_summary"]["in_reach"] == 1


def test_batteries_that_cover_the_whole_shortfall_say_so(rules, monkeypatch):
    """Enough stored headroom: nothing is cut, and the plan says which battery covered what."""
    import gridcore.shedding.request as request
    from gridcore.shedding.batteries import Headroom

    h = Headroom(
        np.array([1, 2]),
        np.array([0.9, 0.6]),
        np.array([0.9, 0.6]),
        np.array([10.0, 10.0]),
        np.array([10.0, 10.0]),
        "2016-07-01T00:00Z",
        battery=np.array(["A", "B"]),
        scheduled_mw=np.array([0.1, -0.2]),
    )
    monkeypatch.setattr(request, "_stored_headroom", lambda store, at: h)
    ev = Event(AT, 1.0, 1.0)
    plan = make_plan(prepare(ev, rules, meters=2000, store="."), ev, rules)
    assert plan["shortfall_mw"] == 1.0 and plan["battery_mw"] == pytest.approx(1.0)
    assert plan["needed_mw"] == 0.0 and plan["shed_mw"] == 0.0 and plan["critical_affected"] == 0
    covered = {b["battery"]: b["covered_mw"] for b in plan["batteries"]}
    assert covered == {"A": pytest.approx(0.6), "B": pytest.approx(0.4)}  # shared by headroom
    assert plan["battery_summary"]["covered_mwh"] == pytest.approx(1.0)
    bat = {c["device"]: c["setpoint_kw"] for c in plan["commands"] if c["action"] == "discharge"}
    assert bat == {"battery:A": pytest.approx(700.0), "battery:B": pytest.approx(200.0)}


def test_export_surplus_charges_batteries_with_commands(rules, monkeypatch):
    import gridcore.shedding.request as request
    from gridcore.shedding.batteries import Headroom

    h = Headroom(
        np.array([1]),
        np.array([0.4]),
        np.array([0.4]),
        np.array([10.0]),
        np.array([10.0]),
        "x",
        battery=np.array(["B7"]),
        scheduled_mw=np.array([0.1]),
    )
    monkeypatch.setattr(request, "_stored_headroom", lambda store, at: h)
    ev = Event(pd.Timestamp("2016-06-21T11:00Z"), 1.0, -0.5)
    plan = make_plan(prepare(ev, rules, meters=2000, store="."), ev, rules)
    assert plan["export"]["battery_mw"] == pytest.approx(0.4) and plan["curtailed_mw"] == pytest.approx(0.1)
    bat = [c for c in plan["commands"] if c["device"] == "battery:B7"]
    # 100 kW scheduled discharge, 400 kW more charging: hold 300 kW charging
    assert [(c["action"], c["setpoint_kw"]) for c in bat] == [("charge", 300.0), ("restore", None)]


def test_no_stored_schedule_means_no_battery(tmp_path):
    from gridcore.shedding.batteries import NONE
    from gridcore.shedding.request import _stored_headroom

    assert _stored_headroom(tmp_path / "absent", AT) is NONE
    assert _stored_headroom(tmp_path, AT) is NONE


def test_scenarios_on_the_lv_grid(rules, tmp_path):
    at = pd.Timestamp("2016-01-15T17:00Z")
    one = prepare(Event(at), rules, "1-LV-rural2--2-sw", network=True)
    six = prepare(Event(at, 6.0), rules, "1-LV-rural2--2-sw")
    table = run_scenarios(one, rules, six)
    assert len(table) == 9
    assert (table["critical_affected"] == 0).all()
    shortfalls = table[table["scenario"].str.startswith("shortfall")]
    assert (shortfalls["shed_mw"] + shortfalls["dimmed_mw"] >= shortfalls["needed_mw"] - 1e-6).all()
    assert shortfalls["unserved_mwh"].is_monotonic_increasing
    overloads = table[table["scenario"].str.contains("overload")]
    assert (overloads["remaining_constraints"] == 0).all()
    png = plot_scenarios(table, tmp_path / "s.png", "test")
    assert png.stat().st_size > 10_000
