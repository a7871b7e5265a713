"""Small helpers shared by the flows: time parsing and run ids (no algorithm)."""

from __future__ import annotations

import pandas as pd

from gridcore.store import default_store


def parse_hour(at: str | None) -> pd.Timestamp:
    """An ISO 8601 time as the UTC hour it falls in; the last complete hour when ``at`` is None.

    A time without an offset is refused: timestamps are UTC and must say so (``Z`` or ``+00:00``).
    """
    if at is None:
        return pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=1)
    ts = pd.Timestamp(at)
    if ts.tzinfo is None:
        raise ValueError(f"time {at!r} has no UTC offset; write it as {at}Z")
    return ts.tz_convert("UTC").floor("h")


def store_path(store: str | None) -> str:
    """The store root: the argument, else GRIDFLOW_STORE, else ./gridflow-store."""
    return str(store) if store else str(default_store())


def hour_run_id(hour: pd.Timestamp) -> str:
    """Run id of an hourly cycle: ``hourly/2016-07-01T14:00Z``."""
    return f"hourly/{hour:%Y-%m-%dT%H:%M}Z"


def artifact_key(run_id: str) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes) for a run id."""
    return "".join(c if c.isalnum() else "-" for c in run_id.lower())
