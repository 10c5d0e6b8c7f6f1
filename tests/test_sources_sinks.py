"""Sources (image, folder, glob, video, live) and sinks (video, GIF, folder, JSON Lines)."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from handpose.errors import InputError, OutputError
from handpose.outputs import write_image, write_text
from handpose.sinks import CsvSink, FolderSink, GifSink, JsonlSink, Preview, VideoSink, can_write_gif
from handpose.sources import LiveSource, image_size, open_source, read_image, url_kind

from .conftest import needs_gif, shared_path


@pytest.fixture()
def small_video(tmp_path):
    path = tmp_path / "clip.mp4"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 20, (64, 48))
    for i in range(30):
        w.write(np.full((48, 64, 3), i * 8, np.uint8))
    w.release()
    return path


def test_image_folder_glob_sources(photo_paths) -> None:
    folder = photo_paths[0].parent
    with open_source(photo_paths[0]) as src:
        frames = list(src)
    assert src.kind == "images" and len(frames) == 1 and frames[0].image.shape == (427, 640, 3)
    with open_source(folder) as src:
        names = [f.source for f in src]
    assert names == sorted(str(p) for p in folder.glob("*.jpg"))
    with open_source(str(folder / "*.jpg")) as src:
        assert [f.source for f in src] == names


def test_video_source_timestamps(video_path) -> None:
    with open_source(video_path) as src:
        assert src.kind == "video" and src.total == 202 and src.fps == 25 and src.size == (640, 360)
        frames = [(f.index, f.timestamp_ms) for f in src]
    assert len(frames) == 202 and frames[10] == (10, 400.0)


def test_variable_frame_rate_video_keeps_each_frames_own_time() -> None:
    # made here with ffmpeg from 20 flat gray frames: 10 at 25 fps, then 10 about 120 ms apart (a phone in dim
    # light); OpenCV states the average rate, 14.7 fps, by which frame 19 would be at 1292 ms instead of 1480
    with open_source(Path(__file__).parent / "fixtures" / "vfr_20frames.mp4") as src:
        times = [f.timestamp_ms for f in src]
    assert src.fps < 15 and times[:10] == pytest.approx([40.0 * i for i in range(10)])
    assert all(b - a >= 80 for a, b in itertools.pairwise(times[10:])) and times[-1] == pytest.approx(1480)


def test_live_source_hands_over_only_the_newest_frame(small_video) -> None:
    src = LiveSource(str(small_video), "test-stream", "stream", reconnect_s=0)
    with src:
        got, times = [], []
        for frame in src:
            got.append(int(frame.image[0, 0, 0]))
            times.append(frame.timestamp_ms)
            time.sleep(0.02)  # a consumer slower than the decoder
    assert len(got) < 30 and src.dropped > 0  # stale frames were dropped, not queued
    assert got == sorted(got)  # always newer frames, never an old one
    # when each frame came, in ms since the source was opened (as a video file's times start at 0)
    assert 0 <= times[0] < 2000 and times == sorted(set(times))


def test_live_stream_reconnects_after_a_drop(small_video, caplog) -> None:
    # a file read as a stream "drops" at its end; the reader reconnects and the stream goes on from its start
    src = LiveSource(str(small_video), "test-stream", "stream", reconnect_s=5)
    after_drop = 0  # frames handed over once the drop was logged; all but the first come from the new connection
    deadline = time.monotonic() + 20
    with caplog.at_level(logging.WARNING, logger="handpose"), src:
        for _ in src:
            if "test-stream dropped; reconnecting for up to 5 s" in caplog.text:
                after_drop += 1
            if after_drop >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.005)
    assert after_drop >= 2 and "test-stream reconnected after" in caplog.text


def test_live_stream_outlasts_an_outage_longer_than_the_frame_timeout(small_video, monkeypatch, caplog) -> None:
    # the stream (a file: it "drops" at its end) cannot be reached for 1.5 s, three times the wait for a frame
    down_until: list[float] = []
    real_open = LiveSource._open

    def flaky_open(self: LiveSource) -> cv2.VideoCapture:
        if not down_until:  # the first open, before the outage
            down_until.append(0.0)
        elif down_until[0] == 0.0:
            down_until[0] = time.monotonic() + 1.5
        if time.monotonic() < down_until[0]:
            raise InputError("unreachable")
        return real_open(self)

    monkeypatch.setattr(LiveSource, "_open", flaky_open)
    with caplog.at_level(logging.WARNING, logger="handpose"):
        with LiveSource(str(small_video), "cam", "stream", reconnect_s=10, open_timeout_s=0.5) as src:
            times = [f.timestamp_ms for f in itertools.islice(src, 40)]
        assert "cam reconnected after" in caplog.text
        assert len(times) == 40 and max(np.diff(times)) > 1400  # frames again after the outage
        with LiveSource(str(small_video), "cam2", "stream", reconnect_s=0.3, open_timeout_s=0.5) as src:
            down_until[0] = 0.0  # this time it stays down longer than the stream is waited for
            n = sum(1 for _ in src)  # ends, with a warning, rather than raising
        assert n >= 1 and "cam2: no more frames" in caplog.text


class FakeCamera:
    """A USB webcam as OpenCV sees it: 640x480 uncompressed until asked otherwise; it has 1280x720 too."""

    modes = ((640, 480), (1280, 720))

    def __init__(self, target: int) -> None:
        self.asked: dict[int, float] = {}
        self.props = {cv2.CAP_PROP_FRAME_WIDTH: 640.0, cv2.CAP_PROP_FRAME_HEIGHT: 480.0, cv2.CAP_PROP_FPS: 30.0}
        FakeCamera.last = self

    def isOpened(self) -> bool:
        return True

    def set(self, prop: int, value: float) -> bool:
        self.asked[prop] = value
        size = (self.asked.get(cv2.CAP_PROP_FRAME_WIDTH, 640), self.asked.get(cv2.CAP_PROP_FRAME_HEIGHT, 480))
        w, h = size if size in self.modes else (640, 480)
        self.props.update({cv2.CAP_PROP_FRAME_WIDTH: float(w), cv2.CAP_PROP_FRAME_HEIGHT: float(h)})
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray]:
        time.sleep(0.01)
        w, h = int(self.props[cv2.CAP_PROP_FRAME_WIDTH]), int(self.props[cv2.CAP_PROP_FRAME_HEIGHT])
        return True, np.zeros((h, w, 3), np.uint8)

    def release(self) -> None:
        pass


def test_a_camera_is_asked_for_a_frame_size_and_rate(monkeypatch, caplog, tmp_path, capsys, video_path) -> None:
    from handpose.cli import main

    monkeypatch.setattr(cv2, "VideoCapture", FakeCamera)
    with open_source(0, size=(1280, 720), fps=30) as src:
        assert src.kind == "camera" and next(iter(src)).image.shape == (720, 1280, 3)
    asked = FakeCamera.last.asked
    assert asked[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter.fourcc(*"MJPG") and asked[cv2.CAP_PROP_FPS] == 30
    with caplog.at_level(logging.WARNING, logger="handpose"), open_source(0, size=(1920, 1080)) as src:
        assert next(iter(src)).image.shape == (480, 640, 3)
    assert "camera:0 gives 640x480 frames, not the 1920x1080 asked for" in caplog.text
    assert main(["run", "0", "--size", "1280x720", "--limit", "2", "--json", str(tmp_path / "h.jsonl")]) == 0
    assert [json.loads(line)["width"] for line in (tmp_path / "h.jsonl").read_text().splitlines()] == [1280, 1280]
    assert main(["run", str(video_path), "--size", "1280x720"]) == 1
    assert "--size is asked of a camera, and" in capsys.readouterr().err
    with pytest.raises(InputError, match="asked of a camera; rtsp://cam/1's are set where it is sent from"):
        open_source("rtsp://cam/1", fps=30)


def test_camera_and_stream_unavailable_are_clear() -> None:
    with pytest.raises(InputError, match="camera 97 is not available"):
        open_source(97)
    with pytest.raises(InputError, match="not available|cannot open"):
        open_source("rtsp://127.0.0.1:9/none")


def test_missing_and_unsupported_sources(tmp_path) -> None:
    with pytest.raises(InputError, match="source not found"):
        open_source(tmp_path / "nope.jpg")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="unsupported file type .txt"):
        open_source(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images or videos found"):
        open_source(tmp_path / "empty")
    with pytest.raises(InputError, match="no images or videos match"):
        open_source(str(tmp_path / "*.png"))
    (tmp_path / "iphone").mkdir()
    (tmp_path / "iphone" / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic")
    for source in (tmp_path / "iphone" / "IMG_0001.HEIC", tmp_path / "iphone"):
        with pytest.raises(InputError, match="OpenCV does not read HEIC; convert them to JPEG"):
            open_source(source)


def test_avif_photos_are_read(photo_paths, tmp_path) -> None:
    image = cv2.imread(str(photo_paths[0]))
    if not cv2.haveImageWriter("x.avif"):
        pytest.skip(f"this OpenCV ({cv2.__version__}) writes no AVIF")
    ok, avif = cv2.imencode(".avif", image)
    assert ok
    (tmp_path / "hand.avif").write_bytes(avif.tobytes())
    with open_source(tmp_path) as src:
        frames = list(src)
    assert len(frames) == 1 and frames[0].image.shape == image.shape
    (tmp_path / "download").write_bytes(avif.tobytes())  # told by its first bytes, as the server says only "bytes"
    with serve(tmp_path, content_type="application/octet-stream") as base, open_source(f"{base}/download") as src:
        assert src.kind == "images" and next(iter(src)).image.shape == image.shape


def _clip(path, frames) -> None:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (frames[0].shape[1], frames[0].shape[0]))
    for f in frames:
        out.write(f)
    out.release()


def test_a_folder_of_videos_is_read_video_after_video(tmp_path, video_path, photo_paths) -> None:
    cap = cv2.VideoCapture(str(video_path))
    frames = [cap.read()[1] for _ in range(7)]
    _clip(tmp_path / "b.mp4", frames[:4])
    _clip(tmp_path / "a.mp4", frames[4:])
    (tmp_path / "c.mp4").write_bytes(b"not a video")
    with open_source(tmp_path) as src:
        assert src.kind == "videos" and [p.name for p in src.files] == ["a.mp4", "b.mp4", "c.mp4"]
        got = [(Path(f.source).name, f.index, f.timestamp_ms, f.image is not None) for f in src]
    # each video's timeline starts at 0 (a tracker starts fresh tracks); the broken one is one error frame
    assert got == [("a.mp4", 0, 0.0, True), ("a.mp4", 1, 40.0, True), ("a.mp4", 2, 80.0, True),
                   ("b.mp4", 0, 0.0, True), ("b.mp4", 1, 40.0, True), ("b.mp4", 2, 80.0, True),
                   ("b.mp4", 3, 120.0, True), ("c.mp4", 0, 0.0, False)]
    with open_source(str(tmp_path / "[ab].mp4")) as src:  # a glob of videos too
        assert src.kind == "videos" and len(src.files) == 2
    (tmp_path / "photo.jpg").write_bytes(photo_paths[0].read_bytes())
    with pytest.raises(InputError, match=r"holds both images \(1\) and videos \(3\): pass a quoted glob for one "
                                         r"kind, such as '.*/\*.jpg' or '.*/\*.mp4'"):
        open_source(tmp_path)


def test_bad_images_are_reported_not_fatal_in_a_folder(tmp_path, photo_paths) -> None:
    (tmp_path / "a_good.jpg").write_bytes(photo_paths[0].read_bytes())
    (tmp_path / "b_corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (tmp_path / "c_empty.png").write_bytes(b"")
    with open_source(tmp_path) as src:
        frames = list(src)
    assert [f.image is not None for f in frames] == [True, False, False]
    assert "cannot decode image" in frames[1].error and "empty file" in frames[2].error


def test_read_image_keeps_depth_and_channels(tmp_path) -> None:
    img16 = (np.arange(40 * 30 * 3).reshape(30, 40, 3) * 20).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), img16)
    assert read_image(tmp_path / "deep.png").dtype == np.uint16
    cv2.imwrite(str(tmp_path / "alpha.png"), np.zeros((30, 40, 4), np.uint8))
    assert read_image(tmp_path / "alpha.png").shape == (30, 40, 4)
    cv2.imwrite(str(tmp_path / "gray.jpg"), np.zeros((30, 40), np.uint8))
    assert read_image(tmp_path / "gray.jpg").shape == (30, 40)


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """A JPEG with an Exif segment holding only its orientation (6: the camera was turned a quarter clockwise, as
    phones write a portrait photo), written here byte by byte."""
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    app1 = b"Exif\x00\x00" + tiff + struct.pack(">I", 0)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def test_phone_photos_are_read_upright(photo_paths, tmp_path, capsys, models_ready) -> None:
    from handpose.cli import main

    photo = next(p for p in photo_paths if p.name == "thumbs_up.jpg")
    upright = cv2.rotate(cv2.imread(str(photo)), cv2.ROTATE_90_CLOCKWISE)  # what a photo viewer shows
    (tmp_path / "portrait.jpg").write_bytes(with_exif_orientation(photo.read_bytes(), 6))
    image = read_image(tmp_path / "portrait.jpg")
    assert image.shape == upright.shape == (640, 521, 3)
    assert np.abs(image.astype(int) - upright).mean() < 1
    assert main(["run", str(tmp_path / "portrait.jpg"), "--json", "-", "--gestures", "builtin"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (record["width"], record["height"]) == (521, 640) and len(record["hands"]) == 1
    # held sideways, as the photo shows it, the thumb points right: no thumbs_up (read as stored, it was one)
    assert record["hands"][0]["gesture"]["label"] != "thumbs_up"


def test_image_size_from_the_header_is_the_size_read_image_gives(photo_paths, tmp_path) -> None:
    photo = photo_paths[0].read_bytes()
    files = {"photo.jpg": photo, "tagged_upright.jpg": with_exif_orientation(photo, 1),
             "turned.jpg": with_exif_orientation(photo, 6), "turned_back.jpg": with_exif_orientation(photo, 8),
             "upside_down.jpg": with_exif_orientation(photo, 3)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for name, image in (("gray.png", np.zeros((30, 40), np.uint8)), ("deep.png", np.zeros((31, 41, 3), np.uint16)),
                        ("bitmap.bmp", np.zeros((32, 42, 3), np.uint8))):
        cv2.imwrite(str(tmp_path / name), image)
    sizes = {p.name: image_size(p) for p in sorted(tmp_path.iterdir())}
    assert sizes == {p.name: read_image(p).shape[1::-1] for p in sorted(tmp_path.iterdir())}
    assert sizes["turned.jpg"] == sizes["turned_back.jpg"] == (427, 640) and sizes["photo.jpg"] == (640, 427)
    assert sizes["bitmap.bmp"] == (42, 32)  # neither a JPEG nor a PNG: read
    (tmp_path / "cut.jpg").write_bytes(photo[:100])  # no frame header: read, and refused as read_image refuses it
    with pytest.raises(InputError, match="cannot decode image"):
        image_size(tmp_path / "cut.jpg")
    with pytest.raises(InputError, match="file not found"):
        image_size(tmp_path / "nothing.jpg")


def numbered_video(path: Path, fourcc: str, frames: int = 50, fps: float = 25.0) -> Path:
    """A video of flat frames whose grey level is 5 times their index."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (64, 48))
    for i in range(frames):
        w.write(np.full((48, 64, 3), 5 * i, np.uint8))
    w.release()
    return path


