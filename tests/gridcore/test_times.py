"""gridcore.times.to_utc: every ISO 8601 form and kind of timestamp to one UTC instant; nothing else."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.times import to_utc

T = pd.Timestamp("2016-07-01T14:00", tz="UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-07-01T14:00Z", T),
        ("2016-07-01T14:00:00z", T),
        ("2016-07-01 14:00:00+00:00", T),
        ("2016-07-01T16:00+02:00", T),
        ("2016-07-01T09:00-0500", T),
        ("2016-07-01T15+01", T),
        ("2016-07-01T14Z", T),
        ("20160701T1400Z", T),
        ("20160701T140000Z", T),
        ("2016-W26-5T14:00Z", T),  # week date: Friday of ISO week 26
        ("2016-183T14:00Z", T),  # ordinal date: day 183 of a leap year
        ("2016183T1400Z", T),
        ("  2016-07-01T14:00Z\n", T),
        ("2016-07-01T19:30:15+05:30:15", T),  # an offset with seconds (Python reads it, dateutil not)
        ("2016-07-01T14:00:00.5Z", T + pd.Timedelta(milliseconds=500)),
        ("2016-07-01T14:00:00,25Z", T + pd.Timedelta(milliseconds=250)),
        ("2016-07-01T16:00:00.123456789+02:00", T + pd.Timedelta(nanoseconds=123_456_789)),
        ("20160701T140000.000000001Z", T + pd.Timedelta(nanoseconds=1)),
        # naive: UTC
        ("2016-07-01T14:00", T),
        ("2016-07-01", T.floor("D")),
        ("2016-07", pd.Timestamp("2016-07-01", tz="UTC")),
        ("2016", pd.Timestamp("2016-01-01", tz="UTC")),
        ("2016-W26", pd.Timestamp("2016-06-27", tz="UTC")),  # the Monday of week 26
    ],
)
def test_every_iso_8601_form_is_the_same_utc_instant(text: str, expected: pd.Timestamp) -> None:
    got = to_utc(text)
    assert got == expected
    assert str(got.tz) == "UTC" and got.value == expected.value  # exact to the nanosecond


@pytest.mark.parametrize(
    "value",
    [
        pd.Timestamp("2016-07-01T16:00", tz="Europe/Berlin"),
        pd.Timestamp("2016-07-01T14:00"),
        datetime(2016, 7, 1, 14),
        datetime(2016, 7, 1, 10, tzinfo=timezone(timedelta(hours=-4))),
        np.datetime64("2016-07-01T14:00"),
    ],
)
def test_timestamps_of_every_kind_are_utc(value: object) -> None:
    got = to_utc(value)
    assert got == T and str(got.tz) == "UTC"


def test_a_date_is_its_midnight() -> None:
    assert to_utc(date(2016, 7, 1)) == pd.Timestamp("2016-07-01", tz="UTC")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("07/01/2016", "not an ISO 8601 time"),  # pandas alone reads this (as July or January?)
        ("July 1 2016", "not an ISO 8601 time"),
        ("2016-07-01x14:00", "not an ISO 8601 time"),
        ("2016-07-01T25:00Z", "not an ISO 8601 time"),
        ("2016-02-30", "not an ISO 8601 time"),
        ("", "not an ISO 8601 time"),
        ("now", "not an ISO 8601 time"),
        (None, "not a time"),
        (1467381600, "not a time"),
        (1.5, "not a time"),
        (pd.NaT, "not a time"),
        (np.datetime64("NaT"), "not a time"),
    ],
)
def test_anything_else_is_an_input_error_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        to_utc(value, "issue_time")
    assert err.value.field == "issue_time"
    assert str(err.value).startswith(f"issue_time {value!r} ")


def test_a_naive_time_is_refused_where_utc_must_be_said() -> None:
    message = r"^--at '2016-07-01T14:00' has no UTC offset; write it as 2016-07-01T14:00Z$"
    with pytest.raises(InputError, match=message):
        to_utc("2016-07-01T14:00", "--at", naive="error")
    with pytest.raises(InputError, match=r"write it as 2016-07-01T00:00Z$"):
        to_utc("2016-07-01", "--at", naive="error")
    with pytest.raises(InputError, match="has no UTC offset; give it in UTC") as err:
        to_utc(datetime(2016, 7, 1, 14), "start", naive="error")
    assert err.value.field == "start"
    assert to_utc("2016-07-01T14:00Z", "--at", naive="error") == T
    assert to_utc(pd.Timestamp("2016-07-01T14:00", tz="UTC"), naive="error") == T


def test_the_error_class_and_an_unnamed_field() -> None:
    class ChangeError(InputError):
        pass

    with pytest.raises(ChangeError, match=r"^'nope' is not an ISO 8601 time") as err:
        to_utc("nope", "", error=ChangeError)
    assert err.value.field is None
