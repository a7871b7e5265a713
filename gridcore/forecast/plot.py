"""A forecast as a picture: the week before the origin, the forecast with its 80 % and 90 % bands, actuals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_forecast(history: pd.Series, forecast: pd.DataFrame, path: str | Path, title: str = "") -> str:
    """Write a PNG of one forecast.

    Parameters
    ----------
    history : pd.Series
        Observed load [MW], UTC index, up to and beyond the origin (actuals are drawn where known).
    forecast : pd.DataFrame
        One origin's rows of a backtest: ``target``, ``forecast`` and ``q0.05``, ``q0.1``, ``q0.9``,
        ``q0.95`` [MW].
    path : str or Path
        PNG file to write.
    title : str

    Returns
    -------
    str
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = pd.DatetimeIndex(forecast["target"])
    start = t[0] - pd.Timedelta(days=7)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    past = history[(history.index >= start) & (history.index < t[0])]
    ax.plot(past.index, past.to_numpy(), color="black", lw=1.2, label="observed")
    ax.fill_between(
        t, forecast["q0.05"], forecast["q0.95"], color="tab:blue", alpha=0.18, label="90 % interval"
    )
    ax.fill_between(
        t, forecast["q0.1"], forecast["q0.9"], color="tab:blue", alpha=0.32, label="80 % interval"
    )
    ax.plot(t, forecast["forecast"], color="tab:blue", lw=1.6, label="forecast")
    actual = history.reindex(t)
    if actual.notna().any():
        ax.plot(t, actual.to_numpy(), color="tab:red", lw=1.0, ls="--", label="actual")
    ax.axvline(t[0], color="grey", lw=0.8)
    ax.set_ylabel("load [MW]")
    ax.set_xlabel("time [UTC]")
    ax.set_title(title)
    ax.legend(loc="upper left", ncol=5, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
