"""The ``monitor_hour`` task in a flow: its report, one ``gridflow.anomaly.high`` event per high anomaly."""

from __future__ import annotations

import pandas as pd
import pytest
from prefect import flow

import tasks.monitor as task_module
from gridcore.data import products
from gridcore.data.meters import validate_readings
from gridcore.data.synthetic import FaultRates, meter_readings

AT = pd.Timestamp("2016-07-04T19:00Z")


@pytest.fixture
def store(tmp_path, system):
    raw = meter_readings(system.grid, system.fleet, AT, faults=FaultRates.none())
    rows = raw.index[raw["meter_id"] == "M000100"]
    raw.loc[rows[2:], "kwh"] *= 12  # a jump of 12 times: high severity
    end = AT + pd.Timedelta(hours=1)
    ami = validate_readings(raw, system.fleet, end, end, source="ami")
    products.land_hour(
        products.Store(tmp_path),
        ami,
        system.fleet,
        system.feeders.bus_feeder,
        system.feeders.feeders,
        AT,
        system.provenance,
    )
    return str(tmp_path)


def test_monitor_hour_reports_and_emits(prefect_harness, store, monkeypatch):
    sent = []
    real = task_module.emit_event

    def record(**kwargs):
        sent.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(task_module, "emit_event", record)

    @flow
    def run() -> object:
        return task_module.monitor_hour(store, AT)

    report = run()
    high = report.high()
    assert ("sudden_jump", "M000100") in set(zip(high["type"], high["place"], strict=True))
    assert report.to_dict()["by_severity"]["high"] == len(high)
    assert len(sent) == len(high) >= 1
    jump = next(e for e in sent if e["payload"]["place"] == "M000100")
    assert jump["event"] == "gridflow.anomaly.high"
    assert jump["resource"]["prefect.resource.id"] == "gridflow.meter.M000100"
    assert jump["payload"]["type"] == "sudden_jump" and jump["payload"]["hour"] == "2016-07-04T19:00:00Z"
    assert any("sensor readings" in m for m in report.missing)
    md = task_module.report_markdown(report)
    assert "| sudden_jump |" in md and "Missing:" in md
    # the same anomaly monitored again (next hour's look-back, the daily flow) is the same event id
    first = [e["id"] for e in sent]
    assert len(set(first)) == len(first)
    row = high[high["place"] == "M000100"].iloc[0]
    assert jump["id"] == task_module.anomaly_event_id("sudden_jump", "M000100", row["start"])
    run()
    assert [e["id"] for e in sent[len(first) :]] == first
