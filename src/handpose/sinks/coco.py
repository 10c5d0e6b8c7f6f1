"""COCO keypoint annotations of the hands found in images: pre-labels for an annotation tool or a training set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..geometry import grow_box
from ..outputs import check_writable, write_text
from ..results import KEYPOINT_NAMES, SKELETON
from .folder import name_below

HAND_CATEGORY = {"id": 1, "name": "hand", "supercategory": "hand", "keypoints": list(KEYPOINT_NAMES),
                 "skeleton": [[a + 1, b + 1] for a, b in SKELETON]}  # COCO numbers keypoints from 1
BOX_MARGIN = 0.1  # of the keypoints' box, on each side: a box round the hand, not through its fingertips


def hand_annotation(hand: dict[str, Any], width: int, height: int) -> dict[str, Any]:
    """One hand of a frame record (``--json``'s) as a COCO annotation, without its ids.

    Keypoints outside the picture are written as COCO's "not labelled" (0, 0, 0); the others as labelled and
    visible (2), as a model's points carry no visibility. The box is the keypoints' own, grown by 10 % on each side
    and kept inside the picture."""
    keypoints: list[float] = []
    for x, y, _z in hand["keypoints"]:
        inside = 0 <= x < width and 0 <= y < height
        keypoints += [round(x, 2), round(y, 2), 2] if inside else [0, 0, 0]
    x1, y1, x2, y2 = np.clip(grow_box(hand["bbox"], BOX_MARGIN), 0, [width, height, width, height]).tolist()
    w, h = max(0.0, x2 - x1), max(0.0, y2 - y1)
    attributes: dict[str, Any] = {"handedness": hand["handedness"], "handedness_score": hand["handedness_score"]}
    if hand.get("track_id") is not None:
        attributes["track_id"] = hand["track_id"]
    if hand.get("gesture"):
        attributes["gesture"] = hand["gesture"]["label"]
    return {"category_id": HAND_CATEGORY["id"], "iscrowd": 0, "bbox": [round(v, 2) for v in (x1, y1, w, h)],
            "area": round(w * h, 2), "num_keypoints": keypoints[2::3].count(2), "keypoints": keypoints,
            "score": hand["score"], "attributes": attributes}


class CocoSink:
    """The hands of the images a run processes as one COCO keypoints JSON, written whole when the run ends.

    Each image is named by its path below ``root`` (the folder the inputs share; ``handpose eval --images ROOT``
    finds them again), with one ``hand`` annotation per hand: 21 keypoints named as in :data:`KEYPOINT_NAMES`,
    the skeleton, a box, the detector's score, and handedness (and track id, gesture) as CVAT-style attributes.
    An image without a hand is listed with no annotation, so a tool shows it to be labelled too.
    """

    def __init__(self, path: Path | str, overwrite: bool = False, root: Path | None = None):
        self.path, self.root = Path(path), root
        check_writable(self.path, overwrite)
        self.name = str(self.path)
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        if record.get("end_of_stream"):  # gestures ended with the input: no picture of its own
            return
        image_id = len(self.images) + 1
        width, height = record["width"], record["height"]
        name = name_below(record["source"], self.root).as_posix() if record.get("source") else f"{image_id:06d}.jpg"
        self.images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for hand in record["hands"]:
            self.annotations.append({"id": len(self.annotations) + 1, "image_id": image_id,
                                     **hand_annotation(hand, width, height)})

    def close(self) -> None:
        info = {"description": f"hands found by handpose {__version__}", "version": __version__}
        document = {"info": info, "images": self.images, "annotations": self.annotations,
                    "categories": [HAND_CATEGORY]}
        write_text(self.path, json.dumps(document, separators=(",", ":")))
