"""Prefect tasks of the hourly cycle.

One task per block of meters (read + validate), one for the grid feeds (SCADA + weather), one that
persists the hour. Reading and validating a block share a task because both take a fraction of a second:
a task per step would cost more in orchestration than in work.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr
from prefect import get_run_logger, task

from gridcore.data import products
from gridcore.data.contracts import ValidationResult, combine_results
from gridcore.data.meters import validate_readings
from gridcore.data.scada import sensor_readings, sensor_registry, validate_sensors
from gridcore.data.synthetic import fleet_blocks, meter_readings
from gridcore.data.weather import validate_weather, weather_observations
from gridcore.store import Store
from gridcore.system import default_system, system_at
from tasks.cache import hour_key
from tasks.policy import TIMEOUT_FEED_S, store_task

GridFeeds = tuple[ValidationResult, pd.DataFrame, ValidationResult]
QualityEntry = tuple[ValidationResult, str, str, pd.Timestamp | None]


def _log_validation(what: str, result: ValidationResult) -> None:
    """Log a batch's counts: in, valid, quarantined by reason."""
    get_run_logger().info(
        "%s: %d readings in, %d valid, %d quarantined %s",
        what,
        result.readings_in,
        result.readings_valid,
        len(result.quarantine),
        result.quarantined or "",
    )


@task(
    task_run_name="ami-{hour:%Y%m%dT%H}Z-block{block}",
    **store_task(TIMEOUT_FEED_S, hour_key("hour", "block", "meters", "seed")),
)
def ami_block(hour: pd.Timestamp, block: int, meters: int, seed: int) -> ValidationResult:
    """Read one block of meters' readings for the hour from the head-end and validate them."""
    system = default_system(meters, seed)
    part = system.fleet.iloc[fleet_blocks(meters)[block]]
    raw = meter_readings(system.grid, part, hour, seed=seed, block=block, meter_ids=system.fleet.index)
    end = hour + pd.Timedelta(hours=1)
    result = validate_readings(raw, system.fleet, end, end, source="ami")
    _log_validation(f"AMI block {block} ({len(part)} meters)", result)
    return result


@task(
    task_run_name="grid-feeds-{hour:%Y%m%dT%H}Z",
    **store_task(TIMEOUT_FEED_S, hour_key("hour", "meters", "seed")),
)
def grid_feeds(hour: pd.Timestamp, meters: int, seed: int) -> GridFeeds:
    """Read and validate the hour's SCADA readings and weather observations."""
    system = default_system(meters, seed)
    registry = sensor_registry(system.grid, system.feeders)
    end = hour + pd.Timedelta(hours=1)
    scada = validate_sensors(
        sensor_readings(system.grid, system.feeders, registry, hour, seed=seed), registry, end, end
    )
    weather_raw = weather_observations(hour)
    weather = validate_weather(weather_raw, end, end)
    _log_validation(f"SCADA ({len(registry)} sensors)", scada)
    _log_validation("weather", weather)
    return scada, weather_raw, weather


@task(task_run_name="persist-{hour:%Y%m%dT%H}Z", **store_task(key=hour_key("hour", "write_quality")))
def persist_hour(
    store: str,
    hour: pd.Timestamp,
    blocks: list[ValidationResult],
    feeds: GridFeeds,
    run_id: str,
    meters: int,
    seed: int,
    write_quality: bool = True,
) -> tuple[ValidationResult, xr.Dataset, list[QualityEntry]]:
    """Write the hour: readings, feeder loads, sensors, weather, then quality and quarantine (or defer them).

    Returns the combined meter validation, the quarter-hour feeder loads and the quality entries of the
    hour (already written when ``write_quality``; a backfill defers them to write a day at once).
    """
    system = default_system(meters, seed)
    # meters -> load -> bus -> feeder in the topology in force at this hour (outages, switching): a bus cut
    # off by an outage counts for no feeder; the feeder dimension stays the base topology's
    in_force = system_at(store, hour, meters, seed)
    st = Store(store)
    ami = combine_results(blocks)
    scada, weather_raw, weather = feeds
    loads = products.land_hour(
        st, ami, system.fleet, in_force.feeders.bus_feeder, system.feeders.feeders, hour, system.provenance
    )
    products.land_sensors(st, scada, sensor_registry(system.grid, system.feeders), hour, system.provenance)
    products.land_weather(st, weather, weather_raw, hour, system.provenance)
    entries = [
        (result, run_id, source, hour)
        for source, result in (("ami", ami), ("scada", scada), ("weather", weather))
    ]
    if write_quality:
        products.write_quality_batch(st, entries)
    get_run_logger().info(
        "wrote %s to %s: %d valid readings, %d feeders, sensors, weather%s",
        f"{hour:%Y-%m-%dT%H:%M}Z",
        store,
        ami.readings_valid,
        len(system.feeders.feeders),
        ", quality and quarantine" if write_quality else "",
    )
    return ami, loads, entries


@task(task_run_name="quality-{label}", **store_task(key=hour_key("label", freq="D")))
def record_quality(store: str, entries: list[QualityEntry], label: str) -> None:
    """Write deferred quality entries (one rewrite of each table for all of them)."""
    products.write_quality_batch(Store(store), entries)
    get_run_logger().info("wrote quality and quarantine of %d batches (%s)", len(entries), label)
