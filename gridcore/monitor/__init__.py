"""Anomaly monitoring: meters, sensors, network excursions, forecast errors and drift, tampering.

One module per concept: :mod:`~gridcore.monitor.meters` (zero, stuck, reverse-flow and jump readings),
:mod:`~gridcore.monitor.tampering` (energy the meters do not see), :mod:`~gridcore.monitor.sensors`
(flatlines, out of range, disagreement with the flows), :mod:`~gridcore.monitor.network` (voltage and loading
excursions), :mod:`~gridcore.monitor.forecasts` (errors far outside the interval, drift),
:mod:`~gridcore.monitor.report` (the anomaly table and :class:`MonitorReport`),
:mod:`~gridcore.monitor.window` (the detection over a window of readings),
:mod:`~gridcore.monitor.hour` (one hour from the store) and :mod:`~gridcore.monitor.injection` (the labelled
injection test).
"""

from gridcore.monitor.report import SEVERITIES, TYPES, MonitorReport
from gridcore.monitor.window import MonitorWindow, detect

__all__ = ["SEVERITIES", "TYPES", "MonitorReport", "MonitorWindow", "detect"]
