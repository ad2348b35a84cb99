"""A straightforward re-statement of pmixer/SASRec.pytorch's forward passes (every layout in model.LAYOUT_SPECS).

Independent of model.py's hand-written arithmetic: it calls the stock modules
(nn.MultiheadAttention on time-first tensors with a bool ~tril mask, nn.Conv1d on
channel-first tensors) the way pmixer's log2feats does, so that comparing the two checks
model.py (and, through the fixtures, the ONNX export) against pmixer's semantics.
Used by check_pmixer_parity.py only; evaluation mode (no dropout).
"""

from __future__ import annotations

import torch


def _ffn(layer, x, relu=True, residual=True):
    # pmixer: conv over (B, C, T), then back to (B, T, C)
    h = layer.conv1(x.transpose(-1, -2))
    if relu:
        h = torch.relu(h)
    h = layer.conv2(h).transpose(-1, -2)
    return h + x if residual else h


@torch.no_grad()
def reference_log2feats(model, ids: torch.Tensor, layout: str) -> torch.Tensor:
    """model: a model.SASRec (only its submodules are used); ids [B, L] int64."""
    from model import LAYOUT_SPECS

    spec = LAYOUT_SPECS[layout]
    relu = spec.ffn_activation == "relu"
    B, L = ids.shape
    x = model.item_emb(ids) * (model.item_emb.embedding_dim ** 0.5)
    tmask = ids == 0
    if spec.family == "v1":
        pos = torch.arange(L).unsqueeze(0).repeat(B, 1)
    else:
        pos = torch.arange(1, L + 1).unsqueeze(0).repeat(B, 1) * (ids != 0).long()
    x = x + model.pos_emb(pos)
    if spec.timeline_mask:
        x = x * (~tmask).unsqueeze(-1)
    attn_mask = ~torch.tril(torch.ones((L, L), dtype=torch.bool))
    for i in range(len(model.attention_layers)):
        mha = model.attention_layers[i]
        x = x.transpose(0, 1)  # (T, B, C) as nn.MultiheadAttention(batch_first=False)
        if spec.block == "pmixer":
            q = model.attention_layernorms[i](x)
            out, _ = mha(q, x, x, attn_mask=attn_mask)
            x = (q + out).transpose(0, 1)
            x = model.forward_layernorms[i](x)
            x = _ffn(model.forward_layers[i], x, relu=relu, residual=True)
            if spec.timeline_mask:
                x = x * (~tmask).unsqueeze(-1)
        elif spec.block == "prenorm":
            xn = model.attention_layernorms[i](x)
            out, _ = mha(xn, xn, xn, attn_mask=attn_mask)
            x = (x + out).transpose(0, 1)
            x = x + _ffn(model.forward_layers[i], model.forward_layernorms[i](x), relu=relu, residual=False)
        else:  # postnorm
            out, _ = mha(x, x, x, attn_mask=attn_mask)
            x = model.attention_layernorms[i](x + out).transpose(0, 1)
            x = model.forward_layernorms[i](x + _ffn(model.forward_layers[i], x, relu=relu, residual=False))
    return model.last_layernorm(x)
