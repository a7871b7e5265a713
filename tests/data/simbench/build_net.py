"""Write the pandapower network of a SimBench grid next to its published reference results.

Run by hand (about 30 s) and review the diff like code::

    uv run python tests/data/simbench/build_net.py 1-LV-rural1--0-sw

The network is the ``simbench`` package's conversion of the SimBench CSV data (``sb.get_simbench_net``)
with the element values of the CSV tables (loads at ``pLoad``/``qLoad``, generators at ``pRES``), the
operating point of the published ``NodePFResult.csv``. The published CSV members in the same folder are
copied verbatim from the SimBench CSV archive; the test checks the network against them. The yearly
relative profiles and load cases the package attaches, and the standard types no element uses, are left
out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandapower as pp
import simbench as sb


def main(code: str) -> None:
    net = sb.get_simbench_net(code)
    for key in ("profiles", "loadcases"):  # a year of relative profiles (7 MB), not needed here
        if key in net:
            del net[key]
    for kind, table in (("line", net.line), ("trafo", net.trafo), ("trafo3w", net.trafo3w)):
        used = set(table["std_type"].dropna())  # the library's other types: 100 kB of noise
        net.std_types[kind] = {name: v for name, v in net.std_types[kind].items() if name in used}
    out = Path(__file__).resolve().parent / code / "net.json"
    pp.to_json(net, str(out))
    print(f"wrote {out} ({len(net.bus)} buses, simbench {sb.__version__}, pandapower {pp.__version__})")  # noqa: T201 (a script)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "1-LV-rural1--0-sw")
