"""The automation for a failed scheduled run, created on the Prefect server by ``gridflow serve``.

``gridflow: scheduled run failed`` fires when a flow run of a gridflow deployment that the scheduler
started (tags ``gridflow`` and ``auto-scheduled``) ends Failed, Crashed or TimedOut. With a notification
block (``gridflow serve --notify slack-webhook/grid-ops``, or GRIDFLOW_NOTIFY; any Prefect notification
block: Slack, Teams, email, PagerDuty, ...), it sends the flow, the run, its state and a link; without
one it does nothing but mark the failure in the server's event feed, and an action can be added in the
UI (Automations). It is created once and updated in place when ``gridflow serve`` starts again.
"""

from __future__ import annotations

import os

from prefect.automations import Automation
from prefect.events.actions import DoNothing, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

#: Name of the automation (also how ``gridflow serve`` finds it again).
FAILED_RUN_AUTOMATION = "gridflow: scheduled run failed"
#: The events of a flow run that ended badly.
FAILED_EVENTS = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"}
#: What the notification says (Prefect fills the templates from the event).
SUBJECT = "gridflow: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = (
    "Scheduled gridflow run {{ flow_run.name }} of {{ flow.name }} ended {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n"
    "Parameters: {{ flow_run.parameters }}\n"
    "Run: {{ flow_run|ui_url }}\n"
    "The failure record is in <store>/runs/failed/."
)


def failed_run_automation(notify_block_id: str | None = None) -> Automation:
    """The automation definition (not yet created).

    Parameters
    ----------
    notify_block_id : str, optional
        Id of a Prefect notification block document; without one the action is DoNothing.
    """
    action = (
        SendNotification(block_document_id=notify_block_id, subject=SUBJECT, body=BODY)
        if notify_block_id
        else DoNothing()
    )
    return Automation(
        name=FAILED_RUN_AUTOMATION,
        description=(
            "A scheduled run of a gridflow deployment failed, crashed or timed out. "
            "Its failure record is under <store>/runs/failed/."
        ),
        tags=["gridflow"],
        trigger=EventTrigger(
            expect=set(FAILED_EVENTS),
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related=[
                {"prefect.resource.role": "tag", "prefect.resource.id": "prefect.tag.gridflow"},
                {"prefect.resource.role": "tag", "prefect.resource.id": "prefect.tag.auto-scheduled"},
            ],
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[action],
    )


def notify_block_id(slug: str | None) -> str | None:
    """The id of the notification block ``type/name`` (e.g. ``slack-webhook/grid-ops``), or None.

    Raises
    ------
    ValueError
        When the slug is not ``type/name`` or no such block exists on the server.
    """
    slug = slug or os.environ.get("GRIDFLOW_NOTIFY") or None
    if not slug:
        return None
    block_type, _, name = slug.partition("/")
    if not block_type or not name:
        raise ValueError(f"--notify {slug!r}: write the block as type/name, e.g. slack-webhook/grid-ops")
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            block = client.read_block_document_by_name(name=name, block_type_slug=block_type)
        except ObjectNotFound:
            raise ValueError(f"--notify {slug!r}: no such block on the Prefect server") from None
    return str(block.id)


def ensure_failed_run_automation(notify: str | None = None) -> Automation:
    """Create the automation on the server, or update it in place if it exists; returns it (with id).

    Parameters
    ----------
    notify : str, optional
        Notification block as ``type/name`` (see :func:`notify_block_id`); GRIDFLOW_NOTIFY otherwise.
    """
    wanted = failed_run_automation(notify_block_id(notify))
    try:
        existing = Automation.read(name=FAILED_RUN_AUTOMATION)
    except ValueError:  # Prefect's "not found"
        return wanted.create()
    wanted.id = existing.id
    wanted.update()
    return wanted
