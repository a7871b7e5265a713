"""Which model forecasts a group: candidates scored out of sample, the best one crowned.

Every forecast group (the system, or a feeder with its load points) has the same candidates, scored out of
sample on the day-ahead hours (leads 1-24 h) of its rolling window of daily origins:

* ``seasonal_naive_7d``: the same hour a week before (the reference);
* ``mean_4w``: the mean of the same hour in the last four weeks;
* ``mstl``: MSTL with daily and weekly seasons and an ETS trend (statsforecast);
* ``lightgbm``: the gradient-boosted model on calendar, weather and load features;
* ``top_down`` (feeder groups): the system's forecast times each series' share of the system, the mean of
  the same hour a week before.

Each series is decided on its own window, its last :data:`STAT_ORIGINS` origins, the same hours for every
candidate; MSTL (one fit per series and origin) is a candidate of the group's head series (the system or
the feeder) only. The lowest MAPE relative to the naive wins. The cheap candidates are also scored on every
series and origin of the group, for the record. A group whose best candidate does not beat the naive
gets the naive as champion and is reported as such (``beats_naive`` false), never hidden behind a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError

#: The reference candidate.
NAIVE = "seasonal_naive_7d"
#: The simple candidates: a model that loses to one of them is never crowned.
SIMPLE = (NAIVE, "mean_4w", "mstl")
#: Weeks averaged by the ``mean_4w`` candidate.
MEAN_WEEKS = 4
#: Weeks whose shares the ``top_down`` candidate averages (the last: shares drift with the season).
SHARE_WEEKS = 1
#: Origins of the decision window (the last of the evaluation origins; MSTL fits once per origin) [days].
STAT_ORIGINS = 28
#: Hours a group's verdict on MSTL holds for the forecasts issued after it [h]: MSTL is screened afresh at
#: most once a day per group unless it won (see :func:`screen_mstl`).
MSTL_VERDICT_H = 24


@dataclass(frozen=True)
class CandidateScore:
    """Out-of-sample figures of one candidate of a group.

    Attributes
    ----------
    name : str
    day_ahead_mape_pct : float
        Day-ahead MAPE over the candidate's window [%].
    naive_mape_pct : float
        The seasonal naive's MAPE on the same hours [%].
    n_hours : int
        Hours scored.
    scope : str
        What was scored (``all series``, ``head series, last 14 origins``).
    """

    name: str
    day_ahead_mape_pct: float
    naive_mape_pct: float
    n_hours: int
    scope: str

    @property
    def ratio(self) -> float:
        """MAPE relative to the naive on the same hours [-] (inf when either is unknown)."""
        if not (np.isfinite(self.day_ahead_mape_pct) and self.naive_mape_pct > 0):
            return float("inf")
        return self.day_ahead_mape_pct / self.naive_mape_pct

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures (NaN as None)."""
        ratio = self.ratio
        return {
            "name": self.name,
            "day_ahead_mape_pct": _num(self.day_ahead_mape_pct),
            "naive_mape_pct": _num(self.naive_mape_pct),
            "ratio_to_naive": round(ratio, 3) if np.isfinite(ratio) else None,
            "n_hours": self.n_hours,
            "scope": self.scope,
        }


