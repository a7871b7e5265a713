"""Prefect's retry policy: bad input (InputError and every subclass) never retries, a transient error does."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from gridcore.data.validation import ContractError
from gridcore.errors import GridCacheError, InputError, StoreError
from gridcore.network.powerflow import PowerFlowError
from gridcore.network.topology import TopologyError
from gridcore.storage.schedule import ScheduleError
from tasks.policy import is_bad_input, retry_unless_bad_input

BAD = [
    InputError("horizon must be 1..168 h, got 0", field="horizon"),
    ContractError("meters.csv: missing required column(s) kwh"),
    TopologyError("unknown line id 99"),
    ScheduleError("fleet table lacks column(s) ['power_mw']"),
    PowerFlowError("the power flow did not converge"),
    StoreError("store /tmp/x is a file, not a folder"),
]
TRANSIENT = [
    OSError("feed timed out"),
    TimeoutError("lock not taken in 60 s"),
    KeyError("readings"),
    GridCacheError("grid cache ~/.cache/gridflow: being rebuilt"),
]


@pytest.mark.parametrize("exc", BAD, ids=lambda e: type(e).__name__)
def test_bad_input_is_not_retried(exc: Exception) -> None:
    assert is_bad_input(exc)
    assert retry_unless_bad_input(None, None, Failed(data=exc)) is False


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_a_transient_error_is_retried(exc: Exception) -> None:
    assert not is_bad_input(exc)
    assert retry_unless_bad_input(None, None, Failed(data=exc)) is True
