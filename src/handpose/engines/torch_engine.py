"""PyTorch engine: the parsed ``.tflite`` graph run with torch ops (CPU or CUDA), no converter needed.

The same graph reader as the ONNX converter; activations are kept NCHW inside, like in the ONNX graph. Useful
where PyTorch is already the runtime (GPU servers, fine-tuning, ``torch.compile``); on a small CPU LiteRT is faster.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..convert.tflite_graph import NHWC_TO_NCHW_AXIS, same_padding
from ..errors import EngineError
from ..registry import ModelSpec
from .base import Engine


def available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def build_module(graph: Any) -> Any:
    """An ``nn.Module`` whose forward takes NHWC input and returns the graph outputs (NHWC where 4-D)."""
    import torch
    import torch.nn.functional as F

    class TFLiteModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.steps: list[tuple[Callable[[dict[int, Any]], Any], int, tuple[int, ...]]] = []
            # rank-4 tensors live NCHW; forward() transposes the NHWC input once
            self.nchw: set[int] = {graph.inputs[0]} if len(graph.tensors[graph.inputs[0]].shape) == 4 else set()
            self._n = 0
            # each activation is dropped after the last op that reads it, so the allocator reuses its memory
            # while it is still in cache (and an ``inference_mode`` forward holds a few tensors, not all of them)
            last_use = {i: n for n, op in enumerate(graph.ops) for i in op.inputs if i >= 0}
            computed = ({graph.inputs[0]} | {op.outputs[0] for op in graph.ops}) - set(graph.outputs)
            for n, op in enumerate(graph.ops):
                dead = tuple(sorted({i for i in op.inputs if i in computed and last_use[i] == n}))
                self.steps.append((self._compile(op), op.outputs[0], dead))

        def _buf(self, value: np.ndarray) -> str:
            name = f"c{self._n}"
            self._n += 1
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(value)))
            return name

        def _operand(self, idx: int, rank: int) -> Callable[[dict[int, Any]], Any]:
            data = graph.const(idx)
            if data is None:
                return lambda env: env[idx]
            data = data.astype(np.float32) if data.dtype == np.float16 else data
            if rank == 4:
                data = data.reshape((1,) * (4 - data.ndim) + data.shape).transpose(0, 3, 1, 2)
            name = self._buf(data)
            return lambda env: getattr(self, name)

        def _bias(self, op: Any) -> str | None:
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                return self._buf(graph.value(op.inputs[2]).astype(np.float32))
            return None

        def _act(self, act: str | None, inplace: bool = True) -> Callable[[Any], Any]:
            """A fused activation; in place by default, as it is applied to the fresh output of its own op."""
            if act is None:
                return lambda v: v
            if act == "relu":
                return lambda v: F.relu(v, inplace=inplace)
            return lambda v: F.relu6(v, inplace=inplace)

        def _nhwc(self, idx: int) -> Callable[[dict[int, Any]], Any]:
            if idx in self.nchw:
                return lambda env: env[idx].permute(0, 2, 3, 1)
            return self._operand(idx, 0)

        def _compile(self, op: Any) -> Callable[[dict[int, Any]], Any]:
            kind, o = op.kind, op.options
            shape = graph.tensors[op.outputs[0]].shape
            rank = len(shape)
            if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                x = op.inputs[0]
                w = graph.const(op.inputs[1])
                _, h, wd, cin = graph.tensors[x].shape
                kh, kw = w.shape[1], w.shape[2]
                (sh, sw), (dh, dw) = o["stride"], o["dilation"]
                same = o["padding"] == "SAME"
                pads = (same_padding(wd, kw, sw, dw) + same_padding(h, kh, sh, dh)) if same else (0, 0, 0, 0)
                depthwise = kind == "DEPTHWISE_CONV_2D"
                wt = (w.transpose(3, 0, 1, 2) if depthwise else w.transpose(0, 3, 1, 2)).astype(np.float32)
                extra_h, extra_w = pads[3] - pads[2], pads[1] - pads[0]
                if (extra_h, extra_w) != (0, 0) and {extra_h, extra_w} <= {0, 1} and (dh, dw) == (1, 1):
                    # one more pixel after than before (SAME with stride 2): a kernel one tap larger whose first
                    # row / column is zero, padded evenly, reads the same pixels without copying the input
                    wt = np.pad(wt, ((0, 0), (0, 0), (extra_h, 0), (extra_w, 0)))
                    pads = (pads[1], pads[1], pads[3], pads[3])
                weight = self._buf(wt)
                bias = self._bias(op)
                act, groups = self._act(o["activation"]), cin if depthwise else 1
                self.nchw.add(op.outputs[0])

                symmetric = pads[0] == pads[1] and pads[2] == pads[3]
                inner = (pads[2], pads[0]) if symmetric else 0  # let the convolution pad when it can (no copy)

                def conv(env: dict[int, Any]) -> Any:
                    v = F.pad(env[x], pads) if any(pads) and not symmetric else env[x]
                    return act(F.conv2d(v, getattr(self, weight), getattr(self, bias) if bias else None, (sh, sw),
                                        inner, (dh, dw), groups))

                return conv
            if kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
                x = op.inputs[0]
                _, h, wd, _ = graph.tensors[x].shape
                (kh, kw), (sh, sw) = o["kernel"], o["stride"]
                pads = (same_padding(wd, kw, sw) + same_padding(h, kh, sh)) if o["padding"] == "SAME" else (0, 0, 0, 0)
                act = self._act(o["activation"])
                self.nchw.add(op.outputs[0])
                if kind == "MAX_POOL_2D":
                    return lambda env: act(F.max_pool2d(F.pad(env[x], pads, value=-math.inf), (kh, kw), (sh, sw)))
                def avg(env: dict[int, Any]) -> Any:  # tflite averages over the valid pixels only
                    v = F.pad(env[x], pads)
                    total = F.avg_pool2d(v, (kh, kw), (sh, sw), divisor_override=1)
                    mask = F.pad(torch.ones_like(env[x][:1, :1]), pads)
                    return act(total / F.avg_pool2d(mask, (kh, kw), (sh, sw), divisor_override=1))

                return avg
            if kind in ("ADD", "MUL"):
                a, b = (self._operand(i, rank) for i in op.inputs[:2])
                act = self._act(o["activation"])
                if rank == 4:
                    self.nchw.add(op.outputs[0])
                if kind == "ADD":
                    return lambda env: act(a(env) + b(env))
                return lambda env: act(a(env) * b(env))
            if kind == "PRELU":
                x = op.inputs[0]
                a = graph.const(op.inputs[1])
                if rank == 4:
                    self.nchw.add(op.outputs[0])
                if a is not None and a.size == shape[-1]:  # one slope per channel: torch's own kernel
                    slopes = self._buf(a.astype(np.float32).reshape(-1))
                    return lambda env: F.prelu(env[x], getattr(self, slopes))
                alpha = self._operand(op.inputs[1], rank)
                return lambda env: F.relu(env[x]) + alpha(env) * torch.clamp(env[x], max=0.0)
            if kind == "CONCATENATION":
                axis = o["axis"] % rank
                if rank == 4:
                    axis = NHWC_TO_NCHW_AXIS[axis]
                    self.nchw.add(op.outputs[0])
                parts = [self._operand(i, rank) for i in op.inputs]
                act = self._act(o["activation"])
                return lambda env: act(torch.cat([p(env) for p in parts], axis))
            if kind == "RESHAPE":
                x = op.inputs[0]
                target = list(o.get("new_shape") or graph.value(op.inputs[1]).reshape(-1).tolist() or shape)
                src = self._nhwc(x)
                dims = [int(v) for v in target[1:]]
                def reshape(env: dict[int, Any]) -> Any:
                    v = src(env)
                    return v.reshape(v.shape[0], *dims)  # the batch stays the batch

                if len(target) == 4:
                    self.nchw.add(op.outputs[0])
                    return lambda env: reshape(env).permute(0, 3, 1, 2)
                return reshape
            if kind == "FULLY_CONNECTED":
                x = op.inputs[0]
                w = self._buf(graph.value(op.inputs[1]).astype(np.float32))
                bias = self._bias(op)
                src, act, n_in = self._nhwc(x), self._act(o["activation"]), graph.value(op.inputs[1]).shape[1]
                return lambda env: act(F.linear(src(env).reshape(-1, n_in), getattr(self, w),
                                                getattr(self, bias) if bias else None))
            if kind == "MEAN":
                x = op.inputs[0]
                in_rank = len(graph.tensors[x].shape)
                axes = [int(a) % in_rank for a in graph.value(op.inputs[1]).reshape(-1)]
                keep = o["keep_dims"]
                if x in self.nchw:
                    axes = [NHWC_TO_NCHW_AXIS[a] for a in axes]
                    if keep:
                        self.nchw.add(op.outputs[0])
                return lambda env: env[x].mean(dim=axes, keepdim=keep)
            if kind == "RESIZE_BILINEAR":
                x = op.inputs[0]
                size = tuple(shape[1:3])
                self.nchw.add(op.outputs[0])
                align = bool(o["align_corners"])
                if not align and not o["half_pixel"]:
                    raise EngineError("RESIZE_BILINEAR without half-pixel centres is not supported by torch")
                return lambda env: F.interpolate(env[x], size=size, mode="bilinear", align_corners=align)
            if kind == "PAD":
                x = op.inputs[0]
                p = graph.value(op.inputs[1]).astype(np.int64)
                if x in self.nchw:
                    p = p[[0, 3, 1, 2]]
                    self.nchw.add(op.outputs[0])
                flat = tuple(int(v) for pair in p[::-1] for v in pair)  # torch: last dimension first
                return lambda env: F.pad(env[x], flat)
            if kind in ("LOGISTIC", "RELU", "RELU6"):
                x = op.inputs[0]
                if x in self.nchw:
                    self.nchw.add(op.outputs[0])
                fn = torch.sigmoid if kind == "LOGISTIC" else self._act(kind.lower(), inplace=False)
                return lambda env: fn(env[x])
            if kind == "DEPTH_TO_SPACE":
                x, block = op.inputs[0], o["block"]
                self.nchw.add(op.outputs[0])

                def d2s(env: dict[int, Any]) -> Any:  # DCR order, like TensorFlow
                    v = env[x]
                    n, c, h, w = v.shape
                    v = v.reshape(n, block, block, c // block**2, h, w).permute(0, 3, 4, 1, 5, 2)
                    return v.reshape(n, c // block**2, h * block, w * block)

                return d2s
            raise EngineError(f"operator {kind} is not supported by the torch engine")

        def forward(self, x: Any) -> list[Any]:
            first = graph.inputs[0]
            env: dict[int, Any] = {first: x.permute(0, 3, 1, 2) if first in self.nchw else x}
            for step, out, dead in self.steps:
                env[out] = step(env)
                for i in dead:
                    del env[i]
            return [env[i].permute(0, 2, 3, 1) if i in self.nchw else env[i] for i in graph.outputs]

    return TFLiteModule().eval()


class TorchEngine(Engine):
    kind = "torch"

    def __init__(self, spec: ModelSpec, path: Path, threads: int | None = None, device: str | None = None):
        super().__init__(spec, threads)
        try:
            import torch
        except ImportError as e:
            raise EngineError("the torch engine needs PyTorch: pip install 'handpose[train]'") from e
        from ..convert.tflite_graph import read_tflite

        graph = read_tflite(path)
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device == "cpu":
            torch.set_num_threads(self.threads)
        self.module = build_module(graph).to(self.device)
        self._names = [spec.outputs.get(graph.tensors[i].name, graph.tensors[i].name) for i in graph.outputs]

    @property
    def provider(self) -> str:
        return f"torch-{self.device}"

    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        torch = self._torch
        with torch.inference_mode():
            outs = self.module(torch.from_numpy(x).to(self.device))
        return {n: o.float().cpu().numpy() for n, o in zip(self._names, outs, strict=True)}
