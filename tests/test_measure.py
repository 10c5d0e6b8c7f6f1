"""Benchmark (structure, not timings), evaluation metrics and matching, INT8 quantization."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from handpose.benchmark import BenchConfig, run_benchmark
from handpose.benchmark.report import plot, render
from handpose.cli import main
from handpose.engines import litert
from handpose.errors import InputError
from handpose.evaluation import GTHand, Tally, load_annotations, match
from handpose.registry import get_model, model_path

from .conftest import needs_litert, shared_path

pytestmark = pytest.mark.usefixtures("models_ready")
ENGINE = "litert" if litert.available() else "onnxruntime"  # auto's choice on a CPU


@needs_litert
def test_bench_smoke_report_structure(video_path, tmp_path) -> None:
    cfg = BenchConfig(source=str(video_path), limit=12, engines=("litert", "onnxruntime"), modes=("image", "video"),
                      max_hands=(1,), batches=(1, 2), hand_counts=(1, 2), cold_start=True, warmup=2, block=4,
                      still_frames=24)
    report = run_benchmark(cfg, progress=False)
    assert report["frames"] == 12 and report["size"] == "640x360"
    # OpenCV comes from one of several wheels (-headless, -python, -contrib): the report names the one running
    assert report["machine"]["packages"]["opencv"] == cv2.__version__
    assert {(r["engine"], r["mode"]) for r in report["pipeline"]} == {
        ("litert", "image"), ("litert", "video"), ("onnxruntime", "image"), ("onnxruntime", "video")}
    image_row = next(r for r in report["pipeline"] if r["mode"] == "image" and r["engine"] == "litert")
    assert image_row["frames"] == 10 and image_row["hands_per_frame"] == 1.0
    assert {"palm_model", "landmark_model", "crop", "post"} <= set(image_row["stages"])
    assert image_row["total_ms"]["median"] >= image_row["stages"]["landmark_model"]["median"] > 0
    assert [r["batch"] for r in report["landmark_batch"]] == [1, 2, 1, 2]
    assert [r["hands_found"] for r in report["hands_scaling"]] == [1.0, 2.0]
    assert {m["who"] for m in report["memory"]} == {"handpose litert", "handpose onnxruntime"}
    assert all(m["rss_mb"] > 10 and m["cold_ms"] > 0 for m in report["memory"])
    assert report["ratios"] == [] and any("reference" in n for n in report["notes"])
    still, moving = report["stability"]["still"], report["stability"]["moving"]
    assert still["frames"] == 18 and "mediapipe" not in still and still["palm_px"] > 50
    assert still["smoothed"]["step_px"] < still["raw"]["step_px"] / 2  # what smoothing is for
    assert moving["frames"] == 12 and 0 < moving["lag_ms"] < 200 and moving["aligned_px"] <= moving["offset_px"]
    text = render(report)
    for section in ("End to end per frame", "Per stage", "Landmark model alone", "Cost versus hands",
                    "Stability: a still hand's jitter", "the smoothed keypoints trail the unsmoothed by", "Cold start"):
        assert section in text
    assert render(report, markdown=True).count("| --- |") >= 1
    report["memory"][0]["rss_mb"] = None  # a system that does not tell its peak memory
    assert "| handpose litert | " in render(report, markdown=True)
    assert render(report, markdown=True).split("| handpose litert | ")[1].split("\n")[0].endswith("| - |")
    png = plot(report, tmp_path / "bench.png")
    assert cv2.imread(str(png)).shape[1] == 1100
    json.dumps(report)


def test_bench_keeps_the_frames_that_fit_in_its_memory_budget(video_path, caplog) -> None:
    # every frame is held in memory for all sides to share: a 4K or long video would not fit
    from handpose.benchmark import decode_times, load_frames

    frame_bytes = 640 * 360 * 3
    frames, fps = load_frames(str(video_path), None, max_bytes=10 * frame_bytes)
    assert len(frames) == 10 and fps == 25 and "uses the first 10 (0.0 GB); --frames N chooses" in caplog.text
    caplog.clear()
    frames, _ = load_frames(str(video_path), 12, max_bytes=10 * frame_bytes)  # a chosen count is kept
    assert len(frames) == 12 and not caplog.text
    times = decode_times(str(video_path), 5)
    assert len(times) == 5 and all(t > 0 for t in times)
    assert len(decode_times(str(video_path), 500)) == 202  # stops at the end


def test_bench_cli(video_path, tmp_path, capsys) -> None:
    code = main(["bench", str(video_path), "--frames", "8", "--engines", ENGINE, "--modes", "video",
                 "--max-hands", "1", "--batches", "1", "--hands", "1", "--no-cold-start", "--no-stability",
                 "--reference", "none",
                 "--json", str(tmp_path / "b.json"), "--markdown", str(tmp_path / "b.md"),
                 "--plot", str(tmp_path / "b.png")])
    assert code == 0
    assert json.loads((tmp_path / "b.json").read_text())["frames"] == 8
    assert (tmp_path / "b.md").read_text().startswith("### handpose bench")
    assert "End to end per frame" in capsys.readouterr().out
    assert main(["bench", str(video_path), "--engines", "tensorflow"]) == 1


def test_bench_on_a_part_of_a_video(video_path, tmp_path, capsys, photo_paths) -> None:
    from handpose.benchmark import decode_times, load_frames

    whole, _ = load_frames(str(video_path), None)
    part, fps = load_frames(str(video_path), None, part={"start": 2.0, "end": 3.0})
    assert fps == 25 and len(part) == 25 and all(np.array_equal(a, b) for a, b in zip(part, whole[50:75], strict=True))
    assert len(decode_times(str(video_path), 500, {"start": 7.0})) == 202 - 175
    code = main(["bench", str(video_path), "--start", "0:02", "--end", "2.4", "--engines", ENGINE, "--modes",
                 "video", "--max-hands", "1", "--batches", "1", "--hands", "1", "--no-cold-start", "--no-stability",
                 "--reference", "none", "--json", str(tmp_path / "b.json")])
    assert code == 0
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["frames"] == 10 and report["part"] == {"start": 2.0, "end": 2.4}
    assert f"handpose bench: {video_path} from 2 s to 2.4 s (10 frames, 640x360)" in capsys.readouterr().out
    assert main(["bench", str(photo_paths[0]), "--start", "1"]) == 1
    assert "a start or end time reads a part of a video file" in capsys.readouterr().err
    assert main(["bench", str(video_path), "--start", "3", "--end", "2"]) == 1
    assert "--end 2 s is not after --start 3 s" in capsys.readouterr().err


def test_bench_times_the_tiles_when_asked(video_path, tmp_path, capsys) -> None:
    from handpose.benchmark.pipelines import _Ours

    assert _Ours(BenchConfig(source="", zoom=2.0), ENGINE, "image", 1).tracker.zoom == 2.0
    code = main(["bench", str(video_path), "--frames", "4", "--engines", ENGINE, "--modes", "image",
                 "--max-hands", "1", "--batches", "1", "--hands", "1", "--no-cold-start", "--no-stability",
                 "--reference", "none",
                 "--zoom", "2", "--json", str(tmp_path / "b.json")])
    assert code == 0 and json.loads((tmp_path / "b.json").read_text())["zoom"] == 2.0
    assert "handpose with --zoom 2 (MediaPipe has no tiles)" in capsys.readouterr().out


def test_matching_rule_and_metrics() -> None:
    kp = np.zeros((21, 3), np.float32)
    kp[:, 0] = np.linspace(10, 50, 21)
    kp[:, 1] = np.linspace(10, 90, 21)
    kp[:, 2] = 1
    gt = [GTHand(kp, np.array([0, 0, 60, 100], np.float32)),
          GTHand(kp + [200, 0, 0], np.array([200, 0, 260, 100], np.float32))]
    near = kp[:, :2] + 4.0  # 4 px off in x and y
    far = kp[:, :2] + [500, 500]
    assert match([far, near], gt) == [(0, 1)]
    t = Tally()
    t.add([near, far], gt)
    s = t.summary()
    assert (s["gt_hands"], s["matched"], s["recall"], s["precision"]) == (2, 1, 0.5, 0.5)
    # error 4*sqrt(2) = 5.66 px over a long side of 80 px = 0.07: inside PCK@0.1
    assert s["pck@0.1"] == 1.0 and s["epe_px"] == pytest.approx(5.657, abs=1e-3)
    assert s["pck@0.2_all_hands"] == 0.5
    # a hand cut off by the picture's edge: 3 points labelled, inside the picture; the prediction's others beyond
    edge = kp.copy()
    edge[3:, 2] = 0
    cut = GTHand(edge, np.array([8, 8, 20, 30], np.float32))
    assert match([near], [cut]) == [(0, 0)] and match([far], [cut]) == []


def test_eval_on_hands21_and_coco_agree(tmp_path, capsys) -> None:
    ann = shared_path("data", "keypoints", "hands21_dev.json")
    code = main(["eval", str(ann), "--reference", "none", "--json", str(tmp_path / "e.json"), "--draw",
                 str(tmp_path / "pics")])
    assert code == 0
    report = json.loads((tmp_path / "e.json").read_text())
    ours = report["runs"]["handpose"]["overall"]
    assert ours["gt_hands"] == 12 and ours["matched"] == 12 and ours["precision"] == 1.0  # MediaPipe: 10
    assert ours["pck@0.2"] >= 0.8 and set(report["runs"]["handpose"]["per_source"]) == {"freihand", "onehand10k"}
    out = capsys.readouterr().out
    assert "pck@0.2" in out and f"pictures: 12 in {tmp_path / 'pics'}" in out
    # a picture per annotated image, a panel per run (handpose, and its int8 variant when built)
    for item in json.loads(ann.read_text()):
        picture = cv2.imread(str(tmp_path / "pics" / f"{Path(item['image']).stem}.jpg"))
        scale = min(640 / item["width"], 480 / item["height"])
        assert picture.shape[:2] == (26 + round(item["height"] * scale),
                                     len(report["runs"]) * round(item["width"] * scale))
    # pictures of an earlier evaluation are not replaced unless asked, and that is said before evaluating
    assert main(["eval", str(ann), "--reference", "none", "--draw", str(tmp_path / "pics")]) == 1
    first = Path(json.loads(ann.read_text())[0]["image"]).stem
    assert f"{first}.jpg exists; pass --overwrite" in capsys.readouterr().err
    # the same annotations in COCO-WholeBody form give the same numbers
    data = json.loads(ann.read_text())
    coco = {"images": [], "annotations": []}
    for i, item in enumerate(data):
        coco["images"].append({"id": i, "file_name": str(ann.parent / item["image"]), "width": item["width"],
                               "height": item["height"]})
        for h in item["hands"]:
            side = h.get("handedness") or "right"
            coco["annotations"].append({"image_id": i, f"{side}hand_kpts": np.ravel(h["keypoints"]).tolist(),
                                        f"{side}hand_box": h["bbox"], f"{side}hand_valid": True})
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    images = load_annotations(tmp_path / "coco.json")
    assert sum(len(i.hands) for i in images) == 12
    code = main(["eval", str(tmp_path / "coco.json"), "--reference", "none", "--json", str(tmp_path / "c.json")])
    coco_overall = json.loads((tmp_path / "c.json").read_text())["runs"]["handpose"]["overall"]
    assert coco_overall["matched"] == ours["matched"] and coco_overall["pck@0.2"] == pytest.approx(ours["pck@0.2"])
    # and in the COCO form of hand datasets (and of 'run --coco'): an annotation per hand, 21 keypoints
    hands = {"images": coco["images"], "annotations": [
        {"id": n, "image_id": a["image_id"], "category_id": 1, "keypoints": a[f"{side}hand_kpts"],
         "bbox": a[f"{side}hand_box"], "attributes": {"handedness": side}}
        for n, a in enumerate(coco["annotations"]) for side in ("left", "right") if f"{side}hand_kpts" in a]}
    (tmp_path / "hands.json").write_text(json.dumps(hands))
    expected = load_annotations(ann)
    for got, want in zip(load_annotations(tmp_path / "hands.json"), expected, strict=True):
        assert got.source == "coco" and len(got.hands) == len(want.hands)
        for g, w in zip(got.hands, want.hands, strict=True):
            assert (g.keypoints == w.keypoints).all() and np.allclose(g.box, w.box)
            assert g.handedness == (w.handedness or "right")
    # a person's 17 keypoints are not a hand's
    person = {"images": coco["images"][:1], "annotations": [{"image_id": 0, "keypoints": [1.0, 2.0, 2] * 17}]}
    (tmp_path / "person.json").write_text(json.dumps(person))
    with pytest.raises(InputError, match="annotation 0: 17 keypoints, not a hand's 21"):
        load_annotations(tmp_path / "person.json")


@needs_litert
def test_eval_on_gray_copies_compares_skin_tone_and_plain_gray(tmp_path, capsys) -> None:
    ann = shared_path("data", "keypoints", "hands21_dev.json")
    assert main(["eval", str(ann), "--gray", "--reference", "none", "--json", str(tmp_path / "g.json"), "--draw",
                 str(tmp_path / "pics")]) == 0
    report = json.loads((tmp_path / "g.json").read_text())
    skin, plain = (report["runs"][k]["overall"] for k in ("handpose", "handpose-plain-gray"))
    assert report["gray"] is True and "(12 images, gray copies)" in capsys.readouterr().out
    assert len(list((tmp_path / "pics").glob("*.jpg"))) == 12
    # one the runs found the hand in (in freihand_00050180 none does: no colour); not the folder's first, whose
    # order is the file system's
    picture = cv2.imread(str(tmp_path / "pics" / "freihand_00000355.jpg"))[26:].astype(int)
    gray = np.ptp(picture, axis=-1) <= 8  # the gray copy the runs saw is drawn, under their coloured keypoints
    assert 0.8 < gray.mean() < 1.0
    assert 10 <= skin["matched"] < 12 and plain["matched"] <= 9  # measured 11 and 8 (MediaPipe: 6); colour: 12
    assert skin["pck@0.2_all_hands"] > plain["pck@0.2_all_hands"] + 0.1


def test_evaluation_picture_shows_the_annotation_under_each_run() -> None:
    from handpose.evaluation_pictures import _caption, evaluation_picture

    from .handbuilder import make_hand

    hand = make_hand(offset=(320, 300))
    gt = GTHand(np.concatenate([hand[:, :2], np.ones((21, 1))], 1), np.array([200, 150, 440, 420], np.float32))
    shifted = hand + (30, 0, 0)
    aside = hand + (200, 0, 0)  # clear of the annotation, to see both
    picture = evaluation_picture(np.full((480, 640, 3), 90, np.uint8), [gt], {"ours": [aside], "theirs": None})
    assert picture.shape == (26 + 480, 2 * 640, 3)  # already panel-sized: not scaled
    ours, theirs = picture[26:, :640], picture[26:, 640:]
    for panel in (ours, theirs):  # the annotation, in white, in both
        x, y = np.round((hand[1, :2] + hand[2, :2]) / 2).astype(int)  # half-way along a thumb bone
        assert (panel[y - 1 : y + 2, x - 1 : x + 2] > 240).all(-1).any()
    coloured = [(np.ptp(p.astype(int), axis=-1) > 60).sum() for p in (ours, theirs)]
    assert coloured[0] > 500 and coloured[1] == 0  # a run that could not read the image draws no hand
    assert _caption([shifted], [gt]) == "1/1 hands, 30.0 px"
    assert _caption([shifted, hand + (900, 0, 0)], [gt]) == "1/1 hands, 30.0 px, 1 unmatched"
    assert _caption([], [gt]) == "0/1 hands"
    # a gray annotated image (a monochrome or infrared dataset's) is drawn as its colour copy would be
    gray = np.full((480, 640), 90, np.uint8)
    assert np.array_equal(evaluation_picture(gray, [gt], {"ours": [aside]}),
                          evaluation_picture(np.full((480, 640, 3), 90, np.uint8), [gt], {"ours": [aside]}))


def test_int8_quantization(video_path, photo_paths, tmp_path, monkeypatch, caplog) -> None:
    from handpose import HandTracker
    from handpose.quantize import quantize_landmarks

    home = tmp_path / "home" / "models"
    home.mkdir(parents=True)
    for name in ("palm_full", "hand_full"):
        shutil.copy(model_path(name), home)
    monkeypatch.setenv("HANDPOSE_HOME", str(home.parent))
    metrics = quantize_landmarks("hand_full", str(video_path), limit=40)
    assert model_path("hand_full_int8").is_file() and model_path("hand_full_int8").with_suffix(".json").is_file()
    assert metrics["crops"] == 20 and metrics["keypoint_image_px_mean"] < 5 and metrics["handedness_agreement"] > 0.9
    # crops of the video away from its hand are turned away as by fp32 (the first recipe scored them all 0.5, kept)
    assert metrics["recipe"] == 2 and metrics["no_hand_crops"] >= 10
    assert metrics["no_hand_rejected_fp32"] == metrics["no_hand_rejected_int8"] == 1.0
    # which holds only as the score heads stay float: calibrated on hands alone (as the 240 crops of the default
    # are), their quantized logits could not go under 0 and every crop without a hand scored exactly 0.5
    import onnx

    graph = onnx.load(str(model_path("hand_full_int8"))).graph
    producer = {out: node for node in graph.node for out in node.output}
    float_weights = {init.name for init in graph.initializer if init.data_type == onnx.TensorProto.FLOAT}
    heads = [name for name, meaning in get_model("hand_full").outputs.items() if meaning in ("presence", "handedness")]
    assert len(heads) == 2
    for out in heads:
        node = producer[out]
        while node.op_type != "Gemm":
            node = producer[node.input[0]]
        assert node.input[1] in float_weights and producer[node.input[0]].op_type == "DequantizeLinear"
    with pytest.raises(Exception, match="exists"):
        quantize_landmarks("full", str(video_path), limit=40)  # HandTracker's variant name: its landmark model
    img = cv2.imread(str(photo_paths[0]))
    fp32 = HandTracker("full", mode="image").process(img)
    int8 = HandTracker("full-int8", mode="image").process(img)
    assert int8.handedness.tolist() == fp32.handedness.tolist()
    assert np.linalg.norm(int8.keypoints[0, :, :2] - fp32.keypoints[0, :, :2], axis=1).mean() < 8
    # a tracked hand that leaves the frame is let go: its crop on the background scores under the bar
    tracker = HandTracker("full-int8", mode="video")
    assert len(tracker.process(img, 0.0)) == 1
    assert len(tracker.process(np.full_like(img, 127), 40.0)) == 0
    # a model of the first recipe is named, with the command that makes it again
    meta = model_path("hand_full_int8").with_suffix(".json")
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "recipe": 1}))
    with caplog.at_level("WARNING", logger="handpose"):
        HandTracker("full-int8")
    assert "handpose models quantize hand_full --calib SOURCE --overwrite" in caplog.text


def test_hand_free_crop_rect_keeps_clear_of_every_hand() -> None:
    from handpose.quantize import _hand_free_rect

    rect = np.array([100, 80, 90, 90, 0.4], np.float32)
    boxes = np.array([[70, 50, 130, 110]], np.float32)
    assert _hand_free_rect(rect, boxes, 640, 360).tolist() == [595, 315, 90, 90, 0]  # the farthest clear corner
    two = np.array([[70, 50, 130, 110], [520, 260, 600, 340]], np.float32)
    assert _hand_free_rect(rect, two, 640, 360).tolist() == [595, 45, 90, 90, 0]
    assert _hand_free_rect(rect, np.array([[0, 0, 640, 360]], np.float32), 640, 360) is None


def test_pruned_filters_keep_their_bias_through_int8(tmp_path) -> None:
    # The landmark models have pruned filters: weights of 1e-7 left by float16, bias near 1. Over so small a weight
    # scale the int32 bias overflows, and onnxruntime < 1.20 casts it to garbage; zeroed, the filter gets scale 1.
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    from handpose.quantize import _Reader, _zero_dead_channels

    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (3, 4, 1, 1)).astype(np.float32)
    w[1] = 3e-7
    w[2] = 0  # already zero: left alone, not counted
    b = np.array([0.2, 0.9, -0.7], np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    assert _zero_dead_channels(model) == 1
    zeroed = numpy_helper.to_array(model.graph.initializer[0])
    assert (zeroed[1] == 0).all() and (zeroed[[0, 2]] == w[[0, 2]]).all()

    src, dst = tmp_path / "conv.onnx", tmp_path / "conv_int8.onnx"
    onnx.save(model, str(src))
    x = rng.normal(0, 3, (16, 4, 8, 8)).astype(np.float32)
    quantize_static(str(src), str(dst), _Reader(x, "x"), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    y = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"]).run(None, {"x": x[:1]})[0]
    # the filters with no weight give their bias, to within its quantization step (the input's scale, 0.07); the
    # overflowed bias of onnxruntime 1.19 gives +-0.42 for 0.9
    assert np.abs(y[0, 1:] - b[1:, None, None]).max() < 0.05


def test_calibration_crops_of_a_gray_camera_are_the_skin_toned_ones_the_tracker_sees(video_path, tmp_path) -> None:
    from handpose.quantize import collect_crops
    from handpose.sources import open_source

    with open_source(str(video_path)) as src:
        frames = [f.image for f in src][::8]
    for i, frame in enumerate(frames):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    crops, _, _ = collect_crops(str(tmp_path), limit=12)
    r, g, b = (float(crops[..., c].mean()) for c in range(3))  # RGB, as the model takes them
    assert len(crops) == 12 and r > g + 0.05 > b + 0.1  # not the plain gray frames (equal channels)


def test_hand_tiles_for_the_scaling_scenes_are_found_four_at_a_time(video_path) -> None:
    from handpose import HandTracker
    from handpose.benchmark.scaling import hand_tiles
    from handpose.sources import open_source

    with open_source(str(video_path)) as src:
        every = [f.image for f in src]
    frames = every[180::10] + every[:30:10]  # hands of about 225 px, then of about 75 px
    tiles = hand_tiles(BenchConfig(source=str(video_path)), frames, n=3)
    tracker = HandTracker(mode="image", max_hands=4)

    def four(tile: np.ndarray) -> int:  # hands found in the 2x2 scene of the 4-hand row
        return len(tracker(np.vstack([np.hstack([tile, tile[:, ::-1]])] * 2)))

    assert len(tiles) == 3 and all(four(tile) == 4 for tile in tiles)
    # the clip's first second: small hands out of focus, which blown up to a tile the detector mostly misses; a
    # scene of them would be timed as 4 hands with 1 or none in it, so those tiles are left out
    blurred = hand_tiles(BenchConfig(source=str(video_path)), every[:30], n=5)
    assert len(blurred) < 5
    assert all(four(tile) == 4 for tile in blurred)


def test_reference_worker_removes_its_scratch_folder(tmp_path, monkeypatch) -> None:
    """The MediaPipe worker writes a .task bundle (8 MB) to a scratch folder; quitting removes it."""
    import io
    import sys
    import types

    from handpose import reference_worker

    monkeypatch.setitem(sys.modules, "mediapipe", types.SimpleNamespace(__version__="stub"))
    palm, hand = tmp_path / "palm.tflite", tmp_path / "hand.tflite"
    palm.write_bytes(b"p" * 64)
    hand.write_bytes(b"h" * 64)
    worker = reference_worker.Worker()
    bundle = worker._task_bundle(str(palm), str(hand))
    assert bundle.startswith(worker.tmp) and Path(bundle).stat().st_size > 128
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"cmd": "quit"}\n'))
    worker.serve()
    assert not Path(worker.tmp).exists()


def test_reference_worker_shows_mediapipe_the_gray_copy_when_asked(photo_paths, monkeypatch) -> None:
    import sys
    import types

    from handpose import reference_worker

    monkeypatch.setitem(sys.modules, "mediapipe", types.SimpleNamespace(__version__="stub"))
    seen = []

    class Runner:  # what mp.solutions.hands.Hands.process receives
        def process(self, rgb):
            seen.append(rgb)
            return types.SimpleNamespace(multi_hand_landmarks=None, multi_handedness=None)

    worker = reference_worker.Worker()
    worker.runners["eval"] = ({"api": "solutions"}, Runner())
    for gray in (False, True):
        assert worker.images({"key": "eval", "paths": [str(photo_paths[1])], "gray": gray}) == {"results": [[]]}
    worker.close()
    bgr = cv2.imread(str(photo_paths[1]))
    assert np.array_equal(seen[0], cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    assert seen[1].shape == bgr.shape and all(np.array_equal(seen[1][..., c], gray) for c in range(3))


def test_peak_memory_on_systems_without_proc_or_resource(monkeypatch, tmp_path) -> None:
    """Linux reads /proc; macOS's ru_maxrss is in bytes, other Unix systems' in kilobytes; a Python without the
    Unix-only ``resource`` module (Windows) still imports the worker and the benchmark."""
    import subprocess
    import sys
    import types

    from handpose import reference_worker

    assert reference_worker.peak_rss_mb() > 10  # this process, from /proc
    monkeypatch.setattr(reference_worker, "_PROC_STATUS", str(tmp_path / "no-proc"))
    usage = types.SimpleNamespace(ru_maxrss=300 * 2**20)
    monkeypatch.setitem(sys.modules, "resource", types.SimpleNamespace(RUSAGE_SELF=0, getrusage=lambda who: usage))
    monkeypatch.setattr(sys, "platform", "darwin")
    assert reference_worker.peak_rss_mb() == 300.0
    usage.ru_maxrss = 300 * 1024
    monkeypatch.setattr(sys, "platform", "freebsd14")
    assert reference_worker.peak_rss_mb() == 300.0
    monkeypatch.setitem(sys.modules, "resource", None)  # import resource -> ImportError
    assert reference_worker.peak_rss_mb() is None
    # Windows has no ``resource`` module: the benchmark (which times memory through the worker) still imports
    code = "import sys; sys.modules['resource'] = None; import handpose.benchmark, handpose.reference_worker"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


def test_reference_python_is_found_in_a_windows_venv_too(tmp_path, monkeypatch) -> None:
    from handpose.reference import find_reference_python

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HANDPOSE_REFERENCE_PYTHON", raising=False)
    assert find_reference_python() is None
    exe = tmp_path / ".venv-ref" / "Scripts" / "python.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"")
    assert find_reference_python() == ".venv-ref/Scripts/python.exe"


class _Bar:
    frames = 0

    def update(self, n: int) -> None:
        self.frames += n


def _recorder(calls: list, ms: dict[str, list[float]]) -> type:
    """A stand-in for the bench's runner of our side: logs its blocks; frame k of a run takes ms[engine][k % len]."""
    from handpose.benchmark import STAGES

    class Recorder:
        def __init__(self, cfg: BenchConfig, engine: str, mode: str, max_hands: int) -> None:
            self.label, self.times, self.hands = engine, [], []
            self.stages = {s: [] for s in STAGES}
            self.tracker = type("T", (), {"landmarks": type("L", (), {"engine": type("E", (), {"provider": "x"})})})

        def run(self, frames: list, start: int, end: int, fps: float, offset: int = 0) -> None:
            calls.append((self.label, start, offset))
            pattern = ms.get(self.label, [1.0])
            self.times += [pattern[(len(self.times) + k) % len(pattern)] for k in range(end - start)]
            self.hands += [1] * (end - start)

    return Recorder


