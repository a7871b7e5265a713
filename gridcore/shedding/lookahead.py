"""From the constraint periods that remain to shedding events, and the totals of a run's plans.

The look-ahead lists a period per element and contiguous run of hours. A shedding plan is made per event:
what must be relieved together. Constraints in force in the same hours are relieved together, whichever grid
segment they lie in (:func:`shedding_events`): one plan reaches every one of them, each from the load
downstream of it, instead of plans that each see the others as out of reach. :func:`on_forecasts` puts a
prepared grid at the look-ahead's loads (the forecasts and schedules the periods were found on), and
:func:`plan_totals` adds up the plans of one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from gridcore.errors import InputError
from gridcore.network.constraints import ConstraintPeriod, Injections
from gridcore.shedding.events import Event, parse_event
from gridcore.shedding.request import Setting


def shedding_events(
    periods: Sequence[ConstraintPeriod], start: pd.Timestamp | None = None, window_h: float | None = None
) -> list[Event]:
    """Events to plan: one per run of hours in which the same set of elements is constrained.

    The hours are cut wherever a period starts or ends, so every event holds every constraint of its hours,
    in whichever grid segment it lies: one plan relieves them together.

    Parameters
    ----------
    periods : sequence of ConstraintPeriod
        Constraint periods (:func:`gridcore.lookahead.read_constraint_periods`).
    start : pd.Timestamp, optional
        UTC; with ``window_h``, only the hours in ``[start, start + window_h)`` are planned.
    window_h : float, optional
        Hours ahead to plan for [h] (the hours after are re-planned by later runs).

    Returns
    -------
    list of Event
        By start; a ``supply`` period becomes the event's shortfall [MW] (its relief), any other its element
        (overvoltage and export-side overloads as the event file format reads them).
    """
    chosen = list(periods)
    lo = hi = None
    if start is not None and window_h is not None:
        lo, hi = start, start + pd.Timedelta(hours=window_h)
        chosen = [p for p in chosen if p.end > lo and p.start < hi]
    cuts = sorted({t for p in chosen for t in (p.start, p.end)} | ({lo, hi} if lo is not None else set()))
    if lo is not None:
        cuts = [t for t in cuts if lo <= t <= hi]
    events = []
    for begin, finish in zip(cuts[:-1], cuts[1:], strict=True):
        active = [p for p in chosen if p.start <= begin and p.end >= finish]
        if not active:
            continue
        constraints = [
            {"element": p.element, "kind": p.kind, "relief_mw": float(p.relief_mw)}
            if p.element == "supply"
            else {"element": p.element, "kind": p.kind}
            for p in active
        ]
        hours = (finish - begin) / pd.Timedelta(hours=1)
        data = {"start": f"{begin:%Y-%m-%dT%H:%MZ}", "hours": hours, "constraints": constraints}
        events.append(parse_event(data, f"constraint periods from {begin:%Y-%m-%dT%H:%MZ}"))
    return events


def plan_totals(plans: Sequence[dict[str, object]]) -> dict[str, object]:
    """The totals of a run's shedding plans.

    Parameters
    ----------
    plans : sequence of dict
        Plans as :func:`gridcore.shedding.request.make_plan` returns them.

    Returns
    -------
    dict
        ``events``, ``shed_mw`` (the largest of any plan) [MW], ``battery_mw`` [MW], ``unserved_mwh``
        [MWh], ``critical_affected``, ``customers_affected`` (sum over plans), ``commands``,
        ``remaining_constraints`` (what no plan relieves, with the reason).
    """
    out: dict[str, object] = {
        "events": len(plans),
        "shed_mw": round(max((float(p["shed_mw"]) for p in plans), default=0.0), 6),  # type: ignore[arg-type]
        "battery_mw": round(max((float(p["battery_mw"]) for p in plans), default=0.0), 6),  # type: ignore[arg-type]
        "unserved_mwh": round(sum(float(p["unserved_mwh"]) for p in plans), 6),  # type: ignore[arg-type]
        "critical_affected": sum(int(p["critical_affected"]) for p in plans),  # type: ignore[call-overload]
        "commands": sum(len(p["commands"]) for p in plans),  # type: ignore[arg-type]
    }
    customers: dict[str, int] = {}
    for p in plans:
        for kind, n in p["customers_affected"].items():  # type: ignore[attr-defined]
            customers[kind] = customers.get(kind, 0) + int(n)
    out["customers_affected"] = customers
    out["remaining_constraints"] = [c for p in plans for c in p["remaining_constraints"]]  # type: ignore[attr-defined]
    return out


def on_forecasts(setting: Setting, injections: Injections, times: pd.DatetimeIndex) -> Setting:
    """A prepared grid at the look-ahead's loads and generation in the event's slots, not the profiles.

    The constraint periods were found on the stored forecasts and battery schedules of their issue
    (:func:`gridcore.lookahead.inputs.forecast_injections`); a plan for them is made on the same injections,
    so that it relieves what the look-ahead found.

    Parameters
    ----------
    setting : Setting
        :func:`gridcore.shedding.request.prepare` for the event (its loads at the profiles).
    injections : Injections
        Per hour of ``times``, in the order of the grid's load and static generator tables [MW], [MVAr].
    times : pd.DatetimeIndex
        UTC hour starts of ``injections``.

    Returns
    -------
    Setting
        Its net (changed in place) at the injections of the first slot's hour; ``load_p_mw`` per slot and
        ``sgen_p_mw`` of the first slot from the injections.

    Raises
    ------
    InputError
        When a slot's hour is not in ``times``.
    """
    rows = times.get_indexer(setting.starts.floor("h"))
    if (rows < 0).any():
        missing = setting.starts[rows < 0][0]
        raise InputError(f"the look-ahead's injections do not cover {missing:%Y-%m-%dT%H:%MZ}", field="time")
    first = int(rows[0])
    if setting.net is not None:
        setting.net.load["p_mw"] = injections.load_p_mw[first]
        setting.net.load["q_mvar"] = injections.load_q_mvar[first]
        setting.net.sgen["p_mw"] = injections.sgen_p_mw[first]
    return replace(
        setting, load_p_mw=injections.load_p_mw[rows].copy(), sgen_p_mw=injections.sgen_p_mw[first].copy()
    )
