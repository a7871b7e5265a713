"""Plots of the market: demand before and after a price signal, and the objectives' frontier (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _pyplot():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_whatif(
    times: pd.DatetimeIndex,
    before_mw: np.ndarray,
    after_mw: np.ndarray,
    price_per_kwh: np.ndarray,
    path: str | Path,
    title: str = "",
    peak_hours: np.ndarray | None = None,
) -> str:
    """Demand before and after the response [MW], with the price [EUR/kWh] on a second axis.

    Parameters
    ----------
    times : pd.DatetimeIndex
        UTC hour starts.
    before_mw, after_mw : np.ndarray
        (time,) system demand [MW].
    price_per_kwh : np.ndarray
        (time,) price [EUR/kWh].
    path : str or Path
        PNG to write (its folder is created).
    title : str
    peak_hours : np.ndarray of bool, optional
        Shaded.

    Returns
    -------
    str
        The path written.
    """
    plt = _pyplot()
    x = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None)
    fig, ax = plt.subplots(figsize=(11, 4.2))
    if peak_hours is not None and np.any(peak_hours):
        for t in np.flatnonzero(peak_hours):
            ax.axvspan(x[t], x[t] + pd.Timedelta(hours=1), color="tab:red", alpha=0.08, lw=0)
    ax.step(x, before_mw, where="post", color="0.45", lw=1.4, label="demand before [MW]")
    ax.step(x, after_mw, where="post", color="tab:blue", lw=1.6, label="demand after response [MW]")
    ax.set_ylabel("demand [MW]")
    ax.set_xlabel("time (UTC)")
    ax2 = ax.twinx()
    ax2.step(x, price_per_kwh, where="post", color="tab:red", lw=1.0, alpha=0.8, label="price [EUR/kWh]")
    ax2.set_ylabel("price [EUR/kWh]", color="tab:red")
    ax2.set_ylim(0, max(float(np.max(price_per_kwh)) * 1.15, 0.1))
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)


def plot_frontier(table: pd.DataFrame, path: str | Path, title: str = "") -> str:
    """The trade-off of peak reduction [%] against bill impact [%], one point per weighting.

    Parameters
    ----------
    table : pd.DataFrame
        Columns ``peak_reduction_pct``, ``bill_impact_pct``, ``renewable_absorbed_mwh`` and ``label``.
    path : str or Path
        PNG to write.
    title : str

    Returns
    -------
    str
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    sc = ax.scatter(
        table["bill_impact_pct"],
        table["peak_reduction_pct"],
        c=table["renewable_absorbed_mwh"],
        cmap="viridis",
        s=40,
        zorder=3,
    )
    order = np.argsort(table["bill_impact_pct"].to_numpy())
    ax.plot(
        table["bill_impact_pct"].to_numpy()[order],
        table["peak_reduction_pct"].to_numpy()[order],
        color="0.6",
        lw=1,
        zorder=2,
    )
    for _, row in table.iterrows():
        ax.annotate(str(row["label"]), (row["bill_impact_pct"], row["peak_reduction_pct"]), fontsize=7)
    fig.colorbar(sc, ax=ax, label="renewable absorbed [MWh]")
    ax.set_xlabel("bill impact: largest class bill change [%]")
    ax.set_ylabel("net-load peak reduction [%]")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)
