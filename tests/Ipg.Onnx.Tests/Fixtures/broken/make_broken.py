#!/usr/bin/env python3
"""Write the small ONNX models of the OnnxSasRecEncoder contract tests (tests/Ipg.Onnx.Tests/Fixtures/broken/).

Needs only the `onnx` Python package (Debian: python3-onnx); no torch. Run from anywhere:

    /usr/bin/python3 tests/Ipg.Onnx.Tests/Fixtures/broken/make_broken.py

`mini.onnx` follows the Ipg SASRec contract v1 (docs/onnx-contract.md) with a tiny, hand-checkable
graph instead of SASRec: L = 3 slots, d = 4, N = 5 items, item table row i = [i, i/2, -i, 1] (row 0 =
padding = zeros), and

    user_embedding[b] = sum_k w[k] * table[item_ids[b, k]],   w = [1, 10, 100]

so the C# tests can check truncation and left padding exactly. Every other file breaks exactly one
rule of the contract; its name says which.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
L, D, N = 3, 4, 5
WEIGHTS = [1.0, 10.0, 100.0]

META = {
    "ipg.contract": "1",
    "ipg.max_length": str(L),
    "ipg.hidden_size": str(D),
    "ipg.item_count": str(N),
    "ipg.id_convention": "one_based_zero_padding",
    "ipg.padding_side": "left",
    "ipg.position_convention": "test_weighted_sum",
    "ipg.layout": "test-mini",
    "ipg.training_log_sha256": "",
    "ipg.producer": "tests/Ipg.Onnx.Tests/Fixtures/broken/make_broken.py",
}


def table(rows=N + 1):
    t = np.zeros((rows, D), dtype=np.float32)
    for i in range(1, rows):
        t[i] = [i, i / 2, -i, 1]
    return t


def build(name, *, input_name="item_ids", input_type=TensorProto.INT64, input_shape=("batch", L),
          user_name="user_embedding", user_type=TensorProto.FLOAT, user_shape=("batch", D),
          items_name="item_embeddings", items_shape=(N + 1, D), table_rows=N + 1,
          meta=None, drop_meta=(), extra_input=False, user_rank3=False, bias_rows=None):
    tab = numpy_helper.from_array(table(table_rows), "table")
    inits = []
    if bias_rows is not None:
        # item_bias[i] = i / 10 (index 0 = padding = 0): contract 2's optional per-item output bias
        inits.append(numpy_helper.from_array((np.arange(bias_rows, dtype=np.float32) / 10).astype(np.float32), "bias"))
    slots = input_shape[1]
    weights = (WEIGHTS + [1000.0] * slots)[:slots]
    w = numpy_helper.from_array(np.array(weights, dtype=np.float32).reshape(1, slots, 1), "w")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = []
    ids = input_name
    if input_type != TensorProto.INT64:
        nodes.append(helper.make_node("Cast", [input_name], ["ids64"], to=TensorProto.INT64))
        ids = "ids64"
    nodes += [
        helper.make_node("Gather", ["table", ids], ["gathered"]),           # [B, L, D]
        helper.make_node("Mul", ["gathered", "w"], ["weighted"]),           # [B, L, D]
        helper.make_node("ReduceSum", ["weighted", "axes"], ["user_f"], keepdims=1 if user_rank3 else 0),
    ]
    if user_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", ["user_f"], [user_name], to=user_type))
    else:
        nodes.append(helper.make_node("Identity", ["user_f"], [user_name]))
    nodes.append(helper.make_node("Identity", ["table"], [items_name]))
    if bias_rows is not None:
        nodes.append(helper.make_node("Identity", ["bias"], ["item_bias"]))
    inputs = [helper.make_tensor_value_info(input_name, input_type, list(input_shape))]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("positions", TensorProto.INT64, ["batch", L]))
    outputs = [
        helper.make_tensor_value_info(user_name, user_type,
                                      [user_shape[0], 1, user_shape[1]] if user_rank3 else list(user_shape)),
        helper.make_tensor_value_info(items_name, TensorProto.FLOAT, list(items_shape)),
    ]
    if bias_rows is not None:
        outputs.append(helper.make_tensor_value_info("item_bias", TensorProto.FLOAT, [bias_rows]))
    graph = helper.make_graph(nodes, "mini", inputs, outputs, initializer=[tab, w, axes] + inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="make_broken.py")
    model.ir_version = 8
    props = dict(META)
    props.update(meta or {})
    for key in drop_meta:
        props.pop(key, None)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


def main():
    build("mini")
    build("missing-input", input_name="ids")
    build("extra-input", extra_input=True)
    build("input-int32", input_type=TensorProto.INT32)
    build("input-fixed-batch", input_shape=(1, L))
    build("input-wrong-length", input_shape=("batch", L + 1))
    build("missing-user-output", user_name="user")
    build("missing-items-output", items_name="items")
    build("user-float64", user_type=TensorProto.DOUBLE)
    build("user-rank3", user_rank3=True)
    build("hidden-size-mismatch", meta={"ipg.hidden_size": "8"})
    build("item-count-static-mismatch", meta={"ipg.item_count": "6"})
    build("item-table-rows-mismatch", items_shape=("rows", "hidden"), table_rows=N + 2)
    build("no-metadata", drop_meta=tuple(META))
    build("missing-max-length", drop_meta=("ipg.max_length",))
    build("unparsable-item-count", meta={"ipg.item_count": "ten"})
    build("contract-v3", meta={"ipg.contract": "3"})
    # contract 2: an optional per-item bias and the acceptance function (softmax or sigmoid)
    build("mini-v2-bias-softmax", meta={"ipg.contract": "2", "ipg.acceptance": "softmax"}, bias_rows=N + 1)
    build("v2-missing-acceptance", meta={"ipg.contract": "2"})
    build("v2-unknown-acceptance", meta={"ipg.contract": "2", "ipg.acceptance": "tanh"})
    build("v1-softmax", meta={"ipg.acceptance": "softmax"})
    build("v1-with-bias", bias_rows=N + 1)
    build("v2-bias-wrong-length", meta={"ipg.contract": "2", "ipg.acceptance": "sigmoid"}, bias_rows=N)
    build("padding-right", meta={"ipg.padding_side": "right"})
    build("missing-producer", drop_meta=("ipg.producer",))


if __name__ == "__main__":
    main()
