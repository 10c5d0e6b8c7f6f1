"""``handpose run`` end to end: every kind of source and output, JSON Lines format, and every bad input."""

from __future__ import annotations

import contextlib
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from handpose.cli import main

from .conftest import NULL_DEVICE, needs_gif

pytestmark = pytest.mark.usefixtures("models_ready")


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_video_to_annotated_video_and_jsonl(video_path, tmp_path, capsys) -> None:
    code, out, _err = run_cli(str(video_path), "-o", str(tmp_path / "out.mp4"), "--json", str(tmp_path / "h.jsonl"),
                             capsys=capsys)
    assert code == 0 and f"annotated output: {tmp_path / 'out.mp4'}" in out
    cap = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 202 and cap.get(cv2.CAP_PROP_FPS) == 25
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (640, 360)
    records = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    assert len(records) == 202
    r = records[40]
    assert r["source"] == str(video_path) and r["frame"] == 40 and r["timestamp_ms"] == 1600.0
    assert (r["width"], r["height"]) == (640, 360)
    hand = r["hands"][0]
    assert set(hand) >= {"track_id", "score", "handedness", "handedness_score", "keypoints", "world", "bbox"}
    assert hand["track_id"] == 1 and hand["handedness"] == "right"
    assert len(hand["keypoints"]) == 21 and all(len(k) == 3 for k in hand["keypoints"]) and len(hand["bbox"]) == 4
    assert {rec["hands"][0]["track_id"] for rec in records} == {1}


def test_coco_annotations_of_the_hands_found_score_as_ground_truth(tmp_path, video_path, capsys) -> None:
    from handpose import KEYPOINT_NAMES

    from .conftest import shared_path

    root = shared_path("data", "gesture_images")
    coco = tmp_path / "hands.json"
    assert main(["run", f"{root}/*/*.jpg", "--coco", str(coco), "--gestures", "builtin"]) == 0
    assert f"coco: {coco} (40 images, " in capsys.readouterr().out
    data = json.loads(coco.read_text())
    (category,) = data["categories"]
    assert category["name"] == "hand" and category["keypoints"] == list(KEYPOINT_NAMES)
    assert [1, 2] in category["skeleton"] and all(1 <= k <= 21 for edge in category["skeleton"] for k in edge)
    images = {im["id"]: im for im in data["images"]}  # every image, a hand in it or not, by its path below the root
    assert sorted(im["file_name"] for im in images.values()) == sorted(
        p.relative_to(root).as_posix() for p in root.glob("*/*.jpg"))
    cut_off = 0
    for a in data["annotations"]:
        im = images[a["image_id"]]
        k = np.array(a["keypoints"], float).reshape(21, 3)
        labelled = k[:, 2] == 2
        assert a["num_keypoints"] == labelled.sum() and (k[~labelled] == 0).all()
        assert (k[labelled, 0] < im["width"]).all() and (k[labelled, 1] < im["height"]).all()
        x, y, w, h = a["bbox"]
        assert min(x, y) >= 0 and x + w <= im["width"] and y + h <= im["height"]
        assert (k[labelled, :2] >= (x, y)).all() and (k[labelled, :2] <= (x + w, y + h)).all()
        assert a["attributes"]["handedness"] in ("left", "right") and a["category_id"] == 1
        cut_off += not labelled.all()
    assert cut_off >= 1  # a hand at a picture's edge: its points outside are not labelled
    gestures = {a["attributes"].get("gesture") for a in data["annotations"]}
    assert {"call", "four", "horns"} <= gestures
    # as ground truth, the annotations score handpose's own hands as found exactly, the cut-off hand too
    assert main(["eval", str(coco), "--images", str(root), "--reference", "none", "--json",
                 str(tmp_path / "e.json")]) == 0
    ours = json.loads((tmp_path / "e.json").read_text())["runs"]["handpose"]["overall"]
    assert ours["gt_hands"] == len(data["annotations"]) == ours["matched"] and ours["precision"] == 1.0
    assert ours["epe_px"] < 0.01  # the file's rounding to 0.01 px
    # refused: a video (frames are not pictures a tool can open), standard output, a file of the user's
    for args, message in (([str(video_path)], "--coco annotates pictures, and .* is a video: give it images"),
                          ([str(root / "call")], "--coco writes one JSON document when the run ends"),
                          ([str(root / "call")], "hands.json exists; pass --overwrite")):
        target = "-" if "JSON document" in message else str(coco)
        assert main(["run", *args, "--coco", target]) == 1
        assert re.search(message, capsys.readouterr().err)


