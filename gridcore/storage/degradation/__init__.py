"""Battery degradation: cycle counting, equivalent full cycles, calendar and cycle capacity fade, cost.

* :mod:`~gridcore.storage.degradation.cycles`: rainflow cycles and equivalent full cycles (EFC) of a
  state-of-charge series or of an energy throughput.
* :mod:`~gridcore.storage.degradation.chemistry`: the calendar and cycle fade rates of each chemistry (NREL
  BLAST-Lite's NMC and LFP life models), their parameters and end of life.
* :mod:`~gridcore.storage.degradation.fade`: the fade of a set of units, integrated step by step over their
  stress.
* :mod:`~gridcore.storage.degradation.aging`: aging under steady use (a day's cycle, a period, the years to
  end of life, the cycle life) and the use assumed where no schedule is known.
* :mod:`~gridcore.storage.degradation.cost`: the degradation cost of a MWh of throughput, for the scheduler.
"""

from gridcore.storage.degradation.aging import (
    EFC_PER_YEAR,
    age_constant,
    cycle_life_efc,
    daily_cycle_soc,
    years_to_eol,
)
from gridcore.storage.degradation.chemistry import (
    CHEMISTRIES,
    EOL_SOH,
    LAM_INITIAL,
    LFP_PRISMATIC_2019,
    NMC_KOKAM_2017,
    anode_potential_v,
    calendar_rate,
)
from gridcore.storage.degradation.cost import (
    REPLACEMENT_COST_EUR_PER_KWH,
    check_fleet_columns,
    replacement_costs,
    throughput_cost_eur_per_mwh,
)
from gridcore.storage.degradation.cycles import (
    efc_from_rainflow,
    efc_from_soc,
    efc_from_throughput,
    rainflow_cycles,
    rainflow_totals,
)
from gridcore.storage.degradation.fade import FadeState, step_fade

__all__ = [
    "CHEMISTRIES",
    "EFC_PER_YEAR",
    "EOL_SOH",
    "LAM_INITIAL",
    "LFP_PRISMATIC_2019",
    "NMC_KOKAM_2017",
    "REPLACEMENT_COST_EUR_PER_KWH",
    "FadeState",
    "age_constant",
    "anode_potential_v",
    "calendar_rate",
    "check_fleet_columns",
    "cycle_life_efc",
    "daily_cycle_soc",
    "efc_from_rainflow",
    "efc_from_soc",
    "efc_from_throughput",
    "rainflow_cycles",
    "rainflow_totals",
    "replacement_costs",
    "step_fade",
    "throughput_cost_eur_per_mwh",
    "years_to_eol",
]
