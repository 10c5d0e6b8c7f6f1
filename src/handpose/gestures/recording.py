"""Recording landmark datasets from image folders, globs, videos, a camera or stream (key presses label the hand)
or a CSV."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain, groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import HandposeError, InputError
from ..sources import (
    IMAGE_EXTS,
    VIDEO_EXTS,
    Frame,
    Source,
    camera_request,
    glob_files,
    is_glob,
    open_source,
    part_options,
    url_kind,
)
from ..stability import palm_size
from .dataset import LandmarkSet, load_dataset
from .hagrid import annotation_files, import_annotations
from .trajectory import TRAJECTORY_KEYPOINT, TrajectoryHistory, keypoint_indices

if TYPE_CHECKING:
    from ..pipeline import HandTracker
    from ..results import Hands

log = logging.getLogger("handpose")

RECORDED_COLOR = (0, 215, 255)  # BGR yellow: the box of the hand a key press records, live


@dataclass(frozen=True)
class _View:
    """How the recording's trackers see the input: a mirrored selfie view; tiles ``zoom`` times closer; every frame
    mirrored first (as ``run --flip``); of each video, only the part from ``start`` to ``end`` seconds."""

    mirrored: bool = False
    zoom: float = 1.0
    flip: bool = False
    start: float | None = None
    end: float | None = None

    @property
    def part(self) -> dict[str, float]:
        """The ``start`` / ``end`` options of :func:`~handpose.open_source` (empty: whole videos)."""
        return part_options(self.start, self.end)

    def tracker(self, mode: str) -> HandTracker:
        from ..pipeline import HandTracker

        return HandTracker(mode=mode, max_hands=2, mirrored=self.mirrored, smooth=mode == "video", zoom=self.zoom,
                           flip=self.flip)


def _frames(src: Source, desc: str, unit: str) -> Iterator[Frame]:
    """The source's frames with a progress bar on stderr (shown on a terminal only)."""
    from tqdm import tqdm

    with tqdm(total=src.total, desc=desc, unit=unit, disable=None, leave=False) as bar:
        for frame in src:
            yield frame
            bar.update()


def shown_first(hands: Hands) -> list[int]:
    """The hands of a picture of one gesture, the one being shown first: people hold up the hand they show, and a
    second hand rests or hangs below it, so the highest wrist comes first. (The detector's order put a hand resting
    on a table before the raised ``call`` of a shared photo; the most confident gesture let a hanging hand, read as
    ``thumbs_down`` 1.00, outvote a raised ``horns`` 0.99.)"""
    return np.argsort(hands.keypoints[:, 0, 1], kind="stable").tolist()


class HandShown:
    """The hand shown (:func:`shown_first`) in a tracked sequence of frames, kept while its wrist stays within
    ``margin`` palm lengths of the highest: two hands held about as high would otherwise take turns from frame to
    frame, and a key press would label whichever was a pixel higher. Untracked hands (image mode) have no past."""

    def __init__(self, margin: float = 0.5):
        self.margin = margin
        self._track = -1

    def __call__(self, hands: Hands) -> int:
        """The index of the hand shown in ``hands`` (at least one hand)."""
        best = shown_first(hands)[0]
        kept = np.flatnonzero(hands.track_ids == self._track) if self._track >= 0 else np.zeros(0, np.intp)
        if len(kept):
            i, k = int(kept[0]), hands.keypoints
            if k[i, 0, 1] - k[best, 0, 1] <= self.margin * palm_size(k[i : i + 1]):
                best = i
        self._track = int(hands.track_ids[best])
        return best


def _from_images(data: LandmarkSet, files: list[Path], label: str, view: _View) -> None:
    tracker = view.tracker("image")
    with open_source(files) as src:
        for frame in _frames(src, label, "img"):
            hands = tracker.process_frame(frame)
            if hands is None or len(hands) == 0:
                (data.unreadable if hands is None else data.undetected).append((label, frame.source))
                continue
            _add(data, label, hands, None, frame.source, shown_first(hands)[0])


