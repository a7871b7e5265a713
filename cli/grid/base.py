"""The ``gridflow grid`` commands: power flow, contingency, time series, topology changes and maps.

Wiring only: the power flow, constraints and map live in ``gridcore.network``. These commands run no
Prefect flow (and import no Prefect), so they answer in the time pandapower takes to load and solve.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, check_input_file, check_time
from gridcore.errors import InputError

grid_app = typer.Typer(
    help="The network: power flow, N-1, time series, switching, maps.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
CaseOpt = Annotated[
    Path | None,
    typer.Option(
        "--case",
        help="Case file: MATPOWER .m or pandapower .json (as --grid FILE).",
        callback=check_input_file,
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="UTC time (ISO 8601, e.g. 2016-07-01T14:00Z): the grid with its profile values of that "
        "quarter hour (default: its base case).",
        callback=check_time,
    ),
]
LoadingOpt = Annotated[float, typer.Option("--loading-limit", help="Thermal limit of branches [%].", min=0.0)]
BandOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--voltage-band",
        help="Voltage band of a level as LEVEL=LOW:HIGH in p.u., e.g. MV=0.97:1.03 (repeatable; levels LV, "
        "MV, HV, EHV, unknown; default 0.95:1.05 for LV/MV, 0.90:1.10 above).",
    ),
]


@grid_app.command("powerflow")
def grid_powerflow(
    case: CaseOpt = None,
    grid: GridOpt = None,
    at: AtOpt = None,
    loading_limit: LoadingOpt = 100.0,
    voltage_band: BandOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """AC power flow (pandapower Newton-Raphson) on a grid (--grid, --case), with violations."""
    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        net, label, when = _network(case, at, grid)
        from gridcore.network.powerflow import run_powerflow

        result = run_powerflow(net, loading_limit_pct=loading_limit, voltage_bands=_bands(voltage_band))
        out: dict[str, object] = {"case": label, "at": when, **result.to_dict()}
        out["command_seconds"] = round(time.perf_counter() - t0, 3)
        return out

    figures = _guard(call)
    if as_json:
        _emit(figures, True, "")
        return
    _emit(_summary(figures), False, f"gridflow grid powerflow: {figures['case']}")


@grid_app.command("map")
def grid_map(
    at: AtOpt = None,
    out: Annotated[Path, typer.Option("--out", help="GeoJSON file to write.")] = Path("map.geojson"),
    png: Annotated[Path | None, typer.Option("--png", help="Also draw the map as a PNG.")] = None,
    case: CaseOpt = None,
    grid: GridOpt = None,
    loading_limit: LoadingOpt = 100.0,
    voltage_band: BandOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Solve the power flow and write the network as GeoJSON (buses, lines with loading, violations)."""
    t0 = time.perf_counter()

    def call() -> dict[str, object]:
        net, label, when, model = _resolve(case, at, grid)
        from gridcore.network.geo import network_geojson, plot_map
        from gridcore.network.powerflow import run_powerflow

        result = run_powerflow(net, loading_limit_pct=loading_limit, voltage_bands=_bands(voltage_band))
        feeders = None
        if model is not None:
            from gridcore.network.feeders import derive_feeders

            feeders = derive_feeders(model)
        collection = network_geojson(net, result, feeders)
        text = json.dumps(collection, allow_nan=False)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
            plot_map(collection, png, f"{label}{f' at {when}' if when else ''}: loading and violations")
        kinds = [f["geometry"]["type"] for f in collection["features"]]  # type: ignore[index, union-attr]
        loading = result.branches["loading_percent"].max()
        return {
            "case": label,
            "at": when,
            "out": str(out),
            "png": str(png) if png is not None else None,
            "features": len(kinds),
            "points": kinds.count("Point"),
            "linestrings": kinds.count("LineString"),
            "converged": result.converged,
            "iterations": result.iterations,
            "vm_min_pu": _round(result.buses["vm_pu"].min(), 6),
            "vm_max_pu": _round(result.buses["vm_pu"].max(), 6),
            "max_loading_percent": _round(loading, 3),
            "violations": len(result.violations),
            "seconds": round(result.seconds, 4),
            "command_seconds": round(time.perf_counter() - t0, 3),
        }

    _emit(_guard(call), as_json, "gridflow grid map")


def _network(case: Path | None, at: str | None, grid: str | None = None) -> tuple[object, str, str | None]:
    """The net to solve, a label for it, and the UTC time applied (ISO 8601) if any (see :func:`_resolve`)."""
    net, label, when, _ = _resolve(case, at, grid)
    return net, label, when


