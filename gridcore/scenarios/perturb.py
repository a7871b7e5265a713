"""What a scenario does to the grid: its hourly injections, line ratings, supply limit and topology.

* **Demand**: the system forecast of the scenario's weather (:mod:`gridcore.scenarios.forecast`) times
  ``growth`` (or the factor that puts the observed-weather forecast's peak at ``design_load_pct`` of the
  grid's rated load, the sum of its loads' ratings: SimBench's high-load case), spread over the loads
  by their profile shares of each hour; during the event a surge of ``surge_pct`` rises and falls as
  a half sine (an evening ramp).
* **Generation**: the grid's profiles; PV (types ``PV*`` and the LV areas' rooftop ``*_RES``) times
  ``pv_scale`` and, with ``cloud_swing``, hourly cloud dips of random depth (seeded) on every other
  daylight hour; generators whose type starts with one of ``outage_types`` produce nothing during the event.
* **Heat**: line ratings fall by ``derate_pct_per_c`` per °C of the scenario's temperature above
  ``reference_c`` (hour by hour), applied to the lines' loading.
* **Supply**: an import limit at the grid supply point during the event [MW].
* **Maintenance**: lines and transformers out of service during the event; with ``switching``, the open
  tie switches are closed one at a time, the one that brings back the most cut-off load first, until no
  load is cut off (:func:`restore_by_switching`): the neighbouring feeder picks up.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.constraints import Injections
from gridcore.network.feeders import derive_feeders
from gridcore.network.topology import describe_topology, make_change, topology_at
from gridcore.storage.fleet import hourly_profiles

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.grid import GridModel
    from gridcore.scenarios.forecast import ScenarioForecast
    from gridcore.scenarios.spec import ScenarioSpec


@dataclass
class ScenarioGrid:
    """The grid as the scenario has it, hour by hour.

    Attributes
    ----------
    model : GridModel
    net : pandapowerNet
        The base topology.
    event_net : pandapowerNet or None
        The topology during the event (maintenance), None when it does not change.
    injections : Injections
        Loads and generation per hour [MW], [MVAr].
    supply_mw : np.ndarray
        Import limit per hour [MW] (inf where none).
    line_rating_factor : np.ndarray
        Line rating per hour as a fraction of nominal [-].
    pv : np.ndarray of bool
        PV generators (by position in ``net.sgen``).
    topology : dict
        The maintenance outage and the switching that resupplied it.
    bus_feeder, event_bus_feeder : pd.Series
        Feeder of each bus in the base topology and during the event.
    """

    model: GridModel
    net: pandapowerNet
    event_net: pandapowerNet | None
    injections: Injections
    supply_mw: np.ndarray
    line_rating_factor: np.ndarray
    pv: np.ndarray
    topology: dict[str, object] = field(default_factory=dict)
    bus_feeder: pd.Series = field(default_factory=pd.Series)
    event_bus_feeder: pd.Series = field(default_factory=pd.Series)


def pv_generators(sgen: pd.DataFrame) -> np.ndarray:
    """Whether each generator is PV: type ``PV*`` or an LV area's rooftop generation (``*_RES``)."""
    types = sgen["type"].astype(str)
    return (types.str.startswith("PV") | types.str.endswith("_RES")).to_numpy()


def cloud_factor(times: pd.DatetimeIndex, daylight: np.ndarray, swing: float, seed: int) -> np.ndarray:
    """Hourly PV factor with fast cloud swings [-].

    Every other daylight hour dips to ``1 - swing * u``, ``u`` uniform in [0.5, 1] (seeded); the hours
    between stay clear, so output swings hour to hour.
    """
    rng = np.random.default_rng(seed)
    depth = swing * rng.uniform(0.5, 1.0, len(times))
    dip = daylight & (np.cumsum(daylight) % 2 == 0)
    return np.where(dip, 1.0 - depth, 1.0)


def surge_shape(n_hours: int, event: np.ndarray) -> np.ndarray:
    """A half-sine bump over the event's hours, 0 outside [-]."""
    out = np.zeros(n_hours)
    k = np.flatnonzero(event)
    if len(k):
        out[k] = np.sin(np.pi * (np.arange(len(k)) + 0.5) / len(k))
    return out


def restore_by_switching(
    model: GridModel, changes: list[dict[str, object]]
) -> tuple[list[dict[str, object]], dict]:
    """Close open switches until no load is cut off by ``changes`` (greedy: most load back first).

    Parameters
    ----------
    model : GridModel
    changes : list of dict
        Outage records (:func:`gridcore.network.topology.make_change`).

    Returns
    -------
    changes : list of dict
        ``changes`` plus the switch closures.
    info : dict
        ``islanded_load_mw`` before and after, ``switches_closed`` (names), ``buses_changed_feeder``.
    """
    state = describe_topology(topology_at(model, changes), model)
    before = state.islanded_load_mw
    closed: list[str] = []
    candidates = [int(i) for i in model.switch.index[~model.switch["closed"].astype(bool)]]
    while state.islanded_load_mw > 0 and candidates:
        best = None
        for s in candidates:
            trial = [*changes, make_change(model, "switch", s, closed=True)]
            st = describe_topology(topology_at(model, trial))
            if best is None or st.islanded_load_mw < best[1].islanded_load_mw:
                best = (s, st, trial)
        assert best is not None
        if best[1].islanded_load_mw >= state.islanded_load_mw:
            break
        s, _, changes = best
        candidates.remove(s)
        closed.append(str(model.switch.loc[s, "name"]))
        state = describe_topology(topology_at(model, changes), model)
    return changes, {
        "islanded_load_mw_before_switching": before,
        "islanded_load_mw": state.islanded_load_mw,
        "switches_closed": closed,
        "buses_changed_feeder": len(state.buses_changed_feeder or []),
    }


