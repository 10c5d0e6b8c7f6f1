"""Far and small hands: tiles of the frame seen closer (``HandTracker(zoom=...)``, ``--zoom``)."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from handpose import HandposeError, HandTracker
from handpose.palm import Palms
from handpose.tiling import MAX_TILES, new_hands, points_in_rects, small_palms, tile_windows

from .conftest import shared_path

# Two HaGRID photos of a person standing a few metres away showing "four": the whole frame's detection finds no
# hand in either (their palms are 4-6 pixels wide at the detector's input).
FAR = ["07a5a144-c635-4441-aedb-5c8e9da79aac.jpg", "25bb4c45-e40b-482c-b588-04db60b7e450.jpg"]


def _far(name: str) -> np.ndarray:
    image = cv2.imread(str(shared_path("data", "gesture_images", "four", name)))
    assert image is not None
    return image


@pytest.mark.parametrize(("h", "w", "zoom"), [(360, 640, 2), (720, 1280, 3), (834, 384, 2), (224, 224, 2.5),
                                              (480, 640, 1.2)])
def test_tiles_cover_the_frame_zoomed_and_overlapping(h, w, zoom) -> None:
    tiles = tile_windows(h, w, zoom)
    side = round(max(h, w) / zoom)
    assert len(tiles) > 1
    covered = np.zeros((h, w), np.int32)
    for x0, y0, x1, y1 in tiles:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert (x1 - x0, y1 - y0) == (min(side, w), min(side, h))  # square unless the frame is narrower
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1
    xs, ys = sorted({int(t[0]) for t in tiles}), sorted({int(t[1]) for t in tiles})
    for starts, size in ((xs, min(side, w)), (ys, min(side, h))):
        assert all(b - a <= 0.75 * size for a, b in itertools.pairwise(starts))  # neighbours overlap >= 1/4


def test_tile_counts_and_limits() -> None:
    assert len(tile_windows(360, 640, 1.0)) == 0  # zoom 1: the whole frame only
    assert len(tile_windows(360, 640, 2)) == 6  # 320-pixel squares, 3 across and 2 down
    assert len(tile_windows(720, 1280, 2)) == 6
    with pytest.raises(HandposeError, match=f"at most {MAX_TILES}"):
        tile_windows(2160, 3840, 16)
    with pytest.raises(HandposeError, match="zoom must be between 1"):
        HandTracker(mode="image", zoom=0.5)


def test_a_tile_palm_on_a_known_hand_is_not_a_new_hand() -> None:
    known = np.array([[100, 100, 80, 80, 0.0]], np.float32)  # a hand's crop: 60..140 in x and y
    assert points_in_rects(np.array([[130.0, 100], [145, 100], [100, 135]]), known).ravel().tolist() == [
        True, False, True]
    turned = np.array([[100, 100, 80, 20, np.pi / 2]], np.float32)  # long along y once turned
    assert points_in_rects(np.array([[100.0, 135], [135, 100]]), turned).ravel().tolist() == [True, False]

    def palm(cx: float, cy: float, size: float) -> tuple[np.ndarray, np.ndarray]:
        box = np.array([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2], np.float32)
        kps = np.tile(np.array([cx, cy], np.float32), (7, 1))
        kps[0, 1] += size / 2  # wrist below, middle-finger base above: the hand stands upright
        kps[2, 1] -= size / 2
        return box, kps

    parts = [palm(120, 95, 12), palm(300, 300, 10), palm(302, 298, 11)]  # fingers of the known hand; a far hand twice
    tiled = Palms(np.stack([b for b, _ in parts]), np.stack([k for _, k in parts]),
                  np.array([0.95, 0.7, 0.9], np.float32))
    rects = new_hands(tiled, known)
    assert len(rects) == 1 and abs(rects[0, 0] - 302) < 1  # the better look at the far hand only
    assert len(new_hands(tiled, np.zeros((0, 5), np.float32))) == 2  # nothing known: the fingers' palm too
    sizes = Palms(np.array([[0, 0, 50, 50], [0, 0, 200, 200]], np.float32), np.zeros((2, 7, 2), np.float32),
                  np.ones(2, np.float32))
    assert small_palms(sizes, 640).tolist() == [True, False]  # 50 / 640 is below an eighth of the input


@pytest.mark.usefixtures("models_ready")
@pytest.mark.parametrize("name", FAR)
def test_far_hands_are_found_through_the_tiles(name) -> None:
    image = _far(name)
    assert len(HandTracker(mode="image")(image)) == 0
    hands = HandTracker(mode="image", zoom=2, gestures="builtin")(image)
    assert len(hands) == 1 and hands.gestures[0] is not None and hands.gestures[0].label == "four"
    assert hands.scores[0] >= 0.8
    width = hands.boxes[0, 2] - hands.boxes[0, 0]
    assert width < image.shape[1] / 8  # a small hand in the frame


@pytest.mark.usefixtures("models_ready")
def test_near_hands_are_not_doubled_by_the_tiles(photo_paths) -> None:
    """A near hand's fingers, seen closer in a tile, look like a palm: they must not become a second hand."""
    paths = [*photo_paths, *sorted(shared_path("data", "keypoints", "images").glob("freihand_*.jpg"))]
    plain, zoomed = HandTracker(mode="image"), HandTracker(mode="image", zoom=2)
    for path in paths:
        image = cv2.imread(str(path))
        a, b = plain(image), zoomed(image)
        assert len(b) == len(a), path.name
        assert len(b) == 0 or np.abs(a.boxes - b.boxes).max() < 0.25 * (a.boxes[:, 2:] - a.boxes[:, :2]).max()


