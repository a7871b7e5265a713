"""The steps of one run of the chain: each step's state, reason and time, and what a failed step blocks.

A flow runs its steps through :meth:`Chain.step`: a step whose upstream did not complete is not run, it is
recorded ``Skipped`` with the reason (``needs renewables (failed): NotADirectoryError: ...``, the first
cause of the chain of skips) and shows in the Prefect UI as a
task run named ``skip-<step>-<hour>`` in state ``Skipped``; a step that raises is recorded ``Failed`` with
the error in one line (its task run is Failed in the UI, with the traceback) and the run goes on with the
steps that do not depend on it. A step that returns a dict with ``skipped`` (nothing to do: no champion
model yet, no constraint left) is recorded ``Skipped`` with that reason and blocks its dependants the same
way. The flow's JSON ``steps`` is :meth:`Chain.to_dict`. No algorithm here.

What each step needs is defined once, here: :data:`HOURLY` and :data:`DAILY` (step -> :class:`StepDef`); a
flow's :class:`Chain` takes its plan and gates each step on the plan's ``needs``, and ``docs/dag.py`` draws
the DAG of the README from the same definitions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.states import Completed

from tasks.policy import TIMEOUT_REPORT_S

COMPLETED, SKIPPED, FAILED = "Completed", "Skipped", "Failed"


@dataclass(frozen=True)
class StepDef:
    """One step of a flow's chain: what it needs, what it only runs after, its Prefect task runs.

    Attributes
    ----------
    needs : tuple of str
        Steps that must have completed: if one did not, this step is skipped with the reason.
    after : tuple of str
        Steps it runs after and reads when they wrote something, without needing them (the report reads
        every step; the renewables read a re-planned forecast when there is one).
    tasks : str
        The step's Prefect task runs as the UI names them (``H`` the hour, ``I`` the issue, ``D`` the day;
        ``x n``: fanned out).
    """

    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    tasks: str = ""


#: The hourly flow's chain (:func:`flows.hourly.hourly`) for the hour H, issue I = H + 1 h.
HOURLY: dict[str, StepDef] = {
    "ingest": StepDef(tasks="ami-H-block{k} (x blocks of meters), grid-feeds-H"),
    "feeder_load": StepDef(("ingest",), tasks="persist-H"),
    "topology": StepDef(("feeder_load",), tasks="topology-I"),
    "demand_forecast": StepDef(("topology",), tasks="champions-I, demand-inputs-I, forecast (x groups)"),
    "forecast_check": StepDef(("feeder_load",), tasks="forecast-check-H"),
    "replan": StepDef(("forecast_check", "demand_forecast"), tasks="replan-forecast-I (when off by 10 %)"),
    "renewables": StepDef(("topology", "demand_forecast"), ("replan",), tasks="renewables-I"),
    "constraints": StepDef(("demand_forecast", "renewables"), tasks="constraints-I-24h (before batteries)"),
    "batteries": StepDef(("demand_forecast", "renewables"), tasks="schedule-batteries (x batches)"),
    "constraints_remaining": StepDef(("constraints", "batteries"), tasks="constraints-I-24h (written)"),
    "prices": StepDef(("demand_forecast", "renewables"), tasks="market-I-24h"),
    "shedding": StepDef(("constraints_remaining",), tasks="shed-events-I, shed-plan (x events)"),
    "monitoring": StepDef(("feeder_load",), ("constraints_remaining",), tasks="monitor-H"),
    "report": StepDef(
        after=("forecast_check", "replan", "prices", "shedding", "monitoring"), tasks="report-chain-hourly-H"
    ),
}

#: The daily flow's chain (:func:`flows.daily.daily`) for the day D, issue I = D + 1 day, 168 h ahead.
DAILY: dict[str, StepDef] = {
    "catch_up": StepDef(tasks="the hourly cycle of each missing hour"),
    "day_report": StepDef(("catch_up",), tasks="the day's feeder report"),
    "demand_forecast": StepDef(("catch_up",), tasks="retrain (x groups), forecast-I-168h"),
    "renewables": StepDef(("demand_forecast",), tasks="renewables-I"),
    "constraints": StepDef(("demand_forecast", "renewables"), tasks="constraints-I-168h (before batteries)"),
    "batteries": StepDef(("demand_forecast", "renewables"), tasks="schedule-batteries (x batches), health"),
    "constraints_remaining": StepDef(
        ("demand_forecast", "renewables", "batteries"), ("constraints",), tasks="constraints-I-168h (written)"
    ),
    "prices": StepDef(("demand_forecast", "renewables"), tasks="market-I-168h"),
    "shedding": StepDef(("constraints_remaining",), tasks="shed-events-I, shed-plan (x events, 24 h)"),
    "monitoring": StepDef(("catch_up",), tasks="monitor-D-HH (x 24 hours)"),
    "report": StepDef(after=("day_report", "prices", "shedding", "monitoring"), tasks="report-chain-daily-D"),
}


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
    plan : mapping of str to StepDef, optional
        The flow's steps (:data:`HOURLY`, :data:`DAILY`): a step run without ``needs`` needs what its
        definition says.
    off : iterable of str
        Steps this run leaves out on purpose (a flow parameter turned them off): not needed by the rest.
    """

    def __init__(
        self, hour: pd.Timestamp, plan: Mapping[str, StepDef] | None = None, off: Iterable[str] = ()
    ) -> None:
        self.hour = hour
        self.plan = dict(plan or {})
        self.off = set(off)
        self.steps: dict[str, dict[str, object]] = {}

    def needs(self, name: str) -> tuple[str, ...]:
        """What the step needs in this run: its definition's ``needs`` but the steps turned off."""
        step = self.plan.get(name)
        return tuple(n for n in step.needs if n not in self.off) if step else ()

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
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        needs: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run one step unless what it needs did not complete; record its state; its result or None.

        ``needs`` defaults to the plan's (:meth:`needs`).
        """
        reason = self.blocked(self.needs(name) if needs is None else needs)
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
