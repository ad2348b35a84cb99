#!/usr/bin/env python3
"""Export an IRN checkpoint to the Ipg target-conditioned ONNX contract, and write golden fixtures.

Contract (docs/irn.md, "ONNX contract"), version 1:
  input  item_ids          int64   [batch, L]  history ids 1..N, 0 = padding, left-padded (most recent last)
  input  target_ids        int64   [batch]     the target item, 1..N
  input  user_ids          int64   [batch]     0..U; 0 = unknown user (the mean impressionability factor)
  output scores            float32 [batch, N]  next-item logits; column c = item c + 1
  output impressionability float32 [batch]     r_u, the personal weight on attention to the target
  metadata_props: ipg.model = irn, ipg.contract = 1, ipg.max_length (L), ipg.hidden_size, ipg.item_count,
                  ipg.user_count, ipg.id_convention, ipg.padding_side, ipg.unknown_user, ipg.training_log_sha256,
                  ipg.producer, ipg.blocks, ipg.heads
The graph is checked with onnx.checker and run by tools/sasrec/onnx_numpy.py against torch.

Fixtures (``--fixtures``, format ipg-irn-fixtures/1): per case the history, target, user, the padded ids,
r_u, the top-10 items and the scores of a few chosen items, computed by torch (eval mode, float32).
"""

from __future__ import annotations

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "sasrec"))
sys.path.insert(0, _here)

import threads  # noqa: E402,F401  (tools/sasrec; pins BLAS threads)

import argparse  # noqa: E402
import io  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

from data import sha256_file  # noqa: E402
from irn_model import IRN, load_checkpoint, pad_left  # noqa: E402
from make_fixtures import dumps, f9  # noqa: E402  (tools/sasrec)

