"""Uniform-price double auction (merit order) for one interval.

Supply offers (``id``, ``price_per_mwh``, ``quantity_mw``: sell up to that much at that price or more)
and demand bids (buy up to that much at that price or less) are sorted into a supply curve (ascending
price) and a demand curve (descending price). Both curves are step functions of the quantity; between
consecutive breakpoints of either curve the marginal offer and bid prices are constant, so the welfare
(sum of bid minus offer price times quantity) grows as long as the marginal bid price is at least the
marginal offer price. The matched quantity is the end of the last such segment: the welfare-maximizing
quantity (the largest one, when a segment of zero surplus could be added or not).

Every price in the interval ``[price_low, price_high]`` clears that quantity: no accepted order would
rather not trade, no rejected order would rather trade. ``price_low`` is the larger of the last accepted
offer's price and the first rejected bid's; ``price_high`` the smaller of the last accepted bid's price
and the first rejected offer's. **The clearing price is the midpoint of that interval** (where one end is
open, the finite end). The marginal order on the long side is accepted in part; ties at equal prices are
filled in the order given.

Everything is vectorised (one sort per side, cumulative sums, one merge of the breakpoints): 100,000
orders clear in a few milliseconds (``bench/bench_market.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.errors import InputError

#: Columns of an order book.
BOOK_COLUMNS = ("id", "price_per_mwh", "quantity_mw")


@dataclass(frozen=True)
class Clearing:
    """The result of clearing one interval.

    Attributes
    ----------
    price_per_mwh : float
        Clearing price, the midpoint of the clearing interval [EUR/MWh] (NaN with an empty side: a book
        with no orders, e.g. a CSV with only its header, or none of any quantity; the JSON then has
        ``price_per_mwh`` null and ``price_null_reason`` saying which side).
    price_low, price_high : float
        The interval of prices that clear ``matched_mw`` [EUR/MWh] (may be infinite at one end).
    matched_mw : float
        Matched quantity [MW].
    unmatched_supply_mw, unmatched_demand_mw : float
        Offered and bid quantity left over [MW].
    welfare_per_h : float
        Sum of (bid price - offer price) over matched quantity [EUR/h].
    offers_accepted_mw, bids_accepted_mw : np.ndarray
        Accepted quantity of each order, in the order given [MW].
    """

    price_per_mwh: float
    price_low: float
    price_high: float
    matched_mw: float
    unmatched_supply_mw: float
    unmatched_demand_mw: float
    welfare_per_h: float
    offers_accepted_mw: np.ndarray
    bids_accepted_mw: np.ndarray

    def to_dict(self) -> dict[str, object]:
        """JSON figures (prices [EUR/MWh], quantities [MW]); the price rule is stated."""

        def num(x: float, d: int) -> float | None:
            return round(float(x), d) + 0.0 if np.isfinite(x) else None

        out: dict[str, object] = {
            "price_per_mwh": num(self.price_per_mwh, 4),
            "price_interval_per_mwh": [num(self.price_low, 4), num(self.price_high, 4)],
            "price_rule": "midpoint of the clearing price interval",
            "matched_mw": round(self.matched_mw, 6),
            "unmatched_supply_mw": round(self.unmatched_supply_mw, 6),
            "unmatched_demand_mw": round(self.unmatched_demand_mw, 6),
            "welfare_eur_per_h": round(self.welfare_per_h, 4),
            "offers_accepted": int((self.offers_accepted_mw > 0).sum()),
            "bids_accepted": int((self.bids_accepted_mw > 0).sum()),
        }
        if not np.isfinite(self.price_per_mwh):
            out["price_null_reason"] = self.null_reason()
        return out

    def null_reason(self) -> str:
        """Why there is no clearing price: a side with no orders, or orders of no quantity."""
        sides = (
            ("offers", self.offers_accepted_mw, self.unmatched_supply_mw),
            ("bids", self.bids_accepted_mw, self.unmatched_demand_mw),
        )
        what = " and ".join(
            f"the {name} book has {'no orders' if not len(acc) else 'no quantity'}"
            for name, acc, left in sides
            if left <= 0
        )
        return f"no price: {what}; nothing can clear"


def check_book(book: pd.DataFrame, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Prices [EUR/MWh] and quantities [MW] of an order book, checked.

    Raises
    ------
    InputError
        A missing column, a price or quantity that is not a finite number, a negative quantity (naming the
        row and the order id).
    """
    for col in ("price_per_mwh", "quantity_mw"):
        if col not in book.columns:
            raise InputError(f"{side}: no column {col}", field=col)
    price = pd.to_numeric(book["price_per_mwh"], errors="coerce").to_numpy(dtype=float)
    qty = pd.to_numeric(book["quantity_mw"], errors="coerce").to_numpy(dtype=float)
    ids = book["id"].astype(str).to_numpy() if "id" in book.columns else np.arange(len(book)).astype(str)
    for col, values in (("price_per_mwh", price), ("quantity_mw", qty)):
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            r = int(bad[0])
            raise InputError(
                f"{side}.{col}: not a number at row {r} (id {ids[r]})", field=col, row=r, element=ids[r]
            )
    bad = np.flatnonzero(qty < 0)
    if len(bad):
        r = int(bad[0])
        raise InputError(
            f"{side}.quantity_mw: {qty[r]} MW below 0 at row {r} (id {ids[r]})",
            field="quantity_mw",
            row=r,
            element=ids[r],
        )
    return price, qty


