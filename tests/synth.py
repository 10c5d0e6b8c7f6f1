"""Build test inputs from the real photos: hand cut-outs, two-hand scenes, shrunk and mirrored hands."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from handpose import Hands


def hand_cutout(photo: Path, tracker, size: int = 200) -> np.ndarray:
    """The hand of a photo with a margin, scaled so its longer side is ``size`` pixels."""
    img = cv2.imread(str(photo))
    hands = tracker.process(img)
    assert len(hands) >= 1, f"no hand in {photo}"
    x1, y1, x2, y2 = hands.boxes[0]
    m = 0.25 * max(x2 - x1, y2 - y1)
    x1, y1 = int(max(0, x1 - m)), int(max(0, y1 - m))
    x2, y2 = int(min(img.shape[1], x2 + m)), int(min(img.shape[0], y2 + m))
    cut = img[y1:y2, x1:x2]
    s = size / max(cut.shape[:2])
    return cv2.resize(cut, (round(cut.shape[1] * s), round(cut.shape[0] * s)), interpolation=cv2.INTER_AREA)


def paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    canvas[y : y + h, x : x + w] = patch


def crossing_scene(a: np.ndarray, b: np.ndarray, frames: int = 40, width: int = 1040, height: int = 640):
    """Hand ``a`` moves left -> right along the top, ``b`` right -> left along the bottom; they pass mid-way.

    Yields (frame, centre of a, centre of b).
    """
    xa0, xa1 = 20, width - a.shape[1] - 20
    ya, yb = 20, height - b.shape[0] - 20
    for i in range(frames):
        f = i / (frames - 1)
        canvas = np.full((height, width, 3), 120, np.uint8)
        xa = round(xa0 + (xa1 - xa0) * f)
        xb = round(xa1 - (xa1 - xa0) * f)
        paste(canvas, a, xa, ya)
        paste(canvas, b, xb, yb)
        yield canvas, (xa + a.shape[1] / 2, ya + a.shape[0] / 2), (xb + b.shape[1] / 2, yb + b.shape[0] / 2)


def video_frame(video: Path, frame: int) -> np.ndarray:
    """Frame number ``frame`` of a video file."""
    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, frame)
    ok, image = cap.read()
    cap.release()
    assert ok, f"no frame {frame} in {video}"
    return image


def approaching_hand(video: Path, tracker, frame: int = 10, growth: float = 1.6, steps: int = 10,
                     still: int = 12) -> list[np.ndarray]:
    """A frame of ``video`` held still, magnified about its hand's palm up to ``growth`` over ``steps`` frames (as
    a hand coming that many times nearer the camera looks), then held again. Reverse it for a hand going away."""
    image = video_frame(video, frame)
    hands = tracker.process(image)
    assert len(hands) >= 1, f"no hand in frame {frame} of {video}"
    cx, cy = hands.keypoints[0][[0, 5, 9, 13, 17], :2].mean(0)
    scales = [1.0] * still + [1.0 + (growth - 1.0) * i / steps for i in range(1, steps + 1)] + [growth] * still
    size = image.shape[1::-1]
    return [cv2.warpAffine(image, np.array([[s, 0, (1 - s) * cx], [0, s, (1 - s) * cy]], np.float32), size,
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for s in scales]


def waving_hand(video: Path, tracker, frame: int = 60, degrees: float = 30.0, hz: float = 1.5, seconds: float = 2.0,
                fps: float = 30.0, still: int = 10, slide: float = 0.0) -> list[np.ndarray]:
    """A frame of ``video`` turned upside down (its hand then points up), held still for ``still`` frames, then
    turned about the hand's wrist by +-``degrees``, ``hz`` times a second, for ``seconds``: a hand waving. With
    ``slide`` (pixels) it is moved side to side by that much instead, as an arm waving moves it."""
    swings = np.sin(2 * np.pi * hz * np.maximum(np.arange(still + round(seconds * fps)) - still, 0) / fps)
    if slide:
        return sliding_hand(video, slide * swings, frame, pad=0)
    image = cv2.rotate(video_frame(video, frame), cv2.ROTATE_180)
    hands = tracker.process(image)
    assert len(hands) >= 1, f"no hand in frame {frame} of {video}"
    wrist = tuple(float(v) for v in hands.keypoints[0, 0, :2])
    return [cv2.warpAffine(image, cv2.getRotationMatrix2D(wrist, degrees * swing, 1.0), image.shape[1::-1],
                           borderMode=cv2.BORDER_REPLICATE) for swing in swings]


def minimum_jerk(s: np.ndarray | float) -> np.ndarray:
    """0 before ``s`` = 0, 1 after ``s`` = 1, and between them the smooth rise of a hand moved from rest to rest
    (the minimum-jerk profile: it speeds up, then slows down to a stop)."""
    s = np.clip(s, 0.0, 1.0)
    return 10 * s**3 - 15 * s**4 + 6 * s**5


def sliding_hand(video: Path, offsets: np.ndarray, frame: int = 60, pad: int = 200) -> list[np.ndarray]:
    """A frame of ``video`` turned upside down (its hand then points up), widened by ``pad`` pixels of its own
    edge on either side (room to move in), and moved sideways by each of ``offsets`` (pixels) in turn."""
    image = cv2.copyMakeBorder(cv2.rotate(video_frame(video, frame), cv2.ROTATE_180), 0, 0, pad, pad,
                               cv2.BORDER_REPLICATE)
    return [cv2.warpAffine(image, np.float32([[1, 0, dx], [0, 1, 0]]), image.shape[1::-1],
                           borderMode=cv2.BORDER_REPLICATE) for dx in offsets]


def two_hands(video: Path, tracker, places, frames: int, fps: float = 25.0, size: tuple[int, int] = (1040, 640),
              frame: int = 60) -> list[np.ndarray]:
    """Frames of two real hands: the hand of ``video``'s ``frame`` turned upside down (it points up) and its mirror
    image, on a plain background of the frame's colour, the mirror image centred at ``places(t)[0]`` and the hand
    at ``places(t)[1]`` (pixels) at ``t = i / fps``."""
    image = cv2.rotate(video_frame(video, frame), cv2.ROTATE_180)
    x1, y1, x2, y2 = tracker.process(image).boxes[0]
    half = 0.8 * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    hand = image[int(max(cy - half, 0)):int(cy + half), int(max(cx - half, 0)):int(cx + half)]
    out = []
    for i in range(frames):
        canvas = np.empty((size[1], size[0], 3), np.uint8)
        canvas[:] = np.median(image.reshape(-1, 3), axis=0)
        for patch, (x, y) in zip((cv2.flip(hand, 1), hand), places(i / fps), strict=True):
            paste(canvas, patch, round(x - patch.shape[1] / 2), round(y - patch.shape[0] / 2))
        out.append(canvas)
    return out


def write_video(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def tracked_hands(kps: list[np.ndarray], ids: list[int], sides: list[str], t: float,
                  size: tuple[int, int] = (1280, 720), world: list[np.ndarray] | None = None) -> Hands:
    """A frame's tracked hands from keypoints (and world landmarks, zero by default)."""
    n = len(kps)
    w = np.zeros((n, 21, 3), np.float32) if world is None else np.asarray(world, np.float32).reshape(n, 21, 3)
    return Hands(keypoints=np.asarray(kps, np.float32).reshape(n, 21, 3), world=w,
                 scores=np.ones(n, np.float32), handedness=np.array(sides), handedness_scores=np.ones(n, np.float32),
                 boxes=np.zeros((n, 4), np.float32), rects=np.zeros((n, 5), np.float32), track_ids=np.array(ids),
                 width=size[0], height=size[1], timestamp_ms=t)
