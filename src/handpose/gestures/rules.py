"""The built-in gesture vocabulary: rules over finger states, declared as data (TOML), zero training."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HandposeError
from ..results import Gesture
from .features import FingerState, finger_state, finger_states

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FINGER_NAMES = ("index", "middle", "ring", "pinky")
FINGER_VALUES = {"extended", "bent", "curled", "folded", "any"}
THUMB_VALUES = {"out", "in", "any"}
CONTACTS = {"thumb-index", "thumb-middle", "thumb-ring", "thumb-pinky", "index-middle"}
SPREADS = {"index-middle", "middle-ring", "ring-pinky"}
DIRECTIONS = {"up", "down", "side"}
KEYS = {"description", "thumb", *FINGER_NAMES, "touch", "apart", "together", "thumb_direction", "thumb_index_angle"}

# Other vocabularies' names for the same shapes (HaGRID classes, MediaPipe's canned gestures).
ALIASES = {
    "like": "thumbs_up", "dislike": "thumbs_down", "palm": "open_palm", "stop": "open_palm",
    "stop_inverted": "open_palm", "peace": "victory", "peace_inverted": "victory", "two_up": "victory",
    "rock": "horns", "little_finger": "pinky", "one": "point", "three": "three", "four": "four", "call": "call",
    "ok": "ok", "fist": "fist", "no_gesture": "none",
    "Thumb_Up": "thumbs_up", "Thumb_Down": "thumbs_down", "Open_Palm": "open_palm", "Closed_Fist": "fist",
    "Pointing_Up": "point", "Victory": "victory", "ILoveYou": "ily", "None": "none",
}


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi`` (either direction), linear between (plain floats: np.clip is slow on scalars)."""
    v = (float(x) - lo) / (hi - lo)
    return 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)


def finger_score(curl: float, want: str) -> float:
    if want == "any":
        return 1.0
    if want == "extended":
        return _ramp(curl, 0.55, 0.2)
    if want == "curled":
        return _ramp(curl, 0.45, 0.8)
    if want == "folded":
        return _ramp(curl, 0.2, 0.5)
    if want == "bent":
        return float(max(0.0, 1.0 - abs(curl - 0.5) / 0.3))
    raise HandposeError(f"unknown finger state {want!r}")


def thumb_score(fs: FingerState, want: str) -> float:
    if want == "any":
        return 1.0
    out = min(fs.thumb_out, _ramp(fs.curl["thumb"], 0.8, 0.5))
    return out if want == "out" else 1.0 - fs.thumb_out


def direction_score(angle: float, want: str) -> float:
    """``angle``: image direction in degrees (0 right, 90 up)."""
    target = {"up": 90.0, "down": -90.0}.get(want)
    # "side": horizontal either way
    off = min(abs(angle), 180 - abs(angle)) if target is None else abs((angle - target + 180) % 360 - 180)
    return _ramp(off, 70.0, 40.0)


