"""The anomaly table, network excursions from constraint periods, forecast errors and drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.monitor.forecasts import forecast_errors, model_drift
from gridcore.monitor.network import excursions
from gridcore.monitor.report import MonitorReport, anomaly_table, combine, concat, flagged, run_length
from gridcore.network.constraints import ConstraintPeriod

AT = pd.Timestamp("2016-07-04T12:00Z")


def period(element, kind, start_h, end_h, worst, limit):
    return ConstraintPeriod(
        element=element,
        kind=kind,
        start=AT + pd.Timedelta(hours=start_h),
        end=AT + pd.Timedelta(hours=end_h),
        worst=worst,
        worst_time=AT,
        relief_mw=0.5,
        hours=end_h - start_h,
        limit=limit,
    )


def test_excursions_of_the_hour_graded():
    periods = [
        period("line:3", "overload", -2, 1, 112.0, 100.0),
        period("trafo:0", "overload", 0, 3, 125.0, 100.0),
        period("bus:7", "undervoltage", 0, 1, 0.94, 0.95),
        period("bus:8", "overvoltage", -1, 2, 1.08, 1.05),
        period("supply", "shortfall", 0, 1, 3.0, 10.0),
        period("line:9", "overload", 1, 4, 150.0, 100.0),  # the next hour: not this one
        period("line:4", "overload", -3, 0, 150.0, 100.0),  # ended at the hour's start
    ]
    found = excursions(periods, AT)
    got = {(r.type, r.place): (r.severity, r.place_kind) for r in found.itertuples()}
    assert got == {
        ("loading_excursion", "line:3"): ("medium", "line"),
        ("loading_excursion", "trafo:0"): ("high", "trafo"),
        ("voltage_excursion", "bus:7"): ("medium", "bus"),
        ("voltage_excursion", "bus:8"): ("high", "bus"),
        ("loading_excursion", "supply"): ("high", "supply"),
    }
    row = found[found["place"] == "trafo:0"].iloc[0]
    assert row["start"] == AT and row["end"] == AT
    assert row["evidence"]["worst"] == 125.0
    assert excursions([], AT).empty


def test_forecast_errors_far_outside_the_band():
    frame = pd.DataFrame(
        {
            "actual_mw": [10.0, 13.0, 10.9, 5.0, np.nan],
            "point_mw": [10.0, 10.0, 10.0, 10.0, 10.0],
            "low_mw": [9.0, 9.0, 9.0, 9.0, 9.0],
            "high_mw": [11.0, 11.0, 11.0, 11.0, 11.0],
            "lead_h": [5, 5, 5, 5, 5],
        },
        index=["inside", "beyond_1_width", "just_inside", "beyond_2_widths", "no_actual"],
    )
    found = forecast_errors(frame, AT).set_index("place")
    assert set(found.index) == {"beyond_1_width", "beyond_2_widths"}
    assert found.loc["beyond_1_width", "severity"] == "medium"
    assert found.loc["beyond_2_widths", "severity"] == "high"
    assert found.loc["beyond_2_widths", "evidence"]["beyond_widths"] == pytest.approx(2.0)


def test_model_drift_against_the_registered_mape():
    hours = pd.date_range(AT - pd.Timedelta(hours=29), AT, freq="1h")
    rows = []
    for series, error in (("steady", 0.04), ("drifting", 0.12), ("short", 0.5), ("wild", 0.5)):
        n = 10 if series == "short" else len(hours)
        rows.append(
            pd.DataFrame({"series": series, "actual_mw": 1.0, "point_mw": 1.0 + error}, index=hours[:n])
        )
    errors = pd.concat(rows, ignore_index=True)
    registered = pd.Series({"steady": 4.0, "drifting": 6.0, "short": 5.0, "wild": 5.0})
    found = model_drift(errors, registered, AT).set_index("place")
    assert set(found.index) == {"drifting", "wild"}
    assert found.loc["drifting", "severity"] == "medium"
    assert found.loc["wild", "severity"] == "high"
    assert found.loc["drifting", "evidence"]["rolling_mape_pct"] == pytest.approx(12.0)
    assert model_drift(errors.assign(actual_mw=0.0), registered, AT).empty


def test_report_counts_records_and_helpers():
    t = pd.DatetimeIndex([AT])
    a = anomaly_table("zero_reading", ["medium"], "meter", ["M1"], t, t, [{"kwh": 0.0}])
    b = anomaly_table("sudden_jump", ["high"], "meter", ["M2"], t, t, [{"ratio": 5.0}])
    table = concat([a, b, concat([])])
    assert list(table["severity"]) == ["high", "medium"]
    report = MonitorReport(AT, table, {"meters": 2}, ["x"], 0.5)
    assert report.counts() == {
        "zero_reading": {"low": 0, "medium": 1, "high": 0},
        "sudden_jump": {"low": 0, "medium": 0, "high": 1},
    }
    assert list(report.high()["place"]) == ["M2"]
    out = report.to_dict(limit=1)
    assert out["total"] == 2 and len(out["anomalies"]) == 1
    assert out["anomalies"][0] == {
        "type": "sudden_jump",
        "severity": "high",
        "place_kind": "meter",
        "place": "M2",
        "start": "2016-07-04T12:00:00Z",
        "end": "2016-07-04T12:00:00Z",
        "evidence": {"ratio": 5.0},
    }
    mask = np.array([[False, True, True, False, True], [False] * 5])
    assert run_length(mask).tolist() == [[0, 1, 2, 0, 1], [0] * 5]
    rows, first, last, worst = flagged(mask, np.array([[0, 3.0, 1.0, 9.0, 2.0], [0] * 5]))
    assert (rows.tolist(), first.tolist(), last.tolist(), worst.tolist()) == ([0], [1], [4], [1])


def test_a_days_hours_combine_an_anomaly_found_in_several_hours_once():
    def hour(h, rows, checked, missing):
        at = AT + pd.Timedelta(hours=h)
        tables = [
            anomaly_table(kind, [sev], "meter", [place], [at - pd.Timedelta(hours=s)], [at], [{"h": h}])
            for kind, sev, place, s in rows
        ]
        return MonitorReport(at, concat(tables), checked, missing, 1.5, {"network": f"periods {h}"})

    reports = [
        hour(
            1, [("stuck_reading", "medium", "M1", 3), ("zero_reading", "low", "M2", 0)], {"meters": 5}, ["a"]
        ),
        hour(0, [("stuck_reading", "low", "M1", 2)], {"meters": 4, "sensors": 2}, ["a", "b"]),
        hour(2, [("stuck_reading", "medium", "M1", 0), ("sudden_jump", "high", "M3", 0)], {"meters": 5}, []),
    ]
    day = combine(reports, AT)
    assert day.at == AT and day.checked == {"meters": 5, "sensors": 2, "hours": 3}
    assert day.missing == ["a", "b"] and day.seconds == pytest.approx(4.5)
    assert day.sources == {"network": "periods 2"}
    table = day.anomalies.set_index(["type", "place"])
    assert len(table) == 3 and list(day.anomalies["severity"]) == ["high", "medium", "low"]
    stuck = table.loc[("stuck_reading", "M1")]
    # the worst severity, of the latest hour among equals; the span of every hour that found it
    assert stuck["severity"] == "medium" and stuck["evidence"] == {"h": 2}
    assert stuck["start"] == AT - pd.Timedelta(hours=2) and stuck["end"] == AT + pd.Timedelta(hours=2)
    assert day.to_dict()["counts"]["stuck_reading"] == {"low": 0, "medium": 1, "high": 0}
    empty = combine([MonitorReport(AT, concat([]), {}, ["c"], 0.1)], AT)
    assert empty.anomalies.empty and empty.checked == {"hours": 1} and empty.missing == ["c"]
