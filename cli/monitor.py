"""``gridflow monitor``: the anomalies of an hour (wiring only; the checks are :mod:`gridcore.monitor`)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cli import common as cli_common
from cli.common import JsonOpt, MetersOpt, PipelineGridOpt, StoreOpt, time_option

#: Anomalies shown in the table (``--json`` lists all).
TABLE_ROWS = 30


def monitor(
    at: Annotated[
        str | None, time_option("Hour to monitor, ISO 8601 UTC (default: the last complete hour).", "--at")
    ] = None,
    store: StoreOpt = None,
    grid: PipelineGridOpt = None,
    ingest: Annotated[
        bool,
        typer.Option(help="When the store has no readings of the hour, run the hourly cycle for it first."),
    ] = True,
    meters: MetersOpt = 100_000,
    powerflow: Annotated[
        bool,
        typer.Option(
            "--powerflow", help="Run a power flow of the hour when no stored constraint periods cover it."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Anomalies of an hour: meters, sensors, voltage and loading, forecast errors, drift, tampering.

    Each with its severity (low, medium, high), place (meter, sensor, feeder, element, series) and evidence.
    What the store lacks for a check is listed under "missing" with the command that makes it.
    """
    t0 = time.perf_counter()
    from gridcore.checks import parse_hour, store_path
    from gridcore.monitor.hour import check_store_grid, monitor_store_hour, readings_present
    from gridcore.network.grid import default_code

    hour = parse_hour(at, "--at")
    root = store_path(str(store) if store else None)
    ran = None
    if ingest and not readings_present(root, hour):
        # the grid the hour would run on (--grid sets GRIDFLOW_GRID): never into another grid's store
        check_store_grid(root, grid or default_code())
        cli_common.start_prefect(as_json)
        cli_common.api_ready()
        from flows.hourly import hourly

        ran = hourly(
            at=f"{hour:%Y-%m-%dT%H:%MZ}", store=root, meters=meters, forecast=False, constraints=False
        )
    report = monitor_store_hour(root, hour, grid=grid, powerflow=powerflow)
    out = report.to_dict()
    if ran is not None:
        out["ran"] = {"hourly": ran.get("run_id"), "seconds": ran.get("seconds")}
    out["seconds"] = round(time.perf_counter() - t0, 3)
    if as_json:
        cli_common.emit(out, True, "")
        return
    head: dict[str, object] = {
        k: out[k] for k in ("at", "total", "by_severity", "checked", "sources", "missing")
    }
    for kind, sev in report.counts().items():
        head[f"  {kind}"] = ", ".join(f"{n} {s}" for s, n in sev.items() if n)
    for a in report.records(TABLE_ROWS):
        head[f"{a['severity']} {a['type']} {a['place']}"] = a["evidence"]
    if len(report.anomalies) > TABLE_ROWS:
        head["..."] = f"{len(report.anomalies) - TABLE_ROWS} more (--json lists all)"
    head["seconds"] = out["seconds"]
    cli_common.emit(head, False, f"gridflow monitor {out['at']}")


__all__ = ["monitor"]
