"""Validation of incoming data against the Great Expectations suites in ``expectations/``.

The suites are the contract: one JSON file per incoming data stream (meter readings, sensor readings,
weather), in Great Expectations' own serialisation. Great Expectations itself needs about a second per
million rows, too slow for 9.6 million readings a day, so this module enforces the same expectations on a
vectorised numpy path. ``tests/gridcore/data/test_gx_contract.py`` runs the suites through Great
Expectations and checks that both paths flag exactly the same rows.

A suite validates a *prepared* frame: the raw columns plus derived columns (``meter_known``,
``duplicate_copy``, ``seconds_off_grid``, ...) that turn every rule into a plain column expectation. The
preparation lives beside each contract (:mod:`gridcore.data.meters`, ...). Expectations are listed in
priority order; a row failing several is quarantined under the first, so every row has at most one reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridcore.errors import InputError

#: Folder holding the suites (``expectations/`` at the project root).
EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"

#: Column a file reader adds to the rows it returns: the row's line number in the file (1 = first line).
LINE_COLUMN = "file_line"
#: Column a file reader adds for rows it could not split into the header's fields (too few or too many,
#: an unbalanced quote, bytes that are not UTF-8): the line as written; null for every other row.
MALFORMED_COLUMN = "malformed_row"


class ContractError(InputError):
    """A whole input is refused: a required column is missing or has the wrong type."""


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite: its Great Expectations type, arguments and quarantine reason."""

    type: str
    kwargs: dict[str, Any]
    reason: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the expectation reads."""
        if "column" in self.kwargs:
            return (self.kwargs["column"],)
        return (self.kwargs["column_A"], self.kwargs["column_B"])


@dataclass(frozen=True)
class Suite:
    """An expectation suite: a contract's required columns and its expectations in priority order."""

    name: str
    required_columns: dict[str, str]
    expectations: tuple[Expectation, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        """Quarantine reasons in priority order."""
        return [e.reason for e in self.expectations]

    def bound(self, reason: str, key: str) -> float:
        """A numeric argument (``min_value``, ``max_value``) of the expectation behind ``reason``."""
        for e in self.expectations:
            if e.reason == reason:
                return float(e.kwargs[key])
        raise KeyError(f"suite {self.name} has no expectation with reason {reason!r}")


@cache
def load_suite(name: str, directory: Path | None = None) -> Suite:
    """Read an expectation suite from ``expectations/<name>.json``.

    Parameters
    ----------
    name : str
        Suite name: ``meter_readings``, ``sensor_readings`` or ``weather``.
    directory : Path, optional
        Folder holding the suites; the project's ``expectations/`` by default.

    Returns
    -------
    Suite
    """
    path = (directory or EXPECTATIONS_DIR) / f"{name}.json"
    raw = json.loads(path.read_text())
    expectations = tuple(
        Expectation(type=e["type"], kwargs=dict(e["kwargs"]), reason=e["meta"]["reason"])
        for e in raw["expectations"]
    )
    for e in expectations:
        if e.type not in _CHECKS:
            raise InputError(f"{path.name}: expectation type {e.type} has no vectorised check", field="type")
    return Suite(
        name=raw["name"],
        required_columns=dict(raw["meta"]["required_columns"]),
        expectations=expectations,
        meta=raw["meta"],
    )


def _values(df: Mapping[str, Any], column: str) -> np.ndarray:
    return np.asarray(df[column])


def _not_null(df: Mapping[str, Any], kw: dict[str, Any]) -> np.ndarray:
    return pd.isna(_values(df, kw["column"]))


def _in_set(df: Mapping[str, Any], kw: dict[str, Any]) -> np.ndarray:
    values = _values(df, kw["column"])
    allowed = list(kw["value_set"])
    if (
        values.dtype.kind in "biuf"
        and len(allowed) <= 8
        and all(isinstance(v, int | float | bool) for v in allowed)
    ):
        ok = np.zeros(len(values), dtype=bool)
        for v in allowed:
            ok |= values == v
        if values.dtype.kind == "f":
            ok |= np.isnan(values)
        return ~ok
    col = pd.Series(values)
    return (~col.isin(allowed) & col.notna()).to_numpy()


def _between(df: Mapping[str, Any], kw: dict[str, Any]) -> np.ndarray:
    values = _values(df, kw["column"]).astype(float)
    bad = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if kw.get("min_value") is not None:
            lo = float(kw["min_value"])
            bad |= values <= lo if kw.get("strict_min") else values < lo
        if kw.get("max_value") is not None:
            hi = float(kw["max_value"])
            bad |= values >= hi if kw.get("strict_max") else values > hi
    return bad


def _pair_greater(df: Mapping[str, Any], kw: dict[str, Any]) -> np.ndarray:
    a = _values(df, kw["column_A"]).astype(float)
    b = _values(df, kw["column_B"]).astype(float)
    both_missing = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        ok = a >= b if kw.get("or_equal") else a > b
    return ~ok & ~both_missing


_CHECKS = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
}


