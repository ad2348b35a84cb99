#!/usr/bin/env python3
"""Train GRU4Rec (gru4rec_model.GRU4Rec) on an interaction log; CPU, one thread by default.

Objective: next-item prediction at every position of each user's training sequence, full softmax
cross-entropy over the N items (GRU4Rec's cross-entropy loss without negative sampling: the
catalogue is small), logit = u · E[i] + b[i], averaged over the real positions. The GRU runs over
each sequence from h0 = 0, so training sees exactly the recurrence the exported model computes.
A sequence longer than max_length + 1 is cut into consecutive windows of max_length + 1 clicks
(overlapping by one), so every click is a target once and no context exceeds max_length (the
exported model sees at most the last max_length clicks). Batches are random sets of users, padded
on the right (padding only follows real clicks, so it never reaches them), trimmed to the
batch's longest sequence. Adam; users shuffled each epoch.

Held-out evaluation (``--holdout last``, the default, as tools/sasrec/train.py): each user's last
click is kept out of training and predicted from the rest. HR@10 / NDCG@10 with full ranking over
all N items (rank = number of items with a strictly higher logit) and against 100 sampled items
the user has not interacted with, drawn exactly as tools/sasrec/train.py draws them (same seed,
same helper), so the figures compare with SASRec's. The user vectors come from the model's own
forward (packed nn.GRU over the unpadded histories).

Reuses tools/sasrec's data helpers (reading logs, hashing, sampling) and BLAS thread pinning.
"""

from __future__ import annotations

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "sasrec"))
sys.path.insert(0, _here)

import threads  # noqa: E402,F401  (tools/sasrec; must precede numpy/torch: pins BLAS threads)

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from data import (  # noqa: E402
    FORMATS,
    METRICS_FIELDS,
    hit_ndcg,
    hold_out_last,
    membership_matrix,
    read_sequences,
    sample_excluding,
    sha256_file,
)
from gru4rec_model import CHECKPOINT_FORMAT, GRU4Rec  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="training interactions")
    p.add_argument("--format", choices=FORMATS, default="pairs",
                   help="pairs: 'user item' per line in time order (the simulator's log); seq: 'item item ...' "
                        "per line; useq: 'user item item ...' per line")
    p.add_argument("--item-count", type=int, default=None, help="N (ids 1..N); default: the largest id seen")
    p.add_argument("--holdout", choices=("last", "none"), default="last",
                   help="last: hold out each user's last click for evaluation; none: train on everything")
    p.add_argument("--hidden", type=int, default=32, help="d: item table width = user vector width")
    p.add_argument("--gru-hidden", type=int, default=0,
                   help="H: GRU state width; 0 = d (no dense layer), else a dense layer H -> d")
    p.add_argument("--max-length", type=int, default=70, help="L: the exported model's history window")
    p.add_argument("--dropout-embed", type=float, default=0.25)
    p.add_argument("--dropout-hidden", type=float, default=0.25)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=128, help="users per batch")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--eval-every", type=int, default=5, help="0 = only at the end")
    p.add_argument("--eval-negatives", type=int, default=100)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest on a 2-core VM)")
    p.add_argument("--output", required=True, help="checkpoint path (.pt)")
    p.add_argument("--metrics-csv", default=None, help="default: <output>.metrics.csv")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def training_windows(seqs, max_length):
    """Each sequence of >= 2 clicks -> windows of at most max_length + 1 clicks ending at the last click,
    stepping back by max_length (consecutive windows share one click): every click but the first is a
    target exactly once, with at most max_length clicks of context."""
    out = []
    span = max_length + 1
    for s in seqs:
        end = len(s)
        while end >= 2:
            out.append(s[max(0, end - span):end])
            end -= max_length
    return out


