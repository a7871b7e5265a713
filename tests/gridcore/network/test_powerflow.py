"""AC power flow verified against published solutions, case reading, constraints and the CLI.

Golden cases live in ``tests/data/power_flow/<case>/`` (see its README for provenance): the case file,
``expected.json`` (bus voltages and angles, branch flows at both ends, in the file's order) and
``params.json`` (absolute tolerances per quantity). One parametrized test runs every folder.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from gridcore.network.cases import CASE_BUS_ID, bus_ids, matpower_tables, read_case
from gridcore.network.grid import load_grid, pandapower_net
from gridcore.network.powerflow import (
    DEFAULT_VOLTAGE_BANDS,
    PowerFlowError,
    find_violations,
    run_powerflow,
    set_loads_at,
    voltage_level,
)

DATA = Path(__file__).parents[2] / "data" / "power_flow"


def _xfail(folder: Path) -> str | None:
    """The reason a golden reference is known to be wrong, from its params.json (None if it is right)."""
    return json.loads((folder / "params.json").read_text()).get("xfail")


CASE9 = DATA / "matpower_case9" / "case9.m"
CASE9_PF = DATA / "matpower_case9_pf" / "case9_pf.m"
CASES = sorted(p for p in DATA.iterdir() if (p / "params.json").exists())
GOLDEN = [
    pytest.param(p, marks=pytest.mark.xfail(reason=reason, strict=True)) if (reason := _xfail(p)) else p
    for p in CASES
]
MATPOWER = DATA.parent / "matpower"
#: Every MATPOWER file under tests/data: the golden cases and MATPOWER's own case24_ieee_rts and case33bw.
M_FILES = sorted(DATA.glob("*/*.m")) + sorted(MATPOWER.glob("*.m"))


@functools.cache
def _read(path: Path):  # a pandapowerNet; building one takes about a second
    return read_case(path)


def _net(path: Path):
    """A fresh copy of a case file's net (read once per test session)."""
    return copy.deepcopy(_read(path))


def _load(folder: Path) -> tuple[dict, dict]:
    return json.loads((folder / "params.json").read_text()), json.loads(
        (folder / "expected.json").read_text()
    )


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_power_flow_matches_reference(folder: Path) -> None:
    params, expected = _load(folder)
    atol = params["atol"]
    result = run_powerflow(_net(folder / params["case"]))
    assert result.converged
    bus = result.buses.loc[expected["bus"]["id"]]
    assert_allclose(bus["vm_pu"], expected["bus"]["vm_pu"], rtol=0, atol=atol["vm_pu"])  # [p.u.]
    assert_allclose(bus["va_degree"], expected["bus"]["va_degree"], rtol=0, atol=atol["va_degree"])  # [deg]
    br = result.branches  # in the file's branch order, oriented as in the file
    assert br["id"].tolist() == list(range(1, len(expected["branch"]["p_from_mw"]) + 1))
    for col, unit in (
        ("p_from_mw", "p_mw"),
        ("p_to_mw", "p_mw"),
        ("q_from_mvar", "q_mvar"),
        ("q_to_mvar", "q_mvar"),
    ):
        assert_allclose(br[col], expected["branch"][col], rtol=0, atol=atol[unit])


