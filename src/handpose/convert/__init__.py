"""Own TFLite -> ONNX conversion (no TensorFlow), verified against the TFLite interpreter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ..atomic import replacing, unwritable
from ..errors import ConversionError
from ..registry import ModelSpec, get_model, model_path, unwritable_cache_hint

TOLERANCE = 1e-3
logger = logging.getLogger("handpose")


def verification_inputs(spec: ModelSpec, images: Sequence[str | Path] = (), batch: int = 1) -> np.ndarray:
    """Model inputs from real images (letterboxed to the input size), else a fixed synthetic scene."""
    import cv2

    from ..imaging import letterbox

    h, w = spec.input_size
    arrays = []
    for p in images:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None:
            raise ConversionError(f"cannot read verification image {p}")
        arrays.append(letterbox(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), (w, h))[0].astype(np.float32) / 255.0)
    if not arrays:
        rng = np.random.default_rng(1234)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin((xx + yy) / 9.0)], -1)
        arrays = [np.clip(base + rng.normal(0, 0.08, base.shape), 0, 1).astype(np.float32)]
    while len(arrays) < batch:
        arrays.append(np.ascontiguousarray(arrays[len(arrays) % len(arrays)][:, ::-1]))
    return np.stack(arrays[: max(batch, len(arrays))]).astype(np.float32)


def tolerance(spec: ModelSpec, reference: np.ndarray) -> float:
    """Allowed max abs difference for one output: 1e-3, plus ``parity_rtol`` x its peak for models whose outputs
    are large logits (none of the hand models: they are held to 1e-3 absolute)."""
    rtol = float(spec.extra.get("parity_rtol", 0.0))  # type: ignore[arg-type]
    return TOLERANCE + rtol * float(np.abs(reference).max())


def parity(spec: ModelSpec, onnx_path: Path, inputs: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per output: (max abs difference between the ONNX file on onnxruntime and the ``.tflite`` on LiteRT,
    the difference allowed)."""
    from ..engines.litert import LiteRTEngine
    from ..engines.onnxrt import OnnxRuntimeEngine

    ref = LiteRTEngine(spec, model_path(spec), threads=1)
    ours = OnnxRuntimeEngine(spec, onnx_path, threads=1)
    batches = [inputs] if spec.dynamic_batch else [inputs[i : i + 1] for i in range(len(inputs))]
    err: dict[str, float] = {}
    limit: dict[str, float] = {}
    for x in batches:
        a, b = ref.run(x), ours.run(x)
        for k in a:
            err[k] = max(err.get(k, 0.0), float(np.max(np.abs(a[k] - b[k]))))
            limit[k] = max(limit.get(k, 0.0), tolerance(spec, a[k]))
    return {k: (err[k], limit[k]) for k in err}


def recorded_parity(spec: ModelSpec, onnx_path: Path) -> dict[str, tuple[float, float]] | None:
    """As :func:`parity`, against LiteRT's outputs recorded for this model file on fixed test pictures (for where
    LiteRT is not installed); None when none were recorded (a user's model)."""
    from ..engines.onnxrt import OnnxRuntimeEngine
    from .recorded import outputs_on_recorded_inputs, recorded, sample_index

    reference = recorded(spec)
    if reference is None:
        return None
    ours = outputs_on_recorded_inputs(OnnxRuntimeEngine(spec, onnx_path, threads=1).run, spec)
    result = {}
    for name, (values, peak) in reference.items():
        got = ours[name][sample_index(ours[name].size)]
        err = float(np.max(np.abs(got - values))) if got.shape == values.shape else float("inf")
        result[name] = (err, tolerance(spec, np.float32(peak)))
    return result


def _verify(spec: ModelSpec, onnx_path: Path, images: Sequence[str | Path]) -> tuple[dict[str, tuple[float, float]],
                                                                                      str]:
    """Parity of a converted file and what it was checked against: LiteRT itself where it is installed, else the
    outputs LiteRT gave for the same model file, recorded with handpose."""
    from ..engines import litert

    if litert.available():
        return parity(spec, onnx_path, verification_inputs(spec, images, batch=3)), "LiteRT"
    result = None if images else recorded_parity(spec, onnx_path)
    if result is None:
        what = " on your images" if images else ": handpose holds no recorded LiteRT outputs for this model file"
        raise ConversionError(f"{spec.name}: cannot verify the conversion{what}, and LiteRT (ai-edge-litert) is not "
                              "installed here (it has no wheel for Windows): install it, or convert without the "
                              "check ('handpose models convert --no-verify', verify=False)")
    return result, "LiteRT's recorded outputs"


