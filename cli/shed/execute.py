"""``gridflow shed execute`` and ``gridflow shed restore``: a plan's commands to the controllable loads.

Both go through the store's outbox (``<store>/outbox.sqlite``, :mod:`gridcore.interfaces.outbox`): a
command id is sent once per outbox, re-sent with back-off until acknowledged, and expires at its
``not_after``; what the link could not deliver in ``--timeout-s`` stays queued for the next run. Devices
listed in ``--bms`` (JSON: device id -> ``host:port/unit``) are batteries reached over Modbus TCP, every
other device over MQTT (``--broker``). Neither command starts Prefect.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import JsonOpt, StoreOpt, check_input_file, emit, time_option
from cli.shed.base import shed_app

__all__ = ["execute_command", "restore_command"]

BrokerOpt = Annotated[
    str | None,
    typer.Option(
        "--broker", help="MQTT broker, mqtt://host:port [env GRIDFLOW_BROKER; default mqtt://127.0.0.1:1883]."
    ),
]
BmsOpt = Annotated[
    Path | None,
    typer.Option(
        "--bms",
        help="JSON file: device id -> host:port/unit of its BMS (Modbus TCP).",
        callback=check_input_file,
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout-s", help="Longest wait for acknowledgements [s].", min=0.0)
]
RetryOpt = Annotated[
    float, typer.Option("--retry-s", help="First re-send delay [s]; doubles each attempt.", min=0.01)
]
AttemptsOpt = Annotated[int, typer.Option("--max-attempts", help="Sends before a command is failed.", min=1)]
PrefixOpt = Annotated[str, typer.Option("--prefix", help="MQTT topic prefix.")]


@dataclass(frozen=True)
class Delivery:
    """How commands reach the devices: the options ``shed execute`` and ``shed restore`` share."""

    broker: BrokerOpt = None
    bms: BmsOpt = None
    timeout_s: TimeoutOpt = 30.0
    retry_s: RetryOpt = 1.0
    max_attempts: AttemptsOpt = 5
    prefix: PrefixOpt = "gridflow/loads"
    store: StoreOpt = None


def delivery_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the options of :class:`Delivery`; it receives them as one ``delivery`` argument.

    The command's own parameters come first (its ``delivery`` parameter is replaced), then
    ``--broker``, ``--bms``, ``--timeout-s``, ``--retry-s``, ``--max-attempts``, ``--prefix``, ``--store``,
    then ``--json`` (a command's ``as_json`` stays last, as in every command's help).
    """
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "delivery"]
    hints = {k: v for k, v in inspect.get_annotations(command, eval_str=True).items() if k != "delivery"}
    shared_hints = inspect.get_annotations(Delivery, eval_str=True)
    keyword = inspect.Parameter.KEYWORD_ONLY
    shared = [
        inspect.Parameter(f.name, keyword, default=f.default, annotation=shared_hints[f.name])
        for f in fields(Delivery)
    ]
    own = [p.replace(kind=keyword, annotation=hints[p.name]) for p in own]
    last = [p for p in own if p.name == "as_json"]
    params = [p for p in own if p.name != "as_json"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        delivery = Delivery(**{f.name: kwargs.pop(f.name) for f in fields(Delivery)})
        command(delivery=delivery, **kwargs)

    del wrapper.__wrapped__  # typer reads the signature below, not the command's
    wrapper.__signature__ = inspect.Signature([*params, *shared, *last])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**hints, **shared_hints}
    return wrapper


def _send(commands: list[Any], delivery: Delivery) -> dict[str, Any]:
    from gridcore.checks import default_store_path
    from gridcore.errors import InputError
    from gridcore.interfaces.control import execute
    from gridcore.interfaces.modbus import ModbusLink
    from gridcore.interfaces.mqtt import MqttLink, parse_broker_url
    from gridcore.interfaces.outbox import Backoff, Outbox, outbox_path
    from gridcore.store import locked

    d = delivery
    url = d.broker or os.environ.get("GRIDFLOW_BROKER") or "mqtt://127.0.0.1:1883"
    parse_broker_url(url)
    links: list[Any] = []
    if d.bms is not None:
        try:
            table = json.loads(d.bms.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"--bms {d.bms}: not JSON ({exc})", field="--bms") from None
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise InputError(
                f"--bms {d.bms}: expected an object of device id -> host:port/unit", field="--bms"
            )
        from gridcore.shedding.batteries import stored_setpoints

        store = d.store if d.store is not None else default_store_path()
        links.append(ModbusLink(table, setpoints=stored_setpoints(store)))
    mqtt = MqttLink(url, prefix=d.prefix)
    links.append(mqtt)
    path = outbox_path(d.store if d.store is not None else default_store_path())
    try:
        mqtt.wait_connected(min(d.timeout_s, 5.0))
        with locked(path), Outbox(path) as outbox:
            result = execute(
                outbox,
                commands,
                links,
                backoff=Backoff(base_s=d.retry_s, max_attempts=d.max_attempts),
                timeout_s=d.timeout_s,
            )
    finally:
        for link in links:
            link.close()
    return {"broker": url, "outbox": str(path), **result, "complete": result["still_open"] == 0}


