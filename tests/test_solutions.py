"""The drop-in for MediaPipe's legacy ``solutions.hands``: same results as mediapipe 0.10.21 on the shared data
(tests/fixtures/mediapipe_reference.json), legacy code running with its import changed."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

import handpose.draw
from handpose import HandposeError, InputError
from handpose.solutions import drawing_styles
from handpose.solutions import drawing_utils as mp_drawing
from handpose.solutions import hands as mp_hands

from .conftest import FIXTURES

pytestmark = pytest.mark.usefixtures("models_ready")


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "mediapipe_reference.json").read_text())


def _pixels(landmarks: mp_hands.NormalizedLandmarkList, w: int, h: int) -> np.ndarray:
    return np.array([[p.x * w, p.y * h, p.z * w] for p in landmarks.landmark])


def test_tracking_gives_mediapipe_s_landmarks_and_labels(reference, video_path) -> None:
    capture = cv2.VideoCapture(str(video_path))
    errors, labels = [], set()
    with mp_hands.Hands(max_num_hands=1) as hands:
        for i in range(202):
            frame = capture.read()[1]
            results = hands.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            ref = reference["video_tracking"][str(i)][0]
            assert results.multi_hand_landmarks and len(results.multi_hand_landmarks) == 1
            errors.append(np.linalg.norm(_pixels(results.multi_hand_landmarks[0], 640, 360)[:, :2]
                                         - np.array(ref["keypoints"])[:, :2], axis=1).mean())
            labels.add((results.multi_handedness[0].classification[0].label, ref["handedness"]))
    assert np.mean(errors) < 0.5 and max(errors) < 2.0  # pixels, against mediapipe itself
    assert labels == {("Left", "Left")}  # legacy convention: the person's right hand named for a mirror image


def test_photos_in_static_mode(reference, photo_paths) -> None:
    hands = mp_hands.Hands(static_image_mode=True, max_num_hands=2)
    for path in photo_paths:
        image = cv2.imread(str(path))
        results = hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        ref = reference["photos"][path.name]
        assert len(results.multi_hand_landmarks) == len(results.multi_handedness) == len(ref) == 1
        h, w = image.shape[:2]
        ours = _pixels(results.multi_hand_landmarks[0], w, h)
        assert np.linalg.norm(ours[:, :2] - np.array(ref[0]["keypoints"])[:, :2], axis=1).mean() <= 1.0
        assert np.abs(ours[:, 2] - np.array(ref[0]["keypoints"])[:, 2]).mean() <= 2.0  # z on the scale of x
        side = results.multi_handedness[0].classification[0]
        assert side.label == ref[0]["handedness"] and side.index == (side.label == "Right")
        world = np.array([[p.x, p.y, p.z] for p in results.multi_hand_world_landmarks[0].landmark])
        assert world.shape == (21, 3) and 0.05 < np.linalg.norm(world[0] - world[12]) < 0.25  # metres
    assert hands.process(np.zeros((240, 320, 3), np.uint8)) == (None, None, None)  # nothing found: None, as legacy


def test_a_legacy_program_runs_with_only_its_import_changed(photo_paths, tmp_path, caplog, monkeypatch) -> None:
    def no_window(name: str, what: str) -> None:
        raise InputError(f"{what} cannot open: no display here")

    monkeypatch.setattr(handpose.draw, "open_window", no_window)  # a desktop's window would wait for a key
    program = '''
import cv2
import mediapipe as mp

mp_hands = mp.solutions.hands
mp_drawing = mp.solutions.drawing_utils
mp_drawing_styles = mp.solutions.drawing_styles
image = cv2.imread(PHOTO)
with mp_hands.Hands(static_image_mode=True, max_num_hands=2, min_detection_confidence=0.5) as hands:
    results = hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for hand_landmarks in results.multi_hand_landmarks:
        tip = hand_landmarks.landmark[mp_hands.HandLandmark.INDEX_FINGER_TIP]
        found.append((tip.x * image.shape[1], tip.y * image.shape[0]))
        mp_drawing.draw_landmarks(image, hand_landmarks, mp_hands.HAND_CONNECTIONS,
                                  mp_drawing_styles.get_default_hand_landmarks_style(),
                                  mp_drawing_styles.get_default_hand_connections_style())
    for hand_world_landmarks in results.multi_hand_world_landmarks:
        plotted.append(mp_drawing.plot_landmarks(hand_world_landmarks, mp_hands.HAND_CONNECTIONS, azimuth=5))
cv2.imwrite(OUT, image)
'''
    ported = program.replace("import mediapipe as mp\n", "import handpose.tasks as mp\n")  # the README's one rule
    found: list = []
    plotted: list = []
    out = tmp_path / "drawn.png"
    with caplog.at_level(logging.WARNING, logger="handpose"):
        exec(ported, {"PHOTO": str(photo_paths[1]), "OUT": str(out), "found": found, "plotted": plotted})
    assert len(found) == 1
    # the 3D plot: no window here (said once per plot), the picture returned: bones and red joints on white
    assert "no display here: the plot is returned as an image" in caplog.text
    (plot,) = plotted
    assert plot.shape == (480, 480, 3) and (plot == 255).all(2).mean() > 0.8
    assert ((plot == (0, 0, 0)).all(2)).sum() > 500 and ((plot == (0, 0, 255)).all(2)).sum() > 21 * 20
    before, after = cv2.imread(str(photo_paths[1])), cv2.imread(str(out))
    x, y = (round(v) for v in found[0])
    assert np.abs(after[y - 2:y + 3, x - 2:x + 3].astype(int) - before[y - 2:y + 3, x - 2:x + 3]).max() > 60


def test_landmark_names_and_connections_are_mediapipe_s() -> None:
    assert len(mp_hands.HandLandmark) == 21 and mp_hands.HandLandmark.INDEX_FINGER_TIP == 8
    assert mp_hands.HandLandmark.PINKY_MCP == 17 and mp_hands.HandLandmark.THUMB_IP == 3
    palm = {(0, 1), (0, 5), (9, 13), (13, 17), (5, 9), (0, 17)}
    fingers = {(b, b + 1) for base in (1, 5, 9, 13, 17) for b in range(base, base + 3)}
    assert palm | fingers == mp_hands.HAND_CONNECTIONS


def test_drawing_and_options_refuse_what_they_cannot_do() -> None:
    landmarks = mp_hands.NormalizedLandmarkList([mp_hands.NormalizedLandmark(0.5, 0.5, 0.0)] * 21)
    with pytest.raises(InputError, match="3-channel uint8 image, got float32"):
        mp_drawing.draw_landmarks(np.zeros((10, 10, 3), np.float32), landmarks)
    image = np.zeros((10, 10, 3), np.uint8)
    mp_drawing.draw_landmarks(image, None)  # no hand: nothing to draw, as legacy
    assert not image.any()
    mp_drawing.draw_landmarks(image, landmarks, landmark_drawing_spec=mp_drawing.DrawingSpec((0, 0, 255)))
    assert image[5, 5].tolist() == [0, 0, 255]
    image[:] = 0
    mp_drawing.draw_landmarks(image, landmarks)  # no spec given: red points, as legacy draws them
    assert image[5, 5].tolist() == [0, 0, 255]
    assert len(drawing_styles.get_default_hand_connections_style()) == 21
    with pytest.raises(HandposeError, match="model_complexity must be 0 or 1, got 2"):
        mp_hands.Hands(model_complexity=2)
