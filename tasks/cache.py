"""Cache keys of the flows' tasks: a retried flow run does not redo the work its failed attempt finished.

Every task of a flow is keyed by the hour (or issue time, or day) it works on, the store it works in, the
arguments that tell its task runs apart within a run (a block of meters, a forecast group, a batch of
batteries) and the flow run. Its result is persisted under that key: when a flow run fails at a late step and
is retried (Prefect's flow retries, or a rerun of the same flow run from the UI), the tasks it had finished
are not run again, their results are read back (state ``Cached``) and the run goes on from the step that
failed.

The flow run id is part of every key: a result never leaks into another run, so a new run of the same hour
(a rerun, a backfill) reads the feeds and writes the store again, as an operator who reruns an hour expects.
A task run outside a flow run has no key and is not cached. Once a run has completed nobody retries it, so
its flow's ``on_completion`` hook :func:`drop_cached_results` deletes its cached results; a failed run keeps
them (:data:`CACHE_EXPIRATION`) for its retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

#: How long a task's result may be reused by a retry of its flow run (a retry comes within hours).
CACHE_EXPIRATION = timedelta(days=2)

CacheKeyFn = Callable[[Any, dict[str, Any]], str | None]


def hour_key(time_param: str | None, *extra: str, freq: str = "h") -> CacheKeyFn:
    """A ``cache_key_fn`` keyed by hour, store, the ``extra`` parameters and the flow run.

    Parameters
    ----------
    time_param : str or None
        The task's parameter holding the time it works on (tz-aware UTC; a string is parsed), or an
        attribute of one (``inputs.issue_time``). None for a task that works on no hour (an import, a
        report keyed by its artifact): the run and the ``extra`` parameters key it.
    *extra : str
        Parameters (or attributes of one, dotted) that tell the task's runs apart within one flow run
        (``block``, ``group``, ``inputs.horizon``).
    freq : str
        ``h`` keys by hour (``20160701T14Z``), ``D`` by day (``20160701``).

    Returns
    -------
    callable
        ``(task_run_context, parameters) -> key``; None (no caching) outside a flow run.
    """

    def key(context: Any, parameters: dict[str, Any]) -> str | None:
        run = getattr(getattr(context, "task_run", None), "flow_run_id", None)
        if run is None:
            return None
        at = None if time_param is None else _param(parameters, time_param)
        values = [_param(parameters, name) for name in extra]
        return task_key(context.task.name, at, parameters.get("store"), str(run), freq, *values)

    return key


def _param(parameters: dict[str, Any], path: str) -> Any:
    """A task parameter, or an attribute of one (``inputs.issue_time``)."""
    name, *attrs = path.split(".")
    value = parameters[name]
    for attr in attrs:
        value = getattr(value, attr)
    return value


def task_key(name: str, at: object, store: object, run: str, freq: str = "h", *extra: object) -> str:
    """The cache key of one task run: ``<task>-<hour>-<flow run>-<digest>`` (hour ``run`` without one).

    The digest (SHA-256, 16 hex digits) covers the task, the time, the store path, the flow run and the
    extra values; the task, the time and the flow run stay readable in the key (and in the result file's
    name, which is how :func:`drop_cached_results` finds a run's results).
    """
    if at is None:
        stamp = "run"
    else:
        t = pd.Timestamp(at)  # type: ignore[arg-type]
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        stamp = f"{t:%Y%m%d}" if freq == "D" else f"{t:%Y%m%dT%H}Z"
    text = "\x1f".join([name, stamp, str(store or ""), run, *(str(e) for e in extra)])
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{name}-{stamp}-{run}-{digest}"


def cached(key: CacheKeyFn) -> dict[str, Any]:
    """``@task`` options that cache the task's result under ``key`` (see the module).

    The result is persisted (Prefect's result storage, ``PREFECT_LOCAL_STORAGE_PATH`` by default) for
    :data:`CACHE_EXPIRATION`.
    """
    return {"cache_key_fn": key, "persist_result": True, "cache_expiration": CACHE_EXPIRATION}


def drop_cached_results(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_completion`` hook: delete the completed run's cached task results from the local result storage.

    Best effort: a file that cannot be deleted stays until it is cleaned up by hand (results kept in a
    remote result storage are left alone).
    """
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    folder = Path(PREFECT_LOCAL_STORAGE_PATH.value())
    for path in folder.glob(f"*-{flow_run.id}-*"):
        with suppress(OSError):
            path.unlink()
