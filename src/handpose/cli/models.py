"""``handpose models list|fetch|convert``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import HandposeError
from ..registry import list_models, model_path, model_state
from .numbers import at_least


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, fetch, convert and quantize models",
                       description="Manage the model cache ($HANDPOSE_HOME, default ~/.cache/handpose).")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    ls = msub.add_parser("list", help="show every registered model, its state and path")
    ls.set_defaults(handler=cmd_list)

    f = msub.add_parser("fetch", help="download Google's pretrained models (mediapipe==0.10.21 wheel)")
    f.add_argument("names", nargs="*", help="models to fetch (default: all fetchable)")
    f.add_argument("--wheel", help="use a mediapipe-0.10.21 wheel file already on disk (offline install)")
    f.add_argument("--force", action="store_true", help="fetch again even when present")
    f.set_defaults(handler=cmd_fetch)

    c = msub.add_parser("convert", help="convert a model to ONNX (verified against LiteRT)")
    c.add_argument("names", nargs="+", help="models to convert, e.g. palm_full hand_full")
    c.add_argument("--to", default="onnx", choices=["onnx"], help="target format")
    c.add_argument("--images", nargs="*", default=[], help="real images to verify the conversion on")
    c.add_argument("-o", "--output", metavar="DIR",
                   help="write the ONNX files into this folder (to deploy elsewhere) instead of the cache")
    c.add_argument("--overwrite", action="store_true",
                   help="replace an existing converted file (in the cache, one made by this converter is kept)")
    c.add_argument("--no-verify", action="store_true", help="skip the parity check (not recommended)")
    c.set_defaults(handler=cmd_convert)

    q = msub.add_parser("quantize", help="static INT8 landmark model, calibrated on real hand crops")
    q.add_argument("name", help="hand_full or hand_lite (or full / lite: their landmark model)")
    q.add_argument("--calib", required=True, help="SOURCE with real hands (video, folder, glob) to calibrate on")
    q.add_argument("--crops", type=at_least(8), default=240, help="number of hand crops (half calibrate, half test)")
    q.add_argument("--overwrite", action="store_true", help="replace an existing quantized model")
    q.set_defaults(handler=cmd_quantize)


def cmd_list(args: argparse.Namespace) -> int:
    from ..convert import made_by_older_converter

    rows = [("NAME", "TASK", "STATE", "ONNX", "SIZE", "PATH")]
    for spec in list_models():
        converted = model_path(spec, ".onnx")
        onnx = ("old" if made_by_older_converter(converted) else "yes") if converted.is_file() else "-"
        path = model_path(spec)
        known = spec.size or (path.stat().st_size if path.is_file() else None)
        size = f"{known / 1e6:.1f} MB" if known else "-"
        rows.append((spec.name, spec.task, model_state(spec), onnx, size, str(model_path(spec))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..fetch import fetch

    for path in fetch(args.names or None, wheel=args.wheel, force=args.force):
        print(f"ok  {path}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from ..convert import convert_model, ensure_onnx

    folder = Path(args.output) if args.output else None
    if folder is not None and folder.exists() and not folder.is_dir():
        raise HandposeError(f"-o {folder}: not a folder (the files are named after the models)")
    for name in args.names:
        if folder is None and not (args.overwrite or args.no_verify or args.images):
            # into handpose's own cache, idempotent as fetch is: what is there and current is kept
            path = ensure_onnx(name, log=sys.stderr)
        else:
            output = folder / model_path(name, ".onnx").name if folder is not None else None
            path = convert_model(name, args.to, output=output, overwrite=args.overwrite, verify=not args.no_verify,
                                 images=args.images, log=sys.stderr)
        print(f"ok  {path}")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    from ..quantize import quantize_landmarks

    m = quantize_landmarks(args.name, args.calib, overwrite=args.overwrite, limit=args.crops)
    print(f"ok  {model_path(m['model'])}")
    print(f"keypoints vs fp32: {m['keypoint_px_mean']:.2f} px mean (p90 {m['keypoint_px_p90']:.2f}) in the 224 crop, "
          f"{m['keypoint_image_px_mean']:.2f} px in the image; "
          f"handedness agreement {m['handedness_agreement']:.3f}; fp32 {m['fp32_ms']:.2f} ms -> int8 "
          f"{m['int8_ms']:.2f} ms (batch 1, onnxruntime)")
    if "no_hand_crops" in m:
        print(f"crops without a hand turned away (presence < 0.5): fp32 {m['no_hand_rejected_fp32']:.0%}, "
              f"int8 {m['no_hand_rejected_int8']:.0%} of {m['no_hand_crops']}")
    verdict = "accurate enough to be a default" if m["recommended_default"] else "offered as a variant only"
    print(f"{verdict}: HandTracker(engine='onnxruntime', palm_model='{m['from'].replace('hand_', 'palm_')}', "
          f"landmark_model='{m['model']}')")
    return 0
