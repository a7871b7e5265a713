"""Prefect events of the chain that an automation can act on (no algorithm)."""

from __future__ import annotations

import json

from prefect.events import emit_event


def emit(event: str, resource_id: str, payload: dict[str, object]) -> int:
    """Emit one Prefect event on a gridflow resource; 1 when it was sent, 0 when events are off.

    Parameters
    ----------
    event : str
        ``gridflow.constraint.found``, ``gridflow.shedding.planned``, ...
    resource_id : str
        ``gridflow.element.line:12``, ``gridflow.store.<path>``.
    payload : dict
        JSON-ready figures (values that are not are written as text).
    """
    data = json.loads(json.dumps(payload, default=str))
    sent = emit_event(event=event, resource={"prefect.resource.id": resource_id}, payload=data)
    return int(sent is not None)
