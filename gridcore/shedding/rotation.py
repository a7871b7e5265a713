"""Rotation over a multi-hour event: slot by slot, batteries first, then dimming, then cuts.

An event is cut into slots of the rotation period. In each slot the need is covered by, in this order,
batteries with headroom (discharging; limited by their energy over the event), dimming controllable
devices to their floor (largest reduction first), and cutting blocks with the greedy
(:func:`gridcore.shedding.greedy.greedy_select`): tier first, then the outage hours a block has already
taken (so the burden rotates), then cost per MW. A block that would exceed its customers' maximum outage
is left out while other load can cover the need; only when it cannot is the limit broken, and the plan
says for which blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcore.shedding.blocks import Blocks
from gridcore.shedding.greedy import TOL_MW, greedy_select


@dataclass(frozen=True)
class Schedule:
    """Slot-by-slot actions of an event (slots x blocks).

    Attributes
    ----------
    shed : np.ndarray of bool
        Block cut in the slot.
    dim : np.ndarray of bool
        Device dimmed in the slot.
    shed_mw, dimmed_mw, battery_mw, uncovered_mw : np.ndarray
        Per slot [MW]: power cut, taken off by dimming, covered by batteries, left uncovered.
    cut_mw : np.ndarray
        Power cut per slot and block [MW].
    over_max : np.ndarray of bool
        Blocks kept out longer than their maximum outage (nothing else could cover the need).
    outage_h : np.ndarray
        Outage hours per block over the event [h].
    """

    shed: np.ndarray
    dim: np.ndarray
    shed_mw: np.ndarray
    dimmed_mw: np.ndarray
    battery_mw: np.ndarray
    uncovered_mw: np.ndarray
    cut_mw: np.ndarray
    over_max: np.ndarray
    outage_h: np.ndarray


def rotate(
    blocks: Blocks,
    p_mw: np.ndarray,
    needed_mw: np.ndarray,
    period_h: float,
    battery_mw: float = 0.0,
    battery_mwh: float = np.inf,
    eligible: np.ndarray | None = None,
    dim_first: bool = True,
) -> Schedule:
    """Plan an event slot by slot (see the module docstring).

    Parameters
    ----------
    blocks : Blocks
    p_mw : np.ndarray, shape (slots, blocks)
        Power of each block in each slot [MW].
    needed_mw : np.ndarray, shape (slots,)
        Power to take off in each slot [MW].
    period_h : float
        Slot length [h].
    battery_mw : float
        Discharge headroom of the batteries that can help [MW].
    battery_mwh : float
        Energy they can give over the event [MWh].
    eligible : np.ndarray of bool, optional
        Blocks in reach (e.g. downstream of a constraint); never-shed blocks are left out in any case.
    dim_first : bool
        Dim devices before cutting.

    Returns
    -------
    Schedule
    """
    p_mw = np.atleast_2d(p_mw)
    slots, n = p_mw.shape
    ok = ~blocks.never_shed if eligible is None else eligible & ~blocks.never_shed
    dimmable_all = blocks.dimmable_mw(p_mw) if dim_first else np.zeros_like(p_mw)
    shed = np.zeros((slots, n), dtype=bool)
    dim = np.zeros((slots, n), dtype=bool)
    cut = np.zeros((slots, n))
    out = np.zeros(n)
    over = np.zeros(n, dtype=bool)
    figures = np.zeros((4, slots))
    energy = battery_mwh
    zeros = np.zeros(n, dtype=np.int64)
    for s in range(slots):
        need = float(needed_mw[s])
        bat = min(battery_mw, max(energy, 0.0) / period_h, max(need, 0.0))
        energy -= bat * period_h
        need -= bat
        dimmable = np.where(ok, dimmable_all[s], 0.0)
        d = greedy_select(dimmable, zeros, np.zeros(n), need, eligible=dimmable > 0)
        dimmed = float(dimmable[d].sum())
        if dimmed > need:  # the last device need not go all the way down: report what is needed
            dimmed = max(need, 0.0)
        need -= dimmed
        after = p_mw[s] - np.where(d, dimmable, 0.0)
        within = ok & (out + period_h <= blocks.max_outage_h + 1e-9)
        c = greedy_select(after, blocks.order, blocks.voll_eur_per_mwh, need, within, tiebreak=out)
        got = float(after[c].sum())
        if got < need - TOL_MW:
            c = greedy_select(after, blocks.order, blocks.voll_eur_per_mwh, need, ok, tiebreak=out)
            over |= c & ~within
            got = float(after[c].sum())
        shed[s], dim[s] = c, d & ~c
        cut[s] = np.where(c, after, 0.0)
        out += np.where(c, period_h, 0.0)
        figures[:, s] = (got, dimmed, bat, max(need - got, 0.0))
    return Schedule(shed, dim, figures[0], figures[1], figures[2], figures[3], cut, over, out)
