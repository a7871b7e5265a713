"""Constraint periods as shedding events: from rows of the constraint-period table, or from the store.

Split from :mod:`gridcore.shedding.request` (which re-exports both functions): ``shed plan --from-store``
reads the periods the daily and hourly flows wrote and plans for each as an event.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from gridcore.errors import InputError
from gridcore.shedding.events import Event


def events_from_periods(periods: list[dict[str, object]], at: pd.Timestamp | None = None) -> list[Event]:
    """Events from constraint periods (``element``, ``kind``, ``start``, ``end``, ``relief_mw``).

    Periods with the same start and end make one event; with ``at``, only periods not ended by then.

    Parameters
    ----------
    periods : list of dict
        As ``gridflow grid constraints`` lists them.
    at : pd.Timestamp, optional
        UTC time.

    Returns
    -------
    list of Event
        Ordered by start.
    """
    from gridcore.shedding.events import parse_event

    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row, p in enumerate(periods):
        for key in ("element", "start", "end"):
            if key not in p:
                raise InputError(f"constraint period {row}: no {key}", field=key, row=row)
        end = pd.Timestamp(str(p["end"]))
        if at is not None and end <= at:
            continue
        groups.setdefault((str(p["start"]), str(p["end"])), []).append(p)
    out = []
    for (start, end), items in sorted(groups.items()):
        hours = max((pd.Timestamp(end) - pd.Timestamp(start)) / pd.Timedelta(hours=1), 0.25)
        constraints = [
            {
                "element": str(p["element"]),
                **({"kind": p["kind"]} if p.get("kind") else {}),
                **({"relief_mw": float(p["relief_mw"])} if p.get("relief_mw") is not None else {}),  # type: ignore[arg-type]
            }
            for p in items
        ]
        out.append(parse_event({"start": start, "hours": hours, "constraints": constraints}, "stored period"))
    return out


def stored_events(store: Path, at: pd.Timestamp | None = None) -> tuple[list[Event], dict[str, object]]:
    """Events from the store's latest constraint periods (product ``constraint_periods``), and its attributes.

    Raises
    ------
    InputError
        When the store holds no constraint periods, or none ending after ``at``.
    """
    from dataclasses import asdict

    from gridcore.lookahead.store import read_constraint_periods

    try:
        periods, attrs = read_constraint_periods(store)
    except FileNotFoundError:
        raise InputError(
            f"--from-store: no constraint periods in {store}; run `gridflow grid constraints --store ...`",
            field="--from-store",
        ) from None
    rows = [{**asdict(p), "start": p.start.isoformat(), "end": p.end.isoformat()} for p in periods]
    events = events_from_periods(rows, at)
    if not events:
        raise InputError(
            f"--from-store: no constraint period in {store}"
            + (f" ends after {pd.Timestamp(at):%Y-%m-%dT%H:%MZ}" if at is not None else ""),
            field="--from-store",
        )
    case = attrs.get("study_case") or None
    return [replace(e, study_case=str(case)) if case else e for e in events], attrs