def _resolve(
    case: Path | None, at: str | None, grid: str | None = None
) -> tuple[object, str, str | None, object]:
    """The net, its label, the UTC time applied, and the grid's ``GridModel`` (None without profiles).

    ``--case FILE`` is ``--grid FILE``; without either, GRIDFLOW_GRID or the default grid.
    """
    import logging

    logging.getLogger("pandapower").setLevel(logging.ERROR)
    if case is not None and grid is not None:
        raise InputError("give the grid once: --case FILE or --grid CODE|FILE", field="--case")
    from gridcore.network.grid_spec import resolve_grid

    resolved = resolve_grid(case if case is not None else grid, "--case" if case is not None else "--grid")
    net = resolved.net
    if at is None:
        return net, resolved.label, None, resolved.model
    if resolved.model is None:
        option = "--case" if case is not None else "--grid FILE"
        raise InputError(
            f"--at sets the grid's profile values; it does not apply to {option} without profiles "
            f"({resolved.label})",
            field="--at",
        )
    from gridcore.network.powerflow import set_loads_at
    from gridcore.times import to_utc

    ts = to_utc(at, "--at", naive="error")
    set_loads_at(net, resolved.model, ts)
    return net, resolved.label, f"{ts:%Y-%m-%dT%H:%M}Z", resolved.model


def _bands(specs: list[str] | None) -> dict[str, tuple[float, float]] | None:
    """``["MV=0.97:1.03"]`` as ``{"MV": (0.97, 1.03)}``."""
    if not specs:
        return None
    from gridcore.network.powerflow import DEFAULT_VOLTAGE_BANDS

    bands: dict[str, tuple[float, float]] = {}
    for spec in specs:
        level, _, band = spec.partition("=")
        low, _, high = band.partition(":")
        try:
            bands[level.strip()] = (float(low), float(high))
        except ValueError:
            raise InputError(
                f"--voltage-band {spec!r}: write LEVEL=LOW:HIGH, e.g. MV=0.97:1.03", field="--voltage-band"
            ) from None
        if level.strip() not in DEFAULT_VOLTAGE_BANDS:
            levels = ", ".join(DEFAULT_VOLTAGE_BANDS)
            message = f"--voltage-band {spec!r}: unknown level {level!r}; use one of {levels}"
            raise InputError(message, field="--voltage-band")
    return bands


def _summary(figures: dict[str, object]) -> dict[str, object]:
    """The headline figures of a power-flow result, for the terminal."""
    buses = figures["buses"]
    branches = figures["branches"]
    assert isinstance(buses, list) and isinstance(branches, list)
    solved = [b for b in buses if b["vm_pu"] is not None]
    low = min(solved, key=lambda b: b["vm_pu"], default=None)
    high = max(solved, key=lambda b: b["vm_pu"], default=None)
    loaded = [b for b in branches if b["loading_percent"] is not None]
    top = max(loaded, key=lambda b: b["loading_percent"], default=None)
    violations = figures["violations"]
    assert isinstance(violations, list)
    return {
        "case": figures["case"],
        "at": figures["at"],
        "converged": figures["converged"],
        "iterations": figures["iterations"],
        "seconds": figures["seconds"],
        "buses / branches": f"{len(buses)} / {len(branches)}",
        "lowest voltage": f"{low['vm_pu']:.4f} p.u. at bus {low['bus']}" if low else None,
        "highest voltage": f"{high['vm_pu']:.4f} p.u. at bus {high['bus']}" if high else None,
        "highest loading": (
            f"{top['loading_percent']:.1f} % on {top['element']} {top['id']} "
            f"({top['from_bus']}-{top['to_bus']})"
            if top
            else None
        ),
        "violations": len(violations),
        **{
            f"  {v['kind']} {v['element']} {v['id']}": f"{v['value']} (limit {v['limit']})"
            for v in violations[:20]
        },
        "command_seconds": figures["command_seconds"],
    }


def _guard(call) -> dict[str, object]:  # noqa: ANN001
    """Run ``call``; bad input or an unsolvable network exits 1 with one line on stderr."""
    from cli.common import fail as _fail

    try:
        return call()
    except (ValueError, FileNotFoundError) as err:
        _fail(str(err))
        raise  # unreachable: _fail exits


def _emit(figures: dict[str, object], as_json: bool, headline: str) -> None:
    from cli.common import emit

    emit(figures, as_json, headline)


def _round(value: object, digits: int) -> float | None:
    import math

    x = float(value)  # type: ignore[arg-type]
    return round(x, digits) if math.isfinite(x) else None
