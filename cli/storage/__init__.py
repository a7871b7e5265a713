"""``gridflow storage``: the battery fleet's commands (schedule, allocation study, health), one module each.

:mod:`cli.storage.base` holds the group's app, its shared options and the schedule command.
"""

from cli.storage import health, study
from cli.storage.base import storage_app

__all__ = ["health", "storage_app", "study"]
