"""IRN (Zhu et al., "Influential Recommender System", ICDE 2023), written for Ipg.

A causal transformer over the user's history with the **target item appended as one extra slot
at the end**, and a **personalised impressionability mask** (PIM): every history slot may attend
to the target slot, and the attention score towards it gets an additive, learned, per-user
weight r_u = w . e_u + b (e_u a small user embedding). A large r_u makes the user's next-item
distribution lean on the target (an impressionable user), r_u -> -inf ignores it. Trained with
IRN's objective: next-item prediction along the sequence, conditioned on the target.

The blocks are SASRec's (``tools/sasrec/model.py``, layout ``pmixer-v1``; this class subclasses
it and reuses its attention, feed-forward and layer norms), on L + 1 slots:
  slots 0..L-1   the history, left-padded with 0, most recent last
  slot L         the target item (the objective)
  positions      learned, slot index j on every slot (``zero_based_all_slots``; target at L)
Attention mask (True = may attend), for query slot i and key slot j:
  history query i < L:  j <= i and slot j is not padding, or j = L (the target), the target
                        column's score + r_u (the PIM)
  target query i = L:   j = L only
The target row sees only itself, so its hidden state is a function of the target alone at every
layer. (The public code lets the target row attend to the whole sequence: from the second layer
on, slot i then reads items after i through the target's state, which leaks the next-item label
during training and carries nothing at the last slot at inference.)
Padding keys are masked, so cutting all-padding leading columns is exact (``offset``).

IRN's paper mask gives history entries a constant w_h and the target entry w_obj * r_u; a constant
shift of all allowed scores cancels in the softmax, so "0 for history, r_u for the target" is the
same family (r_u's bias absorbs w_obj and w_h).

Scores: logits of the next item after slot i are h_i . E_item[1..N] + b_out (tied item table plus
a per-item bias; IRN has an untied projection, tying halves the model's size). User row 0 is the
"unknown user": after training it is set to the mean of the trained user rows, so an unseen user
gets the mean impressionability factor (r is linear in e_u).
"""

from __future__ import annotations

import os
import sys
from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sasrec"))
from model import SASRec  # noqa: E402  (tools/sasrec/model.py)

CHECKPOINT_FORMAT = "ipg-irn-checkpoint/1"


