"""Load shedding by priority: the priority file, switchable blocks, planners, rotation, impact, commands.

=============================== =====================================================================
:mod:`~.priorities`             the priority framework (TOML, validated; the default ships here)
:mod:`~.blocks`                 switchable blocks from the grid's loads and the meter fleet
:mod:`~.greedy`                 the fast planner (tier, then cost per MW)
:mod:`~.exact`                  the exact planner (OR-Tools CP-SAT) that checks it
:mod:`~.rotation`               multi-hour events: batteries, dimming, cuts, rotated
:mod:`~.batteries`              battery headroom from a stored schedule
:mod:`~.impact`                 customers by class, unserved energy, fairness
:mod:`~.commands`               the command format ``shed execute`` reads
:mod:`~.events`                 constraint events (the event file)
:mod:`~.network`                plans downstream of constrained elements, checked by power flow
:mod:`~.sections`               feeder sections behind a switch: one command for a whole cut section
:mod:`~.plan`                   a supply shortfall's plan and the plan JSON; the export-side mirror
:mod:`~.request`                from a grid and an event to a plan (what the CLI calls)
:mod:`~.scenarios`              the scenario sweep, its table and plot
=============================== =====================================================================
"""

from gridcore.shedding.blocks import Blocks, build_blocks
from gridcore.shedding.commands import ShedCommand
from gridcore.shedding.events import Event, read_event
from gridcore.shedding.exact import exact_select
from gridcore.shedding.greedy import greedy_select
from gridcore.shedding.impact import gini, jain_index
from gridcore.shedding.priorities import Priorities, load_priorities
from gridcore.shedding.rotation import rotate

__all__ = [
    "Blocks",
    "Event",
    "Priorities",
    "ShedCommand",
    "build_blocks",
    "exact_select",
    "gini",
    "greedy_select",
    "jain_index",
    "load_priorities",
    "read_event",
    "rotate",
]
