"""Prefect tasks of the market: the horizon's clearing and balance, and the day-ahead prices (no algorithm).

The algorithms live in :mod:`gridcore.market`; these tasks read the inputs, call it, write the store, log
a line and publish a Markdown artifact.
"""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gridcore.market.horizon import MarketSummary, clear_horizon
from gridcore.market.inputs import market_inputs
from gridcore.market.store import write_clearing, write_prices
from gridcore.market.whatif import whatif
from gridcore.network.grid_spec import grid_model
from gridcore.storage.fleet import default_fleet
from gridcore.times import to_utc
from tasks.cache import hour_key
from tasks.policy import store_task

#: Hours the day-ahead signal is built on (the week ahead; the first 24 are published).
LOOKAHEAD_H = 168


@task(
    task_run_name="market-{issue_time:%Y%m%dT%H}Z-{horizon_h}h",
    **store_task(key=hour_key("issue_time", "horizon_h", "grid")),
)
def market_horizon(
    store: str, issue_time: pd.Timestamp, horizon_h: int, grid: str | None = None, artifact: bool = True
) -> MarketSummary:
    """Clear every hour of the horizon, balance the imbalance, write prices and quantities to the store.

    Uses the stored forecasts of the issue where present, else the default world
    (:func:`gridcore.market.inputs.market_inputs`). Returns the summary (``.to_dict()`` for JSON), whose
    ``written`` is the path under ``<store>/market/clearing/``; with ``artifact``, a Markdown table
    (key ``market-horizon``).
    """
    model = grid_model(grid)
    inputs = market_inputs(model, to_utc(issue_time, "issue_time", naive="error"), horizon_h, root=store)
    summary = clear_horizon(inputs, batteries=default_fleet(model))
    written = write_clearing(store, summary)
    summary = MarketSummary(
        summary.issue_time, summary.frame, summary.balance, summary.grid, summary.source, written
    )
    figures = summary.to_dict()
    get_run_logger().info(
        "market %s +%d h on %s: price %.1f-%.1f EUR/MWh, imbalance %.3f MWh, residual %.3f MWh (loads: %s)",
        figures["issue_time"],
        horizon_h,
        figures["grid"],
        figures["price_min_per_mwh"],
        figures["price_max_per_mwh"],
        figures["imbalance_mwh"],
        summary.balance.residual_mw.sum(),
        inputs.source["load"],
    )
    if artifact:
        create_markdown_artifact(
            key="market-horizon", markdown=horizon_markdown(summary), description="Market clearing ahead"
        )
    return summary


def horizon_markdown(summary: MarketSummary) -> str:
    """Markdown of a horizon's clearing: totals, then the hours with an imbalance."""
    f = summary.to_dict()
    bal = summary.balance.to_dict()
    lines = [
        f"# Market clearing from {f['issue_time']} ({f['horizon_h']} h, {f['grid']})",
        f"Prices {f['price_min_per_mwh']}-{f['price_max_per_mwh']} EUR/MWh (mean {f['price_mean_per_mwh']}, "
        f"{f['price_rule']}); matched {f['matched_mwh']} MWh; inputs {f['source']}.",
        f"Imbalance {bal['need_mwh']} MWh; covered {bal['covered_mwh']}; residual {bal['residual_mwh']} MWh.",
    ]
    if bal["per_hour"]:
        keys = list(bal["per_hour"][0])  # type: ignore[index]
        lines += ["", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in bal["per_hour"][:48]]  # type: ignore[index]
    return "\n".join(lines)


@task(
    task_run_name="day-ahead-prices-{day:%Y%m%d}",
    **store_task(key=hour_key("day", "scheme", "grid", freq="D")),
)
def publish_day_ahead(
    store: str, day: pd.Timestamp, grid: str | None = None, scheme: str = "cpp", artifact: bool = True
) -> str:
    """Day-ahead prices of ``scheme`` for the 24 hours from ``day`` (UTC midnight), to the store.

    The signal is built on the week ahead (so CPP events fall only on the forecast peak days of the week,
    not on every day), from the stored forecasts of that issue where present, else the default world; its
    first 24 hours, with the response expected to them, are written to ``<store>/market/prices/<day>.zarr``.
    Returns the Markdown of the prices (published as artifact ``day-ahead-prices`` with ``artifact``).
    """
    start = to_utc(day, "day", naive="error").floor("D")
    inputs = market_inputs(grid_model(grid), start, LOOKAHEAD_H, root=store)
    result = whatif(inputs, scheme)
    sig = result.signal
    day_h = slice(0, 24)
    price, peak = sig.price_per_kwh[day_h], sig.peak_hours[day_h]
    before, after = result.response.system_before_mw[day_h], result.response.system_after_mw[day_h]
    written = write_prices(
        store,
        inputs.times[day_h],
        price,
        peak,
        before,
        after,
        {"scheme": scheme, "grid": inputs.grid.code, "source": inputs.source, "params": sig.params},
    )
    cut = 100.0 * (1.0 - after[peak].sum() / before[peak].sum()) if peak.any() else 0.0
    lines = [
        f"# Day-ahead prices {start:%Y-%m-%d} ({scheme}, {inputs.grid.code})",
        f"Peak-hour load expected {cut:.1f} % lower in {int(peak.sum())} peak hours; inputs {inputs.source}; "
        f"written {written}.",
        "",
        "| hour (UTC) | price EUR/kWh | peak | demand MW | expected MW |",
        "|---|---:|---|---:|---:|",
    ]
    for h, t in enumerate(inputs.times[day_h]):
        lines.append(
            f"| {t:%H:%M} | {price[h]:.4f} | {'yes' if peak[h] else ''} | {before[h]:.3f} | {after[h]:.3f} |"
        )
    markdown = "\n".join(lines)
    get_run_logger().info("day-ahead %s prices %s written to %s", scheme, f"{start:%Y-%m-%d}", written)
    if artifact:
        create_markdown_artifact(key="day-ahead-prices", markdown=markdown, description="Day-ahead prices")
    return markdown
