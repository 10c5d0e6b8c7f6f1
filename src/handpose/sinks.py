"""Where results go: an annotated video, a GIF, a folder of annotated images, JSON Lines, CSV; UDP, OSC and
WebSocket for other programs."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import cv2
import numpy as np

from .atomic import replacing
from .errors import InputError, OutputError
from .imaging import prepare
from .quiet import quiet_stderr
from .sources import IMAGE_EXTS

# OpenCV's wheels have no H.264 encoder: an .mp4 is MPEG-4 part 2, which players show and browsers do not; a .webm
# (VP8, about 12x slower to write) plays in browsers.
VIDEO_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "XVID", ".webm": "VP80"}


def check_writable(path: Path, overwrite: bool, make_folders: bool = True,
                   how: str = "pass --overwrite to replace it") -> None:
    """Refuse to replace a user's file unless asked to (``how`` says how to ask); make the folders it goes in (or,
    without ``make_folders``, only check that they can be made: a command checks its outputs before its long work).
    A device or a named pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written to, not replaced: no refusal."""
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name")
    if path.is_file() and not overwrite:
        raise InputError(f"{path} exists; {how}")
    if make_folders:
        make_folder(path.parent)
    else:
        _check_folder(path.parent)


def check_distinct(outputs: dict[str, str | None]) -> None:
    """Refuse two outputs named the same file: each would write over the other (a device such as /dev/null may
    take them all)."""
    seen: dict[Path, str] = {}
    for flag, value in outputs.items():
        if not value or value == "-":
            continue
        path = Path(value).resolve()
        if path.exists() and not path.is_file() and not path.is_dir():
            continue
        if path in seen:
            raise InputError(f"{seen[path]} and {flag} both name {value}: give each output a file of its own")
        seen[path] = flag


def check_not_input(path: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output that is one of the files being read: with or without --overwrite, writing it would destroy
    the input (a video is read while it is written)."""
    if path.is_file() and any(p.is_file() and os.path.samefile(path, p) for p in inputs):
        raise InputError(f"{path} is an input of this run: an output must not replace or change what is read; "
                         "give another name")


def _check_folder(folder: Path) -> None:
    for existing in (folder, *folder.parents):
        if existing.exists():
            if not existing.is_dir():
                raise InputError(f"cannot write into {folder}: {existing} is a file, not a folder")
            return


def make_folder(folder: Path) -> None:
    """``mkdir -p`` that names the file standing where a folder must go."""
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)


