"""Teach handpose your own hand shapes from a folder of photos, in Python, then use them.

    python examples/teach_gestures.py photos/ -o mine.npz --try 0    # photos/<label>/*.jpg (or videos)
    handpose run 0 --gestures mine.npz                               # the model, from the command line

The same as ``handpose gestures record`` + ``train``: hands are found in every photo, turned into features, and
a small ensemble of MLPs is trained (with synthetic viewpoints), cross-validated first so you know how it will do.
A class named ``none`` (photos of other shapes) keeps unknown shapes out of your labels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import handpose
from handpose.gestures import GestureTrainer, record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", help="a folder of <label>/ subfolders of photos or videos")
    p.add_argument("-o", "--output", required=True, help="where to save the model (.npz)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    p.add_argument("--try", dest="try_on", metavar="SOURCE", help="then label the hands of SOURCE (a photo, "
                   "folder, video or camera) with the new model")
    args = p.parse_args(argv)

    if Path(args.output).exists() and not args.overwrite:  # before the work, not after it
        print(f"error: {args.output} exists; pass --overwrite to replace it", file=sys.stderr)
        return 1
    try:
        data = record(args.root)  # one row per photo: the most confident hand's 21 keypoints
        counts = {label: data.labels.count(label) for label in sorted(set(data.labels))}
        print(f"{len(data)} hands: {counts}; {len(data.undetected)} photos without a hand")
        trainer = GestureTrainer(data, progress=True)
        folds = trainer.cross_validate(5)
        print(f"cross-validated accuracy {np.mean(folds):.3f} (folds {', '.join(f'{a:.2f}' for a in folds)})")
        model = trainer.fit()
        path = model.save(args.output, overwrite=args.overwrite)
        print(f"model -> {path}")

        if args.try_on:  # use it: every hand gets one of your labels, or "none"
            source = handpose.open_source(args.try_on)
            tracker = handpose.HandTracker(mode="image" if source.kind == "images" else "video", gestures=str(path))
            for frame, hands in tracker.track(source):
                shapes = ", ".join(f"{g.label} {g.score:.2f}" for g in hands.gestures if g is not None)
                print(f"{frame.source} #{frame.index}: {shapes or 'no hand'}")
    except handpose.HandposeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
