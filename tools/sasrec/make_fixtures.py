#!/usr/bin/env python3
"""Write golden fixtures (JSON, format ipg-sasrec-fixtures/1) for the C# parity tests.

The reference values come from the torch model (model.SASRec, full-width forward, no
trimming), computed on the history truncated to the most recent max_length items and
left-padded, exactly as the C# side must do. The same inputs are also run through the
ONNX file with the numpy interpreter (onnx_numpy.py); the largest difference is recorded
in the fixture file and must stay below 1e-4.

Format (see docs/onnx-contract.md):
{
  "format": "ipg-sasrec-fixtures/1",
  "model": "<onnx file name>", "model_sha256": "...",
  "layout": ..., "position_convention": ..., "max_length": L, "hidden_size": d, "item_count": N,
  "reference": "...", "onnx_numpy_max_abs_diff": x, "tolerance": {...},
  "cases": [{"name", "history" (unpadded, oldest first, may exceed L), "input_ids" (the padded
             L ids fed to the model), "user_embedding" [d], "top10" [ids by logit desc],
             "logits": {"<id>": value, ...}}],
  "item_embedding_rows": {"0": [d], "1": [d], ..., "<N>": [d]}
}
"""

from __future__ import annotations

import threads  # noqa: F401  (must precede numpy/torch: pins BLAS threads)

import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import FORMATS, read_sequences, sha256_file  # noqa: E402
from export_onnx import add_checkpoint_options, load_or_exit  # noqa: E402
from model import POSITION_CONVENTION, SASRec, pad_left  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "export"))
import ipg_export  # noqa: E402  (the one list of standard histories)

FORMAT = "ipg-sasrec-fixtures/1"


def f9(x) -> float:
    """float32 value as a double with 9 significant digits (round-trips to the same float32)."""
    return float("%.9g" % float(np.float32(x)))


def dumps(doc) -> str:
    """JSON with one line per list of numbers (readable diffs, small files)."""
    text = json.dumps(doc, indent=1)
    return re.sub(r"\[\s*([-0-9.e+,\s]*?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",") if x.strip()) + "]",
                  text)


def standard_histories(N: int, L: int, n_random: int, seed: int):
    """The contract's edge cases and ``n_random`` random histories of lengths 2..L (tools/export/ipg_export.py)."""
    return ipg_export.standard_histories(N, L, count=8 + n_random, seed=seed, longest_random=L)


def build(model: SASRec, onnx_path: str, cases, seed: int, extra_logit_ids: int = 5, rows=None):
    from onnx_numpy import run_model

    L, N, d = model.max_length, model.item_count, model.hidden
    ids = np.array([pad_left(h, L) for _, h in cases], dtype=np.int64).reshape(len(cases), L)
    with torch.no_grad():
        u = model.user_embedding(torch.from_numpy(ids), last_only=False)
        table = model.item_emb.weight
        logits = (u @ table[1:].T).numpy()  # column c = item c+1
    u = u.numpy()
    mp = onnx.load(onnx_path)
    onnx_out = run_model(mp, {"item_ids": ids})
    diff = float(np.abs(onnx_out["user_embedding"] - u).max()) if len(cases) else 0.0
    if not diff < 1e-4:
        raise RuntimeError(f"ONNX vs torch mismatch {diff}")
    rng = np.random.default_rng(seed + 1)
    out_cases = []
    for r, (name, hist) in enumerate(cases):
        order = np.argsort(-logits[r], kind="stable")
        top10 = [int(c) + 1 for c in order[:10]]
        pick = set(top10[:3]) | {1, N} | {int(i) for i in rng.integers(1, N + 1, size=extra_logit_ids)}
        if hist:
            pick.add(int(hist[-1]))
        out_cases.append({
            "name": name,
            "history": [int(i) for i in hist],
            "input_ids": [int(i) for i in ids[r]],
            "user_embedding": [f9(x) for x in u[r]],
            "top10": top10,
            "logits": {str(i): f9(logits[r, i - 1]) for i in sorted(pick)},
        })
    if rows is None:
        rows = sorted({0, 1, 2, N // 2, N - 1, N} & set(range(N + 1)))
    w = model.item_emb.weight.detach().numpy()
    item_rows = {str(i): [f9(x) for x in w[i]] for i in rows}
    return out_cases, item_rows, diff


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="the checkpoint the ONNX file was exported from (ours or pmixer)")
    p.add_argument("--onnx", required=True, help="the exported model (checked with the numpy interpreter)")
    p.add_argument("--output", required=True)
    add_checkpoint_options(p)
    p.add_argument("--random-cases", type=int, default=6)
    p.add_argument("--history-file", default=None,
                   help="take (additional) histories from this file, e.g. ML-1M val/input.txt")
    p.add_argument("--history-format", choices=FORMATS, default="seq")
    p.add_argument("--history-count", type=int, default=8)
    p.add_argument("--no-standard", action="store_true", help="only histories from --history-file")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, info = load_or_exit(a, log=lambda *x: None)
    L, N = model.max_length, model.item_count
    cases = [] if a.no_standard else standard_histories(N, L, a.random_cases, a.seed)
    if a.history_file:
        users = list(read_sequences(a.history_file, a.history_format).items())
        # a deterministic spread: the first users, plus the longest and the shortest
        chosen = users[: max(a.history_count - 2, 0)]
        by_len = sorted(users, key=lambda kv: len(kv[1]))
        for kv in (by_len[0], by_len[-1]):
            if kv not in chosen:
                chosen.append(kv)
        for u, h in chosen[: a.history_count]:
            cases.append((f"{os.path.basename(os.path.dirname(a.history_file)) or 'file'}_user{u}_len{len(h)}", h))
    out_cases, rows, diff = build(model, a.onnx, cases, a.seed)
    mp = onnx.load(a.onnx)
    meta = {p_.key: p_.value for p_ in mp.metadata_props}
    doc = {
        "format": FORMAT,
        "model": os.path.basename(a.onnx),
        "model_sha256": sha256_file(a.onnx),
        "layout": model.layout,
        "position_convention": POSITION_CONVENTION[model.layout],
        "max_length": L,
        "hidden_size": model.hidden,
        "item_count": N,
        "training_log_sha256": meta.get("ipg.training_log_sha256", ""),
        "reference": "torch model.SASRec (eval mode, float32, full-width forward); history truncated "
                     "to the most recent max_length ids and left-padded with 0",
        "onnx_numpy_max_abs_diff": f9(diff),
        "tolerance": {"user_embedding_abs": 1e-4, "logit_abs": 1e-3,
                      "note": "top10 may differ only where two logits are within logit_abs"},
        "cases": out_cases,
        "item_embedding_rows": rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    with open(a.output, "w", newline="\n") as f:
        f.write(dumps(doc) + "\n")
    print(f"wrote {a.output}: {len(out_cases)} cases, ONNX (numpy) vs torch max |diff| {diff:.3g}")


if __name__ == "__main__":
    main()
