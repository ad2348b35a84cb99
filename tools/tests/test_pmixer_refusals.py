"""tools/sasrec never guesses what a pmixer state_dict cannot tell (issue #15).

Every case the weights leave open must stop with an ExportError naming the option to pass, and
load once it is given. Tiny random state_dicts in a temporary folder; seconds.

    /usr/bin/python3 -m unittest discover -s tools/tests -v      (from the repository root)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SASREC = os.path.join(ROOT, "tools", "sasrec")
sys.path.insert(0, SASREC)

import threads  # noqa: E402,F401  (pins BLAS threads before torch loads)

import torch  # noqa: E402

from checkpoint import CHECKPOINT_FORMAT, ExportError, load_model  # noqa: E402
from model import LAYOUT_SPECS, SASRec  # noqa: E402
from pmixer_reference import reference_log2feats  # noqa: E402

torch.set_num_threads(1)

N, D, L, BLOCKS, HEADS = 30, 8, 10, 2, 2
STOCK = "SASRec.epoch=5.lr=0.001.layer={b}.head={h}.hidden={d}.maxlen={L}.pth"


def quiet(*_args, **_kw):
    pass


def random_state_dict(layout: str, max_length: int = L, seed: int = 0):
    """A pmixer-shaped state_dict of the given layout's family (v1: pos_emb L rows, row 0 trained;
    v2: L+1 rows, row 0 zero), with perturbed biases / layer norms."""
    torch.manual_seed(seed)
    m = SASRec(N, hidden=D, max_length=max_length, n_blocks=BLOCKS, n_heads=HEADS, dropout=0.0, layout=layout)
    m.init_like_pmixer()
    with torch.no_grad():
        for _, p in m.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
        m.item_emb.weight[0].zero_()
        if m.spec.family != "v1":
            m.pos_emb.weight[0].zero_()
    return m.state_dict()


def some_ids(length: int = L) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    ids = torch.zeros(5, length, dtype=torch.long)
    for r, n in enumerate([0, 1, 3, length - 1, length]):
        if n:
            ids[r, length - n:] = torch.randint(1, N + 1, (n,), generator=g)
    return ids


class PmixerRefusals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.v1_stock = os.path.join(d, STOCK.format(b=BLOCKS, h=HEADS, d=D, L=L))
        torch.save(random_state_dict("pmixer-v1"), cls.v1_stock)
        cls.v1_renamed = os.path.join(d, "my_sasrec.pth")
        torch.save(random_state_dict("pmixer-v1"), cls.v1_renamed)
        cls.v2_stock = os.path.join(d, "v2", STOCK.format(b=BLOCKS, h=HEADS, d=D, L=L))
        os.makedirs(os.path.dirname(cls.v2_stock))
        torch.save(random_state_dict("pmixer-v2"), cls.v2_stock)
        # pmixer 9027b83 on: pos_emb has 201 rows whatever maxlen was
        cls.pos201 = os.path.join(d, "postnorm_201rows.head=2.pth")
        torch.save(random_state_dict("pmixer-v3-postnorm", max_length=200), cls.pos201)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def refuse(self, option: str, *args, **kwargs) -> str:
        with self.assertRaises(ExportError) as cm:
            load_model(*args, log=quiet, **kwargs)
        msg = str(cm.exception)
        self.assertIn(option, msg, msg)
        return msg

    # ---------------------------------------------------------------- what the weights cannot tell

    def test_renamed_file_without_head_count_needs_heads(self):
        msg = self.refuse("--heads", self.v1_renamed, layout="pmixer-v1")
        self.assertIn("head=K", msg)

    def test_v1_family_layout_needs_layout_and_lists_relu_and_norelu(self):
        msg = self.refuse("--layout", self.v1_stock)
        for name in ("pmixer-v1", "pmixer-v1-norelu"):
            self.assertIn(name, msg)
        self.assertNotIn("pmixer-v2,", msg)

    def test_v2_family_layout_needs_layout_and_lists_v2_and_v3(self):
        msg = self.refuse("--layout", self.v2_stock)
        for name in ("pmixer-v2", "pmixer-v3-prenorm", "pmixer-v3-postnorm"):
            self.assertIn(name, msg)

    def test_renamed_file_needs_layout_before_anything(self):
        self.refuse("--layout", self.v1_renamed, heads=HEADS)

    def test_fixed_201_pos_rows_need_max_length(self):
        msg = self.refuse("--max-length", self.pos201, layout="pmixer-v3-postnorm")
        self.assertIn("9027b83", msg)

    # ---------------------------------------------------------------- contradictions are errors

    def test_heads_contradicting_file_name(self):
        self.refuse("--heads", self.v1_stock, layout="pmixer-v1", heads=1)

    def test_max_length_contradicting_file_name(self):
        self.refuse("--max-length", self.v1_stock, layout="pmixer-v1", max_length=L + 1)

    def test_max_length_not_fitting_pos_emb(self):
        self.refuse("--max-length", self.v1_renamed, layout="pmixer-v1", heads=HEADS, max_length=L - 1)

    def test_layout_of_the_wrong_family(self):
        msg = self.refuse("--layout", self.v1_stock, layout="pmixer-v2")
        self.assertIn("pmixer-v1-norelu", msg)  # the layouts that fit
        self.refuse("--layout", self.v2_stock, layout="pmixer-v1-norelu")

    def test_v2_layout_with_fixed_201_rows_and_small_max_length(self):
        # pmixer-v2 code always sized pos_emb maxlen + 1; only v3 code (9027b83 on) writes 201 rows
        self.refuse("--max-length", self.pos201, layout="pmixer-v2", max_length=L)

    def test_heads_must_divide_hidden(self):
        self.refuse("heads 3", self.v1_renamed, layout="pmixer-v1", heads=3)

    def test_unknown_layout(self):
        self.refuse("--layout", self.v1_stock, layout="pmixer-v9")

    def test_development_revisions_are_refused_with_the_reason(self):
        msg = self.refuse("NaN", self.v1_stock, layout="pmixer-v0-keymask")
        self.assertIn("aab3261", msg)
        msg = self.refuse("NaN", self.v1_stock, layout="pmixer-v0-noncausal")
        self.assertIn("a7e03b0", msg)
        msg = self.refuse("--layout", self.v1_stock)
        self.assertIn("pmixer-v0-noncausal", msg)  # named as not exportable

    def test_other_pmixer_models_are_refused_by_name(self):
        sd = random_state_dict("pmixer-v1")
        sd["repeat_emb.weight"] = torch.zeros(5, D)
        sd["concat_layer.weight"] = torch.zeros(D, 2 * D)
        path = os.path.join(self.tmp.name, "repeat.head=2.pth")
        torch.save(sd, path)
        msg = self.refuse("SASRec_RepeatEmb", path, layout="pmixer-v1")
        self.assertIn("repeat_emb.weight", msg)

    def test_file_name_hidden_must_match_the_weights(self):
        path = os.path.join(self.tmp.name, STOCK.format(b=BLOCKS, h=HEADS, d=D + 2, L=L))
        torch.save(random_state_dict("pmixer-v1"), path)
        self.refuse("hidden", path, layout="pmixer-v1")

    def test_pmixer_args_contradicting_layout(self):
        args = os.path.join(self.tmp.name, "args_prenorm.txt")
        with open(args, "w") as f:
            f.write("hidden_units,8\nmaxlen,10\nnorm_first,True\nnum_blocks,2\nnum_heads,2")
        self.refuse("--layout", self.v2_stock, layout="pmixer-v3-postnorm", pmixer_args=args)

    # ---------------------------------------------------------------- with the options given it loads

    def test_loads_when_told(self):
        for path, layout, kw in ((self.v1_stock, "pmixer-v1", {}), (self.v1_stock, "pmixer-v1-norelu", {}),
                                 (self.v1_renamed, "pmixer-v1", {"heads": HEADS}),
                                 (self.v2_stock, "pmixer-v2", {}), (self.v2_stock, "pmixer-v3-prenorm", {}),
                                 (self.v2_stock, "pmixer-v3-postnorm", {})):
            with self.subTest(path=os.path.basename(path), layout=layout):
                m, info = load_model(path, layout=layout, log=quiet, **kw)
                self.assertEqual((m.layout, m.n_heads, m.max_length, m.hidden, m.n_blocks),
                                 (layout, HEADS, L, D, BLOCKS))
                ids = some_ids()
                with torch.no_grad():
                    ours = m.log2feats(ids)
                    ref = reference_log2feats(m, ids, layout)
                self.assertLess(float((ours - ref).abs().max()), 1e-5)

    def test_relu_and_norelu_really_differ(self):
        # the ambiguity is real: same weights, different user vectors
        a, _ = load_model(self.v1_stock, layout="pmixer-v1", log=quiet)
        b, _ = load_model(self.v1_stock, layout="pmixer-v1-norelu", log=quiet)
        with torch.no_grad():
            diff = (a.user_embedding(some_ids(), last_only=False) - b.user_embedding(some_ids(), last_only=False))
        self.assertGreater(float(diff.abs().max()), 1e-3)

    def test_fixed_201_pos_rows_load_with_max_length(self):
        m, info = load_model(self.pos201, layout="pmixer-v3-postnorm", max_length=L, log=quiet)
        self.assertEqual(m.pos_emb.weight.shape[0], L + 1)
        full = torch.load(self.pos201)
        self.assertTrue(torch.equal(m.pos_emb.weight.detach(), full["pos_emb.weight"][: L + 1]))
        self.assertIn("never used", info["detected"])

    def test_pmixer_args_give_heads_max_length_and_norm_first(self):
        args = os.path.join(self.tmp.name, "args.txt")
        with open(args, "w") as f:
            f.write("batch_size,128\nhidden_units,8\nmaxlen,10\nnorm_first,True\nnum_blocks,2\nnum_heads,2")
        renamed = os.path.join(self.tmp.name, "renamed_v2.pth")
        torch.save(torch.load(self.v2_stock), renamed)
        m, _ = load_model(renamed, pmixer_args=args, log=quiet)
        self.assertEqual((m.layout, m.n_heads, m.max_length), ("pmixer-v3-prenorm", HEADS, L))

    def test_our_checkpoints_load_from_their_config(self):
        m = SASRec(N, hidden=D, max_length=L, n_blocks=BLOCKS, n_heads=HEADS, dropout=0.0, layout="pmixer-v1")
        path = os.path.join(self.tmp.name, "ours.pt")
        torch.save({"format": CHECKPOINT_FORMAT, "config": m.config(), "state_dict": m.state_dict()}, path)
        loaded, info = load_model(path, log=quiet)
        self.assertEqual(loaded.config(), m.config())
        self.refuse("--heads", path, heads=1)
        self.refuse("--layout", path, layout="pmixer-v1-norelu")

    def test_every_supported_layout_has_a_spec_with_revisions(self):
        for name, spec in LAYOUT_SPECS.items():
            self.assertIn(spec.family, ("v1", "v2"), name)
            self.assertTrue(spec.revisions, name)

    # ---------------------------------------------------------------- the command line: exit 2, stderr

    def test_cli_exits_2_and_names_the_option(self):
        out = os.path.join(self.tmp.name, "never.onnx")
        for extra, option in (([], "--layout"), (["--layout", "pmixer-v1"], "--heads")):
            with self.subTest(option=option):
                r = subprocess.run([sys.executable, os.path.join(SASREC, "export_onnx.py"), self.v1_renamed,
                                    "--output", out, *extra], capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(option, r.stderr)
                self.assertIn("error:", r.stderr)
                self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
