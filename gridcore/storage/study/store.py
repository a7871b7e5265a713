"""A study on disk: its CSV tables and PNG plots in one folder (``<store>/storage_study`` by default)."""

from __future__ import annotations

from pathlib import Path

from gridcore.storage.study.run import StudyResult


def write_study(folder: Path, result: StudyResult) -> dict[str, str]:
    """Write the CSV tables and the PNG plots of a study; their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "table": folder / "study.csv",
        "tradeoff": folder / "tradeoff.csv",
        "allocation": folder / "allocation.csv",
        "plot": folder / "study.png",
        "tradeoff_plot": folder / "tradeoff.png",
    }
    result.table.to_csv(paths["table"], index=False, float_format="%.6g")
    result.tradeoff.to_csv(paths["tradeoff"], index=False, float_format="%.6g")
    result.allocation.join(result.sites[["kind", "feeder", "pv_mw", "curtailment_mwh"]]).to_csv(
        paths["allocation"], float_format="%.6g"
    )
    from gridcore.storage.plot import plot_study, plot_tradeoff

    plot_study(result.table, paths["plot"])
    plot_tradeoff(result.tradeoff, paths["tradeoff_plot"])
    return {k: str(v) for k, v in paths.items()}
