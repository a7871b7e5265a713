"""Uniform-price double auction: hand-computed clearings, the price interval, bad books."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gridcore.errors import InputError
from gridcore.market.clearing import clear, read_book


def book(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "price_per_mwh", "quantity_mw"])


def test_hand_computed_clearing_with_a_partial_marginal_offer() -> None:
    # supply: A 50 MW @10, B 50 MW @20, C 50 MW @40; demand: X 60 MW @50, Y 30 MW @30, Z 40 MW @15
    # the curves cross inside B: X and Y (90 MW) are bought from A and 40 MW of B; Z does not pay 20
    offers = book([("A", 10, 50), ("B", 20, 50), ("C", 40, 50)])
    bids = book([("X", 50, 60), ("Y", 30, 30), ("Z", 15, 40)])
    c = clear(offers, bids)
    assert c.matched_mw == pytest.approx(90.0)
    assert (c.price_low, c.price_high) == (20.0, 20.0)  # B has spare capacity at 20: the price is 20
    assert c.price_per_mwh == pytest.approx(20.0)
    assert c.unmatched_supply_mw == pytest.approx(60.0)
    assert c.unmatched_demand_mw == pytest.approx(40.0)
    # welfare: 50 MW x (50-10) + 10 MW x (50-20) + 30 MW x (30-20)
    assert c.welfare_per_h == pytest.approx(2000 + 300 + 300)
    assert_allclose(c.offers_accepted_mw, [50, 40, 0])
    assert_allclose(c.bids_accepted_mw, [60, 30, 0])


def test_price_is_the_midpoint_of_the_interval_when_both_sides_end_together() -> None:
    # A 50 @10 meets X 50 @40; next offer B @30, next bid Y @20: every price in [20, 30] clears 50 MW
    c = clear(book([("A", 10, 50), ("B", 30, 50)]), book([("X", 40, 50), ("Y", 20, 50)]))
    assert c.matched_mw == pytest.approx(50.0)
    assert (c.price_low, c.price_high) == (20.0, 30.0)
    assert c.price_per_mwh == pytest.approx(25.0)
    assert c.to_dict()["price_rule"].startswith("midpoint")


def test_no_trade_when_the_best_bid_is_below_the_cheapest_offer() -> None:
    c = clear(book([("A", 50, 10)]), book([("X", 30, 10)]))
    assert c.matched_mw == 0.0
    assert c.price_per_mwh == pytest.approx(40.0)
    assert c.unmatched_demand_mw == pytest.approx(10.0)


def test_supply_short_leaves_demand_unmatched_at_its_bid() -> None:
    c = clear(book([("A", 10, 30)]), book([("X", 3000, 50)]))
    assert c.matched_mw == pytest.approx(30.0)
    assert c.unmatched_demand_mw == pytest.approx(20.0)
    assert c.price_low == 3000.0 and np.isinf(c.price_high) is False or c.price_high == 3000.0
    assert c.price_per_mwh == pytest.approx(3000.0)


def test_empty_side_gives_no_price() -> None:
    c = clear(book([]), book([("X", 30, 10)]))
    assert np.isnan(c.price_per_mwh) and c.matched_mw == 0 and c.unmatched_demand_mw == 10
    assert c.to_dict()["price_per_mwh"] is None


def test_matched_quantity_maximizes_welfare_on_random_books() -> None:
    rng = np.random.default_rng(1)

    def random_book(prefix: str) -> pd.DataFrame:
        prices, sizes = rng.uniform(0, 100, 40), rng.uniform(1, 5, 40)
        return book([(f"{prefix}{i}", p, q) for i, (p, q) in enumerate(zip(prices, sizes, strict=True))])

    offers, bids = random_book("o"), random_book("b")
    c = clear(offers, bids)
    # brute force: welfare of matching the first q MW of each sorted curve, on a fine grid of q
    so = offers.sort_values("price_per_mwh")
    sb = bids.sort_values("price_per_mwh", ascending=False)

    def welfare(q: float) -> float:
        grid = np.linspace(0, q, 4001)[1:]
        dq = q / 4000
        po = so["price_per_mwh"].to_numpy()[
            np.searchsorted(so["quantity_mw"].cumsum().to_numpy(), grid - 1e-12)
        ]
        pb = sb["price_per_mwh"].to_numpy()[
            np.searchsorted(sb["quantity_mw"].cumsum().to_numpy(), grid - 1e-12)
        ]
        return float(((pb - po) * dq).sum())

    qs = np.linspace(0.1, min(offers.quantity_mw.sum(), bids.quantity_mw.sum()) - 1e-6, 200)
    best = max(welfare(q) for q in qs)
    assert c.welfare_per_h >= best - 0.5
    assert welfare(c.matched_mw) == pytest.approx(c.welfare_per_h, rel=1e-2)
    # every accepted bid pays at most its price, every accepted offer gets at least its own
    assert (bids["price_per_mwh"][c.bids_accepted_mw > 0] >= c.price_per_mwh - 1e-9).all()
    assert (offers["price_per_mwh"][c.offers_accepted_mw > 0] <= c.price_per_mwh + 1e-9).all()


def test_bad_books_name_the_row_and_order(tmp_path) -> None:
    with pytest.raises(InputError, match="quantity_mw.*row 1 .id B") as err:
        clear(book([("A", 10, 5), ("B", 20, -1)]), book([("X", 30, 1)]))
    assert err.value.row == 1 and err.value.element == "B"
    with pytest.raises(InputError, match="price_per_mwh: not a number at row 0"):
        clear(book([("A", float("nan"), 5)]), book([("X", 30, 1)]))
    with pytest.raises(InputError, match="no column quantity_mw"):
        clear(pd.DataFrame({"id": ["A"], "price_per_mwh": [1.0]}), book([("X", 30, 1)]))
    path = tmp_path / "offers.csv"
    path.write_text("id,price_per_mwh\nA,1\n")
    with pytest.raises(InputError, match="no column quantity_mw"):
        read_book(path, "offers")
    path.write_text("id,price_per_mwh,quantity_mw\nA,1,2\n")
    assert len(read_book(path, "offers")) == 1
    with pytest.raises(InputError, match="cannot be read"):
        read_book(tmp_path / "missing.csv", "offers")
