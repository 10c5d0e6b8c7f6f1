"""``handpose gestures record|train|eval|list``: teach handpose your own gestures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import HandposeError
from ..outputs import check_not_input, check_writable
from ..sources import IMAGE_EXTS, VIDEO_EXTS
from .numbers import (
    add_part_options,
    add_tune_option,
    at_least,
    folds,
    fraction,
    frame_size,
    positive,
    tuning,
    video_part,
    zoom,
)

if TYPE_CHECKING:
    from ..gestures.recognizer import GestureRecognizer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gestures", help="record, train and evaluate gesture classifiers; list the vocabulary",
                       description="Custom gestures in minutes: record a landmark dataset, train a classifier, "
                                   "evaluate it with a report and a confusion matrix.")
    gs = p.add_subparsers(dest="gestures_command", metavar="ACTION", required=True)

    r = gs.add_parser("record",
                      help="build a landmark dataset (CSV) from images, videos, a camera, a CSV or JSON Lines")
    r.add_argument("source", help="a folder <root>/<label>/* of images or videos, a quoted glob (each file labelled "
                                  "by its folder, or --label), a video, a camera index or stream URL (keys label "
                                  "the hand), a landmark CSV to import (label, x0, y0, ..., x20, y20[, z...]), "
                                  "the JSON Lines of 'handpose run --json' (no model runs again) or HaGRID "
                                  "annotations (a .json file, a folder or a quoted glob of them, with --images)")
    r.add_argument("-o", "--output", required=True, help="dataset CSV to write")
    r.add_argument("--kind", choices=["hand", "trajectory"], default="hand",
                   help="hand shapes (static) or fingertip trajectories (dynamic)")
    r.add_argument("--label", help="label of a single video, a glob's files, a JSON Lines file or a camera session")
    r.add_argument("--labels", help="camera: comma list of labels for the keys 1, 2, 3, ...")
    r.add_argument("--labels-file", help="import: names of numeric labels, one per line")
    r.add_argument("--keypoint", help="trajectories: the keypoint to follow, 0-20 or a name such as wrist "
                                      "(default: index_tip), or several joined by commas (thumb_tip,index_tip: "
                                      "how they move together and apart); for an imported CSV, the ones it followed")
    r.add_argument("--every", type=at_least(1), default=1,
                   help="videos: use every Nth frame (trajectories: every Nth position, about 33 ms apart)")
    r.add_argument("--mirrored", action="store_true", help="the input is a mirrored selfie view")
    r.add_argument("--flip", action="store_true", help="mirror every frame left to right first, the selfie view "
                   "(as 'handpose run --flip': record as you will run)")
    r.add_argument("--zoom", type=zoom, default=1.0, metavar="Z", help="also look for hands in tiles seen Z times "
                   "closer (people far from the camera; as 'handpose run --zoom')")
    r.add_argument("--size", type=frame_size, default=None, metavar="WxH",
                   help="camera: ask for frames of this size, e.g. 1280x720 (as 'handpose run --size')")
    r.add_argument("--fps", type=positive, default=None, help="camera: ask for this frame rate")
    add_part_options(r, "record")
    r.add_argument("--segments", metavar="CSV", help="a video: label its parts from a CSV of label,start,end rows "
                   "(times in seconds or [H:]M:SS), one recording of several gestures; frames outside them are left "
                   "out")
    r.add_argument("--images", metavar="FOLDER", help="HaGRID annotations: the folder of their images, searched "
                   "below for <image id>.jpg (only each file's header is read, for the size that turns the "
                   "annotated fractions into pixels)")
    r.add_argument("--overwrite", action="store_true")
    r.add_argument("--append", action="store_true", help="add rows to an existing dataset")
    r.set_defaults(handler=cmd_record)

    t = gs.add_parser("train", help="train a classifier on a landmark dataset")
    t.add_argument("data", help="dataset CSV (handpose's format or the common landmark layout)")
    t.add_argument("-o", "--output", required=True, help="model file to write (.npz)")
    t.add_argument("--model", choices=["mlp", "svm", "knn"], default="mlp")
    t.add_argument("--labels-file", help="names of numeric labels, one per line")
    t.add_argument("--cv", type=folds, default=5, help="cross-validation folds (0 to skip)")
    t.add_argument("--holdout-last", type=fraction, default=0.0,
                   help="keep the last fraction of each class's rows out of training and report accuracy on it")
    t.add_argument("--reject", type=fraction, default=0.0,
                   help="below this probability the prediction is 'none': hands between two classes; to keep out "
                   "shapes unlike all of them, record a 'none' class")
    t.add_argument("--ensemble", type=at_least(1), default=None, help="networks to average (default: 5)")
    t.add_argument("--epochs", type=at_least(1), default=None)
    t.add_argument("--viewpoints", type=at_least(0), default=None,
                   help="hand shapes: synthetic out-of-plane views per training hand (default: 3; 0 turns it off)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--report", metavar="FOLDER", help="write report.json, confusion.png and errors.png of the "
                   "held-out rows (--holdout-last), else of every row as cross-validation labelled it (a model "
                   "that did not train on it): the quickest way to find rows recorded under the wrong label")
    t.add_argument("--overwrite", action="store_true")
    t.set_defaults(handler=cmd_train)

    e = gs.add_parser("eval", help="accuracy, per-class report, confusion matrix (PNG) and a JSON report")
    e.add_argument("model", help="'builtin', a rules .toml, or a trained .npz")
    e.add_argument("data", help="dataset CSV, or images / videos labelled by their folder: <root> of "
                                "<root>/<label>/*, a quoted glob such as 'shots/*/*.jpg' or one file (hands are "
                                "detected; every video frame is a sample)")
    e.add_argument("-o", "--output", "--out", dest="output", default="gesture-report",
                   help="folder for report.json and confusion.png (default: gesture-report)")
    e.add_argument("--labels-file", help="names of numeric labels, one per line")
    e.add_argument("--holdout-last", type=fraction, default=0.0, help="evaluate only the last fraction of each class")
    e.add_argument("--map", default="", help="rename labels of the data, e.g. 'rock=horns,like=thumbs_up' "
                                             "(for the built-in vocabulary HaGRID and MediaPipe names are mapped "
                                             "already)")
    e.add_argument("--zoom", type=zoom, default=1.0, metavar="Z", help="images / videos: also look for hands in "
                   "tiles seen Z times closer (as 'handpose run --zoom')")
    e.add_argument("--flip", action="store_true", help="images / videos: mirror every picture first (as 'handpose "
                   "run --flip'; for a model whose data was recorded with --flip)")
    e.add_argument("--motions", action="store_true",
                   help="videos: judge each video as one motion (swipe_left/, circle_cw/, none/ ...) by the first "
                        "of the data's motions the recognizer reports in it (its dynamic gestures and trajectory "
                        "model); a trajectory model alone is always judged so")
    add_part_options(e, "evaluate")
    add_tune_option(e, "with --motions: set a parameter of the motions, e.g. swipe_min_distance=2, to see what it "
                       "changes")
    e.add_argument("--segments", metavar="CSV", help="one video: its parts labelled by a CSV of label,start,end rows "
                   "(as 'gestures record --segments'); each part's frames, or with --motions each part, a sample")
    e.add_argument("--overwrite", action="store_true")
    e.set_defaults(handler=cmd_eval)

    li = gs.add_parser("list", help="the built-in vocabulary and its mapping to HaGRID / MediaPipe names")
    li.add_argument("--rules", help="a rules .toml to list with the built-in ones")
    li.set_defaults(handler=cmd_list)


# -- record ------------------------------------------------------------------------------------------------
def cmd_record(args: argparse.Namespace) -> int:
    from ..gestures.dataset import KEEP_OR_APPEND, check_appendable
    from ..gestures.recording import record
    from ..gestures.trajectory import HISTORY as TRAJECTORY_HISTORY
    from ..gestures.trajectory import TRAJECTORY_KEYPOINT, keypoint_indices

    out = Path(args.output)
    check_not_input(out, [Path(args.source)])  # an imported CSV given as its own output
    check_writable(out, args.overwrite or args.append, make_folders=False, how=KEEP_OR_APPEND)  # before recording
    if out.is_file() and args.append and not str(args.source).lower().endswith(".csv"):  # an import has its own kind
        # before recording, so a recording is never lost to a wrong file
        check_appendable(out, args.kind, keypoint_indices(args.keypoint or TRAJECTORY_KEYPOINT))
    data = record(args.source, kind=args.kind, label=args.label, labels=args.labels, labels_file=args.labels_file,
                  every=args.every, mirrored=args.mirrored, keypoint=args.keypoint, zoom=args.zoom,
                  size=args.size, fps=args.fps, flip=args.flip, segments=args.segments, images=args.images,
                  **video_part(args))
    left_out = [(f"{len(left)} inputs {what}", left) for left, what in
                ((data.undetected, "without a hand"), (data.unreadable, "that could not be read"),
                 (data.short, f"where no hand was followed for the {TRAJECTORY_HISTORY} positions a trajectory "
                              "holds")) if left]
    if len(data) == 0:
        why = ", ".join(text for text, _ in left_out)
        raise HandposeError(f"nothing recorded from {args.source}{': ' + why if why else ''}; {out} not written")
    path = data.save(args.output, overwrite=args.overwrite, append=args.append)
    counts = {lab: data.labels.count(lab) for lab in sorted(set(data.labels))}
    print(f"{len(data)} {args.kind} rows -> {path}  ({', '.join(f'{k}: {v}' for k, v in counts.items())})")
    for text, left in left_out:
        print(f"{text} (not recorded): " + ", ".join(Path(s).name for _, s in left[:8])
              + (" ..." if len(left) > 8 else ""))
    return 0


# -- train -------------------------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    from ..gestures.classifier import DEFAULTS, TrainConfig
    from ..gestures.dataset import load_dataset
    from ..gestures.evaluation import file_keys
    from ..gestures.training import GestureTrainer, share_right
    from ..registry import sha256_of

    check_writable(Path(args.output).with_suffix(".npz"), args.overwrite, make_folders=False)  # before training
    if args.report:
        if not args.holdout_last and args.cv < 2:
            raise HandposeError("--report shows predictions of rows the model did not train on: give "
                                "--holdout-last or cross-validation (--cv 2 or more)")
        check_writable(Path(args.report) / "report.json", args.overwrite, make_folders=False)
    data = load_dataset(args.data, args.labels_file)
    cfg = TrainConfig(**{**DEFAULTS[data.kind].__dict__, "model": args.model, "seed": args.seed})
    if args.ensemble:
        cfg.ensemble = args.ensemble
    if args.epochs:
        cfg.epochs = args.epochs
    if args.viewpoints is not None:
        cfg.viewpoints = max(0, args.viewpoints)
    if args.model != "mlp":
        cfg.hidden, cfg.noise = (), 0.0
    trainer = GestureTrainer(data, cfg, reject_threshold=args.reject, progress=True)
    train_idx, test_idx = np.arange(len(data)), None
    report: dict[str, Any] = {"samples": len(data), "kind": data.kind, "labels": sorted(set(data.labels))}
    if args.holdout_last:
        train_idx, test_idx = trainer.split_last(args.holdout_last)
    shown = None  # (rows, their predictions by a model that did not train on them) for --report
    if args.cv and args.cv > 1:
        accs, out_of_fold = trainer.cross_predict(args.cv, train_idx)
        shown = (train_idx, out_of_fold)
        report["cv_accuracy"] = {"mean": float(np.mean(accs)), "std": float(np.std(accs)), "folds": accs}
        print(f"cross-validation ({len(accs)} folds): accuracy {np.mean(accs):.4f} ± {np.std(accs):.4f}")
    model = trainer.fit(train_idx)
    if test_idx is not None:
        held_out = model.predict(trainer.x[test_idx])
        shown = (test_idx, held_out)
        acc = share_right(held_out, trainer.y[test_idx])
        report["holdout_last"] = {"fraction": args.holdout_last, "accuracy": acc, "n": len(test_idx)}
        print(f"held-out last {args.holdout_last:.0%} of each class: accuracy {acc:.4f} (n={len(test_idx)})")
    if args.report and shown is not None:
        from ..gestures.evaluation import rows_report, write_report

        write_report(rows_report(data, *shown), Path(args.report))
        which = "held-out rows" if test_idx is not None else "rows, each labelled by cross-validation"
        print(f"report of the {which}: {Path(args.report) / 'report.json'}, misclassified samples: "
              f"{Path(args.report) / 'errors.png'}")
    model.metadata["evaluation"] = report
    model.metadata["source"] = str(args.data)
    model.metadata["data_sha256"] = sha256_of(Path(args.data))  # eval warns when scored on the rows it learnt
    model.metadata["trained_files"] = sorted(file_keys(data.sources[i] for i in train_idx))  # ... or the files
    path = model.save(args.output, overwrite=args.overwrite)
    flat = "; x and y only, the rows have no depth" if data.kind == "hand" and not model.uses_depth else ""
    print(f"model ({cfg.model}, {len(model.labels)} labels: {', '.join(model.labels)}{flat}) -> {path}")
    if "none" not in model.labels:
        what = "hand" if data.kind == "hand" else "motion"
        # a trajectory model without one reads a still hand's jitter as one of its motions
        idle = "" if data.kind == "hand" else ", and hands held still or drifting slowly,"
        print(f"no 'none' class: the model calls every {what} one of its {len(model.labels)} gestures, however unlike "
              f"them, and --reject keeps out only those it is unsure of; record {what}s that show none of them{idle} "
              "under the label 'none'")
    return 0


# -- eval --------------------------------------------------------------------------------------------------
def _mapping(text: str, builtin_names: bool) -> dict[str, str]:
    from ..gestures.rules import ALIASES

    out = dict(ALIASES) if builtin_names else {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise HandposeError(f"--map: expected name=label pairs, got {part!r}")
        a, b = part.split("=", 1)
        out[a.strip()] = b.strip()
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    from ..gestures.classifier import GestureClassifier
    from ..gestures.evaluation import (
        evaluate_files,
        evaluate_landmarks,
        evaluate_motions,
        labelled_files,
        write_report,
    )
    from ..gestures.events import DEBOUNCE_PARAMETERS
    from ..gestures.recognizer import load_classifier
    from ..gestures.rules import RuleClassifier
    from ..gestures.segments import read_segments

    out = Path(args.output)
    check_writable(out / "report.json", args.overwrite, make_folders=False)
    tuned = tuning(args)
    recognizer = load_classifier(args.model)
    # other vocabularies' names are mapped for the built-in vocabulary; a trained model has the data's own labels
    mapping = _mapping(args.map, isinstance(recognizer.static, RuleClassifier) and recognizer.trajectory is None)
    # a recognizer always has a hand-shape classifier (the built-in one by default); here it must have been asked for
    parts = [p.strip() for p in str(args.model).split(",")]
    shapes = isinstance(recognizer.static, GestureClassifier) or any(p == "builtin" or p.endswith(".toml")
                                                                     for p in parts)
    src = Path(args.data)
    landmarks = src.is_file() and src.suffix.lower() not in IMAGE_EXTS | VIDEO_EXTS
    as_motions = not landmarks and (args.motions or not shapes)  # a trajectory model alone: motions
    if tuned and (not as_motions or set(tuned) & set(DEBOUNCE_PARAMETERS)):
        raise HandposeError("eval --tune sets what makes a motion, for judging videos of motions (--motions); "
                            "hand shapes are judged frame by frame, with no debounce")
    recognizer.tune(**tuned)
    if landmarks:
        asked = (("zoom", args.zoom != 1), ("flip", args.flip), ("start", args.start is not None),
                 ("end", args.end is not None), ("motions", args.motions), ("segments", args.segments))
        found_by = [f"--{option}" for option, given in asked if given]
        if found_by:
            raise HandposeError(f"{src} holds hands found earlier: {found_by[0]} is for finding them in images or "
                                "videos")
        _warn_if_trained_on(recognizer, src, args.holdout_last)
        report = evaluate_landmarks(recognizer, args.model, src, args.labels_file, args.holdout_last, mapping,
                                    shapes=shapes)
    else:
        files = labelled_files(args.data)
        part = video_part(args)
        if part and not any(p.suffix.lower() in VIDEO_EXTS for p in files):
            raise HandposeError(f"--start and --end read a part of each video, and {args.data} holds none")
        segments = read_segments(args.segments) if args.segments else None
        _warn_if_trained_on_files(recognizer, files)
        judge = evaluate_motions if as_motions else evaluate_files
        report = judge(recognizer, files, mapping, args.zoom, args.flip, start=args.start, end=args.end,
                       segments=segments)
    gives = {"none", *(recognizer.labels if "motions" in report else recognizer.static.labels),
             *(recognizer.trajectory.labels if recognizer.trajectory else [])}
    never = sorted(set(report["labels"]) - gives - {lab for lab, m in report["per_class"].items() if not m["support"]})
    if never:
        print(f"handpose: warning: {args.model} never gives the data's label(s) {', '.join(never)}; rename them with "
              "--map data_label=model_label", file=sys.stderr)
    if tuned:  # what the motions were judged with
        report["tuned"] = tuned
    text = write_report(report, out)
    sys.stdout.write(text)
    if tuned:
        print("judged with --tune " + ",".join(f"{name}={v:g}" for name, v in tuned.items()))
    print(f"report: {out / 'report.json'}, confusion matrix: {out / 'confusion.png'}, misclassified samples: "
          f"{out / 'errors.png'}")
    return 0


def _warn_if_trained_on(recognizer: GestureRecognizer, data: Path, holdout: float) -> None:
    """Warn when a model is scored on rows of the very file it was trained on."""
    from ..gestures.classifier import GestureClassifier
    from ..registry import sha256_of

    digest = None
    for model in (recognizer.static, recognizer.trajectory):
        if not isinstance(model, GestureClassifier) or "data_sha256" not in model.metadata:
            continue
        digest = digest or sha256_of(data)
        if model.metadata["data_sha256"] != digest:
            continue
        trained_holdout = model.metadata.get("evaluation", {}).get("holdout_last", {}).get("fraction", 0.0)
        if trained_holdout and holdout == trained_holdout:
            continue  # the rows the model never saw
        seen = (f"all but the last {trained_holdout:g} of each class" if trained_holdout else "every row")
        hint = (f"pass --holdout-last {trained_holdout:g} to score only the rows it did not see" if trained_holdout
                else "train with --holdout-last, or evaluate new recordings")
        print(f"handpose: warning: the model was trained on {data} ({seen}): this accuracy is on rows it has "
              f"seen; {hint}", file=sys.stderr)
        return


def _warn_if_trained_on_files(recognizer: GestureRecognizer, files: list[Path]) -> None:
    """Warn when images or videos evaluated are ones a model was trained on (its dataset recorded from them)."""
    from ..gestures.classifier import GestureClassifier
    from ..gestures.evaluation import file_keys

    for model in (recognizer.static, recognizer.trajectory):
        if not isinstance(model, GestureClassifier) or not model.metadata.get("trained_files"):
            continue
        trained = set(model.metadata["trained_files"])
        seen = sum(bool(file_keys([f]) & trained) for f in files)
        if seen:
            data = model.metadata.get("source", "its dataset")
            print(f"handpose: warning: {seen} of the {len(files)} files evaluated were recorded into {data}, which "
                  "the model was trained on: their accuracy is on hands it has seen; evaluate new recordings",
                  file=sys.stderr)
            return


def cmd_list(args: argparse.Namespace) -> int:
    from ..gestures.dynamic import MOTIONS
    from ..gestures.recognizer import tunable
    from ..gestures.rules import ALIASES, load_rules

    rules, threshold = load_rules(args.rules)
    print(f"{'gesture':<15} description  (threshold {threshold})")
    for r in rules:
        print(f"{r.name:<15} {r.description}")
    print("\nmotions (video mode; tuned by the parameters below), each reported once per stroke; the\n"
          "opposite one right after it (the hands going back) is not reported:")
    for label, text in MOTIONS.items():
        print(f"{label:<15} {text}")
    print("\nparameters ('run --tune NAME=VALUE', 'gestures eval --motions --tune'; GestureRecognizer.tune):")
    for name, (default, what) in tunable().items():
        print(f"{name + '=' + format(default, 'g'):<28} {what}")
    print("\nother vocabularies (HaGRID, MediaPipe) -> handpose:")
    print("  " + ", ".join(f"{a} -> {b}" for a, b in ALIASES.items()))
    return 0
