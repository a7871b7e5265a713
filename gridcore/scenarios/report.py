"""A scenario's report: ``report.md`` with three PNG figures and ``summary.json``, in one folder.

``demand.png``
    The week before, the forecast on the observed and on the scenario's weather, the actual load, and the
    two temperatures.
``grid.png``
    Hour by hour before and after the remedies: the highest line loading against its limit, the lowest
    and highest voltage against the band, the exchange with the upstream grid against the import limit.
``remedies.png``
    What each remedy did per hour: batteries (discharging up), load shed, generation curtailed, price
    response, with the fleet's state of charge.

``hourly.csv`` has the hourly figures of ``grid.png`` before and after, and the load and generation
after the remedies [MW].

A rerun into the same folder overwrites the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gridcore.network.constraints import Injections
    from gridcore.scenarios.perturb import ScenarioGrid
    from gridcore.scenarios.result import ScenarioResult


def _subplots(nrows: int = 1, figsize: tuple[float, float] = (10, 4), sharex: bool = False):  # noqa: ANN202
    """A figure and its axes without pyplot (not thread-safe; scenarios run in threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, 1, sharex=sharex)


def plot_demand(result: ScenarioResult, path: Path) -> None:
    """Draw ``demand.png`` (see the module docstring)."""
    fc = result.forecast
    fig, ax = _subplots()
    ax.plot(fc.history.index, fc.history.to_numpy(), color="0.5", label="load, week before [MW]")
    ax.plot(fc.times, fc.actual_mw, color="0.2", linestyle=":", label="actual load [MW]")
    ax.plot(fc.times, fc.observed_mw, color="tab:blue", label="forecast, observed weather [MW]")
    if result.spec.temperature_shift_c != 0:
        label = f"forecast, weather {result.spec.temperature_shift_c:+.1f} °C [MW]"
        ax.plot(fc.times, fc.scenario_mw, color="tab:red", label=label)
    ax.set_ylabel("system load (profile scale) [MW]")
    t2 = ax.twinx()
    t2.plot(fc.times, fc.temperature_c, color="tab:orange", alpha=0.5, linewidth=1, label="temperature [°C]")
    if result.spec.temperature_shift_c != 0:
        t2.plot(fc.times, fc.scenario_temperature_c, color="tab:orange", linestyle="--", linewidth=1)
    t2.axhline(fc.train_max_c, color="tab:orange", linestyle=":", linewidth=0.8)
    t2.set_ylabel("temperature [°C] (dotted: hottest hour fitted on)")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"{result.spec.name}: demand forecast (MAPE on observed weather {fc.mape_pct:.1f} %)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def plot_grid(result: ScenarioResult, sg: ScenarioGrid, path: Path) -> None:
    """Draw ``grid.png`` (see the module docstring)."""
    b, a = result.before.hourly, result.after.hourly
    fig, axes = _subplots(3, (10, 8), sharex=True)
    axes[0].plot(b.index, b["max_line_loading_pct"], color="tab:red", label="before remedies")
    axes[0].plot(a.index, a["max_line_loading_pct"], color="tab:green", label="after")
    axes[0].axhline(100.0, color="k", linestyle=":", linewidth=0.8)
    axes[0].set_ylabel("highest line loading [%]")
    axes[0].legend(loc="upper left", fontsize=8)
    for col, style in (("vm_min_pu", "-"), ("vm_max_pu", "--")):
        axes[1].plot(b.index, b[col], color="tab:red", linestyle=style)
        axes[1].plot(a.index, a[col], color="tab:green", linestyle=style)
    for v in (0.95, 1.05):
        axes[1].axhline(v, color="k", linestyle=":", linewidth=0.8)
    axes[1].set_ylabel("lowest / highest voltage [p.u.]")
    axes[2].plot(b.index, b["net_demand_mw"], color="tab:red")
    axes[2].plot(a.index, a["net_demand_mw"], color="tab:green")
    if np.isfinite(sg.supply_mw).any():
        axes[2].plot(
            b.index, np.where(np.isfinite(sg.supply_mw), sg.supply_mw, np.nan), color="k", linestyle=":"
        )
    axes[2].axhline(0.0, color="0.6", linewidth=0.6)
    axes[2].set_ylabel("import from upstream [MW]")
    axes[0].set_title(f"{result.spec.name}: power flow hour by hour, before and after the remedies")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def plot_remedies(result: ScenarioResult, path: Path) -> None:
    """Draw ``remedies.png`` (see the module docstring)."""
    times = result.spec.times
    fig, ax = _subplots()
    series = {}
    for step in result.steps:
        series.update(step.series)
    shown = [
        ("response_mw", "price response [MW]", "tab:purple"),
        ("battery_mw", "batteries, discharging + [MW]", "tab:blue"),
        ("shed_mw", "load shed [MW]", "tab:red"),
        ("curtailed_mw", "generation curtailed [MW]", "tab:olive"),
    ]
    for key, label, color in shown:
        if key in series:
            ax.plot(times, series[key], label=label, color=color)
    ax.axhline(0.0, color="0.6", linewidth=0.6)
    ax.set_ylabel("[MW]")
    if "soc_mwh" in series:
        t2 = ax.twinx()
        t2.plot(times, series["soc_mwh"], color="tab:cyan", linestyle="--", label="fleet SoC [MWh]")
        t2.set_ylabel("fleet state of charge [MWh]")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    else:  # no remedy in the file's order: say so on the figure, not with a warning on stderr
        ax.text(0.5, 0.5, "no remedy applied", transform=ax.transAxes, ha="center", color="0.4")
    order = " -> ".join(result.spec.order) or "none"
    ax.set_title(f"{result.spec.name}: what the remedies did ({order})")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def _table(rows: list[dict[str, object]], columns: list[str]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return out


def markdown(result: ScenarioResult, summary: dict[str, object]) -> str:
    """The report's Markdown text (figures referenced by file name)."""
    spec = result.spec
    lines = [f"# Scenario {spec.name}", "", spec.description, ""]
    lines += [
        f"Grid `{summary['grid']}`, {summary['hours']} h from {summary['start']} UTC; scenario file "
        f"`{spec.source}`; remedies in the order {' -> '.join(spec.order)}.",
        "",
        "## Summary",
        "",
    ]
    keys = [
        ("constraints_found", "constraint periods found"),
        ("constraints_resolved", "of them resolved"),
        ("critical_affected", "critical customers affected"),
        ("unserved_mwh", "unserved energy [MWh]"),
        ("peak_reduction_pct", "peak exchange reduction [%]"),
        ("renewable_utilization_pct", "renewable utilization [%]"),
        ("ramp_before_mw_per_h", "steepest import ramp before [MW/h]"),
        ("ramp_after_mw_per_h", "steepest import ramp after [MW/h]"),
        ("seconds", "run time [s]"),
    ]
    lines += _table([{"figure": label, "value": summary[k]} for k, label in keys], ["figure", "value"])
    fc = summary["forecast"]
    assert isinstance(fc, dict)
    lines += [
        "",
        "## Demand forecast",
        "",
        f"Fitted on {fc['train_days']} days before the first hour (hottest hour fitted on: "
        f"{fc['train_temperature_max_c']} °C). On the observed weather its MAPE against the actual load is "
        f"{fc['mape_observed_weather_pct']} %; "
        + (
            f"on the scenario's weather (up to {fc['scenario_temperature_max_c']} °C, "
            f"{fc['extrapolated_hours']} hours beyond anything fitted on) its peak is {fc['uplift_pct']} % "
            "higher."
            if spec.temperature_shift_c != 0
            else "the scenario keeps the observed weather."
        ),
        "",
        "![demand](demand.png)",
        "",
        "## Grid before and after",
        "",
        "![grid](grid.png)",
        "",
    ]
    if result.topology:
        lines += ["Topology during the event: " + json.dumps(result.topology), ""]
    periods = [p.to_dict() for p in result.before.periods]
    cols = ["element", "kind", "start", "end", "worst", "relief_mw"]
    lines += [f"Constraint periods before the remedies ({len(periods)}; the first 20):", ""]
    lines += _table(periods[:20], cols) if periods else ["none"]
    remaining = summary["constraints_remaining"]
    assert isinstance(remaining, list)
    lines += ["", f"Left after the remedies: {len(remaining)}.", ""]
    if remaining:
        lines += _table(remaining[:20], cols) + [""]
    lines += ["## Remedies", "", "![remedies](remedies.png)", ""]
    steps = summary["steps"]
    assert isinstance(steps, dict)
    for name, figures in steps.items():
        lines += [f"- **{name}**: " + ", ".join(f"{k} {v}" for k, v in figures.items())]
    lines += ["", "## Trade-off", "", "Objective weights and what they led to:", "", "```json"]
    lines += [json.dumps(summary["tradeoff"], indent=2), "```", ""]
    return "\n".join(lines)


def write_report(result: ScenarioResult, sg: ScenarioGrid, final: Injections, folder: Path) -> Path:
    """Write the report, its figures and ``summary.json`` into ``folder`` (created).

    Parameters
    ----------
    result : ScenarioResult
    sg : ScenarioGrid
        The scenario's grid (import limit per hour).
    final : Injections
        The injections after the remedies.
    folder : Path

    Returns
    -------
    Path
        ``report.md``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / "report.md"
    result.report = str(report)
    plot_demand(result, folder / "demand.png")
    plot_grid(result, sg, folder / "grid.png")
    plot_remedies(result, folder / "remedies.png")
    summary = result.to_dict()
    report.write_text(markdown(result, summary), encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    hourly = result.before.hourly.add_suffix("_before").join(result.after.hourly.add_suffix("_after"))
    hourly["load_after_mw"] = final.load_p_mw.sum(axis=1)
    hourly["generation_after_mw"] = final.sgen_p_mw.sum(axis=1)
    hourly.to_csv(folder / "hourly.csv", index_label="time")
    return report
