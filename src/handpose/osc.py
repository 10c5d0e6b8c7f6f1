"""Open Sound Control (OSC 1.0) encoding of frame records, for TouchDesigner, Max/MSP, Pure Data, Wekinator,
VRChat, Processing and the other tools of creative coding and HCI prototyping.

A frame becomes one bundle (time tag "immediately"), so a receiver sees the frame, its hands and its events
together. Its messages:

- ``/handpose/frame``: frame (i, -1 for the closing end-of-stream record), timestamp_ms (f), hands (i), width (i),
  height (i)
- ``/handpose/hand``: index in the frame (i), track_id (i, -1 in image mode), handedness (s), score (f),
  gesture (s, empty without one), gesture_score (f), then the 21 keypoints' x, y, z (63 f) normalized as
  MediaPipe's: x / width, y / height, z / width
- ``/handpose/world``: index (i), track_id (i), the 21 world landmarks' x, y, z in metres (63 f)
- ``/handpose/event``: kind (s), label (s), phase (s), track_id (i, -1 for none), handedness (s), score (f),
  start_ms (f), end_ms (f, -1 while it lasts)
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

Arg = int | float | str


def _string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def message(address: str, args: Sequence[Arg]) -> bytes:
    """One OSC message: int32 (``i``), float32 (``f``) and string (``s``) arguments."""
    tags, body = ",", []
    for a in args:
        if isinstance(a, str):
            tags += "s"
            body.append(_string(a))
        elif isinstance(a, int):
            tags += "i"
            body.append(struct.pack(">i", a))
        else:
            tags += "f"
            body.append(struct.pack(">f", a))
    return _string(address) + _string(tags) + b"".join(body)


def bundle(messages: Sequence[bytes]) -> bytes:
    """An OSC bundle of ``messages``, to be acted on at once (time tag 1)."""
    return b"#bundle\0" + struct.pack(">Q", 1) + b"".join(struct.pack(">i", len(m)) + m for m in messages)


def _id(value: Any) -> int:
    return -1 if value is None else int(value)


def frame_bundle(record: dict[str, Any]) -> bytes:
    """A frame record (``Hands.to_dict()``, a ``--json`` line) as one OSC bundle."""
    width, height = record.get("width") or 1, record.get("height") or 1
    frame = record.get("frame")
    hands = record["hands"]
    out = [message("/handpose/frame", [-1 if frame is None else int(frame), float(record["timestamp_ms"]),
                                       len(hands), int(width), int(height)])]
    for i, h in enumerate(hands):
        gesture = h.get("gesture") or {}
        norm = [v / s for p in h["keypoints"] for v, s in zip(p, (width, height, width), strict=True)]
        out.append(message("/handpose/hand", [i, _id(h["track_id"]), h["handedness"], float(h["score"]),
                                              gesture.get("label", ""), float(gesture.get("score", 0.0)), *norm]))
        out.append(message("/handpose/world", [i, _id(h["track_id"]), *(float(v) for p in h["world"] for v in p)]))
    for e in record.get("events", ()):
        out.append(message("/handpose/event", [e["kind"], e["label"], e["phase"], _id(e["track_id"]),
                                               e["handedness"] or "", float(e["score"]), float(e["start_ms"]),
                                               -1.0 if e["end_ms"] is None else float(e["end_ms"])]))
    return bundle(out)