class IRN(SASRec):
    def __init__(
        self,
        item_count: int,
        user_count: int,
        hidden: int = 48,
        history_length: int = 50,
        n_blocks: int = 2,
        n_heads: int = 2,
        dropout: float = 0.2,
        user_dim: int = 8,
    ):
        # SASRec's max_length counts every slot: the history plus the target slot.
        super().__init__(item_count, hidden=hidden, max_length=history_length + 1, n_blocks=n_blocks,
                         n_heads=n_heads, dropout=dropout, layout="pmixer-v1")
        if user_count < 1:
            raise ValueError(f"user_count must be >= 1, got {user_count}")
        self.history_length = history_length
        self.user_count = user_count
        self.user_dim = user_dim
        self.user_emb = nn.Embedding(user_count + 1, user_dim)  # row 0 = unknown user
        self.impressionability = nn.Linear(user_dim, 1)
        self.out_bias = nn.Parameter(torch.zeros(item_count))

    def config(self) -> Dict[str, object]:
        return {
            "model": "irn",
            "item_count": self.item_count,
            "user_count": self.user_count,
            "hidden": self.hidden,
            "history_length": self.history_length,
            "n_blocks": self.n_blocks,
            "n_heads": self.n_heads,
            "dropout": self.dropout_rate,
            "user_dim": self.user_dim,
        }

    @classmethod
    def from_config(cls, cfg: Dict[str, object]) -> "IRN":
        return cls(
            item_count=int(cfg["item_count"]),
            user_count=int(cfg["user_count"]),
            hidden=int(cfg["hidden"]),
            history_length=int(cfg["history_length"]),
            n_blocks=int(cfg["n_blocks"]),
            n_heads=int(cfg["n_heads"]),
            dropout=float(cfg.get("dropout", 0.0)),
            user_dim=int(cfg["user_dim"]),
        )

    def init_weights(self) -> None:
        self.init_like_pmixer()
        with torch.no_grad():
            self.impressionability.bias.zero_()
            self.out_bias.zero_()

    @torch.no_grad()
    def set_unknown_users_to_mean(self, trained_ids) -> None:
        """Row 0 (unknown user) and the rows of users that had no training window (still at their random
        initialisation) := the mean of the trained rows, i.e. the mean impressionability factor."""
        trained = torch.zeros(self.user_count + 1, dtype=torch.bool)
        trained[torch.as_tensor(list(trained_ids), dtype=torch.long)] = True
        trained[0] = False
        mean = self.user_emb.weight[trained].mean(0)
        self.user_emb.weight[~trained] = mean

    def impressionability_factor(self, users: torch.Tensor) -> torch.Tensor:
        """r_u, [B]."""
        return self.impressionability(self.user_emb(users)).squeeze(-1)

    def features(self, ids: torch.Tensor, target: torch.Tensor, users: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """ids int64 [B, T] (left-padded history; with ``offset`` > 0 the right-most T of L slots, the
        cut ones all padding), target [B] (1..N), users [B] (0..U). Returns [B, T + 1, d]: last-layernormed
        states of the history slots and (last) the target slot."""
        bsz, t = ids.shape
        seq = torch.cat([ids, target.view(bsz, 1)], dim=1)  # [B, T+1]
        keep = (seq != 0).unsqueeze(-1).to(self.item_emb.weight.dtype)
        x = self.item_emb(seq) * (self.hidden**0.5)
        slots = torch.arange(t + 1, dtype=torch.long, device=ids.device)
        if offset:
            slots = slots + offset
        x = x + self.pos_emb(slots).unsqueeze(0)
        x = self.emb_dropout(x) * keep
        # Mask from index comparisons (exports as comparisons, not Trilu).
        q = torch.arange(t + 1, dtype=torch.long, device=ids.device).unsqueeze(1)
        k = torch.arange(t + 1, dtype=torch.long, device=ids.device).unsqueeze(0)
        target_key = k == t  # [1, T+1]
        allowed = ((k <= q) & (q != t)) | target_key  # [T+1, T+1]
        mask = (allowed.unsqueeze(0) & (seq != 0).unsqueeze(1)).unsqueeze(1)  # [B, 1, T+1, T+1]
        r = self.impressionability_factor(users)  # [B]
        bias = r.view(bsz, 1, 1, 1) * target_key.to(x.dtype).view(1, 1, 1, t + 1)  # PIM, [B, 1, 1, T+1]
        for i in range(self.n_blocks):
            qn = self.attention_layernorms[i](x)
            y = qn + self._attention(i, qn, x, x, mask, 1, bias)
            y = self.forward_layers[i](self.forward_layernorms[i](y))
            x = y * keep
        return self.last_layernorm(x)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Next-item logits [..., N] from states [..., d]; column c = item c + 1."""
        return F.linear(h, self.item_emb.weight[1:], self.out_bias)

    def scores(self, ids: torch.Tensor, target: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        """[B, N]: logits of the item that follows the history (the last history slot's state)."""
        h = self.features(ids, target, users)[:, -2, :]
        return self.logits(h)

    def forward(self, ids: torch.Tensor, target: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        return self.scores(ids, target, users)


def load_checkpoint(path: str) -> tuple:
    """(model in eval mode, checkpoint dict) from a train.py checkpoint."""
    from checkpoint import _torch_load  # tools/sasrec: torch 1.13 / 2.x safe loading

    ck = _torch_load(path)
    if ck.get("format") != CHECKPOINT_FORMAT:
        raise SystemExit(f"{path}: not an IRN checkpoint ({ck.get('format')!r})")
    model = IRN.from_config(ck["config"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck


def pad_left(history, length: int):
    h = list(history)[-length:] if length > 0 else []
    return [0] * (length - len(h)) + [int(i) for i in h]
