"""Effectiveness metrics of a pricing strategy: what a price signal and the response to it achieved.

All from the demand before and after the response, the signal and the renewables (per hour, [MW] over
1-hour steps, so energies are sums [MWh]):

``peak_reduction_pct``
    load taken off in the signal's peak hours (CPP events, the TOU peak period, RTP alerts), over the
    baseline in those hours: how the pilots measure it [%];
``system_peak_reduction_pct``, ``net_peak_reduction_pct``
    change of the horizon's largest demand and largest net load (demand minus renewables) [%];
``peak_to_average``
    largest over mean demand after the response (``peak_to_average_before`` before) [-];
``shifted_mwh``
    energy added in hours where load rose (load moved there) [MWh]; ``curtailed_mwh`` energy taken off
    where it fell;
``rebound_peak_mw``
    largest rise above the baseline in any hour outside the peak hours (the snap-back) [MW];
``renewable_absorbed_mwh``
    extra renewable energy used locally: ``sum(min(after, ren)) - sum(min(before, ren))`` [MWh];
``bill_change_pct``
    per customer class, the bill at the signal's prices on the load after, against the flat tariff on the
    baseline [%]; ``revenue_change_pct`` the same for the retailer's revenue over all classes;
``supply_cost_change_pct``
    cost of the net import at the upstream merit order (:data:`gridcore.market.books.IMPORT_TRANCHES`)
    after against before [%].
"""

from __future__ import annotations

import numpy as np

from gridcore.market.books import IMPORT_TRANCHES
from gridcore.market.response import CLASSES, Response
from gridcore.market.signals import PriceSignal


def _pct(after: float, before: float) -> float:
    """``100 * (after / before - 1)`` (0 when ``before`` is 0) [%]."""
    return 100.0 * (after / before - 1.0) if abs(before) > 1e-12 else 0.0


def supply_cost_eur(net_mw: np.ndarray, capacity_mw: float) -> float:
    """Cost of the net import over the hours at the upstream merit order [EUR] (exports earn nothing)."""
    imp = np.maximum(np.asarray(net_mw, dtype=float), 0.0)
    size = max(capacity_mw, float(imp.max(initial=0.0)), 1e-9) / len(IMPORT_TRANCHES)
    cost = np.zeros_like(imp)
    left = imp.copy()
    for price in IMPORT_TRANCHES:
        take = np.minimum(left, size)
        cost += take * price
        left -= take
    cost += left * IMPORT_TRANCHES[-1]
    return float(cost.sum())


def bills(response: Response, price_per_kwh: np.ndarray, flat_per_kwh: float) -> dict[str, float]:
    """Bill change per class [%]: signal prices on the load after vs the flat tariff on the baseline.

    Parameters
    ----------
    response : Response
    price_per_kwh : np.ndarray
        (time,) price [EUR/kWh].
    flat_per_kwh : float
        Flat tariff [EUR/kWh].

    Returns
    -------
    dict of str to float
    """
    price = np.asarray(price_per_kwh, dtype=float).reshape(len(response.times), -1)[:, 0]
    after = (response.class_after_mw * price[:, None]).sum(axis=0)
    before = response.class_before_mw.sum(axis=0) * flat_per_kwh
    return {c: round(_pct(float(after[i]), float(before[i])), 4) for i, c in enumerate(CLASSES)}


def effectiveness(
    response: Response,
    signal: PriceSignal,
    renewables_mw: np.ndarray,
    capacity_mw: float = float("nan"),
) -> dict[str, object]:
    """The metrics of the module docstring for one signal and its response.

    Parameters
    ----------
    response : Response
    signal : PriceSignal
    renewables_mw : np.ndarray
        (time,) renewable generation [MW].
    capacity_mw : float
        Substation rating for the supply cost [MW] (the largest net import when NaN).

    Returns
    -------
    dict
    """
    before = response.system_before_mw
    after = response.system_after_mw
    ren = np.asarray(renewables_mw, dtype=float)
    peak = np.asarray(signal.peak_hours, dtype=bool)
    if not peak.any():
        peak = before == before.max()
    delta = after - before
    price = np.asarray(signal.price_per_kwh, dtype=float)
    cap = capacity_mw if np.isfinite(capacity_mw) else float(np.max(before - ren, initial=0.0))
    bill = bills(response, price, signal.flat_per_kwh)
    revenue = float((response.class_after_mw.sum(axis=1) * price.reshape(len(before), -1)[:, 0]).sum())
    outside = ~peak
    return {
        "scheme": signal.scheme,
        "model": response.model,
        "peak_hours": int(signal.peak_hours.sum()),
        "peak_reduction_pct": round(-_pct(float(after[peak].sum()), float(before[peak].sum())), 4),
        "system_peak_reduction_pct": round(-_pct(float(after.max()), float(before.max())), 4),
        "net_peak_reduction_pct": round(-_pct(float((after - ren).max()), float((before - ren).max())), 4),
        "peak_mw_before": round(float(before.max()), 6),
        "peak_mw_after": round(float(after.max()), 6),
        "peak_to_average": round(float(after.max() / after.mean()), 6) if after.mean() > 0 else None,
        "peak_to_average_before": round(float(before.max() / before.mean()), 6)
        if before.mean() > 0
        else None,
        "shifted_mwh": round(float(np.maximum(delta, 0.0).sum()), 6),
        "curtailed_mwh": round(float(np.maximum(-delta, 0.0).sum()), 6),
        "energy_change_mwh": round(float(delta.sum()), 6),
        "rebound_peak_mw": round(float(np.max(delta[outside], initial=0.0)), 6),
        "rebound_mwh": round(float(response.rebound_mw.sum()), 6),
        "renewable_absorbed_mwh": round(
            float(np.minimum(after, ren).sum() - np.minimum(before, ren).sum()), 6
        ),
        "bill_change_pct": bill,
        "revenue_change_pct": round(_pct(revenue, float(before.sum()) * signal.flat_per_kwh), 4),
        "supply_cost_change_pct": round(
            _pct(supply_cost_eur(after - ren, cap), supply_cost_eur(before - ren, cap)), 4
        ),
    }


def bill_impact_pct(bill_change_pct: dict[str, float]) -> float:
    """Bill impact of a signal: the largest absolute bill change over the responsive classes [%]."""
    values = [abs(v) for c, v in bill_change_pct.items() if c != "critical"]
    return float(max(values, default=0.0))


def no_negative_zero(value: object) -> object:
    """``value`` with every float -0.0 (a rounded tiny negative) written 0.0, through dicts and lists."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, dict):
        return {k: no_negative_zero(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [no_negative_zero(v) for v in value]
    return value
