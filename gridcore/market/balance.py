"""Balance achievement: remedies for an imbalance, in an explicit, configurable order.

An imbalance is a need per hour [MW]: demand that supply cannot meet, or load above a feeder's limit.
Each remedy of ``order`` covers what it can of what the ones before it left, and reports it:

``price``
    consumer response to a price signal: the reduction the response model gives when the hours in need
    carry an event price (:func:`response_potential_mw`), limited to the loads in reach;
``batteries``
    discharging the storage fleet in reach: its power [MW], and its energy [MWh] over the horizon
    spent hour by hour;
``shedding``
    a prioritized shedding plan by the shedding planner (:func:`gridcore.shedding.plan.plan_shortfall`
    on the switchable blocks in reach, :func:`shedding_remedy`).

The default order is price response, then batteries, then shedding: the cheapest for customers first,
shedding last. What is left after the last remedy is the residual imbalance per hour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.grid import GridModel

#: The remedies, in the default order.
REMEDIES = ("price", "batteries", "shedding")
#: Remedy callables take the need per hour [MW] and return what they covered per hour [MW] and details.
Remedy = Callable[[np.ndarray], tuple[np.ndarray, dict[str, object]]]


@dataclass(frozen=True)
class BalanceResult:
    """What each remedy covered per hour, and the residual.

    Attributes
    ----------
    times : pd.DatetimeIndex
        UTC hour starts.
    need_mw : np.ndarray
        (time,) imbalance before any remedy [MW].
    order : tuple of str
        Remedies in the order applied.
    covered_mw : dict of str to np.ndarray
        (time,) covered by each remedy [MW].
    residual_mw : np.ndarray
        (time,) left after the last remedy [MW].
    details : dict of str to dict
        Each remedy's own report (e.g. the shedding plan's customers affected).
    """

    times: pd.DatetimeIndex
    need_mw: np.ndarray
    order: tuple[str, ...]
    covered_mw: dict[str, np.ndarray]
    residual_mw: np.ndarray
    details: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON figures: order, energy per remedy [MWh], residual, and the hours in need one by one."""
        hours = np.flatnonzero(self.need_mw > 1e-9)
        return {
            "order": list(self.order),
            "need_mwh": round(float(self.need_mw.sum()), 6),
            "covered_mwh": {k: round(float(v.sum()), 6) for k, v in self.covered_mw.items()},
            "residual_mwh": round(float(self.residual_mw.sum()), 6),
            "hours_in_need": len(hours),
            "hours_with_residual": int((self.residual_mw > 1e-6).sum()),
            "per_hour": [
                {
                    "time": f"{self.times[h]:%Y-%m-%dT%H:%MZ}",
                    "need_mw": round(float(self.need_mw[h]), 6),
                    **{f"{k}_mw": round(float(v[h]), 6) for k, v in self.covered_mw.items()},
                    "residual_mw": round(float(self.residual_mw[h]), 6),
                }
                for h in hours
            ],
            "details": self.details,
        }


def balance(
    times: pd.DatetimeIndex,
    need_mw: np.ndarray,
    remedies: dict[str, Remedy],
    order: tuple[str, ...] | list[str] = REMEDIES,
) -> BalanceResult:
    """Cover an imbalance with remedies in ``order`` (module docstring).

    Parameters
    ----------
    times : pd.DatetimeIndex
        UTC hour starts.
    need_mw : np.ndarray
        (time,) imbalance [MW]; negative values count as 0.
    remedies : dict of str to callable
        Each remedy by name (:func:`price_remedy`, :func:`battery_remedy`, :func:`shedding_remedy`).
    order : sequence of str
        Names of ``remedies`` in the order to apply them.

    Returns
    -------
    BalanceResult

    Raises
    ------
    InputError
        A name in ``order`` with no remedy, or a name twice.
    """
    order = tuple(order)
    for name in order:
        if name not in remedies:
            raise InputError(f"remedy order: no remedy {name!r} (have {', '.join(remedies)})", field="order")
    if len(set(order)) != len(order):
        raise InputError("remedy order: a remedy is named twice", field="order")
    need = np.maximum(np.asarray(need_mw, dtype=float), 0.0)
    left = need.copy()
    covered: dict[str, np.ndarray] = {}
    details: dict[str, dict[str, object]] = {}
    for name in order:
        got, info = remedies[name](left.copy())
        got = np.clip(np.asarray(got, dtype=float), 0.0, left)
        covered[name] = got
        details[name] = info
        left = left - got
    return BalanceResult(pd.DatetimeIndex(times), need, order, covered, left, details)


