"""JSON Lines read back as typed Hands: exact round trips, replaying recorded keypoints through gesture recognition."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

import handpose
from handpose import InputError, read_jsonl
from handpose.cli import main
from handpose.gestures import load_classifier, record

pytestmark = pytest.mark.usefixtures("models_ready")


@pytest.fixture(scope="module")
def recorded(video_path, tmp_path_factory):
    """The shared video run with the built-in gestures and a camera, as JSON Lines."""
    path = tmp_path_factory.mktemp("replay") / "hands.jsonl"
    assert main(["run", str(video_path), "--gestures", "builtin", "--camera", "60", "--json", str(path)]) == 0
    return path


def test_every_record_comes_back_as_it_was_written(recorded) -> None:
    records = [json.loads(line) for line in recorded.read_text().splitlines()]
    frames = list(read_jsonl(recorded))
    assert len(frames) == len(records) == 203  # 202 frames and the closing record
    for written, hands in zip(records[:-1], frames[:-1], strict=True):
        assert hands.to_dict() == written
    assert isinstance(frames[10][0], handpose.Hand) and frames[10][0].track_id == 1
    assert frames[10].camera is not None and frames[10].camera.shape == (1, 21, 3)
    assert frames[10].gestures and frames[10].source == str(frames[0].source)
    assert np.allclose(frames[10].rects[0, :2], frames[10].keypoints[0, :, :2].mean(0), atol=40)
    closing = frames[-1]
    assert records[-1]["end_of_stream"] and closing.frame == -1 and len(closing) == 0
    assert [e.phase for e in closing.events] == ["end"]  # the gesture held at the end ends there
    assert len(list(read_jsonl(recorded, end_of_stream=False))) == 202


def test_replayed_keypoints_give_the_live_run_s_events(recorded) -> None:
    live = [e.to_dict() for hands in read_jsonl(recorded) for e in hands.events]
    recognizer = load_classifier("builtin")
    replayed = []
    for hands in read_jsonl(recorded, end_of_stream=False):
        hands.gestures, hands.events = [], []
        recognizer.annotate(hands)
        replayed += [e.to_dict() for e in hands.events]
    replayed += [e.to_dict() for e in recognizer.finish()]
    assert len(live) >= 4 and len(replayed) == len(live)
    for a, b in zip(replayed, live, strict=True):  # the JSON keeps keypoints to 0.01 px: scores move in the 4th place
        assert a["score"] == pytest.approx(b["score"], abs=2e-3) and {**a, "score": 0} == {**b, "score": 0}


def test_image_records_have_no_track_ids_and_stream_results_know_their_file(photo_paths, tmp_path) -> None:
    path = tmp_path / "photos.jsonl"
    assert main(["run", str(photo_paths[0].parent / "*.jpg"), "--json", str(path)]) == 0
    frames = list(read_jsonl(path))
    assert [h.source for h in frames] == [str(p) for p in photo_paths]
    assert [h.track_id for hands in frames for h in hands] == [None, None] and frames[0].camera is None
    live = list(handpose.HandTracker(mode="image").stream(photo_paths[0].parent))
    assert [h.source for h in live] == [str(p) for p in photo_paths]


def test_a_dataset_recorded_from_the_json_equals_one_recorded_from_the_video(recorded, video_path) -> None:
    for kind, every in (("hand", 5), ("trajectory", 1)):
        from_json = record(str(recorded), kind=kind, label="reach", every=every)
        from_video = record(str(video_path), kind=kind, label="reach", every=every)
        assert len(from_json) == len(from_video) > 30 and from_json.labels == from_video.labels
        assert from_json.sources == from_video.sources
        assert np.abs(np.array(from_json.points) - np.array(from_video.points)).max() < 0.01  # the JSON rounds
    # without --label each source is labelled by its folder, as a glob's files are
    assert set(record(str(recorded)).labels) == {video_path.parent.name}


def test_trajectories_follow_each_tracked_run_of_a_recording(video_path, tmp_path) -> None:
    # a batch of two videos: two runs, each labelled by its folder, none continued into the next
    for name in ("left", "right"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "clip.mp4").symlink_to(video_path)
    batch = tmp_path / "batch.jsonl"
    assert main(["run", str(tmp_path / "*" / "clip.mp4"), "--json", str(batch)]) == 0
    data = record(str(batch), kind="trajectory")
    assert {lab: data.labels.count(lab) for lab in set(data.labels)} == {"left": 187, "right": 187}  # 202 - 15 each
    # a folder of frames tracked as a sequence: one run across its files
    frames = tmp_path / "frames"
    frames.mkdir()
    capture = cv2.VideoCapture(str(video_path))
    for i in range(40):
        cv2.imwrite(str(frames / f"{i:03d}.png"), capture.read()[1])
    folder = tmp_path / "frames.jsonl"
    assert main(["run", str(frames), "--mode", "video", "--json", str(folder)]) == 0
    assert len(record(str(folder), kind="trajectory", label="reach")) == 40 - 15


def test_trajectories_need_a_tracked_recording(photo_paths, tmp_path) -> None:
    path = tmp_path / "photos.jsonl"
    assert main(["run", str(photo_paths[1]), "--json", str(path)]) == 0
    with pytest.raises(InputError, match="recorded in image mode .* trajectories need a video run"):
        record(str(path), kind="trajectory", label="x")
    assert record(str(path), label="thumb").labels == ["thumb"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"frame": 0, "hands": []}\n[1, 2]\n', "line 2: not a handpose JSON Lines record"),
    ('{"frame": 0, "timestamp_ms": 0}\n', "line 1: not a handpose JSON Lines record (missing 'hands')"),
    ('{"frame": 0, "hands": [{"keypoints": [[1, 2, 3]]}]}\n', "line 1: not a handpose JSON Lines record"),
    ("label,x0,y0\n", "line 1: not a handpose JSON Lines record"),
])
def test_other_files_are_refused_with_the_line(text, message, tmp_path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        list(read_jsonl(path))
    with pytest.raises(InputError, match="cannot read"):
        list(read_jsonl(tmp_path / "missing.jsonl"))


def test_a_last_line_cut_short_is_left_out_with_a_warning(tmp_path, caplog) -> None:
    # what a run killed mid-write leaves: every whole record reads, the cut one is named and left out
    whole = '{"frame": 0, "timestamp_ms": 0, "hands": []}\n{"frame": 1, "timestamp_ms": 40, "hands": []}\n'
    path = tmp_path / "killed.jsonl"
    path.write_text(whole + '{"frame": 2, "timestamp_ms": 80, "han')
    with caplog.at_level(logging.WARNING, logger="handpose"):
        assert [h.frame for h in read_jsonl(path)] == [0, 1]
    assert "killed.jsonl, line 3 is cut short" in caplog.text
    path.write_text(whole + '{"frame": 2, "timestamp_ms": 80, "han\n')  # a whole line that is broken: an error
    with pytest.raises(InputError, match="line 3: not a handpose JSON Lines record"):
        list(read_jsonl(path))
