"""The operating scenarios as one Prefect flow: one task per scenario, fanned out on the flow's Dask runner.

Each task runs a scenario's whole chain (:func:`tasks.scenario.run_scenario_task`) and writes its report to
``<store>/scenarios/<name>/`` (or ``<out>/<name>/``). A scenario that fails is listed under ``failed`` with
its error in one line; the others go on. The flow publishes a Markdown artifact ``scenarios`` with one row
per scenario. ``gridflow scenario run --all`` runs through it.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from gridcore.scenarios.result import HEADLINE
from tasks.chain import one_line
from tasks.common import flow, store_path
from tasks.runner import dask_runner
from tasks.scenario import run_scenario_task

#: Longest the whole set may take before Prefect fails the run [s] (the goal is 300 s).
SCENARIOS_TIMEOUT_S = 1800
#: Columns of the artifact's table.
COLUMNS = tuple(k for k in HEADLINE if k != "report")


@flow(
    name="operating-scenarios",
    task_runner=dask_runner(),
    log_prints=True,
    timeout_seconds=SCENARIOS_TIMEOUT_S,
)
def scenarios(
    names: list[str] | None = None,
    store: str | None = None,
    out: str | None = None,
    grid: str | None = None,
) -> dict[str, object]:
    """Run a set of scenarios, one task each; their summaries and the set's wall time.

    Parameters
    ----------
    names : list of str, optional
        Shipped scenario names or scenario files (``.toml``); every shipped scenario when omitted.
    store : str, optional
        Store root: the reports go to ``<store>/scenarios/<name>/``.
    out : str, optional
        Folder of the reports instead (``<out>/<name>/``).
    grid : str, optional
        SimBench code for every scenario instead of each one's own.

    Returns
    -------
    dict
        ``scenarios`` (each one's JSON summary, in the order given), ``failed`` (name -> error),
        ``seconds`` (the set's wall time) [s], ``sum_seconds`` (the scenarios' own times added) [s].
    """
    from gridcore.scenarios import list_scenarios

    t0 = time.perf_counter()
    names = names or [s["name"] for s in list_scenarios()]
    folder = Path(out) if out else Path(store_path(store)) / "scenarios"
    futures = [run_scenario_task.submit(n, str(folder / Path(n).stem), grid) for n in names]
    done: list[dict[str, object]] = []
    failed: dict[str, str] = {}
    for name, future in zip(names, futures, strict=True):
        try:
            done.append(future.result())
        except Exception as exc:  # one scenario failing leaves the others' results
            failed[name] = one_line(exc)
    seconds = round(time.perf_counter() - t0, 3)
    rows = [[str(d.get(c, "")) for c in COLUMNS] for d in done]
    rows += [[n, *["" for _ in COLUMNS[1:-1]], f"failed: {e}"] for n, e in failed.items()]
    create_markdown_artifact(
        markdown="\n".join(
            [
                f"# Operating scenarios ({len(done)} run, {len(failed)} failed, {seconds} s)",
                "",
                "| " + " | ".join(COLUMNS) + " |",
                "|" + "---|" * len(COLUMNS),
                *("| " + " | ".join(r) + " |" for r in rows),
            ]
        )
        + "\n",
        key="scenarios",
        description="The operating scenarios of one run",
    )
    get_run_logger().info("%d scenarios in %s s (%d failed)", len(done), seconds, len(failed))
    return {
        "scenarios": done,
        "failed": failed,
        "seconds": seconds,
        "sum_seconds": round(sum(float(d["seconds"]) for d in done), 3),  # type: ignore[arg-type]
    }
