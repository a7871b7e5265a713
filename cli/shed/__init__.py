"""``gridflow shed``: load-shedding plans by priority (plan, scenarios), one module each.

:mod:`cli.shed.base` holds the group's app and its shared options.
"""

from cli.shed import plan, scenarios
from cli.shed.base import shed_app

__all__ = ["plan", "scenarios", "shed_app"]
