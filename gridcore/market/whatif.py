"""What-if: a price signal on a horizon's forecast, the consumers' response, and its effectiveness.

:func:`whatif` builds the signal from the forecast net load (:func:`gridcore.market.signals.price_signal`,
feeder limits included), applies a response model (:func:`gridcore.market.response.respond`) to every
load point with its classes, and measures the result (:func:`gridcore.market.metrics.effectiveness`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcore.market.inputs import MarketInputs
from gridcore.market.metrics import effectiveness
from gridcore.market.response import Response, respond
from gridcore.market.signals import PriceSignal, price_signal


@dataclass(frozen=True)
class WhatIf:
    """A signal, the response to it and its metrics.

    Attributes
    ----------
    inputs : MarketInputs
    signal : PriceSignal
    response : Response
    metrics : dict
        :func:`gridcore.market.metrics.effectiveness`.
    """

    inputs: MarketInputs
    signal: PriceSignal
    response: Response

    @property
    def metrics(self) -> dict[str, object]:
        """The effectiveness metrics."""
        return effectiveness(
            self.response, self.signal, self.inputs.renewables_mw.to_numpy(), self.inputs.capacity_mw
        )

    def to_dict(self) -> dict[str, object]:
        """JSON figures: issue, horizon, grid, sources, the metrics and the signal."""
        return {
            "at": f"{self.inputs.times[0]:%Y-%m-%dT%H:%MZ}",
            "horizon_h": len(self.inputs.times),
            "grid": self.inputs.grid.code,
            "source": self.inputs.source,
            **self.metrics,
            "signal": self.signal.to_dict(),
        }


def signal_for(inputs: MarketInputs, scheme: str, **kwargs: object) -> PriceSignal:
    """The price signal of ``scheme`` on the forecast net load of ``inputs`` (feeder limits included)."""
    return price_signal(
        inputs.net_load_mw,
        scheme,
        demand_mw=inputs.demand_mw,
        feeder_net_mw=inputs.feeder_net_mw(),
        feeder_limit_mw=inputs.feeder_limit_mw,
        capacity_mw=inputs.capacity_mw,
        **kwargs,  # type: ignore[arg-type]
    )


def respond_to(inputs: MarketInputs, signal: PriceSignal, model: str = "saturating") -> Response:
    """The response of every load point of ``inputs`` to ``signal``."""
    price = np.asarray(signal.price_per_kwh, dtype=float)
    return respond(
        inputs.load_mw,
        price,
        inputs.times,
        model=model,
        class_shares=inputs.class_shares,
        reference_per_kwh=signal.flat_per_kwh,
        salience=signal.salience,
    )


def whatif(inputs: MarketInputs, scheme: str, model: str = "saturating", **kwargs: object) -> WhatIf:
    """Simulate a pricing scheme over the horizon of ``inputs``.

    Parameters
    ----------
    inputs : MarketInputs
    scheme : str
        ``flat``, ``tou``, ``cpp`` or ``rtp``.
    model : str
        Response model (``saturating``, ``elasticity``, ``fitted``).
    **kwargs
        Signal parameters (``peak_price_per_kwh``, ``event_hours``, ...; see
        :func:`gridcore.market.signals.price_signal`).

    Returns
    -------
    WhatIf
    """
    signal = signal_for(inputs, scheme, **kwargs)
    return WhatIf(inputs, signal, respond_to(inputs, signal, model))
