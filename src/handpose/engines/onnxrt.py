"""ONNX Runtime engine on the converted ``.onnx`` file: CPU, or CUDA / TensorRT when asked for and present."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EngineError
from ..registry import ModelSpec
from .base import Engine

PROVIDER_ALIASES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
                    "tensorrt": "TensorrtExecutionProvider", "coreml": "CoreMLExecutionProvider",
                    "openvino": "OpenVINOExecutionProvider", "dml": "DmlExecutionProvider"}
GPU_PROVIDER_LIBRARIES = {"onnxruntime_providers_cuda", "onnxruntime_providers_tensorrt"}


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def may_have_gpu_provider() -> bool:
    """Whether the installed onnxruntime may offer CUDA or TensorRT, told from its files without importing it (the
    import alone costs 60-140 ms on a CPU machine). Those providers are libraries of their own next to the runtime
    (``capi/libonnxruntime_providers_cuda.so``, ``onnxruntime_providers_tensorrt.dll``); the CPU wheel has neither.
    True when it cannot tell (an unusual install): then the import decides."""
    if "onnxruntime" in sys.modules:  # imported already: asking it costs nothing
        return True
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None:
        return False
    capi = [Path(p) / "capi" for p in spec.submodule_search_locations or []]
    if not any(d.is_dir() for d in capi):
        return True
    return any(f.name.split(".")[0].removeprefix("lib") in GPU_PROVIDER_LIBRARIES for d in capi for f in d.iterdir())


def available_providers() -> list[str]:
    import onnxruntime as ort

    return list(ort.get_available_providers())


class UnloadableModel(EngineError):
    """ONNX Runtime could not load a model file (corrupt, truncated, or of an opset it does not know)."""


class OnnxRuntimeEngine(Engine):
    kind = "onnxruntime"

    def __init__(self, spec: ModelSpec, path: Path, threads: int | None = None,
                 providers: list[str] | None = None):
        super().__init__(spec, threads)
        import onnxruntime as ort

        wanted = [PROVIDER_ALIASES.get(p.lower(), p) for p in (providers or ["cpu"])]
        have = set(ort.get_available_providers())
        missing = [p for p in wanted if p not in have]
        if missing:
            raise EngineError(f"onnxruntime providers {missing} are not available here (available: {sorted(have)}); "
                              "install onnxruntime-gpu for CUDA/TensorRT")
        if "CPUExecutionProvider" not in wanted:
            wanted.append("CPUExecutionProvider")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Worker threads that spin between a run's operators are ~1.4x faster than threads that sleep, but left
        # spinning after it they fight the next session (palm, then landmarks) for the cores (~2x slower on 2
        # cores): spin during a run only.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        opts.add_session_config_entry("session.force_spinning_stop", "1")
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=wanted)
        except Exception as e:  # onnxruntime raises its own exception types
            raise UnloadableModel(f"onnxruntime could not load {path}: {e}") from e
        self._input = self.session.get_inputs()[0].name
        self._outputs = [o.name for o in self.session.get_outputs()]
        self._names = [spec.outputs.get(n, n) for n in self._outputs]

    @property
    def provider(self) -> str:
        return self.session.get_providers()[0]

    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(self._names, self.session.run(self._outputs, {self._input: x}), strict=True))

    def info(self) -> dict[str, Any]:
        return {**super().info(), "providers": self.session.get_providers()}
