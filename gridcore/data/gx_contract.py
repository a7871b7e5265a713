"""Run the expectation suites through Great Expectations itself, the reference for the fast path.

:mod:`gridcore.data.validation` enforces the suites in ``expectations/`` on a vectorised numpy path,
because Great Expectations is too slow for the daily volume. This module builds the same suites as
real Great Expectations objects and validates a prepared frame with them, returning the failing rows
in the shape of :func:`gridcore.data.validation.failing_rows`, so tests and benchmarks can prove
both paths agree.

Great Expectations is imported inside the functions: importing it takes seconds, and nothing on the
production path needs it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridcore.data.validation import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import great_expectations as gx


def _read_suite(name: str, directory: Path | None = None) -> dict[str, Any]:
    """The suite ``<name>.json`` as stored."""
    return json.loads(((directory or EXPECTATIONS_DIR) / f"{name}.json").read_text())


def _columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """Columns an expectation reads."""
    if "column" in kwargs:
        return (kwargs["column"],)
    return (kwargs["column_A"], kwargs["column_B"])


def _expectation(entry: dict[str, Any]) -> gx.expectations.Expectation:
    """A Great Expectations expectation from its stored ``type``, ``kwargs`` and ``meta``."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    config = ExpectationConfiguration(
        type=entry["type"],
        kwargs=dict(entry["kwargs"]),
        meta=dict(entry.get("meta", {})),
    )
    return config.to_domain_obj()


def gx_suite(name: str, directory: Path | None = None) -> gx.ExpectationSuite:
    """Build a Great Expectations suite from ``expectations/<name>.json``.

    Parameters
    ----------
    name : str
        Suite name: ``meter_readings``, ``sensor_readings`` or ``weather``.
    directory : Path, optional
        Folder holding the suites; the project's ``expectations/`` by default.

    Returns
    -------
    great_expectations.ExpectationSuite
        Every expectation of the file, in order, each with its quarantine ``reason`` in ``meta``.
    """
    import great_expectations as gx

    raw = _read_suite(name, directory)
    return gx.ExpectationSuite(
        name=raw["name"],
        expectations=[_expectation(e) for e in raw["expectations"]],
        meta=raw.get("meta", {}),
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Raise Great Expectations' loggers to ERROR for the duration of a validation."""
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _context() -> Any:
    """An in-memory Great Expectations context with analytics and progress bars off."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def gx_failing_rows(
    prepared: pd.DataFrame, name: str, directory: Path | None = None
) -> dict[str, np.ndarray]:
    """Validate a prepared frame with Great Expectations; the rows failing each expectation.

    Each expectation is evaluated independently, as in
    :func:`gridcore.data.validation.failing_rows`; an expectation whose column is absent from
    ``prepared`` is skipped.

    Parameters
    ----------
    prepared : pd.DataFrame
        The incoming rows with the suite's derived columns.
    name : str
        Suite name: ``meter_readings``, ``sensor_readings`` or ``weather``.
    directory : Path, optional
        Folder holding the suites; the project's ``expectations/`` by default.

    Returns
    -------
    dict of str to np.ndarray
        Quarantine reason -> boolean mask of the rows failing that expectation, in suite order.

    Raises
    ------
    RuntimeError
        When Great Expectations could not evaluate an expectation.
    """
    import great_expectations as gx

    raw = _read_suite(name, directory)
    kept = [e for e in raw["expectations"] if all(c in prepared.columns for c in _columns(e["kwargs"]))]
    n = len(prepared)
    out = {e["meta"]["reason"]: np.zeros(n, dtype=bool) for e in kept}
    if not kept:
        return out
    # Positional index, so the unexpected index labels GX reports are row positions.
    frame = prepared if prepared.index.equals(pd.RangeIndex(n)) else prepared.reset_index(drop=True)
    suite = gx.ExpectationSuite(name=raw["name"], expectations=[_expectation(e) for e in kept])
    with _quiet():
        context = _context()
        tag = uuid.uuid4().hex[:8]
        source = context.data_sources.add_pandas(f"{raw['name']}_{tag}")
        asset = source.add_dataframe_asset(f"prepared_{tag}")
        batch = asset.add_batch_definition_whole_dataframe(f"whole_{tag}").get_batch(
            batch_parameters={"dataframe": frame}
        )
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    for r in result.results:
        reason = r.expectation_config.meta["reason"]
        error = _exception_message(r.exception_info)
        if error is not None:
            raise RuntimeError(
                f"Great Expectations could not evaluate {r.expectation_config.type} ({reason}): {error}"
            )
        index = r.result.get("unexpected_index_list") or []
        out[reason][np.asarray(index, dtype=np.int64)] = True
    return out


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """The message of an exception GX caught while validating, or None.

    ``exception_info`` is either one record or, per metric, a mapping of records.
    """
    if not info:
        return None
    records = [info] if "raised_exception" in info else list(info.values())
    for record in records:
        if isinstance(record, dict) and record.get("raised_exception"):
            return str(record.get("exception_message"))
    return None
