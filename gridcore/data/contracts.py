"""Incoming-data contracts: derived columns, validation against a suite, quarantine records.

A :class:`Contract` says which column identifies the source (meter, sensor, station), which column holds
the value, which registry the ids must be in and which per-source bounds apply, and on what time grid
the timestamps must fall. :func:`validate` prepares the derived columns its suite checks and enforces the
suite (see :mod:`gridcore.data.validation`): every incoming row ends up either valid or in the quarantine
with its reason, so ``readings_in = readings_valid + quarantined``. Identical retransmissions keep their
first copy; conflicting values of one source and time are all quarantined, since none can be trusted over
the others. Out-of-order rows are valid; they are counted, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridcore.data.validation import (
    LINE_COLUMN,
    MALFORMED_COLUMN,
    Suite,
    assign_reasons,
    check_columns,
    duplicate_flags,
    load_suite,
    parse_numbers,
    parse_utc,
)

#: The longest malformed line a quarantine record keeps [characters]; a longer one is cut and ends in "…".
MALFORMED_TEXT_MAX = 240


@dataclass(frozen=True)
class Contract:
    """What an incoming stream must satisfy, beyond its suite's fixed bounds.

    Attributes
    ----------
    suite : str
        Suite name in ``expectations/``.
    id_column : str
        Column naming the source (``meter_id``, ``sensor_id``, ``station_id``).
    value_column : str
        Column holding the value (``kwh``, ``value``, ``temperature_c``).
    registry : pd.DataFrame, optional
        Known sources (index = ids) with per-source bound columns; None when any id is accepted.
    known_column : str, optional
        Derived column that is true for registered ids (``meter_known``).
    bound_columns : tuple of str
        Registry columns copied onto each row (``kwh_max``; ``value_min``, ``value_max``).
    grid : pd.Timedelta, optional
        The timestamps' grid (15 min for meters, 1 h for weather); None for none.
    """

    suite: str
    id_column: str
    value_column: str
    registry: pd.DataFrame | None = None
    known_column: str | None = None
    bound_columns: tuple[str, ...] = ()
    grid: pd.Timedelta | None = None


@dataclass
class ValidationResult:
    """The outcome of validating one batch.

    Attributes
    ----------
    valid : pd.DataFrame
        ``code`` (position of the source in the registry, -1 without one), ``timestamp`` (UTC as naive
        ``datetime64[ns]``) and the value column, in input order.
    quarantine : pd.DataFrame
        One row per refused row: ``row`` (position in the input), ``line`` (line number in the file,
        -1 for an input without lines), ``id``, ``timestamp`` and ``reading`` as received (text),
        ``reason``, ``expectation`` (the suite's expectation type and column), ``value`` (the offending
        field as received; the whole line for a malformed row).
    readings_in : int
    out_of_order : int
        Valid rows that arrived after a later time of the same source.
    reasons : list of str
        The suite's reasons, in priority order.
    contract : str
        The suite name.
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    readings_in: int
    out_of_order: int = 0
    reasons: list[str] = field(default_factory=list)
    contract: str = ""

    @property
    def readings_valid(self) -> int:
        """Number of valid rows."""
        return len(self.valid)

    @property
    def quarantined(self) -> dict[str, int]:
        """Quarantined rows per reason (reasons with none left out)."""
        counts = self.quarantine["reason"].value_counts()
        return {r: int(counts[r]) for r in self.reasons if r in counts.index}


def prepare(
    raw: pd.DataFrame,
    contract: Contract,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
    suite: Suite | None = None,
) -> pd.DataFrame:
    """Add the derived columns a contract's suite checks (as a frame; see :func:`prepare_columns`)."""
    return pd.DataFrame(prepare_columns(raw, contract, now, as_of, source, suite), index=raw.index)