def test_csv_has_a_row_per_hand_matching_the_json(video_path, photo_paths, tmp_path, capsys) -> None:
    code, out, _ = run_cli(str(video_path), "--limit", "12", "--gestures", "builtin", "--json",
                           str(tmp_path / "h.jsonl"), "--csv", str(tmp_path / "h.csv"), capsys=capsys)
    assert code == 0 and f"csv: {tmp_path / 'h.csv'}" in out
    records = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    hands = [(r, h) for r in records for h in r["hands"]]
    with open(tmp_path / "h.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(hands) == 12
    for row, (r, h) in zip(rows, hands, strict=True):
        assert (row["source"], int(row["frame"]), float(row["timestamp_ms"])) == (r["source"], r["frame"],
                                                                                  r["timestamp_ms"])
        assert int(row["track_id"]) == h["track_id"] and row["handedness"] == h["handedness"]
        assert [float(row[f"{a}{i}"]) for i in range(21) for a in "xyz"] == [v for p in h["keypoints"] for v in p]
        assert [float(row[f"w{a}{i}"]) for i in range(21) for a in "xyz"] == [v for p in h["world"] for v in p]
        assert [float(row[f"bbox_{k}"]) for k in ("x1", "y1", "x2", "y2")] == h["bbox"]
        assert row["gesture"] == h["gesture"]["label"] and float(row["gesture_score"]) == h["gesture"]["score"]
    assert not any(row["z0"].startswith("-") for row in rows)  # the wrist is the depth origin: 0, never -0
    # image mode: no track id, no gesture; a photo without a hand has no row
    code, out, _ = run_cli(str(photo_paths[1]), "--csv", "-", capsys=capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and ",,left," in lines[1] and lines[1].endswith(",,")
    code, _, err = run_cli(str(photo_paths[1]), "--csv", "-", "--json", "-", capsys=capsys)
    assert code == 1 and "only one of them can go to standard output" in err
    # two outputs named the same file would write over each other: refused before either is created
    same = tmp_path / "same.mp4"
    for argv in (["--json", str(same), "--csv", str(tmp_path / "." / same.name)],
                 ["-o", str(same), "--json", str(same)]):
        code, _, err = run_cli(str(video_path), *argv, "--overwrite", capsys=capsys)
        assert code == 1 and "both name" in err and "give each output a file of its own" in err and not same.exists()
    # every output is checked before any is written: a refused CSV or video leaves no new JSON behind
    for refused in (["--csv", str(tmp_path / "h.csv")], ["-o", str(tmp_path / "mine.mp4")]):
        (tmp_path / "mine.mp4").write_bytes(b"mine")
        code, _, err = run_cli(str(video_path), "--json", str(tmp_path / "new.jsonl"), *refused, capsys=capsys)
        assert code == 1 and "exists; pass --overwrite" in err and not (tmp_path / "new.jsonl").exists()
        assert (tmp_path / "mine.mp4").read_bytes() == b"mine"


def test_folder_to_folder_sorted_with_null_track_ids(tmp_path, capsys) -> None:
    from .conftest import shared_path

    folder = shared_path("data", "gesture_images", "rock")
    code, _out, _ = run_cli(str(folder), "-o", str(tmp_path / "ann"), "--json", str(tmp_path / "r.jsonl"),
                           capsys=capsys)
    assert code == 0
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["source"] for r in records] == sorted(str(p) for p in folder.glob("*.jpg"))
    assert all(h["track_id"] is None for r in records for h in r["hands"])
    assert sorted(p.name for p in (tmp_path / "ann").iterdir()) == sorted(p.name for p in folder.glob("*.jpg"))


def test_each_photo_gets_a_line_saying_what_it_holds(photo_paths, capsys) -> None:
    pattern = str(photo_paths[0].parent / "*.jpg")  # both photos show a thumb up, "open_hand" two of them
    code, out, _ = run_cli(pattern, "--gestures", "builtin", capsys=capsys)
    lines = out.splitlines()[:2]
    assert code == 0
    assert re.fullmatch(rf"{re.escape(str(photo_paths[0]))}: 1 hand: right 0\.9\d thumbs_up 1\.00 \(\d+\.\d ms\)",
                        lines[0])
    assert re.fullmatch(rf"{re.escape(str(photo_paths[1]))}: 1 hand: left 0\.9\d thumbs_up 1\.00 \(\d+\.\d ms\)",
                        lines[1])
    code, out, _ = run_cli(pattern, "--json", "-", capsys=capsys)  # standard output holds the records alone
    assert code == 0 and [json.loads(line)["source"] for line in out.splitlines()] == [str(p) for p in photo_paths]


@needs_gif
def test_glob_and_gif(photo_paths, tmp_path, capsys) -> None:
    pattern = str(photo_paths[0].parent / "*.jpg")
    code, out, _ = run_cli(pattern, "-o", str(tmp_path / "a.gif"), "--json", "-", capsys=capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 2 and (tmp_path / "a.gif").read_bytes()[:3] == b"GIF"


def test_glob_over_folders_keeps_equal_file_names_apart(photo_paths, tmp_path, capsys) -> None:
    for folder, photo in (("cam1", photo_paths[0]), ("cam2", photo_paths[1])):
        (tmp_path / "in" / folder).mkdir(parents=True)
        (tmp_path / "in" / folder / "0001.jpg").write_bytes(photo.read_bytes())
    code, _, err = run_cli(str(tmp_path / "in" / "*" / "*.jpg"), "-o", str(tmp_path / "ann"), capsys=capsys)
    assert code == 0, err
    written = sorted(p.relative_to(tmp_path / "ann").as_posix() for p in (tmp_path / "ann").rglob("*.jpg"))
    assert written == ["cam1/0001.jpg", "cam2/0001.jpg"]
    sizes = {cv2.imread(str(tmp_path / "ann" / name)).shape for name in written}
    assert len(sizes) == 2  # each output is its own input's picture, not one written over the other


def test_folder_without_images_says_what_to_pass(photo_paths, tmp_path, capsys) -> None:
    (tmp_path / "nested" / "a").mkdir(parents=True)
    (tmp_path / "nested" / "a" / "1.jpg").write_bytes(photo_paths[0].read_bytes())
    code, _, err = run_cli(str(tmp_path / "nested"), capsys=capsys)
    assert code == 1 and "its subfolders hold some, pass a quoted glob such as" in err


def test_several_videos_each_get_their_own_tracks_and_annotated_copy(video_path, tmp_path, capsys) -> None:
    cap = cv2.VideoCapture(str(video_path))
    frames = [cap.read()[1] for _ in range(20)]
    for name, part in (("cam1/clip.mp4", frames[:12]), ("cam2/clip.mp4", frames[12:])):
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        out = cv2.VideoWriter(str(tmp_path / "in" / name), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (640, 360))
        for f in part:
            out.write(f)
        out.release()
    (tmp_path / "in" / "cam2" / "broken.mp4").write_bytes(b"not a video")
    pattern = str(tmp_path / "in" / "*" / "*.mp4")
    code, _, err = run_cli(pattern, "-o", str(tmp_path / "one.mp4"), capsys=capsys)
    assert code == 1 and "holds 3 videos; give a folder for their annotated copies" in err
    (tmp_path / "ann" / "cam2").mkdir(parents=True)
    (tmp_path / "ann" / "cam2" / "clip.mp4").write_bytes(b"mine")
    code, _, err = run_cli(pattern, "-o", str(tmp_path / "ann"), capsys=capsys)  # refused before any work
    assert code == 1 and "clip.mp4 exists; pass --overwrite" in err and not (tmp_path / "ann" / "cam1").exists()
    code, out, err = run_cli(pattern, "-o", str(tmp_path / "ann"), "--json", str(tmp_path / "h.jsonl"),
                             "--overwrite", capsys=capsys)
    assert code == 0 and "skipped cannot open video" in err and "20 frames of 3 videos processed" in err
    rows = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    by_video: dict[str, list] = {}
    for r in rows:
        by_video.setdefault(Path(r["source"]).parent.name, []).append(r)
    assert [len(v) for v in by_video.values()] == [12, 8]
    for video in by_video.values():  # tracks start afresh with each video, and so does its timeline
        assert video[0]["frame"] == 0 and video[0]["timestamp_ms"] == 0.0
        assert {h["track_id"] for r in video for h in r["hands"]} == {1}
    for name, n in (("cam1", 12), ("cam2", 8)):
        copy = cv2.VideoCapture(str(tmp_path / "ann" / name / "clip.mp4"))
        assert int(copy.get(cv2.CAP_PROP_FRAME_COUNT)) == n
    code, _, err = run_cli(pattern, "--limit", "14", "--json", "-", capsys=capsys)  # the limit spans the videos
    assert code == 0 and "13 frames of 3 videos processed" in err and "1 skipped" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (a device that is always full) here")
def test_an_output_that_cannot_be_written_ends_a_run_of_several_videos(video_path, tmp_path, capsys) -> None:
    cap = cv2.VideoCapture(str(video_path))
    frames = [cap.read()[1] for _ in range(3)]
    for name in ("a.avi", "b.avi"):
        out = cv2.VideoWriter(str(tmp_path / name), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (640, 360))
        for f in frames:
            out.write(f)
        out.release()
    code, _, err = run_cli(str(tmp_path / "*.avi"), "--json", "/dev/full", capsys=capsys)
    # one error, not a "skipped" line for every video the full disk fails in turn
    assert code == 1 and err.strip() == "handpose: error: cannot write /dev/full: No space left on device", err


def test_flip_runs_on_the_mirrored_frames(video_path, tmp_path, capsys) -> None:
    runs = {}
    for name, extra in (("plain", []), ("flip", ["--flip", "-o", str(tmp_path / "f.mp4")])):
        code, _, _ = run_cli(str(video_path), "--limit", "5", "--json", str(tmp_path / f"{name}.jsonl"), *extra,
                             capsys=capsys)
        assert code == 0
        runs[name] = [json.loads(line)["hands"][0] for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    for a, b in zip(runs["plain"], runs["flip"], strict=True):
        assert a["handedness"] == b["handedness"] == "right"  # the person's own hand, whichever way it is shown
        ka, kb = np.array(a["keypoints"]), np.array(b["keypoints"])
        assert np.abs(639 - ka[:, 0] - kb[:, 0]).mean() < 4 and np.abs(ka[:, 1] - kb[:, 1]).mean() < 4
    copy = cv2.VideoCapture(str(tmp_path / "f.mp4"))  # the annotated copy shows the mirrored picture
    ok, shown = copy.read()
    original = cv2.VideoCapture(str(video_path)).read()[1]
    h, w = shown.shape[:2]
    corner = (slice(0, h // 3), slice(0, w // 4))  # no drawing there: the hand is at the right of the mirror
    to_mirror = np.abs(shown[corner].astype(int) - cv2.flip(original, 1)[corner]).mean()  # measured 2.0
    assert ok and to_mirror < 4 and np.abs(shown[corner].astype(int) - original[corner]).mean() > 4 * to_mirror


def test_stride_processes_every_nth_frame_at_its_true_time(video_path, tmp_path, photo_paths, capsys) -> None:
    code, _, err = run_cli(str(video_path), "--stride", "4", "-o", str(tmp_path / "s.mp4"), "--json",
                           str(tmp_path / "s.jsonl"), capsys=capsys)
    assert code == 0 and "51 frames processed, 51 hands found" in err  # frames 0, 4, ..., 200 of 202
    records = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records[:3]] == [0, 4, 8] and [r["timestamp_ms"] for r in records[:3]] == [0, 160, 320]
    assert {h["track_id"] for r in records for h in r["hands"]} == {1}  # still one track
    copy = cv2.VideoCapture(str(tmp_path / "s.mp4"))  # plays at the true speed: 51 frames at 25 / 4 fps
    assert int(copy.get(cv2.CAP_PROP_FRAME_COUNT)) == 51 and copy.get(cv2.CAP_PROP_FPS) == 6.25
    code, _, err = run_cli(str(photo_paths[0]), "--stride", "2", capsys=capsys)
    assert code == 1 and f"--stride is for video files, and {photo_paths[0]} is images" in err


def test_start_and_end_process_a_part_of_each_video(video_path, tmp_path, photo_paths, capsys) -> None:
    code, out, err = run_cli(str(video_path), "--start", "2", "--end", "0:03.2", "--stride", "2", "--json", "-",
                             capsys=capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and "15 frames processed, 15 hands found" in err
    assert [r["frame"] for r in records] == list(range(50, 80, 2)) and records[0]["timestamp_ms"] == 2000.0
    (tmp_path / "clips").mkdir()
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / "clips" / name).write_bytes(video_path.read_bytes())
    code, out, err = run_cli(str(tmp_path / "clips"), "--start", "7.9", "--json", "-", capsys=capsys)
    records = [json.loads(line) for line in out.splitlines()]  # 7.92 s to 8.04 s of each
    assert code == 0 and [(Path(r["source"]).name, r["frame"]) for r in records] == \
        [(name, i) for name in ("a.mp4", "b.mp4") for i in range(198, 202)]
    code, _, err = run_cli(str(video_path), "--start", "2", "--end", "1", capsys=capsys)
    assert code == 1 and "--end 1 s is not after --start 2 s" in err
    code, _, err = run_cli(str(video_path), "--start", "9", capsys=capsys)
    assert code == 1 and "has no frames from 9 s on (its last frame is at 8.04 s)" in err
    code, _, err = run_cli(str(photo_paths[0]), "--start", "1", capsys=capsys)
    assert code == 1 and f"a start or end time reads a part of a video file; {photo_paths[0]} is images" in err
    with pytest.raises(SystemExit) as exit_:  # an argparse error, before any model is loaded
        run_cli(str(video_path), "--end", "1:75", capsys=capsys)
    assert exit_.value.code == 2
    assert "expected seconds or [H:]M:SS such as 90, 1:30 or 0:01:30.5, got '1:75'" in capsys.readouterr().err


def test_fps_gives_a_folder_of_frames_its_rate(video_path, tmp_path, capsys) -> None:
    capture = cv2.VideoCapture(str(video_path))
    for i in range(4):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), capture.read()[1])
    code, out, _ = run_cli(str(tmp_path), "--mode", "video", "--fps", "50", "--json", "-",
                           "-o", str(tmp_path / "out.mp4"), capsys=capsys)
    assert code == 0 and [json.loads(line)["timestamp_ms"] for line in out.splitlines()] == [0.0, 20.0, 40.0, 60.0]
    assert cv2.VideoCapture(str(tmp_path / "out.mp4")).get(cv2.CAP_PROP_FPS) == 50.0  # not the 25 assumed without
    code, _, err = run_cli(str(video_path), "--fps", "50", capsys=capsys)
    assert code == 1 and "fps is asked of a camera, or gives a folder of frames its rate; " \
        f"{video_path} is a video, which has its own" in err


def test_udp_sends_each_frame_record_as_a_datagram(video_path, capsys) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        port = rx.getsockname()[1]
        code, out, _ = run_cli(str(video_path), "--limit", "6", "--udp", f"127.0.0.1:{port}", capsys=capsys)
        assert code == 0 and f"udp: 6 datagrams to 127.0.0.1:{port}" in out
        records = [json.loads(rx.recv(65536)) for _ in range(6)]
    assert [r["frame"] for r in records] == list(range(6)) and all(len(r["hands"]) == 1 for r in records)
    assert records[0]["hands"][0]["track_id"] == 1 and len(records[0]["hands"][0]["keypoints"]) == 21
    # nobody listening is not an error: the frames are simply lost
    code, out, _ = run_cli(str(video_path), "--limit", "2", "--udp", f"127.0.0.1:{port}", capsys=capsys)
    assert code == 0 and "udp: " in out
    for bad in ("localhost", "localhost:http", "127.0.0.1:70000"):
        code, _, err = run_cli(str(video_path), "--limit", "1", "--udp", bad, capsys=capsys)
        assert code == 1 and f"--udp {bad}: expected HOST:PORT" in err


@pytest.mark.parametrize("table", ["--json", "--csv"])
def test_standard_output_holds_only_the_records_when_they_go_there(table, video_path, tmp_path, capsys) -> None:
    code, out, err = run_cli(str(video_path), "--limit", "3", table, "-", "-o", str(tmp_path / "a.mp4"),
                             "--udp", "127.0.0.1:9", capsys=capsys)
    lines = out.splitlines()
    if table == "--json":
        assert [json.loads(line)["frame"] for line in lines] == [0, 1, 2]
    else:
        assert len(lines) == 4 and lines[0].startswith("source,frame,")
    assert code == 0 and f"annotated output: {tmp_path / 'a.mp4'}" in err and "udp: 3 datagrams" in err


def test_on_runs_a_command_for_each_gesture_that_starts(video_path, tmp_path, capsys, caplog) -> None:
    log, hook, records = tmp_path / "log.txt", tmp_path / "hook.py", tmp_path / "g.jsonl"
    names = ("GESTURE", "PHASE", "TRACK_ID", "HANDEDNESS", "START_MS")
    hook.write_text("import os, sys\nwith open(sys.argv[1], 'a') as f:\n"
                    f"    f.write(' '.join(os.environ['HANDPOSE_' + k] for k in {names!r}) + '\\n')\n")
    command = f'"{sys.executable}" "{hook}" "{log}"'
    code, out, _ = run_cli(str(video_path), "--gestures", "builtin", "--json", str(records),
                             "--on", f"open_palm={command}", "--on", "four=exit 3", capsys=capsys)
    events = [e for line in records.read_text().splitlines() for e in json.loads(line)["events"]
              if e["phase"] == "start"]
    palms = [e for e in events if e["label"] == "open_palm"]
    fours = [e for e in events if e["label"] == "four"]
    assert code == 0 and len(palms) >= 2 and fours  # the clip: an open hand, a four while it turns
    assert sorted(log.read_text().splitlines()) == sorted(f"open_palm start 1 right {e['start_ms']:.1f}"
                                                          for e in palms)  # an end runs nothing
    assert f"on: {len(palms) + len(fours)} commands started, {len(fours)} failed" in out
    assert "--on command 'exit 3' exited with 3" in caplog.text  # reported, and the run goes on


@pytest.mark.parametrize(("argv", "message"), [
    (["--on", "open_palm"], "argument --on: expected LABEL=COMMAND"),
    (["--on", "open_palm=echo"], "--on runs commands on gestures: add --gestures"),
    (["--gestures", "builtin", "--on", "open_plam=echo"], "no gesture 'open_plam' to wait for: did you mean open_pa"),
])
def test_on_refuses_what_could_never_run(argv, message, photo_paths, capsys) -> None:
    try:
        code, _, err = run_cli(str(photo_paths[1]), *argv, capsys=capsys)
    except SystemExit as e:  # an argparse error
        code, err = e.code, capsys.readouterr().err
    assert code in (1, 2) and message in err


def test_providers_choose_onnxruntime_and_are_checked(photo_paths, capsys) -> None:
    code, _, err = run_cli(str(photo_paths[1]), "--providers", "cpu", "--json", "-", capsys=capsys)
    assert code == 0 and "1 image processed, 1 hand found" in err and "engine onnxruntime" in err
    code, _, err = run_cli(str(photo_paths[1]), "--providers", "cuda", "--engine", "litert", capsys=capsys)
    assert code == 1 and "--providers are ONNX Runtime's: use them with --engine onnxruntime, not litert" in err
    code, _, err = run_cli(str(photo_paths[1]), "--providers", "nope", capsys=capsys)
    assert code == 1 and "onnxruntime providers ['nope'] are not available here (available: [" in err


def test_unsupported_video_output_names_the_formats_that_work(video_path, tmp_path, capsys) -> None:
    code, _, err = run_cli(str(video_path), "-o", str(tmp_path / "a.wmv"), "--limit", "2", capsys=capsys)
    assert code == 1 and "unsupported format .wmv (use .mp4, .m4v, .mov, .avi, .mkv, .webm, .gif or a folder)" in err
    assert not (tmp_path / "a.wmv").exists()


def test_single_image_to_named_file(photo_paths, tmp_path, capsys) -> None:
    code, out, _ = run_cli(str(photo_paths[1]), "-o", str(tmp_path / "thumb.png"), capsys=capsys)
    assert code == 0 and cv2.imread(str(tmp_path / "thumb.png")).shape == (521, 640, 3)
    assert f"annotated output: {tmp_path / 'thumb.png'}\n" in out  # the file, not its folder
    code, _, _ = run_cli(str(photo_paths[1]), "-o", str(tmp_path / "thumb.tif"), capsys=capsys)
    assert code == 0 and cv2.imread(str(tmp_path / "thumb.tif")).shape == (521, 640, 3)
    # several images cannot go to one image file: refused before any work, not a folder named "both.jpg"
    code, out, err = run_cli(str(photo_paths[0].parent / "*.jpg"), "-o", str(tmp_path / "both.jpg"), capsys=capsys)
    assert code == 1 and "holds 2 images; give a folder for their annotated copies" in err
    assert not (tmp_path / "both.jpg").exists() and ": 1 hand" not in out
    (tmp_path / "shots.png").mkdir()  # a folder the user already has, whatever its name
    code, _, _ = run_cli(str(photo_paths[0].parent / "*.jpg"), "-o", str(tmp_path / "shots.png"), capsys=capsys)
    assert code == 0 and sorted(p.name for p in (tmp_path / "shots.png").iterdir()) == sorted(
        p.name for p in photo_paths)


def test_confidence_thresholds_drop_doubtful_hands(photo_paths, capsys) -> None:
    def scores(*options: str) -> list[list[float]]:
        code, out, _ = run_cli(str(photo_paths[0].parent / "*.jpg"), "--json", "-", *options, capsys=capsys)
        assert code == 0
        return [[h["score"] for h in json.loads(line)["hands"]] for line in out.splitlines()]

    open_hand, thumb = scores()  # the open hand is the less certain one (presence about 0.90, thumb 0.998)
    assert len(open_hand) == len(thumb) == 1 and open_hand[0] < 0.95 < thumb[0]
    assert scores("--min-presence", "0.95") == [[], thumb]
    assert scores("--min-detection-confidence", "0.99") == [[], []]  # no palm is that certain


def test_gray_chooses_how_gray_frames_reach_the_models(photo_paths, tmp_path, capsys) -> None:
    gray = tmp_path / "gray.png"  # as an infrared or monochrome camera would take the thumbs-up photo
    cv2.imwrite(str(gray), cv2.cvtColor(cv2.imread(str(photo_paths[1])), cv2.COLOR_BGR2GRAY))

    def hands(*options: str) -> int:
        code, out, _ = run_cli(str(gray), "--json", "-", *options, capsys=capsys)
        assert code == 0
        return len(json.loads(out)["hands"])

    assert hands() == 1 and hands("--gray", "skin") == 1
    assert hands("--gray", "plain") == 0  # its palm scores 0.2 in plain gray


def test_a_gray_video_file_is_tracked_in_a_skin_tone(video_path, tmp_path, capsys) -> None:
    """A gray recording (frames 50-99 of the shared video, MPEG-4: its channels come back a few levels apart)."""
    cap = cv2.VideoCapture(str(video_path))
    frames = [cap.read()[1] for _ in range(100)][50:]
    writer = cv2.VideoWriter(str(tmp_path / "gray.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 360))
    for f in frames:
        writer.write(cv2.cvtColor(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR))
    writer.release()
    found = {}
    for gray in ("skin", "plain"):
        code, out, _ = run_cli(str(tmp_path / "gray.mp4"), "--json", "-", "--gray", gray, capsys=capsys)
        assert code == 0
        found[gray] = sum(bool(json.loads(line)["hands"]) for line in out.splitlines())
    assert found["skin"] >= 45 and found["plain"] <= 5  # measured: 50 and 0 of 50 (MediaPipe: 0 on the whole video)


def test_existing_output_is_not_overwritten(photo_paths, tmp_path, capsys) -> None:
    target = tmp_path / "h.jsonl"
    target.write_text("keep me")
    code, _, err = run_cli(str(photo_paths[0]), "--json", str(target), capsys=capsys)
    assert code == 1 and "exists; pass --overwrite" in err and target.read_text() == "keep me"
    link = tmp_path / "link.jsonl"  # a link to the user's file protects it as well
    with contextlib.suppress(OSError):  # Windows without developer mode cannot make links
        link.symlink_to(target)
    if link.is_symlink():
        code, _, err = run_cli(str(photo_paths[0]), "--json", str(link), capsys=capsys)
        assert code == 1 and "exists; pass --overwrite" in err and target.read_text() == "keep me"
    code, _, _ = run_cli(str(photo_paths[0]), "--json", str(target), "--overwrite", capsys=capsys)
    assert code == 0 and json.loads(target.read_text())["hands"]


@pytest.mark.skipif(NULL_DEVICE is None, reason="no null device file here")
def test_a_device_is_written_to_without_overwrite(photo_paths, capsys) -> None:
    # /dev/null (a device, like /dev/stdout or a named pipe) is not a file of the user's to protect
    code, _, err = run_cli(str(photo_paths[0]), "--json", str(NULL_DEVICE), "--csv", str(NULL_DEVICE), capsys=capsys)
    assert code == 0 and "exists" not in err


@pytest.mark.parametrize(("inputs", "argv"), [
    (["clip.mp4"], ["run", "clip.mp4", "-o", "./clip.mp4", "--overwrite", "--limit", "3"]),  # read while written
    (["clip.mp4"], ["run", "clip.mp4", "--json", "clip.mp4", "--overwrite"]),
    (["a.jpg"], ["run", "a.jpg", "-o", "a.jpg", "--overwrite"]),
    (["a.jpg", "b.jpg"], ["run", ".", "-o", ".", "--overwrite"]),  # each annotated image onto its own input
    (["k.csv"], ["gestures", "record", "k.csv", "-o", "k.csv", "--append"]),
])
def test_an_input_is_never_an_output_even_with_overwrite(inputs, argv, video_path, photo_paths, tmp_path,
                                                         monkeypatch, capsys) -> None:
    originals = {"clip.mp4": video_path.read_bytes(), "a.jpg": photo_paths[0].read_bytes(),
                 "b.jpg": photo_paths[1].read_bytes(), "k.csv": ("0," + ",".join(["0.5"] * 42) + "\n").encode()}
    for name in inputs:
        (tmp_path / name).write_bytes(originals[name])
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and "is an input of this run: an output must not replace or change what is read" in err
    assert all((tmp_path / n).read_bytes() == originals[n] for n in inputs)


@pytest.mark.parametrize("kind", ["missing", "corrupt", "unsupported", "empty", "zero_size_png"])
def test_bad_single_inputs_fail_with_one_clear_line(kind, tmp_path, capsys) -> None:
    path = {"missing": tmp_path / "nope.jpg", "corrupt": tmp_path / "bad.jpg", "unsupported": tmp_path / "x.xyz",
            "empty": tmp_path / "e.jpg", "zero_size_png": tmp_path / "z.png"}[kind]
    if kind == "corrupt":
        path.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    elif kind == "unsupported":
        path.write_bytes(b"data")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zero_size_png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    code, _, err = run_cli(str(path), capsys=capsys)
    assert code != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("handpose: error:")
    assert str(path.name) in err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "x.jpg", "--limit", "0"], "argument --limit: must be at least 1, got 0"),
    (["run", "rtsp://cam/1", "--reconnect", "-5"], "argument --reconnect: must be 0 or more seconds, got -5"),
    (["run", "0", "--size", "1280"], "argument --size: expected WIDTHxHEIGHT in pixels such as 1280x720, got '1280'"),
    (["run", "0", "--fps", "0"], "argument --fps: must be above 0, got 0"),
    (["run", "x.jpg", "--detect-every", "-2"], "argument --detect-every: must be at least 1, got -2"),
    (["run", "x.jpg", "--max-hands", "two"], "argument --max-hands: expected a whole number, got 'two'"),
    (["run", "x.jpg", "--min-presence", "1.5"], "argument --min-presence: must be a probability from 0 to 1, got 1.5"),
    (["bench", "x.mp4", "--frames", "0"], "argument --frames: must be at least 1, got 0"),
    (["gestures", "train", "d.csv", "-o", "m.npz", "--cv", "1"], "argument --cv: must be 0 (no cross-validation) or"),
    (["gestures", "train", "d.csv", "-o", "m.npz", "--holdout-last", "1.5"],
     "argument --holdout-last: must be at least 0 and below 1, got 1.5"),
    (["gestures", "train", "d.csv", "-o", "m.npz", "--reject", "-0.1"], "argument --reject: must be at least 0"),
    (["gestures", "train", "d.csv", "-o", "m.npz", "--ensemble", "0"], "argument --ensemble: must be at least 1"),
    (["gestures", "record", "v.mp4", "-o", "d.csv", "--every", "0"], "argument --every: must be at least 1, got 0"),
    (["models", "quantize", "hand_full", "--calib", "v.mp4", "--crops", "4"], "argument --crops: must be at least 8"),
])
def test_numbers_out_of_range_are_refused_before_anything_runs(argv, message, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_folder_with_bad_items_goes_on(photo_paths, tmp_path, capsys) -> None:
    (tmp_path / "1.jpg").write_bytes(photo_paths[0].read_bytes())
    (tmp_path / "2.jpg").write_bytes(b"garbage")
    cv2.imwrite(str(tmp_path / "3.png"), (np.random.default_rng(0).random((50, 60)) * 65535).astype(np.uint16))
    cv2.imwrite(str(tmp_path / "4.png"), cv2.cvtColor(cv2.imread(str(photo_paths[0])), cv2.COLOR_BGR2BGRA))
    code, _, err = run_cli(str(tmp_path), "--json", str(tmp_path / "o.jsonl"), capsys=capsys)
    assert code == 0 and "skipped cannot decode image" in err and "2.jpg" in err
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["source"].rsplit("/", 1)[1] for r in records] == ["1.jpg", "3.png", "4.png"]
    assert len(records[0]["hands"]) == 1 and len(records[2]["hands"]) == 1  # BGRA works like BGR


