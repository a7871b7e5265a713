"""The store's shedding plans: one JSON file per issue, ``<store>/shedding_plan/<issue>.json``.

The chain's shedding step writes the plans of an issue (:func:`write_plans`, atomically: a temporary file
swapped in) and anyone reads them back (:func:`read_plans`, the latest issue by default).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gridcore.errors import InputError

#: Product folder of the plans.
PRODUCT = "shedding_plan"


def plan_path(store: str | Path, issue: pd.Timestamp) -> Path:
    """Path of the plans of ``issue`` (UTC)."""
    return Path(store) / PRODUCT / f"{pd.Timestamp(issue):%Y%m%dT%H%MZ}.json"


def write_plans(
    store: str | Path,
    issue: pd.Timestamp,
    plans: list[dict[str, object]],
    totals: dict[str, object] | None = None,
) -> Path:
    """Write the plans of ``issue`` with their totals (``issue_time``, the totals, ``plans``).

    Parameters
    ----------
    store : str or Path
        Store root.
    issue : pd.Timestamp
        UTC issue time.
    plans : list of dict
        Plan JSONs (:func:`gridcore.shedding.request.make_plan`).
    totals : dict, optional
        Figures over the plans (:func:`gridcore.shedding.lookahead.plan_totals`).

    Returns
    -------
    Path
        The file written.
    """
    path = plan_path(store, issue)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"issue_time": f"{pd.Timestamp(issue):%Y-%m-%dT%H:%MZ}", **(totals or {}), "plans": plans}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, default=str))
    tmp.replace(path)
    return path


def plan_issues(store: str | Path) -> list[pd.Timestamp]:
    """Issue times (UTC) with stored plans, oldest first."""
    folder = Path(store) / PRODUCT
    if not folder.is_dir():
        return []
    return sorted(pd.Timestamp(p.stem.replace("Z", "")).tz_localize("UTC") for p in folder.glob("*Z.json"))


def read_plans(store: str | Path, issue: pd.Timestamp | None = None) -> dict[str, object]:
    """The stored plans of ``issue`` (the latest issue when None), as written.

    Raises
    ------
    InputError
        When the store holds no plans (of that issue).
    """
    if issue is None:
        issues = plan_issues(store)
        if not issues:
            raise InputError(f"no shedding plans in {store}", field="store")
        issue = issues[-1]
    path = plan_path(store, issue)
    if not path.is_file():
        raise InputError(f"no shedding plans of {issue:%Y-%m-%dT%H:%MZ} in {store}", field="issue")
    return json.loads(path.read_text())
