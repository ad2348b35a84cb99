"""Refusals of tools/export/recbole_sasrec.py and tools/export/gsasrec.py (issue #15: export faithfully, or refuse).

Every setting the weights cannot tell must come from the checkpoint's stored config or an explicit option;
without either the export is refused with a message naming the option, and with it the model loads. Tiny
random state_dicts in a temp dir; no RecBole or gSASRec code is needed (a RecBole trainer checkpoint is
imitated by pickling a stand-in class under RecBole's module path, removed again before loading).

    /usr/bin/python3 -m unittest discover -s tools/tests -v        (from the repository root)
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
import tempfile
import types
import unittest
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORT = os.path.join(ROOT, "tools", "export")
sys.path.insert(0, EXPORT)

import torch  # noqa: E402

torch.set_num_threads(1)

import gsasrec as gs  # noqa: E402
import recbole_sasrec as rb  # noqa: E402
from safe_checkpoint import CheckpointError, safe_load  # noqa: E402

PY = sys.executable


# ---------------------------------------------------------------------------------------------- builders

def recbole_state_dict(n_items=11, d=8, inner=12, L=5, layers=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for k in rb.expected_keys(layers):
        if k == "item_embedding.weight":
            shape = (n_items, d)
        elif k == "position_embedding.weight":
            shape = (L, d)
        elif k.endswith("dense_1.weight"):
            shape = (inner, d)
        elif k.endswith("dense_1.bias"):
            shape = (inner,)
        elif k.endswith("dense_2.weight"):
            shape = (d, inner)
        elif k.endswith(".weight") and not k.endswith("LayerNorm.weight"):
            shape = (d, d)
        else:
            shape = (d,)
        sd[k] = torch.randn(shape, generator=g) * 0.3
    return sd


def recbole_config(**over):
    cfg = {"model": "SASRec", "n_layers": 2, "n_heads": 2, "hidden_size": 8, "inner_size": 12,
           "hidden_act": "gelu", "layer_norm_eps": 1e-12, "loss_type": "CE", "MAX_ITEM_LIST_LENGTH": 5,
           "device": torch.device("cpu")}
    cfg.update(over)
    return {k: v for k, v in cfg.items() if v is not None}


def save_recbole_trainer_checkpoint(path, sd, final_config_dict):
    """Pickles {'config': <recbole.config.configurator.Config>, 'state_dict': ...} as RecBole's trainer does,
    with stand-in classes registered under RecBole's module paths only while saving."""
    names = ["recbole", "recbole.config", "recbole.config.configurator", "recbole.utils", "recbole.utils.enum_type"]
    saved = {n: sys.modules.get(n) for n in names}
    mods = {n: types.ModuleType(n) for n in names}

    class Config:
        pass

    Config.__module__, Config.__qualname__ = "recbole.config.configurator", "Config"

    class ModelType(enum.Enum):
        SEQUENTIAL = 2

    ModelType.__module__, ModelType.__qualname__ = "recbole.utils.enum_type", "ModelType"
    mods["recbole.config.configurator"].Config = Config
    mods["recbole.utils.enum_type"].ModelType = ModelType
    cfg = Config()
    cfg.final_config_dict = dict(final_config_dict, MODEL_TYPE=ModelType.SEQUENTIAL)
    cfg.model = final_config_dict.get("model", "SASRec")
    sys.modules.update(mods)
    try:
        torch.save({"config": cfg, "epoch": 3, "state_dict": sd, "other_parameter": {}}, path, pickle_protocol=4)
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


