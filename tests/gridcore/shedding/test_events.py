from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.errors import InputError
from gridcore.shedding.batteries import NONE, headroom_from_schedule
from gridcore.shedding.events import parse_event, read_event
from gridcore.shedding.request import events_from_periods


def test_event_file(tmp_path):
    f = tmp_path / "e.json"
    f.write_text(
        json.dumps(
            {
                "start": "2016-07-01T18:00Z",
                "hours": 3,
                "study_case": "hL",
                "constraints": [
                    {"element": "supply", "relief_mw": 1.0},
                    {"element": "line:12", "kind": "overload"},
                    {"element": "trafo:0", "kind": "overload"},
                    {"element": "line:12"},
                    {"element": "bus:41", "kind": "undervoltage"},
                    {"element": "bus:7", "kind": "overvoltage"},
                    {"element": "line:3", "relief_mw": -0.4},
                ],
            }
        )
    )
    ev = read_event(f)
    assert ev.start == pd.Timestamp("2016-07-01T18:00Z") and ev.hours == 3.0
    assert ev.shortfall_mw == 1.0 and ev.study_case == "hL"
    assert ev.elements == ["line:12", "trafo:0", "bus:41"]
    assert ev.export == ["bus:7", "line:3"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "event"),
        ({"constraints": [{"element": "supply", "relief_mw": 1}], "colour": 1}, "colour"),
        ({"start": "yesterday", "constraints": [{"element": "supply", "relief_mw": 1}]}, "start"),
        ({"start": "2016-07-01T18:00", "constraints": [{"element": "supply", "relief_mw": 1}]}, "start"),
        ({"hours": 0, "constraints": [{"element": "supply", "relief_mw": 1}]}, "hours"),
        ({"constraints": []}, "constraints"),
        ({"constraints": [{"kind": "overload"}]}, "constraints[0].element"),
        ({"constraints": [{"element": "line:1", "kind": "hot"}]}, "constraints[0].kind"),
        ({"constraints": [{"element": "supply", "relief_mw": "1"}]}, "constraints[0].relief_mw"),
        ({"constraints": [{"element": "supply"}]}, "constraints[0].relief_mw"),
        ({"constraints": [{"element": "switch:1"}]}, "constraints[0].element"),
        ({"constraints": [{"element": "line:1"}], "study_case": 3}, "study_case"),
    ],
)
def test_event_errors_name_the_key(data, field):
    with pytest.raises(InputError) as err:
        parse_event(data)
    assert err.value.field == field


def test_event_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_event(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="not JSON"):
        read_event(tmp_path / "bad.json")


def test_events_from_periods_group_by_interval():
    periods = [
        {
            "element": "trafo:0",
            "kind": "overload",
            "start": "2016-07-01T17:00Z",
            "end": "2016-07-01T19:00Z",
            "relief_mw": 0.05,
        },
        {
            "element": "bus:2",
            "kind": "undervoltage",
            "start": "2016-07-01T17:00Z",
            "end": "2016-07-01T19:00Z",
            "relief_mw": 0.02,
        },
        {
            "element": "supply",
            "kind": "shortfall",
            "start": "2016-07-02T17:00Z",
            "end": "2016-07-02T18:00Z",
            "relief_mw": 1.0,
        },
        {"element": "line:1", "kind": "overload", "start": "2016-06-30T17:00Z", "end": "2016-06-30T18:00Z"},
    ]
    evs = events_from_periods(periods, pd.Timestamp("2016-07-01T00:00Z"))
    assert len(evs) == 2
    assert evs[0].elements == ["trafo:0", "bus:2"] and evs[0].hours == 2.0
    assert evs[1].shortfall_mw == 1.0 and evs[1].elements == []
    with pytest.raises(InputError, match="no end"):
        events_from_periods([{"element": "line:1", "start": "2016-07-01T00:00Z"}])


def _schedule():
    t = pd.date_range("2016-07-01T00:00", periods=3, freq="h")
    z = np.zeros((2, 3))
    return xr.Dataset(
        {
            "charge_mw": (("battery", "time"), z + [[0.0], [0.5]]),
            "discharge_mw": (("battery", "time"), z + [[0.2], [0.0]]),
            "soc_mwh": (("battery", "time"), z + [[0.5], [1.0]]),
        },
        coords={
            "battery": ["B1", "B2"],
            "time": t,
            "bus": ("battery", [3, 4]),
            "power_mw": ("battery", [1.0, 1.0]),
            "energy_mwh": ("battery", [2.0, 2.0]),
            "soc_min_frac": ("battery", [0.1, 0.1]),
            "soc_max_frac": ("battery", [0.9, 0.9]),
            "eta_charge": ("battery", [1.0, 1.0]),
            "eta_discharge": ("battery", [1.0, 1.0]),
        },
        attrs={"issue_time": "2016-07-01T00:00:00+00:00"},
    )


def test_battery_headroom_from_a_schedule():
    h = headroom_from_schedule(_schedule(), pd.Timestamp("2016-07-01T01:30Z"))
    assert h.discharge_mw.tolist() == [0.8, 1.5]  # B2 stops charging and discharges
    assert h.charge_mw.tolist() == [1.2, 0.5]
    np.testing.assert_allclose(h.discharge_mwh, [0.3, 0.8])
    np.testing.assert_allclose(h.charge_mwh, [1.3, 0.8])
    assert h.total(np.array([4])) == pytest.approx((1.5, 0.8, 0.5, 0.8))
    assert h.source.startswith("2016-07-01")
    assert h.battery.tolist() == ["B1", "B2"]
    np.testing.assert_allclose(h.scheduled_mw, [0.2, -0.5])  # net output as scheduled, + discharging
    assert headroom_from_schedule(_schedule(), pd.Timestamp("2016-07-02T00:00Z")) is NONE
    assert headroom_from_schedule(_schedule().drop_vars("bus"), pd.Timestamp("2016-07-01T01:00Z")) is NONE
    assert NONE.total() == (0.0, 0.0, 0.0, 0.0)


def test_stored_events(tmp_path):
    from gridcore.lookahead.report import ConstraintReport
    from gridcore.lookahead.store import write_constraint_periods
    from gridcore.network.constraints import ConstraintPeriod
    from gridcore.shedding.request import stored_events

    with pytest.raises(InputError, match="no constraint periods"):
        stored_events(tmp_path)
    t = pd.Timestamp("2016-07-01T18:00Z")
    period = ConstraintPeriod("trafo:0", "overload", t, t + pd.Timedelta(hours=2), 120.0, t, 0.05, 2, 100.0)
    write_constraint_periods(tmp_path, ConstraintReport("1-LV-rural2--2-sw", t, 24, [period], {}, "hL"))
    events, attrs = stored_events(tmp_path)
    assert attrs["grid"] == "1-LV-rural2--2-sw"
    assert len(events) == 1 and events[0].elements == ["trafo:0"] and events[0].study_case == "hL"
    assert events[0].hours == 2.0
    with pytest.raises(InputError, match="ends after 2016-07-02T18:00Z"):
        stored_events(tmp_path, t + pd.Timedelta(days=1))
    empty = tmp_path / "none"  # a look-ahead that found nothing: said so, at any time or none
    write_constraint_periods(empty, ConstraintReport("1-LV-rural2--2-sw", t, 24, [], {}, "hL"))
    with pytest.raises(InputError, match=r"no constraint period in .*none$"):
        stored_events(empty)