def test_huge_image_is_refused_clearly(tmp_path, capsys) -> None:
    path = tmp_path / "huge.png"
    big = np.zeros((9000, 12000), np.uint8)  # 108 megapixels (grayscale keeps the test light)
    cv2.imwrite(str(path), big)
    code, _, err = run_cli(str(path), capsys=capsys)
    assert code == 1 and "megapixel limit" in err and "huge.png" in err


def test_unavailable_camera_and_stream(capsys) -> None:
    code, _, err = run_cli("97", capsys=capsys)
    assert code == 1 and "camera 97 is not available" in err
    code, _, err = run_cli("rtsp://127.0.0.1:9/none", capsys=capsys)
    assert code == 1 and "handpose: error:" in err


def test_cli_subprocess_has_no_traceback(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "handpose", "run", str(tmp_path / "missing.mp4")],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"handpose: error: source not found: {tmp_path / 'missing.mp4'} (expected an " \
                                  "image, folder, glob, video, camera index or URL)"
    version = subprocess.run([sys.executable, "-m", "handpose", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("handpose ")


def test_show_without_gui_is_a_clear_error(photo_paths, capsys, monkeypatch) -> None:
    from handpose.cli.doctor import _gui

    if _gui():  # opening a window to find out could abort the process (Qt without a display)
        pytest.skip(f"this OpenCV has a GUI ({_gui()})")
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop: the missing GUI is what stops it
    code, _, err = run_cli(str(photo_paths[0]), "--show", capsys=capsys)
    assert code == 1 and "--show: the 'handpose' window needs OpenCV with GUI support" in err


def test_show_without_a_display_is_a_clear_error(photo_paths, capsys, monkeypatch) -> None:
    # an SSH session or a server: OpenCV's Qt build would abort the process when asked for a window there
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, _, err = run_cli(str(photo_paths[0]), "--show", capsys=capsys)
    assert code == 1 and "--show: the 'handpose' window cannot open: no display (DISPLAY is not set" in err
    from handpose.cli import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "windows  no: headless OpenCV" in out or "but no display (DISPLAY is not set" in out


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01"


@pytest.mark.parametrize(("files", "argv", "message"), [
    ({"photo.jpg": JPEG_BYTES}, ["gestures", "train", "photo.jpg", "-o", "m.npz"],
     "dataset photo.jpg is not a text file (expected CSV)"),
    ({"d.csv": b"0,1,2\n"}, ["gestures", "train", "d.csv", "--labels-file", "names.csv", "-o", "m.npz"],
     "labels file not found: names.csv"),
    ({"mine.toml": JPEG_BYTES}, ["run", "x.jpg", "--gestures", "mine.toml"], "mine.toml: not a text TOML file"),
    ({"x.jpg": JPEG_BYTES}, ["run", "x.jpg", "--gestures", " , "], "no gesture classifier given: expected 'builtin'"),
    ({"mine.npz": JPEG_BYTES}, ["run", "x.jpg", "--gestures", "mine.npz"],
     "mine.npz is not a handpose gesture model (not an .npz archive)"),
    ({"a.json": JPEG_BYTES}, ["eval", "a.json"], "cannot read annotations a.json: not a JSON text file"),
    ({"clips/wave/a.txt": b"notes"}, ["gestures", "eval", "builtin", "clips", "-o", "r"],
     "no images or videos in the <label>/ subfolders of clips"),
    ({"shots/fist/a.jpg": JPEG_BYTES, "shots/fist/b.mp4": b"not a video"},
     ["gestures", "eval", "builtin", "shots", "-o", "r"], "no hand found in any of the 2 images or videos"),
    ({"a.json": b'[{"image": "1.jpg", "hands": [{"keypoints": [1, 2]}]}]'}, ["eval", "a.json"],
     "a.json, image 0: malformed annotation (cannot reshape array of size 2"),
    ({"a.json": b'[{"image": "1.jpg", "hands": []}]'}, ["eval", "a.json"], "no annotated hands in a.json"),
    ({"a.json": b'[{"hands": [{"keypoints": ' + str([[1, 2, 1]] * 21).encode() + b"}]}]"}, ["eval", "a.json"],
     "a.json, image 0: malformed annotation (missing 'image')"),
    ({"a.json": b'[{"image": "gone.jpg", "hands": [{"keypoints": ' + str([[1, 2, 1]] * 21).encode() + b"}]}]"},
     ["eval", "a.json", "--reference", "none"], "none of the 1 annotated images could be read (the first: gone.jpg)"),
    ({"c.json": b'{"images": 3}'}, ["eval", "c.json"], "c.json: 'images' and 'annotations' must be lists"),
    ({"c.json": b'{"annotations": [{"righthand_kpts": [1, 2]}]}'}, ["eval", "c.json"],
     "c.json, annotation 0: malformed annotation"),
])
def test_files_of_the_wrong_kind_get_one_clear_line(files, argv, message, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jpg").write_bytes(JPEG_BYTES)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and f"handpose: error: {message}" in err and "internal error" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "x.jpg", "--json", "blocker/h.jsonl"], "cannot write into blocker: blocker is a file"),
    (["run", "x.jpg", "--json", "folder"], "folder is a folder: give a file name"),
    (["gestures", "train", "d.csv", "-o", "blocker/m.npz"], "cannot write into blocker: blocker is a file"),
    (["gestures", "record", "x.jpg", "--label", "a", "-o", "folder"], "folder is a folder: give a file name"),
    (["gestures", "eval", "builtin", "d.csv", "-o", "blocker"], "cannot write into blocker: blocker is a file"),
    (["bench", "x.jpg", "--plot", "blocker/sub/b.png"], "cannot write into blocker/sub: blocker is a file"),
    (["bench", "x.jpg", "--json", "r.txt", "--markdown", "./r.txt"],
     "--json and --markdown both name ./r.txt: give each output a file of its own"),
    (["eval", "a.json", "--json", "blocker/e.json"], "cannot write into blocker: blocker is a file"),
])
def test_outputs_that_cannot_be_written_are_refused_before_the_work(argv, message, tmp_path, monkeypatch,
                                                                      capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocker").write_text("a file standing where a folder must go")
    (tmp_path / "folder").mkdir()
    (tmp_path / "x.jpg").write_bytes(JPEG_BYTES)
    (tmp_path / "d.csv").write_text("no,rows,here\n")
    (tmp_path / "a.json").write_text("[]")
    before = sorted(tmp_path.rglob("*"))
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and f"handpose: error: {message}" in err
    assert sorted(tmp_path.rglob("*")) == before  # refused before anything was read, trained or written


def test_a_file_system_refusal_is_an_error_line_not_an_internal_error(photo_paths, tmp_path, monkeypatch,
                                                                      capsys) -> None:
    import handpose.sinks.records

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "h.jsonl"))

    monkeypatch.setattr(handpose.sinks.records, "open", refuse, raising=False)
    code = main(["run", str(photo_paths[0]), "--json", str(tmp_path / "h.jsonl")])
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == f"handpose: error: Permission denied: {tmp_path / 'h.jsonl'}"


