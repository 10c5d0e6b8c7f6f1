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
_not_starting: set[str] = set()  # GPU providers onnxruntime lists but could not start in this process


def available_engines() -> list[str]:
    """The engines whose runtime is installed here, e.g. ``['litert', 'onnxruntime']``."""
    return [name for name, mod in _MODULES.items() if mod.available()]


def _auto_gpu() -> list[str] | None:
    """The GPU provider used unasked: CUDA, when onnxruntime lists it and it has not failed to start in this process
    (TensorRT only when asked for: it builds an engine on the first run, minutes)."""
    cuda = "CUDAExecutionProvider"
    return [cuda] if cuda in _onnxrt.available_providers() and cuda not in _not_starting else None


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
    if (providers or _onnxrt.may_have_gpu_provider()) and _onnxrt.available() and (providers or _auto_gpu()):
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
    chosen_here = providers is None
    if providers is None:
        providers = _auto_gpu()
    try:
        return _onnx_engine(spec, threads, providers)
    except _onnxrt.ProviderNotStarted as e:
        if not chosen_here:  # asked for by name: an error, not a quiet CPU run
            raise
        # listed, so chosen for you, but it does not start: the CPU, as if it had not been listed (and for the
        # models loaded after this one, which would fail the same way)
        _not_starting.update(e.providers)
        log.warning("%s; running on the CPU instead", e)
        if engine.lower() == "auto" and _litert.available():
            return _litert.LiteRTEngine(spec, ensure_model(spec.name), threads)
        return _onnx_engine(spec, threads, None)


def _onnx_engine(spec: ModelSpec, threads: int | None, providers: list[str] | None) -> Engine:
    from ..convert import ensure_onnx
    from ..fetch import ensure_model

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
