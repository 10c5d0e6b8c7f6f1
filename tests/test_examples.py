"""The scripts in examples/ run on real inputs and do what their docstrings say."""

from __future__ import annotations

import importlib.util
import json
import re
from types import ModuleType

import cv2
import numpy as np

import handpose
from handpose.gestures import GestureEvent

from .conftest import ROOT, shared_path
from .synth import approaching_hand, tracked_hands, waving_hand, write_video


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gesture_events_maps_the_held_open_palm_to_its_action(video_path, capsys, models_ready) -> None:
    assert example("gesture_events").main([str(video_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the clip shows one right hand, open most of the time: debounced, the palm starts a few times, not per frame
    assert lines and all(line.endswith("pause              <- open_palm of hand 1 (right)") for line in lines)
    assert len(lines) <= 3


def test_gesture_events_maps_a_push_a_pull_and_a_wave(tmp_path, capsys, models_ready, video_path) -> None:
    frames = approaching_hand(video_path, handpose.HandTracker(mode="image"))
    waving = waving_hand(video_path, handpose.HandTracker(mode="image"))
    for name, clip, action in (("push", frames, "mute"), ("pull", frames[::-1], "unmute"),
                               ("wave", waving, "show the controls")):
        assert example("gesture_events").main([str(write_video(tmp_path / f"{name}.mp4", clip))]) == 0
        # the hand is an open palm (held: "pause"); the one motion is the push, the pull or the wave
        motions = [line for line in capsys.readouterr().out.splitlines() if "<- open_palm" not in line]
        assert len(motions) == 1 and motions[0].endswith(f"{action:<18} <- {name} of hand 1 (right)"), motions


def test_finger_count_counts_four_and_call(tmp_path, capsys, models_ready) -> None:
    module = example("finger_count")
    for folder, expected in (("four", 4), ("call", 2)):
        images = shared_path("data", "gesture_images", folder)
        out = tmp_path / f"{folder}.mp4"
        assert module.main([str(images), "-o", str(out)]) == 0
        counts = [json.loads(line.split(": ", 1)[1]) for line in capsys.readouterr().out.splitlines()]
        assert len(counts) == len(list(images.iterdir()))
        firsts = [c[0] for c in counts if c]
        assert len(firsts) >= 6 and sum(c == expected for c in firsts) >= len(firsts) - 1
        assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == len(counts)
    size = out.stat().st_size
    assert module.main([str(images), "-o", str(out)]) == 1  # the video is not replaced without --overwrite
    assert "exists; pass --overwrite" in capsys.readouterr().err and out.stat().st_size == size


def test_pinch_click_gives_alternating_down_and_up(video_path, capsys, models_ready) -> None:
    assert example("pinch_click").main([str(video_path)]) == 0
    events = re.findall(r"hand (\d+): (down|up) at \((\S+), (\S+)\)", capsys.readouterr().out)
    assert events and [e[1] for e in events] == ["down", "up"] * (len(events) // 2) + ["down"] * (len(events) % 2)
    assert all(0 <= float(x) <= 1 and 0 <= float(y) <= 1 for _, _, x, y in events)


def test_teach_gestures_trains_saves_and_uses_a_model(tmp_path, capsys, models_ready) -> None:
    model = tmp_path / "mine.npz"
    thumbs = shared_path("data", "photos", "thumbs_up.jpg")
    argv = [str(shared_path("data", "gesture_images")), "-o", str(model), "--try", str(thumbs)]
    assert example("teach_gestures").main(argv) == 0
    out = capsys.readouterr().out
    assert "36 hands: {'call': 8, 'four': 8, 'none': 10, 'rock': 10}" in out and model.exists()
    assert f"{thumbs} #0: none" in out  # a thumbs-up is none of call, four or rock
    assert example("teach_gestures").main(argv) == 1  # the model is not replaced without --overwrite
    assert "exists; pass --overwrite" in capsys.readouterr().err


def test_kiosk_presses_the_hovered_button_on_a_push_and_goes_back_on_a_pull(tmp_path, capsys, models_ready,
                                                                          video_path) -> None:
    module = example("kiosk")
    frames = approaching_hand(video_path, handpose.HandTracker(mode="image"))
    for name, clip, expected in (("push", frames, "press Sugar"), ("pull", frames[::-1], "back")):
        out = tmp_path / f"kiosk_{name}.mp4"
        assert module.main([str(write_video(tmp_path / f"{name}.mp4", clip)), "-o", str(out)]) == 0
        assert [line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines()] == [expected]
        assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames)
    # the shared clip's hand reaches towards the camera slowly: nothing is pressed
    assert module.main([str(video_path), "-o", str(tmp_path / "clip.mp4")]) == 0
    assert capsys.readouterr().out == ""


def test_kiosk_presses_what_was_hovered_when_the_push_began() -> None:
    kiosk = example("kiosk").Kiosk()

    def frame(t: float, tip: tuple[float, float], events: list[GestureEvent]) -> handpose.Hands:
        keypoints = np.zeros((21, 3), np.float32)
        keypoints[8, :2] = tip[0] * 640, tip[1] * 360
        hands = tracked_hands([keypoints], [3], ["right"], t, (640, 360))
        hands.events = events
        return hands

    assert kiosk.update(frame(0.0, (0.1, 0.8), [])) == []  # over Milk
    assert kiosk.update(frame(200.0, (0.9, 0.2), [])) == []  # over Water: the fingertip moved while pushing
    push = GestureEvent("dynamic", "push", 0.8, 3, "right", 0.0, 200.0, "done")
    assert kiosk.update(frame(240.0, (0.9, 0.2), [push])) == [(3, "press Milk")]
    assert kiosk.update(frame(280.0, (0.5, 0.2), [])) == [] and kiosk.hover[3][-1][1] == "Tea"
    kiosk.update(handpose.Hands(width=640, height=360, timestamp_ms=320.0))  # the hand is lost: forgotten
    assert kiosk.hover == {}
