"""The figures of a storage study as ``gridflow storage study --json`` reports them.

:func:`study_summary` turns a :class:`~gridcore.storage.study.run.StudyResult` into a :class:`StudySummary`:
the strategies and periods compared, the sites and the base energy, the utilization of each strategy at the
base size, the best strategy per period, and the study's two tables as records (floats to 4 decimals, NaN as
None). Its :meth:`StudySummary.to_dict` is the command's JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from gridcore.storage.study.config import STRATEGIES, StudyConfig
from gridcore.storage.study.run import StudyResult, strategy_gains


@dataclass(frozen=True)
class StudySummary:
    """What a storage study found.

    Attributes
    ----------
    strategies : tuple of str
        The strategies compared (:data:`~gridcore.storage.study.STRATEGIES`).
    periods : tuple of str
        The periods simulated, in the order of the table (``summer_week``, ``winter_week``, ``year``).
    sites : int
        Sites of the study.
    base_mwh : float
        Total battery energy at the base size [MWh] (3 decimals): installed PV [MW] times
        ``base_mwh_per_mw``.
    utilization_pct_at_base : dict of str to dict of str to float
        Per period, per strategy: renewable utilization at the base size [%] (3 decimals).
    best : dict of str to str
        Per period, the storage strategy of highest utilization at the base size.
    table : tuple of dict
        The study table (:data:`~gridcore.storage.study.run.TABLE_COLUMNS`), one record per period,
        strategy and size.
    degradation_tradeoff : tuple of dict
        The trade-off table, one record per period and cost multiplier.
    written : dict of str to str
        The files written, by name.
    """

    strategies: tuple[str, ...]
    periods: tuple[str, ...]
    sites: int
    base_mwh: float
    utilization_pct_at_base: dict[str, dict[str, float]]
    best: dict[str, str]
    table: tuple[dict[str, object], ...]
    degradation_tradeoff: tuple[dict[str, object], ...]
    written: dict[str, str]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures, keys in the order of the attributes (tuples as lists)."""
        return {
            "strategies": list(self.strategies),
            "periods": list(self.periods),
            "sites": self.sites,
            "base_mwh": self.base_mwh,
            "utilization_pct_at_base": self.utilization_pct_at_base,
            "best": self.best,
            "table": list(self.table),
            "degradation_tradeoff": list(self.degradation_tradeoff),
            "written": self.written,
        }


def study_summary(result: StudyResult, config: StudyConfig, written: dict[str, str]) -> StudySummary:
    """The summary of a study run with ``config`` whose files went to ``written``.

    Parameters
    ----------
    result : StudyResult
        From :func:`~gridcore.storage.study.run_study`.
    config : StudyConfig
        The study's configuration (its ``base_mwh_per_mw`` sizes the base energy).
    written : dict of str to str
        From :func:`~gridcore.storage.study.write_study`.

    Returns
    -------
    StudySummary
    """
    gains = strategy_gains(result.table).round(3).T
    return StudySummary(
        strategies=tuple(STRATEGIES),
        periods=tuple(dict.fromkeys(result.table["period"])),
        sites=int(len(result.sites)),
        base_mwh=round(float(result.sites["pv_mw"].sum()) * config.base_mwh_per_mw, 3),
        utilization_pct_at_base={
            str(c): {str(k): float(v) for k, v in gains[c].items()} for c in gains.columns
        },
        best=dict(result.best),
        table=_records(result.table),
        degradation_tradeoff=_records(result.tradeoff),
        written=dict(written),
    )


def _records(frame: pd.DataFrame) -> tuple[dict[str, object], ...]:
    """Rows as records, floats rounded to 4 decimals and NaN as None (JSON has no NaN)."""
    return tuple(
        {k: (None if math.isnan(v) else round(v, 4)) if isinstance(v, float) else v for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    )
