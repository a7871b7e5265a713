"""Prefect task of the fleet health: update it in the store, log and publish alarms (no algorithm here)."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gridcore.storage.health import HealthConfig, update_health
from tasks.cache import hour_key
from tasks.policy import store_task


@task(task_run_name="storage-health-{at:%Y%m%dT%H%M}Z", **store_task(key=hour_key("at")))
def update_storage_health(
    fleet: pd.DataFrame, store: str, at: pd.Timestamp, warn_soh: float = 0.85, alarm_soh: float = 0.80
) -> dict[str, object]:
    """Fleet health at ``at`` (tz-aware UTC) from the stored schedules, written to the store.

    The health run of ``gridflow storage health`` (:func:`gridcore.storage.health.update_health`); here it
    also logs an error naming every unit below ``alarm_soh`` and publishes a markdown artifact
    (``storage-health``) listing the units near end of life. Returns the health summary and ``written``.
    """
    config = HealthConfig(warn_soh=warn_soh, alarm_soh=alarm_soh)
    out = update_health(store, fleet, at, config).to_dict()
    logger = get_run_logger()
    logger.info(
        "fleet health at %s: %d units, SoH mean %s %%, min %s %%, %d near end of life, %d alarms",
        out["at"],
        out["units"],
        out["soh_mean_pct"],
        out["soh_min_pct"],
        len(out["near_end_of_life"]),
        len(out["alarms"]),
    )
    if out["alarms"]:
        names = ", ".join(f"{a['battery']} ({a['soh_pct']} %)" for a in out["alarms"])
        logger.error(
            "battery health alarm: %d unit(s) below %s %% SoH: %s",
            len(out["alarms"]),
            out["alarm_soh_pct"],
            names,
        )
    lines = [
        f"# Battery health {out['at']}",
        f"{out['units']} units, SoH mean {out['soh_mean_pct']} %, min {out['soh_min_pct']} %, "
        f"EFC mean {out['efc_mean']}; {len(out['near_end_of_life'])} near end of life "
        f"(< {out['warn_soh_pct']} %), {len(out['alarms'])} alarms (< {out['alarm_soh_pct']} %).",
        "",
        "| battery | kind | SoH % | EFC | years to end of life |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {u['battery']} | {u['kind']} | {u['soh_pct']} | {u['efc']} | {u['years_to_eol']} |"
            for u in out["near_end_of_life"][:50]
        ),
    ]
    create_markdown_artifact(
        key="storage-health", markdown="\n".join(lines), description="Battery fleet health"
    )
    return out
