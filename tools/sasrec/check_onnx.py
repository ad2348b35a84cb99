#!/usr/bin/env python3
"""Check an exported model against docs/onnx-contract.md (and optionally its fixtures).

  check_onnx.py MODEL.onnx [--fixtures MODEL.fixtures.json]

Checks: onnx.checker (full), no Trilu, opset >= 14, the input/output names, dtypes and
shapes, the metadata keys and their agreement with the shapes, that item_embeddings is an
Identity of an initializer, and, with --fixtures, every case run through the numpy
interpreter (onnx_numpy.py) against the expected values and tolerances.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import pad_left  # noqa: E402
from onnx_numpy import run_model  # noqa: E402

REQUIRED = ["ipg.contract", "ipg.max_length", "ipg.hidden_size", "ipg.item_count", "ipg.id_convention",
            "ipg.padding_side", "ipg.position_convention", "ipg.layout", "ipg.training_log_sha256",
            "ipg.producer"]


def _dims(vi):
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


def check(path: str, fixtures: str = None) -> int:
    errors = []
    mp = onnx.load(path)
    onnx.checker.check_model(mp, full_check=True)
    opset = max(o.version for o in mp.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 14:
        errors.append(f"opset {opset} < 14")
    if any(n.op_type == "Trilu" for n in mp.graph.node):
        errors.append("graph contains Trilu")
    meta = {p.key: p.value for p in mp.metadata_props}
    for k in REQUIRED:
        if k not in meta:
            errors.append(f"metadata {k} missing")
    if errors:
        print("\n".join(errors))
        return 1
    L, d, N = int(meta["ipg.max_length"]), int(meta["ipg.hidden_size"]), int(meta["ipg.item_count"])
    ins = {i.name: i for i in mp.graph.input}
    outs = {o.name: o for o in mp.graph.output}
    exp = {"item_ids": (TensorProto.INT64, ["batch", L])}
    if set(ins) != {"item_ids"}:
        errors.append(f"inputs {sorted(ins)} != ['item_ids']")
    for name, (dt, shape) in exp.items():
        if name in ins and (ins[name].type.tensor_type.elem_type != dt or _dims(ins[name]) != shape):
            errors.append(f"{name}: {ins[name].type.tensor_type.elem_type} {_dims(ins[name])}, expected {dt} {shape}")
    oexp = {"user_embedding": ["batch", d], "item_embeddings": [N + 1, d]}
    contract = meta["ipg.contract"]
    if contract not in ("1", "2"):
        errors.append(f"ipg.contract = {contract!r}, expected '1' or '2'")
    acceptance = meta.get("ipg.acceptance", "sigmoid" if contract == "1" else None)
    if acceptance not in ("sigmoid", "softmax") or (contract == "1" and acceptance != "sigmoid"):
        errors.append(f"ipg.acceptance = {meta.get('ipg.acceptance')!r} under contract {contract} "
                      "(contract 2 requires sigmoid or softmax; contract 1 is sigmoid only)")
    if "item_bias" in outs:
        if contract == "1":
            errors.append("output item_bias under contract 1 (a contract-1 reader would ignore it): declare contract 2")
        oexp["item_bias"] = [N + 1]
    for name, shape in oexp.items():
        if name not in outs:
            errors.append(f"output {name} missing")
        elif outs[name].type.tensor_type.elem_type != TensorProto.FLOAT or _dims(outs[name]) != shape:
            errors.append(f"{name}: {_dims(outs[name])}, expected float {shape}")
    inits = {i.name for i in mp.graph.initializer}
    ident = [n for n in mp.graph.node if "item_embeddings" in n.output]
    if not (len(ident) == 1 and ident[0].op_type == "Identity" and ident[0].input[0] in inits):
        errors.append("item_embeddings is not an Identity of an initializer")
    for k, v in (("ipg.id_convention", "one_based_zero_padding"), ("ipg.padding_side", "left")):
        if meta[k] != v:
            errors.append(f"{k} = {meta[k]!r}, expected {v!r}")
    print(f"{os.path.basename(path)}: opset {opset}, L={L}, d={d}, N={N}, layout {meta['ipg.layout']}, "
          f"positions {meta['ipg.position_convention']}, log sha256 {meta['ipg.training_log_sha256'] or '(none)'}")
    if fixtures:
        fx = json.load(open(fixtures))
        if fx["format"] != "ipg-sasrec-fixtures/1":
            errors.append(f"fixtures format {fx['format']}")
        for k, v in (("max_length", L), ("hidden_size", d), ("item_count", N)):
            if fx[k] != v:
                errors.append(f"fixtures {k} {fx[k]} != model {v}")
        ids = np.array([pad_left(c["history"], L) for c in fx["cases"]], dtype=np.int64).reshape(-1, L)
        for c, row in zip(fx["cases"], ids):
            if list(row) != c["input_ids"]:
                errors.append(f"case {c['name']}: padded history != input_ids")
        out = run_model(mp, {"item_ids": ids})
        u, table = out["user_embedding"], out["item_embeddings"]
        bias = out.get("item_bias")
        tol_u, tol_l = fx["tolerance"]["user_embedding_abs"], fx["tolerance"]["logit_abs"]
        worst_u = worst_l = 0.0
        for r, c in enumerate(fx["cases"]):
            du = float(np.abs(u[r] - np.array(c["user_embedding"], dtype=np.float32)).max())
            worst_u = max(worst_u, du)
            logits = table[1:] @ u[r] + (0 if bias is None else bias[1:])
            for i, v in c["logits"].items():
                worst_l = max(worst_l, abs(float(logits[int(i) - 1]) - v))
            top = [int(i) + 1 for i in np.argsort(-logits, kind="stable")[:10]]
            if top != c["top10"]:
                # allow swaps of near-ties only
                exp_vals = [float(logits[i - 1]) for i in c["top10"]]
                got_vals = [float(logits[i - 1]) for i in top]
                if max(abs(a - b) for a, b in zip(exp_vals, got_vals)) > tol_l:
                    errors.append(f"case {c['name']}: top10 {top} != {c['top10']}")
        for i, row in fx["item_embedding_rows"].items():
            if not np.array_equal(table[int(i)], np.array(row, dtype=np.float32)):
                errors.append(f"item_embedding_rows[{i}] differs")
        if worst_u > tol_u:
            errors.append(f"user_embedding max diff {worst_u} > {tol_u}")
        if worst_l > tol_l:
            errors.append(f"logit max diff {worst_l} > {tol_l}")
        print(f"  fixtures {os.path.basename(fixtures)}: {len(fx['cases'])} cases, max |user_embedding diff| "
              f"{worst_u:.3g}, max |logit diff| {worst_l:.3g}")
    if errors:
        print("FAILED:\n  " + "\n  ".join(errors))
        return 1
    print("  OK")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--fixtures", default=None)
    a = p.parse_args()
    sys.exit(check(a.model, a.fixtures))


if __name__ == "__main__":
    main()
