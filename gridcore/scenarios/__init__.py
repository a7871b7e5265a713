"""Named operating scenarios: a TOML file each, run through the whole chain in process.

=============================== =====================================================================
:mod:`~.spec`                   the scenario file: keys, units, checks; the shipped ones in ``data/``
:mod:`~.forecast`               the scenario's system demand: the forecaster on the scenario's weather
:mod:`~.perturb`                the scenario applied to the grid: injections, ratings, supply, topology
:mod:`~.check`                  the power flow of every hour and its constraint periods
:mod:`~.remedies`               prices, batteries, shedding, each on what the ones before left
:mod:`~.chain`                  the chain and its summary (:func:`run_scenario`)
:mod:`~.report`                 the Markdown report and its PNG figures
=============================== =====================================================================
"""

from gridcore.scenarios.chain import ScenarioResult, run_scenario
from gridcore.scenarios.spec import ScenarioSpec, list_scenarios, load_scenario, parse_scenario, read_scenario

__all__ = [
    "ScenarioResult",
    "ScenarioSpec",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "read_scenario",
    "run_scenario",
]