def read_whole(src) -> list[tuple[int, float, int]]:
    """(index, time, sum of the pixels) of every frame of a source."""
    return [(f.index, f.timestamp_ms, int(f.image.sum())) for f in src]


def part_of(path: Path, start_s: float, end_s: float) -> list[tuple[int, float, int]]:
    """The frames from ``start_s`` up to ``end_s`` of the video read whole from its start, frame after frame."""
    with open_source(path) as src:
        return [f for f in read_whole(src) if 1000 * start_s <= f[1] < 1000 * end_s]


@pytest.mark.parametrize(("fourcc", "suffix"), [("mp4v", ".mp4"), ("MJPG", ".avi")])
def test_a_part_of_a_video_is_read_from_its_start_up_to_its_end(fourcc, suffix, tmp_path) -> None:
    path = numbered_video(tmp_path / f"clip{suffix}", fourcc)  # 50 frames, 40 ms apart
    with open_source(path, start=1.0, end=1.6) as src:
        assert src.total == 15
        frames = read_whole(src)
    # the frames of 1.0 s up to 1.6 s with their own numbers and times in the file, each the picture read for that
    # number from the start (an MPEG-4 video's seek lands between key frames and decodes on from the one before)
    assert [f[:2] for f in frames] == [(i, 40.0 * i) for i in range(25, 40)] and frames == part_of(path, 1.0, 1.6)
    assert len({f[2] for f in frames}) == 15
    with open_source(path, start=1.0, end=1.6) as src:  # a stride counts from the part's first frame
        assert [f.index for f in src.every(4)] == [25, 29, 33, 37] and src.total == 4
    with open_source(path, start=0.5) as src:  # 0.5 s lies between frames 12 and 13: the part starts at 13
        assert [f.index for f in src] == list(range(13, 50))
    with open_source(path, end=0.2) as src:
        assert [f.index for f in src] == [0, 1, 2, 3, 4]