def compare_with_tflite(spec: ModelSpec, onnx_path: Path, inputs: np.ndarray) -> dict[str, float]:
    """Max abs difference per output between the ONNX file (onnxruntime) and the ``.tflite`` (LiteRT)."""
    return {k: e for k, (e, _) in parity(spec, onnx_path, inputs).items()}


def convert_model(name: str, to: str = "onnx", *, output: str | Path | None = None, overwrite: bool = False,
                  verify: bool = True, images: Sequence[str | Path] = (), log: IO[str] | None = None) -> Path:
    """Convert a registered ``.tflite`` model; the file is written only if it matches within 1e-3."""
    if to != "onnx":
        raise ConversionError(f"unsupported target {to!r}: only 'onnx' is supported")
    from ..fetch import ensure_model
    from .tflite_graph import read_tflite
    from .to_onnx import graph_to_onnx

    spec = get_model(name)
    src = ensure_model(spec.name)
    dst = Path(output) if output else model_path(spec, ".onnx")
    if dst.exists() and not overwrite:
        raise ConversionError(f"{dst} exists; pass overwrite=True (CLI: --overwrite) to replace it")
    if log:
        print(f"handpose: converting {spec.name} ({src.name}) to ONNX", file=log)
    model = graph_to_onnx(read_tflite(src), spec.name, dynamic_batch=spec.dynamic_batch)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dst) as tmp:
        tmp.write_bytes(model.SerializeToString())
        if verify:
            result, against = _verify(spec, tmp, images)
            bad = {k: f"{e:.2e} > {lim:.2e}" for k, (e, lim) in result.items() if not e <= lim}
            if bad:
                raise ConversionError(f"{spec.name}: ONNX output differs from TFLite ({against}): {bad}")
            if log:
                worst = ", ".join(f"{k} {e:.1e}" for k, (e, _) in sorted(result.items()))
                print(f"handpose: verified against {against}, max abs error: {worst}", file=log)
    return dst


def producer(path: str | Path) -> tuple[str, str] | None:
    """An ONNX file's ``(producer_name, producer_version)``, read from its first bytes without loading the model:
    the protobuf writes the ModelProto's fields in number order, and these are fields 2 and 3 (after ir_version)."""
    with open(path, "rb") as f:
        head = f.read(256)
    fields: dict[int, bytes] = {}
    i = 0
    try:
        while i < len(head) and len(fields) < 2:
            tag = head[i]
            number, wire = tag >> 3, tag & 7
            i += 1
            if wire == 0:  # varint
                while head[i] & 0x80:
                    i += 1
                i += 1
            elif wire == 2 and head[i] < 0x80:  # short length-delimited
                fields[number] = head[i + 1: i + 1 + head[i]]
                i += 1 + head[i]
            else:
                break
            if number > 3:
                break
    except IndexError:
        return None
    if 2 not in fields:
        return None
    return fields[2].decode("utf-8", "replace"), fields.get(3, b"").decode("utf-8", "replace")


def made_by_older_converter(path: str | Path) -> bool:
    """Whether an ONNX file is a conversion of handpose's written before its graph layout last changed."""
    from .to_onnx import GRAPH_VERSION

    made_by = producer(path)
    return made_by is not None and made_by[0] == "handpose" and made_by[1] != GRAPH_VERSION


def ensure_onnx(name: str, log: IO[str] | None = None) -> Path:
    """The converted ONNX file of a model, converting (and verifying) it once if it is missing or was made by an
    older version of the converter."""
    spec = get_model(name)
    dst = model_path(spec, ".onnx")
    stale = dst.is_file() and made_by_older_converter(dst)
    if dst.is_file() and not stale:
        return dst
    why = unwritable(dst.parent)
    if why is not None:
        if stale:  # it works, only slower: better than no engine at all
            logger.warning("%s was made by an older converter, and the model cache cannot be written (%s) to make "
                           "it again: %s", dst, why, unwritable_cache_hint(dst.parent))
            return dst
        raise ConversionError(f"{spec.name} is converted to ONNX on first use, but the model cache {dst.parent} "
                              f"cannot be written ({why}): {unwritable_cache_hint(dst.parent)}")
    if stale and log:
        print(f"handpose: {dst.name} was made by an older converter", file=log)
    return convert_model(name, log=log, overwrite=stale)


__all__ = ["TOLERANCE", "compare_with_tflite", "convert_model", "ensure_onnx", "made_by_older_converter", "parity",
           "producer", "recorded_parity", "tolerance", "verification_inputs"]
