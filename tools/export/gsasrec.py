#!/usr/bin/env python3
"""Export a gSASRec (asash/gSASRec-pytorch) checkpoint to the Ipg ONNX contract, checked against gSASRec's own forward.

    /usr/bin/python3 tools/export/gsasrec.py CHECKPOINT --output model.onnx \\
        [--fixtures model.fixtures.json] [--config config_ml1m.py] [--heads H] \\
        [--source DIR | --reference ours]

CHECKPOINT is what train_gsasrec.py saves: ``torch.save(model.state_dict(), ...)`` — a bare state_dict
(read with a restricted unpickler, tools/export/safe_checkpoint.py). The experiment config is a Python file
(``config_ml1m.py``: ``config = GSASRecExperimentConfig(...)``); it is PARSED, never executed: only literal
keyword arguments are read.

gSASRec's forward (gsasrec.py + transformer_decoder.py), eval mode:
  ids     items 1..N, padding = N+1, LEFT-padded to sequence_length (dataset_utils.SequenceDataset), so the
          most recent item is in the last column, as in the contract (Ipg's 0 = padding is mapped)
  input   x = (item_embedding[id] + position_embedding[slot]) * not_padding   (slot = 0..L-1 on every slot,
          no sqrt(d) scale); item_embedding has N+2 rows (row 0 unused, row N+1 = padding)
  block   q = LN1(x); attention(q, keys=x) with separate query/key/value Linear layers and NO output
          projection, heads = chunks of d, scores / sqrt(d/h), causal and key-padding masks (-inf, NaN->0);
          y = LN2(attn + q);  x = (y + dense2(relu(dense1(y)))) * not_padding
  output  seq_norm(x)[:, -1]  (an empty history gives seq_norm.bias: every row is zero)
  scores  seq_emb . output_embedding.weight (a separate table, the default) or item_embedding.weight when
          the model was built with reuse_item_embeddings=True (then the state_dict has no output_embedding);
          rows 0 and N+1 are excluded; trained with gBCE (sigmoid per item) -> acceptance sigmoid.
The contract's item_embeddings is the SCORING table's rows 0..N (row 0 is never scored).

What the weights cannot tell: the number of heads. It comes from --heads or from the config file's
num_heads (or, when the file does not set it, from GSASRecExperimentConfig's default in the gSASRec source
given with --source); otherwise the export is refused, naming the option. Exit code 2 on refusal.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "sasrec"))

import threads  # noqa: E402,F401  (pins BLAS threads before numpy/torch load)

import argparse  # noqa: E402
import ast  # noqa: E402
import math  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Dict, List, Optional, Tuple  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from safe_checkpoint import CheckpointError, is_state_dict, safe_load  # noqa: E402

from ipg_export_errors import ExportError  # noqa: E402  (the one exporter error)

LAYOUT = "gsasrec"
POSITION_CONVENTION = "zero_based_all_slots"
LN_EPS = 1e-5  # gSASRec's LayerNorms are torch defaults


@dataclass
class GSASRecSettings:
    num_items: int
    hidden: int
    max_length: int
    n_blocks: int
    n_heads: int
    reuse_item_embeddings: bool
    sources: Dict[str, str]
    config: Dict[str, object]


def block_keys(i: int) -> List[str]:
    p = f"transformer_blocks.{i}."
    out = []
    for m in ("first_norm", "second_norm", "multihead_attention.query_proj", "multihead_attention.key_proj",
              "multihead_attention.val_proj", "dense1", "dense2"):
        out += [f"{p}{m}.weight", f"{p}{m}.bias"]
    return out


def expected_keys(n_blocks: int, reuse: bool) -> List[str]:
    keys = ["item_embedding.weight", "position_embedding.weight"]
    for i in range(n_blocks):
        keys += block_keys(i)
    keys += ["seq_norm.weight", "seq_norm.bias"]
    if not reuse:
        keys.append("output_embedding.weight")
    return keys


# ------------------------------------------------------------------------------------------- config

def _literal_kwargs(call: ast.Call) -> Tuple[Dict[str, object], List[str], int]:
    vals, skipped = {}, []
    for kw in call.keywords:
        if kw.arg is None:
            skipped.append("**")
            continue
        try:
            vals[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            skipped.append(kw.arg)
    return vals, skipped, len(call.args)


def _find_call(tree: ast.AST, name: str) -> Optional[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == name) or (isinstance(f, ast.Attribute) and f.attr == name):
                return node
    return None


def read_config_file(path: str) -> Dict[str, object]:
    """The literal keyword arguments of ``GSASRecExperimentConfig(...)`` in a gSASRec config file (not executed)."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except FileNotFoundError:
        raise ExportError(f"--config {path}: no such file") from None
    except SyntaxError as e:
        raise ExportError(f"--config {path}: not Python ({e})") from None
    call = _find_call(tree, "GSASRecExperimentConfig")
    if call is None:
        raise ExportError(f"--config {path}: no GSASRecExperimentConfig(...) call; pass the settings as options")
    vals, skipped, npos = _literal_kwargs(call)
    if npos > 1:
        raise ExportError(f"--config {path}: GSASRecExperimentConfig gets {npos} positional arguments; only "
                           "keyword arguments can be read without running the file — pass --heads")
    vals["_non_literal"] = skipped
    return vals