def test_a_part_of_a_variable_rate_video_starts_at_its_first_frame_from_the_start() -> None:
    # OpenCV seeks by the video's average rate (14.7 fps here), which lands after frame 18 (at 1.32 s) when asked
    # for 1.3 s: handpose seeks further back until it lands before the start, then passes frames by their time
    path = Path(__file__).parent / "fixtures" / "vfr_20frames.mp4"
    with open_source(path) as src:
        every = [(f.index, f.timestamp_ms) for f in src]
    for start in (0.05, 0.5, 0.9, 1.3, 1.45):
        with open_source(path, start=start) as src:
            assert [(f.index, f.timestamp_ms) for f in src] == [f for f in every if f[1] >= 1000 * start], start


class _NoSeeking:
    """A capture that cannot seek (some streams and containers), otherwise OpenCV's."""

    def __init__(self, path: Path) -> None:
        self.cap = cv2.VideoCapture(str(path))

    def set(self, prop: int, value: float) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self.cap, name)


def test_a_video_that_cannot_seek_is_read_up_to_the_part(tmp_path) -> None:
    from handpose.sources import VideoFile

    path = numbered_video(tmp_path / "clip.mp4", "mp4v")
    with VideoFile(path, cap=_NoSeeking(path)).between(1.0, 1.2) as video:
        assert read_whole(video) == part_of(path, 1.0, 1.2)


