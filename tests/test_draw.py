"""Drawing: the 3D world-landmark inset."""

from __future__ import annotations

import cv2
import numpy as np

from handpose import Hands, HandTracker, draw_skeleton, draw_world
from handpose.cli import main
from handpose.draw import FINGER_COLORS, world_view

from .handbuilder import make_hand


def test_world_view_turns_the_hand_rigidly() -> None:
    pts = np.array([[0.05, 0.0, 0.0], [0.0, 0.02, 0.0], [0.0, 0.0, 0.03]])
    assert np.allclose(world_view(pts, 0, 0), pts)  # the input camera's own view
    assert np.allclose(world_view(pts[2], 90, 0), [0.03, 0, 0])  # turned 90°: depth becomes sideways
    assert np.allclose(world_view(pts[1], 0, 90), [0, 0, 0.02])  # from above: down becomes away
    turned = world_view(pts, -35, 20)
    assert np.allclose(np.linalg.norm(turned, axis=1), np.linalg.norm(pts, axis=1))


def test_draw_skeleton_colours_each_finger_along_its_bones() -> None:
    hand = make_hand()  # an open hand, fingers up
    image = np.zeros((480, 640, 3), np.uint8)
    draw_skeleton(image, hand, thickness=3)
    for finger, (a, b) in {"index": (5, 6), "pinky": (17, 18), "thumb": (2, 3)}.items():
        x, y = np.round((hand[a, :2] + hand[b, :2]) / 2).astype(int)  # half-way along a bone, away from the joints
        assert np.abs(image[y - 1 : y + 2, x - 1 : x + 2].astype(int) - FINGER_COLORS[finger]).sum(-1).min() < 30
    assert (image.sum(-1) > 0).mean() < 0.05  # the bones, not a filled shape


def test_draw_world_draws_each_hand_in_its_own_part_of_the_inset(video_path, models_ready) -> None:
    cap = cv2.VideoCapture(str(video_path))
    frame = cap.read()[1]
    one = HandTracker(mode="image")(frame)
    assert len(one) == 1
    two = Hands(keypoints=np.concatenate([one.keypoints] * 2), world=np.concatenate([one.world] * 2),
                scores=np.ones(2, np.float32), handedness=np.array(["right", "left"]),
                handedness_scores=np.ones(2, np.float32), boxes=np.concatenate([one.boxes] * 2),
                rects=np.concatenate([one.rects] * 2), track_ids=np.array([1, 2]), width=640, height=360)
    black = np.zeros((360, 640, 3), np.uint8)
    side = round(0.3 * 360)
    x0, y0 = 640 - side - 8, 8
    for hands, columns in ((one, [(0, side)]), (two, [(0, side // 2), (side // 2, side)])):
        out = draw_world(black, hands)
        assert not black.any()  # drawn on a copy
        drawn = out.any(2)
        assert drawn[y0 : y0 + side, x0 : x0 + side].sum() == drawn.sum()  # nothing outside the inset
        inner = drawn[y0 + 2 : y0 + side - 14, x0 + 2 : x0 + side - 2]  # inside the border, above the caption
        for a, b in columns:  # every hand's skeleton in its own column
            assert inner[:, max(0, a - 2) : b - 2].sum() > 100


def test_run_world_inset_only_changes_the_top_right(video_path, tmp_path, capsys, models_ready) -> None:
    for name, extra in (("plain.mp4", []), ("world.mp4", ["--world"])):
        assert main(["run", str(video_path), "--limit", "3", "-o", str(tmp_path / name), *extra]) == 0
    capsys.readouterr()
    plain = cv2.VideoCapture(str(tmp_path / "plain.mp4")).read()[1].astype(int)
    world = cv2.VideoCapture(str(tmp_path / "world.mp4")).read()[1].astype(int)
    changed = np.abs(plain - world).max(2) > 40
    ys, xs = np.nonzero(changed)
    assert len(ys) > 500 and ys.max() < 130 and xs.min() > 640 - 130
