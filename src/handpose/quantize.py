"""Static INT8 (QDQ, per-channel) landmark model, calibrated on real hand crops, measured against fp32.

Only the landmark model: FACTS-style measurements show INT8 does not speed up the palm detector and corrupts its
scores, and dynamic INT8 is slower than fp32. The heads (fully-connected layers: presence, handedness, keypoints)
are quantized too: measured, that is both faster and closer to fp32 than quantizing the convolutions alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import replacing
from .errors import ConversionError, HandposeError
from .registry import get_model, model_path


def collect_crops(source: Any, model: str = "hand_full", limit: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """Landmark-model inputs (N, 224, 224, 3) of the hands found in a source, and each crop's image pixels per
    crop pixel (to report errors in image pixels)."""
    from tqdm import tqdm

    from .pipeline import HandTracker
    from .sources import open_source

    variant = "full" if model.endswith("full") else "lite"
    tracker = HandTracker(variant, mode="video", max_hands=2, smooth=False)
    crops: list[np.ndarray] = []
    scales: list[float] = []
    with open_source(source) as src, tqdm(total=limit, desc="calibration crops", unit="crop", disable=None) as bar:
        for frame in src:
            if frame.image is None:
                continue
            hands = tracker.process(frame.image, frame.timestamp_ms or None)
            if len(hands):
                from .imaging import prepare

                img, bgr = tracker.shown_to_models(*prepare(frame.image))  # the crops the tracker's model sees
                batch = tracker.landmarks.preprocess(img, hands.rects, bgr)
                crops.extend(batch)
                scales.extend((hands.rects[:, 2] / batch.shape[1]).tolist())
                bar.update(len(batch))
            if len(crops) >= limit:
                break
    if len(crops) < 8:
        raise HandposeError(f"only {len(crops)} hand crops found in {source}: calibration needs real hands "
                            "(a video or images with hands)")
    return np.stack(crops[:limit]).astype(np.float32), np.array(scales[:limit], np.float32)


class _Reader:
    """onnxruntime CalibrationDataReader over an array of crops."""

    def __init__(self, crops: np.ndarray, input_name: str = "input_1"):
        self._it: Iterator[np.ndarray] = iter(crops)
        self.input_name = input_name

    def get_next(self) -> dict[str, np.ndarray] | None:
        x = next(self._it, None)
        return None if x is None else {self.input_name: x[None]}

    def rewind(self) -> None:  # pragma: no cover - required by some onnxruntime versions
        pass


def _median_ms(fn: Any, n: int = 40) -> float:
    for _ in range(3):
        fn()
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(t))


def compare(fp32: Any, int8: Any, crops: np.ndarray, scales: np.ndarray | None = None) -> dict[str, float]:
    """Keypoint error, handedness / presence agreement and speed of an int8 engine against fp32.

    Errors are in crop pixels (224) and, given each crop's scale, in image pixels.
    """
    a, b = fp32.run(crops), int8.run(crops)
    err = np.linalg.norm(a["landmarks"].reshape(-1, 21, 3)[..., :2] - b["landmarks"].reshape(-1, 21, 3)[..., :2],
                         axis=-1)
    img_err = err * (np.ones(len(crops)) if scales is None else scales)[:, None]
    x1 = crops[:1]
    return {
        "crops": len(crops),
        "keypoint_px_mean": float(err.mean()),
        "keypoint_px_p90": float(np.percentile(err, 90)),
        "keypoint_image_px_mean": float(img_err.mean()),
        "handedness_agreement": float(np.mean((a["handedness"] > 0.5) == (b["handedness"] > 0.5))),
        "handedness_abs_diff": float(np.abs(a["handedness"] - b["handedness"]).mean()),
        "presence_abs_diff": float(np.abs(a["presence"] - b["presence"]).mean()),
        "fp32_ms": _median_ms(lambda: fp32.run(x1)),
        "int8_ms": _median_ms(lambda: int8.run(x1)),
    }


def quantize_landmarks(model: str, calib: Any, *, overwrite: bool = False, limit: int = 240,
                       crops: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Write ``<model>_int8`` (ONNX) next to the cache and its measurements (JSON) beside it."""
    try:
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as e:
        raise ConversionError("quantization needs onnxruntime's quantization tools (onnxruntime >= 1.17)") from e
    from .convert import ensure_onnx
    from .engines.onnxrt import OnnxRuntimeEngine

    spec = get_model(model)
    if spec.task != "hand_landmark" or model.endswith("_int8"):
        raise ConversionError(f"only the float landmark models can be quantized, not {model}")
    qspec = get_model(f"{model}_int8")
    dst = model_path(qspec)
    if dst.exists() and not overwrite:
        raise ConversionError(f"{dst} exists; pass --overwrite to replace it")
    src = ensure_onnx(model)
    images, scales = collect_crops(calib, model, limit) if crops is None else crops
    dst.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dst) as part:
        tmp, pre = str(part), str(part) + ".pre.onnx"
        try:
            quant_pre_process(str(src), pre, skip_symbolic_shape=True)
            quantize_static(pre, tmp, _Reader(images[0::2]), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax)
        finally:
            Path(pre).unlink(missing_ok=True)
        fp32 = OnnxRuntimeEngine(spec, src)
        int8 = OnnxRuntimeEngine(qspec, part)
        metrics: dict[str, Any] = {"model": qspec.name, "from": model, "calibration_source": str(calib),
                                   **compare(fp32, int8, images[1::2], scales[1::2])}
        # The project's rule: a default only if handedness is kept and keypoints stay within 1.5 image px.
        metrics["recommended_default"] = bool(metrics["keypoint_image_px_mean"] <= 1.5
                                              and metrics["handedness_agreement"] >= 0.999)
    dst.with_suffix(".json").write_text(json.dumps(metrics, indent=1))
    return metrics
