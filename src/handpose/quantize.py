"""Static INT8 (QDQ, per-channel) landmark model, calibrated on real hand crops, measured against fp32.

Only the landmark model: FACTS-style measurements show INT8 does not speed up the palm detector and corrupts its
scores, and dynamic INT8 is slower than fp32. The keypoint heads (fully-connected layers) are quantized too:
measured, that is both faster and closer to fp32 than quantizing the convolutions alone. The two score heads
(presence, handedness) stay float: see ``SCORE_HEADS``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import replacing
from .errors import ConversionError, HandposeError
from .outputs import write_text
from .registry import VARIANTS, ModelSpec, get_model, model_path

log = logging.getLogger("handpose")
DEAD_CHANNEL_TOL = 1e-6  # hand_full: 5,426 filters of exact zeros and 5 more under 1e-6 (float16 residue)

# Version of the recipe, written into the measurements beside the model. 2: the score heads stay float. Quantized,
# calibrated on hand crops alone, their logits' range began at 0: every crop without a hand scored exactly 0.5
# (sigmoid of 0), which passes the 0.5 presence bar, so a track whose hand had gone lived on on the background.
RECIPE = 2
SCORE_HEADS = ("presence", "handedness")


def collect_crops(source: Any, model: str = "hand_full", limit: int = 240
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmark-model inputs (N, 224, 224, 3) of the hands found in a source, each crop's image pixels per crop
    pixel (to report errors in image pixels), and crops of the same frames where no hand is (up to one a frame:
    what a tracker's crop shows once its hand has gone)."""
    from tqdm import tqdm

    from .imaging import prepare
    from .pipeline import HandTracker
    from .sources import open_source

    variant = "full" if model.endswith("full") else "lite"
    tracker = HandTracker(variant, mode="video", max_hands=2, smooth=False)
    crops: list[np.ndarray] = []
    scales: list[float] = []
    empty: list[np.ndarray] = []
    with open_source(source) as src, tqdm(total=limit, desc="calibration crops", unit="crop", disable=None) as bar:
        for frame in src:
            if frame.image is None:
                continue
            hands = tracker.process(frame.image, frame.timestamp_ms or None)
            if len(hands):
                img, bgr = tracker.shown_to_models(*prepare(frame.image))  # the crops the tracker's model sees
                batch = tracker.landmarks.preprocess(img, hands.rects, bgr)
                crops.extend(batch)
                scales.extend((hands.rects[:, 2] / batch.shape[1]).tolist())
                away = _hand_free_rect(hands.rects[0], hands.boxes, img.shape[1], img.shape[0])
                if away is not None:
                    empty.extend(tracker.landmarks.preprocess(img, away[None], bgr))
                bar.update(len(batch))
            if len(crops) >= limit:
                break
    if len(crops) < 8:
        raise HandposeError(f"only {len(crops)} hand crops found in {source}: calibration needs real hands "
                            "(a video or images with hands)")
    size = crops[0].shape[0]
    return (np.stack(crops[:limit]).astype(np.float32), np.array(scales[:limit], np.float32),
            np.stack(empty).astype(np.float32) if empty else np.zeros((0, size, size, 3), np.float32))


