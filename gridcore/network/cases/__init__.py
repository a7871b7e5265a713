"""Power-flow case files: MATPOWER ``.m`` cases and pandapower JSON networks, read into pandapower.

A MATPOWER case (format version 2, see MATPOWER's ``caseformat``) is parsed with ``matpowercaseframes``,
checked table by table (a bad row is named with its table, row and bus) and converted with pandapower's
``from_ppc``, the converter behind ``pandapower.converter.from_mpc``. Bus numbers are kept as they are in
the file: the pandapower bus index *is* the MATPOWER bus number (``from_mpc`` would shift them by one), and
the column ``case_bus_id`` of ``net.bus`` records it for every bus. Branches keep their row in the file in
``case_branch`` (1-based, on ``net.line``, ``net.trafo`` and ``net.impedance``), so results can be reported
in the file's branch order and orientation.

MATPOWER's model is kept exactly, which ``from_ppc`` alone does not do: transformers are set to MATPOWER's
branch model (tap at the from bus, also when that is the low-voltage side; charging as bus shunts; see
:func:`~gridcore.network.cases.conversion._matpower_transformers`), out-of-service generators are dropped
(``from_ppc`` may make one the slack), and the pi model is used (``trafo_model="pi"`` in the net's
``user_pf_options``). A bus without a base voltage (``baseKV`` 0, as in MATPOWER's ``case14`` and ``case57``)
is given 1 kV internally, which leaves every per-unit result and every loading unchanged; its nominal voltage
is reported as unknown (``case_base_kv`` NaN). A test checks every solution against MATPOWER's own equations
(``makeYbus``), independently of pandapower; the unit conversions of MATPOWER's distribution cases are carried
out (see :func:`matpower_tables`).

Reading a case runs none of its code. A MATPOWER file is parsed as text, and the few MATLAB statements
MATPOWER's cases hold are carried out by an arithmetic-only evaluator (numbers, ``mpc`` tables, + - * / ^
and a few functions). A pandapower JSON file names Python classes (``_module``/``_class``) that
pandapower's loader imports; every one is checked first against the types pandapower itself writes
(pandapower's network, controllers and characteristics; pandas frames, series and indexes; numpy arrays
and scalars; tuples, sets, complex numbers; networkx graphs; shapely and geopandas geometry), and a file
naming anything else is refused before pandapower sees it. Other formats (MATPOWER ``.mat``, pickles) are
not read.

Modules: :mod:`~gridcore.network.cases.reader` (:func:`read_case`, the format chosen by the file's
extension), MATPOWER files (:mod:`~gridcore.network.cases.matpower`: tables parsed and checked, with the
MATLAB statements carried out by :mod:`~gridcore.network.cases.matlab`; converted to pandapower by
:mod:`~gridcore.network.cases.conversion`), pandapower JSON files with their allow-list of types
(:mod:`~gridcore.network.cases.pandapower_json`), and the columns that keep the file's ids on the network
(:mod:`~gridcore.network.cases.ids`).
"""

from gridcore.network.cases.ids import CASE_BASE_KV, CASE_BRANCH, CASE_BUS_ID, bus_ids
from gridcore.network.cases.matpower import MatpowerCase, matpower_tables, read_matpower
from gridcore.network.cases.pandapower_json import read_pandapower_json
from gridcore.network.cases.reader import read_case

__all__ = [
    "CASE_BASE_KV",
    "CASE_BRANCH",
    "CASE_BUS_ID",
    "MatpowerCase",
    "bus_ids",
    "matpower_tables",
    "read_case",
    "read_matpower",
    "read_pandapower_json",
]
