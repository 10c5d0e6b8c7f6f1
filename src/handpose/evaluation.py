"""Keypoint accuracy on annotated hands: detection recall/precision, PCK@0.1/0.2, end-point error, AUC.

Matching rule: a predicted hand matches a ground-truth hand when more than half of its keypoints that the annotation
labels fall inside that hand's box (the annotated box, else the box of its visible keypoints grown by 10 % on each
side): of a hand cut off by the picture's edge, only the points in the picture are labelled, and the prediction's
others lie outside its box. Each prediction matches at most one hand, best overlap first. Errors are normalized by
the long side of the ground-truth keypoint box (visible keypoints only), as in the hand-pose literature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .geometry import grow_box

THRESHOLDS = np.linspace(0.0, 0.5, 51)


@dataclass
class GTHand:
    keypoints: np.ndarray  # (21, 3) x, y, visible
    box: np.ndarray  # xyxy
    handedness: str | None = None


@dataclass
class GTImage:
    path: Path
    source: str
    hands: list[GTHand]


def _kp_box(kps: np.ndarray, grow: float = 0.1) -> np.ndarray:
    vis = kps[kps[:, 2] > 0, :2]
    if len(vis) == 0:
        return np.zeros(4, np.float32)
    return grow_box(np.concatenate([vis.min(0), vis.max(0)]), grow).astype(np.float32)


def _read_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"cannot read annotations {p}: not a JSON text file") from e
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read annotations {p}: {e}") from e


def _malformed(p: Path, where: str, e: Exception) -> InputError:
    why = f"missing {e}" if isinstance(e, KeyError) else str(e)
    return InputError(f"{p}, {where}: malformed annotation ({why})")


def _hands21(data: Any, p: Path) -> list[GTImage]:
    """The ``hands21`` JSON: ``[{"image", "width", "height", "source", "hands": [{"keypoints": [[x, y, v]]*21,
    "bbox": [x, y, w, h], "handedness"}]}]``; image paths are relative to the JSON file."""
    if not isinstance(data, list):
        raise InputError(f"{p}: expected a list of images in hands21 format")
    out = []
    for i, item in enumerate(data):
        try:
            hands = []
            for h in item.get("hands", []):
                kps = np.asarray(h["keypoints"], np.float32).reshape(21, 3)
                if h.get("bbox"):
                    x, y, w, hh = h["bbox"]
                    box = np.array([x, y, x + w, y + hh], np.float32)
                else:
                    box = _kp_box(kps)
                hands.append(GTHand(kps, box, h.get("handedness")))
            out.append(GTImage(p.parent / item["image"], item.get("source", "unknown"), hands))
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise _malformed(p, f"image {i}", e) from e
    return out


def _coco(data: Any, p: Path, images: str | Path | None) -> list[GTImage]:
    """COCO: COCO-WholeBody's ``lefthand_kpts`` / ``righthand_kpts`` (63 values) and ``*_box`` per person, or
    annotations of one hand each, 21 ``keypoints`` (as ``handpose run --coco`` writes them, and hand datasets in
    COCO form), their handedness in ``attributes`` when known."""
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a COCO object with 'images' and 'annotations'")
    if not all(isinstance(data.get(k, []), list) for k in ("images", "annotations")):
        raise InputError(f"{p}: 'images' and 'annotations' must be lists")
    root = Path(images) if images else p.parent
    by_image: dict[int, list[GTHand]] = {}
    whole_body = False
    for i, a in enumerate(data.get("annotations", [])):
        hands: list[tuple[Any, Any, str | None]]  # keypoints, box, side
        try:
            if any(f"{side}hand_kpts" in a for side in ("left", "right")):
                whole_body = True
                hands = [(a.get(f"{side}hand_kpts") or [0] * 63, a.get(f"{side}hand_box"), side)
                         for side in ("left", "right") if a.get(f"{side}hand_valid", True)]
            elif "keypoints" in a:
                hands = [(a["keypoints"], a.get("bbox"), (a.get("attributes") or {}).get("handedness"))]
                if len(a["keypoints"]) != 63:
                    raise InputError(f"{p}, annotation {i}: {len(a['keypoints']) // 3} keypoints, not a hand's 21 "
                                     "(hands are COCO-WholeBody's lefthand_kpts / righthand_kpts, or annotations of "
                                     "21 keypoints each, as 'handpose run --coco' writes)")
            else:
                continue
            for values, b, side in hands:
                kps = np.asarray(values, np.float32).reshape(21, 3)
                if not (kps[:, 2] > 0).any():
                    continue
                kps[:, 2] = (kps[:, 2] > 0).astype(np.float32)
                box = np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]], np.float32) if b and b[2] > 0 else _kp_box(kps)
                by_image.setdefault(a["image_id"], []).append(GTHand(kps, box, side))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as e:
            raise _malformed(p, f"annotation {i}", e) from e
    out = []
    for i, img in enumerate(data.get("images", [])):
        try:
            if img["id"] in by_image:
                out.append(GTImage(root / img["file_name"], "coco-wholebody" if whole_body else "coco",
                                   by_image[img["id"]]))
        except (KeyError, TypeError) as e:
            raise _malformed(p, f"image {i}", e) from e
    return out


def load_annotations(path: str | Path, fmt: str = "auto", images: str | Path | None = None) -> list[GTImage]:
    """hands21 or COCO (COCO-WholeBody, or 21 keypoints per hand) annotations; ``auto`` tells them apart by the
    JSON's top level (list / object)."""
    if fmt not in ("auto", "hands21", "coco"):
        raise InputError(f"unknown annotation format {fmt!r} (hands21 or coco)")
    p = Path(path)
    data = _read_json(p)
    if fmt == "auto":
        fmt = "coco" if isinstance(data, dict) else "hands21"
    return _coco(data, p, images) if fmt == "coco" else _hands21(data, p)


