"""Hand-shape features from 21 keypoints: invariant to translation, scale and in-plane rotation; left hands
mirrored to a canonical right hand. Versioned: a trained model refuses features of another version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HandposeError

FEATURE_VERSION = 1
FINGERS = {"thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16),
           "pinky": (17, 18, 19, 20)}
TIPS = (4, 8, 12, 16, 20)
_PAIRS = np.array([(i, j) for i in range(21) for j in range(i + 1, 21)])


def canonical(keypoints: np.ndarray, handedness: str | None = "right", rotate: bool = True) -> np.ndarray:
    """(21, 2|3) keypoints -> wrist at the origin, palm length 1, wrist -> middle base pointing up (-y), and a
    left hand mirrored so that it looks like a right hand.

    With ``handedness=None`` (unknown, e.g. imported 2D data) the mirror is chosen from the hand itself: the
    thumb side is put on the right, which also makes the features blind to palm-or-back facing.
    """
    k = np.asarray(keypoints, np.float64)[:, :3].copy()
    if k.shape[1] == 2:
        k = np.concatenate([k, np.zeros((21, 1))], 1)
    if k.shape != (21, 3) or not np.all(np.isfinite(k)):
        raise HandposeError(f"expected 21 finite keypoints, got shape {np.shape(keypoints)}")
    k -= k[0]
    if handedness == "left":
        k[:, 0] = -k[:, 0]
    palm = float(np.linalg.norm(k[9, :2]))
    if palm < 1e-9:
        palm = float(np.linalg.norm(k, axis=1).max()) or 1.0
    k /= palm
    if rotate:
        a = np.arctan2(k[9, 0], -k[9, 1])  # angle of the wrist -> middle-base direction from "up"
        c, s = np.cos(a), np.sin(a)
        x, y = k[:, 0].copy(), k[:, 1].copy()
        k[:, 0], k[:, 1] = c * x + s * y, -s * x + c * y
    if handedness is None and rotate and k[1:5, 0].mean() < k[17:21, 0].mean():
        k[:, 0] = -k[:, 0]
    return k


def _unit(v: float) -> float:
    """Clamp to [0, 1] (plain floats: np.clip is slow on scalars)."""
    return 0.0 if v < 0.0 else (1.0 if v > 1.0 else float(v))


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (radians) between vectors a and b along the last axis."""
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    cos = np.sum(a * b, axis=-1) / np.maximum(na * nb, 1e-9)
    return np.arccos(np.clip(cos, -1.0, 1.0))


@dataclass
class FingerState:
    """Per finger: ``curl`` in [0, 1] (0 straight, 1 fully curled) and a discrete state."""

    curl: dict[str, float]
    state: dict[str, str]  # extended | bent | curled
    thumb_out: float  # 0..1: the thumb points away from the palm
    contacts: dict[str, float]  # e.g. "thumb-index": tip distance / palm length
    spread: dict[str, float]  # angle (degrees) between neighbouring fingers
    thumb_direction: float  # image angle of the thumb (degrees, 0 = right, 90 = up)
    hand_direction: float  # image angle of wrist -> middle base (degrees, 90 = up)