def prepare_columns(
    raw: pd.DataFrame,
    contract: Contract,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
    suite: Suite | None = None,
) -> dict[str, Any]:
    """Add the derived columns a contract's suite checks.

    Parameters
    ----------
    raw : pd.DataFrame
        The input as received.
    contract : Contract
    now : pd.Timestamp
        Time of the run (UTC): later timestamps are in the future. For an hourly run, the end of its hour.
    as_of : pd.Timestamp, optional
        Reference for staleness (UTC): rows more than the suite's limit before it are stale. By default
        the newest parseable timestamp not after ``now`` (the input's own "as of" time).
    source : str
        Name of the input, for error messages.
    suite : Suite, optional
        The suite; ``expectations/<contract.suite>.json`` by default.

    Returns
    -------
    dict of str to array
        ``row_wellformed`` (false for a row a file reader could not split into fields, see
        :data:`~gridcore.data.validation.MALFORMED_COLUMN`), the id and value columns,
        ``timestamp_utc`` (UTC as naive ``datetime64[ns]``, NaT when unparseable), ``code`` and the
        derived columns named in the suite.

    Raises
    ------
    ContractError
        When a required column is missing or holds no value of its type.
    """
    suite = suite or load_suite(contract.suite)
    check_columns(raw, suite, source)
    ids = raw[contract.id_column]
    registry = contract.registry
    if registry is None:
        code = pd.factorize(ids.astype(str))[0].astype(np.int64)
    elif isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.equals(registry.index):
        code = ids.cat.codes.to_numpy().astype(np.int64)
    else:
        code = registry.index.get_indexer(ids.astype(str).str.strip()).astype(np.int64)
    ts = parse_utc(raw["timestamp"])
    value, value_ok = parse_numbers(raw[contract.value_column])
    naive = ts.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    ns = naive.view(np.int64)
    has_ts = ts.notna().to_numpy()
    v = value.to_numpy()
    known = code >= 0
    wellformed = (
        raw[MALFORMED_COLUMN].isna().to_numpy() if MALFORMED_COLUMN in raw else np.ones(len(raw), bool)
    )
    usable = has_ts & np.isfinite(v) & known & wellformed
    time_key = ns
    if contract.grid is not None and usable.any():
        step = contract.grid.value
        on_grid = ns[usable] % step == 0
        if on_grid.all():  # the usual case: steps since the first reading are small dense codes
            time_key = (ns - ns[usable].min()) // step
    copy, conflicting = duplicate_flags([code, time_key], v, usable)
    now_ns = pd.Timestamp(now).tz_convert("UTC").value
    if as_of is not None:
        as_of_ns = pd.Timestamp(as_of).tz_convert("UTC").value
    else:
        current = ns[has_ts & (ns <= now_ns)]
        as_of_ns = int(current.max()) if current.size else now_ns
    out = {
        "row_wellformed": wellformed,
        contract.id_column: ids,
        "timestamp_utc": naive,
        contract.value_column: v,
        "code": code,
        f"{contract.value_column}_parsed": value_ok,
        "duplicate_copy": copy,
        "conflicting": conflicting,
        "seconds_after_now": np.where(has_ts, (ns - now_ns) / 1e9, np.nan),
        "hours_before_as_of": np.where(has_ts, (as_of_ns - ns) / 3.6e12, np.nan),
    }
    if contract.known_column:
        out[contract.known_column] = known
    if contract.grid is not None:  # exact to the nanosecond: 00:00:00.001 is off the grid
        out["seconds_off_grid"] = np.where(has_ts, (ns % contract.grid.value) / 1e9, np.nan)
    for column in contract.bound_columns:
        out[column] = np.where(known, registry[column].to_numpy(dtype=float)[np.maximum(code, 0)], np.nan)
    for column in raw.columns:
        if column not in out and column != "timestamp" and pd.api.types.is_numeric_dtype(raw[column]):
            out[column] = raw[column].to_numpy()
    return out


def validate(
    raw: pd.DataFrame,
    contract: Contract,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
    suite: Suite | None = None,
) -> ValidationResult:
    """Validate an input against its contract.

    Parameters
    ----------
    raw : pd.DataFrame
        The input as received.
    contract : Contract
    now : pd.Timestamp
        Time of the run (UTC); later rows are in the future.
    as_of : pd.Timestamp, optional
        Reference for staleness (UTC); see :func:`prepare`.
    source : str
        Name of the input, for messages.
    suite : Suite, optional
        The suite; ``expectations/<contract.suite>.json`` by default.

    Returns
    -------
    ValidationResult

    Raises
    ------
    ContractError
        When the input as a whole breaks the contract (missing column, wrong type).
    """
    suite = suite or load_suite(contract.suite)
    prepared = prepare_columns(raw, contract, now, as_of, source, suite)
    reason = assign_reasons(prepared, suite)
    ok = reason < 0
    code = prepared["code"][ok]
    when = prepared["timestamp_utc"][ok]
    value = prepared[contract.value_column][ok]
    out_of_order = _count_out_of_order(code, when)
    valid = pd.DataFrame({"code": code, "timestamp": when, contract.value_column: value})
    quarantine = quarantine_records(raw, reason, np.flatnonzero(~ok), suite, contract)
    return ValidationResult(valid, quarantine, len(raw), out_of_order, suite.reasons, contract.suite)


def _count_out_of_order(code: np.ndarray, when: np.ndarray) -> int:
    """Rows that arrive after a later time of the same source (input order)."""
    if code.size == 0:
        return 0
    t = when.view(np.int64)
    if code.min() >= 0 and np.all(code[1:] >= code[:-1]):  # grouped by source: compare neighbours
        same = code[1:] == code[:-1]
        if not (same & (t[1:] < t[:-1])).any():
            return 0
    running = pd.Series(t).groupby(code, sort=False).cummax().to_numpy()
    return int((t < running).sum())