def _history(data: LandmarkSet) -> TrajectoryHistory | None:
    """Per-track positions for a trajectory dataset; hand shapes need none."""
    return TrajectoryHistory(data.keypoints) if data.kind == "trajectory" else None


def _add(data: LandmarkSet, label: str, hands: Hands, trajectories: TrajectoryHistory | None, source: str,
         i: int = 0) -> bool:
    """Hand ``i`` as a row of ``data`` (its shape, or its trajectory once it is long enough)."""
    if trajectories is None:
        data.add(label, hands.keypoints[i], str(hands.handedness[i]), source, (hands.width, hands.height))
        return True
    pts = trajectories.get(int(hands.track_ids[i]))
    if pts is not None:
        data.add(label, pts, str(hands.handedness[i]), source, (hands.width, hands.height))
    return pts is not None


def _from_files(data: LandmarkSet, files: list[Path], label: str, every: int, view: _View) -> None:
    """Images (hand shapes only) and videos, all with one label."""
    images = [p for p in files if p.suffix.lower() in IMAGE_EXTS]
    if images and data.kind == "hand":
        _from_images(data, images, label, view)
    for v in (p for p in files if p.suffix.lower() in VIDEO_EXTS):
        try:
            _from_video(data, v, label, every, view)
        except InputError as e:  # one bad video of many: reported, and the recording goes on
            log.warning("skipped %s", e)
            data.unreadable.append((label, str(v)))


def _from_video(data: LandmarkSet, path: Path | str, label: str, every: int, view: _View) -> None:
    tracker = view.tracker("video")
    with open_source(path, **view.part) as src:
        frames = _frames(src, f"{label}: {Path(str(path)).name}", "frame")
        _from_sequence(data, (tracker.process_frame(frame) for frame in frames), label, every, str(path))


def _from_sequence(data: LandmarkSet, sequence: Iterable[Hands | None], label: str, every: int, name: str) -> None:
    """The tracked hands of a video's frames (None: a frame that could not be used): every Nth shape, or every
    Nth trajectory, of the hand held up (:class:`HandShown`), as a camera recording takes it: a hand that rests in
    view, tracked since before the gesture was shown, is not the one showing it."""
    trajectories = _history(data)
    found, positions, held_up, rows = False, 0, HandShown(), len(data)
    for hands in sequence:
        if hands is None:
            continue
        moved = trajectories.update(hands) if trajectories is not None else []
        if len(hands) == 0:
            continue
        found = True
        shown = held_up(hands)
        if trajectories is None:
            due = hands.frame % every == 0
        else:  # every Nth new position: between two (a fast camera) the trajectory is the last row's
            fresh = int(hands.track_ids[shown]) in moved
            positions += fresh
            due = fresh and (positions - 1) % every == 0
        if due:
            _add(data, label, hands, trajectories, f"{hands.source or name}#{hands.frame}", shown)
    if not found:
        data.undetected.append((label, name))
    elif len(data) == rows and trajectories is not None:
        data.short.append((label, name))


def _from_jsonl(data: LandmarkSet, path: Path, label: str | None, every: int) -> None:
    """The hands of ``handpose run --json`` output, recorded earlier: no model runs again. Hand shapes are taken
    file by file (an image without a hand counts as undetected); trajectories need the run's tracks and follow
    them until the frame numbers start again (the next video of a batch). Each part is labelled ``label`` or,
    without one, by its file's folder (as a glob's files are) or else by the JSON file's name."""
    from ..replay import read_jsonl

    def checked(frames: Iterable[Hands]) -> Iterator[Hands]:
        for hands in frames:
            if data.kind == "trajectory" and len(hands) and hands.track_ids[0] < 0:
                raise InputError(f"{path} was recorded in image mode (no track ids): trajectories need a video run")
            yield hands

    frames = checked(read_jsonl(path, end_of_stream=False))
    parts = groupby(frames, key=lambda h: h.source) if data.kind == "hand" else groupby(frames, key=_restarts())
    for _, part in parts:
        first = next(part)
        source = first.source or str(path)
        name = label or (Path(first.source).parent.name if first.source else "") or path.stem
        _from_sequence(data, chain([first], part), name, every, source)