def test_quantize_by_the_trackers_variant_name_prints_its_pair(monkeypatch, capsys) -> None:
    import handpose.quantize

    measured = {"model": "hand_lite_int8", "from": "hand_lite", "keypoint_px_mean": 1.2, "keypoint_px_p90": 2.2,
                "keypoint_image_px_mean": 1.3, "handedness_agreement": 1.0, "fp32_ms": 2.5, "int8_ms": 1.3,
                "recommended_default": True}
    monkeypatch.setattr(handpose.quantize, "quantize_landmarks", lambda name, *a, **k: measured)
    assert main(["models", "quantize", "lite", "--calib", "v.mp4"]) == 0  # 'lite' has no '_' to split on
    out = capsys.readouterr().out
    assert "palm_model='palm_lite', landmark_model='hand_lite_int8'" in out


@pytest.mark.parametrize("verbose", [False, True])
def test_the_cli_prints_its_own_progress_and_only_the_warnings_of_other_libraries(verbose, monkeypatch,
                                                                                    capsys) -> None:
    """ONNX Runtime's quantizer logs every scale it adjusts at INFO on the root logger: not handpose's to print."""
    import logging

    from handpose.cli import _configure_logging

    monkeypatch.setattr(logging.root, "handlers", [])  # as in a fresh process; the originals come back after
    monkeypatch.setattr(logging.root, "level", logging.root.level)
    monkeypatch.setattr(logging.getLogger("handpose"), "level", logging.getLogger("handpose").level)
    _configure_logging(verbose)
    logging.info("Increased scale[50] for weight `w_167`")  # what onnxruntime.quantization does
    logging.getLogger("onnxruntime").warning("a provider fell back to CPU")
    logging.getLogger("handpose").info("2 images processed")
    err = capsys.readouterr().err
    assert "handpose: 2 images processed" in err and "handpose: a provider fell back to CPU" in err
    assert ("Increased scale" in err) == verbose
