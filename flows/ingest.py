"""The import flow: a utility's meter-data file through the same validation into the same store."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from prefect import get_run_logger

from gridcore.checks import utc_time
from gridcore.interfaces.ami import file_digest
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks.cache import drop_cached_results
from tasks.common import Count, UtcTime, artifact_key, flow, store_path
from tasks.limits import store_slot
from tasks.meters import persist_import, publish_summary, read_file, validate_batch


@flow(name="ingest-meters", log_prints=True, persist_result=True, on_completion=[drop_cached_results])
def ingest_meters(
    path: str,
    store: str | None = None,
    as_of: UtcTime | None = None,
    meters: Count = DEFAULT_METERS,
    seed: int = DEFAULT_SEED,
) -> dict[str, object]:
    """Import a meter-data file (CSV or Parquet: meter_id, timestamp, kwh).

    Parameters
    ----------
    path : str
        The file.
    store : str, optional
        Store root.
    as_of : str, optional
        Reference time (UTC) for the stale check; the newest reading not in the future when omitted.
    meters, seed : int
        The fleet the readings belong to.

    Returns
    -------
    dict
        store, source, run_id, readings_in, readings_valid, quarantined, days_written, seconds.
    """
    t0 = time.perf_counter()
    now = pd.Timestamp.now(tz="UTC")
    ref = None if as_of is None else pd.Timestamp(utc_time(as_of, "as_of")).tz_convert("UTC")
    root = store_path(store)
    get_run_logger().info("import of %s into %s", path, root)
    raw = read_file(path)
    result = validate_batch(raw, now, ref, Path(path).name, meters, seed)
    run_id = f"ingest/{file_digest(path)}"
    with store_slot(root):
        days = persist_import(root, result, run_id, Path(path).name, meters, seed)
        summary = publish_summary(
            f"Import {Path(path).name}", artifact_key(run_id), result, None, meters, seed
        )
    get_run_logger().info(
        "imported %s: %d readings in, %d valid, quarantined %s; days written: %s",
        Path(path).name,
        summary["readings_in"],
        summary["readings_valid"],
        summary["quarantined"] or "none",
        ", ".join(days) or "none",
    )
    return {
        "store": root,
        "source": str(path),
        "run_id": run_id,
        **summary,
        "days_written": days,
        "seconds": round(time.perf_counter() - t0, 3),
    }