def _matpower_mismatch(path: Path, result) -> tuple[float, float]:
    """Largest power mismatch [MW or MVAr] of a solution in MATPOWER's own equations (``makeYbus``).

    Independent of pandapower's model: the bus voltages found must balance MATPOWER's bus injections
    through MATPOWER's branch model (tap at the from bus, charging b/2 at each end), and the reported
    branch flows must be MATPOWER's branch flows for those voltages.
    """
    case = matpower_tables(path)
    bus, gen, br, base = case.bus, case.gen, case.branch, case.base_mva
    pos = {int(b): i for i, b in enumerate(bus[:, 0])}
    f = np.array([pos[int(b)] for b in br[:, 0]])
    t = np.array([pos[int(b)] for b in br[:, 1]])
    ys = br[:, 10] / (br[:, 2] + 1j * br[:, 3])
    tap = np.where(br[:, 8] != 0, br[:, 8], 1.0) * np.exp(1j * np.deg2rad(br[:, 9]))
    ytt = ys + 1j * br[:, 10] * br[:, 4] / 2
    yff, yft, ytf = ytt / (tap * np.conj(tap)), -ys / np.conj(tap), -ys / tap
    res = result.buses.loc[bus[:, 0].astype(int)]
    v = res["vm_pu"].to_numpy() * np.exp(1j * np.deg2rad(res["va_degree"].to_numpy()))
    i_f, i_t = yff * v[f] + yft * v[t], ytf * v[f] + ytt * v[t]
    inj = (bus[:, 4] - 1j * bus[:, 5]) / base * np.abs(v) ** 2  # bus shunts (Gs consumes, Bs injects)
    np.add.at(inj, f, v[f] * np.conj(i_f))
    np.add.at(inj, t, v[t] * np.conj(i_t))
    on = gen[:, 7] > 0
    spec = -(bus[:, 2] + 1j * bus[:, 3]) / base
    np.add.at(spec, [pos[int(b)] for b in gen[on, 0]], (gen[on, 1] + 1j * gen[on, 2]) / base)
    pv = np.zeros(len(bus), bool)
    pv[[pos[int(b)] for b in gen[on, 0]]] = True
    kind = np.where((bus[:, 1] >= 2) & pv & (bus[:, 1] != 4), bus[:, 1], np.where(bus[:, 1] == 4, 4, 1))
    mis = (inj - spec) * base
    p = np.abs(mis.real[(kind == 1) | (kind == 2)])
    q = np.abs(mis.imag[kind == 1])
    sf = v[f] * np.conj(i_f) * base  # branch flows at the from end [MW, MVAr]
    live = br[:, 10] > 0
    flow = max(
        np.abs(sf.real - result.branches["p_from_mw"].to_numpy())[live].max(),
        np.abs(sf.imag - result.branches["q_from_mvar"].to_numpy())[live].max(),
    )
    return max(p.max(initial=0.0), q.max(initial=0.0)), flow


@pytest.mark.parametrize("path", M_FILES, ids=lambda p: p.parent.name if p.name == "case.m" else p.stem)
def test_solution_satisfies_matpowers_own_equations(path: Path) -> None:
    """Our converted network (lines, taps at either side, shifts, charging) is MATPOWER's network."""
    result = run_powerflow(_net(path))
    balance, flow = _matpower_mismatch(path, result)
    assert balance < 1e-6  # [MW, MVAr]: the bus balance of MATPOWER's model
    assert flow < 1e-6  # [MW, MVAr]: reported branch flows = MATPOWER's flows


def test_case33bw_matches_its_published_solution() -> None:
    """Baran & Wu's 33-bus feeder; MATPOWER's file converts its kW and ohms in code after the tables."""
    published = json.loads((MATPOWER / "case33bw_published.json").read_text())
    tol = published["atol"]
    net = _net(MATPOWER / "case33bw.m")
    assert net.load["p_mw"].sum() == pytest.approx(3.715)  # 3,715 kW: the file's kW converted to MW
    result = run_powerflow(net)
    assert net.res_line["pl_mw"].sum() * 1e3 == pytest.approx(published["loss_kw"], abs=tol["loss_kw"])
    assert net.res_line["ql_mvar"].sum() * 1e3 == pytest.approx(published["loss_kvar"], abs=tol["loss_kvar"])
    assert result.buses["vm_pu"].idxmin() == published["vm_min_bus"]
    assert result.buses["vm_pu"].min() == pytest.approx(published["vm_min_pu"], abs=tol["vm_pu"])
    # 12.66 kV feeder: MV band 0.95-1.05 p.u.; 21 of 33 buses are below 0.95
    low = [v.id for v in result.violations if v.kind == "voltage_low"]
    assert len(low) == 21 and 18 in low


def test_case9_matches_matpowers_printed_solution() -> None:
    """MATPOWER's published runpf printout of case9 (lib/t/pretty-printing/pp_pf_case9.txt), 3 decimals."""
    result = run_powerflow(_net(CASE9))
    vm = [1.040, 1.025, 1.025, 1.026, 1.013, 1.032, 1.016, 1.026, 0.996]
    va = [0.000, 9.280, 4.665, -2.217, -3.687, 1.967, 0.728, 3.720, -3.989]
    assert_allclose(result.buses.loc[range(1, 10), "vm_pu"], vm, rtol=0, atol=5e-4)
    assert_allclose(result.buses.loc[range(1, 10), "va_degree"], va, rtol=0, atol=5e-4)
    assert_allclose(
        result.branches["p_from_mw"],
        [71.64, 30.70, -59.46, 85.00, 24.18, -75.90, -163.00, 86.62, -40.68],
        atol=5e-3,
    )
    assert result.iterations <= 5 and result.violations == []


