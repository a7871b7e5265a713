"""Model registry on disk: versioned demand models per forecast group, with metadata and status.

Layout under ``<root>/models/``::

    <group slug>/v0001/model.json   the fitted model (LightGBM text model and settings)
    <group slug>/v0001/meta.json    group, series, version, training window, metrics, created, status,
                                    and the history of status changes (who/why/when)
    <group slug>/decisions/<issue time>.json   retraining decisions (see :mod:`gridcore.forecast.retrain`)
    <group slug>/choice.json        the latest choice among the candidates that scored MSTL (its verdict
                                    holds for the hourly updates after it, see
                                    :func:`gridcore.forecast.champion.screen_mstl`)

A version is ``challenger`` when registered, ``champion`` when promoted (the previous champion becomes
``retired``). Files are written to a temporary name and renamed, so a reader sees a whole file or none.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.models import GradientBoosted
from gridcore.store import locked

STATUSES = ("champion", "challenger", "retired")


def slug(group: str) -> str:
    """A folder name for a group id (``MV2.101 Line 1`` -> ``MV2.101_Line_1``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", group).strip("_") or "group"


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(data, indent=1, default=str, allow_nan=False))
    os.replace(tmp, path)


def _stamp(t: pd.Timestamp | None) -> str | None:
    return None if t is None else f"{pd.Timestamp(t).tz_convert('UTC'):%Y-%m-%dT%H:%MZ}"


class ModelRegistry:
    """Versioned models of the forecast groups under ``<root>/models``.

    Parameters
    ----------
    root : str or Path
        Store folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root) / "models"

    def _folder(self, group: str) -> Path:
        return self.root / slug(group)

    def versions(self, group: str | None = None) -> list[dict[str, object]]:
        """Metadata of every version (of one group, or all), by group then version."""
        groups = [self._folder(group)] if group is not None else sorted(self.root.glob("*"))
        out = []
        for folder in groups:
            for meta in sorted(folder.glob("v*/meta.json")):
                out.append(json.loads(meta.read_text()))
        return out

    def champion(self, group: str) -> dict[str, object] | None:
        """Metadata of the group's champion, or None."""
        found = [m for m in self.versions(group) if m["status"] == "champion"]
        return found[-1] if found else None

    def register(
        self,
        group: str,
        model: GradientBoosted,
        series: list[str],
        train_start: pd.Timestamp,
        train_end: pd.Timestamp,
        metrics: dict[str, object],
        created_at: pd.Timestamp,
        status: str = "challenger",
        reason: str = "",
        horizon_h: int | None = None,
    ) -> dict[str, object]:
        """Store a fitted model as the group's next version.

        Parameters
        ----------
        group : str
        model : GradientBoosted
            Fitted.
        series : list of str
            Series the model forecasts.
        train_start, train_end : pd.Timestamp
            First and last target hour fitted on (UTC).
        metrics : dict
            Out-of-sample figures (e.g. ``day_ahead_mape_pct``, ``naive_mape_pct``, window).
        created_at : pd.Timestamp
            Data time of the training (the issue time or day it was trained for, UTC).
        status : str
            ``challenger`` or ``champion`` (a new champion retires the old one).
        reason : str
        horizon_h : int, optional
            Longest lead the model was fitted for [h].

        Returns
        -------
        dict
            The version's metadata.
        """
        if status not in STATUSES:
            raise InputError(f"status must be one of {STATUSES}, not {status!r}", field="status")
        with locked(self._folder(group)):  # the next version number is taken once, whoever registers at once
            return self._register(
                group, model, series, train_start, train_end, metrics, created_at, status, reason, horizon_h
            )

    def _register(
        self,
        group: str,
        model: GradientBoosted,
        series: list[str],
        train_start: pd.Timestamp,
        train_end: pd.Timestamp,
        metrics: dict[str, object],
        created_at: pd.Timestamp,
        status: str,
        reason: str,
        horizon_h: int | None,
    ) -> dict[str, object]:
        folder = self._folder(group)
        existing = [int(p.name[1:]) for p in folder.glob("v[0-9]*") if p.name[1:].isdigit()]
        version = max(existing, default=0) + 1
        path = folder / f"v{version:04d}"
        _write_json(path / "model.json", model.to_dict())
        meta = {
            "group": group,
            "series": list(series),
            "version": version,
            "model": model.describe()["name"],
            "settings": {k: v for k, v in model.describe().items() if k not in {"name", "features"}},
            "train_start": _stamp(train_start),
            "train_end": _stamp(train_end),
            "horizon_h": horizon_h,
            "metrics": metrics,
            "created": _stamp(created_at),
            "registered_wall": _stamp(pd.Timestamp.now(tz="UTC")),
            "status": "challenger",
            "history": [{"status": "challenger", "at": _stamp(created_at), "reason": reason or "registered"}],
        }
        _write_json(path / "meta.json", meta)
        if status == "champion":
            meta = self.promote(group, version, reason or "first model", created_at)
        elif status == "retired":
            meta = self.set_status(group, version, "retired", reason, created_at)
        return meta

    def set_status(
        self, group: str, version: int, status: str, reason: str, at: pd.Timestamp
    ) -> dict[str, object]:
        """Change a version's status, recording why and when."""
        if status not in STATUSES:
            raise InputError(f"status must be one of {STATUSES}, not {status!r}", field="status")
        path = self._folder(group) / f"v{version:04d}" / "meta.json"
        if not path.exists():
            raise KeyError(f"no version {version} of model group {group!r}")
        with locked(self._folder(group)):
            meta = json.loads(path.read_text())
            meta["status"] = status
            meta["history"].append({"status": status, "at": _stamp(at), "reason": reason})
            _write_json(path, meta)
        return meta

    def promote(self, group: str, version: int, reason: str, at: pd.Timestamp) -> dict[str, object]:
        """Make ``version`` the champion; the previous champion is retired."""
        with locked(self._folder(group)):
            current = self.champion(group)
            if current is not None and current["version"] != version:
                self.set_status(group, int(current["version"]), "retired", f"replaced by v{version}", at)
            return self.set_status(group, version, "champion", reason, at)

    def load(self, meta: dict[str, object]) -> GradientBoosted:
        """The fitted model of a version."""
        path = self._folder(str(meta["group"])) / f"v{int(meta['version']):04d}" / "model.json"
        return GradientBoosted.from_dict(json.loads(path.read_text()))

    def record_choice(self, group: str, at: pd.Timestamp, choice: dict[str, object]) -> bool:
        """Keep the group's choice of ``at`` (``ModelChoice.to_dict()``) unless a later one is kept already.

        Returns whether it was kept.
        """
        with locked(self._folder(group)):
            last = self.last_choice(group)
            stamp = _stamp(at)
            if last is not None and pd.Timestamp(str(last["issue_time"])) > pd.Timestamp(stamp):
                return False
            _write_json(self._folder(group) / "choice.json", {"issue_time": stamp, **choice})
        return True

    def last_choice(self, group: str) -> dict[str, object] | None:
        """The group's latest kept choice (``issue_time``, ``champion``, ``candidates``, ...), or None."""
        path = self._folder(group) / "choice.json"
        return json.loads(path.read_text()) if path.exists() else None

    def log_decision(self, group: str, at: pd.Timestamp, decision: dict[str, object]) -> Path:
        """Write a retraining decision to ``<group>/decisions/<at>.json``; returns the path."""
        path = self._folder(group) / "decisions" / f"{pd.Timestamp(at):%Y%m%dT%H%MZ}.json"
        _write_json(path, decision)
        return path
