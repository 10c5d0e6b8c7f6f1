"""Reference outputs of mediapipe 0.10.21 (run with the reference environment): the legacy ``solutions.hands``
(``fixtures``) and the Tasks ``HandLandmarker`` (``tasks``).

    make reference-env
    .venv-ref/bin/python tools/reference/mediapipe_reference.py fixtures --shared ../shared \
        --out tests/fixtures/mediapipe_reference.json
    .venv-ref/bin/python tools/reference/mediapipe_reference.py tasks --shared ../shared \
        --models ~/.cache/handpose/models --out tests/fixtures/mediapipe_tasks_reference.json

Keypoints are written in pixels (x, y, z = landmark.z * width), rounded to 0.01 px. The handedness label is
mediapipe's own (legacy solutions assume a mirrored image, so it names the opposite hand).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np


def _hands_of(result, w: int, h: int) -> list[dict]:
    out = []
    for lm, hd in zip(result.multi_hand_landmarks or [], result.multi_handedness or [], strict=False):
        out.append({
            "keypoints": [[round(p.x * w, 2), round(p.y * h, 2), round(p.z * w, 2)] for p in lm.landmark],
            "handedness": hd.classification[0].label,
            "handedness_score": round(hd.classification[0].score, 4),
        })
    return out


def fixtures(shared: Path, out: Path, complexity: int) -> None:
    hands_static = mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=complexity)
    data: dict = {"mediapipe": mp.__version__, "model_complexity": complexity, "photos": {}, "video_static": {},
                  "video_tracking": {}}
    for p in sorted((shared / "data" / "photos").glob("*.jpg")):
        img = cv2.imread(str(p))
        res = hands_static.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        data["photos"][p.name] = _hands_of(res, img.shape[1], img.shape[0])
    video = shared / "data" / "video" / "hand_reach_640x360.mp4"
    hands_video = mp.solutions.hands.Hands(static_image_mode=False, max_num_hands=1, model_complexity=complexity)
    cap = cv2.VideoCapture(str(video))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        h, w = frame.shape[:2]
        if i % 10 == 0:
            data["video_static"][str(i)] = _hands_of(hands_static.process(rgb), w, h)
        data["video_tracking"][str(i)] = _hands_of(hands_video.process(rgb), w, h)
        i += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, separators=(",", ":")))
    print(f"wrote {out}: {len(data['photos'])} photos, {i} video frames", file=sys.stderr)


def _tasks_hands(result, w: int, h: int) -> list[dict]:
    return [{"keypoints": [[round(p.x * w, 2), round(p.y * h, 2), round(p.z * w, 2)] for p in lm],
             "world": [[round(p.x, 5), round(p.y, 5), round(p.z, 5)] for p in wl],
             "handedness": hd[0].category_name, "handedness_index": hd[0].index,
             "handedness_score": round(hd[0].score, 4)}
            for lm, wl, hd in zip(result.hand_landmarks, result.hand_world_landmarks, result.handedness,
                                  strict=True)]


def tasks(shared: Path, models: Path, out: Path) -> None:
    """The Tasks HandLandmarker on a bundle of the wheel's full models (what Google's hand_landmarker.task holds)."""
    vision = mp.tasks.vision
    bundle = Path(tempfile.mkdtemp()) / "hand_landmarker.task"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as zf:
        zf.write(models / "palm_detection_full.tflite", "hand_detector.tflite")
        zf.write(models / "hand_landmark_full.tflite", "hand_landmarks_detector.tflite")

    def landmarker(mode, hands: int):
        return vision.HandLandmarker.create_from_options(vision.HandLandmarkerOptions(
            base_options=mp.tasks.BaseOptions(model_asset_path=str(bundle)), running_mode=mode, num_hands=hands))

    data: dict = {"mediapipe": mp.__version__, "photos": {}, "video": {}}
    still = landmarker(vision.RunningMode.IMAGE, 2)
    for p in sorted((shared / "data" / "photos").glob("*.jpg")):
        img = mp.Image.create_from_file(str(p))
        data["photos"][p.name] = _tasks_hands(still.detect(img), img.width, img.height)
    # the thumbs-up photo turned a quarter counter-clockwise, detected with rotation_degrees=90 (clockwise)
    turned = np.ascontiguousarray(np.rot90(cv2.cvtColor(cv2.imread(str(shared / "data" / "photos" / "thumbs_up.jpg")),
                                                        cv2.COLOR_BGR2RGB)))
    img = mp.Image(image_format=mp.ImageFormat.SRGB, data=turned)
    upright = vision.ImageProcessingOptions(rotation_degrees=90)
    data["turned_thumbs_up"] = _tasks_hands(still.detect(img, upright), img.width, img.height)
    video = landmarker(vision.RunningMode.VIDEO, 1)
    cap = cv2.VideoCapture(str(shared / "data" / "video" / "hand_reach_640x360.mp4"))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        img = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        hands = _tasks_hands(video.detect_for_video(img, round(i * 1000 / fps)), img.width, img.height)
        for hand in hands:
            del hand["world"]  # kept for the photos only: the file stays small
        data["video"][str(i)] = hands
        i += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, separators=(",", ":")))
    print(f"wrote {out}: {len(data['photos'])} photos, {i} video frames", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("--shared", type=Path, default=Path("../shared"))
    f.add_argument("--out", type=Path, default=Path("tests/fixtures/mediapipe_reference.json"))
    f.add_argument("--complexity", type=int, default=1)
    t = sub.add_parser("tasks")
    t.add_argument("--shared", type=Path, default=Path("../shared"))
    t.add_argument("--models", type=Path, default=Path.home() / ".cache" / "handpose" / "models")
    t.add_argument("--out", type=Path, default=Path("tests/fixtures/mediapipe_tasks_reference.json"))
    args = ap.parse_args()
    if args.cmd == "fixtures":
        fixtures(args.shared, args.out, args.complexity)
    else:
        tasks(args.shared, args.models, args.out)


if __name__ == "__main__":
    main()
