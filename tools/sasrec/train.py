#!/usr/bin/env python3
"""Train SASRec (pmixer layout) on an interaction log; CPU-friendly.

Defaults are the IPG paper's settings (spec section 3): hidden 48, max length 70,
4 blocks, 8 heads, dropout 0.5, Adam lr 1e-3 betas (0.9, 0.98), batch 128, BCE with one
sampled negative per position, 200 epochs.

Training follows pmixer's scheme: one training sequence per user and epoch (the most
recent max_length+1 items: inputs s[:-1], targets s[1:], one uniform negative per position
not in the user's training items), users shuffled each epoch, loss = BCE(pos) + BCE(neg)
averaged over non-padding positions. Speed: everything is padded once up front and the
negatives of a whole epoch are drawn in one vectorised call.

Evaluation (every --eval-every epochs and at the end): leave-one-out (``--holdout last``:
each user's last item is held out of training and predicted from the rest) or an explicit
input/target file pair (``--eval-input/--eval-targets``, e.g. the gSASRec ML-1M val split).
HR@10 / NDCG@10 with (a) full ranking over all N items and (b) the target against 100
uniformly sampled items the user has not interacted with (pmixer / SASRec paper protocol).
The sampled negatives are drawn once (fixed seed), so epochs are comparable.
"""

from __future__ import annotations

import threads  # noqa: F401  (must precede numpy/torch: pins BLAS threads)

import argparse
import csv
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import (  # noqa: E402
    FORMATS,
    METRICS_FIELDS,
    hit_ndcg,
    hold_out_last,
    left_pad_matrix,
    membership_matrix,
    read_sequences,
    sample_excluding,
    sha256_file,
)
from model import LAYOUTS, SASRec  # noqa: E402

CHECKPOINT_FORMAT = "ipg-sasrec-checkpoint/1"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="training interactions")
    p.add_argument("--format", choices=FORMATS, default="pairs",
                   help="pairs: 'user item' per line in time order; seq: 'item item ...' per line; "
                        "useq: 'user item item ...' per line")
    p.add_argument("--item-count", type=int, default=None,
                   help="N (ids 1..N); default: the largest id seen in the input / eval files")
    p.add_argument("--holdout", choices=("last", "none"), default="last",
                   help="last: hold out each user's last item for evaluation; none: train on everything")
    p.add_argument("--eval-input", default=None, help="evaluation histories (replaces --holdout's)")
    p.add_argument("--eval-format", choices=FORMATS, default="seq")
    p.add_argument("--eval-targets", default=None, help="one target item per line, aligned with --eval-input")
    p.add_argument("--hidden", type=int, default=48)
    p.add_argument("--max-length", type=int, default=70)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--layout", choices=LAYOUTS, default="pmixer-v1")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.98)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--eval-every", type=int, default=10, help="0 = only at the end")
    p.add_argument("--eval-negatives", type=int, default=100)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest on a 2-core VM)")
    p.add_argument("--output", required=True, help="checkpoint path (.pt)")
    p.add_argument("--metrics-csv", default=None, help="default: <output>.metrics.csv")
    p.add_argument("--snapshot-every", type=int, default=0,
                   help="also save <output stem>.epochN.pt every N epochs (to export a measured epoch count)")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


