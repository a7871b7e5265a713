"""A picture of a fleet schedule: state of charge, what the batteries save from curtailment, one home."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr


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
