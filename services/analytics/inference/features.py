"""The model's features, shared by training and serving so both see the same inputs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Returns a caller sends per prediction: the last WINDOW trade-to-trade log returns.
WINDOW = 20
# Returns the target covers: realised volatility of the next HORIZON returns.
HORIZON = 10


def features(returns: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Rows of WINDOW returns -> the model's input: absolute returns as float32.

    Realised volatility is a function of the returns' magnitude, not their sign, so a
    linear model on |r| fits it where one on r could not.
    """
    rows = np.asarray(returns, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != WINDOW:
        raise ValueError(f"expected rows of {WINDOW} returns, got shape {rows.shape}")
    return np.abs(rows).astype(np.float32)