def test_bench_times_torch_after_the_other_engines_not_among_them(monkeypatch) -> None:
    """torch's OpenMP workers spin after a run and would slow whichever side's block came next."""
    from handpose.benchmark import pipelines

    calls: list[tuple[str, int, int]] = []
    monkeypatch.setattr(pipelines, "_Ours", _recorder(calls, {}))
    cfg = BenchConfig(source="x", engines=("litert", "torch", "onnxruntime"), modes=("video",), max_hands=(1,))
    bar = _Bar()
    rows, _ = pipelines.pipeline_runs(cfg, [np.zeros((4, 4, 3), np.uint8)] * 25, 30.0, None, bar)
    blocks = [0, 10, 20]
    assert calls == [(e, s, 0) for s in blocks for e in ("litert", "onnxruntime")] + [("torch", s, 0) for s in blocks]
    assert [r["engine"] for r in rows] == ["litert", "torch", "onnxruntime"] and bar.frames == 25


def test_bench_gives_the_ratio_to_mediapipe_a_range_from_its_blocks(monkeypatch) -> None:
    """--repeat passes go on in time on both sides; the ratio's range comes from redrawing whole blocks."""
    from handpose.benchmark import pipelines

    class Worker:  # MediaPipe's side: 2 ms a frame, the frames it was asked for
        def __init__(self) -> None:
            self.runs: list[tuple[int, int, int]] = []

        def call(self, method: str, **kw: int) -> dict:
            if method == "run":
                self.runs.append((kw["start"], kw["end"], kw["offset"]))
                return {"times_ms": [2.0] * (kw["end"] - kw["start"]), "hands": [1] * (kw["end"] - kw["start"])}
            return {}

    calls: list[tuple[str, int, int]] = []
    # litert: always half of MediaPipe's time; onnxruntime: 1, 3 and 2 ms in the 3 blocks of a pass
    monkeypatch.setattr(pipelines, "_Ours", _recorder(calls, {"onnxruntime": [1.0] * 5 + [3.0] * 5 + [2.0] * 2}))
    cfg = BenchConfig(source="x", engines=("litert", "onnxruntime"), modes=("video",), max_hands=(1,),
                      reference_apis=("solutions",), repeat=2, block=5, warmup=0)
    worker, bar = Worker(), _Bar()
    rows, ref = pipelines.pipeline_runs(cfg, [np.zeros((4, 4, 3), np.uint8)] * 12, 30.0, worker, bar)
    assert worker.runs == [(0, 5, 0), (5, 10, 0), (10, 12, 0), (0, 5, 12), (5, 10, 12), (10, 12, 12)]
    assert ("litert", 0, 12) in calls and bar.frames == 24 and ref[0]["frames"] == rows[0]["frames"] == 24
    assert rows[0]["ratio_range"] == [0.5, 0.5]  # no noise: nothing to redraw
    lo, hi = rows[1]["ratio_range"]  # the median of all is 2 ms, of a redraw 1, 2 or 3 ms
    assert lo == 0.5 and hi == 1.5
    ratios = pipelines.ratios_to_baseline(rows, ref)
    assert [r["ratio"] for r in ratios] == [0.5, 1.0] and ratios[1]["ratio_range"] == [lo, hi]
    ratios[0]["target"], ratios[0]["met"], ratios[1]["target"], ratios[1]["met"] = 0.6, True, 0.8, False
    text = render(_bare_report(reference=ref, ratios=ratios))
    assert re.search(r"0\.50-0\.50  <= 0\.60  yes *\n", text) and "0.50-1.50  <= 0.80  NO, within noise" in text


def _bare_report(**parts: object) -> dict:
    """A bench report with nothing measured: the sections a test fills in are given."""
    machine = {"cpu": "x", "cores": 2, "os": "x", "python": "3", "packages": {}}
    return {"machine": machine, "source": "x", "frames": 12, "size": "4x4", "model": "full", "pipeline": [],
            "read_ms": {"median": 1.0, "p90": 1.0}, "reference": [], "ratios": [], **parts}


def test_bench_report_says_how_the_int8_model_treats_crops_without_a_hand() -> None:
    report = _bare_report()
    measured = {"model": "hand_full_int8", "from": "hand_full", "keypoint_image_px_mean": 1.2, "recipe": 2,
                "no_hand_crops": 55, "no_hand_rejected_fp32": 1.0, "no_hand_rejected_int8": 1.0}
    assert "crops without a hand turned away: fp32 100%, int8 100% of 55" in render({**report, "int8": measured})
    old = {k: v for k, v in measured.items() if not k.startswith(("no_hand", "recipe"))}
    assert ("hand_full_int8 was made by an older handpose whose INT8 presence score never drops under 0.5"
            in render({**report, "int8": old}))
    assert "handpose models quantize hand_full --calib SOURCE --overwrite" in render({**report, "int8": old})