def _sasrec_module(name: str):
    """A tools/sasrec module whose name this folder shadows (export_onnx), loaded from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"sasrec_{name}", os.path.join(_here, "..", "sasrec", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_sasrec_export = _sasrec_module("export_onnx")
_export_kwargs, write_checked = _sasrec_export._export_kwargs, _sasrec_export.write_checked

CONTRACT_VERSION = "1"
INPUTS = ["item_ids", "target_ids", "user_ids"]
OUTPUTS = ["scores", "impressionability"]
FIXTURES_FORMAT = "ipg-irn-fixtures/1"


class _Graph(torch.nn.Module):
    def __init__(self, model: IRN):
        super().__init__()
        self.model = model

    def forward(self, item_ids, target_ids, user_ids):
        return self.model.scores(item_ids, target_ids, user_ids), self.model.impressionability_factor(user_ids)


def export(model: IRN, log_sha: str, output: str, opset: int = 17, log=print) -> onnx.ModelProto:
    model.eval()
    L, N = model.history_length, model.item_count
    ids = torch.zeros((2, L), dtype=torch.long)
    ids[0, -3:] = torch.tensor([1, 2, 3]) if N >= 3 else 1
    example = (ids, torch.tensor([1, N]), torch.tensor([0, 1]))
    # No constant folding: it stored a second, sliced copy of the item table (1.7 MB instead of 1.0 MB).
    kw = _export_kwargs(opset, INPUTS, OUTPUTS, constant_folding=False)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(_Graph(model).eval(), example, buf, **kw)
    mp = onnx.load_from_string(buf.getvalue())
    for vi in list(mp.graph.input) + list(mp.graph.output):
        dims = vi.type.tensor_type.shape.dim
        dims[0].dim_param = "batch"
        if vi.name == "item_ids":
            dims[1].dim_value = L
        if vi.name == "scores":
            dims[1].dim_value = N
    meta = {
        "ipg.model": "irn",
        "ipg.contract": CONTRACT_VERSION,
        "ipg.max_length": str(L),
        "ipg.hidden_size": str(model.hidden),
        "ipg.item_count": str(N),
        "ipg.user_count": str(model.user_count),
        "ipg.id_convention": "one_based_zero_padding",
        "ipg.padding_side": "left",
        "ipg.unknown_user": "mean_factor",
        "ipg.training_log_sha256": log_sha or "",
        "ipg.producer": f"tools/irn/export_onnx.py (torch {torch.__version__}, onnx {onnx.__version__})",
        "ipg.blocks": str(model.n_blocks),
        "ipg.heads": str(model.n_heads),
    }
    write_checked(mp, meta, "ipg-tools-irn",
                  "IRN (Zhu et al., ICDE 2023) next-item scorer conditioned on a target, for Ipg (docs/irn.md).",
                  output, opset, log)
    return mp


def random_inputs(model: IRN, n: int, seed: int):
    rng = np.random.default_rng(seed)
    L, N, U = model.history_length, model.item_count, model.user_count
    cases = [("empty", [], 1, 1), ("length_1", [int(rng.integers(1, N + 1))], int(rng.integers(1, N + 1)), 2),
             ("boundary_ids", [1, N, 1, N], N, U), ("unknown_user", list(rng.integers(1, N + 1, size=10)), 1, 0),
             (f"exactly_max_length_{L}", list(rng.integers(1, N + 1, size=L)), int(rng.integers(1, N + 1)), 3),
             (f"longer_than_max_length_{L + 7}", list(rng.integers(1, N + 1, size=L + 7)), int(rng.integers(1, N + 1)), U // 2 + 1),
             ("target_in_history", [5, 7, 9][: min(3, N)], min(7, N), 4)]
    for r in range(max(0, n - len(cases))):
        length = int(rng.integers(2, L + 1))
        cases.append((f"random_{r}_len{length}", list(rng.integers(1, N + 1, size=length)),
                      int(rng.integers(1, N + 1)), int(rng.integers(0, U + 1))))
    return [(name, [int(i) for i in h], int(t), int(u)) for name, h, t, u in cases]


def run_both(mp, model: IRN, cases):
    from onnx_numpy import run_model  # tools/sasrec

    L = model.history_length
    ids = np.array([pad_left(h, L) for _, h, _, _ in cases], dtype=np.int64).reshape(len(cases), L)
    tgt = np.array([t for _, _, t, _ in cases], dtype=np.int64)
    usr = np.array([u for _, _, _, u in cases], dtype=np.int64)
    with torch.no_grad():
        s = model.scores(torch.from_numpy(ids), torch.from_numpy(tgt), torch.from_numpy(usr)).numpy()
        r = model.impressionability_factor(torch.from_numpy(usr)).numpy()
    out = run_model(mp, {"item_ids": ids, "target_ids": tgt, "user_ids": usr})
    diff = max(float(np.abs(out["scores"] - s).max()), float(np.abs(out["impressionability"] - r).max()))
    return ids, s, r, diff


def write_fixtures(mp, model: IRN, onnx_path: str, log_sha: str, output: str, n_cases: int, seed: int, log=print):
    cases = random_inputs(model, n_cases, seed)
    ids, s, r, diff = run_both(mp, model, cases)
    if not diff < 1e-4:
        raise RuntimeError(f"ONNX (numpy) vs torch mismatch {diff}")
    rng = np.random.default_rng(seed + 1)
    N = model.item_count
    out = []
    for k, (name, hist, tgt, usr) in enumerate(cases):
        order = np.argsort(-s[k], kind="stable")
        top10 = [int(c) + 1 for c in order[:10]]
        pick = set(top10) | {1, N, tgt} | {int(i) for i in rng.integers(1, N + 1, size=8)}
        out.append({"name": name, "history": hist, "target": tgt, "user": usr,
                    "input_ids": [int(i) for i in ids[k]], "impressionability": f9(r[k]), "top10": top10,
                    "scores": {str(i): f9(s[k, i - 1]) for i in sorted(pick)}})
    doc = {"format": FIXTURES_FORMAT, "model": os.path.basename(onnx_path), "model_sha256": sha256_file(onnx_path),
           "max_length": model.history_length, "item_count": N, "user_count": model.user_count,
           "training_log_sha256": log_sha or "",
           "reference": "torch irn_model.IRN (eval mode, float32); history truncated to the most recent L ids and left-padded",
           "onnx_numpy_max_abs_diff": f9(diff), "tolerance": {"score_abs": 1e-5, "impressionability_abs": 1e-5},
           "cases": out}
    with open(output, "w", newline="\n") as f:
        f.write(dumps(doc) + "\n")
    log(f"wrote {output}: {len(out)} cases, ONNX (numpy) vs torch max |diff| {diff:.3g}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--output", required=True)
    p.add_argument("--fixtures", default=None, help="also write golden fixtures here")
    p.add_argument("--cases", type=int, default=12)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, ck = load_checkpoint(a.checkpoint)
    log_sha = ck.get("training_log_sha256", "")
    mp = export(model, log_sha, a.output, a.opset)
    _, _, _, diff = run_both(mp, model, random_inputs(model, 8, a.seed + 7))
    print(f"verify: ONNX (numpy interpreter) vs torch on 8 inputs: max |diff| {diff:.3g}")
    if not diff < 1e-4:
        raise SystemExit("ONNX graph does not reproduce the torch model")
    if a.fixtures:
        write_fixtures(mp, model, a.output, log_sha, a.fixtures, a.cases, a.seed)


if __name__ == "__main__":
    main()
