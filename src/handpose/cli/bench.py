"""``handpose bench SOURCE``: speed of every stage and engine, side by side with MediaPipe."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import HandposeError
from ..outputs import check_distinct, check_writable, write_text
from .numbers import add_part_options, at_least, video_part, zoom


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def _names(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed per stage and engine, against MediaPipe",
                       description="Benchmark the pipeline on a video or images: per-stage latency, fps, "
                                   "landmark batching, cost per hand, memory and cold start; with --reference, "
                                   "MediaPipe on the same frames in the same run, interleaved.")
    p.add_argument("source", help="video file, image, folder or glob")
    p.add_argument("--model", default="full", choices=["full", "lite"])
    p.add_argument("--engines", type=_names, default=None,
                   help="comma list (default: every available: litert, onnxruntime, onnxruntime-int8, ...)")
    p.add_argument("--modes", type=_names, default=("image", "video"))
    p.add_argument("--max-hands", type=_ints, default=(1, 2))
    p.add_argument("--frames", type=at_least(1), default=None, help="use only the first N frames (of the part)")
    add_part_options(p, "benchmark on its frames")
    p.add_argument("--repeat", type=at_least(1), default=1,
                   help="time the pipelines over the frames N times (a narrower range for the ratios to MediaPipe)")
    p.add_argument("--reference", default=None,
                   help="python of the MediaPipe reference environment (default: $HANDPOSE_REFERENCE_PYTHON or "
                        ".venv-ref/bin/python when present; 'none' to skip)")
    p.add_argument("--reference-apis", type=_names, default=("solutions", "tasks"))
    p.add_argument("--batches", type=_ints, default=(1, 2, 4, 8))
    p.add_argument("--hands", type=_ints, default=(1, 2, 4), help="hand counts for the scaling test")
    p.add_argument("--no-cold-start", action="store_true", help="skip the cold start / memory measurement")
    p.add_argument("--no-stability", action="store_true",
                   help="skip the jitter (a still hand) and smoothing lag (the source's moving hand) measurement")
    p.add_argument("--threads", type=at_least(1), default=None)
    p.add_argument("--gestures", default=None, help="also time gesture recognition, e.g. 'builtin'")
    p.add_argument("--zoom", type=zoom, default=1.0, metavar="Z",
                   help="time handpose searching tiles seen Z times closer too (as 'handpose run --zoom')")
    p.add_argument("--json", help="write the full report as JSON")
    p.add_argument("--markdown", help="write the report as Markdown")
    p.add_argument("--plot", help="write a PNG of stacked per-stage bars")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from ..benchmark import BenchConfig, available_bench_engines, run_benchmark
    from ..benchmark.report import plot, render
    from ..reference import find_reference_python

    check_distinct({"--json": args.json, "--markdown": args.markdown, "--plot": args.plot})
    for out in (args.json, args.markdown, args.plot):
        if out:  # before the long run, not after it
            check_writable(Path(out), args.overwrite, make_folders=False)
    have, notes = available_bench_engines(args.model)
    engines = args.engines or tuple(have)
    missing = [e for e in engines if e not in have]
    if missing:
        raise HandposeError(f"engines not available here: {', '.join(missing)} ({'; '.join(notes)})")
    ref = None if args.reference == "none" else find_reference_python(args.reference)
    if args.reference not in (None, "none") and ref is None:
        raise HandposeError(f"reference python not found: {args.reference}")
    cfg = BenchConfig(source=args.source, limit=args.frames, part=video_part(args), model=args.model, engines=engines,
                      modes=args.modes, max_hands=args.max_hands, reference_python=ref,
                      reference_apis=args.reference_apis, batches=args.batches, hand_counts=args.hands,
                      cold_start=not args.no_cold_start, stability=not args.no_stability, threads=args.threads,
                      notes=notes, gestures=args.gestures, zoom=args.zoom, repeat=args.repeat)
    report = run_benchmark(cfg)
    sys.stdout.write(render(report))
    if args.json:
        write_text(Path(args.json), json.dumps(report, indent=1))
    if args.markdown:
        write_text(Path(args.markdown), render(report, markdown=True))
    if args.plot:
        plot(report, args.plot)
    return 0
