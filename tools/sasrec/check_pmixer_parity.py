#!/usr/bin/env python3
"""Parity of model.SASRec with pmixer's forward on a stock checkpoint, and layout evidence.

  check_pmixer_parity.py CHECKPOINT.pth --layout LAYOUT --data DIR [--users 16]

1. Loads the stock state_dict into model.SASRec (layout from --layout; checkpoint.py) and
   compares its user embeddings with pmixer_reference.py (pmixer's forward restated with the
   stock nn.MultiheadAttention / nn.Conv1d modules) on the first --users validation users of
   DIR (ml-1m-sasrec_gSASRec-split), histories cut to the most recent max_length items.
2. Scores HR@10 / NDCG@10 (full ranking and 100 sampled negatives) on all validation users
   with every layout whose parameter shapes fit the checkpoint: only the layout the
   checkpoint was trained with reaches pmixer's published quality (~0.82 sampled HR@10).
Reads DIR at run time; nothing derived from it is written.
"""

from __future__ import annotations

import threads  # noqa: F401  (must precede numpy/torch: pins BLAS threads)

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import left_pad_matrix, read_sequences  # noqa: E402
from export_onnx import add_checkpoint_options, load_or_exit  # noqa: E402
from model import LAYOUT_SPECS, SASRec  # noqa: E402
from pmixer_reference import reference_log2feats  # noqa: E402
from train import Evaluator  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    shared = os.environ.get("SHARED") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
    p.add_argument("--data", default=os.path.join(shared, "data", "ml-1m-sasrec_gSASRec-split"))
    p.add_argument("--users", type=int, default=16)
    add_checkpoint_options(p)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, info = load_or_exit(a)
    L = model.max_length
    hist = list(read_sequences(os.path.join(a.data, "val", "input.txt"), "seq").values())
    with open(os.path.join(a.data, "val", "output.txt")) as f:
        targets = [int(x) for x in f.read().split()]
    ids = torch.from_numpy(left_pad_matrix(hist[: a.users], L))
    with torch.no_grad():
        ours = model.user_embedding(ids, last_only=False)
        ours_last = model.user_embedding(ids, last_only=True)
        ref = reference_log2feats(model, ids, model.layout)[:, -1, :]
    lens = [len(h) for h in hist[: a.users]]
    print(f"parity on {a.users} validation users (history lengths {min(lens)}..{max(lens)}, cut to {L}): "
          f"max |ours - pmixer reference| = {float((ours - ref).abs().max()):.3g}, "
          f"last-position-only variant = {float((ours_last - ref).abs().max()):.3g}, "
          f"max |embedding| = {float(ref.abs().max()):.3g}")
    ev = Evaluator(hist, targets, model.item_count, L, negatives=100, seed=12345)
    sd = model.state_dict()
    for layout, spec in LAYOUT_SPECS.items():
        if spec.family != model.spec.family:
            continue  # pos_emb shape does not fit
        m = SASRec(model.item_count, model.hidden, L, model.n_blocks, model.n_heads, 0.0, layout)
        m.load_state_dict(sd)
        r = ev(m)
        mark = "  <- --layout" if layout == model.layout else ""
        print(f"  {layout:20s} val users {r['users']}: HR@10 full {r['hr10_full']:.4f} NDCG@10 full "
              f"{r['ndcg10_full']:.4f} | HR@10 100neg {r['hr10_sampled']:.4f} NDCG@10 100neg "
              f"{r['ndcg10_sampled']:.4f}{mark}")


if __name__ == "__main__":
    main()