def failing_rows(prepared: Mapping[str, Any], suite: Suite) -> dict[str, np.ndarray]:
    """Evaluate every expectation of a suite on a prepared frame, independently.

    An expectation whose column is absent from ``prepared`` (an optional column) is skipped. Nulls
    follow Great Expectations: they fail only the not-null expectations (and a pair expectation when
    exactly one of the two values is missing).

    Parameters
    ----------
    prepared : pd.DataFrame or mapping of column name to array
        The incoming rows with the suite's derived columns.
    suite : Suite

    Returns
    -------
    dict of str to np.ndarray
        Quarantine reason -> boolean mask of the rows failing that expectation.
    """
    out: dict[str, np.ndarray] = {}
    for e in suite.expectations:
        if all(c in prepared for c in e.columns):
            out[e.reason] = _CHECKS[e.type](prepared, e.kwargs)
    return out


def assign_reasons(prepared: Mapping[str, Any], suite: Suite) -> np.ndarray:
    """The quarantine reason of each row: the first expectation it fails, in suite order.

    Parameters
    ----------
    prepared : pd.DataFrame
        The incoming rows with the suite's derived columns.
    suite : Suite

    Returns
    -------
    np.ndarray of int8
        Index into ``suite.reasons`` of each row's reason, ``-1`` for a valid row.
    """
    n = len(prepared) if isinstance(prepared, pd.DataFrame) else len(next(iter(prepared.values())))
    reason = np.full(n, -1, dtype=np.int8)
    fails = failing_rows(prepared, suite)
    for code, name in enumerate(suite.reasons):
        if name in fails:
            reason[(reason < 0) & fails[name]] = code
    return reason


def check_columns(df: pd.DataFrame, suite: Suite, source: str) -> None:
    """Refuse a whole input whose required columns are missing or of the wrong type.

    Parameters
    ----------
    df : pd.DataFrame
        The raw input, as read from its file.
    suite : Suite
    source : str
        Where the input came from, for the message.

    Raises
    ------
    ContractError
        Naming the missing column(s) and the columns found, or the column with the wrong type.
    """
    missing = [c for c in suite.required_columns if c not in df.columns]
    if missing:
        found = [str(c) for c in df.columns if c not in {LINE_COLUMN, MALFORMED_COLUMN}]
        raise ContractError(
            f"{source}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(found) or 'none'} "
            f"(the {suite.name} contract needs {', '.join(suite.required_columns)})"
        )
    for column, kind in suite.required_columns.items():
        col = df[column]
        if kind == "number" and not (
            pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        ):
            if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
                parsed = pd.to_numeric(col, errors="coerce")
                if col.notna().any() and parsed.notna().sum() == 0 and _has_text(col):
                    raise ContractError(
                        f"{source}: column {column} must hold numbers; none of its "
                        f"{int(col.notna().sum())} values is a number (e.g. {col.dropna().iloc[0]!r})"
                    )
            else:
                raise ContractError(f"{source}: column {column} must hold numbers, found {col.dtype}")
        if kind == "datetime" and not (
            pd.api.types.is_datetime64_any_dtype(col)
            or pd.api.types.is_object_dtype(col)
            or pd.api.types.is_string_dtype(col)
        ):
            raise ContractError(f"{source}: column {column} must hold timestamps, found {col.dtype}")


def _has_text(col: pd.Series) -> bool:
    """True when a column holds non-empty text that is not a spelling of NaN."""
    s = col.dropna().astype(str).str.strip().str.lower()
    return bool((~s.isin(["", "nan", "na", "null", "none"])).any())


