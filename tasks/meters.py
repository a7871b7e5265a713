"""Prefect tasks for meter-data imports and run reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gridcore.data import products
from gridcore.data.contracts import ValidationResult
from gridcore.data.meters import validate_readings
from gridcore.data.quality import run_summary, summary_markdown
from gridcore.interfaces.ami import read_meter_file
from gridcore.store import Store
from gridcore.system import default_system
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_FEED_S, TIMEOUT_REPORT_S, compute_task, store_task


@task(task_run_name="validate-{source}", **compute_task(TIMEOUT_FEED_S, hour_key(None, "source")))
def validate_batch(
    raw: pd.DataFrame, now: pd.Timestamp, as_of: pd.Timestamp | None, source: str, meters: int, seed: int
) -> ValidationResult:
    """Validate a batch of readings against the meter_readings suite."""
    result = validate_readings(raw, default_system(meters, seed).fleet, now, as_of, source=source)
    get_run_logger().info(
        "%s: %d readings in, %d valid, %d quarantined %s",
        source,
        result.readings_in,
        result.readings_valid,
        len(result.quarantine),
        result.quarantined or "",
    )
    return result


@task(task_run_name="read-{path}", **store_task(TIMEOUT_FEED_S, hour_key(None, "path")))
def read_file(path: str) -> pd.DataFrame:
    """Read a meter-data file (CSV or Parquet)."""
    frame = read_meter_file(Path(path))
    get_run_logger().info("read %d rows from %s", len(frame), path)
    return frame


@task(task_run_name="import-{run_id}", **store_task(key=hour_key(None, "run_id")))
def persist_import(
    store: str, result: ValidationResult, run_id: str, source: str, meters: int, seed: int
) -> list[str]:
    """Merge an import into the store and record its quality; returns the days rewritten."""
    system = default_system(meters, seed)
    st = Store(store)
    days = products.merge_import(
        st, result, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, system.provenance
    )
    products.write_quality(st, result, run_id, source, None)
    written = [f"{d:%Y-%m-%d}" for d in days]
    get_run_logger().info("merged %s into %s: days %s", source, store, ", ".join(written) or "none")
    return written


@task(**store_task(TIMEOUT_REPORT_S, hour_key(None, "key")))
def publish_summary(
    title: str, key: str, result: ValidationResult, loads: xr.Dataset | None, meters: int, seed: int
) -> dict[str, object]:
    """Publish the run's Markdown artifact and return its figures (:meth:`RunSummary.to_dict`)."""
    summary = run_summary(result, default_system(meters, seed).feeders.feeders, loads)
    create_markdown_artifact(summary_markdown(title, summary), key=key, description=title)
    return summary.to_dict()


@task(**store_task(TIMEOUT_REPORT_S, hour_key(None, "key")))
def publish_report(title: str, key: str, figures: dict[str, object]) -> None:
    """Publish figures already computed as a Markdown artifact."""
    create_markdown_artifact(summary_markdown(title, figures), key=key, description=title)
