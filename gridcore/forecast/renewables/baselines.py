"""Baseline forecasts a renewable forecast is set beside: persistence and climatology."""

from __future__ import annotations

import numpy as np
import pandas as pd


def persistence_forecast(power: np.ndarray, origin: int, horizon: int, rule: str) -> np.ndarray:
    """Persistence from position ``origin``: ``last`` hour before it, or ``diurnal`` (same hour, last day).

    Parameters
    ----------
    power : np.ndarray
        Shape (time, series).
    origin : int
        Position of the first forecast hour.
    horizon : int
        Hours ahead.
    rule : str
        ``last`` (wind) or ``diurnal`` (solar: the value 24 h x ceil(lead / 24) before the target).

    Returns
    -------
    np.ndarray
        Shape (series, horizon).
    """
    lead = np.arange(1, horizon + 1)
    if rule == "last":
        return np.repeat(power[origin - 1][:, None], horizon, axis=1)
    src = origin + lead - 1 - 24 * np.ceil(lead / 24).astype(int)
    return power[src].T


def climatology_forecast(
    power: np.ndarray, index: pd.DatetimeIndex, origin: int, horizon: int, days: int = 365
) -> np.ndarray:
    """Mean by month and hour of day over the ``days`` before ``origin`` (hour of day alone as fallback).

    Parameters
    ----------
    power : np.ndarray
        Shape (time, series).
    index : pd.DatetimeIndex
        Hourly UTC index of ``power``.
    origin, horizon : int
        Position of the first forecast hour; hours ahead.
    days : int
        History used [days].

    Returns
    -------
    np.ndarray
        Shape (series, horizon).
    """
    lo = max(origin - 24 * days, 0)
    past = power[lo:origin]
    ok = np.isfinite(past)
    hours, months = index.hour.to_numpy(), index.month.to_numpy() - 1
    cell = (months[lo:origin] * 24 + hours[lo:origin])[:, None]
    n_s = power.shape[1]
    total = np.zeros((288, n_s))
    count = np.zeros((288, n_s))
    cols = np.broadcast_to(np.arange(n_s), past.shape)
    np.add.at(total, (np.broadcast_to(cell, past.shape)[ok], cols[ok]), past[ok])
    np.add.at(count, (np.broadcast_to(cell, past.shape)[ok], cols[ok]), 1.0)
    by_hour = total.reshape(12, 24, n_s).sum(axis=0) / np.maximum(count.reshape(12, 24, n_s).sum(axis=0), 1)
    target = np.arange(origin, origin + horizon)
    t_cell = months[target] * 24 + hours[target]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = total[t_cell] / count[t_cell]
    value = np.where(count[t_cell] >= 3, value, by_hour[hours[target]])
    return value.T
