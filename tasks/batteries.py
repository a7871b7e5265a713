"""Prefect task of the battery scheduler: one task per batch of batteries, never one per battery."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from gridcore.storage.schedule import BatchResult, SiteInputs, schedule_batch
from tasks.policy import compute_task


@task(cache_policy=NONE, task_run_name="schedule-batteries-{first}-{last}", **compute_task())
def schedule_batteries(site: SiteInputs, first: str, last: str, solver: str = "auto") -> BatchResult:
    """Solve the LPs of one batch (``first`` .. ``last`` name the batch's batteries in the UI)."""
    return schedule_batch(site, solver=solver)
