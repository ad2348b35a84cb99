"""Reading interaction data and building padded tensors (shared by train / fixtures)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

import numpy as np

FORMATS = ("pairs", "seq", "useq")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sequences(path: str, fmt: str) -> "OrderedDict[int, List[int]]":
    """Return {user: [item, ...] oldest first}.

    pairs: one ``user item`` pair per line, in time order (the simulator's log).
    seq:   one user per line, ``item item ...`` (user = 1-based line number), e.g.
           ml-1m-sasrec_gSASRec-split/train/input.txt.
    useq:  one user per line, ``user item item ...``.
    Blank lines in seq format still count as a user (with an empty sequence).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    users: "OrderedDict[int, List[int]]" = OrderedDict()
    with open(path, "r", encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            parts = line.split()
            if fmt == "pairs":
                if not parts:
                    continue
                if len(parts) < 2:
                    raise ValueError(f"{path}:{n}: expected 'user item', got {line!r}")
                u, i = int(parts[0]), int(parts[1])
                users.setdefault(u, []).append(i)
            elif fmt == "seq":
                users[n] = [int(x) for x in parts]
            else:
                if not parts:
                    continue
                users[int(parts[0])] = [int(x) for x in parts[1:]]
    if fmt == "pairs":
        users = OrderedDict(sorted(users.items()))
    for u, s in users.items():
        if any(i < 1 for i in s):
            raise ValueError(f"{path}: user {u} has an item id < 1 (ids must be 1-based)")
    return users


def left_pad_matrix(seqs: Sequence[Sequence[int]], max_length: int) -> np.ndarray:
    """[len(seqs), max_length] int64; keeps the most recent max_length ids, left-pads with 0."""
    out = np.zeros((len(seqs), max_length), dtype=np.int64)
    for r, s in enumerate(seqs):
        s = s[-max_length:] if max_length > 0 else []
        if len(s):
            out[r, max_length - len(s) :] = s
    return out


def membership_matrix(seqs: Sequence[Sequence[int]], item_count: int) -> np.ndarray:
    """Dense bool [len(seqs), item_count+1]: m[r, i] = item i occurs in seqs[r]."""
    m = np.zeros((len(seqs), item_count + 1), dtype=bool)
    rows = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
    cols = np.fromiter((i for s in seqs for i in s), dtype=np.int64, count=len(rows))
    m[rows, cols] = True
    return m


def sample_excluding(
    rng: np.random.Generator,
    member: np.ndarray,
    rows: np.ndarray,
    shape: Tuple[int, ...],
    item_count: int,
    max_rounds: int = 100,
) -> np.ndarray:
    """Uniform ids in 1..item_count, shape (len(rows),) + shape, avoiding member[row].

    Vectorised rejection sampling: draw everything at once, redraw only the collisions.
    (A user who has seen every item keeps a colliding draw after max_rounds.)
    """
    out = rng.integers(1, item_count + 1, size=(len(rows),) + tuple(shape))
    r = rows.reshape((-1,) + (1,) * len(shape))
    bad = member[r, out]
    for _ in range(max_rounds):
        n = int(bad.sum())
        if n == 0:
            break
        out[bad] = rng.integers(1, item_count + 1, size=n)
        bad = member[r, out]
    return out


def hold_out_last(seqs: Sequence[Sequence[int]]) -> Tuple[List[List[int]], List[List[int]], List[int]]:
    """Leave-one-out: (training sequences, evaluation histories, evaluation targets). A user with at least
    two items trains on all but the last and is evaluated on predicting it; a shorter user only trains."""
    train, hist, targets = [], [], []
    for s in seqs:
        s = list(s)
        if len(s) >= 2:
            hist.append(s[:-1])
            targets.append(s[-1])
            train.append(s[:-1])
        else:
            train.append(s)
    return train, hist, targets


def hit_ndcg(ranks, k: int) -> Tuple[float, float]:
    """HR@k and NDCG@k from 0-based ranks of the held-out item (a list of torch tensors); NaN when empty."""
    import torch

    if not ranks:
        return float("nan"), float("nan")
    r = torch.cat(ranks).double()
    hit = r < k
    ndcg = torch.where(hit, 1.0 / torch.log2(r + 2.0), torch.zeros_like(r))
    return float(hit.double().mean()), float(ndcg.mean())


METRICS_FIELDS = ["epoch", "loss", "epoch_seconds", "hr10_full", "ndcg10_full", "hr10_sampled", "ndcg10_sampled"]
"""The columns of a trainer's per-epoch metrics CSV (tools/sasrec/train.py, tools/gru4rec/train.py)."""

