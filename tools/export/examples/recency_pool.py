#!/usr/bin/env python3
"""An example of "your own model" for tools/export/ipg_export.py: a sequential encoder that is not SASRec.

``RecencyPool`` is written the way a service's own code might be: it takes RIGHT-padded batches with
lengths (not the contract's left padding), pools the item embeddings with weights that decay with the
distance from the most recent item, and maps the pool through a linear layer and tanh. Scores are
``u . E[i] + b[i]`` (tied table, per-item bias), trained with softmax cross-entropy over the catalogue, so
its acceptance is ``softmax``: this one file exercises both contract-2 features.

Train (seconds, on the synthetic log; nothing external), then export through the own-module path:

    /usr/bin/python3 tools/export/examples/recency_pool.py --output out/recency-pool.pt
    /usr/bin/python3 tools/export/ipg_export.py --adapter tools/export/examples/recency_pool.py:make_adapter \\
        --checkpoint out/recency-pool.pt --output out/recency-pool.onnx --fixtures out/recency-pool.fixtures.json

``make_adapter`` is the whole integration: a wrapper that computes the same thing on left-padded
``item_ids`` (what the ONNX graph will run), the item table and bias, and the model's own forward as
``reference`` (the source of truth the export is checked against).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(_HERE))  # tools/export

import ipg_export  # noqa: E402  (pins BLAS threads, then loads numpy/torch)

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class RecencyPool(nn.Module):
    """The user's own model: right-padded ``seq`` [B, T] with ``lengths`` [B] -> user vectors [B, d]."""

    def __init__(self, item_count: int, hidden: int, max_length: int):
        super().__init__()
        self.item_count, self.hidden, self.max_length = item_count, hidden, max_length
        self.items = nn.Embedding(item_count + 1, hidden, padding_idx=0)
        self.bias = nn.Parameter(torch.zeros(item_count + 1))
        self.decay = nn.Parameter(torch.tensor(0.3))
        self.proj = nn.Linear(hidden, hidden)

    def forward(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        T = seq.shape[1]
        pos = torch.arange(T).unsqueeze(0)                       # 0 = oldest slot of a right-padded row
        from_end = (lengths.unsqueeze(1) - 1 - pos).clamp(min=0).float()
        mask = (pos < lengths.unsqueeze(1)).float()
        w = torch.exp(-self.decay.abs() * from_end) * mask
        pooled = (w.unsqueeze(-1) * self.items(seq)).sum(1) / w.sum(1, keepdim=True).clamp(min=1e-6)
        return torch.tanh(self.proj(pooled))

    def logits(self, users: torch.Tensor) -> torch.Tensor:
        return users @ self.items.weight[1:].T + self.bias[1:]

    def encode_histories(self, histories):
        """The model's own entry point: unpadded histories (the last max_length items are read)."""
        rows = [list(h)[-self.max_length:] for h in histories]
        T = max([len(r) for r in rows] + [1])
        seq = torch.zeros((len(rows), T), dtype=torch.long)
        for r, h in enumerate(rows):
            if h:
                seq[r, :len(h)] = torch.tensor(h)
        return self.forward(seq, torch.tensor([len(r) for r in rows], dtype=torch.long))


class LeftPaddedRecencyPool(nn.Module):
    """The contract wrapper: the same computation on left-padded ``item_ids`` [B, L] (0 = padding)."""

    def __init__(self, model: RecencyPool):
        super().__init__()
        self.model = model

    def forward(self, item_ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        L = item_ids.shape[1]
        from_end = (L - 1 - torch.arange(L)).float().unsqueeze(0)   # the last column is the most recent item
        mask = (item_ids > 0).float()
        w = torch.exp(-m.decay.abs() * from_end) * mask
        pooled = (w.unsqueeze(-1) * m.items(item_ids)).sum(1) / w.sum(1, keepdim=True).clamp(min=1e-6)
        return torch.tanh(m.proj(pooled))


def load(checkpoint: str) -> RecencyPool:
    obj = torch.load(checkpoint, map_location="cpu")
    cfg = obj["config"]
    model = RecencyPool(cfg["item_count"], cfg["hidden"], cfg["max_length"])
    model.load_state_dict(obj["state_dict"], strict=True)
    return model.eval()


def make_adapter(checkpoint: str) -> ipg_export.Adapter:
    """What ``ipg_export.py --adapter recency_pool.py:make_adapter`` calls."""
    if not checkpoint:
        raise ipg_export.ExportError("recency_pool: pass --checkpoint (a file written by this script)")
    model = load(checkpoint)
    obj = torch.load(checkpoint, map_location="cpu")
    return ipg_export.Adapter(
        encoder=LeftPaddedRecencyPool(model),
        item_table=model.items.weight.detach(),
        item_bias=model.bias.detach(),
        acceptance="softmax",
        max_length=model.max_length,
        layout="example-recency-pool",
        position_convention="distance from the most recent item",
        reference=lambda histories: model.encode_histories(histories).numpy(),
        training_log_sha256=obj.get("training_log_sha256", ""),
        metadata={"ipg.source": "tools/export/examples/recency_pool.py"},
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", required=True)
    p.add_argument("--items", type=int, default=120)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--hidden", type=int, default=12)
    p.add_argument("--max-length", type=int, default=20)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    # A small synthetic world: each user draws from a few topics, so recency carries signal.
    topics = rng.integers(0, 6, size=a.items + 1)
    seqs = []
    for _ in range(a.users):
        liked = rng.choice(6, size=2, replace=False)
        pool = [i for i in range(1, a.items + 1) if topics[i] in liked]
        seqs.append([int(i) for i in rng.choice(pool, size=int(rng.integers(5, 40)))])
    model = RecencyPool(a.items, a.hidden, a.max_length)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(a.steps):
        batch = [seqs[i] for i in rng.integers(0, len(seqs), size=64)]
        cut = [int(rng.integers(1, len(s))) for s in batch]
        users = model.encode_histories([s[:c] for s, c in zip(batch, cut)])
        target = torch.tensor([s[c] - 1 for s, c in zip(batch, cut)])
        loss = nn.functional.cross_entropy(model.logits(users), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == a.steps - 1:
            print(f"step {step}: loss {loss.item():.3f}")
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    torch.save({"config": {"item_count": a.items, "hidden": a.hidden, "max_length": a.max_length},
                "state_dict": model.state_dict(), "training_log_sha256": ""}, a.output)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
