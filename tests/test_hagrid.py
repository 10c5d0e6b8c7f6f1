"""HaGRID annotation files imported as a hand dataset: keypoints in pixels of their images, labels, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from handpose import HandTracker
from handpose.cli import main
from handpose.gestures import load_dataset, shown_first
from handpose.sources import read_image

from .conftest import shared_path

CLASSES = ("call", "four", "rock")


@pytest.fixture(scope="module")
def found(models_ready) -> dict[str, dict[str, np.ndarray]]:
    """The hands found in the shared HaGRID photos, raised hand first: class -> image id -> (hands, 21, 2) pixels."""
    tracker = HandTracker(mode="image", max_hands=2)
    out: dict[str, dict[str, np.ndarray]] = {}
    for cls in CLASSES:
        out[cls] = {}
        for p in sorted(shared_path("data", "gesture_images", cls).glob("*.jpg")):
            hands = tracker(read_image(p))
            out[cls][p.stem] = hands.keypoints[shown_first(hands), :, :2] if len(hands) else np.zeros((0, 21, 2))
    return out


def _sizes(cls: str) -> dict[str, tuple[int, int]]:
    return {p.stem: read_image(p).shape[1::-1] for p in shared_path("data", "gesture_images", cls).glob("*.jpg")}


def _annotations(found: dict[str, dict[str, np.ndarray]], folder: Path) -> None:
    """Annotation files as HaGRID writes them, of the hands found: the raised hand shows the class, a second one
    is ``no_gesture``. ``call`` and ``four`` in HaGRID's layout (``landmarks``), ``rock`` in HaGRIDv2's
    (``hand_landmarks``, with its two-hand and meta fields)."""
    folder.mkdir()
    for cls in CLASSES:
        sizes, entries = _sizes(cls), {}
        for key, hands in found[cls].items():
            labels = [cls] + ["no_gesture"] * (len(hands) - 1) if len(hands) else []
            points = [(h / sizes[key]).tolist() for h in hands]
            entry = {"bboxes": [[0.4, 0.3, 0.1, 0.1]] * len(hands), "labels": labels, "user_id": "0f3c"}
            if cls == "rock":
                entry |= {"hand_landmarks": points, "united_bbox": [None], "united_label": [None],
                          "meta": {"age": [30.0], "gender": ["female"], "race": ["White"]}}
            else:
                entry |= {"landmarks": points, "leading_hand": "right", "leading_conf": 1.0}
            entries[key] = entry
        if cls == "call":  # a hand the annotating model found no keypoints in; an image not downloaded
            entries["0e022ee9-74fd-44fe-adad-60c11835e44f"]["labels"].append("no_gesture")
            entries["0e022ee9-74fd-44fe-adad-60c11835e44f"]["landmarks"].append([])
            entries["ffffffff-0000-0000-0000-000000000000"] = {"bboxes": [[0.1, 0.1, 0.1, 0.1]], "labels": ["call"],
                                                                "landmarks": [[[0.5, 0.5]] * 21]}
        (folder / f"{cls}.json").write_text(json.dumps(entries, indent=2))


def test_hagrid_annotations_become_the_hands_in_pixels_of_their_images(found, tmp_path, capsys, caplog) -> None:
    annotations, data = tmp_path / "annotations", tmp_path / "hagrid.csv"
    _annotations(found, annotations)
    images = shared_path("data", "gesture_images")
    assert main(["gestures", "record", str(annotations), "--images", str(images), "-o", str(data)]) == 0
    out = capsys.readouterr().out
    n = {cls: sum(len(h) for h in found[cls].values()) for cls in CLASSES}
    seconds = sum(n.values()) - sum(bool(len(h)) for cls in CLASSES for h in found[cls].values())
    assert f"{sum(n.values())} hand rows" in out
    assert "1 inputs without a hand" in out and "1 inputs that could not be read" in out
    assert "1 of the 31 images annotated are not under" in caplog.text
    rows = load_dataset(data)
    assert rows.labels.count("none") == seconds > 0  # HaGRID's no_gesture is handpose's none
    assert set(rows.labels) == {*CLASSES, "none"}
    # each hand's keypoints are the pixels they were found at, in portrait and landscape pictures alike
    for cls in CLASSES:
        sizes = _sizes(cls)
        assert len({w > h for w, h in sizes.values()}) == 2
        for key, hands in found[cls].items():
            at = [i for i, s in enumerate(rows.sources) if Path(s).stem == key]
            assert [Path(rows.sources[i]).parent.name for i in at] == [cls] * len(hands)
            for i, hand in zip(at, hands, strict=True):
                assert rows.sizes[i] == sizes[key] and rows.handedness[i] is None
                assert np.abs(rows.points[i][:, :2] - hand).max() < 0.01 and not rows.points[i][:, 2].any()
    # the built-in vocabulary reads the raised hands as it does in the photos (HaGRID's names mapped)
    assert main(["gestures", "eval", "builtin", str(data), "-o", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert all(report["per_class"][label]["recall"] == 1.0 for label in ("call", "four", "horns"))
    # one file of them, or a glob, records that file's hands
    assert main(["gestures", "record", str(annotations / "rock.json"), "--images", str(images), "-o",
                 str(tmp_path / "rock.csv")]) == 0
    assert load_dataset(tmp_path / "rock.csv").labels.count("rock") == 10
    assert main(["gestures", "record", str(annotations / "call.json"), "--images", str(images), "-o",
                 str(tmp_path / "rock.csv"), "--append"]) == 0  # some of the classes: one file at a time
    assert {"rock", "call"} <= set(load_dataset(tmp_path / "rock.csv").labels)
    assert main(["gestures", "record", str(annotations / "[cf]*.json"), "--images", str(images), "-o",
                 str(tmp_path / "cf.csv")]) == 0
    assert set(load_dataset(tmp_path / "cf.csv").labels) == {"call", "four", "none"}


def test_hagrid_annotations_that_cannot_be_imported_are_refused_by_name(found, tmp_path, capsys, caplog) -> None:
    annotations, images = tmp_path / "annotations", shared_path("data", "gesture_images")
    _annotations(found, annotations)
    out = str(tmp_path / "out.csv")

    def refused(*args: str) -> str:
        assert main(["gestures", "record", *args, "-o", out]) == 1
        assert not Path(out).exists()
        return capsys.readouterr().err

    assert "give the folder of its images with --images" in refused(str(annotations))
    assert "--images gives the pictures of HaGRID annotation files, and" in refused(str(images / "call"), "--images",
                                                                                    str(images))
    assert "is not a folder" in refused(str(annotations), "--images", str(annotations / "call.json"))
    assert "none of the 11 images annotated is under" in refused(str(annotations / "call.json"), "--images",
                                                                 str(tmp_path))
    assert "--label does not apply" in refused(str(annotations), "--images", str(images), "--label", "x")
    assert "--zoom does not apply" in refused(str(annotations), "--images", str(images), "--zoom", "2")
    # given to train or eval, which take landmark datasets: how to make one of them
    for command in (["train", str(annotations / "call.json"), "-o", str(tmp_path / "m.npz")],
                    ["eval", "builtin", str(annotations / "call.json"), "-o", str(tmp_path / "report")]):
        assert main(["gestures", *command]) == 1
        assert "holds HaGRID annotations: make a landmark dataset of them with 'handpose gestures record" in \
            capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.json").write_text('{"a": {"labels": ["call"], "landmarks": [[[0.1, 0.2]')
    assert "is not valid JSON" in refused(str(broken / "a.json"), "--images", str(images))
    (broken / "a.json").write_text('{"a": {"bboxes": [[0.1, 0.1, 0.2, 0.2]], "labels": ["call"]}}')
    assert "has no keypoints" in refused(str(broken / "a.json"), "--images", str(images))
    (broken / "a.json").write_text('{"a": {"frame": 3}}')
    assert "is not a HaGRID annotation file" in refused(str(broken / "a.json"), "--images", str(images))
    key = next(iter(found["call"]))
    (broken / "a.json").write_text(json.dumps({key: {"labels": ["call"], "landmarks": [[[0.1, 0.2]] * 20]}}))
    assert f"image {key}: a hand's keypoints are not 21 [x, y] numbers" in refused(str(broken / "a.json"),
                                                                                  "--images", str(images))
    pictures = tmp_path / "pictures"  # an image that cannot be read: its hands are not recorded, and it is named
    pictures.mkdir()
    (pictures / f"{key}.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (broken / "a.json").write_text(json.dumps({key: {"labels": ["call"], "landmarks": [[[0.1, 0.2]] * 21]}}))
    assert "nothing recorded from" in refused(str(broken / "a.json"), "--images", str(pictures))
    assert f"skipped cannot decode image {pictures / key}.jpg" in caplog.text
    # hands whose keypoints do not pair up with their labels: which is which is not known, so they are left out
    shutil.copy(annotations / "four.json", broken / "four.json")
    (broken / "a.json").write_text(json.dumps({key: {"labels": ["call", "no_gesture"], "landmarks": [[[0.1, 0.2]] *
                                                                                                    21]}}))
    assert main(["gestures", "record", str(broken), "--images", str(images), "-o", out]) == 0
    assert set(load_dataset(out).labels) == {"four"}
    assert "1 images have a number of hands' keypoints other than of labels" in caplog.text
