"""Reference outputs of mediapipe 0.10.21 legacy ``solutions.hands`` (run with the reference environment).

    make reference-env
    .venv-ref/bin/python tools/reference/mediapipe_reference.py fixtures --shared ../shared \
        --out tests/fixtures/mediapipe_reference.json

Keypoints are written in pixels (x, y, z = landmark.z * width), rounded to 0.01 px. The handedness label is
mediapipe's own (legacy solutions assume a mirrored image, so it names the opposite hand).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import mediapipe as mp


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("--shared", type=Path, default=Path("../shared"))
    f.add_argument("--out", type=Path, default=Path("tests/fixtures/mediapipe_reference.json"))
    f.add_argument("--complexity", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "fixtures":
        fixtures(args.shared, args.out, args.complexity)


if __name__ == "__main__":
    main()
