"""Options shared by the vision tasks, the running-mode rules, and the hand models of a ``.task`` bundle."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import logging
import os
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HandposeError, InputError, ModelError
from ..registry import get_model, home, list_models, register_model
from .image import Image

log = logging.getLogger("handpose")


class RunningMode(enum.Enum):
    """IMAGE: independent images; VIDEO: frames of one video, tracked; LIVE_STREAM: frames whose results go to a
    callback."""

    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    LIVE_STREAM = "LIVE_STREAM"


VisionTaskRunningMode = RunningMode  # its name in mediapipe.tasks.python.vision.core.vision_task_running_mode


@dataclass
class BaseOptions:
    """Where the models come from. ``model_asset_path`` / ``model_asset_buffer``: a MediaPipe ``.task`` bundle
    (``hand_landmarker.task``, ``gesture_recognizer.task``); for a gesture recognizer also a handpose gesture model
    (``.npz``) or rules file (``.toml``). Neither: handpose's own copy of Google's full hand models. ``delegate``
    GPU runs them on onnxruntime's CUDA provider."""

    class Delegate(enum.IntEnum):
        CPU = 0
        GPU = 1

    model_asset_path: str | None = None
    model_asset_buffer: bytes | None = None
    delegate: Delegate | None = None


@dataclass
class ImageProcessingOptions:
    """``rotation_degrees``: how far (clockwise, a multiple of 90) to turn the image so that hands stand upright
    before detection; results stay in the given image's coordinates. A region of interest is refused, as by
    MediaPipe's hand tasks."""

    region_of_interest: Any = None
    rotation_degrees: int = 0


@dataclass(frozen=True)
class HandModels:
    """What a bundle holds for handpose: its two hand models' registry names, and a gesture model file if any."""

    palm: str = "palm_full"
    landmark: str = "hand_full"
    gestures: str | None = None


_DETECTOR, _LANDMARKS, _NESTED = "hand_detector.tflite", "hand_landmarks_detector.tflite", "hand_landmarker.task"


def _registered(data: bytes, task: str, like: str, origin: str) -> str:
    """The registry name of a bundled model: a built-in one when the bytes are identical, else the file is kept
    in handpose's cache and registered under a name of its hash (it runs with the built-in model's spec)."""
    sha = hashlib.sha256(data).hexdigest()
    for spec in list_models(task=task):
        if spec.sha256 == sha:
            return spec.name
    path = home() / "tasks" / f"{sha[:16]}.tflite"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    base = get_model(like)
    name = f"{base.name}@{sha[:12]}"
    register_model(dataclasses.replace(base, name=name, filename=path.name, sha256=sha, size=len(data), path=path,
                                       member=None, source=origin), overwrite=True)
    return name


def _from_bundle(data: bytes, origin: str) -> HandModels:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise ModelError(f"{origin} is not a MediaPipe .task bundle (a zip file): {e}") from e
    with zf:
        names = set(zf.namelist())
        if _NESTED in names:  # gesture_recognizer.task: the hand landmarker inside; its gesture models are not run
            if names - {_NESTED}:
                log.info("%s: its gesture models are not used; handpose's built-in vocabulary names MediaPipe's "
                         "canned gestures (train your own with 'handpose gestures train')", origin)
            return _from_bundle(zf.read(_NESTED), f"{origin}/{_NESTED}")
        if not {_DETECTOR, _LANDMARKS} <= names:
            raise ModelError(f"{origin} holds no hand models ({_DETECTOR} and {_LANDMARKS}); it has "
                             f"{sorted(names)}")
        return HandModels(_registered(zf.read(_DETECTOR), "palm_detection", "palm_full", origin),
                          _registered(zf.read(_LANDMARKS), "hand_landmark", "hand_full", origin))


def hand_models(base: BaseOptions, *, gestures_allowed: bool) -> HandModels:
    """The models a task's :class:`BaseOptions` name."""
    if base.model_asset_path is not None and base.model_asset_buffer is not None:
        raise HandposeError("set model_asset_path or model_asset_buffer, not both")
    if base.model_asset_buffer is not None:
        return _from_bundle(bytes(base.model_asset_buffer), "model_asset_buffer")
    if base.model_asset_path is None:
        return HandModels()
    path = Path(base.model_asset_path).expanduser()
    if path.suffix in (".npz", ".toml"):
        if not gestures_allowed:
            raise ModelError(f"{path} is a gesture model; a HandLandmarker needs a hand_landmarker.task bundle "
                             "(or no model_asset_path for handpose's own)")
        if not path.is_file():
            raise ModelError(f"gesture model not found: {path}")
        return HandModels(gestures=str(path))
    if not path.is_file():
        raise ModelError(f"model bundle not found: {path}")
    return _from_bundle(path.read_bytes(), str(path))