def test_a_part_that_holds_no_frame_or_a_source_that_is_no_video_is_refused(tmp_path, photo_paths) -> None:
    path = numbered_video(tmp_path / "clip.mp4", "mp4v")
    with pytest.raises(InputError, match="ends after it starts; got 2 s to 1 s"):
        open_source(path, start=2, end=1)
    with pytest.raises(InputError, match="starts at 0 s or later .* got -1 s to its end"):
        open_source(path, start=-1)
    with open_source(path, start=5) as src, pytest.raises(InputError, match=r"clip\.mp4 has no frames from 5 s on "
                                                                          r"\(its last frame is at 1\.96 s\)"):
        list(src)
    with pytest.raises(InputError, match="reads a part of a video file; .* is images"):
        open_source(photo_paths[0], start=1)
    with pytest.raises(InputError, match="reads a part of a video file; 0 is a camera or a live stream"):
        open_source(0, end=3)  # refused before the camera is opened


def test_a_part_of_each_video_of_a_folder(tmp_path) -> None:
    numbered_video(tmp_path / "a.mp4", "mp4v", frames=50)
    numbered_video(tmp_path / "b.mp4", "mp4v", frames=20)  # 0.8 s: nothing from 1 s on
    with open_source(tmp_path, start=1.0, end=1.2) as src:
        frames = list(src)
    assert [(f.source[-5:], f.index) for f in frames] == [("a.mp4", i) for i in range(25, 30)] + [("b.mp4", 0)]
    assert "b.mp4 has no frames from 1 s to 1.2 s" in frames[-1].error


def test_truncated_video_ends_cleanly(tmp_path, caplog) -> None:
    src_path = shared_path("data", "video", "hand_reach_640x360.mp4")
    data = src_path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        src = open_source(cut)
    except InputError as e:  # a container whose index is gone cannot be opened at all: also a clear error
        assert "cannot open video" in str(e)
        return
    with src:
        n = sum(1 for _ in src)
    assert n < 202


