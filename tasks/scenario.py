"""Prefect task of one operating scenario: its whole chain, report and JSON summary (no algorithm).

The chain is :func:`gridcore.scenarios.run_scenario`; the flow that fans the scenarios out is
:mod:`flows.scenarios`.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import get_run_logger, task

from tasks.policy import TIMEOUT_REPORT_S, compute_task


@task(task_run_name="scenario-{name}", **compute_task(TIMEOUT_REPORT_S))
def run_scenario_task(name: str, out_dir: str, grid: str | None = None) -> dict[str, object]:
    """Run one scenario end to end and write its report into ``out_dir``; its JSON summary.

    Parameters
    ----------
    name : str
        A shipped scenario's name or a scenario file (``.toml``).
    out_dir : str
        Report folder (``report.md``, PNG figures, ``summary.json``, ``hourly.csv``).
    grid : str, optional
        SimBench code instead of the scenario's own.

    Returns
    -------
    dict
        :meth:`gridcore.scenarios.ScenarioResult.to_dict`, ``seconds`` the task's wall time [s].
    """
    from gridcore.scenarios import load_scenario, run_scenario

    t0 = time.perf_counter()
    result = run_scenario(load_scenario(name), grid=grid, out_dir=Path(out_dir))
    out = result.to_dict()
    out["seconds"] = round(time.perf_counter() - t0, 3)
    get_run_logger().info(
        "scenario %s: %d constraint periods found, %d resolved, %.3f MWh unserved, %s s",
        out["scenario"],
        out["constraints_found"],
        out["constraints_resolved"],
        out["unserved_mwh"],
        out["seconds"],
    )
    return out
