"""tools/export/ipg_export.py: the own-module path exports a faithful model and refuses an unfaithful one.

Run from the repository root: /usr/bin/python3 -m unittest discover -s tools/tests -v
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
sys.path.insert(0, os.path.join(ROOT, "tools", "export", "examples"))

import ipg_export  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

import recency_pool  # noqa: E402


def tiny_model(seed=0, items=30, hidden=6, length=8):
    torch.manual_seed(seed)
    return recency_pool.RecencyPool(items, hidden, length).eval()


def adapter_for(model, **overrides):
    kw = dict(
        encoder=recency_pool.LeftPaddedRecencyPool(model),
        item_table=model.items.weight.detach(),
        item_bias=model.bias.detach() + torch.linspace(0, 1, model.item_count + 1),
        acceptance="softmax",
        max_length=model.max_length,
        layout="test-recency-pool",
        reference=lambda hs: model.encode_histories(hs).detach().numpy(),
    )
    kw.update(overrides)
    return ipg_export.Adapter(**kw)


class OwnModulePath(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, "m.onnx")

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_faithful_wrapper_exports_as_contract_2_with_bias_and_softmax(self):
        model = tiny_model()
        report = ipg_export.export_adapter(adapter_for(model), self.out, fixtures=self.out + ".json", log=lambda *a: None)
        self.assertEqual(report["onnx_vs_reference"]["cases"], 512)
        self.assertEqual(report["onnx_vs_reference"]["top10_identical"], 512)
        self.assertLessEqual(report["onnx_vs_reference"]["max_abs_diff"], 1e-5)
        mp = onnx.load(self.out)
        meta = {p.key: p.value for p in mp.metadata_props}
        self.assertEqual(meta["ipg.contract"], "2")
        self.assertEqual(meta["ipg.acceptance"], "softmax")
        self.assertEqual([o.name for o in mp.graph.output], ["user_embedding", "item_embeddings", "item_bias"])

    def test_sigmoid_without_bias_stays_contract_1(self):
        model = tiny_model()
        ipg_export.export_adapter(adapter_for(model, item_bias=None, acceptance="sigmoid"), self.out, log=lambda *a: None)
        meta = {p.key: p.value for p in onnx.load(self.out).metadata_props}
        self.assertEqual(meta["ipg.contract"], "1")

    def test_a_wrapper_that_computes_something_else_is_refused_and_not_kept(self):
        model = tiny_model()
        other = tiny_model(seed=1)  # same shapes, other weights: a wrapper that does not match the model's own forward

        with self.assertRaises(ipg_export.ExportError) as e:
            ipg_export.export_adapter(adapter_for(model, encoder=recency_pool.LeftPaddedRecencyPool(other)), self.out,
                                      log=lambda *a: None)
        self.assertIn("does not reproduce the model's own forward", str(e.exception))
        self.assertFalse(os.path.exists(self.out), "an unfaithful export must not be left behind")

    def test_a_small_drift_beyond_the_tolerance_is_refused(self):
        model = tiny_model()
        drift = lambda hs: model.encode_histories(hs).detach().numpy() + np.float32(3e-5)  # noqa: E731
        with self.assertRaises(ipg_export.ExportError):
            ipg_export.export_adapter(adapter_for(model, reference=drift), self.out, log=lambda *a: None)

    def test_bad_adapters_are_refused_with_the_field_named(self):
        model = tiny_model()
        cases = {
            "acceptance": dict(acceptance="tanh"),
            "item_bias": dict(item_bias=torch.zeros(5)),
            "item_table": dict(item_table=torch.zeros(3)),
            "max_length": dict(max_length=0),
        }
        for field, override in cases.items():
            with self.subTest(field=field):
                with self.assertRaises(ipg_export.ExportError) as e:
                    ipg_export.export_adapter(adapter_for(model, **override), self.out, log=lambda *a: None)
                self.assertIn(f"Adapter.{field}", str(e.exception))

    def test_a_reference_of_the_wrong_shape_is_refused(self):
        model = tiny_model()
        with self.assertRaises(ipg_export.ExportError) as e:
            ipg_export.export_adapter(adapter_for(model, reference=lambda hs: np.zeros((len(hs), 2), np.float32)),
                                      self.out, log=lambda *a: None)
        self.assertIn("Adapter.reference returned shape", str(e.exception))

    def test_the_command_line_exits_2_with_the_reason(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "ipg_export.py"),
                            "--adapter", os.path.join(ROOT, "tools", "export", "examples", "recency_pool.py") + ":make_adapter",
                            "--output", self.out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("pass --checkpoint", r.stderr)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "ipg_export.py"),
                            "--adapter", "no-such-file.py:f", "--output", self.out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no file 'no-such-file.py'", r.stderr)


if __name__ == "__main__":
    unittest.main()
