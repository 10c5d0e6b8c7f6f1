"""LiteRT's outputs for the built-in models, recorded where LiteRT runs, so that a conversion can be verified where it
does not (Windows and other platforms without an ai-edge-litert wheel).

The input is built from integer arithmetic alone, so it is the same bit for bit on every platform and NumPy version;
of each output an evenly spread sample of at most ``SAMPLES`` values is kept, with the output's peak (for models held
to a tolerance relative to it). ``tools/record_parity_reference.py`` writes the file; a test checks it against LiteRT.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..registry import ModelSpec

SAMPLES = 256
FILE = "parity_reference.npz"
MODELS = ("palm_full", "palm_lite", "hand_full", "hand_lite", "pose_full")  # pose_detection: LiteRT only


def recorded_inputs(spec: ModelSpec) -> np.ndarray:
    """Two (size, size, 3) test pictures in [0, 1]: gradients plus an integer-hashed texture, the second mirrored."""
    h, w = spec.input_size
    yy, xx, cc = np.meshgrid(np.arange(h, dtype=np.int64), np.arange(w, dtype=np.int64), np.arange(3, dtype=np.int64),
                             indexing="ij")
    texture = ((xx * 73856093) ^ (yy * 19349663) ^ (cc * 83492791)) % 1024  # exact on every platform
    smooth = np.where(cc == 0, xx * 1024 // w, np.where(cc == 1, yy * 1024 // h, (xx + yy) % 64 * 16))
    first = ((3 * smooth + texture) // 4).astype(np.float32) / np.float32(1023)
    return np.stack([first, np.ascontiguousarray(first[:, ::-1])])


def sample_index(size: int) -> np.ndarray:
    """Which values of a flattened output of ``size`` values are kept: all, or ``SAMPLES`` evenly spread."""
    return np.unique(np.linspace(0, size - 1, min(size, SAMPLES)).round().astype(np.int64))


def outputs_on_recorded_inputs(run: Callable[[np.ndarray], dict[str, np.ndarray]], spec: ModelSpec
                                ) -> dict[str, np.ndarray]:
    """``run(x)`` (an engine's run) on each recorded picture in turn, outputs concatenated and flattened."""
    parts: dict[str, list[np.ndarray]] = {}
    for picture in recorded_inputs(spec):
        for name, value in run(picture[None]).items():
            parts.setdefault(name, []).append(np.asarray(value, np.float32).ravel())
    return {name: np.concatenate(values) for name, values in parts.items()}


def record(specs: list[ModelSpec], path: Path) -> None:
    """Run each model on LiteRT and write the samples (the maintainers' step when a built-in model changes)."""
    from ..engines.litert import LiteRTEngine
    from ..fetch import ensure_model

    arrays: dict[str, Any] = {}
    for spec in specs:
        engine = LiteRTEngine(spec, ensure_model(spec.name), threads=1)
        arrays[f"{spec.name}/sha256"] = np.array(spec.sha256 or "")
        for name, flat in outputs_on_recorded_inputs(engine.run, spec).items():
            arrays[f"{spec.name}/{name}/peak"] = np.array(np.abs(flat).max(), np.float32)
            arrays[f"{spec.name}/{name}/values"] = flat[sample_index(flat.size)]
    np.savez_compressed(path, **arrays)


def recorded(spec: ModelSpec) -> dict[str, tuple[np.ndarray, float]] | None:
    """Per output: (the sampled values, the peak) LiteRT gave for this exact model file, or None if not recorded."""
    with resources.files("handpose").joinpath(f"data/{FILE}").open("rb") as f, np.load(f, allow_pickle=False) as data:
        key = f"{spec.name}/sha256"
        if not spec.sha256 or key not in data.files or str(data[key]) != spec.sha256:
            return None
        names = {k.split("/")[1] for k in data.files if k.startswith(f"{spec.name}/") and k.endswith("/values")}
        return {n: (data[f"{spec.name}/{n}/values"], float(data[f"{spec.name}/{n}/peak"])) for n in names}
