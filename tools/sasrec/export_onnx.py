#!/usr/bin/env python3
"""Export a SASRec checkpoint (ours or a stock pmixer state_dict) to the Ipg ONNX contract.

Contract (docs/onnx-contract.md):
  input  item_ids        int64   [batch, max_length]  ids 1..N, 0 = padding, left-padded
  output user_embedding  float32 [batch, hidden]      last_layernorm(h)[:, -1, :]
  output item_embeddings float32 [N+1, hidden]        item_emb.weight (unscaled, row 0 = padding),
                                                      an Identity of the Gather's initializer
  metadata_props: ipg.contract, ipg.max_length, ipg.hidden_size, ipg.item_count,
                  ipg.id_convention, ipg.padding_side, ipg.position_convention, ipg.layout,
                  ipg.training_log_sha256, ipg.producer
The graph is checked with onnx.checker and executed by onnx_numpy.py (a small numpy
interpreter of the ops used) against the torch model on random inputs.
"""

from __future__ import annotations

import threads  # noqa: F401  (must precede numpy/torch: pins BLAS threads)

import argparse
import inspect
import io
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint import ExportError, load_model  # noqa: E402
from model import LAYOUTS, POSITION_CONVENTION, SASRec  # noqa: E402

CONTRACT_VERSION = "1"
INPUT = "item_ids"
USER_OUT = "user_embedding"
ITEMS_OUT = "item_embeddings"


class _UserEncoder(torch.nn.Module):
    def __init__(self, model: SASRec, last_position_only: bool):
        super().__init__()
        self.model = model
        self.last_only = last_position_only

    def forward(self, item_ids):
        return self.model.user_embedding(item_ids, last_only=self.last_only)


