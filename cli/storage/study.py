"""``gridflow storage study``: allocation strategies at equal total MWh (the study: gridcore.storage.study).

The command loads the grid, runs :func:`gridcore.storage.study.run_study` in this process (about 20k small
LPs, milliseconds each: no Prefect task or Dask worker would pay for itself) and writes its files: the
table (``study.csv``), the degradation trade-off (``tradeoff.csv``), the allocation of each strategy at the
base size (``allocation.csv``) and the plots (``study.png``: utilization and curtailment against total
capacity per strategy, one column per period; ``tradeoff.png``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, time_option
from cli.storage.base import JsonOpt, StoreOpt, storage_app
from gridcore.errors import InputError


def parse_floats(text: str, option: str) -> tuple[float, ...]:
    """Comma-separated numbers of an option (``"0.5,1,2"``); a bad value is an error naming ``option``."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as err:
        raise InputError(
            f"{option}: {text!r} is not a comma-separated list of numbers", field=option
        ) from err
    if not values:
        raise InputError(f"{option}: give at least one number", field=option)
    return values


@storage_app.command("study")
def study_command(
    summer: Annotated[str, time_option("First hour of the summer week, ISO 8601 UTC.")] = "2016-07-01T00:00Z",
    winter: Annotated[str, time_option("First hour of the winter week, ISO 8601 UTC.")] = "2016-01-11T00:00Z",
    year: Annotated[
        bool,
        typer.Option("--year/--no-year", help="Also run the year (52 weekly LPs per site, SoC carried)."),
    ] = True,
    sizes: Annotated[
        str,
        typer.Option(help="Total energies as multiples of 1 MWh per MW of installed PV, comma-separated."),
    ] = "0.25,0.5,1,2,4",
    multipliers: Annotated[
        str, typer.Option(help="Throughput-cost multipliers of the degradation trade-off, comma-separated.")
    ] = "0,0.5,1,2,4,8,16",
    weeks: Annotated[int, typer.Option(help="Weeks of the year run.", min=1, max=52)] = 52,
    store: StoreOpt = None,
    grid: GridOpt = None,
    out: Annotated[Path | None, typer.Option(help="Output folder [default <store>/storage_study/].")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare storage allocation strategies at equal total MWh: summer week, winter week, year."""
    from cli.common import emit
    from gridcore.checks import store_path

    t0 = time.perf_counter()
    figures = run(summer, winter, year, sizes, multipliers, weeks, store, out, as_json, grid)
    figures["seconds"] = round(time.perf_counter() - t0, 2)
    if as_json:
        emit(figures, True, "")
        return
    _print_summary(figures, out or Path(store_path(str(store) if store else None)) / "storage_study")


def run(
    summer: str,
    winter: str,
    year: bool,
    sizes: str,
    multipliers: str,
    weeks: int,
    store: Path | None,
    out: Path | None,
    as_json: bool,
    grid_spec: str | None = None,
) -> dict[str, object]:
    """Run the study and write its files; the figures for ``--json``."""
    from gridcore.checks import store_path
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid_spec import grid_model
    from gridcore.storage.study import StudyConfig, run_study, study_steps, study_summary, write_study

    config = StudyConfig(
        summer_start=summer,
        winter_start=winter,
        year=year,
        weeks=weeks,
        size_factors=parse_floats(sizes, "--sizes"),
        cost_multipliers=parse_floats(multipliers, "--multipliers"),
    )
    folder = Path(out) if out else Path(store_path(str(store) if store else None)) / "storage_study"
    grid = grid_model(grid_spec)
    feeders = derive_feeders(grid)
    if as_json:
        result = run_study(grid, feeders.bus_feeder, config)
    else:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description:<36}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("storage study", total=study_steps(config))

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=label)

            result = run_study(grid, feeders.bus_feeder, config, progress)
    written = write_study(folder, result)
    return study_summary(result, config, written).to_dict()


def _print_summary(figures: dict[str, object], folder: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    util = figures["utilization_pct_at_base"]
    strategies = [s for s in figures["strategies"] if s in next(iter(util.values()), {})]
    table = Table(
        title=f"gridflow storage study: utilization [%] at {figures['base_mwh']} MWh ({figures['seconds']} s)"
    )
    table.add_column("period")
    for s in strategies:
        table.add_column(s, justify="right")
    table.add_column("best")
    for period, values in util.items():
        table.add_row(period, *(f"{values[s]:.2f}" for s in strategies), figures["best"].get(period, ""))
    console = Console()
    console.print(table)
    console.print(f"written to {folder}: " + ", ".join(Path(p).name for p in figures["written"].values()))