def _restarts() -> Callable[[Hands], int]:
    """A key numbering the runs of frames whose frame numbers go up (a tracked video, or a folder of frames)."""
    last, run = [-1], [0]

    def key(hands: Hands) -> int:
        if hands.frame <= last[0]:
            run[0] += 1
        last[0] = hands.frame
        return run[0]

    return key


@contextlib.contextmanager
def _stopped_by_ctrl_c(data: LandmarkSet) -> Iterator[None]:
    """Ctrl+C ends a camera recording as q does: the rows recorded so far are kept, not lost with the run."""
    try:
        yield
    except KeyboardInterrupt:
        log.warning("interrupted: keeping the %d rows recorded", len(data))


def _from_camera(data: LandmarkSet, target: int | str, labels: list[str], view: _View,
                 asked: dict[str, Any]) -> None:
    """Live (a camera index or a stream URL): the keys 1..9 label the hand held up (:class:`HandShown`, boxed in
    yellow) with labels[0..8]; q or Esc stops."""
    import cv2

    from ..draw import draw_hands
    from ..sinks import Preview

    if not labels:
        raise HandposeError("camera recording needs --labels a,b,c (keys 1, 2, 3 record them) or --label")
    if len(labels) > 9:
        raise HandposeError(f"camera recording takes at most 9 labels (keys 1-9), got {len(labels)}: record them "
                            "in two sessions and join them with --append")
    tracker = view.tracker("video")
    try:
        window = Preview("handpose record")
    except InputError as e:
        raise InputError(f"camera recording: {e}") from e
    trajectories = _history(data)
    counts = dict.fromkeys(labels, 0)
    held_up = HandShown()
    legend = ["keys record the hand boxed in yellow; q: stop"]
    with window, open_source(target, **asked) as src, _stopped_by_ctrl_c(data):
        for frame in src:
            hands = tracker.process_frame(frame)
            if hands is None or frame.image is None:
                continue
            if trajectories is not None:
                trajectories.update(hands)
            shown = draw_hands(frame.image, hands)
            chosen = held_up(hands) if len(hands) else -1  # the hand held up, not the one pressing the key
            if chosen >= 0:
                x1, y1, x2, y2 = np.round(hands.boxes[chosen]).astype(int)
                cv2.rectangle(shown, (x1, y1), (x2, y2), RECORDED_COLOR, 3, cv2.LINE_AA)
            lines = [f"{n + 1}: {lab} ({counts[lab]})" for n, lab in enumerate(labels)] + legend
            for n, line in enumerate(lines):
                cv2.putText(shown, line, (10, 24 + 24 * n), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2,
                            cv2.LINE_AA)
            if not window.show(shown):  # q or Esc, or the window closed
                break
            if ord("1") <= window.key < ord("1") + len(labels) and chosen >= 0:
                lab = labels[window.key - ord("1")]  # a trajectory: the hand's last HISTORY positions up to this key
                if _add(data, lab, hands, trajectories, f"{src.name}#{frame.index}", chosen):
                    counts[lab] += 1


