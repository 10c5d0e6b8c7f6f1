"""Evaluate a gesture recognizer: accuracy, a per-class report, a confusion matrix (PNG) and a JSON report."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import HandposeError
from ..outputs import make_folder, write_image, write_text
from ..results import Gesture
from ..sources import IMAGE_EXTS, VIDEO_EXTS, glob_files, is_glob, part_options, read_image
from .classifier import GestureClassifier, split_last
from .dataset import LandmarkSet, load_dataset
from .dynamic import palm_centre
from .features import has_depth
from .gallery import MOST, gallery_png, sample_tile
from .recognizer import GestureRecognizer
from .recording import HandShown
from .segments import Segment
from .trajectory import keypoints_text, trajectory_row_features

log = logging.getLogger("handpose")
PATH_POINTS = 64  # a video's hand path in errors.png


def classification_report(y_true: list[str], y_pred: list[str], undetected: dict[str, int] | None = None,
                          others: dict[str, int] | None = None) -> dict[str, Any]:
    """The JSON report: accuracy, labels, per-class precision/recall/F1/support, confusion, n, undetected, and
    ``others``: answers the data has no class for, counted as ``none`` (:class:`Answers`)."""
    labels = sorted(set(y_true) | set(y_pred))
    index = {lab: i for i, lab in enumerate(labels)}
    conf = np.zeros((len(labels), len(labels)), np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        conf[index[t], index[p]] += 1
    per_class = {}
    for i, lab in enumerate(labels):
        tp = int(conf[i, i])
        support = int(conf[i].sum())
        predicted = int(conf[:, i].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    n = len(y_true)
    und = undetected or {}
    return {"accuracy": float(np.trace(conf) / n) if n else 0.0, "labels": labels, "per_class": per_class,
            "confusion": conf.tolist(), "n": n, "undetected": {"count": int(sum(und.values())), "per_class": und},
            "others": others or {}}


class Answers:
    """What a recognizer's answer counts as against data labelled ``labels``. A ``none`` class in such data means
    none of its gestures (the photos in a Model Maker ``none`` folder show other gestures; HaGRID's ``no_gesture``
    hands are idle), so where the data has one, a gesture it has no class for counts as ``none``, as an app that
    listens for the data's gestures ignores it. Those answers are tallied in :attr:`others`."""

    def __init__(self, labels: Collection[str]) -> None:
        self.known = set(labels)
        self.tally: Counter[str] = Counter()

    def __call__(self, label: str) -> str:
        if label in self.known or "none" not in self.known:
            return label
        self.tally[label] += 1
        return "none"

    @property
    def others(self) -> dict[str, int]:
        """The answers counted as ``none``, most frequent first."""
        return dict(self.tally.most_common())


def _shown_gesture(recognizer: GestureRecognizer, hands: Any, i: int) -> tuple[str, float]:
    """The gesture of hand ``i``, the one a sample shows, and its score."""
    gesture = recognizer.classify(hands.keypoints[i : i + 1], [str(hands.handedness[i])])[0]
    return str(gesture.label), float(gesture.score)


class _Errors:
    """The misclassified samples: every one named for the JSON report, the first ``MOST`` drawn."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.tiles: list[np.ndarray] = []

    @property
    def drawing(self) -> bool:
        """Whether the next error is drawn (worth reading its picture for)."""
        return len(self.tiles) < MOST

    def add(self, sample: str, truth: str, predicted: str, score: float, keypoints: np.ndarray,
            image: np.ndarray | None = None, source: str = "", answer: str = "", paths: int = 1) -> None:
        """``answer``: the recognizer's own, where it counted as ``predicted`` (:class:`Answers`); ``paths``: the
        keypoints a trajectory follows."""
        item: dict[str, Any] = {"sample": sample, "true": truth, "predicted": predicted, "score": round(score, 4)}
        if answer and answer != predicted:
            item["answer"] = answer
        self.items.append({**item, "source": source} if source else item)
        if self.drawing:
            name = Path(source if image is not None and source else sample).name  # the picture's, if drawn
            name = name if len(name) <= 24 else f"{name[:11]}..{name[-11:]}"
            lines = (name, f"is {truth[:18]}", f"got {(answer or predicted)[:13]} {score:.2f}")
            self.tiles.append(sample_tile(keypoints, lines, image, paths))

    def into(self, report: dict[str, Any]) -> dict[str, Any]:
        report["errors"] = self.items
        report["_tiles"] = self.tiles
        return report


def labelled_files(source: str | Path) -> list[Path]:
    """Images and videos labelled by their folder: a folder ``<root>/<label>/*``, a glob such as
    ``"shots/*/*.jpg"`` or one file (``clips/wave/take1.mp4`` is a ``wave``)."""
    text = str(source)
    folder = Path(text)
    exts = IMAGE_EXTS | VIDEO_EXTS
    if folder.is_file() and folder.suffix.lower() in exts:
        return [folder]
    if folder.is_dir():
        groups = sorted(p for p in folder.iterdir() if p.is_dir())
        if not groups:
            raise HandposeError(f"{folder}: expected <label>/ subfolders of images or videos")
        files = [p for g in groups for p in sorted(g.iterdir()) if p.is_file() and p.suffix.lower() in exts]
        if not files:
            raise HandposeError(f"no images or videos in the <label>/ subfolders of {folder}")
        return files
    if is_glob(text):
        files = glob_files(text, exts)
        if not files:
            raise HandposeError(f"no images or videos match {text}")
        return files
    raise HandposeError(f"data not found: {text}")


