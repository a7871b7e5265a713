"""``gridflow scenario``: the named operating scenarios (list, run, compare); wiring over gridcore.scenarios.

A single run is in process (no Prefect): the chain of :func:`gridcore.scenarios.run_scenario`, its report in
``<store>/scenarios/<name>/`` (or ``--out``). ``run --all`` and ``run-all`` run a set as the Prefect flow
:func:`flows.scenarios.scenarios` (one task per scenario) on the command's temporary Prefect API.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridflowGroup, GridOpt, JsonOpt, StoreOpt, emit

scenario_app = typer.Typer(
    help="Operating scenarios: heat wave, cloudy solar, plant outage, maintenance, evening ramp.",
    no_args_is_help=True,
    cls=GridflowGroup,
)

FileOpt = Annotated[
    Path | None,
    typer.Option("--file", help="A scenario TOML file (a copy of a shipped one, edited) to run instead."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Report folder [default: <store>/scenarios/<name>]."),
]


def _spec(name: str | None, file: Path | None):  # noqa: ANN202
    from gridcore.errors import InputError
    from gridcore.scenarios import load_scenario, read_scenario

    if file is not None:
        spec = read_scenario(file)
        if name is not None and name != spec.name:
            raise InputError(
                f"NAME {name!r} and --file {file} (scenario {spec.name!r}) disagree: give one of them",
                field="NAME",
            )
        return spec
    if name is None:
        raise InputError("give a scenario NAME (see `gridflow scenario list`) or --file", field="NAME")
    return load_scenario(name)


def _running(label: str, as_json: bool):  # noqa: ANN202
    """A spinner on stderr while a scenario runs (none under ``--json``)."""
    import contextlib

    if as_json:
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(label)


def _folder(out: Path | None, store: Path | None, name: str) -> Path:
    from gridcore.checks import store_path
    from gridcore.errors import InputError

    if out is not None and out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder", field="--out")
    return out if out is not None else Path(store_path(str(store) if store else None)) / "scenarios" / name


@scenario_app.command("list")
def scenario_list(as_json: JsonOpt = False) -> None:
    """The shipped scenarios: name, what they do, and the file to copy and edit."""
    from gridcore.scenarios import list_scenarios

    items = list_scenarios()
    if as_json:
        emit({"scenarios": items}, True, "")
        return
    emit({s["name"]: f"{s['description']} ({s['file']})" for s in items}, False, "gridflow scenario list")


@scenario_app.command("run")
def scenario_run(
    name: Annotated[str | None, typer.Argument(help="Scenario name (gridflow scenario list).")] = None,
    grid: GridOpt = None,
    file: FileOpt = None,
    store: StoreOpt = None,
    out: OutOpt = None,
    run_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Run every shipped scenario as one Prefect flow, one task each (see run-all)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a scenario end to end: forecast, power flow, prices, batteries, shedding, re-check, report.

    JSON: scenario, constraints_found, constraints_resolved, critical_affected, unserved_mwh,
    peak_reduction_pct, renewable_utilization_pct, report, seconds, and the details (steps, trade-off).
    With ``--all``: as ``scenario run-all``.
    """
    from gridcore.scenarios import run_scenario

    if run_all:
        from gridcore.errors import InputError

        if name is not None or file is not None:
            raise InputError("--all runs every shipped scenario: give no NAME or --file", field="--all")
        _run_set([], grid, store, out, as_json)
        return
    t0 = time.perf_counter()
    spec = _spec(name, file)
    folder = _folder(out, store, spec.name)
    with _running(f"scenario {spec.name}: forecast, power flow, prices, batteries, shedding ...", as_json):
        result = run_scenario(spec, grid=grid, out_dir=folder)
    figures = result.to_dict()
    figures["seconds"] = round(time.perf_counter() - t0, 3)
    if as_json:
        emit(figures, True, "")
        return
    keys = list(figures)[:9] + ["constraints_before", "constraints_after", "tradeoff"]
    emit({k: figures[k] for k in keys}, False, f"gridflow scenario run {spec.name}")


@scenario_app.command("run-all")
def scenario_run_all(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario names or .toml files [default: every shipped scenario]."),
    ] = None,
    grid: GridOpt = None,
    store: StoreOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a set of scenarios as one Prefect flow, one task per scenario (fanned out on Dask).

    Reports in ``<store>/scenarios/<name>/`` (or ``--out DIR/<name>``). JSON: ``scenarios`` (each one's
    summary as ``scenario run --json`` prints it), ``failed`` (name -> error; exit 1 when any),
    ``seconds`` (the set's wall time in the flow), ``sum_seconds`` (the scenarios' own times added),
    ``command_seconds`` (with the Prefect API's start).
    """
    _run_set(names or [], grid, store, out, as_json)


def _run_set(names: list[str], grid: str | None, store: Path | None, out: Path | None, as_json: bool) -> None:
    from cli import common as cli_common
    from gridcore.errors import InputError
    from gridcore.scenarios import load_scenario

    t0 = time.perf_counter()
    for name in names:
        load_scenario(name)  # an unknown name or a bad file: one line before any server starts
    if out is not None and out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder", field="--out")
    cli_common.start_prefect(as_json)
    from flows.scenarios import scenarios

    cli_common.api_ready()
    res = scenarios(
        names=names or None, store=str(store) if store else None, out=str(out) if out else None, grid=grid
    )
    res["command_seconds"] = round(time.perf_counter() - t0, 3)
    if as_json:
        emit(res, True, "")
    else:
        rows = {
            str(s["scenario"]): f"{s['constraints_resolved']}/{s['constraints_found']} resolved, "
            f"{s['unserved_mwh']} MWh unserved, {s['seconds']} s"
            for s in res["scenarios"]  # type: ignore[union-attr]
        }
        rows.update({k: f"failed: {v}" for k, v in res["failed"].items()})  # type: ignore[union-attr]
        rows["seconds"] = str(res["seconds"])
        emit(rows, False, "gridflow scenario run-all")
    if res["failed"]:
        raise typer.Exit(1)


@scenario_app.command("compare")
def scenario_compare(
    a: Annotated[str, typer.Argument(help="First scenario: a name or a .toml file.")],
    b: Annotated[str, typer.Argument(help="Second scenario: a name or a .toml file.")],
    grid: GridOpt = None,
    store: StoreOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Two scenarios (e.g. two remedy orders of the same situation) side by side.

    JSON: ``a`` and ``b`` (each run's summary), ``difference`` (b minus a of each figure), ``report``.
    """
    from gridcore.scenarios import load_scenario, run_scenario
    from gridcore.scenarios.compare import compare

    t0 = time.perf_counter()
    specs = [load_scenario(a), load_scenario(b)]
    label = f"compare-{Path(a).stem}-vs-{Path(b).stem}"
    folder = _folder(out, store, label)
    with _running(f"scenarios {specs[0].name} and {specs[1].name} ...", as_json):
        pairs = zip("ab", specs, strict=True)
        results = [run_scenario(s, grid=grid, out_dir=folder / f"{k}-{s.name}") for k, s in pairs]
    figures = compare(results[0], results[1], folder)
    figures["seconds"] = round(time.perf_counter() - t0, 3)
    if as_json:
        emit(figures, True, "")
        return
    emit(figures["table"], False, f"gridflow scenario compare {a} {b}")  # type: ignore[arg-type]
