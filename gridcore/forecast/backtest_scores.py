"""Scores of backtest forecasts: overall and per lead, beside the seasonal naive on the same hours.

:func:`summarise` scores the forecasts of a rolling-origin backtest
(:func:`gridcore.forecast.backtest.backtest`) into a :class:`BacktestScores`: MAPE, RMSE, MAE, pinball
loss, interval coverage and width, the naive's errors and the skill against it, per lead.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from gridcore.forecast import metrics
from gridcore.forecast.intervals import QUANTILES


class ReadAsDict(Mapping[str, object]):
    """A typed summary that still reads as the dict it replaced: ``s["mape_pct"]``, ``**s``, ``"k" in s``.

    Subclasses are dataclasses with a ``to_dict()``; the mapping is that dict (the JSON the CLI prints).
    """

    __slots__ = ()

    @abstractmethod
    def to_dict(self) -> dict[str, object]:
        """The summary as JSON-ready plain data."""

    def __getitem__(self, key: str) -> object:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def run_fields(summary: object, skip: tuple[str, ...] = ("scores",)) -> dict[str, object]:
    """The fields of a summary dataclass but ``skip``, in order, those left at None dropped."""
    out = {f.name: getattr(summary, f.name) for f in fields(summary) if f.name not in skip}  # type: ignore[arg-type]
    return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class LeadScore:
    """Scores of one lead time.

    Attributes
    ----------
    lead_h : int
        Hours ahead [h].
    mape_pct : float
        [%]
    rmse_mw : float
        [MW]
    coverage_80_pct : float
        Share of actuals inside the 80 % interval [%].
    naive_mape_pct : float
        The seasonal naive's MAPE on the same hours [%].
    """

    lead_h: int
    mape_pct: float
    rmse_mw: float
    coverage_80_pct: float
    naive_mape_pct: float


@dataclass(frozen=True)
class BaselineScore:
    """The seasonal naive's scores on the hours scored: ``mape_pct`` [%], ``rmse_mw``, ``mae_mw`` [MW]."""

    name: str
    mape_pct: float
    rmse_mw: float
    mae_mw: float


@dataclass(frozen=True)
class BacktestScores:
    """Overall and per-lead scores of backtest forecasts (:func:`summarise`).

    Attributes
    ----------
    mape_pct : float
        [%]
    rmse_mw, mae_mw : float
        [MW]
    pinball_mw : float
        Mean pinball loss over the quantile levels [MW].
    coverage_80_pct, coverage_90_pct : float
        Share of actuals inside the 80 % and 90 % intervals [%].
    width_80_mw : float
        Mean width of the 80 % interval [MW].
    n_scored : int
        Hours scored (actual, forecast and naive known).
    baseline : BaselineScore
        The seasonal naive on the same hours.
    skill_mape : float
        1 - MAPE / naive MAPE [-].
    per_lead : tuple of LeadScore
    """

    mape_pct: float
    rmse_mw: float
    mae_mw: float
    pinball_mw: float
    coverage_80_pct: float
    coverage_90_pct: float
    width_80_mw: float
    n_scored: int
    baseline: BaselineScore
    skill_mape: float
    per_lead: tuple[LeadScore, ...]

    def to_dict(self) -> dict[str, object]:
        """The scores as JSON-ready plain data (``baseline`` a dict, ``per_lead`` a list of dicts)."""
        out = asdict(self)
        out["per_lead"] = list(out["per_lead"])
        return out


def summarise(forecasts: pd.DataFrame, levels: tuple[float, ...] = QUANTILES) -> BacktestScores:
    """Overall and per-lead scores of backtest forecasts, with the seasonal naive beside them.

    Parameters
    ----------
    forecasts : pd.DataFrame
        From :class:`BacktestResult`.
    levels : tuple of float

    Returns
    -------
    BacktestScores
        ``mape_pct``, ``rmse_mw``, ``mae_mw``, ``pinball_mw``, ``coverage_80_pct``,
        ``coverage_90_pct``, ``width_80_mw``, ``n_scored``, ``baseline`` (name, mape_pct, rmse_mw,
        mae_mw), ``skill_mape`` (vs the naive), ``per_lead`` (per-lead figures).
    """
    f = forecasts
    scored = f[np.isfinite(f["actual"]) & np.isfinite(f["forecast"]) & np.isfinite(f["naive"])]
    qcols = [f"q{q:g}" for q in levels]
    mape_pct = round(metrics.mape(scored["actual"], scored["forecast"]), 3)
    base = BaselineScore(
        name="seasonal_naive_7d",
        mape_pct=round(metrics.mape(scored["actual"], scored["naive"]), 3),
        rmse_mw=round(metrics.rmse(scored["actual"], scored["naive"]), 3),
        mae_mw=round(metrics.mae(scored["actual"], scored["naive"]), 3),
    )
    per_lead = tuple(
        LeadScore(
            lead_h=int(lead),
            mape_pct=round(metrics.mape(g["actual"], g["forecast"]), 3),
            rmse_mw=round(metrics.rmse(g["actual"], g["forecast"]), 3),
            coverage_80_pct=round(metrics.coverage(g["actual"], g["q0.1"], g["q0.9"]), 1),
            naive_mape_pct=round(metrics.mape(g["actual"], g["naive"]), 3),
        )
        for lead, g in scored.groupby("lead")
    )
    return BacktestScores(
        mape_pct=mape_pct,
        rmse_mw=round(metrics.rmse(scored["actual"], scored["forecast"]), 3),
        mae_mw=round(metrics.mae(scored["actual"], scored["forecast"]), 3),
        pinball_mw=round(
            metrics.pinball(scored["actual"].to_numpy(), scored[qcols].to_numpy(), np.array(levels)), 3
        ),
        coverage_80_pct=round(metrics.coverage(scored["actual"], scored["q0.1"], scored["q0.9"]), 2),
        coverage_90_pct=round(metrics.coverage(scored["actual"], scored["q0.05"], scored["q0.95"]), 2),
        width_80_mw=round(metrics.mean_width(scored["q0.1"], scored["q0.9"]), 3),
        n_scored=int(len(scored)),
        baseline=base,
        skill_mape=round(metrics.skill(mape_pct, base.mape_pct), 3),
        per_lead=per_lead,
    )
