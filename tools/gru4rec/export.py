#!/usr/bin/env python3
"""Export a GRU4Rec checkpoint (tools/gru4rec/train.py) to the Ipg ONNX contract via tools/export/ipg_export.py.

The traced encoder is gru4rec_model.LeftPaddedEncoder (the GRU cell unrolled over the L columns of
the left-padded ``item_ids``; padding columns keep h = 0). The reference every exported number is
checked against, and the fixtures are made from, is the model's own forward
(GRU4Rec.encode_histories: torch.nn.GRU over each unpadded history's last L clicks, packed, from
h0 = 0). The export fails when the graph (run by tools/sasrec/onnx_numpy.py) or the wrapper differs
from it by more than --tolerance (1e-5) or any top-10 differs, on 512 histories.

Outputs: ``user_embedding`` [B, d], ``item_embeddings`` [N+1, d] (an Identity of the table the input
Gather reads), ``item_bias`` [N+1]; metadata ``ipg.contract`` 2, ``ipg.acceptance`` softmax
(the model was trained with cross-entropy over the catalogue), ``ipg.layout`` gru4rec.
"""

from __future__ import annotations

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_tools = os.path.dirname(_here)
sys.path.insert(0, os.path.join(_tools, "sasrec"))
sys.path.insert(0, os.path.join(_tools, "export"))
sys.path.insert(0, _here)

import threads  # noqa: E402,F401  (tools/sasrec; must precede numpy/torch: pins BLAS threads)

import argparse  # noqa: E402
import json  # noqa: E402

import torch  # noqa: E402

from gru4rec_model import LAYOUT, POSITION_CONVENTION, GRU4Rec, LeftPaddedEncoder, load_checkpoint  # noqa: E402
from ipg_export import Adapter, export_adapter  # noqa: E402

REFERENCE = ("GRU4Rec.encode_histories (tools/gru4rec/gru4rec_model.py): torch.nn.GRU over the unpadded "
             "history's most recent L clicks (packed sequences, h0 = 0, no padding involved); the user vector "
             "is the final hidden state{dense}")


def make_adapter(model: GRU4Rec, training_log_sha256: str = "", extra: dict = None) -> Adapter:
    """The contract view of a GRU4Rec model (shared with tools/tests/test_gru4rec_export.py)."""
    model.eval()

    def reference(histories):
        with torch.no_grad():
            return model.encode_histories(histories).numpy()

    meta = {
        "ipg.gru_layers": "1",
        "ipg.gru_hidden": str(model.gru_hidden),
        "ipg.dense": "true" if model.dense is not None else "false",
        "ipg.architecture": "GRU4Rec, shared input/output item embedding, per-item output bias, "
                            "cross-entropy over the catalogue; user = final GRU state",
    }
    meta.update(extra or {})
    return Adapter(
        encoder=LeftPaddedEncoder(model).eval(),
        item_table=model.item_emb.weight.detach(),
        max_length=model.max_length,
        layout=LAYOUT,
        reference=reference,
        item_bias=model.item_bias.detach(),
        acceptance="softmax",
        position_convention=POSITION_CONVENTION,
        training_log_sha256=training_log_sha256 or "",
        metadata=meta,
    )


def export(model: GRU4Rec, output: str, fixtures: str = None, training_log_sha256: str = "", extra: dict = None,
           seed: int = 2024, tolerance: float = 1e-5, log=print) -> dict:
    adapter = make_adapter(model, training_log_sha256, extra)
    desc = REFERENCE.format(dense=" (then the dense layer)" if model.dense is not None else "")
    return export_adapter(adapter, output=output, fixtures=fixtures, seed=seed, tolerance=tolerance,
                          producer="tools/gru4rec/export.py", reference_description=desc, log=log)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="a tools/gru4rec/train.py checkpoint (.pt)")
    p.add_argument("--output", required=True, help="the .onnx file")
    p.add_argument("--fixtures", default=None, help="also write golden fixtures (512 cases) for the C# parity test")
    p.add_argument("--seed", type=int, default=2024, help="seed of the 512 check histories")
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    log = (lambda *x: None) if a.quiet else print
    torch.set_num_threads(a.threads)
    model, ckpt = load_checkpoint(a.checkpoint)
    extra = {"ipg.training_epochs": str(ckpt.get("epochs", ""))}
    m = ckpt.get("final_metrics") or {}
    if m:
        held = {k: round(float(m[k]), 4) for k in ("hr10_full", "ndcg10_full", "hr10_sampled", "ndcg10_sampled")
                if k in m}
        held["users"] = int(m.get("users", 0))
        extra["ipg.heldout_metrics"] = json.dumps(held, sort_keys=True)
    report = export(model, a.output, a.fixtures, ckpt.get("training_log_sha256", ""), extra,
                    seed=a.seed, tolerance=a.tolerance, log=log)
    log("parity " + json.dumps(report))
    return report


if __name__ == "__main__":
    main()