def file_keys(sources: Iterable[str | Path]) -> set[str]:
    """Short digests naming the image and video files among dataset sources by their label folder and name (a
    video frame's ``#N`` dropped), so a dataset moved or recorded from another folder still matches; sources that
    are not such files (imported rows, cameras) are left out."""
    exts = IMAGE_EXTS | VIDEO_EXTS
    keys = set()
    for source in sources:
        path = Path(re.sub(r"#\d+$", "", str(source)).replace("\\", "/"))
        if path.suffix.lower() in exts:
            keys.add(hashlib.sha1(f"{path.parent.name}/{path.name}".encode()).hexdigest()[:12])
    return keys


def _labelled(files: list[Path], mapping: dict[str, str], part: dict[str, float], segments: list[Segment] | None
              ) -> list[tuple[Path, str, dict[str, float], str]]:
    """(file, label, the part of it to read, the part's name) of every sample: files labelled by their folder, or
    the labelled parts of one video."""
    if segments is None:
        return [(p, mapping.get(p.parent.name, p.parent.name), part, "") for p in files]
    if part or len(files) != 1 or files[0].suffix.lower() not in VIDEO_EXTS:
        raise HandposeError("segments label the parts of one video: give that video, without a start or end time")
    return [(files[0], mapping.get(s.label, s.label), s.part, s.name) for s in segments]


def _none_found(count: int, what: str, zoom: float) -> HandposeError:
    hint = "; hands far from the camera? try --zoom 2" if zoom == 1 else ""
    return HandposeError(f"no hand found in any of the {count} {what}{hint}")


def evaluate_files(recognizer: GestureRecognizer, files: list[Path], mapping: dict[str, str], zoom: float = 1.0,
                   flip: bool = False, start: float | None = None, end: float | None = None,
                   segments: list[Segment] | None = None) -> dict[str, Any]:
    """Images and videos labelled by their folder (:func:`labelled_files`): detect hands and classify each image,
    and each frame of a video (tracked); an image or frame without a hand counts as undetected. ``zoom`` > 1 also
    searches tiles seen that many times closer, ``flip`` mirrors every picture first (:class:`~handpose.HandTracker`;
    as the model's data was recorded). ``start`` / ``end``: of each video only the frames between these times, in
    seconds (as ``gestures record`` took them). ``segments``: instead of a folder's label, the labelled parts of
    the one video in ``files`` (frames outside them are not judged)."""
    from tqdm import tqdm

    from ..pipeline import HandTracker
    from ..sources import Frame

    images = HandTracker(mode="image", max_hands=2, zoom=zoom, flip=flip)
    videos = HandTracker(mode="video", max_hands=2, zoom=zoom, flip=flip)
    y_true: list[str] = []
    y_pred: list[str] = []
    seen: list[str] = []
    undetected: dict[str, int] = {}
    errors = _Errors()
    items = _labelled(files, mapping, part_options(start, end), segments)
    counted = Answers({truth for _, truth, _, _ in items})

    def samples(path: Path, truth: str, part: dict[str, float]) -> Iterator[tuple[str, np.ndarray | None, Any]]:
        """(name, picture, hands) of an image, or of every frame of a video; hands None: unreadable."""
        if path.suffix.lower() in VIDEO_EXTS:
            frames = 0
            try:
                for frame, hands in videos.track(path, **part):
                    frames += 1
                    yield f"{frame.source}#{frame.index}", frame.image, hands
            except HandposeError as e:  # counted as undetected below, and said why
                log.warning("skipped %s", e)
            if not frames:
                undetected[truth] = undetected.get(truth, 0) + 1
            return
        try:
            picture = Frame(read_image(path), 0, 0.0, str(path))
            found = images.process_frame(picture, on_skip=lambda _reason: None)  # with flip: the mirror picture
        except HandposeError:
            found = None
        yield str(path), None if found is None else picture.image, found

    for path, truth, part, _ in tqdm(items, desc="eval", unit="file" if segments is None else "part", disable=None):
        held_up = HandShown()  # a video's frames are tracked: two hands about as high do not take turns
        for name, image, hands in samples(path, truth, part):
            if hands is None or len(hands) == 0:
                undetected[truth] = undetected.get(truth, 0) + 1
                continue
            # the hand `gestures record` keeps, the raised one, and no other: where it shows none, a second hand is
            # the idle one beside it (beside 3 of the shared `none` photos, read as `four` by a model trained on those
            # very photos)
            i = held_up(hands)
            answer, score = _shown_gesture(recognizer, hands, i)
            label = counted(answer)
            y_true.append(truth)
            y_pred.append(label)
            seen.append(name)
            if label != truth:
                errors.add(name, truth, label, score, hands.keypoints[i], image, answer=answer)
    if not y_true:
        raise _none_found(len(items), "images or videos" if segments is None else "parts of the video", zoom)
    report = classification_report(y_true, y_pred, undetected, counted.others)
    report["files"] = seen
    return errors.into(report)


