"""The interface every demand model follows: ``fit(rows)``, ``predict(rows)`` -> load [MW].

Its own module so that the model families (:mod:`gridcore.forecast.models`,
:mod:`gridcore.forecast.statistical`) import it without importing each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class DemandModel:
    """A model over the design matrix: ``fit(rows)``, ``predict(rows)`` -> load [MW]."""

    name = "base"

    def fit(self, rows: pd.DataFrame) -> DemandModel:
        """Fit on design rows with known targets."""
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Point forecast [MW] for design rows."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Name and parameters, for reports."""
        return {"name": self.name}

    @property
    def uses_weather(self) -> bool:
        """Whether the model reads temperature features."""
        return False

    def without_weather(self) -> DemandModel:
        """The model for a load series without weather (load and calendar features only).

        A model that reads no weather returns itself; otherwise a new, unfitted model with the same
        settings and the temperature features left out.
        """
        return self
