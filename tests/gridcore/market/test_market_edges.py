"""Edge cases: an extreme peak price, -0.0, an empty order book, frontier labels that fall together."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.market.clearing import clear
from gridcore.market.metrics import no_negative_zero
from gridcore.market.plot import frontier_figure, frontier_labels
from gridcore.market.signals import MAX_PEAK_PRICE_PER_KWH, check_peak_price, price_signal

TIMES = pd.date_range("2016-07-04", periods=48, freq="h", tz="UTC")


@pytest.mark.parametrize("price", [1e9, float("inf"), MAX_PEAK_PRICE_PER_KWH * 1.001])
def test_a_peak_price_above_the_limit_is_refused_naming_it(price: float) -> None:
    net = pd.Series(np.linspace(1, 2, 48), index=TIMES)
    with pytest.raises(InputError, match=f"above the limit of {MAX_PEAK_PRICE_PER_KWH:g} EUR/kWh"):
        price_signal(net, "cpp", peak_price_per_kwh=price)
    check_peak_price(MAX_PEAK_PRICE_PER_KWH)  # the limit itself is allowed
    check_peak_price(None)


def test_negative_zero_is_written_as_zero() -> None:
    out = no_negative_zero({"a": -0.0, "b": [round(-1e-9, 4), 1.5], "c": {"d": -0.0}, "e": "x", "f": 3})
    text = json.dumps(out)
    assert "-0.0" not in text and out["b"] == [0.0, 1.5] and out["f"] == 3


def _book(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "price_per_mwh", "quantity_mw"])


@pytest.mark.parametrize(
    ("offers", "bids", "reason"),
    [
        ([("A", 10.0, 5.0)], [], "the bids book has no orders"),
        ([], [("X", 10.0, 5.0)], "the offers book has no orders"),
        ([], [], "the offers book has no orders and the bids book has no orders"),
        ([("A", 10.0, 0.0)], [("X", 10.0, 5.0)], "the offers book has no quantity"),
    ],
)
def test_an_empty_side_gives_a_null_price_with_its_reason(offers, bids, reason: str) -> None:
    d = clear(_book(offers), _book(bids)).to_dict()
    assert d["price_per_mwh"] is None and d["matched_mw"] == 0.0
    assert d["price_null_reason"] == f"no price: {reason}; nothing can clear"
    full = clear(_book([("A", 10.0, 5.0)]), _book([("X", 20.0, 5.0)])).to_dict()
    assert full["price_per_mwh"] == 15.0 and "price_null_reason" not in full


def test_frontier_labels_of_points_that_fall_together_are_joined_and_none_overlap() -> None:
    table = pd.DataFrame(
        {
            "label": ["peak 0", "peak 0.02", "peak 0.05", "peak 0.08", "peak 0.2", "peak 0.5"],
            "bill_impact_pct": [0.0, 0.02, 0.06, 0.25, 4.05, 4.05],
            "peak_reduction_pct": [0.0, 5.4, 6.3, 6.2, 14.51, 14.51],
            "renewable_absorbed_mwh": [0.0, 0.0, 0.0, -1.0, -4.3, -4.3],
        }
    )
    labels = frontier_labels(table)
    assert [t for _, _, t in labels][-1] == "peak 0.2 = peak 0.5" and len(labels) == 5
    fig = frontier_figure(table, "t")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 5
    frame = ax.get_window_extent(renderer)
    for i, b in enumerate(boxes):
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1  # inside the axes: nothing cut at the edge
        assert not any(b.overlaps(o) for o in boxes[i + 1 :])