def evaluate_motions(recognizer: GestureRecognizer, files: list[Path], mapping: dict[str, str], zoom: float = 1.0,
                     flip: bool = False, start: float | None = None, end: float | None = None,
                     segments: list[Segment] | None = None) -> dict[str, Any]:
    """Videos labelled by their folder, each one sample showing one motion (``swipe_left/``, ``circle_cw/``,
    ``none/``): the recognizer's motions over the video's tracked hands, its dynamic gestures and its trajectory
    model's labels. A video's answer is the first of them the data has a class for, as an app listening for the
    data's gestures acts on it, or ``none`` where there is none; motions the data has no class for are tallied in
    ``others``. ``motions`` lists every video's motions in order: a swipe followed by the opposite one on the way
    back is right, but shows in ``also`` how often a video reports more than its own. Options as
    :func:`evaluate_files`; with ``segments`` each labelled part of the one video is a sample."""
    from tqdm import tqdm

    from ..pipeline import HandTracker

    videos = [p for p in files if p.suffix.lower() in VIDEO_EXTS]
    if len(videos) != len(files):
        raise HandposeError(f"a motion is judged in a video: {len(files) - len(videos)} of the {len(files)} files "
                            f"are images ({next(p for p in files if p not in videos)} among them)")
    tracker = HandTracker(mode="video", max_hands=2, zoom=zoom, flip=flip, gestures=recognizer)
    items = _labelled(videos, mapping, part_options(start, end), segments)
    known = {truth for _, truth, _, _ in items}
    y_true: list[str] = []
    y_pred: list[str] = []
    seen: list[str] = []
    undetected: dict[str, int] = {}
    others: Counter[str] = Counter()
    errors = _Errors()
    motions: list[dict[str, Any]] = []
    for path, truth, part, part_name in tqdm(items, desc="eval", unit="video" if segments is None else "part",
                                             disable=None):
        sample = f"{path} {part_name}" if part_name else str(path)
        fired: list[Any] = []
        paths: dict[int, list[np.ndarray]] = {}  # each track's palm centre, in frame sizes
        try:
            for _, hands in tracker.track(path, **part):
                size = np.array([hands.width, hands.height], np.float64)
                for tid, kp in zip(hands.track_ids.tolist(), hands.keypoints, strict=True):
                    paths.setdefault(tid, []).append(np.array(palm_centre(kp)) / size)
                fired += [e for e in hands.events if e.kind == "dynamic" and e.phase in ("start", "done")]
        except HandposeError as e:
            log.warning("skipped %s", e)
        for _ in recognizer.events():  # the queue for API users: drained, so that it does not carry over
            pass
        if not paths:
            undetected[truth] = undetected.get(truth, 0) + 1
            continue
        ours = [e for e in fired if e.label in known]
        others.update(e.label for e in fired if e.label not in known)
        first = ours[0] if ours else None
        label = first.label if first is not None else "none"
        y_true.append(truth)
        y_pred.append(label)
        seen.append(sample)
        motions.append({"sample": sample, "true": truth,
                        "motions": [{"label": e.label, "start_ms": round(e.start_ms, 1)} for e in fired]})
        if label != truth:  # drawn: the path of the hand that moved (or of the one seen longest)
            track = np.array(paths[first.track_id] if first is not None and first.track_id in paths else
                             max(paths.values(), key=len))
            along = np.linspace(0, len(track) - 1, PATH_POINTS)  # a fixed count: 21 points would be a hand
            track = np.stack([np.interp(along, np.arange(len(track)), track[:, k]) for k in range(2)], 1)
            errors.add(sample, truth, label, first.score if first is not None else 0.0, track)
    if not y_true:
        raise _none_found(len(items), "videos" if segments is None else "parts of the video", zoom)
    report = classification_report(y_true, y_pred, undetected, dict(others.most_common()))
    report["files"] = seen
    report["motions"] = motions
    report["also"] = sum(len({m["label"] for m in v["motions"] if m["label"] in known}) > 1 for v in motions)
    return errors.into(report)


