"""``HandTracker``: image -> palms -> rotated crops -> 21 keypoints per hand -> tracks -> typed ``Hands``."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .camera import Camera, place_in_camera
from .engines import create_engine
from .errors import HandposeError, InputError
from .geometry import boxes_iou, corners_to_boxes, rect_corners, rects_from_landmarks, rects_from_palms
from .imaging import GRAY_MODES, in_skin_tone, mirror, prepare
from .landmarks import LandmarkModel, LandmarkOutput
from .palm import SURE_SCORE, PalmDetector, Palms
from .registry import VARIANTS
from .results import Hands
from .smoothing import OneEuroParams
from .tiling import TILE_PRESENCE, new_hands, small_palms, tile_windows
from .tracking import Track, TrackBook, first_unique, keypoint_boxes

if TYPE_CHECKING:
    from .sources import Frame

log = logging.getLogger("handpose")

IMAGE_MIN_DETECTION = 0.1  # image mode's default min_detection_confidence (see HandTracker)
# landmark presence a palm scored under SURE_SCORE must reach (at least min_presence): the bar a hand only a tile
# found must reach, for the same reason (one more chance of a false hand)
UNSURE_PRESENCE = TILE_PRESENCE
# a tracked hand whose crop would change size by more than this from one frame to the next has half left its crop (a
# fast move) and its keypoints are fragments, whatever presence they score: on real video a hand's crop changes by at
# most 5 % a frame (the shared clip, a real hand slid 500 px in a quarter of a second)
MAX_CROP_JUMP = 1.3


class StageClock:
    """Per-stage wall times (ms) of the last frame; cheap enough to be always on."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._t = 0.0

    def start(self) -> None:
        self.times = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + (now - self._t) * 1e3
        self._t = now


def _read_image_file(path: str) -> np.ndarray:
    """The image file ``path`` names (a suffix ``handpose run`` reads as an image); anything else is refused, naming
    :meth:`HandTracker.stream`, which tells videos, folders, globs, cameras and URLs apart."""
    from .sources import IMAGE_EXTS, is_glob, read_image, url_kind

    file = Path(path).expanduser()
    if url_kind(path) or is_glob(path) or file.suffix.lower() not in IMAGE_EXTS or file.is_dir():
        raise InputError(f"{path} is not an image file: tracker.stream({path!r}) or tracker.track({path!r}) reads "
                         "the frames of a video, folder, glob, camera or URL")
    return read_image(file)


def _is_count(n: object) -> bool:
    """A whole number of at least 1 (not a bool, not 1.5)."""
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool) and bool(n >= 1)


