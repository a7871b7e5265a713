"""State of health of the battery fleet, from commissioning through the stored schedule history.

How a unit's fade is built up (capacity fade model: :mod:`gridcore.storage.degradation`):

1. **Before the stored schedules** (from ``commissioned`` to the first day of the history) the use is not
   known: each unit is assumed to do :data:`~gridcore.storage.degradation.EFC_PER_YEAR` equivalent full cycles
   a year by kind (home 250, community 300, grid 365), as one daily cycle of that depth (at most its SoC
   window) around the middle of its SoC window, at ``temp_c``. A unit commissioned within the history has no
   such part, and does not age before its commissioning.
2. **The stored schedules**, day by day: for each hour the schedule *in force* is the one of the latest issue
   that covers the hour (a newer issue replaces the rest of an older one). The cell throughput of an hour is
   ``eta_charge * charge_mw + discharge_mw / eta_discharge`` [MWh in 1 h], its SoC ``soc_mwh`` (end of the
   hour) / ``energy_mwh``; a day's stress is its EFC, its depth (max - min SoC) and its hourly SoC samples.
   An hour without a schedule for the unit (a gap, a unit missing from the issue) takes the assumed use of 1.
3. **Ahead**: years to end of life with the use of the last ``recent_days`` days of history going on
   (the assumed use when there is none).

The health of one run is written to ``<store>/storage_health/<at>.zarr`` (``at`` as ``%Y%m%dT%H%MZ``, like the
demand forecast and schedule issues): ``soh`` (battery x time) per UTC day of the history, labelled by the
day's start and holding the SoH at the end of that day (or at ``at`` for the last, partial day; one point
when there is no history), and per battery ``soh``, ``efc``, ``efc_stored``, ``cycles_rainflow``,
``efc_rainflow``, ``fade_calendar``, ``fade_cycle``, ``years_to_eol``, ``status``, ``kind``, ``chemistry``,
``age_years``. Rainflow counting (ASTM E1049-85) runs on the stored SoC of the last ``recent_days`` days only
(the counting is a Python loop per unit: a year of 1,200 units would take about 15 s, a month 1 s).
A rerun of the same ``at`` replaces its folder whole.

Modules: :mod:`~gridcore.storage.health.config` (thresholds, assumed use, input checks),
:mod:`~gridcore.storage.health.history` (the schedule in force), :mod:`~gridcore.storage.health.assessment`
(the fade built up per unit, status and years ahead), :mod:`~gridcore.storage.health.result`
(:class:`FleetHealth`, its summary and dataset) and :mod:`~gridcore.storage.health.store` (reading the
stored schedules, writing and reading the health, :func:`update_health`: the one path of a health run).
"""

from gridcore.storage.health.assessment import fleet_health
from gridcore.storage.health.config import FLEET_COLUMNS, STATUSES, HealthConfig, assumed_use, check_fleet
from gridcore.storage.health.history import in_force
from gridcore.storage.health.result import FleetHealth
from gridcore.storage.health.store import (
    PRODUCT,
    HealthUpdate,
    health_fleet,
    health_path,
    health_time,
    history_end,
    read_health,
    read_history,
    update_health,
    write_health,
)

__all__ = [
    "FLEET_COLUMNS",
    "PRODUCT",
    "STATUSES",
    "FleetHealth",
    "HealthConfig",
    "HealthUpdate",
    "assumed_use",
    "check_fleet",
    "fleet_health",
    "health_fleet",
    "health_path",
    "health_time",
    "history_end",
    "in_force",
    "read_health",
    "read_history",
    "update_health",
    "write_health",
]
