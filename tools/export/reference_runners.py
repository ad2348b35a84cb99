#!/usr/bin/env python3
"""References for tools/export/recbole_sasrec.py and gsasrec.py: the SOURCE models' own code, run as they run it.

Nothing of RecBole or gSASRec is in this repository. The code is imported at run time from a directory the
caller gives (a checkout, or the files tools/export/rebuild_recbole_gsasrec.sh extracts with ``git show``):

  RecBole  DIR/recbole/...  — the real sasrec.py, abstract_recommender.py, layers.py, loss.py,
           config/configurator.py (+ properties/*.yaml), utils/enum_type.py and utils/argument_list.py.
           RecBole's package __init__ files import its whole data/trainer/logging stack (ray, tensorboard,
           colorlog, texttable, ...), so the packages ``recbole``, ``recbole.model``, ``recbole.config`` and
           ``recbole.model.sequential_recommender`` are registered in sys.modules as EMPTY packages whose
           __path__ points into DIR (their real modules then import normally from there), and two modules
           are STUBBED: ``recbole.utils`` (the real enum_type / argument_list plus a ``set_color`` that
           returns its text and a ``get_model`` that only knows SASRec) and ``recbole.evaluator``
           (``metric_types`` / ``smaller_metrics`` for the five default metrics, only read by Config to
           validate the metric names). Nothing else is replaced. With RecBole installed, no DIR is needed.
  gSASRec  DIR/gsasrec.py + DIR/transformer_decoder.py, imported as they are (they need only torch).

Reference = the model's forward in ITS input convention: RecBole gets RIGHT-padded ``item_seq`` plus
``item_seq_len`` (its SequentialDataset layout, the most recent MAX_ITEM_LIST_LENGTH items) and gathers at
item_seq_len - 1; gSASRec gets LEFT-padded rows padded with N+1 (its SequenceDataset). RecBole has no output
for an empty history (it would gather at -1): the reference returns the zero vector there, the contract's
documented answer (recbole_sasrec.py).

Also builds the tiny test models in THEIR classes and file formats (a few hundred steps of our own loop on
tools/sasrec/synth_log.py's log):

  reference_runners.py train-recbole --source DIR --log LOG --output X.pth   (RecBole trainer checkpoint)
  reference_runners.py train-gsasrec --source DIR --log LOG --output X.pt --config-out X_config.py
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "sasrec"))

import threads  # noqa: E402,F401

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import types  # noqa: E402
from typing import Callable, List, Optional, Tuple  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


class ReferenceUnavailable(RuntimeError):
    """The source's own code cannot be imported."""


def _torch_load_theirs(path):
    """torch.load as the source calls it (full unpickling: their classes must be importable)."""
    kw = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kw["weights_only"] = False  # RecBole's checkpoint pickles its Config; torch >= 2.6 defaults to True
    return torch.load(path, **kw)