@pytest.mark.usefixtures("models_ready")
def test_video_mode_finds_a_far_hand_in_turn_and_tracks_it() -> None:
    image = _far(FAR[0])
    tracker = HandTracker(mode="video", max_hands=1, zoom=2)
    tiles = len(tile_windows(*image.shape[:2], 2))
    found = []
    for i in range(2 * tiles + 6):
        hands = tracker.process(image, i * 40.0)
        found.append(int(hands.track_ids[0]) if len(hands) else None)
        searched = "palm_model" in tracker.clock.times
        assert searched == (found[-1] is None or found.index(found[-1]) == i)  # no search once tracked
    first = next(i for i, t in enumerate(found) if t is not None)
    assert first < 2 * tiles and len(set(found[first:])) == 1  # found within a round of the tiles, then kept
    plain = HandTracker(mode="video", max_hands=1)
    assert all(len(plain.process(image, i * 40.0)) == 0 for i in range(2 * tiles))


@pytest.mark.usefixtures("models_ready")
def test_cli_zoom(capsys) -> None:
    import json

    from handpose.cli import main

    path = str(shared_path("data", "gesture_images", "four", FAR[1]))
    assert main(["run", path, "--json", "-", "--gestures", "builtin"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["hands"] == []
    assert main(["run", path, "--json", "-", "--gestures", "builtin", "--zoom", "2"]) == 0
    (hand,) = json.loads(capsys.readouterr().out.splitlines()[0])["hands"]
    assert hand["gesture"]["label"] == "four"
    with pytest.raises(SystemExit) as stop:
        main(["run", path, "--zoom", "0.5"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--zoom: must be from 1 (whole frame only) to 16, got 0.5" in err


@pytest.mark.usefixtures("models_ready")
def test_gestures_record_and_eval_zoom(tmp_path, capsys) -> None:
    import json

    from handpose.cli import main
    from handpose.gestures import record

    folder = tmp_path / "far" / "four"
    folder.mkdir(parents=True)
    for name in FAR:
        (folder / name).symlink_to(shared_path("data", "gesture_images", "four", name))
    plain = record(str(tmp_path / "far"))
    assert len(plain) == 0 and len(plain.undetected) == 2
    zoomed = record(str(tmp_path / "far"), zoom=2)
    assert zoomed.labels == ["four", "four"] and not zoomed.undetected
    assert main(["gestures", "record", str(tmp_path / "far"), "-o", str(tmp_path / "far.csv"), "--zoom", "2"]) == 0
    assert len((tmp_path / "far.csv").read_text().splitlines()) == 3  # the header and the two hands
    capsys.readouterr()
    assert main(["gestures", "eval", "builtin", str(tmp_path / "far"), "-o", str(tmp_path / "r")]) == 1
    assert "no hand found in any of the 2 images or videos; hands far from the camera? try --zoom 2" in \
        capsys.readouterr().err
    assert main(["gestures", "eval", "builtin", str(tmp_path / "far"), "-o", str(tmp_path / "r"), "--zoom", "2"]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["accuracy"] == 1.0 and report["n"] == 2 and report["undetected"]["count"] == 0
    csv = str(shared_path("data", "landmarks", "keypoint.csv"))
    assert main(["gestures", "eval", "builtin", csv, "-o", str(tmp_path / "r2"), "--zoom", "2"]) == 1
    assert "holds hands found earlier: --zoom is for finding them in images or videos" in capsys.readouterr().err
    with pytest.raises(HandposeError, match="holds hands found earlier: zoom is for finding them"):
        record(csv, zoom=2)