def damaged_mjpeg(path: Path, frames: int, damaged: tuple[int, ...]) -> Path:
    """An MJPG AVI of frames of grey level 16 * index, the JPEG data of frames ``damaged`` zeroed in place."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(frames):
        w.write(np.full((48, 64, 3), 16 * i, np.uint8))
    w.release()
    data = bytearray(path.read_bytes())
    starts = [m.start() for m in re.finditer(b"\xff\xd8\xff", bytes(data))]  # each frame is one JPEG
    assert len(starts) == frames
    for k in damaged:
        size = starts[k + 1] - starts[k] if k + 1 < frames else len(data) - starts[k]
        data[starts[k] : starts[k] + size] = bytes(size)  # the whole JPEG: the chunk holds zeros
    path.write_bytes(bytes(data))
    return path


def test_damaged_frames_are_skipped_and_the_video_goes_on(tmp_path, caplog, capsys, models_ready) -> None:
    from handpose.cli import main

    path = damaged_mjpeg(tmp_path / "damaged.avi", 12, (5, 6))
    with open_source(path) as src:
        frames = list(src)
    first_bad = next(k for k, f in enumerate(frames) if f.image is None)
    assert all("damaged, not decodable" in f.error for f in frames if f.image is None)
    before, after = frames[:first_bad], [f for f in frames[first_bad:] if f.image is not None]
    assert [round(f.image.mean() / 16) for f in before] == [0, 1, 2, 3, 4]
    # the frames after the damage still come (which of them the decoder gives back is FFmpeg's business)
    assert len(after) >= 3 and all(round(f.image.mean() / 16) > 6 for f in after)
    times = [f.timestamp_ms for f in before + after]
    assert times == sorted(set(times))
    with open_source(path) as src:  # with a stride, only damaged frames it would have used are reported
        strided = list(src.every(3))
    assert all(f.index % 3 == 0 for f in strided) and any(f.image is not None and f.index > 6 for f in strided)
    assert main(["run", str(path), "--json", "-"]) == 0  # a run says what it skipped and goes on
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(before + after) and "skipped frame 5 of" in err
    # damage at the end is the end: no frame after it decodes, so nothing is reported as skipped
    end = damaged_mjpeg(tmp_path / "end.avi", 12, (10, 11))
    with caplog.at_level(logging.WARNING, "handpose"), open_source(end) as src:
        assert all(f.image is not None for f in src)
    assert "ended after" in caplog.text and "of 12 frames" in caplog.text


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (a device that is always full) here")
def test_a_full_disk_is_an_error_naming_the_file() -> None:
    record = {"source": "a.jpg", "frame": 0, "timestamp_ms": 0.0, "width": 64, "height": 48, "hands": []}
    with pytest.raises(InputError, match="cannot write /dev/full: No space left on device"):
        write_image(Path("/dev/full"), np.zeros((48, 64, 3), np.uint8))  # it was silently lost
    with pytest.raises(OutputError, match="cannot write /dev/full: No space left on device"):
        write_text(Path("/dev/full"), "{}" * 10_000)  # a report of eval or bench
    for sink in (JsonlSink("/dev/full"), CsvSink("/dev/full")):
        with pytest.raises(InputError, match="cannot write /dev/full: No space left on device"):
            sink.write(record)
        with contextlib.suppress(InputError):  # what is still buffered cannot be written either
            sink.close()


@needs_gif
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (a device that is always full) here")
def test_a_gif_the_disk_cannot_hold_is_an_error() -> None:
    gif = GifSink(Path("/dev/full"), 10.0)
    gif.write(np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(InputError, match="cannot write /dev/full: No space left on device"):
        gif.close()


def test_an_opencv_without_a_gif_encoder_is_named_before_any_work(photo_paths, tmp_path, monkeypatch,
                                                                   capsys) -> None:
    # OpenCV 4.11 (the last for numpy 1) reads GIFs and writes WebP animations, but has no GIF encoder
    monkeypatch.setattr(cv2, "haveImageWriter", lambda name: not name.endswith(".gif"))
    message = rf"cannot write {re.escape(str(tmp_path))}/a\.gif: this OpenCV \(.+\) writes no GIF; 4\.12 and newer do"
    with pytest.raises(InputError, match=message):
        GifSink(tmp_path / "a.gif", 10.0)
    with pytest.raises(InputError, match=message):
        Preview(output=tmp_path / "a.gif")
    from handpose.cli import main

    capsys.readouterr()
    assert main(["run", str(photo_paths[0].parent / "*.jpg"), "-o", str(tmp_path / "a.gif")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and re.fullmatch(f"handpose: error: {message}.*\n", err), (out, err)  # no photo looked at
    assert not (tmp_path / "a.gif").exists()
    Preview(output=tmp_path / "a.mp4").close()  # other formats are not affected


# A child process whose files may not grow past 40 kB: what a full disk does to a video in the middle of writing
_CUT_SHORT = """
import resource, signal, sys
from pathlib import Path
import numpy as np
from handpose.errors import OutputError
from handpose.sinks import VideoSink
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))
sink = VideoSink(Path(sys.argv[1]), 25.0, (160, 120))
for frame in np.random.default_rng(0).integers(0, 256, (30, 120, 160, 3), dtype=np.uint8):
    sink.write(frame)
try:
    sink.close()
except OutputError as e:
    print(e)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits (RLIMIT_FSIZE) are POSIX")