def test_pandapower_json_case9_matches_matpower() -> None:
    """pandapower's shipped case9 (all generators at 1.0 p.u.) is MATPOWER's t_case9_pf: same solution."""
    import pandapower.networks

    path = Path(pandapower.networks.__file__).parent / "power_system_test_case_jsons" / "case9.json"
    net = read_case(path)
    assert bus_ids(net).tolist() == list(range(9))  # a pandapower network keeps its bus index as id
    result = run_powerflow(net)
    _, expected = _load(DATA / "matpower_case9_pf")
    matpower_to_index = {b: (2 if b == 30 else b - 1) for b in expected["bus"]["id"]}
    bus = result.buses.loc[[matpower_to_index[b] for b in expected["bus"]["id"]]]
    assert_allclose(bus["vm_pu"], expected["bus"]["vm_pu"], rtol=0, atol=1e-6)
    assert_allclose(bus["va_degree"], expected["bus"]["va_degree"], rtol=0, atol=1e-5)
    assert_allclose(result.branches["p_from_mw"], expected["branch"]["p_from_mw"], rtol=0, atol=1e-5)


def test_reference_engine_is_pandapower_not_lightsim2grid() -> None:
    net = _net(CASE9_PF)
    run_powerflow(net)
    assert net._options["lightsim2grid"] is False  # pandapower would switch silently when it is installed
    assert net._options["algorithm"] == "nr"


def test_read_case_keeps_the_files_bus_numbers_and_branch_order() -> None:
    net = _net(CASE9_PF)
    assert sorted(net.bus[CASE_BUS_ID]) == [1, 2, 4, 5, 6, 7, 8, 9, 30]
    assert (net.bus.index == net.bus[CASE_BUS_ID]).all()
    assert net.line["case_branch"].tolist() == list(range(1, 10))
    assert net.line.loc[net.line["case_branch"] == 4, ["from_bus", "to_bus"]].values.tolist() == [[30, 6]]
    assert net.user_pf_options["trafo_model"] == "pi"  # MATPOWER's transformer model
    result = run_powerflow(net)
    assert 30 in result.buses.index and result.buses.loc[30, "vm_pu"] == pytest.approx(1.0)
    assert result.to_dict()["buses"][2]["bus"] == 30


def test_transformer_written_from_its_low_voltage_side_is_reported_that_way(tmp_path) -> None:
    case = tmp_path / "lv_first.m"
    case.write_text(
        "function mpc = lv_first\nmpc.version = '2';\nmpc.baseMVA = 100;\nmpc.bus = [\n"
        "\t1\t3\t0\t0\t0\t0\t1\t1\t0\t20\t1\t1.1\t0.9;\n"
        "\t7\t1\t20\t5\t0\t0\t1\t1\t0\t110\t1\t1.1\t0.9;\n];\n"
        "mpc.gen = [\n\t1\t0\t0\t300\t-300\t1.02\t100\t1\t250\t0;\n];\n"
        "mpc.branch = [\n\t1\t7\t0.002\t0.05\t0\t40\t40\t40\t0.98\t0\t1;\n];\n"
    )
    net = read_case(case)
    assert net.trafo[["hv_bus", "lv_bus"]].values.tolist() == [[7, 1]]
    br = run_powerflow(net).branches.iloc[0]
    assert (br["element"], br["from_bus"], br["to_bus"]) == ("trafo", 1, 7)
    assert br["p_to_mw"] == pytest.approx(-20.0, abs=1e-6)  # the load at bus 7 [MW]
    assert 20.0 < br["p_from_mw"] < 20.5  # plus the losses [MW]


