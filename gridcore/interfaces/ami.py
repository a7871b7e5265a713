"""AMI adapter: meter-data files as utilities export them (CSV or Parquet).

The file holds ``meter_id``, ``timestamp`` (end of the 15-minute interval, ISO 8601, UTC unless an offset
is given) and ``kwh``. Fields are read as text first, so a malformed value reaches validation as it was
written and can be quarantined with it, instead of failing the whole file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from gridcore.data.validation import ContractError


def read_meter_file(path: str | Path) -> pd.DataFrame:
    """Read a meter-data file.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally ``.gz``) or ``.parquet``.

    Returns
    -------
    pd.DataFrame
        The file's columns; for CSV every field as text (``None`` when empty).

    Raises
    ------
    ContractError
        When the file cannot be read as a table.
    """
    p = Path(path)
    if not p.exists():
        raise ContractError(f"{p}: no such file")
    try:
        if p.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(p)
        return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise ContractError(f"{p}: not a readable CSV or Parquet table ({err})") from err


def file_digest(path: str | Path) -> str:
    """First 16 hex digits of the file's SHA-256: the run key of an import (same file, same run)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]
