#!/usr/bin/env python3
"""Train IRN (irn_model.IRN) on an interaction log; CPU, one thread by default.

Objective (IRN's): a training example is a contiguous window of a user's clicks, at most L + 1
long; its last item is the target, appended as the objective slot; the model predicts every next
item along the window (input w[:-1], labels w[1:], so the last prediction is the target itself),
full softmax cross-entropy over the N items, averaged over non-padding positions. Each epoch draws
``--windows-per-user`` windows per user with uniformly random end points (IRN cuts random
segments of the sequences), users shuffled.

Held-out evaluation (``--holdout last2``, the default): each user's last two clicks are kept out of
training; from the history s[:-2] with target s[-1] the model ranks all N items for the next
click s[-2] (HR@10 / NDCG@10, full ranking), and the same with a random target instead, which
says how much the target conditioning moves the prediction.

Reuses tools/sasrec's data helpers (reading logs, padding, hashing) and BLAS thread pinning.
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

from data import FORMATS, left_pad_matrix, read_sequences, sha256_file  # noqa: E402
from irn_model import CHECKPOINT_FORMAT, IRN  # noqa: E402



def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="training interactions")
    p.add_argument("--format", choices=FORMATS, default="pairs",
                   help="pairs: 'user item' per line in time order (1-based user ids; the simulator's log); "
                        "seq: 'item item ...' per line (user = line number); useq: 'user item item ...'")
    p.add_argument("--item-count", type=int, default=None, help="N (ids 1..N); default: the largest id seen")
    p.add_argument("--user-count", type=int, default=None, help="U (user ids 1..U); default: the largest id seen")
    p.add_argument("--holdout", choices=("last2", "none"), default="last2")
    p.add_argument("--hidden", type=int, default=48)
    p.add_argument("--history-length", type=int, default=50, help="L history slots (the target is slot L)")
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--user-dim", type=int, default=8)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--shared-factor", action="store_true",
                   help="ablation: one impressionability factor for every user (user embeddings frozen at zero, "
                        "r_u = the layer's bias) -- what a mask that cannot hold a per-user factor gives")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--windows-per-user", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=5, help="0 = only at the end")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True, help="checkpoint path (.pt)")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def draw_windows(rng, seqs, users, length, per_user):
    """Random contiguous windows (at most length + 1 long, at least 2) with their user ids."""
    ins, labels, targets, uids = [], [], [], []
    for s, u in zip(seqs, users):
        n = len(s)
        if n < 2:
            continue
        for e in rng.integers(2, n + 1, size=per_user):
            w = s[max(0, e - (length + 1)):e]
            ins.append(w[:-1])
            labels.append(w[1:])
            targets.append(w[-1])
            uids.append(u)
    return (left_pad_matrix(ins, length), left_pad_matrix(labels, length),
            np.asarray(targets, dtype=np.int64), np.asarray(uids, dtype=np.int64))


def trained_user_ids(train_seqs, user_ids):
    """The users that get training windows (at least two training clicks)."""
    return [u for s, u in zip(train_seqs, user_ids) if len(s) >= 2]


class Evaluator:
    def __init__(self, histories, labels, targets, users, item_count, length, seed, k=10):
        self.ids = torch.from_numpy(left_pad_matrix(histories, length))
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.targets = torch.tensor(targets, dtype=torch.long)
        rng = np.random.default_rng(seed)
        self.random_targets = torch.from_numpy(rng.integers(1, item_count + 1, size=len(targets)))
        self.users = torch.tensor(users, dtype=torch.long)
        self.k = k

    @torch.no_grad()
    def __call__(self, model: IRN, batch_size: int = 512):
        was = model.training
        model.eval()
        out = {}
        for name, tgt_all in (("target", self.targets), ("random_target", self.random_targets)):
            ranks = []
            for b in range(0, len(self.ids), batch_size):
                sl = slice(b, b + batch_size)
                logits = model.scores(self.ids[sl], tgt_all[sl], self.users[sl])
                lab = logits.gather(1, (self.labels[sl] - 1).unsqueeze(1))
                ranks.append((logits > lab).sum(1))
            r = torch.cat(ranks).double()
            hit = r < self.k
            out[f"hr10_{name}"] = float(hit.double().mean())
            out[f"ndcg10_{name}"] = float(torch.where(hit, 1.0 / torch.log2(r + 2.0), torch.zeros_like(r)).mean())
        r_all = model.impressionability_factor(self.users)
        out["r_mean"], out["r_std"] = float(r_all.mean()), float(r_all.std())
        if was:
            model.train()
        return out


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    log = (lambda *x: None) if a.quiet else (lambda *x: print(*x, flush=True))
    t_start = time.time()

    data = read_sequences(a.input, a.format)
    log_sha = sha256_file(a.input)
    user_ids = list(data.keys())
    seqs = list(data.values())
    item_count = a.item_count or max(max(s) for s in seqs if s)
    user_count = a.user_count or max(user_ids)
    if min(user_ids) < 1 or max(user_ids) > user_count:
        raise SystemExit(f"user ids must be 1..{user_count}")

    L = a.history_length
    train_seqs, ev_h, ev_l, ev_t, ev_u = [], [], [], [], []
    for u, s in zip(user_ids, seqs):
        if a.holdout == "last2" and len(s) >= 3:
            ev_h.append(s[:-2]); ev_l.append(s[-2]); ev_t.append(s[-1]); ev_u.append(u)
            train_seqs.append(s[:-2])
        else:
            train_seqs.append(s)
    log(f"data: {len(seqs)} users (ids up to {user_count}), {sum(map(len, seqs))} interactions, N={item_count}, "
        f"sha256 {log_sha}; evaluation users {len(ev_h)}")

    model = IRN(item_count, user_count, hidden=a.hidden, history_length=L, n_blocks=a.blocks,
                n_heads=a.heads, dropout=a.dropout, user_dim=a.user_dim)
    model.init_weights()
    if a.shared_factor:
        with torch.no_grad():
            model.user_emb.weight.zero_()
        model.user_emb.weight.requires_grad_(False)
    opt = torch.optim.Adam([p_ for p_ in model.parameters() if p_.requires_grad], lr=a.lr, betas=(0.9, 0.98))
    evaluator = Evaluator(ev_h, ev_l, ev_t, ev_u, item_count, L, a.seed + 1) if ev_h else None

    csv_path = os.path.splitext(a.output)[0] + ".metrics.csv"
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    fields = ["epoch", "loss", "epoch_seconds", "hr10_target", "ndcg10_target", "hr10_random_target",
              "ndcg10_random_target", "r_mean", "r_std"]
    f_csv = open(csv_path, "w", newline="")
    writer = csv.DictWriter(f_csv, fieldnames=fields)
    writer.writeheader()
    metrics, times = None, []
    for epoch in range(1, a.epochs + 1):
        t0 = time.time()
        model.train()
        ins, labels, targets, uids = (torch.from_numpy(x) for x in draw_windows(rng, train_seqs, user_ids, L, a.windows_per_user))
        lengths = (ins != 0).sum(1)
        perm = torch.from_numpy(rng.permutation(len(ins)))
        total, count = 0.0, 0
        for b in range(0, len(ins), a.batch_size):
            idx = perm[b:b + a.batch_size]
            width = int(lengths[idx].max())
            off = L - width  # cut the leading columns that are padding in every row (exact: padding keys are masked)
            x, y = ins[idx, off:], labels[idx, off:]
            h = model.features(x, targets[idx], uids[idx], offset=off)[:, :-1, :]
            valid = y != 0
            loss = F.cross_entropy(model.logits(h[valid]), y[valid] - 1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
            count += len(idx)
        dt = time.time() - t0
        times.append(dt)
        row = {"epoch": epoch, "loss": round(total / count, 6), "epoch_seconds": round(dt, 3)}
        msg = f"epoch {epoch:4d}  loss {total / count:.4f}  {dt:6.2f}s"
        if evaluator is not None and (epoch == a.epochs or (a.eval_every and epoch % a.eval_every == 0)):
            metrics = evaluator(model)
            row.update({k: round(v, 5) for k, v in metrics.items()})
            msg += "  " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        log(msg)
        writer.writerow(row)
        f_csv.flush()
    f_csv.close()

    model.set_unknown_users_to_mean(trained_user_ids(train_seqs, user_ids))
    model.eval()
    torch.save({
        "format": CHECKPOINT_FORMAT,
        "state_dict": model.state_dict(),
        "config": model.config(),
        "training_log_sha256": log_sha,
        "training_log": os.path.basename(a.input),
        "train_args": vars(a),
        "epochs": a.epochs,
        "final_metrics": metrics,
        "mean_epoch_seconds": float(np.mean(times)) if times else None,
        "torch_version": torch.__version__,
    }, a.output)
    summary = {"output": a.output, "epochs": a.epochs, "mean_epoch_seconds": float(np.mean(times)) if times else None,
               "total_seconds": round(time.time() - t_start, 1), "final_metrics": metrics,
               "training_log_sha256": log_sha}
    log("summary " + json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
