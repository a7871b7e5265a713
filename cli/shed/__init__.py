"""``gridflow shed``: load shedding's commands, one module each.

:mod:`cli.shed.base` holds the group's app and shared options; :mod:`cli.shed.plan` and
:mod:`cli.shed.scenarios` make plans; :mod:`cli.shed.execute` sends a plan's commands and restores.
"""

from cli.shed import execute, plan, scenarios
from cli.shed.base import shed_app

__all__ = ["execute", "plan", "scenarios", "shed_app"]
