"""Open Sound Control output (``handpose run --osc``), decoded by an independent implementation (``python-osc``)."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from handpose.cli import main
from handpose.osc import frame_bundle, message

osc_bundle = pytest.importorskip("pythonosc.osc_bundle", reason="'python-osc' (dev extra) decodes what is sent")
osc_message = pytest.importorskip("pythonosc.osc_message")


@pytest.mark.parametrize("text", ["", "abc", "abcd", "thumbs_up", "größe"])  # every padding case, and UTF-8
def test_messages_decode_to_what_was_encoded(text) -> None:
    m = osc_message.OscMessage(message("/handpose/x" + "y" * len(text), [text, 7, -1, 0.25, 3.5e-3]))
    assert m.address == "/handpose/x" + "y" * len(text)
    assert m.params[:3] == [text, 7, -1] and m.params[3:] == pytest.approx([0.25, 3.5e-3])


def test_a_frame_is_one_bundle_of_its_hands_and_events() -> None:
    keypoints = np.arange(63, dtype=float).reshape(21, 3) * [10, 5, 1]
    hand = {"track_id": 4, "handedness": "left", "score": 0.9, "keypoints": keypoints.tolist(),
            "world": (keypoints / 1000).tolist(), "gesture": {"label": "fist", "score": 0.75}}
    event = {"kind": "static", "label": "fist", "phase": "start", "score": 0.8, "track_id": 4, "handedness": "left",
             "start_ms": 120.0, "end_ms": None}
    record = {"frame": 3, "timestamp_ms": 120.0, "width": 640, "height": 320, "hands": [hand, {**hand, "track_id": None,
              "gesture": None}], "events": [event]}
    got = [(m.address, m.params) for m in osc_bundle.OscBundle(frame_bundle(record))]
    assert [a for a, _ in got] == ["/handpose/frame", "/handpose/hand", "/handpose/world", "/handpose/hand",
                                   "/handpose/world", "/handpose/event"]
    assert got[0][1][0] == 3 and got[0][1][1:] == [pytest.approx(120.0), 2, 640, 320]
    assert got[1][1][:3] == [0, 4, "left"] and got[1][1][4] == "fist" and got[1][1][5] == pytest.approx(0.75)
    norm = keypoints / [640, 320, 640]  # MediaPipe's normalized landmarks
    assert np.allclose(got[1][1][6:], norm.ravel(), atol=1e-6)
    assert got[2][1][:2] == [0, 4] and np.allclose(got[2][1][2:], (keypoints / 1000).ravel(), atol=1e-7)
    assert got[3][1][:2] == [1, -1] and got[3][1][4:6] == ["", 0.0]  # image mode, no gesture
    assert got[5][1][:5] == ["static", "fist", "start", 4, "left"] and got[5][1][6:] == [120.0, -1.0]
    end = [m.params for m in osc_bundle.OscBundle(frame_bundle({"end_of_stream": True, "frame": None,
                                                                 "timestamp_ms": 9.0, "hands": [], "events": []}))]
    assert end == [[-1, 9.0, 0, 1, 1]]


@pytest.mark.usefixtures("models_ready")
def test_run_sends_each_frame_as_a_bundle_matching_its_json(video_path, tmp_path, capsys) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        port = rx.getsockname()[1]
        code = main(["run", str(video_path), "--limit", "8", "--gestures", "builtin", "--osc", f"127.0.0.1:{port}",
                     "--json", str(tmp_path / "h.jsonl")])
        out = capsys.readouterr().out
        assert code == 0 and f"osc: 8 bundles to 127.0.0.1:{port}" in out
        bundles = [list(osc_bundle.OscBundle(rx.recv(65536))) for _ in range(8)]
    records = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    for messages, record in zip(bundles, records, strict=True):
        frame, hand, world = messages[:3]
        assert frame.params[0] == record["frame"] and frame.params[2:] == [1, 640, 360]
        h = record["hands"][0]
        assert hand.params[1:3] == [h["track_id"], h["handedness"]] and hand.params[4] == h["gesture"]["label"]
        pixels = np.array(hand.params[6:]).reshape(21, 3) * [640, 360, 640]
        assert np.allclose(pixels, h["keypoints"], atol=1e-3) and np.allclose(world.params[2:],
                                                                              np.ravel(h["world"]), atol=1e-6)
    assert main(["run", str(video_path), "--limit", "1", "--osc", "localhost"]) == 1
    assert "--osc localhost: expected HOST:PORT, e.g. 127.0.0.1:9000" in capsys.readouterr().err
