"""Named operating scenarios: a TOML file each, run through the whole chain in process.

=============================== =====================================================================
:mod:`~.spec`                   the scenario file: keys, units, checks; the shipped ones in ``data/``
:mod:`~.forecast`               the scenario's system demand: the forecaster on the scenario's weather
:mod:`~.perturb`                the scenario applied to the grid: injections, ratings, supply, topology
:mod:`~.check`                  the power flow of every hour and its constraint periods
:mod:`~.remedies`               prices, batteries, shedding, each on what the ones before left
:mod:`~.chain`                  the chain (:func:`run_scenario`)
:mod:`~.result`                 a run's figures and JSON summary (:class:`ScenarioResult`)
:mod:`~.compare`                two runs side by side
:mod:`~.report`                 the Markdown report and its PNG figures
=============================== =====================================================================
"""

from gridcore.scenarios.chain import run_scenario
from gridcore.scenarios.result import ScenarioResult
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
