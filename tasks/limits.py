"""Concurrency limits of the flows: one run per hour, a few runs per store (Prefect global limits).

Runs overlap when a backfill meets the scheduled run, when someone clicks Run twice, or when the daily
flow catches up an hour the hourly deployment is writing. Two Prefect global concurrency limits keep
them in order; each is created on first use (limits that do not exist would otherwise be skipped):

* ``gridflow-hour-<YYYYMMDDTHH>Z`` (limit 1): one run writes a given hour at a time (hourly, daily
  catch-up, backfill). The limit is deleted again when the hour is idle, so they do not pile up.
* ``gridflow-store-<folder>-<hash>`` (limit GRIDFLOW_STORE_RUNS, default 2): runs at once on one store.

A run that has to wait logs so (``waiting for ...``) and logs again when it goes on. The store's own file
locks make concurrent writes safe whatever Prefect does; these limits are the orchestration layer on top.

The limits apply against a Prefect server (``gridflow serve``, or PREFECT_API_URL set). A command's
temporary API keeps slots in memory and would lose them with the command; there the limits are off
(GRIDFLOW_LIMITS=on|off overrides).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

#: Slots held by the current run (a subflow asking for its parent's slot goes on).
_held: ContextVar[frozenset[str]] = ContextVar("gridflow_slots", default=frozenset())
#: Seconds without a slot before the run says that it waits.
FIRST_TRY_S = 1.0

#: Set (to 1) by the command line while a command runs on its own temporary Prefect API.
TEMPORARY_API_ENV = "GRIDFLOW_TEMPORARY_API"


def limits_enabled() -> bool:
    """Whether flows take concurrency slots (on, unless the API is a command's temporary one)."""
    setting = os.environ.get("GRIDFLOW_LIMITS", "").lower()
    if setting in {"on", "1", "true"}:
        return True
    if setting in {"off", "0", "false"}:
        return False
    return not os.environ.get(TEMPORARY_API_ENV)


def hour_limit_name(hour: pd.Timestamp) -> str:
    """Name of the limit of one hour: ``gridflow-hour-20160701T14Z``."""
    utc = hour.tz_convert("UTC") if hour.tzinfo is not None else hour
    return f"gridflow-hour-{utc:%Y%m%dT%H}Z"


def store_limit_name(root: str | Path) -> str:
    """Name of the limit of one store: ``gridflow-store-<folder>-<10 hex of the absolute path>``."""
    path = Path(root).expanduser().absolute()
    tail = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")[:40] or "root"
    return f"gridflow-store-{tail}-{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"


def store_runs() -> int:
    """Runs allowed at once on one store (GRIDFLOW_STORE_RUNS, default 2)."""
    return max(int(os.environ.get("GRIDFLOW_STORE_RUNS", "2")), 1)


@contextmanager
def hour_slot(hour: pd.Timestamp) -> Iterator[None]:
    """Hold the hour's slot (limit 1) while the block runs; delete the limit when the hour is idle."""
    with hour_slots([hour]):
        yield


@contextmanager
def hour_slots(hours: list[pd.Timestamp]) -> Iterator[None]:
    """Hold the slots of several hours (limit 1 each), taken in one request, while the block runs.

    For a run that lands a series of hours (a backfill, the daily catch-up): one acquisition per day
    instead of one per hour. Against a Prefect server on SQLite each acquisition can meet a write of
    the server's own (task runs, logs) and be answered 503, which the client retries after ~2 s;
    per hour that cost the daily catch-up of 23 hours ~25 s of waiting (measured, Prefect 3.9).
    Limits no run holds afterwards are deleted. Hours whose slot this run already holds are not
    taken again.
    """
    names = [hour_limit_name(h) for h in hours]
    new = [n for n in names if n not in _held.get()]
    if not new:
        yield
        return
    if len(hours) == 1:
        what = f"hour {hours[0]:%Y-%m-%dT%H:%M}Z"
    else:
        what = f"hours {min(hours):%Y-%m-%dT%H:%M}Z-{max(hours):%Y-%m-%dT%H:%M}Z"
    with slot(new, 1, what):
        yield
    if limits_enabled():
        for name in new:
            _delete_if_idle(name)


@contextmanager
def store_slot(root: str) -> Iterator[None]:
    """Hold one of the store's slots (limit :func:`store_runs`) while the block runs."""
    with slot(store_limit_name(root), store_runs(), f"store {root}"):
        yield


@contextmanager
def slot(name: str | list[str], limit: int, what: str) -> Iterator[None]:
    """Hold a slot of the global concurrency limit ``name`` (created with ``limit`` if missing).

    With a list of names, a slot of each, taken at once (all or none). Logs through the run's logger
    when a slot is busy and the run waits, and when it goes on. Slots already held by this run (a
    subflow of the run holding them) are not taken twice.
    """
    names = [n for n in ([name] if isinstance(name, str) else name) if n not in _held.get()]
    if not limits_enabled() or not names:
        yield
        return
    from prefect.concurrency.sync import concurrency
    from prefect.logging import get_run_logger

    for n in names:
        ensure_limit(n, limit)
    logger = get_run_logger()
    t0 = time.monotonic()
    waiting = threading.Event()

    def say_waiting() -> None:
        waiting.set()
        holds = "it" if len(names) == 1 else "one of them"
        logger.info(
            "waiting for %s: another run holds %s (concurrency limit %s)", what, holds, ", ".join(names)
        )

    timer = threading.Timer(FIRST_TRY_S, say_waiting)
    timer.daemon = True
    with ExitStack() as stack:
        timer.start()
        try:
            stack.enter_context(concurrency(names, occupy=1, strict=True))
        finally:
            timer.cancel()
        if waiting.is_set():
            logger.info("%s is free after %.1f s of waiting; going on", what, time.monotonic() - t0)
        token = _held.set(_held.get() | set(names))
        try:
            yield
        finally:
            _held.reset(token)


def ensure_limit(name: str, limit: int) -> None:
    """Create the global concurrency limit ``name`` with ``limit`` slots unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return
        except ObjectNotFound:
            pass
        with suppress(ObjectAlreadyExists):  # another run created it meanwhile
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit, active=True)
            )


def _delete_if_idle(name: str) -> None:
    """Delete a limit no run holds (best effort: a failure leaves it for the next run)."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            if client.read_global_concurrency_limit_by_name(name).active_slots == 0:
                client.delete_global_concurrency_limit_by_name(name)
    except Exception:  # noqa: BLE001 (cleanup only)
        pass
