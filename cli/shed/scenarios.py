"""``gridflow shed scenarios``: a sweep of shortfalls, overloads and a rotating event (table, plot)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, emit, time_option
from cli.shed.base import MetersOpt, PrioritiesOpt, ReadStoreOpt, shed_app


@shed_app.command("scenarios")
def scenarios_command(
    at: Annotated[str, time_option("Time of the sweep, ISO 8601 UTC.", "--at")] = "2016-07-01T18:00Z",
    out: Annotated[Path, typer.Option("--out", help="Folder for the table (CSV) and the plot (PNG).")] = Path(
        "shed-scenarios"
    ),
    grid: GridOpt = None,
    priorities: PrioritiesOpt = None,
    meters: MetersOpt = None,
    store: ReadStoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sweep 5-50 % shortfalls, 1-3 simultaneous overloads and a 6-hour rotating event; table and plot.

    Batteries count from the store's schedules, as in ``shed plan``.
    """
    import pandas as pd

    from gridcore.checks import default_store_path
    from gridcore.shedding.events import Event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import prepare
    from gridcore.shedding.scenarios import plot_scenarios, run_scenarios

    rules = load_priorities(priorities)
    store_path = Path(store) if store is not None else Path(default_store_path())
    start = pd.Timestamp(at).tz_convert("UTC")
    one = prepare(Event(start, 1.0), rules, grid, meters, store_path, network=True)
    six = prepare(Event(start, 6.0, 0.0), rules, grid, meters, store_path)
    table = run_scenarios(one, rules, six)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "shed_scenarios.csv"
    table.to_csv(csv, index=False)
    png = plot_scenarios(table, out / "shed_scenarios.png", f"gridflow shed scenarios: {one.label} at {at}")
    figures = {
        "grid": one.label,
        "at": f"{start:%Y-%m-%dT%H:%M}Z",
        "csv": str(csv),
        "png": str(png),
        "rows": table.to_dict("records"),
    }
    if as_json:
        emit(figures, True, "")
        return
    from rich.console import Console
    from rich.table import Table

    view = Table(title=f"gridflow shed scenarios: {one.label} at {figures['at']}")
    for col in table.columns:
        view.add_column(str(col))
    for row in table.itertuples(index=False):
        view.add_row(*(str(v) for v in row))
    Console(width=220).print(view)
    typer.echo(f"table {csv}, plot {png}")
