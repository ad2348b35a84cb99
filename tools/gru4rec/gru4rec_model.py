"""GRU4Rec (Hidasi et al., ICLR 2016; Hidasi & Karatzoglou, CIKM 2018) for Ipg.

The variant is GRU4Rec's *constrained (shared) embedding* configuration with a cross-entropy
(softmax) loss: one item table E [N+1, d] is both the GRU's input embedding and its output
weights, plus a per-item output bias b [N+1]; one GRU layer; the user vector u is the final hidden
state h after the last click (of width d, or of width H projected to d by a dense layer
u = W h + c when ``gru_hidden`` H differs from d, as in RecBole's GRU4Rec), and

    logit(u, i) = u · E[i] + b[i],    p̂(u, ·) = softmax over the N items.

Row 0 of E and b is padding (E[0] = 0 through ``padding_idx``; b[0] is never trained and stays 0).

Two forwards over the same parameters:

* ``GRU4Rec.encode_histories`` -- the model's own forward: ``nn.GRU`` over each unpadded history
  (its most recent ``max_length`` clicks), packed, starting from h0 = 0; an empty history is h0.
  This is what training uses (``sequence_states``: right-padded, so padding only ever follows the
  real clicks and never reaches them) and what the ONNX export is checked against.
* ``LeftPaddedEncoder`` -- the ONNX contract's input: ``item_ids`` [B, L] left-padded with 0.
  The GRU cell is unrolled over the L columns with torch's gate equations (order r, z, n), and a
  column holding padding keeps the state: ``h = where(id > 0, h_new, h)``. Because padding is only
  on the left, h stays exactly h0 = 0 until the first real click, after which the recurrence is the
  unpadded one: the result does not depend on L (beyond the truncation to the last L clicks).
  Ops: Gather, MatMul, Add, Mul, Sub, Sigmoid, Tanh, Greater, Where, Unsqueeze, Shape,
  ConstantOfShape (no Split, no ONNX GRU, no Loop), so ONNX Runtime and
  tools/sasrec/onnx_numpy.py both run it. The gates are computed per gate (three [H, H]
  matrices), so a step needs no slicing.
"""

from __future__ import annotations

import inspect
import math
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

CHECKPOINT_FORMAT = "ipg-gru4rec-checkpoint/1"
LAYOUT = "gru4rec"
POSITION_CONVENTION = "none (recurrent)"


def _uniform_fan(t: torch.Tensor, fan_in: float, fan_out: float) -> None:
    """GRU4Rec's initialisation: U(-s, s) with s = sqrt(6 / (fan_in + fan_out))."""
    s = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        t.uniform_(-s, s)


class GRU4Rec(nn.Module):
    def __init__(self, item_count: int, hidden: int = 32, max_length: int = 70,
                 dropout_embed: float = 0.0, dropout_hidden: float = 0.0, gru_hidden: int = 0):
        super().__init__()
        self.item_count = int(item_count)
        self.hidden = int(hidden)
        self.gru_hidden = int(gru_hidden) or self.hidden
        self.max_length = int(max_length)
        self.dropout_embed = float(dropout_embed)
        self.dropout_hidden = float(dropout_hidden)
        self.item_emb = nn.Embedding(self.item_count + 1, self.hidden, padding_idx=0)
        self.item_bias = nn.Parameter(torch.zeros(self.item_count + 1))
        self.gru = nn.GRU(self.hidden, self.gru_hidden, num_layers=1, batch_first=True)
        self.dense = nn.Linear(self.gru_hidden, self.hidden) if self.gru_hidden != self.hidden else None
        self.reset_parameters()

    def config(self) -> dict:
        return {"item_count": self.item_count, "hidden": self.hidden, "max_length": self.max_length,
                "dropout_embed": self.dropout_embed, "dropout_hidden": self.dropout_hidden,
                "gru_hidden": self.gru_hidden}

    def reset_parameters(self) -> None:
        d, H = self.hidden, self.gru_hidden
        _uniform_fan(self.item_emb.weight, self.item_count + 1, d)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()
            self.item_bias.zero_()
        # weight_ih [3H, d] / weight_hh [3H, H] (gates r, z, n stacked): fans per gate
        _uniform_fan(self.gru.weight_ih_l0, d, H)
        _uniform_fan(self.gru.weight_hh_l0, H, H)
        nn.init.zeros_(self.gru.bias_ih_l0)
        nn.init.zeros_(self.gru.bias_hh_l0)
        if self.dense is not None:
            _uniform_fan(self.dense.weight, H, d)
            nn.init.zeros_(self.dense.bias)

    # ----- the model's own forward -------------------------------------------------------------

    def _dropout(self, x: torch.Tensor, p: float) -> torch.Tensor:
        return nn.functional.dropout(x, p, self.training) if p > 0 else x

    def project(self, h: torch.Tensor) -> torch.Tensor:
        """GRU state [.., H] -> user vector [.., d] (identity without a dense layer)."""
        return h if self.dense is None else self.dense(h)

    def sequence_states(self, ids: torch.Tensor) -> torch.Tensor:
        """Right-padded ids [B, T] (0 after the real clicks) -> user vector after every click [B, T, d].

        Entries at padding positions are garbage (the GRU runs on through them) and must be masked
        by the caller; entries at real positions are exact, as padding only follows them.
        """
        x = self._dropout(self.item_emb(ids), self.dropout_embed)
        out, _ = self.gru(x)
        return self.project(self._dropout(out, self.dropout_hidden))

    def encode_histories(self, histories: Sequence[Sequence[int]]) -> torch.Tensor:
        """Unpadded histories (oldest first, any length) -> user vectors [B, d] (own forward).

        Each history is cut to its most recent ``max_length`` clicks; nn.GRU runs over exactly those
        clicks from h0 = 0 (packed sequences, so no padding enters the recurrence); an empty history
        gives h0 = 0 (then the dense layer, if any).
        """
        L = self.max_length
        cut = [list(h)[-L:] if L > 0 else [] for h in histories]
        out = torch.zeros(len(cut), self.gru_hidden)
        rows = [r for r, h in enumerate(cut) if len(h) > 0]
        if not rows:
            return self.project(out)
        lengths = torch.tensor([len(cut[r]) for r in rows], dtype=torch.long)
        ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)
        for k, r in enumerate(rows):
            ids[k, : len(cut[r])] = torch.tensor(cut[r], dtype=torch.long)
        x = self.item_emb(ids)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.gru(packed)  # [1, rows, d], in the original row order
        out[torch.tensor(rows)] = h_n[0]
        return self.project(out)

    def logits(self, user: torch.Tensor) -> torch.Tensor:
        """[B, d] -> [B, N]: column c is item c+1 (padding excluded)."""
        return user @ self.item_emb.weight[1:].T + self.item_bias[1:]