#: An ISO 8601 timestamp: date, optional time (``T`` or a space; fractional seconds with ``.`` or ``,``)
#: and, after a time only, an optional UTC offset (``Z``, ``+02:00``, ``-0500``, ``+01``). Basic forms
#: (``20161030T023000Z``) are accepted too; the text is upper-cased first, so ``t`` and ``z`` are as well.
_ISO_8601 = (
    r"^\s*(?P<date>\d{4}-?\d{2}-?\d{2})"
    r"(?:[T ](?P<time>\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)"
    r"\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$"
)
#: ``24:00`` (``24:00:00``, ``24:00:00.000``): the end of the day, ISO 8601's way to write the next midnight.
_END_OF_DAY = r"^24(?::?00(?::?00(?:[.,]0+)?)?)?$"
_NS_PER_S = 1_000_000_000
_NAT = np.iinfo(np.int64).min  # NaT as int64


def parse_utc(values: pd.Series) -> pd.Series:
    """Parse timestamps to tz-aware UTC, row by row; unparseable values become NaT.

    Each row is read with its own UTC offset: ``Z``, ``+02:00``, ``-0500`` or ``+01`` are converted, a
    row without an offset is UTC (the file convention), whatever the rows around it hold. So a file that
    writes local time with its offsets crosses a daylight-saving change without a duplicate or a gap.
    Fractional seconds are kept to the nanosecond; ``T`` or a space separates date and time; ``24:00``
    is the next midnight. Text that is not an ISO 8601 date and time (with an offset only after a time),
    an impossible date (Feb 30), or an offset of 24 h or more becomes NaT.

    Vectorised: a column where every row has an offset (or none has) is parsed by Arrow in one pass;
    otherwise the offset is split off by one regular expression over the column (Arrow), the local
    times are parsed by pandas as one naive column, and the offsets (a handful of distinct ones) are
    subtracted as integer nanoseconds. About 0.02 s per million rows in the first case, 0.4 s in the
    second (``bench/bench_meter_file.py``).

    Parameters
    ----------
    values : pd.Series
        Strings (``None``/NaN for missing), datetimes, or objects whose ``str()`` is ISO 8601.

    Returns
    -------
    pd.Series
        ``datetime64[ns, UTC]``, same index as ``values``.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        return ts.astype("datetime64[ns, UTC]")
    ns = _iso_8601_ns(_as_arrow_text(values))
    return pd.Series(
        pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC"), index=values.index, name=values.name
    )


def _as_arrow_text(values: pd.Series) -> pa.Array:
    """A column as an Arrow string array (null where missing); non-text objects by their ``str()``."""
    objects = np.asarray(values, dtype=object)
    try:
        return pa.array(objects, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        missing = pd.isna(objects)
        text = [None if m else str(v) for v, m in zip(objects.tolist(), missing.tolist(), strict=True)]
        return pa.array(text, type=pa.large_string())


def _iso_8601_ns(text: pa.Array) -> np.ndarray:
    """UTC nanoseconds since 1970 of ISO 8601 text (see :func:`parse_utc`); NaT's integer where unreadable."""
    for uniform in (pa.timestamp("ns", "UTC"), pa.timestamp("ns")):
        try:  # every row with an offset, or every row without: Arrow's parser, 20x faster
            text.slice(0, 1000).cast(uniform)  # a failing cast is slow: try the first rows first
            parsed = text.cast(uniform)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return pc.fill_null(parsed.cast(pa.int64()), _NAT).to_numpy()
    parts = pc.extract_regex(pc.utf8_upper(text), _ISO_8601)
    date, time, offset = (parts.field(k) for k in ("date", "time", "offset"))
    time = pc.if_else(pc.equal(time, ""), pa.scalar(None, pa.large_string()), time)
    next_day = pc.fill_null(pc.match_substring_regex(time, _END_OF_DAY), False)
    if pc.any(next_day).as_py():
        time = pc.if_else(next_day, pa.scalar("00:00", pa.large_string()), time)
    time = pc.replace_substring(time, ",", ".")
    local = pc.binary_join_element_wise(date, time, pa.scalar("T", pa.large_string()), null_handling="skip")
    local = pc.if_else(pc.is_valid(parts), local, pa.scalar(None, pa.large_string()))
    parsed = pd.to_datetime(local.to_pandas(), format="ISO8601", errors="coerce")
    ns = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    ok = parsed.notna().to_numpy()
    ns[ok & next_day.to_numpy(zero_copy_only=False)] += 86_400 * _NS_PER_S
    encoded = pc.dictionary_encode(offset)  # the few distinct offsets, each computed once
    seconds = np.array([_offset_seconds(o) for o in encoded.dictionary.to_pylist()] + [0.0])
    index = encoded.indices.fill_null(len(seconds) - 1).to_numpy()  # no offset: UTC
    shift = seconds[index]
    ok &= np.isfinite(shift)
    out = np.full(len(ns), _NAT, dtype=np.int64)
    out[ok] = ns[ok] - (shift[ok] * _NS_PER_S).astype(np.int64)
    return out


