"""Inference engines behind one interface; ``create_engine`` picks and loads one by name."""

from __future__ import annotations

import logging
import sys

from ..errors import EngineError
from ..registry import ModelSpec, get_model, is_onnx_only
from . import litert as _litert
from . import onnxrt as _onnxrt
from . import torch_engine as _torch
from .base import Engine, default_threads

log = logging.getLogger("handpose")

ENGINES = ("auto", "litert", "onnxruntime", "torch")


_MODULES = {"litert": _litert, "onnxruntime": _onnxrt, "torch": _torch}


def available_engines() -> list[str]:
    """The engines whose runtime is installed here, e.g. ``['litert', 'onnxruntime']``."""
    return [name for name, mod in _MODULES.items() if mod.available()]


def resolve_engine(engine: str = "auto", providers: list[str] | None = None) -> str:
    """``auto``: onnxruntime when a GPU provider is asked for or present, else LiteRT (fastest on CPU).

    Only the engines the choice depends on are imported: torch alone takes longer to import than a model to load,
    and onnxruntime is imported to list its providers only when its files show a GPU build.
    """
    engine = engine.lower()
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine != "auto":
        if not _MODULES[engine].available():
            have = available_engines()
            raise EngineError(f"engine {engine!r} is not installed (installed: {', '.join(have) or 'none'})")
        return engine
    gpu = {"CUDAExecutionProvider", "TensorrtExecutionProvider"}
    if (providers or _onnxrt.may_have_gpu_provider()) and _onnxrt.available() and (
            providers or gpu & set(_onnxrt.available_providers())):
        return "onnxruntime"
    if _litert.available():
        return "litert"
    if _onnxrt.available():
        return "onnxruntime"
    if _torch.available():
        return "torch"
    raise EngineError("no inference engine is installed: pip install ai-edge-litert or onnxruntime")


def create_engine(model: str | ModelSpec, engine: str = "auto", *, threads: int | None = None,
                  providers: list[str] | None = None) -> Engine:
    """Load a registered model on an engine, fetching (and for ONNX converting) it on first use."""
    from ..fetch import ensure_model

    spec = get_model(model) if isinstance(model, str) else model
    if is_onnx_only(spec):
        if engine not in ("auto", "onnxruntime"):
            raise EngineError(f"{spec.name} is an ONNX model: use engine='onnxruntime'")
        engine = "onnxruntime"
    kind = resolve_engine(engine, providers)
    if kind == "litert":
        return _litert.LiteRTEngine(spec, ensure_model(spec.name), threads)
    if kind == "torch":
        return _torch.TorchEngine(spec, ensure_model(spec.name), threads)
    from ..convert import ensure_onnx

    if providers is None:
        gpu: list[str] = [p for p in ("TensorrtExecutionProvider", "CUDAExecutionProvider")
                          if p in _onnxrt.available_providers()]
        providers = gpu[-1:] or None  # CUDA if present; TensorRT only when asked for
    if is_onnx_only(spec):
        from ..quantize import check_recipe

        check_recipe(spec)
        return _onnxrt.OnnxRuntimeEngine(spec, ensure_model(spec.name), threads, providers)
    path = ensure_onnx(spec.name, log=sys.stderr)
    try:
        return _onnxrt.OnnxRuntimeEngine(spec, path, threads, providers)
    except _onnxrt.UnloadableModel as e:
        # the converted file is handpose's own cache, made from the checked .tflite (a disk error, a copy cut
        # short): it is made again rather than reported
        log.warning("%s; converting %s again", e, spec.name)
        path.unlink(missing_ok=True)
        return _onnxrt.OnnxRuntimeEngine(spec, ensure_onnx(spec.name, log=sys.stderr), threads, providers)


__all__ = ["ENGINES", "Engine", "available_engines", "create_engine", "default_threads", "resolve_engine"]
