"""Deployments of gridflow's flows, served from this process to a Prefect server.

``gridflow serve`` registers three deployments and runs them when scheduled or started from the UI:

* ``hourly-operations/hourly``: every hour at minute 5 (the hour just ended),
* ``daily-planning/daily``: every day at 00:30 UTC (yesterday),
* ``backfill-hourly/backfill``: no schedule; start it from the UI with ``start`` and ``end``.
"""

from __future__ import annotations

from prefect import serve

from flows.backfill import backfill_hourly
from flows.daily import daily
from flows.hourly import hourly


def serve_all() -> None:
    """Register and serve the deployments (blocks until interrupted)."""
    serve(
        hourly.to_deployment(
            name="hourly", cron="5 * * * *", description="Hourly operations cycle for the hour just ended."
        ),
        daily.to_deployment(name="daily", cron="30 0 * * *", description="Daily planning for yesterday."),
        backfill_hourly.to_deployment(
            name="backfill",
            parameters={"start": "2016-07-01T00:00Z", "end": "2016-07-02T00:00Z"},
            description="Rerun the hourly cycle over [start, end).",
        ),
    )
