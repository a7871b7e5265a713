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


def frontier_labels(table: pd.DataFrame, near: float = 0.015) -> list[tuple[float, float, str]]:
    """The labels of the frontier's points, those that fall together joined into one.

    Points within ``near`` of each other (in axis fractions of the table's range) share one label
    (``peak 0.2 = peak 0.5``): they are the same outcome of different weightings.

    Returns
    -------
    list of (float, float, str)
        Bill impact [%], peak reduction [%] and text of each label.
    """
    x = table["bill_impact_pct"].to_numpy(dtype=float)
    y = table["peak_reduction_pct"].to_numpy(dtype=float)
    sx = max(float(np.ptp(x)), 1e-9)
    sy = max(float(np.ptp(y)), 1e-9)
    groups: list[list[int]] = []
    for i in range(len(table)):
        for g in groups:
            if abs(x[i] - x[g[0]]) / sx < near and abs(y[i] - y[g[0]]) / sy < near:
                g.append(i)
                break
        else:
            groups.append([i])
    labels = table["label"].astype(str).to_numpy()
    return [(float(x[g[0]]), float(y[g[0]]), " = ".join(labels[g])) for g in groups]


def frontier_figure(table: pd.DataFrame, title: str = ""):  # noqa: ANN201 (matplotlib Figure)
    """The frontier's figure (:func:`plot_frontier`), its labels placed so that none overlaps another."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
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
    ax.margins(x=0.12, y=0.1)
    fig.colorbar(sc, ax=ax, label="renewable absorbed [MWh]")
    ax.set_xlabel("bill impact: largest class bill change [%]")
    ax.set_ylabel("net-load peak reduction [%]")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    placed: list = []
    # candidate offsets [points]: right, left, above, below, then further out
    offsets = [
        (6, 3),
        (-6, 3),
        (6, -11),
        (-6, -11),
        (6, 12),
        (-6, 12),
        (6, -20),
        (-6, -20),
        (6, 21),
        (-6, 21),
    ]
    for x, y, text in sorted(frontier_labels(table), key=lambda item: (item[0], item[1])):
        for dx, dy in offsets:
            ann = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
                fontsize=7,
            )
            box = ann.get_window_extent(renderer)
            inside = ax.get_window_extent(renderer).contains(box.x0, box.y0) and ax.get_window_extent(
                renderer
            ).contains(box.x1, box.y1)
            if inside and not any(box.overlaps(b) for b in placed):
                placed.append(box)
                break
            ann.remove()
        else:  # no free place: the first one, but still drawn
            ann = ax.annotate(text, (x, y), xytext=offsets[0], textcoords="offset points", fontsize=7)
            placed.append(ann.get_window_extent(renderer))
    return fig


def plot_frontier(table: pd.DataFrame, path: str | Path, title: str = "") -> str:
    """The trade-off of peak reduction [%] against bill impact [%], one point per weighting.

    Points that fall together share one label; labels are placed where they overlap no other label and
    stay inside the axes (:func:`frontier_figure`).

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
    fig = frontier_figure(table, title)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)


def plot_relief(
    relief,  # noqa: ANN001 (gridcore.market.relief.Relief)
    feeder: str,
    path: str | Path,
    quantity: str = "vmax_pu",
    limit: float = 1.05,
    title: str = "",
) -> str:
    """A congested feeder's locational price against the others', and its constraint stage by stage.

    Parameters
    ----------
    relief : Relief
        :func:`gridcore.market.relief.relieve`'s result.
    feeder : str
        The congested feeder, drawn in red; the other feeders' prices are the grey band.
    path : str or Path
        PNG to write.
    quantity : str
        ``vmax_pu``, ``vmin_pu`` [p.u.] or ``loading_max_pct`` [%] of :attr:`Relief.stages`.
    limit : float
        The limit drawn (1.05 p.u. for an overvoltage).
    title : str

    Returns
    -------
    str
    """
    plt = _pyplot()
    x = pd.DatetimeIndex(relief.times).tz_convert("UTC").tz_localize(None)
    j = relief.feeders.index(feeder)
    price = relief.feeder_price_per_kwh
    others = np.delete(price, j, axis=1)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(12, 5.6), sharex=True)
    ax1.fill_between(
        x, others.min(axis=1), others.max(axis=1), step="post", color="0.8", label="other feeders (range)"
    )
    ax1.step(x, price[:, j], where="post", color="tab:red", lw=1.6, label=f"{feeder}")
    ax1.axhline(0.0, color="0.3", lw=0.6)
    ax1.set_ylabel("locational price [EUR/kWh]")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    styles = {
        "before": ("0.35", "before (energy price only)"),
        "response": ("tab:blue", "after the price response"),
        "batteries": ("tab:green", "after batteries"),
        "remedies": ("tab:purple", "after curtailment / shedding"),
    }
    for stage, (color, label) in styles.items():
        ax2.step(x, relief.stages[f"{stage}_{quantity}"], where="post", color=color, lw=1.3, label=label)
    ax2.axhline(limit, color="tab:red", ls="--", lw=1.0, label=f"limit {limit:g}")
    unit = "%" if quantity.endswith("pct") else "p.u."
    ax2.set_ylabel(f"{quantity.replace('_pu', '').replace('_pct', '')} [{unit}] (AC power flow)")
    ax2.set_xlabel("time (UTC)")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax1.set_title(title, fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)