@shed_app.command("execute")
@delivery_options
def execute_command(
    plan: Annotated[
        Path, typer.Argument(help="Plan JSON with a 'commands' list.", callback=check_input_file)
    ],
    delivery: Delivery,
    as_json: JsonOpt = False,
) -> None:
    """Send a plan's commands to the controllable loads; report each one's state (sent, acknowledged, ...)."""
    from gridcore.interfaces.commands import load_plan

    _, commands = load_plan(plan)
    figures = _send(commands, delivery)
    figures = {"plan": str(plan), **figures}
    if not as_json:
        figures = {k: v for k, v in figures.items() if k != "commands"}
    emit(figures, as_json, "shed execute")


@shed_app.command("restore")
@delivery_options
def restore_command(
    plan: Annotated[Path, typer.Argument(help="The plan whose load comes back.", callback=check_input_file)],
    delivery: Delivery,
    at: Annotated[str | None, time_option("First step, ISO 8601 UTC (default: now).")] = None,
    step_mw: Annotated[
        float, typer.Option("--step-mw", help="Largest cold-load pickup per step [MW].", min=0.0)
    ] = 1.0,
    interval_min: Annotated[
        float, typer.Option("--interval-min", help="Minimum time between two steps [min].", min=0.0)
    ] = 5.0,
    factor: Annotated[
        float,
        typer.Option(
            "--pickup-factor", help="Cold-load pickup: load at restoration / load before [-].", min=1.0
        ),
    ] = 2.0,
    decay_min: Annotated[
        float, typer.Option("--decay-min", help="Time constant of the pickup's decay [min].", min=0.001)
    ] = 30.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan the steps; send nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bring a plan's load back in steps that respect cold-load pickup; send the restore commands."""
    import pandas as pd

    from gridcore.checks import utc_time
    from gridcore.interfaces.commands import load_plan
    from gridcore.interfaces.control import pickup_mw, restore_commands, restore_steps

    raw, commands = load_plan(plan)
    start = pd.Timestamp(utc_time(at, "--at")) if at is not None else pd.Timestamp.now(tz="UTC").floor("s")
    steps = restore_steps(raw, commands, at=start, step_mw=step_mw, interval_min=interval_min, factor=factor)
    # the feeder's load at each step: every block restored so far, its pickup decaying since its step
    peak = max(
        (
            sum(pickup_mw(s.load_mw, (k - s.step) * interval_min, factor, decay_min) for s in steps[: k + 1])
            for k in range(len(steps))
        ),
        default=0.0,
    )
    figures: dict[str, Any] = {
        "plan": str(plan),
        "steps": [
            {
                "step": s.step,
                "at": s.at.isoformat().replace("+00:00", "Z"),
                "devices": list(s.devices),
                "load_mw": s.load_mw,
                "pickup_mw": s.pickup_mw,
            }
            for s in steps
        ],
        "n_steps": len(steps),
        "restored_mw": round(sum(s.load_mw for s in steps), 6),
        "peak_mw": round(peak, 6),
        "assumption": {
            "pickup_factor": factor,
            "decay_min": decay_min,
            "step_mw": step_mw,
            "interval_min": interval_min,
        },
    }
    if not dry_run:
        restores = restore_commands(steps, commands, valid_min=max(15.0, interval_min))
        figures["execution"] = _send(restores, delivery)
    if not as_json:
        figures["steps"] = [
            f"{s['at']}: {len(s['devices'])} devices, {s['pickup_mw']} MW" for s in figures["steps"]
        ]
        if "execution" in figures:
            figures["execution"] = {k: v for k, v in figures["execution"].items() if k != "commands"}
    emit(figures, as_json, "shed restore")