def _maintenance(
    spec: ScenarioSpec, model: GridModel, net: pandapowerNet
) -> tuple[pandapowerNet | None, dict]:
    from gridcore.network.timeseries_store import apply_topology

    if not spec.maintenance_lines and not spec.maintenance_trafos:
        return None, {}, model
    for kind, items, table in (
        ("lines", spec.maintenance_lines, model.line),
        ("trafos", spec.maintenance_trafos, model.trafo),
    ):
        for i in items:
            if i not in table.index:
                raise InputError(
                    f"scenario {spec.source}: maintenance.{kind} names {i}, not an element of {model.code}",
                    field=f"maintenance.{kind}",
                    element=f"{kind[:-1]}:{i}",
                )
    changes = [make_change(model, "line", i, in_service=False) for i in spec.maintenance_lines]
    changes += [make_change(model, "trafo", i, in_service=False) for i in spec.maintenance_trafos]
    info: dict[str, object] = {
        "out_of_service": [f"line:{i}" for i in spec.maintenance_lines]
        + [f"trafo:{i}" for i in spec.maintenance_trafos]
    }
    if spec.switching:
        changes, more = restore_by_switching(model, changes)
        info.update(more)
    else:
        info["islanded_load_mw"] = describe_topology(topology_at(model, changes)).islanded_load_mw
        info["switches_closed"] = []
    event = topology_at(model, changes)
    return apply_topology(net, event), info, event


def scenario_grid(
    spec: ScenarioSpec, model: GridModel, net: pandapowerNet, forecast: ScenarioForecast
) -> ScenarioGrid:
    """Apply a scenario to a grid (see the module docstring).

    Parameters
    ----------
    spec : ScenarioSpec
    model : GridModel
        The grid's tables and profiles.
    net : pandapowerNet
        Its network (not changed).
    forecast : ScenarioForecast
        The scenario's system demand.

    Returns
    -------
    ScenarioGrid
    """
    times = spec.times
    sgen_mw, load_mw = hourly_profiles(model, times)
    total = load_mw.sum(axis=1, keepdims=True)
    shares = np.divide(load_mw, total, out=np.zeros_like(load_mw), where=total > 0)
    event = spec.event_mask.to_numpy()
    growth = spec.growth
    if spec.design_load_pct is not None:
        rated = float(model.load["p_mw"].sum())
        growth = spec.design_load_pct / 100.0 * rated / float(forecast.observed_mw.max())
    system = forecast.scenario_mw * growth * (1.0 + spec.surge_pct / 100.0 * surge_shape(len(times), event))
    p = shares * system[:, None]
    energy = model.load_p_mw.sum(axis=0)
    tan_phi = np.divide(model.load_q_mvar.sum(axis=0), energy, out=np.zeros_like(energy), where=energy != 0)
    q = p * tan_phi[None, :]
    pv = pv_generators(model.sgen)
    g = sgen_mw.copy()
    g[:, pv] *= spec.pv_scale
    if spec.cloud_swing > 0:
        daylight = g[:, pv].sum(axis=1) > 1e-3
        g[:, pv] *= cloud_factor(times, daylight, spec.cloud_swing, spec.cloud_seed)[:, None]
    if spec.outage_types:
        types = model.sgen["type"].astype(str)
        lost = types.str.startswith(spec.outage_types).to_numpy()
        if not lost.any():
            raise InputError(
                f"scenario {spec.source}: generation.outage_types {list(spec.outage_types)} match no "
                f"generator of {model.code} (types: {', '.join(sorted(set(types)))})",
                field="generation.outage_types",
            )
        g[np.ix_(event, lost)] = 0.0
    supply = np.full(len(times), np.inf)
    if spec.import_limit_mw is not None:
        supply[event] = spec.import_limit_mw
    excess = np.clip(forecast.scenario_temperature_c - spec.reference_c, 0.0, None)
    factor = np.clip(1.0 - spec.derate_pct_per_c / 100.0 * excess, 0.2, 1.0)
    base = copy.deepcopy(net)
    if len(base.storage):
        base.storage = base.storage.iloc[0:0]  # SimBench's own storage units: the fleet stands in for them
    event_net, topo, event_model = _maintenance(spec, model, base)
    return ScenarioGrid(
        model=model,
        net=base,
        event_net=event_net,
        injections=Injections(p, q, g),
        supply_mw=supply,
        line_rating_factor=factor,
        pv=pv,
        topology=topo,
        bus_feeder=derive_feeders(model).bus_feeder,
        event_bus_feeder=derive_feeders(event_model).bus_feeder,
    )