def test_bus_without_base_voltage_keeps_per_unit_results(tmp_path) -> None:
    """MATPOWER's case14 and case57 give baseKV 0: per-unit results must not depend on it."""
    text = CASE9.read_text().replace("\t345\t", "\t0\t")
    case = tmp_path / "case9_nokv.m"
    case.write_text(text)
    result = run_powerflow(read_case(case))
    reference = run_powerflow(_net(CASE9))
    assert result.buses["vn_kv"].isna().all()
    assert_allclose(result.buses["vm_pu"], reference.buses["vm_pu"], rtol=0, atol=1e-10)
    assert_allclose(result.branches["loading_percent"], reference.branches["loading_percent"], rtol=1e-9)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.split("mpc.gen")[0], "no mpc.gen table found"),
        (lambda t: "this is not a case\n", "no mpc.bus table found"),
        (
            lambda t: t.replace("\t9\t4\t0.01", "\t9\t44\t0.01"),
            "mpc.branch row 9: tbus 44 is not a bus of mpc.bus",
        ),
        (
            lambda t: t.replace("\t5\t1\t90\t30\t0\t0\t1\t1\t0", "\t5\t1\t90\t30\t0\t0\t1\t1\tabc"),
            "mpc.bus row 5, Va: 'abc'",
        ),
        (
            lambda t: t.replace("\t7\t1\t100\t35\t0\t0\t1\t1\t0\t345", "\t7\t1\t100\t35\t0\t0\t1\t1\t345"),
            "mpc.bus row 7 has 12 columns",
        ),
        (lambda t: t.replace("\t1\t3\t0\t0", "\t1\t2\t0\t0"), "no reference bus"),
        (lambda t: t.replace("\t8\t1\t0\t0", "\t7\t1\t0\t0"), "mpc.bus rows 7 and 8 both define bus 7"),
        (lambda t: t.replace("mpc.baseMVA = 100;", "mpc.baseMVA = -1;"), "mpc.baseMVA is -1;"),
        (
            lambda t: t.replace(
                "\t1\t72.3\t27.03\t300\t-300\t1.04\t100\t1", "\t1\t72.3\t27.03\t300\t-300\t1.04\t100\t0"
            ),
            "reference bus 1 (type 3) has no in-service generator",
        ),
    ],
    ids=[
        "no-gen",
        "not-a-case",
        "unknown-bus",
        "not-a-number",
        "short-row",
        "no-slack",
        "duplicate-bus",
        "base",
        "dead-slack",
    ],
)
def test_malformed_matpower_case_names_the_cause(tmp_path, edit, message) -> None:
    case = tmp_path / "bad.m"
    case.write_text(edit(CASE9.read_text()))
    with pytest.raises(ValueError, match="bad.m: ") as err:
        read_case(case)
    assert message in str(err.value)


def test_matlab_code_in_a_case_is_carried_out_or_refused(tmp_path) -> None:
    base = CASE9.read_text()
    scaled = tmp_path / "scaled.m"
    scaled.write_text(base + "\nfactor = 2;\nmpc.bus(:, [PD QD]) = mpc.bus(:, [PD QD]) * factor / 2^1;\n")
    assert_allclose(matpower_tables(scaled).bus[:, 2], matpower_tables(CASE9).bus[:, 2])
    skipped = tmp_path / "skipped.m"
    skipped.write_text(base + "\nuse = 0;\nif use\n  mpc.bus(:, PD) = 0;\nend\n")
    assert matpower_tables(skipped).bus[:, 2].sum() == 315.0
    loop = tmp_path / "loop.m"
    loop.write_text(base + "\nfor k = 1:9\n  mpc.bus(k, PD) = 0;\nend\n")
    with pytest.raises(ValueError, match=r"loop.m: line \d+: cannot carry out a MATLAB for loop"):
        matpower_tables(loop)
    call = tmp_path / "call.m"
    call.write_text(base + "\nmpc = scale_load(2, mpc);\n")
    with pytest.raises(ValueError, match=r"call.m: line \d+: cannot evaluate 'scale_load\(2, mpc\)'"):
        matpower_tables(call)
    expr = tmp_path / "expr.m"
    expr.write_text(
        base.replace("mpc.baseMVA = 100;", "mpc.baseMVA = 300/3;").replace("\t345\t1\t1.1", "\t690/2\t1\t1.1")
    )
    assert matpower_tables(expr).base_mva == 100.0 and (matpower_tables(expr).bus[:, 9] == 345).all()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("disp('hello')", "cannot carry out the MATLAB statement \"disp('hello')\""),
        ("mpc.bus(:, 20) = 1", "cannot assign to mpc.bus(:, 20)"),
        ("x = mpc.foo(1, 1)", "mpc.foo is not a table this reader knows"),
        ("mpc.bus(1) = 2", "expected (rows, columns) in (1)"),
        ("x = y + 1", "cannot evaluate 'y + 1'"),
        ("while 1\nend", "cannot carry out a MATLAB while loop"),
    ],
)
def test_unsupported_matlab_code_is_refused_with_its_line(tmp_path, code, message) -> None:
    case = tmp_path / "code.m"
    case.write_text(CASE9.read_text() + "\n" + code + ";\n")
    with pytest.raises(ValueError, match=r"code.m: line \d+: ") as err:
        matpower_tables(case)
    assert message in str(err.value)


