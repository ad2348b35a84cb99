"""SASRec (Kang & McAuley, ICDM 2018) in the module layout of pmixer/SASRec.pytorch.

The parameter names match pmixer's state_dicts exactly, so stock checkpoints load with
``load_state_dict(strict=True)``:

    item_emb, pos_emb, emb_dropout,
    attention_layernorms.N, attention_layers.N (nn.MultiheadAttention),
    forward_layernorms.N, forward_layers.N.conv1 / conv2 (kernel-1 Conv1d), last_layernorm

pmixer's code went through generations whose forward passes differ. They are reproduced
here, selected by ``layout``; the arithmetic is written out by hand (attention from the
MultiheadAttention parameters, kernel-1 convolutions as matrix products) so that the very
same code path trains, evaluates and exports to ONNX (no bool Trilu, no fused attention
kernels), and so that the last block can optionally be computed for the last position only.

``pmixer-v1`` (the older code, root ``model.py``):
  * ``pos_emb`` has ``max_length`` rows, no padding_idx; every slot j = 0..L-1 gets position
    j, padding slots included ("zero_based_all_slots").
  * a timeline mask (slot holds item 0) zeroes the padding rows right after the embedding
    dropout and again at the end of every block (after the feed-forward).
  * block: Q = attention_layernorm(x); x = Q + MHA(query=Q, key=x, value=x, causal);
    x = forward_layernorm(x); x = x + dropout(conv2(relu(dropout(conv1(x)))))
    (the residual is inside PointWiseFeedForward); x = x * timeline_mask.
``pmixer-v2`` (the newer code that produced the stock ``python/ml-1m_default`` checkpoint):
  * ``pos_emb`` has ``max_length + 1`` rows with ``padding_idx=0``; slot j gets position
    j + 1 if it holds an item and position 0 (an all-zero row) if it is padding
    ("one_based_zero_padding").
  * no timeline mask anywhere: padding slots enter the first block as exact zero vectors
    (both embedding rows 0 are zero) but are never re-zeroed, so after the first block they
    carry non-zero states and take part in attention as keys/values of later slots.
  * the block is the same as v1's (LN'd query, un-normed keys/values, residual from the
    normed query, FFN with internal residual).
  On the ML-1M validation users the stock checkpoint scores sampled HR@10 0.83 with this
  forward and 0.31-0.43 with the two blocks below, which identifies it (check_pmixer_parity.py).
``pmixer-v3-prenorm`` / ``pmixer-v3-postnorm`` (the latest ``python/model.py`` with and without
``--norm_first``): v2's embeddings and (absent) masking, but standard transformer blocks and an
FFN without internal residual:
  * prenorm:  x = x + MHA(LN(x), LN(x), LN(x)); x = x + FFN(LN2(x))
  * postnorm: x = LN(x + MHA(x, x, x));         x = LN2(x + FFN(x))
``pmixer-v1-norelu`` (root ``model.py`` from 80355a4 / 0f250b6, 2020-09-16 .. 2020-10-10; the
sample checkpoint pmixer published on 2020-09-28 was trained with it): v1 exactly, but the point-wise
feed-forward has no activation (x + conv2(conv1(x))); 30c43cf added the ReLU. Same parameters, so
a state_dict cannot say which of the two it was trained with.

Every layout is one row of ``LAYOUT_SPECS`` below (positions, timeline mask, block, feed-forward
activation); the code reads the spec, never the name. ``UNSUPPORTED_LAYOUTS`` names pmixer
revisions whose own forward cannot be exported faithfully and says why (checkpoint.py refuses them).
The full revision history is in tools/sasrec/README.md ("pmixer revisions").

In every layout the item embeddings are multiplied by sqrt(hidden) before the positional
embedding is added, the causal mask lets slot i attend to slots 0..i, and the output is
``last_layernorm`` of the final hidden states. Dropout: embedding dropout, attention-weight
dropout (as nn.MultiheadAttention), and dropout after each convolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

@dataclass(frozen=True)
class LayoutSpec:
    """Everything that distinguishes one forward pass from another (evaluation mode)."""

    family: str
    """"v1": pos_emb has L rows, slot j gets position j (padding included), timeline mask;
    "v2": pos_emb has L+1 rows (row 0 = padding, all zero), slot j gets j+1, padding gets 0, no mask."""
    block: str
    """"pmixer" (LN'd query, FFN with internal residual), "prenorm" or "postnorm"."""
    ffn_activation: str
    """"relu" or "none" (between the two kernel-1 convolutions)."""
    summary: str
    """what sets this forward apart, in a few words (for messages)."""
    revisions: str
    """the pmixer/SASRec.pytorch revisions whose code computes this forward."""

    @property
    def position_convention(self) -> str:
        return "zero_based_all_slots" if self.family == "v1" else "one_based_zero_padding"

    @property
    def timeline_mask(self) -> bool:
        return self.family == "v1"


LAYOUT_SPECS: Dict[str, LayoutSpec] = {
    "pmixer-v1": LayoutSpec(
        "v1", "pmixer", "relu", "feed-forward conv2(relu(conv1(x))); positions 0..L-1, timeline mask",
        "model.py 30c43cf (2020-10-10) until 33bc1d8 (2024-06-25); our own checkpoints"),
    "pmixer-v1-norelu": LayoutSpec(
        "v1", "pmixer", "none", "feed-forward conv2(conv1(x)), no activation; otherwise pmixer-v1",
        "model.py 80355a4 (2020-09-16) until 30c43cf (2020-10-10); pmixer's sample checkpoint of 2020-09-28 "
        "(ml-1m_default/SASRec.epoch=601...)"),
    "pmixer-v2": LayoutSpec(
        "v2", "pmixer", "relu", "pmixer block (residual from the layer-normed query); positions 1..L, no mask",
        "model.py 33bc1d8 (2024-06-25), python/model.py from 9f6a02b, until fcf5588 (2025-05-21); the 2024 "
        "ml-1m_default checkpoints (epoch=720/860/1000)"),
    "pmixer-v3-prenorm": LayoutSpec(
        "v2", "prenorm", "relu", "pre-norm transformer blocks",
        "python/model.py f701731 (2025-05-21) to HEAD, trained with --norm_first"),
    "pmixer-v3-postnorm": LayoutSpec(
        "v2", "postnorm", "relu", "post-norm transformer blocks",
        "python/model.py fcf5588 (2025-05-21); f701731 to HEAD without --norm_first (its default)"),
}
LAYOUTS = tuple(LAYOUT_SPECS)

# pmixer revisions whose own eval-mode forward cannot be exported faithfully (same parameter names
# and shapes as v1). checkpoint.py refuses these layouts with the reason.
UNSUPPORTED_LAYOUTS: Dict[str, str] = {
    "pmixer-v0-noncausal": (
        "model.py a7e03b0 (2020-09-16 00:36): no sqrt(d) embedding scale, a float attn_mask tril(ones) that "
        "ADDS 1 to the scores of slots j <= i instead of masking (the attention is not causal), a key padding "
        "mask, no residual around the attention, no ReLU. Its own forward returns NaN for an empty history "
        "(every key masked), and the contract requires a finite user vector for every valid history, the "
        "empty one included: refused"),
    "pmixer-v0-keymask": (
        "model.py aab3261 / 5684684 (2020-09-16 11:18 / 12:51): no sqrt(d) scale, causal mask plus a key "
        "padding mask, no residual around the attention, no ReLU. Its own predict() returns NaN for every "
        "history shorter than max_length once there are 2 or more blocks (a padding query has no key left, "
        "its NaN row then reaches the real slots through the next block's values), and for the empty "
        "history with 1 block; pmixer replaced it 5 hours later (80355a4, 'it works'): refused"),
}

POSITION_CONVENTION = {name: spec.position_convention for name, spec in LAYOUT_SPECS.items()}


def layouts_of_family(family: str):
    """(supported, unsupported) layout names whose parameter shapes fit a state_dict of this family."""
    supported = [n for n, s in LAYOUT_SPECS.items() if s.family == family]
    unsupported = list(UNSUPPORTED_LAYOUTS) if family == "v1" else []
    return supported, unsupported


class PointWiseFeedForward(nn.Module):
    """Two kernel-1 convolutions (= per-position linear maps) with ReLU (or, ``activation="none"``,
    nothing: pmixer before 30c43cf) and dropout.

    ``residual=True`` adds the input inside the module (pmixer v1/v2 blocks); v3 adds it outside.
    """

    def __init__(self, hidden: int, dropout: float, residual: bool, activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "none"):
            raise ValueError(f"activation must be 'relu' or 'none', got {activation!r}")
        self.conv1 = nn.Conv1d(hidden, hidden, kernel_size=1)
        self.dropout1 = nn.Dropout(p=dropout)
        self.relu = nn.ReLU()  # no parameters: the state_dict is the same either way
        self.conv2 = nn.Conv1d(hidden, hidden, kernel_size=1)
        self.dropout2 = nn.Dropout(p=dropout)
        self.residual = residual
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, T, d]
        # A kernel-1 Conv1d over (B, d, T) is x @ W[:, :, 0].T + b on (B, T, d).
        h = F.linear(x, self.conv1.weight.squeeze(-1), self.conv1.bias)
        h = self.dropout1(h)
        if self.activation == "relu":
            h = self.relu(h)
        h = self.dropout2(F.linear(h, self.conv2.weight.squeeze(-1), self.conv2.bias))
        return h + x if self.residual else h


