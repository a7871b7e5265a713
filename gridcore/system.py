"""The operated system: grid model, feeders from the topology in force, and the meter fleet.

:func:`default_system` assembles the embedded defaults (a SimBench MV grid, or the one GRIDFLOW_GRID names,
100,000 synthetic meters);
everything downstream takes a :class:`System`, so another grid or fleet is a different argument, not
different code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import pandas as pd

from gridcore.data.fleet import build_fleet
from gridcore.network.feeders import FeederMap, derive_feeders
from gridcore.network.grid import GridModel, default_code, load_grid

#: Default fleet size.
DEFAULT_METERS = 100_000
#: Default seed of the fleet and the synthetic feed.
DEFAULT_SEED = 20160701
#: One assembly at a time in a process: tasks on Dask threads that ask at once wait for the first.
_ASSEMBLY = threading.Lock()


@dataclass(frozen=True)
class System:
    """Grid, feeders and fleet.

    Attributes
    ----------
    grid : GridModel
    feeders : FeederMap
    fleet : pd.DataFrame
        From :func:`gridcore.data.fleet.build_fleet`.
    seed : int
    """

    grid: GridModel
    feeders: FeederMap
    fleet: pd.DataFrame
    seed: int

    @property
    def provenance(self) -> dict[str, str | int | float]:
        """Attributes recorded with every product: what the data were made with."""
        return {
            "grid": self.grid.code,
            "topology": self.grid.fingerprint,
            "meters": len(self.fleet),
            "fleet_seed": self.seed,
            "producer": "gridflow",
        }


def default_system(
    n_meters: int = DEFAULT_METERS, seed: int = DEFAULT_SEED, grid_code: str | None = None
) -> System:
    """The embedded default system (cached per arguments; assembled once per process, thread-safe).

    Flows call it before they fan tasks out to threads, so the grid cache is read (or built) once.

    Parameters
    ----------
    n_meters : int
        Fleet size.
    seed : int
        Fleet seed.
    grid_code : str, optional
        SimBench grid code: the fleet is built on its loads; GRIDFLOW_GRID, else the default grid, when
        omitted (:func:`gridcore.network.grid.default_code`).

    Returns
    -------
    System
    """
    with _ASSEMBLY:
        return _assemble(n_meters, seed, grid_code or default_code())


@cache
def _assemble(n_meters: int, seed: int, grid_code: str) -> System:
    """Grid, feeders and fleet for :func:`default_system` (call with ``_ASSEMBLY`` held)."""
    grid = load_grid(grid_code)
    return System(grid, derive_feeders(grid), build_fleet(grid, n_meters, seed), seed)


def system_at(
    root: str | None, at: pd.Timestamp, n_meters: int = DEFAULT_METERS, seed: int = DEFAULT_SEED
) -> System:
    """The default system under the topology in force at ``at``: the store's change log applied.

    Parameters
    ----------
    root : str, optional
        Store folder holding ``topology/changes.jsonl``; the base topology when None or no log.
    at : pd.Timestamp
        UTC time.
    n_meters, seed : int
        Fleet.

    Returns
    -------
    System
        Same fleet; grid tables and feeders of the topology in force.
    """
    from gridcore.network.topology import ChangeLog, topology_at

    base = default_system(n_meters, seed)
    changes = ChangeLog(root).in_force(pd.Timestamp(at)) if root else []
    if not changes:
        return base
    grid = topology_at(base.grid, changes)
    return System(grid, derive_feeders(grid), base.fleet, seed)
