"""The constraint look-ahead: the periods ahead on a grid from its forecasts, schedules and topology.

Above :mod:`gridcore.network` (which finds periods in a power-flow time series,
:mod:`gridcore.network.constraints`), :mod:`gridcore.forecast` and :mod:`gridcore.storage`, whose stored
products it reads: :mod:`~gridcore.lookahead.inputs` (the hourly injections and their source),
:mod:`~gridcore.lookahead.report` (:func:`constraint_lookahead`), :mod:`~gridcore.lookahead.store` (the
``constraint_periods`` product).
"""

from gridcore.lookahead.report import ConstraintReport, constraint_lookahead
from gridcore.lookahead.store import (
    list_constraint_periods,
    read_constraint_periods,
    write_constraint_periods,
)

__all__ = [
    "ConstraintReport",
    "constraint_lookahead",
    "list_constraint_periods",
    "read_constraint_periods",
    "write_constraint_periods",
]
