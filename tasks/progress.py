"""Progress reporting from a flow to whoever started it (the CLI's rich bar); silent otherwise."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

_listener: ContextVar[Callable[[str], None] | None] = ContextVar("gridflow_progress", default=None)


def listen(callback: Callable[[str], None] | None) -> None:
    """Route progress steps to ``callback`` (None: nowhere)."""
    _listener.set(callback)


def step(label: str) -> None:
    """Report one unit of work done."""
    callback = _listener.get()
    if callback is not None:
        callback(label)