class Evaluator:
    """HR@10 / NDCG@10, full ranking and against sampled negatives (as tools/sasrec/train.py)."""

    def __init__(self, histories, targets, item_count, negatives=100, seed=43, k=10):
        self.histories = [list(h) for h in histories]
        self.targets = torch.tensor(targets, dtype=torch.long)
        self.k = k
        rng = np.random.default_rng(seed)
        seen = membership_matrix([list(h) + [t] for h, t in zip(histories, targets)], item_count)
        rows = np.arange(len(histories))
        self.negatives = torch.from_numpy(
            sample_excluding(rng, seen, rows, (negatives,), item_count)) if negatives > 0 else None

    @torch.no_grad()
    def __call__(self, model: GRU4Rec, batch_size: int = 1024):
        was_training = model.training
        model.eval()
        full, sampled = [], []
        for s in range(0, len(self.histories), batch_size):
            u = model.encode_histories(self.histories[s:s + batch_size])
            logits = model.logits(u)  # [b, N], column c = item c+1
            tgt = self.targets[s:s + batch_size]
            t_logit = logits.gather(1, (tgt - 1).unsqueeze(1))
            full.append((logits > t_logit).sum(1))
            if self.negatives is not None:
                neg = self.negatives[s:s + batch_size]
                sampled.append((logits.gather(1, neg - 1) > t_logit).sum(1))
        if was_training:
            model.train()

        hr_f, nd_f = hit_ndcg(full, self.k)
        hr_s, nd_s = hit_ndcg(sampled, self.k)
        return {"hr10_full": hr_f, "ndcg10_full": nd_f, "hr10_sampled": hr_s, "ndcg10_sampled": nd_s,
                "users": len(self.histories)}


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t_start = time.time()
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))

    users = read_sequences(args.input, args.format)
    log_sha = sha256_file(args.input)
    seqs = list(users.values())
    eval_hist, eval_tgt = [], []
    if args.holdout == "last":
        train_seqs, eval_hist, eval_tgt = hold_out_last(seqs)
    else:
        train_seqs = seqs
    max_id = max(max(s) for s in seqs if s)
    N = args.item_count or max_id
    if max_id > N:
        raise SystemExit(f"item id {max_id} exceeds --item-count {N}")
    L = args.max_length

    windows = training_windows(train_seqs, L)
    T = max(len(w) for w in windows) - 1
    seq_in = torch.zeros(len(windows), T, dtype=torch.long)   # right-padded
    seq_out = torch.zeros(len(windows), T, dtype=torch.long)
    for r, w in enumerate(windows):
        seq_in[r, : len(w) - 1] = torch.tensor(w[:-1])
        seq_out[r, : len(w) - 1] = torch.tensor(w[1:])
    lengths = (seq_in != 0).sum(1)
    n_win = len(windows)
    log(f"data: {len(seqs)} users, {sum(map(len, seqs))} interactions, N={N}, training windows {n_win}, "
        f"training positions {int(lengths.sum())}, sha256 {log_sha}")

    model = GRU4Rec(N, hidden=args.hidden, max_length=L, dropout_embed=args.dropout_embed,
                    dropout_hidden=args.dropout_hidden, gru_hidden=args.gru_hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    evaluator = None
    if eval_hist:
        evaluator = Evaluator(eval_hist, eval_tgt, N, args.eval_negatives, seed=args.seed + 1)
        log(f"evaluation: {len(eval_hist)} users (leave-one-out)")

    csv_path = args.metrics_csv or (os.path.splitext(args.output)[0] + ".metrics.csv")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fields = METRICS_FIELDS
    csv_file = open(csv_path, "w", newline="")
    writer = csv.DictWriter(csv_file, fieldnames=fields)
    writer.writeheader()

    epoch_times, history, metrics = [], [], None
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.from_numpy(rng.permutation(n_win))
        total, count = 0.0, 0
        for b in range(0, n_win, args.batch_size):
            idx = perm[b: b + args.batch_size]
            width = int(lengths[idx].max())
            ids, tgt = seq_in[idx, :width], seq_out[idx, :width]
            mask = tgt != 0
            states = model.sequence_states(ids)[mask]               # [P, d]
            logits = model.logits(states)                           # [P, N]
            loss = F.cross_entropy(logits, tgt[mask] - 1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n = int(mask.sum())
            total += float(loss) * n
            count += n
        dt = time.time() - t0
        epoch_times.append(dt)
        row = {"epoch": epoch, "loss": round(total / count, 6), "epoch_seconds": round(dt, 3)}
        msg = f"epoch {epoch:4d}  loss {total / count:.4f}  {dt:6.2f}s"
        if evaluator is not None and (epoch == args.epochs or (args.eval_every > 0 and epoch % args.eval_every == 0)):
            metrics = evaluator(model)
            for k in ("hr10_full", "ndcg10_full", "hr10_sampled", "ndcg10_sampled"):
                row[k] = round(metrics[k], 5)
            msg += ("  HR@10 full {hr10_full:.4f} NDCG@10 full {ndcg10_full:.4f} | "
                    "HR@10 100neg {hr10_sampled:.4f} NDCG@10 100neg {ndcg10_sampled:.4f}").format(**metrics)
        log(msg)
        writer.writerow(row)
        csv_file.flush()
        history.append(row)
    csv_file.close()

    model.eval()
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": model.state_dict(),
        "config": model.config(),
        "training_log_sha256": log_sha,
        "training_log": os.path.basename(args.input),
        "train_args": dict(vars(args)),
        "epochs": args.epochs,
        "final_metrics": metrics,
        "mean_epoch_seconds": float(np.mean(epoch_times)) if epoch_times else None,
        "total_seconds": round(time.time() - t_start, 1),
        "torch_version": str(torch.__version__),  # plain str: loadable with weights_only=True
    }
    torch.save(ckpt, args.output)
    summary = {"output": args.output, "metrics_csv": csv_path, "epochs": args.epochs,
               "mean_epoch_seconds": ckpt["mean_epoch_seconds"],
               "final_loss": history[-1]["loss"] if history else None, "final_metrics": metrics,
               "total_seconds": ckpt["total_seconds"], "training_log_sha256": log_sha}
    log("summary " + json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
