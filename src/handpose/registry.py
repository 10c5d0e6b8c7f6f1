"""One registry of named models: what a file is, where it comes from, and how to call it."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError, did_you_mean

MEDIAPIPE_WHEEL = "mediapipe==0.10.21"
GOOGLE_LICENCE = "Apache-2.0 (Google MediaPipe)"


@dataclass(frozen=True)
class TensorSpec:
    """One model input: its name in the file, shape (``-1`` = any batch) and layout."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    layout: str = "NHWC, RGB in [0, 1]"


@dataclass(frozen=True)
class ModelSpec:
    """A named model. ``outputs`` maps the file's output names to handpose's names."""

    name: str
    task: str
    filename: str
    sha256: str | None
    size: int | None
    input: TensorSpec
    outputs: dict[str, str]
    licence: str
    source: str
    member: str | None = None
    description: str = ""
    dynamic_batch: bool = False
    path: Path | None = None  # a user model that lives outside the cache
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model input."""
        return int(self.input.shape[1]), int(self.input.shape[2])


def _mp(name: str, task: str, member: str, sha: str, size: int, shape: tuple[int, ...],
        outputs: dict[str, str], description: str, dynamic: bool, **extra: object) -> ModelSpec:
    return ModelSpec(
        name=name, task=task, filename=member.rsplit("/", 1)[-1], sha256=sha, size=size,
        input=TensorSpec("input_1", shape), outputs=outputs, licence=GOOGLE_LICENCE,
        source=MEDIAPIPE_WHEEL, member=member, description=description, dynamic_batch=dynamic, extra=dict(extra),
    )


_PALM_OUT = {"Identity": "regressors", "Identity_1": "scores"}
_HAND_OUT = {"Identity": "landmarks", "Identity_1": "presence", "Identity_2": "handedness",
             "Identity_3": "world"}

_BUILTIN: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        _mp("palm_full", "palm_detection", "mediapipe/modules/palm_detection/palm_detection_full.tflite",
            "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54", 2339846,
            (1, 192, 192, 3), _PALM_OUT, "BlazePalm detector, full: 2016 anchors, 7 palm keypoints", False),
        _mp("palm_lite", "palm_detection", "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
            "e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18", 1985440,
            (1, 192, 192, 3), _PALM_OUT, "BlazePalm detector, lite", False),
        _mp("hand_full", "hand_landmark", "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
            "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3", 5478917,
            (-1, 224, 224, 3), _HAND_OUT, "21 hand landmarks (2D + depth + world), presence, handedness",
            True),
        _mp("hand_lite", "hand_landmark", "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
            "048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6", 2071597,
            (-1, 224, 224, 3), _HAND_OUT, "21 hand landmarks, lite", True),
        _mp("pose_detection", "pose_detection", "mediapipe/modules/pose_detection/pose_detection.tflite",
            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", 2959046,
            (1, 224, 224, 3), {"Identity": "regressors", "Identity_1": "scores"},
            "BlazePose detector (sparse weights; LiteRT only)", False),
        _mp("pose_full", "pose_landmark", "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 6440512,
            (1, 256, 256, 3),
            {"Identity": "landmarks", "Identity_1": "presence", "Identity_2": "segmentation",
             "Identity_3": "heatmap", "Identity_4": "world"},
            # Its segmentation logits reach about +-1600; LiteRT (XNNPACK) differs from both our ONNX and our torch
            # graphs by up to 2.1e-3 of that peak in the worst pixel, while those two agree 6x closer with each
            # other: float accumulation order, not a conversion error. Parity is checked relative to the scale.
            "BlazePose 33 body landmarks, full", False, parity_rtol=3e-3),
    )
}


def _int8(base: ModelSpec) -> ModelSpec:
    """A static-INT8 ONNX variant of a landmark model, made locally by ``handpose models quantize``."""
    return ModelSpec(
        name=f"{base.name}_int8", task=base.task, filename=base.filename.replace(".tflite", "_int8.onnx"),
        sha256=None, size=None, input=base.input, outputs=base.outputs, licence=base.licence,
        source=f"handpose models quantize {base.name}", description=f"{base.description} (static INT8, ONNX)",
        dynamic_batch=True,
    )


for _base in ("hand_full", "hand_lite"):
    _q = _int8(_BUILTIN[_base])
    _BUILTIN[_q.name] = _q

_USER: dict[str, ModelSpec] = {}

# Short names the pipeline accepts for its two stages.
VARIANTS = {"full": ("palm_full", "hand_full"), "lite": ("palm_lite", "hand_lite"),
            # static INT8 landmarks (made by 'handpose models quantize'): onnxruntime, the palm model unchanged
            "full-int8": ("palm_full", "hand_full_int8"), "lite-int8": ("palm_lite", "hand_lite_int8")}


def register_model(spec: ModelSpec, *, overwrite: bool = False) -> ModelSpec:
    """Add a user model (e.g. a fine-tuned or quantized landmark model) to the registry."""
    if not overwrite and (spec.name in _BUILTIN or spec.name in _USER):
        raise ModelError(f"a model named {spec.name!r} is already registered (pass overwrite=True)")
    _USER[spec.name] = spec
    return spec


def unregister_model(name: str) -> None:
    _USER.pop(name, None)


def list_models(pattern: str = "*", task: str | None = None) -> list[ModelSpec]:
    """Registered models whose name matches a shell-style ``pattern`` (``"hand_*"``), optionally of one ``task``
    (``palm_detection``, ``hand_landmark``, ...)."""
    return [m for m in (*_BUILTIN.values(), *_USER.values())
            if fnmatch.fnmatchcase(m.name, pattern) and (task is None or m.task == task)]


def get_model(name: str) -> ModelSpec:
    """Look a model up by name (``palm_full``, ``hand_lite``, a registered user model, ...)."""
    spec = _USER.get(name) or _BUILTIN.get(name)
    if spec is None:
        names = [m.name for m in list_models()]
        hint = (f"{name!r} names a pair for HandTracker(model=...): {VARIANTS[name][0]} + {VARIANTS[name][1]}; "
                if name in VARIANTS else did_you_mean(name, names))
        raise ModelError(f"unknown model {name!r}: {hint}known models: {', '.join(names)}")
    return spec


def home() -> Path:
    """The cache folder: ``$HANDPOSE_HOME``, else ``~/.cache/handpose``."""
    env = os.environ.get("HANDPOSE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "handpose"


def unwritable_cache_hint(folder: Path) -> str:
    """What to do when the model cache cannot be written (a container's user, a read-only mount)."""
    return (f"set HANDPOSE_HOME to a folder you can write, or fill {folder} as its owner (for a container image, "
            "while building it: 'handpose models fetch', and for the ONNX engine 'handpose models convert palm_full "
            "hand_full', or the models you use)")


def models_dir() -> Path:
    return home() / "models"


def is_onnx_only(spec: ModelSpec) -> bool:
    """Models that exist only as ONNX files (quantized variants, user ONNX models)."""
    return (spec.path or Path(spec.filename)).suffix == ".onnx"


def model_path(spec: ModelSpec | str, suffix: str | None = None) -> Path:
    """Where a model's file lives; ``suffix='.onnx'`` gives its converted sibling."""
    spec = get_model(spec) if isinstance(spec, str) else spec
    base = spec.path if spec.path is not None else models_dir() / spec.filename
    return base if suffix is None else base.with_suffix(suffix)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_state(spec: ModelSpec | str) -> str:
    """``missing``, ``present`` (hash verified, or no hash known) or ``corrupt``."""
    spec = get_model(spec) if isinstance(spec, str) else spec
    path = model_path(spec)
    if not path.is_file():
        return "missing"
    if spec.size is not None and path.stat().st_size != spec.size:
        return "corrupt"
    if spec.sha256 is not None and sha256_of(path) != spec.sha256:
        return "corrupt"
    return "present"
