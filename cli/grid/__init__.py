"""``gridflow grid``: the network's commands, one module each (power flow, N-1, time series, topology).

:mod:`cli.grid.base` holds the group's app, its shared options and the power-flow and map commands.
"""

from cli.grid import constraints, contingency, timeseries, topology
from cli.grid.base import grid_app

__all__ = ["constraints", "contingency", "grid_app", "timeseries", "topology"]