def evaluate_landmarks(recognizer: GestureRecognizer, model: str, path: Path, labels_file: str | None,
                       holdout_last: float, mapping: dict[str, str], *, shapes: bool = True) -> dict[str, Any]:
    """A landmark dataset: trajectories through the recognizer's trajectory model, hand shapes through its
    hand-shape classifier (``shapes=False``: none was asked for, so hand shapes are refused)."""
    data = load_dataset(path, labels_file)
    y = np.array([mapping.get(lab, lab) for lab in data.labels])
    idx = split_last(y, holdout_last)[1] if holdout_last else np.arange(len(y))
    if data.kind == "trajectory":
        if recognizer.trajectory is None:
            raise HandposeError(f"{path} holds trajectories: evaluate it with a trajectory model, not {model}")
        if recognizer.keypoints != data.keypoints:
            raise HandposeError(f"{model} was trained on trajectories of keypoint "
                                f"{keypoints_text(recognizer.keypoints)}; {path} holds keypoint "
                                f"{keypoints_text(data.keypoints)}'s")
        x = np.stack([trajectory_row_features(data.points[i], len(data.keypoints)) for i in idx])
        gestures = recognizer.trajectory.predict(x)
    else:
        if not shapes:
            raise HandposeError(f"{path} holds hand shapes: evaluate it with builtin, a rules file or a hand-shape "
                                f"model, not the trajectory model {model}")
        # a trained model chooses the mirror of an unknown-side hand itself; the rules take it as a right hand
        trained = isinstance(recognizer.static, GestureClassifier)
        sides = [data.handedness[i] if trained else data.handedness[i] or "right" for i in idx]
        points = np.stack([data.points[i] for i in idx])
        flat = int((~has_depth(points)).sum())
        if isinstance(recognizer.static, GestureClassifier) and recognizer.static.uses_depth and flat:
            log.warning("%s learnt hands with depth (z), but %d of the %d rows have none: their features differ "
                        "from what it learnt, and so may its answers", model, flat, len(points))
        gestures = recognizer.classify(points, sides)
    return rows_report(data, idx, gestures, y[idx].tolist())


def rows_report(data: LandmarkSet, idx: np.ndarray, gestures: list[Gesture], truths: list[str] | None = None
                ) -> dict[str, Any]:
    """The report of predictions ``gestures`` of a dataset's rows ``idx`` (their labels, or ``truths``), every
    misclassified row named by its index and drawn."""
    truths = truths if truths is not None else [data.labels[i] for i in idx]
    counted = Answers(truths)
    pred = [counted(str(g.label)) for g in gestures]
    errors = _Errors()
    for i, truth, label, g in zip(np.asarray(idx).tolist(), truths, pred, gestures, strict=True):
        if label != truth:  # a trajectory is drawn as its points joined up, a hand as its skeleton
            hand = data.kind == "hand" and errors.drawing
            picture = _picture_of(data.sources[i], data.sizes[i]) if hand else None
            errors.add(f"row {i}", truth, label, float(g.score), data.points[i], picture, data.sources[i],
                       answer=str(g.label), paths=1 if data.kind == "hand" else len(data.keypoints))
    return errors.into(classification_report(truths, pred, others=counted.others))