def write_image(path: Path, image: np.ndarray) -> None:
    """Write an image file (its format by the suffix) at any path: ``cv2.imwrite`` cannot reach a folder named
    outside the system's code page on Windows (``C:\\Users\\José``), bytes written by Python can."""
    try:
        ok, data = cv2.imencode(path.suffix or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise InputError(f"cannot write image {path}: OpenCV has no encoder for {path.suffix or 'no suffix'}")
    with writing(path):  # ndarray.tofile would not see a full disk
        path.write_bytes(data.data)


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Writing to ``path``: the file system's refusal (a full disk, a quota) is an :class:`OutputError` naming the
    file; a closed pipe on standard output stays a BrokenPipeError (the reader, e.g. ``head``, has all it wants)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e


@contextlib.contextmanager
def whole_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file written whole or not at all: into a new hidden part file beside it (beside a link's file; see
    :func:`handpose.atomic.replacing`: no file of the user's is written over), put in its place when complete, and
    removed when the writing fails (an :class:`OutputError` naming the file: a full disk must not leave the user half
    a dataset or model). A device or named pipe (/dev/null, a FIFO) is written to as it is, never replaced. Text is
    UTF-8, with no newline translation (as :mod:`csv` wants)."""
    direct = path.exists() and not path.is_file()
    with writing(path), (contextlib.nullcontext(path) if direct else replacing(path.resolve())) as target, \
            (open(target, "wb") if binary else open(target, "w", encoding="utf-8", newline="")) as f:
        yield f


def write_text(path: Path, text: str) -> None:
    """Write a report (JSON, Markdown) whole, in its folder (made if missing)."""
    make_folder(path.parent)
    with whole_file(path) as f:
        f.write(text)


class VideoSink:
    """An annotated video of the same size and frame rate as the input."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], overwrite: bool = False):
        check_writable(path, overwrite)
        fourcc = VIDEO_FOURCC.get(path.suffix.lower())
        if fourcc is None:
            raise InputError(f"unsupported video format {path.suffix}: use one of {', '.join(VIDEO_FOURCC)}")
        self.path, self.size, self.fps = path, size, fps
        with quiet_stderr():  # FFmpeg notes that WebM stores no codec tag
            self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if not self.writer.isOpened():
            raise InputError(f"cannot write video {path} (codec {fourcc} unavailable?)")
        self.backend = self.writer.getBackendName()
        self.count = 0
        self._t0: float | None = None
        self._last: np.ndarray | None = None

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Add a frame. With ``timestamp_ms`` (a live source, whose frames come when processing allows) the video
        plays back in real time: the last frame is held over the slots of frames that were dropped (a gap longer
        than 5 s is shortened to 5 s), and a frame that comes before its slot, from a source faster than its
        stated frame rate, is left out."""
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if timestamp_ms is not None:
            self._t0 = timestamp_ms if self._t0 is None else self._t0
            due = round((timestamp_ms - self._t0) * self.fps / 1000.0)  # this frame's slot
            if due - self.count > 5 * self.fps:
                self._t0 += (due - self.count - round(5 * self.fps)) * 1000.0 / self.fps
                due = self.count + round(5 * self.fps)
            while self._last is not None and self.count < due:
                self.writer.write(self._last)
                self.count += 1
            self._last = image
            if due < self.count:  # its slot is taken; it may still be held over the next gap
                return
        self.writer.write(image)
        self.count += 1

    def close(self) -> None:
        self.writer.release()
        self._check_written()

    def _check_written(self) -> None:
        """OpenCV's writer says nothing when the disk fills: the file is read back to see that it holds every
        frame (its header, and its last frame found by seeking: 1–20 ms). Only a file FFmpeg wrote (OpenCV's
        wheels write with it on every desktop system) is read back, by FFmpeg: another backend might write what
        it cannot read."""
        if self.count == 0 or not self.path.is_file() or self.backend != "FFMPEG":  # a named pipe: not read back
            return
        with quiet_stderr():  # FFmpeg's own complaints about a cut file
            capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
            frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
            # containers that count frames by their duration may round; Matroska states its length up front
            whole = frames >= max(self.count - 1, 1) and capture.set(cv2.CAP_PROP_POS_FRAMES, frames - 1) \
                and capture.read()[0]
            capture.release()
        if whole:
            return
        try:
            full = shutil.disk_usage(self.path.parent).free == 0
        except OSError:
            full = False
        why = "No space left on device" if full else "the file is cut short (a full disk or a size limit?)"
        raise OutputError(f"cannot write {self.path}: {why}; it does not hold all {self.count} frames given to "
                          "the encoder")


def can_write_gif() -> bool:
    """Whether this OpenCV encodes GIFs (4.11 reads them and writes other animations, but has no GIF encoder)."""
    return hasattr(cv2, "imwriteanimation") and cv2.haveImageWriter("x.gif")


def check_movie_format(path: Path) -> None:
    """Refuse, before any work, a video or GIF output that this OpenCV cannot write."""
    if path.suffix.lower() == ".gif" and not can_write_gif():
        raise InputError(f"cannot write {path}: this OpenCV ({cv2.__version__}) writes no GIF; 4.12 and newer do "
                         "(pip install -U opencv-python-headless, which needs numpy 2), or write .webm or .mp4")


class GifSink:
    """An animated GIF (frames downscaled to at most ``max_width`` to keep it small).

    A GIF is written in one go at the end, so its frames are held in memory; a long input keeps at most
    ``max_frames`` of them by dropping every other frame (and doubling each one's duration) whenever the limit is
    passed: the GIF still covers the whole input, at a lower frame rate.
    """

    def __init__(self, path: Path, fps: float, overwrite: bool = False, max_width: int = 480,
                 max_frames: int = 300):
        check_writable(path, overwrite)
        check_movie_format(path)
        self.path, self.fps, self.max_width, self.max_frames = path, fps, max_width, max(2, max_frames)
        self.frames: list[np.ndarray] = []
        self.times: list[float | None] = []  # the kept frames' timestamps (live sources)
        self.step, self._seen = 1, 0  # keep every step-th input frame

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Add a frame; with ``timestamp_ms`` (a live source) each frame is shown until the next one came."""
        self._seen += 1
        if (self._seen - 1) % self.step:
            return
        if image.shape[1] > self.max_width:
            h = round(image.shape[0] * self.max_width / image.shape[1])
            image = cv2.resize(image, (self.max_width, h), interpolation=cv2.INTER_AREA)
        if self.frames and image.shape != self.frames[0].shape:
            image = cv2.resize(image, (self.frames[0].shape[1], self.frames[0].shape[0]))
        self.frames.append(image)
        self.times.append(timestamp_ms)
        if len(self.frames) > self.max_frames:
            del self.frames[1::2]
            del self.times[1::2]
            self.step *= 2

    def close(self) -> None:
        if not self.frames:
            return
        anim = cv2.Animation()
        anim.frames = self.frames
        period = 1000 * self.step / self.fps
        if all(t is not None for t in self.times):
            times = np.array(self.times, np.float64)
            anim.durations = [max(20, round(d)) for d in (*np.diff(times), period)]
        else:
            anim.durations = [max(20, round(period))] * len(self.frames)
        anim.loop_count = 0
        ok, data = cv2.imencodeanimation(".gif", anim) if hasattr(cv2, "imencodeanimation") else (False, None)
        if ok:  # bytes written by Python reach any path (see write_image)
            with writing(self.path):
                self.path.write_bytes(np.ascontiguousarray(data).data)
        elif not cv2.imwriteanimation(str(self.path), anim):
            raise InputError(f"cannot write GIF {self.path}")


def is_movie(path: Path) -> bool:
    """Whether ``path`` names a video file or a GIF (what :func:`movie_sink` writes)."""
    return path.suffix.lower() in VIDEO_FOURCC or path.suffix.lower() == ".gif"


def movie_sink(path: Path, fps: float, size: tuple[int, int], overwrite: bool = False) -> VideoSink | GifSink:
    """A :class:`GifSink` for a ``.gif``, else a :class:`VideoSink` (which names an unsupported suffix)."""
    return GifSink(path, fps, overwrite) if path.suffix.lower() == ".gif" else VideoSink(path, fps, size, overwrite)


class Preview:
    """A script's annotated frames, shown in a window or, with ``output``, written to a video or GIF file instead;
    :meth:`show` says whether to go on (False once ``q`` or Esc is pressed or the window is closed)::

        with handpose.Preview("fingers", output=args.output, fps=source.fps) as preview:
            for frame, hands in tracker.track(source):
                if not preview.show(handpose.draw_hands(frame.image, hands)):
                    break

    ``output`` is checked at once (an existing file is replaced only with ``overwrite``), and so is the window (a
    headless OpenCV is named, with its fix), before any frame is worked on; the file takes the first frame's size.
    """

    def __init__(self, window: str = "handpose", output: str | Path | None = None, fps: float | None = None,
                 overwrite: bool = False):
        self.window, self.fps, self.overwrite = window, fps or 30.0, overwrite
        self.output = Path(output) if output else None
        self._sink: VideoSink | GifSink | None = None
        self._closed = False
        self._tells_visible: bool | None = None  # does this OpenCV build say whether the window is open?
        self.key = -1  # the key pressed while the last frame was shown (-1: none), for scripts that take keys
        if self.output is None:
            from .draw import open_window

            open_window(window, f"the {window!r} window")
            return
        if not is_movie(self.output):
            raise InputError(f"unsupported video format {self.output.suffix or 'without a suffix'} ({self.output}): "
                             f"use one of {', '.join([*VIDEO_FOURCC, '.gif'])}")
        check_movie_format(self.output)
        check_writable(self.output, overwrite, make_folders=False)

    def show(self, image: np.ndarray, timestamp_ms: float | None = None, pause: bool = False) -> bool:
        """Show or write one frame (BGR). ``timestamp_ms`` of a live source's frames keeps a written video's
        playback in real time (see :meth:`VideoSink.write`). ``pause`` keeps the frame in the window until a key
        is pressed (photos, which would otherwise flash by)."""
        if self.output is None:
            cv2.imshow(self.window, image)
            while True:
                pressed = cv2.waitKey(50 if pause else 1)
                self.key = pressed & 0xFF if pressed >= 0 else -1
                if self.key in (ord("q"), 27) or self._closed_by_user():
                    return False
                if not pause or self.key >= 0:
                    return True
        if self._sink is None:
            self._sink = movie_sink(self.output, self.fps, (image.shape[1], image.shape[0]), self.overwrite)
        self._sink.write(image, timestamp_ms=timestamp_ms)
        return True

    def _closed_by_user(self) -> bool:
        # Qt and Win32 say 1 while the window is open and less once it is closed; GTK and older Cocoa builds always
        # say -1. Only a window seen open can be seen closed, so those go on until q or Esc. Qt builds (the Linux
        # opencv-python wheels) raise instead once the window is closed: its GUI receiver is gone.
        try:
            visible = cv2.getWindowProperty(self.window, cv2.WND_PROP_VISIBLE)
        except cv2.error:
            return True
        if self._tells_visible is None:
            self._tells_visible = visible >= 1
        return self._tells_visible and visible < 1

    def close(self) -> None:
        """Finish the file, or close the window; a second call does nothing."""
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        elif self.output is None and not self._closed:
            with contextlib.suppress(cv2.error):  # the user may have closed it already
                cv2.destroyWindow(self.window)
        self._closed = True

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _file_name(name: str) -> str:
    """The file name of an input's annotated copy: the input's own, or for a URL the last part of its path (plus
    .jpg when that is not an image file name: ``https://cdn.example.com/img/123?w=640`` -> ``123.jpg``)."""
    if "://" not in name:
        return Path(name).name
    base = Path(urlsplit(name).path).name or "image"
    return base if Path(base).suffix.lower() in IMAGE_EXTS else f"{base}.jpg"


class FolderSink:
    """Annotated images written under a folder with the input's file name.

    With ``root`` (the folder the inputs came from) an input keeps its path below ``root``, so inputs from several
    folders never share an output name.
    """

    def __init__(self, folder: Path, overwrite: bool = False, ext: str | None = None, filename: str | None = None,
                 root: Path | None = None):
        make_folder(folder)
        self.folder, self.overwrite, self.ext, self.filename, self.root = folder, overwrite, ext, filename, root
        self.count = 0
        self._written: set[Path] = set()

    def target(self, name: str) -> Path:
        rel = Path(self.filename or _file_name(name))
        if self.root is not None and not self.filename:
            full = Path(name).resolve()
            if full.is_relative_to(self.root):
                rel = full.relative_to(self.root)
        p = self.folder / rel
        return p.with_suffix(self.ext) if self.ext else p

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Write one annotated image under the input's name (time plays no part in a folder)."""
        target = self.target(name or f"frame_{self.count:06d}.jpg")
        if target in self._written:
            raise InputError(f"two inputs would both be written to {target}")
        if name is not None:
            check_not_input(target, [Path(name)])
        check_writable(target, self.overwrite)
        write_image(target, image)
        self._written.add(target)
        self.count += 1

    def close(self) -> None:
        """Nothing to flush: every image is written as it comes."""


class _TextSink:
    """A text file written record by record, or standard output for ``-``."""

    def __init__(self, path: Path | str, overwrite: bool = False):
        self._own = str(path) != "-"
        if self._own:
            path = Path(path)
            check_writable(path, overwrite)
            self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        else:
            import sys

            self.fh = sys.stdout
        self.name = str(path) if self._own else "standard output"

    def close(self) -> None:
        with writing(self.name):
            if self._own:
                self.fh.close()
            else:
                self.fh.flush()


def record_json(record: dict[str, Any]) -> str:
    """A frame record as compact JSON: one line of ``--json``, one UDP datagram, one WebSocket message."""
    return json.dumps(record, separators=(",", ":"))


class JsonlSink(_TextSink):
    """JSON Lines: exactly one object per processed frame or image."""

    def write(self, record: dict[str, Any]) -> None:
        with writing(self.name):
            self.fh.write(record_json(record) + "\n")
            self.fh.flush()  # a reader at the other end (a pipe, tail -f) gets each frame now, not 8 KB later


def hands_csv_header(camera: bool = False) -> list[str]:
    """The columns of :class:`CsvSink` (``handpose run --csv``; ``camera``: with ``--camera``)."""
    return (["source", "frame", "timestamp_ms", "width", "height", "track_id", "handedness", "handedness_score",
             "score", "bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"]
            + [f"{a}{i}" for i in range(21) for a in "xyz"] + [f"w{a}{i}" for i in range(21) for a in "xyz"]
            + ["gesture", "gesture_score"] + ([f"cam{a}{i}" for i in range(21) for a in "xyz"] if camera else []))


class CsvSink(_TextSink):
    """CSV: one row per hand per frame (a frame without hands has no row), for spreadsheets and pandas.

    Takes the same frame records as :class:`JsonlSink`; keypoints ``x0, y0, z0, ...`` in pixels, world
    ``wx0, wy0, wz0, ...`` in metres, ``track_id`` empty in image mode, ``gesture`` empty without ``--gestures``;
    with ``camera``, the points in the camera's frame ``camx0, camy0, camz0, ...`` in metres last.
    """

    def __init__(self, path: Path | str, overwrite: bool = False, camera: bool = False):
        super().__init__(path, overwrite)
        self.camera = camera
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(hands_csv_header(camera))

    def write(self, record: dict[str, Any]) -> None:
        frame = [record["source"], record["frame"], record["timestamp_ms"], record.get("width"), record.get("height")]
        with writing(self.name):
            for h in record["hands"]:
                gesture = h["gesture"] or {}
                self.writer.writerow([*frame, "" if h["track_id"] is None else h["track_id"], h["handedness"],
                                      h["handedness_score"], h["score"], *h["bbox"],
                                      *(v for p in h["keypoints"] for v in p), *(v for p in h["world"] for v in p),
                                      gesture.get("label", ""), gesture.get("score", ""),
                                      *(self._camera(h) if self.camera else ())])
            self.fh.flush()

    @staticmethod
    def _camera(hand: dict[str, Any]) -> list[Any]:
        points = hand.get("camera")
        return [v for p in points for v in p] if points else [""] * 63  # not placed: empty cells


def host_port(target: str, option: str, example: str, default_host: str | None = None,
              lowest: int = 1) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; with ``default_host``, ``PORT`` alone too) as a host and a port
    (``lowest`` 0: port 0 asks the system for a free one)."""
    host, sep, port = target.strip().rpartition(":")
    if not sep and default_host is not None:
        host = default_host
    host = host.strip("[]")
    if not host or not port.isdigit() or not lowest <= int(port) < 65536:
        form = "[HOST:]PORT" if default_host is not None else "HOST:PORT"
        raise InputError(f"{option} {target}: expected {form}, e.g. {example}")
    return host, int(port)


class UdpSink:
    """Each frame's JSON record as one UDP datagram to ``host:port`` (``[::1]:port`` for IPv6): the way game engines,
    TouchDesigner or a ROS bridge usually take hand data. Fire and forget: a lost or refused datagram is not an
    error (the stream goes on), and nothing waits for a receiver."""

    option, unit = "--udp", "datagrams"

    def __init__(self, target: str):
        import socket

        self.target = target
        host, port = host_port(target, self.option, "127.0.0.1:9000")
        try:
            family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        except OSError as e:
            raise InputError(f"{self.option} {target}: cannot resolve {host} ({e})") from e
        self.address = address
        self.sock = socket.socket(family, kind, proto)
        self.sent = self.dropped = 0

    def write(self, record: dict[str, Any]) -> None:
        self.send(record_json(record).encode())

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.address)
            self.sent += 1
        except OSError:  # no receiver yet, a full buffer, a datagram too large: this frame is lost, not the stream
            self.dropped += 1

    def close(self) -> None:
        self.sock.close()


class OscSink(UdpSink):
    """Each frame as one Open Sound Control bundle over UDP to ``host:port``: TouchDesigner, Max/MSP, Pure Data,
    Wekinator, VRChat. The addresses and arguments are in :mod:`handpose.osc`; fire and forget, as :class:`UdpSink`."""

    option, unit = "--osc", "bundles"

    def write(self, record: dict[str, Any]) -> None:
        from .osc import frame_bundle

        self.send(frame_bundle(record))


def viewer_page() -> bytes:
    """The live viewer's HTML (``handpose run --ws``), with the hand's skeleton filled in."""
    from importlib.resources import files

    from .results import SKELETON

    page = (files("handpose") / "data" / "viewer.html").read_text(encoding="utf-8")
    return page.replace("/*SKELETON*/[]", json.dumps([list(edge) for edge in SKELETON])).encode()


class WebSocketSink:
    """Each frame's JSON record as one WebSocket text message to every client connected: a web page (a kiosk's
    screen), a web app, Unity or Godot. ``target``: ``PORT`` (this machine only) or ``HOST:PORT`` (``0.0.0.0:PORT``:
    other machines too). A plain browser visit to ``http://HOST:PORT/`` gets a live viewer of the hands.

    A client that cannot keep up is sent the newest frames; records with gesture events (and the closing
    end-of-stream record) are never dropped for it. ``wait_for_clients(n)`` holds a run until n are connected.
    Web pages other than the viewer connect only when their origin is in ``origins`` (``http://localhost:3000``,
    ``null`` for a page opened from a file, ``*`` for any); clients that are not browsers always may.

    :meth:`write_image` sends a frame itself as a binary JPEG message just before its record (``handpose run
    --ws-video``): the viewer then draws the hands over the picture. A client is sent only the newest picture it has
    time for, and nothing is encoded while no client is connected.
    """

    def __init__(self, target: str, page: bool = True, queue_size: int = 64, origins: Iterable[str] = ()):
        from .websocket import WebSocketServer, normalize_origin

        host, port = host_port(target, "--ws", "8765", default_host="127.0.0.1", lowest=0)
        origins = tuple(origins)
        for origin in origins:
            try:
                normalize_origin(origin)
            except ValueError:
                raise InputError(f"--ws-origin {origin}: expected a web page's origin like http://localhost:3000, "
                                 "'null' (a page opened from a file) or '*' (any page)") from None
        try:
            self.server = WebSocketServer(host, port, viewer_page() if page else None, queue_size, origins=origins)
        except OSError as e:
            raise InputError(f"--ws {target}: cannot listen on {host}:{port} ({e.strerror or e})") from e

    @property
    def url(self) -> str:
        return self.server.url

    def wait_for_clients(self, n: int = 1, timeout: float | None = None) -> bool:
        """Block until ``n`` clients are connected; False when ``timeout`` seconds passed first."""
        return self.server.wait_for_clients(n, timeout)

    def write(self, record: dict[str, Any]) -> None:
        self.server.broadcast(record_json(record),
                              essential=bool(record.get("events") or record.get("end_of_stream")))

    def write_image(self, image: np.ndarray, max_width: int = 640, quality: int = 75) -> bool:
        """Send a BGR frame as JPEG, at most ``max_width`` pixels wide; False when no client was connected."""
        if not self.server.clients:
            return False
        image = prepare(image)[0]  # gray, BGRA, 16-bit or float frames as 8-bit colour
        h, w = image.shape[:2]
        if w > max_width:
            # bilinear: a preview, and INTER_AREA costs 2 ms for 1080p -> 640 (0.3 ms bilinear)
            image = cv2.resize(image, (max_width, max(1, round(h * max_width / w))), interpolation=cv2.INTER_LINEAR)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise InputError(f"cannot encode a {w}x{h} frame as JPEG")
        self.server.broadcast(jpeg.tobytes(), latest=True)
        return True

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> WebSocketSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
