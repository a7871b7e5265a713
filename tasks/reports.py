"""Prefect tasks that read the store for reports and catch-up."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from gridcore.data.products import feeder_day_report, incomplete_hours
from gridcore.store import Store
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_REPORT_S, store_task


@task(**store_task(TIMEOUT_REPORT_S, hour_key("day", freq="D")))
def missing_hours(store: str, day: pd.Timestamp) -> list[pd.Timestamp]:
    """Hours of the day not completely in the store."""
    hours = incomplete_hours(Store(store), day)
    get_run_logger().info(
        "%s: %d of 24 hours missing or incomplete in the store%s",
        f"{day:%Y-%m-%d}",
        len(hours),
        (": " + ", ".join(f"{h:%H:%M}Z" for h in hours)) if hours else "",
    )
    return hours


@task(**store_task(TIMEOUT_REPORT_S, hour_key("day", freq="D")))
def day_report(store: str, day: pd.Timestamp) -> dict[str, object]:
    """The day's energy, peak and coverage per feeder."""
    return feeder_day_report(Store(store), day)
