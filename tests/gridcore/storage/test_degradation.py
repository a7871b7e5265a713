"""Degradation: rainflow cycles, EFC, the calendar + cycle fade model against NREL BLAST-Lite, the cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gridcore.storage.degradation import (
    REPLACEMENT_COST_EUR_PER_KWH,
    FadeState,
    age_constant,
    anode_potential_v,
    cycle_life_efc,
    daily_cycle_soc,
    efc_from_rainflow,
    efc_from_soc,
    efc_from_throughput,
    rainflow_cycles,
    rainflow_totals,
    replacement_costs,
    step_fade,
    throughput_cost_eur_per_mwh,
    years_to_eol,
)

# Reference: NREL BLAST-Lite 1.1.1 (pip install blast-lite==1.1.1, run in its own venv: it needs numpy<2),
# models Nmc111_Gr_Kokam75Ah_Battery and Lfp_Gr_250AhPrismatic, 25 °C, hourly SoC of one triangle cycle a
# day of depth DoD around 0.5 (the profile of daily_cycle_soc), repeated by
# simulate_battery_life(profile, threshold_capacity=0.8, is_conserve_energy_throughput=True):
# EFC at 80 % capacity and the relative capacity after 5 and 10 years. Rest: constant SoC, threshold_time=10,
# is_constant_input=True; capacity after 1 and 10 years.
BLAST_CYCLING = {
    # (chemistry, dod): (efc_to_80pct, soh_5y, soh_10y)
    ("NMC", 0.5): (5973.9, 0.96506, 0.94820),
    ("NMC", 0.8): (5136.2, 0.92639, 0.87656),
    ("NMC", 1.0): (2779.7, 0.85985, None),  # BLAST-Lite stops at 80 %, before 10 years
    ("LFP", 0.5): (6548.8, 0.94946, 0.91882),
    ("LFP", 0.8): (6479.0, 0.93237, 0.88843),
    ("LFP", 1.0): (6393.8, 0.92305, 0.87496),
}
BLAST_REST = {
    # (chemistry, soc): (soh_1y, soh_10y)
    ("NMC", 0.5): (0.98975, 0.97691),
    ("NMC", 0.9): (0.95229, 0.89257),
    ("LFP", 0.5): (0.98884, 0.96294),
    ("LFP", 0.9): (0.98302, 0.94363),
}


def _fleet(**overrides: object) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "kind": ["home", "community", "grid", "home"],
            "chemistry": ["NMC", "LFP", "LFP", "LFP"],
            "soc_min_frac": [0.1, 0.1, 0.05, 0.1],
            "soc_max_frac": [0.9, 0.9, 0.95, 0.9],
        },
        index=pd.Index(["B0001", "B0002", "B0003", "B0004"], name="battery"),
    )
    for k, v in overrides.items():
        base[k] = v
    return base


# -- cycle counting ------------------------------------------------------------------------------------------


def test_rainflow_counts_a_triangle_wave_of_known_depth() -> None:
    wave = np.tile([0.1, 0.9], 10)  # 10 rises and 9 falls of depth 0.8
    wave = np.append(wave, 0.1)  # 10 falls
    cycles = rainflow_cycles(wave)
    assert_allclose(cycles["depth_frac"], 0.8)
    assert cycles["count"].sum() == pytest.approx(10.0)
    assert efc_from_rainflow(cycles) == pytest.approx(8.0)
    assert efc_from_soc(wave, 1.0) == pytest.approx(8.0)
    assert rainflow_totals(wave) == pytest.approx((10.0, 8.0))


def test_rainflow_on_hourly_samples_and_nested_cycles() -> None:
    # A day of hourly samples: 0.5 -> 0.9 -> 0.3 with a small 0.1 swing inside, and back to 0.5.
    soc = np.concatenate(
        [np.linspace(0.5, 0.9, 5), [0.8, 0.9], np.linspace(0.9, 0.3, 7)[1:], np.linspace(0.3, 0.5, 3)[1:]]
    )
    cycles = rainflow_cycles(soc)
    full = cycles[cycles["count"] == 1.0]
    assert_allclose(full["depth_frac"], [0.1])  # the nested swing is one full cycle
    assert efc_from_rainflow(cycles) == pytest.approx(float(efc_from_soc(soc, 1.0)))
    n, efc = rainflow_totals(np.concatenate([soc, [np.nan, np.nan]]))
    assert (n, efc) == pytest.approx((cycles["count"].sum(), efc_from_rainflow(cycles)))


def test_rainflow_of_a_random_walk_matches_throughput() -> None:
    walk = np.clip(0.5 + np.cumsum(np.random.default_rng(3).normal(0, 0.05, 2000)), 0, 1)
    n, efc = rainflow_totals(walk)
    cycles = rainflow_cycles(walk)
    assert n == pytest.approx(cycles["count"].sum())
    assert efc == pytest.approx(float(efc_from_soc(walk, 1.0)))


def test_rainflow_of_too_short_or_flat_series() -> None:
    assert rainflow_cycles([0.5]).empty
    assert rainflow_totals([0.5, 0.5, 0.5]) == (0.0, 0.0)
    # one rise or fall is a half cycle of its depth, whether the series has two values or more
    assert rainflow_totals([0.1, 0.5]) == pytest.approx((0.5, 0.2))
    assert rainflow_totals([0.1, 0.3, 0.5]) == pytest.approx((0.5, 0.2))
    assert rainflow_totals([0.9, np.nan, 0.5, 0.5]) == pytest.approx((0.5, 0.2))
    for soc in ([0.1, 0.5], [0.1, 0.3, 0.5]):
        table = rainflow_cycles(soc)
        assert table["count"].tolist() == [0.5] and table["depth_frac"].tolist() == pytest.approx([0.4])


def test_efc_equals_throughput_over_two_capacities_on_full_cycles() -> None:
    energy = 2.0  # MWh
    up = np.linspace(0, energy, 5)[1:]  # 0.5 MWh per hour
    soc = np.concatenate([up, up[::-1][1:], [0.0]])  # 0 -> 2 -> 0 MWh: one full cycle
    charge = np.where(np.diff(soc, prepend=0.0) > 0, np.diff(soc, prepend=0.0), 0.0)
    discharge = np.where(np.diff(soc, prepend=0.0) < 0, -np.diff(soc, prepend=0.0), 0.0)
    assert float(efc_from_soc(soc, energy, soc_start_mwh=0.0)) == pytest.approx(1.0)
    assert float(efc_from_throughput(charge, discharge, energy)) == pytest.approx(1.0)
    # vectorised over units: two units, the second cycles twice as deep
    soc2 = np.vstack([soc, 2 * soc])
    assert_allclose(efc_from_soc(soc2, [energy, energy], soc_start_mwh=[0.0, 0.0]), [1.0, 2.0])
    assert_allclose(
        efc_from_throughput(np.vstack([charge, charge]), np.vstack([discharge, discharge]), [2, 1]), [1, 2]
    )


# -- the fade model ------------------------------------------------------------------------------------------


STEP_DAYS = 5.0


@pytest.fixture(scope="module")
def lives() -> dict[tuple[str, float], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """SoH, EFC and years of each BLAST_CYCLING case, all units in one vectorised run (5-day steps)."""
    cases = list(BLAST_CYCLING) + [("LFP", 0.8)]
    chem = [c for c, _ in cases]
    dod = np.array([d for _, d in cases])
    profile = daily_cycle_soc(dod, 0.5)
    state = FadeState.new(chem)
    soh, efc = [state.soh], [state.efc]
    for _ in range(int(40 * 365 / STEP_DAYS)):
        state = step_fade(state, STEP_DAYS, STEP_DAYS * dod, dod, profile)
        soh.append(state.soh)
        efc.append(state.efc)
    soh_a, efc_a = np.array(soh).T, np.array(efc).T
    years = np.arange(soh_a.shape[1]) * STEP_DAYS / 365
    return {case: (soh_a[k], efc_a[k], years) for k, case in enumerate(cases)}


def _crossing(soh: np.ndarray, x: np.ndarray, level: float = 0.8) -> float:
    i = int(np.argmax(soh < level))
    f = (soh[i - 1] - level) / (soh[i - 1] - soh[i])
    return float(x[i - 1] + f * (x[i] - x[i - 1]))


@pytest.mark.parametrize(("chemistry", "dod"), list(BLAST_CYCLING), ids=lambda v: str(v))
def test_cycling_fade_reproduces_blast_lite(chemistry: str, dod: float, lives: dict) -> None:
    efc80, soh5, soh10 = BLAST_CYCLING[(chemistry, dod)]
    soh, efc, years = lives[(chemistry, dod)]
    assert _crossing(soh, efc) == pytest.approx(efc80, rel=0.10)  # EFC to 80 %: within 10 %
    assert np.interp(5, years, soh) == pytest.approx(soh5, abs=0.012)  # SoH after 5 years: within 1.2 points
    if soh10 is not None:
        assert np.interp(10, years, soh) == pytest.approx(soh10, abs=0.012)


@pytest.mark.parametrize(("chemistry", "soc"), list(BLAST_REST), ids=lambda v: str(v))
def test_calendar_fade_reproduces_blast_lite(chemistry: str, soc: float) -> None:
    soh1, soh10 = BLAST_REST[(chemistry, soc)]
    new = FadeState.new([chemistry])
    assert step_fade(new, 365.0, 0.0, 0.0, soc).soh[0] == pytest.approx(soh1, abs=1e-3)
    assert step_fade(new, 3650.0, 0.0, 0.0, soc).soh[0] == pytest.approx(soh10, abs=1e-3)


def test_fade_is_monotone_in_time_dod_and_temperature() -> None:
    chem = ["NMC", "LFP"]
    days = [30.0, 365.0, 3650.0]
    soh = [age_constant(FadeState.new(chem), d, 0.8, 0.8, 0.5).soh for d in days]
    assert (np.diff(np.array(soh), axis=0) < 0).all()
    depth = [0.2, 0.5, 0.8, 1.0]
    by_dod = [
        age_constant(FadeState.new(chem), 3650.0, 0.8, d, daily_cycle_soc([d, d], 0.5)).soh for d in depth
    ]
    assert (np.diff(np.array(by_dod), axis=0) < 0).all()
    life = cycle_life_efc(["NMC"] * 4 + ["LFP"] * 4, depth * 2)
    assert (np.diff(life[:4]) < 0).all() and (np.diff(life[4:]) < 0).all()
    warm = age_constant(FadeState.new(chem), 3650.0, 0.0, 0.0, 0.5, temp_c=35.0).soh
    cool = age_constant(FadeState.new(chem), 3650.0, 0.0, 0.0, 0.5, temp_c=15.0).soh
    assert (warm < cool).all()


def test_a_step_splits_exactly_at_constant_stress() -> None:
    state = FadeState.new(["NMC", "LFP"])
    one = step_fade(state, 100.0, 80.0, 0.8, 0.5)
    two = step_fade(step_fade(state, 50.0, 40.0, 0.8, 0.5), 50.0, 40.0, 0.8, 0.5)
    assert_allclose(two.calendar, one.calendar, rtol=1e-12)
    # the cycling parts differ only by the DoD seen at the lower SoH of the second half
    assert_allclose(two.lam, one.lam, rtol=1e-2)
    assert_allclose(two.cycle, one.cycle, rtol=2e-2)
    idle = step_fade(one, 0.0, 0.0, 0.0, 0.5)
    assert_allclose(idle.soh, one.soh)
    assert_allclose(one.calendar_fade + one.cycle_fade, 1 - one.soh)
    assert (one.days == 100).all() and (one.efc == 80).all()


def test_explicit_c_rate_and_temperature_per_unit() -> None:
    state = FadeState.new(["LFP", "LFP"])
    slow = step_fade(state, 365.0, 300.0, 0.8, 0.5, temp_c=[25.0, 25.0], crate=[0.05, 0.5])
    assert slow.cycle[1] > slow.cycle[0]  # LFP cycling fade grows with C-rate


def test_years_to_eol_matches_the_trajectory(lives: dict) -> None:
    soh, _, years_axis = lives[("LFP", 0.8)]
    by_trajectory = _crossing(soh, years_axis) * 365 / 365.25
    state = FadeState.new(["LFP", "NMC"])
    years = years_to_eol(state, [0.8, 0.8], [0.8, 0.8], daily_cycle_soc([0.8, 0.8], 0.5))
    assert years[0] == pytest.approx(by_trajectory, rel=0.01)
    assert 5 < years[1] < 30
    worn = step_fade(state, 3650.0, 8000.0, 1.0, 0.5)
    assert (years_to_eol(worn, 0.8, 0.8, 0.5) == 0).all()
    assert np.isinf(years_to_eol(state, 0.0, 0.0, 0.5, horizon_years=5))[0]


def test_cycle_life_at_the_eol_threshold() -> None:
    life = cycle_life_efc(["NMC", "LFP"], 0.8)
    assert_allclose(life, [6372.9, 9208.5], rtol=1e-3)  # cycle fade alone, 25 °C, DoD 0.8, mid SoC 0.5
    assert (cycle_life_efc(["NMC", "LFP"], 0.8, eol_soh=0.7) > life).all()


def test_anode_potential_is_the_graphite_curve() -> None:
    ua = anode_potential_v([0.0, 0.5, 1.0])
    assert ua[0] > ua[1] > ua[2] > 0  # higher SoC, lower anode potential
    assert ua[1] == pytest.approx(0.1233, abs=1e-3)


def test_unknown_chemistry_is_named() -> None:
    with pytest.raises(ValueError, match=r"chemistry: 'NCA' at row 1"):
        FadeState.new(["NMC", "NCA"])


def test_daily_cycle_soc() -> None:
    wave = daily_cycle_soc([0.8, 0.2], [0.5, 0.6])
    assert wave.shape == (2, 24)
    assert_allclose(wave.mean(axis=1), [0.5, 0.6])
    assert_allclose(wave.max(axis=1) - wave.min(axis=1), [0.8, 0.2])


# -- the throughput cost -------------------------------------------------------------------------------------


def test_throughput_cost_is_replacement_cost_over_cycle_life() -> None:
    fleet = _fleet()
    cost = throughput_cost_eur_per_mwh(fleet)
    assert cost.name == "throughput_cost_eur_per_mwh"
    assert list(cost.index) == list(fleet.index)
    life = cycle_life_efc(["NMC"], 0.8, soc_mean=0.5)[0]
    assert cost["B0001"] == pytest.approx(REPLACEMENT_COST_EUR_PER_KWH["home"] * 1000 / (2 * life))
    assert (
        cost["B0003"] < cost["B0002"] < cost["B0004"] < cost["B0001"]
    )  # grid LFP cheapest, home NMC dearest
    assert ((cost > 5) & (cost < 60)).all()


def test_throughput_cost_overrides() -> None:
    fleet = _fleet()
    base = throughput_cost_eur_per_mwh(fleet)
    doubled = throughput_cost_eur_per_mwh(fleet, {"home": 900.0})
    assert doubled["B0001"] == pytest.approx(2 * base["B0001"])
    assert doubled["B0002"] == pytest.approx(base["B0002"])
    column = throughput_cost_eur_per_mwh(_fleet(replacement_cost_eur_per_kwh=[225.0, None, None, None]))
    assert column["B0001"] == pytest.approx(base["B0001"] / 2)
    assert column["B0002"] == pytest.approx(base["B0002"])
    series = replacement_costs(fleet, pd.Series(100.0, index=fleet.index))
    assert (series == 100.0).all()


@pytest.mark.parametrize(
    ("fleet", "message"),
    [
        (_fleet().drop(columns="chemistry"), "missing column 'chemistry'"),
        (_fleet(chemistry=["NMC", "NCA", "LFP", "LFP"]), "'NCA' of battery B0002"),
        (_fleet(kind=["home", "tram", "grid", "home"]), "'tram' of battery B0002"),
        (_fleet(soc_max_frac=[0.9, 0.05, 0.95, 0.9]), "battery B0002 is not within 0-1"),
    ],
)
def test_throughput_cost_names_the_bad_field_and_battery(fleet: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        throughput_cost_eur_per_mwh(fleet)


def test_replacement_cost_series_must_cover_the_fleet() -> None:
    fleet = _fleet()
    with pytest.raises(ValueError, match="no value for battery B0004"):
        replacement_costs(fleet, pd.Series(100.0, index=fleet.index[:3]))
