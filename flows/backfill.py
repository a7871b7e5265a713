"""The backfill flow: the hourly cycle over a past range of hours, writing the same store regions."""

from __future__ import annotations

import time
from collections import deque

import pandas as pd
from prefect import flow, unmapped

from flows import progress
from flows.common import artifact_key, hour_run_id, parse_hour, store_path
from flows.runner import dask_runner
from gridcore.data.synthetic import fleet_blocks
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks.grid_data import persist_feeds, scada_hour, weather_hour
from tasks.meters import combine, persist_hour, publish_report, read_ami_block, record_quality, validate_batch

#: Hours whose reading and validation run ahead of the hour being persisted.
HOURS_IN_FLIGHT = 3


@flow(name="backfill-hourly", task_runner=dask_runner(), log_prints=True)
def backfill_hourly(
    start: str, end: str, store: str | None = None, meters: int = DEFAULT_METERS, seed: int = DEFAULT_SEED
) -> dict[str, object]:
    """Rerun the hourly cycle for every hour in ``[start, end)`` (UTC).

    Reading and validation of the next hours run on the Dask cluster while the current hour is written;
    writes stay in hour order, one at a time. Rerunning a range leaves the store as one run does.

    Parameters
    ----------
    start, end : str
        ISO 8601 times with offset; the hours from ``start``'s hour up to, not including, ``end``.
    store : str, optional
        Store root.
    meters, seed : int
        Fleet of the synthetic feed.

    Returns
    -------
    dict
        store, start, end, hours, readings_in, readings_valid, quarantined (summed), seconds.
    """
    t0 = time.perf_counter()
    first, stop = parse_hour(start), parse_hour(end)
    if stop <= first:
        raise ValueError(f"end {end} is not after start {start}")
    hours = list(pd.date_range(first, stop, freq="1h", inclusive="left"))
    root = store_path(store)
    blocks = list(range(len(fleet_blocks(meters))))
    pending: deque = deque()
    totals = {"readings_in": 0, "readings_valid": 0, "quarantined": {}}

    def submit(hour: pd.Timestamp) -> None:
        raws = read_ami_block.map(unmapped(hour), blocks, unmapped(meters), unmapped(seed))
        as_of = hour + pd.Timedelta(hours=1)
        checked = validate_batch.map(
            raws, unmapped(as_of), unmapped(as_of), unmapped("ami"), unmapped(meters), unmapped(seed)
        )
        pending.append(
            (hour, combine.submit(checked), scada_hour.submit(hour, meters, seed), weather_hour.submit(hour))
        )

    queue = deque(hours)
    while queue and len(pending) < HOURS_IN_FLIGHT:
        submit(queue.popleft())
    while pending:
        hour, future, scada, weather = pending.popleft()
        if queue:
            submit(queue.popleft())
        result = future.result()
        persist_hour(root, result, hour, meters, seed)
        persist_feeds(root, hour, scada.result(), weather.result(), meters, seed)
        feeds = {"ami": result, "scada": scada.result(), "weather": weather.result()[1]}
        record_quality(root, feeds, hour_run_id(hour), hour)
        totals["readings_in"] += result.readings_in
        totals["readings_valid"] += result.readings_valid
        for reason, n in result.quarantined.items():
            totals["quarantined"][reason] = totals["quarantined"].get(reason, 0) + n
        progress.step(f"{hour:%Y-%m-%dT%H:%M}Z")
    run_id = f"backfill/{first:%Y-%m-%dT%H:%M}Z-{stop:%Y-%m-%dT%H:%M}Z"
    out = {
        "store": root,
        "start": f"{first:%Y-%m-%dT%H:%M:%S}Z",
        "end": f"{stop:%Y-%m-%dT%H:%M:%S}Z",
        "hours": len(hours),
        **totals,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    publish_report(f"Backfill {run_id}", artifact_key(run_id), out)
    return out
