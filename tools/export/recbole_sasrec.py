#!/usr/bin/env python3
"""Export a RecBole SASRec checkpoint to the Ipg ONNX contract, checked against RecBole's own forward.

    /usr/bin/python3 tools/export/recbole_sasrec.py CHECKPOINT --output model.onnx \\
        [--fixtures model.fixtures.json] [--source DIR | --reference ours] \\
        [--heads H] [--hidden-act gelu|relu|swish|tanh|sigmoid] [--layer-norm-eps E] [--loss-type CE|BPR]

CHECKPOINT is what RecBole's trainer saves (``saved/SASRec-*.pth``: a dict with ``config`` — the pickled
``recbole.config.configurator.Config`` — and ``state_dict``), or a bare ``model.state_dict()``. It is read
with a restricted unpickler (tools/export/safe_checkpoint.py): RecBole need not be installed to load it,
and nothing in the file is executed.

RecBole's SASRec (recbole/model/sequential_recommender/sasrec.py + layers.TransformerEncoder), eval mode:
  input   RIGHT-padded ``item_seq`` [B, L] (0 = [PAD]) and ``item_seq_len``; position ids 0..L-1 per slot,
          so the oldest kept item has position 0;  x = LayerNorm(item_embedding[id] + position_embedding[pos])
          (no sqrt(d) scale; eps = layer_norm_eps)
  mask    additive, 0 where key j <= query i AND key j is not padding, else -10000 (not -inf)
  block   post-norm (BERT): a = LN(dense(MHA(x)) + x);  x = LN(dense_2(act(dense_1(a))) + a)
          MHA with separate query/key/value Linear layers, scores / sqrt(d/h)
  output  the last block's state at slot item_seq_len - 1 (gather_indexes)
  scores  seq_output . item_embedding.weight (CE: softmax over the table; BPR: pairwise sigmoid)
Ipg feeds LEFT-padded rows (most recent item last). The wrapper here computes the same function on them:
position of a real slot = number of real items before it (so the oldest kept item is 0, as in RecBole),
padding keys get the same -10000, and the output is the last slot. Softmax weights of masked keys
underflow to exactly 0 in float32, so padding on the other side changes nothing. RecBole cannot encode
an EMPTY history (it gathers at index -1); the contract's answer for it is the zero vector (every logit
0: a uniform softmax, sigmoid 0.5), and the reference says the same (``ipg.empty_history``).

What the weights cannot tell (heads, activation, layer_norm_eps, loss -> acceptance) comes from the
checkpoint's stored config, or from the options when there is none; an option that contradicts the stored
config is refused, and so is a missing setting, naming the option to pass. Exit code 2 on refusal.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "sasrec"))

import threads  # noqa: E402,F401  (pins BLAS threads before numpy/torch load)

import argparse  # noqa: E402
import math  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Dict, List, Optional, Tuple  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from safe_checkpoint import CheckpointError, enum_value, is_state_dict, qualname, safe_load, state_of  # noqa: E402

from ipg_export_errors import ExportError  # noqa: E402  (the one exporter error)

LAYOUT = "recbole-sasrec"
POSITION_CONVENTION = "zero_based_from_oldest_item"
ACTIVATIONS = ("gelu", "relu", "swish", "tanh", "sigmoid")
LOSS_ACCEPTANCE = {"CE": "softmax", "BPR": "sigmoid"}
MASK_VALUE = -10000.0  # RecBole's additive attention mask (SequentialRecommender.get_attention_mask)


@dataclass
class RecBoleSettings:
    n_items: int          # rows of item_embedding, [PAD] included (RecBole's dataset.num(item_id))
    hidden: int
    inner: int
    n_layers: int
    max_length: int       # MAX_ITEM_LIST_LENGTH = rows of position_embedding
    n_heads: int
    hidden_act: str
    layer_norm_eps: float
    loss_type: str
    sources: Dict[str, str]   # setting -> where it came from

    @property
    def acceptance(self) -> str:
        return LOSS_ACCEPTANCE[self.loss_type]


# ---------------------------------------------------------------------------------------- checkpoint

def layer_keys(i: int) -> List[str]:
    p = f"trm_encoder.layer.{i}."
    out = []
    for lin in ("query", "key", "value", "dense"):
        out += [f"{p}multi_head_attention.{lin}.weight", f"{p}multi_head_attention.{lin}.bias"]
    out += [f"{p}multi_head_attention.LayerNorm.weight", f"{p}multi_head_attention.LayerNorm.bias"]
    for lin in ("dense_1", "dense_2", "LayerNorm"):
        out += [f"{p}feed_forward.{lin}.weight", f"{p}feed_forward.{lin}.bias"]
    return out


def expected_keys(n_layers: int) -> List[str]:
    keys = ["item_embedding.weight", "position_embedding.weight", "LayerNorm.weight", "LayerNorm.bias"]
    for i in range(n_layers):
        keys += layer_keys(i)
    return keys


def read_checkpoint(path: str) -> Tuple[Dict[str, torch.Tensor], Optional[dict], str]:
    """(state_dict, the stored config as a dict or None, a description of what the file was)."""
    try:
        obj = safe_load(path)
    except CheckpointError as e:
        raise ExportError(str(e)) from None
    if is_state_dict(obj):
        return dict(obj), None, "a bare state_dict (no stored config)"
    if not isinstance(obj, dict) or "state_dict" not in obj:
        raise ExportError(f"{path}: neither a RecBole checkpoint (a dict with 'state_dict' and 'config') nor a "
                           f"state_dict (got {type(obj).__name__} with keys {sorted(obj)[:8] if isinstance(obj, dict) else '-'})")
    sd = obj["state_dict"]
    if not is_state_dict(sd):
        raise ExportError(f"{path}: 'state_dict' is not a mapping of parameter names to tensors")
    cfg = obj.get("config")
    if cfg is None:
        return dict(sd), None, "a checkpoint dict without 'config'"
    if isinstance(cfg, dict):
        return dict(sd), dict(cfg), "a checkpoint dict with a plain-dict config"
    st = state_of(cfg)
    if st is not None and isinstance(st.get("final_config_dict"), dict):
        return dict(sd), dict(st["final_config_dict"]), f"a RecBole trainer checkpoint (config: {qualname(cfg)})"
    raise ExportError(f"{path}: 'config' is a {qualname(cfg) or type(cfg).__name__} without final_config_dict; "
                       "pass a bare state_dict with the options instead")


def _infer_layers(sd: Dict[str, torch.Tensor]) -> int:
    idx = set()
    for k in sd:
        if k.startswith("trm_encoder.layer."):
            part = k.split(".")[2]
            if not part.isdigit():
                raise ExportError(f"unexpected key {k!r}: not RecBole's SASRec layout")
            idx.add(int(part))
    n = len(idx)
    if idx != set(range(n)):
        raise ExportError(f"transformer layers {sorted(idx)} are not numbered 0..{n - 1}")
    return n


def check_keys(sd: Dict[str, torch.Tensor], n_layers: int) -> None:
    want = expected_keys(n_layers)
    missing = [k for k in want if k not in sd]
    extra = sorted(k for k in sd if k not in set(want))
    if missing or extra:
        msg = "the state_dict is not RecBole's SASRec layout (strict key check):"
        if missing:
            msg += f" missing {missing[:6]}{' …' if len(missing) > 6 else ''}"
        if extra:
            msg += f" unexpected {extra[:6]}{' …' if len(extra) > 6 else ''}"
            if any(k.startswith(("feature_embed", "concat_layer", "attribute")) for k in extra):
                msg += " (a feature-aware variant such as SASRecF is not supported)"
        raise ExportError(msg)


def _shape(sd, key, want):
    got = tuple(sd[key].shape)
    if got != tuple(want):
        raise ExportError(f"{key} has shape {list(got)}, RecBole's SASRec with these settings has {list(want)}")


def _from_config(cfg: Optional[dict], key: str):
    if cfg is None or key not in cfg:
        return None
    v = enum_value(cfg[key])
    return v


def resolve_settings(sd: Dict[str, torch.Tensor], cfg: Optional[dict], heads: Optional[int] = None,
                     hidden_act: Optional[str] = None, layer_norm_eps: Optional[float] = None,
                     loss_type: Optional[str] = None) -> RecBoleSettings:
    """Shapes from the weights; the rest from the stored config or the options (they must agree)."""
    for k in ("item_embedding.weight", "position_embedding.weight"):
        if k not in sd:
            raise ExportError(f"the state_dict has no {k!r}: not RecBole's SASRec layout")
    n_layers = _infer_layers(sd)
    check_keys(sd, n_layers)
    n_items, hidden = (int(s) for s in sd["item_embedding.weight"].shape)
    max_length = int(sd["position_embedding.weight"].shape[0])
    if n_layers == 0:
        raise ExportError("the state_dict has no transformer layer (trm_encoder.layer.0.*)")
    inner = int(sd["trm_encoder.layer.0.feed_forward.dense_1.weight"].shape[0])
    if n_items < 2:
        raise ExportError(f"item_embedding has {n_items} rows; RecBole's table is [PAD] + at least one item")
    for k in expected_keys(n_layers):
        if k == "item_embedding.weight":
            continue
        if k == "position_embedding.weight":
            _shape(sd, k, (max_length, hidden))
        elif k.endswith("dense_1.weight"):
            _shape(sd, k, (inner, hidden))
        elif k.endswith("dense_1.bias"):
            _shape(sd, k, (inner,))
        elif k.endswith("dense_2.weight"):
            _shape(sd, k, (hidden, inner))
        elif k.endswith(".weight") and not k.endswith("LayerNorm.weight"):
            _shape(sd, k, (hidden, hidden))
        else:
            _shape(sd, k, (hidden,))
    for k, v in sd.items():
        if not torch.is_floating_point(v) or not torch.isfinite(v).all():
            raise ExportError(f"{k} is not a finite floating-point tensor")

    if cfg is not None:
        model = _from_config(cfg, "model")
        if model is not None and str(model) != "SASRec":
            raise ExportError(f"the stored config says model={model!r}; this tool exports RecBole's SASRec only")
        for key, val in (("hidden_size", hidden), ("inner_size", inner), ("n_layers", n_layers),
                         ("MAX_ITEM_LIST_LENGTH", max_length)):
            c = _from_config(cfg, key)
            if c is not None and int(c) != val:
                raise ExportError(f"the stored config says {key}={c} but the weights have {val} "
                                   "(the config does not belong to these weights)")

    sources: Dict[str, str] = {"hidden_size": "weights", "inner_size": "weights", "n_layers": "weights",
                               "MAX_ITEM_LIST_LENGTH": "weights (position_embedding rows)",
                               "n_items": "weights (item_embedding rows, [PAD] included)"}
    missing: List[str] = []

    def pick(key: str, option, flag: str, what: str, conv):
        stored = _from_config(cfg, key)
        if stored is not None:
            try:
                stored = conv(stored)
            except (TypeError, ValueError):
                raise ExportError(f"the stored config has {key}={stored!r}, which is not a valid {what}") from None
            if option is not None and conv(option) != stored:
                raise ExportError(f"{flag} {option} contradicts the checkpoint's stored config {key}={stored!r}; "
                                   f"drop {flag} (the stored value is what RecBole trained with)")
            sources[key] = "stored config"
            return stored
        if option is not None:
            sources[key] = f"option {flag}"
            return conv(option)
        missing.append(f"{what} ({flag}; RecBole config key {key!r})")
        return None

    n_heads = pick("n_heads", heads, "--heads", "number of attention heads", int)
    act = pick("hidden_act", hidden_act, "--hidden-act", "feed-forward activation", str)
    eps = pick("layer_norm_eps", layer_norm_eps, "--layer-norm-eps", "layer_norm_eps", float)
    loss = pick("loss_type", loss_type, "--loss-type", "loss type, which decides the acceptance", str)
    if missing:
        where = "the checkpoint has no stored config" if cfg is None else "the checkpoint's stored config lacks them"
        raise ExportError("cannot tell from the weights, and " + where + ": " + "; ".join(missing)
                           + ". Pass the value(s) the model was trained with (RecBole's defaults are n_heads 2, "
                           "hidden_act gelu, layer_norm_eps 1e-12, loss_type CE, but a guess is not an export).")
    if n_heads < 1 or hidden % n_heads:
        raise ExportError(f"{n_heads} attention heads do not divide hidden_size {hidden} "
                           f"(from {sources['n_heads']}); pass the right --heads")
    if act not in ACTIVATIONS:
        raise ExportError(f"hidden_act {act!r} (from {sources['hidden_act']}) is not one of RecBole's "
                           f"{', '.join(ACTIVATIONS)}; pass --hidden-act")
    if not (eps > 0 and math.isfinite(eps)):
        raise ExportError(f"layer_norm_eps {eps!r} must be a positive number; pass --layer-norm-eps")
    if loss not in LOSS_ACCEPTANCE:
        raise ExportError(f"loss_type {loss!r} (from {sources['loss_type']}) is neither CE (softmax) nor BPR "
                           "(sigmoid); pass --loss-type")
    return RecBoleSettings(n_items=n_items, hidden=hidden, inner=inner, n_layers=n_layers, max_length=max_length,
                           n_heads=n_heads, hidden_act=act, layer_norm_eps=eps, loss_type=loss, sources=sources)


# ------------------------------------------------------------------------------------------- encoder

def _gelu(x):  # RecBole's FeedForward.gelu (erf form)
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


_ACT = {"gelu": _gelu, "relu": F.relu, "swish": lambda x: x * torch.sigmoid(x), "tanh": torch.tanh,
        "sigmoid": torch.sigmoid}


class RecBoleSASRecEncoder(nn.Module):
    """RecBole's SASRec forward on the contract's input: LEFT-padded item_ids [B, L] (0 = padding) -> [B, d]."""

    def __init__(self, sd: Dict[str, torch.Tensor], s: RecBoleSettings):
        super().__init__()
        self.s = s
        self.d, self.h, self.L = s.hidden, s.n_heads, s.max_length
        self.act = _ACT[s.hidden_act]
        self.eps = float(s.layer_norm_eps)
        self.params = nn.ParameterDict()
        for k in expected_keys(s.n_layers):
            self.params[k.replace(".", "__")] = nn.Parameter(sd[k].detach().clone().float(), requires_grad=False)

    def p(self, key: str) -> torch.Tensor:
        return self.params[key.replace(".", "__")]

    def _ln(self, x, prefix):
        return F.layer_norm(x, (self.d,), self.p(prefix + ".weight"), self.p(prefix + ".bias"), self.eps)

    def _lin(self, x, prefix):
        return F.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    def forward(self, item_ids: torch.Tensor) -> torch.Tensor:
        B, L = item_ids.shape[0], self.L
        d, h = self.d, self.h
        hd = d // h
        real = item_ids != 0                                            # [B, L]
        count = real.to(torch.long).sum(dim=1, keepdim=True)            # [B, 1] real items
        slots = torch.arange(L, dtype=torch.long).unsqueeze(0)          # [1, L]
        # RecBole numbers the oldest kept item 0: slot j holds the (j - (L - count))-th item.
        positions = torch.where(real, slots - (L - count), torch.zeros_like(slots))
        x = F.embedding(item_ids, self.p("item_embedding.weight")) + F.embedding(positions, self.p("position_embedding.weight"))
        x = self._ln(x, "LayerNorm")
        causal = slots.transpose(0, 1) >= slots                         # [L, L]: query i may see key j <= i
        allowed = causal.unsqueeze(0) & real.unsqueeze(1)               # [B, L, L] and the key is an item
        mask = torch.where(allowed, torch.zeros((), dtype=x.dtype), torch.full((), MASK_VALUE, dtype=x.dtype))
        mask = mask.unsqueeze(1)                                        # [B, 1, L, L]
        scale = math.sqrt(hd)
        for i in range(self.s.n_layers):
            p = f"trm_encoder.layer.{i}."
            q = self._lin(x, p + "multi_head_attention.query").reshape(B, L, h, hd).permute(0, 2, 1, 3)
            k = self._lin(x, p + "multi_head_attention.key").reshape(B, L, h, hd).permute(0, 2, 3, 1)
            v = self._lin(x, p + "multi_head_attention.value").reshape(B, L, h, hd).permute(0, 2, 1, 3)
            scores = torch.matmul(q, k) / scale + mask
            attn = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(attn, v).permute(0, 2, 1, 3).reshape(B, L, d)
            a = self._ln(self._lin(ctx, p + "multi_head_attention.dense") + x, p + "multi_head_attention.LayerNorm")
            f = self._lin(self.act(self._lin(a, p + "feed_forward.dense_1")), p + "feed_forward.dense_2")
            x = self._ln(f + a, p + "feed_forward.LayerNorm")
        out = x[:, -1, :]
        # An empty history has no state RecBole would gather: the contract's answer is the zero vector.
        return out * (count > 0).to(out.dtype)


# ------------------------------------------------------------------------------------------- adapter

def load(checkpoint: str, **options) -> Tuple[RecBoleSASRecEncoder, Dict[str, torch.Tensor], RecBoleSettings, Optional[dict], str]:
    sd, cfg, what = read_checkpoint(checkpoint)
    s = resolve_settings(sd, cfg, **options)
    return RecBoleSASRecEncoder(sd, s).eval(), sd, s, cfg, what


def build_adapter(checkpoint: str, reference=None, training_log_sha256: str = "", **options):
    """An ipg_export.Adapter for a RecBole SASRec checkpoint. ``reference``: histories -> [B, d] from
    RecBole's own code (reference_runners.recbole_reference); None = our wrapper itself (self-check only)."""
    from ipg_export import Adapter

    enc, sd, s, cfg, what = load(checkpoint, **options)
    table = sd["item_embedding.weight"].detach().clone().float()

    def own(histories):
        ids = torch.tensor([[0] * (s.max_length - len(h[-s.max_length:])) + list(h[-s.max_length:])
                            for h in histories], dtype=torch.long).reshape(len(histories), s.max_length)
        with torch.no_grad():
            return enc(ids).numpy()

    meta = {
        "ipg.source": "RecBole SASRec (recbole/model/sequential_recommender/sasrec.py)",
        "ipg.blocks": str(s.n_layers), "ipg.heads": str(s.n_heads), "ipg.inner_size": str(s.inner),
        "ipg.hidden_act": s.hidden_act, "ipg.layer_norm_eps": repr(s.layer_norm_eps),
        "ipg.loss_type": s.loss_type, "ipg.empty_history": "zero_vector",
        "ipg.settings_from": "; ".join(f"{k}: {v}" for k, v in sorted(s.sources.items())),
    }
    adapter = Adapter(encoder=enc, item_table=table, max_length=s.max_length, layout=LAYOUT,
                      reference=reference if reference is not None else own, acceptance=s.acceptance,
                      position_convention=POSITION_CONVENTION, training_log_sha256=training_log_sha256,
                      metadata=meta)
    return adapter, s, what


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="RecBole trainer checkpoint (.pth with config + state_dict) or a bare state_dict")
    p.add_argument("--output", required=True)
    p.add_argument("--fixtures", default=None, help="also write golden fixtures (expected values from the reference)")
    p.add_argument("--fixture-cases", type=int, default=None,
                   help="keep only the first K of the checked histories in the fixtures (all are checked)")
    p.add_argument("--source", default=None,
                   help="directory containing RecBole's 'recbole' package (a checkout); the reference is then "
                        "RecBole's own SASRec. Default: the installed recbole package")
    p.add_argument("--reference", choices=("recbole", "ours"), default="recbole",
                   help="'ours' checks the ONNX graph against this tool's torch wrapper only (no RecBole code needed; weaker)")
    p.add_argument("--heads", type=int, default=None, help="n_heads (only without a stored config)")
    p.add_argument("--hidden-act", default=None, help=f"one of {', '.join(ACTIVATIONS)} (only without a stored config)")
    p.add_argument("--layer-norm-eps", type=float, default=None, help="layer_norm_eps (only without a stored config)")
    p.add_argument("--loss-type", choices=sorted(LOSS_ACCEPTANCE), default=None,
                   help="CE -> softmax acceptance, BPR -> sigmoid (only without a stored config)")
    p.add_argument("--training-log-sha256", default="", help="SHA-256 of the training log, if known")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    options = dict(heads=a.heads, hidden_act=a.hidden_act, layer_norm_eps=a.layer_norm_eps, loss_type=a.loss_type)
    try:
        adapter, s, what = build_adapter(a.checkpoint, reference=None, training_log_sha256=a.training_log_sha256,
                                         **options)
        print(f"{a.checkpoint}: {what}; N={s.n_items - 1}, d={s.hidden}, L={s.max_length}, {s.n_layers} layers, "
              f"{s.n_heads} heads, inner {s.inner}, {s.hidden_act}, eps {s.layer_norm_eps:g}, loss {s.loss_type} -> "
              f"acceptance {s.acceptance}; from: {s.sources}")
        if a.reference == "recbole":
            from reference_runners import ReferenceUnavailable, recbole_reference
            try:
                adapter.reference, desc = recbole_reference(a.checkpoint, s, source=a.source)
            except ReferenceUnavailable as e:
                raise ExportError(f"{e}; pass --source DIR (a RecBole checkout) or --reference ours") from None
        else:
            desc = "tools/export/recbole_sasrec.py's own torch wrapper (self-check only: RecBole's code was not run)"
        run_export(adapter, a.output, a.fixtures, desc, a.seed, a.tolerance, a.fixture_cases)
    except ExportError as e:
        print(f"recbole_sasrec: error: {e}", file=sys.stderr)
        return 2
    return 0


def run_export(adapter, output, fixtures, desc, seed, tolerance, fixture_cases=None, histories=None,
               producer="tools/export/recbole_sasrec.py"):
    """export_adapter on all histories (512 standard ones by default); fixtures keep the first K if asked."""
    import ipg_export

    named = histories if histories is not None else ipg_export.standard_histories(
        adapter.item_table.shape[0] - 1, adapter.max_length, seed=seed)
    report = ipg_export.export_adapter(adapter, output, fixtures=None if fixture_cases else fixtures,
                                       histories=named, seed=seed, tolerance=tolerance,
                                       producer=producer,
                                       reference_description=desc)
    if fixtures and fixture_cases:
        keep = named[:fixture_cases]
        ref = np.asarray(adapter.reference([list(h) for _, h in keep]), dtype=np.float32)
        ipg_export.write_fixtures(fixtures, output, adapter, keep, ref, report, desc, seed)
        print(f"wrote {fixtures}: {len(keep)} of the {len(named)} checked cases")
    return report


if __name__ == "__main__":
    sys.exit(main())
