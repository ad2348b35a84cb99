#!/usr/bin/env python3
"""Train tiny SASRec models with pmixer/SASRec.pytorch's OWN code of a given revision, and export them
with parity fixtures whose expected values come from that code's own forward.

pmixer's model.py is never copied into this repository: extract the revision you want from a clone
(``git show <commit>:<path> > /tmp/x.py``; ``rebuild_pmixer_revisions.sh`` does it) and pass the file.
The driver imports it, builds its ``SASRec(user_num, item_num, args)`` and uses only its methods
(``forward`` for training, ``log2feats``/``predict`` for the reference). Training loop, sampling and
data are ours (pmixer's main.py needs its data files and a GPU-era sampler): Adam (0.9, 0.98), BCE on
one sampled negative per position, pmixer's initialisation of its era (xavier_normal_ on every matrix;
rows 0 of both embeddings zeroed when the model has ``pos_emb`` padding_idx, as main.py does from 33bc1d8).

  pmixer_revisions.py train  --model-py REV.py --log LOG --out-dir DIR [--norm-first] [--epochs 40] ...
      -> DIR/SASRec.epoch=E.lr=0.001.layer=B.head=H.hidden=D.maxlen=L.pth  (a pmixer-style state_dict)
  pmixer_revisions.py export --model-py REV.py --checkpoint PTH --layout LAYOUT --output X.onnx
                             --fixtures X.fixtures.json [--norm-first] [--revision COMMIT:PATH]
      -> exports with tools/sasrec (model.SASRec, checkpoint.load_model) through tools/export/ipg_export.py,
         whose check and fixtures use THEIR forward as the reference (512 histories, max |diff| <= 1e-5,
         identical top-10, or nothing is written)
  pmixer_revisions.py compare --model-py REV.py --checkpoint PTH --layout L1 [--layout L2 ...]
      -> max |our layout - their forward| per layout, without exporting (e.g. the 2020-09-28 sample
         checkpoint under pmixer-v1 vs pmixer-v1-norelu)
"""

from __future__ import annotations

import threads  # noqa: F401  (must precede numpy/torch: pins BLAS threads)

import argparse
import importlib.util
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoint import ExportError, load_model  # noqa: E402
from data import read_sequences, sha256_file  # noqa: E402
from model import LAYOUTS, POSITION_CONVENTION  # noqa: E402


