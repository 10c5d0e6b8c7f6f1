"""Pictures of a keypoint evaluation (``handpose eval --draw``): each annotated image, once per run (handpose,
MediaPipe, ...) side by side, the annotation in white under the run's keypoints, with what the run got right."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .draw import draw_skeleton
from .errors import HandposeError
from .evaluation import GTHand, GTImage, match
from .imaging import gray_copy, prepare
from .outputs import check_writable, make_folder, write_image
from .sources import read_image

PANEL_WIDTH, PANEL_HEIGHT = 640, 480  # each run's panel fits in this (a small crop is enlarged to be seen)
HEADER = 26
GT_COLOR = (255, 255, 255)


def _caption(preds: list[np.ndarray], gts: list[GTHand]) -> str:
    """Hands found of those annotated, and the mean end-point error of the found ones' annotated keypoints."""
    pairs = match(preds, gts)
    errors = []
    for p, g in pairs:
        vis = gts[g].keypoints[:, 2] > 0
        errors.append(np.linalg.norm(preds[p][vis, :2] - gts[g].keypoints[vis, :2], axis=1).mean())
    text = f"{len(pairs)}/{len(gts)} hands"
    if errors:
        text += f", {float(np.mean(errors)):.1f} px"
    if len(preds) > len(pairs):
        text += f", {len(preds) - len(pairs)} unmatched"
    return text


def evaluation_picture(image: np.ndarray, gts: list[GTHand], runs: dict[str, list[np.ndarray] | None]
                       ) -> np.ndarray:
    """One panel per run (its keypoints of this image; None: it could not read it) over the annotation."""
    image = prepare(image)[0]  # gray, BGRA or 16-bit as 8-bit colour, as the panels are drawn in colour
    h, w = image.shape[:2]
    scale = min(PANEL_WIDTH / w, PANEL_HEIGHT / h)
    base = cv2.resize(image, (round(w * scale), round(h * scale)),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    thick = 2
    for gt in gts:
        draw_skeleton(base, gt.keypoints[:, :2] * scale, thick + 1, thick + 2, color=GT_COLOR,
                      visible=gt.keypoints[:, 2] > 0)
    panels = []
    for name, preds in runs.items():
        panel = base.copy()
        for kp in preds or []:
            draw_skeleton(panel, np.asarray(kp)[:, :2] * scale, thick, thick + 1)
        head = np.full((HEADER, panel.shape[1], 3), 255, np.uint8)
        text = f"{name}: " + ("not read" if preds is None else _caption([np.asarray(p) for p in preds], gts))
        cv2.putText(head, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
        panels.append(np.vstack([head, panel]))
    return np.hstack(panels)


def picture_paths(images: list[GTImage], folder: Path, overwrite: bool) -> list[Path]:
    """Where each image's picture goes (its file name; a repeated name gets its index), refused before the
    evaluation if one exists and ``overwrite`` is not set."""
    taken: set[str] = set()
    out = []
    for i, item in enumerate(images):
        name = f"{item.path.stem}.jpg"
        if name in taken:
            name = f"{item.path.stem}-{i}.jpg"
        taken.add(name)
        out.append(folder / name)
        check_writable(out[-1], overwrite, make_folders=False)
    return out


def write_pictures(images: list[GTImage], paths: list[Path], runs: dict[str, dict[str, list]],
                   gray: bool = False) -> int:
    """Write each readable annotated image's picture (its gray copy with ``gray``, as ``eval --gray`` ran on);
    ``runs`` maps a run's name to its predictions per image path (``evaluate``'s ``predictions``). Returns how
    many were written."""
    written = 0
    for item, path in zip(images, paths, strict=True):
        if not item.hands:
            continue
        try:
            image = read_image(item.path)
        except HandposeError:  # the evaluation reports it
            continue
        if gray:
            image = gray_copy(image)
        key = str(item.path)
        picture = evaluation_picture(image, item.hands, {name: preds.get(key) for name, preds in runs.items()})
        make_folder(path.parent)
        write_image(path, picture)
        written += 1
    return written
