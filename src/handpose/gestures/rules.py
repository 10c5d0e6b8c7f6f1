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
from .features import finger_measures, one_hand

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
KEYS = {"description", "thumb", *FINGER_NAMES, "touch", "apart", "together", "thumb_direction", "index_direction",
        "thumb_index_angle"}

# Other vocabularies' names for the same shapes (HaGRID classes, MediaPipe's canned gestures).
ALIASES = {
    "like": "thumbs_up", "dislike": "thumbs_down", "palm": "open_palm", "stop": "open_palm",
    "stop_inverted": "open_palm", "peace": "victory", "peace_inverted": "victory", "two_up": "victory",
    "rock": "horns", "little_finger": "pinky", "one": "point", "three": "three", "four": "four", "call": "call",
    "ok": "ok", "fist": "fist", "no_gesture": "none",
    "Thumb_Up": "thumbs_up", "Thumb_Down": "thumbs_down", "Open_Palm": "open_palm", "Closed_Fist": "fist",
    "Pointing_Up": "point", "Victory": "victory", "ILoveYou": "ily", "None": "none",
}


# Every condition of a rule is a ramp over one column of this table of per-hand measures (from
# finger_measures): 0 at `lo`, 1 at `hi` (either direction), linear between; a rule scores its weakest ramp.
# Scoring all rules is then a few array operations over (hands, conditions), however many rules there are.
MEASURES = ("thumb_curl", "index_curl", "middle_curl", "ring_curl", "pinky_curl", "thumb_out",
            "touch_thumb-index", "touch_thumb-middle", "touch_thumb-ring", "touch_thumb-pinky", "touch_index-middle",
            "spread_index-middle", "spread_middle-ring", "spread_ring-pinky",
            "thumb_off_up", "thumb_off_down", "thumb_off_side", "index_off_up", "index_off_down", "index_off_side",
            "thumb_index_angle", "one")
_COLUMN = {name: i for i, name in enumerate(MEASURES)}
_FINGER_RAMPS = {"extended": [(0.55, 0.2)], "curled": [(0.45, 0.8)], "folded": [(0.2, 0.5)],
                 "bent": [(0.2, 0.5), (0.8, 0.5)],  # a peak at half-curled: up, then down
                 "any": []}


def measure_table(keypoints: np.ndarray, handedness: list[str | None]) -> np.ndarray:
    """The columns of :data:`MEASURES` for hands (N, 21, 2|3): (N, len(MEASURES))."""
    k = np.asarray(keypoints, np.float64)
    m = finger_measures(k, handedness)
    table = np.empty((len(k), len(MEASURES)))
    table[:, :5], table[:, 5], table[:, 6:11], table[:, 11:14] = m["curl"], m["thumb_out"], m["contacts"], m["spread"]
    # thumb_off_up, _down, _side, then index_off_up, _down, _side
    table[:, 14:20] = _off(np.stack([m["thumb_direction"], m["index_direction"]], 1)).reshape(len(k), 6)
    table[:, 20], table[:, 21] = m["thumb_index_angle"], 1.0
    return table


def _off(d: np.ndarray) -> np.ndarray:
    """Degrees between image angles ``d`` (..., 90 = up) and up, down, and the horizontal (either way): (..., 3)."""
    up = np.abs((d - 90.0 + 180.0) % 360.0 - 180.0)
    side = np.minimum(np.abs(d), 180.0 - np.abs(d))
    return np.stack([up, 180.0 - up, side], -1)


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
    index_direction: str | None = None

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
        for key in ("thumb_direction", "index_direction"):
            if spec.get(key) is not None and spec[key] not in DIRECTIONS:
                raise bad(f"{key} must be one of {sorted(DIRECTIONS)}, got {spec[key]!r}")
        angle = spec.get("thumb_index_angle")
        if angle is not None and not (isinstance(angle, (int, float)) and 0 < angle < 180):
            raise bad(f"thumb_index_angle must be a number of degrees between 0 and 180, got {angle!r}")
        if all(v == "any" for v in fingers.values()) and spec.get("thumb", "any") == "any" and not spec.get("touch"):
            raise bad("has no condition at all")
        return cls(name, spec.get("description", ""), spec.get("thumb", "any"), fingers, spec.get("touch", []),
                   spec.get("apart", []), spec.get("together", []), spec.get("thumb_direction"), angle,
                   spec.get("index_direction"))

    @property
    def specificity(self) -> int:
        """How many conditions the rule sets: on a tie, the more specific gesture wins."""
        return (sum(v != "any" for v in self.fingers.values()) + (self.thumb != "any") + len(self.touch)
                + len(self.apart) + len(self.together) + bool(self.thumb_direction) + bool(self.thumb_index_angle)
                + bool(self.index_direction))

    def conditions(self) -> list[tuple[str, float, float]]:
        """The rule as ramps ``(measure, lo, hi)`` over :data:`MEASURES`; its score is the weakest."""
        ramps = {"out": [("thumb_out", 0.0, 1.0), ("thumb_curl", 0.8, 0.5)], "in": [("thumb_out", 1.0, 0.0)],
                 "any": []}[self.thumb]
        ramps += [(f"{f}_curl", lo, hi) for f, want in self.fingers.items() for lo, hi in _FINGER_RAMPS[want]]
        ramps += [(f"touch_{c}", 0.45, 0.25) for c in self.touch]
        ramps += [(f"spread_{s}", 8.0, 16.0) for s in self.apart]
        ramps += [(f"spread_{s}", 22.0, 12.0) for s in self.together]
        if self.thumb_direction:
            ramps.append((f"thumb_off_{self.thumb_direction}", 70.0, 40.0))
        if self.index_direction:
            ramps.append((f"index_off_{self.index_direction}", 70.0, 40.0))
        if self.thumb_index_angle:
            ramps.append(("thumb_index_angle", self.thumb_index_angle - 15, self.thumb_index_angle + 5))
        return ramps or [("one", 0.0, 1.0)]


