"""Property tests of the priority rules (hypothesis) and the greedy against CP-SAT."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridcore.shedding.exact import exact_select
from gridcore.shedding.greedy import TOL_MW, greedy_select, plan_cost

CRITICAL = 40


@st.composite
def cases(draw, max_n=40):
    n = draw(st.integers(1, max_n))
    p = np.array(draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n)))
    order = np.array(draw(st.lists(st.sampled_from([10, 20, 30, 41, 44]), min_size=n, max_size=n)))
    voll = np.array(draw(st.lists(st.floats(1000, 50000), min_size=n, max_size=n)))
    eligible = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    frac = draw(st.floats(0.0, 1.2))
    need = float(p[eligible].sum() * frac)
    return p, order, voll, eligible, need


def _reasonless_kept(p, order, eligible, shed):
    """Eligible blocks with power kept while a block of a later order is shed."""
    if not shed.any():
        return np.zeros(len(p), bool)
    latest = order[shed].max()
    return ~shed & eligible & (p > 0) & (order < latest)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_greedy_keeps_the_priority_rules(case):
    p, order, voll, eligible, need = case
    shed = greedy_select(p, order, voll, need, eligible)
    assert not (shed & ~eligible).any()
    available = p[eligible].sum()
    # the plan covers the shortfall whenever the eligible load can
    if available >= need - TOL_MW:
        assert p[shed].sum() >= need - TOL_MW
    else:
        assert shed[eligible & (p > 0)].all()
    # no lower-priority block is kept while a higher-priority one is shed (the only reason: not eligible)
    assert not _reasonless_kept(p, order, eligible, shed).any()
    # critical blocks only when the shortfall exceeds all non-critical load in reach
    non_critical = p[eligible & (order < CRITICAL)].sum()
    if need <= non_critical - TOL_MW:
        assert not (shed & (order >= CRITICAL)).any()


@settings(max_examples=60, deadline=None)
@given(cases(max_n=9))
def test_exact_is_the_brute_force_optimum_and_greedy_is_no_better(case):
    p, order, voll, eligible, need = case
    res = exact_select(p, order, voll, need, eligible, time_limit_s=10)
    greedy = greedy_select(p, order, voll, need, eligible)
    if res.status == "TRIVIAL":
        assert not res.shed.any()
        return
    assert not _reasonless_kept(p, order, eligible, res.shed).any()
    if res.status == "INFEASIBLE":
        assert res.shed[eligible & (p > 0)].all()
        return
    assert res.status == "OPTIMAL"
    # brute force over subsets that keep the rule and cover the need (to the watt, as CP-SAT counts)
    idx = np.flatnonzero(eligible & (p > 0))
    watts = np.round(p * 1e6)
    best = np.inf
    for k in range(len(idx) + 1):
        for combo in itertools.combinations(idx, k):
            s = np.zeros(len(p), bool)
            s[list(combo)] = True
            if (
                watts[s].sum() >= np.ceil(need * 1e6 - 0.5)
                and not _reasonless_kept(p, order, eligible, s).any()
            ):
                best = min(best, plan_cost(p, voll, s))
    assert res.cost_eur == pytest.approx(best, rel=1e-6, abs=1e-2)
    if p[greedy].sum() >= need:
        assert plan_cost(p, voll, greedy) >= res.cost_eur - 0.05


def test_greedy_gap_to_cp_sat_is_small_on_a_medium_case():
    rng = np.random.default_rng(7)
    n = 500
    p = rng.lognormal(-4, 1, n)
    order = rng.choice([10, 20, 30, 41], n)
    voll = rng.choice([12000.0, 30000.0, 20000.0], n) * rng.uniform(0.8, 1.2, n)
    need = p.sum() * 0.3
    greedy = greedy_select(p, order, voll, need)
    exact = exact_select(p, order, voll, need, time_limit_s=20)
    assert exact.status == "OPTIMAL"
    gap = plan_cost(p, voll, greedy) / exact.cost_eur - 1
    assert 0 <= gap < 0.01
    assert exact.bound_eur <= exact.cost_eur + 1e-6


def test_nothing_needed_and_nothing_eligible():
    p = np.array([1.0, 2.0])
    assert not greedy_select(p, np.array([1, 2]), np.ones(2), 0.0).any()
    assert not greedy_select(p, np.array([1, 2]), np.ones(2), 1.0, np.zeros(2, bool)).any()


def test_trim_drops_the_costliest_spare_block():
    # tier 1: 0.5 and 0.4 MW (cheap), 0.3 MW (dear); need 0.5 -> the 0.5 MW block alone
    p = np.array([0.4, 0.3, 0.5])
    shed = greedy_select(p, np.array([1, 1, 1]), np.array([1.0, 2.0, 1.0]), 0.5)
    assert shed.tolist() == [False, False, True]
    # need 0.6: the cheap 0.5 and 0.4 MW blocks; the dear 0.3 MW block stays on
    shed = greedy_select(p, np.array([1, 1, 1]), np.array([1.0, 2.0, 1.0]), 0.6)
    assert p[shed].sum() >= 0.6 and not shed[1]
