"""``gridflow shed scenarios``: a sweep of shortfalls, overloads and a rotating event (table, plot)."""

from cli.shed.base import shed_app  # noqa: F401
