"""Count raised fingers per hand and draw the count on each frame.

    python examples/finger_count.py 0                         # a webcam, shown in a window
    python examples/finger_count.py clip.mp4 -o counted.mp4    # a video, annotated copy

Uses the readable finger states the built-in vocabulary is built on (``handpose.gestures.finger_states``):
a finger is raised when it is ``extended``; the thumb when it points away from the palm.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import cv2

import handpose
from handpose.gestures import finger_states


def raised_fingers(hands: handpose.Hands) -> list[int]:
    """The number of raised fingers (0-5) of each hand."""
    states = finger_states(hands.keypoints, list(hands.handedness))
    return [sum(s.state[f] == "extended" for f in ("index", "middle", "ring", "pinky")) + (s.thumb_out >= 0.5)
            for s in states]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", nargs="?", default="0", help="camera index, video file, folder or stream URL")
    p.add_argument("-o", "--output", help="write the annotated video here (default: show a window)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--limit", type=int, default=None, help="stop after N frames")
    args = p.parse_args(argv)

    try:
        source = handpose.open_source(args.source)
        # photos are independent (the detector on each), a video or camera is tracked
        tracker = handpose.HandTracker(mode="image" if source.kind == "images" else "video")
        with handpose.Preview("fingers", args.output, source.fps, args.overwrite) as preview:
            for frame, hands in itertools.islice(tracker.track(source), args.limit):
                if frame.image is None:  # track() yields only frames it could read; this tells the type checker
                    continue
                counts = raised_fingers(hands)
                print(f"frame {frame.index}: {counts}")
                view = handpose.draw_hands(frame.image, hands)
                for count, box in zip(counts, hands.boxes, strict=True):
                    x, y = int(box[0]), max(30, int(box[1]) - 30)
                    cv2.putText(view, str(count), (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 255, 255), 3,
                                cv2.LINE_AA)
                # a photo waits for a key; q or Esc (or closing the window) stops
                if not preview.show(view, pause=source.kind == "images"):
                    break
    except handpose.HandposeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