@dataclass(frozen=True)
class ModelChoice:
    """The champion of a group and the scores it was chosen on.

    Attributes
    ----------
    champion : str
        Name of the winning candidate.
    beats_naive : bool
        Whether any candidate forecasts better than the seasonal naive.
    candidates : tuple of CandidateScore
        Every candidate on the decision window (the same hours for all), best first.
    overall : tuple of CandidateScore
        The candidates that are cheap to score everywhere, on every series and origin (for the record).
    """

    champion: str
    beats_naive: bool
    candidates: tuple[CandidateScore, ...]
    overall: tuple[CandidateScore, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``champion``, ``beats_naive``, ``candidates`` (best first), ``overall``."""
        return {
            "champion": self.champion,
            "beats_naive": self.beats_naive,
            "candidates": [c.to_dict() for c in self.candidates],
            "overall": [c.to_dict() for c in self.overall],
        }


def choose_model(
    candidates: list[CandidateScore], overall: list[CandidateScore] | None = None
) -> ModelChoice:
    """Crown the candidate with the lowest MAPE relative to the naive; the naive when none beats it.

    Parameters
    ----------
    candidates : list of CandidateScore
        Scored on one decision window; must include the naive (:data:`NAIVE`).
    overall : list of CandidateScore, optional
        Figures over every series and origin, recorded beside the decision.

    Returns
    -------
    ModelChoice

    Raises
    ------
    InputError
        No naive among the candidates.
    """
    if NAIVE not in {c.name for c in candidates}:
        raise InputError(f"the candidates must include {NAIVE}", field="candidates")
    ranked = sorted(candidates, key=lambda c: (c.ratio, c.name != NAIVE))
    best = ranked[0]
    beats = best.name != NAIVE and best.ratio < 1.0
    return ModelChoice(
        champion=best.name if beats else NAIVE,
        beats_naive=beats,
        candidates=tuple(ranked),
        overall=tuple(sorted(overall or [], key=lambda c: c.ratio)),
    )


def registry_status(choice: ModelChoice, has_champion: bool) -> tuple[str, str] | None:
    """Status and reason for registering a group's freshly fitted gradient-boosted model.

    The model is crowned only when it beats every simple candidate (:data:`SIMPLE`) on the group's head
    series; a ``top_down`` forecast that does better is built on the system's model, not a simpler one,
    and the series that prefer it are forecast by it anyway.

    Parameters
    ----------
    choice : ModelChoice
        The head series' candidates, scored on its out-of-sample window.
    has_champion : bool
        Whether the group has a champion in the registry already (then nothing is registered here: the
        daily retraining check challenges it).

    Returns
    -------
    tuple of (str, str) or None
        ``("champion", reason)``, ``("challenger", reason)`` when a simple candidate did better (the
        registry never crowns a model that loses to one), None when nothing is to be registered.
    """
    if has_champion:
        return None
    gbm = next(c for c in choice.candidates if c.name == "lightgbm")
    simple = [c for c in choice.candidates if c.name in SIMPLE]
    others = ", ".join(f"{c.name} {c.day_ahead_mape_pct:.2f} %" for c in choice.candidates if c is not gbm)
    mape = f"day-ahead MAPE {gbm.day_ahead_mape_pct:.2f} %"
    best = min(simple, key=lambda c: c.ratio)
    if gbm.ratio < best.ratio:
        return "champion", f"first model of the group: {mape}; {others}"
    return "challenger", f"loses to {best.name}: {mape}; {others}"


def promotion(
    mape_pct: float, naive_mape_pct: float, rival_mape_pct: float | None = None
) -> tuple[bool, str]:
    """Whether a model may be champion: it beats the seasonal naive and, when given, the rival.

    Parameters
    ----------
    mape_pct, naive_mape_pct : float
        The model's and the naive's day-ahead MAPE on the same out-of-sample hours [%].
    rival_mape_pct : float, optional
        The current champion's MAPE on those hours [%].

    Returns
    -------
    tuple of (bool, str)
        The verdict and its reason.
    """
    if not mape_pct < naive_mape_pct:
        return False, f"MAPE {mape_pct:.2f} % not below the seasonal naive's {naive_mape_pct:.2f} %"
    if rival_mape_pct is not None and not mape_pct < rival_mape_pct:
        return False, f"MAPE {mape_pct:.2f} % not below champion's {rival_mape_pct:.2f} %"
    rival = f", champion's {rival_mape_pct:.2f} %" if rival_mape_pct is not None else ""
    return True, f"MAPE {mape_pct:.2f} % < seasonal naive's {naive_mape_pct:.2f} %{rival}"


def mape_pct(actual: np.ndarray, forecast: np.ndarray) -> tuple[float, int]:
    """MAPE over the hours where both are known and the actual is positive [%], and that count."""
    a, f = np.asarray(actual, dtype=float).ravel(), np.asarray(forecast, dtype=float).ravel()
    ok = np.isfinite(a) & np.isfinite(f) & (a > 0)
    if not ok.any():
        return float("nan"), 0
    return float(100.0 * np.mean(np.abs(f[ok] - a[ok]) / a[ok])), int(ok.sum())


def score(
    name: str, actual: np.ndarray, forecast: np.ndarray, naive: np.ndarray, scope: str
) -> CandidateScore:
    """A :class:`CandidateScore` on the hours where the candidate, the naive and the actual are known."""
    ok = np.isfinite(forecast) & np.isfinite(naive)
    a = np.where(ok, actual, np.nan)
    m, n = mape_pct(a, forecast)
    b, _ = mape_pct(a, naive)
    return CandidateScore(name, round(m, 3), round(b, 3), n, scope)


def mean_of_weeks(load: np.ndarray, origins: np.ndarray, horizon: int, weeks: int = MEAN_WEEKS) -> np.ndarray:
    """The mean of the same hour in the last ``weeks`` weeks, known at each origin [MW].

    Parameters
    ----------
    load : np.ndarray
        Hourly load [MW] (NaN where unknown).
    origins : np.ndarray
        Positions of the origins.
    horizon : int
        Hours ahead (at most 168: every week used is before the origin).
    weeks : int

    Returns
    -------
    np.ndarray
        (origin, lead) [MW]; NaN where no week is known.
    """
    targets = np.asarray(origins)[:, None] + np.arange(horizon)[None, :]
    stack = []
    for w in range(1, weeks + 1):
        pos = targets - 168 * w
        stack.append(np.where(pos >= 0, load[np.clip(pos, 0, None)], np.nan))
    with np.errstate(all="ignore"):
        values = np.array(stack)
        count = np.isfinite(values).sum(axis=0)
        return np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)


def shares_of_weeks(
    load: np.ndarray, total: np.ndarray, origins: np.ndarray, horizon: int, weeks: int = SHARE_WEEKS
) -> np.ndarray:
    """A series' share of the total at the same hour, the mean over the last ``weeks`` weeks [-].

    Parameters
    ----------
    load, total : np.ndarray
        Hourly load of the series and of the total it is part of [MW].
    origins : np.ndarray
        Positions of the origins.
    horizon : int
        Hours ahead (at most 168).
    weeks : int

    Returns
    -------
    np.ndarray
        (origin, lead) [-]; NaN where no week is known.
    """
    with np.errstate(all="ignore"):
        share = np.where(total > 0, load / total, np.nan)
    return mean_of_weeks(share, origins, horizon, weeks)


def _num(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


def screen_mstl(last: dict[str, object] | None, issue_time: pd.Timestamp) -> bool:
    """Whether a group's forecast from ``issue_time`` scores the MSTL candidate of its head series.

    MSTL is the dearest candidate (one fit per origin: about 2.2 s of a group's 2.6 s hourly update on
    the default grid), and its verdict changes with the season, not with the hour. So it is screened
    when the group's model is chosen afresh and then holds for :data:`MSTL_VERDICT_H`: the hourly updates
    in between choose among the cheap candidates on their fresh window and leave MSTL out, unless it was
    the head's champion.

    Parameters
    ----------
    last : dict or None
        The group's last verdict (``issue_time`` ISO 8601 UTC and the head's ``champion``), as the model
        registry keeps it (:meth:`gridcore.forecast.registry.ModelRegistry.last_choice`); None when there is
        none.
    issue_time : pd.Timestamp
        UTC hour of the forecast's first hour.

    Returns
    -------
    bool
        True when there is no verdict, when it is :data:`MSTL_VERDICT_H` hours old or more, when it is
        later than ``issue_time`` (a forecast of an earlier hour), or when MSTL won it.
    """
    if not last or last.get("issue_time") is None:
        return True
    age = pd.Timestamp(issue_time) - pd.Timestamp(str(last["issue_time"]))
    if not pd.Timedelta(0) <= age < pd.Timedelta(hours=MSTL_VERDICT_H):
        return True
    return last.get("champion") == "mstl"