def gsasrec_state_dict(N=10, d=8, L=5, blocks=2, reuse=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for k in gs.expected_keys(blocks, reuse):
        if k in ("item_embedding.weight", "output_embedding.weight"):
            shape = (N + 2, d)
        elif k == "position_embedding.weight":
            shape = (L, d)
        elif k.endswith(".weight") and ("proj" in k or "dense" in k):
            shape = (d, d)
        else:
            shape = (d,)
        sd[k] = torch.randn(shape, generator=g) * 0.3
    return sd


GS_CONFIG = """from config import GSASRecExperimentConfig
from ir_measures import nDCG
config = GSASRecExperimentConfig(
    dataset_name='tiny', sequence_length=5, embedding_dim=8, {extra}
    num_blocks=2, dropout_rate=0.5, metrics=[nDCG@10], gbce_t=0.75, negs_per_pos=4)
"""


class _Temp(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertRefused(self, fn, *needles, exc=None):
        with self.assertRaises(exc or (rb.ExportError, gs.ExportError)) as cm:
            fn()
        msg = str(cm.exception)
        for n in needles:
            self.assertIn(n, msg)
        return msg


# ---------------------------------------------------------------------------------------------- RecBole

class RecBoleRefusals(_Temp):
    OPTS = dict(heads=2, hidden_act="gelu", layer_norm_eps=1e-12, loss_type="CE")
    FLAGS = dict(heads="--heads", hidden_act="--hidden-act", layer_norm_eps="--layer-norm-eps", loss_type="--loss-type")

    def bare(self, sd=None):
        p = self.path("bare.pt")
        torch.save(sd if sd is not None else recbole_state_dict(), p)
        return p

    def test_bare_state_dict_without_options_names_every_option(self):
        msg = self.assertRefused(lambda: rb.load(self.bare()), *self.FLAGS.values())
        self.assertIn("no stored config", msg)

    def test_bare_state_dict_each_missing_option_is_named(self):
        p = self.bare()
        for key, flag in self.FLAGS.items():
            with self.subTest(missing=key):
                opts = dict(self.OPTS, **{key: None})
                msg = self.assertRefused(lambda: rb.load(p, **opts), flag)
                for other, oflag in self.FLAGS.items():
                    if other != key:
                        self.assertNotIn(oflag, msg)

    def test_bare_state_dict_with_options_loads(self):
        p = self.bare()
        for loss, acceptance in (("CE", "softmax"), ("BPR", "sigmoid")):
            with self.subTest(loss=loss):
                enc, _, s, cfg, _ = rb.load(p, **dict(self.OPTS, loss_type=loss))
                self.assertIsNone(cfg)
                self.assertEqual(s.acceptance, acceptance)
                self.assertEqual((s.n_items, s.hidden, s.inner, s.n_layers, s.max_length), (11, 8, 12, 2, 5))
                ids = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 3, 1, 10], [1, 2, 3, 4, 5]])
                out = enc(ids)
                self.assertEqual(tuple(out.shape), (3, 8))
                self.assertTrue(torch.equal(out[0], torch.zeros(8)), "empty history -> zero vector")
                self.assertTrue(torch.isfinite(out).all())

    def test_every_activation_loads(self):
        p = self.bare()
        for act in rb.ACTIVATIONS:
            with self.subTest(act=act):
                enc, *_ = rb.load(p, **dict(self.OPTS, hidden_act=act))
                self.assertTrue(torch.isfinite(enc(torch.tensor([[0, 0, 1, 2, 3]]))).all())

    def test_trainer_checkpoint_uses_stored_config(self):
        p = self.path("SASRec.pth")
        save_recbole_trainer_checkpoint(p, recbole_state_dict(), recbole_config())
        had_recbole = "recbole" in sys.modules
        enc, _, s, cfg, what = rb.load(p)
        self.assertEqual("recbole" in sys.modules, had_recbole, "loading must not import RecBole")
        self.assertIn("recbole.config.configurator.Config", what)
        self.assertEqual((s.n_heads, s.hidden_act, s.layer_norm_eps, s.loss_type, s.acceptance),
                         (2, "gelu", 1e-12, "CE", "softmax"))
        for key in ("n_heads", "hidden_act", "layer_norm_eps", "loss_type"):
            self.assertEqual(s.sources[key], "stored config")
        # an option that agrees with the stored config is fine
        rb.load(p, heads=2, loss_type="CE")

    def test_option_contradicting_stored_config_is_refused(self):
        p = self.path("SASRec.pth")
        save_recbole_trainer_checkpoint(p, recbole_state_dict(), recbole_config())
        self.assertRefused(lambda: rb.load(p, heads=4), "--heads 4", "n_heads=2")
        self.assertRefused(lambda: rb.load(p, loss_type="BPR"), "--loss-type", "loss_type='CE'")
        self.assertRefused(lambda: rb.load(p, hidden_act="relu"), "--hidden-act", "hidden_act='gelu'")

    def test_stored_config_lacking_a_setting_needs_the_option(self):
        p = self.path("SASRec.pth")
        save_recbole_trainer_checkpoint(p, recbole_state_dict(), recbole_config(hidden_act=None, layer_norm_eps=None))
        msg = self.assertRefused(lambda: rb.load(p), "--hidden-act", "--layer-norm-eps", "stored config lacks")
        self.assertNotIn("--heads", msg)
        _, _, s, _, _ = rb.load(p, hidden_act="relu", layer_norm_eps=1e-5)
        self.assertEqual((s.sources["hidden_act"], s.sources["n_heads"]), ("option --hidden-act", "stored config"))

    def test_stored_config_disagreeing_with_weights_is_refused(self):
        for key, val in (("MAX_ITEM_LIST_LENGTH", 50), ("hidden_size", 64), ("inner_size", 256), ("n_layers", 3)):
            with self.subTest(key=key):
                p = self.path(f"{key}.pth")
                save_recbole_trainer_checkpoint(p, recbole_state_dict(), recbole_config(**{key: val}))
                self.assertRefused(lambda: rb.load(p), f"{key}={val}", "does not belong to these weights")

    def test_other_recbole_model_is_refused(self):
        p = self.path("BERT4Rec.pth")
        save_recbole_trainer_checkpoint(p, recbole_state_dict(), recbole_config(model="BERT4Rec"))
        self.assertRefused(lambda: rb.load(p), "model='BERT4Rec'", "SASRec only")

    def test_strict_key_check(self):
        sd = recbole_state_dict()
        sd["feature_embed_layer.weight"] = torch.zeros(3, 8)
        self.assertRefused(lambda: rb.load(self.bare(sd), **self.OPTS), "strict key check", "feature_embed_layer.weight")
        sd = recbole_state_dict()
        del sd["trm_encoder.layer.1.feed_forward.LayerNorm.bias"]
        self.assertRefused(lambda: rb.load(self.bare(sd), **self.OPTS), "missing",
                           "trm_encoder.layer.1.feed_forward.LayerNorm.bias")
        sd = recbole_state_dict()
        sd["trm_encoder.layer.0.feed_forward.dense_2.weight"] = torch.zeros(8, 7)
        self.assertRefused(lambda: rb.load(self.bare(sd), **self.OPTS), "dense_2.weight", "[8, 7]")

    def test_heads_must_divide_hidden(self):
        self.assertRefused(lambda: rb.load(self.bare(), **dict(self.OPTS, heads=3)), "3 attention heads", "--heads")

    def test_unknown_activation_and_loss(self):
        p = self.bare()
        self.assertRefused(lambda: rb.load(p, **dict(self.OPTS, hidden_act="mish")), "'mish'", "--hidden-act")
        self.assertRefused(lambda: rb.load(p, **dict(self.OPTS, loss_type="NLL")), "'NLL'", "--loss-type")

    def test_unsafe_pickle_is_refused_without_running_it(self):
        marker = self.path("ran")

        class Evil:
            def __reduce__(self):
                return (os.system, (f"touch {marker}",))

        p = self.path("evil.pth")
        torch.save({"state_dict": recbole_state_dict(), "config": Evil()}, p)
        self.assertRefused(lambda: rb.load(p), "system", "refusing", exc=rb.ExportError)
        self.assertFalse(os.path.exists(marker))
        with open(self.path("text.pth"), "w") as f:
            f.write("not a checkpoint")
        self.assertRefused(lambda: rb.load(self.path("text.pth")), "not a zip-format", exc=rb.ExportError)
        self.assertRaises(CheckpointError, safe_load, self.path("absent.pth"))

    def test_cli_refusal_exit_code_2_and_export_with_options(self):
        p = self.bare()
        out = self.path("m.onnx")
        cmd = [PY, os.path.join(EXPORT, "recbole_sasrec.py"), p, "--output", out, "--reference", "ours"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--heads", r.stderr)
        self.assertFalse(os.path.exists(out))
        r = subprocess.run(cmd + ["--heads", "2", "--hidden-act", "gelu", "--layer-norm-eps", "1e-12",
                                  "--loss-type", "CE"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(out))
        import onnx
        meta = {e.key: e.value for e in onnx.load(out).metadata_props}
        self.assertEqual((meta["ipg.acceptance"], meta["ipg.contract"], meta["ipg.layout"]),
                         ("softmax", "2", "recbole-sasrec"))
        # the default reference is RecBole's own code: without it (not installed, no --source) -> refused
        r = subprocess.run(cmd[:-2] + ["--heads", "2", "--hidden-act", "gelu", "--layer-norm-eps", "1e-12",
                                       "--loss-type", "CE"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--source", r.stderr)


# ---------------------------------------------------------------------------------------------- gSASRec

class GSASRecRefusals(_Temp):
    def ckpt(self, sd=None):
        p = self.path("gsasrec.pt")
        torch.save(sd if sd is not None else gsasrec_state_dict(), p)
        return p

    def config(self, extra="num_heads=2,", name="config_tiny.py"):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(GS_CONFIG.format(extra=extra))
        return p

    def test_heads_unknown_is_refused(self):
        msg = self.assertRefused(lambda: gs.load(self.ckpt()), "--heads", "--config")
        self.assertIn("does not record it", msg)

    def test_heads_option_loads_and_picks_the_scoring_table(self):
        for reuse in (False, True):
            with self.subTest(reuse=reuse):
                sd = gsasrec_state_dict(reuse=reuse)
                adapter, s = gs.build_adapter(self.ckpt(sd), heads=2)
                self.assertEqual(s.reuse_item_embeddings, reuse)
                want = sd["item_embedding.weight" if reuse else "output_embedding.weight"][:11]
                self.assertTrue(torch.equal(adapter.item_table, want))
                self.assertEqual((adapter.acceptance, adapter.max_length, s.num_items), ("sigmoid", 5, 10))
                out = adapter.encoder(torch.tensor([[0, 0, 0, 0, 0], [0, 0, 1, 10, 3]]))
                self.assertTrue(torch.allclose(out[0], sd["seq_norm.bias"]), "empty history -> seq_norm(0)")
                self.assertTrue(torch.isfinite(out).all())

    def test_config_file_gives_heads(self):
        enc, _, s = gs.load(self.ckpt(), config=self.config())
        self.assertEqual((s.n_heads, s.sources["num_heads"]), (2, "config file"))
        self.assertEqual(s.config["gbce_t"], 0.75)
        self.assertNotIn("metrics", s.config)  # not a literal: skipped, never evaluated

    def test_config_without_heads_needs_option_or_source_default(self):
        cfg = self.config(extra="")
        self.assertRefused(lambda: gs.load(self.ckpt(), config=cfg), "--heads", "--source", "num_heads")
        _, _, s = gs.load(self.ckpt(), config=cfg, heads=2)
        self.assertEqual(s.sources["num_heads"], "option --heads")
        src = os.path.join(self.dir, "src")
        os.mkdir(src)
        with open(os.path.join(src, "config.py"), "w") as f:
            f.write("class GSASRecExperimentConfig(object):\n"
                    "    def __init__(self, dataset_name, sequence_length=200, num_heads=4, num_blocks=3):\n"
                    "        pass\n")
        _, _, s = gs.load(self.ckpt(), config=cfg, source=src)
        self.assertEqual(s.n_heads, 4)
        self.assertIn("default", s.sources["num_heads"])

    def test_heads_option_contradicting_config_is_refused(self):
        self.assertRefused(lambda: gs.load(self.ckpt(), config=self.config(), heads=4), "--heads 4", "num_heads=2")

    def test_config_disagreeing_with_weights_is_refused(self):
        p = self.path("c.py")
        with open(p, "w") as f:
            f.write("config = GSASRecExperimentConfig(dataset_name='x', sequence_length=200, embedding_dim=8, num_heads=2)\n")
        self.assertRefused(lambda: gs.load(self.ckpt(), config=p), "sequence_length=200", "does not belong")

    def test_config_positional_arguments_and_garbage_are_refused(self):
        p = self.path("c.py")
        with open(p, "w") as f:
            f.write("config = GSASRecExperimentConfig('x', 5, 8, 128, 2)\n")
        self.assertRefused(lambda: gs.load(self.ckpt(), config=p), "positional", "--heads")
        with open(p, "w") as f:
            f.write("config = dict(num_heads=2)\n")
        self.assertRefused(lambda: gs.load(self.ckpt(), config=p), "no GSASRecExperimentConfig")

    def test_strict_key_check_and_shapes(self):
        sd = gsasrec_state_dict()
        sd["transformer_blocks.0.multihead_attention.out_proj.weight"] = torch.zeros(8, 8)
        self.assertRefused(lambda: gs.load(self.ckpt(sd), heads=2), "strict key check", "out_proj")
        sd = gsasrec_state_dict()
        sd["transformer_blocks.1.dense1.weight"] = torch.zeros(16, 8)
        sd["transformer_blocks.1.dense1.bias"] = torch.zeros(16)
        self.assertRefused(lambda: gs.load(self.ckpt(sd), heads=2), "dense1", "[16, 8]")
        self.assertRefused(lambda: gs.load(self.ckpt(recbole_state_dict()), heads=2), "not gSASRec's layout")

    def test_heads_must_divide_embedding(self):
        self.assertRefused(lambda: gs.load(self.ckpt(), heads=3), "3 attention heads", "--heads")

    def test_cli_refusal_exit_code_2_and_export_with_heads(self):
        p = self.ckpt()
        out = self.path("g.onnx")
        cmd = [PY, os.path.join(EXPORT, "gsasrec.py"), p, "--output", out, "--reference", "ours"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--heads", r.stderr)
        r = subprocess.run(cmd + ["--heads", "2"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        import onnx
        meta = {e.key: e.value for e in onnx.load(out).metadata_props}
        self.assertEqual((meta["ipg.acceptance"], meta["ipg.layout"], meta["ipg.scoring_table"]),
                         ("sigmoid", "gsasrec", "output_embedding.weight"))
        r = subprocess.run(cmd[:-2] + ["--heads", "2"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--source", r.stderr)


if __name__ == "__main__":
    unittest.main()
