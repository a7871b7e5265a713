"""Prefect tasks for the SCADA and weather feeds: read and validate (parallel), persist (in order)."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE

from gridcore.data import products
from gridcore.data.contracts import ValidationResult
from gridcore.data.scada import sensor_readings, sensor_registry, validate_sensors
from gridcore.data.weather import validate_weather, weather_observations
from gridcore.store import Store
from gridcore.system import default_system


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[5, 15], task_run_name="scada-{hour:%Y%m%dT%H}Z")
def scada_hour(hour: pd.Timestamp, meters: int, seed: int) -> ValidationResult:
    """Read and validate an hour of SCADA readings."""
    system = default_system(meters, seed)
    registry = sensor_registry(system.grid, system.feeders)
    raw = sensor_readings(system.grid, system.feeders, registry, hour, seed=seed)
    end = hour + pd.Timedelta(hours=1)
    return validate_sensors(raw, registry, end, end)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[5, 15], task_run_name="weather-{hour:%Y%m%dT%H}Z")
def weather_hour(hour: pd.Timestamp) -> tuple[pd.DataFrame, ValidationResult]:
    """Read and validate an hour of weather observations; returns the input and its validation."""
    raw = weather_observations(hour)
    end = hour + pd.Timedelta(hours=1)
    return raw, validate_weather(raw, end, end)


@task(cache_policy=NONE, task_run_name="persist-feeds-{hour:%Y%m%dT%H}Z")
def persist_feeds(
    store: str,
    hour: pd.Timestamp,
    scada: ValidationResult,
    weather: tuple[pd.DataFrame, ValidationResult],
    meters: int,
    seed: int,
) -> None:
    """Write an hour of sensors and weather to the store."""
    system = default_system(meters, seed)
    st = Store(store)
    products.land_sensors(st, scada, sensor_registry(system.grid, system.feeders), hour, system.provenance)
    products.land_weather(st, weather[1], weather[0], hour, system.provenance)
