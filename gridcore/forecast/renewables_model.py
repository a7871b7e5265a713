"""The LightGBM model of the renewable forecasters (solar, wind and the grid's generators).

:class:`gridcore.forecast.models.GradientBoosted` (LightGBM, one thread) fitted through :func:`fit_gbm`; the
demand-specific terms of that model (level, temperature extrapolation) are neutral here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.forecast.models import GradientBoosted

#: LightGBM settings of the renewable models (one thread: see GradientBoosted).
RENEWABLE_MODEL = {"n_estimators": 250, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 40}


def fit_gbm(
    features: pd.DataFrame, target: np.ndarray, params: dict[str, object] | None = None
) -> GradientBoosted:
    """Fit :class:`GradientBoosted` on a feature frame and a target (no level, no temperature term).

    Parameters
    ----------
    features : pd.DataFrame
        Numeric features (NaN allowed).
    target : np.ndarray
        Target per row (normalised power or clear-sky index) [-].
    params : dict, optional
        Settings overriding :data:`RENEWABLE_MODEL`.

    Returns
    -------
    GradientBoosted
    """
    rows = features.reset_index(drop=True).assign(y=np.asarray(target, dtype=float), level=1.0, temp=0.0)
    model = GradientBoosted(features=list(features.columns), **{**RENEWABLE_MODEL, **(params or {})})
    return model.fit(rows)


def predict_gbm(model: GradientBoosted, features: pd.DataFrame) -> np.ndarray:
    """Predictions of a model from :func:`fit_gbm` [unit of its target]."""
    return np.asarray(model.predict(features.reset_index(drop=True).assign(level=1.0, temp=0.0)), dtype=float)