class Evaluator:
    """HR@10 / NDCG@10, full ranking and against sampled negatives."""

    def __init__(self, histories, targets, item_count, max_length, negatives=100, seed=12345, k=10):
        self.ids = torch.from_numpy(left_pad_matrix(histories, max_length))
        self.targets = torch.tensor(targets, dtype=torch.long)
        self.lengths = (self.ids != 0).sum(1)
        self.max_length = max_length
        self.k = k
        self.item_count = item_count
        rng = np.random.default_rng(seed)
        seen = membership_matrix([list(h) + [t] for h, t in zip(histories, targets)], item_count)
        rows = np.arange(len(histories))
        self.negatives = torch.from_numpy(
            sample_excluding(rng, seen, rows, (negatives,), item_count)
        ) if negatives > 0 else None

    @torch.no_grad()
    def __call__(self, model: SASRec, batch_size: int = 1024):
        was_training = model.training
        model.eval()
        table = model.item_emb.weight
        full_ranks, sampled_ranks = [], []
        # Users in order of history length so that each batch can drop its all-padding
        # columns (exact, see SASRec.log2feats); ranks are averaged, so order is irrelevant.
        order = torch.argsort(self.lengths, stable=True)
        L = self.max_length
        for start in range(0, len(self.ids), batch_size):
            sel = order[start : start + batch_size]
            width = min(L, int(self.lengths[sel].max()) + 1)
            ids = self.ids[sel, L - width :]
            tgt = self.targets[sel]
            u = model.user_embedding(ids, last_only=True, offset=L - width)
            logits = u @ table[1:].T  # [b, N], column c = item c+1
            t_logit = logits.gather(1, (tgt - 1).unsqueeze(1))
            full_ranks.append((logits > t_logit).sum(1))
            if self.negatives is not None:
                neg = self.negatives[sel]
                neg_logit = logits.gather(1, neg - 1)
                sampled_ranks.append((neg_logit > t_logit).sum(1))
        if was_training:
            model.train()

        hr_f, nd_f = hit_ndcg(full_ranks, self.k)
        hr_s, nd_s = hit_ndcg(sampled_ranks, self.k)
        return {"hr10_full": hr_f, "ndcg10_full": nd_f, "hr10_sampled": hr_s, "ndcg10_sampled": nd_s,
                "users": len(self.ids)}


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
    if args.eval_input:
        if not args.eval_targets:
            raise SystemExit("--eval-input needs --eval-targets")
        eh = read_sequences(args.eval_input, args.eval_format)
        with open(args.eval_targets) as f:
            et = [int(x) for x in f.read().split()]
        if len(eh) != len(et):
            raise SystemExit(f"{len(eh)} eval histories but {len(et)} targets")
        eval_hist, eval_tgt = list(eh.values()), et
        train_seqs = seqs
    elif args.holdout == "last":
        train_seqs, eval_hist, eval_tgt = hold_out_last(seqs)
    else:
        train_seqs = seqs

    max_id = max([max(s) for s in seqs if s] + [max(s) for s in eval_hist if s] + eval_tgt)
    item_count = args.item_count or max_id
    if max_id > item_count:
        raise SystemExit(f"item id {max_id} exceeds --item-count {item_count}")

    L = args.max_length
    trainable = [s[-(L + 1):] for s in train_seqs if len(s) >= 2]
    seq_in = torch.from_numpy(left_pad_matrix([s[:-1] for s in trainable], L))
    seq_pos = torch.from_numpy(left_pad_matrix([s[1:] for s in trainable], L))
    member = membership_matrix(train_seqs, item_count)
    # membership rows for the trainable users (same order as seq_in)
    member = member[[i for i, s in enumerate(train_seqs) if len(s) >= 2]]
    valid = seq_pos != 0
    lengths = (seq_in != 0).sum(1)
    n_users = len(trainable)
    n_positions = int(valid.sum())
    log(f"data: {len(seqs)} users, {sum(map(len, seqs))} interactions, N={item_count}, "
        f"training sequences {n_users}, training positions {n_positions}, sha256 {log_sha}")

    model = SASRec(item_count, hidden=args.hidden, max_length=L, n_blocks=args.blocks,
                   n_heads=args.heads, dropout=args.dropout, layout=args.layout)
    model.init_like_pmixer()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(args.beta1, args.beta2))
    evaluator = None
    if eval_hist:
        evaluator = Evaluator(eval_hist, eval_tgt, item_count, L, args.eval_negatives, seed=args.seed + 1)
        log(f"evaluation: {len(eval_hist)} users ({'files' if args.eval_input else 'leave-one-out'})")

    csv_path = args.metrics_csv or (os.path.splitext(args.output)[0] + ".metrics.csv")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fields = METRICS_FIELDS
    csv_file = open(csv_path, "w", newline="")
    writer = csv.DictWriter(csv_file, fieldnames=fields)
    writer.writeheader()

    history = []
    epoch_times = []
    rows = np.arange(n_users)
    metrics = None
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        model.train()
        neg_all = torch.from_numpy(sample_excluding(rng, member, rows, (L,), item_count))
        perm = torch.from_numpy(rng.permutation(n_users))
        total, count = 0.0, 0
        for b in range(0, n_users, args.batch_size):
            idx = perm[b : b + args.batch_size]
            # Cut the leading columns that are padding in every row of this batch, keeping one
            # padding column that stands for all of them (exact; see SASRec.log2feats).
            width = min(L, int(lengths[idx].max()) + 1)
            off = L - width
            ids, pos, neg, m = (t[idx, off:] for t in (seq_in, seq_pos, neg_all, valid))
            feats = model.log2feats(ids, offset=off)
            table = model.item_emb.weight
            pos_logits = (feats * F.embedding(pos, table)).sum(-1)[m]
            neg_logits = (feats * F.embedding(neg, table)).sum(-1)[m]
            loss = F.binary_cross_entropy_with_logits(pos_logits, torch.ones_like(pos_logits)) + \
                F.binary_cross_entropy_with_logits(neg_logits, torch.zeros_like(neg_logits))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
            count += len(idx)
        dt = time.time() - t0
        epoch_times.append(dt)
        row = {"epoch": epoch, "loss": round(total / count, 6), "epoch_seconds": round(dt, 3)}
        do_eval = evaluator is not None and (
            epoch == args.epochs or (args.eval_every > 0 and epoch % args.eval_every == 0))
        msg = f"epoch {epoch:4d}  loss {total / count:.4f}  {dt:6.2f}s"
        if do_eval:
            metrics = evaluator(model)
            for k in ("hr10_full", "ndcg10_full", "hr10_sampled", "ndcg10_sampled"):
                row[k] = round(metrics[k], 5)
            msg += ("  HR@10 full {hr10_full:.4f} NDCG@10 full {ndcg10_full:.4f} | "
                    "HR@10 100neg {hr10_sampled:.4f} NDCG@10 100neg {ndcg10_sampled:.4f}").format(**metrics)
        log(msg)
        writer.writerow(row)
        csv_file.flush()
        history.append(row)
        if args.snapshot_every and epoch % args.snapshot_every == 0 and epoch != args.epochs:
            snap = f"{os.path.splitext(args.output)[0]}.epoch{epoch}.pt"
            save_checkpoint(model, args, log_sha, epoch, metrics if do_eval else None, epoch_times, snap)
    csv_file.close()

    save_checkpoint(model, args, log_sha, args.epochs, metrics, epoch_times, args.output)
    summary = {"output": args.output, "metrics_csv": csv_path, "epochs": args.epochs,
               "mean_epoch_seconds": float(np.mean(epoch_times)) if epoch_times else None,
               "final_loss": history[-1]["loss"] if history else None,
               "final_metrics": metrics, "total_seconds": round(time.time() - t_start, 1),
               "training_log_sha256": log_sha}
    log("summary " + json.dumps(summary))
    return summary


def save_checkpoint(model, args, log_sha, epochs, metrics, epoch_times, path):
    was_training = model.training
    model.eval()
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": model.state_dict(),
        "config": model.config(),
        "training_log_sha256": log_sha,
        "training_log": os.path.basename(args.input),
        "train_args": vars(args),
        "epochs": epochs,
        "final_metrics": metrics,
        "mean_epoch_seconds": float(np.mean(epoch_times)) if epoch_times else None,
        "torch_version": torch.__version__,
    }
    torch.save(ckpt, path)
    if was_training:
        model.train()


if __name__ == "__main__":
    main()