def _offset_seconds(offset: str) -> float:
    """Seconds east of UTC of an ISO 8601 offset (``Z``, ``+02:00``, ``-0500``) [s]; NaN if not one."""
    if offset in {"", "Z"}:  # no offset (an unmatched group is empty): UTC
        return 0.0
    hours, minutes = int(offset[1:3]), int(offset[3:].lstrip(":") or 0)
    if hours > 23 or minutes > 59:
        return float("nan")
    return (1 if offset[0] == "+" else -1) * (hours * 3600.0 + minutes * 60.0)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse a numeric column; report which non-empty fields were not numbers.

    Parameters
    ----------
    values : pd.Series

    Returns
    -------
    parsed : pd.Series
        float64, NaN where missing or not a number.
    is_number : np.ndarray of bool
        False where a non-empty field could not be read as a number.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), np.ones(len(values), dtype=bool)
    parsed = pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.astype("string").str.strip().str.lower()
    empty = values.isna() | text.isin(["", "nan", "na", "null", "none"]).fillna(True)
    return parsed, (parsed.notna() | empty).to_numpy()


def duplicate_flags(
    keys: list[np.ndarray], value: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Find exact duplicate rows and conflicting readings of the same key.

    A hash of a combined integer key finds the rows sharing a key; only those (usually none or a
    handful) are sorted and grouped, so a clean batch costs one pass.

    Parameters
    ----------
    keys : list of np.ndarray
        Integer key columns (e.g. meter code and timestamp in ns), one array per column.
    value : np.ndarray
        The reading (float).
    usable : np.ndarray of bool
        Rows to consider (parsed key and value); other rows get copy 0 and no conflict.

    Returns
    -------
    duplicate_copy : np.ndarray of int64
        0 for the first occurrence of an identical (key, value) row, 1, 2, ... for later copies.
    conflicting : np.ndarray of bool
        True for every first-occurrence row whose key also carries a different value.
    """
    n = len(value)
    copy = np.zeros(n, dtype=np.int64)
    conflict = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return copy, conflict
    combined = np.zeros(idx.size, dtype=np.int64)
    span = 1
    for k in keys:
        part = k[idx]
        low, high = int(part.min()), int(part.max())
        if part.dtype.kind in "iu" and high - low < 1 << 24:
            codes, size = part.astype(np.int64) - low, high - low + 1  # already small codes
        else:
            codes, uniques = pd.factorize(part)
            size = len(uniques)
        combined = combined * size + codes
        span *= size
    if span <= max(8 * idx.size, 1 << 20):  # dense key: count with an array, no hashing or sorting
        shared = np.bincount(combined, minlength=span)[combined] > 1
    else:
        shared = pd.Index(combined).duplicated(keep=False)
    if not shared.any():
        return copy, conflict
    sub = idx[shared]
    k, v = combined[shared], value[sub]
    by = np.lexsort((v, k))  # stable: equal rows keep input order, so the first copy comes first
    ks, vs = k[by], v[by]
    same_row = np.r_[False, (ks[1:] == ks[:-1]) & (vs[1:] == vs[:-1])]
    run_start = np.flatnonzero(~same_row)
    run_id = np.cumsum(~same_row) - 1
    copy[sub[by]] = np.arange(by.size) - run_start[run_id]
    firsts = by[~same_row]  # one row per distinct (key, value), sorted by key
    kf = k[firsts]
    multi = np.r_[kf[1:] == kf[:-1], False] | np.r_[False, kf[1:] == kf[:-1]]
    conflict[sub[firsts[multi]]] = True
    return copy, conflict
