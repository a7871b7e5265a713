"""``gridflow shed``: load shedding's commands, one module each.

:mod:`cli.shed.base` holds the group's app; :mod:`cli.shed.execute` sends a plan's commands and restores.
"""

from cli.shed import execute
from cli.shed.base import shed_app

__all__ = ["execute", "shed_app"]
