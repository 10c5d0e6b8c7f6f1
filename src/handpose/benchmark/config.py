"""What a bench run measures (:class:`BenchConfig`), the stages it times, and the engines it can time here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..registry import VARIANTS, model_state

STAGES = ("prepare", "palm_pre", "palm_model", "palm_post", "crop", "landmark_model", "post", "gestures")
STAGE_LABELS = {"read": "read/decode", "prepare": "input checks", "palm_pre": "palm pre-processing",
                "palm_model": "palm model", "palm_post": "palm decoding + NMS", "crop": "crop",
                "landmark_model": "landmark model", "post": "projection + tracking + smoothing",
                "gestures": "gestures"}
# Targets of this project: our per-frame time / MediaPipe legacy's, on the same frames.
BASELINE = "mediapipe-solutions"
TARGETS = {("video", 1): 1 / 1.5, ("image", 1): 1 / 1.8, ("video", 2): 1 / 2.5}


@dataclass
class BenchConfig:
    source: str
    limit: int | None = None
    part: dict[str, float] = field(default_factory=dict)  # a part of a video: open_source's start / end
    model: str = "full"
    engines: tuple[str, ...] = ("litert", "onnxruntime")
    modes: tuple[str, ...] = ("image", "video")
    max_hands: tuple[int, ...] = (1, 2)
    reference_python: str | None = None
    reference_apis: tuple[str, ...] = ("solutions", "tasks")
    block: int = 10
    warmup: int = 5
    repeat: int = 1  # passes over the frames; more passes narrow the ratio's range on a noisy machine
    batches: tuple[int, ...] = (1, 2, 4, 8)
    hand_counts: tuple[int, ...] = (1, 2, 4)
    cold_start: bool = True
    stability: bool = True  # jitter of a still hand, lag of the smoothing (and MediaPipe's jitter, with the worker)
    still_frames: int = 100
    threads: int | None = None
    gestures: str | None = None  # e.g. "builtin": also time gesture recognition (our side only)
    zoom: float = 1.0  # our side also searches tiles seen this much closer (HandTracker(zoom=...))
    notes: list[str] = field(default_factory=list)


def stats(values: list[float] | np.ndarray) -> dict[str, float]:
    a = np.asarray(values, np.float64)
    if a.size == 0:
        return {"median": float("nan"), "p90": float("nan"), "mean": float("nan")}
    return {"median": float(np.median(a)), "p90": float(np.percentile(a, 90)), "mean": float(a.mean())}


def engine_tracker_args(engine: str, model: str) -> dict[str, Any]:
    """HandTracker arguments for an engine name of the bench (int8 and TensorRT are variants of onnxruntime)."""
    palm, hand = VARIANTS[model]
    if engine == "onnxruntime-int8":  # INT8 landmarks on onnxruntime, the palm model on the fastest engine
        return {"engine": "auto", "palm_model": palm, "landmark_model": f"{hand}_int8"}
    if engine == "tensorrt":
        return {"engine": "onnxruntime", "providers": ["tensorrt"]}
    if engine == "cuda":
        return {"engine": "onnxruntime", "providers": ["cuda"]}
    return {"engine": engine}


def available_bench_engines(model: str = "full") -> tuple[list[str], list[str]]:
    """Engines this machine can run, and notes on the ones it cannot."""
    from ..engines import available_engines
    from ..engines.onnxrt import available_providers, starts, why_not_started

    have: list[str] = []
    notes: list[str] = []
    engines = available_engines()
    have += [e for e in ("litert", "onnxruntime") if e in engines]
    hand = VARIANTS[model][1]
    if "onnxruntime" in engines:
        if model_state(f"{hand}_int8") == "present":
            have.append("onnxruntime-int8")
        else:
            notes.append(f"onnxruntime-int8: run 'handpose models quantize {hand}' first")
        providers = available_providers()
        # listed is not enough: without a GPU or the CUDA libraries it was built for, CUDA does not start (nor
        # TensorRT, which runs on it)
        cuda = "CUDAExecutionProvider" in providers and starts("CUDAExecutionProvider")
        if cuda:
            have.append("cuda")
        elif "CUDAExecutionProvider" in providers:
            notes.append("cuda, tensorrt: onnxruntime lists them but could not start CUDA: "
                         + why_not_started(["CUDAExecutionProvider"]))
        if cuda and "TensorrtExecutionProvider" in providers:
            have.append("tensorrt")
        elif cuda or "CUDAExecutionProvider" not in providers:  # else the note above says why
            notes.append("tensorrt: not available (needs onnxruntime-gpu with TensorRT and an NVIDIA GPU)")
    if "torch" in engines:
        have.append("torch")
    else:
        notes.append("torch: not installed (pip install 'handpose[train]')")
    return have, notes
