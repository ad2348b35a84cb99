"""A tiny numpy interpreter for the ONNX ops our SASRec export uses.

onnxruntime is not installable here and onnx 1.12 has no onnx.reference, so this executes
the exported graph node by node (float32 throughout, like ORT) to check it against torch.
It supports only the ops it knows and fails loudly on anything else.
"""

from __future__ import annotations

import math
from typing import Dict

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _layer_norm(x, scale, bias, axis=-1, epsilon=1e-5):
    axes = tuple(range(axis % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + np.float32(epsilon))
    y = y * scale
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype)


def _softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


_DTYPES = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.BOOL: np.bool_,
    onnx.TensorProto.DOUBLE: np.float64,
}


def _slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(a) % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else list(steps)
    sl = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        sl[a] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


_erf = np.vectorize(math.erf, otypes=[np.float64])


def run_node(node, ins, at):
    op = node.op_type
    if op == "Constant":
        return [numpy_helper.to_array(at["value"])]
    if op == "Identity":
        return [ins[0]]
    if op in ("Add", "Sub", "Mul", "Div"):
        a, b = ins
        r = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](a, b)
        if op == "Div" and np.issubdtype(a.dtype, np.integer):
            r = (a // b)
        return [r.astype(np.result_type(a, b)) if a.dtype == b.dtype else r]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Gemm":
        a, b = ins[0], ins[1]
        if at.get("transA", 0):
            a = a.T
        if at.get("transB", 0):
            b = b.T
        y = at.get("alpha", 1.0) * (a @ b)
        if len(ins) > 2 and ins[2] is not None:
            y = y + at.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "Gather":
        axis = at.get("axis", 0)
        return [np.take(ins[0], ins[1].astype(np.int64), axis=axis)]
    if op == "Transpose":
        perm = at.get("perm")
        return [np.transpose(ins[0], perm)]
    if op == "Shape":
        return [np.array(ins[0].shape, dtype=np.int64)]
    if op == "Concat":
        return [np.concatenate(ins, axis=at["axis"])]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [ins[0].reshape(shape)]
    if op == "Unsqueeze":
        axes = at.get("axes") if "axes" in at else [int(a) for a in ins[1]]
        y = ins[0]
        out_rank = y.ndim + len(axes)
        for a in sorted(int(a) % out_rank for a in axes):
            y = np.expand_dims(y, a)
        return [y]
    if op == "Squeeze":
        axes = at.get("axes") if "axes" in at else ([int(a) for a in ins[1]] if len(ins) > 1 else None)
        return [np.squeeze(ins[0], axis=tuple(axes) if axes is not None else None)]
    if op == "LayerNormalization":
        return [_layer_norm(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                            at.get("axis", -1), at.get("epsilon", 1e-5))]
    if op == "Softmax":
        return [_softmax(ins[0], at.get("axis", -1))]
    if op == "Relu":
        return [np.maximum(ins[0], 0).astype(ins[0].dtype)]
    if op == "Cast":
        return [ins[0].astype(_DTYPES[at["to"]])]
    if op == "Not":
        return [np.logical_not(ins[0])]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op in ("Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"):
        f = {"Equal": np.equal, "Greater": np.greater, "GreaterOrEqual": np.greater_equal,
             "Less": np.less, "LessOrEqual": np.less_equal}[op]
        return [f(ins[0], ins[1])]
    if op == "And":
        return [np.logical_and(ins[0], ins[1])]
    if op == "Or":
        return [np.logical_or(ins[0], ins[1])]
    if op == "Range":
        start, limit, delta = (np.asarray(v).item() for v in ins)
        return [np.arange(start, limit, delta, dtype=ins[0].dtype)]
    if op == "Expand":
        shape = tuple(int(s) for s in ins[1])
        return [ins[0] * np.ones(shape, dtype=ins[0].dtype)]
    if op == "Slice":
        return [_slice(ins[0], ins[1], ins[2], ins[3] if len(ins) > 3 else None,
                       ins[4] if len(ins) > 4 else None)]
    if op == "Sqrt":
        return [np.sqrt(ins[0])]
    if op == "Erf":  # gelu (erf form); no scipy here: math.erf per element, in float64
        return [_erf(ins[0].astype(np.float64)).astype(ins[0].dtype)]
    if op in ("Tanh", "Exp", "Neg", "Abs", "Reciprocal"):
        f = {"Tanh": np.tanh, "Exp": np.exp, "Neg": np.negative, "Abs": np.abs, "Reciprocal": np.reciprocal}[op]
        return [f(ins[0]).astype(ins[0].dtype)]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
        y = ins[0]
        if lo is not None:
            y = np.maximum(y, lo)
        if hi is not None:
            y = np.minimum(y, hi)
        return [y.astype(ins[0].dtype)]
    if op == "Sigmoid":
        x = ins[0]
        return [(1.0 / (1.0 + np.exp(-x))).astype(x.dtype)]
    if op in ("Max", "Min"):
        f = np.maximum if op == "Max" else np.minimum
        y = ins[0]
        for v in ins[1:]:
            y = f(y, v)
        return [y]
    if op == "ReduceSum":
        axes = [int(v) for v in ins[1]] if len(ins) > 1 and ins[1] is not None else at.get("axes")
        keep = bool(at.get("keepdims", 1))
        if axes is None or len(axes) == 0:
            if at.get("noop_with_empty_axes", 0):
                return [ins[0]]
            return [np.sum(ins[0], keepdims=keep).astype(ins[0].dtype)]
        return [np.sum(ins[0], axis=tuple(axes), keepdims=keep).astype(ins[0].dtype)]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [np.full(tuple(int(s) for s in ins[0]), v.reshape(-1)[0], dtype=v.dtype)]
    raise NotImplementedError(f"onnx_numpy: op {op} not implemented")


def run_model(mp: onnx.ModelProto, feeds: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    env: Dict[str, np.ndarray] = {}
    for init in mp.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    env.update(feeds)
    for node in mp.graph.node:
        ins = [env[n] if n else None for n in node.input]
        outs = run_node(node, ins, _attrs(node))
        for name, val in zip(node.output, outs):
            env[name] = val
    return {o.name: env[o.name] for o in mp.graph.output}
