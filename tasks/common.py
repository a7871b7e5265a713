"""Small helpers shared by the flows: time parsing, parameter types and run ids (no algorithm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from prefect import Flow
from prefect.exceptions import ParameterTypeError
from pydantic import AfterValidator, Field

from gridcore.checks import parse_hour, store_path, utc_time

__all__ = [
    "Count",
    "GridflowFlow",
    "UtcTime",
    "artifact_key",
    "flow",
    "hour_run_id",
    "parse_hour",
    "store_path",
]


def _valid_time(value: str) -> str:
    utc_time(value, "")
    return value


#: A flow parameter holding an ISO 8601 time with offset. Prefect validates a run's parameters before
#: the flow starts: a run started from the UI with ``at="yesterday"`` fails at once with
#: ``at: Value error, 'yesterday' is not an ISO 8601 time (e.g. 2016-07-01T14:00Z)``.
UtcTime = Annotated[
    str,
    Field(description="ISO 8601 time with offset, e.g. 2016-07-01T14:00Z"),
    AfterValidator(_valid_time),
]
#: A fleet size (meters) as a flow parameter: at least 1.
Count = Annotated[int, Field(ge=1)]


class GridflowFlow(Flow):
    """A Prefect flow whose refused parameters come out as one line.

    Prefect validates a run's parameters (from the UI, the API or a call) before the flow starts and
    fails the run with a list, one line per parameter. This flow says the same in one line:
    ``invalid parameter at: 'yesterday' is not an ISO 8601 time (e.g. 2016-07-01T14:00Z)``.
    """

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Prefect's validation, its error as one line (see the class)."""
        try:
            return super().validate_parameters(parameters)
        except ParameterTypeError as err:
            items = [i.strip() for i in str(err).split("\n - ")[1:] if i.strip()] or [str(err)]
            items = [i.replace(": Value error, ", ": ", 1) for i in items]
            raise ParameterTypeError(
                f"invalid parameter{'s' if len(items) > 1 else ''} " + "; ".join(items)
            ) from None


def flow(**options: Any) -> Callable[[Callable[..., Any]], GridflowFlow]:
    """``@flow(...)`` for gridflow's flows: the same options, a :class:`GridflowFlow`."""

    def wrap(fn: Callable[..., Any]) -> GridflowFlow:
        return GridflowFlow(fn=fn, **options)

    return wrap


def hour_run_id(hour: pd.Timestamp) -> str:
    """Run id of an hourly cycle: ``hourly/2016-07-01T14:00Z``."""
    return f"hourly/{hour:%Y-%m-%dT%H:%M}Z"


def artifact_key(run_id: str) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes) for a run id."""
    return "".join(c if c.isalnum() else "-" for c in run_id.lower())
