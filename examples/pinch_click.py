"""A hand as a mouse: the index fingertip moves a cursor, a thumb-index pinch clicks.

    python examples/pinch_click.py 0 --flip          # a webcam, mirrored: the cursor follows the hand

The pinch is measured in hand sizes (thumb tip to index tip over wrist to middle-finger base), so it works near
and far from the camera, with hysteresis (down below 0.25, up above 0.4) so a pinch held on the edge does not
chatter. Positions are One-Euro smoothed by the tracker already; each hand (track id) has its own state.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

import handpose

DOWN, UP = 0.25, 0.4  # pinch distance thresholds, in hand sizes


class PinchClicker:
    """Per track: a cursor in [0, 1] image coordinates and pinch down / up edges."""

    def __init__(self) -> None:
        self.pressed: dict[int, bool] = {}

    def update(self, hands: handpose.Hands) -> list[tuple[int, str, float, float]]:
        """``(track_id, "down" | "up" | "move", x, y)`` for every tracked hand of this frame."""
        events = []
        for hand in hands:
            size = float(np.linalg.norm(hand["middle_mcp"][:2] - hand["wrist"][:2])) or 1.0
            pinch = float(np.linalg.norm(hand["thumb_tip"][:2] - hand["index_tip"][:2])) / size
            tid = hand.track_id if hand.track_id is not None else -1
            was = self.pressed.get(tid, False)
            now = pinch < DOWN if not was else pinch < UP
            self.pressed[tid] = now
            x, y = hand.keypoints_norm[8, :2]  # the index fingertip, 0..1 of the frame
            events.append((tid, "down" if now and not was else "up" if was and not now else "move", x, y))
        for tid in set(self.pressed) - {h.track_id for h in hands}:
            del self.pressed[tid]  # a lost hand releases its button
        return events


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", nargs="?", default="0", help="camera index, video file or stream URL")
    p.add_argument("--flip", action="store_true",
                   help="mirror the frames, as a webcam app shows them: the hand moves the way the person moves it")
    p.add_argument("--limit", type=int, default=None, help="stop after N frames")
    args = p.parse_args(argv)

    tracker = handpose.HandTracker(max_hands=1, flip=args.flip)
    clicker = PinchClicker()
    try:
        for hands in itertools.islice(tracker.stream(args.source), args.limit):
            for tid, what, x, y in clicker.update(hands):
                if what != "move":
                    print(f"{hands.timestamp_ms / 1000:7.2f} s  hand {tid}: {what} at ({x:.3f}, {y:.3f})")
    except handpose.HandposeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