class SASRec(nn.Module):
    def __init__(
        self,
        item_count: int,
        hidden: int = 48,
        max_length: int = 70,
        n_blocks: int = 4,
        n_heads: int = 8,
        dropout: float = 0.5,
        layout: str = "pmixer-v1",
    ):
        super().__init__()
        if layout not in LAYOUT_SPECS:
            why = f" ({UNSUPPORTED_LAYOUTS[layout]})" if layout in UNSUPPORTED_LAYOUTS else ""
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}{why}")
        if hidden % n_heads != 0:
            raise ValueError(f"hidden ({hidden}) must be divisible by n_heads ({n_heads})")
        self.item_count = item_count
        self.hidden = hidden
        self.max_length = max_length
        self.n_blocks = n_blocks
        self.n_heads = n_heads
        self.dropout_rate = dropout
        self.layout = layout
        self.spec = spec = LAYOUT_SPECS[layout]
        v1 = spec.family == "v1"
        old_block = spec.block == "pmixer"

        self.item_emb = nn.Embedding(item_count + 1, hidden, padding_idx=0)
        if v1:
            self.pos_emb = nn.Embedding(max_length, hidden)
        else:
            self.pos_emb = nn.Embedding(max_length + 1, hidden, padding_idx=0)
        self.emb_dropout = nn.Dropout(p=dropout)
        self.attention_layernorms = nn.ModuleList()
        self.attention_layers = nn.ModuleList()
        self.forward_layernorms = nn.ModuleList()
        self.forward_layers = nn.ModuleList()
        for _ in range(n_blocks):
            self.attention_layernorms.append(nn.LayerNorm(hidden, eps=1e-8))
            self.attention_layers.append(nn.MultiheadAttention(hidden, n_heads, dropout))
            self.forward_layernorms.append(nn.LayerNorm(hidden, eps=1e-8))
            self.forward_layers.append(PointWiseFeedForward(hidden, dropout, residual=old_block,
                                                            activation=spec.ffn_activation))
        self.last_layernorm = nn.LayerNorm(hidden, eps=1e-8)

    # ------------------------------------------------------------------ config
    def config(self) -> Dict[str, object]:
        return {
            "item_count": self.item_count,
            "hidden": self.hidden,
            "max_length": self.max_length,
            "n_blocks": self.n_blocks,
            "n_heads": self.n_heads,
            "dropout": self.dropout_rate,
            "layout": self.layout,
        }

    @classmethod
    def from_config(cls, cfg: Dict[str, object]) -> "SASRec":
        return cls(
            item_count=int(cfg["item_count"]),
            hidden=int(cfg["hidden"]),
            max_length=int(cfg["max_length"]),
            n_blocks=int(cfg["n_blocks"]),
            n_heads=int(cfg["n_heads"]),
            dropout=float(cfg.get("dropout", 0.0)),
            layout=str(cfg["layout"]),
        )

    def init_like_pmixer(self) -> None:
        """Xavier-normal on every parameter that accepts it, then zero the padding rows."""
        for _, p in self.named_parameters():
            if p.dim() >= 2:
                nn.init.xavier_normal_(p.data)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()
            if self.spec.family != "v1":
                self.pos_emb.weight[0].zero_()

    # ----------------------------------------------------------------- forward
    def _attention(
        self,
        i: int,
        query: torch.Tensor,  # [B, Tq, d]
        key: torch.Tensor,  # [B, T, d]
        value: torch.Tensor,  # [B, T, d]
        mask: Optional[torch.Tensor],  # [Tq, T] bool, True = may attend, or None
        pad_copies: int = 1,
        bias: Optional[torch.Tensor] = None,  # additive score bias broadcast to [B, h, Tq, T], or None
    ) -> torch.Tensor:
        """nn.MultiheadAttention's arithmetic, batch-first, written out.

        ``pad_copies`` > 1: key column 0 stands for that many identical padding slots
        (see log2feats); it gets log(pad_copies) added to its score, and in training its
        dropout keeps Binomial(pad_copies, 1-p) of the copies instead of one Bernoulli draw,
        so the result equals the untrimmed computation in value (eval) and in distribution
        (training).

        ``bias`` is added to the scaled scores before the mask (tools/irn's personalised
        impressionability mask puts a per-user weight on the target column this way)."""
        mha: nn.MultiheadAttention = self.attention_layers[i]
        d, h = self.hidden, self.n_heads
        hd = d // h
        w, b = mha.in_proj_weight, mha.in_proj_bias
        q = F.linear(query, w[:d], b[:d])
        k = F.linear(key, w[d : 2 * d], b[d : 2 * d])
        v = F.linear(value, w[2 * d :], b[2 * d :])
        bsz, tq, t = q.shape[0], q.shape[1], k.shape[1]
        q = q.reshape(bsz, tq, h, hd).transpose(1, 2)  # [B, h, Tq, hd]
        k = k.reshape(bsz, t, h, hd).permute(0, 2, 3, 1)  # [B, h, hd, T]
        v = v.reshape(bsz, t, h, hd).transpose(1, 2)  # [B, h, T, hd]
        scores = torch.matmul(q * (1.0 / math.sqrt(hd)), k)  # [B, h, Tq, T]
        if pad_copies > 1:
            pad_bias = torch.zeros(t, dtype=scores.dtype)
            pad_bias[0] = math.log(pad_copies)
            scores = scores + pad_bias
        if bias is not None:
            scores = scores + bias
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        attn = torch.softmax(scores, dim=-1)
        p = mha.dropout
        if self.training and p > 0.0:
            keep = (torch.rand_like(attn) >= p).to(attn.dtype)
            if pad_copies > 1:
                n = torch.full_like(attn[..., 0], float(pad_copies))
                keep[..., 0] = torch.binomial(n, torch.full_like(n, 1.0 - p)) / pad_copies
            attn = attn * keep * (1.0 / (1.0 - p))
        out = torch.matmul(attn, v).transpose(1, 2).reshape(bsz, tq, d)
        return F.linear(out, mha.out_proj.weight, mha.out_proj.bias)

    def log2feats(self, ids: torch.Tensor, last_only: bool = False, offset: int = 0) -> torch.Tensor:
        """ids: int64 [B, T], left-padded with 0. Returns last-layernormed states
        [B, T, d], or [B, 1, d] for the last slot only when ``last_only``.

        ``offset`` > 0 (a training speed-up): ``ids`` is the right-most window of a longer
        left-padded batch whose first ``offset`` slots were padding in every row and were cut
        off; column 0 of the window must then be padding in every row too. In every layout all
        padding slots of a row carry identical states at every layer (v1: zero; v2/v3: the same
        function of identical zero inputs), so a real slot attends to the cut-off slots exactly
        as to ``offset`` more copies of column 0, which _attention accounts for. Positions
        are those of the untrimmed slots. The export and the fixtures never use it."""
        length = ids.shape[1]
        keep = (ids != 0).unsqueeze(-1).to(self.item_emb.weight.dtype)  # [B, T, 1]
        x = self.item_emb(ids) * (self.hidden**0.5)
        slots = torch.arange(length, dtype=torch.long, device=ids.device).unsqueeze(0)
        if offset:
            slots = slots + offset
        v1 = self.spec.timeline_mask  # v1 family: positions 0..L-1 on every slot and the timeline mask
        if v1:
            positions = slots.expand_as(ids)
        else:
            positions = (slots + 1) * (ids != 0).to(torch.long)
        x = x + self.pos_emb(positions)
        x = self.emb_dropout(x)
        if v1:
            x = x * keep
        # Causal mask from an index comparison (exports as a comparison, not Trilu).
        causal = slots.transpose(0, 1) >= slots  # [T, T]: row i may attend to j <= i
        copies = offset + 1
        n = self.n_blocks
        for i in range(n):
            shrink = last_only and i == n - 1
            # Only the query side shrinks; keys/values keep every slot.
            mask = None if shrink else causal
            if self.spec.block == "pmixer":
                q_in = x[:, -1:, :] if shrink else x
                q = self.attention_layernorms[i](q_in)
                y = q + self._attention(i, q, x, x, mask, copies)
                y = self.forward_layers[i](self.forward_layernorms[i](y))
                x = y * (keep[:, -1:, :] if shrink else keep) if v1 else y
            elif self.spec.block == "prenorm":
                xn = self.attention_layernorms[i](x)
                qn = xn[:, -1:, :] if shrink else xn
                y = (x[:, -1:, :] if shrink else x) + self._attention(i, qn, xn, xn, mask, copies)
                x = y + self.forward_layers[i](self.forward_layernorms[i](y))
            else:  # postnorm
                q_in = x[:, -1:, :] if shrink else x
                y = self.attention_layernorms[i](q_in + self._attention(i, q_in, x, x, mask, copies))
                x = self.forward_layernorms[i](y + self.forward_layers[i](y))
        if last_only and n == 0:
            x = x[:, -1:, :]
        return self.last_layernorm(x)

    def user_embedding(self, ids: torch.Tensor, last_only: bool = True, offset: int = 0) -> torch.Tensor:
        """[B, d]: the final hidden state at the last (right-most) slot."""
        return self.log2feats(ids, last_only=last_only, offset=offset)[:, -1, :]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.user_embedding(ids, last_only=False)


