"""``GestureRecognizer``: static shapes + dynamic motions + debounced events, attached to a HandTracker."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import HandposeError, did_you_mean
from ..results import Gesture, Hands
from .classifier import GestureClassifier
from .dynamic import DynamicDetector, DynamicParams
from .events import DEBOUNCE_PARAMETERS, Debouncer, GestureEvent
from .features import FEATURE_VERSION, batch_features
from .rules import RuleClassifier
from .trajectory import TRAJECTORY_VERSION, TrajectoryHistory, trajectory_keypoints, trajectory_row_features

Callback = Callable[[GestureEvent], None]


class GestureRecognizer:
    """Per frame: a gesture per hand (``hands.gestures``) and the events of that frame (``hands.events``).

    ``static``: a :class:`RuleClassifier` (the built-in vocabulary) or a trained hand-shape
    :class:`GestureClassifier`. ``trajectory``: an optional trained trajectory classifier over the last 16
    positions of the keypoints it was trained on (the index fingertip unless recorded with others).
    ``dynamic``: rule-based swipes, circles, waves, push / pull and two-hand zoom and rotate (video mode).
    """

    QUEUE = 1024  # events kept for events() to drain; older ones are dropped

    def __init__(self, static: RuleClassifier | GestureClassifier | None = None,
                 trajectory: GestureClassifier | None = None, dynamic: bool | DynamicParams = True,
                 debounce: Debouncer | None = None):
        if static is not None and not isinstance(static, (RuleClassifier, GestureClassifier)):
            raise HandposeError(f"static must be a RuleClassifier or a GestureClassifier, got {type(static).__name__}"
                                "; for a name or file use load_classifier('builtin' | 'rules.toml' | 'model.npz')")
        self.static = static if static is not None else RuleClassifier()
        if isinstance(self.static, GestureClassifier):
            self.static.check_features("hand", FEATURE_VERSION)
        if trajectory is not None:
            if not isinstance(trajectory, GestureClassifier):
                raise HandposeError(f"trajectory must be a GestureClassifier, got {type(trajectory).__name__}; "
                                    "for a file use load_classifier('builtin,traj.npz')")
            trajectory.check_features("trajectory", TRAJECTORY_VERSION)
        self.trajectory = trajectory
        self.keypoints = trajectory_keypoints(trajectory)
        self.dynamic = DynamicDetector(dynamic if isinstance(dynamic, DynamicParams) else None) if dynamic else None
        self.debounce = debounce or Debouncer()
        self.traj_debounce = Debouncer(hold_ms=200, release_ms=300)
        self._history = TrajectoryHistory(self.keypoints)
        self._motion: dict[int, Gesture] = {}  # each track's last trajectory-model result
        self._callbacks: list[tuple[str, Callback]] = []
        # bounded: a long-running app that reads hands.events or callbacks and never drains events() does not grow
        self._queue: deque[GestureEvent] = deque(maxlen=self.QUEUE)

    # -- API -----------------------------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """Every label this recognizer can report: hand shapes, trained trajectories, then dynamic motions."""
        labels = list(self.static.labels)
        if self.trajectory is not None:
            labels += [lab for lab in self.trajectory.labels if lab not in labels]
        if self.dynamic is not None:
            labels += [lab for lab in self.dynamic.labels if lab not in labels]
        return labels

    def on(self, label: str, callback: Callback) -> Callback:
        """Call ``callback(event)`` for events whose label (or kind, or ``"*"``) matches; a label this recognizer
        cannot report (a typo) is refused, as it would never be called."""
        if label not in ("*", "static", "dynamic") and label not in self.labels:
            raise HandposeError(f"no gesture {label!r} to wait for: {did_you_mean(label, self.labels)}this "
                                f"recognizer reports {', '.join(self.labels)} (or pass 'static', 'dynamic' or '*')")
        self._callbacks.append((label, callback))
        return callback

    def tune(self, **values: float) -> None:
        """Set parameters by name: how held hand shapes are debounced (``hold_ms``, ``release_ms``, ``start_score``,
        ``keep_score``) and what makes each motion (the fields of :class:`DynamicParams`), e.g.
        ``tune(swipe_min_distance=2.0, hold_ms=300)``; :func:`tunable` lists them. Checked first, so a bad value
        changes nothing."""
        checked = check_tuning(values, self.debounce)
        motion = {name: v for name, v in checked.items() if name not in DEBOUNCE_PARAMETERS}
        if motion and self.dynamic is None:
            raise HandposeError(f"{', '.join(motion)}: no motions to tune, as this recognizer looks for none "
                                "(dynamic=False, --no-dynamic)")
        if self.dynamic is not None:
            self.dynamic.params = replace(self.dynamic.params, **motion)
        for name in DEBOUNCE_PARAMETERS:
            setattr(self.debounce, name, checked.get(name, getattr(self.debounce, name)))

    def events(self) -> Iterator[GestureEvent]:
        """Drain the events gathered so far (oldest first; the last ``QUEUE`` of them)."""
        while self._queue:
            yield self._queue.popleft()

    def finish(self) -> list[GestureEvent]:
        """End every gesture still held (call it when a stream stops); the events are also queued and called back."""
        events = self.debounce.finish(set(), {})
        for ev in self.traj_debounce.finish(set(), {}):
            ev.kind = "dynamic"
            events.append(ev)
        self._history.clear()
        self._motion.clear()
        if self.dynamic is not None:
            self.dynamic.reset()
        self._emit(events)
        return events

    def _emit(self, events: list[GestureEvent]) -> None:
        for ev in events:
            self._queue.append(ev)
            for key, cb in self._callbacks:
                if key in ("*", ev.label, ev.kind):
                    cb(ev)

    def classify(self, keypoints: np.ndarray, handedness: list[str | None]) -> list[Gesture]:
        if len(keypoints) == 0:
            return []
        if isinstance(self.static, RuleClassifier):
            return self.static.classify_batch(keypoints, handedness)
        if not self.static.uses_depth:  # trained on 2D rows: the same hands without their depth
            keypoints = np.asarray(keypoints)[:, :, :2]
        return self.static.predict(batch_features(keypoints, list(handedness)))

    def annotate(self, hands: Hands) -> None:
        """Fill ``hands.gestures`` and ``hands.events`` (the HandTracker calls this for every frame)."""
        gestures = self.classify(hands.keypoints, [str(h) for h in hands.handedness])
        hands.gestures = list(gestures)
        tracked = len(hands) == 0 or int(hands.track_ids[0]) >= 0
        if not tracked:  # image mode: a shape per hand, no time, so no events
            return
        t = hands.timestamp_ms
        events: list[GestureEvent] = []
        ids = [int(i) for i in hands.track_ids]
        side: dict[int, str | None] = {i: str(h) for i, h in zip(ids, hands.handedness, strict=True)}
        for tid, g in zip(ids, gestures, strict=True):
            events += self.debounce.update(tid, side[tid], g.label, g.score, t)
        events += self.debounce.finish(set(ids), side, t)
        if self.trajectory is not None:
            events += self._trajectories(hands, ids, side, t)
        if self.dynamic is not None:
            for m in self.dynamic.update(ids, hands.keypoints, t, hands.world):
                one = m.track_ids[0] if len(m.track_ids) == 1 else None
                events.append(GestureEvent("dynamic", m.label, m.score, one, side.get(one) if one else None,
                                           m.start_ms, m.end_ms, "done", m.track_ids))
        hands.events = events
        self._emit(events)

    def _trajectories(self, hands: Hands, ids: list[int], side: dict[int, str | None], t: float
                      ) -> list[GestureEvent]:
        events: list[GestureEvent] = []
        moved = self._history.update(hands)
        ready = [(tid, pts) for tid in moved if (pts := self._history.get(tid)) is not None]
        if ready:  # every changed trajectory through the model at once; the others keep their last result
            k = len(self.keypoints)
            found = self.trajectory.predict(np.stack([trajectory_row_features(p, k) for _, p in ready]))  # type: ignore[union-attr]
            self._motion.update((tid, g) for (tid, _), g in zip(ready, found, strict=True))
        for tid in [i for i in self._motion if i not in side]:
            del self._motion[tid]
        for tid in ids:
            if (g := self._motion.get(tid)) is not None:
                for ev in self.traj_debounce.update(tid, side[tid], g.label, g.score, t):
                    ev.kind = "dynamic"
                    events.append(ev)
        for ev in self.traj_debounce.finish(set(ids), side, t):
            ev.kind = "dynamic"
            events.append(ev)
        return events


def tunable() -> dict[str, tuple[float, str]]:
    """What :meth:`GestureRecognizer.tune` sets, by name: each parameter's default and what it sets (the debounce of
    held hand shapes, then the motions')."""
    held = Debouncer()
    params = {name: (float(getattr(held, name)), what) for name, what in DEBOUNCE_PARAMETERS.items()}
    params.update((f.name, (cast(float, f.default), f.metadata["help"])) for f in fields(DynamicParams))
    return params


