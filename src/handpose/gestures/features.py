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
_PAIRS = np.array([(i, j) for i in range(21) for j in range(i + 1, 21)])


def canonical(keypoints: np.ndarray, handedness: str | None = "right", rotate: bool = True) -> np.ndarray:
    """(21, 2|3) keypoints -> wrist at the origin, palm length 1, wrist -> middle base pointing up (-y), and a
    left hand mirrored so that it looks like a right hand.

    With ``handedness=None`` (unknown, e.g. imported 2D data) the mirror is chosen from the hand itself: the
    thumb side is put on the right, which also makes the features blind to palm-or-back facing.
    """
    return canonical_batch(one_hand(keypoints), [handedness], rotate)[0]


def one_hand(keypoints: np.ndarray) -> np.ndarray:
    """One hand (21, 2|3) as a batch of one; the error names the hand's own shape, not the batch's."""
    if np.shape(keypoints)[:1] != (21,):
        raise HandposeError(f"expected 21 finite keypoints, got shape {np.shape(keypoints)}")
    return np.asarray(keypoints)[None]


def canonical_batch(keypoints: np.ndarray, handedness: list[str | None] | None = None, rotate: bool = True
                    ) -> np.ndarray:
    """:func:`canonical` of many hands (N, 21, 2|3) at once; handedness defaults to right."""
    k = np.asarray(keypoints, np.float64)
    if k.ndim != 3 or k.shape[1] != 21 or k.shape[2] < 2:
        raise HandposeError(f"expected 21 keypoints per hand (N, 21, 2|3), got shape {np.shape(keypoints)}")
    k = k[:, :, :3]
    if not np.all(np.isfinite(k)):
        bad = np.flatnonzero(~np.isfinite(k).all((1, 2)))
        raise HandposeError(f"expected 21 finite keypoints per hand; hand {int(bad[0])} has NaN or infinite values")
    if k.shape[2] == 2:
        k = np.concatenate([k, np.zeros((*k.shape[:2], 1))], 2)
    k = k - k[:, :1]
    sides = handedness if handedness is not None else ["right"] * len(k)
    if len(sides) != len(k):
        raise HandposeError(f"{len(k)} hands but {len(sides)} handedness values")
    left = np.array([h == "left" for h in sides], bool)
    if left.any():
        k[left, :, 0] *= -1.0
    palm = _norm(k[:, 9, :2])
    tiny = palm < 1e-9
    if tiny.any():  # a degenerate hand: scale by its farthest point instead (or leave it)
        far = _norm(k[tiny]).max(1)
        palm[tiny] = np.where(far > 0, far, 1.0)
    k /= palm[:, None, None]
    if rotate:
        a = np.arctan2(k[:, 9, 0], -k[:, 9, 1])  # angle of the wrist -> middle-base direction from "up"
        c, s = np.cos(a)[:, None], np.sin(a)[:, None]
        x, y = k[:, :, 0].copy(), k[:, :, 1].copy()
        k[:, :, 0], k[:, :, 1] = c * x + s * y, -s * x + c * y
        unknown = np.array([h is None for h in sides], bool)
        if unknown.any():
            flip = unknown & (k[:, 1:5, 0].sum(1) < k[:, 17:21, 0].sum(1))  # thumb side left of the pinky side
            k[flip, :, 0] *= -1
    return k


def has_depth(keypoints: np.ndarray) -> np.ndarray:
    """Per hand (N, 21, 2|3): does it carry depth? Imported 2D rows have none (z is 0 throughout)."""
    k = np.asarray(keypoints)
    if k.ndim != 3 or k.shape[2] < 3:
        return np.zeros(len(k), bool)
    return np.any(k[:, :, 2] != 0, 1)


def _norm(v: np.ndarray) -> np.ndarray:
    """Euclidean length along the last axis: np.linalg.norm's result without its per-call overhead."""
    return np.sqrt((v * v).sum(-1))


