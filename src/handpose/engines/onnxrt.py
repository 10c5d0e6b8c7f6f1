"""ONNX Runtime engine on the converted ``.onnx`` file: CPU, or CUDA / TensorRT when asked for and present."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EngineError
from ..machine import package_version
from ..registry import ModelSpec
from .base import Engine

log = logging.getLogger("handpose")

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


class ProviderNotStarted(EngineError):
    """ONNX Runtime lists a GPU provider but could not start it (its CUDA, cuDNN or TensorRT libraries are missing
    or of other versions than the onnxruntime-gpu build needs, or there is no GPU): the session came up on the CPU."""

    def __init__(self, message: str, providers: list[str]):
        super().__init__(message)
        self.providers = providers


def installed_twice() -> bool:
    """Whether both the CPU and the GPU wheel of ONNX Runtime are installed: they share one ``onnxruntime``
    folder, and the files of whichever came last decide whether CUDA is there."""
    return package_version("onnxruntime") is not None and package_version("onnxruntime-gpu") is not None


GPU_FIX = "pip uninstall -y onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu"
BOTH_WHEELS = ("onnxruntime and onnxruntime-gpu are both installed and share one folder, so whichever came last "
               f"decides whether CUDA works: {GPU_FIX}")


def why_not_started(providers: list[str]) -> str:
    import onnxruntime as ort

    if {"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(providers):
        if installed_twice():
            return BOTH_WHEELS
        needs = "CUDA and cuDNN" + (" and TensorRT" if "TensorrtExecutionProvider" in providers else "")
        return (f"its libraries did not load (onnxruntime {ort.__version__} needs a GPU and the {needs} versions it "
                "was built for); onnxruntime's log above names the missing one")
    return "its libraries or its device did not load; onnxruntime's log above says which"


def starts(provider: str) -> bool:
    """Whether onnxruntime can run a session on ``provider`` here (listed is not enough: its libraries load only
    when a session asks for them). Tried on a one-operator model made in memory."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what onnxruntime 1.19, the oldest handpose supports, reads
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its "not in available provider names": the answer is False
            session = ort.InferenceSession(model.SerializeToString(), sess_options=opts,
                                           providers=list(dict.fromkeys([provider, "CPUExecutionProvider"])))
    except Exception:  # onnxruntime raises its own exception types
        return False
    return provider in session.get_providers()


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
            gpu = {"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(missing)
            fix = (BOTH_WHEELS if gpu and installed_twice() else
                   f"for CUDA / TensorRT, the GPU build takes the CPU one's place: {GPU_FIX}" if gpu else
                   "other providers come with other onnxruntime builds (onnxruntime-openvino, -directml, ...), each "
                   "installed in the CPU one's place")
            raise EngineError(f"onnxruntime providers {missing} are not available here (available: {sorted(have)}); "
                              + fix)
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
            # a provider that fails to start makes onnxruntime print its fallback to stdout, where --json - writes
            with contextlib.redirect_stdout(sys.stderr):
                self.session = ort.InferenceSession(str(path), sess_options=opts, providers=wanted)
        except Exception as e:  # onnxruntime raises its own exception types
            raise UnloadableModel(f"onnxruntime could not load {path}: {e}") from e
        # a listed provider whose libraries do not load is dropped with a log line, and the session runs on the next
        # one: a later one asked for is the preference list at work; the CPU alone in their place is an error
        started = self.session.get_providers()
        not_started = [p for p in wanted if p not in started]
        if not_started:
            names = ", ".join(p.removesuffix("ExecutionProvider") for p in not_started)
            why = f"onnxruntime lists {names} but could not start it: {why_not_started(not_started)}"
            if started[0] == "CPUExecutionProvider" and wanted[0] != "CPUExecutionProvider":
                raise ProviderNotStarted(why, not_started)
            log.warning("%s; running on %s", why, started[0].removesuffix("ExecutionProvider"))
        # A provider failing in a run (out of GPU memory, a TensorRT error) would make onnxruntime print to stdout and
        # go on on the CPU; _run does the same, with a warning in the log instead.
        self.session.disable_fallback()
        from onnxruntime.capi.onnxruntime_pybind11_state import EPFail

        self._provider_failure = EPFail
        self._input = self.session.get_inputs()[0].name
        self._outputs = [o.name for o in self.session.get_outputs()]
        self._names = [spec.outputs.get(n, n) for n in self._outputs]

    @property
    def provider(self) -> str:
        return self.session.get_providers()[0]

    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        try:
            out = self.session.run(self._outputs, {self._input: x})
        except self._provider_failure as e:
            provider = self.provider
            if provider == "CPUExecutionProvider":
                raise EngineError(f"{self.spec.name}: onnxruntime failed on the CPU: {e}") from e
            log.warning("%s: %s failed during a run (%s); going on on the CPU", self.spec.name,
                        provider.removesuffix("ExecutionProvider"), e)
            self.session.set_providers(["CPUExecutionProvider"])
            out = self.session.run(self._outputs, {self._input: x})
        return dict(zip(self._names, out, strict=True))

    def info(self) -> dict[str, Any]:
        return {**super().info(), "providers": self.session.get_providers()}
