"""Timestamps as utilities write them: each row read with its own offset; the grid checked to the ns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gridcore.data.meters import validate_readings
from gridcore.data.validation import parse_utc

NOW = pd.Timestamp("2016-11-01T00:00Z")


def _utc(values: list[object]) -> list[object]:
    """parse_utc of a list, as ISO strings with Z ('NaT' where unreadable)."""
    out = parse_utc(pd.Series(values, dtype=object))
    assert str(out.dtype) == "datetime64[ns, UTC]"
    return [t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if pd.notna(t) else "NaT" for t in out]


def test_each_row_is_read_with_its_own_offset_and_naive_is_utc() -> None:
    # The autumn change in Central Europe: 02:30 happens twice (+02:00, then +01:00); a naive 02:30 is UTC.
    # pandas' format="ISO8601" on the column gave the naive row the +01:00 of the row before (01:30Z).
    got = _utc(
        [
            "2016-10-30T02:30:00+02:00",
            "2016-10-30T02:30:00+01:00",
            "2016-10-30T02:30:00",
            "2016-10-30T01:45:00Z",
            "2016-10-30T03:00:00.001Z",
        ]
    )
    assert got == [
        "2016-10-30T00:30:00.000000Z",
        "2016-10-30T01:30:00.000000Z",
        "2016-10-30T02:30:00.000000Z",
        "2016-10-30T01:45:00.000000Z",
        "2016-10-30T03:00:00.001000Z",
    ]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2016-07-01T14:15:00Z", "2016-07-01T14:15:00"),
        ("2016-07-01T14:15:00", "2016-07-01T14:15:00"),  # naive: UTC
        ("2016-07-01 14:15:00", "2016-07-01T14:15:00"),  # space instead of T
        ("2016-07-01T14:15", "2016-07-01T14:15:00"),  # no seconds
        ("2016-07-01T16:15:00+02:00", "2016-07-01T14:15:00"),
        ("2016-07-01T09:15:00-0500", "2016-07-01T14:15:00"),
        ("2016-07-01T15:15:00+01", "2016-07-01T14:15:00"),
        ("2016-07-01T19:45:00+05:30", "2016-07-01T14:15:00"),
        ("2016-07-01T14:15:00-00:00", "2016-07-01T14:15:00"),
        ("2016-07-01 16:15:00 +02:00", "2016-07-01T14:15:00"),  # space before the offset
        ("  2016-07-01T14:15:00Z ", "2016-07-01T14:15:00"),  # surrounding blanks
        ("2016-07-01t14:15:00z", "2016-07-01T14:15:00"),  # lower case
        ("20160701T161500+0200", "2016-07-01T14:15:00"),  # basic format
        ("2016-07-01T14:15:00.5Z", "2016-07-01T14:15:00.500"),
        ("2016-07-01T14:15:00,25Z", "2016-07-01T14:15:00.250"),  # decimal comma
        ("2016-07-01T16:15:00.000000001+02:00", "2016-07-01T14:15:00.000000001"),  # 1 ns
        ("2016-07-01T24:00Z", "2016-07-02T00:00:00"),  # end of day
        ("2016-07-01T24:00:00.000+02:00", "2016-07-01T22:00:00"),
        ("2016-07-01", "2016-07-01T00:00:00"),  # a date alone: midnight UTC
    ],
)
def test_every_iso_8601_form(text: str, utc: str) -> None:
    mixed = pd.Series([text, "2016-07-01T14:15:00+03:00", "2016-07-01T14:15:00"], dtype=object)
    alone = pd.Series([text], dtype=object)
    for values in (mixed, alone):  # the same in a mixed column and alone (where Arrow's fast path may run)
        assert parse_utc(values).iloc[0] == pd.Timestamp(utc, tz="UTC")
    assert parse_utc(mixed).iloc[1:].tolist() == [
        pd.Timestamp("2016-07-01T11:15:00Z"),
        pd.Timestamp("2016-07-01T14:15:00Z"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "not a time",
        "",
        "2016-02-30T00:00:00Z",  # no such day
        "2016-07-01T24:15Z",  # only 24:00 is allowed
        "2016-07-01T25:00Z",
        "2016-07-01T14:15:00+24:00",  # no offset of a day or more
        "2016-07-01T14:15:00+02:60",
        "2016-07-01+02:00",  # an offset needs a time
        "2016-07-01T14:15:00 Europe/Berlin",
        "1467382500",  # epoch seconds are not ISO 8601
        "2016-07-01T14:15:00+02:00:00",
    ],
)
def test_unreadable_text_becomes_nat_and_leaves_the_others(text: str) -> None:
    got = _utc([text, "2016-07-01T14:15:00Z", None, np.nan, "2016-07-01T16:15:00+02:00"])
    assert got == ["NaT", "2016-07-01T14:15:00.000000Z", "NaT", "NaT", "2016-07-01T14:15:00.000000Z"]


def test_uniform_columns_take_the_fast_path_with_the_same_result() -> None:
    rng = np.random.default_rng(3)
    utc = pd.Timestamp("2016-10-29T20:00Z") + pd.to_timedelta(rng.integers(0, 40, 3000) * 15, unit="min")
    local = utc.tz_convert("Europe/Berlin")
    forms = {
        "Z": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "offset": local.strftime("%Y-%m-%dT%H:%M:%S%z"),  # +0200 / +0100 across the change
        "naive": utc.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for name, text in forms.items():
        values = pd.Series(np.array(text, dtype=object))  # a copy: row 5 is blanked below
        values.iloc[5] = None
        got = parse_utc(values)
        assert got.isna().tolist() == [i == 5 for i in range(3000)], name
        assert (got.drop(5) == pd.Series(utc).drop(5)).all(), name
    mixed = pd.Series(np.where(rng.random(3000) < 0.5, forms["offset"], forms["naive"]).astype(object))
    assert (parse_utc(mixed) == pd.Series(utc)).all()


def test_datetimes_and_other_objects() -> None:
    aware = pd.Series(pd.to_datetime(["2016-07-01T16:15:00+02:00", None], utc=True)).dt.tz_convert(
        "Europe/Berlin"
    )
    assert parse_utc(aware).tolist()[0] == pd.Timestamp("2016-07-01T14:15Z")
    naive = pd.Series(pd.to_datetime(["2016-07-01T14:15:00"]))
    assert parse_utc(naive).tolist() == [pd.Timestamp("2016-07-01T14:15Z")]
    objects = pd.Series(
        [pd.Timestamp("2016-07-01T16:15", tz="Europe/Berlin"), dt.datetime(2016, 7, 1, 14, 15), 3.5, None],
        dtype=object,
    )
    assert _utc(objects.tolist()) == [
        "2016-07-01T14:15:00.000000Z",
        "2016-07-01T14:15:00.000000Z",
        "NaT",
        "NaT",
    ]
    text = pd.Series(["2016-07-01T14:15Z", None], dtype="string")
    assert parse_utc(text).iloc[0] == pd.Timestamp("2016-07-01T14:15Z") and parse_utc(text).isna().iloc[1]
    empty = parse_utc(pd.Series([], dtype=object))
    assert len(empty) == 0 and str(empty.dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("stamp", "off_grid"),
    [
        ("2016-10-30T03:00:00.001Z", True),  # a millisecond: the floor to whole seconds missed it
        ("2016-10-30T03:00:00.000000001Z", True),  # a nanosecond
        ("2016-10-30T02:59:59.999Z", True),
        ("2016-10-30T03:00:30Z", True),
        ("2016-10-30T03:00:00.000Z", False),
        ("2016-10-30T04:00:00.000+01:00", False),
    ],
)
def test_off_the_15_minute_grid_means_to_the_nanosecond(system, stamp: str, off_grid: bool) -> None:
    m = system.fleet.index[0]
    raw = pd.DataFrame([(m, stamp, "0.5")], columns=["meter_id", "timestamp", "kwh"], dtype=object)
    res = validate_readings(raw, system.fleet, NOW, source="t.csv")
    if off_grid:
        assert res.readings_valid == 0 and res.quarantined == {"timestamp_off_15min_grid": 1}
        q = res.quarantine.iloc[0]
        assert (q["value"], q["timestamp"], q["row"]) == (stamp, stamp, 0)
    else:
        assert res.quarantined == {}
        assert res.valid["timestamp"].tolist() == [pd.Timestamp("2016-10-30T03:00")]
        assert res.valid["kwh"].tolist() == [0.5]
