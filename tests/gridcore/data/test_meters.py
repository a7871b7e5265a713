"""Meter-reading validation: each kind of bad row is quarantined with its reason, every valid row counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.data.contracts import combine_results
from gridcore.data.meters import validate_readings
from gridcore.data.synthetic import FaultRates, meter_readings
from gridcore.data.validation import ContractError

NOW = pd.Timestamp("2016-07-01T15:00Z")


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["meter_id", "timestamp", "kwh"], dtype=object)


@pytest.fixture
def ids(system) -> list[str]:
    return list(system.fleet.index[:10])


def test_every_bad_kind_is_quarantined_and_every_valid_row_counted(system, ids) -> None:
    m = ids
    rows = [
        (m[0], "2016-07-01T14:15:00Z", "0.30"),  # valid
        (m[0], "2016-07-01T14:30:00Z", "0.31"),  # valid
        (m[1], "2016-07-01T14:15:00Z", "nan"),  # kwh_missing
        (m[1], "2016-07-01T14:30:00Z", ""),  # kwh_missing (empty field)
        (m[2], "2016-07-01T14:15:00Z", "-4.0"),  # kwh_negative
        (m[3], "2016-07-01T14:15:00Z", "99999"),  # kwh_above_class_max
        (m[4], "2016-07-01T14:07:00Z", "0.2"),  # timestamp_off_15min_grid
        (m[5], "2016-07-01T14:15:00Z", "0.25"),  # valid (first copy)
        (m[5], "2016-07-01T14:15:00Z", "0.25"),  # duplicate
        (m[6], "2016-07-01T14:15:00Z", "0.40"),  # conflicting_duplicate
        (m[6], "2016-07-01T14:15:00Z", "0.45"),  # conflicting_duplicate
        (m[7], "2099-01-01T00:00:00Z", "0.2"),  # timestamp_in_future
        (m[7], "2016-06-01T00:00:00Z", "0.2"),  # stale (> 168 h before the newest reading)
        ("NOPE-1", "2016-07-01T14:15:00Z", "0.2"),  # unknown_meter
        (m[8], "not a time", "0.2"),  # timestamp_unparseable
        (m[8], "2016-07-01T14:15:00Z", "abc"),  # kwh_not_numeric
        (m[9], "2016-07-01T15:00:00Z", "0.1"),  # valid, arrives before ...
        (m[9], "2016-07-01T14:45:00Z", "0.1"),  # ... an earlier interval: out of order, still valid
    ]
    res = validate_readings(_frame(rows), system.fleet, NOW, source="test.csv")
    expected = {
        "kwh_missing": 2,
        "kwh_negative": 1,
        "kwh_above_class_max": 1,
        "timestamp_off_15min_grid": 1,
        "duplicate": 1,
        "conflicting_duplicate": 2,
        "timestamp_in_future": 1,
        "stale": 1,
        "unknown_meter": 1,
        "timestamp_unparseable": 1,
        "kwh_not_numeric": 1,
    }
    assert res.quarantined == expected
    assert res.readings_in == len(rows)
    assert res.readings_valid == 5
    assert res.readings_valid + sum(res.quarantined.values()) == res.readings_in
    assert res.out_of_order == 1
    # exactly those rows, and the record names the row, the expectation and the offending value
    q = res.quarantine.set_index("row")
    assert sorted(q.index) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    assert q.loc[4, "reason"] == "kwh_negative" and q.loc[4, "value"] == "-4.0"
    assert q.loc[13, "value"] == "NOPE-1" and "meter_known" in q.loc[13, "expectation"]
    assert q.loc[14, "value"] == "not a time"
    # valid rows are kept unchanged, in input order
    assert res.valid["kwh"].round(6).tolist() == [0.30, 0.31, 0.25, 0.1, 0.1]


def test_a_messy_file_like_the_acceptance_check_is_wholly_quarantined(system) -> None:
    rows = [
        ("NOPE-000001", "2016-07-01T14:15:00Z", "0.31"),
        ("NOPE-000002", "2016-07-01T14:15:00Z", "nan"),
        ("NOPE-000003", "2016-07-01T14:15:00Z", "-4.0"),
        ("NOPE-000004", "2016-07-01T14:15:00Z", "99999"),
        ("NOPE-000005", "2016-07-01T14:07:00Z", "0.20"),
        ("NOPE-000005", "2016-07-01T14:07:00Z", "0.20"),
        ("NOPE-000006", "2099-01-01T00:00:00Z", "0.20"),
        ("NOPE-000007", "not a time", "0.20"),
    ]
    res = validate_readings(_frame(rows), system.fleet, pd.Timestamp.now(tz="UTC"))
    assert res.readings_valid == 0
    assert sum(res.quarantined.values()) == 8


@pytest.mark.parametrize("missing", ["kwh", "meter_id", "timestamp"])
def test_a_missing_column_refuses_the_file_naming_it(system, missing) -> None:
    df = _frame([(system.fleet.index[0], "2016-07-01T14:15:00Z", "0.3")]).drop(columns=missing)
    with pytest.raises(ContractError, match=missing):
        validate_readings(df, system.fleet, NOW, source="x.csv")


def test_a_column_of_the_wrong_type_refuses_the_file(system) -> None:
    df = _frame(
        [
            (system.fleet.index[0], "2016-07-01T14:15:00Z", "abc"),
            (system.fleet.index[1], "2016-07-01T14:15:00Z", "def"),
        ]
    )
    with pytest.raises(ContractError, match="kwh must hold numbers"):
        validate_readings(df, system.fleet, NOW)
    typed = pd.DataFrame(
        {"meter_id": [system.fleet.index[0]], "timestamp": ["2016-07-01T14:15Z"], "kwh": [True]}
    )
    with pytest.raises(ContractError, match="column kwh must hold numbers, found bool"):
        validate_readings(typed, system.fleet, NOW)
    with pytest.raises(ContractError, match="column timestamp must hold timestamps"):
        validate_readings(typed.assign(timestamp=[1.5], kwh=[0.2]), system.fleet, NOW)


def test_offsets_are_converted_to_utc(system) -> None:
    m = system.fleet.index[0]
    res = validate_readings(_frame([(m, "2016-07-01T16:15:00+02:00", "0.3")]), system.fleet, NOW)
    assert res.readings_valid == 1
    assert res.valid["timestamp"].iloc[0] == np.datetime64("2016-07-01T14:15:00")


def test_the_synthetic_feed_validates_with_its_injected_faults_and_blocks_combine(system, hour) -> None:
    fleet = system.fleet
    halves = [slice(0, 1000), slice(1000, 2000)]
    faults = FaultRates(missing=0.01, duplicate=0.01, conflicting=0.005, negative=0.005, spike=0.005)
    parts = [
        validate_readings(
            meter_readings(system.grid, fleet.iloc[s], hour, faults=faults, block=b, meter_ids=fleet.index),
            fleet,
            NOW,
        )
        for b, s in enumerate(halves)
    ]
    whole = combine_results(parts)
    assert whole.readings_in == sum(p.readings_in for p in parts) > 8000
    assert whole.readings_valid + sum(whole.quarantined.values()) == whole.readings_in
    for reason in (
        "kwh_missing",
        "duplicate",
        "conflicting_duplicate",
        "kwh_negative",
        "kwh_above_class_max",
    ):
        assert whole.quarantined.get(reason, 0) > 0, reason
    # quarantine rows point into the concatenated feed
    assert whole.quarantine["row"].max() < whole.readings_in
    assert whole.quarantine["row"].is_unique
