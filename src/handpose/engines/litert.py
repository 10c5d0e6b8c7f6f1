"""LiteRT (ai-edge-litert) engine on the original ``.tflite`` file, XNNPACK on CPU."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EngineError
from ..quiet import quiet_stderr
from ..registry import ModelSpec
from .base import Engine


def available() -> bool:
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401
    except ImportError:
        return False
    return True


class LiteRTEngine(Engine):
    kind = "litert"

    def __init__(self, spec: ModelSpec, path: Path, threads: int | None = None):
        super().__init__(spec, threads)
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as e:
            raise EngineError("the litert engine needs ai-edge-litert: pip install ai-edge-litert") from e
        self._cls = Interpreter
        self._path = str(path)
        # One interpreter per batch size: resizing a single one back and forth re-plans every call.
        self._by_batch: dict[int, tuple[Any, int, list[tuple[int, str]]]] = {}
        self._get(1)

    def _get(self, batch: int) -> tuple[Any, int, list[tuple[int, str]]]:
        entry = self._by_batch.get(batch)
        if entry is None:
            try:
                with quiet_stderr():
                    it = self._cls(model_path=self._path, num_threads=self.threads)
                    inp = it.get_input_details()[0]
                    if batch != int(inp["shape"][0]):
                        it.resize_tensor_input(inp["index"], [batch, *inp["shape"][1:]])
                    it.allocate_tensors()
                    it.invoke()  # the delegate is applied (and announces itself) on the first run
            except (ValueError, RuntimeError) as e:
                raise EngineError(f"LiteRT could not load {self._path}: {e}") from e
            outs = [(d["index"], self.spec.outputs.get(d["name"], d["name"])) for d in it.get_output_details()]
            entry = (it, inp["index"], outs)
            self._by_batch[batch] = entry
        return entry

    @property
    def provider(self) -> str:
        return "XNNPACK"

    def _run_filled(self, batch: int, fill: Callable[[np.ndarray], None]) -> dict[str, np.ndarray]:
        it, idx, outs = self._get(batch)
        view = it.tensor(idx)()
        fill(view)
        del view  # LiteRT refuses to run while a view of its memory is alive
        it.invoke()
        return {name: it.get_tensor(i) for i, name in outs}

    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        it, idx, outs = self._get(x.shape[0])
        it.set_tensor(idx, x)
        it.invoke()
        return {name: it.get_tensor(i) for i, name in outs}