def check_tuning(values: dict[str, float], debounce: Debouncer | None = None) -> dict[str, Any]:
    """``values`` for :meth:`GestureRecognizer.tune` checked (a misspelt name, a value out of its range: an error
    naming it; the debounce's scores together with the others of ``debounce``, by default a new one); a whole number
    where one is needed (``wave_min_strokes=5.0``) becomes an int."""
    known = tunable()
    for name in values:
        if name not in known:
            raise HandposeError(f"no gesture parameter {name!r}: {did_you_mean(name, known)}"
                                f"they are {', '.join(known)} (handpose gestures list says what each sets)")
    checked: dict[str, Any] = {name: int(v) if isinstance(known[name][0], int) and float(v).is_integer() else v
                               for name, v in values.items()}
    DynamicParams(**{name: v for name, v in checked.items() if name not in DEBOUNCE_PARAMETERS})
    held = debounce or Debouncer()
    Debouncer(**{name: checked.get(name, getattr(held, name)) for name in DEBOUNCE_PARAMETERS})
    return checked


def load_classifier(spec: str | Path | Iterable[str]) -> GestureRecognizer:
    """``builtin``, a rules file (``.toml``), a trained model (``.npz``), or several joined by commas: one
    hand-shape classifier (the built-in vocabulary by default) and at most one trajectory model. A rules file
    extends the built-in vocabulary, so ``builtin`` may stand beside it."""
    items = str(spec).split(",") if isinstance(spec, (str, Path)) else [str(s) for s in spec]
    parts = [s.strip() for s in items if s.strip()]
    if not parts:
        raise HandposeError("no gesture classifier given: expected 'builtin', a .toml rules file or a .npz model")
    shapes: list[tuple[str, RuleClassifier | GestureClassifier]] = []
    trajectories: list[str] = []
    trajectory: GestureClassifier | None = None
    for part in parts:
        if part == "builtin":
            continue
        if part.endswith(".toml"):
            shapes.append((part, RuleClassifier.from_file(part)))
        elif part.endswith(".npz") or Path(part).suffix == "":
            model = GestureClassifier.load(part)
            if model.feature_kind == "trajectory":
                trajectories.append(part)
                trajectory = model
            else:
                shapes.append((part, model))
        else:
            raise HandposeError(f"{part} is not a gesture classifier: expected 'builtin', a .toml rules file or "
                                "a .npz model")
    if "builtin" in parts and any(isinstance(c, GestureClassifier) for _, c in shapes):
        shapes.insert(0, ("builtin", RuleClassifier()))
    if len(shapes) > 1:
        raise HandposeError(f"{' and '.join(n for n, _ in shapes)} are both hand-shape classifiers; "
                            "give one (a rules file extends the built-in vocabulary), plus a trajectory model if any")
    if len(trajectories) > 1:
        raise HandposeError(f"{' and '.join(trajectories)} are both trajectory models; give one")
    return GestureRecognizer(shapes[0][1] if shapes else None, trajectory)


def annotate_stream(recognizer: GestureRecognizer, results: Iterable[Hands]) -> Iterator[GestureEvent]:
    """Events of a stream of results, e.g. ``annotate_stream(rec, tracker.stream(0))``."""
    for hands in results:
        if not hands.events and not hands.gestures:
            recognizer.annotate(hands)
        yield from hands.events
