"""Switchable blocks: the units a shedding plan switches, built from the grid's loads and the meter fleet.

A block is what one command switches:

* ``load_point``: the customers of one class (residential or commercial) at a grid load (an MV/LV
  substation in the MV grids, a connection in the LV grids), switched together (an LV feeder section);
* ``customer``: a single large customer (every industrial and critical customer, and any customer with a
  per-customer override in the priority file), with its own switch;
* ``device``: a controllable device (a heat pump or a charging point: in SimBench's 2034 LV grids a load of
  its own, profile ``Air_*``, ``Soil_*``, ``HLS_*``, ``APLS_*``), dimmable to the §14a EnWG floor before it is
  cut.

A block takes the latest shed order of its customers (critical customers shed last, hospitals within them
last of all, as the priority file says), the customers' share-weighted value of lost load, the shortest
maximum outage among them, and is never shed when one of them is on the never-shed list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.shedding.priorities import CLASSES, Priorities

KINDS = ("load_point", "customer", "device")


@dataclass(frozen=True)
class Blocks:
    """The switchable blocks of a grid (arrays of one row per block).

    Attributes
    ----------
    block_id : np.ndarray of str
        ``load:<load id>:<class>``, ``customer:<meter id>`` or ``device:<load id>``.
    kind : np.ndarray of str
        One of :data:`KINDS`.
    load : np.ndarray of int
        Position of the block's grid load (row of ``grid.load``).
    share : np.ndarray of float
        Fraction of its load's power the block draws.
    bus : np.ndarray of int
        Bus id of the block's load.
    order : np.ndarray of int
        Shed order: smaller is shed first (class order x 10 + critical kind rank).
    voll_eur_per_mwh : np.ndarray of float
        Value of lost load of the block's customers, weighted by their power [EUR/MWh].
    customers : np.ndarray of int, shape (n, 4)
        Customers per class, in :data:`gridcore.shedding.priorities.CLASSES` order.
    never_shed : np.ndarray of bool
    max_outage_h : np.ndarray of float
        Longest outage of a customer of the block within an event [h].
    dim_floor_mw : np.ndarray of float
        Power a dimmed device keeps [MW]; NaN for blocks that cannot be dimmed.
    """

    block_id: np.ndarray
    kind: np.ndarray
    load: np.ndarray
    share: np.ndarray
    bus: np.ndarray
    order: np.ndarray
    voll_eur_per_mwh: np.ndarray
    customers: np.ndarray
    never_shed: np.ndarray
    max_outage_h: np.ndarray
    dim_floor_mw: np.ndarray

    def __len__(self) -> int:
        return len(self.block_id)

    @property
    def critical(self) -> np.ndarray:
        """Critical customers per block."""
        return self.customers[:, CLASSES.index("critical")]

    @property
    def n_customers(self) -> np.ndarray:
        """Customers per block."""
        return self.customers.sum(axis=1)

    def p_mw(self, load_p_mw: np.ndarray) -> np.ndarray:
        """Block power [MW] from load power ``(loads,)`` or ``(t, loads)``, shaped like it."""
        return np.maximum(load_p_mw[..., self.load], 0.0) * self.share

    def dimmable_mw(self, p_mw: np.ndarray) -> np.ndarray:
        """Power dimming takes off each block [MW] (0 for blocks that are not devices)."""
        floor = np.where(np.isnan(self.dim_floor_mw), np.inf, self.dim_floor_mw)
        return np.maximum(p_mw - floor, 0.0)

    def subset(self, keep: np.ndarray) -> Blocks:
        """The blocks where ``keep`` (bool mask or positions)."""
        return Blocks(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


def is_device(profiles: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray:
    """Whether each load profile name marks a controllable device (a prefix of the priority file)."""
    names = profiles.astype(str)
    out = np.zeros(len(names), dtype=bool)
    for prefix in prefixes:
        out |= names.str.startswith(prefix).to_numpy()
    return out


def build_blocks(load: pd.DataFrame, fleet: pd.DataFrame, priorities: Priorities) -> Blocks:
    """Group the meter fleet into switchable blocks (see the module docstring).

    Parameters
    ----------
    load : pd.DataFrame
        The grid's loads (index load id; ``bus``, ``profile``), as ``GridModel.load``.
    fleet : pd.DataFrame
        The meter fleet (:func:`gridcore.data.fleet.build_fleet`): index ``meter_id``; ``load``,
        ``customer_class``, ``critical_kind``, ``share``.
    priorities : Priorities

    Returns
    -------
    Blocks
    """
    n_loads = len(load)
    load_pos = load.index.get_indexer(fleet["load"].to_numpy())
    if (load_pos < 0).any():
        bad = fleet.index[load_pos < 0][0]
        from gridcore.errors import InputError

        raise InputError(f"meter {bad}: its load is not in the grid", element=str(bad))
    cls = pd.Categorical(fleet["customer_class"].astype(str), categories=CLASSES).codes.astype(np.int64)
    kinds = fleet["critical_kind"].astype(str).to_numpy()
    meter_ids = fleet.index.to_numpy().astype(str)
    n = len(fleet)
    device_load = is_device(load["profile"], priorities.device_prefixes)
    # per-meter rules
    class_order = np.array([priorities.order(c) for c in CLASSES], dtype=np.int64)[cls] * 10
    kind_rank = {k: i + 1 for i, k in enumerate(priorities.kind_order)}
    order = class_order + np.array([kind_rank.get(k, 0) for k in kinds], dtype=np.int64)
    voll = np.array([priorities.classes[c].voll_eur_per_mwh for c in CLASSES])[cls]
    max_out = np.array([priorities.classes[c].max_outage_h for c in CLASSES])[cls]
    never = np.zeros(n, dtype=bool)
    load_ids = load.index.to_numpy()
    for item in priorities.never_shed:
        if item.startswith("kind:"):
            never |= kinds == item[5:]
        elif item.startswith("load:"):
            never |= np.asarray(load_ids[load_pos].astype(str) == item[5:])
        else:
            never |= meter_ids == item
    own = (cls >= CLASSES.index("industrial")) & ~device_load[load_pos]
    if priorities.overrides:
        pos = pd.Index(meter_ids).get_indexer(list(priorities.overrides))
        for meter, p in zip(priorities.overrides, pos, strict=True):
            if p < 0:
                continue
            rule = priorities.overrides[meter]
            own[p] = True
            order[p] = int(rule.get("shed_order", order[p] // 10)) * 10 + order[p] % 10
            max_out[p] = float(rule.get("max_outage_h", max_out[p]))
            never[p] = bool(rule.get("never_shed", never[p]))
    # block key per meter: own meter, device load, or (load, class)
    key = np.where(
        own,
        8 * n_loads + np.arange(n, dtype=np.int64),
        np.where(device_load[load_pos], load_pos * 8 + 7, load_pos * 8 + cls),
    )
    keys, first, inv = np.unique(key, return_index=True, return_inverse=True)
    m = len(keys)
    share = fleet["share"].to_numpy(dtype=np.float64)
    share_b = np.bincount(inv, weights=share, minlength=m)
    voll_b = np.bincount(inv, weights=share * voll, minlength=m) / np.where(share_b > 0, share_b, 1.0)
    voll_b = np.where(share_b > 0, voll_b, np.bincount(inv, weights=voll, minlength=m) / np.bincount(inv))
    customers = np.zeros((m, len(CLASSES)), dtype=np.int64)
    np.add.at(customers, (inv, cls), 1)
    order_b = np.zeros(m, dtype=np.int64)
    np.maximum.at(order_b, inv, order)
    out_b = np.full(m, np.inf)
    np.minimum.at(out_b, inv, max_out)
    never_b = np.bincount(inv, weights=never.astype(np.float64), minlength=m) > 0
    lp = load_pos[first]
    kind = np.where(keys >= 8 * n_loads, "customer", np.where(keys % 8 == 7, "device", "load_point"))
    cls_name = np.asarray(CLASSES, dtype=object)[cls[first]]
    lid = load_ids[lp].astype(str).astype(object)
    block_id = np.where(
        kind == "customer",
        "customer:" + meter_ids[first].astype(object),
        np.where(kind == "device", "device:" + lid, "load:" + lid + ":" + cls_name),
    ).astype(str)
    dim_floor = np.where(kind == "device", priorities.dim_floor_kw / 1000.0, np.nan)
    return Blocks(
        block_id=block_id,
        kind=kind.astype(str),
        load=lp.astype(np.int64),
        share=share_b,
        bus=load["bus"].to_numpy()[lp].astype(np.int64),
        order=order_b,
        voll_eur_per_mwh=voll_b,
        customers=customers,
        never_shed=never_b,
        max_outage_h=out_b,
        dim_floor_mw=dim_floor,
    )


def default_meters(load: pd.DataFrame, bus: pd.DataFrame) -> int:
    """Fleet size for a grid: 100,000 meters on a grid with MV load points, one per connection on LV grids.

    Parameters
    ----------
    load, bus : pd.DataFrame
        The grid's loads and buses (``vn_kv`` [kV]).

    Returns
    -------
    int
    """
    vn = bus["vn_kv"].reindex(load["bus"].to_numpy()).to_numpy(dtype=np.float64)
    if len(vn) and np.nanmax(vn) < 1.0:
        return len(load)
    return 100_000
