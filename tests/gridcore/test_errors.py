"""Bad input anywhere in gridcore raises an InputError that names the field and the row or element.

One representative bad input per package (data, forecast, network, network cases, storage). Each case
states the exact ``field``, ``row`` and ``element`` the error must carry (``None`` where the error has none
to give), and a piece of its message: an error that is a bare ValueError, or that names another field or
row, fails.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import GridflowError, InputError

DATA = Path(__file__).parents[1] / "data"
CASE9 = DATA / "power_flow" / "matpower_case9" / "case9.m"
#: The file line of a loop appended to case9 after a blank line.
LOOP_LINE = len(CASE9.read_text().splitlines()) + 2


@dataclass(frozen=True)
class Case:
    """A call with bad input and what its error must say."""

    call: Callable[[Path], object]
    match: str
    field: str | None = None
    row: int | None = None
    element: str | None = None
    kind: type[InputError] = InputError


# -- data ------------------------------------------------------------------------------------------


def _suite_with_unknown_check(tmp: Path) -> object:
    from gridcore.data.validation import load_suite

    doc = {
        "name": "odd",
        "meta": {"required_columns": {}},
        "expectations": [{"type": "expect_the_moon", "kwargs": {}, "meta": {"reason": "r"}}],
    }
    (tmp / "odd.json").write_text(json.dumps(doc))
    return load_suite("odd", tmp)


def _no_meters(tmp: Path) -> object:
    from gridcore.data.fleet import build_fleet

    return build_fleet(None, n_meters=0)  # type: ignore[arg-type]


# -- forecast --------------------------------------------------------------------------------------


def _unknown_model(tmp: Path) -> object:
    from gridcore.forecast.models import make_model

    return make_model("prophet")


def _solar_power_not_a_number(tmp: Path) -> object:
    from gridcore.forecast.renewables_store import read_table

    text = "site,timestamp,power\nA,2016-01-01T00:00Z,1.0\nA,2016-01-01T01:00Z,lots\n"
    return read_table(io.StringIO(text), ("site", "timestamp", "power"), (), ("timestamp",), "site", "solar")


def _solar_naive_time(tmp: Path) -> object:
    from gridcore.forecast.renewables_store import read_table

    text = "site,timestamp,power\nA,2016-01-01T00:00Z,1.0\nA,2016-01-01T01:00Z,1.0\nA,2016-01-01T02:00,1\n"
    return read_table(io.StringIO(text), ("site", "timestamp", "power"), (), ("timestamp",), "site", "solar")


def _solar_duplicate_row(tmp: Path) -> object:
    from gridcore.forecast.renewables_store import check_unique

    frame = pd.DataFrame({"site": ["A", "B", "B"], "timestamp": [1, 1, 1]})
    return check_unique(frame, ["site", "timestamp"], "solar")


def _wind_horizon_mismatch(tmp: Path) -> object:
    from gridcore.forecast.renewables_store import read_wind

    text = (
        "farm,timestamp,power,issue_time,horizon_h,u,v\n"
        "wf1,2012-01-01T01:00Z,0.5,2012-01-01T00:00Z,2,1.0,1.0\n"
        "wf1,2012-01-01T02:00Z,0.5,2012-01-01T00:00Z,2,1.0,1.0\n"
    )
    return read_wind(io.StringIO(text))


def _backtest_horizon(tmp: Path) -> object:
    from gridcore.forecast.backtest import backtest
    from gridcore.forecast.models import SeasonalNaive

    return backtest(pd.DataFrame({"load_mw": [1.0]}), SeasonalNaive(), horizon=0)


# -- network ---------------------------------------------------------------------------------------


def _case9() -> object:
    from gridcore.network.cases import read_case

    return read_case(CASE9)


def _unknown_voltage_level(tmp: Path) -> object:
    from gridcore.network.limits import voltage_bands

    return voltage_bands({"XV": (0.9, 1.1)})


def _outage_of_a_missing_line(tmp: Path) -> object:
    from gridcore.network.contingency import contingency_analysis

    return contingency_analysis(_case9(), elements=[("line", 99)], engine="pandapower")


def _load_not_finite(tmp: Path) -> object:
    from gridcore.network.timeseries import run_timeseries

    net = _case9()
    times = pd.date_range("2016-07-01", periods=3, freq="h", tz="UTC")
    p = np.ones((3, len(net.load)))
    p[1, 2] = np.nan
    return run_timeseries(net, times, p, np.zeros_like(p), np.zeros((3, len(net.sgen))))


def _naive_power_flow_time(tmp: Path) -> object:
    from gridcore.network.powerflow import set_loads_at

    return set_loads_at(None, None, "2016-07-01T14:00")  # type: ignore[arg-type]


# -- network cases ---------------------------------------------------------------------------------


def _matpower(tmp: Path, old: str, new: str, extra: str = "") -> object:
    from gridcore.network.cases import read_case

    text = CASE9.read_text()
    assert old in text
    (tmp / "bad.m").write_text(text.replace(old, new) + extra)
    return read_case(tmp / "bad.m")


def _branch_to_missing_bus(tmp: Path) -> object:
    return _matpower(tmp, "\t9\t4\t0.01\t", "\t9\t44\t0.01\t")


def _bus_defined_twice(tmp: Path) -> object:
    return _matpower(tmp, "\t3\t2\t0\t0\t0\t0\t1\t1\t0\t345", "\t2\t2\t0\t0\t0\t0\t1\t1\t0\t345")


def _matpower_loop(tmp: Path) -> object:
    return _matpower(tmp, "", "", "\nfor i = 1:3\n  mpc.bus(i, 3) = 0;\nend\n")


def _json_naming_os(tmp: Path) -> object:
    from gridcore.network.cases import read_case

    doc = {
        "_module": "pandapower.auxiliary",
        "_class": "pandapowerNet",
        "_object": {"x": {"_module": "os", "_class": "system", "_object": "echo"}},
    }
    (tmp / "net.json").write_text(json.dumps(doc))
    return read_case(tmp / "net.json")


def _unsupported_case_format(tmp: Path) -> object:
    from gridcore.network.cases import read_case

    (tmp / "net.p").write_bytes(b"\x80\x04")
    return read_case(tmp / "net.p")


# -- storage ---------------------------------------------------------------------------------------


def _fleet_file(tmp: Path, **change: str) -> object:
    from gridcore.storage.fleet import read_fleet

    row = {
        "battery": "B1",
        "kind": "home",
        "sgen": "0",
        "load": "0",
        "pv_share": "0.5",
        "load_share": "0.5",
        "power_mw": "0.01",
        "energy_mwh": "0.02",
        "export_limit_mw": "0.01",
    }
    rows = [row, {**row, "battery": "B2", **change}]
    (tmp / "fleet.csv").write_text(
        ",".join(row) + "\n" + "\n".join(",".join(r.values()) for r in rows) + "\n"
    )
    return read_fleet(str(tmp / "fleet.csv"), None)  # type: ignore[arg-type]


def _bad_chemistry(tmp: Path) -> object:
    from gridcore.storage.degradation.cost import check_fleet_columns

    fleet = pd.DataFrame({"chemistry": ["LFP", "NMC", "NiCd"]}, index=["b1", "b2", "b3"])
    return check_fleet_columns(fleet, ("chemistry",))


def _fade_of_unknown_chemistry(tmp: Path) -> object:
    from gridcore.storage.degradation.fade import FadeState

    return FadeState.new(["LFP", "lead-acid"])


def _health_thresholds(tmp: Path) -> object:
    from gridcore.storage.health.config import HealthConfig

    return HealthConfig(warn_soh=0.7, alarm_soh=0.8)


def _study_weeks(tmp: Path) -> object:
    from gridcore.storage.study.config import StudyConfig

    return StudyConfig(weeks=0)


def _study_naive_start(tmp: Path) -> object:
    from gridcore.storage.study.config import utc_hour

    return utc_hour("start", "2016-07-01T00:00")


def _batch_size(tmp: Path) -> object:
    from gridcore.storage.plan import batches

    return batches(10, 0)


CASES: dict[str, Case] = {
    # data
    "data: suite with an unknown check": Case(_suite_with_unknown_check, "expect_the_moon", field="type"),
    "data: no meters": Case(_no_meters, "n_meters must be at least 1", field="n_meters"),
    # forecast
    "forecast: unknown model": Case(_unknown_model, "unknown model 'prophet'", field="model"),
    "forecast: power not a number": Case(_solar_power_not_a_number, "row 3", field="power", row=3),
    "forecast: naive time": Case(_solar_naive_time, "no UTC offset", field="timestamp", row=4),
    "forecast: duplicated row": Case(_solar_duplicate_row, "duplicated row 4", row=4, element="B"),
    "forecast: wind horizon mismatch": Case(
        _wind_horizon_mismatch, "row 3 does not match", field="horizon_h", row=3
    ),
    "forecast: backtest horizon": Case(_backtest_horizon, "horizon must be 1..168 h", field="horizon"),
    # network
    "network: unknown voltage level": Case(_unknown_voltage_level, "'XV'", field="voltage_band"),
    "network: outage of a missing line": Case(
        _outage_of_a_missing_line, "line 99 is not in net.line", field="elements", element="line:99"
    ),
    "network: load not finite": Case(
        _load_not_finite, "not finite at step 1, element 2", field="load_p_mw", row=1, element="load:2"
    ),
    "network: naive power-flow time": Case(_naive_power_flow_time, "no UTC offset", field="time"),
    # network cases
    "cases: branch to a missing bus": Case(
        _branch_to_missing_bus,
        "mpc.branch row 9: tbus 44 is not a bus",
        field="mpc.branch.tbus",
        row=9,
        element="bus:44",
    ),
    "cases: bus defined twice": Case(
        _bus_defined_twice, "rows 2 and 3 both define bus 2", field="mpc.bus.bus_i", row=3, element="bus:2"
    ),
    "cases: MATLAB loop": Case(
        _matpower_loop, f"line {LOOP_LINE}: cannot carry out a MATLAB for loop", row=LOOP_LINE
    ),
    "cases: JSON naming os": Case(_json_naming_os, "module 'os'", field="_class"),
    "cases: unsupported format": Case(_unsupported_case_format, "unsupported case format '.p'"),
    # storage
    "storage: fleet kind": Case(
        lambda tmp: _fleet_file(tmp, kind="flywheel"), "unknown kind", field="kind", element="battery:B2"
    ),
    "storage: fleet share": Case(
        lambda tmp: _fleet_file(tmp, pv_share="1.5"),
        "invalid pv_share",
        field="pv_share",
        element="battery:B2",
    ),
    "storage: fleet battery twice": Case(
        lambda tmp: _fleet_file(tmp, battery="B1"), "more than once", field="battery", element="battery:B1"
    ),
    "storage: chemistry": Case(
        _bad_chemistry, "'NiCd' of battery b3", field="chemistry", element="battery:b3"
    ),
    "storage: fade chemistry": Case(
        _fade_of_unknown_chemistry, "'lead-acid' at row 1", field="chemistry", row=1
    ),
    "storage: health thresholds": Case(_health_thresholds, "alarm_soh (0.8)", field="alarm_soh"),
    "storage: study weeks": Case(_study_weeks, "weeks: need at least 1", field="weeks"),
    "storage: study start": Case(_study_naive_start, "must be timezone-aware", field="start"),
    "storage: batch size": Case(_batch_size, "batch size must be at least 1", field="batch_size"),
}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_bad_input_raises_input_error_naming_field_row_and_element(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    with pytest.raises(case.kind, match=None) as err:
        case.call(tmp_path)
    exc = err.value
    assert isinstance(exc, GridflowError) and isinstance(exc, ValueError)
    assert case.match in str(exc)
    assert (exc.field, exc.row, exc.element) == (case.field, case.row, case.element)


def test_input_error_keeps_its_message_and_where() -> None:
    err = InputError("meters.csv: kwh is negative at row 7", field="kwh", row=7, element="M000001")
    assert str(err) == "meters.csv: kwh is negative at row 7"
    assert (err.field, err.row, err.element) == ("kwh", 7, "M000001")
    assert (InputError("x").field, InputError("x").row, InputError("x").element) == (None, None, None)
