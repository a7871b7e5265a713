"""The report of one run of the chain: its steps as a table, the figures that matter, the Markdown.

A run of the hourly or daily flow goes from meters to decisions in steps (ingest ... shedding, monitoring).
Its report says, per step, whether it completed, was skipped or failed and why, gives the run's headline
figures, and draws what an operator looks at first: the forecast band of the system's demand, the fleet's
state of charge, the prices, the shedding planned [MW] and a loading map. Every function here takes data
and returns data or writes one PNG; where the files go and how they are published is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure


def _figure(width: float = 10.0, height: float = 3.6) -> tuple[Figure, object]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Figure, path: str | Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return str(path)


def forecast_band_figure(
    forecast: xr.Dataset, path: str | Path, series: str = "system", actual_mw: pd.Series | None = None
) -> str:
    """Draw one series of a stored demand forecast with its 80 % and 90 % bands.

    Parameters
    ----------
    forecast : xr.Dataset
        :func:`gridcore.forecast.store.read_demand_forecast`: ``point_mw``, ``quantile_mw`` (quantiles
        0.05, 0.1, 0.9, 0.95 among them), ``target_time``.
    path : str or Path
        PNG to write.
    series : str
        Series drawn (``system``, ``feeder:<id>``, ``load:<name>``).
    actual_mw : pd.Series, optional
        Metered load [MW], UTC index: drawn where it overlaps the forecast or just before it.

    Returns
    -------
    str
        The path written.
    """
    one = forecast.sel(series=series).isel(issue_time=0)
    t = pd.DatetimeIndex(one["target_time"].values)
    q = one["quantile_mw"]
    fig, ax = _figure()
    ax.fill_between(t, q.sel(quantile=0.05), q.sel(quantile=0.95), color="tab:blue", alpha=0.18, label="90 %")
    ax.fill_between(t, q.sel(quantile=0.1), q.sel(quantile=0.9), color="tab:blue", alpha=0.32, label="80 %")
    ax.plot(t, one["point_mw"].values, color="tab:blue", lw=1.5, label="forecast (median)")
    if actual_mw is not None and len(actual_mw):
        a = actual_mw.copy()
        a.index = pd.DatetimeIndex(a.index).tz_convert(None) if a.index.tz is not None else a.index
        ax.plot(a.index, a.to_numpy(dtype=float), color="black", lw=1.0, marker=".", label="metered")
    ax.set_ylabel("load [MW]")
    ax.set_xlabel("time [UTC]")
    issue = pd.Timestamp(forecast["issue_time"].values[0])
    ax.set_title(f"Demand forecast {series}, issued {issue:%Y-%m-%d %H:%M}Z")
    ax.legend(loc="upper left", ncol=4, fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def soc_figure(schedule: xr.Dataset, path: str | Path) -> str:
    """Draw the fleet's state of charge by kind of battery [% of capacity] from a stored schedule.

    Parameters
    ----------
    schedule : xr.Dataset
        :func:`gridcore.storage.store.read_schedule`: ``soc_mwh``, ``energy_mwh`` and ``kind`` per battery.
    path : str or Path

    Returns
    -------
    str
    """
    fig, ax = _figure()
    t = pd.DatetimeIndex(schedule["time"].values)
    kinds = schedule["kind"].values
    for kind in np.unique(kinds):
        sel = kinds == kind
        soc = schedule["soc_mwh"].values[sel].sum(0) / schedule["energy_mwh"].values[sel].sum()
        ax.plot(t, 100 * soc, label=f"{kind} ({int(sel.sum())})")
    ax.set_ylim(0, 100)
    ax.set_ylabel("state of charge [%]")
    ax.set_xlabel("time [UTC]")
    ax.set_title(f"Battery fleet state of charge, schedule from {schedule.attrs.get('issue_time', '')}")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def series_figure(values: pd.Series, path: str | Path, ylabel: str, title: str) -> str:
    """Draw one hourly series as steps (prices [EUR/MWh], a residual imbalance [MW], ...).

    Parameters
    ----------
    values : pd.Series
        UTC index (interval starts), the values in the unit ``ylabel`` names.
    path : str or Path
    ylabel, title : str

    Returns
    -------
    str
    """
    fig, ax = _figure()
    t = pd.DatetimeIndex(values.index)
    ax.step(t, values.to_numpy(dtype=float), where="post", color="tab:purple")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("time [UTC]")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def shed_figure(plans: Sequence[Mapping[str, object]], path: str | Path) -> str:
    """Draw a run's shedding plans: load shed and battery discharge per event [MW], critical customers hit.

    Parameters
    ----------
    plans : sequence of dict
        :func:`gridcore.shedding.request.make_plan` results (``at``, ``shed_mw``, ``battery_mw``,
        ``dimmed_mw``, ``critical_affected``, ``elements``).
    path : str or Path

    Returns
    -------
    str
    """
    fig, ax = _figure()
    labels = [f"{p['at']}\n{', '.join(p['elements'])[:40]}" for p in plans]  # type: ignore[arg-type]
    x = np.arange(len(plans))
    shed = [float(p["shed_mw"]) for p in plans]  # type: ignore[arg-type]
    dim = [float(p.get("dimmed_mw", 0.0)) for p in plans]  # type: ignore[arg-type]
    bat = [float(p["battery_mw"]) for p in plans]  # type: ignore[arg-type]
    ax.bar(x, bat, color="tab:green", label="battery [MW]")
    ax.bar(x, dim, bottom=bat, color="tab:orange", label="dimmed [MW]")
    ax.bar(x, shed, bottom=np.add(bat, dim), color="tab:red", label="shed [MW]")
    for k, p in enumerate(plans):
        if int(p["critical_affected"]):  # type: ignore[call-overload]
            ax.annotate(f"{p['critical_affected']} critical", (k, shed[k] + bat[k] + dim[k]), ha="center")
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("relief [MW]")
    ax.set_title("Shedding planned per constraint event")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def _cell(value: object) -> str:
    return str(value).replace("|", "/").replace("\n", " ")


def run_markdown(
    title: str,
    steps: Mapping[str, Mapping[str, object]],
    facts: Sequence[tuple[str, object]],
    figures: Sequence[tuple[str, str]] = (),
    notes: Sequence[str] = (),
) -> str:
    """The run's report as Markdown: the steps table, the headline figures, the figures, the notes.

    Parameters
    ----------
    title : str
    steps : mapping
        Step name to ``state`` (``Completed``, ``Skipped``, ``Failed``), ``reason``, ``seconds`` [s].
    facts : sequence of (str, object)
        Headline figures, the unit in the name (``system load [MW]``).
    figures : sequence of (str, str)
        Caption and the image's address (a path or URL) of each figure.
    notes : sequence of str
        Lines said after the figures (a re-plan, events emitted).

    Returns
    -------
    str
    """
    lines = [f"# {title}", "", "| step | state | seconds | reason |", "|---|---|---:|---|"]
    for name, s in steps.items():
        seconds = s.get("seconds")
        lines.append(
            f"| {name} | {s['state']} | {'' if seconds is None else seconds} | {_cell(s.get('reason', ''))} |"
        )
    if facts:
        lines += ["", "| figure | value |", "|---|---:|", *(f"| {k} | {_cell(v)} |" for k, v in facts)]
    for caption, address in figures:
        lines += ["", f"**{caption}**", "", f"![{caption}]({address})"]
    if notes:
        lines += ["", *(f"- {_cell(n)}" for n in notes)]
    return "\n".join(lines) + "\n"


def loading_map_figure(
    grid: str | None, at: pd.Timestamp, path: str | Path, loading_limit_pct: float = 100.0
) -> str:
    """Draw the grid's loading map at one hour: lines coloured by loading [%], violations marked.

    The loads and generation are the grid's profiles at ``at`` (the power flow of ``gridflow grid map``).

    Parameters
    ----------
    grid : str, optional
        SimBench code or case file (the default grid when None).
    at : pd.Timestamp
        UTC hour.
    path : str or Path
    loading_limit_pct : float
        Thermal limit the violations are marked against [%].

    Returns
    -------
    str
    """
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.geo import network_geojson, plot_map
    from gridcore.network.grid_spec import resolve_grid
    from gridcore.network.powerflow import run_powerflow, set_loads_at

    g = resolve_grid(grid)
    set_loads_at(g.net, g.model, at)
    result = run_powerflow(g.net, loading_limit_pct=loading_limit_pct)
    collection = network_geojson(g.net, result, derive_feeders(g.model))
    return plot_map(
        collection, path, f"{g.label} at {at:%Y-%m-%d %H:%M}Z: loading (limit {loading_limit_pct:g} %)"
    )


def dag_layers(steps: Mapping[str, object]) -> dict[str, int]:
    """Each step's column in a drawing of the DAG: the length of the longest path of edges into it.

    Parameters
    ----------
    steps : mapping
        Step name to its definition: an object with ``needs`` and ``after`` (names of earlier steps).

    Returns
    -------
    dict
        Step name to its layer (0 for a step that depends on nothing).

    Raises
    ------
    ValueError
        When a step depends on one that is not defined, or the steps form a cycle.
    """
    import networkx as nx

    graph = _dag_graph(steps)
    layer: dict[str, int] = {}
    for name in nx.topological_sort(graph):
        layer[name] = max((layer[u] + 1 for u in graph.predecessors(name)), default=0)
    return layer


def _dag_graph(steps: Mapping[str, object]):  # noqa: ANN202
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(steps)
    for name, step in steps.items():
        for up in (*step.needs, *step.after):  # type: ignore[attr-defined]
            if up not in steps:
                raise ValueError(f"step {name} depends on {up}, which is not a step")
            graph.add_edge(up, name)
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError(f"the steps form a cycle: {nx.find_cycle(graph)}")
    return graph


def dag_figure(steps: Mapping[str, object], path: str | Path, title: str) -> str:
    """Draw a flow's DAG: one box per step (its name and task runs), columns by :func:`dag_layers`.

    A solid arrow is a dependency that gates (``needs``: the step is skipped when it did not complete), a
    dashed one an order without gating (``after``: the step reads what the other wrote, when it did).

    Parameters
    ----------
    steps : mapping
        Step name to an object with ``needs``, ``after`` and ``tasks`` (the Prefect task runs, a label),
        in the order the flow runs them.
    path : str or Path
        PNG to write.
    title : str

    Returns
    -------
    str
        The path written.
    """
    import networkx as nx
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as Polyline

    layer = dag_layers(steps)
    full = _dag_graph(steps)
    needs = nx.DiGraph([(u, v) for u, v in full.edges if u in steps[v].needs])  # type: ignore[attr-defined]
    # an arrow implied by a longer path is left out: a need by a path of needs, an order by any path
    drawn = set(nx.transitive_reduction(needs).edges) | set(nx.transitive_reduction(full).edges)
    rows: dict[int, list[str]] = {}
    for name in steps:  # in the flow's order within each row
        rows.setdefault(layer[name], []).append(name)
    cols = max(len(r) for r in rows.values())
    dx, dy, width, height = 2.9, 1.15, 2.5, 0.72
    fig, ax = _figure(0.95 * dx * cols + 0.6, 0.85 * dy * len(rows) + 0.9)
    where: dict[str, tuple[float, float]] = {}
    for row, names in rows.items():
        for i, name in enumerate(names):
            where[name] = (dx * (i - (len(names) - 1) / 2), -dy * row)
    for name, (x, y) in where.items():
        ax.add_patch(_box(x, y, width, height))
        label = str(steps[name].tasks)  # type: ignore[attr-defined]
        ax.text(x, y + 0.15, name, ha="center", va="center", fontsize=9, fontweight="bold")
        ax.text(x, y - 0.14, _wrap(label, 40), ha="center", va="center", fontsize=6.5, color="0.25")
    lanes, extent = 0, 0.0
    for name, step in steps.items():
        for ups, style in ((step.needs, "-"), (step.after, "--")):  # type: ignore[attr-defined]
            for up in ups:
                if (up, name) not in drawn or (style == "--" and up in step.needs):  # type: ignore[attr-defined]
                    continue
                (x0, y0), (x1, y1) = where[up], where[name]
                common = {
                    "arrowstyle": "-|>",
                    "mutation_scale": 9,
                    "linestyle": style,
                    "linewidth": 0.8,
                    "color": "0.15" if style == "-" else "0.5",
                    "shrinkA": 0,
                    "shrinkB": 0,
                }
                if y0 - y1 <= dy * 1.01:  # the next row: straight
                    ax.add_patch(FancyArrowPatch((x0, y0 - height / 2), (x1, y1 + height / 2), **common))
                    continue
                # over rows: out of the box's right side, down a lane right of the rows between, in
                between = range(layer[up], layer[name] + 1)
                right = max(where[n][0] for r in between for n in rows[r]) + width / 2
                lane = right + 0.2 + 0.22 * lanes
                lanes += 1
                gap = (dy - height) / 2
                if name == rows[layer[name]][-1]:  # the rightmost of its row: in from the right
                    end = [(lane, y1), (x1 + width / 2, y1)]
                else:  # in from above, between the rows
                    end = [(lane, y1 + height / 2 + gap), (x1, y1 + height / 2 + gap), (x1, y1 + height / 2)]
                if up == rows[layer[up]][-1]:
                    verts = [(x0 + width / 2, y0), (lane, y0), *end]
                else:
                    y = y0 - height / 2 - gap
                    verts = [(x0, y0 - height / 2), (x0, y), (lane, y), *end]
                ax.add_patch(FancyArrowPatch(path=Polyline(verts), **common))
                extent = max(extent, lane)
    half = dx * (cols - 1) / 2 + width / 2 + 0.1
    ax.set_xlim(-half, max(half, extent + 0.1))
    fig.set_size_inches(0.95 * (half + max(half, extent + 0.1)) + 0.4, fig.get_size_inches()[1])
    ax.set_ylim(-dy * (len(rows) - 1) - height / 2 - 0.1, height / 2 + 0.1)
    ax.set_axis_off()
    ax.set_title(
        f"{title}\nsolid: needs (skipped when it did not complete); dashed: runs after and reads\n"
        "(an arrow implied by a longer path is not drawn)",
        fontsize=8.5,
    )
    return _save(fig, path)


def _box(x: float, y: float, width: float, height: float):  # noqa: ANN202
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02",
        facecolor="#e8f0fa",
        edgecolor="#3a6ea5",
        linewidth=0.9,
    )


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or " "
