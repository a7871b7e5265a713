"""Options of the fleet's schedule shared by ``gridflow storage schedule`` and its flow (no Prefect here)."""

from __future__ import annotations

#: Batteries per Prefect task: enough work per task that the orchestration overhead stays small.
BATCH_SIZE = 150
#: Where a schedule's inputs come from: the profiles (perfect foresight) or the stored forecasts.
INPUTS = ("profiles", "forecast")
#: LP solvers of a schedule (``auto``: the first available of GLOP, HiGHS).
SOLVERS = ("auto", "glop", "highs")
