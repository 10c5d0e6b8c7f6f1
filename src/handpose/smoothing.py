"""One-Euro filter (Casiez et al., CHI 2012): adaptive low-pass, little lag when moving, steady when still."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import HandposeError


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * np.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


@dataclass
class OneEuroParams:
    """``min_cutoff`` (Hz): smoothing when still; ``beta``: how fast the cutoff rises with speed (speed is measured
    in object sizes per second, so the same values suit near and far hands); ``d_cutoff`` (Hz): speed smoothing."""

    min_cutoff: float = 1.0
    beta: float = 10.0
    d_cutoff: float = 1.0

    def __post_init__(self) -> None:
        if not (self.min_cutoff > 0 and self.d_cutoff > 0 and self.beta >= 0):
            raise HandposeError(f"OneEuroParams need min_cutoff > 0, d_cutoff > 0 (Hz) and beta >= 0, got "
                                f"min_cutoff={self.min_cutoff}, beta={self.beta}, d_cutoff={self.d_cutoff}")


class OneEuroFilter:
    """Filters arrays of any shape element-wise, driven by timestamps (irregular frame rates are fine)."""

    def __init__(self, params: OneEuroParams | None = None):
        self.params = params or OneEuroParams()
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        """Forget the past: the next value passes unfiltered."""
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t_ms: float, scale: float = 1.0) -> np.ndarray:
        """Filter ``x`` observed at ``t_ms``; ``scale`` (e.g. the hand's size in px) normalizes the speed."""
        x = np.asarray(x, np.float32)
        if self._x is None or self._dx is None or self._t is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_ms
            return x.copy()
        if t_ms <= self._t:  # a repeated or older timestamp carries no new time information
            return self._x.copy()
        p = self.params
        dt = (t_ms - self._t) / 1000.0
        dx = (x - self._x) / dt
        a_d = _alpha(p.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = p.min_cutoff + p.beta * np.abs(self._dx) / max(scale, 1e-6)
        a = _alpha(cutoff, dt)
        self._x = (a * x + (1 - a) * self._x).astype(np.float32)
        self._t = t_ms
        return self._x.copy()