class HandTracker:
    """Finds hands and their 21 keypoints in images or video frames.

    ``mode="image"``: every input is independent (detector on every call). ``mode="video"``: hands are tracked
    from frame to frame; the palm detector runs only while fewer than ``max_hands`` hands are tracked, and then
    at most every ``detect_every`` frames (every frame while none is tracked).

    ``min_detection_confidence``: palms the detector scores lower are dropped; one scored under MediaPipe's 0.5
    is a hand only if the landmark model is sure of it (presence 0.8, or ``min_presence`` if higher). By default
    0.1 in image mode, which finds blurred and cut-off hands that 0.5 misses (a photo has one chance; a video
    frame's missed hand is found in the next ones), and 0.5 in video mode.

    ``camera``: a :class:`~handpose.Camera` (or ``--camera``'s text: ``"70"`` degrees of horizontal field of view,
    ``"fx,fy,cx,cy"``); each result then also has ``camera``, every hand's 21 points in metres in the camera's frame.

    ``zoom``: above 1, the detector also looks at overlapping square tiles of the frame, each seen ``zoom`` times
    larger than the whole frame (:func:`~handpose.tiling.tile_windows`), to find far and small hands. Image mode
    runs every tile on every image (a tile costs as much as the whole frame); video mode looks at one view per
    search, the whole frame and the tiles in turn, so a search costs the same and a far hand is found within twice
    as many searches as there are tiles, then tracked like any other.

    ``gestures``: ``"builtin"``, a rules ``.toml``, a trained ``.npz`` or several joined by commas (as ``--gestures``
    on the command line), or a :class:`~handpose.gestures.GestureRecognizer`; each result then carries a gesture per
    hand and the frame's events.

    ``flip``: mirror every image left to right before looking at it, the selfie view webcam apps show. Keypoints
    are those of the mirrored picture, swipes go the way the person moves their own hand, and a source's frames
    (:meth:`track`, :meth:`process_frame`) carry that picture to draw on. ``mirrored``: the input itself is such a
    view (so with both, handedness is read as for an ordinary camera).

    ``gray``: how gray frames (one channel, or three equal ones, as infrared and monochrome cameras give) reach the
    colour-trained models: ``"skin"`` (default) in a skin tone, or ``"plain"``. On gray copies of the shared pictures
    the skin tone found a hand in 39 of 54 photos against 24, and in 81 of 101 video frames against 10 (README, "Gray
    and infrared cameras"). Colour frames are untouched.

    One tracker follows one stream. Calls from several threads (a web server's request handlers) take turns; for
    images processed in parallel give each thread its own tracker.
    """

    def __init__(self, model: str = "full", engine: str = "auto", *, max_hands: int = 2, mode: str = "video",
                 min_detection_confidence: float | None = None, min_presence: float = 0.5, detect_every: int = 8,
                 smooth: bool | None = None, smoothing: OneEuroParams | None = None, mirrored: bool = False,
                 color: str = "bgr", id_memory_ms: float = 500.0, threads: int | None = None,
                 providers: list[str] | None = None, palm_model: str | None = None,
                 landmark_model: str | None = None, gestures: Any = None, camera: Camera | str | None = None,
                 zoom: float = 1.0, gray: str = "skin", flip: bool = False):
        if mode not in ("image", "video"):
            raise HandposeError(f"mode must be 'image' or 'video', got {mode!r}")
        if model not in VARIANTS and not (palm_model and landmark_model):
            raise HandposeError(f"model must be one of {sorted(VARIANTS)}, got {model!r}")
        for name, n in (("max_hands", max_hands), ("detect_every", detect_every)):
            if not _is_count(n):
                raise HandposeError(f"{name} must be a whole number of at least 1, got {n!r}")
        if smooth is not None and not isinstance(smooth, (bool, np.bool_)):
            raise HandposeError(f"smooth must be True, False or None (the mode's default), got {smooth!r}")
        if min_detection_confidence is None:
            min_detection_confidence = IMAGE_MIN_DETECTION if mode == "image" else SURE_SCORE
        for name, p in (("min_detection_confidence", min_detection_confidence), ("min_presence", min_presence)):
            if not 0 <= p <= 1:
                raise HandposeError(f"{name} is a probability in [0, 1], got {p}")
        if id_memory_ms < 0:
            raise HandposeError(f"id_memory_ms must be >= 0, got {id_memory_ms}")
        if str(color).lower() not in ("bgr", "rgb"):
            raise HandposeError(f"color must be 'bgr' or 'rgb', got {color!r}")
        if gray not in GRAY_MODES:
            raise HandposeError(f"gray must be one of {', '.join(map(repr, GRAY_MODES))}, got {gray!r}")
        if not 1 <= zoom <= 16:
            raise HandposeError(f"zoom must be between 1 (whole frame only) and 16, got {zoom}")
        if threads is not None and not _is_count(threads):
            raise HandposeError(f"threads must be at least 1 (or None for the runtime's choice), got {threads}")
        default_palm, default_hand = VARIANTS.get(model, ("", ""))
        palm_name, hand_name = palm_model or default_palm, landmark_model or default_hand
        self.detector = PalmDetector(create_engine(palm_name, engine, threads=threads, providers=providers),
                                     min_detection_confidence)
        self.landmarks = LandmarkModel(create_engine(hand_name, engine, threads=threads, providers=providers))
        self.camera = Camera.parse(camera) if isinstance(camera, str) else camera
        if self.camera is not None and not isinstance(self.camera, Camera):
            raise HandposeError(f"camera must be a handpose.Camera or a text like '70' or 'fx,fy,cx,cy', got "
                                f"{type(camera).__name__}")
        self.mode = mode
        self.max_hands = max_hands
        self.min_presence = min_presence
        self.detect_every = detect_every
        self.mirrored = mirrored
        self.flip = bool(flip)
        self.color = color
        self.gray = gray
        self.zoom = float(zoom)
        self._tiles: tuple[tuple[int, ...], np.ndarray] = ((), np.zeros((0, 4), np.int64))
        self._search = 0
        self.smoothing = (smoothing or OneEuroParams()) if (mode == "video" if smooth is None else smooth) else None
        self.book = TrackBook(id_memory_ms, smoothing=self.smoothing)
        self.clock = StageClock()
        self._frame = 0
        self._since_detect = 0
        self._last_t: float | None = None
        self._made = time.monotonic()
        self._lock = threading.RLock()  # tracks, clock and engines hold one frame's state at a time
        self.gesture_classifier: Any = None  # the optional gesture stage, see ``gestures`` below
        if gestures is not None:
            from .gestures import load_classifier

            if isinstance(gestures, (str, Path, list, tuple)):
                self.gesture_classifier = load_classifier(gestures)
            elif hasattr(gestures, "annotate"):  # a GestureRecognizer, or your own stage of the same shape
                self.gesture_classifier = gestures
            else:
                raise HandposeError(f"gestures must be 'builtin', a .toml / .npz path (several joined by commas) or "
                                    f"a GestureRecognizer, got {type(gestures).__name__}")

    @property
    def engine(self) -> str:
        return self.landmarks.engine.kind

    def reset(self) -> None:
        """Forget all tracks and end the gestures they held: a new, unrelated stream starts. ``stream`` and
        ``track`` do this for every source, and ``process`` when timestamps go back (a video started again)."""
        with self._lock:
            self.book.reset()
            self._frame = 0
            self._since_detect = 0
            self._search = 0
            self._last_t = None
            if self.gesture_classifier is not None and hasattr(self.gesture_classifier, "finish"):
                self.gesture_classifier.finish()

    def __call__(self, image: np.ndarray | str | os.PathLike[str], timestamp_ms: float | None = None) -> Hands:
        return self.process(image, timestamp_ms)

    # -- stages --------------------------------------------------------------------------------------------
    def _palms(self, image: np.ndarray, bgr: bool, whole_frame: bool = False) -> tuple[Palms, Palms]:
        """Palms of the whole frame, and with ``zoom`` of the tiles (all of them in image mode; in video mode one
        view per search, the whole frame and the tiles in turn), unless ``whole_frame``."""
        if self.zoom <= 1 or whole_frame:
            return self.detector.detect(image, bgr, self.clock), Palms.empty()
        if self._tiles[0] != image.shape[:2]:
            self._tiles = (image.shape[:2], tile_windows(image.shape[0], image.shape[1], self.zoom))
        tiles = self._tiles[1]
        if self.mode == "video":
            step, self._search = self._search, self._search + 1
            if step % 2 == 0 or not len(tiles):
                return self.detector.detect(image, bgr, self.clock), Palms.empty()
            tiles = tiles[(step // 2) % len(tiles)][None]
            whole = Palms.empty()
        else:
            whole = self.detector.detect(image, bgr, self.clock)
        found = []
        for x0, y0, x1, y1 in tiles.tolist():
            palms = self.detector.detect(image[y0:y1, x0:x1], bgr, self.clock)
            if len(palms):
                found.append(palms.shifted(x0, y0))
        return whole, Palms.concat(found)

    def _detect(self, image: np.ndarray, bgr: bool, existing: np.ndarray, budget: int, whole_frame: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
        """Crop rects of new hands, most trusted first, and the presence each must reach to be kept. With tiles in
        image mode all candidates are returned (presence and de-duplication decide, then ``max_hands`` cuts);
        else at most ``budget``."""
        palms, tiled = self._palms(image, bgr, whole_frame)
        unsure = palms.scores < SURE_SCORE  # under MediaPipe's 0.5: below the sure ones, on the landmarks' word
        palms, doubtful = palms[~unsure], palms[unsure]
        # tiles take only sure palms: unsure ones in tiles added 3 false hands on 119 hand-free photos, 1 true hand
        tiled = tiled[tiled.scores >= SURE_SCORE]
        rects = rects_from_palms(palms.boxes, palms.keypoints) if len(palms) else np.zeros((0, 5), np.float32)
        if len(rects) and len(existing):
            # A palm on a hand that is already tracked is not a new hand.
            overlap = boxes_iou(corners_to_boxes(rect_corners(rects)), corners_to_boxes(rect_corners(existing)))
            new = overlap.max(1) <= 0.5
            rects, palms = rects[new], palms[new]
        bar = np.full(len(rects), self.min_presence, np.float32)
        if len(tiled):
            # a palm the whole frame saw small is looked at through the tiles first, its own crop kept as fallback
            small = small_palms(palms, max(image.shape[:2]))
            sure = rects[~small]
            closer = new_hands(tiled, np.concatenate([existing, sure]))
            rects = np.concatenate([sure, closer, rects[small]])
            # every tile is one more chance of a false hand: what only a tile saw must be surer of being a hand
            bar = np.concatenate([bar[~small], np.full(len(closer), max(self.min_presence, TILE_PRESENCE),
                                                       np.float32), bar[small]])
        if len(doubtful):
            # a palm the detector is unsure of, away from every surer hand, is a hand if the landmark model is sure
            rechecked = new_hands(doubtful, np.concatenate([existing, rects]))
            rects = np.concatenate([rects, rechecked])
            bar = np.concatenate([bar, np.full(len(rechecked), max(self.min_presence, UNSURE_PRESENCE), np.float32)])
        if len(tiled) and self.mode == "image":
            budget = len(rects)
        self.clock.lap("palm_post")
        return rects[:budget], bar[:budget]

    def _p_right(self, raw: np.ndarray) -> np.ndarray:
        return 1.0 - raw if self.mirrored != self.flip else raw

    # -- one frame -----------------------------------------------------------------------------------------
    def process(self, image: np.ndarray | str | os.PathLike[str], timestamp_ms: float | None = None) -> Hands:
        """Hands of one image (OpenCV BGR by default; gray, BGRA and ``color="rgb"`` work too) taken at
        ``timestamp_ms`` (by default: now, in ms since the tracker was made). ``image`` may also be an image
        file's path, read as ``handpose run`` reads it (upright as a phone photo's EXIF says; ``hands.source``
        names it); videos, folders, cameras and URLs go to :meth:`stream` / :meth:`track`."""
        if isinstance(image, (str, os.PathLike)):
            path = os.fspath(image)
            picture = _read_image_file(path)
            with self._lock:
                hands = self._process(picture, timestamp_ms, color="bgr")  # as OpenCV decodes, whatever ``color``
            hands.source = path
            return hands
        with self._lock:
            return self._process(image, timestamp_ms)

    def shown_to_models(self, image: np.ndarray, bgr: bool) -> tuple[np.ndarray, bool]:
        """What the models see of a :func:`~handpose.imaging.prepare`-d frame, and whether it is BGR: a gray frame in
        the skin tone when ``gray="skin"``, any other frame as it is."""
        return in_skin_tone(image, bgr) if self.gray == "skin" else (image, bgr)

    def _process(self, image: np.ndarray, timestamp_ms: float | None, color: str | None = None,
                 flipped: bool = False) -> Hands:
        self.clock.start()
        img, bgr = prepare(image, color or self.color)
        if self.flip and not flipped:
            img = mirror(img)
        shown, shown_bgr = self.shown_to_models(img, bgr)
        h, w = img.shape[:2]
        t = float(timestamp_ms) if timestamp_ms is not None else (time.monotonic() - self._made) * 1e3
        if not math.isfinite(t):  # NaN would pass every time test and poison the filters
            raise InputError(f"timestamp_ms must be a finite number of milliseconds, got {timestamp_ms}")
        self.clock.lap("prepare")
        if self.mode == "video" and self._last_t is not None and t < self._last_t:
            # tracks and filters of a later time would hold the new stream's hands at their old places
            self.reset()
        self._last_t = t
        if self.mode == "video":
            hands = self._process_video(shown, shown_bgr, t)
        else:
            hands = self._process_image(shown, shown_bgr)
            if not len(hands) and shown is not img:
                # an image has one chance: a few gray pictures show their hand better plain (4 of 54 measured)
                hands = self._process_image(img, bgr)
        hands.width, hands.height, hands.timestamp_ms, hands.frame = w, h, t, self._frame
        self._frame += 1
        if self.camera is not None:
            matrix = self.camera.matrix(w, h)
            if self.flip and self.camera.cx is not None:  # a calibrated principal point, seen in the mirror
                matrix[0, 2] = w - 1 - matrix[0, 2]
            hands.camera = place_in_camera(hands.keypoints, hands.world, matrix)
            self.clock.lap("camera")
        if self.gesture_classifier is not None:
            self.gesture_classifier.annotate(hands)
            self.clock.lap("gestures")
        return hands

    def _process_image(self, img: np.ndarray, bgr: bool) -> Hands:
        rects, bar = self._detect(img, bgr, np.zeros((0, 5), np.float32), self.max_hands)
        lm = self.landmarks.infer(img, bgr=bgr, rects=rects, clock=self.clock)
        keep = np.flatnonzero(lm.presence >= bar)
        boxes = keypoint_boxes(lm.keypoints[keep])
        order = first_unique(boxes)[: self.max_hands]  # two crops on one hand: the first (more trusted) is kept
        sel = keep[order]
        p = self._p_right(lm.right[sel])
        hands = Hands(keypoints=lm.keypoints[sel], world=lm.world[sel], scores=lm.presence[sel],
                      handedness=np.where(p > 0.5, "right", "left"), handedness_scores=np.maximum(p, 1 - p),
                      boxes=boxes[order], rects=rects[sel], track_ids=np.full(len(sel), -1, np.int64))
        self.clock.lap("post")
        return hands

    def _process_video(self, img: np.ndarray, bgr: bool, t: float) -> Hands:
        book = self.book
        book.expire(t)
        tracked = list(book.live)
        existing = np.stack([tr.rect for tr in tracked]) if tracked else np.zeros((0, 5), np.float32)
        budget = self.max_hands - len(tracked)
        new_rects, bar = np.zeros((0, 5), np.float32), np.zeros(0, np.float32)
        detected = budget > 0 and (not tracked or self._since_detect >= self.detect_every - 1)
        if detected:
            new_rects, bar = self._detect(img, bgr, existing, budget)
            self._since_detect = 0
        else:
            self._since_detect += 1
        rects = np.concatenate([existing, new_rects]).astype(np.float32)
        need = np.concatenate([np.full(len(tracked), self.min_presence, np.float32), bar])
        lm = self.landmarks.infer(img, bgr=bgr, rects=rects, clock=self.clock)
        next_rects = rects_from_landmarks(lm.keypoints) if len(rects) else rects
        valid = lm.presence >= need
        if tracked:  # and keypoints that are a hand, not fragments of one (see MAX_CROP_JUMP)
            was = existing[:, 2:4].max(1)
            now = next_rects[: len(tracked), 2:4].max(1)
            valid[: len(tracked)] &= np.maximum(now / was, was / np.maximum(now, 1e-6)) <= MAX_CROP_JUMP
        lost = ~valid[: len(tracked)]
        if lost.any() and not detected:
            # A tracked hand slipped out of its crop (a fast move): it is searched for in this frame, not the next,
            # so that it does not blink out for a frame.
            held = next_rects[: len(tracked)][~lost]
            found, found_bar = self._detect(img, bgr, held, self.max_hands - len(held), whole_frame=True)
            self._since_detect = 0
            if len(found):
                more = self.landmarks.infer(img, bgr=bgr, rects=found, clock=self.clock)
                rects, valid = np.concatenate([rects, found]), np.concatenate([valid, more.presence >= found_bar])
                next_rects = np.concatenate([next_rects, rects_from_landmarks(more.keypoints)])
                lm = LandmarkOutput(*(np.concatenate([getattr(lm, f), getattr(more, f)])
                                      for f in ("keypoints", "world", "presence", "right")))
        boxes = keypoint_boxes(lm.keypoints)
        p_right = self._p_right(lm.right)

        alive: list[tuple[Track, int]] = []
        for i in range(len(rects)):
            if not valid[i]:
                if i < len(tracked):
                    book.lose(tracked[i])
                continue
            if i < len(tracked):
                tr = tracked[i]
                tr.rect, tr.box, tr.last_seen_ms = next_rects[i], boxes[i], t
            else:
                tr = book.admit(boxes[i], next_rects[i], float(p_right[i]), t)
            alive.append((tr, i))
        kept = book.merge_duplicates([tr for tr, _ in alive])
        alive = sorted([(tr, i) for tr, i in alive if tr in kept], key=lambda a: a[0].id)
        book.live = [tr for tr, _ in alive]

        n = len(alive)
        kps = np.empty((n, 21, 3), np.float32)
        world = np.empty((n, 21, 3), np.float32)
        labels, hscores = [], np.empty(n, np.float32)
        for j, (tr, i) in enumerate(alive):
            tr.vote(float(p_right[i]))
            kps[j], world[j] = tr.smooth(lm.keypoints[i], lm.world[i], t)
            labels.append("right" if tr.right_mean > 0.5 else "left")
            hscores[j] = max(tr.right_mean, 1 - tr.right_mean)
        idx = np.array([i for _, i in alive], np.int64)
        hands = Hands(keypoints=kps, world=world, scores=lm.presence[idx], handedness=np.array(labels, "<U5"),
                      handedness_scores=hscores, boxes=keypoint_boxes(kps) if n else boxes[idx],
                      rects=rects[idx], track_ids=np.array([tr.id for tr, _ in alive], np.int64))
        self.clock.lap("post")
        return hands

    # -- streams -------------------------------------------------------------------------------------------
    def stream(self, source: Any, **source_options: Any) -> Iterator[Hands]:
        """Results for every frame of a source (file, folder, glob, video, camera index, URL)."""
        for _, hands in self.track(source, **source_options):
            yield hands

    def track(self, source: Any, **source_options: Any) -> Iterator[tuple[Frame, Hands]]:
        """``(frame, hands)`` for every frame of a source: the frame (``image``, ``index``, ``timestamp_ms``,
        ``source``) is there to draw on or save. A frame that cannot be read or processed is logged and skipped;
        the stream goes on. Tracks start afresh for every source; when it ends, gestures still held end too."""
        self.reset()
        for frame in self.frames(source, **source_options):
            hands = self.process_frame(frame)
            if hands is not None:
                yield frame, hands
        if self.gesture_classifier is not None and hasattr(self.gesture_classifier, "finish"):
            self.gesture_classifier.finish()

    def process_frame(self, frame: Frame, on_skip: Callable[[str], None] | None = None) -> Hands | None:
        """The hands of a source's frame (``hands.frame`` is its index in the source), or None when it could not
        be read or used: the reason goes to ``on_skip`` (by default: logged as a warning)."""
        if frame.image is None:
            reason = frame.error or f"{frame.source}: not readable"
        else:
            try:
                if self.flip:  # the frame's own picture is mirrored, so that what is drawn on it matches
                    frame.image = mirror(frame.image)
                with self._lock:
                    hands = self._process(frame.image, frame.timestamp_ms, flipped=True)
            except InputError as e:
                reason = f"{frame.source}: {e}"
            else:
                hands.source, hands.frame = frame.source, frame.index
                return hands
        if on_skip is None:
            log.warning("skipped %s", reason)
        else:
            on_skip(reason)
        return None

    def frames(self, source: Any, **source_options: Any) -> Iterator[Frame]:
        """The source's frames as ``track`` reads them (options as :func:`~handpose.sources.open_source`)."""
        from .sources import open_source

        with open_source(source, **source_options) as src:
            yield from src