def quarantine_records(
    raw: pd.DataFrame, reason: np.ndarray, rows: np.ndarray, suite: Suite, contract: Contract
) -> pd.DataFrame:
    """Quarantine records for the refused rows, with the fields as received.

    Parameters
    ----------
    raw : pd.DataFrame
        The input as received.
    reason : np.ndarray
        Reason code per row (index into ``suite.reasons``), -1 for valid rows.
    rows : np.ndarray
        Positions of the refused rows.
    suite : Suite
    contract : Contract

    Returns
    -------
    pd.DataFrame
        ``row``, ``line`` (line number in the file, -1 for an input without lines), ``id``,
        ``timestamp``, ``reading``, ``reason``, ``expectation``, ``value`` (for a malformed row, the
        line as written, cut after :data:`MALFORMED_TEXT_MAX` characters).
    """
    reasons = np.asarray(suite.reasons, dtype=object)
    expectations = np.asarray([f"{e.type}({', '.join(e.columns)})" for e in suite.expectations], dtype=object)
    sub = raw.iloc[rows]
    text = {
        "id": _as_text(sub[contract.id_column]),
        "timestamp": _as_text(sub["timestamp"]),
        "reading": _as_text(sub[contract.value_column]),
    }
    field_of = {e.reason: _raw_field(e.columns[-1], contract) for e in suite.expectations}
    codes = reason[rows]
    value = np.empty(len(rows), dtype=object)
    for code in np.unique(codes):
        sel = codes == code
        column = field_of[reasons[code]]
        value[sel] = text[column][sel] if column in text else _as_text(sub[column])[sel]
        if column == MALFORMED_COLUMN:
            value[sel] = [
                t if len(t) <= MALFORMED_TEXT_MAX else t[:MALFORMED_TEXT_MAX] + "…" for t in value[sel]
            ]
    line = raw[LINE_COLUMN].to_numpy()[rows] if LINE_COLUMN in raw else np.full(len(rows), -1)
    return pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "line": line.astype(np.int64),
            **text,
            "reason": reasons[codes] if len(rows) else np.empty(0, dtype=object),
            "expectation": expectations[codes] if len(rows) else np.empty(0, dtype=object),
            "value": value,
        }
    )


def _raw_field(column: str, contract: Contract) -> str:
    """The received field an expectation's derived column comes from."""
    if column == "row_wellformed":
        return MALFORMED_COLUMN
    if column == contract.known_column:
        return "id"
    if column in {"timestamp_utc", "seconds_off_grid", "seconds_after_now", "hours_before_as_of"}:
        return "timestamp"
    if column.startswith(contract.value_column) or column in contract.bound_columns:
        return "reading"
    if column in {"duplicate_copy", "conflicting"}:
        return "reading"
    return column


def _as_text(values: pd.Series) -> np.ndarray:
    """Fields as text, as a person would read them in the file ('' for empty)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        naive = values.dt.tz_convert(None) if values.dt.tz is not None else values
        text = np.char.add(np.datetime_as_string(naive.to_numpy(dtype="datetime64[s]"), unit="s"), "Z")
        return np.where(naive.isna().to_numpy(), "", text).astype(object)
    return values.astype("string").fillna("").to_numpy(dtype=object)


def valid_on_grid(
    result: ValidationResult, value_column: str, n_sources: int, times: pd.DatetimeIndex
) -> np.ndarray:
    """Valid values as a source x time array (NaN where no valid value).

    Parameters
    ----------
    result : ValidationResult
    value_column : str
        Column of ``result.valid`` to place.
    n_sources : int
        Rows of the array (registry size).
    times : pd.DatetimeIndex
        UTC times of the columns, matched exactly against ``result.valid["timestamp"]``.

    Returns
    -------
    np.ndarray
        float64, ``(n_sources, len(times))``.
    """
    out = np.full((n_sources, len(times)), np.nan)
    t = pd.Index(times.tz_convert(None).as_unit("ns")).get_indexer(result.valid["timestamp"].to_numpy())
    keep = t >= 0
    out[result.valid["code"].to_numpy()[keep], t[keep]] = result.valid[value_column].to_numpy()[keep]
    return out


def combine_results(results: list[ValidationResult]) -> ValidationResult:
    """Combine the results of consecutive blocks of one input into one.

    Quarantine ``row`` numbers are shifted to positions in the concatenated input.

    Parameters
    ----------
    results : list of ValidationResult
        In input order; blocks hold disjoint sources.

    Returns
    -------
    ValidationResult
    """
    offsets = np.cumsum([0] + [r.readings_in for r in results[:-1]])
    quarantine = pd.concat(
        [r.quarantine.assign(row=r.quarantine["row"] + off) for r, off in zip(results, offsets, strict=True)],
        ignore_index=True,
    )
    valid = pd.concat([r.valid for r in results], ignore_index=True)
    return ValidationResult(
        valid,
        quarantine,
        sum(r.readings_in for r in results),
        sum(r.out_of_order for r in results),
        results[0].reasons,
        results[0].contract,
    )
