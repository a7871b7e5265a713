"""``gridflow grid contingency``: N-1 over every line and transformer (no algorithm here)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cli.common import GridOpt
from cli.grid.base import AtOpt, BandOpt, CaseOpt, JsonOpt, LoadingOpt, grid_app


@grid_app.command("contingency")
def grid_contingency(
    case: CaseOpt = None,
    grid: GridOpt = None,
    at: AtOpt = None,
    loading_limit: LoadingOpt = 100.0,
    voltage_band: BandOpt = None,
    engine: Annotated[
        str, typer.Option(help="lightsim2grid (fast) or pandapower (the reference loop).")
    ] = "lightsim2grid",
    top: Annotated[int, typer.Option(help="Critical outages listed.", min=1)] = 10,
    progress: Annotated[bool, typer.Option("--progress", help="Show a progress bar on stderr.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """N-1: each line and transformer out in turn; islanding (load lost), overloads, voltage violations."""
    from cli.grid.base import _bands, _emit, _guard, _network

    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        from gridcore.network.contingency import contingency_analysis

        net, label, when = _network(case, at, grid)
        bar = None
        callback = None
        if progress:
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(console=Console(stderr=True), transient=True)
            task = bar.add_task("N-1", total=None)
            bar.start()

            def callback(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        try:
            result = contingency_analysis(
                net,
                loading_limit=loading_limit,
                vm_band=_bands(voltage_band),
                engine=engine,
                progress=callback,
            )
        finally:
            if bar is not None:
                bar.stop()
        out: dict[str, object] = {"case": label, "at": when, **result.summary(top)}
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    _emit(_guard(call), as_json, "gridflow grid contingency")
