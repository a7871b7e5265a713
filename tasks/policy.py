"""How gridflow's tasks retry and time out: one policy for every task, in one place.

A task that reads a feed or the store retries with exponential backoff: a feed that did not answer or a
store briefly locked by another run can succeed a few seconds later. Bad input never retries: the same
file, time or store fails the same way every time, so the run fails at once with the message that names
the field (:func:`retry_unless_bad_input`).

Every task has a timeout. The tasks run in Dask worker threads, where Prefect cannot interrupt a
blocking call: a task that overruns its timeout fails as TimedOut when the call returns. What bounds a
hung run is the flow's timeout (the hourly and daily flows have one), enforced in the flow's main
thread. Prefect warns about this on every task run; the warning is said here once and filtered out of
the logs (:class:`_KnownTimeoutWarning`).
"""

from __future__ import annotations

import logging
from typing import Any

from prefect.cache_policies import NONE as NO_CACHE
from prefect.tasks import exponential_backoff

from gridcore.store import StoreError
from tasks.cache import CacheKeyFn, cached

#: Errors that say the input is wrong (a ValueError names the field: ContractError, InputError,
#: TopologyError, ScheduleError, PowerFlowError are ValueErrors), that the store cannot be written
#: (a file where the folder should be, a read-only folder), or that the data does not fit the store
#: (StoreError): a retry gives the same answer. Any other error (a file or key missing for a moment
#: while another run swaps a table in, a lock timeout, a connection reset) is taken as transient.
BAD_INPUT: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    StoreError,
)

#: Retries of a task that touches a feed or the store.
RETRIES = 3
#: Seconds before retry 1, 2, 3: 5, 10, 20 (each +-50 % jitter, so runs that failed together spread out).
RETRY_DELAYS = exponential_backoff(backoff_factor=5)
RETRY_JITTER = 0.5

#: Timeouts [s] by kind of work (generous: a 100,000-meter hour takes seconds, a forecast fit minutes).
TIMEOUT_FEED_S = 600.0
TIMEOUT_STORE_S = 900.0
TIMEOUT_REPORT_S = 300.0
TIMEOUT_SOLVE_S = 1800.0
TIMEOUT_FIT_S = 3600.0


def is_bad_input(exc: BaseException) -> bool:
    """Whether ``exc`` says the input is wrong (retrying cannot help)."""
    return isinstance(exc, BAD_INPUT)


def retry_unless_bad_input(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task unless it failed on bad input.

    Parameters
    ----------
    task, task_run
        The task and its run (unused; Prefect passes them).
    state : prefect.State
        The failed state; its exception decides.

    Returns
    -------
    bool
        False for :data:`BAD_INPUT` errors, True for any other failure.
    """
    exc = state.result(raise_on_failure=False)
    return not (isinstance(exc, BaseException) and is_bad_input(exc))


def store_task(timeout_s: float = TIMEOUT_STORE_S, key: CacheKeyFn | None = None) -> dict[str, Any]:
    """``@task`` options of a task that reads or writes the store or a feed.

    Retries with exponential backoff, no retry on bad input, a timeout of ``timeout_s`` [s]. With ``key``
    (:func:`tasks.cache.hour_key`) the result is cached under it, so that a retried flow run does not redo
    the task; without, nothing is cached or persisted (the store is the result).
    """
    return {
        "retries": RETRIES,
        "retry_delay_seconds": RETRY_DELAYS,
        "retry_jitter_factor": RETRY_JITTER,
        "retry_condition_fn": retry_unless_bad_input,
        "timeout_seconds": timeout_s,
        **_caching(key),
    }


def compute_task(timeout_s: float = TIMEOUT_SOLVE_S, key: CacheKeyFn | None = None) -> dict[str, Any]:
    """``@task`` options of a pure computation: a timeout of ``timeout_s`` [s], no retry.

    A retry would compute the same. ``key`` as in :func:`store_task`.
    """
    return {"retries": 0, "timeout_seconds": timeout_s, **_caching(key)}


def _caching(key: CacheKeyFn | None) -> dict[str, Any]:
    if key is None:
        return {"cache_policy": NO_CACHE, "persist_result": False}
    return cached(key)


class _KnownTimeoutWarning(logging.Filter):
    """Drops Prefect's per-task warning that a timeout cannot interrupt a worker thread (see above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Timeout of %s seconds configured for this task, but the task")


logging.getLogger("prefect.task_runs").addFilter(_KnownTimeoutWarning())
