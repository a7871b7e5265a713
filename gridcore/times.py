"""One reading of a point in time: any ISO 8601 text or timestamp, as a tz-aware UTC ``pd.Timestamp``.

Every module that takes a time from a caller (an option, a task parameter, a config value) reads it
with :func:`to_utc`, so the accepted forms, the naive-time rule and the error message are the same
everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
from dateutil.parser import isoparse

from gridcore.errors import InputError

__all__ = ["TIME_EXAMPLE", "to_utc"]

#: A time as the messages show it.
TIME_EXAMPLE = "2016-07-01T14:00Z"
#: The characters an ISO 8601 time is written with.
_ISO_CHARACTERS = re.compile(r"[0-9WTtZz+\-:., ]+")


def _label(value: object, field: str) -> str:
    return f"{field} {value!r}" if field else repr(value)


def _hint(text: str) -> str:
    """``text`` as it should have been written (with ``Z``)."""
    return f"{text}Z" if len(text) > 10 else f"{text}T00:00Z"


def _iso(text: str) -> datetime | None:
    """``text`` read as ISO 8601, or None when it is not (pandas alone would also read ``1/7/2016``)."""
    if not _ISO_CHARACTERS.fullmatch(text):  # dateutil takes any one letter between date and time
        return None
    try:
        return isoparse(text)  # reduced precision, ordinal and week dates, ',' fractions
    except (ValueError, OverflowError):
        pass
    try:
        return datetime.fromisoformat(text)  # offsets with seconds (+05:30:15)
    except ValueError:
        return None


def _nanoseconds(text: str, ts: pd.Timestamp) -> pd.Timestamp:
    """``ts`` with the digits past microseconds that datetime drops, when pandas reads ``text`` alike."""
    try:
        fine = pd.Timestamp(text)
        return fine if abs((fine - ts).value) < 1000 else ts
    except (ValueError, TypeError):  # a form pandas does not read, or reads as another kind of time
        return ts


def to_utc(
    value: object,
    field: str = "time",
    *,
    naive: Literal["utc", "error"] = "utc",
    error: type[InputError] = InputError,
) -> pd.Timestamp:
    """A point in time as a tz-aware UTC timestamp.

    Parameters
    ----------
    value : str, pandas.Timestamp, datetime.datetime, datetime.date or numpy.datetime64
        An ISO 8601 text (extended or basic; ``T`` or space; a date alone, reduced ``2016-07`` or ``2016``,
        ordinal ``2016-183`` or week ``2016-W26-5``; hours or minutes alone; fractions of a second to
        nanoseconds with ``.`` or ``,``; offsets ``Z``, ``+02:00``, ``-0500``, ``+01``), or a timestamp.
        A date is its midnight.
    field : str
        The option, column or parameter the value came from (``--at``, ``issue_time``), named in the
        message and set as the error's ``field``; empty: the message names the value only.
    naive : {"utc", "error"}
        A time without an offset: read as UTC (the default), or refused (where the caller must say UTC,
        as on the command line).
    error : type of InputError
        The error class raised (a subclass of :class:`~gridcore.errors.InputError`, e.g. a module's own).

    Returns
    -------
    pandas.Timestamp
        Tz-aware, in UTC, at nanosecond resolution where the text gives it.

    Raises
    ------
    InputError
        (or ``error``) naming ``field`` when ``value`` is not a time (not ISO 8601 text, NaT, a number,
        None) or, with ``naive="error"``, carries no offset.

    Examples
    --------
    >>> to_utc("2016-07-01T16:00+02:00")
    Timestamp('2016-07-01 14:00:00+0000', tz='UTC')
    >>> to_utc("20160701T1400")
    Timestamp('2016-07-01 14:00:00+0000', tz='UTC')
    """
    label = _label(value, field)
    where = field or None
    if isinstance(value, str):
        text = value.strip()
        parsed = _iso(text)
        if parsed is None:
            raise error(f"{label} is not an ISO 8601 time (e.g. {TIME_EXAMPLE})", field=where)
        ts = _nanoseconds(text, pd.Timestamp(parsed))
        if ts.tzinfo is None and naive == "error":
            raise error(f"{label} has no UTC offset; write it as {_hint(text)}", field=where)
    elif isinstance(value, datetime | date | np.datetime64):  # pd.Timestamp is a datetime
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            raise error(f"{label} is not a time (NaT)", field=where)
        if ts.tzinfo is None and naive == "error":
            raise error(f"{label} has no UTC offset; give it in UTC", field=where)
    else:
        raise error(
            f"{label} is not a time: give ISO 8601 text (e.g. {TIME_EXAMPLE}) or a timestamp", field=where
        )
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