def _picture_of(source: str, size: tuple[int, int]) -> np.ndarray | None:
    """The photo or video frame (``file#N``) a dataset row was recorded from, if it is still there at the size
    the row was recorded at (its keypoints are that picture's pixels), else None."""
    match = re.fullmatch(r"(.+)#(\d+)", source)
    path = Path(match.group(1) if match else source)
    try:
        if path.suffix.lower() in IMAGE_EXTS and not match:
            picture = read_image(path)
        elif path.suffix.lower() in VIDEO_EXTS and match and path.is_file():
            video = cv2.VideoCapture(str(path))
            video.set(cv2.CAP_PROP_POS_FRAMES, int(match.group(2)))
            ok, picture = video.read()
            video.release()
            if not ok:
                return None
        else:
            return None
    except HandposeError:
        return None
    if (picture.shape[1], picture.shape[0]) != tuple(size):  # not the picture the row was recorded from
        return None
    return picture


def render_report(report: dict[str, Any]) -> str:
    lines = [f"{'label':<18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for lab, m in report["per_class"].items():
        lines.append(f"{lab:<18}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10d}")
    motions = "motions" in report
    lines.append(f"\naccuracy {report['accuracy']:.4f} on {report['n']} {'videos' if motions else 'samples'}"
                 + (f"; {report['undetected']['count']} {'videos' if motions else 'images or frames'} without a "
                    "hand (undetected)" if report["undetected"]["count"] else ""))
    others = report.get("others") or {}
    if others:
        what = "motions were reported" if motions else "answers were gestures"
        lines.append(f"{sum(others.values())} {what} the data has no class for: "
                     + ", ".join(f"{lab} {n}" for lab, n in others.items())
                     + (".\nThey are passed over" if motions else ".\nThey count as none")
                     + ", as an app listening for the data's gestures ignores them.")
    if report.get("also"):
        lines.append(f"{report['also']} videos reported more than one of the data's motions (the first one "
                     "counts; all are listed in report.json)")
    return "\n".join(lines) + "\n"


def confusion_png(report: dict[str, Any], path: Path) -> Path:
    """The confusion matrix as a picture: rows are true labels, columns predictions, row-normalized colour."""
    labels, conf = report["labels"], np.array(report["confusion"], np.float64)
    n = len(labels)
    cell, left, top = 56, 160, 150
    img = np.full((top + cell * n + 40, left + cell * n + 30, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    rows = conf / np.maximum(conf.sum(1, keepdims=True), 1)
    for i in range(n):
        for j in range(n):
            v = rows[i, j]
            color = (int(255 - 40 * v), int(255 - 120 * v), int(255 - 200 * v)) if i == j else \
                (int(255 - 200 * v), int(255 - 200 * v), 255)
            x, y = left + j * cell, top + i * cell
            cv2.rectangle(img, (x, y), (x + cell, y + cell), color, -1)
            cv2.rectangle(img, (x, y), (x + cell, y + cell), (200, 200, 200), 1)
            txt = str(int(conf[i, j]))
            (tw, th), _ = cv2.getTextSize(txt, font, 0.45, 1)
            cv2.putText(img, txt, (x + (cell - tw) // 2, y + (cell + th) // 2), font, 0.45, (20, 20, 20), 1,
                        cv2.LINE_AA)
        cv2.putText(img, labels[i][:18], (8, top + i * cell + cell // 2 + 5), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    for j, lab in enumerate(labels):  # column labels, written diagonally
        canvas = np.full((20, 140, 3), 255, np.uint8)
        cv2.putText(canvas, lab[:18], (2, 15), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
        rot = cv2.rotate(canvas, cv2.ROTATE_90_COUNTERCLOCKWISE)
        x = left + j * cell + (cell - 20) // 2
        img[top - 145 : top - 5, x : x + 20] = np.minimum(img[top - 145 : top - 5, x : x + 20], rot)
    cv2.putText(img, f"accuracy {report['accuracy']:.3f} (n={report['n']}); rows: true, columns: predicted",
                (8, img.shape[0] - 14), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    make_folder(path.parent)
    write_image(path, img)
    return path


def write_report(report: dict[str, Any], out: Path) -> str:
    """report.json, confusion.png and errors.png (the misclassified samples drawn) in ``out``; the text report."""
    write_text(out / "report.json", json.dumps({k: v for k, v in report.items()
                                                if k != "files" and not k.startswith("_")}, indent=1))
    confusion_png(report, out / "confusion.png")
    errors = report.get("errors", [])
    title = f"{len(errors)} of {report['n']} samples misclassified"
    if errors:
        title += "; under each: the sample, its label, the prediction and its score"
    gallery_png(report.get("_tiles", []), len(errors), title, out / "errors.png")
    return render_report(report)
