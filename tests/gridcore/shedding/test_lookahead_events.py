"""From constraint periods to shedding events (several segments at the same hour together) and plan totals."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcore.network.constraints import ConstraintPeriod
from gridcore.shedding.lookahead import plan_totals, shedding_events

T0 = pd.Timestamp("2016-07-02T14:00Z")


def _period(element: str, start_h: int, end_h: int, kind: str = "overload", relief: float = 0.1):
    start, end = T0 + pd.Timedelta(hours=start_h), T0 + pd.Timedelta(hours=end_h)
    return ConstraintPeriod(element, kind, start, end, 110.0, start, relief, end_h - start_h, 100.0)


def test_constraints_of_several_segments_in_the_same_hours_are_one_event() -> None:
    periods = [_period("line:83", 1, 6), _period("line:0", 3, 7), _period("line:2", 3, 5)]
    events = shedding_events(periods)
    assert [(e.start, e.hours) for e in events] == [
        (T0 + pd.Timedelta(hours=1), 2.0),
        (T0 + pd.Timedelta(hours=3), 2.0),
        (T0 + pd.Timedelta(hours=5), 1.0),
        (T0 + pd.Timedelta(hours=6), 1.0),
    ]
    assert events[1].elements == ["line:83", "line:0", "line:2"]  # both feeders' lines, planned together
    assert events[3].elements == ["line:0"]


def test_the_window_clips_the_hours_planned() -> None:
    periods = [_period("line:83", -2, 3), _period("line:0", 5, 9)]
    events = shedding_events(periods, T0, 4)
    assert [(e.start, e.hours, e.elements) for e in events] == [(T0, 3.0, ["line:83"])]
    assert shedding_events(periods, T0 + pd.Timedelta(hours=20), 4) == []


def test_a_supply_shortfall_becomes_the_events_shortfall() -> None:
    (event,) = shedding_events([_period("supply", 0, 2, "shortfall", 1.5)])
    assert event.shortfall_mw == pytest.approx(1.5) and event.elements == []


def test_plan_totals() -> None:
    plans = [
        {
            "shed_mw": 0.2,
            "battery_mw": 0.1,
            "unserved_mwh": 0.4,
            "critical_affected": 0,
            "commands": [{}, {}],
            "customers_affected": {"residential": 3, "critical": 0},
            "remaining_constraints": [],
        },
        {
            "shed_mw": 0.5,
            "battery_mw": 0.0,
            "unserved_mwh": 0.5,
            "critical_affected": 1,
            "commands": [{}],
            "customers_affected": {"residential": 2, "critical": 1},
            "remaining_constraints": [{"element": "line:1", "reason": "x"}],
        },
    ]
    out = plan_totals(plans)
    assert out["events"] == 2 and out["shed_mw"] == 0.5 and out["battery_mw"] == 0.1
    assert (
        out["unserved_mwh"] == pytest.approx(0.9) and out["critical_affected"] == 1 and out["commands"] == 3
    )
    assert out["customers_affected"] == {"residential": 5, "critical": 1}
    assert out["remaining_constraints"] == [{"element": "line:1", "reason": "x"}]
    assert plan_totals([])["shed_mw"] == 0.0


def _setting(starts: pd.DatetimeIndex):
    from types import SimpleNamespace

    import numpy as np

    from gridcore.shedding.request import Setting

    net = SimpleNamespace(
        load=pd.DataFrame({"p_mw": [9.0, 9.0], "q_mvar": [9.0, 9.0]}), sgen=pd.DataFrame({"p_mw": [9.0]})
    )
    return Setting(
        "t",
        net,
        None,
        None,
        None,
        starts,
        1.0,
        np.full((len(starts), 2), 9.0),
        np.full(1, 9.0),
        None,
        None,
        0.0,
    )


def test_a_plan_is_made_on_the_look_aheads_injections() -> None:
    import numpy as np

    from gridcore.errors import InputError
    from gridcore.network.constraints import Injections
    from gridcore.shedding.lookahead import on_forecasts

    times = pd.date_range(T0, periods=4, freq="h")
    p = np.arange(8.0).reshape(4, 2)
    inj = Injections(load_p_mw=p, load_q_mvar=p / 10, sgen_p_mw=np.arange(4.0)[:, None] + 100)
    setting = on_forecasts(
        _setting(pd.date_range(T0 + pd.Timedelta(hours=1), periods=2, freq="h")), inj, times
    )
    np.testing.assert_array_equal(setting.load_p_mw, [[2.0, 3.0], [4.0, 5.0]])  # the slots' hours
    assert setting.net.load["p_mw"].tolist() == [2.0, 3.0] and setting.net.load["q_mvar"].tolist() == [
        0.2,
        0.3,
    ]
    assert setting.net.sgen["p_mw"].tolist() == [101.0] and setting.sgen_p_mw.tolist() == [101.0]
    with pytest.raises(InputError, match="do not cover 2016-07-02T18:00Z"):
        on_forecasts(_setting(pd.date_range(T0 + pd.Timedelta(hours=3), periods=2, freq="h")), inj, times)
