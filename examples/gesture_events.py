"""React to gestures: a media-player remote driven by hand shapes and motions.

    python examples/gesture_events.py 0            # a webcam (or a video file, an RTSP URL, ...)

Static gestures (the built-in vocabulary) arrive as debounced ``start`` / ``end`` events, motions (swipes, circles,
a wave, a push towards the camera or a pull away, two-hand zoom and rotate) as one ``done`` event each. Here each
maps to a player action; replace ``print`` with your own code.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import handpose
from handpose.gestures import GestureEvent

ACTIONS = {  # gesture -> what the player does when it starts (static) or is done (dynamic)
    "open_palm": "pause",
    "point": "play",
    "thumbs_up": "like",
    "thumbs_down": "dislike",
    "swipe_left": "previous track",
    "swipe_right": "next track",
    "circle_cw": "volume up",
    "circle_ccw": "volume down",
    "wave": "show the controls",
    "push": "mute",
    "pull": "unmute",
    "zoom_in": "full screen",
    "zoom_out": "leave full screen",
    "rotate_cw": "seek forward",
    "rotate_ccw": "seek back",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", nargs="?", default="0", help="camera index, video file, folder or stream URL")
    p.add_argument("--limit", type=int, default=None, help="stop after N frames")
    p.add_argument("--hold", type=float, default=300.0,
                   help="ms a hand shape is held before it acts (default 300: fewer pauses by accident than 150)")
    args = p.parse_args(argv)

    tracker = handpose.HandTracker(gestures="builtin")
    recognizer = tracker.gesture_classifier
    recognizer.tune(hold_ms=args.hold)  # any parameter 'handpose gestures list' lists, e.g. swipe_min_distance=2

    def act(event: GestureEvent) -> None:
        if event.phase in ("start", "done"):  # a held shape acts once, when it starts
            who = f"hand {event.track_id} ({event.handedness})" if event.track_id is not None else "both hands"
            print(f"{event.start_ms / 1000:7.2f} s  {ACTIONS[event.label]:<18} <- {event.label} of {who}")

    for label in ACTIONS:
        recognizer.on(label, act)
    try:
        for _ in itertools.islice(tracker.stream(args.source), args.limit):  # callbacks fire as frames go by
            pass
    except handpose.HandposeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
