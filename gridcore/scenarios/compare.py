"""Two scenario runs side by side (e.g. prices first against batteries first): a table and ``compare.md``."""

from __future__ import annotations

from pathlib import Path

from gridcore.scenarios.result import ScenarioResult

#: Figures compared, with their labels.
FIGURES = (
    ("constraints_found", "constraint periods found"),
    ("constraints_resolved", "of them resolved"),
    ("critical_affected", "critical customers affected"),
    ("unserved_mwh", "unserved energy [MWh]"),
    ("peak_reduction_pct", "peak exchange reduction [%]"),
    ("renewable_utilization_pct", "renewable utilization [%]"),
    ("cost_eur", "cost: battery wear, shedding, curtailment [EUR]"),
    ("customers_affected", "customers affected"),
)


def _figures(result: ScenarioResult) -> dict[str, object]:
    summary = result.to_dict()
    tradeoff = result.tradeoff()
    return {key: summary.get(key, tradeoff.get(key)) for key, _ in FIGURES}


def compare(a: ScenarioResult, b: ScenarioResult, folder: Path | None = None) -> dict[str, object]:
    """Compare two runs; with ``folder``, write ``compare.md`` there (the runs' own reports beside it).

    Returns
    -------
    dict
        ``a`` and ``b`` (summaries), ``difference`` (b minus a per figure), ``table`` (label -> "a | b"),
        ``report`` (the Markdown path, or None).
    """
    fa, fb = _figures(a), _figures(b)
    diff = {k: round(float(fb[k]) - float(fa[k]), 4) for k, _ in FIGURES}  # type: ignore[arg-type]
    name_a = f"{a.spec.name} ({' -> '.join(a.spec.order)})"
    name_b = f"{b.spec.name} ({' -> '.join(b.spec.order)})"
    table = {"scenario": f"{name_a} | {name_b}"}
    table.update({label: f"{fa[k]} | {fb[k]}" for k, label in FIGURES})
    report = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            f"# {name_a} against {name_b}",
            "",
            f"| figure | {name_a} | {name_b} | b - a |",
            "|---|---|---|---|",
        ]
        lines += [f"| {label} | {fa[k]} | {fb[k]} | {diff[k]} |" for k, label in FIGURES]
        lines += ["", f"Reports: [{a.spec.name}]({Path(a.report).relative_to(folder) if a.report else ''}), "]
        lines[-1] += f"[{b.spec.name}]({Path(b.report).relative_to(folder) if b.report else ''})"
        report = folder / "compare.md"
        report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "a": a.to_dict(),
        "b": b.to_dict(),
        "difference": diff,
        "table": table,
        "report": None if report is None else str(report),
    }
