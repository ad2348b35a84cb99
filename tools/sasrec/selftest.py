#!/usr/bin/env python3
"""Self-tests of model.py (seconds, no data needed):

* every layout's hand-written forward equals pmixer_reference.py (stock modules);
* last-position-only equals the full forward at the last slot;
* the trimmed forward (leading all-padding columns cut, offset > 0) equals the untrimmed one
  on every non-padding slot;
* the ONNX export of each layout runs in onnx_numpy.py and matches torch.
Exit code 0 on success.
"""

from __future__ import annotations

import threads  # noqa: F401

import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import export  # noqa: E402
from model import LAYOUTS, SASRec  # noqa: E402
from pmixer_reference import reference_log2feats  # noqa: E402


def main() -> int:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    worst = {}
    for layout in LAYOUTS:
        m = SASRec(60, hidden=16, max_length=24, n_blocks=3, n_heads=4, dropout=0.3, layout=layout)
        m.init_like_pmixer()
        with torch.no_grad():  # perturb so that biases / LN params are not at their defaults
            for n, p in m.named_parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
            m.item_emb.weight[0].zero_()
            if m.spec.family != "v1":
                m.pos_emb.weight[0].zero_()
        m.eval()
        ids = torch.zeros(7, 24, dtype=torch.long)
        for r, n in enumerate([0, 1, 3, 10, 15, 5, 2]):
            if n:
                ids[r, 24 - n:] = torch.randint(1, 61, (n,))
        width = 16 + 1
        off = 24 - width
        with torch.no_grad():
            full = m.log2feats(ids)
            ref = reference_log2feats(m, ids, layout)
            last = m.user_embedding(ids, last_only=True)
            trim = m.log2feats(ids[:, off:], offset=off)
        keep = (ids[:, off:] != 0).unsqueeze(-1)
        d = {
            "vs pmixer reference": float((full - ref).abs().max()),
            "last-position-only": float((full[:, -1] - last).abs().max()),
            "trimmed (offset)": float(((full[:, off:] - trim).abs() * keep).max()),
        }
        with tempfile.TemporaryDirectory() as tmp:
            diff = []
            for lo in (False, True):
                mp = export(m, {"training_log_sha256": ""}, os.path.join(tmp, "m.onnx"),
                            last_position_only=lo, verify=0, log=lambda *a: None)
                from export_onnx import verify_against_torch
                diff.append(verify_against_torch(mp, m, 8, log=lambda *a: None))
            d["onnx (numpy) vs torch"] = max(diff)
        worst[layout] = d
        print(layout, {k: f"{v:.2g}" for k, v in d.items()})
    bad = [(l, k, v) for l, d in worst.items() for k, v in d.items() if not v < 1e-5]
    if bad:
        print("FAILED", bad)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
