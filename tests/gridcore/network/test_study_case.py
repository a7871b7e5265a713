"""SimBench study cases against the figures measured with SimBench's own factors (issue 14)."""

from __future__ import annotations

import pandapower as pp
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.network.grid import pandapower_net
from gridcore.network.study_case import STUDY_CASES, apply_study_case, generator_class, study_case_factors


@pytest.mark.parametrize(
    ("code", "trafo_pct", "vm_min_pu"),
    [("1-LV-rural2--2-sw", 120.0, 0.871), ("1-LV-urban6--2-sw", 108.3, 0.894)],
)
def test_high_load_case_matches_the_measured_figures(code: str, trafo_pct: float, vm_min_pu: float) -> None:
    net = apply_study_case(pandapower_net(code), "hL")
    pp.runpp(net)
    assert net.res_trafo["loading_percent"].max() == pytest.approx(trafo_pct, abs=0.1)  # [%]
    assert net.res_bus["vm_pu"].min() == pytest.approx(vm_min_pu, abs=0.001)  # [p.u.]
    assert (net.sgen["p_mw"] == 0).all()


def test_factors_scale_loads_generation_by_type_and_slack() -> None:
    base = pandapower_net()
    net = apply_study_case(pandapower_net(), "lPV")
    f = base.loadcases.loc["lPV"]
    assert net.load["p_mw"].sum() == pytest.approx(base.load["p_mw"].sum() * f["pload"])
    assert net.load["q_mvar"].sum() == pytest.approx(base.load["q_mvar"].sum() * f["qload"])
    pv = base.sgen["type"].str.contains("PV")
    wind = base.sgen["type"].str.contains("Wind")
    assert net.sgen.loc[pv, "p_mw"].sum() == pytest.approx(base.sgen.loc[pv, "p_mw"].sum() * f["PV_p"])
    assert net.sgen.loc[wind, "p_mw"].sum() == pytest.approx(base.sgen.loc[wind, "p_mw"].sum() * f["Wind_p"])
    other = ~(pv | wind)
    assert net.sgen.loc[other, "p_mw"].sum() == pytest.approx(base.sgen.loc[other, "p_mw"].sum() * f["RES_p"])
    assert (net.ext_grid["vm_pu"] == f["Slack_vm"]).all()


def test_generator_classes() -> None:
    types = pd.Series(["PV", "Wind_MV", "WP", "Biomass_MV", "lv_RES", "PV_MV"])
    assert list(generator_class(types)) == ["PV_p", "Wind_p", "Wind_p", "RES_p", "RES_p", "PV_p"]


def test_every_case_has_factors() -> None:
    net = pandapower_net()
    for case in STUDY_CASES:
        assert set(study_case_factors(net, case).index) >= {"pload", "qload", "PV_p", "Slack_vm"}


def test_unknown_case_and_network_without_cases() -> None:
    with pytest.raises(InputError, match="unknown; use one of hL"):
        study_case_factors(pandapower_net(), "peak")
    import pandapower.networks as pn

    with pytest.raises(InputError, match="no SimBench study cases"):
        apply_study_case(pn.case9(), "hL")
