"""The steps of one run of the chain: each step's state, reason and time, and what a failed step blocks.

A flow runs its steps through :meth:`Chain.step`: a step whose upstream did not complete is not run, it is
recorded ``Skipped`` with the reason (``needs renewables (failed): NotADirectoryError: ...``, the first
cause of the chain of skips) and shows in the Prefect UI as a
task run named ``skip-<step>-<hour>`` in state ``Skipped``; a step that raises is recorded ``Failed`` with
the error in one line (its task run is Failed in the UI, with the traceback) and the run goes on with the
steps that do not depend on it. A step that returns a dict with ``skipped`` (nothing to do: no champion
model yet, no constraint left) is recorded ``Skipped`` with that reason and blocks its dependants the same
way. The flow's JSON ``steps`` is :meth:`Chain.to_dict`. No algorithm here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.states import Completed

from tasks.policy import TIMEOUT_REPORT_S

COMPLETED, SKIPPED, FAILED = "Completed", "Skipped", "Failed"


@task(
    task_run_name="skip-{step}-{hour:%Y%m%dT%H}Z",
    retries=0,
    timeout_seconds=TIMEOUT_REPORT_S,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def skipped_step(step: str, hour: pd.Timestamp, reason: str) -> Any:
    """A step not run: a task run in state ``Skipped`` (a Completed type) whose message is the reason."""
    return Completed(name=SKIPPED, message=reason)


def one_line(exc: BaseException) -> str:
    """An error as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class Chain:
    """The steps of one flow run (see the module).

    Parameters
    ----------
    hour : pd.Timestamp
        The hour (or day) the run is about: it names the skipped steps' task runs.
    """

    def __init__(self, hour: pd.Timestamp) -> None:
        self.hour = hour
        self.steps: dict[str, dict[str, object]] = {}

    def record(self, name: str, state: str, seconds: float | None = None, reason: str | None = None) -> None:
        """Record a step's outcome (``Completed``, ``Skipped`` or ``Failed``) and log it."""
        entry: dict[str, object] = {"state": state}
        if reason:
            entry["reason"] = reason
        if seconds is not None:
            entry["seconds"] = round(seconds, 3)
        self.steps[name] = entry
        logger = get_run_logger()
        if state == FAILED:
            logger.error("step %s failed: %s; the steps that need it are skipped", name, reason)
        elif state == SKIPPED:
            logger.info("step %s skipped: %s", name, reason)

    def blocked(self, needs: Iterable[str]) -> str | None:
        """Why a step that needs ``needs`` cannot run (None when every one of them completed)."""
        for need in needs:
            entry = self.steps.get(need)
            if entry is None:
                return f"needs {need}, which did not run"
            if entry["state"] != COMPLETED:
                cause = str(entry.get("cause", entry.get("reason", "")))
                return f"needs {need} ({str(entry['state']).lower()}): {cause}".rstrip(": ")
        return None

    def ok(self, name: str) -> bool:
        """Whether the step completed."""
        return self.steps.get(name, {}).get("state") == COMPLETED

    def step(
        self, name: str, fn: Callable[..., Any], *args: Any, needs: Iterable[str] = (), **kwargs: Any
    ) -> Any:
        """Run one step unless what it needs did not complete; record its state; its result or None."""
        reason = self.blocked(needs)
        if reason is not None:
            skipped_step(name, self.hour, reason)
            self.record(name, SKIPPED, reason=reason)
            self.steps[name]["cause"] = reason.split("): ", 1)[-1]
            return None
        t0 = time.perf_counter()
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # a failed step is reported and blocks its dependants; the run goes on
            self.record(name, FAILED, time.perf_counter() - t0, one_line(exc))
            return None
        nothing = out.get("skipped") if isinstance(out, dict) else None
        self.record(name, SKIPPED if nothing else COMPLETED, time.perf_counter() - t0, nothing)
        return out

    def result(self, name: str, value: Any) -> Any:
        """The step's result when it completed; else ``{"skipped": reason}`` or ``{"failed": reason}``."""
        if value is not None:
            return value
        entry = self.steps[name]
        return {"failed" if entry["state"] == FAILED else "skipped": entry.get("reason", "")}

    def to_dict(self) -> dict[str, dict[str, object]]:
        """Every step in the order run: ``state``, ``reason`` (when not completed), ``seconds``."""
        return {k: {f: x for f, x in v.items() if f != "cause"} for k, v in self.steps.items()}
