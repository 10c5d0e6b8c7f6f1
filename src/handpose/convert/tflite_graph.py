"""Read a ``.tflite`` flatbuffer into a small, framework-neutral graph (ops + numpy constants)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError

# Where an NHWC axis sits once a rank-4 tensor is stored NCHW (ONNX and torch convolutions want NCHW).
NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite's SAME padding (before, after) along one axis."""
    eff = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}
_ACTIVATIONS = {0: None, 1: "relu", 3: "relu6"}
_PADDING = {0: "SAME", 1: "VALID"}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: Any
    data: np.ndarray | None = None  # constant value (fp16 weights are already dequantized)


@dataclass
class Op:
    kind: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    tensors: dict[int, Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]

    def const(self, index: int) -> np.ndarray | None:
        return self.tensors[index].data if index >= 0 else None

    def value(self, index: int) -> np.ndarray:
        """A tensor that must be constant (weights, shapes, axes, pads)."""
        data = self.const(index)
        if data is None:
            name = self.tensors[index].name if index >= 0 else "(absent)"
            raise ConversionError(f"tensor {name} must be a constant")
        return data


def _op_names() -> dict[int, str]:
    from tflite.BuiltinOperator import BuiltinOperator

    return {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}


def _options(op: Any, cls_name: str) -> Any:
    import tflite

    table = op.BuiltinOptions()
    if table is None:
        return None
    opt = getattr(tflite, cls_name)()
    opt.Init(table.Bytes, table.Pos)
    return opt


def _activation(code: int, kind: str) -> str | None:
    if code not in _ACTIVATIONS:
        raise ConversionError(f"{kind}: fused activation {code} is not supported")
    return _ACTIVATIONS[code]


def _parse_options(kind: str, op: Any) -> dict[str, Any]:
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        o = _options(op, "Conv2DOptions" if kind == "CONV_2D" else "DepthwiseConv2DOptions")
        return {"padding": _PADDING[o.Padding()], "stride": (o.StrideH(), o.StrideW()),
                "dilation": (o.DilationHFactor(), o.DilationWFactor()),
                "activation": _activation(o.FusedActivationFunction(), kind)}
    if kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        o = _options(op, "Pool2DOptions")
        return {"padding": _PADDING[o.Padding()], "stride": (o.StrideH(), o.StrideW()),
                "kernel": (o.FilterHeight(), o.FilterWidth()),
                "activation": _activation(o.FusedActivationFunction(), kind)}
    if kind in ("ADD", "MUL"):
        o = _options(op, "AddOptions" if kind == "ADD" else "MulOptions")
        return {"activation": _activation(o.FusedActivationFunction(), kind) if o else None}
    if kind == "CONCATENATION":
        o = _options(op, "ConcatenationOptions")
        return {"axis": o.Axis(), "activation": _activation(o.FusedActivationFunction(), kind)}
    if kind == "FULLY_CONNECTED":
        o = _options(op, "FullyConnectedOptions")
        return {"activation": _activation(o.FusedActivationFunction(), kind), "keep_dims": o.KeepNumDims()}
    if kind == "MEAN":
        o = _options(op, "ReducerOptions")
        return {"keep_dims": bool(o.KeepDims()) if o else False}
    if kind == "RESIZE_BILINEAR":
        o = _options(op, "ResizeBilinearOptions")
        return {"align_corners": o.AlignCorners(), "half_pixel": o.HalfPixelCenters()}
    if kind == "RESHAPE":
        o = _options(op, "ReshapeOptions")
        if o is not None and o.NewShapeLength():
            return {"new_shape": [int(v) for v in o.NewShapeAsNumpy()]}
        return {}
    if kind == "DEPTH_TO_SPACE":
        return {"block": _options(op, "DepthToSpaceOptions").BlockSize()}
    return {}


SUPPORTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "ADD", "MUL", "CONCATENATION",
             "FULLY_CONNECTED", "MEAN", "RESIZE_BILINEAR", "RESHAPE", "PAD", "PRELU", "LOGISTIC", "RELU",
             "RELU6", "DEPTH_TO_SPACE", "DEQUANTIZE"}


def read_tflite(path: str | Path) -> Graph:
    """Parse a float (or fp16-weight) ``.tflite`` model; quantized and sparse models are refused clearly."""
    try:
        import tflite
    except ImportError as e:
        raise ConversionError("conversion needs the 'tflite' and 'onnx' packages: "
                              "pip install onnx tflite") from e
    buf = Path(path).read_bytes()
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise ConversionError(f"{path}: only single-subgraph models are supported")
    g = model.Subgraphs(0)
    names = _op_names()

    tensors: dict[int, Tensor] = {}
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        dtype = _DTYPES.get(t.Type())
        if dtype is None:
            raise ConversionError(f"{path}: tensor type {t.Type()} is not supported")
        raw = model.Buffers(t.Buffer()).DataAsNumpy()
        shape = tuple(int(v) for v in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        data = None
        if isinstance(raw, np.ndarray) and raw.size:
            if t.Sparsity() is not None:
                raise ConversionError(f"{path}: sparse (DENSIFY) weights are not supported by the converter")
            data = raw.view(dtype).reshape(shape).copy()
        tensors[i] = Tensor(i, t.Name().decode(), shape, dtype, data)

    ops: list[Op] = []
    unsupported: set[str] = set()
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
        if kind not in SUPPORTED:
            unsupported.add(kind)
            continue
        ins = [int(v) for v in op.InputsAsNumpy()]
        outs = [int(v) for v in op.OutputsAsNumpy()]
        if kind == "DEQUANTIZE":  # fp16 weights: fold into an fp32 constant
            src = tensors[ins[0]].data
            if src is None or src.dtype != np.float16:
                raise ConversionError(f"{path}: only fp16 DEQUANTIZE of constants is supported")
            tensors[outs[0]].data = src.astype(np.float32)
            continue
        ops.append(Op(kind, ins, outs, _parse_options(kind, op)))
    if unsupported:
        raise ConversionError(f"{path}: unsupported operators {sorted(unsupported)}")
    inputs = [int(v) for v in g.InputsAsNumpy()]
    outputs = [int(v) for v in g.OutputsAsNumpy()]
    return Graph(tensors, ops, inputs, outputs)
