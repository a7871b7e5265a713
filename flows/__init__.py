"""Prefect flows of gridflow: one module per flow (hourly, daily, backfill, ingest, demand, storage schedule).

Flows only wire the tasks of :mod:`tasks` together; the algorithms live in :mod:`gridcore` and the command
line that starts the flows in :mod:`cli`.
"""