def load_rules(path: str | Path | None = None, *, extend: bool = True) -> tuple[list[Rule], float]:
    """Rules from a TOML file; by default a user file extends (and may override) the built-in table."""
    builtin = resources.files("handpose").joinpath("data/gestures.toml").read_text(encoding="utf-8")
    tables = [("built-in vocabulary", tomllib.loads(builtin))]
    if path is not None:
        p = Path(path)
        try:
            tables.append((str(p), tomllib.loads(p.read_text(encoding="utf-8"))))
        except UnicodeDecodeError as e:
            raise HandposeError(f"{p}: not a text TOML file") from e
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
        value = data.get("threshold", threshold)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise HandposeError(f"{where}: threshold must be a number from 0 to 1 (the weakest condition's score a "
                                f"gesture needs), got {value!r}")
        threshold = float(value)
        gestures = data.get("gesture", {})
        if not isinstance(gestures, dict):
            raise HandposeError(f"{where}: 'gesture' must hold [gesture.NAME] tables, got {gestures!r}")
        for name, spec in gestures.items():
            if name == "none":
                raise HandposeError(f"{where}: 'none' is the answer when no gesture fits; give the gesture "
                                    "another name")
            rules[name] = Rule.parse(name, spec, where)
    return list(rules.values()), threshold


class RuleClassifier:
    """Zero-training gesture recognizer over finger states; ``none`` when no rule fits well enough."""

    kind = "rules"

    def __init__(self, rules: list[Rule] | None = None, threshold: float | None = None):
        if rules is None:
            rules, default = load_rules()
            threshold = default if threshold is None else threshold
        if not rules:
            raise HandposeError("no gestures to recognize: the rules define none")
        self.rules = rules
        self.threshold = 0.5 if threshold is None else threshold
        self.labels = [r.name for r in rules]
        self._specificity = np.array([r.specificity for r in rules], float)
        ramps = [r.conditions() for r in rules]
        flat = [c for conds in ramps for c in conds]
        self._column = np.array([_COLUMN[name] for name, _, _ in flat])
        self._lo = np.array([lo for _, lo, _ in flat])
        self._width = np.array([hi - lo for _, lo, hi in flat])
        self._starts = np.cumsum([0] + [len(c) for c in ramps[:-1]])

    @classmethod
    def from_file(cls, path: str | Path, extend: bool = True) -> RuleClassifier:
        rules, threshold = load_rules(path, extend=extend)
        return cls(rules, threshold)

    def scores(self, keypoints: np.ndarray, handedness: str | None = "right") -> dict[str, float]:
        """Every rule's score (0..1) for one hand (21, 2|3)."""
        return dict(zip(self.labels, self.score_batch(one_hand(keypoints), [handedness])[0].tolist(), strict=True))

    def score_batch(self, keypoints: np.ndarray, handedness: list[str | None]) -> np.ndarray:
        """Scores (N hands, rules) of several hands (N, 21, 2|3), in the order of :attr:`labels`."""
        x = measure_table(keypoints, handedness)[:, self._column]
        ramps = np.minimum(np.maximum((x - self._lo) / self._width, 0.0), 1.0)
        return np.minimum.reduceat(ramps, self._starts, axis=1)

    def classify(self, keypoints: np.ndarray, handedness: str | None = "right") -> Gesture:
        return self.classify_batch(one_hand(keypoints), [handedness])[0]

    def classify_batch(self, keypoints: np.ndarray, handedness: list[str | None]) -> list[Gesture]:
        """:meth:`classify` of several hands (a frame's), scored together."""
        if len(keypoints) == 0:
            return []
        scores = self.score_batch(keypoints, handedness)
        # the best rule per hand; scores equal to 3 decimals go to the more specific rule (specificity < 64)
        best = (np.rint(scores * 1000.0) * 64 + self._specificity).argmax(1)
        top = scores[np.arange(len(scores)), best].tolist()
        return [Gesture(self.labels[b], s) if s >= self.threshold else Gesture("none", 1.0 - s)
                for b, s in zip(best.tolist(), top, strict=True)]
