"""Draw the held-out rows of a landmark CSV that the default hand classifier gets wrong.

Trains the default classifier on the first 75 % of each label's rows (the split of issue #4's target), then draws
every wrong held-out row as its 21 keypoints, captioned with its row number, its label and the prediction, under a
first line of typical training rows (the one nearest its label's mean features), so that a reader can judge which
errors are the classifier's and which the labels'. About 30 s on 2 cores:

    .venv/bin/python tools/keypoint_errors.py ../shared/data/landmarks/keypoint.csv \
        --labels-file ../shared/data/landmarks/keypoint_classifier_label.csv -o out/keypoint-errors.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from handpose.draw import EDGE_COLORS, POINT_COLORS
from handpose.gestures.classifier import DEFAULTS, TrainConfig
from handpose.gestures.dataset import load_dataset
from handpose.gestures.training import GestureTrainer
from handpose.results import SKELETON

TILE = 150
COLUMNS = 8


def hand_tile(points: np.ndarray, caption: str, color: tuple[int, int, int] = (40, 40, 40)) -> np.ndarray:
    """The 21 keypoints (x, y), fitted into a white tile, with a caption under them."""
    tile = np.full((TILE + 20, TILE, 3), 255, np.uint8)
    xy = points[:, :2] - (points[:, :2].max(0) + points[:, :2].min(0)) / 2
    pts = np.round(xy * (0.85 * TILE / max(float(np.ptp(xy, 0).max()), 1e-6)) + TILE / 2).astype(np.int32)
    for (a, b), edge in zip(SKELETON, EDGE_COLORS, strict=True):
        cv2.line(tile, tuple(pts[a]), tuple(pts[b]), edge, 2, cv2.LINE_AA)
    for p, dot in zip(pts, POINT_COLORS, strict=True):
        cv2.circle(tile, tuple(p), 3, dot, -1, cv2.LINE_AA)
    cv2.putText(tile, caption, (4, TILE + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1, cv2.LINE_AA)
    return tile


def grid(tiles: list[np.ndarray]) -> np.ndarray:
    blank = np.full_like(tiles[0], 255)
    tiles = tiles + [blank] * (-len(tiles) % COLUMNS)
    return np.vstack([np.hstack(tiles[i : i + COLUMNS]) for i in range(0, len(tiles), COLUMNS)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data")
    ap.add_argument("--labels-file")
    ap.add_argument("--holdout-last", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default="out/keypoint-errors.png")
    ap.add_argument("--overwrite", action="store_true", help="replace the output picture if it exists")
    args = ap.parse_args()
    if Path(args.output).exists() and not args.overwrite:
        raise SystemExit(f"{args.output} exists; pass --overwrite to replace it")

    data = load_dataset(args.data, args.labels_file)
    trainer = GestureTrainer(data, TrainConfig(**{**DEFAULTS["hand"].__dict__, "seed": args.seed}), progress=True)
    train, test = trainer.split_last(args.holdout_last)
    model = trainer.fit(train)
    proba = model.predict_proba(trainer.x[test])
    labels = np.array(model.labels)
    predicted = labels[proba.argmax(1)]
    wrong = np.flatnonzero(predicted != trainer.y[test])

    typical = []
    for label in labels:
        rows = train[trainer.y[train] == label]
        feats = trainer.x[rows]
        row = rows[np.linalg.norm(feats - feats.mean(0), axis=1).argmin()]
        typical.append(hand_tile(data.points[row], f"typical {label}", (0, 120, 0)))
    errors = [hand_tile(data.points[test[i]], f"{test[i]} {trainer.y[test[i]]}>{predicted[i]} {proba[i].max():.2f}",
                        (0, 0, 200)) for i in wrong]
    accuracy = 1 - len(wrong) / len(test)
    title = np.full((30, TILE * COLUMNS, 3), 255, np.uint8)
    cv2.putText(title, f"{Path(args.data).name}: {len(wrong)} of {len(test)} held-out rows wrong "
                f"(accuracy {accuracy:.4f}, seed {args.seed}); row label>prediction probability",
                (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    image = np.vstack([title, grid(typical), np.full((6, TILE * COLUMNS, 3), 200, np.uint8), grid(errors)])
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.output, image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{len(wrong)} of {len(test)} wrong (accuracy {accuracy:.4f}) -> {args.output}")


if __name__ == "__main__":
    main()
