"""Renewable data files: reading and checking the long-format CSV files of solar and wind data.

The file I/O of the renewable forecasters (their compute modules take frames): :func:`read_solar` and
:func:`read_wind` read a file into :class:`~gridcore.forecast.solar.SolarData` and
:class:`~gridcore.forecast.wind.WindData` (through :func:`gridcore.forecast.solar.solar_data` and
:func:`gridcore.forecast.wind.wind_data`); :func:`read_table` checks a file's columns, numbers and UTC times
and :func:`check_unique` its keys; :func:`detect_kind` tells the two formats apart by the header.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast import solar, wind

_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def read_table(
    path: object,
    required: tuple[str, ...],
    optional: list[str] | tuple[str, ...],
    time_columns: tuple[str, ...],
    id_column: str,
    kind: str,
) -> pd.DataFrame:
    """Read and check a long-format renewable CSV file.

    Parameters
    ----------
    path : str, Path or file-like
        CSV, gzip allowed.
    required : tuple of str
        Columns that must be present.
    optional : sequence of str
        Columns read when present.
    time_columns : tuple of str
        ISO 8601 columns with a UTC offset (``Z``); empty cells allowed except in ``timestamp``.
    id_column : str
        Series id column (site, farm), read as text.
    kind : str
        ``solar`` or ``wind``, for messages.

    Returns
    -------
    pd.DataFrame
        The required and present optional columns: times tz-aware UTC, the id as text, the rest float.

    Raises
    ------
    ValueError
        Naming the missing column, or the column, file row and value that is not a number or not a UTC
        time, or the first duplicated row.
    """
    try:
        raw = pd.read_csv(path, dtype={c: str for c in (*time_columns, id_column)}, keep_default_na=True)
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{kind} file {path}: not a readable CSV ({err})") from None
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise InputError(
            f"{kind} file {path}: missing column {', '.join(missing)} (a {kind} file has "
            f"{', '.join(required)}{' and ' + ', '.join(optional) if optional else ''})",
            field=missing[0],
        )
    if raw.empty:
        raise InputError(f"{kind} file {path}: no rows")
    cols = [c for c in (*required, *optional) if c in raw.columns]
    out = pd.DataFrame(index=raw.index)
    for c in cols:
        text = raw[c]
        if c in time_columns:
            out[c] = _utc_column(text, c, kind, allow_empty=c != "timestamp")
        elif c == id_column:
            empty = text.isna() | (text.str.strip() == "")
            if empty.any():
                raise InputError(f"{kind} file: {c} is empty at row {_row(empty)}", field=c, row=_row(empty))
            out[c] = text.str.strip()
        else:
            values = pd.to_numeric(text, errors="coerce")
            bad = values.isna() & text.notna()
            if bad.any():
                r = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(
                    f"{kind} file: {c} is not a number at row {r + 2}: {text.iloc[r]!r}", field=c, row=r + 2
                )
            out[c] = values.astype(float)
    return out


def _row(mask: pd.Series) -> int:
    """File row (1 = header) of the first true entry."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def _utc_column(text: pd.Series, name: str, kind: str, allow_empty: bool) -> pd.Series:
    """Parse an ISO 8601 column that must carry a UTC offset."""
    empty = text.isna() | (text.str.strip() == "")
    if empty.any() and not allow_empty:
        raise InputError(f"{kind} file: {name} is empty at row {_row(empty)}", field=name, row=_row(empty))
    filled = text[~empty].str.strip()
    naive = ~filled.str.contains(_OFFSET)
    if naive.any():
        r = int(filled.index[np.flatnonzero(naive.to_numpy())[0]])
        raise InputError(
            f"{kind} file: {name} at row {r + 2} ({text.iloc[r]!r}) has no UTC offset; write it as ...Z",
            field=name,
            row=r + 2,
        )
    parsed = pd.to_datetime(filled, utc=True, errors="coerce", format="ISO8601")
    if parsed.isna().any():
        r = int(parsed.index[np.flatnonzero(parsed.isna().to_numpy())[0]])
        raise InputError(
            f"{kind} file: {name} at row {r + 2} is not an ISO 8601 time: {text.iloc[r]!r}",
            field=name,
            row=r + 2,
        )
    return parsed.reindex(text.index)