def _hand_free_rect(rect: np.ndarray, boxes: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """A hand's crop rect moved, upright, to the frame's corner region farthest from every hand (its square clear
    of their keypoint boxes grown by half), or None where the frame has no such place."""
    side = float(max(rect[2], rect[3]))
    grown = boxes + np.array([-1, -1, 1, 1], np.float32) * 0.5 * (boxes[:, 2:] - boxes[:, :2]).max(1, keepdims=True)
    best, far = None, -1.0
    for cx in (side / 2, width - side / 2):
        for cy in (side / 2, height - side / 2):
            x0, y0, x1, y1 = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
            clear = (grown[:, 0] >= x1) | (grown[:, 2] <= x0) | (grown[:, 1] >= y1) | (grown[:, 3] <= y0)
            dist = float(np.hypot(cx - (boxes[:, 0] + boxes[:, 2]) / 2, cy - (boxes[:, 1] + boxes[:, 3]) / 2).min())
            if clear.all() and dist > far:
                best, far = np.array([cx, cy, side, side, 0.0], np.float32), dist
    return best


def _score_head_nodes(model: Any, spec: ModelSpec) -> list[str]:
    """Names of the nodes from each score output back to its fully-connected layer, at most 4 nodes up (named here
    when unnamed, as converted graphs leave them); a head of another shape is left to the quantizer."""
    for i, node in enumerate(model.graph.node):
        if not node.name:
            node.name = f"{node.op_type.lower()}_{i}"
    producer = {out: node for node in model.graph.node for out in node.output}
    names: list[str] = []
    for out in model.graph.output:
        if spec.outputs.get(out.name, out.name) not in SCORE_HEADS:
            continue
        chain: list[str] = []
        node = producer.get(out.name)
        while node is not None and len(chain) < 4:
            chain.append(node.name)
            if node.op_type in ("Gemm", "MatMul", "Conv"):
                names += chain
                break
            node = producer.get(node.input[0])
    return names


def _zero_dead_channels(model: Any, tol: float = DEAD_CHANNEL_TOL) -> int:
    """Set to exactly 0 the convolution filters whose weights are all under ``tol`` (pruned filters left with float16
    residue); returns how many. Their bias over a per-channel weight scale that small overflows int32, which
    onnxruntime < 1.20 casts to garbage instead of raising the scale, while an all-zero filter gets scale 1."""
    from onnx import numpy_helper

    inits = {init.name: init for init in model.graph.initializer}
    count = 0
    for node in model.graph.node:
        if node.op_type != "Conv" or len(node.input) < 3 or node.input[1] not in inits:
            continue
        w = numpy_helper.to_array(inits[node.input[1]])
        peak = np.abs(w).reshape(len(w), -1).max(axis=1)
        dead = (peak > 0) & (peak < tol)
        if dead.any():
            w = w.copy()
            w[dead] = 0
            inits[node.input[1]].CopyFrom(numpy_helper.from_array(w, node.input[1]))
            count += int(dead.sum())
    return count


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


def compare(fp32: Any, int8: Any, crops: np.ndarray, scales: np.ndarray | None = None,
            empty: np.ndarray | None = None) -> dict[str, float]:
    """Keypoint error, handedness / presence agreement and speed of an int8 engine against fp32; with ``empty``
    (crops without a hand), how many of them each model turns away (presence under 0.5, the tracker's bar).

    Errors are in crop pixels (224) and, given each crop's scale, in image pixels.
    """
    a, b = fp32.run(crops), int8.run(crops)
    err = np.linalg.norm(a["landmarks"].reshape(-1, 21, 3)[..., :2] - b["landmarks"].reshape(-1, 21, 3)[..., :2],
                         axis=-1)
    img_err = err * (np.ones(len(crops)) if scales is None else scales)[:, None]
    x1 = crops[:1]
    out = {
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
    if empty is not None and len(empty):
        out["no_hand_crops"] = len(empty)
        out["no_hand_rejected_fp32"] = float(np.mean(fp32.run(empty)["presence"] < 0.5))
        out["no_hand_rejected_int8"] = float(np.mean(int8.run(empty)["presence"] < 0.5))
    return out


def outdated_recipe(spec: ModelSpec) -> bool:
    """Whether an INT8 model was made by an older recipe (its measurements say which) now known to be wrong;
    False for any other model, and for one not made by ``handpose models quantize`` (nothing to go by)."""
    if not spec.name.endswith("_int8"):
        return False
    try:
        meta = json.loads(model_path(spec).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return made_by_outdated_recipe(meta)


def made_by_outdated_recipe(measurements: Any) -> bool:
    """Whether the measurements written beside an INT8 model (none of recipe 1 has a ``recipe``) name an older
    recipe; False where they are not such a record."""
    try:
        return int(measurements.get("recipe", 1)) < RECIPE
    except (AttributeError, TypeError, ValueError):
        return False


def requantize_hint(spec: ModelSpec) -> str:
    return (f"{spec.name} was made by an older handpose whose INT8 presence score never drops under 0.5: a tracked "
            f"hand that leaves is followed over the background. Make it again: handpose models quantize "
            f"{spec.name.removesuffix('_int8')} --calib SOURCE --overwrite")


def check_recipe(spec: ModelSpec) -> None:
    """Warn when a quantized model was made by an outdated recipe."""
    if outdated_recipe(spec):
        log.warning("%s", requantize_hint(spec))


def quantize_landmarks(model: str, calib: Any, *, overwrite: bool = False, limit: int = 240,
                       crops: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Write ``<model>_int8`` (ONNX) next to the cache and its measurements (JSON) beside it. ``model`` is a landmark
    model or a variant of HandTracker (``full``, ``lite``: its landmark model)."""
    try:
        import onnx
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as e:
        raise ConversionError("quantization needs onnxruntime's quantization tools (onnxruntime >= 1.17)") from e
    from .convert import ensure_onnx
    from .engines.onnxrt import OnnxRuntimeEngine

    model = VARIANTS[model][1] if model in VARIANTS else model
    spec = get_model(model)
    if spec.task != "hand_landmark" or model.endswith("_int8"):
        raise ConversionError(f"only the float landmark models can be quantized, not {model}")
    qspec = get_model(f"{model}_int8")
    dst = model_path(qspec)
    if dst.exists() and not overwrite:
        raise ConversionError(f"{dst} exists; pass --overwrite to replace it")
    src = ensure_onnx(model)
    images, scales, empty = collect_crops(calib, model, limit) if crops is None else crops
    dst.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dst) as part:
        tmp, pre = str(part), str(part) + ".pre.onnx"
        try:
            quant_pre_process(str(src), pre, skip_symbolic_shape=True)
            graph = onnx.load(pre)
            keep_float = _score_head_nodes(graph, spec)
            log.debug("quantize: %d pruned filters zeroed", _zero_dead_channels(graph))
            onnx.save(graph, pre)
            quantize_static(pre, tmp, _Reader(images[0::2]), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=keep_float)
        finally:
            Path(pre).unlink(missing_ok=True)
        fp32 = OnnxRuntimeEngine(spec, src)
        int8 = OnnxRuntimeEngine(qspec, part)
        metrics: dict[str, Any] = {"model": qspec.name, "from": model, "recipe": RECIPE,
                                   "calibration_source": str(calib),
                                   **compare(fp32, int8, images[1::2], scales[1::2], empty)}
        # The project's rule: a default only if handedness is kept, keypoints stay within 1.5 image px and
        # crops without a hand are turned away as by fp32.
        metrics["recommended_default"] = bool(
            metrics["keypoint_image_px_mean"] <= 1.5 and metrics["handedness_agreement"] >= 0.999
            and ("no_hand_crops" not in metrics
                 or metrics["no_hand_rejected_int8"] >= metrics["no_hand_rejected_fp32"] - 0.05))
    write_text(dst.with_suffix(".json"), json.dumps(metrics, indent=1))  # whole: the recipe check reads it
    return metrics
