"""The hourly operations flow: ingest the AMI feed, validate, aggregate to feeders, persist, report.

Later steps of the design (topology update, forecasts, power flow, batteries, shedding, prices) slot in
after ``persist_hour`` and read what it wrote.
"""

from __future__ import annotations

import time

import pandas as pd
from prefect import flow, unmapped

from flows.common import artifact_key, hour_run_id, parse_hour, store_path
from flows.runner import dask_runner
from gridcore.data.quality import feed_summary
from gridcore.data.synthetic import fleet_blocks
from gridcore.system import DEFAULT_METERS, DEFAULT_SEED
from tasks.grid_data import persist_feeds, scada_hour, weather_hour
from tasks.meters import (
    combine,
    persist_hour,
    publish_summary,
    read_ami_block,
    record_quality,
    validate_batch,
)


def hourly_cycle(hour: pd.Timestamp, store: str, meters: int, seed: int) -> dict[str, object]:
    """One hour's tasks, submitted to the flow's task runner (called inside a flow)."""
    blocks = list(range(len(fleet_blocks(meters))))
    raws = read_ami_block.map(unmapped(hour), blocks, unmapped(meters), unmapped(seed))
    as_of = hour + pd.Timedelta(hours=1)
    checked = validate_batch.map(
        raws, unmapped(as_of), unmapped(as_of), unmapped("ami"), unmapped(meters), unmapped(seed)
    )
    run_id = hour_run_id(hour)
    scada = scada_hour.submit(hour, meters, seed)
    weather = weather_hour.submit(hour)
    result = combine.submit(checked).result()
    loads = persist_hour(store, result, hour, meters, seed)
    persist_feeds(store, hour, scada.result(), weather.result(), meters, seed)
    feeds = {"ami": result, "scada": scada.result(), "weather": weather.result()[1]}
    record_quality(store, feeds, run_id, hour)
    summary = publish_summary(f"Hourly cycle {run_id}", artifact_key(run_id), result, loads, meters, seed)
    others = {"sensors": feed_summary(feeds["scada"]), "weather": feed_summary(feeds["weather"])}
    return {"store": store, "hour": f"{hour:%Y-%m-%dT%H:%M:%S}Z", "run_id": run_id, **summary, **others}


@flow(name="hourly-operations", task_runner=dask_runner(), log_prints=True)
def hourly(
    at: str | None = None, store: str | None = None, meters: int = DEFAULT_METERS, seed: int = DEFAULT_SEED
) -> dict[str, object]:
    """Run the hourly operations cycle for the hour containing ``at`` (UTC).

    Parameters
    ----------
    at : str, optional
        ISO 8601 time with offset; the last complete hour when omitted.
    store : str, optional
        Store root; GRIDFLOW_STORE or ./gridflow-store when omitted.
    meters : int
        Fleet size of the synthetic AMI feed.
    seed : int
        Seed of the fleet and the feed.

    Returns
    -------
    dict
        store, hour, run_id, readings_in, readings_valid, quarantined, feeders, ..., seconds.
    """
    t0 = time.perf_counter()
    out = hourly_cycle(parse_hour(at), store_path(store), meters, seed)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out