def price_remedy(potential_mw: np.ndarray) -> Remedy:
    """The price-response remedy: covers up to the response potential of each hour [MW]."""

    def cover(need: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
        got = np.minimum(need, np.maximum(potential_mw, 0.0))
        return got, {"potential_mw_max": round(float(np.max(potential_mw, initial=0.0)), 6)}

    return cover


def battery_remedy(power_mw: float, energy_mwh: float) -> Remedy:
    """The battery remedy: discharge up to ``power_mw`` [MW] hour by hour while ``energy_mwh`` [MWh] lasts."""

    def cover(need: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
        got = np.zeros_like(need)
        left = energy_mwh
        for h, x in enumerate(need):
            got[h] = min(x, power_mw, max(left, 0.0))
            left -= got[h]
        return got, {"power_mw": round(power_mw, 6), "energy_mwh": round(energy_mwh, 6)}

    return cover


def shedding_remedy(
    grid: GridModel,
    load_mw: np.ndarray,
    times: pd.DatetimeIndex,
    loads_in_reach: np.ndarray | None = None,
    n_meters: int = 20_000,
    blocks: object | None = None,
) -> Remedy:
    """The shedding remedy: the shedding planner's plan over the hours in need (default priorities).

    Parameters
    ----------
    grid : GridModel
    load_mw : np.ndarray
        (time, load) load in each hour [MW].
    times : pd.DatetimeIndex
        UTC hour starts.
    loads_in_reach : np.ndarray of bool, optional
        (load,) loads whose blocks may be shed (e.g. those of one feeder); all when None.
    n_meters : int
        Size of the meter fleet the blocks are built from.
    blocks : gridcore.shedding.blocks.Blocks, optional
        Switchable blocks built beforehand (:func:`switchable_blocks`); built from the fleet when None.
    """
    from gridcore.shedding.plan import plan_shortfall
    from gridcore.shedding.priorities import load_priorities

    def cover(need: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
        hours = np.flatnonzero(need > 1e-9)
        if len(hours) == 0:
            return np.zeros_like(need), {"hours": 0}
        priorities = load_priorities()
        b = blocks if blocks is not None else switchable_blocks(grid, n_meters)
        eligible = None if loads_in_reach is None else np.asarray(loads_in_reach, dtype=bool)[b.load]  # type: ignore[attr-defined]
        sched, figures = plan_shortfall(
            b,
            load_mw[hours],
            times[hours],
            1.0,
            need[hours],
            priorities,
            eligible=eligible,  # type: ignore[arg-type]
        )
        got = np.zeros_like(need)
        got[hours] = sched.shed_mw + sched.dimmed_mw
        return got, {
            "hours": len(hours),
            "customers_affected": figures["customers_affected"],
            "unserved_mwh": figures["unserved_mwh"],
        }

    return cover


def switchable_blocks(grid: GridModel, n_meters: int = 20_000):  # noqa: ANN201 (Blocks)
    """The shedding planner's switchable blocks of ``grid`` (default priorities, a fleet of ``n_meters``)."""
    from gridcore.data.fleet import build_fleet
    from gridcore.shedding.blocks import build_blocks
    from gridcore.shedding.priorities import load_priorities

    return build_blocks(grid.load, build_fleet(grid, n_meters=n_meters), load_priorities())


def response_potential_mw(
    load_mw: np.ndarray,
    class_shares: np.ndarray,
    times: pd.DatetimeIndex,
    hours: np.ndarray,
    ratio: float = 2.0,
    flat_per_kwh: float = 0.30,
) -> np.ndarray:
    """Load the saturating response takes off when ``hours`` carry an event price [MW] per hour.

    Parameters
    ----------
    load_mw : np.ndarray
        (time, load) baseline of the loads in reach [MW].
    class_shares : np.ndarray
        (load, class).
    times : pd.DatetimeIndex
    hours : np.ndarray of bool
        (time,) the hours with the event price.
    ratio : float
        Event price over the flat tariff [-].
    flat_per_kwh : float
        Flat tariff [EUR/kWh].

    Returns
    -------
    np.ndarray
        (time,) reduction, 0 outside ``hours`` [MW].
    """
    from gridcore.market.response import respond

    price = np.where(hours, ratio * flat_per_kwh, flat_per_kwh)
    r = respond(load_mw, price, times, class_shares=class_shares, reference_per_kwh=flat_per_kwh)
    return np.where(hours, r.system_before_mw - r.system_after_mw, 0.0)