def source_defaults(source: str) -> Dict[str, object]:
    """GSASRecExperimentConfig.__init__'s literal defaults, read from the gSASRec source's config.py."""
    path = os.path.join(source, "config.py")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (FileNotFoundError, SyntaxError) as e:
        raise ExportError(f"--source {source}: cannot read config.py ({e})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "GSASRecExperimentConfig":
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "__init__":
                    args = fn.args.args
                    defaults = fn.args.defaults
                    out = {}
                    for a, dflt in zip(args[len(args) - len(defaults):], defaults):
                        try:
                            out[a.arg] = ast.literal_eval(dflt)
                        except ValueError:
                            pass
                    return out
    raise ExportError(f"--source {source}: config.py has no GSASRecExperimentConfig.__init__")


# ----------------------------------------------------------------------------------------- checkpoint

def read_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    try:
        obj = safe_load(path)
    except CheckpointError as e:
        raise ExportError(str(e)) from None
    if isinstance(obj, dict) and "state_dict" in obj and is_state_dict(obj["state_dict"]):
        obj = obj["state_dict"]  # tolerate a wrapped state_dict
    if not is_state_dict(obj):
        raise ExportError(f"{path}: not a state_dict (train_gsasrec.py saves model.state_dict())")
    return dict(obj)


def resolve_settings(sd: Dict[str, torch.Tensor], config: Optional[Dict[str, object]] = None,
                     heads: Optional[int] = None, source: Optional[str] = None) -> GSASRecSettings:
    for k in ("item_embedding.weight", "position_embedding.weight", "seq_norm.weight"):
        if k not in sd:
            raise ExportError(f"the state_dict has no {k!r}: not gSASRec's layout")
    idx = set()
    for k in sd:
        if k.startswith("transformer_blocks."):
            part = k.split(".")[1]
            if not part.isdigit():
                raise ExportError(f"unexpected key {k!r}: not gSASRec's layout")
            idx.add(int(part))
    n_blocks = len(idx)
    if idx != set(range(n_blocks)):
        raise ExportError(f"transformer blocks {sorted(idx)} are not numbered 0..{n_blocks - 1}")
    reuse = "output_embedding.weight" not in sd
    want = expected_keys(n_blocks, reuse)
    missing = [k for k in want if k not in sd]
    extra = sorted(set(sd) - set(want))
    if missing or extra:
        raise ExportError("the state_dict is not gSASRec's layout (strict key check):"
                           + (f" missing {missing[:6]}" if missing else "") + (f" unexpected {extra[:6]}" if extra else ""))
    rows, hidden = (int(s) for s in sd["item_embedding.weight"].shape)
    num_items = rows - 2
    if num_items < 1:
        raise ExportError(f"item_embedding has {rows} rows; gSASRec's table is [unused 0] + items 1..N + [padding N+1]")
    L = int(sd["position_embedding.weight"].shape[0])
    for k in want:
        shape = tuple(sd[k].shape)
        if k in ("item_embedding.weight", "output_embedding.weight"):
            w = (rows, hidden)
        elif k == "position_embedding.weight":
            w = (L, hidden)
        elif k.endswith(".weight") and ("proj" in k or "dense" in k):
            w = (hidden, hidden)  # gSASRec's FFN width is the embedding size
        else:
            w = (hidden,)
        if shape != w:
            raise ExportError(f"{k} has shape {list(shape)}; gSASRec with these settings has {list(w)}")
        if not torch.is_floating_point(sd[k]) or not torch.isfinite(sd[k]).all():
            raise ExportError(f"{k} is not a finite floating-point tensor")

    sources = {"num_items": "weights (item_embedding rows - 2)", "embedding_dim": "weights",
               "sequence_length": "weights (position_embedding rows)", "num_blocks": "weights",
               "reuse_item_embeddings": "weights (output_embedding.weight absent)" if reuse
               else "weights (output_embedding.weight present: a separate scoring table)"}
    cfg = dict(config or {})
    for key, val in (("embedding_dim", hidden), ("sequence_length", L), ("num_blocks", n_blocks)):
        if key in cfg and int(cfg[key]) != val:
            raise ExportError(f"the config file says {key}={cfg[key]} but the weights have {val} "
                               "(the config does not belong to these weights)")
    if "reuse_item_embeddings" in cfg and bool(cfg["reuse_item_embeddings"]) != reuse:
        # utils.build_model never passes reuse_item_embeddings, so a model trained by train_gsasrec.py always
        # has a separate output table whatever the config says; the weights decide.
        sources["reuse_item_embeddings"] += (f"; the config's reuse_item_embeddings={cfg['reuse_item_embeddings']} "
                                             "is not what the model was built with (gSASRec's build_model ignores it)")

    n_heads = None
    if "num_heads" in cfg:
        n_heads = int(cfg["num_heads"])
        sources["num_heads"] = "config file"
        if heads is not None and int(heads) != n_heads:
            raise ExportError(f"--heads {heads} contradicts the config file's num_heads={n_heads}; drop one")
    elif heads is not None:
        n_heads = int(heads)
        sources["num_heads"] = "option --heads"
    elif config is not None and source is not None:
        dflt = source_defaults(source).get("num_heads")
        if dflt is not None:
            n_heads = int(dflt)
            sources["num_heads"] = "GSASRecExperimentConfig default in --source config.py (the config file does not set it)"
    if n_heads is None:
        why = ("the state_dict does not record it" + ("" if config is None else
               ", the config file does not set num_heads (GSASRecExperimentConfig's default then applies: "
               "give --source DIR with gSASRec's config.py to read it)"))
        raise ExportError(f"cannot tell the number of attention heads: {why}; pass --heads H "
                           "(or --config CONFIG.py with num_heads)")
    if n_heads < 1 or hidden % n_heads:
        raise ExportError(f"{n_heads} attention heads do not divide embedding_dim {hidden} "
                           f"(from {sources['num_heads']}); pass the right --heads")
    return GSASRecSettings(num_items=num_items, hidden=hidden, max_length=L, n_blocks=n_blocks, n_heads=n_heads,
                           reuse_item_embeddings=reuse, sources=sources,
                           config={k: v for k, v in cfg.items() if not k.startswith("_")})


# -------------------------------------------------------------------------------------------- encoder

class GSASRecEncoder(nn.Module):
    """gSASRec's forward on the contract's input: LEFT-padded item_ids [B, L] (0 = padding) -> [B, d]."""

    def __init__(self, sd: Dict[str, torch.Tensor], s: GSASRecSettings):
        super().__init__()
        self.s = s
        self.d, self.h, self.L = s.hidden, s.n_heads, s.max_length
        self.params = nn.ParameterDict()
        for k in expected_keys(s.n_blocks, True):
            t = sd[k].detach().clone().float()
            if k == "item_embedding.weight":
                t = t[: s.num_items + 1]  # rows 0..N; Ipg's padding id 0 reads row 0, zeroed by the mask below
            self.params[k.replace(".", "__")] = nn.Parameter(t, requires_grad=False)

    def p(self, key):
        return self.params[key.replace(".", "__")]

    def _ln(self, x, prefix):
        return F.layer_norm(x, (self.d,), self.p(prefix + ".weight"), self.p(prefix + ".bias"), LN_EPS)

    def _lin(self, x, prefix):
        return F.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    def forward(self, item_ids: torch.Tensor) -> torch.Tensor:
        B, L, d, h = item_ids.shape[0], self.L, self.d, self.h
        hd = d // h
        real = item_ids != 0                                              # [B, L]
        keep = real.to(torch.float32).unsqueeze(-1)                       # [B, L, 1]
        slots = torch.arange(L, dtype=torch.long).unsqueeze(0)            # [1, L]
        x = (F.embedding(item_ids, self.p("item_embedding.weight")) + self.p("position_embedding.weight")) * keep
        causal = slots.transpose(0, 1) >= slots                           # [L, L]
        diagonal = slots.transpose(0, 1) == slots
        # gSASRec masks future keys and padding keys (keys whose state is all zero, i.e. padding slots). A
        # padding query then sees no key (gSASRec: NaN -> 0); letting it see itself keeps it finite, and its
        # row is zeroed at the end of the block either way. Real queries always see themselves.
        allowed = (causal.unsqueeze(0) & (real.unsqueeze(1) | diagonal.unsqueeze(0))).unsqueeze(1)  # [B,1,L,L]
        scale = math.sqrt(hd)
        for i in range(self.s.n_blocks):
            p = f"transformer_blocks.{i}."
            q_in = self._ln(x, p + "first_norm")
            q = self._lin(q_in, p + "multihead_attention.query_proj").reshape(B, L, h, hd).transpose(1, 2)
            k = self._lin(x, p + "multihead_attention.key_proj").reshape(B, L, h, hd).transpose(1, 2)
            v = self._lin(x, p + "multihead_attention.val_proj").reshape(B, L, h, hd).transpose(1, 2)
            scores = torch.matmul(q, k.transpose(2, 3)) / scale
            scores = scores.masked_fill(~allowed, float("-inf"))
            attn = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(attn, v).transpose(1, 2).reshape(B, L, d)
            y = self._ln(ctx + q_in, p + "second_norm")
            f = self._lin(F.relu(self._lin(y, p + "dense1")), p + "dense2")
            x = (f + y) * keep
        return self._ln(x, "seq_norm")[:, -1, :]


# -------------------------------------------------------------------------------------------- adapter

def load(checkpoint: str, config: Optional[str] = None, heads: Optional[int] = None, source: Optional[str] = None):
    sd = read_checkpoint(checkpoint)
    cfg = read_config_file(config) if config else None
    s = resolve_settings(sd, cfg, heads=heads, source=source)
    return GSASRecEncoder(sd, s).eval(), sd, s


def build_adapter(checkpoint: str, config: Optional[str] = None, heads: Optional[int] = None,
                  source: Optional[str] = None, reference=None, training_log_sha256: str = ""):
    from ipg_export import Adapter

    enc, sd, s = load(checkpoint, config=config, heads=heads, source=source)
    scoring = "item_embedding.weight" if s.reuse_item_embeddings else "output_embedding.weight"
    table = sd[scoring].detach().clone().float()[: s.num_items + 1]

    def own(histories):
        ids = torch.tensor([[0] * (s.max_length - len(h[-s.max_length:])) + list(h[-s.max_length:])
                            for h in histories], dtype=torch.long).reshape(len(histories), s.max_length)
        with torch.no_grad():
            return enc(ids).numpy()

    meta = {
        "ipg.source": "gSASRec (asash/gSASRec-pytorch gsasrec.py)",
        "ipg.blocks": str(s.n_blocks), "ipg.heads": str(s.n_heads),
        "ipg.scoring_table": scoring,
        "ipg.settings_from": "; ".join(f"{k}: {v}" for k, v in sorted(s.sources.items())),
    }
    for key in ("gbce_t", "negs_per_pos", "dataset_name"):
        if key in s.config:
            meta[f"ipg.{key}"] = str(s.config[key])
    adapter = Adapter(encoder=enc, item_table=table, max_length=s.max_length, layout=LAYOUT,
                      reference=reference if reference is not None else own, acceptance="sigmoid",
                      position_convention=POSITION_CONVENTION, training_log_sha256=training_log_sha256,
                      metadata=meta)
    return adapter, s


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="a gSASRec state_dict (.pt, as train_gsasrec.py saves it)")
    p.add_argument("--output", required=True)
    p.add_argument("--fixtures", default=None)
    p.add_argument("--fixture-cases", type=int, default=None,
                   help="keep only the first K of the checked histories in the fixtures (all are checked)")
    p.add_argument("--config", default=None, help="the gSASRec experiment config file (.py; parsed, not run)")
    p.add_argument("--heads", type=int, default=None, help="num_heads (when the config file does not say it)")
    p.add_argument("--source", default=None, help="directory with gSASRec's gsasrec.py, transformer_decoder.py and "
                   "config.py: the reference is then gSASRec's own GSASRec.forward")
    p.add_argument("--reference", choices=("gsasrec", "ours"), default="gsasrec",
                   help="'ours' checks the ONNX graph against this tool's torch wrapper only (weaker)")
    p.add_argument("--training-log-sha256", default="")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    from recbole_sasrec import run_export
    try:
        adapter, s = build_adapter(a.checkpoint, config=a.config, heads=a.heads, source=a.source,
                                   training_log_sha256=a.training_log_sha256)
        print(f"{a.checkpoint}: N={s.num_items}, d={s.hidden}, L={s.max_length}, {s.n_blocks} blocks, {s.n_heads} heads, "
              f"scoring table {'item_embedding (reused)' if s.reuse_item_embeddings else 'output_embedding'}; "
              f"from: {s.sources}")
        if a.reference == "gsasrec":
            if not a.source:
                raise ExportError("the reference is gSASRec's own forward: pass --source DIR (a gSASRec-pytorch "
                                   "checkout) or --reference ours")
            from reference_runners import gsasrec_reference
            adapter.reference, desc = gsasrec_reference(a.checkpoint, s, source=a.source)
        else:
            desc = "tools/export/gsasrec.py's own torch wrapper (self-check only: gSASRec's code was not run)"
        run_export(adapter, a.output, a.fixtures, desc, a.seed, a.tolerance, a.fixture_cases,
                   producer="tools/export/gsasrec.py")
    except ExportError as e:
        print(f"gsasrec: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