def _module_from(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def source_label(source: Optional[str]) -> str:
    """What the fixtures name as the reference's code: DIR/SOURCE's first line when present (the rebuild script
    writes 'github.com/OWNER/REPO@COMMIT' there), else the directory."""
    if source is None:
        return "the installed package"
    try:
        with open(os.path.join(source, "SOURCE")) as f:
            line = f.readline().strip()
            if line:
                return line
    except OSError:
        pass
    return os.path.abspath(source)


def _empty_package(name: str, path: str):
    m = types.ModuleType(name)
    m.__path__ = [path]  # submodules import from the real files in DIR
    m.__file__ = os.path.join(path, "__init__.py")
    sys.modules[name] = m
    return m


# ------------------------------------------------------------------------------------------- RecBole

_RECBOLE_DIR: Optional[str] = None


def install_recbole(source: Optional[str]):
    """Makes RecBole's SASRec importable (from DIR with the stubs described above, or the installed package);
    returns the module recbole.model.sequential_recommender.sasrec."""
    global _RECBOLE_DIR
    if source is None:
        try:
            import recbole.model.sequential_recommender.sasrec as sasrec  # an installed RecBole
            return sasrec
        except ImportError as e:
            raise ReferenceUnavailable(f"RecBole is not importable here ({e})") from None
    root = os.path.join(os.path.abspath(source), "recbole")
    need = ["model/sequential_recommender/sasrec.py", "model/abstract_recommender.py", "model/layers.py",
            "model/loss.py", "utils/enum_type.py", "utils/argument_list.py"]
    missing = [n for n in need if not os.path.isfile(os.path.join(root, n))]
    if missing:
        raise ReferenceUnavailable(f"--source {source}: no recbole/{missing[0]} there")
    if _RECBOLE_DIR is not None:
        if _RECBOLE_DIR != root:
            raise ReferenceUnavailable(f"RecBole was already loaded from {_RECBOLE_DIR}")
        return sys.modules["recbole.model.sequential_recommender.sasrec"]
    for name in [n for n in sys.modules if n == "recbole" or n.startswith("recbole.")]:
        del sys.modules[name]
    _empty_package("recbole", root)
    _empty_package("recbole.model", os.path.join(root, "model"))
    _empty_package("recbole.model.sequential_recommender", os.path.join(root, "model", "sequential_recommender"))
    _empty_package("recbole.config", os.path.join(root, "config"))
    # STUB recbole.utils: the real enum_type and argument_list, plus two helpers (see the module docstring).
    utils = _empty_package("recbole.utils", os.path.join(root, "utils"))
    enum_type = _module_from("recbole.utils.enum_type", os.path.join(root, "utils", "enum_type.py"))
    argument_list = _module_from("recbole.utils.argument_list", os.path.join(root, "utils", "argument_list.py"))
    for mod in (enum_type, argument_list):
        for k, v in vars(mod).items():
            if not k.startswith("_"):
                setattr(utils, k, v)
    utils.set_color = lambda log, color, highlight=True: log

    def get_model(name):
        if name != "SASRec":
            raise ValueError(f"this stub only knows SASRec, not {name!r}")
        return sys.modules["recbole.model.sequential_recommender.sasrec"].SASRec

    utils.get_model = get_model
    # STUB recbole.evaluator: only what Config reads to validate metric names.
    ev = types.ModuleType("recbole.evaluator")
    ev.metric_types = {m: enum_type.EvaluatorType.RANKING for m in ("recall", "mrr", "ndcg", "hit", "precision")}
    ev.smaller_metrics = []
    sys.modules["recbole.evaluator"] = ev
    import recbole.model.sequential_recommender.sasrec as sasrec  # the real file, from DIR
    _RECBOLE_DIR = root
    return sasrec


class _RecBoleDataset:
    """What SequentialRecommender.__init__ asks the dataset: num(item_id) = rows of the item table."""

    def __init__(self, n_items: int):
        self.n_items = n_items

    def num(self, field):
        return self.n_items


def _recbole_fallback_config(s) -> dict:
    """For a bare state_dict: the config RecBole's SASRec.__init__ reads, from the resolved settings."""
    return {"USER_ID_FIELD": "user_id", "ITEM_ID_FIELD": "item_id", "LIST_SUFFIX": "_list",
            "ITEM_LIST_LENGTH_FIELD": "item_length", "NEG_PREFIX": "neg_", "MAX_ITEM_LIST_LENGTH": s.max_length,
            "device": torch.device("cpu"), "n_layers": s.n_layers, "n_heads": s.n_heads, "hidden_size": s.hidden,
            "inner_size": s.inner, "hidden_dropout_prob": 0.0, "attn_dropout_prob": 0.0, "hidden_act": s.hidden_act,
            "layer_norm_eps": s.layer_norm_eps, "initializer_range": 0.02, "loss_type": s.loss_type}


def recbole_reference(checkpoint: str, s, source: Optional[str] = None, batch: int = 256) -> Tuple[Callable, str]:
    """(histories -> [B, d] by RecBole's own SASRec.forward, description)."""
    sasrec = install_recbole(source)
    obj = _torch_load_theirs(checkpoint)
    if isinstance(obj, dict) and "state_dict" in obj:
        config, sd = obj.get("config"), obj["state_dict"]
        how = "the checkpoint's own pickled Config"
        if config is None:
            config, how = _recbole_fallback_config(s), "the exporter's resolved settings (no stored config)"
    else:
        config, sd, how = _recbole_fallback_config(s), obj, "the exporter's resolved settings (bare state_dict)"
    torch.manual_seed(0)
    model = sasrec.SASRec(config, _RecBoleDataset(int(sd["item_embedding.weight"].shape[0])))
    model.load_state_dict(sd, strict=True)
    model.eval()
    L = int(config["MAX_ITEM_LIST_LENGTH"])
    d = int(sd["item_embedding.weight"].shape[1])

    def reference(histories: List[List[int]]) -> np.ndarray:
        out = np.zeros((len(histories), d), dtype=np.float32)
        rows = [r for r, h in enumerate(histories) if len(h) > 0]
        for s0 in range(0, len(rows), batch):
            part = rows[s0:s0 + batch]
            seq = torch.zeros((len(part), L), dtype=torch.long)
            lens = torch.zeros(len(part), dtype=torch.long)
            for j, r in enumerate(part):
                h = [int(i) for i in histories[r]][-L:]
                seq[j, :len(h)] = torch.tensor(h)  # RecBole's layout: right padding, oldest item in column 0
                lens[j] = len(h)
            with torch.no_grad():
                out[part] = model.forward(seq, lens).numpy()
        return out  # empty histories stay 0: RecBole cannot encode them (gather at item_seq_len - 1 = -1)

    desc = (f"RecBole's own SASRec.forward(item_seq right-padded, item_seq_len) from {source_label(source)} "
            f"(config: {how}); empty history -> zero vector (RecBole has no output for it)")
    return reference, desc


# ------------------------------------------------------------------------------------------- gSASRec

def install_gsasrec(source: str):
    for f in ("gsasrec.py", "transformer_decoder.py"):
        if not os.path.isfile(os.path.join(source, f)):
            raise ReferenceUnavailable(f"--source {source}: no {f} there")
    if "transformer_decoder" not in sys.modules:
        _module_from("transformer_decoder", os.path.join(source, "transformer_decoder.py"))
    if "upstream_gsasrec" not in sys.modules:  # their gsasrec.py, under a name that cannot shadow ours
        _module_from("upstream_gsasrec", os.path.join(source, "gsasrec.py"))
    return sys.modules["upstream_gsasrec"]


def gsasrec_reference(checkpoint: str, s, source: str, batch: int = 256) -> Tuple[Callable, str]:
    g = install_gsasrec(source)
    model = g.GSASRec(s.num_items, sequence_length=s.max_length, embedding_dim=s.hidden, num_heads=s.n_heads,
                      num_blocks=s.n_blocks, dropout_rate=0.0, reuse_item_embeddings=s.reuse_item_embeddings)
    model.load_state_dict(_torch_load_theirs(checkpoint), strict=True)  # as evaluate_gsasrec.py loads it
    model.eval()
    L, pad = s.max_length, s.num_items + 1

    def reference(histories: List[List[int]]) -> np.ndarray:
        outs = []
        for s0 in range(0, len(histories), batch):
            rows = []
            for h in histories[s0:s0 + batch]:
                h = [int(i) for i in h][-L:]
                rows.append([pad] * (L - len(h)) + h)  # gSASRec's SequenceDataset: left padding with N+1
            with torch.no_grad():
                seq_emb, _ = model(torch.tensor(rows, dtype=torch.long).reshape(len(rows), L))
            outs.append(seq_emb[:, -1, :].numpy())  # as GSASRec.get_predictions
        return np.concatenate(outs) if outs else np.zeros((0, s.hidden), np.float32)

    desc = (f"gSASRec's own GSASRec.forward (left padding with N+1) from {source_label(source)}, "
            f"built with num_heads={s.n_heads} ({s.sources.get('num_heads')}), "
            f"reuse_item_embeddings={s.reuse_item_embeddings}")
    return reference, desc


# ------------------------------------------------------------------------------------------- training

def _read_log(path):
    from data import read_sequences
    seqs = read_sequences(path, "pairs")
    users = [list(map(int, v)) for v in seqs.values() if len(v) >= 3]
    n = max(max(u) for u in users)
    return users, n


def _hr10(scores: torch.Tensor, targets: torch.Tensor) -> float:
    top = torch.topk(scores, 10, dim=1).indices
    return float((top == targets.unsqueeze(1)).any(dim=1).float().mean())


def train_recbole(source: str, log: str, output: str, steps: int, seed: int, hidden: int = 16, inner: int = 32,
                  layers: int = 2, heads: int = 2, max_length: int = 20, hidden_act: str = "gelu",
                  loss_type: str = "CE") -> None:
    sasrec = install_recbole(source)
    from recbole.config.configurator import Config  # the real Config (yaml files from DIR/recbole/properties)

    for name, alias in (("float_", "float64"), ("complex_", "complex128"), ("unicode_", "str_")):
        if not hasattr(np, name):  # numpy >= 2 removed names Config.compatibility_settings reads
            setattr(np, name, getattr(np, alias))
    users, N = _read_log(log)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    argv, sys.argv = sys.argv, sys.argv[:1]  # Config parses --key=value from the command line
    try:
        config = Config(model=sasrec.SASRec, dataset="ipg-synth", config_dict={
            "n_layers": layers, "n_heads": heads, "hidden_size": hidden, "inner_size": inner,
            "hidden_dropout_prob": 0.2, "attn_dropout_prob": 0.2, "hidden_act": hidden_act, "layer_norm_eps": 1e-12,
            "loss_type": loss_type, "train_neg_sample_args": None, "MAX_ITEM_LIST_LENGTH": max_length,
            "gpu_id": "", "use_gpu": False, "seed": seed, "learning_rate": 1e-3, "train_batch_size": 256,
            "data_path": "/nonexistent", "show_progress": False})
    finally:
        sys.argv = argv
    model = sasrec.SASRec(config, _RecBoleDataset(N + 1))  # RecBole: n_items counts [PAD]
    L = max_length
    # RecBole's sequential samples: every prefix (its most recent L items) -> the next item; each user's last
    # item is held out for a quick check.
    samples = [(u[max(0, t - L):t], u[t]) for u in users for t in range(1, len(u) - 1)]
    held = [(u[:-1][-L:], u[-1]) for u in users]

    def batch_of(pairs):
        seq = torch.zeros((len(pairs), L), dtype=torch.long)
        lens = torch.zeros(len(pairs), dtype=torch.long)
        for j, (h, _) in enumerate(pairs):
            seq[j, :len(h)] = torch.tensor(h)
            lens[j] = len(h)
        return {model.ITEM_SEQ: seq, model.ITEM_SEQ_LEN: lens,
                model.POS_ITEM_ID: torch.tensor([t for _, t in pairs], dtype=torch.long),
                model.NEG_ITEM_ID: torch.from_numpy(rng.integers(1, N + 1, size=len(pairs)))}  # used by BPR only

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for step in range(steps):
        idx = rng.integers(0, len(samples), size=256)
        loss = model.calculate_loss(batch_of([samples[i] for i in idx]))  # RecBole's own loss (CE or BPR)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"recbole step {step}: loss {loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        inter = batch_of(held)
        scores = model.full_sort_predict(inter)
        scores[:, 0] = -np.inf  # as RecBole's trainer does before ranking
        hr = _hr10(scores, inter[model.POS_ITEM_ID])
    print(f"recbole: held-out last item HR@10 {hr:.3f} over {len(held)} users (random {10 / N:.3f})")
    state = {  # RecBole's Trainer._save_checkpoint layout
        "config": config, "epoch": 0, "cur_step": steps, "best_valid_score": hr,
        "state_dict": model.state_dict(), "other_parameter": model.other_parameter(),
        "optimizer": opt.state_dict(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    torch.save(state, output, pickle_protocol=4)
    print(f"wrote {output}")


GSASREC_CONFIG = """from config import GSASRecExperimentConfig

config = GSASRecExperimentConfig(
    dataset_name='ipg-synth',
    sequence_length={L},
    embedding_dim={d},
    num_heads={h},
    num_blocks={b},
    dropout_rate=0.2,
    negs_per_pos={k},
    gbce_t={t},
    reuse_item_embeddings=False,
)
"""


def train_gsasrec(source: str, log: str, output: str, config_out: Optional[str], steps: int, seed: int,
                  hidden: int = 16, heads: int = 2, blocks: int = 2, max_length: int = 20, negs: int = 16,
                  t: float = 0.75, lr: float = 1e-2) -> None:
    g = install_gsasrec(source)
    users, N = _read_log(log)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = g.GSASRec(N, sequence_length=max_length, embedding_dim=hidden, num_heads=heads, num_blocks=blocks,
                      dropout_rate=0.2, reuse_item_embeddings=False)  # a separate output table (their default)
    L, pad = max_length, N + 1
    train = [u[:-1] for u in users]
    # Their trainer uses Adam's default 1e-3 for ~10^5 steps; from gSASRec's N(0, 1) embedding init, gBCE with
    # 16 negatives needs 1e-2 to learn more than popularity in ~10^3 steps on this log.
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    # gBCE (Petrov & Macdonald 2023): -(beta * log s(pos) + sum log(1 - s(neg))) / (k + 1), beta from t and
    # the sampling rate alpha = k / (N - 1).
    alpha = negs / (N - 1)
    beta = alpha * (t * (1 - 1 / alpha) + 1 / alpha)
    model.train()
    for step in range(steps):
        rows = []
        for i in rng.integers(0, len(train), size=128):
            u = train[i]
            end = int(rng.integers(2, len(u) + 1))
            w = u[max(0, end - L - 1):end]
            rows.append([pad] * (L + 1 - len(w)) + w)  # left padding with N+1, as their loader
        seq = torch.tensor(rows, dtype=torch.long)
        inp, labels = seq[:, :-1], seq[:, 1:]
        hidden_states, _ = model(inp)
        negatives = torch.randint(1, N + 1, (len(rows), L, negs))
        table = model.get_output_embeddings()
        cand = torch.cat([labels.unsqueeze(-1), negatives], dim=-1)
        logits = torch.einsum("bld,blkd->blk", hidden_states, table(cand))
        per = -(beta * torch.nn.functional.logsigmoid(logits[..., 0])
                + torch.nn.functional.logsigmoid(-logits[..., 1:]).sum(-1)) / (negs + 1)
        valid = (inp != pad).float()
        loss = (per * valid).sum() / valid.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"gsasrec step {step}: loss {loss.item():.4f}")
    model.eval()
    held = torch.tensor([[pad] * (L - len(u[:-1][-L:])) + u[:-1][-L:] for u in users], dtype=torch.long)
    items, _ = model.get_predictions(held, 10)  # their own scoring (rows 0 and N+1 excluded)
    target = torch.tensor([u[-1] for u in users])
    hr = float((items == target.unsqueeze(1)).any(1).float().mean())
    print(f"gsasrec: held-out last item HR@10 {hr:.3f} over {len(users)} users (random {10 / N:.3f})")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    torch.save(model.state_dict(), output)  # train_gsasrec.py's format: a bare state_dict
    print(f"wrote {output}")
    if config_out:
        with open(config_out, "w") as f:
            f.write(GSASREC_CONFIG.format(L=L, d=hidden, h=heads, b=blocks, k=negs, t=t))
        print(f"wrote {config_out}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("train-recbole")
    r.add_argument("--source", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--output", required=True)
    r.add_argument("--steps", type=int, default=400)
    r.add_argument("--seed", type=int, default=7)
    r.add_argument("--hidden-act", default="gelu")
    r.add_argument("--loss-type", default="CE")
    g = sub.add_parser("train-gsasrec")
    g.add_argument("--source", required=True)
    g.add_argument("--log", required=True)
    g.add_argument("--output", required=True)
    g.add_argument("--config-out", default=None)
    g.add_argument("--steps", type=int, default=1000)
    g.add_argument("--lr", type=float, default=1e-2)
    g.add_argument("--seed", type=int, default=7)
    for q in (r, g):
        q.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.cmd == "train-recbole":
        train_recbole(a.source, a.log, a.output, a.steps, a.seed, hidden_act=a.hidden_act, loss_type=a.loss_type)
    else:
        train_gsasrec(a.source, a.log, a.output, a.config_out, a.steps, a.seed, lr=a.lr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
