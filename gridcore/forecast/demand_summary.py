"""The summary of a grid demand forecast: what a forecast run reports, per series and per kind of series.

:func:`demand_summary` turns the group forecasts of one issue
(:func:`gridcore.forecast.demand.forecast_group`) into a :class:`DemandSummary`: the peak of every feeder and
of the system with the 80 % interval at the peak, the out-of-sample accuracy per kind of series (system,
feeder, load point), the calibration's extent and the models used. Its :meth:`DemandSummary.to_dict` is the
JSON of ``gridflow forecast demand --json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.forecast.demand import DEMAND_QUANTILES, DemandInputs, GroupForecast

#: Kinds of series the accuracy is averaged over, in the order they are reported.
KINDS = ("system", "feeder", "load")

#: How the intervals are calibrated and their coverage measured (reported with the figures).
CALIBRATION_METHOD = (
    "split-conformal per series and lead day on out-of-sample errors; coverage "
    "cross-conformal over the evaluation origins"
)


@dataclass(frozen=True)
class SeriesPeak:
    """The peak of one feeder's or the system's forecast.

    Attributes
    ----------
    series : str
        Series id (``system`` or ``feeder:<id>``).
    peak_mw : float
        Highest point forecast over the horizon [MW] (4 decimals).
    peak_time : str
        Its hour, ISO 8601 UTC (``%Y-%m-%dT%H:%MZ``, interval start).
    peak_p10_mw, peak_p90_mw : float
        The 10 % and 90 % quantiles at that hour [MW] (4 decimals).
    energy_mwh : float
        Forecast energy over the horizon [MWh] (3 decimals).
    day_ahead_mape_pct, day_ahead_naive_mape_pct : float
        Out-of-sample day-ahead MAPE of the model and of the seasonal-naive forecast [%].
    coverage_80_pct : float
        Out-of-sample coverage of the 80 % interval [%].
    """

    series: str
    peak_mw: float
    peak_time: str
    peak_p10_mw: float
    peak_p90_mw: float
    energy_mwh: float
    day_ahead_mape_pct: float
    day_ahead_naive_mape_pct: float
    coverage_80_pct: float

    def to_dict(self) -> dict[str, object]:
        """The peak as JSON-ready plain data, keys as the attributes."""
        return {
            "series": self.series,
            "peak_mw": self.peak_mw,
            "peak_time": self.peak_time,
            "peak_p10_mw": self.peak_p10_mw,
            "peak_p90_mw": self.peak_p90_mw,
            "energy_mwh": self.energy_mwh,
            "day_ahead_mape_pct": self.day_ahead_mape_pct,
            "day_ahead_naive_mape_pct": self.day_ahead_naive_mape_pct,
            "coverage_80_pct": self.coverage_80_pct,
        }


@dataclass(frozen=True)
class KindAccuracy:
    """Out-of-sample accuracy of one kind of series, averaged over its series.

    Attributes
    ----------
    series : int
        Number of series of the kind.
    day_ahead_mape_pct, day_ahead_naive_mape_pct : float
        Mean day-ahead MAPE (leads 1-24 h) of the model and of the seasonal-naive forecast [%] (3 decimals).
    mape_pct, naive_mape_pct : float
        The same over every lead of the horizon [%] (3 decimals).
    coverage_80_pct : float
        Mean coverage of the 80 % interval [%] (2 decimals).
    """

    series: int
    day_ahead_mape_pct: float
    day_ahead_naive_mape_pct: float
    mape_pct: float
    naive_mape_pct: float
    coverage_80_pct: float

    def to_dict(self) -> dict[str, object]:
        """The accuracy as JSON-ready plain data, keys as the attributes."""
        return {
            "series": self.series,
            "day_ahead_mape_pct": self.day_ahead_mape_pct,
            "day_ahead_naive_mape_pct": self.day_ahead_naive_mape_pct,
            "mape_pct": self.mape_pct,
            "naive_mape_pct": self.naive_mape_pct,
            "coverage_80_pct": self.coverage_80_pct,
        }


@dataclass(frozen=True)
class Calibration:
    """The extent of the interval calibration over the groups.

    Attributes
    ----------
    origins_min, origins_max : int
        Fewest and most calibration origins of a group.
    evaluation_origins_min : int
        Fewest evaluation origins of a group.
    history_days_min : float
        Shortest load history of a group [days].
    method : str
        How the intervals are calibrated and their coverage measured.
    """

    origins_min: int
    origins_max: int
    evaluation_origins_min: int
    history_days_min: float
    method: str = CALIBRATION_METHOD

    def to_dict(self) -> dict[str, object]:
        """The calibration as JSON-ready plain data, keys as the attributes."""
        return {
            "origins_min": self.origins_min,
            "origins_max": self.origins_max,
            "evaluation_origins_min": self.evaluation_origins_min,
            "history_days_min": self.history_days_min,
            "method": self.method,
        }


@dataclass(frozen=True)
class DemandSummary:
    """What a demand-forecast run reports.

    Attributes
    ----------
    issue_time : str
        ISO 8601 UTC (``%Y-%m-%dT%H:%MZ``), the first forecast hour.
    horizon_h : int
        Hours ahead [h].
    series : int
        Series forecast (system, feeders, load points).
    groups : int
        Groups forecast (the system and each feeder with its load points).
    quantiles : tuple of float
        Quantile levels of the forecast.
    weather : str or None
        The weather the models use (as the group forecasts report it); None without groups.
    fitted, from_registry : int
        Groups whose model was fitted in the run, and groups forecast with the registry's model.
    accuracy : dict of str to KindAccuracy
        Out-of-sample accuracy per kind of series (:data:`KINDS`).
    calibration : Calibration
    history_issues : dict of str to int
        Hours of the load history per issue found in it (e.g. gaps filled), by issue.
    peaks : tuple of SeriesPeak
        The peak of the system and of every feeder (load points are left out).
    champions : dict of str to dict
        Per group that chose its model in the run: the candidates' out-of-sample scores and the champion
        (:meth:`gridcore.forecast.champion.ModelChoice.to_dict`) with ``series_champions``, how many of the
        group's series each candidate won, and ``mstl_scored`` (False where the group's last verdict on
        MSTL held, :func:`gridcore.forecast.champion.screen_mstl`).
    written : str or None
        Where the forecast was written in the store (None when not written).
    seconds : float
        Wall time of the run [s].
    """

    issue_time: str
    horizon_h: int
    series: int
    groups: int
    quantiles: tuple[float, ...]
    weather: str | None
    fitted: int
    from_registry: int
    accuracy: dict[str, KindAccuracy]
    calibration: Calibration
    history_issues: dict[str, int]
    peaks: tuple[SeriesPeak, ...]
    written: str | None
    seconds: float
    champions: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_dict(self, peaks: bool = True) -> dict[str, object]:
        """The summary as JSON-ready plain data (the JSON of ``gridflow forecast demand --json``).

        Parameters
        ----------
        peaks : bool
            Include the ``peaks`` list (the hourly and daily flows report the summary without it).

        Returns
        -------
        dict
            ``issue_time``, ``horizon_h``, ``series``, ``groups``, ``quantiles``, ``weather``, ``models``
            (``fitted``, ``from_registry``), ``accuracy_out_of_sample`` (per kind), ``calibration``,
            ``history_issues``, ``champions``, ``peaks`` (when asked), ``written``, ``seconds``.
        """
        out: dict[str, object] = {
            "issue_time": self.issue_time,
            "horizon_h": self.horizon_h,
            "series": self.series,
            "groups": self.groups,
            "quantiles": list(self.quantiles),
            "weather": self.weather,
            "models": {"fitted": self.fitted, "from_registry": self.from_registry},
            "accuracy_out_of_sample": {kind: a.to_dict() for kind, a in self.accuracy.items()},
            "calibration": self.calibration.to_dict(),
            "history_issues": dict(self.history_issues),
            "champions": dict(self.champions),
        }
        if peaks:
            out["peaks"] = [p.to_dict() for p in self.peaks]
        out["written"] = self.written
        out["seconds"] = self.seconds
        return out


def series_peaks(inputs: DemandInputs, results: list[GroupForecast]) -> tuple[SeriesPeak, ...]:
    """The peak of the system's and every feeder's forecast, with the 80 % interval at the peak.

    Parameters
    ----------
    inputs : DemandInputs
        The inputs of the forecast (its catalog gives each series' kind, its issue time the first hour).
    results : list of GroupForecast
        The group forecasts.

    Returns
    -------
    tuple of SeriesPeak
        In the order of the groups and their series; load points are left out.
    """
    lo, hi = DEMAND_QUANTILES.index(0.1), DEMAND_QUANTILES.index(0.9)
    kind = inputs.catalog["kind"]
    rows = []
    for r in results:
        for s, sid in enumerate(r.series):
            if kind.at[sid] == "load":
                continue
            k = int(np.nanargmax(r.point[s]))
            sc = r.scores.loc[sid]
            rows.append(
                SeriesPeak(
                    series=sid,
                    peak_mw=round(float(r.point[s, k]), 4),
                    peak_time=f"{inputs.issue_time + pd.Timedelta(hours=k):%Y-%m-%dT%H:%MZ}",
                    peak_p10_mw=round(float(r.quantiles[s, k, lo]), 4),
                    peak_p90_mw=round(float(r.quantiles[s, k, hi]), 4),
                    energy_mwh=round(float(np.nansum(r.point[s])), 3),
                    day_ahead_mape_pct=sc["day_ahead_mape_pct"],
                    day_ahead_naive_mape_pct=sc["day_ahead_naive_mape_pct"],
                    coverage_80_pct=sc["coverage_80_pct"],
                )
            )
    return tuple(rows)


def kind_accuracy(scores: pd.DataFrame, kinds: pd.Series) -> dict[str, KindAccuracy]:
    """Mean out-of-sample scores per kind of series.

    Parameters
    ----------
    scores : pd.DataFrame
        Per series (index), the scores of :attr:`gridcore.forecast.demand.GroupForecast.scores` [%].
    kinds : pd.Series
        Kind (``system``, ``feeder``, ``load``) per series, same index as ``scores``.

    Returns
    -------
    dict of str to KindAccuracy
        One entry per kind of :data:`KINDS` (NaN means for a kind without series).
    """

    def mean(kind: str, column: str, decimals: int) -> float:
        return round(float(scores.loc[kinds == kind, column].mean()), decimals)

    return {
        kind: KindAccuracy(
            series=int((kinds == kind).sum()),
            day_ahead_mape_pct=mean(kind, "day_ahead_mape_pct", 3),
            day_ahead_naive_mape_pct=mean(kind, "day_ahead_naive_mape_pct", 3),
            mape_pct=mean(kind, "mape_pct", 3),
            naive_mape_pct=mean(kind, "naive_mape_pct", 3),
            coverage_80_pct=mean(kind, "coverage_80_pct", 2),
        )
        for kind in KINDS
    }


def demand_summary(
    inputs: DemandInputs, results: list[GroupForecast], written: str | None, seconds: float
) -> DemandSummary:
    """The figures of one demand-forecast run: per feeder and for the system, per kind, for the models.

    Parameters
    ----------
    inputs : DemandInputs
        The inputs of the forecast (:func:`gridcore.forecast.demand.demand_inputs`).
    results : list of GroupForecast
        The group forecasts (a group without a forecast is left out; at least one).
    written : str or None
        Where the forecast was written in the store.
    seconds : float
        Wall time of the run [s].

    Returns
    -------
    DemandSummary
    """
    scores = pd.concat([r.scores for r in results])
    info = [r.info for r in results]
    return DemandSummary(
        issue_time=f"{inputs.issue_time:%Y-%m-%dT%H:%MZ}",
        horizon_h=inputs.horizon,
        series=int(len(scores)),
        groups=len(results),
        quantiles=tuple(DEMAND_QUANTILES),
        weather=results[0].info.get("weather") if results else None,  # type: ignore[arg-type]
        fitted=sum(r.fitted for r in results),
        from_registry=sum(not r.fitted for r in results),
        accuracy=kind_accuracy(scores, inputs.catalog.loc[scores.index, "kind"]),
        calibration=Calibration(
            origins_min=min((int(i.get("calibration_origins", 0)) for i in info), default=0),
            origins_max=max((int(i.get("calibration_origins", 0)) for i in info), default=0),
            evaluation_origins_min=min((int(i.get("evaluation_origins", 0)) for i in info), default=0),
            history_days_min=min((float(i.get("history_days", 0)) for i in info), default=0.0),
        ),
        history_issues={k: int(v) for k, v in inputs.issues["issue"].value_counts().items()},
        peaks=series_peaks(inputs, results),
        written=written,
        seconds=seconds,
        champions={
            r.group: {
                **r.choice.to_dict(),
                "series_champions": name_counts(r.series_champions),
                "mstl_scored": bool(r.info.get("mstl_scored", True)),
            }
            for r in results
            if r.choice is not None
        },
    )


def name_counts(names: list[str]) -> dict[str, int]:
    """How many times each name occurs, most frequent first (ties by name).

    Parameters
    ----------
    names : list of str

    Returns
    -------
    dict of str to int
    """
    return {n: names.count(n) for n in sorted(set(names), key=lambda n: (-names.count(n), n))}
