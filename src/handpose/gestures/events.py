"""Gesture events: debounced static gestures (start / end with hysteresis) and instant dynamic ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import HandposeError


@dataclass
class GestureEvent:
    """A gesture of one hand (or two, for two-hand gestures) over time.

    ``kind``: ``static`` (a held hand shape) or ``dynamic`` (a motion). A static gesture yields a ``start`` event
    once it has been held for ``hold_ms`` and an ``end`` event (with ``end_ms``) when released; a dynamic one
    yields a single ``done`` event covering the motion.
    """

    kind: str
    label: str
    score: float
    track_id: int | None
    handedness: str | None
    start_ms: float
    end_ms: float | None = None
    phase: str = "start"  # start | end | done
    track_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """This event as plain JSON-ready values, as one entry of ``--json``'s ``events``."""
        return {"kind": self.kind, "label": self.label, "phase": self.phase, "score": round(float(self.score), 4),
                "track_id": self.track_id, "handedness": self.handedness, "start_ms": round(self.start_ms, 3),
                "end_ms": None if self.end_ms is None else round(self.end_ms, 3),
                **({"track_ids": list(self.track_ids)} if len(self.track_ids) > 1 else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GestureEvent:
        """An event back from its JSON (:meth:`to_dict`)."""
        one = d.get("track_id")
        # the JSON lists track_ids only for two-hand motions; a one-hand motion has its own id there
        ids = d["track_ids"] if "track_ids" in d else [one] if d["kind"] == "dynamic" and one is not None else []
        return cls(d["kind"], d["label"], float(d["score"]), one, d.get("handedness"), float(d["start_ms"]),
                   None if d.get("end_ms") is None else float(d["end_ms"]), d["phase"], tuple(ids))


@dataclass
class _State:
    active: str | None = None
    active_score: float = 0.0
    active_since: float = 0.0
    active_last: float = 0.0
    candidate: str | None = None
    candidate_since: float = 0.0
    candidate_score: float = 0.0
    handedness: str | None = None


# what each of a Debouncer's parameters sets (``handpose gestures list`` prints them; ``--tune NAME=VALUE`` sets them)
DEBOUNCE_PARAMETERS = {
    "hold_ms": "ms a hand shape is held before its gesture starts",
    "release_ms": "ms without it before the gesture ends",
    "start_score": "score a hand shape needs to start its gesture",
    "keep_score": "score it needs to go on (below start_score: no flicker at the line)",
}


class Debouncer:
    """Per-track hysteresis: a label starts after ``hold_ms`` at score >= ``start_score``, stays while seen at
    score >= ``keep_score``, and ends after ``release_ms`` without it."""

    def __init__(self, hold_ms: float = 150.0, release_ms: float = 250.0, start_score: float = 0.6,
                 keep_score: float = 0.4):
        if not (hold_ms >= 0 and release_ms >= 0 and 0 <= keep_score <= start_score <= 1):  # NaN too
            raise HandposeError(f"Debouncer needs hold_ms, release_ms >= 0 and 0 <= keep_score <= start_score <= 1, "
                                f"got hold_ms={hold_ms}, release_ms={release_ms}, start_score={start_score}, "
                                f"keep_score={keep_score}")
        self.hold_ms, self.release_ms = hold_ms, release_ms
        self.start_score, self.keep_score = start_score, keep_score
        self.states: dict[int, _State] = {}

    def update(self, track_id: int, handedness: str | None, label: str, score: float, t: float) -> list[GestureEvent]:
        st = self.states.setdefault(track_id, _State())
        st.handedness = handedness
        events: list[GestureEvent] = []
        if st.active is not None and label == st.active and score >= self.keep_score:
            st.active_last, st.candidate = t, None
            st.active_score = max(st.active_score, score)
            return events
        if st.active is not None and t - st.active_last >= self.release_ms:
            events.append(self._end(track_id, handedness, st, st.active_last))
        if label == "none" or score < self.start_score:
            st.candidate = None
            return events
        if st.candidate != label:
            st.candidate, st.candidate_since, st.candidate_score = label, t, score
        st.candidate_score = max(st.candidate_score, score)
        if t - st.candidate_since >= self.hold_ms:
            if st.active is not None:  # the old gesture ended where the new one began
                events.append(self._end(track_id, handedness, st, max(st.active_since, st.candidate_since)))
            st.active, st.active_score = label, st.candidate_score
            st.active_since, st.active_last = st.candidate_since, t
            st.candidate = None
            events.append(GestureEvent("static", label, st.active_score, track_id, handedness, st.active_since))
        return events

    def _end(self, track_id: int, handedness: str | None, st: _State, end: float) -> GestureEvent:
        ev = GestureEvent("static", st.active or "", st.active_score, track_id, handedness, st.active_since, end,
                          "end")
        st.active, st.active_score = None, 0.0
        return ev

    def finish(self, live: set[int], handedness: dict[int, str | None], t: float | None = None
               ) -> list[GestureEvent]:
        """End the gestures of tracks that are gone: at ``t``, those gone for ``release_ms`` (a hand missed for a
        frame or two, whose id the tracker gives back, keeps its gesture, as a hand that shows it again does);
        without ``t`` (the stream stopped), all of them."""
        events = []
        for tid in list(self.states):
            st = self.states[tid]
            if tid in live or (t is not None and st.active is not None and t - st.active_last < self.release_ms):
                continue
            del self.states[tid]
            if st.active is not None:
                events.append(self._end(tid, handedness.get(tid, st.handedness), st, st.active_last))
        return events
