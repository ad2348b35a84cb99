"""tools/gru4rec: the left-padded contract wrapper equals GRU4Rec's own forward, and the export passes.

Run from the repository root: /usr/bin/python3 -m unittest discover -s tools/tests -v
(seconds; a tiny random GRU4Rec, nothing read from the repository's models).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRU4REC = os.path.join(ROOT, "tools", "gru4rec")
for _p in (os.path.join(ROOT, "tools", "export"), os.path.join(ROOT, "tools", "sasrec"), GRU4REC):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import threads  # noqa: E402,F401  (tools/sasrec: pins BLAS threads before numpy/torch)

import importlib.util  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import unittest  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

from gru4rec_model import GRU4Rec, LeftPaddedEncoder, left_pad  # noqa: E402


def _load(name, file):
    """tools/gru4rec's scripts under unique module names (tools/sasrec also has a train.py)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(GRU4REC, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


g4r_export = _load("gru4rec_export_script", "export.py")
g4r_train = _load("gru4rec_train_script", "train.py")


def tiny_model(seed=0, items=40, hidden=8, length=9, gru_hidden=0):
    """Random weights with large, non-zero biases: a GRU step on a padding column would then move h
    away from 0, so skipping padding exactly is what the tests see."""
    torch.manual_seed(seed)
    m = GRU4Rec(items, hidden=hidden, max_length=length, gru_hidden=gru_hidden)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0.0, 0.7)
        m.item_emb.weight[0].zero_()
        m.item_bias[0] = 0.0
    return m.eval()


def histories(n_items, length, count=40, seed=1):
    rng = np.random.default_rng(seed)
    hs = [[], [1], [n_items], [3, 3, 3], list(range(1, length + 1)), [int(i) for i in rng.integers(1, n_items + 1, length + 6)]]
    while len(hs) < count:
        hs.append([int(i) for i in rng.integers(1, n_items + 1, int(rng.integers(1, length + 8)))])
    return hs


class LeftPaddedWrapper(unittest.TestCase):
    def check(self, model):
        hs = histories(model.item_count, model.max_length)
        with torch.no_grad():
            own = model.encode_histories(hs)
            wrapped = LeftPaddedEncoder(model)(left_pad(hs, model.max_length))
        self.assertEqual(tuple(wrapped.shape), (len(hs), model.hidden))
        self.assertLess(float((own - wrapped).abs().max()), 1e-6)
        return own

    def test_equals_own_forward(self):
        self.check(tiny_model())

    def test_equals_own_forward_with_dense_layer(self):
        m = tiny_model(seed=3, gru_hidden=12)
        self.assertIsNotNone(m.dense)
        self.check(m)

    def test_empty_history_is_h0(self):
        m = tiny_model()
        with torch.no_grad():
            u = LeftPaddedEncoder(m)(torch.zeros(2, m.max_length, dtype=torch.long))
        self.assertEqual(float(u.abs().max()), 0.0)

    def test_padding_is_really_skipped(self):
        # Without the where(): running the GRU over the padding columns (embedding 0) changes h.
        m = tiny_model()
        h = [5, 6, 7]
        with torch.no_grad():
            naive = m.gru(m.item_emb(left_pad([h], m.max_length)))[1][0]
            own = m.encode_histories([h])
        self.assertGreater(float((naive - own).abs().max()), 1e-3)

    def test_history_longer_than_l_keeps_the_last_l(self):
        m = tiny_model()
        h = list(range(1, m.max_length + 6))
        with torch.no_grad():
            self.assertTrue(torch.equal(m.encode_histories([h]), m.encode_histories([h[-m.max_length:]])))

    def test_training_states_match_own_forward(self):
        # sequence_states (right-padded, training path) at each user's last click = encode_histories.
        m = tiny_model()
        hs = [h for h in histories(m.item_count, m.max_length) if 0 < len(h) <= m.max_length]
        ids = torch.zeros(len(hs), max(map(len, hs)), dtype=torch.long)
        for r, h in enumerate(hs):
            ids[r, :len(h)] = torch.tensor(h)
        with torch.no_grad():
            states = m.sequence_states(ids)
            last = states[torch.arange(len(hs)), torch.tensor([len(h) - 1 for h in hs])]
            self.assertLess(float((last - m.encode_histories(hs)).abs().max()), 1e-6)


