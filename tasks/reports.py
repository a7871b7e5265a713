"""Prefect tasks that read the store for reports and catch-up."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE

from gridcore.data.products import feeder_day_report, incomplete_hours
from gridcore.store import Store


@task(cache_policy=NONE)
def missing_hours(store: str, day: pd.Timestamp) -> list[pd.Timestamp]:
    """Hours of the day not completely in the store."""
    return incomplete_hours(Store(store), day)


@task(cache_policy=NONE)
def day_report(store: str, day: pd.Timestamp) -> dict[str, object]:
    """The day's energy, peak and coverage per feeder."""
    return feeder_day_report(Store(store), day)
