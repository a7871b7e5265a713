"""Pictures of the battery fleet: a schedule (SoC, curtailment, one home) and the allocation study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

#: Line style per strategy in the plots.
_STYLE = {
    "none": {"color": "0.4", "linestyle": "--"},
    "uniform": {"color": "tab:blue", "marker": "o"},
    "proportional_pv": {"color": "tab:orange", "marker": "s"},
    "constrained_feeders": {"color": "tab:green", "marker": "^"},
    "central": {"color": "tab:red", "marker": "D"},
}


def plot_schedule(ds: xr.Dataset, out: str | Path, battery: str | None = None) -> str:
    """Draw a stored schedule (:func:`gridcore.storage.store.read_schedule`) to a PNG.

    Panels: the fleet's state of charge by kind [% of capacity]; the renewable power of the sites with what
    is curtailed without storage and with the schedule [MW]; one battery's charge, discharge and SoC (the
    home with the most throughput unless ``battery`` is given).

    Parameters
    ----------
    ds : xr.Dataset
        Schedule dataset (battery x time).
    out : str or Path
        PNG path.
    battery : str, optional
        Battery shown in the last panel.

    Returns
    -------
    str
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = ds["time"].values
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, constrained_layout=True)
    ax = axes[0]
    for kind in np.unique(ds["kind"].values):
        sel = ds["kind"].values == kind
        soc = ds["soc_mwh"].values[sel].sum(0) / ds["energy_mwh"].values[sel].sum()
        ax.plot(t, 100 * soc, label=f"{kind} ({int(sel.sum())})")
    ax.set_ylabel("state of charge [%]")
    ax.set_ylim(0, 100)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Battery fleet schedule from {ds.attrs.get('issue_time', '')}")

    ax = axes[1]
    pv = ds["pv_mw"].values
    load = ds["load_mw"].values
    cap = np.nan_to_num(_export_limit(ds))
    curtail_none = np.maximum(pv - load - cap[:, None], 0).sum(0)
    ax.fill_between(t, pv.sum(0), color="gold", alpha=0.5, label="renewable available")
    ax.plot(t, curtail_none, color="tab:red", label="curtailed without storage")
    ax.plot(t, ds["curtail_mw"].values.sum(0), color="tab:green", label="curtailed with the schedule")
    ax.set_ylabel("MW")
    ax.legend(loc="upper right", fontsize=8)

    ax = axes[2]
    if battery is None:
        homes = np.flatnonzero(ds["kind"].values == "home")
        pool = homes if len(homes) else np.arange(ds.sizes["battery"])
        through = (ds["charge_mw"].values[pool] + ds["discharge_mw"].values[pool]).sum(1)
        battery = str(ds["battery"].values[pool[int(np.argmax(through))]])
    one = ds.sel(battery=battery)
    ax.bar(t, 1000 * one["charge_mw"].values, width=0.035, color="tab:blue", label="charge [kW]")
    ax.bar(t, -1000 * one["discharge_mw"].values, width=0.035, color="tab:orange", label="discharge [kW]")
    ax.set_ylabel("kW")
    twin = ax.twinx()
    twin.plot(t, 1000 * one["soc_mwh"].values, color="black", label="SoC [kWh]")
    twin.set_ylabel("SoC [kWh]")
    ax.set_title(f"battery {battery} ({one['kind'].item()})", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)


def _export_limit(ds: xr.Dataset) -> np.ndarray:
    """Export limit per battery site [MW]: stored with the schedule, else the largest export seen."""
    if "export_limit_mw" in ds:
        return ds["export_limit_mw"].values.astype(float)
    return ds["export_mw"].values.max(axis=1)


def plot_study(table: pd.DataFrame, path: Path) -> None:
    """Utilization and curtailment against total capacity per strategy, one column per period."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = list(dict.fromkeys(table["period"]))
    fig, axes = plt.subplots(2, len(periods), figsize=(4.6 * len(periods), 7.5), squeeze=False)
    for j, period in enumerate(periods):
        rows = table[table["period"] == period]
        none = rows[rows["strategy"] == "none"].iloc[0]
        xmax = max(rows["total_mwh"].max(), 1.0)
        for i, column in enumerate(("utilization_pct", "curtailment_mwh")):
            ax = axes[i, j]
            ax.axhline(none[column], label="none", **_STYLE["none"])
            for strategy, group in rows[rows["strategy"] != "none"].groupby("strategy", sort=False):
                ax.plot(group["total_mwh"], group[column], label=strategy, **_STYLE.get(strategy, {}))
            ax.set_xlim(0, xmax * 1.05)
            ax.set_xlabel("total battery energy [MWh]")
            ax.set_ylabel("renewable utilization [%]" if i == 0 else "curtailment [MWh]")
            ax.grid(alpha=0.3)
            if i == 0:
                single = rows.loc[rows["strategy"] != "none", "total_mwh"].nunique() == 1
                ax.set_title(period.replace("_", " ") + (" (one size)" if single else ""))
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Storage allocation at equal total MWh (feed-in cap 30 % of PV peak)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tradeoff(tradeoff: pd.DataFrame, path: Path) -> None:
    """Utilization against equivalent full cycles per year as the throughput cost is scaled, per week."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for period, group in tradeoff.groupby("period", sort=False):
        for ax, x in zip(axes, ("efc_per_year", "fade_pct_per_year"), strict=True):
            ax.plot(group[x], group["utilization_pct"], marker="o", label=period.replace("_", " "))
            for _, row in group.iterrows():
                ax.annotate(f"x{row['cost_multiplier']:g}", (row[x], row["utilization_pct"]), fontsize=7)
    axes[0].set_xlabel("equivalent full cycles [1/year]")
    axes[1].set_xlabel("capacity fade [%/year]")
    for ax in axes:
        ax.set_ylabel("renewable utilization [%]")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Uniform allocation, base size: throughput cost x multiplier")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
