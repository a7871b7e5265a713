"""Checks of command and flow inputs: times with a UTC offset, input files, the store folder.

Standard library only at import (pandas only once a time is read), so a command checks its arguments
before it starts Prefect; the flows run the same checks on the parameters a deployment run receives
(from the UI or the API). A failed check raises :class:`InputError` with one line that names the option
or field.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from gridcore.errors import InputError

if TYPE_CHECKING:
    import pandas as pd  # a small module: no pandas, no Prefect

__all__ = ["InputError", "default_store_path", "input_file", "store_folder", "utc_time"]

#: How a time is written: ISO 8601 with an offset, the example shown in every message.
TIME_EXAMPLE = "2016-07-01T14:00Z"
#: ISO 8601 date and time with an offset.
TIME_PATTERN = (
    r"^\s*\d{4}-?\d{2}-?\d{2}[T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?"
    r"(Z|z|[+-]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)\s*$"
)
_TIME = re.compile(TIME_PATTERN)


def utc_time(value: str, name: str = "time") -> pd.Timestamp:
    """Parse an ISO 8601 date and time that carries its offset (``Z`` or ``+00:00``), as UTC.

    Read by :func:`gridcore.times.to_utc` (pandas is imported here, when a time is given), then held
    to a calendar date with a time of day (:data:`TIME_PATTERN`), as options and parameters are written.

    Parameters
    ----------
    value : str
        The text, e.g. ``2016-07-01T14:00Z``.
    name : str
        The option or parameter, for the message and the error's ``field`` (``--at``, ``start``; empty:
        none).

    Returns
    -------
    pandas.Timestamp
        Tz-aware UTC (a ``datetime``).

    Raises
    ------
    InputError
        When the text is not ISO 8601, has no offset (a naive time is an error, not a guess), or is not a
        date with a time of day.
    """
    from gridcore.times import to_utc

    when = to_utc(value, name, naive="error")
    if not _TIME.match(str(value)):
        label = f"{name} {value!r}" if name else repr(value)
        message = f"{label} is not an ISO 8601 date and time (e.g. {TIME_EXAMPLE})"
        raise InputError(message, field=name or None)
    return when


def input_file(path: str | Path, name: str = "file") -> Path:
    """Check that an input file exists, is a file and can be read.

    Raises
    ------
    InputError
        Naming ``name`` and the path.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{name} {p}: no such file")
    if p.is_dir():
        raise InputError(f"{name} {p}: is a folder, not a file")
    try:
        with p.open("rb") as f:
            f.read(1)
    except OSError as err:
        raise InputError(f"{name} {p}: cannot be read ({err.strerror or err})") from None
    return p


def store_folder(path: str | Path, name: str = "--store") -> Path:
    """Check that the store is a writable folder, or a folder that can be created.

    Nothing is created here (the first write creates the folder).

    Raises
    ------
    InputError
        When the path is a file, a read-only folder, or below a file or a read-only folder.
    """
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise InputError(f"{name} {p}: is a file, not a folder")
        if not _writable(p):
            raise InputError(f"{name} {p}: the folder is read-only")
        return p
    parent = next((a for a in p.absolute().parents if a.exists()), None)
    if parent is None or not parent.is_dir():
        raise InputError(f"{name} {p}: cannot be created ({parent} is a file, not a folder)")
    if not _writable(parent):
        raise InputError(f"{name} {p}: cannot be created ({parent} is read-only)")
    return p


def default_store_path() -> str:
    """The store of a command without ``--store``: GRIDFLOW_STORE, else ./gridflow-store."""
    return os.environ.get("GRIDFLOW_STORE") or "gridflow-store"


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder``.

    A folder without any write permission bit counts as read-only even for root (who could write
    anyway): that is how a store is marked read-only. A read-only file system counts too.
    """
    try:
        mode = folder.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return False
        if hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def parse_hour(at: str | None, name: str = "time") -> pd.Timestamp:
    """An ISO 8601 time as the UTC hour it falls in; the last complete hour when ``at`` is None.

    A time without an offset is refused: timestamps are UTC and must say so (``Z`` or ``+00:00``).

    Raises
    ------
    gridcore.errors.InputError
        A ValueError naming ``name`` when ``at`` is not an ISO 8601 time with offset.
    """
    import pandas as pd  # here: the checks above stay free of pandas

    if at is None:
        return pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=1)
    return pd.Timestamp(utc_time(at, name)).tz_convert("UTC").floor("h")


def store_path(store: str | None) -> str:
    """The store root: the argument, else GRIDFLOW_STORE, else ./gridflow-store."""
    return str(store) if store else default_store_path()