def test_matlab_arithmetic_the_reader_supports(tmp_path) -> None:
    case = tmp_path / "arith.m"
    case.write_text(
        CASE9.read_text()
        + "\nk = -sqrt(4) * cos(0) + abs(-2);  % = 0\n"
        + "mpc.bus([5 7], QD) = mpc.bus([5 7], QD) + k;\n"
        + "mpc.gencost(1, 1) = 3;\n"  # cost tables play no part: ignored
        + "if k\n  if 1\n    mpc.bus(:, PD) = 0;\n  end\n"
        + "else\n  mpc.bus(9, PD) = mpc.bus(9, PD) ...\n    + 1;\nend\n"
        + "mpc.bus_name = {\n 'a';\n};\n"
    )
    tables = matpower_tables(case)
    assert tables.bus[:, 2].tolist() == [0, 0, 0, 0, 90, 0, 100, 0, 126]
    assert tables.bus[:, 3].tolist() == [0, 0, 0, 0, 30, 0, 35, 0, 50]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace(
                "\t9\t1\t125\t50\t0\t0\t1\t1\t0\t345\t1\t1.1\t0.9;",
                "\t9\t1\t125\t50\t0\t0\t1\t1\t0\t345\t1\t1.1\t0.9\t7;",
            ),
            "mpc.bus row 9 has 14 columns, row 1 has 13",
        ),
        (
            lambda t: t.replace("\t5\t1\t90\t30\t0\t0\t1\t1\t0", "\t5\t1\tNaN\t30\t0\t0\t1\t1\t0"),
            "mpc.bus row 5, Pd: NaN is not a valid value",
        ),
        (lambda t: t.replace("mpc.baseMVA = 100;", ""), "mpc.baseMVA is missing or not a number"),
        (
            lambda t: t.replace("mpc.baseMVA = 100;", "mpc.baseMVA = 'x';"),
            "mpc.baseMVA is missing or not a number",
        ),
        (
            lambda t: t.replace("\t4\t1\t0\t0\t0\t0\t1", "\t4.5\t1\t0\t0\t0\t0\t1"),
            "mpc.bus row 4: bus_i 4.5 is not a non-negative integer",
        ),
        (
            lambda t: t.replace("\t4\t1\t0\t0\t0\t0\t1", "\t4\t7\t0\t0\t0\t0\t1"),
            "mpc.bus row 4 (bus 4): type 7 is not 1, 2, 3 or 4",
        ),
        (
            lambda t: t.replace("\t2\t163\t6.54", "\t12\t163\t6.54"),
            "mpc.gen row 2: bus 12 is not a bus of mpc.bus",
        ),
    ],
    ids=["ragged", "nan", "no-base", "text-base", "fractional-id", "bus-type", "gen-bus"],
)
def test_more_malformed_tables(tmp_path, edit, message) -> None:
    case = tmp_path / "bad.m"
    case.write_text(edit(CASE9.read_text()))
    with pytest.raises(ValueError, match="bad.m: ") as err:
        read_case(case)
    assert message in str(err.value)


def test_binary_and_non_network_json_files_are_refused(tmp_path) -> None:
    import pandapower as pp

    (tmp_path / "blob.m").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="blob.m: not a text file"):
        read_case(tmp_path / "blob.m")
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="list.json: "):
        read_case(tmp_path / "list.json")
    pp.to_json(pp.create_empty_network(), str(tmp_path / "empty.json"))
    with pytest.raises(ValueError, match="empty.json: the network has no bus"):
        read_case(tmp_path / "empty.json")
    net = _net(CASE9)
    net.ext_grid["in_service"] = False
    pp.to_json(net, str(tmp_path / "noslack.json"))
    with pytest.raises(ValueError, match="noslack.json: no slack"):
        read_case(tmp_path / "noslack.json")
    with pytest.raises(PowerFlowError, match="pandapower cannot solve this network"):
        run_powerflow(net)


