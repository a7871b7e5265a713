"""Prefect task of the monitoring step: the hour's anomalies, a log line, an artifact, events (no algorithm).

Every high-severity anomaly becomes a Prefect event ``gridflow.anomaly.high`` (resource
``gridflow.<place kind>.<place>``, payload: type, hour, evidence) that an automation can act on; at most
:data:`MAX_EVENTS` per hour, the rest counted in the log. The event's id is made from the anomaly's type,
place and first flagged interval, so the same anomaly monitored again (the next hour's look-back, the daily
flow's monitoring of the day) is the same event, which the Prefect server stores and acts on once.
"""

from __future__ import annotations

import uuid

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from gridcore.monitor.hour import monitor_store_hour
from gridcore.monitor.report import MonitorReport
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_REPORT_S, store_task

#: Most events emitted for one hour (an hour with a feed gone wrong can flag thousands of meters).
MAX_EVENTS = 200
#: Rows of the artifact's anomaly table.
ARTIFACT_ROWS = 50


@task(task_run_name="monitor-{at:%Y%m%dT%H}Z", **store_task(TIMEOUT_REPORT_S, key=hour_key("at", "grid")))
def monitor_hour(store: str, at: pd.Timestamp, grid: str | None = None) -> MonitorReport:
    """The anomalies of the hour starting at ``at`` (tz-aware UTC) in ``store``.

    Reads what the hour's earlier steps wrote (readings, sensors, quarantine, constraint periods, demand
    forecasts; see :func:`gridcore.monitor.hour.monitor_store_hour`), logs the counts, publishes a Markdown
    artifact (key ``monitor-anomalies``) and emits one ``gridflow.anomaly.high`` event per high-severity
    anomaly. Returns the report (``.to_dict()``, ``.high()``).
    """
    report = monitor_store_hour(store, pd.Timestamp(at), grid=grid)
    logger = get_run_logger()
    high = report.high()
    logger.info(
        "monitor %s: %d anomalies (%d high): %s%s",
        f"{report.at:%Y-%m-%dT%H:%MZ}",
        len(report.anomalies),
        len(high),
        ", ".join(f"{k} {sum(v.values())}" for k, v in report.counts().items()) or "none",
        f"; missing: {'; '.join(report.missing)}" if report.missing else "",
    )
    stamp = f"{report.at:%Y-%m-%dT%H:%M:%SZ}"
    for row in high.head(MAX_EVENTS).itertuples(index=False):
        emit_event(
            id=anomaly_event_id(row.type, row.place, row.start),
            event="gridflow.anomaly.high",
            resource={
                "prefect.resource.id": f"gridflow.{row.place_kind}.{row.place}",
                "prefect.resource.name": str(row.place),
                "gridflow.anomaly.type": str(row.type),
            },
            payload={"type": row.type, "hour": stamp, "place": row.place, "evidence": row.evidence},
        )
    if len(high) > MAX_EVENTS:
        logger.warning("%d high-severity anomalies: events emitted for the first %d", len(high), MAX_EVENTS)
    create_markdown_artifact(
        key="monitor-anomalies", markdown=report_markdown(report), description=f"Anomalies of {stamp}"
    )
    return report


def anomaly_event_id(kind: str, place: str, start: pd.Timestamp) -> uuid.UUID:
    """The event id of an anomaly: the same type, place and first flagged interval give the same id."""
    name = f"gridflow:anomaly:{kind}:{place}:{pd.Timestamp(start).isoformat()}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name)


def report_markdown(report: MonitorReport) -> str:
    """The report as Markdown: counts per type and severity, then the first anomalies."""
    counts = report.counts()
    lines = [
        f"# Anomalies {report.at:%Y-%m-%dT%H:%MZ}",
        "",
        "| type | high | medium | low |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {k} | {v['high']} | {v['medium']} | {v['low']} |" for k, v in counts.items()] or [
        "| none | | | |"
    ]
    lines += ["", "| severity | type | place | evidence |", "|---|---|---|---|"]
    lines += [
        f"| {a['severity']} | {a['type']} | {a['place']} | {a['evidence']} |"
        for a in report.records(ARTIFACT_ROWS)
    ]
    if report.missing:
        lines += ["", "Missing: " + "; ".join(report.missing)]
    return "\n".join(lines) + "\n"