class Export(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_export_passes_and_writes_the_contract(self):
        m = tiny_model(seed=5)
        out = os.path.join(self.tmp.name, "g.onnx")
        fix = os.path.join(self.tmp.name, "g.fixtures.json")
        report = g4r_export.export(m, out, fix, training_log_sha256="ab" * 32, log=lambda *a: None)
        for key in ("wrapper_vs_reference", "onnx_vs_reference"):
            self.assertLessEqual(report[key]["max_abs_diff"], 1e-5)
            self.assertEqual(report[key]["top10_identical"], 512)
        mp = onnx.load(out)
        meta = {p.key: p.value for p in mp.metadata_props}
        self.assertEqual(meta["ipg.contract"], "2")
        self.assertEqual(meta["ipg.acceptance"], "softmax")
        self.assertEqual(meta["ipg.layout"], "gru4rec")
        self.assertEqual(meta["ipg.max_length"], str(m.max_length))
        self.assertEqual(meta["ipg.item_count"], str(m.item_count))
        self.assertEqual(meta["ipg.training_log_sha256"], "ab" * 32)
        self.assertEqual(sorted(o.name for o in mp.graph.output), ["item_bias", "item_embeddings", "user_embedding"])
        ops = {n.op_type for n in mp.graph.node}
        self.assertFalse(ops & {"GRU", "Loop", "Scan", "Split", "Trilu"})
        # the graph itself, run by the numpy interpreter, on the fixture cases
        from onnx_numpy import run_model
        with open(fix) as f:
            doc = json.load(f)
        self.assertEqual(len(doc["cases"]), 512)
        self.assertIn("item_bias_rows", doc)
        ids = np.array([c["input_ids"] for c in doc["cases"][:64]], dtype=np.int64)
        got = run_model(mp, {"item_ids": ids})
        want = np.array([c["user_embedding"] for c in doc["cases"][:64]], dtype=np.float32)
        self.assertLess(float(np.abs(got["user_embedding"] - want).max()), 1e-5)
        np.testing.assert_array_equal(got["item_embeddings"], m.item_emb.weight.detach().numpy())
        np.testing.assert_array_equal(got["item_bias"], m.item_bias.detach().numpy())

    def test_checkpoint_round_trip_through_the_trainer(self):
        # A one-epoch training run on a tiny log, then the command-line export of its checkpoint.
        rng = np.random.default_rng(7)
        log_path = os.path.join(self.tmp.name, "log.txt")
        with open(log_path, "w") as f:
            for u in range(1, 31):
                for i in rng.integers(1, 26, int(rng.integers(1, 15))):
                    f.write(f"{u} {i}\n")
        ckpt = os.path.join(self.tmp.name, "m.pt")
        summary = g4r_train.main(["--input", log_path, "--output", ckpt, "--hidden", "6", "--max-length", "8",
                                  "--epochs", "1", "--batch-size", "8", "--quiet"])
        self.assertEqual(summary["epochs"], 1)
        self.assertEqual(len(summary["training_log_sha256"]), 64)
        out = os.path.join(self.tmp.name, "m.onnx")
        g4r_export.main([ckpt, "--output", out, "--quiet"])
        meta = {p.key: p.value for p in onnx.load(out).metadata_props}
        self.assertEqual(meta["ipg.training_log_sha256"], summary["training_log_sha256"])


class Windows(unittest.TestCase):
    def test_every_click_but_the_first_is_a_target_once(self):
        s = list(range(1, 24))
        w = g4r_train.training_windows([s, [5], [7, 8]], 5)
        self.assertTrue(all(2 <= len(x) <= 6 for x in w))
        targets = sorted(t for x in w if x[0] != 7 for t in x[1:])
        self.assertEqual(targets, s[1:])
        self.assertIn([7, 8], w)


if __name__ == "__main__":
    unittest.main()
