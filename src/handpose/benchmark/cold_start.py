"""Cold start: import, model load and first result in a fresh process, with its peak memory; MediaPipe's too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from ..errors import HandposeError
from ..reference_worker import peak_rss_mb
from ..registry import VARIANTS, model_path
from .config import BenchConfig, engine_tracker_args


def cold_start_main(engine: str, model: str, frame_path: str) -> None:
    """Run in a fresh process: import + model load + first result (``python -m handpose.benchmark.cold_start``)."""
    t0 = time.perf_counter()
    import handpose

    frame = np.load(frame_path)
    tracker = handpose.HandTracker(model, mode="image", **engine_tracker_args(engine, model))
    tracker.process(frame)
    print(json.dumps({"cold_ms": (time.perf_counter() - t0) * 1e3, "rss_mb": peak_rss_mb()}))


def cold_starts(cfg: BenchConfig, frame: np.ndarray, ref_python: str | None) -> list[dict]:
    from ..reference import reference_cold_start

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bgr_path, rgb_path = os.path.join(tmp, "bgr.npy"), os.path.join(tmp, "rgb.npy")
        np.save(bgr_path, frame)
        np.save(rgb_path, np.ascontiguousarray(frame[..., ::-1]))
        for engine in cfg.engines:
            out = subprocess.run([sys.executable, "-m", "handpose.benchmark.cold_start", engine, cfg.model, bgr_path],
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if out.returncode == 0:
                rows.append({"who": f"handpose {engine}", **json.loads(out.stdout.strip().splitlines()[-1])})
            else:
                rows.append({"who": f"handpose {engine}", "error": out.stderr.strip()[-200:]})
        if ref_python:
            palm, hand = (str(model_path(n)) for n in VARIANTS[cfg.model])
            for api in cfg.reference_apis:
                try:
                    rows.append({"who": f"mediapipe {api}",
                                 **reference_cold_start(ref_python, rgb_path, api, palm, hand)})
                except HandposeError as e:
                    rows.append({"who": f"mediapipe {api}", "error": str(e)[-200:]})
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4:
        cold_start_main(*sys.argv[1:])
    else:
        print("usage: python -m handpose.benchmark.cold_start ENGINE MODEL FRAME.npy", file=sys.stderr)
        sys.exit(2)
