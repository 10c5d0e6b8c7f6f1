"""Emit an ONNX model from a parsed TFLite graph.

Activations of rank 4 are kept NCHW inside the ONNX graph (ONNX's convolution layout): the NHWC input is
transposed once at the start and rank-4 outputs once at the end; ops whose meaning depends on the layout
(reshape, fully-connected flatten, concatenation and reduction axes, pads) are mapped explicitly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConversionError
from .tflite_graph import NHWC_TO_NCHW_AXIS, Graph, Op, same_padding

OPSET = 17
# Written into every converted file (producer_version): a cached conversion of an older graph layout is made again.
GRAPH_VERSION = "2"


class _Builder:
    def __init__(self, graph: Graph, dynamic_batch: bool, prelu_rewrite: bool):
        from onnx import helper, numpy_helper

        self.h, self.nh = helper, numpy_helper
        self.g = graph
        self.dynamic_batch = dynamic_batch
        self.prelu_rewrite = prelu_rewrite
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.nchw: set[int] = set()  # tensor indices stored NCHW
        self._n = 0

    # -- helpers -------------------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def name(self, idx: int) -> str:
        return f"t{idx}"

    def node(self, op: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        out = output or self.fresh(op.lower())
        self.nodes.append(self.h.make_node(op, inputs, [out], **attrs))
        return out

    def init(self, value: np.ndarray, hint: str = "c") -> str:
        name = self.fresh(hint)
        self.inits.append(self.nh.from_array(np.ascontiguousarray(value), name))
        return name

    def shape(self, idx: int) -> tuple[int, ...]:
        return self.g.tensors[idx].shape

    def operand(self, idx: int, out_rank: int) -> str:
        """An op input: an activation, or a constant laid out to broadcast against NCHW activations."""
        data = self.g.const(idx)
        if data is None:
            return self.name(idx)
        data = data.astype(np.float32) if data.dtype == np.float16 else data
        if out_rank == 4:
            data = data.reshape((1,) * (4 - data.ndim) + data.shape).transpose(0, 3, 1, 2)
        return self.init(data)

    def nhwc(self, idx: int) -> str:
        """An activation as NHWC (transposing it back if it is stored NCHW)."""
        if idx in self.nchw:
            return self.node("Transpose", [self.name(idx)], perm=[0, 2, 3, 1])
        return self.operand(idx, 0)

    def activation(self, value: str, act: str | None, output: str) -> None:
        if act is None:
            self.node("Identity", [value], output)
        elif act == "relu":
            self.node("Relu", [value], output)
        elif act == "relu6":
            lo, hi = self.init(np.array(0, np.float32)), self.init(np.array(6, np.float32))
            self.node("Clip", [value, lo, hi], output)
        else:
            raise ConversionError(f"activation {act} is not supported")

    def fused(self, op: str, inputs: list[str], out_idx: int, act: str | None, **attrs: Any) -> None:
        if act is None:
            self.node(op, inputs, self.name(out_idx), **attrs)
        else:
            self.activation(self.node(op, inputs, **attrs), act, self.name(out_idx))

    # -- ops -----------------------------------------------------------------------------------------------
    def conv(self, op: Op, depthwise: bool) -> None:
        x, w_idx = op.inputs[0], op.inputs[1]
        w = self.g.const(w_idx)
        if w is None:
            raise ConversionError("convolution weights must be constant")
        _, h, wd, cin = self.shape(x)
        kh, kw = w.shape[1], w.shape[2]
        sh, sw = op.options["stride"]
        dh, dw = op.options["dilation"]
        if op.options["padding"] == "SAME":
            (pt, pb), (pl, pr) = same_padding(h, kh, sh, dh), same_padding(wd, kw, sw, dw)
        else:
            pt = pb = pl = pr = 0
        if depthwise:
            weight, group = w.transpose(3, 0, 1, 2), cin
        else:
            weight, group = w.transpose(0, 3, 1, 2), 1
        ins = [self.name(x), self.init(weight.astype(np.float32), "w")]
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            ins.append(self.init(self.g.value(op.inputs[2]).astype(np.float32), "b"))
        self.fused("Conv", ins, op.outputs[0], op.options["activation"], kernel_shape=[kh, kw],
                   strides=[sh, sw], dilations=[dh, dw], pads=[pt, pl, pb, pr], group=group)
        self.nchw.add(op.outputs[0])

    def pool(self, op: Op) -> None:
        x = op.inputs[0]
        _, h, w, _ = self.shape(x)
        kh, kw = op.options["kernel"]
        sh, sw = op.options["stride"]
        if op.options["padding"] == "SAME":
            (pt, pb), (pl, pr) = same_padding(h, kh, sh, 1), same_padding(w, kw, sw, 1)
        else:
            pt = pb = pl = pr = 0
        extra = {"count_include_pad": 0} if op.kind == "AVERAGE_POOL_2D" else {}
        self.fused("MaxPool" if op.kind == "MAX_POOL_2D" else "AveragePool", [self.name(x)], op.outputs[0],
                   op.options["activation"], kernel_shape=[kh, kw], strides=[sh, sw], pads=[pt, pl, pb, pr],
                   **extra)
        self.nchw.add(op.outputs[0])

    def binary(self, op: Op) -> None:
        out = op.outputs[0]
        rank = len(self.shape(out))
        a, b = (self.operand(i, rank) for i in op.inputs[:2])
        self.fused("Add" if op.kind == "ADD" else "Mul", [a, b], out, op.options["activation"])
        if rank == 4:
            self.nchw.add(out)

    def prelu(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        rank = len(self.shape(out))
        slopes = self.g.const(op.inputs[1])
        if self.prelu_rewrite and rank == 4 and x in self.nchw and slopes is not None \
                and slopes.size in (1, self.shape(out)[3]):
            # x + (1 - a) * relu(-x), as two depthwise 1x1 convolutions: ONNX Runtime's CPU provider keeps these in
            # its blocked layout and fuses the relu and the addition into them, where Min/Mul/Add would each
            # leave that layout and come back (palm model 1.4x faster). Exact for any slope sign.
            c = self.shape(out)[3]
            a = np.broadcast_to(slopes.astype(np.float32).reshape(-1), (c,)).reshape(c, 1, 1, 1)
            neg = self.node("Relu", [self.node("Conv", [self.name(x), self.init(-np.ones_like(a), "w")],
                                               kernel_shape=[1, 1], group=c)])
            scaled = self.node("Conv", [neg, self.init(np.ascontiguousarray(1 - a), "w")], kernel_shape=[1, 1],
                               group=c)
            self.node("Add", [scaled, self.name(x)], self.name(out))
        elif self.prelu_rewrite:
            # relu(x) + a * min(x, 0) is exact for any slope sign (max(x, a*x) is not: slopes exceed 1).
            alpha = self.operand(op.inputs[1], rank)
            neg = self.node("Min", [self.name(x), self.init(np.array(0, np.float32))])
            self.node("Add", [self.node("Relu", [self.name(x)]), self.node("Mul", [alpha, neg])], self.name(out))
        else:
            self.node("PRelu", [self.name(x), self.operand(op.inputs[1], rank)], self.name(out))
        if rank == 4:
            self.nchw.add(out)

    def concat(self, op: Op) -> None:
        out = op.outputs[0]
        rank = len(self.shape(out))
        axis = op.options["axis"] % rank
        if rank == 4:
            axis = NHWC_TO_NCHW_AXIS[axis]
            self.nchw.add(out)
        self.fused("Concat", [self.operand(i, rank) for i in op.inputs], out, op.options["activation"],
                   axis=axis)

    def reshape(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        target = op.options.get("new_shape")
        if target is None:
            target = [int(v) for v in self.g.value(op.inputs[1]).reshape(-1)]
        target = list(self.shape(out)) if not target else list(target)
        if self.dynamic_batch and target and target[0] == 1 and self.shape(x)[0] == 1:
            target[0] = 0  # ONNX: copy the (dynamic) batch dimension of the input
        shaped = self.node("Reshape", [self.nhwc(x), self.init(np.array(target, np.int64), "shape")])
        if len(target) == 4:
            self.node("Transpose", [shaped], self.name(out), perm=[0, 3, 1, 2])
            self.nchw.add(out)
        else:
            self.node("Identity", [shaped], self.name(out))

    def fully_connected(self, op: Op) -> None:
        x, w_idx = op.inputs[0], op.inputs[1]
        w = self.g.const(w_idx)
        if w is None:
            raise ConversionError("fully-connected weights must be constant")
        flat = self.nhwc(x)
        if len(self.shape(x)) != 2:
            flat = self.node("Reshape", [flat, self.init(np.array([-1, w.shape[1]], np.int64), "shape")])
        ins = [flat, self.init(w.astype(np.float32), "w")]
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            ins.append(self.init(self.g.value(op.inputs[2]).astype(np.float32), "b"))
        self.fused("Gemm", ins, op.outputs[0], op.options["activation"], transB=1)

    def mean(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        rank = len(self.shape(x))
        axes = [int(a) % rank for a in self.g.value(op.inputs[1]).reshape(-1)]
        keep = op.options["keep_dims"]
        if x in self.nchw:
            axes = [NHWC_TO_NCHW_AXIS[a] for a in axes]
            if keep:
                self.nchw.add(out)
            elif len(self.shape(out)) > 2:
                raise ConversionError("MEAN leaving a partial spatial layout is not supported")
        self.node("ReduceMean", [self.name(x)], self.name(out), axes=sorted(axes), keepdims=int(keep))

    def resize(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        _, ih, iw, _ = self.shape(x)
        _, oh, ow, _ = self.shape(out)
        if op.options["half_pixel"]:
            mode = "half_pixel"
        elif op.options["align_corners"]:
            mode = "align_corners"
        else:
            mode = "asymmetric"
        scales = self.init(np.array([1, 1, oh / ih, ow / iw], np.float32), "scales")
        self.node("Resize", [self.name(x), "", scales], self.name(out), mode="linear",
                  coordinate_transformation_mode=mode)
        self.nchw.add(out)

    def pad(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        pads = self.g.value(op.inputs[1]).astype(np.int64)
        if x in self.nchw and not pads[:3].any():
            # zero channels added to a skip connection (a block that widens): a 1x1 convolution with identity weights,
            # which ONNX Runtime's CPU provider runs in its blocked layout, unlike Pad
            cin = self.shape(x)[3]
            before, after = (int(p) for p in pads[3])
            w = np.zeros((before + cin + after, cin, 1, 1), np.float32)
            w[np.arange(cin) + before, np.arange(cin)] = 1
            self.node("Conv", [self.name(x), self.init(w, "w")], self.name(out), kernel_shape=[1, 1])
            self.nchw.add(out)
            return
        if x in self.nchw:
            pads = pads[[0, 3, 1, 2]]
            self.nchw.add(out)
        self.node("Pad", [self.name(x), self.init(np.concatenate([pads[:, 0], pads[:, 1]]), "pads")],
                  self.name(out), mode="constant")

    def emit(self, op: Op) -> None:
        out = op.outputs[0]
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            self.conv(op, op.kind == "DEPTHWISE_CONV_2D")
        elif op.kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            self.pool(op)
        elif op.kind in ("ADD", "MUL"):
            self.binary(op)
        elif op.kind == "PRELU":
            self.prelu(op)
        elif op.kind == "CONCATENATION":
            self.concat(op)
        elif op.kind == "RESHAPE":
            self.reshape(op)
        elif op.kind == "FULLY_CONNECTED":
            self.fully_connected(op)
        elif op.kind == "MEAN":
            self.mean(op)
        elif op.kind == "RESIZE_BILINEAR":
            self.resize(op)
        elif op.kind == "PAD":
            self.pad(op)
        elif op.kind in ("LOGISTIC", "RELU", "RELU6"):
            x = op.inputs[0]
            if op.kind == "LOGISTIC":
                self.node("Sigmoid", [self.name(x)], self.name(out))
            else:
                self.activation(self.name(x), op.kind.lower(), self.name(out))
            if x in self.nchw:
                self.nchw.add(out)
        elif op.kind == "DEPTH_TO_SPACE":
            self.node("DepthToSpace", [self.name(op.inputs[0])], self.name(out), blocksize=op.options["block"],
                      mode="DCR")
            self.nchw.add(out)
        else:  # pragma: no cover - read_tflite refuses these already
            raise ConversionError(f"operator {op.kind} is not supported")

    def build(self, graph_name: str) -> Any:
        h = self.h
        from onnx import TensorProto

        batch: Any = "batch" if self.dynamic_batch else 1
        inputs, outputs = [], []
        for idx in self.g.inputs:
            t = self.g.tensors[idx]
            inputs.append(h.make_tensor_value_info(t.name, TensorProto.FLOAT, [batch, *t.shape[1:]]))
            if len(t.shape) == 4:
                self.node("Transpose", [t.name], self.name(idx), perm=[0, 3, 1, 2])
                self.nchw.add(idx)
            else:
                self.node("Identity", [t.name], self.name(idx))
        for op in self.g.ops:
            self.emit(op)
        for idx in self.g.outputs:
            t = self.g.tensors[idx]
            if idx in self.nchw:
                self.node("Transpose", [self.name(idx)], t.name, perm=[0, 2, 3, 1])
            else:
                self.node("Identity", [self.name(idx)], t.name)
            outputs.append(h.make_tensor_value_info(t.name, TensorProto.FLOAT, [batch, *t.shape[1:]]))
        graph = h.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)], producer_name="handpose",
                             producer_version=GRAPH_VERSION)
        model.ir_version = 8
        return model


def graph_to_onnx(graph: Graph, name: str = "model", *, dynamic_batch: bool = True,
                  prelu_rewrite: bool = True) -> Any:
    """Build an ``onnx.ModelProto``; input and output names are the TFLite file's own."""
    try:
        import onnx
    except ImportError as e:
        raise ConversionError("conversion needs the 'onnx' package: pip install onnx tflite") from e
    model = _Builder(graph, dynamic_batch, prelu_rewrite).build(name)
    onnx.checker.check_model(model)
    return model