def clear(offers: pd.DataFrame, bids: pd.DataFrame) -> Clearing:
    """Clear one interval by a uniform-price double auction (module docstring).

    Parameters
    ----------
    offers : pd.DataFrame
        Supply: ``id``, ``price_per_mwh`` [EUR/MWh], ``quantity_mw`` [MW].
    bids : pd.DataFrame
        Demand: the same columns.

    Returns
    -------
    Clearing
    """
    po, qo = check_book(offers, "offers")
    pb, qb = check_book(bids, "bids")
    so = np.argsort(po, kind="stable")
    sb = np.argsort(-pb, kind="stable")
    cum_o = np.cumsum(qo[so])
    cum_b = np.cumsum(qb[sb])
    total_o = float(cum_o[-1]) if len(cum_o) else 0.0
    total_b = float(cum_b[-1]) if len(cum_b) else 0.0
    empty = Clearing(np.nan, np.nan, np.nan, 0.0, total_o, total_b, 0.0, np.zeros(len(po)), np.zeros(len(pb)))
    if total_o <= 0 or total_b <= 0:
        return empty
    # breakpoints of both step curves; segment k is (q[k-1], q[k]]
    q = np.unique(np.concatenate([cum_o, cum_b]))
    q = q[(q > 0) & (q <= min(total_o, total_b))]
    offer_price = po[so][np.searchsorted(cum_o, q, side="left")]
    bid_price = pb[sb][np.searchsorted(cum_b, q, side="left")]
    surplus = bid_price - offer_price
    ok = surplus >= 0
    n_acc = int(np.argmin(ok)) if not ok.all() else len(q)  # surplus falls along q: a prefix is accepted
    matched = float(q[n_acc - 1]) if n_acc else 0.0
    lengths = np.diff(np.concatenate([[0.0], q[:n_acc]]))
    welfare = float((surplus[:n_acc] * lengths).sum())
    # marginal prices on both sides of the matched quantity
    i_o = int(np.searchsorted(cum_o, matched, side="right"))  # first offer not wholly accepted
    i_b = int(np.searchsorted(cum_b, matched, side="right"))
    last_offer = po[so][min(np.searchsorted(cum_o, matched, side="left"), len(so) - 1)] if n_acc else -np.inf
    last_bid = pb[sb][min(np.searchsorted(cum_b, matched, side="left"), len(sb) - 1)] if n_acc else np.inf
    next_offer = po[so][i_o] if i_o < len(so) else np.inf
    next_bid = pb[sb][i_b] if i_b < len(sb) else -np.inf
    low = max(last_offer, next_bid)
    high = min(last_bid, next_offer)
    if np.isfinite(low) and np.isfinite(high):
        price = 0.5 * (low + high)
    else:
        price = low if np.isfinite(low) else high
    acc_o = np.zeros(len(po))
    acc_o[so] = np.diff(np.concatenate([[0.0], np.minimum(cum_o, matched)]))
    acc_b = np.zeros(len(pb))
    acc_b[sb] = np.diff(np.concatenate([[0.0], np.minimum(cum_b, matched)]))
    return Clearing(
        price_per_mwh=float(price),
        price_low=float(low),
        price_high=float(high),
        matched_mw=matched,
        unmatched_supply_mw=total_o - matched,
        unmatched_demand_mw=total_b - matched,
        welfare_per_h=welfare,
        offers_accepted_mw=acc_o,
        bids_accepted_mw=acc_b,
    )


def read_book(path: str | Path, side: str) -> pd.DataFrame:
    """An order book from a CSV with columns ``id, price_per_mwh, quantity_mw``.

    Raises
    ------
    InputError
        The file cannot be read as a table, a column is missing or holds a bad value, or an order id is
        empty or given twice (row named).

    Notes
    -----
    Blanks around the header names and the values (``id, price_per_mwh, quantity_mw``) are ignored.
    """
    try:
        book = pd.read_csv(path, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"--{side} {path}: cannot be read as CSV ({exc})", field=f"--{side}") from exc
    book.columns = [str(c).strip() for c in book.columns]
    missing = [c for c in BOOK_COLUMNS if c not in book.columns]
    if missing:
        raise InputError(f"--{side} {path}: no column {', '.join(missing)}", field=missing[0])
    ids = book["id"].astype("string").str.strip()
    empty = np.flatnonzero((ids.isna() | (ids == "")).to_numpy())
    if len(empty):
        r = int(empty[0])
        raise InputError(f"{side}.id: empty at row {r}", field="id", row=r)
    again = np.flatnonzero(ids.duplicated().to_numpy())
    if len(again):
        r = int(again[0])
        raise InputError(
            f"{side}.id: {ids.iloc[r]!r} at row {r} is already the id of row "
            f"{int(np.flatnonzero((ids == ids.iloc[r]).to_numpy())[0])}",
            field="id",
            row=r,
            element=str(ids.iloc[r]),
        )
    book["id"] = ids.astype(str)
    check_book(book, side)
    return book