def _unit(v: np.ndarray) -> np.ndarray:
    # minimum(maximum()) rather than np.clip: the same values, a third of the overhead on a frame's few hands
    return np.minimum(np.maximum(v, 0.0), 1.0)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (radians) between vectors a and b along the last axis."""
    na, nb = _norm(a), _norm(b)
    cos = (a * b).sum(-1) / np.maximum(na * nb, 1e-9)
    return np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0))


_NAMES = tuple(FINGERS)
_CHAINS = np.array([(0, *chain) for chain in FINGERS.values()])  # (5 fingers, wrist + 4 joints)
_OTHERS = ("index", "middle", "ring", "pinky")


def _vector_pairs(pairs: list[tuple[tuple[int, int], tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """Keypoint indices (starts, ends) of the vectors a0 -> a1 of every pair, then b0 -> b1 of every pair."""
    vectors = [a for a, _ in pairs] + [b for _, b in pairs]
    return np.array([v[0] for v in vectors]), np.array([v[1] for v in vectors])


# Every angle of the measures, as pairs of keypoint vectors, measured in one go (a hand's few dozen NumPy calls
# cost more than their arithmetic): the 15 joint bends (base, middle, end joint of each finger, thumb first), the
# thumb against the palm's across direction (index base -> pinky base), then in the image plane only the 3
# neighbouring-finger spreads (base -> tip) and the thumb (MCP -> tip) against the index finger (base -> tip).
_SPACE_ANGLES = ([((c[j], c[j + 1]), (c[j + 1], c[j + 2])) for c in _CHAINS.tolist() for j in range(3)]
                 + [((2, 4), (5, 17))])
_IMAGE_ANGLES = ([((a[1], a[4]), (b[1], b[4])) for a, b in zip(_CHAINS[1:4].tolist(), _CHAINS[2:5].tolist(),
                                                                strict=True)]
                 + [((2, 4), (5, 8))])
_ANGLES = _SPACE_ANGLES + _IMAGE_ANGLES
_ANGLE_FROM, _ANGLE_TO = _vector_pairs(_ANGLES)
_IN_IMAGE = np.flatnonzero(np.tile(np.arange(len(_ANGLES)) >= len(_SPACE_ANGLES), 2))  # their vectors' depth is 0
# Every distance: fingertips and middle joints (PIP) of the 4 fingers from the wrist, thumb tip from the index
# base, then the 5 contacts (thumb tip to the other tips, index tip to middle tip).
_DIST_FROM = np.array([0] * 8 + [5, 4, 4, 4, 4, 8])
_DIST_TO = np.array([*_CHAINS[1:, 4], *_CHAINS[1:, 2], 4, 8, 12, 16, 20, 12])
# Image directions (start -> end): thumb (MCP -> tip), hand (wrist -> middle base), index (base -> tip).
_DIRECTIONS = np.array([(2, 4), (0, 9), (5, 8)])


def _directions(raw: np.ndarray) -> np.ndarray:
    """Image angles (N, 3; degrees, 0 = right, 90 = up) of the thumb, the hand and the index finger."""
    v = raw[:, _DIRECTIONS[:, 1], :2] - raw[:, _DIRECTIONS[:, 0], :2]
    return np.degrees(np.arctan2(-v[..., 1], v[..., 0]))


def _shape(k: np.ndarray) -> dict[str, np.ndarray]:
    """Finger measurements of canonical hands (N, 21, 3): bends (N, 5, 3), the values of :class:`FingerState` and
    ``thumb_index_angle`` (unsigned image angles do not change with the canonical turn, mirror and scale)."""
    v = k[:, _ANGLE_TO] - k[:, _ANGLE_FROM]
    v[:, _IN_IMAGE, 2] = 0.0
    half = len(_ANGLES)
    angles = _angle(v[:, :half], v[:, half:])
    bends = angles[:, :15].reshape(-1, 5, 3)  # at the base, middle and end joints (radians)
    d = _norm(k[:, _DIST_TO] - k[:, _DIST_FROM])
    # the thumb's own bends (MCP, IP) are small even when it folds; mostly its tip position tells
    thumb = _unit((bends[:, 0, 1:].sum(1) - 0.5) / 1.5)
    # straight ~0.3 rad in total, a fist ~4 rad; and is the tip nearer the wrist than the middle joint?
    reach = d[:, :4] / np.maximum(d[:, 4:8], 1e-9)
    others = _unit(0.5 * _unit((bends[:, 1:].sum(2) - 0.7) / 2.2) + 0.5 * _unit((1.35 - reach) / 0.6))
    curl = np.concatenate([thumb[:, None], others], 1)
    # Thumb out: it points away from the palm's across direction (index base -> pinky base) instead of folding
    # along it (measured: folded 30-85 degrees, out 110-165), or it is straight with its tip on the thumb side
    # of the index base (an open hand with the thumb alongside the index). The tip's distance backs it up.
    degrees = np.degrees(angles[:, 15:])
    palm_centre = k[:, [0, 5, 9, 13, 17]].mean(1)
    tip_far = d[:, 8] + 0.5 * _norm(k[:, 4] - palm_centre)
    width = k[:, 17, :2] - k[:, 5, :2]
    over_palm = np.sum((k[:, 4, :2] - k[:, 5, :2]) * width, 1) / np.maximum(np.sum(width * width, 1), 1e-9)
    alongside = _unit((0.25 - over_palm) / 0.25) * _unit((0.4 - thumb) / 0.2)
    pointing = 0.75 * _unit((degrees[:, 0] - 85) / 35) + 0.25 * _unit((tip_far - 0.6) / 0.5)
    return {"bends": bends, "curl": curl, "thumb_out": _unit(np.maximum(pointing, alongside)),
            "contacts": d[:, 9:], "spread": degrees[:, 1:4], "thumb_index_angle": degrees[:, 4]}


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
    return finger_states(one_hand(keypoints), [handedness])[0]


def finger_measures(keypoints: np.ndarray, handedness: list[str | None] | None = None) -> dict[str, np.ndarray]:
    """What :class:`FingerState` holds, as arrays over many hands (N, 21, 2|3): ``curl`` (N, 5; thumb first),
    ``thumb_out`` (N,), ``contacts`` (N, 5: thumb-index, -middle, -ring, -pinky, index-middle), ``spread`` (N, 3),
    ``thumb_direction``, ``index_direction`` and ``hand_direction`` (N,), ``thumb_index_angle`` (N,: degrees
    between the thumb's and the index finger's base -> tip directions in the image) and ``bends`` (N, 5, 3)."""
    raw = np.asarray(keypoints, np.float64)
    m = _shape(canonical_batch(raw, handedness))
    m["thumb_direction"], m["hand_direction"], m["index_direction"] = _directions(raw).T
    return m


def finger_states(keypoints: np.ndarray, handedness: list[str | None] | None = None) -> list[FingerState]:
    """:func:`finger_state` of many hands (N, 21, 2|3), measured together; handedness defaults to right."""
    m = finger_measures(keypoints, handedness)
    thumb_dirs, hand_dirs = m["thumb_direction"], m["hand_direction"]
    out = []
    for i in range(len(thumb_dirs)):
        curl = {n: float(v) for n, v in zip(_NAMES, m["curl"][i], strict=True)}
        state = {n: "extended" if v < 0.35 else ("curled" if v > 0.65 else "bent") for n, v in curl.items()}
        contacts = {f"thumb-{n}": float(v) for n, v in zip(_OTHERS, m["contacts"][i], strict=False)}
        contacts["index-middle"] = float(m["contacts"][i, 4])
        spread = {f"{a}-{b}": float(v) for a, b, v in zip(_OTHERS, _OTHERS[1:], m["spread"][i], strict=False)}
        out.append(FingerState(curl, state, float(m["thumb_out"][i]), contacts, spread, float(thumb_dirs[i]),
                               float(hand_dirs[i])))
    return out


FEATURE_SIZE = 210 + 15 + 5 + 1 + 4 + 3 + 2


def batch_features(keypoints: np.ndarray, handedness: list[str | None] | None = None) -> np.ndarray:
    """Features (N, FEATURE_SIZE) float32 of many hands (N, 21, 2|3), version :data:`FEATURE_VERSION`.

    All pairwise distances of the canonical hand (210), joint bend angles (15), finger curls (5), thumb-out (1),
    thumb-tip contacts (4), neighbouring-finger spreads (3) and the in-plane direction of the hand (2). Raw
    canonical coordinates are left out on purpose: measured on recordings held out in time, they make a
    classifier learn the training sessions' viewpoints instead of the hand's shape.
    """
    raw = np.asarray(keypoints, np.float64)
    if len(raw) == 0:
        return np.zeros((0, FEATURE_SIZE), np.float32)
    k = canonical_batch(raw, handedness)
    m = _shape(k)
    dist = _norm(k[:, _PAIRS[:, 0]] - k[:, _PAIRS[:, 1]])
    a = np.radians(_directions(raw)[:, 1])
    return np.concatenate([dist, m["bends"].reshape(len(k), 15), m["curl"], m["thumb_out"][:, None],
                           m["contacts"][:, :4], np.radians(m["spread"]), np.cos(a)[:, None], np.sin(a)[:, None]],
                          1).astype(np.float32)


def hand_features(keypoints: np.ndarray, handedness: str | None = "right") -> np.ndarray:
    """The feature vector of one hand (see :func:`batch_features`)."""
    return batch_features(one_hand(keypoints), [handedness])[0]