def pad_left(history, max_length: int):
    """Keep the most recent ``max_length`` ids and left-pad with 0 (most recent last)."""
    h = list(history)[-max_length:] if max_length > 0 else []
    return [0] * (max_length - len(h)) + [int(i) for i in h]


def state_dict_shapes(sd: Dict[str, torch.Tensor]) -> Dict[str, object]:
    """What the shapes of a pmixer-style state_dict tell: item_count, hidden, n_blocks, pos_rows and
    whether pos_emb row 0 is all zero (padding_idx=0 keeps it at zero through training: the v2
    family; v1 trains row 0 as the position of slot 0). Nothing else is recoverable from the
    weights: heads, max_length (from pmixer 9027b83 on pos_emb always has 201 rows) and the
    layout inside a family are not (checkpoint.py asks for them)."""
    item_rows, hidden = sd["item_emb.weight"].shape
    pos = sd["pos_emb.weight"]
    n_blocks = len({k.split(".")[1] for k in sd if k.startswith("attention_layers.")})
    return {
        "item_count": int(item_rows) - 1,
        "hidden": int(hidden),
        "n_blocks": n_blocks,
        "pos_rows": int(pos.shape[0]),
        "pos_row0_zero": bool(torch.count_nonzero(pos[0]) == 0),
    }