def test_bus_names_are_kept(tmp_path) -> None:
    names = "".join(f"\t'Bus {i}';\n" for i in range(1, 10))
    case = tmp_path / "named.m"
    case.write_text(CASE9.read_text() + f"\nmpc.bus_name = {{\n{names}}};\n")
    result = run_powerflow(read_case(case))
    assert result.buses.loc[9, "name"] == "Bus 9"


def test_out_of_service_bus_and_branch_are_not_violations() -> None:
    net = _net(CASE9_PF)
    net.bus.loc[9, "in_service"] = False
    net.line.loc[net.line["case_branch"] == 5, "in_service"] = False
    result = run_powerflow(net, loading_limit_pct=1.0)
    assert 9 not in [v.id for v in result.violations if v.element == "bus"]
    assert 5 not in [v.id for v in result.violations if v.element == "line"]
    bare = result.branches.iloc[:0]
    assert find_violations(result.buses.iloc[:0], bare) == []


def test_out_of_service_generator_at_the_slack_bus_is_ignored(tmp_path) -> None:
    """MATPOWER ignores out-of-service generators (case2746wop has one first at its reference bus)."""
    text = CASE9.read_text().replace(
        "mpc.gen = [\n",
        "mpc.gen = [\n\t1\t0\t0\t300\t-300\t0.98\t100\t0\t250\t10\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;\n",
    )
    case = tmp_path / "case9_dead_gen.m"
    case.write_text(text)
    result = run_powerflow(read_case(case))
    assert_allclose(result.buses["vm_pu"], run_powerflow(_net(CASE9)).buses["vm_pu"], atol=1e-10)