def rotation_turns(options: ImageProcessingOptions | None) -> int:
    """Quarter turns clockwise that ``options`` ask for (0..3)."""
    if options is None:
        return 0
    if options.region_of_interest is not None:
        raise HandposeError("hand tasks do not support a region of interest (as in MediaPipe); crop the image")
    if options.rotation_degrees % 90:
        raise HandposeError(f"rotation_degrees must be a multiple of 90, got {options.rotation_degrees}")
    return (options.rotation_degrees // 90) % 4


def turned(image: Image, turns: int) -> np.ndarray:
    """The image's pixels turned ``turns`` quarter turns clockwise (no copy when 0)."""
    data = image.numpy_view()
    return data if turns == 0 else np.ascontiguousarray(np.rot90(data, -turns))


def turn_back(xy: np.ndarray, turns: int, width: float, height: float) -> np.ndarray:
    """Points (..., 2) of an image turned ``turns`` quarter turns clockwise, in the unturned image of
    ``width`` x ``height``. For world points pass width = height = 0 (directions only)."""
    x, y = xy[..., 0], xy[..., 1]
    if turns == 1:
        x, y = y, height - x
    elif turns == 2:
        x, y = width - x, height - y
    elif turns == 3:
        x, y = width - y, x
    return np.stack([x, y], axis=-1)


class LiveStream:
    """Runs a live stream's frames on one worker thread, so that the caller's ``*_async`` returns at once. A frame
    that arrives while another is processed waits in a single slot and replaces one already waiting there (that
    one is dropped, as by MediaPipe's flow limiter): results follow the newest frame instead of lagging behind."""

    def __init__(self, run: Callable[[Any], None], name: str) -> None:
        self._run = run
        self._name = name
        self._cond = threading.Condition()
        self._pending: Any = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def submit(self, job: Any) -> None:
        with self._cond:
            if self._closed:
                raise HandposeError("this task is closed")
            if self._pending is not None:
                self.dropped += 1
            self._pending = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._pending is None:
                    return
                job, self._pending = self._pending, None
            try:
                self._run(job)
            except Exception:  # the worker must outlive a failing frame or callback
                log.exception("%s: a live-stream frame failed", self._name)

    def close(self) -> None:
        """Process the frame in flight and the one waiting, then stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()


class VisionTask:
    """The running-mode contract of MediaPipe's vision tasks: which call each mode allows, increasing
    timestamps, a result callback only (and always) in live-stream mode."""

    def __init__(self, running_mode: RunningMode, result_callback: Any) -> None:
        if not isinstance(running_mode, RunningMode):
            raise HandposeError(f"running_mode must be a RunningMode, got {running_mode!r}")
        live = running_mode is RunningMode.LIVE_STREAM
        if live and result_callback is None:
            raise HandposeError("the live-stream mode needs a result_callback")
        if not live and result_callback is not None:
            raise HandposeError(f"a result_callback is for the live-stream mode only (running_mode is "
                                f"{running_mode.name})")
        self.running_mode = running_mode
        self._callback = result_callback
        self._last_ms: int | None = None
        self._live = LiveStream(self._live_frame, type(self).__name__) if live else None

    def _check(self, mode: RunningMode, image: Any, timestamp_ms: int | None = None) -> None:
        if self.running_mode is not mode:
            raise HandposeError(f"this task runs in the {self.running_mode.name} mode; the call is for the "
                                f"{mode.name} mode")
        if not isinstance(image, Image):
            raise InputError(f"expected a handpose.tasks.Image, got {type(image).__name__}; wrap an RGB array as "
                             "Image(image_format=ImageFormat.SRGB, data=rgb)")
        if timestamp_ms is not None:
            if self._last_ms is not None and timestamp_ms <= self._last_ms:
                raise InputError(f"timestamps must increase: {timestamp_ms} ms after {self._last_ms} ms")
            self._last_ms = int(timestamp_ms)

    def _submit(self, image: Image, timestamp_ms: int, processing: ImageProcessingOptions | None) -> None:
        """Queue a live-stream frame: its pixels are copied, so the caller may reuse or draw on its array."""
        if self._live is None:
            raise HandposeError(f"this task runs in the {self.running_mode.name} mode, not the live-stream mode")
        rotation_turns(processing)  # bad options are the caller's error, raised here rather than on the worker
        frame = Image(image.image_format, np.array(image.numpy_view()))
        self._live.submit((frame, timestamp_ms, processing))

    def _live_frame(self, job: tuple[Image, int, ImageProcessingOptions | None]) -> None:
        image, timestamp_ms, processing = job
        try:
            result = self._result(image, timestamp_ms, processing)
        except HandposeError as e:
            log.warning("live stream: the frame at %d ms is skipped: %s", timestamp_ms, e)
            return
        self._callback(result, image, timestamp_ms)

    def _result(self, image: Image, timestamp_ms: int | None, processing: ImageProcessingOptions | None) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """In the live-stream mode, deliver the results of the frames still queued and stop the worker thread;
        ``*_async`` calls are refused after it."""
        if self._live is not None:
            self._live.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
