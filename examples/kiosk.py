"""A touchless kiosk: point at a button on the screen, push your hand towards it to press it.

    python examples/kiosk.py 0 --flip                  # a webcam as a mirror, shown in a window
    python examples/kiosk.py clip.mp4 -o kiosk.mp4     # a video, annotated copy

The screen is a grid of buttons over the camera's view. The index fingertip hovers over one (outlined); a ``push``
(the hand comes 1.3 times nearer to the camera within 0.4 s) presses the button hovered when the push began: a
hand coming nearer also moves in the image, so the one under the fingertip at the end may be another. A ``pull``
is "back". Both are ratios of distances, so they work near and far from the camera.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import deque

import cv2
import numpy as np

import handpose

BUTTONS = (("Coffee", "Tea", "Water"), ("Milk", "Sugar", "Pay"))


class Kiosk:
    """Per track: the buttons its fingertip hovered over in the last second; pushes press, pulls go back."""

    def __init__(self, buttons: tuple[tuple[str, ...], ...] = BUTTONS, memory_ms: float = 1000.0):
        self.buttons, self.memory_ms = buttons, memory_ms
        self.hover: dict[int, deque[tuple[float, str]]] = {}
        self.flash: tuple[str, float] | None = None  # the button last pressed, and until when it is lit

    def button_at(self, x: float, y: float) -> str:
        """The button under (x, y), each in 0..1 of the frame."""
        row = self.buttons[min(int(y * len(self.buttons)), len(self.buttons) - 1)]
        return row[min(int(x * len(row)), len(row) - 1)]

    def update(self, hands: handpose.Hands) -> list[tuple[int, str]]:
        """``(track_id, "press <button>" | "back")`` for what this frame's hands did."""
        t = hands.timestamp_ms
        for hand in hands:
            x, y = np.clip(hand.keypoints_norm[8, :2], 0.0, 1.0)  # the index fingertip
            trail = self.hover.setdefault(int(hand.track_id or 0), deque())
            trail.append((t, self.button_at(float(x), float(y))))
            while trail[0][0] < t - self.memory_ms:
                trail.popleft()
        for tid in set(self.hover) - {int(i) for i in hands.track_ids}:
            del self.hover[tid]  # a lost hand forgets what it hovered
        out = []
        for event in hands.events:
            tid = event.track_id
            if event.label == "push" and tid in self.hover:
                trail = self.hover[tid]
                button = next((b for when, b in reversed(trail) if when <= event.start_ms), trail[0][1])
                self.flash = (button, t + 500.0)
                out.append((tid, f"press {button}"))
            elif event.label == "pull" and tid is not None:
                out.append((tid, "back"))
        return out

    def draw(self, image: np.ndarray, t: float) -> np.ndarray:
        """The buttons over ``image`` (in place): hovered ones outlined, a pressed one lit for half a second."""
        h, w = image.shape[:2]
        hovered = {trail[-1][1] for trail in self.hover.values() if trail}
        lit = self.flash[0] if self.flash and t < self.flash[1] else None
        for r, row in enumerate(self.buttons):
            for c, name in enumerate(row):
                x0, y0 = c * w // len(row) + 8, r * h // len(self.buttons) + 8
                x1, y1 = (c + 1) * w // len(row) - 8, (r + 1) * h // len(self.buttons) - 8
                if name == lit:  # tinted green, the camera's view still seen through it
                    image[y0:y1, x0:x1] = image[y0:y1, x0:x1] // 2 + np.array([0, 120, 0], np.uint8)
                cv2.rectangle(image, (x0, y0), (x1, y1), (0, 255, 255) if name in hovered else (200, 200, 200),
                              4 if name in hovered else 1)
                cv2.putText(image, name, (x0 + 10, y0 + 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2,
                            cv2.LINE_AA)
        return image


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", nargs="?", default="0", help="camera index, video file or stream URL")
    p.add_argument("-o", "--output", help="write the annotated video here (default: show a window)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--flip", action="store_true",
                   help="mirror the frames, as a webcam app shows them: the hand moves the way the person moves it")
    p.add_argument("--limit", type=int, default=None, help="stop after N frames")
    args = p.parse_args(argv)

    kiosk = Kiosk()
    try:
        source = handpose.open_source(args.source)
        tracker = handpose.HandTracker(max_hands=1, flip=args.flip, gestures="builtin")
        with handpose.Preview("kiosk", args.output, source.fps, args.overwrite) as preview:
            for frame, hands in itertools.islice(tracker.track(source), args.limit):
                if frame.image is None:  # track() yields only frames it could read; this tells the type checker
                    continue
                for tid, what in kiosk.update(hands):
                    print(f"{hands.timestamp_ms / 1000:7.2f} s  hand {tid}: {what}")
                view = handpose.draw_hands(kiosk.draw(frame.image.copy(), hands.timestamp_ms), hands, copy=False)
                if not preview.show(view):
                    break
    except handpose.HandposeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