def finger_state(keypoints: np.ndarray, handedness: str | None = "right") -> FingerState:
    """Readable finger states, the basis of the rule vocabulary."""
    raw = np.asarray(keypoints, np.float64)
    k = canonical(raw, handedness)
    curl, state = {}, {}
    for name, (a, b, c, d) in FINGERS.items():
        chain = np.stack([k[0], k[a], k[b], k[c], k[d]])
        seg = np.diff(chain, axis=0)
        bends = _angle(seg[:-1], seg[1:])  # at the base, middle and end joints (radians)
        if name == "thumb":
            # the thumb's own bends (MCP, IP) are small even when it folds; mostly its tip position tells
            value = _unit((bends[1:].sum() - 0.5) / 1.5)
        else:
            # straight ~0.3 rad in total, a fist ~4 rad; and is the tip nearer the wrist than the middle joint?
            reach = float(np.linalg.norm(k[d])) / max(float(np.linalg.norm(k[b])), 1e-9)
            value = _unit(0.5 * _unit((bends.sum() - 0.7) / 2.2) + 0.5 * _unit((1.35 - reach) / 0.6))
        curl[name] = value
        state[name] = "extended" if value < 0.35 else ("curled" if value > 0.65 else "bent")
    # Thumb out: it points away from the palm's across direction (index base -> pinky base) instead of folding
    # along it (measured: folded 30-85 degrees, out 110-165), or it is straight with its tip on the thumb side
    # of the index base (an open hand with the thumb alongside the index). The tip's distance backs it up.
    across = float(np.degrees(_angle(k[4] - k[2], k[17] - k[5])))
    palm_centre = (k[0] + k[5] + k[9] + k[13] + k[17]) / 5
    tip_far = float(np.linalg.norm(k[4] - k[5]) + 0.5 * np.linalg.norm(k[4] - palm_centre))
    width = k[17, :2] - k[5, :2]
    over_palm = float(np.dot(k[4, :2] - k[5, :2], width) / max(np.dot(width, width), 1e-9))
    alongside = _unit((0.25 - over_palm) / 0.25) * _unit((0.4 - curl["thumb"]) / 0.2)
    pointing = 0.75 * _unit((across - 85) / 35) + 0.25 * _unit((tip_far - 0.6) / 0.5)
    thumb_out = _unit(max(pointing, alongside))
    contacts = {f"thumb-{n}": float(np.linalg.norm(k[4] - k[t])) for n, t in zip(
        ("index", "middle", "ring", "pinky"), TIPS[1:], strict=True)}
    contacts["index-middle"] = float(np.linalg.norm(k[8] - k[12]))
    spread = {}
    for (n1, f1), (n2, f2) in zip(list(FINGERS.items())[1:], list(FINGERS.items())[2:], strict=False):
        spread[f"{n1}-{n2}"] = float(np.degrees(_angle(k[f1[3], :2] - k[f1[0], :2], k[f2[3], :2] - k[f2[0], :2])))
    t = raw[4, :2] - raw[2, :2]
    h = raw[9, :2] - raw[0, :2]
    return FingerState(curl, state, thumb_out, contacts, spread,
                       float(np.degrees(np.arctan2(-t[1], t[0]))), float(np.degrees(np.arctan2(-h[1], h[0]))))


def hand_features(keypoints: np.ndarray, handedness: str | None = "right") -> np.ndarray:
    """The feature vector (float32) of one hand, version :data:`FEATURE_VERSION`.

    All pairwise distances of the canonical hand (210), joint bend angles (15), finger curls (5), thumb-out (1),
    thumb-tip contacts (4), neighbouring-finger spreads (3) and the in-plane direction of the hand (2). Raw
    canonical coordinates are left out on purpose: measured on recordings held out in time, they make a
    classifier learn the training sessions' viewpoints instead of the hand's shape.
    """
    k = canonical(keypoints, handedness)
    dist = np.linalg.norm(k[_PAIRS[:, 0]] - k[_PAIRS[:, 1]], axis=1)
    bends = []
    for a, b, c, d in FINGERS.values():
        chain = np.stack([k[0], k[a], k[b], k[c], k[d]])
        seg = np.diff(chain, axis=0)
        bends.append(_angle(seg[:-1], seg[1:]))
    fs = finger_state(keypoints, handedness)
    a = np.radians(fs.hand_direction)
    contacts = (fs.contacts[f"thumb-{n}"] for n in ("index", "middle", "ring", "pinky"))
    extra = [*fs.curl.values(), fs.thumb_out, *contacts,
             *(np.radians(v) for v in fs.spread.values()), np.cos(a), np.sin(a)]
    return np.concatenate([dist, np.concatenate(bends), extra]).astype(np.float32)


FEATURE_SIZE = 210 + 15 + 5 + 1 + 4 + 3 + 2


def batch_features(keypoints: np.ndarray, handedness: list[str | None] | None = None) -> np.ndarray:
    """Features (N, FEATURE_SIZE) of many hands."""
    hs = handedness or ["right"] * len(keypoints)
    if len(keypoints) == 0:
        return np.zeros((0, FEATURE_SIZE), np.float32)
    return np.stack([hand_features(k, h) for k, h in zip(keypoints, hs, strict=True)])