class LeftPaddedEncoder(nn.Module):
    """Contract input ``item_ids`` [B, L] left-padded -> ``user_embedding`` [B, d] (see module doc)."""

    def __init__(self, model: GRU4Rec):
        super().__init__()
        self.model = model

    def forward(self, item_ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        d = m.gru_hidden  # the gates' width
        g = m.gru
        w_ih, w_hh, b_ih, b_hh = g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0, g.bias_hh_l0
        # Per gate (torch order r, z, n), so the unrolled steps need no Split/Slice: the input
        # projections of all L columns at once; the r and z gates take both biases up front, the
        # n gate keeps b_hn inside r * (W_hn h + b_hn), as nn.GRU does.
        x = m.item_emb(item_ids)                           # [B, L, d] (the Gather on the item table)
        gi_r = torch.matmul(x, w_ih[:d].t()) + (b_ih[:d] + b_hh[:d])
        gi_z = torch.matmul(x, w_ih[d:2 * d].t()) + (b_ih[d:2 * d] + b_hh[d:2 * d])
        gi_n = torch.matmul(x, w_ih[2 * d:].t()) + b_ih[2 * d:]
        w_hr, w_hz, w_hn = w_hh[:d].t(), w_hh[d:2 * d].t(), w_hh[2 * d:].t()
        b_hn = b_hh[2 * d:]
        keep = (item_ids > 0).unsqueeze(-1)                # [B, L, 1]: the column holds a real click
        h = torch.zeros_like(gi_n[:, 0])                   # h0 = 0, [B, H]
        for t in range(item_ids.shape[1]):
            r = torch.sigmoid(gi_r[:, t] + torch.matmul(h, w_hr))
            z = torch.sigmoid(gi_z[:, t] + torch.matmul(h, w_hz))
            n = torch.tanh(gi_n[:, t] + r * (torch.matmul(h, w_hn) + b_hn))
            h_new = n + z * (h - n)                        # = (1 - z) * n + z * h, ATen's form
            h = torch.where(keep[:, t], h_new, h)          # padding (left of every click) keeps h = 0
        if m.dense is not None:
            h = torch.matmul(h, m.dense.weight.t()) + m.dense.bias
        return h


def left_pad(histories: Sequence[Sequence[int]], max_length: int) -> torch.Tensor:
    """[B, L] int64: the most recent L ids of each history, left-padded with 0."""
    out = np.zeros((len(histories), max_length), dtype=np.int64)
    for r, h in enumerate(histories):
        h = list(h)[-max_length:] if max_length > 0 else []
        if h:
            out[r, max_length - len(h):] = h
    return torch.from_numpy(out)


def load_checkpoint(path: str):
    # As tools/sasrec/checkpoint.py: torch 2.x's restricted unpickler first (our checkpoints hold only
    # tensors and plain Python values); torch 1.13's rejects plain floats, then a normal load
    # (only load checkpoints you trust).
    if "weights_only" in inspect.signature(torch.load).parameters:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - older restricted unpickler
            ckpt = torch.load(path, map_location="cpu", weights_only=False)
    else:
        ckpt = torch.load(path, map_location="cpu")
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a {CHECKPOINT_FORMAT} checkpoint (format {ckpt.get('format')!r})")
    model = GRU4Rec(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt
