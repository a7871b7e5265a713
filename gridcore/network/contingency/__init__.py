"""N-1 contingency analysis: each line and transformer out in turn, with islanding, overloads and voltages.

For every outage the analysis reports whether the post-contingency power flow converged, which buses it
cuts off from the slack (and the load lost with them, in MW: islanded load counts as lost, not as a
failed power flow), the branches loaded above a limit, the buses outside a voltage band per voltage level,
the maximum loading and the voltage range. A summary ranks the critical outages: those that diverge, lose
load, or cause a violation (one absent before the outage, or one that worsens by more than
:data:`WORSE_LOADING_PCT` / :data:`WORSE_VM_PU`).

Two engines give the same answers (a test compares them on every outage of three grids):

``"lightsim2grid"`` (default, fast)
    One batch of lightsim2grid's contingency analysis (``ContingencyAnalysisCPP``) on a copy of the grid
    that its importer can read: buses joined by closed bus-bus switches fused, a branch end behind an
    open switch moved to an auxiliary bus (as pandapower does), unsupplied buses switched off. Islanding
    is found on the graph before solving (bridges of a depth-first tree rooted at the slack); the batch
    solves the part still fed from the slack. An outage whose island is larger than what stays fed is
    skipped by the batch and solved alone.
``"pandapower"`` (reference)
    A plain loop: set the element out of service, ``pp.runpp(net, lightsim2grid=False)`` started from the
    base-case voltages (as the fast engine starts), restore.

Loading follows pandapower: lines ``max(i_from, i_to) / (max_i_ka * df * parallel)``, transformers
``max(i_hv * vn_hv_kv, i_lv * vn_lv_kv) * sqrt(3) / (sn_mva * df * parallel)``, both in %.

Modules: :mod:`~gridcore.network.contingency.analysis` (the entry point), the outages studied
(:mod:`~gridcore.network.contingency.outages`), the two engines (:mod:`~gridcore.network.contingency.lightsim`
on the grid of :mod:`~gridcore.network.contingency.lightsim_model` with the islands of
:mod:`~gridcore.network.contingency.islanding`; :mod:`~gridcore.network.contingency.reference`) and what they
share (:mod:`~gridcore.network.contingency.engine`), the check against the limits
(:mod:`~gridcore.network.contingency.screening`), the critical outages
(:mod:`~gridcore.network.contingency.ranking`) and the result (:mod:`~gridcore.network.contingency.result`).
"""

from gridcore.network.contingency.analysis import contingency_analysis
from gridcore.network.contingency.engine import MAX_ITER, TOL_PU, Engine, Progress
from gridcore.network.contingency.result import ContingencyResult, ContingencySummary, CriticalOutage
from gridcore.network.contingency.screening import DEFAULT_VM_BAND, WORSE_LOADING_PCT, WORSE_VM_PU

__all__ = [
    "DEFAULT_VM_BAND",
    "MAX_ITER",
    "TOL_PU",
    "WORSE_LOADING_PCT",
    "WORSE_VM_PU",
    "ContingencyResult",
    "ContingencySummary",
    "CriticalOutage",
    "Engine",
    "Progress",
    "contingency_analysis",
]
