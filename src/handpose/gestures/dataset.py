"""Landmark datasets: one CSV format for hands and trajectories, plus import of the common layouts.

Hand rows (``kind = hand``)::

    label,handedness,source,width,height,x0,y0,z0,...,x20,y20,z20

keypoints in pixels as handpose gives them (z: relative depth on the x scale; 0 when unknown), handedness
``left``/``right`` or empty when unknown. Trajectory rows (``kind = trajectory``)::

    label,handedness,source,width,height,keypoint,x0,y0,...,x15,y15

a keypoint's last 16 positions relative to the first one, divided by the frame width / height; ``keypoint`` is
its index (0-20, 8 = index fingertip), the same on every row of a file. Files without the column are index
fingertip trajectories. Trajectories of several keypoints name them all (``4+8``: the thumb and the index
fingertips) and hold 16 positions of each, one keypoint's after the other's (``x0..y15`` the first's,
``x16..y31`` the second's, ...), all relative to the first keypoint's first position.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import HandposeError
from ..outputs import check_writable, whole_file, writing
from .trajectory import HISTORY, TRAJECTORY_KEYPOINT, keypoint_indices, keypoints_text

KEEP_OR_APPEND = "pass --overwrite to replace it or --append to add to it"  # how to write to an existing dataset

META = ["label", "handedness", "source", "width", "height"]


def hand_header() -> list[str]:
    return META + [f"{a}{i}" for i in range(21) for a in "xyz"]


def trajectory_header(n: int = 16) -> list[str]:
    return [*META, "keypoint"] + [f"{a}{i}" for i in range(n) for a in "xy"]


@dataclass
class LandmarkSet:
    kind: str  # hand | trajectory
    labels: list[str] = field(default_factory=list)
    handedness: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)  # (21, 3) or (T, 2)
    undetected: list[tuple[str, str]] = field(default_factory=list)  # (label, source) with no hand found
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (label, source) that could not be read
    # (label, source) whose hand was never followed for as many positions as a trajectory holds
    short: list[tuple[str, str]] = field(default_factory=list)
    keypoints: tuple[int, ...] = (TRAJECTORY_KEYPOINT,)  # trajectories: the keypoints they follow

    def __len__(self) -> int:
        return len(self.labels)

    def add(self, label: str, points: np.ndarray, handedness: str | None = None, source: str = "",
            size: tuple[int, int] = (0, 0)) -> None:
        pts = np.asarray(points, np.float32)
        if self.kind == "hand":
            if pts.ndim != 2 or pts.shape[0] != 21 or pts.shape[1] not in (2, 3):
                raise HandposeError(f"a hand row needs 21 keypoints (21, 2|3), got shape {pts.shape}")
            if pts.shape[1] == 2:  # depth unknown: 0, as in imported 2D data
                pts = np.concatenate([pts, np.zeros((21, 1), np.float32)], 1)
        if not np.isfinite(pts).all():
            raise HandposeError("a coordinate is NaN or infinite")
        self.labels.append(str(label))
        self.handedness.append(handedness or None)
        self.sources.append(source)
        self.sizes.append(size)
        self.points.append(pts)

    def subset(self, idx: np.ndarray) -> LandmarkSet:
        return LandmarkSet(self.kind, [self.labels[i] for i in idx], [self.handedness[i] for i in idx],
                           [self.sources[i] for i in idx], [self.sizes[i] for i in idx],
                           [self.points[i] for i in idx], keypoints=self.keypoints)

    def save(self, path: str | Path, overwrite: bool = False, append: bool = False) -> Path:
        p = Path(path)
        check_writable(p, overwrite or append, how=KEEP_OR_APPEND)
        header = hand_header() if self.kind == "hand" else trajectory_header(len(self.points[0]) if self.points else 16)
        if not (p.is_file() and append):
            with whole_file(p) as f:
                self._write_rows(f, header)
            return p
        check_appendable(p, self.kind, self.keypoints, header)
        size = p.stat().st_size
        try:
            with writing(p), open(p, "a", encoding="utf-8", newline="") as f:
                self._write_rows(f, None)
        except BaseException:  # rows cut off by a full disk are cut off again: the dataset stays as it was
            os.truncate(p, size)
            raise
        return p

    def _write_rows(self, f: IO[str], header: list[str] | None) -> None:
        w = csv.writer(f)
        if header is not None:
            w.writerow(header)
        point = [] if self.kind == "hand" else [keypoints_text(self.keypoints)]
        for lab, hd, src, (wd, ht), pts in zip(self.labels, self.handedness, self.sources, self.sizes, self.points,
                                                strict=True):
            w.writerow([lab, hd or "", src, wd, ht, *point, *np.round(pts.ravel(), 4).tolist()])


def check_appendable(path: Path, kind: str, keypoints: tuple[int, ...] = (TRAJECTORY_KEYPOINT,),
                     header: list[str] | None = None) -> None:
    """Refuse to append ``kind`` rows (hand, or trajectories of 16 positions of ``keypoints``) to a file with
    another header, or with trajectories of other keypoints (a file must follow one choice of them)."""
    header = header or (hand_header() if kind == "hand" else trajectory_header(HISTORY * len(keypoints)))
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(f)
            first, row = next(rows, []), next(rows, [])
    except UnicodeDecodeError as e:
        raise HandposeError(f"{path} is not a text CSV file: cannot append to it") from e
    if first != header:
        raise HandposeError(f"{path}: cannot append {kind} rows to a file with another header")
    held = row[len(META)] if kind == "trajectory" and len(row) > len(META) else None
    if held is not None and held.replace("+", "").isdigit() and keypoint_indices(held) != keypoints:
        raise HandposeError(f"{path} holds trajectories of keypoint {held}: cannot append those of keypoint "
                            f"{keypoints_text(keypoints)}")


def text_lines(p: Path, what: str) -> list[str]:
    try:
        return p.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as e:
        raise HandposeError(f"{what} not found: {p}") from e
    except UnicodeDecodeError as e:
        raise HandposeError(f"{what} {p} is not a text file (expected CSV)") from e
    except OSError as e:
        raise HandposeError(f"cannot read {what} {p}: {e}") from e


def load_dataset(path: str | Path, labels_file: str | Path | None = None, kind: str | None = None,
                 keypoints: tuple[int, ...] | None = None) -> LandmarkSet:
    """Read handpose's CSV, or the common ``label, x0, y0, ..., x20, y20[, z...]`` / point-history layouts
    (numeric labels are named by ``labels_file``, one name per line, when given). ``keypoints``: the ones the
    trajectories of a file that does not say (a point-history CSV) followed; a file that says must agree."""
    p = Path(path)
    if p.is_dir():
        raise HandposeError(f"{p} is a folder, not a landmark dataset: make one of its <label>/ subfolders' images "
                            f"and videos with 'handpose gestures record {p} -o data.csv'")
    if not p.is_file():
        raise HandposeError(f"dataset not found: {p}")
    if p.suffix.lower() in (".jsonl", ".json"):
        from .hagrid import is_annotation_file

        if is_annotation_file(p):
            raise HandposeError(f"{p} holds HaGRID annotations: make a landmark dataset of them with 'handpose "
                                f"gestures record {p} --images <folder of its images> -o data.csv'")
        raise HandposeError(f"{p} is not a landmark dataset: make one of the hands recorded there with 'handpose "
                            f"gestures record {p} --label NAME -o data.csv'")
    rows = csv_rows(text_lines(p, "dataset"))
    if not rows:
        raise HandposeError(f"{p} is empty")
    names = None
    if labels_file:
        names = [line.strip() for line in text_lines(Path(labels_file), "labels file") if line.strip()]
    if rows[0][:len(META)] == META:
        column = len(META) + (rows[0][len(META):len(META) + 1] == ["keypoint"])  # first coordinate
        file_kind = "hand" if len(rows[0]) - column == 63 else "trajectory"
        out = LandmarkSet(kind or file_kind)
        points = set()
        for i, r in enumerate(rows[1:], start=2):
            try:
                vals = np.array([float(v) for v in r[column:]], np.float32)
                pts = vals.reshape(21, 3) if file_kind == "hand" else vals.reshape(-1, 2)
                out.add(r[0], pts, r[1] or None, r[2], (int(float(r[3] or 0)), int(float(r[4] or 0))))
                followed = (keypoint_indices(r[len(META)]) if column > len(META) else
                            keypoints or (TRAJECTORY_KEYPOINT,))
                _check_split(pts, followed)
                points.add(followed)
            except (ValueError, IndexError, HandposeError) as e:
                raise HandposeError(f"{p}, line {i}: malformed row ({e})") from e
        if len(points) > 1:
            mixed = ", ".join(keypoints_text(k) for k in sorted(points))
            raise HandposeError(f"{p} mixes trajectories of keypoints {mixed}: keep one choice of keypoints per "
                                "file")
        out.keypoints = points.pop() if points else keypoints or (TRAJECTORY_KEYPOINT,)
        if keypoints is not None and column > len(META) and out.kind == "trajectory" and out.keypoints != keypoints:
            raise HandposeError(f"{p} says its rows follow keypoint {keypoints_text(out.keypoints)}: --keypoint is "
                                "for CSVs that do not say (a point-history file)")
        return out
    # common layout: label then numbers, no header (or a header we skip)
    # a header row has names where the numbers go; a first data row may have a text label
    first_line = 1 if all(_is_number(c) for c in rows[0][1:]) else 2
    body = rows[first_line - 1:]
    if not body:
        raise HandposeError(f"{p} has a header and no rows")
    width = len(body[0]) - 1
    if width == 0:
        raise HandposeError(f"{p} has names only, no coordinates: a labels file? Give the landmark CSV, with this "
                            "file as --labels-file")
    if kind is None:
        kind = "hand" if width in (42, 63) else "trajectory"
    out = LandmarkSet(kind, keypoints=keypoints or (TRAJECTORY_KEYPOINT,))
    for i, r in enumerate(body, start=first_line):
        try:
            vals = np.array([float(v) for v in r[1:]], np.float32)
        except ValueError as e:
            raise HandposeError(f"{p}, line {i}: not a number ({e}); expected handpose's landmark CSV (header "
                                f"{','.join(META)},...) or rows of 'label, x0, y0, ...'") from e
        if len(vals) != width:
            raise HandposeError(f"{p}, line {i}: {len(vals)} values, expected {width}")
        label = r[0].strip()
        if names is not None and _is_number(label):
            idx = int(float(label))
            if not 0 <= idx < len(names):
                raise HandposeError(f"{p}, line {i}: label {idx} has no name in {labels_file}")
            label = names[idx]
        if kind == "hand":
            if width not in (42, 63):
                raise HandposeError(f"{p}: a hand row needs 42 (x, y) or 63 (x, y, z) values, got {width}")
            pts = vals.reshape(21, width // 21)
            if pts.shape[1] == 2:
                pts = np.concatenate([pts, np.zeros((21, 1), np.float32)], 1)
        else:
            if width % 2 or width < 6:
                raise HandposeError(f"{p}: a trajectory row needs 3 or more (x, y) pairs, got {width} values")
            pts = vals.reshape(-1, 2)
        try:
            if kind == "trajectory":
                _check_split(pts, out.keypoints)
            out.add(label, pts, None, f"{p.name}:{i}")
        except HandposeError as e:
            raise HandposeError(f"{p}, line {i}: {e}") from e
    return out


def _check_split(points: np.ndarray, keypoints: tuple[int, ...]) -> None:
    if len(points) % len(keypoints):
        raise HandposeError(f"{len(points)} positions do not split evenly among keypoints "
                            f"{keypoints_text(keypoints)}")


def csv_rows(lines: list[str]) -> list[list[str]]:
    """The non-blank rows of a CSV file's lines. A first line with a semicolon marks the layout spreadsheets write
    where the comma is the decimal mark (Excel in much of Europe): fields split at ``;``, and ``0,25`` read as 0.25."""
    first = next((line for line in lines if line.strip()), "")
    semicolons = ";" in first
    rows = [r for r in csv.reader(lines, delimiter=";" if semicolons else ",") if r and any(c.strip() for c in r)]
    if semicolons:
        rows = [[_decimal_point(c) for c in r] for r in rows]
    return rows


def _decimal_point(text: str) -> str:
    dotted = text.replace(",", ".")
    return dotted if "," in text and _is_number(dotted) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
