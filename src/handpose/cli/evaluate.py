"""``handpose eval ANNOTATIONS``: keypoint accuracy, ours and MediaPipe's side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import HandposeError
from ..outputs import check_writable, write_text
from .numbers import at_least, zoom


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="keypoint accuracy on annotated hands (hands21 or COCO JSON)",
                       description="Detection recall/precision, PCK@0.1/0.2, end-point error and AUC on annotated "
                                   "images, per source; with --reference, MediaPipe on the same images.")
    p.add_argument("annotations", help="hands21 JSON (list of images), COCO-WholeBody JSON, or COCO JSON of one hand "
                   "per annotation with 21 keypoints (as 'handpose run --coco' writes)")
    p.add_argument("--format", default="auto", choices=["auto", "hands21", "coco"])
    p.add_argument("--images", help="image folder for COCO annotations (default: the JSON's folder)")
    p.add_argument("--model", default="full", choices=["full", "lite", "full-int8", "lite-int8"])
    p.add_argument("--engine", default="auto", choices=["auto", "litert", "onnxruntime", "torch"])
    p.add_argument("--max-hands", type=at_least(1), default=2)
    p.add_argument("--zoom", type=zoom, default=1.0, metavar="Z", help="also run handpose looking for hands in tiles "
                   "seen Z times closer (as 'handpose run --zoom'), in a column of its own")
    p.add_argument("--gray", action="store_true", help="evaluate on gray copies of the images, as an infrared or "
                   "monochrome camera sees them: handpose as it runs them (in a skin tone), handpose on the plain "
                   "gray copies (column handpose-plain-gray) and MediaPipe on the same gray copies")
    p.add_argument("--reference", default=None,
                   help="python of the MediaPipe reference environment ('none' to skip; default: "
                        "$HANDPOSE_REFERENCE_PYTHON or .venv-ref/bin/python when present)")
    p.add_argument("--json", help="write the report as JSON")
    p.add_argument("--draw", metavar="FOLDER", help="write a picture of every annotated image here: each run's "
                   "keypoints (handpose, MediaPipe, ...) side by side over the annotation, in white")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=cmd_eval)


def _ours(model: str, engine: str, max_hands: int, zoom: float = 1.0, as_gray: bool = False,
          gray: str = "skin") -> Any:
    from ..imaging import gray_copy
    from ..pipeline import HandTracker
    from ..sources import read_image

    tracker = HandTracker(model, engine, mode="image", max_hands=max_hands, zoom=zoom, gray=gray)

    def predict(path: str) -> list | None:
        try:
            img = read_image(path)
        except HandposeError:
            return None
        return list(tracker.process(gray_copy(img) if as_gray else img).keypoints)

    return predict


def _theirs(worker: Any, max_hands: int, as_gray: bool = False) -> Any:
    import numpy as np

    worker.call("open", key="eval", api="solutions", mode="image", max_hands=max_hands, complexity=1)

    def predict(path: str) -> list | None:
        res = worker.call("images", key="eval", paths=[path], gray=as_gray)["results"][0]
        return None if res is None else [np.asarray(h["keypoints"], np.float32) for h in res]

    return predict


def render(report: dict[str, Any]) -> str:
    cols = list(report["runs"])  # handpose first, then its variants, then mediapipe
    metrics = ["gt_hands", "matched", "recall", "precision", "pck@0.1", "pck@0.2", "pck@0.2_all_hands", "epe_px",
               "auc@0.5"]
    copies = ", gray copies" if report.get("gray") else ""
    lines = [f"== handpose eval: {report['annotations']} ({report['images']} images{copies})"]

    def fmt(v: Any) -> str:
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    sources = ["overall", *report["runs"][cols[0]]["per_source"]]
    header = ["source", "metric", *cols]
    rows = []
    for src in sources:
        for m in metrics:
            vals = []
            for c in cols:
                run = report["runs"][c]
                block = run["overall"] if src == "overall" else run["per_source"].get(src, {})
                vals.append(fmt(block.get(m)))
            rows.append([src, m, *vals])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt_row = "  ".join(f"{{:<{w}}}" for w in widths)
    lines += [fmt_row.format(*header), fmt_row.format(*("-" * w for w in widths))]
    lines += [fmt_row.format(*r) for r in rows]
    unreadable = report["runs"][cols[0]]["unreadable"]
    if unreadable:
        first = ", ".join(unreadable[:3]) + (", ..." if len(unreadable) > 3 else "")
        lines.append(f"{len(unreadable)} of {report['images']} images could not be read and are left out: {first}")
    if "int8_vs_fp32" in report:
        a = report["int8_vs_fp32"]
        lines.append(f"int8 vs fp32: {fmt(a['keypoint_px_mean'])} px mean keypoint distance on {a['hands']} hands")
    return "\n".join(lines) + "\n"


def cmd_eval(args: argparse.Namespace) -> int:
    from ..evaluation import agreement, evaluate, load_annotations
    from ..evaluation_pictures import picture_paths, write_pictures
    from ..reference import ReferenceWorker, find_reference_python
    from ..registry import VARIANTS, model_state

    if args.json:
        check_writable(Path(args.json), args.overwrite, make_folders=False)
    if not Path(args.annotations).is_file():
        raise HandposeError(f"annotations not found: {args.annotations}")
    images = load_annotations(args.annotations, args.format, args.images)
    if not any(item.hands for item in images):
        raise HandposeError(f"no annotated hands in {args.annotations}")
    pictures = picture_paths(images, Path(args.draw), args.overwrite) if args.draw else []
    report: dict[str, Any] = {"annotations": args.annotations, "images": len(images), "model": args.model,
                              "gray": args.gray, "runs": {}}
    report["runs"]["handpose"] = evaluate(images, _ours(args.model, args.engine, args.max_hands, as_gray=args.gray),
                                          desc="handpose")
    unreadable = report["runs"]["handpose"]["unreadable"]
    if len(unreadable) == len(images):
        raise HandposeError(f"none of the {len(images)} annotated images could be read (the first: {unreadable[0]})")
    if args.zoom > 1:
        report["runs"][f"handpose-zoom{args.zoom:g}"] = evaluate(
            images, _ours(args.model, args.engine, args.max_hands, args.zoom, as_gray=args.gray),
            desc=f"zoom {args.zoom:g}")
    if args.gray:
        report["runs"]["handpose-plain-gray"] = evaluate(
            images, _ours(args.model, args.engine, args.max_hands, as_gray=True, gray="plain"), desc="plain gray")
    int8 = f"{args.model}-int8"
    if int8 in VARIANTS and model_state(VARIANTS[int8][1]) == "present":
        report["runs"]["handpose-int8"] = evaluate(images, _ours(int8, "auto", args.max_hands, as_gray=args.gray),
                                                    desc="int8")
        report["int8_vs_fp32"] = agreement(report["runs"]["handpose-int8"], report["runs"]["handpose"])
    ref = None if args.reference == "none" else find_reference_python(args.reference)
    if args.reference not in (None, "none") and ref is None:
        raise HandposeError(f"reference python not found: {args.reference}")
    if ref:
        with ReferenceWorker(ref) as worker:
            report["runs"]["mediapipe"] = evaluate(images, _theirs(worker, args.max_hands, args.gray),
                                                   desc="mediapipe")
    sys.stdout.write(render(report))
    if args.json:
        write_text(Path(args.json), json.dumps(report, indent=1))
    if pictures:
        runs = {name: run["predictions"] for name, run in report["runs"].items()}
        print(f"pictures: {write_pictures(images, pictures, runs, gray=args.gray)} in {args.draw}")
    return 0
