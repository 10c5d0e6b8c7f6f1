"""HaGRID's annotation files as a hand dataset: each hand's 21 annotated keypoints and gesture, no model run.

HaGRID (github.com/hukenovs/hagrid) ships one JSON file per gesture class. Each maps an image's id (its file name
without the extension) to its hands: ``bboxes``, ``labels`` and, since the release with keypoints, ``landmarks``
(HaGRID) or ``hand_landmarks`` (HaGRIDv2): per hand, a list of 21 ``[x, y]`` as fractions of the image's width and
height, empty where its annotating model found none. Those fractions need each image's size to become a hand's
shape, so the images are found by id under a folder and their sizes read from their headers.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..sources import IMAGE_EXTS, glob_files, image_size, is_glob
from .dataset import LandmarkSet

log = logging.getLogger("handpose")

NO_GESTURE = "no_gesture"  # HaGRID's label of a hand showing none of its gestures: handpose's ``none``
KEYPOINT_KEYS = ("hand_landmarks", "landmarks")  # HaGRIDv2, HaGRID
# a JSON object whose first value is an object: an annotation file (``run --json`` lines start with a string)
_OBJECT_OF_OBJECTS = re.compile(rb'\s*\{\s*"[^"]*"\s*:\s*\{')


def is_annotation_file(path: Path) -> bool:
    """Whether ``path`` looks like a HaGRID annotation file (read from its first bytes only)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            return _OBJECT_OF_OBJECTS.match(f.read(512)) is not None
    except OSError:
        return False


def annotation_files(source: str) -> list[Path] | None:
    """The HaGRID annotation files a source names: a ``.json`` file, a folder holding them (``annotations/train``)
    or a glob of them; None when it names none."""
    path = Path(source)
    if is_glob(source):  # only a pattern of .json files is matched here (a glob of images is not listed twice)
        files = glob_files(source, {".json"}) if source.lower().endswith(".json") else []
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json")
    else:
        files = [path]
    found = [p for p in files if is_annotation_file(p)]
    return found or None


def import_annotations(data: LandmarkSet, files: list[Path], images: str | Path) -> None:
    """Add the hands of HaGRID annotation ``files`` to ``data``, in pixels of their images under ``images``.

    A hand labelled ``no_gesture`` is recorded as ``none``; one without keypoints counts as undetected; the hands of
    an image that is not under ``images``, or cannot be read, as unreadable. Hands keep no handedness (HaGRID
    names the side only of the hand showing the gesture, and a 2D shape is mirrored by its thumb side instead).
    """
    from tqdm import tqdm

    root = Path(images)
    if not root.is_dir():
        raise InputError(f"--images: {root} is not a folder (the folder of the annotated images)")
    found = _image_index(root)
    missing = annotated = unpaired = 0
    for path in files:
        entries = _read(path)
        for key, hands in tqdm(_hands(path, entries), total=len(entries), desc=path.stem, unit="img", disable=None,
                               leave=False):
            annotated += 1
            picture, size = found.get(key), None
            if hands is None:
                unpaired += 1
            elif picture is None:
                missing += 1
            else:
                try:
                    size = image_size(picture)
                except InputError as e:
                    log.warning("skipped %s", e)
            if hands is None or picture is None or size is None:
                data.unreadable.extend((_label(label), picture or key) for label in entries[key]["labels"])
                continue
            for label, points in hands:
                if points is None:
                    data.undetected.append((label, picture))
                else:
                    data.add(label, points * size, None, picture, size)
    if annotated and missing == annotated:
        raise InputError(f"none of the {annotated} images annotated is under {root}: give the folder of HaGRID's "
                         "images (any depth below it) with --images")
    if missing:
        log.warning("%d of the %d images annotated are not under %s: their hands are not recorded", missing,
                    annotated, root)
    if unpaired:
        log.warning("%d images have a number of hands' keypoints other than of labels: left out, as which is which "
                    "is not known", unpaired)


def _read(path: Path) -> dict[str, Any]:
    try:
        entries = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not valid JSON: {e}") from e
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    if not isinstance(entries, dict) or not all(isinstance(v, dict) and "labels" in v for v in entries.values()):
        raise InputError(f"{path} is not a HaGRID annotation file (an object of image ids, each with 'labels')")
    if entries and not any(k in v for v in entries.values() for k in KEYPOINT_KEYS):
        raise InputError(f"{path} has no keypoints ('hand_landmarks' or 'landmarks'; HaGRID's first release had "
                         "boxes only): record its images instead, 'handpose gestures record <images>/ -o data.csv'")
    return entries


def _hands(path: Path, entries: dict[str, Any]) -> Iterator[tuple[str, list[tuple[str, np.ndarray | None]] | None]]:
    """Each image id with its hands' labels and keypoints (fractions of the image, (21, 2); None where the
    annotation has none), or with None where the hands' keypoints do not pair up with the labels."""
    for key, entry in entries.items():
        labels = [_label(label) for label in entry["labels"]]
        points = next((entry[k] for k in KEYPOINT_KEYS if k in entry), None) or [[]] * len(labels)
        if len(points) != len(labels):  # the keypoints are per hand, in the order of the labels
            yield key, None
            continue
        hands: list[tuple[str, np.ndarray | None]] = []
        for label, hand in zip(labels, points, strict=True):
            try:
                pts = np.asarray(hand, np.float64) if len(hand) else None
                if pts is not None and (pts.ndim != 2 or pts.shape[0] != 21 or pts.shape[1] < 2
                                        or not np.isfinite(pts).all()):
                    raise ValueError(f"shape {pts.shape}")
            except (TypeError, ValueError) as e:
                raise InputError(f"{path}, image {key}: a hand's keypoints are not 21 [x, y] numbers ({e})") from e
            hands.append((label, None if pts is None else pts[:, :2]))
        yield key, hands


def _label(label: Any) -> str:
    return "none" if label == NO_GESTURE else str(label)


def _image_index(root: Path) -> dict[str, str]:
    """Image files under ``root`` (any depth) by name without extension: HaGRID names its images by their id.
    (Paths as strings: a million of them take 240 MB.)"""
    index: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            stem, ext = os.path.splitext(name)
            if ext.lower() in IMAGE_EXTS:
                index.setdefault(stem, os.path.join(folder, name))
    return index