def import_revision(path: str):
    """Imports an extracted pmixer model.py under a private module name."""
    if not os.path.isfile(path):
        raise SystemExit(f"--model-py {path}: no such file (extract it: git show <commit>:<path> > {path})")
    spec = importlib.util.spec_from_file_location(f"pmixer_rev_{abs(hash(os.path.abspath(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "SASRec"):
        raise SystemExit(f"{path}: no class SASRec")
    return module


def their_args(hidden, max_length, blocks, heads, dropout, norm_first):
    # the attributes pmixer's SASRec.__init__ reads from its argparse namespace, across revisions
    return SimpleNamespace(hidden_units=hidden, maxlen=max_length, num_blocks=blocks, num_heads=heads,
                           dropout_rate=dropout, device="cpu", norm_first=norm_first, l2_emb=0.0)


def left_pad(history, length):
    """The most recent ``length`` ids, left-padded with 0 (pmixer's evaluate builds its rows this way)."""
    h = [int(i) for i in history][-length:]
    return [0] * (length - len(h)) + h


def pmixer_file_name(epochs, lr, blocks, heads, hidden, max_length):
    return f"SASRec.epoch={epochs}.lr={lr}.layer={blocks}.head={heads}.hidden={hidden}.maxlen={max_length}.pth"


# ---------------------------------------------------------------------------------------------- train


def train(a) -> str:
    mod = import_revision(a.model_py)
    users = read_sequences(a.log, "pairs")
    item_count = a.item_count or max(max(s) for s in users.values())
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    model = mod.SASRec(len(users), item_count,
                       their_args(a.hidden, a.max_length, a.blocks, a.heads, a.dropout, a.norm_first))
    for _, p in model.named_parameters():  # pmixer main.py (1d8aaa2 / 72ba89d on): xavier_normal_ where it applies
        if p.dim() >= 2:
            torch.nn.init.xavier_normal_(p.data)
    if getattr(model.pos_emb, "padding_idx", None) == 0:  # main.py from 33bc1d8 on
        model.pos_emb.weight.data[0, :] = 0
        model.item_emb.weight.data[0, :] = 0
    L = a.max_length
    seqs = [s for s in users.values() if len(s) >= 2]
    members = [set(s) for s in seqs]
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.98))
    bce = torch.nn.BCEWithLogitsLoss()
    uids = np.arange(1, len(seqs) + 1)
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = rng.permutation(len(seqs))
        total = 0.0
        for b in range(0, len(order), a.batch_size):
            idx = order[b: b + a.batch_size]
            seq = np.array([left_pad(seqs[i][:-1], L) for i in idx], dtype=np.int64)
            pos = np.array([left_pad(seqs[i][1:], L) for i in idx], dtype=np.int64)
            neg = np.zeros_like(pos)
            for r, i in enumerate(idx):
                for c in np.flatnonzero(pos[r]):
                    n = int(rng.integers(1, item_count + 1))
                    while n in members[i]:
                        n = int(rng.integers(1, item_count + 1))
                    neg[r, c] = n
            pos_logits, neg_logits = model(uids[idx], seq, pos, neg)
            where = np.where(pos != 0)
            loss = bce(pos_logits[where], torch.ones_like(pos_logits[where])) + \
                bce(neg_logits[where], torch.zeros_like(neg_logits[where]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        if epoch == 1 or epoch % 10 == 0 or epoch == a.epochs:
            print(f"epoch {epoch}: loss {total / len(seqs):.4f}")
    os.makedirs(a.out_dir, exist_ok=True)
    path = os.path.join(a.out_dir, pmixer_file_name(a.epochs, a.lr, a.blocks, a.heads, a.hidden, L))
    torch.save(model.state_dict(), path)
    with open(os.path.join(a.out_dir, "args.txt"), "w") as f:  # as pmixer's main.py writes it
        cfg = {"hidden_units": a.hidden, "maxlen": L, "num_blocks": a.blocks, "num_heads": a.heads,
               "dropout_rate": a.dropout, "lr": a.lr, "num_epochs": a.epochs, "batch_size": a.batch_size}
        if "norm_first" in open(a.model_py).read():
            cfg["norm_first"] = a.norm_first
        f.write("\n".join(f"{k},{v}" for k, v in sorted(cfg.items())))
    print(f"wrote {path}")
    return path


# ---------------------------------------------------------------------------------------- reference


def make_reference(mod, sd, heads, max_length, norm_first, item_count):
    hidden = sd["item_emb.weight"].shape[1]
    blocks = len({k.split(".")[1] for k in sd if k.startswith("attention_layers.")})
    theirs = mod.SASRec(1, item_count, their_args(hidden, max_length, blocks, heads, 0.0, norm_first))
    theirs.load_state_dict(sd, strict=True)
    theirs.eval()
    if not hasattr(theirs, "log2feats"):
        raise SystemExit("this revision has no log2feats (before 0f250b6): not one of the exportable revisions")

    def reference(histories):
        out = []
        with torch.no_grad():
            for s in range(0, len(histories), 128):
                rows = np.array([left_pad(h, max_length) for h in histories[s: s + 128]], dtype=np.int64)
                rows = rows.reshape(-1, max_length)
                out.append(theirs.log2feats(rows)[:, -1, :].cpu().numpy())  # = predict()'s final_feat
        return np.concatenate(out).astype(np.float32)

    def predict_logits(histories):
        rows = np.array([left_pad(h, max_length) for h in histories], dtype=np.int64).reshape(-1, max_length)
        with torch.no_grad():
            return theirs.predict(np.arange(len(rows)), rows, np.arange(1, item_count + 1)).cpu().numpy()

    return theirs, reference, predict_logits


def _sd(path):
    from checkpoint import _torch_load

    obj = _torch_load(path)
    return obj.get("state_dict", obj)


# ------------------------------------------------------------------------------------------- export


def export(a) -> dict:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "export"))
    from ipg_export import Adapter, export_adapter, standard_histories
    from export_onnx import _UserEncoder

    try:
        ours, info = load_model(a.checkpoint, layout=a.layout, heads=a.heads, max_length=a.max_length)
    except ExportError as e:
        print(f"pmixer_revisions.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    sd = _sd(a.checkpoint)
    mod = import_revision(a.model_py)
    theirs, reference, predict_logits = make_reference(mod, sd, ours.n_heads, ours.max_length, a.norm_first,
                                                       ours.item_count)
    N, L = ours.item_count, ours.max_length
    named = standard_histories(N, L, count=a.histories, seed=a.seed)
    hs = [h for _, h in named]
    # their predict() must score with the vector the reference returns (same code path, plus the dot product)
    ref = reference(hs)
    table = ours.item_emb.weight.detach().numpy()
    lg_pred = predict_logits(hs)
    lg_ref = ref.astype(np.float64) @ table[1:].astype(np.float64).T
    pred_diff = float(np.abs(lg_pred - lg_ref).max())
    same_top = sum(list(np.argsort(-lg_pred[r], kind="stable")[:10]) == list(np.argsort(-lg_ref[r], kind="stable")[:10])
                   for r in range(len(hs)))
    print(f"their predict() logits vs reference vectors . item_emb: max |diff| {pred_diff:.3g}, "
          f"identical top-10 {same_top}/{len(hs)}")
    if pred_diff > 1e-4 or same_top != len(hs):
        raise SystemExit("their predict() does not score with log2feats()[:, -1]: reference not trustworthy")
    log_sha = sha256_file(a.training_log) if a.training_log else ""
    adapter = Adapter(
        encoder=_UserEncoder(ours, last_position_only=False).eval(),
        item_table=ours.item_emb.weight.detach().clone(),
        max_length=L,
        layout=ours.layout,
        reference=reference,
        acceptance="sigmoid",
        position_convention=POSITION_CONVENTION[ours.layout],
        training_log_sha256=log_sha,
        metadata={"ipg.blocks": str(ours.n_blocks), "ipg.heads": str(ours.n_heads),
                  "ipg.last_position_only": "false",
                  "ipg.source": f"pmixer/SASRec.pytorch {a.revision or os.path.basename(a.model_py)}"
                                f"{' --norm_first' if a.norm_first else ''}, trained by tools/sasrec/pmixer_revisions.py"},
    )
    desc = (f"pmixer/SASRec.pytorch {a.revision or os.path.basename(a.model_py)} (their code, "
            f"{'norm_first=True, ' if a.norm_first else ''}eval mode, torch {torch.__version__}): "
            "SASRec.log2feats(row)[:, -1, :] on the history's most recent max_length ids left-padded with 0 "
            "(the vector their predict() scores with)")
    try:
        report = export_adapter(adapter, output=a.output, fixtures=a.fixtures, histories=named, seed=a.seed,
                                tolerance=a.tolerance, producer="tools/sasrec/pmixer_revisions.py",
                                reference_description=desc)
    except ValueError as e:  # ipg_export.ExportError
        print(f"pmixer_revisions.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    report["their_predict_vs_reference"] = {"max_abs_logit_diff": pred_diff, "top10_identical": same_top}
    print(json.dumps({"layout": ours.layout, "checkpoint": os.path.basename(a.checkpoint), **report}))
    return report


def compare(a) -> None:
    sd = _sd(a.checkpoint)
    mod = import_revision(a.model_py)
    histories = None
    rows = []
    for layout in a.layout:
        try:
            ours, _ = load_model(a.checkpoint, layout=layout, heads=a.heads, max_length=a.max_length,
                                 log=lambda *x: None)
        except ExportError as e:
            print(f"{layout}: refused: {e}")
            continue
        _, reference, _ = make_reference(mod, sd, ours.n_heads, ours.max_length, a.norm_first, ours.item_count)
        if histories is None:
            if a.histories_file:
                histories = [h for h in read_sequences(a.histories_file, "seq").values()]
                what = f"{len(histories)} histories of {a.histories_file}"
            else:
                sys.path.insert(0, os.path.join(os.path.dirname(HERE), "export"))
                from ipg_export import standard_histories
                histories = [h for _, h in standard_histories(ours.item_count, ours.max_length, a.histories, a.seed)]
                what = f"{len(histories)} standard histories (seed {a.seed})"
        ref = reference(histories)
        ids = torch.tensor([left_pad(h, ours.max_length) for h in histories], dtype=torch.long)
        with torch.no_grad():
            got = ours.user_embedding(ids, last_only=False).numpy()
        t = ours.item_emb.weight.detach().numpy()[1:].astype(np.float64)
        lg, lr_ = got @ t.T, ref @ t.T
        same = sum(list(np.argsort(-lg[r])[:10]) == list(np.argsort(-lr_[r])[:10]) for r in range(len(ref)))
        diff = np.abs(got - ref)
        print(f"{layout}: max |ours - their forward| {diff.max():.3g} (mean {diff.mean():.3g}, "
              f"max |their vector| {np.abs(ref).max():.3g}), identical top-10 {same}/{len(ref)} on {what}")
        rows.append((layout, float(diff.max()), same))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train a tiny model with the revision's own SASRec class")
    t.add_argument("--model-py", required=True, help="the revision's model.py, extracted with git show")
    t.add_argument("--log", required=True, help="'user item' log (synth_log.py)")
    t.add_argument("--out-dir", required=True)
    t.add_argument("--item-count", type=int, default=None)
    t.add_argument("--hidden", type=int, default=16)
    t.add_argument("--max-length", type=int, default=20)
    t.add_argument("--blocks", type=int, default=2)
    t.add_argument("--heads", type=int, default=2)
    t.add_argument("--dropout", type=float, default=0.2)
    t.add_argument("--norm-first", action="store_true", help="pmixer's --norm_first (f701731 on)")
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.001)
    t.add_argument("--seed", type=int, default=42)
    for name in ("export", "compare"):
        e = sub.add_parser(name)
        e.add_argument("--model-py", required=True)
        e.add_argument("--checkpoint", required=True, help="a pmixer state_dict (.pth)")
        e.add_argument("--layout", required=True, action="append" if name == "compare" else "store",
                       help=f"one of {', '.join(LAYOUTS)}")
        e.add_argument("--heads", type=int, default=None)
        e.add_argument("--max-length", type=int, default=None)
        e.add_argument("--norm-first", action="store_true", help="build their model with norm_first=True")
        e.add_argument("--histories", type=int, default=512)
        e.add_argument("--seed", type=int, default=2024)
        if name == "export":
            e.add_argument("--output", required=True)
            e.add_argument("--fixtures", required=True)
            e.add_argument("--training-log", default=None, help="recorded as ipg.training_log_sha256")
            e.add_argument("--revision", default=None, help="'COMMIT:PATH' for the metadata")
            e.add_argument("--tolerance", type=float, default=1e-5)
        else:
            e.add_argument("--histories-file", default=None, help="one history per line (seq format)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    {"train": train, "export": export, "compare": compare}[a.cmd](a)


if __name__ == "__main__":
    main()
