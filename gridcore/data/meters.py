"""Meter readings: the AMI contract, its derived columns, validation and quarantine records.

Readings arrive as ``meter_id``, ``timestamp`` (end of the 15-minute interval), ``kwh`` (energy in the
interval). :func:`validate_readings` enforces the ``meter_readings`` suite: every incoming row ends up
either valid or in the quarantine with its reason, so ``readings_in = readings_valid + quarantined``.
Identical retransmissions keep their first copy; conflicting values of one meter and interval are all
quarantined, since none can be trusted over the others. Out-of-order rows are valid; they are counted
and sorted, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.data.validation import (
    Suite,
    assign_reasons,
    check_columns,
    duplicate_flags,
    load_suite,
    parse_numbers,
    parse_utc,
)

QUARTER_NS = 15 * 60 * 1_000_000_000


@dataclass
class ValidationResult:
    """The outcome of validating one batch of readings.

    Attributes
    ----------
    valid : pd.DataFrame
        ``code`` (meter position in the fleet, int), ``end`` (end of interval, UTC as naive
        ``datetime64[ns]``), ``kwh`` [kWh],
        sorted by ``end`` then ``code``.
    quarantine : pd.DataFrame
        One row per refused reading: ``row`` (position in the input), ``meter_id``, ``timestamp`` and
        ``kwh`` as received (text), ``reason``, ``expectation`` (the suite's expectation type and column),
        ``value`` (the offending field as received).
    readings_in : int
    out_of_order : int
        Valid readings that arrived earlier in the input than a later interval of the same meter.
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    readings_in: int
    out_of_order: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def readings_valid(self) -> int:
        """Number of valid readings."""
        return len(self.valid)

    @property
    def quarantined(self) -> dict[str, int]:
        """Quarantined readings per reason (reasons with none left out)."""
        counts = self.quarantine["reason"].value_counts()
        return {r: int(counts[r]) for r in self.reasons if r in counts.index}


def prepare_readings(
    raw: pd.DataFrame,
    fleet: pd.DataFrame,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
    suite: Suite | None = None,
) -> pd.DataFrame:
    """Add the derived columns the ``meter_readings`` suite checks.

    Parameters
    ----------
    raw : pd.DataFrame
        ``meter_id``, ``timestamp``, ``kwh`` as received.
    fleet : pd.DataFrame
        The meter fleet (index ``meter_id``, columns ``kwh_max``).
    now : pd.Timestamp
        Time of the run (UTC): later timestamps are in the future. For an hourly run, the end of its hour.
    as_of : pd.Timestamp, optional
        Reference for staleness (UTC): readings more than the suite's limit before it are stale. By
        default the newest parseable timestamp not after ``now`` (the file's own "as of" time).
    source : str
        Name of the input, for error messages.
    suite : Suite, optional
        The suite; ``expectations/meter_readings.json`` by default.

    Returns
    -------
    pd.DataFrame
        ``meter_id``, ``timestamp_utc``, ``kwh`` (float), ``code`` (fleet position, -1 if unknown) and the
        derived columns named in the suite.

    Raises
    ------
    ContractError
        When a required column is missing or holds no value of its type.
    """
    suite = suite or load_suite("meter_readings")
    check_columns(raw, suite, source)
    meter = raw["meter_id"]
    if isinstance(meter.dtype, pd.CategoricalDtype) and meter.cat.categories.equals(fleet.index):
        code = meter.cat.codes.to_numpy().astype(np.int64)
    else:
        code = fleet.index.get_indexer(meter.astype(str).str.strip()).astype(np.int64)
    ts = parse_utc(raw["timestamp"])
    kwh, kwh_ok = parse_numbers(raw["kwh"])
    naive = ts.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    ns = naive.view(np.int64)
    has_ts = ts.notna().to_numpy()
    kwh_v = kwh.to_numpy()
    usable = has_ts & np.isfinite(kwh_v) & (code >= 0)
    copy, conflicting = duplicate_flags([code, ns], kwh_v, usable)
    now_ns = pd.Timestamp(now).tz_convert("UTC").value
    if as_of is not None:
        as_of_ns = pd.Timestamp(as_of).tz_convert("UTC").value
    else:
        current = ns[has_ts & (ns <= now_ns)]
        as_of_ns = int(current.max()) if current.size else now_ns
    known = code >= 0
    return pd.DataFrame(
        {
            "meter_id": meter,
            "timestamp_utc": ts,
            "kwh": kwh_v,
            "code": code,
            "kwh_parsed": kwh_ok,
            "meter_known": known,
            "duplicate_copy": copy,
            "conflicting": conflicting,
            "seconds_off_grid": np.where(has_ts, ns % QUARTER_NS // 1_000_000_000, np.nan),
            "seconds_after_now": np.where(has_ts, (ns - now_ns) / 1e9, np.nan),
            "hours_before_as_of": np.where(has_ts, (as_of_ns - ns) / 3.6e12, np.nan),
            "kwh_max": np.where(known, fleet["kwh_max"].to_numpy()[np.maximum(code, 0)], np.nan),
        },
        index=raw.index,
    )


def validate_readings(
    raw: pd.DataFrame,
    fleet: pd.DataFrame,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "input",
    suite: Suite | None = None,
) -> ValidationResult:
    """Validate meter readings against the ``meter_readings`` suite.

    Parameters
    ----------
    raw : pd.DataFrame
        ``meter_id``, ``timestamp`` (end of interval), ``kwh`` [kWh] as received.
    fleet : pd.DataFrame
        The meter fleet.
    now : pd.Timestamp
        Time of the run (UTC); later readings are in the future.
    as_of : pd.Timestamp, optional
        Reference for staleness (UTC); see :func:`prepare_readings`.
    source : str
        Name of the input, for messages.
    suite : Suite, optional
        The suite; ``expectations/meter_readings.json`` by default.

    Returns
    -------
    ValidationResult

    Raises
    ------
    ContractError
        When the input as a whole breaks the contract (missing column, wrong type).
    """
    suite = suite or load_suite("meter_readings")
    prepared = prepare_readings(raw, fleet, now, as_of, source, suite)
    reason = assign_reasons(prepared, suite)
    ok = reason < 0
    valid = pd.DataFrame(
        {
            "code": prepared["code"].to_numpy()[ok],
            "end": prepared["timestamp_utc"].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")[ok],
            "kwh": prepared["kwh"].to_numpy()[ok],
        }
    )
    out_of_order = _count_out_of_order(valid)
    valid = valid.sort_values(["end", "code"], kind="stable", ignore_index=True)
    bad = np.flatnonzero(~ok)
    quarantine = quarantine_records(raw, reason, bad, suite)
    return ValidationResult(valid, quarantine, len(raw), out_of_order, suite.reasons)


def _count_out_of_order(valid: pd.DataFrame) -> int:
    """Readings that arrive after a later interval of the same meter."""
    if valid.empty:
        return 0
    end = valid["end"].to_numpy().view(np.int64)
    running = pd.Series(end).groupby(valid["code"].to_numpy(), sort=False).cummax().to_numpy()
    return int((end < running).sum())


def quarantine_records(
    raw: pd.DataFrame,
    reason: np.ndarray,
    rows: np.ndarray,
    suite: Suite,
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

    Returns
    -------
    pd.DataFrame
        ``row``, ``meter_id``, ``timestamp``, ``kwh``, ``reason``, ``expectation``, ``value``.
    """
    reasons = np.asarray(suite.reasons, dtype=object)
    expectations = np.asarray([f"{e.type}({', '.join(e.columns)})" for e in suite.expectations], dtype=object)
    field_of = {e.reason: _raw_field(e.columns[-1]) for e in suite.expectations}
    sub = raw.iloc[rows]
    text = {c: _as_text(sub[c]) for c in ("meter_id", "timestamp", "kwh")}
    codes = reason[rows]
    value = np.empty(len(rows), dtype=object)
    for code in np.unique(codes):
        sel = codes == code
        value[sel] = text[field_of[reasons[code]]][sel]
    return pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "meter_id": text["meter_id"],
            "timestamp": text["timestamp"],
            "kwh": text["kwh"],
            "reason": reasons[codes] if len(rows) else np.empty(0, dtype=object),
            "expectation": expectations[codes] if len(rows) else np.empty(0, dtype=object),
            "value": value,
        }
    )


def _raw_field(column: str) -> str:
    """The received field an expectation's column derives from."""
    if column.startswith("kwh"):
        return "kwh"
    if column in {"meter_known"}:
        return "meter_id"
    return "timestamp" if column != "duplicate_copy" and column != "conflicting" else "kwh"


def _as_text(values: pd.Series) -> np.ndarray:
    """Fields as text, as a person would read them in the file ('' for empty)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        out = values.astype("string")
    return out.fillna("").to_numpy(dtype=object)


def combine_results(results: list[ValidationResult]) -> ValidationResult:
    """Combine the results of consecutive blocks of one feed into one.

    Quarantine ``row`` numbers are shifted to positions in the concatenated feed.

    Parameters
    ----------
    results : list of ValidationResult
        In feed order; blocks hold disjoint meters.

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
    valid = valid.sort_values(["end", "code"], kind="stable", ignore_index=True)
    return ValidationResult(
        valid,
        quarantine,
        sum(r.readings_in for r in results),
        sum(r.out_of_order for r in results),
        results[0].reasons,
    )