def check_unique(frame: pd.DataFrame, key: list[str], kind: str) -> None:
    """Raise ``ValueError`` naming the first row whose ``key`` repeats an earlier row."""
    dup = frame.duplicated(key)
    if dup.any():
        r = int(np.flatnonzero(dup.to_numpy())[0])
        values = ", ".join(f"{k}={frame[k].iloc[r]}" for k in key)
        raise InputError(
            f"{kind} file: duplicated row {r + 2} ({values})", row=r + 2, element=str(frame[key[0]].iloc[r])
        )


def detect_kind(path: object) -> str:
    """``solar`` or ``wind`` from a file's header.

    Solar has ``site`` or ``ssrd_j_m2_acc``; wind has ``farm`` and ``issue_time``.

    Raises
    ------
    ValueError
        When the header fits neither format.
    """
    try:
        columns = set(pd.read_csv(path, nrows=0).columns)
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"renewable file {path}: not a readable CSV ({err})") from None
    finally:
        if hasattr(path, "seek"):
            path.seek(0)
    if {"farm", "issue_time"} <= columns:
        return "wind"
    if "site" in columns or "ssrd_j_m2_acc" in columns:
        return "solar"
    raise InputError(
        f"renewable file {path}: neither solar (columns site, ssrd_j_m2_acc) nor wind (farm, issue_time); "
        "give the kind"
    )


def read_solar(path: object) -> solar.SolarData:
    """Read a solar power + weather-forecast file in the GEFCom2014 long format.

    Parameters
    ----------
    path : str, Path or file-like
        CSV (``.gz`` allowed): ``timestamp`` (ISO 8601 UTC, interval start), ``site``, ``power``
        [normalised to capacity], ``ssrd_j_m2_acc`` [J m-2 accumulated since 00 UTC] and optionally the
        other fields of :data:`gridcore.forecast.solar.ACCUMULATED` and
        :data:`gridcore.forecast.solar.INSTANTANEOUS`.

    Returns
    -------
    SolarData

    Raises
    ------
    ValueError
        Naming the column (and the row) that is missing, not a number, not a UTC time, or duplicated.
    """
    optional = [c for c in (*solar.ACCUMULATED, *solar.INSTANTANEOUS) if c not in solar.REQUIRED]
    raw = read_table(path, solar.REQUIRED, optional, ("timestamp",), "site", "solar")
    check_unique(raw, ["site", "timestamp"], "solar")
    return solar.solar_data(raw, str(path))


def read_wind(path: object) -> wind.WindData:
    """Read a wind power + issued-forecast file in the GEFCom2012 long format.

    Parameters
    ----------
    path : str, Path or file-like
        CSV (``.gz`` allowed): ``timestamp`` (ISO 8601 UTC, interval start of the power hour), ``farm``,
        ``power`` [normalised to capacity], ``issue_time`` (ISO 8601 UTC; empty for an hour without
        forecast), ``horizon_h`` [h] (valid at ``issue_time + horizon_h = timestamp + 1 h``) and wind
        components ``u<height>``, ``v<height>`` [m s-1]. Other columns are ignored.

    Returns
    -------
    WindData

    Raises
    ------
    ValueError
        Naming the missing column, or the column and row that is not a number or a UTC time, a row whose
        ``horizon_h`` does not match its times, or a duplicated (farm, timestamp, issue_time).
    """
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"wind file {path}: not a readable CSV ({err})") from None
    if hasattr(path, "seek"):
        path.seek(0)
    heights = wind.wind_heights(header)
    if not heights and all(c in header for c in wind.REQUIRED):
        raise InputError(
            f"wind file {path}: missing column u and v (wind components, or u<height>/v<height>)", field="u"
        )
    comps = [f"{c}{h}" for h in heights for c in ("u", "v")]
    raw = read_table(path, wind.REQUIRED, comps, ("timestamp", "issue_time"), "farm", "wind")
    check_unique(raw, ["farm", "timestamp", "issue_time"], "wind")
    return wind.wind_data(raw, heights, str(path))
