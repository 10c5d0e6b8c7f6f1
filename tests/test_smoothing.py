"""One-Euro filter: removes jitter when still, follows fast motion with the lag its parameters imply."""

from __future__ import annotations

import numpy as np
import pytest

from handpose.errors import HandposeError
from handpose.smoothing import OneEuroFilter, OneEuroParams


def test_still_hand_jitter_is_reduced() -> None:
    rng = np.random.default_rng(0)
    f = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=10.0))
    truth = np.full((21, 3), 100.0, np.float32)
    raw, out = [], []
    for i in range(200):
        x = truth + rng.normal(0, 1.5, truth.shape).astype(np.float32)
        raw.append(x)
        out.append(f(x, i * 33.3, scale=150.0))
    raw_err = np.abs(np.array(raw[50:]) - truth).mean()
    out_err = np.abs(np.array(out[50:]) - truth).mean()
    assert out_err < raw_err / 2


def test_fast_motion_lag_is_bounded_by_the_parameters() -> None:
    # A hand sweeping 2 hand-sizes per second: the cutoff rises to min_cutoff + beta * 2 = 21 Hz.
    p = OneEuroParams(min_cutoff=1.0, beta=10.0, d_cutoff=1.0)
    f = OneEuroFilter(p)
    size, speed = 150.0, 300.0  # px, px/s
    dt = 1 / 30
    lag = 0.0
    for i in range(90):
        t = i * dt
        y = f(np.array([speed * t], np.float32), t * 1000, scale=size)
        lag = speed * t - float(y[0])
    # steady-state lag of a first-order low-pass on a ramp is speed * tau (+ one frame of discretization)
    cutoff = p.min_cutoff + p.beta * speed / size
    tau = 1 / (2 * np.pi * cutoff)
    assert 0 < lag <= speed * (tau + dt) * 1.05
    # ... while a fixed 1 Hz low-pass (beta=0) lags far behind
    g = OneEuroFilter(OneEuroParams(1.0, 0.0))
    for i in range(90):
        y0 = g(np.array([speed * i * dt], np.float32), i * dt * 1000, scale=size)
    assert speed * 89 * dt - float(y0[0]) > 5 * lag


def test_timestamps_drive_the_filter() -> None:
    f = OneEuroFilter()
    first = f(np.array([0.0]), 0.0)
    assert first[0] == 0.0
    # A repeated timestamp carries no time: the output does not move.
    assert f(np.array([10.0]), 0.0)[0] == 0.0
    # The same step after a long gap is followed more closely than after a short one.
    a, b = OneEuroFilter(OneEuroParams(beta=0.0)), OneEuroFilter(OneEuroParams(beta=0.0))
    a(np.array([0.0]), 0.0)
    b(np.array([0.0]), 0.0)
    assert a(np.array([10.0]), 500.0)[0] > b(np.array([10.0]), 10.0)[0]


@pytest.mark.parametrize("bad", [{"min_cutoff": 0}, {"min_cutoff": -1}, {"beta": -5}, {"d_cutoff": 0}])
def test_parameters_that_would_not_filter_are_refused(bad) -> None:
    with pytest.raises(HandposeError, match=f"OneEuroParams need .*{next(iter(bad))}={bad[next(iter(bad))]}"):
        OneEuroParams(**bad)


def test_stability_measures_recover_known_jitter_and_delay() -> None:
    from handpose.stability import jitter, lag, noisy_copies, palm_size

    rng = np.random.default_rng(0)
    hand = rng.normal(0, 40, (21, 2))
    still = hand + rng.normal(0, 0.5, (400, 21, 2))  # 0.5 px per axis: 0.71 px from the mean in 2D
    j = jitter(still)
    assert abs(j["rms_px"] - 0.5 * np.sqrt(2)) < 0.02 and abs(j["step_px"] - 0.5 * np.sqrt(np.pi)) < 0.03
    t = np.arange(150) / 25.0

    def moving(tt: np.ndarray) -> np.ndarray:
        return hand + np.stack([120 * np.sin(np.pi * tt), 80 * np.cos(0.6 * np.pi * tt)], -1)[:, None, :]

    got = lag(moving(t), moving(t - 0.052), fps=25.0)  # 52 ms = 1.3 frames behind
    assert abs(got["lag_ms"] - 52) <= 2 and got["aligned_px"] < 0.2 < 5 < got["offset_px"]
    assert lag(moving(t), moving(t), 25.0) == {"lag_ms": 0.0, "offset_px": 0.0, "aligned_px": 0.0}
    with pytest.raises(HandposeError, match="at least 12 frames"):
        lag(moving(t[:8]), moving(t[:8]), 25.0)
    with pytest.raises(HandposeError, match=r"jitter needs keypoints \(T >= 2, 21, 2\+\)"):
        jitter(still[:1])
    image = np.full((40, 50, 3), 128, np.uint8)
    a, b = noisy_copies(image, 2, sigma=4.0)
    assert a.dtype == np.uint8 and 3.5 < float((a.astype(float) - 128).std()) < 4.5 and not np.array_equal(a, b)
    assert np.array_equal(noisy_copies(image, 1, seed=3)[0], noisy_copies(image, 1, seed=3)[0])
    assert palm_size(np.repeat(hand[None], 3, 0)) == pytest.approx(np.linalg.norm(hand[9] - hand[0]))
