"""The one small interface every inference engine implements."""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import EngineError
from ..registry import ModelSpec


def default_threads() -> int:
    """Threads per model: all cores up to 4 (more rarely helps these small models)."""
    env = os.environ.get("HANDPOSE_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 4))


class Engine(ABC):
    """Runs one model: NHWC float32 batch in, named outputs (handpose's names) out.

    Calls from several threads take turns: a LiteRT interpreter and the reused input buffers are not safe to share.
    """

    kind: str = ""

    def __init__(self, spec: ModelSpec, threads: int | None = None):
        self.spec = spec
        self.threads = threads or default_threads()
        self._buffers: dict[int, np.ndarray] = {}
        self._lock = threading.RLock()

    @property
    @abstractmethod
    def provider(self) -> str:
        """The execution provider or delegate actually used (e.g. ``XNNPACK``, ``CPUExecutionProvider``)."""

    @abstractmethod
    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]: ...

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Run a batch ``(N, H, W, C)`` float32; returns e.g. ``{"landmarks": (N, 63), ...}``."""
        h, w = self.spec.input_size
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[1:] != (h, w, self.spec.input.shape[3]):
            raise EngineError(f"{self.spec.name}: expected input (N, {h}, {w}, {self.spec.input.shape[3]}), "
                              f"got {tuple(x.shape)}")
        with self._lock:
            if x.shape[0] != 1 and not self.spec.dynamic_batch:
                return _concat([self._run(x[i : i + 1]) for i in range(x.shape[0])])
            return self._run(np.ascontiguousarray(x, dtype=np.float32))

    __call__ = run

    def run_filled(self, batch: int, fill: Callable[[np.ndarray], None]) -> dict[str, np.ndarray]:
        """Run on an input that ``fill`` writes in place into a (batch, H, W, C) float32 buffer.

        Engines that can expose their input tensor let ``fill`` write straight into it (no allocation, no copy).
        """
        with self._lock:  # ``fill`` may write into its caller's scratch buffers too
            if batch != 1 and not self.spec.dynamic_batch:
                h, w = self.spec.input_size
                buf = np.empty((batch, h, w, self.spec.input.shape[3]), np.float32)
                fill(buf)
                return self.run(buf)
            return self._run_filled(batch, fill)

    def _run_filled(self, batch: int, fill: Callable[[np.ndarray], None]) -> dict[str, np.ndarray]:
        buf = self._buffers.get(batch)
        if buf is None:
            h, w = self.spec.input_size
            buf = self._buffers[batch] = np.empty((batch, h, w, self.spec.input.shape[3]), np.float32)
        fill(buf)
        return self._run(buf)

    def info(self) -> dict[str, Any]:
        """Engine, model, provider and threads in one dict, for logs and bug reports."""
        return {"engine": self.kind, "model": self.spec.name, "provider": self.provider, "threads": self.threads}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.spec.name!r}, provider={self.provider!r}, threads={self.threads})"


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
