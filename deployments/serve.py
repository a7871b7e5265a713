"""Deployments of gridflow's flows, served from this process to a Prefect server.

``gridflow serve`` registers four deployments and runs them when scheduled or started from the UI:

* ``hourly-operations/hourly``: every hour at minute 5 (the hour just ended),
* ``daily-planning/daily``: every day at 00:30 UTC (yesterday),
* ``backfill-hourly/backfill``: no schedule; start it from the UI with ``start`` and ``end``,
* ``operating-scenarios/scenarios``: no schedule; start it from the UI with ``names`` (every shipped
  scenario when empty) and ``grid``; the reports go to the store's ``scenarios/`` folder.

Each carries the tags ``gridflow`` and its own (``hourly``, ``daily``, ``backfill``, ``scenarios``), the
version of the code (the package version and the git commit, e.g. ``0.1.0+ge422c9b``) and a concurrency
limit: runs of one deployment beyond it wait in the queue (``ENQUEUE``). Inside the runs, Prefect global
concurrency limits allow one run per hour and a few per store (:mod:`tasks.limits`). The serve process runs
at most ``limit`` flow runs at once. ``gridflow serve`` also creates the automation for a failed scheduled run
(:mod:`deployments.automations`).
"""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment

from flows.backfill import backfill_hourly
from flows.daily import daily
from flows.hourly import hourly
from flows.scenarios import scenarios

#: Tag of every gridflow deployment (and of their runs: the automation matches it).
TAG = "gridflow"
#: Flow runs one serve process runs at once (GRIDFLOW_SERVE_LIMIT or ``gridflow serve --limit``).
SERVE_LIMIT = 4
#: Runs of each deployment at once; more wait in its queue.
DEPLOYMENT_LIMITS = {"hourly": 2, "daily": 1, "backfill": 1, "scenarios": 1}


def code_version() -> str:
    """The package version, with the git commit when the code is a git checkout: ``0.1.0+ge422c9b``.

    ``.dirty`` is added when the checkout has uncommitted changes.
    """
    try:
        base = version("gridflow")
    except PackageNotFoundError:
        base = "0.0.0"
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{commit}{'.dirty' if dirty else ''}" if commit else base


def _limit(name: str) -> ConcurrencyLimitConfig:
    return ConcurrencyLimitConfig(
        limit=DEPLOYMENT_LIMITS[name], collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
    )


def deployments() -> list[RunnerDeployment]:
    """The four deployments, with schedules, tags, version and concurrency limits."""
    ver = code_version()
    return [
        hourly.to_deployment(
            name="hourly",
            cron="5 * * * *",
            description="Hourly operations cycle for the hour just ended.",
            tags=[TAG, "hourly"],
            version=ver,
            concurrency_limit=_limit("hourly"),
        ),
        daily.to_deployment(
            name="daily",
            cron="30 0 * * *",
            description="Daily planning for yesterday.",
            tags=[TAG, "daily"],
            version=ver,
            concurrency_limit=_limit("daily"),
        ),
        backfill_hourly.to_deployment(
            name="backfill",
            parameters={"start": "2016-07-01T00:00Z", "end": "2016-07-02T00:00Z"},
            description="Rerun the hourly cycle over [start, end).",
            tags=[TAG, "backfill"],
            version=ver,
            concurrency_limit=_limit("backfill"),
        ),
        scenarios.to_deployment(
            name="scenarios",
            description="Run operating scenarios (every shipped one when names is empty) into the store.",
            tags=[TAG, "scenarios"],
            version=ver,
            concurrency_limit=_limit("scenarios"),
        ),
    ]


def serve_all(limit: int = SERVE_LIMIT, notify: str | None = None) -> None:
    """Create the failed-run automation, register the deployments and serve them (blocks until stopped).

    Parameters
    ----------
    limit : int
        Flow runs this process runs at once.
    notify : str, optional
        Notification block of the automation, ``type/name`` (see :mod:`deployments.automations`).
    """
    from deployments.automations import ensure_failed_run_automation

    ensure_failed_run_automation(notify)
    serve(*deployments(), limit=limit)
