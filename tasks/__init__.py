"""Prefect tasks over gridcore: retries, timeouts, caching keys, logging, artifacts (no algorithm here).

gridcore logs through the standard ``logging`` module (logger ``gridcore``: a run waiting for a store
lock, a grid cache rebuilt); its INFO lines reach a run's log wherever Prefect attaches its handlers to it
(``PREFECT_LOGGING_EXTRA_LOGGERS=gridcore``, which the command line and ``gridflow serve`` set).
"""

import logging

logging.getLogger("gridcore").setLevel(logging.INFO)