def _export_kwargs(opset: int, input_names=(INPUT,), output_names=(USER_OUT,), dynamic_axes=None,
                   constant_folding: bool = True):
    """torch.onnx.export arguments (shared with tools/irn); every named tensor gets a dynamic batch axis 0."""
    kw = dict(
        input_names=list(input_names),
        output_names=list(output_names),
        dynamic_axes=dynamic_axes or {name: {0: "batch"} for name in (*input_names, *output_names)},
        opset_version=opset,
        do_constant_folding=constant_folding,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # torch >= 2.5: keep the TorchScript exporter
    return kw


def _add_item_embeddings_output(mp: onnx.ModelProto, item_rows: int, hidden: int) -> str:
    """Expose the Gather's item table as output ``item_embeddings`` through an Identity."""
    g = mp.graph
    inits = {i.name: i for i in g.initializer}
    # Follow item_ids through shape-preserving casts to the Gather(table, ids).
    id_names = {INPUT}
    changed = True
    while changed:
        changed = False
        for n in g.node:
            if n.op_type in ("Cast", "Identity") and n.input and n.input[0] in id_names:
                for o in n.output:
                    if o not in id_names:
                        id_names.add(o)
                        changed = True
    candidates = []
    for n in g.node:
        if n.op_type == "Gather" and len(n.input) == 2 and n.input[1] in id_names and n.input[0] in inits:
            dims = list(inits[n.input[0]].dims)
            if dims == [item_rows, hidden]:
                candidates.append(n.input[0])
    if len(candidates) != 1:
        raise RuntimeError(f"expected exactly one Gather over the item table, found {candidates}")
    table = candidates[0]
    g.node.append(helper.make_node("Identity", [table], [ITEMS_OUT], name="item_embeddings_identity"))
    g.output.append(helper.make_tensor_value_info(ITEMS_OUT, TensorProto.FLOAT, [item_rows, hidden]))
    return table


def write_checked(mp: onnx.ModelProto, meta: dict, producer: str, doc: str, output: str, opset: int, log=print) -> None:
    """Sets the metadata, runs onnx.checker (full check), refuses Trilu and saves (shared with tools/irn)."""
    del mp.metadata_props[:]
    for k, v in meta.items():
        e = mp.metadata_props.add()
        e.key, e.value = k, v
    mp.producer_name = producer
    mp.doc_string = doc
    onnx.checker.check_model(mp, full_check=True)
    ops = sorted({n.op_type for n in mp.graph.node})
    if "Trilu" in ops:
        raise RuntimeError("graph contains Trilu (no bool Trilu kernel in ONNX Runtime)")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    onnx.save(mp, output)
    log(f"wrote {output} ({os.path.getsize(output)} bytes), opset {opset}, ops {ops}")


def export(model: SASRec, info: dict, output: str, opset: int = 17, last_position_only: bool = False,
           verify: int = 8, log=print) -> onnx.ModelProto:
    model.eval()
    L, d, N = model.max_length, model.hidden, model.item_count
    enc = _UserEncoder(model, last_position_only).eval()
    example = torch.zeros((2, L), dtype=torch.long)
    example[0, -3:] = torch.tensor([1, 2, 3]) if N >= 3 else 1
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(enc, (example,), buf, **_export_kwargs(opset))
    mp = onnx.load_from_string(buf.getvalue())
    table = _add_item_embeddings_output(mp, N + 1, d)
    # fix the non-batch dims of the declared input/output shapes
    for vi in list(mp.graph.input) + list(mp.graph.output):
        if vi.name == INPUT:
            vi.type.tensor_type.shape.dim[1].dim_value = L
        if vi.name == USER_OUT:
            vi.type.tensor_type.shape.dim[0].dim_param = "batch"
            vi.type.tensor_type.shape.dim[1].dim_value = d
    meta = {
        "ipg.contract": CONTRACT_VERSION,
        "ipg.max_length": str(L),
        "ipg.hidden_size": str(d),
        "ipg.item_count": str(N),
        "ipg.id_convention": "one_based_zero_padding",
        "ipg.padding_side": "left",
        "ipg.position_convention": POSITION_CONVENTION[model.layout],
        "ipg.layout": model.layout,
        "ipg.training_log_sha256": info.get("training_log_sha256", "") or "",
        "ipg.producer": f"tools/sasrec/export_onnx.py (torch {torch.__version__}, onnx {onnx.__version__})",
        "ipg.blocks": str(model.n_blocks),
        "ipg.heads": str(model.n_heads),
        "ipg.last_position_only": "true" if last_position_only else "false",
    }
    write_checked(mp, meta, "ipg-tools-sasrec",
                  f"SASRec ({model.layout}) user encoder for Ipg; item table initializer '{table}' "
                  f"is exposed as '{ITEMS_OUT}'.", output, opset, log)
    if verify:
        verify_against_torch(mp, model, verify, log=log)
    return mp


def verify_against_torch(mp: onnx.ModelProto, model: SASRec, n: int, seed: int = 0, log=print) -> float:
    """Run the ONNX graph with the numpy interpreter and compare to torch; returns max |diff|."""
    from onnx_numpy import run_model

    rng = np.random.default_rng(seed)
    L, N = model.max_length, model.item_count
    ids = np.zeros((n, L), dtype=np.int64)
    for r in range(n):
        length = [0, 1, L, L // 2, 3][r] if r < 5 else int(rng.integers(0, L + 1))
        if length:
            ids[r, L - length:] = rng.integers(1, N + 1, size=length)
    with torch.no_grad():
        ref = model.user_embedding(torch.from_numpy(ids), last_only=False).numpy()
    out = run_model(mp, {INPUT: ids})
    diff_u = float(np.abs(out[USER_OUT] - ref).max())
    diff_t = float(np.abs(out[ITEMS_OUT] - model.item_emb.weight.detach().numpy()).max())
    log(f"verify: ONNX (numpy interpreter) vs torch on {n} inputs: max |user_embedding diff| "
        f"{diff_u:.3g}, max |item_embeddings diff| {diff_t:.3g}")
    if not (diff_u < 1e-4 and diff_t == 0.0):
        raise RuntimeError("ONNX graph does not reproduce the torch model")
    return diff_u


def add_checkpoint_options(p: argparse.ArgumentParser) -> None:
    """The options checkpoint.load_model needs for a stock pmixer state_dict (shared by the scripts)."""
    p.add_argument("--layout", default=None, metavar="LAYOUT",
                   help="layout of a stock pmixer state_dict; required for one, since every family has several "
                        f"forwards with identical weights: {', '.join(LAYOUTS)} (README 'pmixer revisions'). "
                        "Our checkpoints store it.")
    p.add_argument("--heads", type=int, default=None,
                   help="attention heads of a stock state_dict (not recorded in the weights); default: 'head=K' "
                        "in the file name or num_heads in --pmixer-args, else the tool stops")
    p.add_argument("--max-length", type=int, default=None,
                   help="default: 'maxlen=K' in the file name or --pmixer-args, else from pos_emb rows where "
                        "they determine it")
    p.add_argument("--pmixer-args", default=None, metavar="ARGS_TXT",
                   help="pmixer's args.txt of the training run (num_heads, maxlen, norm_first)")


def load_or_exit(a, log=print):
    """load_model from parsed options; an ExportError ends the program with exit code 2."""
    try:
        return load_model(a.checkpoint, layout=a.layout, heads=a.heads, max_length=a.max_length,
                          pmixer_args=a.pmixer_args, log=log)
    except ExportError as e:
        print(f"{os.path.basename(sys.argv[0])}: error: {e}", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="our .pt checkpoint or a pmixer state_dict (.pth)")
    p.add_argument("--output", required=True)
    add_checkpoint_options(p)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--last-position-only", action="store_true",
                   help="compute the last block for the last slot only (same output, less work)")
    p.add_argument("--verify", type=int, default=8, help="random inputs for the numpy check (0 = skip)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, info = load_or_exit(a)
    export(model, info, a.output, opset=a.opset, last_position_only=a.last_position_only, verify=a.verify)


if __name__ == "__main__":
    main()
