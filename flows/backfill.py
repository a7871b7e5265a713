"""The backfill flow: the hourly cycle over a past range of hours, writing the same store regions."""

from __future__ import annotations

import time
from collections import deque
from contextlib import ExitStack

import pandas as pd
from prefect import get_run_logger

from flows.hourly import finish_hour, submit_hour
from gridcore.errors import InputError
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks import progress
from tasks.cache import drop_cached_results
from tasks.common import Count, UtcTime, artifact_key, flow, parse_hour, store_path
from tasks.hooks import record_failure
from tasks.hourly import record_quality
from tasks.limits import hour_slots, store_slot
from tasks.meters import publish_report
from tasks.runner import dask_runner

#: Hours whose reading and validation run ahead of the hour being persisted.
HOURS_IN_FLIGHT = 3


@flow(
    name="backfill-hourly",
    task_runner=dask_runner(),
    log_prints=True,
    persist_result=True,
    on_failure=[record_failure],
    on_completion=[drop_cached_results],
)
def backfill_hourly(
    start: UtcTime,
    end: UtcTime,
    store: str | None = None,
    meters: Count = DEFAULT_METERS,
    seed: int = DEFAULT_SEED,
) -> dict[str, object]:
    """Rerun the hourly cycle for every hour in ``[start, end)`` (UTC).

    Reading and validation of the next hours run on the Dask cluster while the current hour is written;
    writes stay in hour order, one at a time; quality and quarantine rows are written once per day.
    Rerunning a range leaves the store as one run does.

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
    first, stop = parse_hour(start, "start"), parse_hour(end, "end")
    if stop <= first:
        raise InputError(f"end {end} is not after start {start}", field="end")
    hours = list(pd.date_range(first, stop, freq="1h", inclusive="left"))
    root = store_path(store)
    logger = get_run_logger()
    logger.info("backfill of %d hours from %s into %s", len(hours), f"{first:%Y-%m-%dT%H:%M}Z", root)
    with store_slot(root):
        out = _backfill(hours, first, stop, root, meters, seed, t0)
    logger.info(
        "backfill done: %d hours, %d readings in, %d valid, quarantined %s",
        out["hours"],
        out["readings_in"],
        out["readings_valid"],
        out["quarantined"] or "none",
    )
    return out


def land_hours(hours: list[pd.Timestamp], root: str, meters: int, seed: int) -> dict[str, object]:
    """Land ``hours`` in the store, pipelined (called inside a flow: the backfill, the daily catch-up).

    Reading and validation of the next :data:`HOURS_IN_FLIGHT` hours run on the flow's task runner while
    the current hour is written; writes stay in hour order, one at a time; quality and quarantine rows are
    written once per day. The slots of a day's hours (:func:`tasks.limits.hour_slots`) are taken together
    before its first hour is written and given back after its last. Returns ``readings_in``,
    ``readings_valid`` and ``quarantined`` summed.
    """
    pending: deque = deque()
    totals: dict[str, object] = {"readings_in": 0, "readings_valid": 0, "quarantined": {}}
    queue = deque(hours)
    while queue and len(pending) < HOURS_IN_FLIGHT:
        hour = queue.popleft()
        pending.append((hour, submit_hour(hour, meters, seed)))
    deferred: list = []
    days: dict[pd.Timestamp, list[pd.Timestamp]] = {}
    for h in hours:
        days.setdefault(h.floor("D"), []).append(h)
    with ExitStack() as held:
        day = None
        while pending:
            hour, futures = pending.popleft()
            if queue:
                nxt = queue.popleft()
                pending.append((nxt, submit_hour(nxt, meters, seed)))
            if hour.floor("D") != day:
                held.close()
                day = hour.floor("D")
                held.enter_context(hour_slots(days[day]))
            figures = finish_hour(root, hour, futures, meters, seed, deferred)
            if hour.hour == 23 or not pending:  # quality tables: one rewrite per day, not per hour
                record_quality(root, deferred, f"{hour:%Y-%m-%d}")
                deferred = []
            totals["readings_in"] += figures["readings_in"]
            totals["readings_valid"] += figures["readings_valid"]
            for reason, n in figures["quarantined"].items():
                totals["quarantined"][reason] = totals["quarantined"].get(reason, 0) + n
            progress.step(f"{hour:%Y-%m-%dT%H:%M}Z")
    return totals


def _backfill(
    hours: list[pd.Timestamp],
    first: pd.Timestamp,
    stop: pd.Timestamp,
    root: str,
    meters: int,
    seed: int,
    t0: float,
) -> dict[str, object]:
    """The hours of a backfill (called inside the backfill flow)."""
    totals = land_hours(hours, root, meters, seed)
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