@pytest.mark.parametrize("suffix", [".mp4", ".avi", ".mkv", ".webm"])
def test_a_video_the_disk_cannot_hold_is_an_error(suffix, tmp_path) -> None:
    path = tmp_path / f"cut{suffix}"
    done = subprocess.run([sys.executable, "-c", _CUT_SHORT, str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    # OpenCV's writer failed without a word; the file read back says the frames are not there
    assert done.stdout.strip() == (f"cannot write {path}: the file is cut short (a full disk or a size limit?); "
                                   "it does not hold all 30 frames given to the encoder"), done.stdout
    assert 0 < path.stat().st_size <= 40_000


def test_video_gif_folder_jsonl_sinks(tmp_path) -> None:
    frame = np.full((48, 64, 3), 128, np.uint8)
    v = VideoSink(tmp_path / "o.mp4", 20.0, (64, 48))
    for _ in range(5):
        v.write(frame)
    v.close()
    cap = cv2.VideoCapture(str(tmp_path / "o.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5 and cap.get(cv2.CAP_PROP_FPS) == 20
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (64, 48)
    f = FolderSink(tmp_path / "imgs")
    f.write(frame, "/some/where/x.jpg")
    assert (tmp_path / "imgs" / "x.jpg").is_file()
    with pytest.raises(InputError, match="two inputs would both be written to"):
        f.write(frame, "/else/where/x.jpg")
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        FolderSink(tmp_path / "imgs").write(frame, "x.jpg")
    j = JsonlSink(tmp_path / "o.jsonl")
    j.write({"frame": 0})
    assert (tmp_path / "o.jsonl").read_text() == '{"frame":0}\n'  # there at once, for a reader at a pipe's end
    j.write({"frame": 1})
    j.close()
    assert [json.loads(line)["frame"] for line in (tmp_path / "o.jsonl").read_text().splitlines()] == [0, 1]
    c = CsvSink(tmp_path / "o.csv")
    c.write({"source": "a.mp4", "frame": 0, "timestamp_ms": 0.0, "hands": []})  # the header is there at once too
    assert (tmp_path / "o.csv").read_text().startswith("source,frame,timestamp_ms,")
    c.close()


@needs_gif
def test_gif_sink_keeps_memory_bounded_and_the_input_s_duration(tmp_path) -> None:
    g = GifSink(tmp_path / "o.gif", 10.0)
    for _ in range(3):
        g.write(np.full((48, 64, 3), 128, np.uint8))
    g.close()
    assert (tmp_path / "o.gif").read_bytes()[:6] == b"GIF89a"
    # a long input: memory stays bounded, every other frame goes each time the limit is passed, the GIF still
    # lasts as long as the input (41 frames at 10 fps: frames 0, 8, ..., 40 shown 0.8 s each)
    g = GifSink(tmp_path / "long.gif", 10.0, max_frames=8)
    for i in range(41):  # frame i: a white column at x = i
        marked = np.zeros((48, 64, 3), np.uint8)
        marked[:, i] = 255
        g.write(marked)
    assert len(g.frames) <= 8
    g.close()
    ok, anim = cv2.imreadanimation(str(tmp_path / "long.gif"))
    assert ok and [int(f.sum((0, 2)).argmax()) for f in anim.frames] == list(range(0, 41, 8))
    assert list(anim.durations) == [800] * 6


def test_webm_video_plays_in_browsers_and_is_written_quietly(tmp_path, capfd) -> None:
    # OpenCV's wheels cannot write H.264, so an .mp4 (MPEG-4 part 2) does not play in a browser; VP8 in WebM does
    frames = [np.full((48, 64, 3), v, np.uint8) for v in (0, 80, 160, 240)]
    v = VideoSink(tmp_path / "o.webm", 20.0, (64, 48))
    for f in frames:
        v.write(f)
    v.close()
    assert "FFMPEG" not in capfd.readouterr().err  # FFmpeg's note that WebM stores no codec tag
    assert (tmp_path / "o.webm").read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
    cap = cv2.VideoCapture(str(tmp_path / "o.webm"))
    assert cap.get(cv2.CAP_PROP_FOURCC) == cv2.VideoWriter.fourcc(*"VP80")
    back = [cap.read()[1] for _ in frames]
    assert not cap.read()[0]
    assert np.allclose([float(b.mean()) for b in back], [0, 80, 160, 240], atol=5)  # YUV 4:2:0 rounding


def test_live_frames_play_back_in_real_time(tmp_path) -> None:
    # a camera at 10 fps whose frames came at 0, 250, 300 and 8000 ms (the rest dropped while processing)
    shades = (40, 90, 140, 190)
    v = VideoSink(tmp_path / "live.mp4", 10.0, (64, 48))
    for shade, t in zip(shades, (0.0, 250.0, 300.0, 8000.0), strict=True):
        v.write(np.full((48, 64, 3), shade, np.uint8), "camera:0", t)
    v.close()
    cap = cv2.VideoCapture(str(tmp_path / "live.mp4"))
    got = []
    while (frame := cap.read()[1]) is not None:
        got.append(min(shades, key=lambda s: abs(s - float(frame.mean()))))
    # slot 0, the first frame held over slot 1, slots 2 and 3; the 7.7 s pause is kept as 5 s of the third frame
    assert got == [40, 40, 90, 140] + [140] * 50 + [190]
    # a stream that says 10 fps but sends 30 (an MJPEG or phone camera over http: FFmpeg guesses its rate): the
    # frames that come before their slot are left out, so one second of it is still one second of video
    v = VideoSink(tmp_path / "fast.mp4", 10.0, (64, 48), overwrite=True)
    for i in range(31):
        v.write(np.full((48, 64, 3), 8 * i, np.uint8), "http://phone/video", i * 100 / 3)
    v.close()
    cap = cv2.VideoCapture(str(tmp_path / "fast.mp4"))
    means = []
    while (frame := cap.read()[1]) is not None:
        means.append(float(frame.mean()))
    assert len(means) == 11 and means == sorted(means) and means[-1] > 8 * 28


@needs_gif
def test_a_live_gif_shows_each_frame_until_the_next_came(tmp_path) -> None:
    shades = (40, 90, 140, 190)
    g = GifSink(tmp_path / "live.gif", 10.0)
    for shade, t in zip(shades, (0.0, 100.0, 400.0, 450.0), strict=True):
        g.write(np.full((48, 64, 3), shade, np.uint8), "camera:0", t)
    g.close()
    ok, anim = cv2.imreadanimation(str(tmp_path / "live.gif"))
    assert ok and list(anim.durations) == [100, 300, 50, 100]


def test_images_and_gifs_are_written_under_any_folder_name(tmp_path) -> None:
    # written as bytes by Python (on Windows cv2.imwrite cannot reach a folder named outside the code page; that
    # case is not run here, where every path works)
    folder = tmp_path / "José 手"
    sink = FolderSink(folder)
    sink.write(np.full((48, 64, 3), 90, np.uint8), "hand.jpg")
    assert read_image(folder / "hand.jpg").shape == (48, 64, 3)
    with pytest.raises(InputError, match="cannot write image .*no encoder for .abc"):
        write_image(folder / "hand.abc", np.zeros((4, 4, 3), np.uint8))
    if can_write_gif():
        g = GifSink(folder / "hand.gif", 10.0)
        for shade in (40, 90):
            g.write(np.full((48, 64, 3), shade, np.uint8))
        g.close()
        ok, anim = cv2.imreadanimation(str(folder / "hand.gif"))
        assert ok and len(anim.frames) == 2


def test_sinks_never_overwrite_without_asking(tmp_path) -> None:
    for name in ("o.mp4", "o.gif", "o.jsonl"):
        (tmp_path / name).write_text("mine")
    with pytest.raises(InputError, match="exists"):
        VideoSink(tmp_path / "o.mp4", 20, (64, 48))
    with pytest.raises(InputError, match="exists"):
        GifSink(tmp_path / "o.gif", 10)
    with pytest.raises(InputError, match="exists"):
        JsonlSink(tmp_path / "o.jsonl")
    assert all((tmp_path / n).read_text() == "mine" for n in ("o.mp4", "o.gif", "o.jsonl"))
    JsonlSink(tmp_path / "o.jsonl", overwrite=True).close()
    assert (tmp_path / "o.jsonl").read_text() == ""


def test_preview_writes_a_file_at_the_first_frames_size_and_never_replaces_one(tmp_path) -> None:
    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(3)] + [np.zeros((96, 128, 3), np.uint8)]
    with Preview(output=tmp_path / "sub" / "p.mp4", fps=12) as preview:
        assert all(preview.show(f) for f in frames)
    cap = cv2.VideoCapture(str(tmp_path / "sub" / "p.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 4 and cap.get(cv2.CAP_PROP_FPS) == 12
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (64, 48)
    cap.release()
    if can_write_gif():
        with Preview(output=tmp_path / "p.gif", fps=5) as preview:
            preview.show(frames[1])
        assert cv2.VideoCapture(str(tmp_path / "p.gif")).read()[0]

    (tmp_path / "mine.mp4").write_text("mine")
    with pytest.raises(InputError, match="exists; pass --overwrite"):  # before any frame is worked on
        Preview(output=tmp_path / "mine.mp4")
    assert (tmp_path / "mine.mp4").read_text() == "mine"
    with Preview(output=tmp_path / "mine.mp4", overwrite=True) as preview:
        preview.show(frames[0])
    assert (tmp_path / "mine.mp4").stat().st_size > 100
    with pytest.raises(InputError, match=r"unsupported video format \.txt"):
        Preview(output=tmp_path / "p.txt")
    assert not (tmp_path / "p.txt").exists()


def test_preview_window_goes_on_until_q_esc_or_closed(fake_window) -> None:
    image = np.zeros((48, 64, 3), np.uint8)
    for key in (ord("q"), 27):
        window = fake_window([-1, ord("a"), key])
        preview = Preview("w")
        assert [(preview.show(image), preview.key) for _ in range(3)] == [(True, -1), (True, ord("a")), (False, key)]
        preview.close()
        preview.close()
        assert window.shown == [("w", (48, 64, 3))] * 3 and window.destroyed == ["w"]
    window = fake_window([], visible=[1.0, 0.0])  # the user clicked the window's close button
    with Preview("w") as preview:
        assert [preview.show(image), preview.show(image)] == [True, False]
    window = fake_window([], visible=[1.0, None])  # Qt builds fail to read a closed window's property
    with Preview("w") as preview:
        assert [preview.show(image), preview.show(image)] == [True, False]
    window = fake_window([-1] * 9, visible=[1.0, None])
    with Preview("w") as preview:  # and so while a photo waits for a key
        assert not preview.show(image, pause=True)
    window = fake_window([-1, -1, ord("q")], visible=-1.0)  # GTK builds cannot tell: q or Esc stops
    with Preview("w") as preview:
        assert [preview.show(image) for _ in range(3)] == [True, True, False]
    window = fake_window([-1, -1, ord(" "), -1, ord("q")])
    with Preview("w") as preview:  # a photo waits for a key
        assert preview.show(image, pause=True) and preview.key == ord(" ") and len(window.keys) == 2
        assert not preview.show(image, pause=True) and not window.keys
    window = fake_window([-1] * 9, visible=[1.0, 1.0, 0.0])
    with Preview("w") as preview:  # closed while it waits for a key
        assert not preview.show(image, pause=True) and len(window.keys) == 6


def test_run_show_shows_every_frame_until_q_is_pressed(video_path, tmp_path, capsys, fake_window, models_ready) -> None:
    from handpose.cli import main

    window = fake_window([-1] * 4 + [ord("q")])
    code = main(["run", str(video_path), "--show", "--json", str(tmp_path / "h.jsonl")])
    assert code == 0 and "5 frames processed" in capsys.readouterr().err
    assert window.shown == [("handpose", (360, 640, 3))] * 5 and window.destroyed == ["handpose"]
    assert len((tmp_path / "h.jsonl").read_text().splitlines()) == 5


def test_run_show_keeps_each_photo_until_a_key_is_pressed(photo_paths, capsys, fake_window, models_ready) -> None:
    from handpose.cli import main

    window = fake_window([-1, -1, ord("n"), -1, ord(" ")])
    assert main(["run", str(photo_paths[0].parent / "*.jpg"), "--show", "--limit", "2"]) == 0
    assert len(window.shown) == 2 and not window.keys  # every wait for a key was answered
    assert "2 images processed" in capsys.readouterr().err


@contextlib.contextmanager
def serve(folder: Path, content_type: str | None = None) -> Iterator[str]:
    """A web server for ``folder`` on the loopback interface (every file sent as ``content_type`` when given), as
    a context giving its base URL."""
    import http.server
    import threading

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def guess_type(self, path) -> str:
            return content_type or super().guess_type(path)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def http_video(video_path):
    """The shared video served over HTTP on the loopback interface."""
    with serve(video_path.parent) as base:
        yield f"{base}/{video_path.name}"


@pytest.fixture()
def http_photos(photo_paths):
    """The shared photos' folder served over HTTP on the loopback interface."""
    with serve(photo_paths[0].parent) as base:
        yield base


def test_video_url_source(http_video) -> None:
    with open_source(http_video) as src:
        assert src.kind == "video"
        frames = [f for f in src]
    assert len(frames) == 202 and frames[0].image.shape == (360, 640, 3)
    with open_source(http_video, start=7.9) as src:  # sought to over HTTP
        assert [f.index for f in src] == [198, 199, 200, 201]


def test_http_url_without_a_file_name_serving_a_video_is_read_whole(video_path, tmp_path) -> None:
    (tmp_path / "clip").write_bytes(video_path.read_bytes())  # e.g. https://host/media?id=3
    with serve(tmp_path) as base, open_source(f"{base}/clip") as src:
        assert src.kind == "video" and src.total == 202
        # then it ends: as a live stream it was reconnected to, and replayed without end
        assert sum(1 for _ in itertools.islice(src, 300)) == 202
    with serve(tmp_path) as base, open_source(f"{base}/clip", start=7.9) as src:  # a video file: a part of it
        assert [f.index for f in src] == [198, 199, 200, 201]


def test_http_url_without_a_file_name_serving_an_image_is_read_once(photo_paths, tmp_path) -> None:
    (tmp_path / "photo").write_bytes(photo_paths[0].read_bytes())  # e.g. https://cdn.example.com/img/123?w=640
    with serve(tmp_path, content_type="image/jpeg") as base, open_source(f"{base}/photo") as src:
        frames = list(itertools.islice(src, 3))  # a stream would repeat it
    assert src.kind == "images" and len(frames) == 1 and frames[0].image.shape == (427, 640, 3)
    # a server that says only "bytes" (object stores, download links): the image is told by its first bytes
    for ctype in ("application/octet-stream", "binary/octet-stream"):
        with serve(tmp_path, content_type=ctype) as base, open_source(f"{base}/photo?download=1") as src:
            frames = list(itertools.islice(src, 3))
        assert src.kind == "images" and len(frames) == 1 and frames[0].image.shape == (427, 640, 3)
    (tmp_path / "page").write_text("<html><body>Sign in to download</body></html>")
    # a login page instead of the file
    with serve(tmp_path, content_type="application/octet-stream") as base, pytest.raises(InputError, match="not av"):
        open_source(f"{base}/page")
    with serve(tmp_path, content_type="text/html") as base, pytest.raises(InputError, match="is a text/html page"):
        open_source(f"{base}/page")  # a video's web page (a video site's link) instead of the video


def test_annotated_copy_of_a_url_input_is_named_after_its_path(tmp_path) -> None:
    sink = FolderSink(tmp_path)
    image = np.zeros((8, 8, 3), np.uint8)
    for url in ("https://cdn.example.com/img/123?w=640", "http://host/a/hand.png?size=2", "http://host/"):
        sink.write(image, url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["123.jpg", "hand.png", "image.jpg"]


def test_url_kinds() -> None:
    assert url_kind("https://example.com/a/hand.JPG?size=2") == "image"
    assert url_kind("http://example.com/clip.mp4#t=3") == "video"
    assert url_kind("http://camera.local/stream") == "live"
    assert url_kind("rtsp://camera.local/hand.jpg") == "live"  # rtsp is always a stream
    assert url_kind("hand.jpg") is None


def test_image_url_is_read_once_like_the_file(http_photos, photo_paths) -> None:
    url = f"{http_photos}/{photo_paths[0].name}"
    with open_source(url) as src:
        frames = list(itertools.islice(src, 3))  # one frame, then the source ends (a stream would repeat it)
    assert src.kind == "images" and len(frames) == 1 and frames[0].source == url
    assert np.array_equal(frames[0].image, cv2.imread(str(photo_paths[0])))
    with open_source(f"{http_photos}/missing.jpg") as src:
        (frame,) = list(src)
    assert frame.image is None and "HTTP 404" in frame.error and "missing.jpg" in frame.error


def test_run_on_an_image_url(http_photos, photo_paths, tmp_path, capsys, models_ready) -> None:
    from handpose.cli import main

    url = f"{http_photos}/{photo_paths[0].name}"
    assert main(["run", url, "--json", str(tmp_path / "h.jsonl"), "-o", str(tmp_path / "out")]) == 0
    (record,) = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    assert record["source"] == url and len(record["hands"]) == 1 and record["hands"][0]["track_id"] is None
    assert cv2.imread(str(tmp_path / "out" / photo_paths[0].name)).shape == (427, 640, 3)
    assert main(["run", f"{http_photos}/missing.jpg"]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_source_options_a_source_cannot_use_are_refused_not_ignored(photo_paths, video_path) -> None:
    folder = photo_paths[0].parent
    with open_source(folder, fps=10) as src:  # a folder of frames taken at 10 fps
        assert [f.timestamp_ms for f in src][:2] == [0.0, 100.0]
    with pytest.raises(InputError, match="a frame size is asked of a camera, and .* is not one"):
        open_source(folder, size=(1280, 720))
    with pytest.raises(InputError, match="fps is asked of a camera, or gives a folder of frames its rate; .* is a "
                                         "video, which has its own"):
        open_source(video_path, fps=30)
    with pytest.raises(TypeError, match="unknown source option fsp; the options are"):
        open_source(folder, fsp=30)  # a typo was silently ignored
    with open_source(folder) as src, pytest.raises(TypeError, match="is open already"):
        open_source(src, fps=30)