def record(source: str, kind: str = "hand", label: str | None = None, labels: str | None = None,
           labels_file: str | None = None, every: int = 1, mirrored: bool = False,
           keypoint: int | str | Sequence[int | str] | None = None, zoom: float = 1.0,
           size: tuple[int, int] | None = None, fps: float | None = None, flip: bool = False,
           start: float | None = None, end: float | None = None, segments: str | Path | None = None,
           images: str | Path | None = None) -> LandmarkSet:
    """Build a :class:`LandmarkSet` from a source (see ``handpose gestures record --help``).

    Trajectories follow ``keypoint`` (an index or a name such as ``"wrist"``, or several:
    ``"thumb_tip,index_tip"``; default the index fingertip); for an imported point-history CSV it says which
    keypoints the file followed. ``zoom`` > 1 also looks for hands in tiles seen that many times closer (people far
    from the camera; see :class:`~handpose.HandTracker`). ``size`` (width, height) and ``fps``: what to ask a
    camera for. ``flip``: every frame mirrored first, the selfie view (record as you will run: ``run --flip``).
    ``start`` / ``end``: of each video only the part between these times, in seconds (leaving out a hand that
    rests in view before the gesture is shown, or after it). ``segments``: a CSV of ``label,start,end`` rows
    labelling the parts of one video (:func:`~handpose.gestures.segments.read_segments`); frames outside them are
    not recorded. ``images``: the folder of the pictures of HaGRID annotation files (a ``.json`` file, a folder or a
    glob of them; :mod:`handpose.gestures.hagrid`).
    """
    if kind not in ("hand", "trajectory"):
        raise HandposeError(f"kind must be 'hand' or 'trajectory', got {kind!r}")
    if keypoint is not None and kind != "trajectory":
        raise HandposeError("a keypoint to follow is for trajectories (--kind trajectory)")
    point = (TRAJECTORY_KEYPOINT,) if keypoint is None else keypoint_indices(keypoint)
    every = max(1, every)
    view = _View(mirrored, zoom, flip, start, end)
    text = source.strip()
    url = url_kind(text)
    asked = camera_request(text, size, fps)
    annotations = annotation_files(text) if url is None else None
    if annotations is not None or images is not None:
        return _from_annotations(text, annotations, images, kind, label, view, every, segments is not None)
    if segments is not None:
        return _from_segments(LandmarkSet(kind, keypoints=point), text, url, segments, label, every, view)
    if view.part:
        _check_videos(text, url)
    if url == "video":
        data = LandmarkSet(kind, keypoints=point)  # a video file on a server
        _from_video(data, text, label or Path(text.split("?", 1)[0]).stem, every, view)
        return data
    if url == "image":
        raise InputError(f"{text}: one image cannot make a dataset; save the images under <root>/<label>/ and "
                         "record that folder")
    if text.isdigit() or url == "live":
        data = LandmarkSet(kind, keypoints=point)
        names = [s.strip() for s in (labels or label or "").split(",") if s.strip()]
        _from_camera(data, int(text) if text.isdigit() else text, names, view, asked)
        return data
    path = Path(source)
    if is_glob(source):
        return _from_glob(source, kind, point, label, every, view)
    if not path.exists():
        raise InputError(f"source not found: {source}")
    if path.is_file() and path.suffix.lower() in (".jsonl", ".json", ".csv") and (zoom != 1 or flip):
        raise InputError(f"{path} holds hands found earlier: {'zoom' if zoom != 1 else 'flip'} is for finding them "
                         "in images, videos or a camera")
    if path.is_file() and path.suffix.lower() in (".jsonl", ".json"):
        data = LandmarkSet(kind, keypoints=point)
        _from_jsonl(data, path, label, every)
        return data
    if path.is_file() and path.suffix.lower() == ".csv":
        return load_dataset(path, labels_file, kind, None if keypoint is None else point)
    data = LandmarkSet(kind, keypoints=point)
    if path.is_file():
        if path.suffix.lower() not in VIDEO_EXTS:
            raise InputError(f"{path}: record takes a folder <root>/<label>/*, a glob, a video, a camera index, a "
                             "stream URL, a landmark CSV or the JSON Lines of 'handpose run --json'")
        _from_video(data, path, label or path.parent.name, every, view)
        return data
    groups = sorted(p for p in path.iterdir() if p.is_dir())
    if not groups:  # a flat folder: one label for all of it
        groups = [path]
        if not label:
            raise HandposeError(f"{path} has no <label>/ subfolders: pass --label for its files")
    for group in groups:
        name = label if group == path else group.name
        _from_files(data, sorted(p for p in group.iterdir() if p.is_file()), name or group.name, every, view)
    if len(data) == 0 and not data.undetected and not data.unreadable:
        wanted = "videos" if kind == "trajectory" else "images or videos"  # a trajectory needs motion
        raise InputError(f"no {wanted} found under {path}")
    return data


