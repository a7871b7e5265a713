"""Supply/demand matching with price signals: clearing, signals, consumer response, balance, what-if.

One module per concept: :mod:`~gridcore.market.clearing` (uniform-price double auction),
:mod:`~gridcore.market.books` (the grid's own order books), :mod:`~gridcore.market.signals` (TOU, CPP,
RTP), :mod:`~gridcore.market.response` (three response models), :mod:`~gridcore.market.fit` (the fitted
one), :mod:`~gridcore.market.limits` (physical limits), :mod:`~gridcore.market.metrics`,
:mod:`~gridcore.market.optimize` (OR-Tools), :mod:`~gridcore.market.objectives` (weights, frontier),
:mod:`~gridcore.market.locational` (DLMP), :mod:`~gridcore.market.balance` (remedy order),
:mod:`~gridcore.market.horizon`, :mod:`~gridcore.market.whatif`, :mod:`~gridcore.market.store`.
"""

from gridcore.market.balance import REMEDIES, BalanceResult, balance
from gridcore.market.clearing import Clearing, clear, read_book
from gridcore.market.response import CLASSES, FLAT_PER_KWH, Response, respond
from gridcore.market.signals import SCHEMES, PriceSignal, price_signal

__all__ = [
    "CLASSES",
    "FLAT_PER_KWH",
    "REMEDIES",
    "SCHEMES",
    "BalanceResult",
    "Clearing",
    "PriceSignal",
    "Response",
    "balance",
    "clear",
    "price_signal",
    "read_book",
    "respond",
]