def test_missing_unknown_or_broken_case_files(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_case(tmp_path / "nope.m")
    (tmp_path / "case.raw").write_text("0, 100.0")
    with pytest.raises(ValueError, match="unsupported case format '.raw'"):
        read_case(tmp_path / "case.raw")
    (tmp_path / "broken.json").write_text('{"bus": [1, 2')
    with pytest.raises(ValueError, match="broken.json: not a pandapower JSON network"):
        read_case(tmp_path / "broken.json")


def test_non_convergence_is_a_clear_error() -> None:
    net = _net(CASE9)
    net.load["p_mw"] *= 10
    with pytest.raises(PowerFlowError, match=r"did not converge after \d+ iterations .* 3150.0 MW") as err:
        run_powerflow(net)
    assert isinstance(err.value, ValueError)  # the CLI reports it as bad input, exit 1


def test_violations_thermal_and_voltage_per_level() -> None:
    net = _net(CASE9_PF)  # MATPOWER solution: bus 9 at 0.957621 p.u., branch 5 (6-7) loaded 86.8 %
    result = run_powerflow(net, loading_limit_pct=80.0, voltage_bands={"EHV": (0.97, 1.05)})
    found = [(v.element, v.id, v.kind) for v in result.violations]
    assert found == [("line", 5, "thermal"), ("bus", 9, "voltage_low")]
    thermal, low = result.violations
    assert thermal.limit == 80.0 and thermal.value == pytest.approx(86.83, abs=0.01)
    assert low.value == pytest.approx(0.95762104043, abs=1e-6) and low.limit == 0.97
    assert run_powerflow(net).violations == []  # 345 kV is EHV: 0.90-1.10 p.u. by default
    assert [voltage_level(v) for v in (0.4, 20.0, 110.0, 380.0, 0.0)] == ["LV", "MV", "HV", "EHV", "unknown"]
    assert DEFAULT_VOLTAGE_BANDS["MV"] == (0.95, 1.05)
    with pytest.raises(ValueError, match="lower bound 1.1"):
        find_violations(result.buses, result.branches, voltage_bands={"MV": (1.1, 0.9)})


def test_unsupplied_bus_is_a_violation_and_json_stays_strict() -> None:
    net = _net(CASE9)
    net.line.loc[net.line["to_bus"].eq(9) | net.line["from_bus"].eq(9), "in_service"] = False
    result = run_powerflow(net)
    assert np.isnan(result.buses.loc[9, "vm_pu"])
    assert [(v.element, v.id, v.kind) for v in result.violations] == [("bus", 9, "unsupplied")]
    text = json.dumps(result.to_dict(), allow_nan=False)
    bus9 = json.loads(text)["buses"][-1]
    assert bus9 == {"bus": 9, "vm_pu": None, "va_degree": None, "p_mw": 0.0, "q_mvar": 0.0}  # nothing drawn


@pytest.fixture(scope="module")
def grid():
    return load_grid()


@pytest.fixture(scope="module")
def default_net():
    return pandapower_net()


def test_default_grid_at_a_time_uses_its_profiles(grid, default_net) -> None:
    net = copy.deepcopy(default_net)
    row = set_loads_at(net, grid, "2016-07-01T14:00Z")
    import pandas as pd

    at = pd.DatetimeIndex([pd.Timestamp("2016-07-01T14:00Z")])
    assert row == grid.profile_index(at)[0] == 365 * 96 + 17528  # the world starts on 2015-01-01
    assert_allclose(net.load["p_mw"], grid.load_p_mw[row])
    assert_allclose(net.load["q_mvar"], grid.load_q_mvar[row])
    assert_allclose(net.sgen["p_mw"], grid.sgen_p_mw[row])
    result = run_powerflow(net)
    assert result.converged and len(result.buses) == 117 and len(result.branches) == 121 + 2
    # power balance: the external grid supplies load - generation + losses (losses small and positive)
    supply = float(net.res_ext_grid["p_mw"].sum())
    losses = supply - (grid.load_p_mw[row].sum() - grid.sgen_p_mw[row].sum())
    assert 0 < losses < 0.05 * grid.load_p_mw[row].sum()
    assert result.buses["vm_pu"].between(0.95, 1.05).all() and result.violations == []
    with pytest.raises(ValueError, match="no UTC offset"):
        set_loads_at(net, grid, "2016-07-01T14:00")
    with pytest.raises(ValueError, match="does not match the grid's load table"):
        set_loads_at(_net(CASE9), grid, "2016-07-01T14:00Z")
    renamed = copy.deepcopy(default_net)
    renamed.sgen["name"] = "x"
    with pytest.raises(ValueError, match="net.sgen names differ"):
        set_loads_at(renamed, grid, "2016-07-01T14:00Z")


def test_cli_powerflow_on_a_case_file_and_errors(tmp_path) -> None:
    from cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["grid", "powerflow", "--case", str(CASE9_PF), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["converged"] is True and out["iterations"] == 3 and out["violations"] == []
    assert [b["bus"] for b in out["buses"]] == [1, 2, 30, 4, 5, 6, 7, 8, 9]
    bus9 = out["buses"][-1]
    assert bus9["vm_pu"] == pytest.approx(0.95762104043, abs=1e-6)
    assert bus9["va_degree"] == pytest.approx(-4.349933576561, abs=1e-5)
    assert set(out["branches"][0]) >= {"from_bus", "to_bus", "p_from_mw", "q_from_mvar", "loading_percent"}
    assert out["branches"][3]["from_bus"] == 30

    bad = tmp_path / "bad.m"
    bad.write_text(CASE9.read_text().replace("\t9\t4\t0.01", "\t9\t44\t0.01"))
    res = runner.invoke(app, ["grid", "powerflow", "--case", str(bad), "--json"])
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        "gridflow: bad.m: mpc.branch row 9: tbus 44 is not a bus of mpc.bus"
    ]

    heavy = tmp_path / "heavy.m"
    heavy.write_text(CASE9.read_text().replace("\t125\t50\t", "\t2500\t1000\t"))
    res = runner.invoke(app, ["grid", "powerflow", "--case", str(heavy)])
    assert res.exit_code == 1 and "did not converge" in res.stderr

    res = runner.invoke(app, ["grid", "powerflow", "--case", str(CASE9), "--at", "2016-07-01T14:00Z"])
    assert res.exit_code == 1 and "does not apply to --case" in res.stderr
    band = ["--voltage-band", "EHV=0.999:1.05"]  # bus 9 of case9 is at 0.99563 p.u.
    res = runner.invoke(app, ["grid", "powerflow", "--case", str(CASE9), *band], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "voltage_low bus 9" in res.stdout and "0.995631 (limit 0.999)" in res.stdout
    assert "highest loading" in res.stdout