def _from_annotations(source: str, files: list[Path] | None, images: str | Path | None, kind: str,
                      label: str | None, view: _View, every: int, segments: bool) -> LandmarkSet:
    """The hands of HaGRID annotation files, in pixels of their images (refused where an option would be lost)."""
    if files is None:
        raise InputError(f"--images gives the pictures of HaGRID annotation files, and {source} is none")
    if images is None:
        raise InputError(f"{source} holds HaGRID annotations, whose keypoints are fractions of each image's width "
                         "and height: give the folder of its images with --images (only their sizes are read)")
    given = [name for name, on in (("--label", label is not None), ("--kind trajectory", kind != "hand"),
                                   ("--every", every != 1), ("--mirrored", view.mirrored), ("--zoom", view.zoom != 1),
                                   ("--flip", view.flip), ("--start/--end", bool(view.part)),
                                   ("--segments", segments)) if on]
    if given:
        raise InputError(f"{source} holds HaGRID's labelled hands, found earlier in still images: {given[0]} does "
                         "not apply")
    data = LandmarkSet("hand")
    import_annotations(data, files, images)
    return data


def _from_segments(data: LandmarkSet, source: str, url: str | None, segments: str | Path, label: str | None,
                   every: int, view: _View) -> LandmarkSet:
    """The labelled parts of one video (a file or a URL), each recorded as a video of its own."""
    from .segments import read_segments

    if label or view.part:
        raise InputError("a segments file gives each part its label and times: leave out the label, start and end")
    if url != "video" and not (Path(source).is_file() and Path(source).suffix.lower() in VIDEO_EXTS):
        raise InputError(f"a segments file labels the parts of one video, and {source} is not a video file")
    for segment in read_segments(segments):
        _from_video(data, source, segment.label, every, replace(view, start=segment.start, end=segment.end))
    return data


def _check_videos(source: str, url: str | None) -> None:
    """A start or end time is for a source with videos where record reads them (a folder's top level or its
    <label>/ subfolders): refused at once for anything else."""
    path = Path(source)
    if url == "video" or (path.is_file() and path.suffix.lower() in VIDEO_EXTS):
        return
    files = glob_files(source, VIDEO_EXTS) if is_glob(source) else \
        [p for p in (*path.glob("*"), *path.glob("*/*")) if p.suffix.lower() in VIDEO_EXTS] if path.is_dir() else []
    if not files:
        what = "is a camera or a live stream" if source.isdigit() or url == "live" else "holds no video"
        raise InputError(f"a start or end time reads a part of each video, and {source} {what}")


def _from_glob(pattern: str, kind: str, point: tuple[int, ...], label: str | None, every: int, view: _View
               ) -> LandmarkSet:
    """Files matching a glob; each is labelled ``label`` or, without one, by its folder (``<label>/<file>``)."""
    exts = VIDEO_EXTS | (IMAGE_EXTS if kind == "hand" else set())
    files = glob_files(pattern, exts)
    if not files:
        raise InputError(f"no {'images or videos' if kind == 'hand' else 'videos'} match {pattern}")
    data = LandmarkSet(kind, keypoints=point)
    groups: dict[str, list[Path]] = {}
    for p in files:
        groups.setdefault(label or p.parent.name, []).append(p)
    for name, group in groups.items():
        _from_files(data, group, name, every, view)
    return data
