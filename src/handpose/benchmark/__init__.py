"""``handpose bench``: per-stage latency, fps, batching, hands scaling, memory and cold start, side by side with
MediaPipe on the same frames in the same run (interleaved block by block so machine noise hits both alike)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

from ..machine import machine_info
from ..registry import VARIANTS, model_path
from .cold_start import cold_starts
from .config import STAGES, BenchConfig, available_bench_engines, stats
from .frames import decode_times, load_frames, save_rgb
from .pipelines import pipeline_runs, ratios_to_baseline
from .scaling import hand_scaling, landmark_batches, real_crops
from .stability import measure_stability

__all__ = ["STAGES", "BenchConfig", "available_bench_engines", "decode_times", "load_frames", "machine_info",
           "run_benchmark"]


def run_benchmark(cfg: BenchConfig, progress: bool = True) -> dict[str, Any]:
    from tqdm import tqdm

    from ..reference import ReferenceWorker

    frames, fps = load_frames(cfg.source, cfg.limit, part=cfg.part)
    read_ms = decode_times(cfg.source, min(len(frames), 200), cfg.part)
    report: dict[str, Any] = {"machine": machine_info(), "source": cfg.source, "part": cfg.part, "frames": len(frames),
                              "size": f"{frames[0].shape[1]}x{frames[0].shape[0]}", "model": cfg.model,
                              "engines": list(cfg.engines), "read_ms": stats(read_ms), "notes": list(cfg.notes),
                              "gestures": cfg.gestures, "zoom": cfg.zoom}
    worker = ReferenceWorker(cfg.reference_python) if cfg.reference_python else None
    if worker is None:
        report["notes"].append("no MediaPipe reference: run 'make reference-env' and pass --reference")
    total = len(frames) * cfg.repeat * len(cfg.modes) * len(cfg.max_hands)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if worker is not None:
                path = os.path.join(tmp, "frames.npy")
                save_rgb(path, frames)
                report["mediapipe"] = worker.call("load", frames=path)["mediapipe"]
            with tqdm(total=total, desc="pipelines", unit="frame", disable=not progress or None,
                      file=sys.stderr) as bar:
                ours, ref = pipeline_runs(cfg, frames, fps, worker, bar)
            report["stability"] = measure_stability(cfg, frames, fps, worker, tmp) if cfg.stability else None
    finally:
        if worker is not None:
            worker.close()
    report["pipeline"], report["reference"] = ours, ref
    report["ratios"] = ratios_to_baseline(ours, ref)
    report["models_sum"] = [
        {"engine": r["engine"], "max_hands": r["max_hands"], "total_ms": r["total_ms"]["median"],
         "models_ms": r["stages"]["palm_model"]["median"] + r["stages"]["landmark_model"]["median"],
         "overhead_ratio": r["total_ms"]["median"]
         / (r["stages"]["palm_model"]["median"] + r["stages"]["landmark_model"]["median"])}
        for r in ours if r["mode"] == "image" and "palm_model" in r["stages"] and "landmark_model" in r["stages"]]
    crops = real_crops(cfg, frames, max(cfg.batches))
    report["landmark_batch"] = landmark_batches(cfg, crops) if cfg.batches else []
    report["hands_scaling"] = hand_scaling(cfg, frames, fps) if cfg.hand_counts else []
    if cfg.hand_counts and not report["hands_scaling"]:
        report["notes"].append("cost versus hands: not measured, as no hand of the source is found when cut out "
                               "and tiled (too small or out of focus); a source with larger, sharper hands has it")
    report["memory"] = cold_starts(cfg, frames[0], cfg.reference_python) if cfg.cold_start else []
    report["int8"] = _int8_summary(cfg)
    return report


def _int8_summary(cfg: BenchConfig) -> dict[str, Any] | None:
    hand = VARIANTS[cfg.model][1]
    meta = model_path(f"{hand}_int8").with_suffix(".json")
    if meta.is_file():
        return json.loads(meta.read_text(encoding="utf-8"))
    return None
