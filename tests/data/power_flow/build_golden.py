"""Rebuild the golden power-flow cases in this folder from their sources (run by hand, never in CI).

    uv run python tests/data/power_flow/build_golden.py MATPOWER_CHECKOUT PANDAPOWER_CHECKOUT

MATPOWER_CHECKOUT is a clone of https://github.com/MATPOWER/matpower, PANDAPOWER_CHECKOUT one of
https://github.com/e2nIEE/pandapower; ../README.md names the commits used. The script writes
each case folder's ``case.m`` (except the hand-written MATPOWER case9 files), ``expected.json`` and
``params.json``. Review the diff like code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import scipy.io

HERE = Path(__file__).parent
#: pandapower's ppc test grids (pandapower/test/converter/ppc_testgrids/) and the PYPOWER cases
#: (pandapower/test/converter/pypower_cases/) kept here.
PPC_TESTGRIDS = [
    "case2_1",
    "case2_2",
    "case2_3",
    "case2_4",
    "case3_1",
    "case3_2",
    "case6",
    "case14",
    "case57",
]
PYPOWER_CASES = ["case30", "case39"]
#: pandapower's own tolerances for these grids (test_from_ppc.py: max_diff_values1).
PPC_ATOL = {"vm_pu": 1e-6, "va_degree": 1e-5, "p_mw": 1e-3, "q_mvar": 1e-3}
#: References that are wrong for their own case, with the reason (the test expects them to fail).
XFAIL = {
    name: (
        "pandapower's presolved result follows from_ppc's transformer model (tap moved to the HV side for "
        "rows written from the LV bus); it violates the case's own MATPOWER equations by "
        f"{mw} MW, which gridflow's solution satisfies to better than 1e-7 MW"
    )
    for name, mw in (("ppc_case6", 64), ("ppc_case57", 300))
}
MATPOWER_ATOL = {"vm_pu": 1e-6, "va_degree": 1e-5, "p_mw": 1e-5, "q_mvar": 1e-5}


def main(matpower: Path, pandapower_repo: Path) -> None:
    """Write every case folder."""
    soln = matpower / "lib" / "t"
    # MATPOWER's test case t_case9_pf numbers bus 3 as 30; case9.m is the same grid with Vg 1.04/1.025/1.025
    _write_matpower_solution("matpower_case9_pf", "case9_pf.m", soln / "soln9_pf.mat", rename={})
    _write_matpower_solution("matpower_case9", "case9.m", soln / "soln9_pf_vg.mat", rename={30: 3})
    for name in PPC_TESTGRIDS:
        src = pandapower_repo / "pandapower" / "test" / "converter" / "ppc_testgrids" / f"{name}.json"
        _write_ppc_case(f"ppc_{name}", src)
    for name in PYPOWER_CASES:
        src = pandapower_repo / "pandapower" / "test" / "converter" / "pypower_cases" / f"{name}.json"
        _write_ppc_case(f"pypower_{name}", src)


def _write_matpower_solution(folder: str, case: str, mat: Path, rename: dict[int, int]) -> None:
    """expected.json from a MATPOWER solution file (bus_soln, branch_soln at MATPOWER's pf.tol 1e-9)."""
    m = scipy.io.loadmat(mat)
    bus, branch = m["bus_soln"], m["branch_soln"]
    ids = [rename.get(int(b), int(b)) for b in bus[:, 0]]
    _write_expected(
        HERE / folder, ids, bus[:, 7], bus[:, 8], branch[:, 13:17], f"MATPOWER/matpower lib/t/{mat.name}"
    )
    _write_params(HERE / folder, case, MATPOWER_ATOL, f"MATPOWER runpf (lib/t/{mat.name})")


def _write_ppc_case(folder: str, src: Path) -> None:
    """case.m and expected.json from a presolved ppc stored by pandapower (ids from 0 shifted by 1)."""
    import pandapower as pp

    ppc = pp.from_json(str(src), convert=False)
    bus = np.array(ppc["bus"], dtype=np.float64)[:, :13]
    gen = np.array(ppc["gen"], dtype=np.float64)[:, :21]
    branch = np.array(ppc["branch"], dtype=np.float64)
    shift = 1 if bus[:, 0].min() == 0 else 0
    bus[:, 0] += shift
    gen[:, 0] += shift
    results = branch[:, 13:17].copy()
    branch = branch[:, :13].copy()
    branch[:, :2] += shift
    out = HERE / folder
    out.mkdir(exist_ok=True)
    header = (
        f"%% {src.stem}: a presolved pandapower test grid in MATPOWER case format version 2.\n"
        f"%% Source: e2nIEE/pandapower {src.relative_to(src.parents[4]).as_posix()}"
        f"{' (bus ids shifted by +1: MATPOWER numbers buses from 1)' if shift else ''}.\n"
    )
    text = [f"function mpc = {folder}", header, "mpc.version = '2';", f"mpc.baseMVA = {ppc['baseMVA']:g};"]
    for name, table in (("bus", bus), ("gen", gen), ("branch", branch)):
        text.append(f"mpc.{name} = [")
        text.extend("\t" + "\t".join(_num(v) for v in row) + ";" for row in table)
        text.append("];")
    (out / "case.m").write_text("\n".join(text) + "\n")
    source = f"e2nIEE/pandapower {src.relative_to(src.parents[4]).as_posix()}"
    _write_expected(out, bus[:, 0].astype(int).tolist(), bus[:, 7], bus[:, 8], results, source)
    _write_params(out, "case.m", PPC_ATOL, f"pandapower presolved ppc ({src.parent.name}/{src.name})")


def _write_expected(
    out: Path, ids: list[int], vm: np.ndarray, va: np.ndarray, flows: np.ndarray, source: str
) -> None:
    out.mkdir(exist_ok=True)
    bus = {"id": ids, "vm_pu": vm.tolist(), "va_degree": va.tolist()}
    names = ("p_from_mw", "q_from_mvar", "p_to_mw", "q_to_mvar")
    branch = {name: flows[:, i].tolist() for i, name in enumerate(names)}
    lines = [f' "source": {json.dumps(source)},', ' "bus": {']
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in bus.items()]
    lines[-1] = lines[-1].rstrip(",")
    lines += [" },", ' "branch": {']
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in branch.items()]
    lines[-1] = lines[-1].rstrip(",")
    lines += [" }"]
    (out / "expected.json").write_text("{\n" + "\n".join(lines) + "\n}\n")


def _write_params(out: Path, case: str, atol: dict[str, float], reference: str) -> None:
    params: dict[str, object] = {"case": case, "reference": reference, "atol": atol}
    if out.name in XFAIL:
        params["xfail"] = XFAIL[out.name]
    (out / "params.json").write_text(json.dumps(params, indent=1) + "\n")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