@dataclass
class Rule:
    name: str
    description: str = ""
    thumb: str = "any"
    fingers: dict[str, str] = field(default_factory=dict)
    touch: list[str] = field(default_factory=list)
    apart: list[str] = field(default_factory=list)
    together: list[str] = field(default_factory=list)
    thumb_direction: str | None = None
    thumb_index_angle: float | None = None

    @classmethod
    def parse(cls, name: str, spec: dict[str, Any], where: str) -> Rule:
        def bad(msg: str) -> HandposeError:
            return HandposeError(f"{where}: gesture {name!r}: {msg}")

        if not isinstance(spec, dict):
            raise bad("expected a table of conditions")
        unknown = set(spec) - KEYS
        if unknown:
            raise bad(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(KEYS)}")
        if spec.get("thumb", "any") not in THUMB_VALUES:
            raise bad(f"thumb must be one of {sorted(THUMB_VALUES)}, got {spec['thumb']!r}")
        fingers = {}
        for f in FINGER_NAMES:
            v = spec.get(f, "any")
            if v not in FINGER_VALUES:
                raise bad(f"{f} must be one of {sorted(FINGER_VALUES)}, got {v!r}")
            fingers[f] = v
        for key, allowed in (("touch", CONTACTS), ("apart", SPREADS), ("together", SPREADS)):
            v = spec.get(key, [])
            if not isinstance(v, list) or any(x not in allowed for x in v):
                raise bad(f"{key} must be a list of {sorted(allowed)}, got {v!r}")
        direction = spec.get("thumb_direction")
        if direction is not None and direction not in DIRECTIONS:
            raise bad(f"thumb_direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
        angle = spec.get("thumb_index_angle")
        if angle is not None and not (isinstance(angle, (int, float)) and 0 < angle < 180):
            raise bad(f"thumb_index_angle must be a number of degrees between 0 and 180, got {angle!r}")
        if all(v == "any" for v in fingers.values()) and spec.get("thumb", "any") == "any" and not spec.get("touch"):
            raise bad("has no condition at all")
        return cls(name, spec.get("description", ""), spec.get("thumb", "any"), fingers, spec.get("touch", []),
                   spec.get("apart", []), spec.get("together", []), direction, angle)

    @property
    def specificity(self) -> int:
        """How many conditions the rule sets: on a tie, the more specific gesture wins."""
        return (sum(v != "any" for v in self.fingers.values()) + (self.thumb != "any") + len(self.touch)
                + len(self.apart) + len(self.together) + bool(self.thumb_direction) + bool(self.thumb_index_angle))

    def score(self, fs: FingerState, k: np.ndarray) -> float:
        parts = [thumb_score(fs, self.thumb)]
        parts += [finger_score(fs.curl[f], want) for f, want in self.fingers.items()]
        parts += [_ramp(fs.contacts[c], 0.45, 0.25) for c in self.touch]
        parts += [_ramp(fs.spread[s], 8.0, 16.0) for s in self.apart]
        parts += [_ramp(fs.spread[s], 22.0, 12.0) for s in self.together]
        if self.thumb_direction:
            parts.append(direction_score(fs.thumb_direction, self.thumb_direction))
        if self.thumb_index_angle:
            t, i = k[4, :2] - k[2, :2], k[8, :2] - k[5, :2]
            cos = float(np.dot(t, i) / max(np.linalg.norm(t) * np.linalg.norm(i), 1e-9))
            parts.append(_ramp(np.degrees(np.arccos(np.clip(cos, -1, 1))), self.thumb_index_angle - 15,
                               self.thumb_index_angle + 5))
        return float(min(parts))


def load_rules(path: str | Path | None = None, *, extend: bool = True) -> tuple[list[Rule], float]:
    """Rules from a TOML file; by default a user file extends (and may override) the built-in table."""
    builtin = resources.files("handpose").joinpath("data/gestures.toml").read_text()
    tables = [("built-in vocabulary", tomllib.loads(builtin))]
    if path is not None:
        p = Path(path)
        try:
            tables.append((str(p), tomllib.loads(p.read_text())))
        except OSError as e:
            raise HandposeError(f"cannot read gesture definitions {p}: {e}") from e
        except tomllib.TOMLDecodeError as e:
            raise HandposeError(f"{p}: not valid TOML: {e}") from e
        if not extend:
            tables = tables[1:]
    rules: dict[str, Rule] = {}
    threshold = 0.5
    for where, data in tables:
        unknown = set(data) - {"gesture", "threshold"}
        if unknown:
            raise HandposeError(f"{where}: unknown top-level key(s) {sorted(unknown)} (expected [gesture.NAME] "
                                "tables and an optional threshold)")
        threshold = float(data.get("threshold", threshold))
        for name, spec in data.get("gesture", {}).items():
            rules[name] = Rule.parse(name, spec, where)
    return list(rules.values()), threshold


class RuleClassifier:
    """Zero-training gesture recognizer over finger states; ``none`` when no rule fits well enough."""

    kind = "rules"

    def __init__(self, rules: list[Rule] | None = None, threshold: float | None = None):
        if rules is None:
            rules, default = load_rules()
            threshold = default if threshold is None else threshold
        self.rules = rules
        self.threshold = 0.5 if threshold is None else threshold
        self.labels = [r.name for r in rules]
        self._specificity = {r.name: r.specificity for r in rules}

    @classmethod
    def from_file(cls, path: str | Path, extend: bool = True) -> RuleClassifier:
        rules, threshold = load_rules(path, extend=extend)
        return cls(rules, threshold)

    def scores(self, keypoints: np.ndarray, handedness: str | None = "right") -> dict[str, float]:
        return self._scores(finger_state(keypoints, handedness), np.asarray(keypoints, np.float64))

    def _scores(self, fs: FingerState, k: np.ndarray) -> dict[str, float]:
        return {r.name: r.score(fs, k) for r in self.rules}

    def classify(self, keypoints: np.ndarray, handedness: str | None = "right") -> Gesture:
        return self._decide(self.scores(keypoints, handedness))

    def classify_batch(self, keypoints: np.ndarray, handedness: list[str | None]) -> list[Gesture]:
        """:meth:`classify` of several hands (a frame's), their finger states measured together."""
        hands = np.asarray(keypoints, np.float64)
        if len(hands) == 0:
            return []
        return [self._decide(self._scores(fs, k))
                for fs, k in zip(finger_states(hands, handedness), hands, strict=True)]

    def _decide(self, scores: dict[str, float]) -> Gesture:
        label = max(scores, key=lambda n: (round(scores[n], 3), self._specificity[n]))
        if scores[label] < self.threshold:
            return Gesture("none", 1.0 - scores[label])
        return Gesture(label, scores[label])