def match(preds: list[np.ndarray], gts: list[GTHand]) -> list[tuple[int, int]]:
    """(gt index, prediction index) pairs by the matching rule above."""
    scores = []
    for gi, g in enumerate(gts):
        x1, y1, x2, y2 = g.box
        labelled = g.keypoints[:, 2] > 0
        if not labelled.any():
            continue
        for pi, kp in enumerate(preds):
            kp = kp[labelled]
            inside = np.mean((kp[:, 0] >= x1) & (kp[:, 0] <= x2) & (kp[:, 1] >= y1) & (kp[:, 1] <= y2))
            if inside > 0.5:
                scores.append((inside, gi, pi))
    pairs, used_g, used_p = [], set(), set()
    for _, gi, pi in sorted(scores, reverse=True):
        if gi not in used_g and pi not in used_p:
            pairs.append((gi, pi))
            used_g.add(gi)
            used_p.add(pi)
    return pairs


@dataclass
class Tally:
    gt: int = 0
    preds: int = 0
    matched: int = 0
    errors_px: list[float] = field(default_factory=list)
    errors_norm: list[float] = field(default_factory=list)
    missed_keypoints: int = 0  # visible keypoints of hands that were not found

    def add(self, preds: list[np.ndarray], gts: list[GTHand]) -> list[tuple[int, int]]:
        pairs = match(preds, gts)
        self.gt += len(gts)
        self.preds += len(preds)
        self.matched += len(pairs)
        found = {gi for gi, _ in pairs}
        for gi, pi in pairs:
            g = gts[gi]
            vis = g.keypoints[:, 2] > 0
            lo, hi = g.keypoints[vis, :2].min(0), g.keypoints[vis, :2].max(0)
            norm = max(float((hi - lo).max()), 1.0)
            d = np.linalg.norm(preds[pi][vis, :2] - g.keypoints[vis, :2], axis=1)
            self.errors_px += d.tolist()
            self.errors_norm += (d / norm).tolist()
        for gi, g in enumerate(gts):
            if gi not in found:
                self.missed_keypoints += int((g.keypoints[:, 2] > 0).sum())
        return pairs

    def summary(self) -> dict[str, Any]:
        e = np.asarray(self.errors_norm)
        allk = np.concatenate([e, np.full(self.missed_keypoints, np.inf)]) if self.missed_keypoints else e

        def pck(arr: np.ndarray, t: float) -> float | None:
            return float(np.mean(arr < t)) if arr.size else None

        return {
            "gt_hands": self.gt, "predictions": self.preds, "matched": self.matched,
            "recall": self.matched / self.gt if self.gt else None,
            "precision": self.matched / self.preds if self.preds else None,
            "pck@0.1": pck(e, 0.1), "pck@0.2": pck(e, 0.2),
            "pck@0.2_all_hands": pck(allk, 0.2),
            "epe_px": float(np.mean(self.errors_px)) if self.errors_px else None,
            "auc@0.5": float(np.mean([np.mean(e < t) for t in THRESHOLDS])) if e.size else None,
        }


def evaluate(images: list[GTImage], predict: Any, progress: bool = True, desc: str = "eval") -> dict[str, Any]:
    """``predict(path) -> list of (21, >=2) keypoint arrays`` (None if unreadable) for every image."""
    from tqdm import tqdm

    total = Tally()
    per_source: dict[str, Tally] = {}
    unreadable = []
    predictions: dict[str, list[list[list[float]]]] = {}
    for item in tqdm(images, desc=desc, unit="img", disable=not progress or None):
        preds = predict(str(item.path))
        if preds is None:
            unreadable.append(str(item.path))
            continue
        predictions[str(item.path)] = [np.asarray(p)[:, :2].tolist() for p in preds]
        total.add(preds, item.hands)
        per_source.setdefault(item.source, Tally()).add(preds, item.hands)
    return {"overall": total.summary(), "per_source": {k: v.summary() for k, v in sorted(per_source.items())},
            "unreadable": unreadable, "predictions": predictions}


def agreement(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
    """Mean keypoint distance between two runs' predictions on hands both found (e.g. int8 vs fp32)."""
    d = []
    for path, pa in a["predictions"].items():
        pb = b["predictions"].get(path, [])
        for kp in pa:
            if not pb:
                break
            kp = np.asarray(kp)
            best = min((np.linalg.norm(kp - np.asarray(q), axis=1).mean() for q in pb), default=None)
            if best is not None and best < 50:
                d.append(best)
    return {"hands": len(d), "keypoint_px_mean": float(np.mean(d)) if d else None}
