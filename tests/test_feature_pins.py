"""A trained model stores the feature version it was trained on: the numbers of a version must never change.

The pinned values were written by this version's code. A failure here means a change altered the features (or
the rule measures) of hands that models and rule thresholds were tuned on: undo it, or bump FEATURE_VERSION /
TRAJECTORY_VERSION (hand shapes / trajectories) and write the pins again with
``python -c "from tests.test_feature_pins import write_pins; write_pins()"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from handpose.gestures import FEATURE_VERSION, TRAJECTORY_VERSION, batch_features, trajectory_features
from handpose.gestures.rules import MEASURES, measure_table

from .handbuilder import EXAMPLES

PINS = Path(__file__).parent / "fixtures" / f"feature_pins_v{FEATURE_VERSION}_t{TRAJECTORY_VERSION}.npz"


def _hands() -> tuple[np.ndarray, list[str | None]]:
    """Every hand-made gesture as a right hand in 3D, mirrored as a left one, and flat (2D, side unknown)."""
    right = np.stack(list(EXAMPLES.values())).astype(np.float64)
    left = right.copy()
    left[:, :, 0] = 640.0 - left[:, :, 0]
    n = len(right)
    return np.concatenate([right, left, right]), ["right"] * n + ["left"] * n + [None] * n


def _trajectories() -> np.ndarray:
    """16-point trajectories: a circle, a swipe, a still hand with jitter, and swipes with a lost hand's jump and a
    tracker's glitch."""
    t = np.linspace(0.0, 2.0 * np.pi, 16)
    circle = 0.1 * np.stack([np.cos(t) - 1.0, np.sin(t)], 1)
    swipe = np.stack([np.linspace(0.0, 0.4, 16), np.linspace(0.0, 0.05, 16)], 1)
    still = 0.002 * np.stack([np.sin(3.0 * t), np.cos(5.0 * t)], 1)
    lost = swipe.copy()
    lost[7] = -0.5  # the (0, 0) a recorder logs for a frame without a hand, relative to the first point
    glitch = swipe.copy()
    glitch[9, 1] += 0.25
    return np.stack([circle, swipe, still, lost, glitch])


def _computed() -> dict[str, np.ndarray]:
    k, sides = _hands()
    flat = k.copy()
    flat[2 * len(EXAMPLES):, :, 2] = 0.0
    return {"hand": batch_features(flat, sides), "measures": measure_table(flat, sides),
            "trajectory": np.stack([trajectory_features(p) for p in _trajectories()])}


def write_pins() -> None:
    np.savez_compressed(PINS, **_computed())


def test_features_and_rule_measures_keep_their_versions_numbers() -> None:
    pinned = np.load(PINS)
    now = _computed()
    assert now["measures"].shape[1] == len(MEASURES)
    for name, what in (("hand", "hand-shape features"), ("measures", "rule measures"),
                       ("trajectory", "trajectory features")):
        assert now[name].shape == pinned[name].shape, name
        worst = np.unravel_index(np.argmax(np.abs(now[name] - pinned[name])), now[name].shape)
        assert np.allclose(now[name], pinned[name], rtol=1e-5, atol=1e-5), (
            f"{what} changed (first at row, column {worst}: {pinned[name][worst]} -> {now[name][worst]}); "
            "see this module's docstring")
